/*
 * cmd_train.c: `heft train TRAIN [--valid V] --model lr|fm|mlp -o MODEL`.
 * Reads the training data, reads the validation data with the training
 * data's resolved options (so columns map and hash identically), trains,
 * saves the model (atomically, by the library) and prints a summary.
 */
#include "common.h"

#include <stdlib.h>
#include <string.h>

static const cli_option train_opts[] = {
    {"output", 'o', CLI_STR, "MODEL", 0, 0, CLI_REQUIRED,
     "where to write the model file"},
    {"valid", 0, CLI_STR, "FILE", 0, 0, NULL,
     "validation data (read like TRAIN) for early stopping and the summary"},
    {"model", 'm', CLI_CHOICE, "lr|fm|mlp", 0, 0, "lr",
     "model: logistic regression, factorization machine, or MLP"},
    {"epochs", 0, CLI_INT, "N", 1, 100000, NULL, "passes over the data"},
    {"lr", 0, CLI_NUM, "X", 0, 1e6, NULL, "step size (> 0)"},
    {"l1", 0, CLI_NUM, "X", 0, 1e9, NULL, "L1 strength (FTRL only)"},
    {"l2", 0, CLI_NUM, "X", 0, 1e9, NULL, "L2 strength per sample"},
    {"batch", 0, CLI_INT, "N", 1, 1000000, NULL, "minibatch rows (mlp)"},
    {"factors", 0, CLI_INT, "K", 1, 4096, NULL, "FM factors per feature"},
    {"embed-dim", 0, CLI_INT, "D", 1, 4096, NULL,
     "MLP embedding size per field"},
    {"hidden", 0, CLI_STR, "N,N", 0, 0, NULL,
     "MLP hidden layer sizes (at most 4 layers)"},
    {"optim", 0, CLI_CHOICE, "ftrl|adagrad", 0, 0,
     "ftrl for lr, adagrad for fm and mlp", "optimiser"},
    {"patience", 0, CLI_INT, "N", 0, 100000, NULL,
     "stop after N epochs without improvement on --valid; 0 = never"},
    {"seed", 0, CLI_U64, "S", 0, 0, NULL, "random seed (init, shuffling)"},
    {"checkpoints", 0, CLI_STR, "DIR", 0, 0, NULL,
     "save the model after every epoch into DIR"},
    {"no-shuffle", 0, CLI_FLAG, NULL, 0, 0, "off",
     "keep the input order in every epoch"},
    CLI_END,
};

/* One numeric training default of kind k, by option name. */
static double train_default(const char *name, heft_model_kind k, int *ok)
{
    const heft_train_opts o = heft_train_opts_default(k);
    *ok = 1;
    if (strcmp(name, "epochs") == 0) return o.epochs;
    if (strcmp(name, "lr") == 0) return o.lr;
    if (strcmp(name, "l1") == 0) return o.l1;
    if (strcmp(name, "l2") == 0) return o.l2;
    if (strcmp(name, "batch") == 0) return o.batch;
    if (strcmp(name, "factors") == 0) return o.factors;
    if (strcmp(name, "embed-dim") == 0) return o.embed_dim;
    if (strcmp(name, "patience") == 0) return o.patience;
    if (strcmp(name, "seed") == 0) return (double)o.seed;
    *ok = 0;
    return 0;
}

static void hidden_text(char *buf, size_t cap)
{
    const heft_train_opts o = heft_train_opts_default(HEFT_MODEL_MLP);
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < o.n_hidden && i < HEFT_MAX_HIDDEN && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%d", i ? "," : "",
                              o.hidden[i]);
}

/* Help shows the library's own defaults, per model when they differ. */
static int train_dyn_default(const char *name, char *buf, size_t cap)
{
    if (strcmp(name, "hidden") == 0) {
        hidden_text(buf, cap);
        return 1;
    }
    int ok;
    double v[HEFT_MODEL__COUNT];
    for (int k = 0; k < HEFT_MODEL__COUNT; k++) {
        v[k] = train_default(name, (heft_model_kind)k, &ok);
        if (!ok)
            return 0;
    }
    if (v[0] == v[1] && v[1] == v[2]) {
        snprintf(buf, cap, "%g", v[0]);
        return 1;
    }
    /* A step size of 0 means "chosen on held-out rows" (lr's FTRL). */
    char t[HEFT_MODEL__COUNT][32];
    for (int k = 0; k < HEFT_MODEL__COUNT; k++) {
        if (strcmp(name, "lr") == 0 && v[k] == 0)
            snprintf(t[k], sizeof t[k], "auto");
        else
            snprintf(t[k], sizeof t[k], "%g", v[k]);
    }
    snprintf(buf, cap, "lr %s, fm %s, mlp %s", t[0], t[1], t[2]);
    return 1;
}

/* Parses "64,32" into o->hidden; returns CLI_OK or a usage error. */
static int parse_hidden(const cli_args *a, const char *s, heft_train_opts *o)
{
    int n = 0;
    const char *p = s;
    while (*p) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || v > 65536 || (*end && *end != ',') ||
            n == HEFT_MAX_HIDDEN)
            return cli_usage_error(a->cmd,
                                   "--hidden: '%s' is not 1 to %d "
                                   "comma-separated sizes in 1..65536",
                                   s, HEFT_MAX_HIDDEN);
        o->hidden[n++] = (int)v;
        p = *end ? end + 1 : end;
    }
    o->n_hidden = n;
    return CLI_OK;
}

/* Fills o from the flags on top of the model kind's defaults. */
static int train_opts_from_args(const cli_args *a, heft_train_opts *o)
{
    heft_model_kind k = HEFT_MODEL_LR;
    heft_model_kind_parse(cli_str(a, "model") ? cli_str(a, "model") : "lr",
                          &k);
    *o = heft_train_opts_default(k);
    o->model = k;
    o->epochs = cli_int(a, "epochs", o->epochs);
    if (cli_given(a, "lr") && cli_num(a, "lr", 0) <= 0)
        return cli_usage_error(a->cmd, "--lr must be > 0");
    o->lr = cli_num(a, "lr", o->lr);
    o->l1 = cli_num(a, "l1", o->l1);
    o->l2 = cli_num(a, "l2", o->l2);
    o->batch = cli_int(a, "batch", o->batch);
    o->factors = cli_int(a, "factors", o->factors);
    o->embed_dim = cli_int(a, "embed-dim", o->embed_dim);
    if (cli_given(a, "hidden") &&
        parse_hidden(a, cli_str(a, "hidden"), o) != CLI_OK)
        return CLI_USAGE;
    const char *opt = cli_str(a, "optim");
    if (opt)
        o->optim = strcmp(opt, "ftrl") == 0 ? HEFT_OPTIM_FTRL
                                            : HEFT_OPTIM_ADAGRAD;
    o->patience = cli_int(a, "patience", o->patience);
    o->seed = cli_u64(a, "seed", o->seed);
    o->threads = cli_threads(a, o->threads);
    o->checkpoint_dir = cli_str(a, "checkpoints");
    if (cli_flag(a, "no-shuffle"))
        o->shuffle = 0;
    o->log = cli_log;
    o->log_ud = (void *)a;
    o->progress = cli_progress;
    o->progress_ud = (void *)a;
    heft_error err;
    if (heft_train_opts_check(o, &err) != HEFT_OK)
        return cli_usage_error(a->cmd, "%s", err.msg);
    return CLI_OK;
}

/* Prints AUC and logloss of m on valid (part of the summary). */
static int summarize_valid(const cli_args *a, const heft_model *m,
                           const heft_dataset *valid)
{
    size_t n = heft_dataset_rows(valid);
    float *p = malloc((n ? n : 1) * sizeof *p);
    if (!p)
        return cli_failf("out of memory");
    heft_error err;
    heft_metrics mt;
    heft_eval_opts eo = heft_eval_opts_default();
    int rc = CLI_OK;
    if (heft_predict(m, valid, p, cli_threads(a, 1), &err) != HEFT_OK ||
        heft_evaluate(heft_dataset_labels(valid), p,
                      heft_dataset_weights(valid), heft_dataset_groups(valid),
                      n, &eo, &mt, &err) != HEFT_OK)
        rc = cli_fail(&err);
    else if (!a->quiet)
        printf("valid: %zu rows, AUC %.4f, logloss %.4f, NE %.4f\n", n,
               mt.auc.value, mt.logloss.value, mt.ne.value);
    free(p);
    return rc;
}

static int run_train(const cli_args *a)
{
    heft_train_opts to;
    heft_read_opts ro;
    int rc = train_opts_from_args(a, &to);
    if (rc == CLI_OK)
        rc = cli_read_opts(a, &ro);
    if (rc != CLI_OK)
        return rc;
    heft_dataset *train = NULL, *valid = NULL;
    heft_model *m = NULL;
    heft_error err;
    const char *out = cli_str(a, "output");
    rc = cli_read(a, a->pos[0], &ro, &train);
    if (rc == CLI_OK && cli_given(a, "valid")) {
        heft_read_opts vo;
        heft_dataset_read_opts(train, &vo);
        cli_read_opts_runtime(a, &vo);
        rc = cli_read(a, cli_str(a, "valid"), &vo, &valid);
    }
    if (rc != CLI_OK)
        goto cleanup;
    double t0 = cli_now();
    heft_status s = heft_train(train, valid, &to, &m, &err);
    double secs = cli_now() - t0;
    cli_progress_done();
    if (s == HEFT_OK) {
        char *tmp = cli_track_lib_tmp(out);
        s = heft_model_save(m, out, &err);
        cli_forget_lib_tmp(tmp);
    }
    if (s != HEFT_OK) {
        rc = cli_fail(&err);
        goto cleanup;
    }
    if (!a->quiet)
        printf("trained %s: %zu rows, %d epoch%s, %zu parameters, %.2f s; "
               "wrote %s\n",
               heft_model_kind_name(to.model), heft_dataset_rows(train),
               heft_model_epochs(m), heft_model_epochs(m) == 1 ? "" : "s",
               heft_model_num_params(m), secs, out);
    if (valid)
        rc = summarize_valid(a, m, valid);
cleanup:
    heft_model_free(m);
    heft_dataset_free(valid);
    heft_dataset_free(train);
    return rc;
}

const cli_command cli_cmd_train = {
    .name = "train",
    .synopsis = "TRAIN [--valid V] [--model lr|fm|mlp] -o MODEL [OPTIONS]",
    .summary = "Train a click model on a data file and save it",
    .details = "The validation data is read with the training data's resolved "
               "options, so its\ncolumns map and hash identically. Per-epoch "
               "lines go to stderr, the summary\nto stdout (--quiet: "
               "neither).",
    .min_pos = 1,
    .max_pos = 1,
    .groups = CLI_READS_DATA,
    .opts = train_opts,
    .run = run_train,
    .dyn_default = train_dyn_default,
};
