/*
 * heft_select.h: public API of selection, reweighting and negative downsampling (src/select); included by heft.h,
 * whose types it uses.
 *
 * A worked example: keep the 60% most valuable rows by the "loss" column
 * of a score file, every label keeping its share, and write them as .hds.
 *
 *     heft_score_file *sf = NULL;
 *     heft_selection *sel = NULL;
 *     heft_dataset *kept = NULL;
 *     if (heft_score_file_read("scores.tsv", &sf, &err) != HEFT_OK) ...
 *     const float *s = heft_score_file_col(sf, "loss");   // NULL: no column
 *     heft_select_opts so = heft_select_opts_default();
 *     so.mode = HEFT_SELECT_KEEP;
 *     so.fraction = 0.6;
 *     so.stratify = HEFT_STRATIFY_LABEL;
 *     if (heft_select(heft_dataset_labels(ds), heft_dataset_groups(ds),
 *                     heft_dataset_rows(ds), s, &so, &sel, &err) != HEFT_OK ||
 *         heft_select_apply(ds, sel, &kept, &err) != HEFT_OK) ...
 *     heft_dataset_save(kept, "kept.hds", &err);
 *     heft_dataset_free(kept); heft_selection_free(sel);
 *     heft_score_file_free(sf);
 *
 * One call of heft_select() runs three steps, each optional:
 *   1. drop the rows of o->drop (e.g. from heft_select_flag()),
 *   2. choose among the rest by o->mode (keep/drop a share by score, a
 *      threshold, importance sampling, negative downsampling, uniform
 *      random), stratified by label and/or group when asked,
 *   3. with o->reweight, multiply the weights of the chosen rows by
 *      weights from their scores, normalised to mean 1 and clipped.
 * docs/select.md gives the maths of every mode.
 */
#ifndef HEFT_SELECT_H
#define HEFT_SELECT_H

#include "heft.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Calibration after negative downsampling (He et al., "Practical Lessons
 * from Predicting Clicks on Ads at Facebook", ADKDD 2014, Section 6.2):
 * a model trained on every positive and a share w (0 < w <= 1) of the
 * negatives predicts p; the probability on the full distribution is
 * q = p / (p + (1 - p) / w). w = 1 returns p unchanged. */
double heft_negsample_calibrate(double p, double w);

/* The W a model was trained with (heft_train_opts.neg_rate; 1 = none):
 * heft_predict() returns heft_negsample_calibrate(p, W) of the model's raw
 * probability p. Stored in the model file (version 2). */
double heft_model_neg_rate(const heft_model *m);

/* ---- score files written by `heft score` --------------------------------- */

/* A score table read back from a file of heft_scores_write(): PATH.tsv
 * (header "row\tlabel\tCOL...", label optional) or PATH.npy with its
 * PATH.json sidecar naming the columns; plus, when STEM.groups.tsv exists
 * beside it, the group table of method "group". All arrays are owned by
 * the struct; read only. */
typedef struct heft_score_file {
    size_t rows, cols;
    char **names;          /* (cols,) column names, without row/label   */
    float **col;           /* (cols,) each (rows,)                       */
    float *label;          /* (rows,) or NULL when the file has none    */
    size_t n_groups;       /* rows of STEM.groups.tsv, 0 if absent      */
    uint64_t *group_ids;   /* (n_groups,) or NULL                        */
    float *group_values;   /* (n_groups,) or NULL                        */
    char *path;            /* the path as given                         */
} heft_score_file;

/* Reads a score file. Every value must be a finite number; a bad value or
 * line is an error naming the file, line and column. On success *out owns
 * everything; free it with heft_score_file_free(). */
heft_status heft_score_file_read(const char *path, heft_score_file **out,
                                 heft_error *err);
void heft_score_file_free(heft_score_file *f);
/* The column named name, or NULL if the file has none. */
const float *heft_score_file_col(const heft_score_file *f, const char *name);

/* ---- selection ----------------------------------------------------------- */

typedef enum heft_select_mode {
    HEFT_SELECT_ALL = 0,    /* keep every row (after o->drop)             */
    HEFT_SELECT_KEEP,       /* keep the share o->fraction scoring highest */
    HEFT_SELECT_DROP,       /* drop the share o->fraction scoring lowest  */
    HEFT_SELECT_THRESHOLD,  /* keep rows with score >= o->threshold      */
    HEFT_SELECT_IMPORTANCE, /* keep row i with probability p_i ~ score,
                               expected share o->fraction, weight 1/p_i  */
    HEFT_SELECT_NEGATIVES,  /* every positive and a share o->neg_rate of
                               the negatives, uniformly at random        */
    HEFT_SELECT_RANDOM,     /* a share o->fraction uniformly at random    */
    HEFT_SELECT__COUNT
} heft_select_mode;

/* "all", "keep", "drop", "threshold", "importance", "negatives",
 * "random"; "unknown" otherwise. Static string. */
const char *heft_select_mode_name(heft_select_mode m);

/* Bits of heft_select_opts.stratify. */
enum {
    HEFT_STRATIFY_LABEL = 1, /* each label (0 / >0) keeps its share       */
    HEFT_STRATIFY_GROUP = 2  /* each group (query, user) keeps its share  */
};

typedef struct heft_select_opts {
    heft_select_mode mode;  /* (HEFT_SELECT_ALL)                          */
    double fraction;        /* keep, drop, importance, random: (0.5)      */
    double threshold;       /* threshold: the lowest score kept (0)       */
    double neg_rate;        /* negatives: share W of negatives, (0,1] (0.1) */
    int stratify;           /* HEFT_STRATIFY_* bits; keep, drop,
                               importance, negatives, random (0)         */
    double floor;           /* importance: p_i >= floor * fraction, in
                               (0, 1] (0.1)                              */
    int reweight;           /* 1: weights from scores (0)                 */
    double weight_min;      /* reweight: clip range of the weights        */
    double weight_max;      /*   (0.1, 10); weight_min <= 1 <= weight_max */
    const uint8_t *drop;    /* (n,) non-zero = remove first; NULL = none  */
    uint64_t seed;          /* importance, negatives, random (1)          */
} heft_select_opts;

heft_select_opts heft_select_opts_default(void);
/* Checks ranges and combinations (a score is needed by every mode except
 * all, negatives and random, and by reweight); HEFT_EINVAL with a message
 * if wrong. has_score: whether a score array will be passed. */
heft_status heft_select_opts_check(const heft_select_opts *o, int has_score,
                                   heft_error *err);

/* The chosen rows. rows ascending, each once; weight[k] is the factor
 * that multiplies row rows[k]'s own weight (1 unless importance sampling
 * or reweight); neg_rate is the W to store in a model trained on them
 * (o->neg_rate's realised value kept/negatives in negatives mode, else
 * 1). */
typedef struct heft_selection {
    size_t n;               /* rows kept                                  */
    uint64_t *rows;         /* (n,) ascending row numbers                 */
    float *weight;          /* (n,) selection weights                     */
    double neg_rate;        /* W for heft_train_opts.neg_rate             */
    size_t n_in;            /* rows given                                 */
    size_t n_dropped;       /* rows removed by o->drop                    */
    int all_weights_one;    /* 1 when every weight[k] == 1                */
} heft_selection;

/* Chooses rows of a data set of n rows. label (n,) is required (a row is
 * positive when label > 0); group (n,) may be NULL (then
 * HEFT_STRATIFY_GROUP is an error); score (n,) may be NULL where o allows
 * it. Ties in score are broken by row number (lower first), so the result
 * depends only on the inputs and o->seed. Scores must be finite. *out owns
 * the selection; free it with heft_selection_free(). */
heft_status heft_select(const float *label, const uint64_t *group, size_t n,
                        const float *score, const heft_select_opts *o,
                        heft_selection **out, heft_error *err);
void heft_selection_free(heft_selection *s);

/* A new dataset with the rows of sel in order, each weight the product of
 * the row's own weight (1 if none) and sel->weight; it has a weight column
 * when ds has one or a selection weight differs from 1. The schema (field
 * names, hashing) is ds's, so models trained on it read ds's test data.
 * sel must come from heft_select() on ds's rows (sel->n_in == rows). */
heft_status heft_select_apply(const heft_dataset *ds,
                              const heft_selection *sel, heft_dataset **out,
                              heft_error *err);

/* ---- rows flagged by the estimators --------------------------------------- */

/* How many rows each rule of heft_select_flag() marked (a row may be
 * marked by several). */
typedef struct heft_flag_counts {
    size_t cl;              /* cl_ok == 0: confident learning label issue */
    size_t dup_conflict;    /* dup < 0: duplicate with conflicting labels */
    size_t group_negative;  /* the row's group is valued below zero       */
    size_t total;           /* rows marked by any rule                    */
} heft_flag_counts;

/* Marks drop[i] = 1 for every row of a score file that confident
 * learning flagged (column cl_ok == 0), that is a duplicate with a
 * conflicting label (column dup < 0), or whose group is valued below zero
 * (column "group" < 0, or, without it, the group table looked up by
 * group (n,), which may then not be NULL), else drop[i] = 0. The rules
 * apply where sf has the columns; a file with none of them is HEFT_EINVAL
 * naming the columns it needs. n must equal sf->rows. counts may be
 * NULL. */
heft_status heft_select_flag(const heft_score_file *sf, const uint64_t *group,
                             size_t n, uint8_t *drop,
                             heft_flag_counts *counts, heft_error *err);

#ifdef __cplusplus
}
#endif
#endif /* HEFT_SELECT_H */
