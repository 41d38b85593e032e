/*
 * heft.h: the public interface of libheft, which estimates the importance of
 * training samples for click-through, conversion and ranking models.
 *
 * A worked example: read a Criteo log, train logistic regression, evaluate.
 *
 *     heft_error err;
 *     heft_read_opts ro = heft_read_opts_default();
 *     heft_dataset *train = NULL, *test = NULL;
 *     if (heft_dataset_read("train.tsv", &ro, &train, &err) != HEFT_OK ||
 *         heft_dataset_read("test.tsv", &ro, &test, &err) != HEFT_OK) {
 *         fprintf(stderr, "%s:%llu:%u: %s\n", err.file,
 *                 (unsigned long long)err.line, err.column, err.msg);
 *         return 1;
 *     }
 *     heft_train_opts to = heft_train_opts_default(HEFT_MODEL_LR);
 *     heft_model *m = NULL;
 *     if (heft_train(train, NULL, &to, &m, &err) != HEFT_OK) { ... }
 *     float *p = malloc(heft_dataset_rows(test) * sizeof *p);
 *     heft_predict(m, test, p, 1, &err);
 *     heft_metrics mt;
 *     heft_eval_opts eo = heft_eval_opts_default();
 *     heft_evaluate(heft_dataset_labels(test), p, heft_dataset_weights(test),
 *                   heft_dataset_groups(test), heft_dataset_rows(test), &eo,
 *                   &mt, &err);
 *     printf("auc %.4f logloss %.4f\n", mt.auc.value, mt.logloss.value);
 *     free(p); heft_model_free(m); heft_dataset_free(train);
 *     heft_dataset_free(test);
 *
 * Conventions (see docs/ and the README's source tour):
 * - Every fallible function returns heft_status: HEFT_OK (0) or a negative
 *   code. Results go through out-parameters; on failure *out is left NULL.
 * - An optional heft_error* (may be NULL) receives a message and, for bad
 *   input, the file, 1-based line and 1-based column.
 * - The library never prints, exits or aborts on bad input and keeps no
 *   global state: seeds, thread counts and callbacks are passed in.
 * - Every *_free() accepts NULL.
 * - Files are written to a temporary name beside the target and renamed, so
 *   a failure never leaves a partial output and never clobbers the old file.
 */
#ifndef HEFT_H
#define HEFT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HEFT_VERSION_MAJOR 0
#define HEFT_VERSION_MINOR 1
#define HEFT_VERSION_PATCH 0
#define HEFT_VERSION_STRING "0.1.0"

/* Returns the library's version string, e.g. "0.1.0". */
const char *heft_version(void);

/* Which optional codecs this build has: 1 if gzip (zlib) resp. zstd input
 * is supported, 0 if not. */
int heft_has_gzip(void);
int heft_has_zstd(void);

/* ---------------------------------------------------------------------- */
/* Status codes and errors                                                */
/* ---------------------------------------------------------------------- */

/* X(name, value, message). One table yields the enum, heft_err_name() and
 * heft_strerror(). */
#define HEFT_ERRNO_MAP(X)                                                   \
    X(EINVAL, -1, "invalid argument")                                       \
    X(ENOMEM, -2, "out of memory")                                          \
    X(EIO, -3, "input/output error")                                        \
    X(EPARSE, -4, "malformed input")                                        \
    X(EFORMAT, -5, "unknown or unsupported format")                         \
    X(ECORRUPT, -6, "corrupted file (checksum mismatch)")                   \
    X(EVERSION, -7, "unsupported file version")                             \
    X(ETRUNC, -8, "truncated input")                                        \
    X(EEMPTY, -9, "no data")                                                \
    X(ENOTSUP, -10, "not supported by this build")                          \
    X(ERANGE, -11, "value out of range")                                    \
    X(ETOOLONG, -12, "line too long")                                       \
    X(ENOCOL, -13, "unknown column")

typedef enum heft_status {
    HEFT_OK = 0,
#define HEFT__ENUM(name, val, msg) HEFT_##name = val,
    HEFT_ERRNO_MAP(HEFT__ENUM)
#undef HEFT__ENUM
} heft_status;

/* "EPARSE" for HEFT_EPARSE; "OK" for 0; "UNKNOWN" otherwise. Static string. */
const char *heft_err_name(heft_status s);
/* Human message for a status code. Static string. */
const char *heft_strerror(heft_status s);

/* Details of a failure. file is empty and line/column are 0 when they do not
 * apply. msg is a full sentence without the location prefix. */
typedef struct heft_error {
    heft_status code;
    char file[512];
    uint64_t line;   /* 1-based line of the input, 0 when not applicable */
    uint32_t column; /* 1-based column (field number for delimited text,
                        byte for others; see docs), 0 when not applicable */
    char msg[512];
} heft_error;

/* Formats "FILE:LINE:COL: MSG" (parts that are absent are omitted) into buf.
 * Returns buf. */
char *heft_error_format(const heft_error *e, char *buf, size_t cap);

/* Progress callback: done and total in the same unit (rows or bytes; total
 * 0 when unknown). Called from the calling thread at most a few times per
 * second. */
typedef void (*heft_progress_fn)(void *ud, const char *what, uint64_t done,
                                 uint64_t total);
/* Log callback for informational lines (no trailing newline). */
typedef void (*heft_log_fn)(void *ud, const char *line);

/* ---------------------------------------------------------------------- */
/* Reading data                                                           */
/* ---------------------------------------------------------------------- */

typedef enum heft_format {
    HEFT_FMT_AUTO = 0,
    HEFT_FMT_CRITEO, /* label, 13 integer columns, 26 categorical, TAB */
    HEFT_FMT_AVAZU,  /* CSV with header: id, click, hour, ...           */
    HEFT_FMT_CSV,    /* CSV with header and a schema given by options   */
    HEFT_FMT_TSV,    /* TSV with header and a schema given by options   */
    HEFT_FMT_LIBSVM, /* label [qid:Q] idx:val ... (1-based indices)     */
    HEFT_FMT_LIBFM,  /* as libsvm but 0-based indices (libFM files)     */
    HEFT_FMT_LIBFFM, /* label field:idx:val ...                         */
    HEFT_FMT_HDS,    /* heft's binary dataset file (docs/hds.md)        */
    HEFT_FMT__COUNT
} heft_format;

/* "criteo", "avazu", ... ; "auto" for HEFT_FMT_AUTO. */
const char *heft_format_name(heft_format f);
/* Parses a format name; returns HEFT_EINVAL for an unknown name. */
heft_status heft_format_parse(const char *name, heft_format *out);

typedef enum heft_num_transform {
    HEFT_NUM_LOG = 0, /* v > 0: log1p(v); v <= 0: v (Criteo winners' habit) */
    HEFT_NUM_NONE,    /* keep the value as it is                            */
} heft_num_transform;

typedef struct heft_read_opts {
    heft_format format;              /* HEFT_FMT_AUTO: detected            */
    unsigned hash_bits;              /* 2^hash_bits buckets; 1..30 (20)    */
    heft_num_transform num_transform;/* HEFT_NUM_LOG                       */
    int num_buckets;                 /* 1: numeric values also yield a
                                        bucketized categorical token (1)  */
    /* Column roles for csv/tsv (names from the header; a list is
     * comma-separated). NULL = not given. For criteo/avazu/libsvm the
     * label and columns are fixed by the format and these are ignored,
     * except weight/group/time which avazu and csv honour. */
    const char *label_col;
    const char *weight_col;
    /* A sidecar weight file, for formats without a weight column (the
     * convention of XGBoost's DATA.weight and LIBLINEAR's -W file): plain
     * text (not compressed), one finite number >= 0 per data row, in row
     * order; blank lines only at the end; CRLF accepted. Applied as the
     * rows' weights, exactly as a weight column's would be. The line count
     * must equal the row count (with max_rows, lines past the last row
     * read are ignored). Not with weight_col, nor on an .hds input, nor
     * when bad rows were skipped (rows and lines would not pair up).
     * Errors name FILE:LINE:COL. Not recorded in the data set's read
     * options (heft_dataset_read_opts), so other files read with those
     * are unweighted. NULL = none. */
    const char *weight_file;
    const char *group_col;  /* query, user or session id                */
    const char *time_col;
    const char *position_col;
    const char *num_cols;   /* numeric feature columns                  */
    const char *cat_cols;   /* categorical feature columns              */
    const char *multi_cols; /* "COL:SEP,COL2:SEP" multi-valued columns  */
    const char *ignore_cols;
    uint64_t max_bad_rows;  /* skip up to this many bad rows (0)        */
    uint64_t max_rows;      /* stop after this many rows; 0 = all       */
    int threads;            /* parser threads; 0 = all cores (0)        */
    heft_progress_fn progress;
    void *progress_ud;
} heft_read_opts;

heft_read_opts heft_read_opts_default(void);
/* Checks ranges and combinations; HEFT_EINVAL with a message if wrong. */
heft_status heft_read_opts_check(const heft_read_opts *o, heft_error *err);

typedef struct heft_dataset heft_dataset;

/* Reads a file ("-" for stdin) in any supported format, gzip- or
 * zstd-compressed or not, into memory as CSR arrays. .hds files are
 * memory-mapped. On success *out owns everything; free it with
 * heft_dataset_free(). */
heft_status heft_dataset_read(const char *path, const heft_read_opts *o,
                              heft_dataset **out, heft_error *err);

/* As heft_dataset_read() but from a buffer of len bytes, which may be
 * compressed. name is used in error messages (may be NULL). The buffer is
 * not retained. */
heft_status heft_dataset_read_mem(const void *buf, size_t len,
                                  const char *name, const heft_read_opts *o,
                                  heft_dataset **out, heft_error *err);

/* Builds a dataset from plain CSR arrays, which are copied. feat[] are
 * bucket ids below 2^hash_bits; field may be NULL (all field 0); val may be
 * NULL (all 1); weight/group may be NULL. */
heft_status heft_dataset_from_csr(size_t n_rows, const uint64_t *row_ptr,
                                  const uint32_t *feat, const float *val,
                                  const uint16_t *field, const float *label,
                                  const float *weight, const uint64_t *group,
                                  unsigned hash_bits, heft_dataset **out,
                                  heft_error *err);

void heft_dataset_free(heft_dataset *ds);

/* Writes the dataset as an .hds file (docs/hds.md) via a temporary name. */
heft_status heft_dataset_save(const heft_dataset *ds, const char *path,
                              heft_error *err);

/* A new dataset with rows[0..n) of ds in that order (rows may repeat). */
heft_status heft_dataset_subset(const heft_dataset *ds, const uint64_t *rows,
                                size_t n, heft_dataset **out,
                                heft_error *err);

typedef struct heft_dataset_info {
    uint64_t rows;
    uint64_t nnz;
    uint64_t positives;     /* rows with label > 0                       */
    double weight_sum;
    unsigned hash_bits;
    unsigned n_fields;
    heft_format source_format;
    int graded;             /* labels take values beyond {0,1}         */
    int has_weight, has_group, has_time, has_position;
    uint64_t bad_rows;      /* rows skipped under max_bad_rows         */
} heft_dataset_info;

void heft_dataset_get_info(const heft_dataset *ds, heft_dataset_info *out);
size_t heft_dataset_rows(const heft_dataset *ds);
/* Arrays owned by ds, valid until heft_dataset_free(). Labels are 0/1 for
 * binary data and the grade for graded data. Weights/groups/times/positions
 * are NULL when the data has none. */
const float *heft_dataset_labels(const heft_dataset *ds);
const float *heft_dataset_weights(const heft_dataset *ds);
const uint64_t *heft_dataset_groups(const heft_dataset *ds);
const double *heft_dataset_times(const heft_dataset *ds);
/* 1-based input line of each row (for copying rows out in the source
 * format); NULL for data built from arrays. */
const uint64_t *heft_dataset_source_lines(const heft_dataset *ds);
/* The CSR arrays of ds (owned by ds): row_ptr (rows+1,), feat/val/field
 * (nnz,). For exporting hashed features to other tools. */
void heft_dataset_csr(const heft_dataset *ds, const uint64_t **row_ptr,
                      const uint32_t **feat, const float **val,
                      const uint16_t **field);
/* Name of field f ("I1", "C3", a CSV header name, "f0" ...). */
const char *heft_dataset_field_name(const heft_dataset *ds, unsigned f);

/* The i-th (i < 8) skipped bad row's error; HEFT_ERANGE past the last. */
heft_status heft_dataset_bad_row(const heft_dataset *ds, size_t i,
                                 heft_error *out);

/* The fully resolved read options that produced ds (every column's role
 * spelled out), with strings owned by ds: reading other data with them
 * maps columns and hashes features identically. */
void heft_dataset_read_opts(const heft_dataset *ds, heft_read_opts *out);

/* ---------------------------------------------------------------------- */
/* Models and training                                                    */
/* ---------------------------------------------------------------------- */

typedef enum heft_model_kind {
    HEFT_MODEL_LR = 0, /* logistic regression                  */
    HEFT_MODEL_FM,     /* factorization machine (Rendle 2010)  */
    HEFT_MODEL_MLP,    /* field embeddings + MLP               */
    HEFT_MODEL__COUNT
} heft_model_kind;

typedef enum heft_optim {
    HEFT_OPTIM_DEFAULT = 0, /* FTRL for lr, AdaGrad for fm and mlp */
    HEFT_OPTIM_FTRL,        /* FTRL-Proximal (McMahan et al. 2013) */
    HEFT_OPTIM_ADAGRAD,     /* AdaGrad (Duchi et al. 2011)         */
} heft_optim;

const char *heft_model_kind_name(heft_model_kind k);
heft_status heft_model_kind_parse(const char *name, heft_model_kind *out);

#define HEFT_MAX_HIDDEN 4

typedef struct heft_model heft_model;

typedef struct heft_train_opts {
    heft_model_kind model;      /* HEFT_MODEL_LR                         */
    heft_optim optim;           /* HEFT_OPTIM_DEFAULT                    */
    int epochs;                 /* 1..; (lr 3, fm 5, mlp 5)  0 = default */
    double lr;                  /* step size; 0 = per-model default      */
    double l1;                  /* L1 strength (FTRL only) (0)           */
    double l2;                  /* L2 strength (1e-6 per sample)         */
    double ftrl_beta;           /* FTRL beta (1.0)                       */
    int batch;                  /* minibatch rows for mlp (1 = pure SGD) */
    int factors;                /* FM factors k (8)                      */
    int embed_dim;              /* MLP embedding size per field (8)      */
    int hidden[HEFT_MAX_HIDDEN];/* MLP hidden sizes (64, 32)             */
    int n_hidden;               /* number of hidden layers (2)           */
    double init_std;            /* std of factor/embedding init (0.01)   */
    int patience;               /* early stopping on valid: stop after
                                   this many epochs without improvement;
                                   0 = no early stopping (2)             */
    int shuffle;                /* shuffle rows each epoch (1)           */
    uint64_t seed;              /* (1)                                   */
    /* Negative downsampling: the training data holds every positive but
     * only a share neg_rate (W, 0 < W <= 1) of the negatives (heft select
     * --negatives W). The model stores W, and heft_predict() returns the
     * calibrated q = p / (p + (1 - p) / W) (He et al. 2014); the loss
     * during training is on the data as given. 1: the rate the training
     * data records (an .hds written by heft select --negatives, or
     * heft_select_apply), else none (1)                                  */
    double neg_rate;
    int threads;                /* threads for prediction on valid;
                                   SGD itself is single-threaded (1)     */
    const char *checkpoint_dir; /* save model after each epoch; NULL     */
    /* Called after each epoch with the model as it is then (valid only
     * during the call; copy what you need). Estimators that follow the
     * training trajectory (TracIn, AUM, forgetting events) use it. A
     * non-zero return stops training with HEFT_EINVAL. NULL = none. */
    int (*on_epoch)(void *ud, int epoch, const heft_model *m);
    void *on_epoch_ud;
    heft_log_fn log;            /* per-epoch lines; NULL = silent        */
    void *log_ud;
    heft_progress_fn progress;
    void *progress_ud;
} heft_train_opts;

/* Defaults for model kind k (epochs, lr and so on differ per kind). */
heft_train_opts heft_train_opts_default(heft_model_kind k);
heft_status heft_train_opts_check(const heft_train_opts *o, heft_error *err);

/* Trains a model on train, using valid (may be NULL) for early stopping.
 * The model records train's read options so new data is read alike. */
heft_status heft_train(const heft_dataset *train, const heft_dataset *valid,
                       const heft_train_opts *o, heft_model **out,
                       heft_error *err);

void heft_model_free(heft_model *m);

/* Model file (docs/model-format.md): versioned, checksummed; written via a
 * temporary name and renamed. */
heft_status heft_model_save(const heft_model *m, const char *path,
                            heft_error *err);
heft_status heft_model_load(const char *path, heft_model **out,
                            heft_error *err);
heft_status heft_model_load_mem(const void *buf, size_t len, const char *name,
                                heft_model **out, heft_error *err);

heft_model_kind heft_model_get_kind(const heft_model *m);
size_t heft_model_num_params(const heft_model *m);
/* Epochs actually trained (early stopping may cut them short). */
int heft_model_epochs(const heft_model *m);
/* Read options recorded at training time (strings owned by m). */
void heft_model_read_opts(const heft_model *m, heft_read_opts *out);

/* Writes P(y=1|x) for every row of ds into out[0..rows). threads 0 = 1. */
heft_status heft_predict(const heft_model *m, const heft_dataset *ds,
                         float *out, int threads, heft_error *err);

/* ---------------------------------------------------------------------- */
/* Importance estimators: one value per training row per method           */
/* ---------------------------------------------------------------------- */

/* Every method's column has one direction: higher means more valuable to
 * the model, so noisy and harmful rows score low. Suspicion scores (loss,
 * self-influence, forgetting counts, ...) are negated; docs/estimators.md
 * gives each column's definition and paper. */
typedef struct heft_score_opts {
    const char *methods;     /* comma-separated names or "all" ("loss")    */
    heft_train_opts train;   /* how models are trained by the methods that
                                train (defaults of train.model)            */
    int el2n_runs;           /* el2n/grand: seeded runs R (3)              */
    int el2n_epochs;         /* el2n/grand: early epochs scored (1)        */
    int bags;                /* oob: bootstrap models B (32)               */
    int folds;               /* cl: K folds of out-of-fold probs (5)       */
    int knn_k;               /* knn: neighbours K (10)                     */
    int knn_approx;          /* knn: exact top-M per valid row, 0 = exact  */
    double damping;          /* influence: (H + damping I) (0.01 * rows)   */
    int cg_iters;            /* influence: conjugate-gradient steps (100)  */
    double cg_tol;           /* influence: relative residual (1e-6)        */
    int group_samples;       /* group: MSR Banzhaf subsets (64)            */
    uint64_t seed;           /* (1)                                        */
    int threads;             /* 0 = all cores (0)                          */
    /* Brought from outside (a production network, say): out-of-fold
     * P(y=1) per training row (n,) for cl/loss/confidence/margin, and row
     * embeddings (n, embed_dim) for knn (valid_embeddings (m, embed_dim)
     * for the validation rows). NULL = computed by heft. */
    const float *probs;
    const float *embeddings;
    const float *valid_embeddings;
    size_t embed_dim;
    /* The given model's own training trajectory: its checkpoints after
     * epochs 1..n_checkpoints in order (`heft train --checkpoints`), of
     * the model's kind and layout. aum, forget, tracin and selfinf then
     * use them instead of training a trajectory of their own; every
     * epoch's step is the nominal step of o->train. NULL = train one. */
    const heft_model *const *checkpoints;
    int n_checkpoints;
    heft_log_fn log;
    void *log_ud;
    heft_progress_fn progress;
    void *progress_ud;
} heft_score_opts;

heft_score_opts heft_score_opts_default(heft_model_kind k);
heft_status heft_score_opts_check(const heft_score_opts *o, heft_error *err);

/* Names of every method, in the order "all" runs them, as a static
 * comma-separated string. */
const char *heft_score_methods(void);

/* A table of scores: rows x columns of float, plus per-column names and
 * the seconds each method took. Group values (method "group") are a
 * separate table with one row per group. */
typedef struct heft_scores heft_scores;

/* Scores every row of train with each method of o->methods. valid (may be
 * NULL where no method needs it) is the validation set; model (may be NULL)
 * is a model already trained on train, else one is trained with o->train.
 * *out owns the table. */
heft_status heft_score(const heft_dataset *train, const heft_dataset *valid,
                       const heft_model *model, const heft_score_opts *o,
                       heft_scores **out, heft_error *err);
void heft_scores_free(heft_scores *s);
size_t heft_scores_rows(const heft_scores *s);
size_t heft_scores_cols(const heft_scores *s);
const char *heft_scores_name(const heft_scores *s, size_t col);
const float *heft_scores_col(const heft_scores *s, size_t col);
double heft_scores_seconds(const heft_scores *s, size_t col);
/* The group-value table of method "group" (NULL if not run): one row per
 * group; heft_scores_group_ids() gives each row's group id. */
const heft_scores *heft_scores_groups(const heft_scores *s);
const uint64_t *heft_scores_group_ids(const heft_scores *s);
/* Writes the table: PATH.tsv (row, label, one column per method, header)
 * or PATH.npy (float32 rows x methods) plus PATH.json naming the columns.
 * labels (rows,) may be NULL. Atomic (temporary + rename). */
heft_status heft_scores_write(const heft_scores *s, const float *labels,
                              const char *path, heft_error *err);

/* ---------------------------------------------------------------------- */
/* Evaluation                                                             */
/* ---------------------------------------------------------------------- */

typedef struct heft_eval_opts {
    double threshold; /* for precision/recall/F1 (0.5)                 */
    int ndcg_k;       /* NDCG@k (10)                                   */
    int ece_bins;     /* equal-width bins for ECE (10)                 */
    int bootstrap;    /* bootstrap resamples for 95% CIs; 0 = none (0) */
    uint64_t seed;    /* bootstrap seed (1)                            */
    int threads;      /* (1)                                           */
} heft_eval_opts;

heft_eval_opts heft_eval_opts_default(void);

/* A metric with an optional bootstrap interval (lo = hi = NAN without). */
typedef struct heft_ci {
    double value, lo, hi;
} heft_ci;

typedef struct heft_metrics {
    uint64_t rows;
    double weight_sum;
    double pos_rate;      /* weighted share of label > 0                 */
    heft_ci auc;          /* exact, ties count half; NAN if one class    */
    heft_ci logloss;      /* weighted mean                               */
    heft_ci ne;           /* logloss / entropy of the base rate          */
    heft_ci calibration;  /* sum(pred) / sum(label), weighted            */
    heft_ci ece;          /* expected calibration error                  */
    heft_ci gauc;         /* per-group AUC weighted by group impressions;
                             NAN without groups                          */
    uint64_t gauc_groups; /* groups that had both classes                */
    heft_ci ndcg;         /* mean NDCG@k over groups (graded labels)     */
    heft_ci mrr;          /* mean reciprocal rank of first relevant      */
    heft_ci precision, recall, f1; /* at opts.threshold                  */
} heft_metrics;

/* Computes every metric that the inputs allow. label: 0/1 or grades;
 * pred: probabilities in [0,1] (scores for ranking metrics); weight and
 * group may be NULL. */
heft_status heft_evaluate(const float *label, const float *pred,
                          const float *weight, const uint64_t *group,
                          size_t n, const heft_eval_opts *o,
                          heft_metrics *out, heft_error *err);

/* ---------------------------------------------------------------------- */
/* Splitting                                                              */
/* ---------------------------------------------------------------------- */

typedef enum heft_split_by {
    HEFT_SPLIT_RANDOM = 0, /* stratified by label                    */
    HEFT_SPLIT_TIME,       /* oldest rows train, newest test         */
    HEFT_SPLIT_GROUP,      /* no group in two parts                  */
} heft_split_by;

typedef struct heft_split_opts {
    heft_split_by by;
    double test;  /* fraction of rows for test (0.2)  */
    double valid; /* fraction for validation (0)      */
    uint64_t seed;
} heft_split_opts;

heft_split_opts heft_split_opts_default(void);

/* Assigns each row of ds to a part: part[i] = 0 train, 1 valid, 2 test.
 * part must hold heft_dataset_rows(ds) bytes. */
heft_status heft_split_assign(const heft_dataset *ds,
                              const heft_split_opts *o, uint8_t *part,
                              heft_error *err);

/* ---------------------------------------------------------------------- */
/* Synthetic e-commerce logs with planted defects (docs/gen.md)           */
/* ---------------------------------------------------------------------- */

typedef enum heft_gen_format {
    HEFT_GEN_TSV = 0, /* TSV with header; named columns            */
    HEFT_GEN_CRITEO,  /* Criteo layout: label, 13 ints, 26 cats    */
} heft_gen_format;

typedef struct heft_gen_opts {
    uint64_t rows;     /* (100000)                                  */
    uint64_t seed;     /* (1)                                       */
    double flip;       /* share of rows with flipped labels (0)     */
    double bots;       /* share of users that are bots (0)          */
    double dups;       /* share of rows that are duplicates (0)     */
    uint32_t users;    /* (100000)                                  */
    uint32_t items;    /* (50000)                                   */
    uint32_t queries;  /* (20000)                                   */
    heft_gen_format format;
    heft_progress_fn progress;
    void *progress_ud;
} heft_gen_opts;

heft_gen_opts heft_gen_opts_default(void);

/* Streams a generated log to path ("-" = stdout) and, when truth_path is
 * not NULL, one line per defective row "ROW\tKIND" (ROW 0-based data row,
 * KIND flip|bot|dup) to truth_path. Memory does not grow with rows. */
heft_status heft_gen(const char *path, const char *truth_path,
                     const heft_gen_opts *o, heft_error *err);

#ifdef __cplusplus
}
#endif

/* Acting on scores (issue 4): selection, benchmark tasks, the test-set
 * audit, feature importance and the HTML report. */
#include "heft_select.h"
#include "heft_bench.h"
#include "heft_audit.h"
#include "heft_features.h"
#include "heft_report.h"

#endif /* HEFT_H */
