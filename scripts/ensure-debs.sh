#!/usr/bin/env bash
# ensure-debs.sh installs the independent clients the tests drive wharf with,
# from Debian: kcat (Kafka), clickhouse-client and python3-clickhouse-driver
# (ClickHouse native protocol). Idempotent: installed packages are left as
# they are, and the package lists are fetched only when something is missing.
set -euo pipefail

pkgs=(kcat clickhouse-client python3-clickhouse-driver)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=()
[[ $(id -u) -ne 0 ]] && sudo=(sudo)
echo "ensure-debs: installing ${missing[*]}" >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
