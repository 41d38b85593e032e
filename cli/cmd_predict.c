/*
 * cmd_predict.c: `heft predict MODEL DATA -o PRED`. Reads DATA with the
 * schema recorded in the model, and writes one probability per line
 * (%.6g) to PRED through a temporary file, so PRED is either complete or
 * untouched.
 */
#include "common.h"

#include <stdlib.h>

static const cli_option predict_opts[] = {
    {"output", 'o', CLI_STR, "PRED", 0, 0, CLI_REQUIRED,
     "where to write the predictions, one probability per line"},
    CLI_END,
};

/* Loads a model file; prints the error on failure. */
static int load_model(const char *path, heft_model **m)
{
    heft_error err;
    if (heft_model_load(path, m, &err) != HEFT_OK)
        return cli_fail(&err);
    return CLI_OK;
}

/* Loads the model at a->pos[0], reads a->pos[1] with its schema (plus the
 * flags that do not change features) and predicts every row. On success
 * the caller owns *ds and *pred (malloc'ed, heft_dataset_rows(*ds)). The
 * eval command shares it. */
int cli_model_predict(const cli_args *a, const char *model_path,
                      const char *data_path, heft_dataset **ds, float **pred)
{
    heft_model *m = NULL;
    heft_read_opts ro;
    heft_error err;
    *ds = NULL;
    *pred = NULL;
    int rc = load_model(model_path, &m);
    if (rc != CLI_OK)
        return rc;
    heft_model_read_opts(m, &ro);
    rc = cli_read_opts_overlay(a, &ro, "the model");
    if (rc == CLI_OK)
        rc = cli_read(a, data_path, &ro, ds);
    if (rc == CLI_OK) {
        size_t n = heft_dataset_rows(*ds);
        *pred = malloc((n ? n : 1) * sizeof **pred);
        if (!*pred)
            rc = cli_failf("out of memory");
        else if (heft_predict(m, *ds, *pred, cli_threads(a, 1),
                              &err) != HEFT_OK) {
            /* The library does not know the path; name the data file. */
            if (!err.file[0])
                snprintf(err.file, sizeof err.file, "%s", data_path);
            rc = cli_fail(&err);
        }
    }
    heft_model_free(m);
    if (rc != CLI_OK) {
        free(*pred);
        heft_dataset_free(*ds);
        *pred = NULL;
        *ds = NULL;
    }
    return rc;
}

static int write_predictions(const char *path, const float *p, size_t n)
{
    cli_out out;
    int rc = cli_out_open(&out, path);
    if (rc != CLI_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        fprintf(out.f, "%.6g\n", (double)p[i]);
    return cli_out_commit(&out);
}

static int run_predict(const cli_args *a)
{
    heft_dataset *ds = NULL;
    float *p = NULL;
    double t0 = cli_now();
    int rc = cli_model_predict(a, a->pos[0], a->pos[1], &ds, &p);
    if (rc == CLI_OK)
        rc = write_predictions(cli_str(a, "output"), p,
                               heft_dataset_rows(ds));
    if (rc == CLI_OK)
        cli_info(a, "predicted %zu rows in %.2f s; wrote %s",
                 heft_dataset_rows(ds), cli_now() - t0,
                 cli_str(a, "output"));
    free(p);
    heft_dataset_free(ds);
    return rc;
}

const cli_command cli_cmd_predict = {
    .name = "predict",
    .synopsis = "MODEL DATA -o PRED [OPTIONS]",
    .summary = "Write the model's click probability for every row of DATA",
    .details = "DATA is read with the schema recorded in the model. Of the "
               "data-reading\noptions only --format, --weight, --group, "
               "--time, --position,\n--max-bad-rows and --threads apply; "
               "the others would change the features\nand are refused.",
    .min_pos = 2,
    .max_pos = 2,
    .groups = CLI_READS_DATA,
    .opts = predict_opts,
    .run = run_predict,
};
