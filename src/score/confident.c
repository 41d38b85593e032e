/*
 * confident.c: confident learning for binary labels: which rows are likely
 * mislabelled, and a label-quality score for every row.
 *
 * C. G. Northcutt, L. Jiang, I. L. Chuang, "Confident Learning: Estimating
 * Uncertainty in Dataset Labels", JAIR 70, 2021: Sections 3.1 (confident
 * joint, calibration, Eq. 2-3) and 3.2 (rank and prune, "prune by noise
 * rate", Method 3).
 *
 * Inputs: given labels y_i in {0, 1} and out-of-fold probabilities
 * p_i = P(y = 1 | x_i), so the predicted probability of class j is
 * P_i(1) = p_i, P_i(0) = 1 - p_i. With n_j the rows labelled j:
 *
 *   thresholds   t_j = (1/n_j) sum_{i: y_i = j} P_i(j)   (+inf if n_j = 0)
 *   confident    C[y_i][j*] += 1 for every row with some class j above its
 *   joint        threshold, P_i(j) >= t_j - 1e-6, where j* is the argmax of
 *                P_i(j) among those classes (ties: class 0). The 1e-6 slack,
 *                as in the reference implementation (cleanlab), keeps a row
 *                whose probability equals the mean from being lost to
 *                rounding in the mean.
 *   calibration  Ct[i][j] = C[i][j] / sum_j' C[i][j'] * n_i, then scaled so
 *                sum_ij Ct[i][j] = n; the joint is Q = Ct / n (Eq. 2-3).
 *   pruning      for each given class i and j != i, flag the
 *                round(n Q[i][j]) rows labelled i with the largest margin
 *                P_k(j) - P_k(i) (ties: lower row first), at most n_i - 1 so
 *                that every class keeps a row; round() is half-up.
 *   quality      self-confidence P_i(y_i), higher = cleaner label.
 *
 * In binary the margin P(j) - P(i) is 2p - 1 for given 0 and 1 - 2p for
 * given 1, so the pruning order is an order by p, sorted exactly (radix).
 * Unlike cleanlab's find_label_issues we do not afterwards un-flag rows
 * whose given label is the argmax prediction: the output is Method 3 as
 * published (docs/estimators.md).
 *
 * Determinism: sums are taken over fixed blocks of rows and added in block
 * order, so results do not depend on the thread count.
 */
#include "score.h"

#include <math.h>
#include <stdlib.h>

#define CL_BLOCK 65536
#define CL_SLACK 1e-6

typedef struct cl_part {
    double sum[2];     /* sum of P_i(j) over rows labelled j */
    uint64_t cnt[2];   /* rows labelled j                    */
    uint64_t cj[2][2]; /* confident joint of the block       */
} cl_part;

typedef struct cl_ctx {
    const float *label, *prob;
    uint64_t n, n_blocks;
    double t[2];
    int pass; /* 0: sums for the thresholds, 1: confident joint */
    cl_part *part;
    double *quality;
} cl_ctx;

static void cl_block(const cl_ctx *c, uint64_t b)
{
    cl_part *pt = &c->part[b];
    const uint64_t lo = b * CL_BLOCK;
    const uint64_t hi = lo + CL_BLOCK < c->n ? lo + CL_BLOCK : c->n;
    for (uint64_t i = lo; i < hi; i++) {
        const int y = c->label[i] != 0.0f;
        const double P[2] = {1.0 - (double)c->prob[i], (double)c->prob[i]};
        if (c->pass == 0) {
            pt->sum[y] += P[y];
            pt->cnt[y]++;
            if (c->quality)
                c->quality[i] = P[y];
            continue;
        }
        int best = -1;
        for (int j = 0; j < 2; j++)
            if (P[j] >= c->t[j] - CL_SLACK && (best < 0 || P[j] > P[best]))
                best = j;
        if (best >= 0)
            pt->cj[y][best]++;
    }
}

static void cl_task(void *ctx, int t, int nt)
{
    const cl_ctx *c = ctx;
    for (uint64_t b = (uint64_t)t; b < c->n_blocks; b += (uint64_t)nt)
        cl_block(c, b);
}

static heft_status cl_check(const float *label, const float *prob, uint64_t n,
                            heft_error *err)
{
    if (!label || !prob)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "confident learning: missing labels or "
                         "probabilities");
    if (n == 0)
        return heft__err(err, HEFT_EEMPTY, NULL, 0, 0,
                         "confident learning: no rows");
    for (uint64_t i = 0; i < n; i++) {
        if (label[i] != 0.0f && label[i] != 1.0f)
            return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                             "confident learning: row %llu: label %g, "
                             "expected 0 or 1", (unsigned long long)i + 1,
                             (double)label[i]);
        if (!(prob[i] >= 0.0f && prob[i] <= 1.0f))
            return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                             "confident learning: row %llu: probability %g, "
                             "expected a number in [0, 1]",
                             (unsigned long long)i + 1, (double)prob[i]);
    }
    return HEFT_OK;
}

/* Calibrates the joint (Eq. 2-3) and sets the prune counts. */
static void cl_calibrate(heft__cl_stats *s, const uint64_t cnt[2], uint64_t n)
{
    double total = 0;
    for (int i = 0; i < 2; i++) {
        const uint64_t row = s->joint[i][0] + s->joint[i][1];
        for (int j = 0; j < 2; j++) {
            s->calibrated[i][j] =
                row ? (double)s->joint[i][j] / (double)row * (double)cnt[i]
                    : 0.0;
            total += s->calibrated[i][j];
        }
    }
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            if (total > 0)
                s->calibrated[i][j] *= (double)n / total;
            s->n_prune[i][j] = 0;
        }
    for (int i = 0; i < 2; i++) {
        uint64_t k = (uint64_t)floor(s->calibrated[i][1 - i] + 0.5);
        if (cnt[i] > 0 && k > cnt[i] - 1)
            k = cnt[i] - 1;
        s->n_prune[i][1 - i] = cnt[i] ? k : 0;
    }
}

/* Flags, among rows labelled y, the k with the largest margin. */
static heft_status cl_prune(const float *label, const float *prob, uint64_t n,
                            int y, uint64_t cnt, uint64_t k, uint8_t *issue)
{
    if (k == 0)
        return HEFT_OK;
    uint64_t *a = heft__malloc(cnt, sizeof *a);
    uint64_t *tmp = heft__malloc(cnt, sizeof *tmp);
    if (!a || !tmp) {
        free(a);
        free(tmp);
        return HEFT_ENOMEM;
    }
    uint64_t m = 0;
    for (uint64_t i = 0; i < n; i++) {
        if ((label[i] != 0.0f) != y)
            continue;
        /* Largest margin first: smallest p for given 1, largest for 0. */
        const uint32_t key = heft__score_fkey(prob[i]);
        a[m++] = (uint64_t)(y ? key : ~key) << 32 | i;
    }
    heft__score_sort(a, tmp, m);
    for (uint64_t r = 0; r < k && r < m; r++)
        issue[(uint32_t)a[r]] = 1;
    free(a);
    free(tmp);
    return HEFT_OK;
}

heft_status heft__confident_binary(const float *label, const float *prob,
                                   uint64_t n, int threads, uint8_t *issue,
                                   double *quality, heft__cl_stats *stats,
                                   heft_error *err)
{
    heft_status st = cl_check(label, prob, n, err);
    if (st != HEFT_OK)
        return st;
    if (!issue)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "confident learning: missing output array");
    if (n > UINT32_MAX)
        return heft__err(err, HEFT_ERANGE, NULL, 0, 0,
                         "confident learning: %llu rows, at most %u "
                         "supported", (unsigned long long)n, UINT32_MAX);
    cl_ctx c = {label, prob, n, (n + CL_BLOCK - 1) / CL_BLOCK, {0, 0}, 0,
                NULL, quality};
    c.part = heft__calloc(c.n_blocks, sizeof *c.part);
    if (!c.part)
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "out of memory");
    int nt = heft__threads(threads);
    if ((uint64_t)nt > c.n_blocks)
        nt = (int)c.n_blocks;
    heft__cl_stats s;
    memset(&s, 0, sizeof s);
    uint64_t cnt[2] = {0, 0};
    double sum[2] = {0, 0};
    (void)heft__parallel(nt, cl_task, &c);
    for (uint64_t b = 0; b < c.n_blocks; b++)
        for (int j = 0; j < 2; j++) {
            sum[j] += c.part[b].sum[j];
            cnt[j] += c.part[b].cnt[j];
        }
    for (int j = 0; j < 2; j++)
        s.threshold[j] = cnt[j] ? sum[j] / (double)cnt[j] : INFINITY;
    memcpy(c.t, s.threshold, sizeof c.t);
    c.pass = 1;
    c.quality = NULL;
    (void)heft__parallel(nt, cl_task, &c);
    for (uint64_t b = 0; b < c.n_blocks; b++)
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                s.joint[i][j] += c.part[b].cj[i][j];
    free(c.part);
    cl_calibrate(&s, cnt, n);
    memset(issue, 0, n);
    for (int y = 0; y < 2 && st == HEFT_OK; y++)
        st = cl_prune(label, prob, n, y, cnt[y], s.n_prune[y][1 - y], issue);
    if (st != HEFT_OK)
        return heft__err(err, st, NULL, 0, 0, "out of memory");
    s.n_issues = s.n_prune[0][1] + s.n_prune[1][0];
    if (stats)
        *stats = s;
    return HEFT_OK;
}
