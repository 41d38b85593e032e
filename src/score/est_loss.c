/*
 * est_loss.c: two estimators that read the final model's prediction of each
 * training row: `loss` and `confidence`.
 *
 * For row i with label y_i (clamped to [0,1]), weight w_i, logit z_i of the
 * final model and p_i = sigmoid(z_i):
 *
 *   loss_i       = -w_i [softplus(z_i) - y_i z_i]
 *                = -w_i [-y_i log p_i - (1 - y_i) log(1 - p_i)]
 *   confidence_i = y_i p_i + (1 - y_i) (1 - p_i)      (= p_i or 1 - p_i)
 *
 * The per-sample loss is the oldest noise signal: mislabelled rows sit on
 * the wrong side of the boundary and so carry a large loss (Arazo et al.,
 * "Unsupervised Label Noise Modeling and Loss Correction", ICML 2019, model
 * the loss as a two-component mixture of clean and noisy rows). It is
 * negated here, so that higher = more valuable and a flipped label scores
 * low. Self-confidence, the predicted probability of the given label, is
 * the label-quality score of confident learning (Northcutt, Jiang and
 * Chuang, "Confident Learning: Estimating Uncertainty in Dataset Labels",
 * JAIR 2021, section 4); it is already "higher = cleaner" and is unweighted.
 *
 * With probabilities brought from outside (o->probs) both use those, the
 * loss through the clamped logit of score_driver.h. Cost: one pass of the
 * model's logit over the rows, O(nnz), on all threads.
 */
#include "score_driver.h"

#include <stdlib.h>

static heft_status run_loss(heft__score_ctx *c, float **cols,
                            heft_error *err)
{
    const heft_dataset *ds = c->train;
    const size_t n = (size_t)ds->n_rows;
    double *z = heft__malloc(n ? n : 1, sizeof *z); /* (n,) logits */
    if (!z)
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                         "out of memory for %zu logits", n);
    heft_status st = heft__score_final_logits(c, z, err);
    for (size_t i = 0; st == HEFT_OK && i < n; i++) {
        /* The expression of heft__sample_loss(), so the two agree. */
        const double w = ds->weight ? ds->weight[i] : 1.0;
        cols[0][i] = (float)-(w * heft__logloss_logit(z[i], ds->label[i]));
    }
    free(z);
    return st;
}

static heft_status run_confidence(heft__score_ctx *c, float **cols,
                                  heft_error *err)
{
    const float *p = NULL; /* (n,) P(y=1) */
    heft_status st = heft__score_final_prob(c, &p, err);
    if (st != HEFT_OK)
        return st;
    const float *label = c->train->label;
    for (uint64_t i = 0; i < c->train->n_rows; i++) {
        const double y = heft__score_label01(label[i]);
        cols[0][i] = (float)(y * p[i] + (1 - y) * (1 - (double)p[i]));
    }
    return HEFT_OK;
}

const heft__estimator heft__est_loss = {
    "loss", "loss",
    "negated per-sample log loss of the final model (Arazo et al. 2019)", 0,
    run_loss,
};

const heft__estimator heft__est_confidence = {
    "confidence", "confidence",
    "self-confidence p(given label) of the final model (Northcutt et al. "
    "2021)",
    0, run_confidence,
};
