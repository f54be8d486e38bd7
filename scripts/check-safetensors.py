#!/usr/bin/env python3
"""Reads a safetensors file written by dlc with Hugging Face's `safetensors` library and
prints each tensor's name, dtype, shape and sum (a file it cannot read makes it fail).

    /root/.cache/dlc-peers/venv/bin/pip install safetensors numpy
    mkdir -p out/transfer_digits
    .build/release/dlc train models/transfer_digits.dlg --model Pretrain -o out/transfer_digits/pretrain.safetensors
    /root/.cache/dlc-peers/venv/bin/python scripts/check-safetensors.py out/transfer_digits/pretrain.safetensors
"""
import sys

from safetensors.numpy import load_file


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    tensors = load_file(sys.argv[1])
    for name in sorted(tensors):
        t = tensors[name]
        print(f"{name}: {t.dtype} {list(t.shape)} sum {float(t.astype('float64').sum()):.6g}")
    print(f"{len(tensors)} tensors read by safetensors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
