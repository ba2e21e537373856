#!/usr/bin/env bash
# Renders the matrix of an image as HTML, then as a PNG in headless
# Chromium (installed from Debian's packages when missing), to check that
# the page reads well in a real browser: make matrix-png.
#   docs/render-matrix.sh IMAGE OUT.png [matrix flags...]
set -euo pipefail
image=${1:?usage: render-matrix.sh IMAGE OUT.png [FLAGS...]}
png=${2:?usage: render-matrix.sh IMAGE OUT.png [FLAGS...]}
shift 2
if ! command -v chromium >/dev/null 2>&1; then
  echo "render-matrix: installing chromium from Debian's packages" >&2
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null || {
    echo "render-matrix: chromium is missing and could not be installed (root and Debian's mirror are needed)" >&2
    exit 3
  }
fi
html=$(mktemp --suffix=.html)
trap 'rm -f "$html"' EXIT
code=0
go run ./cmd/persistcheck matrix --image "$image" --format html --out "$html" "$@" || code=$?
if [ "$code" -ne 0 ] && [ "$code" -ne 1 ]; then
  exit "$code"
fi
# No network: the page must stand on its own.
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --proxy-server=127.0.0.1:9 --window-size=1280,820 \
  --screenshot="$png" "file://$html" 2>/dev/null
echo "render-matrix: $png"
