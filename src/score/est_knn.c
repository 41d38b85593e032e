/*
 * est_knn.c: KNN-Shapley values of the training rows against the
 * validation set.
 *
 * R. Jia, D. Dao, B. Wang, F. A. Hubis, N. M. Gurel, B. Li, C. Zhang,
 * C. J. Spanos, D. Song, "Efficient Task-Specific Data Valuation for
 * Nearest Neighbor Algorithms", PVLDB 12(11), 2019, Theorem 1: the exact
 * Shapley value of each training row for the accuracy of a K-nearest-
 * neighbour classifier on each validation row, by one recursion over the
 * training rows ranked by similarity,
 *
 *   s_N = 1[y_N = y_v] / N
 *   s_i = s_{i+1} + (1[y_i = y_v] - 1[y_{i+1} = y_v]) / K * min(K, i) / i,
 *
 * averaged over the validation rows. The work is knn_shapley.c's (whose
 * header and docs/estimators.md give the details and the approximate
 * mode's error bound); this file picks the representation:
 *   - o->embeddings and o->valid_embeddings (n x d and m x d, d =
 *     o->embed_dim) given: Euclidean distance on the embeddings (the
 *     metric of Jia et al.);
 *   - otherwise: cosine similarity of the hashed sparse feature rows.
 * K = o->knn_k; o->knn_approx = M > 0 gives each validation row's M
 * nearest rows their own values and the rest their mean (error <= 1/M per
 * value); 0 is exact.
 *
 * Column knn: the Shapley value (higher = more valuable; negative for rows
 * that mislead their validation neighbours). Labels are compared for
 * equality. Cost: per validation row O(nnz touched + N log N) exact; never
 * an N x N matrix.
 */
#include "est_data.h"

#include <stdlib.h>

static heft_status knn_run(heft__score_ctx *c, float **cols, heft_error *err)
{
    const heft_score_opts *o = c->o;
    if (!c->valid || c->valid->n_rows == 0)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "knn: KNN-Shapley values rows against a validation "
                         "set; give one (--valid)");
    if ((o->embeddings != NULL) != (o->valid_embeddings != NULL))
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "knn: embeddings are needed for both the training "
                         "and the validation rows, got only the %s ones",
                         o->embeddings ? "training" : "validation");
    if (o->embeddings && (o->embed_dim == 0 || o->embed_dim > UINT32_MAX))
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "knn: embed_dim must be in 1..%u, got %zu",
                         UINT32_MAX, o->embed_dim);
    if (o->knn_approx < 0)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "knn: knn_approx must be >= 0 (0 = exact), got %d",
                         o->knn_approx);
    heft__knn_opts ko = heft__knn_opts_default();
    ko.k = o->knn_k;
    ko.top_m = (uint64_t)o->knn_approx;
    ko.metric = HEFT__KNN_EUCLIDEAN;
    heft_status st = heft__knn_opts_check(&ko, err);
    if (st != HEFT_OK)
        return st;
    const uint64_t n = c->train->n_rows;
    double *v = heft__malloc(n ? (size_t)n : 1, sizeof *v);
    if (!v)
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "knn: out of memory");
    if (o->embeddings) {
        st = heft__knn_shapley_dense(o->embeddings, n, c->train->label,
                                     o->valid_embeddings, c->valid->n_rows,
                                     c->valid->label,
                                     (uint32_t)o->embed_dim, &ko,
                                     c->threads, v, err);
    } else {
        const heft__rows tr = heft__rows_of(c->train);
        const heft__rows va = heft__rows_of(c->valid);
        st = heft__knn_shapley_sparse(&tr, c->train->label, &va,
                                      c->valid->label, &ko, c->threads, v,
                                      err);
    }
    if (st == HEFT_OK)
        for (uint64_t i = 0; i < n; i++)
            cols[0][i] = (float)v[i];
    free(v);
    return st;
}

const heft__estimator heft__est_knn = {
    "knn",
    "knn",
    "KNN-Shapley (Jia et al. 2019) against the validation set, on hashed "
    "cosine or on --embeddings; exact, or top-M approximate",
    1,
    knn_run,
};
