#!/usr/bin/env bash
# ensure-postgres.sh makes sure Debian's PostgreSQL server binaries are
# installed (the tests start their own server on loopback; nothing here starts
# a system service). Idempotent: with the binaries present it does nothing.
set -euo pipefail
if compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null; then
	echo "ensure-postgres: $(ls -d /usr/lib/postgresql/*/bin/postgres | tail -1) is installed"
	exit 0
fi
echo "ensure-postgres: installing postgresql from Debian"
sudo_=""
[[ $(id -u) -eq 0 ]] || sudo_="sudo"
$sudo_ apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq postgresql >/dev/null
