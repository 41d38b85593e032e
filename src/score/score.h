/*
 * score.h: model-independent importance estimators over plain arrays, the
 * cores that `heft score` runs (docs/estimators.md describes each one).
 *
 * Every estimator takes its inputs as arrays owned by the caller (sparse
 * hashed rows in CSR form as in src/data/dataset.h, dense n x d embeddings,
 * or out-of-fold probabilities) and writes one value per training row into a
 * caller-owned buffer. "Higher = more valuable" holds for every value that
 * is a score; flags are 0/1. On failure the buffers' contents are
 * unspecified and err says why.
 *
 * A worked example: value 1M training rows against 1,000 validation rows.
 *
 *     heft__rows tr = heft__rows_of(train), va = heft__rows_of(valid);
 *     heft__knn_opts o = heft__knn_opts_default();
 *     o.k = 10;
 *     o.top_m = 2000;              // approximate: error <= 1/2000 per value
 *     double *v = malloc(tr.n_rows * sizeof *v);
 *     heft_status st = heft__knn_shapley_sparse(&tr, train->label, &va,
 *                                               valid->label, &o, 2, v, &err);
 *
 * Threads: `threads` is resolved by heft__threads() (0 = all cores). Same
 * inputs give bit-identical outputs for every thread count.
 */
#ifndef HEFT_SCORE_H
#define HEFT_SCORE_H

#include "core.h"

struct heft_dataset;

/* A read-only view of sparse rows: row r holds the nonzeros
 * feat/val[row_ptr[r] .. row_ptr[r+1]) (row_ptr need not start at 0).
 * Repeated feature ids within a row add up. Shapes: row_ptr (n_rows+1,),
 * feat/val (row_ptr[n_rows],). */
typedef struct heft__rows {
    uint64_t n_rows;
    const uint64_t *row_ptr;
    const uint32_t *feat;
    const float *val;
} heft__rows;

/* The rows of a dataset as a view (borrows ds's arrays; nothing to free). */
heft__rows heft__rows_of(const struct heft_dataset *ds);

/* ---- KNN-Shapley (knn_shapley.c) ---------------------------------------- */

typedef enum heft__knn_metric {
    HEFT__KNN_COSINE = 0,    /* nearest = largest cosine similarity     */
    HEFT__KNN_EUCLIDEAN = 1, /* nearest = smallest Euclidean distance   */
} heft__knn_metric;

typedef struct heft__knn_opts {
    int k;            /* neighbours of the KNN classifier, >= 1 (5)        */
    uint64_t top_m;   /* 0: exact. Else approximate: only the top_m nearest
                         of each validation row get individual recursion
                         values, the rest share their expectation; every
                         value is within 1/top_m of the exact one. Must be
                         >= k; top_m >= n_train is exact. (0)            */
    heft__knn_metric metric; /* dense inputs only; sparse is cosine (COSINE) */
} heft__knn_opts;

heft__knn_opts heft__knn_opts_default(void);
/* HEFT_EINVAL with a message when k < 1 or 0 < top_m < k. */
heft_status heft__knn_opts_check(const heft__knn_opts *o, heft_error *err);

/* Exact (or top_m-approximate) KNN-Shapley values of the training rows for
 * a K-nearest-neighbour classifier, averaged over the validation rows
 * (Jia et al. 2019). Similarity: cosine of the sparse rows. Labels are
 * compared for equality (any float values: binary, multi-class, grades).
 * out (n_train,) is caller-owned. Memory: an inverted index of the training
 * rows (8 bytes per nonzero) plus about 32 bytes per training row per
 * thread. Errors: HEFT_EEMPTY (no rows), HEFT_EINVAL (bad options, a label
 * or value that is not finite, a row_ptr that decreases), HEFT_ERANGE
 * (more than 2^32-1 training rows), HEFT_ENOMEM. */
heft_status heft__knn_shapley_sparse(const heft__rows *train,
                                     const float *train_label,
                                     const heft__rows *valid,
                                     const float *valid_label,
                                     const heft__knn_opts *o, int threads,
                                     double *out, heft_error *err);

/* The same on dense embeddings: train (n_train, d) and valid (n_valid, d)
 * row-major, with o->metric choosing Euclidean or cosine. */
heft_status heft__knn_shapley_dense(const float *train, uint64_t n_train,
                                    const float *train_label,
                                    const float *valid, uint64_t n_valid,
                                    const float *valid_label, uint32_t d,
                                    const heft__knn_opts *o, int threads,
                                    double *out, heft_error *err);

/* ---- confident learning (confident.c) ----------------------------------- */

/* The intermediate quantities of confident learning, for reports and tests.
 * Index [given][true], classes 0 and 1. */
typedef struct heft__cl_stats {
    double threshold[2];     /* t_j; +inf for a class with no rows        */
    uint64_t joint[2][2];    /* confident joint C[given][true]            */
    double calibrated[2][2]; /* n * Q[given][true]                        */
    uint64_t n_prune[2][2];  /* rows flagged per off-diagonal cell        */
    uint64_t n_issues;       /* rows flagged in all                       */
} heft__cl_stats;

/* Confident learning for binary labels (Northcutt et al. 2021), pruning by
 * noise rate. label (n,) holds 0 or 1, prob (n,) out-of-fold P(y=1|x) in
 * [0,1]. Writes issue (n,) = 1 for a likely label error, else 0, and
 * quality (n,) = self-confidence P(given label | x) (higher = cleaner).
 * Both outputs are caller-owned; quality and stats may be NULL. Errors:
 * HEFT_EEMPTY, HEFT_EINVAL (a label that is not 0/1, a probability outside
 * [0,1]), HEFT_ERANGE (more than 2^32-1 rows), HEFT_ENOMEM. */
heft_status heft__confident_binary(const float *label, const float *prob,
                                   uint64_t n, int threads, uint8_t *issue,
                                   double *quality, heft__cl_stats *stats,
                                   heft_error *err);

/* ---- exact duplicates (dup.c) ------------------------------------------- */

/* Groups rows whose (feature, value) multisets are equal, order of the
 * nonzeros ignored, -0 equal to +0. Writes, for each row, group (n,) = id of
 * its group (0, 1, ... in order of first appearance), size (n,) = rows in
 * its group (1 = unique), and conflict (n,) = 1 if its group holds two
 * different labels. label may be NULL (no conflicts then); any output may
 * be NULL if not wanted. *n_groups (may be NULL) receives the number of
 * groups. Errors: HEFT_EINVAL (NaN value or label, decreasing row_ptr),
 * HEFT_ERANGE (more than 2^32-1 rows), HEFT_ENOMEM. */
heft_status heft__dup_rows(const heft__rows *rows, const float *label,
                           int threads, uint32_t *group, uint32_t *size,
                           uint8_t *conflict, uint64_t *n_groups,
                           heft_error *err);

/* ---- helpers shared by the estimators (score_util.c) -------------------- */

/* Maps a float to a key whose unsigned order is the float order (-0 = +0).
 * Not for NaN. Inline: it runs once per training row per validation row. */
static inline uint32_t heft__score_fkey(float f)
{
    if (f == 0.0f)
        f = 0.0f; /* -0 and +0 compare equal, so they get one key */
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    /* Negative: flip all bits (larger magnitude sorts first); positive: set
     * the sign bit so they sort after every negative. */
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

/* Sorts a (n,) ascending, where a[i] = (uint64_t)key << 32 | index, by key
 * only; stable, so entries given in index order end up ordered by (key,
 * index). tmp (n,) is scratch. */
void heft__score_sort(uint64_t *a, uint64_t *tmp, size_t n);

/* The files heft_scores_write() puts beside PATH: PATH without a final
 * ".tsv" or ".npy", plus suffix (".json", ".groups.tsv"); malloc'ed,
 * NULL when out of memory. */
char *heft__scores_sibling(const char *path, const char *suffix);

#endif
