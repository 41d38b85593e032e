/*
 * bench_boot.c: the paired Poisson bootstrap of test metrics, its
 * percentile intervals and paired test, and the pruning frontier
 * (include/heft_bench.h; docs/bench-tasks.md).
 *
 * Poisson bootstrap (Hanley & MacGibbon 2006; Chamandy et al. 2012):
 * resample b gives test row i the weight w_bi ~ Poisson(1), the large-n
 * limit of the multinomial counts of an ordinary bootstrap, drawn by
 * inversion from u_bi = hash(seed, b, i) in [0, 1). The weights depend
 * only on (seed, b, i), so every prediction vector scored with the same
 * seed sees the same resampled test sets: differences of two statistics
 * resample by resample are a paired bootstrap (Efron & Tibshirani 1993,
 * ch. 16), far narrower than the two separate intervals when the models
 * agree on most rows.
 *
 * With y_i = [label_i > 0], weights w_i and predictions p_i:
 *   AUC     = sum_{i pos, j neg} w_i w_j ([p_i > p_j] + [p_i = p_j] / 2)
 *             / (W+ W-), one pass over the rows sorted by p once per set;
 *   logloss = sum w_i l_i / W, l_i = -y log q - (1 - y) log(1 - q),
 *             q = clip(p, 1e-15, 1 - 1e-15);
 *   NE      = logloss / H(W+ / W), H(b) = -b log b - (1 - b) log(1 - b);
 *   F1      = 2 sum w m y / (sum w m + sum w y), m = p in [0, 1] a row's
 *             membership of the flagged set (a share for ties at a cut).
 * Training seeds (o->resample_sets, on by default): when the statistic is
 * a mean over S prediction sets (models retrained with S seeds), resample
 * b also draws the S sets with replacement, independently of the row
 * weights, which every drawn set shares: test rows and training seeds are
 * crossed factors (each seed's model scores the same rows), resampled as
 * in A. B. Owen, "The pigeonhole bootstrap", Ann. Appl. Stat. 1(2), 2007.
 * So the interval covers the spread between retrainings as well as the
 * test rows. The draw depends only on (seed, b, S): two statistics computed
 * from the same seeds' models stay paired.
 * Cost: O(S n log n) to sort plus O(B S n) for the resamples.
 */
#include "core.h"

#include <math.h>
#include <stdlib.h>

#define CLIP_EPS 1e-15

heft_bench_boot_opts heft_bench_boot_opts_default(void)
{
    heft_bench_boot_opts o = {200, 1, 1, 1};
    return o;
}

/* Poisson(1) weight of row i in resample b (b >= 1) by inversion of the
 * CDF at a hashed uniform; b = 0 is the unweighted sample. */
static double boot_weight(uint64_t seed_b, uint64_t i)
{
    static const double cdf[] = {
        0.36787944117144233, 0.73575888234288467, 0.91969860292860584,
        0.98101184312384626, 0.99634015317265634, 0.99940581518241832,
        0.99991675885071200, 0.99998975080332540, 0.99999887479740007,
        0.99999989857672003, 0.99999999169756712, 0.99999999938269438};
    const double u = (double)(heft__mix64(seed_b ^ (i * 0x9e3779b97f4a7c15ULL +
                                                    0x632be59bd9b4e019ULL)) >>
                              11) *
                     0x1p-53;
    int k = 0;
    while (k < (int)(sizeof cdf / sizeof cdf[0]) && u >= cdf[k])
        k++;
    return (double)k;
}

double heft_bench_boot_weight(uint64_t seed, int b, uint64_t i)
{
    return b > 0 ? boot_weight(heft__seed_mix(seed, (uint64_t)b), i) : 1.0;
}

typedef struct boot_key {
    float p;
    uint32_t i;
} boot_key;

static int cmp_key(const void *pa, const void *pb)
{
    const boot_key *a = pa, *b = pb;
    if (a->p != b->p)
        return a->p < b->p ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

/* Everything the resamples share. */
typedef struct boot_ctx {
    const float *label;
    const float *const *pred;
    size_t n_sets, n;
    heft_bench_metric metric;
    const heft_bench_boot_opts *o;
    uint32_t **order; /* per set: rows by p ascending (AUC only)      */
    uint8_t **tie;    /* per set: 1 where the next row ties (AUC only) */
    double *out;
} boot_ctx;

/* AUC of set s under the weights of resample b. */
static double auc_one(const boot_ctx *c, size_t s, uint64_t sb, int b)
{
    const uint32_t *ord = c->order[s];
    const uint8_t *tie = c->tie[s];
    double neg_below = 0, num = 0, wpos = 0;
    double bpos = 0, bneg = 0;
    for (size_t k = 0; k < c->n; k++) {
        const uint32_t i = ord[k];
        const double w = b ? boot_weight(sb, i) : 1.0;
        if (c->label[i] > 0)
            bpos += w;
        else
            bneg += w;
        if (!tie[k]) {
            num += bpos * (neg_below + 0.5 * bneg);
            wpos += bpos;
            neg_below += bneg;
            bpos = bneg = 0;
        }
    }
    return wpos > 0 && neg_below > 0 ? num / (wpos * neg_below) : NAN;
}

/* logloss, NE or F1 of set s under the weights of resample b. */
static double sum_one(const boot_ctx *c, size_t s, uint64_t sb, int b)
{
    const float *p = c->pred[s];
    double W = 0, Wy = 0, L = 0, Wm = 0, Wmy = 0;
    for (size_t i = 0; i < c->n; i++) {
        const double w = b ? boot_weight(sb, i) : 1.0;
        if (w == 0)
            continue;
        const int y = c->label[i] > 0;
        W += w;
        Wy += w * y;
        if (c->metric == HEFT_BENCH_F1) {
            Wm += w * p[i];
            Wmy += w * p[i] * y;
            continue;
        }
        double q = p[i] < CLIP_EPS ? CLIP_EPS : p[i];
        q = q > 1 - CLIP_EPS ? 1 - CLIP_EPS : q;
        L -= w * (y ? log(q) : log(1 - q));
    }
    if (c->metric == HEFT_BENCH_F1)
        return Wm + Wy > 0 ? 2 * Wmy / (Wm + Wy) : NAN;
    if (!(W > 0))
        return NAN;
    if (c->metric == HEFT_BENCH_LOGLOSS)
        return L / W;
    const double r = Wy / W;
    const double h = r > 0 && r < 1 ? -r * log(r) - (1 - r) * log(1 - r) : 0;
    return h > 0 ? L / W / h : NAN;
}

/* The j-th of the n_sets sets averaged in resample b: set j itself for
 * b = 0, one set or without o->resample_sets; otherwise a draw with
 * replacement from a hash of (seed, b, j), so that two calls with the
 * same seed and number of sets draw the same sets (the pairing holds for
 * the training seeds as it does for the test rows). */
static size_t set_of(const boot_ctx *c, uint64_t sb, int b, size_t j)
{
    if (b == 0 || c->n_sets == 1 || !c->o->resample_sets)
        return j;
    const uint64_t h = heft__mix64(sb ^ 0x7365747300000000ULL ^
                                   (j + 1) * 0xd6e8feb86659fd93ULL);
    return (size_t)(h % (uint64_t)c->n_sets);
}

/* Thread t of n computes resamples t, t + n, ... (each entry is written
 * by one thread only, so the result does not depend on n). */
static void boot_task(void *ctx, int t, int nt)
{
    boot_ctx *c = ctx;
    for (int b = t; b <= c->o->resamples; b += nt) {
        const uint64_t sb = heft__seed_mix(c->o->seed, (uint64_t)b);
        double acc = 0;
        for (size_t j = 0; j < c->n_sets; j++) {
            const size_t s = set_of(c, sb, b, j);
            acc += c->metric == HEFT_BENCH_AUC ? auc_one(c, s, sb, b)
                                               : sum_one(c, s, sb, b);
        }
        c->out[b] = acc / (double)c->n_sets;
    }
}

/* Sorts set s by prediction for the AUC sweeps. */
static heft_status boot_sort(boot_ctx *c, size_t s)
{
    boot_key *k = heft__malloc(c->n, sizeof *k);
    c->order[s] = heft__malloc(c->n, sizeof *c->order[s]);
    c->tie[s] = heft__malloc(c->n, 1);
    if (!k || !c->order[s] || !c->tie[s]) {
        free(k);
        return HEFT_ENOMEM;
    }
    for (size_t i = 0; i < c->n; i++)
        k[i] = (boot_key){c->pred[s][i], (uint32_t)i};
    qsort(k, c->n, sizeof *k, cmp_key);
    for (size_t i = 0; i < c->n; i++) {
        c->order[s][i] = k[i].i;
        c->tie[s][i] = i + 1 < c->n && k[i + 1].p == k[i].p;
    }
    free(k);
    return HEFT_OK;
}

static heft_status boot_check(const float *label, const float *const *pred,
                              size_t n_sets, size_t n,
                              const heft_bench_boot_opts *o, heft_error *err)
{
    if (!label || !pred || !o || n_sets == 0 || n == 0 || n > UINT32_MAX)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "bootstrap: need at least one prediction set of 1 "
                         "to 2^32-1 rows");
    if (o->resamples < 1)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "bootstrap: resamples must be at least 1, not %d",
                         o->resamples);
    for (size_t s = 0; s < n_sets; s++)
        for (size_t i = 0; i < n; i++)
            if (isnan(pred[s][i]))
                return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                                 "bootstrap: prediction %zu of set %zu is "
                                 "NaN",
                                 i, s);
    return HEFT_OK;
}

heft_status heft_bench_resample(const float *label, const float *const *pred,
                                size_t n_sets, size_t n,
                                heft_bench_metric metric,
                                const heft_bench_boot_opts *o, double *out,
                                heft_error *err)
{
    heft_status st = boot_check(label, pred, n_sets, n, o, err);
    if (st != HEFT_OK)
        return st;
    boot_ctx c = {label, pred, n_sets, n, metric, o, NULL, NULL, out};
    if (metric == HEFT_BENCH_AUC) {
        c.order = heft__calloc(n_sets, sizeof *c.order);
        c.tie = heft__calloc(n_sets, sizeof *c.tie);
        st = c.order && c.tie ? HEFT_OK : HEFT_ENOMEM;
        for (size_t s = 0; st == HEFT_OK && s < n_sets; s++)
            st = boot_sort(&c, s);
    }
    if (st == HEFT_OK) {
        int nt = heft__threads(o->threads);
        nt = nt > o->resamples + 1 ? o->resamples + 1 : nt;
        heft__parallel(nt, boot_task, &c); /* inline if threads fail */
    }
    for (size_t s = 0; c.order && s < n_sets; s++)
        free(c.order[s]);
    for (size_t s = 0; c.tie && s < n_sets; s++)
        free(c.tie[s]);
    free(c.order);
    free(c.tie);
    if (st != HEFT_OK)
        return heft__err(err, st, NULL, 0, 0, "bootstrap: out of memory");
    return HEFT_OK;
}

static int cmp_double(const void *pa, const void *pb)
{
    const double a = *(const double *)pa, b = *(const double *)pb;
    return a < b ? -1 : a > b;
}

/* Quantile q of sorted x (n,) by linear interpolation (type 7). */
static double quantile(const double *x, size_t n, double q)
{
    const double h = q * (double)(n - 1);
    const size_t lo = (size_t)floor(h);
    const size_t hi = lo + 1 < n ? lo + 1 : lo;
    return x[lo] + (h - (double)lo) * (x[hi] - x[lo]);
}

/* The 2.5% and 97.5% quantiles of the non-NAN x[0..n). */
static void interval_of(const double *x, size_t n, double *lo, double *hi)
{
    double *v = heft__malloc(n ? n : 1, sizeof *v);
    size_t m = 0;
    for (size_t i = 0; v && i < n; i++)
        if (!isnan(x[i]))
            v[m++] = x[i];
    *lo = *hi = NAN;
    if (v && m) {
        qsort(v, m, sizeof *v, cmp_double);
        *lo = quantile(v, m, 0.025);
        *hi = quantile(v, m, 0.975);
    }
    free(v);
}

void heft_bench_interval(const double *boot, int resamples, double *lo,
                         double *hi)
{
    interval_of(boot + 1, resamples > 0 ? (size_t)resamples : 0, lo, hi);
}

heft_bench_paired heft_bench_compare(const double *a, const double *b,
                                     int resamples)
{
    heft_bench_paired r = {a[0] - b[0], NAN, NAN, NAN};
    const size_t B = resamples > 0 ? (size_t)resamples : 0;
    double *d = heft__malloc(B ? B : 1, sizeof *d);
    if (!d)
        return r;
    size_t m = 0, le = 0, ge = 0;
    for (size_t k = 1; k <= B; k++) {
        if (isnan(a[k]) || isnan(b[k]))
            continue;
        d[m] = a[k] - b[k];
        le += d[m] <= 0;
        ge += d[m] >= 0;
        m++;
    }
    interval_of(d, m, &r.lo, &r.hi);
    if (m) {
        const double lo_tail = (double)(1 + (le < ge ? le : ge));
        r.p = 2 * lo_tail / (double)(m + 1);
        r.p = r.p > 1 ? 1 : r.p;
    }
    free(d);
    return r;
}

int heft_bench_frontier(const double *auc, size_t n, double full,
                        double tol)
{
    const double bar = full * (1 - tol);
    int best = -1;
    for (size_t k = n; k-- > 0;) {
        if (!(auc[k] >= bar))
            break;
        best = (int)k;
    }
    return best;
}
