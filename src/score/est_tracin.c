/*
 * est_tracin.c: TracIn-CP and self-influence, from
 *   G. Pruthi, F. Liu, S. Kale, M. Sundararajan, "Estimating Training Data
 *   Influence by Tracing Gradient Descent", NeurIPS 2020 (Section 3.2,
 *   TracInCP, and Section 4.1, self-influence).
 *
 * The checkpoints theta_t, t = 1..T, are the model after each epoch of the
 * score run's training trajectory (heft__score_trajectory) and eta_t that
 * epoch's nominal step size (traj->step). With l the weighted log loss of
 * one row (model.h) and V the validation rows:
 *
 *   TracIn(z_i, z')  = sum_t eta_t grad l(z_i; theta_t) . grad l(z'; theta_t)
 *   tracin(i)        = sum_{z' in V} TracIn(z_i, z')
 *                    = sum_t eta_t grad l(z_i; theta_t) . G_t,
 *   G_t (n_params,)  = sum_{z' in V} grad l(z'; theta_t)
 *   selfinf(i)       = sum_t eta_t |grad l(z_i; theta_t)|^2
 *
 * A positive TracIn(z, z') marks a proponent: a gradient step on z lowers
 * the loss of z' (to first order), so tracin(i) > 0 means training on row i
 * lowered the validation loss: the column is +tracin (higher = more
 * valuable; harmful rows are negative). Self-influence is high for rows the
 * model finds surprising, mislabelled rows above all (the paper's Section
 * 4.1); the column is -selfinf.
 *
 * Cost: per checkpoint, G_t once over the validation rows (dense, one
 * accumulator per thread), then per training row one sparse gradient and
 * its dot product with G_t: O(gradient nonzeros) per row, never a
 * validation-by-training product (for lr the gradient is w (p - y) x, so
 * the dot product is formed straight from the row: heft__lr_grad_dot).
 * Memory: G_t and one double per row.
 * For selfinf the bucket that occurs twice in a row is summed before the
 * norm (a small per-thread hash table).
 */
#include "estimator.h"
#include "gradrows.h"

#include <stdlib.h>

typedef struct trac_ctx {
    const double *G; /* (n_params,) summed validation gradient, or NULL */
    double eta;
    double *acc;     /* (n,) running sum over checkpoints */
} trac_ctx;

static void tracin_row(void *ud, heft__gw *w, uint64_t i, double p)
{
    trac_ctx *c = ud;
    c->acc[i] += c->eta * heft__sgrad_dot(&w->g, c->G);
}

static void selfinf_row(void *ud, heft__gw *w, uint64_t i, double p)
{
    trac_ctx *c = ud;
    double sq;
    if (heft__gw_sqnorm(w, &sq) == HEFT_OK)
        c->acc[i] += c->eta * sq;
}

/* Checks that the validation set exists and is hashed like the model. */
static heft_status need_valid(const heft__score_ctx *c, const heft_model *m,
                              const char *method, heft_error *err)
{
    if (!c->valid || c->valid->n_rows == 0)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "method %s needs a validation set (--valid)",
                         method);
    if (c->valid->schema.hash_bits > m->hash_bits)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "the validation data is hashed into 2^%u buckets "
                         "but the model has 2^%u; read it with the "
                         "training data's read options",
                         c->valid->schema.hash_bits, m->hash_bits);
    return HEFT_OK;
}

/* acc (n,) = tracin (self = 0) or selfinf (self = 1) over the trajectory. */
static heft_status trace(heft__score_ctx *c, int self, double *acc,
                         heft_error *err)
{
    const heft__trajectory *tr = NULL;
    heft_status st = heft__score_trajectory(c, &tr, err);
    if (st != HEFT_OK)
        return st;
    if (tr->n_epochs < 1)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "the training trajectory has no checkpoints");
    double *G = NULL;
    if (!self) {
        st = need_valid(c, tr->epoch_models[0], "tracin", err);
        if (st != HEFT_OK)
            return st;
        G = heft__malloc((size_t)tr->epoch_models[0]->n_params, sizeof *G);
        if (!G)
            return heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                             "out of memory for the validation gradient "
                             "(%llu parameters)",
                             (unsigned long long)tr->epoch_models[0]
                                 ->n_params);
    }
    for (int t = 0; st == HEFT_OK && t < tr->n_epochs; t++) {
        const heft_model *m = tr->epoch_models[t];
        if (G)
            st = heft__grad_sum(m, c->valid, c->threads, G, err);
        trac_ctx tc = {G, tr->step[t], acc};
        if (st == HEFT_OK && G && m->kind == HEFT_MODEL_LR)
            st = heft__lr_grad_dot(m, c->train, G, c->threads, tr->step[t],
                                   acc, NULL);
        else if (st == HEFT_OK)
            st = heft__grad_rows(m, c->train, c->threads, HEFT__GR_LOSS,
                                 self ? selfinf_row : tracin_row, &tc, err);
    }
    free(G);
    return st;
}

/* Runs trace() and writes sign * acc into the column. */
static heft_status trace_col(heft__score_ctx *c, int self, float *col,
                             heft_error *err)
{
    const uint64_t n = c->train->n_rows;
    double *acc = heft__calloc(n ? (size_t)n : 1, sizeof *acc);
    if (!acc)
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                         "out of memory for %llu row scores",
                         (unsigned long long)n);
    heft_status st = trace(c, self, acc, err);
    for (uint64_t i = 0; st == HEFT_OK && i < n; i++)
        col[i] = (float)(self ? -acc[i] : acc[i]);
    free(acc);
    return st;
}

static heft_status tracin_run(heft__score_ctx *c, float **cols,
                              heft_error *err)
{
    return trace_col(c, 0, cols[0], err);
}

static heft_status selfinf_run(heft__score_ctx *c, float **cols,
                               heft_error *err)
{
    return trace_col(c, 1, cols[0], err);
}

const heft__estimator heft__est_tracin = {
    "tracin", "tracin",
    "TracIn-CP (Pruthi et al. 2020): sum over epoch checkpoints of step x "
    "grad l_i . summed validation gradient; higher = helps validation loss",
    1, tracin_run};

const heft__estimator heft__est_selfinf = {
    "selfinf", "selfinf",
    "self-influence (Pruthi et al. 2020) negated: -sum over checkpoints of "
    "step x |grad l_i|^2; low = likely mislabelled or outlier",
    0, selfinf_run};
