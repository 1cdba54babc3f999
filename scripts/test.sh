#!/usr/bin/env bash
# test.sh is the README's test command (make test) and what CI runs: it
# installs what the tests need (cached), checks the house rules that are cheap,
# and runs every test against real services started by the tests themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
export CGO_ENABLED=0 # the product is pure Go; the benchmarks module opts back in

scripts/ensure-minio.sh
scripts/ensure-postgres.sh
scripts/ensure-debs.sh
scripts/check-layers.sh

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go') || true)
if [[ -n "$unformatted" ]]; then
	echo "gofmt would change:" $unformatted >&2
	exit 1
fi
go vet ./...
go test -count=1 -timeout 40m ./...

# The benchmarks module (its own go.mod): its tests check that the benchmarks
# measure what they claim; the benchmarks themselves run with `make bench`.
(cd benchmarks && export CGO_ENABLED=1 && go vet ./... && go test -count=1 ./...)
