/*
 * bench_agree.c: `heft bench agreement DATA --methods LIST`: do the
 * methods' values predict what retraining actually does? The linear
 * datamodeling score (LDS) of Park et al., "TRAK: Attributing Model
 * Behavior at Scale", ICML 2023 (docs/bench-tasks.md, "agreement").
 *
 * Per seed: score the training rows (methods seeded with the seed); draw
 * M = --subsets random subsets S_j of exactly round(alpha N) rows (alpha =
 * --subset-frac, 1/2; heft_bench_subset); retrain on each with the seed
 * (M retrainings) and once on every row; the actual change of validation
 * loss is
 *     delta_j = L_valid(model on S_j) - L_valid(model on all rows),
 * the predicted change -sum_{i in S_j} v_i, and LDS = their Spearman
 * correlation (heft_bench_lds). Its 95% interval comes from bootstrap
 * resamples of the M subsets; the same resamples for every method and for
 * a random valuation (uniform values, the seed's own), so the test against
 * random is paired. Means over the seeds (the resamples averaged index by
 * index, which keeps the pairing).
 */
#include "bench_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct agree_task {
    bench_run *r;
    size_t n, m, nv, cols;
    char *name[BENCH_MAX_COLS];
    double lds[BENCH_MAX_COLS + 1][BENCH_MAX_SEEDS];
    double *boot;   /* (cols + 1, B + 1): sums over seeds; last = random */
    uint8_t *member; /* (m, n) */
    double *actual; /* (m,) */
    double full_loss[BENCH_MAX_SEEDS], sd_change[BENCH_MAX_SEEDS];
} agree_task;

/* Validation logloss of predictions p. */
static int valid_loss(const bench_run *r, const float *p, double *out)
{
    heft_eval_opts eo = heft_eval_opts_default();
    heft_metrics mt;
    heft_error err;
    if (heft_evaluate(heft_dataset_labels(r->valid), p,
                      heft_dataset_weights(r->valid), NULL,
                      heft_dataset_rows(r->valid), &eo, &mt,
                      &err) != HEFT_OK)
        return cli_fail(&err);
    *out = mt.logloss.value;
    return CLI_OK;
}

/* Draws the subsets of seed s, retrains on them and on every row, and
 * fills ag->actual. */
static int subsets_actual(agree_task *ag, size_t s)
{
    bench_run *r = ag->r;
    const size_t n = ag->n, m = ag->m, half = n; /* rows per job <= n */
    const double frac = cli_num(r->a, "subset-frac", 0.5);
    uint64_t *rows = malloc(m * half * sizeof *rows);
    float *pred = malloc((m + 1) * ag->nv * sizeof *pred);
    heft_bench_job *jobs = calloc(m + 1, sizeof *jobs);
    int rc = rows && pred && jobs ? CLI_OK : bench_oom();
    heft_error err;
    for (size_t j = 0; rc == CLI_OK && j < m; j++) {
        uint8_t *mem = ag->member + j * n;
        if (heft_bench_subset(n, frac, r->seeds[s], j, mem, &err) != HEFT_OK)
            rc = cli_fail(&err);
        size_t k = 0;
        for (size_t i = 0; rc == CLI_OK && i < n; i++)
            if (mem[i])
                rows[j * half + k++] = i;
        jobs[j] = (heft_bench_job){rows + j * half, k, 1, r->seeds[s],
                                   pred + j * ag->nv};
    }
    jobs[m] = (heft_bench_job){NULL, 0, 1, r->seeds[s], pred + m * ag->nv};
    if (rc == CLI_OK)
        rc = bench_retrain(r, NULL, r->valid, jobs, m + 1);
    if (rc == CLI_OK)
        rc = valid_loss(r, pred + m * ag->nv, &ag->full_loss[s]);
    double ss = 0, mean = 0;
    for (size_t j = 0; rc == CLI_OK && j < m; j++) {
        rc = valid_loss(r, pred + j * ag->nv, &ag->actual[j]);
        ag->actual[j] -= ag->full_loss[s];
        mean += ag->actual[j] / (double)m;
    }
    for (size_t j = 0; rc == CLI_OK && j < m; j++)
        ss += (ag->actual[j] - mean) * (ag->actual[j] - mean);
    ag->sd_change[s] = m > 1 ? sqrt(ss / (double)(m - 1)) : NAN;
    free(rows);
    free(pred);
    free(jobs);
    return rc;
}

/* LDS of values v into slot q for seed s (resamples added to the sums). */
static int lds_slot(agree_task *ag, size_t q, size_t s, const float *v)
{
    bench_run *r = ag->r;
    const size_t B1 = (size_t)r->bo.resamples + 1;
    double *tmp = malloc(B1 * sizeof *tmp);
    heft_error err;
    if (!tmp)
        return bench_oom();
    /* One resampling seed for all slots of a seed: the pairing. */
    const heft_status st =
        heft_bench_lds(v, ag->n, ag->member, ag->actual, ag->m,
                       r->bo.resamples, r->bo.seed ^ r->seeds[s], tmp, &err);
    if (st == HEFT_OK) {
        ag->lds[q][s] = tmp[0];
        for (size_t b = 0; b < B1; b++)
            ag->boot[q * B1 + b] += tmp[b];
    }
    free(tmp);
    return st == HEFT_OK ? CLI_OK : cli_fail(&err);
}

/* Uniform random values of seed s: the random valuation. */
static int random_values(size_t n, uint64_t seed, float **out)
{
    float *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return bench_oom();
    uint64_t x = seed ^ 0x6c6473ULL; /* "lds" */
    for (size_t i = 0; i < n; i++) {
        x += 0x9e3779b97f4a7c15ULL;
        uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        v[i] = (float)((double)((z ^ (z >> 31)) >> 11) * 0x1p-53);
    }
    *out = v;
    return CLI_OK;
}

static int run_seed(agree_task *ag, size_t s)
{
    bench_run *r = ag->r;
    heft_scores *sc = NULL;
    int rc = bench_score(r, r->train, r->valid, r->seeds[s], &sc);
    const size_t cols = rc == CLI_OK ? heft_scores_cols(sc) : 0;
    if (rc == CLI_OK && cols > BENCH_MAX_COLS)
        rc = cli_failf("more than %d score columns", BENCH_MAX_COLS);
    if (rc == CLI_OK && s == 0) {
        ag->cols = cols;
        ag->boot = calloc((cols + 1) * ((size_t)r->bo.resamples + 1),
                          sizeof *ag->boot);
        rc = ag->boot ? CLI_OK : bench_oom();
        for (size_t j = 0; rc == CLI_OK && j < cols; j++)
            if (!(ag->name[j] = strdup(heft_scores_name(sc, j))))
                rc = bench_oom();
    } else if (rc == CLI_OK && cols != ag->cols) {
        rc = cli_failf("internal error: the runs gave different columns");
    }
    if (rc == CLI_OK)
        rc = subsets_actual(ag, s);
    for (size_t j = 0; rc == CLI_OK && j < cols; j++)
        rc = lds_slot(ag, j, s, heft_scores_col(sc, j));
    float *rv = NULL;
    if (rc == CLI_OK)
        rc = random_values(ag->n, r->seeds[s], &rv);
    if (rc == CLI_OK)
        rc = lds_slot(ag, cols, s, rv);
    free(rv);
    heft_scores_free(sc);
    if (rc == CLI_OK)
        cli_info(r->a, "seed %llu: %zu subsets retrained",
                 (unsigned long long)r->seeds[s], ag->m);
    return rc;
}

static void output(agree_task *ag)
{
    bench_run *r = ag->r;
    FILE *f = r->js, *t = r->txt;
    const size_t S = r->n_seeds, B1 = (size_t)r->bo.resamples + 1;
    const int B = r->bo.resamples;
    for (size_t k = 0; k < (ag->cols + 1) * B1; k++)
        ag->boot[k] /= (double)S;
    const double *rnd = ag->boot + ag->cols * B1;
    double lo, hi;
    fprintf(f, ",\"rows\":%zu,\"valid_rows\":%zu,\"subsets\":%zu", ag->n,
            ag->nv, ag->m);
    bench_json_key(f, "subset_fraction");
    cli_json_num(f, cli_num(r->a, "subset-frac", 0.5));
    bench_json_key(f, "valid_loss_full");
    cli_json_num(f, bench_mean(ag->full_loss, S));
    bench_json_key(f, "actual_change_sd");
    cli_json_num(f, bench_mean(ag->sd_change, S));
    fprintf(t, "agreement: %s, %zu training rows, %zu validation rows, %s, "
               "%zu subsets of %g per seed, %zu seed%s, %zu retrainings; "
               "validation loss on all rows %.5f, sd of its change %.5f\n",
            r->a->pos[1], ag->n, ag->nv,
            heft_model_kind_name(r->so.train.model), ag->m,
            cli_num(r->a, "subset-frac", 0.5), S, S == 1 ? "" : "s",
            r->retrainings, bench_mean(ag->full_loss, S),
            bench_mean(ag->sd_change, S));
    fprintf(t, "%-20s %8s %18s %10s\n", "method", "LDS", "95% interval",
            "p vs random");
    fputs(",\"methods\":{", f);
    for (size_t j = 0; j <= ag->cols; j++) {
        const double *bj = ag->boot + j * B1;
        heft_bench_interval(bj, B, &lo, &hi);
        const heft_bench_paired d = heft_bench_compare(bj, rnd, B);
        const char *name = j < ag->cols ? ag->name[j] : "random";
        if (j == ag->cols)
            fputs("},\"random\":", f);
        else {
            fprintf(f, "%s", j ? "," : "");
            cli_json_str(f, name);
            fputc(':', f);
        }
        fputs("{\"lds\":", f);
        cli_json_num(f, bj[0]);
        bench_json_key(f, "lds_ci");
        bench_json_ci(f, lo, hi);
        bench_json_key(f, "lds_per_seed");
        bench_json_array(f, ag->lds[j], S);
        if (j < ag->cols) {
            bench_json_key(f, "p_vs_random");
            cli_json_num(f, d.p);
        }
        fputc('}', f);
        char pbuf[32] = "";
        if (j < ag->cols)
            snprintf(pbuf, sizeof pbuf, "%.4f", d.p);
        fprintf(t, "%-20s %8.4f   [%6.3f, %6.3f] %10s\n", name, bj[0], lo,
                hi, pbuf);
    }
}

int bench_agreement(bench_run *r)
{
    agree_task *ag = calloc(1, sizeof *ag);
    if (!ag)
        return bench_oom();
    ag->r = r;
    ag->n = heft_dataset_rows(r->train);
    ag->nv = heft_dataset_rows(r->valid);
    ag->m = (size_t)cli_int(r->a, "subsets", 32);
    ag->member = malloc(ag->m * ag->n);
    ag->actual = malloc(ag->m * sizeof *ag->actual);
    int rc = ag->member && ag->actual ? CLI_OK : bench_oom();
    for (size_t s = 0; rc == CLI_OK && s < r->n_seeds; s++)
        rc = run_seed(ag, s);
    if (rc == CLI_OK)
        output(ag);
    for (size_t j = 0; j < ag->cols; j++)
        free(ag->name[j]);
    free(ag->boot);
    free(ag->member);
    free(ag->actual);
    free(ag);
    return rc;
}
