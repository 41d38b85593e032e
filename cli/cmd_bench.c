/*
 * cmd_bench.c: `heft bench noise DATA --methods LIST`: how well each
 * importance estimator finds labels that were flipped on purpose.
 *
 * Protocol (issue 3; docs/cli.md): for each seed, flip the labels of
 * k = round(r * N) training rows drawn uniformly without replacement
 * (seeded), score the noisy training set with heft_score, and report per
 * method column
 *   - F1@k of the k lowest-valued rows against the flipped set (with k
 *     equal to the number flipped, F1@k = precision@k = recall@k); ties at
 *     the cut count fractionally, as the expectation over a random order
 *     within the tie;
 *   - AUROC of the negated value as a detector of flipped rows (ties half);
 *   - the method's wall time (heft_scores_seconds);
 * then the means over the seeds. Every column is read in its documented
 * direction (low = suspicious); no direction is chosen per data set.
 *
 * Validation rows (for tracin, influence, knn) come from --valid, or from a
 * stratified split of DATA by --valid-frac made once (split seed 1), and
 * are never flipped. With --test, each seed also trains the model on the
 * noisy training rows, on the rows that remain after dropping each
 * method's k lowest, and on the truly clean rows, and reports test AUCs.
 * --dump-dir writes each seed's exact rows and flips as libsvm files, so
 * that outside tools (bench/noise/peers.py) score the same problem.
 */
#include "common.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const cli_option bench_opts[] = {
    {"methods", 0, CLI_STR, "LIST", 0, 0, CLI_REQUIRED,
     "comma-separated methods (see `heft help score`), or all"},
    {"flip", 0, CLI_NUM, "R", 0, 0.5, "0.1",
     "share of training labels flipped in each run"},
    {"seeds", 0, CLI_STR, "S,S", 0, 0, "0,1,2",
     "one run per seed: which labels flip, and the methods' seeds"},
    {"valid", 0, CLI_STR, "FILE", 0, 0, NULL,
     "validation data (read like DATA); never flipped"},
    {"valid-frac", 0, CLI_NUM, "F", 0, 0.9, "0.1",
     "without --valid: share of DATA split off (stratified, split seed 1) "
     "as validation rows, never flipped; 0 = none"},
    {"test", 0, CLI_STR, "FILE", 0, 0, NULL,
     "test data (read like DATA): also report the test AUC of models "
     "trained on the noisy rows, on the rows each method keeps, and on the "
     "clean rows"},
    {"model", 'm', CLI_CHOICE, "lr|fm|mlp", 0, 0, "lr",
     "the model the methods train and score with"},
    {"json", 0, CLI_FLAG, NULL, 0, 0, "off",
     "print one JSON object instead of a table"},
    {"dump-dir", 0, CLI_STR, "DIR", 0, 0, NULL,
     "write DIR/seed-S/{train.svm,valid.svm,test.svm,flipped.txt} per "
     "seed: the noisy training rows, the other parts, and the flipped "
     "rows (0-based)"},
    CLI_END,
};

enum { MAX_SEEDS = 64, MAX_COLS = 64 };

/* ---------------------------------------------------------------------- */
/* Ranking metrics of a value column against the flipped set              */
/* ---------------------------------------------------------------------- */

/* splitmix64 (Steele et al. 2014): the run's own RNG, seeded by its seed,
 * so the flips do not depend on the library's internals. */
static uint64_t mix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Marks k of n rows, uniformly without replacement (partial Fisher-Yates
 * over a permutation), in flip (n,), zeroed first. Returns CLI_OK. */
static int draw_flips(size_t n, size_t k, uint64_t seed, uint8_t *flip)
{
    uint32_t *perm = malloc((n ? n : 1) * sizeof *perm);
    if (!perm)
        return cli_failf("out of memory");
    for (size_t i = 0; i < n; i++)
        perm[i] = (uint32_t)i;
    uint64_t st = seed ^ 0x6e6f697365ULL; /* "noise" */
    memset(flip, 0, n);
    for (size_t i = 0; i < k; i++) {
        size_t j = i + (size_t)(mix64(&st) % (uint64_t)(n - i));
        uint32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
        flip[perm[i]] = 1;
    }
    free(perm);
    return CLI_OK;
}

/* A row's value with NaN as +inf: a value that could not be computed
 * never makes a row suspicious. */
static double key_of(float v)
{
    return isnan(v) ? INFINITY : (double)v;
}

static const float *g_sort_vals; /* qsort has no context argument */

static int cmp_rows(const void *pa, const void *pb)
{
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    double x = key_of(g_sort_vals[a]), y = key_of(g_sort_vals[b]);
    if (x != y)
        return x < y ? -1 : 1;
    return a < b ? -1 : a > b;
}

/* order (n,) = rows by value ascending, ties by row index. */
static void sort_rows(const float *v, size_t n, uint32_t *order)
{
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)i;
    g_sort_vals = v;
    qsort(order, n, sizeof *order, cmp_rows);
    g_sort_vals = NULL;
}

/* F1@k and AUROC of the values v against flip, from the ascending order.
 * F1@k: hits among the k lowest, the tie block at the cut counted at its
 * expected share, divided by k (= precision = recall = F1 when k is the
 * number of flipped rows). AUROC: P(v_flipped < v_clean) + P(=)/2. */
static void rank_metrics(const float *v, const uint8_t *flip,
                         const uint32_t *order, size_t n, size_t k,
                         double *f1, double *auroc)
{
    double hits = 0, pairs = 0, clean_after = 0, n_pos = 0;
    for (size_t i = 0; i < n; i++)
        n_pos += flip[i];
    double n_neg = (double)n - n_pos;
    clean_after = n_neg;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        double pos = 0;
        while (j < n && key_of(v[order[j]]) == key_of(v[order[i]]))
            pos += flip[order[j++]];
        double neg = (double)(j - i) - pos;
        clean_after -= neg;
        pairs += pos * (clean_after + 0.5 * neg);
        if (i < k)
            hits += j <= k ? pos : pos * (double)(k - i) / (double)(j - i);
        i = j;
    }
    *f1 = k ? hits / (double)k : NAN;
    *auroc = n_pos > 0 && n_neg > 0 ? pairs / (n_pos * n_neg) : NAN;
}

/* ---------------------------------------------------------------------- */
/* Data                                                                    */
/* ---------------------------------------------------------------------- */

/* A copy of ds with the labels of the flagged rows flipped (1 - y). */
static int flipped_copy(const heft_dataset *ds, const uint8_t *flip,
                        heft_dataset **out)
{
    size_t n = heft_dataset_rows(ds);
    const uint64_t *rp;
    const uint32_t *feat;
    const float *val;
    const uint16_t *field;
    heft_dataset_csr(ds, &rp, &feat, &val, &field);
    const float *y = heft_dataset_labels(ds);
    float *lab = malloc((n ? n : 1) * sizeof *lab);
    if (!lab)
        return cli_failf("out of memory");
    for (size_t i = 0; i < n; i++)
        lab[i] = flip[i] ? 1.0f - y[i] : y[i];
    heft_dataset_info info;
    heft_dataset_get_info(ds, &info);
    heft_error err;
    int rc = CLI_OK;
    if (heft_dataset_from_csr(n, rp, feat, val, field, lab,
                              heft_dataset_weights(ds),
                              heft_dataset_groups(ds), info.hash_bits, out,
                              &err) != HEFT_OK)
        rc = cli_fail(&err);
    free(lab);
    return rc;
}

/* The rows of ds whose part[] equals want, as a new dataset. */
static int part_of(const heft_dataset *ds, const uint8_t *part, uint8_t want,
                   heft_dataset **out)
{
    size_t n = heft_dataset_rows(ds), m = 0;
    uint64_t *rows = malloc((n ? n : 1) * sizeof *rows);
    if (!rows)
        return cli_failf("out of memory");
    for (size_t i = 0; i < n; i++)
        if (part[i] == want)
            rows[m++] = i;
    heft_error err;
    int rc = CLI_OK;
    if (heft_dataset_subset(ds, rows, m, out, &err) != HEFT_OK)
        rc = cli_fail(&err);
    free(rows);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* --dump-dir: libsvm files of the exact rows                             */
/* ---------------------------------------------------------------------- */

typedef struct svm_nz {
    uint32_t idx;
    float val;
} svm_nz;

static int cmp_nz(const void *pa, const void *pb)
{
    const svm_nz *a = pa, *b = pb;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Writes ds as libsvm ("LABEL IDX:VAL ...", IDX = bucket + 1 ascending,
 * the values of a bucket repeated within a row summed) to path. */
static int write_svm(const heft_dataset *ds, const char *path)
{
    const uint64_t *rp;
    const uint32_t *feat;
    const float *val;
    const uint16_t *field;
    heft_dataset_csr(ds, &rp, &feat, &val, &field);
    const float *y = heft_dataset_labels(ds);
    size_t n = heft_dataset_rows(ds), cap = 0;
    svm_nz *nz = NULL;
    cli_out out;
    int rc = cli_out_open(&out, path);
    for (size_t r = 0; rc == CLI_OK && r < n; r++) {
        size_t len = (size_t)(rp[r + 1] - rp[r]);
        if (len > cap) {
            svm_nz *t = realloc(nz, len * sizeof *t);
            if (!t) {
                rc = cli_failf("out of memory");
                break;
            }
            nz = t;
            cap = len;
        }
        for (size_t j = 0; j < len; j++) {
            nz[j].idx = feat[rp[r] + j];
            nz[j].val = val ? val[rp[r] + j] : 1.0f;
        }
        qsort(nz, len, sizeof *nz, cmp_nz);
        fprintf(out.f, "%g", (double)y[r]);
        for (size_t j = 0; j < len;) {
            double s = 0;
            size_t i = j;
            for (; j < len && nz[j].idx == nz[i].idx; j++)
                s += nz[j].val;
            fprintf(out.f, " %lu:%.9g", (unsigned long)nz[i].idx + 1, s);
        }
        fputc('\n', out.f);
    }
    free(nz);
    if (rc != CLI_OK) {
        cli_out_abort(&out);
        return rc;
    }
    return cli_out_commit(&out);
}

static int make_dir(const char *path)
{
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return cli_failf("%s: cannot create the folder: %s", path,
                         strerror(errno));
    return CLI_OK;
}

/* Writes one seed's files into DIR/seed-S/. */
static int dump_seed(const char *dir, uint64_t seed, const heft_dataset *tr,
                     const uint8_t *flip, const heft_dataset *va,
                     const heft_dataset *te)
{
    size_t len = strlen(dir) + 64;
    char *sub = malloc(len), *path = malloc(len);
    int rc = sub && path ? CLI_OK : cli_failf("out of memory");
    if (rc == CLI_OK) {
        snprintf(sub, len, "%s/seed-%llu", dir, (unsigned long long)seed);
        rc = make_dir(dir);
    }
    if (rc == CLI_OK)
        rc = make_dir(sub);
    const struct {
        const char *name;
        const heft_dataset *ds;
    } parts[] = {{"train.svm", tr}, {"valid.svm", va}, {"test.svm", te}};
    for (size_t i = 0; rc == CLI_OK && i < 3; i++) {
        if (!parts[i].ds)
            continue;
        snprintf(path, len, "%s/%s", sub, parts[i].name);
        rc = write_svm(parts[i].ds, path);
    }
    cli_out out;
    if (rc == CLI_OK) {
        snprintf(path, len, "%s/flipped.txt", sub);
        rc = cli_out_open(&out, path);
    }
    if (rc == CLI_OK) {
        for (size_t i = 0; i < heft_dataset_rows(tr); i++)
            if (flip[i])
                fprintf(out.f, "%zu\n", i);
        rc = cli_out_commit(&out);
    }
    free(sub);
    free(path);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Runs                                                                    */
/* ---------------------------------------------------------------------- */

/* Results of every run, per column name (same columns in every run). */
typedef struct bench_acc {
    size_t n_cols;
    char *name[MAX_COLS];
    double f1[MAX_COLS][MAX_SEEDS], auroc[MAX_COLS][MAX_SEEDS];
    double secs[MAX_COLS][MAX_SEEDS], test_auc[MAX_COLS][MAX_SEEDS];
    double auc_noisy[MAX_SEEDS], auc_clean[MAX_SEEDS];
    size_t n_runs;
} bench_acc;

/* Everything one command needs across the runs. */
typedef struct bench_ctx {
    const cli_args *a;
    heft_score_opts so;
    heft_dataset *data, *train, *valid, *test;
    uint64_t seeds[MAX_SEEDS];
    size_t n_seeds;
    double flip;
    size_t k;
    bench_acc acc;
} bench_ctx;

/* AUC on the test set of a model trained on rows keep[0..m) of ds (all
 * rows when keep is NULL), with the score options' training settings. */
static int test_auc(bench_ctx *c, const heft_dataset *ds,
                    const uint64_t *keep, size_t m, uint64_t seed,
                    double *auc)
{
    heft_dataset *sub = NULL;
    heft_model *model = NULL;
    heft_error err;
    heft_train_opts to = c->so.train;
    to.seed = seed;
    to.log = NULL;
    size_t n = heft_dataset_rows(c->test);
    float *p = malloc((n ? n : 1) * sizeof *p);
    int rc = p ? CLI_OK : cli_failf("out of memory");
    heft_metrics mt;
    heft_eval_opts eo = heft_eval_opts_default();
    if (rc == CLI_OK && keep &&
        heft_dataset_subset(ds, keep, m, &sub, &err) != HEFT_OK)
        rc = cli_fail(&err);
    if (rc == CLI_OK &&
        (heft_train(sub ? sub : ds, NULL, &to, &model, &err) != HEFT_OK ||
         heft_predict(model, c->test, p, to.threads, &err) != HEFT_OK ||
         heft_evaluate(heft_dataset_labels(c->test), p, NULL, NULL, n, &eo,
                       &mt, &err) != HEFT_OK))
        rc = cli_fail(&err);
    if (rc == CLI_OK)
        *auc = mt.auc.value;
    heft_model_free(model);
    heft_dataset_free(sub);
    free(p);
    return rc;
}

/* The test AUC after dropping the k lowest rows of order (n,). */
static int test_auc_kept(bench_ctx *c, const heft_dataset *ds,
                         const uint32_t *order, const uint8_t *drop_mask,
                         uint64_t seed, double *auc)
{
    size_t n = heft_dataset_rows(ds), m = 0;
    uint64_t *keep = malloc((n ? n : 1) * sizeof *keep);
    uint8_t *drop = calloc(n ? n : 1, 1);
    int rc = keep && drop ? CLI_OK : cli_failf("out of memory");
    if (rc == CLI_OK) {
        for (size_t i = 0; order && i < c->k && i < n; i++)
            drop[order[i]] = 1;
        for (size_t i = 0; i < n; i++)
            if (!(drop_mask ? drop_mask[i] : drop[i]))
                keep[m++] = i;
        rc = test_auc(c, ds, keep, m, seed, auc);
    }
    free(keep);
    free(drop);
    return rc;
}

/* Records the columns of s for run r (checking that the columns are the
 * same as in the first run). */
static int record_scores(bench_ctx *c, const heft_scores *s,
                         const heft_dataset *noisy, const uint8_t *flip,
                         size_t r, uint64_t seed)
{
    bench_acc *acc = &c->acc;
    size_t n = heft_scores_rows(s), cols = heft_scores_cols(s);
    if (cols > MAX_COLS)
        return cli_failf("more than %d score columns", MAX_COLS);
    if (r == 0) {
        acc->n_cols = cols;
        for (size_t j = 0; j < cols; j++)
            if (!(acc->name[j] = strdup(heft_scores_name(s, j))))
                return cli_failf("out of memory");
    } else if (cols != acc->n_cols) {
        return cli_failf("internal error: the runs gave different columns");
    }
    uint32_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!order)
        return cli_failf("out of memory");
    int rc = CLI_OK;
    for (size_t j = 0; rc == CLI_OK && j < cols; j++) {
        const float *v = heft_scores_col(s, j);
        sort_rows(v, n, order);
        rank_metrics(v, flip, order, n, c->k, &acc->f1[j][r],
                     &acc->auroc[j][r]);
        acc->secs[j][r] = heft_scores_seconds(s, j);
        acc->test_auc[j][r] = NAN;
        if (c->test)
            rc = test_auc_kept(c, noisy, order, NULL, seed,
                               &acc->test_auc[j][r]);
    }
    free(order);
    return rc;
}

/* One run: flip, score, measure (and dump, and test). */
static int run_seed(bench_ctx *c, size_t r)
{
    const uint64_t seed = c->seeds[r];
    size_t n = heft_dataset_rows(c->train);
    uint8_t *flip = malloc(n ? n : 1);
    heft_dataset *noisy = NULL;
    heft_scores *s = NULL;
    heft_error err;
    int rc = flip ? draw_flips(n, c->k, seed, flip) : cli_failf("out of memory");
    if (rc == CLI_OK)
        rc = flipped_copy(c->train, flip, &noisy);
    const char *dir = cli_str(c->a, "dump-dir");
    if (rc == CLI_OK && dir)
        rc = dump_seed(dir, seed, noisy, flip, c->valid, c->test);
    if (rc == CLI_OK) {
        c->so.seed = seed;
        c->so.train.seed = seed;
        if (heft_score(noisy, c->valid, NULL, &c->so, &s, &err) != HEFT_OK)
            rc = cli_fail(&err);
        cli_progress_done();
    }
    if (rc == CLI_OK)
        rc = record_scores(c, s, noisy, flip, r, seed);
    if (rc == CLI_OK && c->test)
        rc = test_auc(c, noisy, NULL, 0, seed, &c->acc.auc_noisy[r]);
    if (rc == CLI_OK && c->test)
        rc = test_auc_kept(c, noisy, NULL, flip, seed, &c->acc.auc_clean[r]);
    if (rc == CLI_OK)
        cli_info(c->a, "seed %llu: scored %zu rows, %zu flipped",
                 (unsigned long long)seed, n, c->k);
    heft_scores_free(s);
    heft_dataset_free(noisy);
    free(flip);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Output                                                                  */
/* ---------------------------------------------------------------------- */

static double mean(const double *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    return n ? s / (double)n : NAN;
}

static void json_array(FILE *f, const double *x, size_t n)
{
    fputc('[', f);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(',', f);
        cli_json_num(f, x[i]);
    }
    fputc(']', f);
}

static void print_json(const bench_ctx *c, FILE *f)
{
    const bench_acc *acc = &c->acc;
    size_t R = acc->n_runs;
    fputs("{\"data\":", f);
    cli_json_str(f, c->a->pos[1]);
    fprintf(f, ",\"rows\":%zu,\"valid_rows\":%zu,\"flip\":",
            heft_dataset_rows(c->train),
            c->valid ? heft_dataset_rows(c->valid) : (size_t)0);
    cli_json_num(f, c->flip);
    fprintf(f, ",\"k\":%zu,\"model\":\"%s\",\"seeds\":[", c->k,
            heft_model_kind_name(c->so.train.model));
    for (size_t r = 0; r < R; r++)
        fprintf(f, "%s%llu", r ? "," : "", (unsigned long long)c->seeds[r]);
    fputs("],\"test_auc_noisy\":", f);
    cli_json_num(f, c->test ? mean(acc->auc_noisy, R) : NAN);
    fputs(",\"test_auc_clean\":", f);
    cli_json_num(f, c->test ? mean(acc->auc_clean, R) : NAN);
    fputs(",\"methods\":{", f);
    for (size_t j = 0; j < acc->n_cols; j++) {
        fprintf(f, "%s", j ? "," : "");
        cli_json_str(f, acc->name[j]);
        fputs(":{\"f1_at_k\":", f);
        cli_json_num(f, mean(acc->f1[j], R));
        fputs(",\"auroc\":", f);
        cli_json_num(f, mean(acc->auroc[j], R));
        fputs(",\"seconds\":", f);
        cli_json_num(f, mean(acc->secs[j], R));
        fputs(",\"test_auc\":", f);
        cli_json_num(f, c->test ? mean(acc->test_auc[j], R) : NAN);
        fputs(",\"f1_at_k_per_seed\":", f);
        json_array(f, acc->f1[j], R);
        fputs(",\"auroc_per_seed\":", f);
        json_array(f, acc->auroc[j], R);
        fputc('}', f);
    }
    fputs("}}\n", f);
}

static void print_table(const bench_ctx *c, FILE *f)
{
    const bench_acc *acc = &c->acc;
    size_t R = acc->n_runs;
    fprintf(f, "noise: %s, %zu training rows, %zu flipped (%g), %zu "
               "validation rows, %s, %zu seed%s\n",
            c->a->pos[1], heft_dataset_rows(c->train), c->k, c->flip,
            c->valid ? heft_dataset_rows(c->valid) : (size_t)0,
            heft_model_kind_name(c->so.train.model), R, R == 1 ? "" : "s");
    fprintf(f, "%-20s %8s %8s %10s", "method", "F1@k", "AUROC", "seconds");
    if (c->test)
        fprintf(f, " %9s", "test AUC");
    fputc('\n', f);
    for (size_t j = 0; j < acc->n_cols; j++) {
        fprintf(f, "%-20s %8.4f %8.4f %10.3f", acc->name[j],
                mean(acc->f1[j], R), mean(acc->auroc[j], R),
                mean(acc->secs[j], R));
        if (c->test)
            fprintf(f, " %9.4f", mean(acc->test_auc[j], R));
        fputc('\n', f);
    }
    if (c->test)
        fprintf(f, "test AUC: trained on the noisy rows %.4f, on the clean "
                   "rows %.4f; per method: after dropping its %zu lowest\n",
                mean(acc->auc_noisy, R), mean(acc->auc_clean, R), c->k);
}

/* ---------------------------------------------------------------------- */
/* The command                                                            */
/* ---------------------------------------------------------------------- */

/* Parses --seeds "0,1,2" into c->seeds. */
static int parse_seeds(const cli_args *a, bench_ctx *c)
{
    const char *s = cli_str(a, "seeds") ? cli_str(a, "seeds") : "0,1,2";
    const char *p = s;
    c->n_seeds = 0;
    while (*p) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p || errno || *p == '-' || (*end && *end != ',') ||
            c->n_seeds == MAX_SEEDS || (*end == ',' && !end[1]))
            return cli_usage_error(a->cmd,
                                   "--seeds: '%s' is not 1 to %d "
                                   "comma-separated integers",
                                   s, MAX_SEEDS);
        c->seeds[c->n_seeds++] = v;
        p = *end ? end + 1 : end;
    }
    if (!c->n_seeds)
        return cli_usage_error(a->cmd, "--seeds: empty list");
    return CLI_OK;
}

static int check_usage(const cli_args *a, bench_ctx *c)
{
    if (strcmp(a->pos[0], "noise") != 0)
        return cli_usage_error(a->cmd, "unknown benchmark '%s' (known: noise)",
                               a->pos[0]);
    if (cli_given(a, "valid") && cli_given(a, "valid-frac"))
        return cli_usage_error(a->cmd, "give --valid or --valid-frac, not "
                                       "both");
    int rc = parse_seeds(a, c);
    if (rc == CLI_OK)
        rc = cli_check_methods(a, cli_str(a, "methods"));
    heft_model_kind k = HEFT_MODEL_LR;
    heft_model_kind_parse(cli_str(a, "model") ? cli_str(a, "model") : "lr",
                          &k);
    if (rc == CLI_OK)
        rc = cli_score_opts(a, k, cli_str(a, "methods"), &c->so);
    c->so.log = NULL; /* one line per seed instead */
    c->so.train.log = NULL;
    c->flip = cli_num(a, "flip", 0.1);
    return rc;
}

/* Reads DATA, --valid, --test; splits off validation rows if asked. */
static int read_data(bench_ctx *c)
{
    const cli_args *a = c->a;
    heft_read_opts ro, vo;
    int rc = cli_read_opts(a, &ro);
    if (rc == CLI_OK)
        rc = cli_read(a, a->pos[1], &ro, &c->data);
    if (rc != CLI_OK)
        return rc;
    heft_dataset_info info;
    heft_dataset_get_info(c->data, &info);
    if (info.graded)
        return cli_failf("%s: bench noise needs binary labels (0/1); this "
                         "data has graded labels", a->pos[1]);
    heft_dataset_read_opts(c->data, &vo);
    cli_read_opts_runtime(a, &vo);
    if (cli_given(a, "test"))
        rc = cli_read(a, cli_str(a, "test"), &vo, &c->test);
    if (rc == CLI_OK && cli_given(a, "valid"))
        rc = cli_read(a, cli_str(a, "valid"), &vo, &c->valid);
    double frac = cli_num(a, "valid-frac", 0.1);
    if (rc != CLI_OK || c->valid || frac <= 0) {
        c->train = c->data;
        c->data = NULL;
        return rc;
    }
    size_t n = heft_dataset_rows(c->data);
    uint8_t *part = malloc(n ? n : 1);
    heft_split_opts sp = heft_split_opts_default();
    sp.test = frac;
    sp.seed = 1;
    heft_error err;
    if (!part)
        return cli_failf("out of memory");
    if (heft_split_assign(c->data, &sp, part, &err) != HEFT_OK)
        rc = cli_fail(&err);
    if (rc == CLI_OK)
        rc = part_of(c->data, part, 0, &c->train);
    if (rc == CLI_OK)
        rc = part_of(c->data, part, 2, &c->valid);
    free(part);
    return rc;
}

static int run_bench(const cli_args *a)
{
    bench_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return cli_failf("out of memory");
    c->a = a;
    int rc = check_usage(a, c);
    if (rc == CLI_OK)
        rc = read_data(c);
    if (rc == CLI_OK) {
        size_t n = heft_dataset_rows(c->train);
        c->k = (size_t)llround(c->flip * (double)n);
        if (c->k == 0 || c->k >= n)
            rc = cli_failf("%s: flipping %g of %zu rows flips %zu; need at "
                           "least one flipped and one clean row",
                           a->pos[1], c->flip, n, c->k);
    }
    char *methods = NULL;
    if (rc == CLI_OK &&
        !(methods = cli_expand_methods(a, cli_str(a, "methods"), c->train)))
        rc = cli_failf("out of memory");
    c->so.methods = methods;
    for (size_t r = 0; rc == CLI_OK && r < c->n_seeds; r++) {
        rc = run_seed(c, r);
        c->acc.n_runs += rc == CLI_OK;
    }
    if (rc == CLI_OK && cli_flag(a, "json"))
        print_json(c, stdout);
    else if (rc == CLI_OK)
        print_table(c, stdout);
    for (size_t j = 0; j < c->acc.n_cols; j++)
        free(c->acc.name[j]);
    free(methods);
    heft_dataset_free(c->data);
    heft_dataset_free(c->train);
    heft_dataset_free(c->valid);
    heft_dataset_free(c->test);
    free(c);
    return rc;
}

const cli_command cli_cmd_bench = {
    .name = "bench",
    .synopsis = "noise DATA --methods LIST [--flip R] [--seeds S,S] "
                "[--valid V | --valid-frac F] [--test T] [--json] [OPTIONS]",
    .summary = "Measure how well the methods find deliberately flipped "
               "labels",
    .details =
        "For each seed: flip the labels of k = round(R x N) training rows "
        "drawn uniformly\nwithout replacement, score the noisy rows with "
        "every method, and measure per\nmethod column: F1@k of the k "
        "lowest-valued rows against the flipped set (k is\nthe number "
        "flipped, so F1@k = precision@k = recall@k; ties at the cut count\n"
        "at their expected share), AUROC of the negated value as a detector "
        "of flipped\nrows (ties half), and the method's seconds. Prints the "
        "means over the seeds.\nEvery column is read in its documented "
        "direction: low = suspicious.\n\n"
        "Validation rows come from --valid, or else from a stratified split "
        "of DATA\n(--valid-frac, split seed 1, the same for every seed); "
        "they are never flipped.\nWith --json, stdout holds one JSON object: "
        "data, rows, valid_rows, flip, k,\nmodel, seeds, test_auc_noisy, "
        "test_auc_clean, and methods: {COLUMN: {f1_at_k,\nauroc, seconds, "
        "test_auc, f1_at_k_per_seed, auroc_per_seed}} (null where\n"
        "undefined).",
    .min_pos = 2,
    .max_pos = 2,
    .groups = CLI_READS_DATA | CLI_TRAINS | CLI_SCORES,
    .opts = bench_opts,
    .run = run_bench,
    .dyn_default = cli_score_dyn_default,
};
