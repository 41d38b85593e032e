/*
 * est_el2n.c: EL2N and GraNd, the early-training "hardness" scores of
 *   M. Paul, S. Ganguli, G. K. Dziugaite, "Deep Learning on a Data Diet:
 *   Finding Important Examples Early in Training", NeurIPS 2021
 *   (Definitions 1 and 2).
 *
 * R seeded runs r = 0..R-1 (R = o->el2n_runs), each trained on all
 * training rows with the score options' train settings for E epochs
 * (E = o->el2n_epochs), seed heft__seed_mix(o->seed, r); theta_r is run r's
 * model after those E epochs. For row i with label y_i (clamped to [0,1])
 * and p_r = P(y=1 | x_i; theta_r):
 *
 *   EL2N(i)  = (1/R) sum_r | (1 - p_r, p_r) - (1 - y_i, y_i) |_2
 *            = (1/R) sum_r sqrt(2) |p_r - y_i|
 *   GraNd(i) = (1/R) sum_r | grad_theta l_i(theta_r) |_2
 *            = (1/R) sum_r | w_i (p_r - y_i) df(x_i; theta_r)/dtheta |_2
 *
 * EL2N is the paper's norm of the 2-class error vector (softmax output
 * minus one-hot label), which for a sigmoid model is sqrt(2) |p - y|: the
 * same ranking as |p - y|, on the paper's scale. GraNd is the norm over all
 * parameters of the (weighted) per-sample loss gradient, with a bucket that
 * occurs twice in a row summed before the norm.
 *
 * Direction: both are written as they are (higher = harder). In the paper
 * high-scoring rows are the ones worth keeping when pruning a data set
 * (easy, low-score rows are pruned first), so higher = more valuable, as
 * every heft column. For finding label noise the direction is reversed:
 * mislabelled rows are the hardest of all and score highest (Paul et al.,
 * Section 5, prune the very highest-scoring rows for that reason).
 *
 * Cost: R short trainings (run in parallel, one run per thread; lr's
 * automatic step size chosen once for all of them), shared by el2n and
 * grand when both are asked for, then one pass over the rows per run:
 * O(nnz) per row for EL2N (one logit), the model's gradient size per row
 * for GraNd. Memory: R models (kept until the score run ends), one double
 * per row.
 */
#include "estimator.h"
#include "est_data.h"
#include "gradrows.h"

#include <math.h>
#include <stdlib.h>

typedef struct runs_ctx {
    const heft_dataset *train;
    heft_train_opts to;      /* E epochs, no callbacks, no checkpoints */
    uint64_t seed;
    int n_runs;
    heft_model **models;     /* (n_runs,) out */
    heft_status *st;         /* (n_runs,) */
    heft_error *err;         /* (n_runs,) */
} runs_ctx;

/* Thread t trains runs t, t + nt, ...: every run is a single-threaded
 * heft_train() with its own seed, so the models do not depend on nt. */
static void runs_task(void *p, int t, int nt)
{
    runs_ctx *c = p;
    for (int r = t; r < c->n_runs; r += nt) {
        heft_train_opts to = c->to;
        to.seed = heft__seed_mix(c->seed, (uint64_t)r);
        c->st[r] = heft_train(c->train, NULL, &to, &c->models[r],
                              &c->err[r]);
    }
}

/* The R early runs, trained on first use and kept in c->early (shared by
 * el2n and grand; freed with the context). LR's automatic step size is
 * chosen once (heft__est_base_opts), not once per run. */
static heft_status early_runs(heft__score_ctx *c, heft_model *const **out,
                              heft_error *err)
{
    const heft_score_opts *o = c->o;
    *out = NULL;
    if (c->early && c->n_early == o->el2n_runs) {
        *out = c->early;
        return HEFT_OK;
    }
    heft__score_early_free(c); /* runs of another count: train anew */
    if (o->el2n_runs < 1 || o->el2n_epochs < 1)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "el2n/grand need el2n_runs >= 1 and el2n_epochs "
                         ">= 1, got %d and %d", o->el2n_runs,
                         o->el2n_epochs);
    const int R = o->el2n_runs;
    runs_ctx rc = {c->train, o->train, o->seed, R, NULL, NULL, NULL};
    heft_status st = heft__est_base_opts(o, c->train, o->el2n_epochs,
                                         &rc.to, err);
    if (st != HEFT_OK)
        return st;
    rc.to.patience = 0;
    rc.models = heft__calloc((size_t)R, sizeof *rc.models);
    rc.st = heft__calloc((size_t)R, sizeof *rc.st);
    rc.err = heft__calloc((size_t)R, sizeof *rc.err);
    if (!rc.models || !rc.st || !rc.err) {
        st = heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                       "out of memory for %d el2n runs", R);
    } else {
        int nt = c->threads < R ? c->threads : R;
        heft__parallel(nt < 1 ? 1 : nt, runs_task, &rc);
        for (int r = 0; r < R && st == HEFT_OK; r++) {
            if (rc.st[r] != HEFT_OK) {
                st = rc.st[r];
                if (err)
                    *err = rc.err[r];
            }
        }
    }
    if (st != HEFT_OK && rc.models) {
        for (int r = 0; r < R; r++)
            heft_model_free(rc.models[r]);
        free(rc.models);
        rc.models = NULL;
    }
    free(rc.st);
    free(rc.err);
    c->early = rc.models;
    c->n_early = rc.models ? R : 0;
    *out = rc.models;
    return st;
}

void heft__score_early_free(heft__score_ctx *c)
{
    for (int r = 0; r < c->n_early; r++)
        heft_model_free(c->early[r]);
    free(c->early);
    c->early = NULL;
    c->n_early = 0;
}

typedef struct acc_ctx {
    const heft_dataset *ds;
    int grand;
    double *acc; /* (n,) sum over runs so far */
} acc_ctx;

static void acc_row(void *ud, heft__gw *w, uint64_t i, double p)
{
    acc_ctx *c = ud;
    if (c->grand) {
        double sq;
        if (heft__gw_sqnorm(w, &sq) == HEFT_OK)
            c->acc[i] += sqrt(sq);
    } else {
        c->acc[i] += sqrt(2.0) * fabs(p - heft__score_y01(c->ds->label[i]));
    }
}

/* cols[0][i] = mean over the early runs of EL2N (grand = 0) or GraNd. */
static heft_status run_hardness(heft__score_ctx *c, float **cols, int grand,
                                heft_error *err)
{
    const uint64_t n = c->train->n_rows;
    heft_model *const *models = NULL;
    heft_status st = early_runs(c, &models, err);
    if (st != HEFT_OK)
        return st;
    const int R = c->o->el2n_runs;
    double *acc = heft__calloc(n ? (size_t)n : 1, sizeof *acc);
    if (!acc)
        st = heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                       "out of memory for %llu row scores",
                       (unsigned long long)n);
    acc_ctx ac = {c->train, grand, acc};
    for (int r = 0; r < R && st == HEFT_OK; r++)
        st = heft__grad_rows(models[r], c->train, c->threads,
                             grand ? HEFT__GR_LOSS : HEFT__GR_NONE, acc_row,
                             &ac, err);
    for (uint64_t i = 0; st == HEFT_OK && i < n; i++)
        cols[0][i] = (float)(acc[i] / R);
    free(acc);
    return st;
}

static heft_status el2n_run(heft__score_ctx *c, float **cols,
                            heft_error *err)
{
    return run_hardness(c, cols, 0, err);
}

static heft_status grand_run(heft__score_ctx *c, float **cols,
                             heft_error *err)
{
    return run_hardness(c, cols, 1, err);
}

const heft__estimator heft__est_el2n = {
    "el2n", "el2n",
    "EL2N (Paul et al. 2021): mean |p - y| (2-class error norm) over "
    "el2n_runs runs of el2n_epochs epochs; higher = harder (kept when "
    "pruning), but label noise also scores high",
    0, el2n_run};

const heft__estimator heft__est_grand = {
    "grand", "grand",
    "GraNd (Paul et al. 2021): mean per-sample gradient norm over the "
    "el2n runs; higher = harder (kept when pruning), but label noise also "
    "scores high",
    0, grand_run};
