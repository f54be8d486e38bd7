#!/usr/bin/env python3
"""Writes Tests/DLCCPUTests/Fixtures/resnet{18,50}_reference.json: torchvision's ResNet-18 and
ResNet-50 in eval mode, every parameter and buffer filled by the formula below, run on a batch
of two formula images. ResNetParityTests fills models/resnet18.dlg and models/resnet50.dlg by
the same formula (Sources/_DLCTestSupport/FormulaWeights.swift) and compares the logits.

    /root/.cache/dlc-peers/venv/bin/pip install torchvision==<version matching torch> --no-deps
    /root/.cache/dlc-peers/venv/bin/pip install pillow   # torchvision imports it
    /root/.cache/dlc-peers/venv/bin/python scripts/make-resnet-reference.py
    /root/.cache/dlc-peers/venv/bin/python scripts/make-resnet-reference.py --files DIR

With --files DIR it also writes DIR/resnet{18,50}.safetensors (torchvision's whole state_dict,
formula-filled, num_batches_tracked included) and DIR/image.npy, to check the command-line
path: dlc compile models/resnet18.dlg -o r18.dlp --weights DIR/resnet18.safetensors --partial,
then dlc run r18.dlp --input image=DIR/image.npy (docs/models.md).

The formula (keep in step with FormulaWeights.swift):
  seed(name)  = FNV-1a 32-bit hash of the tensor's UTF-8 name
  u(name, i)  = fmix32((i * 0x9E3779B1 + seed(name)) mod 2^32) / 2^32, in [0, 1), where i is
                the row-major element index and fmix32 is MurmurHash3's 32-bit finalizer
  s(name, i)  = 2 u(name, i) - 1, in [-1, 1)
  *.weight of a convolution or of fc (rank >= 2): sqrt(6 / fan_in) * s, fan_in = elements / shape[0]
                (uniform with variance 2 / fan_in, He's scale)
  fc.bias:            0.01 * s
  bn*.weight:         0.6 + 0.4 * u    (downsample.1.weight too; last bn of a block: 0.4 + 0.4 u)
  bn*.bias:           0.1 * s
  bn*.running_mean:   0.1 * s
  bn*.running_var:    1 + 0.5 * u       (positive)
  image[n, c, y, x]:  sin(0.05 (n+1) y + 0.03 (c+1) x + n) + 0.5 s("image", i), i the row-major
                      index in the [2, 3, 224, 224] batch (a different wave per image, plus noise)
The last batch norm of each residual branch (bn2 of a basic block, bn3 of a bottleneck) gets the
smaller scale so that activations stay O(1) through the 8 or 16 residual additions (each
stage's output has a standard deviation between 0.5 and 0.75; the logits' is about 1).
"""
import argparse
import json
import pathlib

import numpy as np
import torch
import torchvision

MASK = 0xFFFFFFFF


def seed(name):
    h = 0x811C9DC5
    for b in name.encode("utf-8"):
        h = ((h ^ b) * 0x01000193) & MASK
    return h


def uniform(name, count):
    h = (np.arange(count, dtype=np.uint64) * np.uint64(0x9E3779B1) + np.uint64(seed(name))) & np.uint64(MASK)
    h ^= h >> np.uint64(16)
    h = (h * np.uint64(0x85EBCA6B)) & np.uint64(MASK)
    h ^= h >> np.uint64(13)
    h = (h * np.uint64(0xC2B2AE35)) & np.uint64(MASK)
    h ^= h >> np.uint64(16)
    return h.astype(np.float64) / 2.0**32


def is_last_bn(name, depth):
    last = "bn2" if depth < 50 else "bn3"
    return name.startswith("layer") and name.rsplit(".", 2)[-2] == last


def formula(name, shape, depth):
    n = int(np.prod(shape))
    u = uniform(name, n)
    s = 2 * u - 1
    leaf = name.rsplit(".", 1)[-1]
    if leaf == "weight" and len(shape) >= 2:
        v = np.sqrt(6.0 / (n // shape[0])) * s
    elif leaf == "weight":
        v = 0.4 + 0.4 * u if is_last_bn(name, depth) else 0.6 + 0.4 * u
    elif leaf == "bias" and name.startswith("fc."):
        v = 0.01 * s
    elif leaf in ("bias", "running_mean"):
        v = 0.1 * s
    elif leaf == "running_var":
        v = 1 + 0.5 * u
    else:
        raise ValueError(f"no formula for {name}")
    return v.astype(np.float32).reshape(shape)


def formula_image():
    n, c, y, x = np.meshgrid(np.arange(2), np.arange(3), np.arange(224), np.arange(224), indexing="ij")
    noise = 2 * uniform("image", 2 * 3 * 224 * 224).reshape(2, 3, 224, 224) - 1
    return (np.sin(0.05 * (n + 1) * y + 0.03 * (c + 1) * x + n) + 0.5 * noise).astype(np.float32)


def reference(depth, files):
    model = getattr(torchvision.models, f"resnet{depth}")().eval()
    state = {k: torch.from_numpy(formula(k, tuple(v.shape), depth))
             for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    model.load_state_dict(state, strict=False)
    if files:
        from safetensors.torch import save_file
        save_file(model.state_dict(), str(files / f"resnet{depth}.safetensors"))
        np.save(files / "image.npy", formula_image())
    image = torch.from_numpy(formula_image())
    with torch.no_grad():
        logits = model(image).double().numpy()
        exact = model.double()(image.double()).numpy()  # the same weights in f64: torch's own f32 error
    return {
        "model": f"torchvision {torchvision.__version__} resnet{depth}, eval mode, torch {torch.__version__}",
        "parameters": sum(p.numel() for p in model.parameters()),
        "input_sum": float(image.double().sum()),
        "logits_max_abs": float(np.abs(logits).max()),
        "logits_std": float(logits.std()),
        "f32_vs_f64_max_abs": float(np.abs(logits - exact).max()),
        "argmax": [int(i) for i in logits.argmax(axis=1)],
        "logits": [[float(f"{v:.9g}") for v in row] for row in logits],
    }


parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--files", type=pathlib.Path, help="also write formula-filled .safetensors files and image.npy here")
args = parser.parse_args()
if args.files:
    args.files.mkdir(parents=True, exist_ok=True)
torch.set_num_threads(2)
out_dir = pathlib.Path(__file__).resolve().parent.parent / "Tests/DLCCPUTests/Fixtures"
out_dir.mkdir(exist_ok=True)
for depth in (18, 50):
    ref = reference(depth, args.files)
    path = out_dir / f"resnet{depth}_reference.json"
    path.write_text(json.dumps(ref) + "\n")
    print(f"wrote {path}: {ref['parameters']} parameters, logits max |v| {ref['logits_max_abs']:.4f}, "
          f"std {ref['logits_std']:.4f}, argmax {ref['argmax']}, torch f32 vs f64 {ref['f32_vs_f64_max_abs']:.3g}")
