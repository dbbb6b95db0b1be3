#!/usr/bin/env bash
# Fetches axe-core (Deque's accessibility engine, MPL-2.0) from the npm
# registry into target/tools/axe.min.js, where the browser tests inject it
# into every page they check. Pinned: a new version may judge differently.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=4.14.1
out=target/tools/axe.min.js
if [ -f "$out" ] && head -c 40 "$out" | grep -q "axe v$VERSION"; then
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "axe-core@$VERSION" >/dev/null && tar xzf "axe-core-$VERSION.tgz")
mkdir -p target/tools
cp "$work/package/axe.min.js" "$out"
echo "axe-core $VERSION in $out"
