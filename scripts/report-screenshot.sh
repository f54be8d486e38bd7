#!/usr/bin/env bash
# Renders a `dlc report` page with headless Chromium (Debian package `chromium`) to a PNG, to
# look at the page as a browser draws it. CI does not run this (it needs Chromium).
#
#   scripts/report-screenshot.sh REPORT.html OUT.png [WIDTH [HEIGHT]]
#
# WIDTH defaults to 1280; HEIGHT (the window, so the part of the page captured) to 3000.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 REPORT.html OUT.png [WIDTH [HEIGHT]]" >&2
  exit 2
fi
report="$1" out="$2" width="${3:-1280}" height="${4:-3000}"
[ -f "$report" ] || { echo "error: no file '$report'" >&2; exit 2; }
browser="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
[ -n "$browser" ] || { echo "error: no Chromium on PATH (apt-get install chromium)" >&2; exit 2; }
absolute="$(cd "$(dirname "$report")" && pwd)/$(basename "$report")"
case "$out" in /*) target="$out" ;; *) target="$PWD/$out" ;; esac
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
# --no-sandbox: Chromium refuses to run as root otherwise (containers, CI machines).
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$profile" \
  --window-size="$width,$height" --screenshot="$target" "file://$absolute" > /dev/null 2>&1
[ -s "$target" ] || { echo "error: Chromium wrote no screenshot" >&2; exit 1; }
echo "wrote $target"
