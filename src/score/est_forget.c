/*
 * est_forget.c: forgetting events (`forget`), after Toneva, Sordoni,
 * Combes, Trischler, Bengio and Gordon, "An Empirical Study of Example
 * Forgetting during Deep Neural Network Learning", ICLR 2019 (section 3).
 *
 * Let acc_i^t = 1[prediction of the model after epoch t is the label of
 * row i], the prediction being 1[p >= 0.5] (i.e. 1[z >= 0]) and the label
 * 1[y >= 0.5]. A forgetting event is a transition from learned to
 * forgotten between consecutive epochs:
 *
 *   forget_events_i = sum_{t=2}^{T} 1[acc_i^{t-1} = 1 and acc_i^t = 0]
 *
 * A row never classified correctly in any epoch has, in the paper's terms,
 * an infinite number of forgetting events; it is counted as T here, more
 * than any learned row can reach (at most floor(T/2) events in T epochs).
 * The column is
 *
 *   forget_i = -count_i
 *
 * so that, as for every column, noisy rows (forgotten again and again, or
 * never learned) score low: the noise-detection direction. For Toneva et
 * al.'s other use, pruning, note that the "unforgettable" rows (forget =
 * 0) are the easy ones that can be removed with the least harm: a pruning
 * run keeps the lowest values, not the highest.
 *
 * Correctness is read from the model at the end of each epoch (the
 * trajectory of heft__score_trajectory), not at each mini-batch visit as
 * in the paper, so T epochs give T - 1 chances to forget: train with at
 * least 3 epochs (T < 2 is refused). Cost: T passes of the logit over the
 * rows, one byte and one counter per row.
 */
#include "score_driver.h"

#include <stdlib.h>

static heft_status run_forget(heft__score_ctx *c, float **cols,
                              heft_error *err)
{
    const heft__trajectory *t = NULL;
    heft_status st = heft__score_trajectory(c, &t, err);
    if (st != HEFT_OK)
        return st;
    if (t->n_epochs < 2)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "forget needs the model after at least 2 training "
                         "epochs to see a row forgotten, but training ran "
                         "%d; train longer (e.g. --epochs 5)",
                         t->n_epochs);
    const size_t n = (size_t)c->train->n_rows;
    double *z = heft__malloc(n ? n : 1, sizeof *z);        /* (n,) logits */
    uint8_t *prev = heft__calloc(n ? n : 1, 1);            /* acc^{t-1}   */
    uint8_t *learned = heft__calloc(n ? n : 1, 1);         /* ever acc=1  */
    uint32_t *count = heft__calloc(n ? n : 1, sizeof *count);
    if (!z || !prev || !learned || !count)
        st = heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                       "out of memory for %zu rows", n);
    const float *label = c->train->label;
    for (int e = 0; st == HEFT_OK && e < t->n_epochs; e++) {
        st = heft__score_logits(t->epoch_models[e], c->train, c->threads, z,
                                err);
        for (size_t i = 0; st == HEFT_OK && i < n; i++) {
            const int pos = heft__score_label01(label[i]) >= 0.5;
            const uint8_t acc = (uint8_t)((z[i] >= 0) == pos);
            count[i] += prev[i] && !acc;
            prev[i] = acc;
            learned[i] |= acc;
        }
    }
    for (size_t i = 0; st == HEFT_OK && i < n; i++) {
        const uint32_t k = learned[i] ? count[i] : (uint32_t)t->n_epochs;
        cols[0][i] = k ? -(float)k : 0.0f; /* 0, not -0, in the files */
    }
    free(z);
    free(prev);
    free(learned);
    free(count);
    return st;
}

const heft__estimator heft__est_forget = {
    "forget", "forget",
    "negated count of forgetting events across epochs; never learned = "
    "-epochs (Toneva et al. 2019)",
    0, run_forget,
};
