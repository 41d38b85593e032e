"""cleanlab_equiv.py: an equivalent re-implementation, in numpy, of the
defaults of cleanlab's label-issue finder, for heft's noise benchmark.

cleanlab (https://github.com/cleanlab/cleanlab, AGPL-3.0) cannot be
installed on the benchmark machine (no PyPI), so this file re-implements,
from the published algorithm (Northcutt, Jiang & Chuang, "Confident
Learning: Estimating Uncertainty in Dataset Labels", JAIR 70, 2021) and
cleanlab 2.x's documented defaults, what

    cleanlab.filter.find_label_issues(labels, pred_probs)
        # filter_by='prune_by_noise_rate', frac_noise=1.0,
        # min_examples_per_class=1, multi_label=False
    cleanlab.rank.get_label_quality_scores(labels, pred_probs)
        # method='self_confidence', adjust_pred_probs=False

return. No cleanlab code is copied; the steps follow the paper and the
library's documentation:

1. Per-class thresholds t_j = mean of p_j over the rows labelled j.
2. Confident joint C[given][true]: a row counts for the true class j when
   p_j >= t_j (the argmax of p among several such classes); rows with no
   confident class are left out; empty diagonal cells are set to 1.
3. Calibration: each row of C rescaled to the given-label counts, the
   whole to n, then rounded keeping row totals.
4. Prune by noise rate: with at least min_examples_per_class kept on the
   diagonal, for each given class k and true class j != k, flag the
   C[k][j] rows labelled k with the largest margin p_j - p_k.
5. A flagged row whose given label is the argmax of p is unflagged.

Label quality (self-confidence) is p_{given label}.
"""
import numpy as np


def _round_preserving_sum(x):
    """Rounds x to integers whose sum is round(sum(x)), changing the entries
    with the largest rounding losses first (as cleanlab's helper of the same
    purpose)."""
    x = np.asarray(x, dtype=float)
    ints = np.round(x)
    target = np.round(x.sum())
    while abs(ints.sum() - target) > 1e-6:
        diff = target - ints.sum()
        inc = -1 if diff < 0 else 1
        changes = min(int(abs(np.round(diff))), len(x))
        for i in np.argsort(x - ints)[::-1][:changes]:
            ints[i] += inc
    return ints.astype(int)


def _round_rows(m):
    return np.vstack([_round_preserving_sum(r) for r in m])


def confident_joint(labels, pred_probs):
    """The calibrated confident joint C[given][true] (K, K) of integers,
    and the per-class thresholds (K,)."""
    labels = np.asarray(labels, dtype=int)
    n, k = pred_probs.shape
    counts = np.bincount(labels, minlength=k).astype(float)
    thresholds = np.array([pred_probs[labels == j, j].mean()
                           if counts[j] else np.inf for j in range(k)])
    confident = pred_probs >= thresholds - 1e-6
    n_conf = confident.sum(axis=1)
    guess = np.where(n_conf > 1, pred_probs.argmax(axis=1),
                     confident.argmax(axis=1))
    keep = n_conf > 0
    cj = np.zeros((k, k), dtype=float)
    np.add.at(cj, (labels[keep], guess[keep]), 1)
    np.fill_diagonal(cj, np.maximum(np.diag(cj), 1))
    # Calibrate: rows to the given-label counts, then the total to n.
    cal = cj / np.maximum(cj.sum(axis=1, keepdims=True), 1e-12) * counts[:, None]
    cal = cal / max(cal.sum(), 1e-12) * counts.sum()
    return _round_rows(cal), thresholds


def _keep_at_least_n_per_class(pcm, n_min):
    """pcm[true][given]: raises the diagonal to n_min, taking the increase
    out of the nonzero noise cells of the column evenly."""
    pcm = pcm.astype(float)
    diag = np.diag(pcm).copy()
    new_diag = np.maximum(diag, n_min)
    diff = new_diag - diag
    per_col = np.maximum(np.count_nonzero(pcm, axis=0) - 1.0, 1.0)
    new = pcm - diff / per_col
    new[new < 0] = 0
    np.fill_diagonal(new, new_diag)
    return _round_rows(new).astype(int)


def find_label_issues(labels, pred_probs, min_examples_per_class=1):
    """Boolean mask (n,) of likely label errors (prune_by_noise_rate)."""
    labels = np.asarray(labels, dtype=int)
    n, k = pred_probs.shape
    cj, _ = confident_joint(labels, pred_probs)
    pcm = _keep_at_least_n_per_class(cj.T, min_examples_per_class)
    mask = np.zeros(n, dtype=bool)
    for given in range(k):
        idx = np.flatnonzero(labels == given)
        if idx.size == 0:
            continue
        for true in range(k):
            m = int(pcm[true][given]) if true != given else 0
            if m <= 0:
                continue
            margin = pred_probs[idx, true] - pred_probs[idx, given]
            # Stable sort so equal margins break ties by row order.
            order = np.argsort(margin, kind="stable")
            mask[idx[order[-m:]]] = True
    mask[pred_probs.argmax(axis=1) == labels] = False
    return mask


def label_quality_scores(labels, pred_probs):
    """Self-confidence p_{given label} (n,): low = likely mislabelled."""
    labels = np.asarray(labels, dtype=int)
    return pred_probs[np.arange(len(labels)), labels]


def _self_test():
    """A hand-checked case: 10 rows, 2 classes."""
    y = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1])
    p1 = np.array([.1, .2, .1, .3, .9, .2, .8, .9, .7, .2])
    pp = np.column_stack([1 - p1, p1])
    cj, t = confident_joint(y, pp)
    # t0 = mean(p0 | y=0) = mean(.9 .8 .9 .7 .1 .8) = 0.7; t1 = 0.65.
    assert np.allclose(t, [0.7, 0.65]), t
    # Given 0: rows 0-3, 5 are confidently 0, row 4 confidently 1.
    # Given 1: rows 6-8 confidently 1, row 9 confidently 0.
    assert (cj == np.array([[5, 1], [1, 3]])).all(), cj
    mask = find_label_issues(y, pp)
    assert list(np.flatnonzero(mask)) == [4, 9], mask
    print("cleanlab_equiv self-test passed")


if __name__ == "__main__":
    _self_test()
