/*
 * cmd_eval.c: `heft eval MODEL DATA` or `heft eval --pred PRED DATA`.
 * Computes every metric the data allows (heft_evaluate) and prints them as
 * an aligned table or, with --json, as exactly one JSON object on stdout
 * (null for a metric that is undefined, e.g. GAUC without groups). The
 * JSON object carries the envelope of docs/run-dir.md ("heft", "command",
 * "settings") and the bins of a reliability diagram ("calibration_bins"),
 * so that `heft report` can draw it.
 */
#include "common.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const cli_option eval_opts[] = {
    {"pred", 'p', CLI_STR, "FILE", 0, 0, NULL,
     "evaluate this prediction file (one probability per line) instead "
     "of a model"},
    {"json", 0, CLI_FLAG, NULL, 0, 0, "off",
     "print one JSON object instead of a table"},
    {"ci", 0, CLI_FLAG, NULL, 0, 0, "off",
     "add 95% bootstrap confidence intervals"},
    {"bootstrap", 0, CLI_INT, "N", 0, 1000000, "0; 200 with --ci",
     "bootstrap resamples for the intervals"},
    {"seed", 0, CLI_U64, "S", 0, 0, "1", "bootstrap seed"},
    {"threshold", 0, CLI_NUM, "T", 0, 1, "0.5",
     "threshold for precision, recall and F1"},
    {"ndcg-k", 0, CLI_INT, "K", 1, 1000000, "10", "cut-off of NDCG@K"},
    CLI_END,
};

/* One line of the output: JSON key, table label, the metric. */
typedef struct metric_row {
    const char *key, *label;
    const heft_ci *ci;
} metric_row;

static size_t metric_rows(const heft_metrics *m, metric_row *r)
{
    const metric_row rows[] = {
        {"auc", "AUC", &m->auc},
        {"logloss", "logloss", &m->logloss},
        {"ne", "NE", &m->ne},
        {"calibration", "calibration", &m->calibration},
        {"ece", "ECE", &m->ece},
        {"gauc", "GAUC", &m->gauc},
        {"ndcg", "NDCG", &m->ndcg},
        {"mrr", "MRR", &m->mrr},
        {"precision", "precision", &m->precision},
        {"recall", "recall", &m->recall},
        {"f1", "F1", &m->f1},
    };
    memcpy(r, rows, sizeof rows);
    return sizeof rows / sizeof rows[0];
}

/* Reliability-diagram bins: rows fall in equal-width bins of the
 * prediction (as heft_evaluate's ECE bins: bin b holds p in
 * [b/B, (b+1)/B), p = 1 in the last); per bin the weighted mean
 * prediction, the weighted share of label > 0 and the row count.
 * pred and obs are NaN for an empty bin. */
static void calibration_bins(const heft_dataset *ds, const float *p, int B,
                             double *pred, double *obs, uint64_t *n)
{
    const float *y = heft_dataset_labels(ds), *w = heft_dataset_weights(ds);
    double *ws = calloc((size_t)B, sizeof *ws);
    for (int b = 0; b < B; b++) {
        pred[b] = obs[b] = 0;
        n[b] = 0;
    }
    for (size_t i = 0, rows = heft_dataset_rows(ds); ws && i < rows; i++) {
        const double pi = p[i] < 0 ? 0 : p[i] > 1 ? 1 : p[i];
        int b = (int)(pi * B);
        b = b < B ? b : B - 1;
        const double wi = w ? w[i] : 1;
        ws[b] += wi;
        pred[b] += wi * pi;
        obs[b] += wi * (y[i] > 0);
        n[b]++;
    }
    for (int b = 0; b < B; b++) {
        pred[b] = ws && ws[b] > 0 ? pred[b] / ws[b] : NAN;
        obs[b] = ws && ws[b] > 0 ? obs[b] / ws[b] : NAN;
    }
    free(ws);
}

/* "KEY":[v,...] of n numbers (null for NaN). */
static void json_array(FILE *f, const char *key, const double *v, int n)
{
    fprintf(f, "\"%s\":[", key);
    for (int i = 0; i < n; i++) {
        if (i)
            fputc(',', f);
        cli_json_num(f, v[i]);
    }
    fputc(']', f);
}

/* The envelope of docs/run-dir.md: version, command and the settings that
 * change the numbers. */
static void print_envelope(const cli_args *a, const heft_eval_opts *eo,
                           FILE *f)
{
    fputs("{\"heft\":", f);
    cli_json_str(f, heft_version());
    fputs(",\"command\":\"eval\",\"settings\":{", f);
    if (cli_given(a, "pred")) {
        fputs("\"pred\":", f);
        cli_json_str(f, cli_str(a, "pred"));
        fputs(",\"data\":", f);
        cli_json_str(f, a->pos[0]);
    } else {
        fputs("\"model\":", f);
        cli_json_str(f, a->pos[0]);
        fputs(",\"data\":", f);
        cli_json_str(f, a->pos[1]);
    }
    fputs(",\"threshold\":", f);
    cli_json_num(f, eo->threshold);
    fprintf(f, ",\"ndcg_k\":%d,\"bins\":%d,\"bootstrap\":%d,\"seed\":%llu},",
            eo->ndcg_k, eo->ece_bins, eo->bootstrap,
            (unsigned long long)eo->seed);
}

static void print_json(const cli_args *a, const heft_eval_opts *eo,
                       const heft_metrics *m, const heft_dataset *ds,
                       const float *p, FILE *f)
{
    metric_row r[16];
    size_t n = metric_rows(m, r);
    const int with_ci = eo->bootstrap > 0;
    print_envelope(a, eo, f);
    fprintf(f, "\"rows\":%llu,\"pos_rate\":", (unsigned long long)m->rows);
    cli_json_num(f, m->pos_rate);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, ",\"%s\":", r[i].key);
        cli_json_num(f, r[i].ci->value);
        if (with_ci) {
            fprintf(f, ",\"%s_ci\":[", r[i].key);
            cli_json_num(f, r[i].ci->lo);
            fputc(',', f);
            cli_json_num(f, r[i].ci->hi);
            fputc(']', f);
        }
        if (strcmp(r[i].key, "gauc") == 0)
            fprintf(f, ",\"gauc_groups\":%llu",
                    (unsigned long long)m->gauc_groups);
    }
    enum { MAXB = 1000 };
    double pred[MAXB], obs[MAXB], cnt[MAXB];
    uint64_t nb[MAXB];
    const int B = eo->ece_bins < MAXB ? eo->ece_bins : MAXB;
    calibration_bins(ds, p, B, pred, obs, nb);
    for (int b = 0; b < B; b++)
        cnt[b] = (double)nb[b];
    fputs(",\"calibration_bins\":{", f);
    json_array(f, "pred", pred, B);
    fputc(',', f);
    json_array(f, "obs", obs, B);
    fputc(',', f);
    json_array(f, "n", cnt, B);
    fputs("}}\n", f);
}

static void print_value(double v, FILE *f)
{
    if (isnan(v))
        fputs("-", f);
    else
        fprintf(f, "%.6f", v);
}

static void print_table(const heft_metrics *m, int with_ci, FILE *f)
{
    metric_row r[16];
    size_t n = metric_rows(m, r);
    fprintf(f, "%-12s%llu\n", "rows", (unsigned long long)m->rows);
    fprintf(f, "%-12s%.6f\n", "pos rate", m->pos_rate);
    if (!isnan(m->gauc.value))
        fprintf(f, "%-12s%llu\n", "groups", (unsigned long long)m->gauc_groups);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%-12s", r[i].label);
        print_value(r[i].ci->value, f);
        if (with_ci && !isnan(r[i].ci->value) && !isnan(r[i].ci->lo))
            fprintf(f, "  [%.6f, %.6f]", r[i].ci->lo, r[i].ci->hi);
        fputc('\n', f);
    }
}

/* Reads DATA with the data-reading flags and the predictions of --pred. */
static int pred_file_predict(const cli_args *a, const char *data,
                             heft_dataset **ds, float **pred)
{
    heft_read_opts ro;
    *pred = NULL;
    int rc = cli_read_opts(a, &ro);
    if (rc == CLI_OK)
        rc = cli_read(a, data, &ro, ds);
    if (rc != CLI_OK)
        return rc;
    size_t n = heft_dataset_rows(*ds);
    *pred = malloc((n ? n : 1) * sizeof **pred);
    if (!*pred)
        rc = cli_failf("out of memory");
    else
        rc = cli_read_predictions(cli_str(a, "pred"), *pred, n,
                                  "the data");
    if (rc != CLI_OK) {
        free(*pred);
        *pred = NULL;
        heft_dataset_free(*ds);
        *ds = NULL;
    }
    return rc;
}

static int run_eval(const cli_args *a)
{
    int by_file = cli_given(a, "pred");
    if (by_file && a->n_pos != 1)
        return cli_usage_error(a->cmd, "with --pred give only DATA");
    if (!by_file && a->n_pos != 2)
        return cli_usage_error(a->cmd, "missing argument (usage: heft eval %s)",
                               a->cmd->synopsis);
    heft_eval_opts eo = heft_eval_opts_default();
    eo.threshold = cli_num(a, "threshold", eo.threshold);
    eo.ndcg_k = cli_int(a, "ndcg-k", eo.ndcg_k);
    eo.bootstrap = cli_int(a, "bootstrap", cli_flag(a, "ci") ? 200 : 0);
    eo.seed = cli_u64(a, "seed", eo.seed);
    eo.threads = cli_threads(a, eo.threads);
    if (cli_flag(a, "ci") && eo.bootstrap < 2)
        return cli_usage_error(a->cmd, "--ci needs --bootstrap of 2 or more");

    heft_dataset *ds = NULL;
    float *p = NULL;
    int rc = by_file ? pred_file_predict(a, a->pos[0], &ds, &p)
                     : cli_model_predict(a, a->pos[0], a->pos[1], &ds, &p);
    if (rc != CLI_OK)
        return rc;
    heft_metrics m;
    heft_error err;
    if (heft_evaluate(heft_dataset_labels(ds), p, heft_dataset_weights(ds),
                      heft_dataset_groups(ds), heft_dataset_rows(ds), &eo, &m,
                      &err) != HEFT_OK)
        rc = cli_fail(&err);
    else if (cli_flag(a, "json"))
        print_json(a, &eo, &m, ds, p, stdout);
    else
        print_table(&m, eo.bootstrap > 0, stdout);
    free(p);
    heft_dataset_free(ds);
    return rc;
}

const cli_command cli_cmd_eval = {
    .name = "eval",
    .synopsis = "MODEL DATA [OPTIONS]  |  heft eval --pred PRED DATA [OPTIONS]",
    .summary = "Evaluate a model or predictions (AUC, logloss, NE, GAUC, "
               "NDCG)",
    .details = "With a model, DATA is read with the model's schema: only "
               "--format, --weight,\n--group, --time, --position, "
               "--max-bad-rows and --threads apply. With --pred,\nevery "
               "data-reading option applies. GAUC, NDCG and MRR need a "
               "group column\n(--group COL). With --json, stdout holds "
               "exactly one JSON object; undefined\nmetrics are null, and "
               "intervals (with --ci) are \"KEY_ci\":[lo,hi].",
    .min_pos = 1,
    .max_pos = 2,
    .groups = CLI_READS_DATA,
    .opts = eval_opts,
    .run = run_eval,
};
