#!/usr/bin/env bash
# Builds the real `hubble` CLI from the Go module proxy (its main package lives in the cilium module since
# 1.17) into .cache/bin/hubble; idempotent: does nothing when that binary already reports the wanted version.
# Cold cost measured on 2 cores: ~10 s to download ~620 MB of modules, ~190 s to compile (~1 GB Go build cache).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="${HUBBLE_VERSION:-v1.20.2}"
bin_dir="$root/.cache/bin"
target="$bin_dir/hubble"
die() { echo "install-hubble: $*" >&2; exit 1; }

if [[ -x $target ]] && "$target" version 2>/dev/null | grep -q "^hubble $version "; then
  echo "install-hubble: $target is already $version"
  exit 0
fi
command -v go >/dev/null || die "go not found; install Go 1.26 or newer (Debian: golang-go from backports, or https://go.dev/dl)"
# cilium $version declares go 1.26: an older local Go fetches the approved toolchain through the module proxy.
go_minor=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
if [[ $go_minor =~ ^[0-9]+$ ]] && ((go_minor < 26)); then export GOTOOLCHAIN="${GOTOOLCHAIN:-go1.27.3}"; fi

# A throwaway module that requires cilium: `go install pkg@version` refuses cilium's go.mod (it has a replace).
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat >"$work/go.mod" <<EOF
module flowlens.local/hubblebuild

go 1.26.0

require github.com/cilium/cilium $version

replace sigs.k8s.io/controller-tools => github.com/cilium/controller-tools v0.21.0-1
EOF
printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/cilium/cilium/hubble"\n' >"$work/tools.go"

echo "install-hubble: building hubble $version from the Go module proxy (a few minutes on first run)"
start=$SECONDS
(cd "$work" && GOFLAGS=-mod=mod go mod tidy >"$work/log" 2>&1) \
  || die "resolving github.com/cilium/cilium@$version failed: $(grep -v '^go: downloading' "$work/log" | tail -1)"
mkdir -p "$bin_dir"
(cd "$work" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath \
  -ldflags "-s -w -X github.com/cilium/cilium/hubble/pkg.Version=$version" \
  -o "$target.tmp" github.com/cilium/cilium/hubble >"$work/log" 2>&1) \
  || die "go build github.com/cilium/cilium/hubble@$version failed: $(tail -1 "$work/log")"
mv "$target.tmp" "$target"
echo "install-hubble: installed $("$target" version) at $target in $((SECONDS - start)) s"
