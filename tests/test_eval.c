/* test_eval.c: heft_evaluate() against brute-force oracles on small random
 * data (pairwise AUC, per-group loops, direct sums), hand-worked examples,
 * and the bootstrap's determinism, thread invariance and interval width. */
#include "test.h"

#include <stdint.h>

/* ---- helpers --------------------------------------------------------- */

/* A small local generator, so the tests use only the public API. */
static uint64_t trng_state;
static void trng_seed(uint64_t s) { trng_state = s * 2654435761u + 1; }
static double trng_uniform(void)
{
    trng_state ^= trng_state << 13;
    trng_state ^= trng_state >> 7;
    trng_state ^= trng_state << 17;
    return (double)(trng_state >> 11) * 0x1.0p-53;
}
static int trng_below(int n) { return (int)(trng_uniform() * n); }

/* Random data: predictions quantized to `levels` values (ties), labels
 * up to max_grade that follow the prediction, weights in {0, 0.5 .. 3}
 * with some zeros, groups drawn from ngroups ids. */
typedef struct tdata {
    size_t n;
    float *label, *pred, *weight;
    uint64_t *group;
} tdata;

static tdata tdata_make(size_t n, int levels, int max_grade, int ngroups,
                        uint64_t seed)
{
    tdata d = {n, malloc(n * sizeof(float)), malloc(n * sizeof(float)),
               malloc(n * sizeof(float)), malloc(n * sizeof(uint64_t))};
    trng_seed(seed);
    for (size_t i = 0; i < n; i++) {
        const double p = (trng_below(levels) + 0.5) / levels;
        d.pred[i] = (float)p;
        const double u = trng_uniform();
        d.label[i] = u < p ? (float)(1 + trng_below(max_grade)) : 0.0f;
        d.weight[i] = trng_below(8) == 0 ? 0.0f
                                         : 0.5f * (float)(1 + trng_below(6));
        d.group[i] = (uint64_t)trng_below(ngroups) * 0x9e3779b97f4a7c15ULL;
    }
    return d;
}

static void tdata_free(tdata *d)
{
    free(d->label);
    free(d->pred);
    free(d->weight);
    free(d->group);
}

/* O(n^2) weighted AUC over rows idx[0..m) (all rows when idx is NULL). */
static double auc_brute(const float *label, const float *pred,
                        const float *w, const size_t *idx, size_t m)
{
    double num = 0, wp = 0, wn = 0;
    for (size_t a = 0; a < m; a++) {
        const size_t i = idx ? idx[a] : a;
        const double wi = w ? w[i] : 1.0;
        if (label[i] > 0)
            wp += wi;
        else
            wn += wi;
        if (!(label[i] > 0))
            continue;
        for (size_t b = 0; b < m; b++) {
            const size_t j = idx ? idx[b] : b;
            if (label[j] > 0)
                continue;
            const double wj = w ? w[j] : 1.0;
            num += wi * wj * (pred[i] > pred[j] ? 1.0
                              : pred[i] == pred[j] ? 0.5 : 0.0);
        }
    }
    return wp > 0 && wn > 0 ? num / (wp * wn) : NAN;
}

static heft_metrics eval_ok(const tdata *d, const float *w,
                            const uint64_t *g, const heft_eval_opts *o)
{
    heft_metrics m;
    heft_error err;
    heft_status st = heft_evaluate(d->label, d->pred, w, g, d->n, o, &m,
                                   &err);
    if (st != HEFT_OK)
        heft_test_fail(__FILE__, __LINE__, "heft_evaluate: %s", err.msg);
    return m;
}

/* ---- tests ----------------------------------------------------------- */

void test_eval_opts_default(void)
{
    const heft_eval_opts o = heft_eval_opts_default();
    CHECK(o.threshold == 0.5);
    CHECK(o.ndcg_k == 10);
    CHECK(o.ece_bins == 10);
    CHECK(o.bootstrap == 0);
    CHECK(o.seed == 1);
    CHECK(o.threads == 1);
}

void test_eval_auc_known(void)
{
    const float y[] = {0, 0, 1, 1, 0};
    const float p[] = {0.1f, 0.4f, 0.35f, 0.8f, 0.35f};
    heft_metrics m;
    /* Pairs: 0.35 beats 0.1, loses to 0.4, ties 0.35; 0.8 beats all. */
    CHECK_OK(heft_evaluate(y, p, NULL, NULL, 5, NULL, &m, NULL));
    CHECK_NEAR(m.auc.value, 4.5 / 6.0, 1e-12);
    /* Weight 3 on the 0.4 negative: (1*1 + 0 + 0.5 + 1+3+1) / (2*5). */
    const float w[] = {1, 3, 1, 1, 1};
    CHECK_OK(heft_evaluate(y, p, w, NULL, 5, NULL, &m, NULL));
    CHECK_NEAR(m.auc.value, 6.5 / 10.0, 1e-12);
    CHECK(m.rows == 5);
    CHECK_NEAR(m.weight_sum, 7.0, 1e-12);
    CHECK_NEAR(m.pos_rate, 2.0 / 7.0, 1e-12);
    /* A single class has no AUC; graded labels count as positive. */
    const float one[] = {2, 1, 3, 1, 4};
    CHECK_OK(heft_evaluate(one, p, NULL, NULL, 5, NULL, &m, NULL));
    CHECK(isnan(m.auc.value));
    CHECK(isnan(m.ne.value));
    const float graded[] = {0, 0, 2, 5, 0};
    CHECK_OK(heft_evaluate(graded, p, NULL, NULL, 5, NULL, &m, NULL));
    CHECK_NEAR(m.auc.value, 4.5 / 6.0, 1e-12);
}

void test_eval_auc_bruteforce(void)
{
    for (int trial = 0; trial < 40; trial++) {
        const size_t n = 2 + (size_t)trial * 7;
        tdata d = tdata_make(n, 1 + trial % 9, 1 + trial % 3, 5, 100 + trial);
        if (trial % 5 == 0) /* negative scores and -0 against +0 */
            for (size_t i = 0; i < n; i++)
                d.pred[i] = i % 3 == 0 ? -0.0f : d.pred[i] - 0.5f;
        const float *w = trial % 2 ? d.weight : NULL;
        heft_metrics m;
        heft_status st = heft_evaluate(d.label, d.pred, w, NULL, n, NULL, &m,
                                       NULL);
        if (st == HEFT_EEMPTY) { /* every weight drawn zero */
            tdata_free(&d);
            continue;
        }
        CHECK_OK(st);
        const double want = auc_brute(d.label, d.pred, w, NULL, n);
        if (isnan(want))
            CHECK(isnan(m.auc.value));
        else
            CHECK_NEAR(m.auc.value, want, 1e-12);
        tdata_free(&d);
    }
}

/* Direct loops for the pointwise metrics, with the definitions of
 * docs/metrics.md. v: logloss, ne, calibration, ece, pos_rate, wsum. */
static void pointwise_oracle(const tdata *d, const float *w, int bins,
                             double *v)
{
    double W = 0, Wp = 0, sp = 0, sll = 0;
    double *bw = calloc((size_t)bins, sizeof *bw);
    double *bp = calloc((size_t)bins, sizeof *bp);
    double *by = calloc((size_t)bins, sizeof *by);
    for (size_t i = 0; i < d->n; i++) {
        const double wi = w ? w[i] : 1.0, p = d->pred[i];
        const int y = d->label[i] > 0;
        const double q = fmin(fmax(p, 1e-15), 1 - 1e-15);
        W += wi;
        Wp += wi * y;
        sp += wi * p;
        sll += wi * (y ? -log(q) : -log(1 - q));
        int b = (int)floor(fmin(fmax(p, 0), 1) * bins);
        b = b >= bins ? bins - 1 : b;
        bw[b] += wi;
        bp[b] += wi * p;
        by[b] += wi * y;
    }
    double ece = 0;
    for (int b = 0; b < bins; b++)
        if (bw[b] > 0)
            ece += bw[b] / W * fabs(bp[b] / bw[b] - by[b] / bw[b]);
    const double base = Wp / W;
    const double h = -base * log(base) - (1 - base) * log(1 - base);
    v[0] = sll / W;
    v[1] = v[0] / h;
    v[2] = sp / Wp;
    v[3] = ece;
    v[4] = base;
    v[5] = W;
    free(bw);
    free(bp);
    free(by);
}

void test_eval_pointwise_oracle(void)
{
    for (int trial = 0; trial < 20; trial++) {
        tdata d = tdata_make(50 + (size_t)trial * 13, 3 + trial % 17, 1,
                             3, 500 + trial);
        /* Exact 0 and 1 predictions exercise the clipping. */
        d.pred[0] = 0.0f;
        d.label[0] = 1.0f;
        d.pred[1] = 1.0f;
        d.label[1] = 0.0f;
        d.weight[0] = d.weight[1] = 1.0f;
        const float *w = trial % 2 ? d.weight : NULL;
        heft_eval_opts o = heft_eval_opts_default();
        o.ece_bins = 1 + trial % 12;
        const heft_metrics m = eval_ok(&d, w, NULL, &o);
        double v[6];
        pointwise_oracle(&d, w, o.ece_bins, v);
        CHECK_NEAR(m.logloss.value, v[0], 1e-9 * v[0]);
        CHECK_NEAR(m.ne.value, v[1], 1e-9 * v[1]);
        CHECK_NEAR(m.calibration.value, v[2], 1e-12);
        CHECK_NEAR(m.ece.value, v[3], 1e-12);
        CHECK_NEAR(m.pos_rate, v[4], 1e-12);
        CHECK_NEAR(m.weight_sum, v[5], 1e-9);
        tdata_free(&d);
    }
}

void test_eval_prf_known(void)
{
    /* Threshold 0.5: rows 0.9 (pos), 0.6 (neg), 0.5 (pos) are predicted
     * positive, 0.5 included; TP 2, FP 1, FN 1 (the 0.4). */
    const float y[] = {1, 0, 1, 1, 0};
    const float p[] = {0.9f, 0.6f, 0.5f, 0.4f, 0.2f};
    heft_metrics m;
    CHECK_OK(heft_evaluate(y, p, NULL, NULL, 5, NULL, &m, NULL));
    CHECK_NEAR(m.precision.value, 2.0 / 3.0, 1e-12);
    CHECK_NEAR(m.recall.value, 2.0 / 3.0, 1e-12);
    CHECK_NEAR(m.f1.value, 2.0 / 3.0, 1e-12);
    /* Weights: TP 1+1, FP 2, FN 3: P 1/2, R 2/5, F1 4/9. */
    const float w[] = {1, 2, 1, 3, 1};
    CHECK_OK(heft_evaluate(y, p, w, NULL, 5, NULL, &m, NULL));
    CHECK_NEAR(m.precision.value, 0.5, 1e-12);
    CHECK_NEAR(m.recall.value, 0.4, 1e-12);
    CHECK_NEAR(m.f1.value, 4.0 / 9.0, 1e-12);
    /* Threshold above every prediction: no predicted positive. */
    heft_eval_opts o = heft_eval_opts_default();
    o.threshold = 0.95;
    CHECK_OK(heft_evaluate(y, p, NULL, NULL, 5, &o, &m, NULL));
    CHECK(isnan(m.precision.value));
    CHECK_NEAR(m.recall.value, 0.0, 0);
    CHECK_NEAR(m.f1.value, 0.0, 0);
}

/* GAUC by brute force: per distinct group, the pairwise AUC weighted by
 * the group's weight sum, over groups with both classes. */
static double gauc_brute(const tdata *d, const float *w, uint64_t *ngroups)
{
    size_t *idx = malloc(d->n * sizeof *idx);
    char *done = calloc(d->n, 1);
    double num = 0, den = 0;
    *ngroups = 0;
    for (size_t s = 0; s < d->n; s++) {
        if (done[s])
            continue;
        size_t m = 0;
        double imp = 0;
        for (size_t i = s; i < d->n; i++)
            if (d->group[i] == d->group[s]) {
                done[i] = 1;
                idx[m++] = i;
                imp += w ? w[i] : 1.0;
            }
        const double a = auc_brute(d->label, d->pred, w, idx, m);
        if (!isnan(a)) {
            num += imp * a;
            den += imp;
            ++*ngroups;
        }
    }
    free(idx);
    free(done);
    return den > 0 ? num / den : NAN;
}

void test_eval_gauc_bruteforce(void)
{
    for (int trial = 0; trial < 30; trial++) {
        tdata d = tdata_make(20 + (size_t)trial * 11, 2 + trial % 6,
                             1 + trial % 2, 1 + trial % 9, 900 + trial);
        const float *w = trial % 2 ? d.weight : NULL;
        heft_metrics m;
        heft_status st = heft_evaluate(d.label, d.pred, w, d.group, d.n,
                                       NULL, &m, NULL);
        if (st == HEFT_EEMPTY) {
            tdata_free(&d);
            continue;
        }
        CHECK_OK(st);
        uint64_t ng;
        const double want = gauc_brute(&d, w, &ng);
        CHECK(m.gauc_groups == ng);
        if (isnan(want))
            CHECK(isnan(m.gauc.value));
        else
            CHECK_NEAR(m.gauc.value, want, 1e-12);
        tdata_free(&d);
    }
}

void test_eval_ndcg_known(void)
{
    /* Query 7: ranked labels 0, 2, 1, 0: DCG = 3/log2(3) + 1/log2(4),
     * IDCG = 3 + 1/log2(3), NDCG = 0.6590018048024133, RR = 1/2.
     * Query 3: tied predictions, labels 1 and 0: ranked pessimistically
     * (0 first) so NDCG = 1/log2(3), RR = 1/2. Query 5 has no relevant
     * row and is left out. */
    const float y[] = {1, 0, 2, 0, 0, 0, 1, 0};
    const float p[] = {0.5f, 0.9f, 0.8f, 0.6f, 0.5f, 0.3f, 0.7f, 0.4f};
    const uint64_t g[] = {3, 7, 7, 7, 3, 5, 7, 5};
    heft_metrics m;
    CHECK_OK(heft_evaluate(y, p, NULL, g, 8, NULL, &m, NULL));
    CHECK_NEAR(m.ndcg.value, (0.6590018048024133 + 0.6309297535714575) / 2,
               1e-12);
    CHECK_NEAR(m.mrr.value, 0.5, 1e-12);
    /* Same rows in another order: the result must not change. */
    const float y2[] = {0, 0, 1, 0, 0, 1, 0, 2};
    const float p2[] = {0.4f, 0.5f, 0.5f, 0.3f, 0.6f, 0.7f, 0.9f, 0.8f};
    const uint64_t g2[] = {5, 3, 3, 5, 7, 7, 7, 7};
    heft_metrics m2;
    CHECK_OK(heft_evaluate(y2, p2, NULL, g2, 8, NULL, &m2, NULL));
    CHECK_NEAR(m2.ndcg.value, m.ndcg.value, 1e-15);
    /* k = 1: query 7's top row is irrelevant, query 3's too. */
    heft_eval_opts o = heft_eval_opts_default();
    o.ndcg_k = 1;
    CHECK_OK(heft_evaluate(y, p, NULL, g, 8, &o, &m, NULL));
    CHECK_NEAR(m.ndcg.value, 0.0, 0);
    /* Without groups there are no ranking metrics. */
    CHECK_OK(heft_evaluate(y, p, NULL, NULL, 8, NULL, &m, NULL));
    CHECK(isnan(m.ndcg.value) && isnan(m.mrr.value) && isnan(m.gauc.value));
    CHECK(m.gauc_groups == 0);
}

/* Brute-force NDCG@k and MRR: each group's rows are selection-sorted by
 * (pred desc, label asc), the ideal by label desc; groups weighted by
 * their mean weight. */
static void rank_brute(const tdata *d, const float *w, int k, double *ndcg,
                       double *mrr)
{
    size_t *idx = malloc(d->n * sizeof *idx);
    double *ideal = malloc(d->n * sizeof *ideal);
    char *done = calloc(d->n, 1);
    double nn = 0, rn = 0, den = 0;
    for (size_t s = 0; s < d->n; s++) {
        if (done[s])
            continue;
        size_t m = 0;
        double wsum = 0;
        for (size_t i = s; i < d->n; i++)
            if (d->group[i] == d->group[s]) {
                done[i] = 1;
                idx[m] = i;
                ideal[m++] = d->label[i];
                wsum += w ? w[i] : 1.0;
            }
        for (size_t a = 0; a < m; a++)
            for (size_t b = a + 1; b < m; b++) {
                const float pa = d->pred[idx[a]], pb = d->pred[idx[b]];
                if (pb > pa || (pb == pa &&
                                d->label[idx[b]] < d->label[idx[a]])) {
                    size_t t = idx[a]; idx[a] = idx[b]; idx[b] = t;
                }
                if (ideal[b] > ideal[a]) {
                    double t = ideal[a]; ideal[a] = ideal[b]; ideal[b] = t;
                }
            }
        double dcg = 0, idcg = 0, rr = 0;
        for (size_t r = 0; r < m; r++) {
            const double lab = d->label[idx[r]];
            if (r < (size_t)k) {
                dcg += (pow(2, lab) - 1) / log2(r + 2.0);
                idcg += (pow(2, ideal[r]) - 1) / log2(r + 2.0);
            }
            if (lab > 0 && rr == 0)
                rr = 1.0 / (r + 1.0);
        }
        if (idcg > 0) {
            const double qw = wsum / m;
            nn += qw * dcg / idcg;
            rn += qw * rr;
            den += qw;
        }
    }
    *ndcg = den > 0 ? nn / den : NAN;
    *mrr = den > 0 ? rn / den : NAN;
    free(idx);
    free(ideal);
    free(done);
}

void test_eval_ndcg_bruteforce(void)
{
    for (int trial = 0; trial < 30; trial++) {
        tdata d = tdata_make(15 + (size_t)trial * 9, 2 + trial % 5,
                             1 + trial % 4, 1 + trial % 7, 1300 + trial);
        const float *w = trial % 2 ? d.weight : NULL;
        heft_eval_opts o = heft_eval_opts_default();
        o.ndcg_k = 1 + trial % 6;
        heft_metrics m;
        heft_status st = heft_evaluate(d.label, d.pred, w, d.group, d.n, &o,
                                       &m, NULL);
        if (st == HEFT_EEMPTY) {
            tdata_free(&d);
            continue;
        }
        CHECK_OK(st);
        double ndcg, mrr;
        rank_brute(&d, w, o.ndcg_k, &ndcg, &mrr);
        CHECK_NEAR(m.ndcg.value, ndcg, 1e-12);
        CHECK_NEAR(m.mrr.value, mrr, 1e-12);
        tdata_free(&d);
    }
}

static int cmp_pair(const void *x, const void *y)
{
    const float a = *(const float *)x, b = *(const float *)y;
    return (a > b) - (a < b);
}

/* 300k rows, unweighted, scores spread over negatives and positives with
 * ties: AUC against the rank-sum formula (average ranks for ties), which
 * exercises every byte pass of the radix sort. */
void test_eval_large_ranksum(void)
{
    const size_t n = 300000;
    float *y = malloc(n * sizeof *y), *p = malloc(n * sizeof *p);
    float(*pair)[2] = malloc(n * sizeof *pair);
    trng_seed(77);
    for (size_t i = 0; i < n; i++) {
        const double s = trng_uniform();
        p[i] = i % 5 == 0 ? (float)trng_below(100)
                          : (float)((s - 0.5) * 1e6 * trng_uniform());
        y[i] = trng_uniform() < s ? 1.0f : 0.0f;
        pair[i][0] = p[i];
        pair[i][1] = y[i];
    }
    qsort(pair, n, sizeof *pair, cmp_pair);
    double rank_sum = 0, npos = 0;
    for (size_t s = 0, e; s < n; s = e) {
        for (e = s + 1; e < n && pair[e][0] == pair[s][0]; e++)
            ;
        const double avg = (s + 1 + e) / 2.0; /* mean of ranks s+1..e */
        for (size_t i = s; i < e; i++)
            if (pair[i][1] > 0) {
                rank_sum += avg;
                npos++;
            }
    }
    const double nneg = n - npos;
    const double want = (rank_sum - npos * (npos + 1) / 2) / (npos * nneg);
    heft_metrics m;
    CHECK_OK(heft_evaluate(y, p, NULL, NULL, n, NULL, &m, NULL));
    CHECK_NEAR(m.auc.value, want, 1e-9);
    CHECK(m.auc.value > 0.55);
    free(y);
    free(p);
    free(pair);
}

/* Reasonable data for the bootstrap tests: n rows in groups of 10, a
 * model that ranks well but is over-confident (so ECE is clearly > 0). */
static tdata boot_data(size_t n, uint64_t seed)
{
    tdata d = tdata_make(n, 1, 1, 1, seed);
    trng_seed(seed);
    for (size_t i = 0; i < n; i++) {
        const double t = 0.05 + 0.5 * trng_uniform();
        d.label[i] = trng_uniform() < t ? 1.0f : 0.0f;
        d.pred[i] = (float)fmin(0.99, t * 1.3 + 0.1 * trng_uniform());
        d.weight[i] = 1.0f;
        d.group[i] = i / 10;
    }
    return d;
}

void test_eval_bootstrap_contains(void)
{
    tdata d = boot_data(4000, 5);
    heft_eval_opts o = heft_eval_opts_default();
    o.bootstrap = 200;
    const heft_metrics m = eval_ok(&d, NULL, d.group, &o);
    const heft_ci *cis[] = {&m.auc, &m.logloss, &m.ne, &m.calibration,
                            &m.ece, &m.gauc, &m.ndcg, &m.mrr,
                            &m.precision, &m.recall, &m.f1};
    for (size_t j = 0; j < sizeof cis / sizeof cis[0]; j++) {
        const heft_ci *c = cis[j];
        if (!(c->lo < c->value && c->value < c->hi))
            heft_test_fail(__FILE__, __LINE__, "metric %zu: %g not in "
                           "(%g, %g)", j, c->value, c->lo, c->hi);
    }
    tdata_free(&d);
}

/* Interval widths shrink like 1/sqrt(n). */
void test_eval_bootstrap_width(void)
{
    heft_eval_opts o = heft_eval_opts_default();
    o.bootstrap = 400;
    o.threads = 2;
    tdata small = boot_data(1000, 11), big = boot_data(25000, 12);
    const heft_metrics ms = eval_ok(&small, NULL, small.group, &o);
    const heft_metrics mb = eval_ok(&big, NULL, big.group, &o);
    /* sqrt(25) = 5 times narrower in expectation; demand 3. */
    CHECK(mb.auc.hi - mb.auc.lo < (ms.auc.hi - ms.auc.lo) / 3);
    CHECK(mb.logloss.hi - mb.logloss.lo <
          (ms.logloss.hi - ms.logloss.lo) / 3);
    CHECK(mb.gauc.hi - mb.gauc.lo < (ms.gauc.hi - ms.gauc.lo) / 3);
    CHECK(mb.ndcg.hi - mb.ndcg.lo < (ms.ndcg.hi - ms.ndcg.lo) / 3);
    CHECK(mb.f1.hi - mb.f1.lo < (ms.f1.hi - ms.f1.lo) / 3);
    tdata_free(&small);
    tdata_free(&big);
}

/* The mean log loss of independent rows is close to normal, so each side
 * of its 95% interval should be 1.96 sd(loss) / sqrt(n). With 2000
 * resamples each side is estimated within about 3%; a wrong multiplicity
 * distribution or a wrong percentile (say 95% for 97.5%) is off by 15%
 * or more. */
void test_eval_bootstrap_normal_theory(void)
{
    tdata d = boot_data(25000, 13);
    heft_eval_opts o = heft_eval_opts_default();
    o.bootstrap = 2000;
    o.threads = 2;
    const heft_metrics m = eval_ok(&d, NULL, NULL, &o);
    double s = 0, s2 = 0;
    for (size_t i = 0; i < d.n; i++) {
        const double q = d.pred[i];
        const double l = d.label[i] > 0 ? -log(q) : -log(1 - q);
        s += l;
        s2 += l * l;
    }
    const double mean = s / d.n, sd = sqrt(s2 / d.n - mean * mean);
    const double half = 1.96 * sd / sqrt((double)d.n);
    CHECK_NEAR(m.logloss.value, mean, 1e-6);
    CHECK_NEAR(m.logloss.hi - m.logloss.value, half, 0.1 * half);
    CHECK_NEAR(m.logloss.value - m.logloss.lo, half, 0.1 * half);
    tdata_free(&d);
}

void test_eval_bootstrap_deterministic(void)
{
    tdata d = boot_data(3000, 21);
    heft_eval_opts o = heft_eval_opts_default();
    o.bootstrap = 50;
    const heft_metrics none = eval_ok(&d, d.weight, d.group, NULL);
    CHECK(isnan(none.auc.lo) && isnan(none.auc.hi));
    CHECK(isnan(none.ndcg.lo) && isnan(none.f1.hi));
    const heft_metrics a = eval_ok(&d, d.weight, d.group, &o);
    const heft_metrics b = eval_ok(&d, d.weight, d.group, &o);
    CHECK(memcmp(&a, &b, sizeof a) == 0);
    for (int t = 2; t <= 5; t += 3) {
        o.threads = t;
        const heft_metrics c = eval_ok(&d, d.weight, d.group, &o);
        CHECK(memcmp(&a, &c, sizeof a) == 0);
    }
    /* The point estimate does not depend on the bootstrap. */
    CHECK(a.auc.value == none.auc.value && a.ndcg.value == none.ndcg.value);
    o.seed = 2;
    const heft_metrics e = eval_ok(&d, d.weight, d.group, &o);
    CHECK(e.auc.lo != a.auc.lo || e.auc.hi != a.auc.hi);
    CHECK(e.gauc.lo != a.gauc.lo || e.gauc.hi != a.gauc.hi);
    tdata_free(&d);
}

void test_eval_errors(void)
{
    float y[] = {0, 1, 0, 1, 1};
    float p[] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f};
    float w[] = {1, 1, 1, 1, 1};
    heft_metrics m;
    heft_error err;
    CHECK(heft_evaluate(y, p, NULL, NULL, 0, NULL, &m, &err) == HEFT_EEMPTY);
    CHECK(heft_evaluate(NULL, NULL, NULL, NULL, 0, NULL, &m, &err) ==
          HEFT_EEMPTY);
    CHECK(heft_evaluate(y, p, NULL, NULL, 5, NULL, NULL, &err) ==
          HEFT_EINVAL);
    p[3] = NAN;
    CHECK(heft_evaluate(y, p, NULL, NULL, 5, NULL, &m, &err) == HEFT_EINVAL);
    CHECK(err.code == HEFT_EINVAL && strstr(err.msg, "row 3") != NULL);
    CHECK(m.rows == 0 && isnan(m.auc.value)); /* out cleared on failure */
    p[3] = INFINITY;
    CHECK(heft_evaluate(y, p, NULL, NULL, 5, NULL, &m, &err) == HEFT_EINVAL);
    p[3] = 0.4f;
    w[2] = -1.0f;
    CHECK(heft_evaluate(y, p, w, NULL, 5, NULL, &m, &err) == HEFT_EINVAL);
    CHECK(strstr(err.msg, "row 2") != NULL && strstr(err.msg, "weight"));
    w[2] = NAN;
    CHECK(heft_evaluate(y, p, w, NULL, 5, NULL, &m, &err) == HEFT_EINVAL);
    for (int i = 0; i < 5; i++)
        w[i] = 0.0f;
    CHECK(heft_evaluate(y, p, w, NULL, 5, NULL, &m, &err) == HEFT_EEMPTY);
    y[4] = NAN;
    CHECK(heft_evaluate(y, p, NULL, NULL, 5, NULL, &m, &err) == HEFT_EINVAL);
    CHECK(strstr(err.msg, "label of row 4") != NULL);
    y[4] = 1.0f;
    heft_eval_opts o = heft_eval_opts_default();
    o.ndcg_k = 0;
    CHECK(heft_evaluate(y, p, NULL, NULL, 5, &o, &m, &err) == HEFT_EINVAL);
    CHECK(strstr(err.msg, "ndcg_k") != NULL);
    o = heft_eval_opts_default();
    o.ece_bins = 0;
    CHECK(heft_evaluate(y, p, NULL, NULL, 5, &o, &m, &err) == HEFT_EINVAL);
    o = heft_eval_opts_default();
    o.bootstrap = -1;
    CHECK(heft_evaluate(y, p, NULL, NULL, 5, &o, &m, &err) == HEFT_EINVAL);
    o = heft_eval_opts_default();
    o.threshold = NAN;
    CHECK(heft_evaluate(y, p, NULL, NULL, 5, &o, &m, &err) == HEFT_EINVAL);
    CHECK_OK(heft_evaluate(y, p, NULL, NULL, 5, NULL, &m, &err));
    CHECK(err.code == HEFT_OK);
}
