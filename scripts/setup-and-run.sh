#!/usr/bin/env bash
# One command from a fresh Debian machine with the Swift toolchain: installs the Debian
# packages the build needs, builds dlc in release mode and runs the main job on the
# default model (compile every model of models/, summary of LeNet-5).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/packages.sh
install_missing_packages
swift build -c release --product dlc
bin=$(swift build -c release --show-bin-path)
for m in models/*.dlg; do
  "$bin/dlc" compile "$m" > /dev/null
  echo "compiled $m"
done
"$bin/dlc" compile models/lenet5.dlg
