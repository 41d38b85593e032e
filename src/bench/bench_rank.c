/*
 * bench_rank.c: Spearman's rank correlation, random half subsets and the
 * linear datamodeling score (include/heft_bench.h; docs/bench-tasks.md).
 *
 * Spearman: rho = Pearson(rank(x), rank(y)), ties sharing their mean rank
 * (the form that stays right with ties; 1 - 6 sum d^2 / (n (n^2 - 1)) is
 * exact only without them).
 *
 * Linear datamodeling score, from S. M. Park, K. Georgiev, A. Ilyas,
 * G. Leclerc, A. Madry, "TRAK: Attributing Model Behavior at Scale",
 * ICML 2023, Definition 2.3 / Eq. 5: draw subsets S_1..S_m of the training
 * rows (here each of exactly round(alpha n) rows, alpha = 1/2), train a
 * model on each, measure the model output f(S_j) (here the validation
 * loss), predict it from the attribution as the sum of the values of the
 * rows in the subset, and correlate:
 *     LDS = Spearman( (g(S_j))_j, (f(S_j))_j ),  g(S) = -sum_{i in S} v_i,
 * with the minus because heft's values point the other way (a valuable
 * row lowers the loss). The paper averages LDS over target examples; heft's
 * estimators value rows against the summed validation loss, so the target
 * here is that sum, and LDS is one correlation over the m subsets.
 */
#include "core.h"

#include <math.h>
#include <stdlib.h>

typedef struct rank_key {
    double v;
    size_t i;
} rank_key;

static int cmp_rank(const void *pa, const void *pb)
{
    const rank_key *a = pa, *b = pb;
    if (a->v != b->v)
        return a->v < b->v ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

/* r (n,) = the 1-based ranks of x, ties at their mean rank; k is scratch
 * (n,). */
static void ranks(const double *x, size_t n, rank_key *k, double *r)
{
    for (size_t i = 0; i < n; i++)
        k[i] = (rank_key){x[i], i};
    qsort(k, n, sizeof *k, cmp_rank);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && k[j].v == k[i].v)
            j++;
        const double mid = 0.5 * (double)(i + 1 + j); /* mean of i+1..j */
        for (size_t t = i; t < j; t++)
            r[k[t].i] = mid;
        i = j;
    }
}

static double pearson(const double *a, const double *b, size_t n)
{
    double ma = 0, mb = 0;
    for (size_t i = 0; i < n; i++) {
        ma += a[i];
        mb += b[i];
    }
    ma /= (double)n;
    mb /= (double)n;
    double sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < n; i++) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    return saa > 0 && sbb > 0 ? sab / sqrt(saa * sbb) : NAN;
}

heft_status heft_bench_spearman(const double *x, const double *y, size_t n,
                                double *out, heft_error *err)
{
    *out = NAN;
    for (size_t i = 0; i < n; i++)
        if (isnan(x[i]) || isnan(y[i]))
            return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                             "spearman: value %zu is NaN", i);
    if (n < 2)
        return HEFT_OK;
    rank_key *k = heft__malloc(n, sizeof *k);
    double *rx = heft__malloc(n, sizeof *rx);
    double *ry = heft__malloc(n, sizeof *ry);
    if (!k || !rx || !ry) {
        free(k);
        free(rx);
        free(ry);
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                         "spearman: out of memory");
    }
    ranks(x, n, k, rx);
    ranks(y, n, k, ry);
    *out = pearson(rx, ry, n);
    free(k);
    free(rx);
    free(ry);
    return HEFT_OK;
}

heft_status heft_bench_subset(size_t n, double frac, uint64_t seed,
                              uint64_t s, uint8_t *member, heft_error *err)
{
    if (!(frac > 0 && frac < 1))
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "subset: the fraction must be in (0, 1), not %g",
                         frac);
    uint64_t *idx = heft__malloc(n ? n : 1, sizeof *idx);
    if (!idx)
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                         "subset: out of memory");
    const size_t k = (size_t)llround(frac * (double)n);
    heft__rng r;
    heft__rng_seed(&r, heft__seed_mix(seed, s));
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    /* Partial Fisher-Yates: the first k slots are a uniform k-subset. */
    for (size_t i = 0; i < k; i++) {
        const size_t j = i + (size_t)heft__rng_below(&r, n - i);
        const uint64_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
    memset(member, 0, n);
    for (size_t i = 0; i < k; i++)
        member[idx[i]] = 1;
    free(idx);
    return HEFT_OK;
}

/* LDS of the subsets pick[0..m) (indices into pred/actual). */
static heft_status lds_of(const double *pred, const double *actual,
                          const size_t *pick, size_t m, double *a,
                          double *b, double *out, heft_error *err)
{
    for (size_t j = 0; j < m; j++) {
        a[j] = pred[pick[j]];
        b[j] = actual[pick[j]];
    }
    return heft_bench_spearman(a, b, m, out, err);
}

heft_status heft_bench_lds(const float *v, size_t n, const uint8_t *member,
                           const double *actual, size_t m, int resamples,
                           uint64_t seed, double *out, heft_error *err)
{
    const size_t B = resamples > 0 ? (size_t)resamples : 0;
    for (size_t t = 0; t <= B; t++)
        out[t] = NAN;
    double *pred = heft__malloc(m ? m : 1, sizeof *pred);
    double *a = heft__malloc(m ? m : 1, sizeof *a);
    double *b = heft__malloc(m ? m : 1, sizeof *b);
    size_t *pick = heft__malloc(m ? m : 1, sizeof *pick);
    heft_status st = pred && a && b && pick ? HEFT_OK : HEFT_ENOMEM;
    if (st != HEFT_OK)
        heft__err(err, st, NULL, 0, 0, "lds: out of memory");
    for (size_t j = 0; st == HEFT_OK && j < m; j++) {
        double s = 0;
        const uint8_t *row = member + j * n;
        for (size_t i = 0; i < n; i++)
            if (row[i] && !isnan(v[i]))
                s += v[i];
        pred[j] = -s;
        pick[j] = j;
    }
    if (st == HEFT_OK)
        st = lds_of(pred, actual, pick, m, a, b, &out[0], err);
    heft__rng r;
    heft__rng_seed(&r, seed);
    for (size_t t = 1; st == HEFT_OK && t <= B; t++) {
        for (size_t j = 0; j < m; j++)
            pick[j] = (size_t)heft__rng_below(&r, m);
        st = lds_of(pred, actual, pick, m, a, b, &out[t], err);
    }
    free(pred);
    free(a);
    free(b);
    free(pick);
    return st;
}
