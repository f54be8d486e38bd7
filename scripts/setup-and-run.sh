#!/usr/bin/env bash
# One command from a fresh Debian machine with the Swift toolchain: installs the Debian
# packages the build needs, builds dlc in release mode, and runs the main job on the
# embedded digits data: compile every model in models/, render LeNet-5 as a picture, and
# train digits_mlp on the digits (saving the trained model as a .dlp plan).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/packages.sh
install_missing_packages
swift build -c release --product dlc
dlc="$(swift build -c release --show-bin-path)/dlc"
mkdir -p out
for m in models/*.dlg; do
  "$dlc" compile "$m" > /dev/null
  echo "compiled $m"
done
"$dlc" compile models/lenet5.dlg
"$dlc" render models/lenet5.dlg -o out/lenet5.png
echo "rendered out/lenet5.png"
"$dlc" train models/digits_mlp.dlg -o out/digits_mlp.dlp
