/*
 * cmd_demo.c: `heft demo`. Runs the whole loop on a generated log in a few
 * seconds: generate a log with planted defects (and its truth file), read
 * it, split it 70/10/20, train LR and FM on the train part and evaluate
 * them on the test part; then score every training row with several
 * importance estimators, measure how well each finds the planted defects
 * (AUROC and F1@k against the truth file), drop the rows the best method
 * flags, retrain, and compare the test AUC with dropping as many random
 * rows and with dropping exactly the planted defects; prunes to a share
 * of the rows by Data-OOB value, at random and by negative downsampling.
 * Prints the tables and writes the run (scores, `bench noise`- and
 * `bench prune`-style JSON, docs/run-dir.md) into DIR/run and the HTML
 * report of it into DIR/report.html.
 *
 * Each step is one function over a demo_ctx.
 */
#include "common.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const cli_option demo_opts[] = {
    {"rows", 'n', CLI_U64, "N", 100, 0, "200000", "rows of the generated log"},
    {"seed", 0, CLI_U64, "S", 0, 0, "1", "seed of the generated log"},
    {"dir", 0, CLI_STR, "DIR", 0, 0, "a fresh temporary directory",
     "where to write the generated files"},
    {"keep", 0, CLI_FLAG, NULL, 0, 0, "off",
     "keep the temporary directory (always kept with --dir)"},
    CLI_END,
};

enum { DEMO_MAX_MODELS = 4, DEMO_MAX_COLS = 16, DEMO_PR_POINTS = 101 };
enum { DEMO_FRACS = 3, DEMO_CURVES = 3 };

/* Pruning: the kept shares, and the curves (the method that values rows
 * for pruning, random rows, negative downsampling). */
static const double demo_fracs[DEMO_FRACS] = {0.25, 0.5, 0.75};
static const char *const demo_curves[DEMO_CURVES] = {"oob", "random",
                                                      "negatives"};
enum { DEMO_FLIP = 1, DEMO_BOT = 2, DEMO_DUP = 3 };

/* The methods the demo scores with (8 Data-OOB bags to stay fast). */
#define DEMO_METHODS "loss,aum,selfinf,cl,oob,dup"

/* How well one score column finds the planted defects. */
typedef struct demo_det {
    const char *name;
    double auroc, auroc_kind[4]; /* all defects; [DEMO_FLIP..DEMO_DUP]  */
    double f1;                   /* F1 of the k lowest, k = defects    */
    double seconds;
    double pr_recall[DEMO_PR_POINTS], pr_precision[DEMO_PR_POINTS];
} demo_det;

typedef struct demo_result {
    heft_model_kind kind;
    size_t params;
    double train_s;
    heft_metrics test; /* metrics on the test part */
} demo_result;

/* Everything the demo creates; demo_free() releases it all. */
typedef struct demo_ctx {
    const cli_args *a;
    char dir[PATH_MAX];
    int made_dir; /* we created dir (and remove it unless --keep) */
    char log_path[PATH_MAX + 16];
    char truth_path[PATH_MAX + 16];
    uint64_t rows;
    double gen_s, read_s;
    heft_dataset *all, *train, *valid, *test;
    demo_result res[DEMO_MAX_MODELS];
    int n_res;
    /* Scoring and detection (the train part). */
    uint64_t *train_rows;  /* (n_train) row of the log of each train row */
    size_t n_train;
    uint8_t *kind_all;     /* (rows of the log) 0, or DEMO_FLIP/_BOT/_DUP */
    uint8_t *defect;       /* (n_train) the same for the train part       */
    size_t n_defects, n_kind[4];
    heft_scores *scores;
    double score_s;
    demo_det det[DEMO_MAX_COLS];
    int n_det, best;
    /* Retraining after dropping rows: test AUCs. */
    size_t n_flagged;      /* rows flagged by cl (cl_ok = 0) or dup < 0  */
    double auc_drop_flagged, auc_drop_best, auc_drop_random, auc_drop_truth;
    /* The best method's dropped rows split (bench noise --decompose): the
     * planted ones only, the clean ones only. */
    size_t n_best_true, n_best_false;
    double auc_best_true, auc_best_false;
    double prune_auc[DEMO_CURVES][DEMO_FRACS]; /* test AUC when pruned */
    double prune_ne[DEMO_CURVES][DEMO_FRACS];  /* and normalized entropy */
    char run_dir[PATH_MAX + 16];
    char report_path[PATH_MAX + 16];
} demo_ctx;

static int demo_dir(demo_ctx *c)
{
    const char *dir = cli_str(c->a, "dir");
    if (dir) {
        if (mkdir(dir, 0777) != 0 && errno != EEXIST)
            return cli_failf("%s: cannot create directory: %s", dir,
                             strerror(errno));
        snprintf(c->dir, sizeof c->dir, "%s", dir);
    } else {
        const char *t = getenv("TMPDIR");
        snprintf(c->dir, sizeof c->dir, "%s/heft-demo-XXXXXX",
                 t && *t ? t : "/tmp");
        if (!mkdtemp(c->dir))
            return cli_failf("%s: cannot create a temporary directory: %s",
                             c->dir, strerror(errno));
        c->made_dir = 1;
    }
    snprintf(c->log_path, sizeof c->log_path, "%s/log.tsv", c->dir);
    snprintf(c->truth_path, sizeof c->truth_path, "%s/truth.tsv", c->dir);
    return CLI_OK;
}

static int demo_generate(demo_ctx *c)
{
    heft_gen_opts go = heft_gen_opts_default();
    go.rows = c->rows;
    go.seed = cli_u64(c->a, "seed", 1);
    go.flip = 0.05;
    go.bots = 0.01;
    go.dups = 0.02;
    go.format = HEFT_GEN_TSV;
    go.progress = cli_progress;
    go.progress_ud = (void *)c->a;
    heft_error err;
    double t0 = cli_now();
    heft_status s = heft_gen(c->log_path, c->truth_path, &go, &err);
    cli_progress_done();
    if (s != HEFT_OK)
        return cli_fail(&err);
    c->gen_s = cli_now() - t0;
    return CLI_OK;
}

static int demo_read(demo_ctx *c)
{
    heft_read_opts ro = heft_read_opts_default();
    ro.format = HEFT_FMT_TSV;
    ro.label_col = "click";
    ro.group_col = "query_id";
    ro.progress = cli_progress;
    ro.progress_ud = (void *)c->a;
    double t0 = cli_now();
    int rc = cli_read(c->a, c->log_path, &ro, &c->all);
    c->read_s = cli_now() - t0;
    return rc;
}

/* Random 70/10/20 split (seed 1) into c->train, c->valid (for early
 * stopping: FM's 9.4M parameters overfit 140k rows without it) and
 * c->test, the 20% less its planted defects (so that test AUC measures
 * the clean signal the defects hide). */
static int demo_split(demo_ctx *c)
{
    heft_split_opts so = heft_split_opts_default();
    so.by = HEFT_SPLIT_RANDOM;
    so.test = 0.2;
    so.valid = 0.1;
    so.seed = 1;
    size_t n = heft_dataset_rows(c->all), nt = 0, nv = 0, ns = 0;
    uint8_t *part = malloc(n ? n : 1);
    uint64_t *tr = malloc((n ? n : 1) * sizeof *tr);
    uint64_t *te = malloc((n ? n : 1) * sizeof *te);
    uint64_t *va = malloc((n ? n : 1) * sizeof *va);
    heft_error err;
    int rc = CLI_OK;
    if (!part || !tr || !te || !va) {
        rc = cli_failf("out of memory");
        goto cleanup;
    }
    if (heft_split_assign(c->all, &so, part, &err) != HEFT_OK) {
        rc = cli_fail(&err);
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        if (part[i] == 0)
            tr[nt++] = i;
        else if (part[i] == 1)
            va[nv++] = i;
        else if (!c->kind_all[i])
            te[ns++] = i; /* the test part keeps no planted defect */
    }
    if (heft_dataset_subset(c->all, tr, nt, &c->train, &err) != HEFT_OK ||
        heft_dataset_subset(c->all, va, nv, &c->valid, &err) != HEFT_OK ||
        heft_dataset_subset(c->all, te, ns, &c->test, &err) != HEFT_OK)
        rc = cli_fail(&err);
cleanup:
    free(part);
    c->train_rows = tr; /* the truth file is in rows of the log */
    c->n_train = nt;
    free(te);
    free(va);
    return rc;
}

/* Trains kind with default settings on tr (early stopping on the valid
 * part), predicts the test part and evaluates it with groups into *out;
 * *params gets the model's size, *secs the training time. */
static int train_test(demo_ctx *c, const heft_dataset *tr,
                      heft_model_kind kind, heft_metrics *out, size_t *params,
                      double *secs)
{
    heft_train_opts to = heft_train_opts_default(kind);
    to.model = kind;
    to.progress = cli_progress;
    to.progress_ud = (void *)c->a;
    heft_model *m = NULL;
    heft_error err;
    size_t n = heft_dataset_rows(c->test);
    float *p = malloc((n ? n : 1) * sizeof *p);
    if (!p)
        return cli_failf("out of memory");
    double t0 = cli_now();
    heft_status s = heft_train(tr, c->valid, &to, &m, &err);
    *secs = cli_now() - t0;
    cli_progress_done();
    if (s == HEFT_OK)
        s = heft_predict(m, c->test, p, 1, &err);
    heft_eval_opts eo = heft_eval_opts_default();
    if (s == HEFT_OK)
        s = heft_evaluate(heft_dataset_labels(c->test), p,
                          heft_dataset_weights(c->test),
                          heft_dataset_groups(c->test), n, &eo, out, &err);
    if (s == HEFT_OK)
        *params = heft_model_num_params(m);
    heft_model_free(m);
    free(p);
    return s == HEFT_OK ? CLI_OK : cli_fail(&err);
}

/* Trains and evaluates kind on the whole train part into the next result
 * slot. */
static int demo_train_eval(demo_ctx *c, heft_model_kind kind)
{
    if (c->n_res == DEMO_MAX_MODELS)
        return cli_failf("demo: too many models");
    demo_result *r = &c->res[c->n_res];
    int rc = train_test(c, c->train, kind, &r->test, &r->params,
                        &r->train_s);
    if (rc == CLI_OK) {
        r->kind = kind;
        c->n_res++;
    }
    return rc;
}

/* ---- scoring and detection -------------------------------------------- */

/* Reads the truth file ("ROW\tKIND" per defective row of the log) into
 * c->kind_all. */
static int demo_truth(demo_ctx *c)
{
    const size_t n_all = heft_dataset_rows(c->all);
    c->kind_all = calloc(n_all ? n_all : 1, 1);
    FILE *f = fopen(c->truth_path, "r");
    if (!c->kind_all || !f) {
        if (f)
            fclose(f);
        return f ? cli_failf("out of memory")
                 : cli_failf("%s: %s", c->truth_path, strerror(errno));
    }
    char line[128];
    unsigned long long row;
    char what[16];
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "%llu\t%15s", &row, what) == 2 && row < n_all)
            c->kind_all[row] = !strcmp(what, "flip") ? DEMO_FLIP
                               : !strcmp(what, "bot") ? DEMO_BOT
                                                      : DEMO_DUP;
    fclose(f);
    return CLI_OK;
}

/* c->defect for the train part, from c->kind_all. */
static int demo_train_defects(demo_ctx *c)
{
    c->defect = calloc(c->n_train ? c->n_train : 1, 1);
    if (!c->defect)
        return cli_failf("out of memory");
    for (size_t j = 0; j < c->n_train; j++) {
        c->defect[j] = c->kind_all[c->train_rows[j]];
        c->n_kind[c->defect[j]]++;
        c->n_defects += c->defect[j] != 0;
    }
    return CLI_OK;
}

/* Scores every training row with DEMO_METHODS (lr, default settings). */
static int demo_score(demo_ctx *c)
{
    heft_score_opts so = heft_score_opts_default(HEFT_MODEL_LR);
    so.methods = DEMO_METHODS;
    so.bags = 8;
    so.progress = cli_progress;
    so.progress_ud = (void *)c->a;
    heft_error err;
    double t0 = cli_now();
    heft_status st = heft_score(c->train, c->valid, NULL, &so, &c->scores,
                                &err);
    cli_progress_done();
    c->score_s = cli_now() - t0;
    return st == HEFT_OK ? CLI_OK : cli_fail(&err);
}

typedef struct ranked {
    float v;
    uint32_t i;
} ranked;

static int by_value(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->v != y->v)
        return x->v < y->v ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* The rows sorted by v ascending (ties by row), malloc'ed; NULL when out
 * of memory. */
static ranked *sort_rows(const float *v, size_t n)
{
    ranked *r = malloc((n ? n : 1) * sizeof *r);
    if (!r)
        return NULL;
    for (size_t i = 0; i < n; i++)
        r[i] = (ranked){v[i], (uint32_t)i};
    qsort(r, n, sizeof *r, by_value);
    return r;
}

/* Detection quality of one column: low values flag defects. AUROC by the
 * rank-sum (ties half) for all defects and each kind; F1 of the k lowest
 * (k = defects, ties at the cut counted fractionally); the PR curve at
 * DEMO_PR_POINTS evenly spaced cut-offs. */
static void demo_detect(const demo_ctx *c, const ranked *r, demo_det *d)
{
    const size_t n = c->n_train, k = c->n_defects;
    double rank_sum[4] = {0, 0, 0, 0}, hit = 0;
    for (size_t a = 0, b; a < n; a = b) {
        for (b = a; b < n && r[b].v == r[a].v; b++)
            ;
        size_t bad = 0, per[4] = {0, 0, 0, 0};
        for (size_t j = a; j < b; j++) {
            per[c->defect[r[j].i]]++;
            bad += c->defect[r[j].i] != 0;
        }
        /* Suspicion rank: the lowest value ranks highest (n). */
        const double mid = (double)n - (double)(a + b - 1) / 2.0;
        for (int t = 1; t < 4; t++)
            rank_sum[t] += mid * (double)per[t];
        if (a < k)
            hit += b <= k ? (double)bad
                          : (double)bad * (double)(k - a) / (double)(b - a);
    }
    double all = 0;
    for (int t = 1; t < 4; t++) {
        const double m = (double)c->n_kind[t], o = (double)n - m;
        /* Kind t against every other row (other defects included). */
        d->auroc_kind[t] =
            m > 0 && o > 0 ? (rank_sum[t] - m * (m + 1) / 2) / (m * o) : NAN;
        all += rank_sum[t];
    }
    const double m = (double)k, o = (double)n - m;
    d->auroc = m > 0 && o > 0 ? (all - m * (m + 1) / 2) / (m * o) : NAN;
    d->f1 = k ? hit / (double)k : NAN;
    size_t found = 0, j = 0;
    for (int p = 0; p < DEMO_PR_POINTS; p++) {
        const size_t cut = (size_t)((double)n * p / (DEMO_PR_POINTS - 1));
        for (; j < cut; j++)
            found += c->defect[r[j].i] != 0;
        d->pr_recall[p] = k ? (double)found / (double)k : 0;
        d->pr_precision[p] = cut ? (double)found / (double)cut : 1;
    }
}

/* Detection quality of every score column; c->best = the highest AUROC. */
static int demo_detection(demo_ctx *c)
{
    const size_t cols = heft_scores_cols(c->scores);
    c->best = -1;
    for (size_t j = 0; j < cols && c->n_det < DEMO_MAX_COLS; j++) {
        const char *name = heft_scores_name(c->scores, j);
        ranked *r = sort_rows(heft_scores_col(c->scores, j), c->n_train);
        if (!r)
            return cli_failf("out of memory");
        demo_det *d = &c->det[c->n_det];
        d->name = name;
        d->seconds = heft_scores_seconds(c->scores, j);
        demo_detect(c, r, d);
        free(r);
        if (c->best < 0 || d->auroc > c->det[c->best].auroc)
            c->best = c->n_det;
        c->n_det++;
    }
    return CLI_OK;
}

/* ---- acting on the scores --------------------------------------------- */

/* Selects rows of the train part with o (score: a column, or NULL),
 * retrains lr on them and sets *auc to its test AUC (and *ne, when not
 * NULL, to its normalized entropy). */
static int retrain_on(demo_ctx *c, const heft_select_opts *o,
                      const float *score, double *auc, double *ne)
{
    heft_selection *sel = NULL;
    heft_dataset *sub = NULL;
    heft_error err;
    int rc = CLI_OK;
    if (heft_select(heft_dataset_labels(c->train), NULL, c->n_train, score,
                    o, &sel, &err) != HEFT_OK ||
        heft_select_apply(c->train, sel, &sub, &err) != HEFT_OK)
        rc = cli_fail(&err);
    heft_metrics m;
    size_t params;
    double secs;
    if (rc == CLI_OK)
        rc = train_test(c, sub, HEFT_MODEL_LR, &m, &params, &secs);
    if (rc == CLI_OK)
        *auc = m.auc.value;
    if (rc == CLI_OK && ne)
        *ne = m.ne.value;
    heft_dataset_free(sub);
    heft_selection_free(sel);
    return rc;
}

/* The column called name, or NULL. */
static const float *demo_col(const demo_ctx *c, const char *name)
{
    for (size_t j = 0; j < heft_scores_cols(c->scores); j++)
        if (!strcmp(heft_scores_name(c->scores, j), name))
            return heft_scores_col(c->scores, j);
    return NULL;
}

/* Retrains lr without the rows the best method drops (its share lowest,
 * as HEFT_SELECT_DROP picks them, chosen once), then without only the
 * planted and only the clean rows among them, each alone: what finding
 * the defects is worth, and what the real rows flagged with them cost (as
 * `heft bench noise --decompose`). */
static int demo_drop_best(demo_ctx *c, double share)
{
    const size_t n = c->n_train;
    heft_select_opts o = heft_select_opts_default();
    o.mode = HEFT_SELECT_DROP;
    o.fraction = share;
    heft_selection *sel = NULL;
    heft_error err;
    uint8_t *part = malloc(3 * (n ? n : 1)); /* dropped, planted, clean */
    if (!part)
        return cli_failf("demo: out of memory");
    int rc = CLI_OK;
    if (heft_select(heft_dataset_labels(c->train), NULL, n,
                    demo_col(c, c->det[c->best].name), &o, &sel,
                    &err) != HEFT_OK)
        rc = cli_fail(&err);
    memset(part, 1, n); /* dropped until found kept */
    for (size_t k = 0; rc == CLI_OK && k < sel->n; k++)
        part[sel->rows[k]] = 0;
    heft_selection_free(sel);
    c->n_best_true = c->n_best_false = 0;
    for (size_t i = 0; rc == CLI_OK && i < n; i++) {
        part[n + i] = part[i] && c->defect[i] != 0;
        part[2 * n + i] = part[i] && c->defect[i] == 0;
        c->n_best_true += part[n + i];
        c->n_best_false += part[2 * n + i];
    }
    double *auc[3] = {&c->auc_drop_best, &c->auc_best_true,
                      &c->auc_best_false};
    o = heft_select_opts_default();
    o.mode = HEFT_SELECT_ALL;
    for (int k = 0; rc == CLI_OK && k < 3; k++) {
        o.drop = part + (size_t)k * n;
        rc = retrain_on(c, &o, NULL, auc[k], NULL);
    }
    free(part);
    return rc;
}

/* Retrains lr without the rows heft flags (`heft select --drop-flagged`:
 * confident learning's label issues and duplicates with conflicting
 * labels); then without as many rows as there are planted defects: the
 * lowest-valued by the best detector, a random share, and exactly the
 * planted defects. */
static int demo_prune(demo_ctx *c)
{
    if (c->best < 0 || c->n_defects == 0 || c->n_defects >= c->n_train)
        return cli_failf("demo: nothing to prune");
    const float *cl_ok = demo_col(c, "cl_ok"), *dup = demo_col(c, "dup");
    uint8_t *flag = calloc(c->n_train ? c->n_train : 1, 1);
    if (!cl_ok || !dup || !flag) {
        free(flag);
        return cli_failf("demo: out of memory");
    }
    for (size_t i = 0; i < c->n_train; i++) {
        flag[i] = cl_ok[i] == 0 || dup[i] < 0;
        c->n_flagged += flag[i];
    }
    heft_select_opts o = heft_select_opts_default();
    o.mode = HEFT_SELECT_ALL;
    o.drop = flag;
    int rc = retrain_on(c, &o, NULL, &c->auc_drop_flagged, NULL);
    free(flag);
    const double share = (double)c->n_defects / (double)c->n_train;
    if (rc == CLI_OK)
        rc = demo_drop_best(c, share);
    o = heft_select_opts_default();
    o.mode = HEFT_SELECT_RANDOM;
    o.fraction = 1 - share;
    o.seed = cli_u64(c->a, "seed", 1);
    if (rc == CLI_OK)
        rc = retrain_on(c, &o, NULL, &c->auc_drop_random, NULL);
    o = heft_select_opts_default();
    o.mode = HEFT_SELECT_ALL;
    o.drop = c->defect;
    if (rc == CLI_OK)
        rc = retrain_on(c, &o, NULL, &c->auc_drop_truth, NULL);
    return rc;
}

/* Pruning: keeps each share of demo_fracs by Data-OOB value (highest
 * first), at random, and by negative downsampling (every positive, and
 * as many negatives as the share allows; the kept data records W, so lr
 * is recalibrated), retraining lr each time. */
static int demo_frontier(demo_ctx *c)
{
    const float *label = heft_dataset_labels(c->train);
    size_t n_pos = 0;
    for (size_t i = 0; i < c->n_train; i++)
        n_pos += label[i] > 0;
    int rc = CLI_OK;
    for (int f = 0; f < DEMO_FRACS && rc == CLI_OK; f++) {
        for (int k = 0; k < DEMO_CURVES && rc == CLI_OK; k++) {
            heft_select_opts o = heft_select_opts_default();
            o.fraction = demo_fracs[f];
            o.seed = cli_u64(c->a, "seed", 1);
            const float *score = NULL;
            if (k == 0) {
                o.mode = HEFT_SELECT_KEEP;
                score = demo_col(c, demo_curves[0]);
            } else if (k == 1) {
                o.mode = HEFT_SELECT_RANDOM;
            } else {
                const double want = demo_fracs[f] * (double)c->n_train;
                const double neg = (double)(c->n_train - n_pos);
                o.mode = HEFT_SELECT_NEGATIVES;
                o.neg_rate = neg > 0 && want > (double)n_pos
                                 ? (want - (double)n_pos) / neg
                                 : 1e-6;
            }
            rc = retrain_on(c, &o, score, &c->prune_auc[k][f],
                            &c->prune_ne[k][f]);
        }
    }
    return rc;
}

/* The detection table and the retraining comparison. */
static void demo_print_detection(const demo_ctx *c)
{
    printf("\nfinding the planted defects among the %zu training rows: %zu "
           "flipped labels, %zu bot rows, %zu duplicates\n(scored in %.2f s "
           "with lr; low value = suspicious; AUROC per kind is that kind "
           "against every other row)\n\n",
           c->n_train, c->n_kind[DEMO_FLIP], c->n_kind[DEMO_BOT],
           c->n_kind[DEMO_DUP], c->score_s);
    printf("%-10s %8s %8s %8s %8s %8s %9s\n", "method", "AUROC", "flip",
           "bot", "dup", "F1@k", "seconds");
    for (int i = 0; i < c->n_det; i++) {
        const demo_det *d = &c->det[i];
        printf("%-10s %8.4f %8.4f %8.4f %8.4f %8.4f %9.3f%s\n", d->name,
               d->auroc, d->auroc_kind[DEMO_FLIP], d->auroc_kind[DEMO_BOT],
               d->auroc_kind[DEMO_DUP], d->f1, d->seconds,
               i == c->best ? "  <- best" : "");
    }
    const double full = c->res[0].test.auc.value;
    const double lost = c->auc_drop_truth - full;
    printf("\nlr retrained without the %zu rows heft flags (cl label "
           "issues, conflicting duplicates):\n  test AUC %.4f (%+.4f)",
           c->n_flagged, c->auc_drop_flagged, c->auc_drop_flagged - full);
    printf("\n\nlr retrained after dropping %zu training rows (test "
           "AUC):\n", c->n_defects);
    printf("  %-34s %.4f\n", "none dropped (as above)", full);
    printf("  %-34s %.4f  (%+.4f)\n", "a random share", c->auc_drop_random,
           c->auc_drop_random - full);
    char what[64];
    snprintf(what, sizeof what, "the lowest by %s", c->det[c->best].name);
    printf("  %-34s %.4f  (%+.4f)\n", what, c->auc_drop_best,
           c->auc_drop_best - full);
    snprintf(what, sizeof what, "  of those, the %zu planted only",
             c->n_best_true);
    printf("  %-34s %.4f  (%+.4f)\n", what, c->auc_best_true,
           c->auc_best_true - full);
    snprintf(what, sizeof what, "  of those, the %zu clean only",
             c->n_best_false);
    printf("  %-34s %.4f  (%+.4f)\n", what, c->auc_best_false,
           c->auc_best_false - full);
    printf("  %-34s %.4f  (%+.4f)\n", "exactly the planted defects",
           c->auc_drop_truth, lost);
    printf("\npruning: lr retrained on a share of the training rows (test "
           "AUC; all rows %.4f)\n%-28s", full, "kept share");
    for (int f = 0; f < DEMO_FRACS; f++)
        printf(" %8.0f%%", 100 * demo_fracs[f]);
    static const char *const label[DEMO_CURVES] = {
        "highest Data-OOB value", "random rows", "negative downsampling"};
    for (int k = 0; k < DEMO_CURVES; k++) {
        printf("\n  %-26s", label[k]);
        for (int f = 0; f < DEMO_FRACS; f++)
            printf(" %9.4f", c->prune_auc[k][f]);
    }
    printf("\n");
}

/* One number array as JSON. */
static void json_array(FILE *f, const double *v, int n)
{
    fputc('[', f);
    for (int i = 0; i < n; i++) {
        if (i)
            fputc(',', f);
        cli_json_num(f, v[i]);
    }
    fputc(']', f);
}

/* The best method's retraining keys, as `bench noise --decompose` writes
 * them (recovered = share of the AUC the defects cost that came back). */
static void json_best(const demo_ctx *c, FILE *f)
{
    const double noisy = c->res[0].test.auc.value;
    const double lost = c->auc_drop_truth - noisy;
    const struct {
        const char *key;
        double auc;
    } k[] = {{"", c->auc_drop_best},
             {"_true_flags", c->auc_best_true},
             {"_false_flags", c->auc_best_false}};
    for (size_t j = 0; j < sizeof k / sizeof k[0]; j++) {
        fprintf(f, ",\"test_auc%s\":", k[j].key);
        cli_json_num(f, k[j].auc);
        fprintf(f, ",\"recovered%s\":", k[j].key);
        cli_json_num(f, (k[j].auc - noisy) / lost);
    }
}

/* DIR/run/demo.json: the detection results in the shape of `bench noise`
 * (docs/run-dir.md), one seed. */
static void demo_json(const demo_ctx *c, FILE *f)
{
    fprintf(f, "{\"heft\":");
    cli_json_str(f, heft_version());
    fprintf(f, ",\"command\":\"bench noise\",\"settings\":{\"data\":"
               "\"heft demo: generated log\",\"rows\":%llu,\"seed\":%llu,"
               "\"model\":\"lr\",\"defects\":\"5%% flipped labels, 1%% bot "
               "users, 2%% duplicates\",\"methods\":\"%s\",\"bags\":8}",
            (unsigned long long)c->rows,
            (unsigned long long)cli_u64(c->a, "seed", 1), DEMO_METHODS);
    fprintf(f, ",\"rows\":%zu,\"valid_rows\":%zu,\"flip\":0.05,\"k\":%zu,"
               "\"seeds\":[%llu],\"test_auc_noisy\":",
            c->n_train, heft_dataset_rows(c->valid), c->n_defects,
            (unsigned long long)cli_u64(c->a, "seed", 1));
    cli_json_num(f, c->res[0].test.auc.value);
    fputs(",\"test_auc_clean\":", f);
    cli_json_num(f, c->auc_drop_truth);
    fputs(",\"methods\":{", f);
    for (int i = 0; i < c->n_det; i++) {
        const demo_det *d = &c->det[i];
        fprintf(f, "%s", i ? "," : "");
        cli_json_str(f, d->name);
        fputs(":{\"f1_at_k\":", f);
        cli_json_num(f, d->f1);
        fputs(",\"auroc\":", f);
        cli_json_num(f, d->auroc);
        fputs(",\"seconds\":", f);
        cli_json_num(f, d->seconds);
        if (i == c->best)
            json_best(c, f);
        fputs(",\"pr_curve\":{\"recall\":", f);
        json_array(f, d->pr_recall, DEMO_PR_POINTS);
        fputs(",\"precision\":", f);
        json_array(f, d->pr_precision, DEMO_PR_POINTS);
        fputs("}}", f);
    }
    fputs("},\"random\":{\"test_auc\":", f);
    cli_json_num(f, c->auc_drop_random);
    fputs("}}\n", f);
}

/* One pruning curve: the DEMO_FRACS values, then the full data's. */
static void json_curve(FILE *f, const double *v, double full)
{
    fputc('[', f);
    for (int i = 0; i < DEMO_FRACS; i++) {
        cli_json_num(f, v[i]);
        fputc(',', f);
    }
    cli_json_num(f, full);
    fputc(']', f);
}

/* DIR/run/prune.json: the pruning curves in the shape of `bench prune`
 * (docs/run-dir.md), one seed. */
static void demo_prune_json(const demo_ctx *c, FILE *f)
{
    fprintf(f, "{\"heft\":");
    cli_json_str(f, heft_version());
    fprintf(f, ",\"command\":\"bench prune\",\"settings\":{\"data\":"
               "\"heft demo: generated log\",\"model\":\"lr\",\"seed\":"
               "%llu,\"methods\":\"oob\",\"bags\":8},\"fractions\":[",
            (unsigned long long)cli_u64(c->a, "seed", 1));
    for (int i = 0; i <= DEMO_FRACS; i++)
        fprintf(f, "%s%g", i ? "," : "", i < DEMO_FRACS ? demo_fracs[i] : 1.0);
    fputs("],\"full\":{\"auc\":", f);
    cli_json_num(f, c->res[0].test.auc.value);
    fputs(",\"ne\":", f);
    cli_json_num(f, c->res[0].test.ne.value);
    fputs("},\"curves\":{", f);
    for (int k = 0; k < DEMO_CURVES; k++) {
        fprintf(f, "%s\"%s\":{\"auc\":", k ? "," : "", demo_curves[k]);
        json_curve(f, c->prune_auc[k], c->res[0].test.auc.value);
        fputs(",\"ne\":", f);
        json_curve(f, c->prune_ne[k], c->res[0].test.ne.value);
        fputc('}', f);
    }
    /* The smallest kept share within 0.1% relative AUC of all rows. */
    fputs("},\"smallest_fraction\":{", f);
    for (int k = 0; k < DEMO_CURVES; k++) {
        double auc[DEMO_FRACS + 1];
        memcpy(auc, c->prune_auc[k], sizeof c->prune_auc[k]);
        auc[DEMO_FRACS] = c->res[0].test.auc.value;
        const int j = heft_bench_frontier(auc, DEMO_FRACS + 1, auc[DEMO_FRACS],
                                          0.001);
        fprintf(f, "%s\"%s\":", k ? "," : "", demo_curves[k]);
        if (j < 0)
            fputs("null", f);
        else
            fprintf(f, "%g", j < DEMO_FRACS ? demo_fracs[j] : 1.0);
    }
    fputs("}}\n", f);
}

/* Writes DIR/run: scores.tsv (the train part's scores) and demo.json, and
 * from them DIR/report.html (heft_report_write). */
static int demo_write_run(demo_ctx *c)
{
    snprintf(c->run_dir, sizeof c->run_dir, "%s/run", c->dir);
    if (mkdir(c->run_dir, 0777) != 0 && errno != EEXIST)
        return cli_failf("%s: cannot create directory: %s", c->run_dir,
                         strerror(errno));
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/scores.tsv", c->run_dir);
    heft_error err;
    if (heft_scores_write(c->scores, heft_dataset_labels(c->train), path,
                          &err) != HEFT_OK)
        return cli_fail(&err);
    snprintf(path, sizeof path, "%s/demo.json", c->run_dir);
    cli_out o;
    if (cli_out_open(&o, path) != CLI_OK)
        return CLI_ERR;
    demo_json(c, o.f);
    if (cli_out_commit(&o) != CLI_OK)
        return CLI_ERR;
    snprintf(path, sizeof path, "%s/prune.json", c->run_dir);
    if (cli_out_open(&o, path) != CLI_OK)
        return CLI_ERR;
    demo_prune_json(c, o.f);
    if (cli_out_commit(&o) != CLI_OK)
        return CLI_ERR;
    snprintf(c->report_path, sizeof c->report_path, "%s/report.html",
             c->dir);
    if (heft_report_write(c->run_dir, c->report_path, NULL, &err) !=
        HEFT_OK)
        return cli_fail(&err);
    return CLI_OK;
}

static void demo_print(const demo_ctx *c)
{
    heft_dataset_info info;
    heft_dataset_get_info(c->all, &info);
    printf("heft demo: %llu generated rows (5%% flipped labels, 1%% bot "
           "users, 2%% duplicates)\n",
           (unsigned long long)info.rows);
    printf("generated in %.2f s, read in %.2f s; train %zu rows, valid %zu "
           "rows (early stopping), test %zu rows (the 20%% part without its "
           "planted defects), click rate %.4f\n\n",
           c->gen_s, c->read_s, heft_dataset_rows(c->train),
           heft_dataset_rows(c->valid), heft_dataset_rows(c->test),
           info.rows ? (double)info.positives / (double)info.rows : 0.0);
    printf("%-6s %10s %9s %9s %9s %8s %8s %12s\n", "model", "params",
           "train s", "test AUC", "logloss", "NE", "GAUC", "calibration");
    for (int i = 0; i < c->n_res; i++) {
        const demo_result *r = &c->res[i];
        printf("%-6s %10zu %9.2f %9.4f %9.4f %8.4f %8.4f %12.4f\n",
               heft_model_kind_name(r->kind), r->params, r->train_s,
               r->test.auc.value, r->test.logloss.value, r->test.ne.value,
               r->test.gauc.value, r->test.calibration.value);
    }
    demo_print_detection(c);
    if (!c->made_dir || cli_flag(c->a, "keep"))
        printf("\nfiles kept in %s; the report: %s\n", c->dir,
               c->report_path);
    else
        printf("\n(--keep or --dir DIR keeps the log, the scores and "
               "report.html)\n");
}

/* Removes DIR/run's files (a temporary DIR without --keep). */
static void demo_remove_run(const demo_ctx *c)
{
    static const char *const files[] = {"scores.tsv", "demo.json",
                                        "prune.json"};
    char path[PATH_MAX + 64];
    for (size_t i = 0; c->run_dir[0] && i < sizeof files / sizeof *files;
         i++) {
        snprintf(path, sizeof path, "%s/%s", c->run_dir, files[i]);
        remove(path);
    }
    if (c->run_dir[0])
        rmdir(c->run_dir);
    if (c->report_path[0])
        remove(c->report_path);
}

static void demo_free(demo_ctx *c)
{
    heft_scores_free(c->scores);
    free(c->train_rows);
    free(c->kind_all);
    free(c->defect);
    heft_dataset_free(c->train);
    heft_dataset_free(c->valid);
    heft_dataset_free(c->test);
    heft_dataset_free(c->all);
    if (c->made_dir && !cli_flag(c->a, "keep")) {
        demo_remove_run(c);
        remove(c->log_path);
        remove(c->truth_path);
        rmdir(c->dir);
    }
}

static int run_demo(const cli_args *a)
{
    demo_ctx c;
    memset(&c, 0, sizeof c);
    c.a = a;
    c.rows = cli_u64(a, "rows", 200000);
    int rc = demo_dir(&c);
    if (rc == CLI_OK)
        rc = demo_generate(&c);
    if (rc == CLI_OK)
        rc = demo_read(&c);
    if (rc == CLI_OK)
        rc = demo_truth(&c);
    if (rc == CLI_OK)
        rc = demo_split(&c);
    if (rc == CLI_OK)
        rc = demo_train_eval(&c, HEFT_MODEL_LR);
    if (rc == CLI_OK)
        rc = demo_train_eval(&c, HEFT_MODEL_FM);
    if (rc == CLI_OK)
        rc = demo_train_defects(&c);
    if (rc == CLI_OK)
        rc = demo_score(&c);
    if (rc == CLI_OK)
        rc = demo_detection(&c);
    if (rc == CLI_OK)
        rc = demo_prune(&c);
    if (rc == CLI_OK)
        rc = demo_frontier(&c);
    if (rc == CLI_OK)
        rc = demo_write_run(&c);
    if (rc == CLI_OK)
        demo_print(&c);
    demo_free(&c);
    return rc;
}

const cli_command cli_cmd_demo = {
    .name = "demo",
    .synopsis = "[--rows N] [--seed S] [--dir DIR] [--keep]",
    .summary = "The whole loop on a generated log: train, score, find the "
               "planted defects, drop them, retrain",
    .details = "The log has planted defects (5% flipped labels, 1% bot "
               "users, 2% duplicates)\nand a truth file; it is read as TSV "
               "with label `click` and group `query_id`,\nsplit 70/10/20 "
               "at random (seed 1), and LR and FM train with default "
               "settings.\nThe training rows are then scored with "
               DEMO_METHODS " (lr; 8 Data-OOB\nbags), each method's "
               "AUROC and F1@k against the truth file are printed, and lr\n"
               "is retrained after dropping as many rows as were planted: "
               "the lowest by the\nbest method (and, each alone, the "
               "planted and the clean rows among them), a\nrandom share, "
               "and the planted rows themselves; then pruned to 25%, 50% "
               "and\n75% of the rows by Data-OOB value, at random and by "
               "negative downsampling.\nThe run (scores.tsv, demo.json, prune.json as "
               "docs/run-dir.md\ndescribes) goes to DIR/run, its report to "
               "DIR/report.html.",
    .min_pos = 0,
    .max_pos = 0,
    .opts = demo_opts,
    .run = run_demo,
};
