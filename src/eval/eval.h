/*
 * eval.h: internal interface between the files of src/eval.
 *
 * heft_evaluate() (eval.c) sorts the rows once by prediction
 * (eval_rows.c) and, when groups are given, once by (group, prediction)
 * (eval_groups.c). Every metric is then a sum over the sorted rows or over
 * per-group statistics, with a multiplicity per row or group: 1 for the
 * point estimate, a Poisson(1) draw for a bootstrap resample. So a
 * resample costs one O(n) sweep and never a sort (docs/metrics.md).
 */
#ifndef HEFT_EVAL_H
#define HEFT_EVAL_H

#include "core.h"

/* ---- sorting (eval_sort.c) ---------------------------------------------- */

/* A sort key and the row it belongs to. */
typedef struct heft__kv {
    uint64_t key;
    uint64_t idx;
} heft__kv;

/* Stable LSD radix sort of a[0..n) by key, ascending, with tmp[0..n) as
 * scratch. Byte positions on which every key agrees cost nothing, so
 * 32-bit keys take four passes. */
void heft__kv_sort(heft__kv *a, heft__kv *tmp, size_t n);

/* An unsigned key that orders finite floats as < does; -0 and +0 map to
 * the same key. f must not be NaN. */
uint32_t heft__float_key(float f);

/* ---- Poisson(1) multiplicities (eval_sort.c) --------------------------- */

#define HEFT__POIS_K 24

/* cdf[k] = P(X <= k) for X ~ Poisson(1); past k = 23 the tail is below
 * 2^-64, far under the resolution of a uniform double. */
typedef struct heft__pois {
    double cdf[HEFT__POIS_K];
} heft__pois;

void heft__pois_init(heft__pois *p);

/* One draw of Poisson(1) by inversion. The first five comparisons are
 * summed without branches (the draw is random, so branches would be
 * mispredicted); only 0.4% of draws (X >= 5) take the loop. */
static inline uint32_t heft__pois_draw(const heft__pois *p, heft__rng *r)
{
    const double u = heft__rng_uniform(r);
    uint32_t k = (uint32_t)(u >= p->cdf[0]) + (uint32_t)(u >= p->cdf[1]) +
                 (uint32_t)(u >= p->cdf[2]) + (uint32_t)(u >= p->cdf[3]) +
                 (uint32_t)(u >= p->cdf[4]);
    if (HEFT__UNLIKELY(k == 5))
        while (k < HEFT__POIS_K - 1 && u >= p->cdf[k])
            k++;
    return k;
}

/* ---- the metrics, as one vector -------------------------------------- */

enum {
    HEFT__M_AUC,
    HEFT__M_LOGLOSS,
    HEFT__M_NE,
    HEFT__M_CAL,
    HEFT__M_ECE,
    HEFT__M_PREC,
    HEFT__M_REC,
    HEFT__M_F1,
    HEFT__M_GAUC,
    HEFT__M_NDCG,
    HEFT__M_MRR,
    HEFT__M_COUNT
};

/* ---- row metrics (eval_rows.c) ---------------------------------------- */

/* The rows in ascending order of prediction (ties in input order), with
 * what every sweep needs precomputed. Shapes are (n,) unless noted. */
typedef struct heft__eval_rows {
    size_t n;
    float *p;         /* predictions, ascending; -0 stored as +0        */
    float *w;         /* weights (1 when the input has none)             */
    uint8_t *y;       /* 1 when label > 0                                */
    double *ll;       /* log loss of the row per unit weight, clipped    */
    size_t *bin_end;  /* (bins,) one past the last sorted row of bin b   */
    int bins;
    size_t thr_pos;   /* first sorted row with p >= threshold (n: none)  */
} heft__eval_rows;

/* Builds r from validated inputs (weight may be NULL), using a and tmp
 * (n entries each) as sort scratch. On failure r holds nothing to free
 * and the status is HEFT_ENOMEM. Free with heft__eval_rows_free(). */
heft_status heft__eval_rows_build(const float *label, const float *pred,
                                  const float *weight, size_t n,
                                  double threshold, int bins, heft__kv *a,
                                  heft__kv *tmp, heft__eval_rows *r);
void heft__eval_rows_free(heft__eval_rows *r);

/* Weighted sums of one sweep; every weight is w_i * m_i. */
typedef struct heft__row_sums {
    double w, wpos, wp, wll; /* sum w, sum w y, sum w p, sum w logloss */
    double auc;              /* sum over pos-neg pairs, ties half       */
    double ece;              /* sum over bins of |sum w (p - y)|        */
    double tp, fp;           /* predicted positive (p >= threshold)     */
} heft__row_sums;

/* One sweep over r. rng NULL: every multiplicity m_i is 1 (the point
 * estimate); otherwise m_i ~ Poisson(1) drawn from rng in sorted order. */
void heft__eval_rows_sweep(const heft__eval_rows *r, const heft__pois *pois,
                           heft__rng *rng, heft__row_sums *s);
/* Writes the row metrics (AUC ... F1) of s into v[HEFT__M_*]. */
void heft__eval_row_values(const heft__row_sums *s, double *v);

/* ---- group metrics (eval_groups.c) ------------------------------------ */

/* One entry per distinct group id, in ascending id order. Shapes (g,). */
typedef struct heft__eval_groups {
    size_t g;
    double *imp;  /* impressions: sum of weights in the group         */
    double *qw;   /* query weight: mean weight in the group           */
    double *auc;  /* weighted AUC in the group; NAN without two classes */
    double *ndcg; /* NDCG@k; NAN when no row has label > 0            */
    double *rr;   /* reciprocal rank of the first label > 0; NAN alike */
} heft__eval_groups;

/* Builds the per-group statistics from validated inputs, using a and tmp
 * (n entries each) as sort scratch. HEFT_ENOMEM on failure (nothing to
 * free). Free with heft__eval_groups_free(). */
heft_status heft__eval_groups_build(const float *label, const float *pred,
                                    const float *weight,
                                    const uint64_t *group, size_t n,
                                    int ndcg_k, heft__kv *a, heft__kv *tmp,
                                    heft__eval_groups *g);
void heft__eval_groups_free(heft__eval_groups *g);

typedef struct heft__group_sums {
    double gauc_num, gauc_den; /* sum m imp auc, sum m imp (two classes) */
    double ndcg_num, rr_num;   /* sum m qw ndcg, sum m qw rr            */
    double rank_den;           /* sum m qw over groups with a relevant  */
    uint64_t gauc_groups;      /* groups with two classes and m > 0     */
} heft__group_sums;

/* One sweep over the groups; rng as in heft__eval_rows_sweep(), with one
 * Poisson(1) multiplicity per group. */
void heft__eval_groups_sweep(const heft__eval_groups *g,
                             const heft__pois *pois, heft__rng *rng,
                             heft__group_sums *s);
/* Writes GAUC, NDCG and MRR of s into v[HEFT__M_*]. */
void heft__eval_group_values(const heft__group_sums *s, double *v);

#endif
