#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds everything, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/packages.sh
install_missing_packages
swift build --build-tests
swift test --skip-build
