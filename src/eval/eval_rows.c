/*
 * eval_rows.c: the row-level metrics, computed in one sweep over the rows
 * sorted by prediction (definitions and references in docs/metrics.md).
 *
 * With effective weights e_i = w_i m_i (m_i = 1, or a bootstrap draw) and
 * y_i = [label_i > 0]:
 *
 *   AUC = sum_{i pos, j neg} e_i e_j ([p_i > p_j] + 1/2 [p_i = p_j])
 *         / (W+ W-)                            (Mann-Whitney, weighted)
 *   logloss = sum e_i l_i / W,  l_i = -y log q - (1-y) log(1-q),
 *             q = clip(p, 1e-15, 1 - 1e-15)
 *   NE = logloss / H(W+/W),  H(b) = -b log b - (1-b) log(1-b)
 *                                                  (He et al. 2014)
 *   calibration = sum e_i p_i / sum e_i y_i
 *   ECE = sum_b (W_b / W) |mean_b p - mean_b y| = sum_b |sum_b e (p-y)| / W,
 *         bin b = min(floor(B clamp(p, 0, 1)), B-1)
 *                                    (Naeini et al. 2015, Guo et al. 2017)
 *   precision = TP/(TP+FP), recall = TP/W+, F1 = 2TP/(2TP+FP+FN),
 *         predicted positive: p >= threshold
 *
 * Sorted ascending by p, each AUC tie block adds
 *   e(positives in block) * e(negatives below) + 1/2 e(pos) e(neg in block),
 * and every ECE bin and the threshold are contiguous ranges, so one pass
 * computes all of them: O(n) per resample after an O(n) radix sort.
 */
#include "eval.h"

#include <math.h>
#include <stdlib.h>

#define CLIP_EPS 1e-15

void heft__eval_rows_free(heft__eval_rows *r)
{
    if (!r)
        return;
    free(r->p);
    free(r->w);
    free(r->y);
    free(r->ll);
    free(r->bin_end);
    memset(r, 0, sizeof *r);
}

/* ECE bin of prediction p among bins equal-width bins of [0, 1]. It is
 * non-decreasing in p, so bins are runs of the sorted rows. */
static int ece_bin(float p, int bins)
{
    if (!(p > 0.0f))
        return 0;
    if (p >= 1.0f)
        return bins - 1;
    const int b = (int)((double)p * bins);
    return b < bins ? b : bins - 1;
}

/* Fills the sorted columns of r from the permutation a[0..n). */
static void gather_rows(const float *label, const float *pred,
                        const float *weight, const heft__kv *a,
                        heft__eval_rows *r)
{
    for (size_t k = 0; k < r->n; k++) {
        const size_t i = (size_t)a[k].idx;
        float p = pred[i];
        if (p == 0.0f)
            p = 0.0f;
        r->p[k] = p;
        r->w[k] = weight ? weight[i] : 1.0f;
        r->y[k] = label[i] > 0.0f;
        double q = p;
        q = q < CLIP_EPS ? CLIP_EPS : q > 1.0 - CLIP_EPS ? 1.0 - CLIP_EPS : q;
        r->ll[k] = r->y[k] ? -log(q) : -log1p(-q);
    }
}

/* Bin ends and the threshold position over the sorted predictions. */
static void find_cuts(heft__eval_rows *r, double threshold)
{
    int b = 0;
    r->thr_pos = r->n;
    for (size_t k = 0; k < r->n; k++) {
        const int bk = ece_bin(r->p[k], r->bins);
        while (b < bk)
            r->bin_end[b++] = k;
        if (r->thr_pos == r->n && (double)r->p[k] >= threshold)
            r->thr_pos = k;
    }
    while (b < r->bins)
        r->bin_end[b++] = r->n;
}

heft_status heft__eval_rows_build(const float *label, const float *pred,
                                  const float *weight, size_t n,
                                  double threshold, int bins, heft__kv *a,
                                  heft__kv *tmp, heft__eval_rows *r)
{
    memset(r, 0, sizeof *r);
    r->n = n;
    r->bins = bins;
    r->p = heft__malloc(n, sizeof *r->p);
    r->w = heft__malloc(n, sizeof *r->w);
    r->y = heft__malloc(n, sizeof *r->y);
    r->ll = heft__malloc(n, sizeof *r->ll);
    r->bin_end = heft__malloc((size_t)bins, sizeof *r->bin_end);
    if (!r->p || !r->w || !r->y || !r->ll || !r->bin_end) {
        heft__eval_rows_free(r);
        return HEFT_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        a[i] = (heft__kv){heft__float_key(pred[i]), i};
    heft__kv_sort(a, tmp, n);
    gather_rows(label, pred, weight, a, r);
    find_cuts(r, threshold);
    return HEFT_OK;
}

void heft__eval_rows_sweep(const heft__eval_rows *r, const heft__pois *pois,
                           heft__rng *rng, heft__row_sums *s)
{
    double W = 0, wpos = 0, wp = 0, wll = 0, auc = 0, ece = 0, tp = 0,
           fp = 0;
    double bpos = 0, bneg = 0, neg_below = 0, bin_acc = 0;
    size_t bin = 0, bin_end = r->bin_end[0];
    float prev = r->n ? r->p[0] : 0.0f;
    for (size_t k = 0; k < r->n; k++) {
        /* Rows drawn 0 times still pass through with e = 0: skipping them
         * would be a branch on a random draw. */
        const double m = rng ? heft__pois_draw(pois, rng) : 1.0;
        const double e = m * r->w[k];
        const float p = r->p[k];
        if (p != prev) { /* close the tie block of prev */
            auc += bpos * neg_below + 0.5 * bpos * bneg;
            neg_below += bneg;
            bpos = bneg = 0;
            prev = p;
        }
        while (k >= bin_end) { /* close every bin that ended before k */
            ece += fabs(bin_acc);
            bin_acc = 0;
            bin_end = r->bin_end[++bin];
        }
        const int y = r->y[k];
        const double ey = y ? e : 0.0, en = e - ey; /* exact: e or 0 */
        bpos += ey;
        bneg += en;
        wpos += ey;
        if (k >= r->thr_pos) {
            tp += ey;
            fp += en;
        }
        W += e;
        wp += e * p;
        wll += e * r->ll[k];
        bin_acc += e * ((double)p - y);
    }
    auc += bpos * neg_below + 0.5 * bpos * bneg;
    ece += fabs(bin_acc);
    *s = (heft__row_sums){W, wpos, wp, wll, auc, ece, tp, fp};
}

/* Entropy in nats of a Bernoulli(b); 0 at b = 0 or 1. */
static double bernoulli_entropy(double b)
{
    if (!(b > 0.0 && b < 1.0))
        return 0.0;
    return -b * log(b) - (1.0 - b) * log1p(-b);
}

void heft__eval_row_values(const heft__row_sums *s, double *v)
{
    const double wneg = s->w - s->wpos;
    const double fn = s->wpos - s->tp;
    v[HEFT__M_AUC] = s->wpos > 0 && wneg > 0
                         ? s->auc / (s->wpos * wneg) : NAN;
    v[HEFT__M_LOGLOSS] = s->w > 0 ? s->wll / s->w : NAN;
    const double h = s->w > 0 ? bernoulli_entropy(s->wpos / s->w) : 0.0;
    v[HEFT__M_NE] = h > 0 ? v[HEFT__M_LOGLOSS] / h : NAN;
    v[HEFT__M_CAL] = s->wpos > 0 ? s->wp / s->wpos : NAN;
    v[HEFT__M_ECE] = s->w > 0 ? s->ece / s->w : NAN;
    v[HEFT__M_PREC] = s->tp + s->fp > 0 ? s->tp / (s->tp + s->fp) : NAN;
    v[HEFT__M_REC] = s->wpos > 0 ? s->tp / s->wpos : NAN;
    const double f1d = 2 * s->tp + s->fp + fn;
    v[HEFT__M_F1] = f1d > 0 ? 2 * s->tp / f1d : NAN;
}
