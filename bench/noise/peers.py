#!/usr/bin/python3
"""peers.py: the scikit-learn peers of `heft bench noise`, on exactly the
rows, hashed features and flipped labels that heft scored.

    peers.py DUMP_DIR [--bags B] [--folds K] [--C C] [--jobs J] [--json]

DUMP_DIR is what `heft bench noise ... --dump-dir DUMP_DIR` wrote: one
folder seed-S per seed with train.svm (hashed features, index = bucket + 1,
the noisy labels) and flipped.txt (0-based rows whose label was flipped).
For each seed, each peer values every training row (low = suspicious), and
the script reports, like heft, F1@k of the k lowest-valued rows against the
flipped set (k = number flipped; a tie across the cut counts at its
expected share), AUROC of the negated value as a detector (ties half), and
the wall time, then the means over the seeds. The peers, all on
sklearn.linear_model.LogisticRegression (L2, C=1, solver liblinear, with
intercept) over the hashed one-hot features:

  selfconf      in-sample self-confidence: P(given label) of one model fit
                on all training rows.
  cleanlab      cleanlab's find_label_issues / label quality on K-fold
                (stratified, shuffled by the seed) out-of-fold
                probabilities, by the numpy re-implementation in
                cleanlab_equiv.py (cleanlab itself is not installable
                here). Ranked by label quality (self-confidence of the
                out-of-fold probabilities); "cleanlab-issues" ranks the
                flagged rows first, then the rest by label quality.
  data-oob      Data-OOB (Kwon & Zou 2023): B bootstrap models; a row's
                value is the mean over the bags that leave it out of
                1[predicted label == given label] (threshold 0.5). Rows
                never out of bag get the mean value. "data-oob-soft" uses
                P(given label) instead of the 0/1 correctness.

Times include fitting the models (the K folds and B bags run on --jobs
processes, as heft's run on its threads). Run with /usr/bin/python3 (numpy,
scipy, scikit-learn).
"""
import argparse
import glob
import json
import os
import sys
import time

import numpy as np
from joblib import Parallel, delayed
from sklearn.datasets import load_svmlight_file
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cleanlab_equiv  # noqa: E402


def f1_at_k(value, flipped, k):
    """Hits among the k lowest values / k, a tie across the cut counted at
    its expected share (heft's definition, cmd_bench.c)."""
    v = np.where(np.isnan(value), np.inf, value)
    order = np.argsort(v, kind="stable")
    vs = v[order]
    cut = vs[k - 1]
    less = vs < cut
    eq = vs == cut
    hits = flipped[order][less].sum()
    n_eq, take = eq.sum(), k - less.sum()
    hits += flipped[order][eq].sum() * take / n_eq
    return float(hits) / k


def auroc(value, flipped):
    v = np.where(np.isnan(value), np.inf, value)
    return float(roc_auc_score(flipped, -v))


def make_lr(c):
    return LogisticRegression(C=c, solver="liblinear")


def peer_selfconf(x, y, a, seed):
    m = make_lr(a.C).fit(x, y)
    p = m.predict_proba(x)[:, 1]
    return {"selfconf": np.where(y == 1, p, 1 - p)}


def peer_cleanlab(x, y, a, seed):
    cv = StratifiedKFold(n_splits=a.folds, shuffle=True, random_state=seed)
    p = cross_val_predict(make_lr(a.C), x, y, cv=cv, method="predict_proba",
                          n_jobs=a.jobs)
    quality = cleanlab_equiv.label_quality_scores(y, p)
    issues = cleanlab_equiv.find_label_issues(y, p)
    # Flagged rows first (value below every quality), then by quality.
    return {"cleanlab": quality,
            "cleanlab-issues": np.where(issues, quality - 2.0, quality)}


def _oob_bag(x, y, n, c, seed, b):
    rng = np.random.default_rng([seed, b])
    idx = rng.integers(0, n, n)
    out = np.ones(n, dtype=bool)
    out[idx] = False
    if len(np.unique(y[idx])) < 2:
        return None
    m = make_lr(c).fit(x[idx], y[idx])
    p = m.predict_proba(x[out])[:, 1]
    return out, p


def peer_data_oob(x, y, a, seed):
    n = x.shape[0]
    bags = Parallel(n_jobs=a.jobs)(
        delayed(_oob_bag)(x, y, n, a.C, seed, b) for b in range(a.bags))
    hard = np.zeros(n)
    soft = np.zeros(n)
    cnt = np.zeros(n)
    for r in bags:
        if r is None:
            continue
        out, p = r
        yo = y[out]
        hard[out] += (p >= 0.5) == (yo == 1)
        soft[out] += np.where(yo == 1, p, 1 - p)
        cnt[out] += 1
    seen = cnt > 0
    hard[seen] /= cnt[seen]
    soft[seen] /= cnt[seen]
    hard[~seen] = hard[seen].mean()
    soft[~seen] = soft[seen].mean()
    return {"data-oob": hard, "data-oob-soft": soft}


PEERS = (("selfconf", peer_selfconf), ("cleanlab", peer_cleanlab),
         ("data-oob", peer_data_oob))


def run_seed(path, a):
    seed = int(os.path.basename(path).split("-", 1)[1])
    x, y = load_svmlight_file(os.path.join(path, "train.svm"),
                              zero_based=False, dtype=np.float64)
    # Buckets no training row uses are dropped: their L2-regularised
    # weights are 0 either way, and liblinear slows down on 2^20 columns.
    x = x.tocsc()[:, np.unique(x.indices)].tocsr()
    y = (y > 0).astype(int)
    flipped = np.zeros(len(y), dtype=bool)
    rows = np.loadtxt(os.path.join(path, "flipped.txt"), dtype=np.int64,
                      ndmin=1)
    flipped[rows] = True
    k = int(flipped.sum())
    res = {}
    for name, fn in PEERS:
        t0 = time.perf_counter()
        cols = fn(x, y, a, seed)
        secs = time.perf_counter() - t0
        for col, v in cols.items():
            res[col] = {"f1_at_k": f1_at_k(v, flipped, k),
                        "auroc": auroc(v, flipped), "seconds": secs}
    return seed, len(y), k, res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dump_dir")
    ap.add_argument("--bags", type=int, default=50)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--C", type=float, default=1.0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    dirs = sorted(glob.glob(os.path.join(a.dump_dir, "seed-*")),
                  key=lambda d: int(d.rsplit("-", 1)[1]))
    if not dirs:
        sys.exit("peers.py: no seed-* folders in %s" % a.dump_dir)
    runs = [run_seed(d, a) for d in dirs]
    cols = list(runs[0][3])
    out = {"dump_dir": a.dump_dir, "rows": runs[0][1], "k": runs[0][2],
           "seeds": [r[0] for r in runs], "bags": a.bags, "folds": a.folds,
           "C": a.C, "jobs": a.jobs, "peers": {}}
    for c in cols:
        out["peers"][c] = {m: float(np.mean([r[3][c][m] for r in runs]))
                           for m in ("f1_at_k", "auroc", "seconds")}
    if a.json:
        print(json.dumps(out))
        return
    print("peers on %s: %d rows, %d flipped, seeds %s, B=%d, K=%d"
          % (a.dump_dir, out["rows"], out["k"], out["seeds"], a.bags,
             a.folds))
    print("%-16s %8s %8s %10s" % ("peer", "F1@k", "AUROC", "seconds"))
    for c, v in out["peers"].items():
        print("%-16s %8.4f %8.4f %10.3f" % (c, v["f1_at_k"], v["auroc"],
                                             v["seconds"]))


if __name__ == "__main__":
    main()
