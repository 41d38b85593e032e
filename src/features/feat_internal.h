/*
 * feat_internal.h: the internal interface between the files of src/features.
 *
 *   features.c   options, the driver heft_features_compute(), ranking
 *   feat_count.c one pass over the rows: the value x label table of every
 *                field and the set of buckets each field uses
 *   feat_info.c  mutual information (plug-in, Miller-Madow, adjusted for
 *                chance) and the chi-square test from those tables
 *   feat_perm.c  parameter norms per field and permutation importance
 */
#ifndef HEFT_FEATURES_INT_H
#define HEFT_FEATURES_INT_H

#include "core.h"
#include "dataset.h"
#include "model.h"

struct heft_features {
    heft_features_info info;
    heft_feature_stat *st; /* (n_fields,) */
    char **names;          /* (n_fields,) owned */
};

/* ---- counting (feat_count.c) ------------------------------------------ */

/* A field's value x label table: one entry per distinct value seen (the
 * multiset of the field's buckets in a row, hashed; see feat_count.c),
 * with its row count per label. Rows without the field are not stored:
 * they are the counts of the field minus present[]. */
typedef struct heft__fvtab {
    uint64_t *key;   /* (cap,) 0 = empty slot                */
    uint64_t *n0;    /* (cap,) rows with label 0             */
    uint64_t *n1;    /* (cap,) rows with label > 0           */
    size_t cap, len;
    uint64_t present[2]; /* rows holding the field, per label */
} heft__fvtab;

/* The distinct buckets one field's rows use. */
typedef struct heft__bset {
    uint32_t *b;     /* (cap,) UINT32_MAX = empty slot */
    size_t cap, len;
} heft__bset;

/* Results of the counting pass for n_fields fields. */
typedef struct heft__fcount {
    unsigned n_fields;
    uint64_t rows, pos;
    heft__fvtab *tab;  /* (n_fields,) or NULL when not asked */
    heft__bset *bset;  /* (n_fields,) or NULL when not asked */
} heft__fcount;

/* One pass over ds: tables when want_tab, bucket sets when want_bset.
 * Fields are split across threads, so the result does not depend on the
 * thread count. Free with heft__fcount_free (also on a zeroed struct). */
heft_status heft__fcount_build(const heft_dataset *ds, int want_tab,
                               int want_bset, int threads, heft__fcount *out,
                               heft_error *err);
void heft__fcount_free(heft__fcount *c);

/* The key of one row's value of a field: an order-free hash of the
 * multiset of its buckets, never 0. k starts at 0 and takes
 * heft__fkey_add per occurrence; heft__fkey_end closes it. */
static inline uint64_t heft__fkey_add(uint64_t k, uint32_t bucket)
{
    return k + heft__mix64((uint64_t)bucket + 0x51ed27a3c0ffee01ULL);
}
static inline uint64_t heft__fkey_end(uint64_t k) { return k ? k : 1; }

/* ---- information and chi-square (feat_info.c) ------------------------ */

/* Fills mi, mi_mm, mi_adj, ami (nats), chi2, chi2_df, chi2_p and values of
 * st from field table t, with rows/pos the data's totals. */
heft_status heft__finfo(const heft__fvtab *t, uint64_t rows, uint64_t pos,
                        heft_feature_stat *st);

/* The same statistics from a plain K x 2 table of counts n[k][y] (no empty
 * rows), so the tests can check them on a table written by hand. */
void heft__finfo_table(const uint64_t (*n)[2], size_t k,
                       heft_feature_stat *st);

/* E[I(X;Y)] in nats for independent X and Y with the given marginals
 * under the hypergeometric model of Vinh et al. (2010): ax (kx,) and by
 * (ky,) are row counts summing to N. */
double heft__emi(const uint64_t *ax, size_t kx, const uint64_t *by,
                 size_t ky, uint64_t n);

/* Upper tail P(X >= x) of the chi-square distribution with df degrees of
 * freedom (the regularised upper incomplete gamma Q(df/2, x/2)). */
double heft__chi2_sf(double df, double x);

/* ---- model-based importance (feat_perm.c) ---------------------------- */

/* For every field of c (built with bucket sets): the L2 norm of m's
 * parameters of the field's buckets, the bucket count and the buckets
 * shared with another field. */
heft_status heft__fweight(const heft_model *m, const heft__fcount *c,
                          heft_feature_stat *st, heft_error *err);

/* The permutation of validation positions 0..n-1 used for field f and
 * repeat r: identity shuffled (heft__rng_shuffle_u64) by an rng seeded
 * with heft__seed_mix(seed, f * repeats + r). Position i takes the field's
 * values from position perm[i]. */
void heft__fperm_order(uint64_t seed, unsigned f, int r, int repeats,
                       uint64_t *perm, size_t n);

/* Permutation importance of every field of st (n_fields) on rows
 * rows[0..n) of v, with the model m: fills perm_* of st, and the
 * baseline AUC and log loss. */
heft_status heft__fperm(const heft_model *m, const heft_dataset *v,
                        const uint64_t *rows, size_t n, unsigned n_fields,
                        int repeats, uint64_t seed, int threads,
                        heft_feature_stat *st, double *base_auc,
                        double *base_logloss, heft_error *err);

#endif
