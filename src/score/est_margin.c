/*
 * est_margin.c: the margin of the given label under the final model
 * (`margin`) and its average over the training trajectory (`aum`).
 *
 * A binary model with logit z scores the classes with logits (0, z) (the
 * softmax of which is (1 - p, p)), so the margin of the assigned label y,
 * the assigned class's logit minus the largest other logit, is
 *
 *   M(x, y) = z_y - max_{c != y} z_c = (2y - 1) z,        y in {0, 1}
 *
 * (for a soft label in [0,1] the same linear form). It is positive when the
 * model agrees with the label, and grows with its certainty.
 *
 * AUM, the Area Under the Margin (Pleiss, Zhang, Elenberg and Weinberger,
 * "Identifying Mislabeled Data using the Area Under the Margin Ranking",
 * NeurIPS 2020, eq. 1-2), averages the margin over the T training epochs:
 *
 *   AUM(x, y) = (1/T) sum_{t=1}^{T} M^{(t)}(x, y)
 *
 * Mislabelled rows are pulled towards their given label only by their own
 * gradient while their clean neighbours push the other way, so their
 * margin stays low or negative through training. Here M^{(t)} is taken
 * from the model as it stands at the end of epoch t (the trajectory of
 * heft__score_trajectory) rather than at the moment the row is visited
 * during the epoch, which makes the value independent of the row order
 * and reproducible from saved checkpoints.
 *
 * Both are "higher = more valuable" already. Cost: margin one pass of the
 * logit (O(nnz)); aum T passes plus the trajectory's training run (shared
 * with forget, tracin and selfinf).
 */
#include "score_driver.h"

#include <stdlib.h>

static heft_status run_margin(heft__score_ctx *c, float **cols,
                              heft_error *err)
{
    const size_t n = (size_t)c->train->n_rows;
    double *z = heft__malloc(n ? n : 1, sizeof *z); /* (n,) logits */
    if (!z)
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                         "out of memory for %zu logits", n);
    heft_status st = heft__score_final_logits(c, z, err);
    const float *label = c->train->label;
    for (size_t i = 0; st == HEFT_OK && i < n; i++)
        cols[0][i] = (float)((2 * heft__score_label01(label[i]) - 1) * z[i]);
    free(z);
    return st;
}

static heft_status run_aum(heft__score_ctx *c, float **cols, heft_error *err)
{
    const heft__trajectory *t = NULL;
    heft_status st = heft__score_trajectory(c, &t, err);
    if (st != HEFT_OK)
        return st;
    if (t->n_epochs < 1)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "aum needs at least one training epoch");
    const size_t n = (size_t)c->train->n_rows;
    double *z = heft__malloc(n ? n : 1, sizeof *z);   /* (n,) logits     */
    double *sum = heft__calloc(n ? n : 1, sizeof *sum); /* (n,) margins  */
    if (!z || !sum)
        st = heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                       "out of memory for %zu rows", n);
    const float *label = c->train->label;
    for (int e = 0; st == HEFT_OK && e < t->n_epochs; e++) {
        st = heft__score_logits(t->epoch_models[e], c->train, c->threads, z,
                                err);
        for (size_t i = 0; st == HEFT_OK && i < n; i++)
            sum[i] += (2 * heft__score_label01(label[i]) - 1) * z[i];
    }
    for (size_t i = 0; st == HEFT_OK && i < n; i++)
        cols[0][i] = (float)(sum[i] / t->n_epochs);
    free(z);
    free(sum);
    return st;
}

const heft__estimator heft__est_margin = {
    "margin", "margin",
    "margin (2y-1)*logit of the given label under the final model", 0,
    run_margin,
};

const heft__estimator heft__est_aum = {
    "aum", "aum",
    "area under the margin: mean margin over the training epochs (Pleiss et "
    "al. 2020)",
    0, run_aum,
};
