#!/usr/bin/env python3
"""Makes attention.json: PyTorch's nn.MultiheadAttention and nn.TransformerEncoderLayer
(batch_first=True, dropout=0) on small cases (E=16, H=4, T=5, N=2), in float64: the inputs,
every parameter, the output, and the gradient of every parameter (and of the input) for
the loss sum(output * R) with a fixed R. The weights are stored, so the test needs no
generator of its own. Run with the peers' venv:

    /root/.cache/dlc-peers/venv/bin/python Tests/DLCAttentionTests/Fixtures/make_fixtures.py
"""
import json
import os

import torch
from torch import nn

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
N, T, S, E, H, FF = 2, 5, 7, 16, 4, 32


def flat(t):
    return {"shape": list(t.shape), "data": [round(float(v), 17) for v in t.detach().reshape(-1)]}


def randomize(module):
    # Non-trivial values everywhere (PyTorch zero-initializes some biases and the norms).
    with torch.no_grad():
        for _, p in module.named_parameters():
            p.copy_(torch.randn_like(p) * 0.3)


def case(name, module, call, inputs):
    randomize(module)
    for t in inputs.values():
        t.requires_grad_(True)
    out = call(module, inputs)
    r = torch.randn_like(out)
    (out * r).sum().backward()
    return {
        "name": name,
        "inputs": {k: flat(v) for k, v in inputs.items()},
        "params": {k: flat(p) for k, p in module.named_parameters()},
        "r": flat(r),
        "output": flat(out),
        "grads": {k: flat(p.grad) for k, p in module.named_parameters()},
        "input_grads": {k: flat(v.grad) for k, v in inputs.items()},
    }


cases = []
mha = nn.MultiheadAttention(E, H, batch_first=True)
cases.append(case("mha_self", mha, lambda m, i: m(i["x"], i["x"], i["x"], need_weights=False)[0],
                  {"x": torch.randn(N, T, E)}))
mha = nn.MultiheadAttention(E, H, batch_first=True)
cases.append(case("mha_cross", mha, lambda m, i: m(i["x"], i["context"], i["context"], need_weights=False)[0],
                  {"x": torch.randn(N, T, E), "context": torch.randn(N, S, E)}))
mha = nn.MultiheadAttention(E, H, batch_first=True)
pad = torch.tensor([[False] * T, [False] * (T - 2) + [True] * 2])
causal = torch.triu(torch.full((T, T), float("-inf")), diagonal=1)
c = case("mha_causal_padded", mha,
         lambda m, i: m(i["x"], i["x"], i["x"], key_padding_mask=pad, attn_mask=causal, need_weights=False)[0],
         {"x": torch.randn(N, T, E)})
c["padding_mask"] = [[1.0 if v else 0.0 for v in row] for row in pad.tolist()]
cases.append(c)
for norm_first, act in [(False, "relu"), (True, "gelu")]:
    layer = nn.TransformerEncoderLayer(E, H, FF, dropout=0.0, activation=act, batch_first=True, norm_first=norm_first)
    c = case(f"encoder_{'pre' if norm_first else 'post'}_{act}", layer, lambda m, i: m(i["x"]), {"x": torch.randn(N, T, E)})
    c["norm_first"], c["activation"] = norm_first, act
    cases.append(c)

out = {"N": N, "T": T, "S": S, "E": E, "H": H, "FF": FF, "torch": torch.__version__, "cases": cases}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "attention.json")
with open(path, "w") as f:
    json.dump(out, f)
print(path, os.path.getsize(path))
