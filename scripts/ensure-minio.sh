#!/usr/bin/env bash
# ensure-minio.sh installs the pinned MinIO server used by wharf's tests into
# ${WHARF_CACHE:-$HOME/.cache/wharf}/bin/minio. It is idempotent: when the
# binary is there and its stamp names the pinned version, it does nothing.
#
# MinIO is built from the Go module proxy (no Docker, no prebuilt download).
# The pin must be a version whose go.mod has no replace directives (go install
# refuses those) and that honours If-None-Match: * on PutObject, which
# objstore's CreateIfAbsent relies on.
set -euo pipefail

MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"

cache="${WHARF_CACHE:-$HOME/.cache/wharf}"
bindir="$cache/bin"
bin="$bindir/minio"
stamp="$bindir/minio.version"

if [[ -x "$bin" && -f "$stamp" && "$(cat "$stamp")" == "$MINIO_VERSION" ]]; then
	echo "ensure-minio: $bin is already $MINIO_VERSION"
	exit 0
fi

command -v go >/dev/null || { echo "ensure-minio: go not found in PATH" >&2; exit 1; }

mkdir -p "$bindir"
echo "ensure-minio: building github.com/minio/minio@$MINIO_VERSION into $bindir (takes minutes)"
start=$(date +%s)
# Remove the stamp first so an interrupted build is never taken as done.
rm -f "$stamp"
# GOFLAGS is cleared so a caller's -mod=vendor or similar cannot break the build.
GOBIN="$bindir" CGO_ENABLED=0 GOFLAGS= go install "github.com/minio/minio@$MINIO_VERSION"
echo "$MINIO_VERSION" >"$stamp"
echo "ensure-minio: installed $bin in $(( $(date +%s) - start ))s"
