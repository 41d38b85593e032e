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
    {"seed", 0, CLI_U64, "S", 0, 0, NULL, "random seed (init, shuffling)"},
    {"checkpoints", 0, CLI_STR, "DIR", 0, 0, NULL,
     "save the model after every epoch into DIR"},
    {"neg-rate", 0, CLI_NUM, "W", 0, 1, "1",
     "TRAIN keeps every positive but only a share W of the negatives (heft "
     "select --negatives W prints it): the model stores W and predicts "
     "calibrated q = p / (p + (1 - p) / W)"},
    CLI_END,
};

static int train_dyn_default(const char *name, char *buf, size_t cap)
{
    if (strcmp(name, "seed") == 0) {
        snprintf(buf, cap, "%llu",
                 (unsigned long long)heft_train_opts_default(HEFT_MODEL_LR)
                     .seed);
        return 1;
    }
    return cli_train_dyn_default(name, buf, cap);
}

/* Fills o from the flags on top of the model kind's defaults. */
static int train_opts_from_args(const cli_args *a, heft_train_opts *o)
{
    heft_model_kind k = HEFT_MODEL_LR;
    heft_model_kind_parse(cli_str(a, "model") ? cli_str(a, "model") : "lr",
                          &k);
    int rc = cli_train_opts(a, k, o);
    if (rc != CLI_OK)
        return rc;
    o->seed = cli_u64(a, "seed", o->seed);
    o->checkpoint_dir = cli_str(a, "checkpoints");
    o->neg_rate = cli_num(a, "neg-rate", 1.0);
    if (!(o->neg_rate > 0))
        return cli_usage_error(a->cmd, "--neg-rate must be in (0, 1], got "
                                       "%g", o->neg_rate);
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
    if (!a->quiet && to.neg_rate < 1)
        printf("negatives were kept at rate W = %g: predictions are "
               "calibrated, q = p / (p + (1 - p) / W)\n", to.neg_rate);
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
    .groups = CLI_READS_DATA | CLI_TRAINS,
    .opts = train_opts,
    .run = run_train,
    .dyn_default = train_dyn_default,
};
