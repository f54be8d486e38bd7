#!/usr/bin/env python3
"""Writes Tests/DLCTransferTests/Fixtures/python.safetensors with Hugging Face's
`safetensors` (and torch, for bfloat16): one tensor of each element type dlc reads, with
known values, so that a Swift test checks reading files made by the reference library.

    /root/.cache/dlc-peers/venv/bin/python scripts/make-transfer-fixtures.py
"""
import pathlib

import torch
from safetensors.torch import save_file

values = [1.0, -2.5, 0.099609375, 65504.0, 6.103515625e-05, 0.0]
tensors = {
    "encoder.half": torch.tensor(values, dtype=torch.float16).reshape(2, 3),
    "encoder.bfloat": torch.tensor([1.0, -3.5, 0.1, 1e30], dtype=torch.bfloat16),
    "encoder.double": torch.tensor([[0.25, -1e-300]], dtype=torch.float64),
    "encoder.float": torch.arange(6, dtype=torch.float32).reshape(3, 2) / 4,
    "encoder.long": torch.tensor([-(2**40), 7], dtype=torch.int64),
    "encoder.int8": torch.tensor([-128, 127], dtype=torch.int8),
    "encoder.mask": torch.tensor([True, False, True]),
}
out = pathlib.Path(__file__).resolve().parent.parent / "Tests/DLCTransferTests/Fixtures/python.safetensors"
save_file(tensors, str(out), metadata={"format": "pt"})
for name, t in tensors.items():
    print(name, t.dtype, list(t.shape), t.to(torch.float64).flatten().tolist())
