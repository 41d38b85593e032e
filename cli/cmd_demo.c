/*
 * cmd_demo.c: `heft demo`. Runs the whole path on a generated log in a few
 * seconds: generate a log with planted defects (and its truth file), read
 * it, split it 80/20, train LR and FM on the train part, predict the test
 * part, evaluate with groups, and print one aligned table.
 *
 * Each step is one function over a demo_ctx, so later steps (scoring,
 * selection) slot in between without touching the others.
 */
#include "common.h"

#include <errno.h>
#include <limits.h>
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

enum { DEMO_MAX_MODELS = 4 };

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
 * c->test. */
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
        else
            te[ns++] = i;
    }
    if (heft_dataset_subset(c->all, tr, nt, &c->train, &err) != HEFT_OK ||
        heft_dataset_subset(c->all, va, nv, &c->valid, &err) != HEFT_OK ||
        heft_dataset_subset(c->all, te, ns, &c->test, &err) != HEFT_OK)
        rc = cli_fail(&err);
cleanup:
    free(part);
    free(tr);
    free(te);
    free(va);
    return rc;
}

/* Trains kind with default settings on the train part (early stopping on
 * the valid part), predicts the test part and evaluates it with groups into
 * the next result slot. */
static int demo_train_eval(demo_ctx *c, heft_model_kind kind)
{
    if (c->n_res == DEMO_MAX_MODELS)
        return cli_failf("demo: too many models");
    demo_result *r = &c->res[c->n_res];
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
    heft_status s = heft_train(c->train, c->valid, &to, &m, &err);
    r->train_s = cli_now() - t0;
    cli_progress_done();
    if (s == HEFT_OK)
        s = heft_predict(m, c->test, p, 1, &err);
    heft_eval_opts eo = heft_eval_opts_default();
    if (s == HEFT_OK)
        s = heft_evaluate(heft_dataset_labels(c->test), p,
                          heft_dataset_weights(c->test),
                          heft_dataset_groups(c->test), n, &eo, &r->test,
                          &err);
    if (s == HEFT_OK) {
        r->kind = kind;
        r->params = heft_model_num_params(m);
        c->n_res++;
    }
    heft_model_free(m);
    free(p);
    return s == HEFT_OK ? CLI_OK : cli_fail(&err);
}

static void demo_print(const demo_ctx *c)
{
    heft_dataset_info info;
    heft_dataset_get_info(c->all, &info);
    printf("heft demo: %llu generated rows (5%% flipped labels, 1%% bot "
           "users, 2%% duplicates)\n",
           (unsigned long long)info.rows);
    printf("generated in %.2f s, read in %.2f s; train %zu rows, valid %zu "
           "rows (early stopping), test %zu rows, click rate %.4f\n\n",
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
    if (!c->made_dir || cli_flag(c->a, "keep"))
        printf("\nfiles kept in %s\n", c->dir);
}

static void demo_free(demo_ctx *c)
{
    heft_dataset_free(c->train);
    heft_dataset_free(c->valid);
    heft_dataset_free(c->test);
    heft_dataset_free(c->all);
    if (c->made_dir && !cli_flag(c->a, "keep")) {
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
        rc = demo_split(&c);
    if (rc == CLI_OK)
        rc = demo_train_eval(&c, HEFT_MODEL_LR);
    if (rc == CLI_OK)
        rc = demo_train_eval(&c, HEFT_MODEL_FM);
    if (rc == CLI_OK)
        demo_print(&c);
    demo_free(&c);
    return rc;
}

const cli_command cli_cmd_demo = {
    .name = "demo",
    .synopsis = "[--rows N] [--seed S] [--dir DIR] [--keep]",
    .summary = "Generate a log, train LR and FM, compare them on a test "
               "part",
    .details = "The log has planted defects (5% flipped labels, 1% bot "
               "users, 2% duplicates)\nand a truth file; it is read as TSV "
               "with label `click` and group `query_id`,\nsplit 80/20 at "
               "random (seed 1), and both models train with default "
               "settings.",
    .min_pos = 0,
    .max_pos = 0,
    .opts = demo_opts,
    .run = run_demo,
};
