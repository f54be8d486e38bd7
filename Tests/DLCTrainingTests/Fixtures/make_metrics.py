"""Writes metrics_sklearn.json: fixed inputs and scikit-learn's values for every metric
of Sources/DLCExperiment/Metrics*.swift (checked by MetricsTests).

    /root/.cache/dlc-peers/venv/bin/pip install scikit-learn
    /root/.cache/dlc-peers/venv/bin/python Tests/DLCTrainingTests/Fixtures/make_metrics.py
"""
import json
import os

import numpy as np
import sklearn
from sklearn import metrics

rng = np.random.default_rng(1234)


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def classification(name, n, c, noise, absent=None):
    y = rng.integers(0, c, n)
    logits = rng.normal(0, noise, (n, c))
    logits[np.arange(n), y] += 1.0
    if absent is not None:  # a class never predicted: zero precision denominators
        logits[:, absent] -= 100
    probs = softmax(logits)
    # Ties in the scores, so the ROC curves have points shared by several examples.
    probs = np.round(probs, 2)
    probs = probs / probs.sum(axis=1, keepdims=True)
    pred = probs.argmax(axis=1)
    labels = list(range(c))
    p, r, f, s = metrics.precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    case = {
        "name": name, "classes": c, "labels": y.tolist(), "probs": probs.tolist(),
        "accuracy": metrics.accuracy_score(y, pred),
        "confusion": metrics.confusion_matrix(y, pred, labels=labels).tolist(),
        "precision": p.tolist(), "recall": r.tolist(), "f1": f.tolist(), "support": s.tolist(),
        "log_loss": metrics.log_loss(y, probs, labels=labels),
    }
    for avg in ["macro", "micro"]:
        case[avg] = {
            "precision": metrics.precision_score(y, pred, labels=labels, average=avg, zero_division=0),
            "recall": metrics.recall_score(y, pred, labels=labels, average=avg, zero_division=0),
            "f1": metrics.f1_score(y, pred, labels=labels, average=avg, zero_division=0),
        }
    if c == 2:
        case["auc"] = metrics.roc_auc_score(y, probs[:, 1])
        fpr, tpr, thr = metrics.roc_curve(y, probs[:, 1])
        case["roc"] = [{"class": 1, "fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": thr[1:].tolist()}]
    else:
        case["auc"] = metrics.roc_auc_score(y, probs, multi_class="ovr", labels=labels)
        case["roc"] = []
        for k in range(c):
            fpr, tpr, thr = metrics.roc_curve(y == k, probs[:, k])
            case["roc"].append({"class": k, "fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": thr[1:].tolist(),
                                "auc": metrics.roc_auc_score(y == k, probs[:, k])})
    return case


def regression(name, n, scale, constant=False):
    y = np.full(n, 3.0) if constant else rng.normal(0, scale, n)
    p = y + rng.normal(0, scale / 2, n)
    return {"name": name, "y": y.tolist(), "p": p.tolist(),
            "mse": metrics.mean_squared_error(y, p), "mae": metrics.mean_absolute_error(y, p),
            "r2": metrics.r2_score(y, p)}


fixture = {
    "sklearn": sklearn.__version__,
    "classification": [
        classification("binary", 60, 2, 1.0),
        classification("three classes", 90, 3, 1.2),
        classification("five classes, one never predicted", 120, 5, 0.8, absent=4),
    ],
    "regression": [regression("noisy", 50, 2.0), regression("constant targets", 20, 1.0, constant=True)],
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metrics_sklearn.json")
with open(path, "w") as f:
    json.dump(fixture, f, indent=None, separators=(",", ":"))
    f.write("\n")
print("wrote", path)
