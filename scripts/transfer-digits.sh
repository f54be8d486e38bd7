#!/usr/bin/env bash
# The transfer-learning example of models/transfer_digits.dlg, from a fresh clone:
#   1. pretrain a CNN on digits 0–4 and save its weights (out/transfer_digits/pretrain.safetensors);
#   2. start from them, freeze the convolutions, train a new head on digits 5–9 with 10% of the labels;
#   3. train the same network from scratch on the same 10% of the labels.
# Prints both test accuracies. Runs are not recorded (add --runs-dir to keep them).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product dlc > /dev/null
dlc="$(swift build -c release --show-bin-path)/dlc"
mkdir -p out/transfer_digits
"$dlc" train models/transfer_digits.dlg --model Pretrain --no-record -o out/transfer_digits/pretrain.safetensors | tail -2
finetune=$("$dlc" train models/transfer_digits.dlg --model Finetune --no-record | tee /dev/stderr | tail -1)
scratch=$("$dlc" train models/transfer_digits.dlg --model Scratch --no-record | tail -1)
echo "pretrained, convolutions frozen, new head: $finetune"
echo "from scratch:                              $scratch"
