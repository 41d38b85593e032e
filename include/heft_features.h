/*
 * heft_features.h: public API of feature (field) importance (src/features);
 * included by heft.h, whose types it uses.
 *
 * A field is one column of the input (a Criteo C14, a CSV header name, a
 * libsvm position): every nonzero of a row carries its field id. For each
 * field heft_features_compute() measures
 *   - mutual information between the field's value and the label (plug-in,
 *     Miller-Madow corrected and adjusted for chance), in nats or bits;
 *   - Pearson's chi-square statistic of the value x label table, its
 *     degrees of freedom and p-value;
 *   - a model-based importance: the L2 norm of the model parameters of the
 *     buckets the field's rows use (LR weights; FM weights and factor
 *     vectors; MLP embeddings);
 *   - permutation importance: the drop of validation AUC (and rise of log
 *     loss) when the field's values are permuted across validation rows,
 *     mean and standard deviation over seeded repeats.
 * docs/features.md gives the definitions, citations and caveats.
 *
 *     heft_features_opts fo = heft_features_opts_default();
 *     heft_features *fs = NULL;
 *     if (heft_features_compute(train, valid, model, &fo, &fs, &err) != 0)
 *         ...;
 *     size_t nf = heft_features_count(fs), order[nf];
 *     heft_features_rank(fs, HEFT_FEAT_PERMUTATION, order, &err);
 *     for (size_t i = 0; i < nf; i++) {
 *         const heft_feature_stat *st = heft_features_stat(fs, order[i]);
 *         printf("%s %.4f %.4f\n", st->name, st->perm_auc, st->mi);
 *     }
 *     heft_features_free(fs);
 */
#ifndef HEFT_FEATURES_H
#define HEFT_FEATURES_H

#include "heft.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What to compute (bits of heft_features_opts.what). MI and chi-square
 * share one counting pass; weight norms and permutation importance need a
 * model (given, or trained on the data). */
#define HEFT_FEAT_MI 1u          /* mutual information                  */
#define HEFT_FEAT_CHI2 2u        /* chi-square test                     */
#define HEFT_FEAT_WEIGHT 4u      /* parameter norm per field            */
#define HEFT_FEAT_PERM 8u        /* permutation importance              */
#define HEFT_FEAT_ALL 15u

/* Ranking keys: each sorts fields by one column, largest first. */
typedef enum heft_feat_key {
    HEFT_FEAT_KEY_PERMUTATION = 0, /* mean validation AUC drop          */
    HEFT_FEAT_KEY_PERM_LOGLOSS,    /* mean validation log-loss rise     */
    HEFT_FEAT_KEY_MI,              /* plug-in mutual information        */
    HEFT_FEAT_KEY_MI_ADJ,          /* MI minus its expectation by chance */
    HEFT_FEAT_KEY_CHI2,            /* chi-square statistic              */
    HEFT_FEAT_KEY_WEIGHT,          /* parameter norm                    */
    HEFT_FEAT_KEY__COUNT
} heft_feat_key;

/* "permutation", "perm_logloss", "mi", "mi_adj", "chi2", "weight". */
const char *heft_feat_key_name(heft_feat_key k);
/* Parses a key name; HEFT_EINVAL for an unknown one. */
heft_status heft_feat_key_parse(const char *name, heft_feat_key *out);

typedef struct heft_features_opts {
    unsigned what;           /* HEFT_FEAT_* bits (HEFT_FEAT_ALL)          */
    int bits;                /* 1: information in bits, 0: nats (0)       */
    int repeats;             /* permutation repeats R, 1.. (5)            */
    uint64_t max_valid_rows; /* permute on a seeded random subset of at
                                most this many validation rows; 0 = all
                                (100000)                                  */
    double holdout;          /* when valid is NULL: share of the data held
                                out (stratified) as validation, in (0,1);
                                the model is trained on the rest (0.2)    */
    heft_train_opts train;   /* the model trained when none is given
                                (heft_train_opts_default(HEFT_MODEL_LR))  */
    uint64_t seed;           /* subset, hold-out and permutations (1)     */
    int threads;             /* 0 = all cores (0)                         */
    heft_log_fn log;         /* one line per step; NULL = silent          */
    void *log_ud;
} heft_features_opts;

heft_features_opts heft_features_opts_default(void);
/* Checks ranges; HEFT_EINVAL with a readable message if wrong. */
heft_status heft_features_opts_check(const heft_features_opts *o,
                                     heft_error *err);

/* One field's results. Statistics that were not computed are NAN (counts
 * 0). Information is in the unit of heft_features_info.bits. */
typedef struct heft_feature_stat {
    unsigned field;          /* field id                                  */
    const char *name;        /* field name (owned by the result)          */
    uint64_t rows;           /* rows of data where the field is present   */
    uint64_t values;         /* distinct values, "absent" counting as one
                                when some row lacks the field             */
    double mi;               /* plug-in I(X;Y)                            */
    double mi_mm;            /* Miller-Madow corrected I(X;Y)             */
    double mi_adj;           /* I(X;Y) - E[I] under random labels         */
    double ami;              /* adjusted MI (Vinh et al. 2010), <= 1      */
    double chi2, chi2_df, chi2_p;
    double weight_norm;      /* L2 norm of the field's buckets' params    */
    uint64_t weight_buckets; /* distinct buckets the field's rows use     */
    uint64_t weight_shared;  /* of those, buckets another field uses too  */
    double perm_auc;         /* mean AUC drop (base - permuted)           */
    double perm_auc_sd;      /* sample sd over repeats (NAN for R = 1)    */
    double perm_logloss;     /* mean log-loss rise (permuted - base)      */
    double perm_logloss_sd;
} heft_feature_stat;

/* What a run used: sizes, the model, the baseline of permutation. */
typedef struct heft_features_info {
    uint64_t rows, positives; /* of data (labels > 0 count as positive) */
    unsigned n_fields;
    unsigned what;            /* what was computed (HEFT_FEAT_* bits)    */
    int bits;                 /* information unit: 1 bits, 0 nats        */
    int model_trained;        /* 1: the model was trained on the data    */
    heft_model_kind model_kind;
    uint64_t train_rows;      /* rows the trained model saw (0: given)   */
    int valid_heldout;        /* 1: validation held out of data          */
    uint64_t valid_rows;      /* validation rows permuted on             */
    int repeats;
    double base_auc, base_logloss; /* on those rows, unpermuted         */
} heft_features_info;

typedef struct heft_features heft_features;

/* Computes the importance of every field of data (labels: > 0 positive).
 * MI and chi-square count data's rows (unweighted). The model: model when
 * not NULL (it must have been trained on data hashed alike; weight norms
 * use the buckets data's rows use), else one is trained with o->train on
 * data, or on data minus a held-out share when valid is NULL.
 * Permutation importance runs on valid when given (hashed like data), else
 * on that held-out share; with a given model and no valid the held-out
 * rows may be rows the model saw (heft_features_info says so). Sample
 * weights of the validation rows weight AUC and log loss. Deterministic
 * for a seed, whatever the thread count. *out owns everything; free it
 * with heft_features_free(). */
heft_status heft_features_compute(const heft_dataset *data,
                                  const heft_dataset *valid,
                                  const heft_model *model,
                                  const heft_features_opts *o,
                                  heft_features **out, heft_error *err);
void heft_features_free(heft_features *fs);

/* Number of fields (= heft_dataset_info.n_fields of data). */
size_t heft_features_count(const heft_features *fs);
/* Field f's results (f < count), owned by fs. */
const heft_feature_stat *heft_features_stat(const heft_features *fs,
                                            size_t f);
void heft_features_get_info(const heft_features *fs,
                            heft_features_info *out);
/* Writes the field ids into order[0..count) by key, largest first (NAN
 * last, ties by field id). HEFT_EINVAL when the key was not computed. */
heft_status heft_features_rank(const heft_features *fs, heft_feat_key key,
                               size_t *order, heft_error *err);

#ifdef __cplusplus
}
#endif
#endif /* HEFT_FEATURES_H */
