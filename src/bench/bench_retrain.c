/*
 * bench_retrain.c: training many models on subsets of one training set,
 * several at a time, and predicting an evaluation set with each
 * (heft_bench_retrain in include/heft_bench.h).
 *
 * Every benchmark task is "retrain with the same settings on other rows,
 * then measure": this is that loop. SGD training is single-threaded, so
 * the parallelism is across models: T worker threads take the next job
 * from a shared counter (jobs differ in size, so a static deal would leave
 * a thread idle), copy its rows into a dataset of their own
 * (heft_dataset_subset), train with the job's seed and predict. Each job
 * writes only its own pred array, and a model depends only on its rows
 * and seed, so the results do not depend on T or on which thread ran
 * which job.
 */
#include "core.h"

#include <stdatomic.h>
#include <stdlib.h>

typedef struct retrain_ctx {
    const heft_dataset *train, *eval;
    const heft_train_opts *o;
    heft_bench_job *jobs;
    size_t n_jobs;
    atomic_size_t next, done;
    heft_progress_fn progress;
    void *progress_ud;
    size_t *fail_job; /* per thread: lowest failed job, or n_jobs */
    heft_error *fail; /* per thread: its error                   */
} retrain_ctx;

/* Trains and predicts job j. */
static heft_status run_job(const retrain_ctx *c, const heft_bench_job *j,
                           heft_error *err)
{
    heft_dataset *sub = NULL;
    heft_model *m = NULL;
    heft_train_opts to = *c->o;
    to.seed = j->seed;
    to.threads = 1;
    to.checkpoint_dir = NULL;
    to.on_epoch = NULL;
    to.log = NULL;
    to.progress = NULL;
    /* The model stores W and heft_predict() recalibrates (model.c). */
    to.neg_rate = j->neg_rate > 0 && j->neg_rate < 1 ? j->neg_rate : 1.0;
    heft_status st = HEFT_OK;
    if (j->rows)
        st = heft_dataset_subset(c->train, j->rows, j->n_rows, &sub, err);
    if (st == HEFT_OK)
        st = heft_train(sub ? sub : c->train, NULL, &to, &m, err);
    if (st == HEFT_OK)
        st = heft_predict(m, c->eval, j->pred, 1, err);
    heft_model_free(m);
    heft_dataset_free(sub);
    return st;
}

static void retrain_task(void *ctx, int t, int nt)
{
    (void)nt;
    retrain_ctx *c = ctx;
    for (;;) {
        const size_t k = atomic_fetch_add(&c->next, 1);
        if (k >= c->n_jobs)
            break;
        heft_error e;
        heft__err_clear(&e);
        if (run_job(c, &c->jobs[k], &e) != HEFT_OK && k < c->fail_job[t]) {
            c->fail_job[t] = k;
            c->fail[t] = e;
        }
        const size_t d = atomic_fetch_add(&c->done, 1) + 1;
        if (t == 0 && c->progress)
            c->progress(c->progress_ud, "retraining", d, c->n_jobs);
    }
}

heft_status heft_bench_retrain(const heft_dataset *train,
                               const heft_dataset *eval,
                               const heft_train_opts *o,
                               heft_bench_job *jobs, size_t n_jobs,
                               int threads, heft_progress_fn progress,
                               void *progress_ud, heft_error *err)
{
    if (!train || !eval || !o || (n_jobs && !jobs))
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "retrain: training set, evaluation set, options "
                         "and jobs are required");
    heft_status st = heft_train_opts_check(o, err);
    if (st != HEFT_OK)
        return st;
    for (size_t k = 0; k < n_jobs; k++)
        if (!jobs[k].pred || (jobs[k].rows && jobs[k].n_rows == 0))
            return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                             "retrain: job %zu has no prediction buffer or "
                             "no rows",
                             k);
    int nt = heft__threads(threads);
    nt = (size_t)nt > n_jobs ? (int)(n_jobs ? n_jobs : 1) : nt;
    retrain_ctx c = {train, eval, o, jobs, n_jobs, 0, 0, progress,
                     progress_ud, NULL, NULL};
    c.fail_job = heft__malloc((size_t)nt, sizeof *c.fail_job);
    c.fail = heft__malloc((size_t)nt, sizeof *c.fail);
    if (!c.fail_job || !c.fail) {
        free(c.fail_job);
        free(c.fail);
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                         "retrain: out of memory");
    }
    for (int t = 0; t < nt; t++)
        c.fail_job[t] = n_jobs;
    heft__parallel(nt, retrain_task, &c); /* inline if threads fail */
    int worst = -1;
    for (int t = 0; t < nt; t++)
        if (c.fail_job[t] < n_jobs &&
            (worst < 0 || c.fail_job[t] < c.fail_job[worst]))
            worst = t;
    st = HEFT_OK;
    if (worst >= 0) {
        st = c.fail[worst].code ? c.fail[worst].code : HEFT_EINVAL;
        if (err)
            *err = c.fail[worst];
    }
    free(c.fail_job);
    free(c.fail);
    return st;
}
