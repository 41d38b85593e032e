/*
 * score_driver.h: helpers that score.c (the driver of heft_score) offers to
 * the estimators that look only at a model's outputs on the training rows
 * (est_loss.c, est_margin.c, est_forget.c). Private to src/score.
 */
#ifndef HEFT_SCORE_DRIVER_H
#define HEFT_SCORE_DRIVER_H

#include "estimator.h"

#include <math.h>

/* The logit z_i = f(x_i; theta) of m on every row of ds into z (n_rows,),
 * caller-owned, computed in double through the model interface (so it is
 * exactly the logit heft__sample_loss() uses). Rows are split into
 * contiguous blocks, one per thread, so the result does not depend on the
 * thread count. Errors: HEFT_EINVAL (ds hashed into more buckets than m
 * has), HEFT_ENOMEM. */
heft_status heft__score_logits(const heft_model *m, const heft_dataset *ds,
                               int threads, double *z, heft_error *err);

/* A label as the probability of the positive class: clamped to [0,1], so
 * ranking grades >= 1 count as a click (as in model.h's loss). */
static inline double heft__score_label01(float y)
{
    return y > 1 ? 1.0 : (y > 0 ? (double)y : 0.0);
}

/* The logit of a probability brought from outside, with p clamped to
 * [1e-7, 1 - 1e-7] (about the resolution of a float near 1), so p = 0 or 1
 * gives a large finite logit (+-16.1) instead of an infinity. */
static inline double heft__score_prob_logit(float p)
{
    const double lo = 1e-7;
    double q = (double)p;
    q = q < lo ? lo : (q > 1 - lo ? 1 - lo : q);
    return log(q) - log1p(-q);
}

/* The logits of the final model on the training rows into z (n,): those of
 * c->model, or, when the options bring probabilities from outside
 * (o->probs), their logits by heft__score_prob_logit(). */
heft_status heft__score_final_logits(heft__score_ctx *c, double *z,
                                     heft_error *err);

#endif
