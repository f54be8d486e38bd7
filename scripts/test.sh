#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds everything, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/packages.sh
install_missing_packages
swift build --build-tests
# Tests run the CPU back end in-process: let its OpenMP threads wait passively, as `dlc` does,
# so that a busy machine does not make spinning threads starve each other.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
swift test --skip-build
