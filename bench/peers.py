#!/usr/bin/python3
"""peers.py: the scikit-learn side of heft's benchmarks (docs/benchmarks.md).

    peers.py readtime FILE [--reps R]
        Times sklearn.datasets.load_svmlight_file (a Cython libsvm reader)
        on FILE, after reading it once to warm the page cache. Prints
        "bytes=B rows=N nnz=Z reps=R median_s=S mb_s=M rows_s=Q".

    peers.py auc LABELS PRED
        ROC AUC of the predictions in PRED against the labels of the libsvm
        file LABELS (first field of each line; label > 0 is positive).
        PRED is liblinear-predict -b 1 output ("labels ..." header, then
        "LABEL P(first) P(second)"; the probability of label 1 is taken) or
        heft's prediction file (one probability per line, optionally after a
        header; the last field of a line is the probability).

    peers.py lr TRAIN TEST [--n-features N] [--seed S]
        scikit-learn LogisticRegression (L2, solver liblinear, intercept)
        on libsvm files (buckets absent from TRAIN are dropped, which
        leaves the fit unchanged). C is chosen from a small grid by AUC on a random
        20% validation part of TRAIN, then the model is refitted on all of
        TRAIN and scored on TEST. Prints one JSON object.

Run it with /usr/bin/python3 (the one with numpy and scikit-learn).
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
from sklearn.datasets import load_svmlight_file
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

C_GRID = (0.03, 0.1, 0.3, 1.0, 3.0)


def warm(path):
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


def cmd_readtime(a):
    warm(a.file)
    secs = []
    for _ in range(a.reps):
        t0 = time.perf_counter()
        x, y = load_svmlight_file(a.file, dtype=np.float32,
                                  zero_based=False)
        secs.append(time.perf_counter() - t0)
        rows, nnz = x.shape[0], x.nnz
        del x, y
    med = statistics.median(secs)
    size = os.path.getsize(a.file)
    print("bytes=%d rows=%d nnz=%d reps=%d median_s=%.4f mb_s=%.1f rows_s=%.0f"
          % (size, rows, nnz, a.reps, med, size / 1e6 / med, rows / med))


def svm_labels(path):
    with open(path, "rb") as f:
        return np.array([float(line.split(None, 1)[0]) > 0 for line in f
                         if line.strip()], dtype=np.int8)


def read_pred(path):
    with open(path) as f:
        lines = [l.split() for l in f if l.strip()]
    if lines and lines[0][0] == "labels":
        col = 1 + lines[0][1:].index("1")
        return np.array([float(l[col]) for l in lines[1:]])
    out = []
    for i, l in enumerate(lines):
        try:
            out.append(float(l[-1].split(",")[-1]))
        except ValueError:
            if i == 0:
                continue  # a header line
            raise
    return np.array(out)


def cmd_auc(a):
    y = svm_labels(a.labels)
    p = read_pred(a.pred)
    if len(y) != len(p):
        sys.exit("peers.py auc: %d labels but %d predictions"
                 % (len(y), len(p)))
    print("%.6f" % roc_auc_score(y, p))


def fit_auc(xtr, ytr, xte, yte, c):
    m = LogisticRegression(C=c, solver="liblinear", max_iter=1000)
    m.fit(xtr, ytr)
    return roc_auc_score(yte, m.decision_function(xte))


def cmd_lr(a):
    t0 = time.perf_counter()
    xtr, ytr = load_svmlight_file(a.train, n_features=a.n_features,
                                  dtype=np.float64, zero_based=False)
    xte, yte = load_svmlight_file(a.test, n_features=a.n_features,
                                  dtype=np.float64, zero_based=False)
    ytr, yte = (ytr > 0).astype(int), (yte > 0).astype(int)
    # Keep only the buckets that occur in TRAIN: an L2-regularised weight
    # of a feature that never occurs stays 0, so the fit is the same, and
    # the solver no longer sweeps 2^20-long vectors in every iteration.
    cols = np.unique(xtr.indices)
    xtr, xte = xtr[:, cols], xte[:, cols]
    rng = np.random.RandomState(a.seed)
    valid = rng.rand(xtr.shape[0]) < 0.2
    grid = {}
    for c in C_GRID:
        grid[c] = fit_auc(xtr[~valid], ytr[~valid], xtr[valid], ytr[valid], c)
    best = max(C_GRID, key=lambda c: grid[c])
    auc = fit_auc(xtr, ytr, xte, yte, best)
    auc_c1 = auc if best == 1.0 else fit_auc(xtr, ytr, xte, yte, 1.0)
    print(json.dumps({
        "train_rows": int(xtr.shape[0]), "test_rows": int(xte.shape[0]),
        "C": best, "valid_auc": {str(c): round(v, 6) for c, v in grid.items()},
        "test_auc": round(auc, 6), "test_auc_C1": round(auc_c1, 6),
        "seconds": round(time.perf_counter() - t0, 2)}))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("readtime")
    r.add_argument("file")
    r.add_argument("--reps", type=int, default=3)
    r = sub.add_parser("auc")
    r.add_argument("labels")
    r.add_argument("pred")
    r = sub.add_parser("lr")
    r.add_argument("train")
    r.add_argument("test")
    r.add_argument("--n-features", type=int, default=1 << 20)
    r.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    {"readtime": cmd_readtime, "auc": cmd_auc, "lr": cmd_lr}[a.cmd](a)


if __name__ == "__main__":
    main()
