/*
 * bench_int.h: what the files of `heft bench` share (cmd_bench.c: options,
 * data, scoring, retraining and JSON helpers; bench_noise.c,
 * bench_curve.c, bench_agree.c: one task each). Private to those files.
 *
 * A task reads its settings from the bench_run, calls bench_score() for
 * the values of the training rows, heft_bench_retrain() through
 * bench_retrain() for the models on the rows it keeps, and
 * heft_bench_resample() through bench_boot() for every test metric with
 * its bootstrap interval. It writes its JSON document into r->js (the
 * envelope is already open: the task writes its own keys, each preceded
 * by a comma) and its table into r->txt.
 */
#ifndef HEFT_CLI_BENCH_INT_H
#define HEFT_CLI_BENCH_INT_H

#include "common.h"

enum { BENCH_MAX_SEEDS = 64, BENCH_MAX_COLS = 64 };

typedef struct bench_run {
    const cli_args *a;
    const char *task;              /* "noise", "removal", ...          */
    heft_score_opts so;            /* scoring and retraining settings   */
    char *methods;                 /* the expanded --methods            */
    heft_dataset *train, *valid, *test;
    uint64_t seeds[BENCH_MAX_SEEDS];
    size_t n_seeds;
    heft_bench_boot_opts bo;       /* test-metric bootstrap             */
    int threads;
    size_t retrainings;            /* models trained by the task        */
    FILE *js;                      /* the JSON document (memory stream) */
    FILE *txt;                     /* the table (memory stream)         */
} bench_run;

/* The tasks (each returns CLI_OK, or CLI_ERR after printing why). */
int bench_noise(bench_run *r);
int bench_removal(bench_run *r);
int bench_prune(bench_run *r);
int bench_addition(bench_run *r);
int bench_agreement(bench_run *r);

/* Scores every row of ds with r's methods, seeds set to seed. *out is
 * the caller's (heft_scores_free). */
int bench_score(bench_run *r, const heft_dataset *ds, const heft_dataset *valid,
                uint64_t seed, heft_scores **out);

/* order (n,) = rows by value v ascending, NaN as +infinity (a value that
 * could not be computed never makes a row look bad or good first), ties
 * broken by a hash of (seed, row) so that a tied block is taken in a
 * random but reproducible order. */
int bench_order(const float *v, size_t n, uint64_t seed, uint32_t *order);

/* Runs jobs on r->train's rows (or ds's when ds is not NULL), predicting
 * eval, with r's training settings and threads; counts the
 * retrainings. */
int bench_retrain(bench_run *r, const heft_dataset *ds,
                  const heft_dataset *eval, heft_bench_job *jobs,
                  size_t n_jobs);

/* The metric of the prediction sets pred[0..S) on eval's rows with its
 * bootstrap: out (r->bo.resamples + 1,), as heft_bench_resample. */
int bench_boot(bench_run *r, const heft_dataset *eval,
               const float *const *pred, size_t n_sets,
               heft_bench_metric metric, double *out);

/* A permutation of [0, n) from seed (the random baseline's order). */
int bench_perm(size_t n, uint64_t seed, uint32_t *perm);

/* Mean of x (n,), NAN entries left out (NAN when none is left). */
double bench_mean(const double *x, size_t n);

/* JSON pieces: [x0,x1,...]; [lo,hi]; ,"key": */
void bench_json_array(FILE *f, const double *x, size_t n);
void bench_json_ci(FILE *f, double lo, double hi);
void bench_json_key(FILE *f, const char *key);

/* "out of memory" and CLI_ERR. */
int bench_oom(void);

#endif
