/*
 * est_data.h: helpers shared by the estimators that retrain models on
 * resampled or held-out data (est_oob.c, est_cl.c, est_group.c), private to
 * those files and their tests. Defined in est_oob.c.
 *
 * Resampling without copying: a bag, a fold or a subset of groups is
 * trained as a *weighted view* of the training set, a shallow copy of the
 * dataset whose weight column is replaced: a row drawn k times gets weight
 * k (times its own weight), a left-out row weight 0. Every trainer skips
 * rows of weight 0 (lr.c, fm.c and mlp.c test `wt == 0` before touching a
 * row), so a weight-0 row costs one branch per epoch, and the CSR arrays
 * (hundreds of MB at millions of rows) are never copied. A row drawn k
 * times takes one step with k times the gradient rather than k steps; for
 * the adaptive optimisers heft uses that is the usual weighted-bootstrap
 * approximation (docs/estimators.md).
 */
#ifndef HEFT_EST_DATA_H
#define HEFT_EST_DATA_H

#include "estimator.h"

/* Fixed point for order-independent sums of values in [0,1]: each value is
 * rounded to a multiple of 2^-HEFT__FIX_BITS and added as an integer, so
 * the sum does not depend on which thread added what first. */
#define HEFT__FIX_BITS 30
static inline uint64_t heft__fix(double v)
{
    return (uint64_t)(v * (double)(1u << HEFT__FIX_BITS) + 0.5);
}
static inline double heft__unfix(uint64_t s)
{
    return (double)s / (double)(1u << HEFT__FIX_BITS);
}

/* Label as a number in [0,1] (grades >= 1 count as a click) and as a
 * class (1 when that number is >= 0.5). */
static inline double heft__est_y01(float y)
{
    return y > 1 ? 1.0 : (y > 0 ? (double)y : 0.0);
}
static inline int heft__est_class(float y) { return heft__est_y01(y) >= 0.5; }

/* Correctness of prediction p for label y: hard = 1[round(p) == class(y)]
 * (p >= 0.5 predicts 1), soft = 1 - |p - y01| (= P(given label) for 0/1
 * labels). */
static inline int heft__est_hard(double p, float y)
{
    return (p >= 0.5) == heft__est_class(y);
}
static inline double heft__est_soft(double p, float y)
{
    double d = p - heft__est_y01(y);
    return 1.0 - (d < 0 ? -d : d);
}

/* *view = ds with weight column w (borrowed: view owns nothing; never pass
 * it to heft_dataset_free). view is large (it holds ds's error slots), so
 * keep it off small stacks. */
void heft__est_view(const heft_dataset *ds, const float *w,
                    heft_dataset *view);

/* Trains a model on the view of ds with weights w (heft__est_view) from
 * base with its seed set to seed, and allocates the model's prediction
 * scratch. On success the caller frees *scratch and heft_model_free(*m);
 * on failure both are NULL. who names the estimator in messages. */
heft_status heft__est_fit_view(const heft_dataset *ds, const float *w,
                               heft_dataset *view,
                               const heft_train_opts *base, uint64_t seed,
                               const char *who, heft_model **m,
                               void **scratch, heft_error *err);

/* The training options of the internal models of an estimator: o->train
 * with the given seed, one thread, and no callbacks, checkpoints or
 * validation-driven early stopping (the internal models train on their
 * own view and are never saved). */
heft_train_opts heft__est_train_opts(const heft_score_opts *o, uint64_t seed);

/* The base training options of an estimator's models on ds:
 * heft__est_train_opts(o, o->train.seed) with `epochs` epochs (0 = o->train's
 * own, resolved), and, when o->train asks for the lr model's automatic step
 * size (lr 0 with FTRL, lr_auto.c), the alpha heft_train() would choose for
 * the whole of ds, chosen once here rather than once per bag or fold (which
 * would repeat the tuning, about an epoch's work, for every model; the
 * bags' and folds' data are resamples of ds). Each model then copies it and
 * sets its own seed. Errors: those of the tuning (out of memory). */
heft_status heft__est_base_opts(const heft_score_opts *o,
                                const heft_dataset *ds, int epochs,
                                heft_train_opts *out, heft_error *err);

/* Epochs of each model of an ensemble (oob's bags, group's samples and
 * bags) on n rows: o->train's epochs (0 = the model's default), capped at
 * ceil(HEFT__BAG_VISITS / n) and at least 1, so that on large data a bag
 * makes one pass. Measured on a 1M-row `heft gen` log with lr: 32 bags of
 * 3 epochs take 45 s on 2 cores, of 1 epoch 12 s (docs/estimators.md). */
#define HEFT__BAG_VISITS 1000000u
int heft__est_bag_epochs(const heft_score_opts *o, uint64_t n);

/* The bootstrap multiplicities of bag `bag`: n draws with replacement from
 * [0, n) by an RNG seeded heft__seed_mix(seed, bag); cnt (n,) receives how
 * often each row was drawn (0 = out of bag). */
void heft__est_bootstrap(uint64_t seed, uint64_t bag, uint64_t n,
                         float *cnt);

/* P(y=1) of m on row i of ds (the same float heft_predict() writes).
 * scratch: m->vt->scratch_size(m) bytes. */
float heft__est_prob(const heft_model *m, const heft_dataset *ds, uint64_t i,
                     void *scratch);

/* Stratified K-fold assignment: the rows of each class (heft__est_class)
 * are shuffled by an RNG seeded heft__seed_mix(seed, class) and dealt to
 * folds 0, 1, ..., K-1 in turn. fold (n,) is caller-owned. */
void heft__est_folds(const float *label, uint64_t n, int k, uint64_t seed,
                     uint8_t *fold);

/* Whether group g is in MSR sample s (Banzhaf, est_group.c): an RNG seeded
 * heft__seed_mix(seed, s) flips one fair coin per group in order. in (G,). */
void heft__est_group_subset(uint64_t seed, uint64_t s, uint64_t n_groups,
                            uint8_t *in);

#endif
