/*
 * cmd_bench.c: `heft bench TASK DATA --methods LIST`: what the importance
 * estimators' values are worth when acted on (docs/bench-tasks.md).
 *
 * Tasks (one file each):
 *   noise      bench_noise.c   plant flipped labels (and bots and
 *                              duplicates): how well each method finds
 *                              them, and the test AUC after dropping them
 *   removal    bench_curve.c   remove the highest / lowest valued rows in
 *                              steps, retrain: test AUC and logloss
 *   prune      bench_curve.c   keep 10%..90% by each method (its highest,
 *                              its lowest, every positive and its highest
 *                              negatives), by random selection and by
 *                              negative downsampling: test AUC, NE and the
 *                              smallest fraction within 0.1% relative AUC
 *                              of the full data
 *   addition   bench_curve.c   add rows highest value first to a random
 *                              seed set, retrain
 *   agreement  bench_agree.c   linear datamodeling score over random
 *                              half subsets
 *
 * This file holds what they share: the options, reading DATA / --valid /
 * --test, scoring, ordering, retraining (heft_bench_retrain), the
 * bootstrap of test metrics (heft_bench_resample) and the output: a table,
 * or with --json the document of docs/run-dir.md on stdout, and with
 * --report FILE the same document written into FILE's folder and the HTML
 * report of that folder (heft_report_write) written to FILE.
 */
#include "bench_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const cli_option bench_opts[] = {
    {"methods", 0, CLI_STR, "LIST", 0, 0, CLI_REQUIRED,
     "comma-separated methods (see `heft help score`), or all"},
    {"seeds", 0, CLI_STR, "S,S", 0, 0, "0,1,2",
     "one run per seed: the planted noise, subsets and random orders, and "
     "the seeds of the methods and of every retrained model"},
    {"valid", 0, CLI_STR, "FILE", 0, 0, NULL,
     "validation data (read like DATA), for the methods that use one and "
     "for agreement's validation loss; never altered"},
    {"valid-frac", 0, CLI_NUM, "F", 0, 0.9, "0.1",
     "without --valid: share of DATA split off (stratified, split seed 1) "
     "as validation rows; 0 = none"},
    {"test", 0, CLI_STR, "FILE", 0, 0, NULL,
     "test data (read like DATA) on which retrained models are measured; "
     "required by removal, prune and addition"},
    {"model", 'm', CLI_CHOICE, "lr|fm|mlp", 0, 0, "lr",
     "the model the methods train and score with, and every retrained "
     "model"},
    {"json", 0, CLI_FLAG, NULL, 0, 0, "off",
     "print the JSON document of docs/run-dir.md instead of a table"},
    {"report", 0, CLI_STR, "FILE", 0, 0, NULL,
     "also write the JSON document as bench-TASK.json into FILE's folder "
     "and build the HTML report FILE from that folder (heft report)"},
    {"resamples", 0, CLI_INT, "B", 1, 100000, "200",
     "bootstrap resamples of the test rows for intervals and paired tests"},
    {"flip", 0, CLI_NUM, "R", 0, 0.5, "0.1",
     "noise: share of training labels flipped in each run"},
    {"defects", 0, CLI_FLAG, NULL, 0, 0, "off",
     "noise: also plant bots and duplicates (--bots, --dups)"},
    {"bots", 0, CLI_NUM, "R", 0, 0.5, "0.05",
     "noise with --defects: share of groups (of rows without a group "
     "column) whose labels become fair coin flips"},
    {"dups", 0, CLI_NUM, "R", 0, 0.5, "0.05",
     "noise with --defects: exact copies of random rows appended, as a "
     "share of the rows"},
    {"drop", 0, CLI_NUM, "X", 0, 10, "1",
     "noise with --test: each method's retraining drops its X k lowest "
     "rows (k = the number planted); flag columns (NAME_ok) drop what "
     "they flag"},
    {"decompose", 0, CLI_FLAG, NULL, 0, 0, "off",
     "noise with --test: also retrain, per method, after dropping only "
     "its flags that are planted (true flags) and only those that are "
     "clean rows (false flags)"},
    {"dump-dir", 0, CLI_STR, "DIR", 0, 0, NULL,
     "noise: write DIR/seed-S/{train.svm,valid.svm,test.svm,flipped.txt} "
     "per seed: the noisy training rows, the other parts, and the planted "
     "rows (0-based)"},
    {"step", 0, CLI_NUM, "F", 0.01, 0.5, "0.05",
     "removal, addition: share of the training rows removed or added per "
     "step"},
    {"max-remove", 0, CLI_NUM, "F", 0.01, 0.95, "0.5",
     "removal: largest share removed"},
    {"stratify", 0, CLI_FLAG, NULL, 0, 0, "off",
     "removal, prune: remove or keep the same share of each label (each "
     "method's order, or random, within each label)"},
    {"tol", 0, CLI_NUM, "X", 0, 0.5, "0.001",
     "prune: relative AUC loss that still counts as the full data's AUC"},
    {"seed-frac", 0, CLI_NUM, "F", 0.01, 0.9, "0.1",
     "addition: share of the training rows in the random seed set"},
    {"subsets", 0, CLI_INT, "M", 3, 100000, "32",
     "agreement: random subsets, one retraining each, per seed"},
    {"subset-frac", 0, CLI_NUM, "F", 0.05, 0.95, "0.5",
     "agreement: share of the training rows in each subset"},
    CLI_END,
};

static const struct {
    const char *name;
    int (*run)(bench_run *r);
    int needs_test;
} bench_tasks[] = {
    {"noise", bench_noise, 0},       {"removal", bench_removal, 1},
    {"prune", bench_prune, 1},       {"addition", bench_addition, 1},
    {"agreement", bench_agreement, 0},
};
enum { N_TASKS = sizeof bench_tasks / sizeof bench_tasks[0] };

/* ---------------------------------------------------------------------- */
/* Shared helpers (bench_int.h)                                            */
/* ---------------------------------------------------------------------- */

int bench_oom(void) { return cli_failf("out of memory"); }

double bench_mean(const double *x, size_t n)
{
    double s = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i])) {
            s += x[i];
            m++;
        }
    return m ? s / (double)m : NAN;
}

void bench_json_array(FILE *f, const double *x, size_t n)
{
    fputc('[', f);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(',', f);
        cli_json_num(f, x[i]);
    }
    fputc(']', f);
}

void bench_json_ci(FILE *f, double lo, double hi)
{
    const double ci[2] = {lo, hi};
    bench_json_array(f, ci, 2);
}

void bench_json_key(FILE *f, const char *key)
{
    fputc(',', f);
    cli_json_str(f, key);
    fputc(':', f);
}

int bench_score(bench_run *r, const heft_dataset *ds,
                const heft_dataset *valid, uint64_t seed, heft_scores **out)
{
    heft_error err;
    r->so.seed = seed;
    r->so.train.seed = seed;
    r->so.methods = r->methods;
    const heft_status st = heft_score(ds, valid, NULL, &r->so, out, &err);
    cli_progress_done();
    return st == HEFT_OK ? CLI_OK : cli_fail(&err);
}

typedef struct order_key {
    double v;
    uint64_t tie;
    uint32_t i;
} order_key;

static int cmp_order(const void *pa, const void *pb)
{
    const order_key *a = pa, *b = pb;
    if (a->v != b->v)
        return a->v < b->v ? -1 : 1;
    if (a->tie != b->tie)
        return a->tie < b->tie ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

/* splitmix64 finaliser: the tie-break and permutation keys. */
static uint64_t bench_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

int bench_order(const float *v, size_t n, uint64_t seed, uint32_t *order)
{
    order_key *k = malloc((n ? n : 1) * sizeof *k);
    if (!k)
        return bench_oom();
    const uint64_t s = bench_mix(seed ^ 0x6f72646572ULL); /* "order" */
    for (size_t i = 0; i < n; i++) {
        k[i].v = isnan(v[i]) ? INFINITY : (double)v[i];
        k[i].tie = bench_mix(s ^ (uint64_t)i);
        k[i].i = (uint32_t)i;
    }
    qsort(k, n, sizeof *k, cmp_order);
    for (size_t i = 0; i < n; i++)
        order[i] = k[i].i;
    free(k);
    return CLI_OK;
}

int bench_perm(size_t n, uint64_t seed, uint32_t *perm)
{
    float *zero = calloc(n ? n : 1, sizeof *zero);
    if (!zero)
        return bench_oom();
    /* All values tie, so the order is the seeded tie-break alone. */
    const int rc = bench_order(zero, n, bench_mix(seed ^ 0x72616e64ULL), perm);
    free(zero);
    return rc;
}

int bench_retrain(bench_run *r, const heft_dataset *ds,
                  const heft_dataset *eval, heft_bench_job *jobs,
                  size_t n_jobs)
{
    heft_error err;
    const heft_status st = heft_bench_retrain(
        ds ? ds : r->train, eval, &r->so.train, jobs, n_jobs, r->threads,
        cli_progress, (void *)r->a, &err);
    cli_progress_done();
    if (st != HEFT_OK)
        return cli_fail(&err);
    r->retrainings += n_jobs;
    return CLI_OK;
}

int bench_boot(bench_run *r, const heft_dataset *eval,
               const float *const *pred, size_t n_sets,
               heft_bench_metric metric, double *out)
{
    heft_error err;
    if (heft_bench_resample(heft_dataset_labels(eval), pred, n_sets,
                            heft_dataset_rows(eval), metric, &r->bo, out,
                            &err) != HEFT_OK)
        return cli_fail(&err);
    return CLI_OK;
}

/* ---------------------------------------------------------------------- */
/* Options and data                                                        */
/* ---------------------------------------------------------------------- */

/* Parses --seeds "0,1,2" into r->seeds. */
static int parse_seeds(bench_run *r)
{
    const cli_args *a = r->a;
    const char *s = cli_str(a, "seeds") ? cli_str(a, "seeds") : "0,1,2";
    r->n_seeds = 0;
    for (const char *p = s; *p;) {
        char *end;
        errno = 0;
        const unsigned long long v = strtoull(p, &end, 10);
        if (end == p || errno || *p == '-' || (*end && *end != ',') ||
            r->n_seeds == BENCH_MAX_SEEDS || (*end == ',' && !end[1]))
            return cli_usage_error(a->cmd,
                                   "--seeds: '%s' is not 1 to %d "
                                   "comma-separated integers",
                                   s, BENCH_MAX_SEEDS);
        r->seeds[r->n_seeds++] = v;
        p = *end ? end + 1 : end;
    }
    if (!r->n_seeds)
        return cli_usage_error(a->cmd, "--seeds: empty list");
    return CLI_OK;
}

/* Checks the task name and the options' combinations; fills r->so. */
static int check_usage(bench_run *r, int *task)
{
    const cli_args *a = r->a;
    *task = -1;
    for (int t = 0; t < N_TASKS; t++)
        if (strcmp(a->pos[0], bench_tasks[t].name) == 0)
            *task = t;
    if (*task < 0)
        return cli_usage_error(a->cmd,
                               "unknown benchmark '%s' (known: noise, "
                               "removal, prune, addition, agreement)",
                               a->pos[0]);
    r->task = bench_tasks[*task].name;
    if (cli_given(a, "valid") && cli_given(a, "valid-frac"))
        return cli_usage_error(a->cmd, "give --valid or --valid-frac, not "
                                       "both");
    if (bench_tasks[*task].needs_test && !cli_given(a, "test"))
        return cli_usage_error(a->cmd, "bench %s needs --test FILE",
                               r->task);
    if (cli_flag(a, "decompose") &&
        (strcmp(r->task, "noise") != 0 || !cli_given(a, "test")))
        return cli_usage_error(a->cmd, "--decompose is for bench noise with "
                                       "--test FILE: it compares test AUCs "
                                       "of models retrained without each "
                                       "method's true and false flags");
    if (strcmp(r->task, "agreement") == 0 && !cli_given(a, "valid") &&
        !(cli_num(a, "valid-frac", 0.1) > 0))
        return cli_usage_error(a->cmd, "bench agreement needs validation "
                                       "rows (--valid, or --valid-frac > 0)");
    int rc = parse_seeds(r);
    if (rc == CLI_OK)
        rc = cli_check_methods(a, cli_str(a, "methods"));
    heft_model_kind k = HEFT_MODEL_LR;
    heft_model_kind_parse(cli_str(a, "model") ? cli_str(a, "model") : "lr",
                          &k);
    if (rc == CLI_OK)
        rc = cli_score_opts(a, k, cli_str(a, "methods"), &r->so);
    r->so.log = NULL; /* one line per seed instead */
    r->so.train.log = NULL;
    r->threads = cli_threads(a, 0);
    r->bo = heft_bench_boot_opts_default();
    r->bo.resamples = cli_int(a, "resamples", 200);
    r->bo.threads = r->threads;
    return rc;
}

/* The rows of ds whose part[] equals want, as a new dataset. */
static int part_of(const heft_dataset *ds, const uint8_t *part, uint8_t want,
                   heft_dataset **out)
{
    const size_t n = heft_dataset_rows(ds);
    size_t m = 0;
    uint64_t *rows = malloc((n ? n : 1) * sizeof *rows);
    if (!rows)
        return bench_oom();
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

/* Splits validation rows off data (stratified, split seed 1). */
static int split_valid(bench_run *r, heft_dataset *data, double frac)
{
    const size_t n = heft_dataset_rows(data);
    uint8_t *part = malloc(n ? n : 1);
    if (!part)
        return bench_oom();
    heft_split_opts sp = heft_split_opts_default();
    sp.test = frac;
    sp.seed = 1;
    heft_error err;
    int rc = CLI_OK;
    if (heft_split_assign(data, &sp, part, &err) != HEFT_OK)
        rc = cli_fail(&err);
    if (rc == CLI_OK)
        rc = part_of(data, part, 0, &r->train);
    if (rc == CLI_OK)
        rc = part_of(data, part, 2, &r->valid);
    free(part);
    return rc;
}

/* Reads DATA, --valid, --test; splits off validation rows if asked. */
static int read_data(bench_run *r)
{
    const cli_args *a = r->a;
    heft_read_opts ro, vo;
    heft_dataset *data = NULL;
    int rc = cli_read_opts(a, &ro);
    if (rc == CLI_OK)
        rc = cli_read(a, a->pos[1], &ro, &data);
    if (rc != CLI_OK)
        return rc;
    heft_dataset_info info;
    heft_dataset_get_info(data, &info);
    if (info.graded || info.rows < 20) {
        heft_dataset_free(data);
        return cli_failf("%s: bench %s needs binary labels (0/1) and at "
                         "least 20 rows; this data has %s",
                         a->pos[1], r->task,
                         info.graded ? "graded labels" : "fewer rows");
    }
    heft_dataset_read_opts(data, &vo);
    cli_read_opts_runtime(a, &vo);
    if (cli_given(a, "test"))
        rc = cli_read(a, cli_str(a, "test"), &vo, &r->test);
    if (rc == CLI_OK && cli_given(a, "valid"))
        rc = cli_read(a, cli_str(a, "valid"), &vo, &r->valid);
    const double frac = cli_num(a, "valid-frac", 0.1);
    if (rc != CLI_OK || r->valid || frac <= 0) {
        r->train = data;
        return rc;
    }
    rc = split_valid(r, data, frac);
    heft_dataset_free(data);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Output                                                                  */
/* ---------------------------------------------------------------------- */

static void json_setting_str(FILE *f, const char *key, const char *v)
{
    bench_json_key(f, key);
    if (v)
        cli_json_str(f, v);
    else
        fputs("null", f);
}

static void json_setting_num(FILE *f, const cli_args *a, const char *key,
                             const char *opt, double def)
{
    bench_json_key(f, key);
    cli_json_num(f, cli_num(a, opt, def));
}

/* The envelope: heft, command, settings (every option that changes the
 * numbers). Leaves the object open for the task's keys. */
static void json_envelope(const bench_run *r, FILE *f)
{
    const cli_args *a = r->a;
    fputs("{\"heft\":", f);
    cli_json_str(f, heft_version());
    fputs(",\"command\":", f);
    char cmd[32];
    snprintf(cmd, sizeof cmd, "bench %s", r->task);
    cli_json_str(f, cmd);
    fputs(",\"settings\":{\"data\":", f);
    cli_json_str(f, a->pos[1]);
    json_setting_str(f, "test", cli_str(a, "test"));
    json_setting_str(f, "valid", cli_str(a, "valid"));
    json_setting_num(f, a, "valid_frac", "valid-frac",
                     cli_given(a, "valid") ? NAN : 0.1);
    json_setting_str(f, "model", heft_model_kind_name(r->so.train.model));
    json_setting_str(f, "methods", r->methods);
    bench_json_key(f, "seeds");
    fputc('[', f);
    for (size_t s = 0; s < r->n_seeds; s++)
        fprintf(f, "%s%llu", s ? "," : "", (unsigned long long)r->seeds[s]);
    fputc(']', f);
    bench_json_key(f, "resamples");
    fprintf(f, "%d", r->bo.resamples);
    bench_json_key(f, "threads");
    fprintf(f, "%d", r->threads);
    if (strcmp(r->task, "noise") == 0) {
        json_setting_num(f, a, "flip", "flip", 0.1);
        bench_json_key(f, "defects");
        fputs(cli_flag(a, "defects") ? "true" : "false", f);
        bench_json_key(f, "decompose");
        fputs(cli_flag(a, "decompose") ? "true" : "false", f);
        json_setting_num(f, a, "bots", "bots", 0.05);
        json_setting_num(f, a, "dups", "dups", 0.05);
    } else if (strcmp(r->task, "removal") == 0) {
        json_setting_num(f, a, "step", "step", 0.05);
        json_setting_num(f, a, "max_remove", "max-remove", 0.5);
        bench_json_key(f, "stratify");
        fputs(cli_flag(a, "stratify") ? "true" : "false", f);
    } else if (strcmp(r->task, "prune") == 0) {
        json_setting_num(f, a, "tol", "tol", 0.001);
        bench_json_key(f, "stratify");
        fputs(cli_flag(a, "stratify") ? "true" : "false", f);
    } else if (strcmp(r->task, "addition") == 0) {
        json_setting_num(f, a, "step", "step", 0.05);
        json_setting_num(f, a, "seed_frac", "seed-frac", 0.1);
    } else {
        bench_json_key(f, "subsets");
        fprintf(f, "%d", cli_int(a, "subsets", 32));
        json_setting_num(f, a, "subset_frac", "subset-frac", 0.5);
    }
    fputc('}', f);
}

/* Copies the memory stream buf to stdout or to path (atomically). */
static int emit(const char *buf, size_t len, const char *path)
{
    if (!path) {
        fwrite(buf, 1, len, stdout);
        return fflush(stdout) == 0 ? CLI_OK
                                   : cli_failf("cannot write stdout");
    }
    cli_out out;
    int rc = cli_out_open(&out, path);
    if (rc != CLI_OK)
        return rc;
    fwrite(buf, 1, len, out.f);
    return cli_out_commit(&out);
}

/* --report FILE: the JSON as DIR/bench-TASK.json (DIR = FILE's folder),
 * then the report of DIR into FILE (heft_report_write, which reads every
 * run file in DIR). */
static int write_report(const bench_run *r, const char *buf, size_t len)
{
    const char *html = cli_str(r->a, "report");
    const char *slash = strrchr(html, '/');
    const size_t dlen = slash ? (size_t)(slash - html) : 1;
    const size_t cap = dlen + strlen(r->task) + 32;
    char *dir = malloc(cap), *json = malloc(cap);
    int rc = dir && json ? CLI_OK : bench_oom();
    if (rc == CLI_OK) {
        snprintf(dir, cap, "%.*s", (int)dlen, slash ? html : ".");
        if (!dir[0])
            snprintf(dir, cap, "/");
        snprintf(json, cap, "%s/bench-%s.json", dir, r->task);
        rc = emit(buf, len, json);
    }
    heft_error err;
    if (rc == CLI_OK && heft_report_write(dir, html, NULL, &err) != HEFT_OK)
        rc = cli_fail(&err);
    free(dir);
    free(json);
    return rc;
}

static void free_run(bench_run *r)
{
    heft_dataset_free(r->train);
    heft_dataset_free(r->valid);
    heft_dataset_free(r->test);
    free(r->methods);
    free(r);
}

static int run_bench(const cli_args *a)
{
    bench_run *r = calloc(1, sizeof *r);
    if (!r)
        return bench_oom();
    r->a = a;
    int task;
    int rc = check_usage(r, &task);
    if (rc == CLI_OK)
        rc = read_data(r);
    if (rc == CLI_OK &&
        !(r->methods = cli_expand_methods(a, cli_str(a, "methods"),
                                          r->train)))
        rc = bench_oom();
    char *jbuf = NULL, *tbuf = NULL;
    size_t jlen = 0, tlen = 0;
    if (rc == CLI_OK) {
        r->js = open_memstream(&jbuf, &jlen);
        r->txt = open_memstream(&tbuf, &tlen);
        if (!r->js || !r->txt)
            rc = bench_oom();
    }
    if (rc == CLI_OK) {
        json_envelope(r, r->js);
        rc = bench_tasks[task].run(r);
        bench_json_key(r->js, "retrainings");
        fprintf(r->js, "%zu}\n", r->retrainings);
    }
    if (r->js)
        fclose(r->js);
    if (r->txt)
        fclose(r->txt);
    if (rc == CLI_OK && cli_given(a, "report"))
        rc = write_report(r, jbuf, jlen);
    if (rc == CLI_OK)
        rc = cli_flag(a, "json") ? emit(jbuf, jlen, NULL)
                                 : emit(tbuf, tlen, NULL);
    free(jbuf);
    free(tbuf);
    free_run(r);
    return rc;
}

const cli_command cli_cmd_bench = {
    .name = "bench",
    .synopsis = "TASK DATA --methods LIST [--test T] [--seeds S,S] "
                "[--valid V | --valid-frac F] [--json] [--report FILE] "
                "[OPTIONS]",
    .summary = "Measure what the methods' values are worth: noise, "
               "removal, prune, addition, agreement",
    .details =
        "TASK is one of (docs/bench-tasks.md has the protocols):\n"
        "  noise      plant flipped labels (--flip; with --defects also "
        "bots and\n             duplicates); per method: F1@k, precision "
        "and recall of the\n             flagged set, AUROC, PR-AUC, "
        "seconds, and with --test the test\n             AUC after dropping "
        "what it flags\n"
        "  removal    remove the highest- and the lowest-valued rows in "
        "--step\n             steps up to --max-remove; test AUC and "
        "logloss per step\n"
        "  prune      keep 10%..90%: each method's highest (M) and lowest "
        "(M:low)\n             valued rows, every positive and its "
        "highest-valued negatives\n             (M:neg, recalibrated), at "
        "random, and by negative downsampling\n             (recalibrated); "
        "test AUC and NE, and the smallest fraction\n             within "
        "--tol relative AUC of the full data\n"
        "  addition   add rows highest value first to a random seed set "
        "(--seed-frac)\n             in --step steps; test AUC and "
        "logloss\n"
        "  agreement  retrain on --subsets random subsets; Spearman of "
        "predicted and\n             actual change of validation loss "
        "(LDS, Park et al. 2023)\n\n"
        "Every model is retrained with the same settings (--model and the "
        "training\nflags), one per seed. Test metrics come with 95% "
        "bootstrap intervals over the\ntest rows and the seeds "
        "(--resamples) and a paired bootstrap test against\nrandom "
        "selection (p_vs_random). Values are read in their documented "
        "direction:\nhigher = more valuable. Validation rows come from "
        "--valid, or else from a\nstratified split of DATA (--valid-frac, "
        "split seed 1); they are never altered.\n--json prints the JSON "
        "document of docs/run-dir.md on stdout instead of the\ntable.",
    .min_pos = 2,
    .max_pos = 2,
    .groups = CLI_READS_DATA | CLI_TRAINS | CLI_SCORES,
    .opts = bench_opts,
    .run = run_bench,
    .dyn_default = cli_score_dyn_default,
};
