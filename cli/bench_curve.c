/*
 * bench_curve.c: the curve tasks of `heft bench` (docs/bench-tasks.md):
 *
 *   removal   remove the share x = step, 2 step, ..., max-remove of the
 *             training rows, highest-valued first ("high") and
 *             lowest-valued first ("low"), or at random; retrain; test AUC
 *             and logloss per step (Ghorbani & Zou, "Data Shapley", ICML
 *             2019, Fig. 2: removing valuable rows first should hurt
 *             fastest, removing harmful rows first should help);
 *   prune     keep the share x = 0.1, ..., 0.9 of the rows: the highest-
 *             valued by each method ("M") and the lowest-valued ("M:low":
 *             for the loss-like columns the hardest rows, which is how
 *             Paul et al. 2021 prune with EL2N), a random x, or by negative
 *             downsampling (every positive and a share w = (x N - P) /
 *             (N - P) of the negatives, predictions recalibrated with
 *             q = p / (p + (1 - p) / w), He et al. 2014): the negatives in
 *             random order ("negatives") or highest value first ("M:neg",
 *             value-guided downsampling); test AUC and
 *             normalized entropy; the smallest fraction from which on the
 *             AUC stays within --tol (0.1%) relative of the full data's
 *             (heft_bench_frontier);
 *   addition  start from a random seed set of --seed-frac of the rows and
 *             add the others highest value first (or in random order) in
 *             --step steps; retrain; test AUC and logloss.
 *
 * Per seed: score the training rows (the methods' seeds = the seed), order
 * them, and retrain one model per curve and step with that seed
 * (heft_bench_retrain; a step that keeps every row reuses the full-data
 * model). Per curve and step: the metric averaged over the seeds' models
 * on the test rows, its 95% Poisson-bootstrap interval over the test rows,
 * and the paired bootstrap test against the random curve at the same step
 * (the same resampled test rows for both). Ties in value are taken in a
 * seeded random order.
 */
#include "bench_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_STEPS = 128 };
enum { C_METHOD = 0, C_RANDOM, C_NEG };
enum { T_REMOVAL = 0, T_PRUNE, T_ADDITION };

typedef struct curve {
    char name[80];
    int kind, col, high; /* removal: high = remove the highest first */
    float **pred;        /* (steps, seeds): owned, or the full model's */
    double auc[MAX_STEPS], m2[MAX_STEPS], lo[MAX_STEPS], hi[MAX_STEPS];
    double p[MAX_STEPS], dlo[MAX_STEPS], dhi[MAX_STEPS];
    double pn[MAX_STEPS], nlo[MAX_STEPS], nhi[MAX_STEPS]; /* vs negatives */
    double *boot;        /* (steps, B + 1) AUC resamples */
} curve;

typedef struct curve_task {
    bench_run *r;
    int task;
    size_t n, n_steps, n_curves, n_test, cols;
    double x[MAX_STEPS]; /* removed / kept / present share per step */
    curve *c;
    float *full[BENCH_MAX_SEEDS];
    double full_auc, full_m2, full_lo, full_hi;
    double *full_boot;
    /* Per seed while it runs: */
    uint32_t *order; /* (cols, n) ascending value */
    uint32_t *perm;  /* (n,) random order       */
    uint8_t *in;     /* (n,) scratch of addition and --stratify */
    size_t n_class[2]; /* rows labelled 0 and 1 */
    int stratify;
    size_t s;
} curve_task;

/* ---------------------------------------------------------------------- */
/* Steps and curves                                                        */
/* ---------------------------------------------------------------------- */

/* The shares of the task's steps (share 1 kept = the full data). */
static int make_steps(curve_task *ct)
{
    const cli_args *a = ct->r->a;
    size_t t = 0;
    if (ct->task == T_PRUNE) {
        for (int i = 1; i <= 10; i++)
            ct->x[t++] = i / 10.0;
    } else if (ct->task == T_REMOVAL) {
        const double step = cli_num(a, "step", 0.05);
        const double mx = cli_num(a, "max-remove", 0.5);
        for (int i = 0; i * step <= mx + 1e-9 && t < MAX_STEPS; i++)
            ct->x[t++] = i * step;
    } else {
        const double step = cli_num(a, "step", 0.05);
        const double s0 = cli_num(a, "seed-frac", 0.1);
        for (int i = 0; s0 + i * step < 1 - 1e-9 && t < MAX_STEPS; i++)
            ct->x[t++] = s0 + i * step;
        if (t < MAX_STEPS)
            ct->x[t++] = 1.0;
    }
    if (t >= MAX_STEPS)
        return cli_usage_error(a->cmd, "--step: more than %d steps",
                               MAX_STEPS - 1);
    ct->n_steps = t;
    return CLI_OK;
}

static int add_curve(curve_task *ct, const char *name, int kind, int col,
                     int high)
{
    curve *c = &ct->c[ct->n_curves++];
    snprintf(c->name, sizeof c->name, "%s", name);
    c->kind = kind;
    c->col = col;
    c->high = high;
    const size_t S = ct->r->n_seeds, B1 = (size_t)ct->r->bo.resamples + 1;
    c->pred = calloc(ct->n_steps * S, sizeof *c->pred);
    c->boot = calloc(ct->n_steps * B1, sizeof *c->boot);
    return c->pred && c->boot ? CLI_OK : bench_oom();
}

/* The curves: per method (removal: high and low), random, negatives. */
static int make_curves(curve_task *ct, const heft_scores *sc)
{
    ct->cols = heft_scores_cols(sc);
    if (ct->cols > BENCH_MAX_COLS)
        return cli_failf("more than %d score columns", BENCH_MAX_COLS);
    const size_t per = ct->task == T_ADDITION ? 1 : 2;
    const int guided = ct->task == T_PRUNE;
    ct->c = calloc(ct->cols * (per + guided) + 2, sizeof *ct->c);
    if (!ct->c)
        return bench_oom();
    int rc = CLI_OK;
    char name[80];
    for (size_t j = 0; rc == CLI_OK && j < ct->cols; j++)
        for (size_t h = 0; rc == CLI_OK && h < per; h++) {
            /* prune: "M" keeps the highest-valued rows, "M:low" the
             * lowest (the hardest, for the loss-like columns). */
            snprintf(name, sizeof name, "%s%s", heft_scores_name(sc, j),
                     ct->task == T_PRUNE && h ? ":low" : "");
            rc = add_curve(ct, name, C_METHOD, (int)j, h == 0);
        }
    /* prune "M:neg": every positive and the highest-valued negatives,
     * recalibrated as negative downsampling (value-guided downsampling). */
    for (size_t j = 0; rc == CLI_OK && guided && j < ct->cols; j++) {
        snprintf(name, sizeof name, "%s:neg", heft_scores_name(sc, j));
        rc = add_curve(ct, name, C_NEG, (int)j, 1);
    }
    if (rc == CLI_OK)
        rc = add_curve(ct, "random", C_RANDOM, -1, 0);
    if (rc == CLI_OK && ct->task == T_PRUNE)
        rc = add_curve(ct, "negatives", C_NEG, -1, 0);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Which rows a curve trains on at a step                                  */
/* ---------------------------------------------------------------------- */

/* Negative downsampling to a share x of the rows: every positive and the
 * first w (N - P) negatives in random order. Returns the rows, 0 when the
 * share is below the positives' (the point is undefined). */
static size_t neg_rows(const curve_task *ct, const uint32_t *ord, int high,
                       double x, uint64_t *rows, double *w)
{
    const float *y = heft_dataset_labels(ct->r->train);
    size_t P = 0;
    for (size_t i = 0; i < ct->n; i++)
        P += y[i] > 0;
    const double want = x * (double)ct->n;
    if (want <= (double)P || P == ct->n)
        return 0;
    *w = (want - (double)P) / (double)(ct->n - P);
    const size_t negs = (size_t)llround(*w * (double)(ct->n - P));
    size_t m = 0, taken = 0;
    for (size_t k = 0; k < ct->n; k++) {
        const uint32_t i = !ord ? ct->perm[k] : high ? ord[ct->n - 1 - k]
                                                     : ord[k];
        if (y[i] > 0)
            rows[m++] = i;
        else if (taken < negs) {
            rows[m++] = i;
            taken++;
        }
    }
    return m;
}

/* Addition: the random seed set (perm's first s0 rows), then the others
 * by value descending (ord NULL: in perm order), up to `want` rows. */
static size_t add_rows(const curve_task *ct, const uint32_t *ord,
                       size_t want, uint64_t *rows)
{
    const size_t s0 = (size_t)llround(cli_num(ct->r->a, "seed-frac", 0.1) *
                                      (double)ct->n);
    uint8_t *in = ct->in;
    memset(in, 0, ct->n);
    size_t m = 0;
    for (size_t k = 0; k < s0 && k < ct->n; k++) {
        in[ct->perm[k]] = 1;
        rows[m++] = ct->perm[k];
    }
    for (size_t k = ct->n; k-- > 0 && m < want;) {
        const uint32_t i = ord ? ord[k] : ct->perm[ct->n - 1 - k];
        if (!in[i])
            rows[m++] = i;
    }
    return m;
}

/* --stratify: marks in ct->in the rows taken from order o (from its high
 * end when high, else its low end), round(share n_c) of each class c;
 * then writes the marked rows (keep_marked) or the others into rows.
 * Returns how many were written. */
static size_t strat_rows(const curve_task *ct, const uint32_t *o, int high,
                         double share, int keep_marked, uint64_t *rows)
{
    const float *y = heft_dataset_labels(ct->r->train);
    const size_t n = ct->n;
    size_t want[2];
    for (int k = 0; k < 2; k++)
        want[k] = (size_t)llround(share * (double)ct->n_class[k]);
    memset(ct->in, 0, n);
    for (size_t k = 0; k < n && (want[0] || want[1]); k++) {
        const uint32_t i = high ? o[n - 1 - k] : o[k];
        const int cls = y[i] > 0;
        if (want[cls]) {
            want[cls]--;
            ct->in[i] = 1;
        }
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (ct->in[i] == keep_marked)
            rows[m++] = i;
    return m;
}

/* The training rows of curve c at step t. Returns how many; n_rows = n
 * means every row (the full model), 0 an undefined point. *w gets the
 * negative sampling rate (1 = none). */
static size_t step_rows(const curve_task *ct, const curve *c, size_t t,
                        uint64_t *rows, double *w)
{
    const size_t n = ct->n;
    const double x = ct->x[t];
    const uint32_t *ord = c->kind == C_METHOD
                              ? ct->order + (size_t)c->col * n
                              : NULL;
    *w = 1;
    const int strat = ct->stratify && c->kind != C_NEG &&
                      ct->task != T_ADDITION && x > 0 && x < 1 - 1e-12;
    if (strat)
        return strat_rows(ct, ord ? ord : ct->perm,
                          ord && c->high,
                          x, ct->task == T_PRUNE, rows);
    if (ct->task == T_REMOVAL) {
        const size_t rm = (size_t)llround(x * (double)n);
        if (rm == 0)
            return n;
        const uint32_t *o = ord ? ord : ct->perm;
        /* high: drop the top rm of the ascending order; low (and random):
         * drop the first rm. */
        const size_t from = ord && c->high ? 0 : rm;
        for (size_t k = 0; k < n - rm; k++)
            rows[k] = o[from + k];
        return n - rm;
    }
    if (x >= 1 - 1e-12)
        return n;
    if (ct->task == T_ADDITION)
        return add_rows(ct, ord, (size_t)llround(x * (double)n), rows);
    if (c->kind == C_NEG)
        return neg_rows(ct, c->col >= 0 ? ct->order + (size_t)c->col * n
                                        : NULL,
                        c->high, x, rows, w);
    const size_t keep = (size_t)llround(x * (double)n);
    for (size_t k = 0; k < keep; k++)
        rows[k] = !ord ? ct->perm[k] : c->high ? ord[n - 1 - k] : ord[k];
    return keep;
}

/* ---------------------------------------------------------------------- */
/* Runs                                                                    */
/* ---------------------------------------------------------------------- */

/* Retrains every curve at step t for the current seed. */
static int run_step(curve_task *ct, size_t t, uint64_t *rows)
{
    bench_run *r = ct->r;
    const size_t n = ct->n, S = r->n_seeds, s = ct->s;
    heft_bench_job *jobs = calloc(ct->n_curves, sizeof *jobs);
    size_t nj = 0;
    int rc = jobs ? CLI_OK : bench_oom();
    for (size_t q = 0; rc == CLI_OK && q < ct->n_curves; q++) {
        curve *c = &ct->c[q];
        double w;
        const size_t m = step_rows(ct, c, t, rows + nj * n, &w);
        if (m == n) {
            c->pred[t * S + s] = ct->full[s];
            continue;
        }
        if (m == 0)
            continue;
        if (!(c->pred[t * S + s] = malloc(ct->n_test * sizeof(float)))) {
            rc = bench_oom();
            break;
        }
        jobs[nj] = (heft_bench_job){rows + nj * n, m, w, r->seeds[s],
                                    c->pred[t * S + s]};
        nj++;
    }
    if (rc == CLI_OK && nj)
        rc = bench_retrain(r, NULL, r->test, jobs, nj);
    free(jobs);
    return rc;
}

/* One seed: score, order, the full model, then every step. */
static int run_seed(curve_task *ct)
{
    bench_run *r = ct->r;
    const size_t n = ct->n;
    heft_scores *sc = NULL;
    int rc = bench_score(r, r->train, r->valid, r->seeds[ct->s], &sc);
    if (rc == CLI_OK && !ct->c)
        rc = make_curves(ct, sc);
    else if (rc == CLI_OK && heft_scores_cols(sc) != ct->cols)
        rc = cli_failf("internal error: the runs gave different columns");
    if (rc == CLI_OK && !ct->order) {
        ct->order = malloc((ct->cols ? ct->cols : 1) * n * sizeof *ct->order);
        ct->perm = malloc(n * sizeof *ct->perm);
        ct->in = malloc(n);
        if (!ct->order || !ct->perm || !ct->in)
            rc = bench_oom();
    }
    for (size_t j = 0; rc == CLI_OK && j < ct->cols; j++)
        rc = bench_order(heft_scores_col(sc, j), n, r->seeds[ct->s],
                         ct->order + j * n);
    heft_scores_free(sc);
    if (rc == CLI_OK)
        rc = bench_perm(n, r->seeds[ct->s], ct->perm);
    heft_bench_job full = {NULL, 0, 1, r->seeds[ct->s], NULL};
    if (rc == CLI_OK &&
        !(full.pred = ct->full[ct->s] = malloc(ct->n_test * sizeof(float))))
        rc = bench_oom();
    if (rc == CLI_OK)
        rc = bench_retrain(r, NULL, r->test, &full, 1);
    uint64_t *rows = NULL;
    if (rc == CLI_OK && !(rows = malloc(ct->n_curves * n * sizeof *rows)))
        rc = bench_oom();
    for (size_t t = 0; rc == CLI_OK && t < ct->n_steps; t++)
        rc = run_step(ct, t, rows);
    free(rows);
    if (rc == CLI_OK)
        cli_info(r->a, "seed %llu: %zu models retrained so far",
                 (unsigned long long)r->seeds[ct->s], r->retrainings);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Metrics                                                                 */
/* ---------------------------------------------------------------------- */

/* The second metric of the task: NE for prune, logloss otherwise. */
static heft_bench_metric metric2(const curve_task *ct)
{
    return ct->task == T_PRUNE ? HEFT_BENCH_NE : HEFT_BENCH_LOGLOSS;
}

/* AUC (with its resamples in boot) and the second metric of the seeds'
 * predictions sets[0..S); NAN when a seed has none. */
static int point(curve_task *ct, float **sets, double *boot, double *m2)
{
    bench_run *r = ct->r;
    const size_t S = r->n_seeds, B1 = (size_t)r->bo.resamples + 1;
    for (size_t s = 0; s < S; s++)
        if (!sets[s]) {
            for (size_t b = 0; b < B1; b++)
                boot[b] = NAN;
            *m2 = NAN;
            return CLI_OK;
        }
    const float *const *cs = (const float *const *)sets;
    double *tmp = malloc(B1 * sizeof *tmp);
    int rc = tmp ? bench_boot(r, r->test, cs, S, HEFT_BENCH_AUC, boot)
                 : bench_oom();
    if (rc == CLI_OK)
        rc = bench_boot(r, r->test, cs, S, metric2(ct), tmp);
    *m2 = rc == CLI_OK ? tmp[0] : NAN;
    free(tmp);
    return rc;
}

static int measure(curve_task *ct)
{
    bench_run *r = ct->r;
    const size_t S = r->n_seeds, B1 = (size_t)r->bo.resamples + 1;
    const int B = r->bo.resamples;
    ct->full_boot = malloc(B1 * sizeof *ct->full_boot);
    int rc = ct->full_boot ? point(ct, ct->full, ct->full_boot, &ct->full_m2)
                           : bench_oom();
    ct->full_auc = ct->full_boot ? ct->full_boot[0] : NAN;
    if (rc == CLI_OK)
        heft_bench_interval(ct->full_boot, B, &ct->full_lo, &ct->full_hi);
    for (size_t q = 0; rc == CLI_OK && q < ct->n_curves; q++) {
        curve *c = &ct->c[q];
        for (size_t t = 0; rc == CLI_OK && t < ct->n_steps; t++) {
            rc = point(ct, c->pred + t * S, c->boot + t * B1, &c->m2[t]);
            c->auc[t] = c->boot[t * B1];
            heft_bench_interval(c->boot + t * B1, B, &c->lo[t], &c->hi[t]);
        }
    }
    const curve *rnd = NULL, *neg = NULL;
    for (size_t q = 0; q < ct->n_curves; q++) {
        rnd = ct->c[q].kind == C_RANDOM ? &ct->c[q] : rnd;
        neg = ct->c[q].kind == C_NEG && ct->c[q].col < 0 ? &ct->c[q] : neg;
    }
    for (size_t q = 0; rc == CLI_OK && q < ct->n_curves; q++)
        for (size_t t = 0; t < ct->n_steps; t++) {
            curve *c = &ct->c[q];
            heft_bench_paired d = heft_bench_compare(
                c->boot + t * B1, rnd->boot + t * B1, B);
            c->p[t] = d.p;
            c->dlo[t] = d.lo;
            c->dhi[t] = d.hi;
            d = neg ? heft_bench_compare(c->boot + t * B1,
                                         neg->boot + t * B1, B)
                    : (heft_bench_paired){NAN, NAN, NAN, NAN};
            c->pn[t] = d.p;
            c->nlo[t] = d.lo;
            c->nhi[t] = d.hi;
        }
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Output                                                                  */
/* ---------------------------------------------------------------------- */

static void json_cis(FILE *f, const double *lo, const double *hi, size_t n)
{
    fputc('[', f);
    for (size_t t = 0; t < n; t++) {
        if (t)
            fputc(',', f);
        bench_json_ci(f, lo[t], hi[t]);
    }
    fputc(']', f);
}

/* {"auc":[...],"logloss"|"ne":[...],"auc_ci":[...],...} of one curve. */
static void json_curve(const curve_task *ct, const curve *c)
{
    FILE *f = ct->r->js;
    const size_t T = ct->n_steps;
    fputs("{\"auc\":", f);
    bench_json_array(f, c->auc, T);
    bench_json_key(f, ct->task == T_PRUNE ? "ne" : "logloss");
    bench_json_array(f, c->m2, T);
    bench_json_key(f, "auc_ci");
    json_cis(f, c->lo, c->hi, T);
    if (c->kind != C_RANDOM) {
        bench_json_key(f, "p_vs_random");
        bench_json_array(f, c->p, T);
        bench_json_key(f, "diff_vs_random_ci");
        json_cis(f, c->dlo, c->dhi, T);
    }
    fputc('}', f);
}

static void json_full(const curve_task *ct)
{
    FILE *f = ct->r->js;
    fputs(",\"full\":{\"auc\":", f);
    cli_json_num(f, ct->full_auc);
    bench_json_key(f, ct->task == T_PRUNE ? "ne" : "logloss");
    cli_json_num(f, ct->full_m2);
    bench_json_key(f, "auc_ci");
    bench_json_ci(f, ct->full_lo, ct->full_hi);
    fputc('}', f);
}

/* removal: methods {m: {high: curve, low: curve}}, random. */
static void json_removal(const curve_task *ct)
{
    FILE *f = ct->r->js;
    fputs(",\"methods\":{", f);
    for (size_t q = 0; q + 1 < ct->n_curves; q += 2) {
        fprintf(f, "%s", q ? "," : "");
        cli_json_str(f, ct->c[q].name);
        fputs(":{\"high\":", f);
        json_curve(ct, &ct->c[q]);
        fputs(",\"low\":", f);
        json_curve(ct, &ct->c[q + 1]);
        fputc('}', f);
    }
    fputs("},\"random\":", f);
    json_curve(ct, &ct->c[ct->n_curves - 1]);
}

/* addition: methods {m: curve}, random. */
static void json_addition(const curve_task *ct)
{
    FILE *f = ct->r->js;
    bench_json_key(f, "seed_fraction");
    cli_json_num(f, cli_num(ct->r->a, "seed-frac", 0.1));
    fputs(",\"methods\":{", f);
    for (size_t q = 0; q + 1 < ct->n_curves; q++) {
        fprintf(f, "%s", q ? "," : "");
        cli_json_str(f, ct->c[q].name);
        fputc(':', f);
        json_curve(ct, &ct->c[q]);
    }
    fputs("},\"random\":", f);
    json_curve(ct, &ct->c[ct->n_curves - 1]);
}

/* prune: curves, smallest_fraction, p_vs_random and frontier per method. */
static void json_prune(const curve_task *ct, const int *front)
{
    FILE *f = ct->r->js;
    const size_t T = ct->n_steps;
    fputs(",\"curves\":{", f);
    for (size_t q = 0; q < ct->n_curves; q++) {
        fprintf(f, "%s", q ? "," : "");
        cli_json_str(f, ct->c[q].name);
        fputc(':', f);
        json_curve(ct, &ct->c[q]);
    }
    fputs("},\"smallest_fraction\":{", f);
    for (size_t q = 0; q < ct->n_curves; q++) {
        fprintf(f, "%s", q ? "," : "");
        cli_json_str(f, ct->c[q].name);
        fputc(':', f);
        cli_json_num(f, front[q] >= 0 ? ct->x[front[q]] : NAN);
    }
    fputs("},\"p_vs_random\":{", f);
    for (size_t q = 0, first = 1; q < ct->n_curves; q++) {
        if (ct->c[q].col < 0)
            continue;
        fprintf(f, "%s", first ? "" : ",");
        first = 0;
        cli_json_str(f, ct->c[q].name);
        fputc(':', f);
        cli_json_num(f, front[q] >= 0 ? ct->c[q].p[front[q]] : NAN);
    }
    /* At the method's smallest fraction: the AUC differences to random
     * and to negative downsampling with their paired intervals. */
    fputs("},\"frontier\":{", f);
    for (size_t q = 0, first = 1; q < ct->n_curves; q++) {
        const curve *c = &ct->c[q];
        if (c->col < 0)
            continue;
        fprintf(f, "%s", first ? "" : ",");
        first = 0;
        cli_json_str(f, c->name);
        const int t = front[q];
        const double nan = NAN;
        fputs(":{\"fraction\":", f);
        cli_json_num(f, t >= 0 ? ct->x[t] : nan);
        fputs(",\"diff_vs_random_ci\":", f);
        bench_json_ci(f, t >= 0 ? c->dlo[t] : nan, t >= 0 ? c->dhi[t] : nan);
        fputs(",\"diff_vs_negatives_ci\":", f);
        bench_json_ci(f, t >= 0 ? c->nlo[t] : nan, t >= 0 ? c->nhi[t] : nan);
        fputc('}', f);
    }
    fputc('}', f);
    (void)T;
}

static void print_table(const curve_task *ct, const int *front)
{
    FILE *f = ct->r->txt;
    const char *what = ct->task == T_REMOVAL ? "removed"
                       : ct->task == T_PRUNE ? "kept"
                                             : "present";
    fprintf(f, "%s: %s, %zu training rows, %zu test rows, %s, %zu seed%s, "
               "%zu retrainings; full data: test AUC %.4f [%.4f, %.4f], "
               "%s %.4f\n",
            ct->r->task, ct->r->a->pos[1], ct->n, ct->n_test,
            heft_model_kind_name(ct->r->so.train.model), ct->r->n_seeds,
            ct->r->n_seeds == 1 ? "" : "s", ct->r->retrainings,
            ct->full_auc, ct->full_lo, ct->full_hi,
            ct->task == T_PRUNE ? "NE" : "logloss", ct->full_m2);
    fprintf(f, "test AUC per share %s (* = p < 0.05 against random at the "
               "same share)\n%-22s", what, "curve");
    for (size_t t = 0; t < ct->n_steps; t++)
        fprintf(f, " %7.2f", ct->x[t]);
    fprintf(f, "%s\n", front ? "  smallest" : "");
    for (size_t q = 0; q < ct->n_curves; q++) {
        const curve *c = &ct->c[q];
        char label[96];
        snprintf(label, sizeof label, "%s%s", c->name,
                 ct->task != T_REMOVAL || c->kind != C_METHOD ? ""
                 : c->high                                   ? " (high)"
                                                             : " (low)");
        fprintf(f, "%-22s", label);
        for (size_t t = 0; t < ct->n_steps; t++)
            fprintf(f, " %6.4f%c", c->auc[t],
                    c->kind != C_RANDOM && c->p[t] < 0.05 ? '*' : ' ');
        if (front && front[q] >= 0)
            fprintf(f, "  %.1f", ct->x[front[q]]);
        else if (front)
            fprintf(f, "  none");
        fputc('\n', f);
    }
}

static void free_task(curve_task *ct)
{
    const size_t S = ct->r->n_seeds;
    for (size_t q = 0; ct->c && q < ct->n_curves; q++) {
        for (size_t k = 0; k < ct->n_steps * S; k++) {
            float *p = ct->c[q].pred[k];
            int shared = 0;
            for (size_t s = 0; s < S; s++)
                shared |= p == ct->full[s];
            if (!shared)
                free(p);
        }
        free(ct->c[q].pred);
        free(ct->c[q].boot);
    }
    for (size_t s = 0; s < S; s++)
        free(ct->full[s]);
    free(ct->c);
    free(ct->order);
    free(ct->perm);
    free(ct->in);
    free(ct->full_boot);
}

static int run_curves(bench_run *r, int task)
{
    curve_task ct = {0};
    ct.r = r;
    ct.task = task;
    ct.n = heft_dataset_rows(r->train);
    ct.n_test = heft_dataset_rows(r->test);
    ct.stratify = cli_flag(r->a, "stratify");
    const float *y = heft_dataset_labels(r->train);
    for (size_t i = 0; i < ct.n; i++)
        ct.n_class[y[i] > 0]++;
    int rc = make_steps(&ct);
    for (ct.s = 0; rc == CLI_OK && ct.s < r->n_seeds; ct.s++)
        rc = run_seed(&ct);
    if (rc == CLI_OK)
        rc = measure(&ct);
    int front[3 * BENCH_MAX_COLS + 2];
    const double tol = cli_num(r->a, "tol", 0.001);
    for (size_t q = 0; rc == CLI_OK && q < ct.n_curves; q++)
        front[q] = heft_bench_frontier(ct.c[q].auc, ct.n_steps, ct.full_auc,
                                       tol);
    if (rc == CLI_OK) {
        FILE *f = r->js;
        bench_json_key(f, task == T_PRUNE ? "fractions" : "steps");
        bench_json_array(f, ct.x, ct.n_steps);
        json_full(&ct);
        if (task == T_REMOVAL)
            json_removal(&ct);
        else if (task == T_ADDITION)
            json_addition(&ct);
        else
            json_prune(&ct, front);
        print_table(&ct, task == T_PRUNE ? front : NULL);
    }
    free_task(&ct);
    return rc;
}

int bench_removal(bench_run *r) { return run_curves(r, T_REMOVAL); }
int bench_prune(bench_run *r) { return run_curves(r, T_PRUNE); }
int bench_addition(bench_run *r) { return run_curves(r, T_ADDITION); }
