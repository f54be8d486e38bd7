"""Fixtures of TorchParityTests: one training step of models/mlp.dlg and models/lenet5.dlg in PyTorch.

For fixed weights and a fixed batch of 8 it records the loss, the softmax probabilities, every
parameter's gradient, and every parameter after one SGD step (lr 0.01, momentum 0.9) and after one
Adam step (lr 1e-3, PyTorch's defaults), in `torch_parity_<model>.json` next to this script.
The Swift test regenerates the same weights and batch from the generator described below (nothing
large is stored) and compares dlc's CPU back end against these numbers.

Re-create the fixtures (from the repository root):

    python3 -m venv /root/.cache/dlc-peers/venv
    /root/.cache/dlc-peers/venv/bin/pip install torch numpy
    /root/.cache/dlc-peers/venv/bin/python Tests/DLCTrainingTests/Fixtures/make_torch_parity.py

The generator (the Swift test has the same function, `TorchParityTests.generate`): element i
(row-major, 0-based) of a tensor with seed s and bound b is

    z = (s * 2^32 + i + 1) * 0x9E3779B97F4A7C15      (all arithmetic mod 2^64: SplitMix64)
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB
    z =  z ^ (z >> 31)
    u = (z >> 40) / 2^24                              (exact, in [0, 1))
    value = float32(b * (2u - 1))                      (the product in float64, rounded once)

Parameters: seed = position in the model's parameter list (1, 2, ...), bound = 1/sqrt(fan_in) of
the layer (PyTorch's default initialization range; fan_in = in_features, or C_in*kh*kw), the
same bound for its bias. Inputs: seed 1000, bound 1. Labels: i % 10.

Per stored tensor: its shape, float64 statistics of its float32 values (sum, sum of |x|, sum of
squares, max |x|), and either all elements (up to 1024) or a fixed strided sample: every
(numel // 256 + 1)-th element from 0, plus the position of max |x|, with their flat indices.
Parameter layouts are PyTorch's: dense weight [out, in], conv weight [out, in, kh, kw]; flatten is
row-major over [C, H, W]; cross_entropy is the mean over the batch.
"""
import json, math, os, sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

BATCH = 8
HERE = os.path.dirname(os.path.abspath(__file__))
M64 = (1 << 64) - 1


def generate(shape, seed, bound):
    n = int(np.prod(shape))
    with np.errstate(over="ignore"):
        i = np.arange(n, dtype=np.uint64)
        z = (np.uint64(seed) << np.uint64(32)) + i + np.uint64(1)
        z = z * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    u = (z >> np.uint64(40)).astype(np.float64) / float(1 << 24)
    return (bound * (2.0 * u - 1.0)).astype(np.float32).reshape(shape)


def generate_scalar(seed, i):  # the same, one element with Python integers: a check of the vector form
    z = ((seed << 32) + i + 1) * 0x9E3779B97F4A7C15 & M64
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9 & M64
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB & M64
    z ^= z >> 31
    return (z >> 40) / float(1 << 24)


class MLP(nn.Module):  # models/mlp.dlg
    names = ["fc1", "fc2", "logits"]

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.logits = nn.Linear(784, 256), nn.Linear(256, 128), nn.Linear(128, 10)

    def forward(self, x):
        return self.logits(F.relu(self.fc2(F.relu(self.fc1(x)))))


class LeNet5(nn.Module):  # models/lenet5.dlg
    names = ["c1", "c2", "fc1", "fc2", "logits"]

    def __init__(self):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(1, 6, 5, padding=2), nn.Conv2d(6, 16, 5)
        self.fc1, self.fc2, self.logits = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2).flatten(1)
        return self.logits(F.relu(self.fc2(F.relu(self.fc1(x)))))


def parameter_specs(model):
    """(dlc name, layer, attribute, seed, bound) in the model's parameter order."""
    specs, seed = [], 1
    for layer in model.names:
        m = getattr(model, layer)
        fan_in = int(np.prod(m.weight.shape[1:]))
        for attr in ("weight", "bias"):
            specs.append((f"{layer}.{attr}", layer, attr, seed, 1.0 / math.sqrt(fan_in)))
            seed += 1
    return specs


def record(a):
    a = np.asarray(a, dtype=np.float32)
    flat = a.reshape(-1).astype(np.float64)
    out = {"shape": list(a.shape), "sum": float(flat.sum()), "abs_sum": float(np.abs(flat).sum()),
           "sum_sq": float((flat * flat).sum()), "max_abs": float(np.abs(flat).max())}
    if flat.size <= 1024:
        idx = list(range(flat.size))
    else:
        idx = sorted(set(range(0, flat.size, flat.size // 256 + 1)) | {int(np.abs(flat).argmax())})
    out["indices"] = idx
    out["values"] = [float(str(np.float32(flat[i]))) for i in idx]  # shortest decimal of the float32 value
    return out


def dump(fixture):
    """JSON with one line per top-level key and per stored tensor (readable diffs, small files)."""
    compact = lambda v: json.dumps(v, separators=(",", ":"), sort_keys=True)
    lines = []
    for key in sorted(fixture):
        if key == "tensors":
            inner = [f' {json.dumps(k)}:{compact(v)}' for k, v in sorted(fixture[key].items())]
            lines.append(f'"tensors":{{\n' + ",\n".join(inner) + "\n}")
        else:
            lines.append(f"{json.dumps(key)}:{compact(fixture[key])}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def build(cls, dtype, specs_out=None):
    torch.manual_seed(0)
    model = cls()
    specs = parameter_specs(model)
    with torch.no_grad():
        for name, layer, attr, seed, bound in specs:
            p = getattr(getattr(model, layer), attr)
            p.copy_(torch.from_numpy(generate(tuple(p.shape), seed, bound)))
    if specs_out is not None:
        specs_out.extend(specs)
    return model.to(dtype)


def run(cls, input_shape, dtype):
    """Loss, probabilities, gradients, parameters after one SGD-momentum and after one Adam step."""
    x = torch.from_numpy(generate((BATCH,) + input_shape, 1000, 1.0)).to(dtype)
    y = torch.tensor([i % 10 for i in range(BATCH)], dtype=torch.int64)
    result = {}
    for opt_name in ("sgd", "adam"):
        specs = []
        model = build(cls, dtype, specs)
        params = {name: getattr(getattr(model, layer), attr) for name, layer, attr, _, _ in specs}
        if opt_name == "sgd":
            opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        else:
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        opt.zero_grad(set_to_none=True)
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        result["loss"] = loss.item()
        result["probs"] = torch.softmax(logits, dim=1).detach().double().numpy()
        for name, p in params.items():
            result[f"grad.{name}"] = p.grad.detach().double().numpy()
        opt.step()
        for name, p in params.items():
            result[f"{opt_name}.{name}"] = p.detach().double().numpy()
        result["specs"] = specs
    result["input"] = x.double().numpy()
    return result


def main():
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    assert all(abs(generate((40,), 7, 1.0)[i] - np.float32(2 * generate_scalar(7, i) - 1)) == 0 for i in range(40))
    total = 0
    for model_file, cls, input_name, input_shape in (("models/mlp.dlg", MLP, "x", (784,)),
                                                     ("models/lenet5.dlg", LeNet5, "image", (1, 28, 28))):
        r32 = run(cls, input_shape, torch.float32)
        r64 = run(cls, input_shape, torch.float64)  # only to report PyTorch's own float32 rounding
        noise = {}
        for key, v in r32.items():
            if key in ("specs", "loss", "input"):
                continue
            d = np.abs(v - r64[key]).max() / max(np.abs(r64[key]).max(), 1e-30)
            noise[key] = d
        print(f"{model_file}: loss {r32['loss']:.9g} (float64 {r64['loss']:.9g}); float32 vs float64 in PyTorch, "
              f"max |difference| / max |value|: " + ", ".join(f"{k} {v:.2e}" for k, v in sorted(noise.items())
                                                                 if k.startswith("grad.")))
        fixture = {
            "model": model_file, "batch": BATCH, "labels": [i % 10 for i in range(BATCH)],
            "input": {"name": input_name, "seed": 1000, "bound": 1.0, "shape": [BATCH, *input_shape]},
            "parameters": [{"name": n, "seed": s, "bound": b} for n, _, _, s, b in r32["specs"]],
            "sgd": {"lr": 0.01, "momentum": 0.9}, "adam": {"lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-8},
            "torch": torch.__version__,
            "loss": r32["loss"],
            "tensors": {k: record(v) for k, v in r32.items() if k not in ("specs", "loss")},
        }
        for n, layer, attr, s, b in r32["specs"]:
            fixture["tensors"][f"init.{n}"] = record(generate(tuple(r32[f"grad.{n}"].shape), s, b))
        path = os.path.join(HERE, f"torch_parity_{os.path.splitext(os.path.basename(model_file))[0]}.json")
        text = dump(fixture)
        with open(path, "w") as f:
            f.write(text)
        total += len(text)
        print(f"wrote {os.path.relpath(path)} ({len(text)} bytes)")
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
