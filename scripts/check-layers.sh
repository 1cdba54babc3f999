#!/usr/bin/env bash
# check-layers.sh enforces DESIGN.md §1: imports point one way,
#   cmd → api → {olap, backfill, lineage, engine} → lake → internal.
# internal/testkit is the one exception: a test-only kit that starts MinIO and
# hands out objstore configs, so it may import lake/objstore.
set -euo pipefail
cd "$(dirname "$0")/.."
mod=github.com/wharfdata/wharf
rank() { # the layer of a package path relative to the module; higher may import lower
	case "$1" in
	cmd/*) echo 6 ;;
	api | api/*) echo 5 ;;
	olap* | backfill* | lineage*) echo 4 ;;
	engine*) echo 3 ;;
	lake*) echo 2 ;;
	internal*) echo 1 ;;
	*) echo 0 ;;
	esac
}
bad=0
while read -r pkg imports; do
	p=${pkg#"$mod"/}
	[[ "$p" == "$mod" ]] && continue
	rp=$(rank "$p")
	for imp in $imports; do
		[[ "$imp" == "$mod"/* ]] || continue
		i=${imp#"$mod"/}
		[[ "$p" == internal/testkit* && "$i" == lake/objstore* ]] && continue
		ri=$(rank "$i")
		# Same layer is fine within one tree (engine/session → engine/sql);
		# across the {olap, backfill, lineage, engine} layer it is not.
		if ((ri > rp)) || { ((ri == rp)) && ((rp == 4 || rp == 3)) && [[ "${p%%/*}" != "${i%%/*}" ]]; }; then
			echo "layering: $p imports $i" >&2
			bad=1
		fi
	done
done < <(go list -f '{{.ImportPath}} {{join .Imports " "}}' ./...)
if ((bad)); then exit 1; fi
echo "check-layers: imports point one way"
