/*
 * eval.c: heft_evaluate(), the driver: checks options and inputs, builds
 * the sorted rows (eval_rows.c) and per-group statistics (eval_groups.c),
 * takes the point estimates and, when asked, bootstrap percentile
 * intervals (Efron & Tibshirani 1993, ch. 13).
 *
 * The bootstrap is the Poisson bootstrap (Hanley & MacGibbon 2006;
 * Chamandy et al. 2012): resample b gives every row (and, for GAUC, NDCG
 * and MRR, every group) an independent Poisson(1) multiplicity, the
 * large-n limit of Efron's multinomial resampling. Multiplicities are
 * drawn in sorted order while sweeping, so a resample is one O(n) pass
 * with no sort and no second array. Resample b draws from an rng seeded
 * with heft__seed_mix(seed, b), so results do not depend on how resamples
 * are spread over threads.
 */
#include "eval.h"

#include <math.h>
#include <stdlib.h>

#define MAX_BINS (1 << 24)
#define MAX_BOOTSTRAP 1000000

heft_eval_opts heft_eval_opts_default(void)
{
    return (heft_eval_opts){
        .threshold = 0.5,
        .ndcg_k = 10,
        .ece_bins = 10,
        .bootstrap = 0,
        .seed = 1,
        .threads = 1,
    };
}

static heft_status check_opts(const heft_eval_opts *o, heft_error *err)
{
    if (!isfinite(o->threshold))
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "threshold is %g; expected a finite number",
                         o->threshold);
    if (o->ndcg_k < 1)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "ndcg_k is %d; expected at least 1", o->ndcg_k);
    if (o->ece_bins < 1 || o->ece_bins > MAX_BINS)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "ece_bins is %d; expected 1..%d", o->ece_bins,
                         MAX_BINS);
    if (o->bootstrap < 0 || o->bootstrap > MAX_BOOTSTRAP)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "bootstrap is %d; expected 0..%d", o->bootstrap,
                         MAX_BOOTSTRAP);
    return HEFT_OK;
}

/* Rejects NaN or infinite labels and predictions and negative or
 * non-finite weights, naming the first bad row (0-based). Also rejects
 * data whose weights are all zero. */
static heft_status check_inputs(const float *label, const float *pred,
                                const float *weight, size_t n,
                                heft_error *err)
{
    double wsum = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(pred[i]))
            return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                             "prediction of row %zu is %g; expected a "
                             "finite number", i, (double)pred[i]);
        if (!isfinite(label[i]))
            return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                             "label of row %zu is %g; expected a finite "
                             "number", i, (double)label[i]);
        if (weight) {
            if (!(weight[i] >= 0.0f) || !isfinite(weight[i]))
                return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                                 "weight of row %zu is %g; expected a "
                                 "finite number >= 0", i, (double)weight[i]);
            wsum += weight[i];
        }
    }
    if (weight && !(wsum > 0))
        return heft__err(err, HEFT_EEMPTY, NULL, 0, 0,
                         "every one of the %zu rows has weight 0; nothing "
                         "to evaluate", n);
    return HEFT_OK;
}

static void metrics_clear(heft_metrics *m)
{
    const heft_ci none = {NAN, NAN, NAN};
    *m = (heft_metrics){.rows = 0, .weight_sum = NAN, .pos_rate = NAN};
    m->auc = m->logloss = m->ne = m->calibration = m->ece = none;
    m->gauc = m->ndcg = m->mrr = none;
    m->precision = m->recall = m->f1 = none;
}

/* The fields of m in HEFT__M_* order. */
static heft_ci *metric_slot(heft_metrics *m, int j)
{
    heft_ci *const slots[HEFT__M_COUNT] = {
        [HEFT__M_AUC] = &m->auc,         [HEFT__M_LOGLOSS] = &m->logloss,
        [HEFT__M_NE] = &m->ne,           [HEFT__M_CAL] = &m->calibration,
        [HEFT__M_ECE] = &m->ece,         [HEFT__M_PREC] = &m->precision,
        [HEFT__M_REC] = &m->recall,      [HEFT__M_F1] = &m->f1,
        [HEFT__M_GAUC] = &m->gauc,       [HEFT__M_NDCG] = &m->ndcg,
        [HEFT__M_MRR] = &m->mrr,
    };
    return slots[j];
}

/* ---- bootstrap ------------------------------------------------------ */

typedef struct boot_ctx {
    const heft__eval_rows *rows;
    const heft__eval_groups *groups; /* NULL without groups */
    heft__pois pois;
    uint64_t seed;
    int B;
    double *vals; /* (B, HEFT__M_COUNT) metric values per resample */
} boot_ctx;

/* Thread t of n runs resamples [t B / n, (t+1) B / n). */
static void boot_task(void *ctx, int t, int n)
{
    boot_ctx *c = ctx;
    const size_t lo = (size_t)c->B * (size_t)t / (size_t)n;
    const size_t hi = (size_t)c->B * (size_t)(t + 1) / (size_t)n;
    for (size_t b = lo; b < hi; b++) {
        double *v = c->vals + b * HEFT__M_COUNT;
        heft__rng rng;
        heft__rng_seed(&rng, heft__seed_mix(c->seed, b));
        heft__row_sums rs;
        heft__eval_rows_sweep(c->rows, &c->pois, &rng, &rs);
        heft__eval_row_values(&rs, v);
        v[HEFT__M_GAUC] = v[HEFT__M_NDCG] = v[HEFT__M_MRR] = NAN;
        if (c->groups) {
            heft__group_sums gs;
            heft__eval_groups_sweep(c->groups, &c->pois, &rng, &gs);
            heft__eval_group_values(&gs, v);
        }
    }
}

static int cmp_double(const void *x, const void *y)
{
    const double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* The q-quantile of sorted x[0..m) by linear interpolation between order
 * statistics (Hyndman & Fan 1996, type 7); NAN when m = 0. */
static double quantile(const double *x, size_t m, double q)
{
    if (m == 0)
        return NAN;
    const double h = q * (double)(m - 1);
    const size_t i = (size_t)h;
    if (i + 1 >= m)
        return x[m - 1];
    return x[i] + (h - (double)i) * (x[i + 1] - x[i]);
}

/* Sets lo/hi of every metric of m to the 2.5% and 97.5% percentiles of
 * its resamples, ignoring resamples where it was undefined (NAN). */
static void boot_intervals(const double *vals, int B, double *buf,
                           heft_metrics *m)
{
    for (int j = 0; j < HEFT__M_COUNT; j++) {
        size_t cnt = 0;
        for (int b = 0; b < B; b++) {
            const double x = vals[(size_t)b * HEFT__M_COUNT + (size_t)j];
            if (!isnan(x))
                buf[cnt++] = x;
        }
        qsort(buf, cnt, sizeof *buf, cmp_double);
        heft_ci *ci = metric_slot(m, j);
        ci->lo = quantile(buf, cnt, 0.025);
        ci->hi = quantile(buf, cnt, 0.975);
    }
}

static heft_status bootstrap(const heft__eval_rows *rows,
                             const heft__eval_groups *groups,
                             const heft_eval_opts *o, heft_metrics *m)
{
    boot_ctx c = {rows, groups, {{0}}, o->seed, o->bootstrap, NULL};
    heft__pois_init(&c.pois);
    c.vals = heft__malloc((size_t)o->bootstrap * HEFT__M_COUNT,
                          sizeof *c.vals);
    double *buf = heft__malloc((size_t)o->bootstrap, sizeof *buf);
    if (!c.vals || !buf) {
        free(c.vals);
        free(buf);
        return HEFT_ENOMEM;
    }
    int threads = heft__threads(o->threads);
    if (threads > o->bootstrap)
        threads = o->bootstrap;
    /* HEFT_ENOMEM from heft__parallel means threads could not start and
     * the work ran inline: the values are complete either way. */
    (void)heft__parallel(threads, boot_task, &c);
    boot_intervals(c.vals, o->bootstrap, buf, m);
    free(c.vals);
    free(buf);
    return HEFT_OK;
}

/* ---- the entry point ------------------------------------------------ */

/* Point estimates of every metric into m, from rows and groups (NULL). */
static void point_estimates(const heft__eval_rows *rows,
                            const heft__eval_groups *groups, size_t n,
                            heft_metrics *m)
{
    double v[HEFT__M_COUNT];
    heft__row_sums rs;
    heft__eval_rows_sweep(rows, NULL, NULL, &rs);
    heft__eval_row_values(&rs, v);
    v[HEFT__M_GAUC] = v[HEFT__M_NDCG] = v[HEFT__M_MRR] = NAN;
    if (groups) {
        heft__group_sums gs;
        heft__eval_groups_sweep(groups, NULL, NULL, &gs);
        heft__eval_group_values(&gs, v);
        m->gauc_groups = gs.gauc_groups;
    }
    for (int j = 0; j < HEFT__M_COUNT; j++)
        metric_slot(m, j)->value = v[j];
    m->rows = n;
    m->weight_sum = rs.w;
    m->pos_rate = rs.w > 0 ? rs.wpos / rs.w : NAN;
}

heft_status heft_evaluate(const float *label, const float *pred,
                          const float *weight, const uint64_t *group,
                          size_t n, const heft_eval_opts *opts,
                          heft_metrics *out, heft_error *err)
{
    heft__err_clear(err);
    const heft_eval_opts o = opts ? *opts : heft_eval_opts_default();
    if (out)
        metrics_clear(out);
    if (!out || (n > 0 && (!label || !pred)))
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "heft_evaluate needs labels, predictions and an "
                         "output struct");
    if (n == 0)
        return heft__err(err, HEFT_EEMPTY, NULL, 0, 0,
                         "no rows to evaluate");
    heft_status st = check_opts(&o, err);
    if (st == HEFT_OK)
        st = check_inputs(label, pred, weight, n, err);
    if (st != HEFT_OK)
        return st;

    heft__eval_rows rows = {0};
    heft__eval_groups groups = {0};
    heft__kv *a = heft__malloc(n, sizeof *a);
    heft__kv *tmp = heft__malloc(n, sizeof *tmp);
    st = a && tmp ? heft__eval_rows_build(label, pred, weight, n,
                                          o.threshold, o.ece_bins, a, tmp,
                                          &rows)
                  : HEFT_ENOMEM;
    if (st == HEFT_OK && group)
        st = heft__eval_groups_build(label, pred, weight, group, n,
                                     o.ndcg_k, a, tmp, &groups);
    free(a);
    free(tmp);
    heft_metrics m;
    metrics_clear(&m);
    if (st == HEFT_OK) {
        point_estimates(&rows, group ? &groups : NULL, n, &m);
        if (o.bootstrap > 0)
            st = bootstrap(&rows, group ? &groups : NULL, &o, &m);
    }
    heft__eval_rows_free(&rows);
    heft__eval_groups_free(&groups);
    if (st != HEFT_OK)
        return heft__err(err, st, NULL, 0, 0,
                         "out of memory evaluating %zu rows", n);
    *out = m;
    return HEFT_OK;
}
