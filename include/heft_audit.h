/*
 * heft_audit.h: public API of the test-set audit (src/audit); included by heft.h,
 * whose types it uses.
 *
 * The audit answers "can this offline benchmark be trusted?" for a pair of
 * data sets read with the same options (the test set read with
 * heft_dataset_read_opts() of the training set, so features hash alike):
 *
 *     heft_audit_opts ao = heft_audit_opts_default();
 *     ao.pred = p;                  // optional: P(y=1) per test row
 *     heft_audit *au = NULL;
 *     if (heft_audit_run(train, test, &ao, &au, &err) != HEFT_OK) { ... }
 *     for (size_t i = 0; i < au->n_findings; i++)
 *         printf("%zu. %s: %s\n", i + 1, au->findings[i].title,
 *                au->findings[i].detail);
 *     heft_audit_free(au);
 *
 * What is measured (docs/audit.md gives every formula and its source):
 * - per-field drift: population stability index and Jensen-Shannon
 *   divergence between the train and test distributions of the field's
 *   tokens (categorical) or of train-quantile bins (numeric);
 * - label-rate shift with a two-proportion z-test;
 * - the share of test rows with a category never seen in training;
 * - group leakage (a group id on both sides) and duplicate leakage (a test
 *   row whose feature vector and label equal a training row's);
 * - with predictions: AUC with its DeLong 95% interval, the interval's
 *   width and the test rows needed for a target width, and metrics per
 *   segment of the test set.
 * Findings come ranked, most severe first, each with its numbers.
 */
#ifndef HEFT_AUDIT_H
#define HEFT_AUDIT_H

#include "heft.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct heft_audit_opts {
    int bins;            /* quantile bins of a numeric field (10)         */
    int top;             /* categorical: the most frequent train tokens
                            that get a bin of their own; the rest share
                            "other" (20)                                  */
    double smoothing;    /* pseudo-count added to every bin (0.5)         */
    /* P(y=1) of a model for every test row (test_rows,); NULL = no metric
     * checks (interval width, segments' AUC and logloss). Not retained. */
    const float *pred;
    double target_width; /* wanted width of AUC's 95% interval; 0 = none
                            (0.002, i.e. AUC +/- 0.001)                   */
    /* Segment key of every test row (test_rows,) (see
     * heft_audit_segment_keys); NULL = no segments. Not retained. */
    const uint64_t *segment;
    uint64_t min_segment_rows; /* segments smaller are not findings (100) */
} heft_audit_opts;

heft_audit_opts heft_audit_opts_default(void);
/* Checks ranges; HEFT_EINVAL with a message naming the field if wrong. */
heft_status heft_audit_opts_check(const heft_audit_opts *o, heft_error *err);

/* Drift and novelty of one field. Bins: the numeric field's quantile bins
 * of train plus "missing", or the categorical field's top tokens plus
 * "other", "unseen" and "missing". */
typedef struct heft_audit_field {
    unsigned field;           /* field id in the data set                */
    const char *name;         /* owned by the audit                      */
    int numeric;              /* 1: numeric value binned by quantiles    */
    int bins;                 /* bins compared                           */
    double psi, js;           /* population stability index; JS (bits)  */
    double psi_p;             /* p-value of psi under no drift          */
    double train_missing;     /* share of train rows without a value     */
    double test_missing;
    uint64_t unseen_rows;     /* test rows with a token of this field
                                 that no train row has (categorical)     */
    double unseen_share;      /* unseen_rows / test rows                 */
    double expected_unseen;   /* the same share expected without drift:
                                 train rows with a token that occurs once
                                 in train (leave-one-out, Good-Turing)   */
    double unseen_p;          /* two-proportion test of the two shares   */
} heft_audit_field;

typedef enum heft_audit_kind {
    HEFT_AUDIT_GROUP_LEAK = 0, /* groups present on both sides         */
    HEFT_AUDIT_DUP_LEAK,       /* test rows equal to a training row     */
    HEFT_AUDIT_LABEL_SHIFT,    /* label rate differs                    */
    HEFT_AUDIT_DRIFT,          /* a field's distribution moved          */
    HEFT_AUDIT_UNSEEN,         /* categories new in test                */
    HEFT_AUDIT_CI_WIDTH,       /* test set too small for target width   */
    HEFT_AUDIT_SEGMENT,        /* a segment's AUC far below the rest    */
    HEFT_AUDIT__KINDS
} heft_audit_kind;

/* "group_leak", "dup_leak", "label_shift", "drift", "unseen", "ci_width",
 * "segment". Static strings. */
const char *heft_audit_kind_name(heft_audit_kind k);

/* One finding. level: 3 high, 2 medium, 1 low. severity = level + the
 * finding's magnitude mapped into [0, 1) (docs/audit.md), so sorting by
 * severity sorts by level first. numbers[0..n_numbers) are the figures
 * behind it, named by keys[]. */
#define HEFT_AUDIT_MAX_NUMBERS 6
typedef struct heft_audit_finding {
    heft_audit_kind kind;
    int level;
    double severity;
    int field;                 /* field id, or -1                         */
    long segment;              /* index into heft_audit.segments, or -1  */
    char title[160];
    char detail[256];
    int n_numbers;
    const char *keys[HEFT_AUDIT_MAX_NUMBERS]; /* static strings          */
    double numbers[HEFT_AUDIT_MAX_NUMBERS];
} heft_audit_finding;

/* Metrics of the test rows that share one segment key. */
typedef struct heft_audit_segment {
    uint64_t key;
    uint64_t first_row;        /* lowest test row with this key           */
    uint64_t rows, positives;
    double auc, auc_se;        /* NAN without predictions or one class    */
    double logloss;            /* NAN without predictions                 */
} heft_audit_segment;

/* The audit's results; everything is owned by the audit and freed by
 * heft_audit_free(). Read-only for callers. */
typedef struct heft_audit {
    uint64_t train_rows, test_rows;
    size_t n_fields;
    heft_audit_field *fields;         /* (n_fields,) in field-id order   */
    /* Label rate (rows with label > 0), two-proportion z-test. */
    double train_rate, test_rate, label_z, label_p;
    /* Test rows with at least one unseen category (any field), and the
     * share expected without drift (leave-one-out on train). */
    uint64_t unseen_rows;
    double unseen_share, expected_unseen;
    /* Group leakage (has_groups: both sides have group ids). */
    int has_groups;
    uint64_t train_groups, test_groups, groups_shared;
    uint64_t group_rows;              /* test rows in a shared group     */
    double group_share;               /* group_rows / test_rows          */
    /* Duplicate leakage: test rows whose features equal a train row's;
     * dup_rows with the same label (> 0 or not), conflict_rows only with
     * the other label. */
    uint64_t dup_rows, conflict_rows;
    double dup_share;
    /* Metric interval (has_pred). width = 2 * 1.96 * auc_se; rows_needed
     * = test_rows * (width / target_width)^2, 0 without a target. */
    int has_pred;
    double auc, auc_se, auc_lo, auc_hi, auc_width;
    double logloss, logloss_lo, logloss_hi;
    double target_width, rows_needed;
    /* Segments, most rows first (ties by key). */
    size_t n_segments;
    heft_audit_segment *segments;
    /* Findings, most severe first. */
    size_t n_findings;
    heft_audit_finding *findings;
    /* Per test row (test_rows,): bit 0 = in a group shared with train,
     * bit 1 = duplicate of a training row (either label). */
    const uint8_t *test_leak;
} heft_audit;

/* Audits test against train. Both must have the same hash_bits and field
 * layout (read test with heft_dataset_read_opts() of train); pred and
 * segment (if given) have one entry per test row. *out owns the results;
 * free with heft_audit_free(). */
heft_status heft_audit_run(const heft_dataset *train, const heft_dataset *test,
                           const heft_audit_opts *o, heft_audit **out,
                           heft_error *err);
void heft_audit_free(heft_audit *a);

/* The id of the field named name in ds, or -1 if none. */
int heft_audit_find_field(const heft_dataset *ds, const char *name);

/* keys[i] (rows,) = a 64-bit key of row i's value(s) in field: equal
 * values give equal keys; a row without a value gets 0. For segmenting
 * the test set by a column. */
heft_status heft_audit_segment_keys(const heft_dataset *ds, unsigned field,
                                    uint64_t *keys, heft_error *err);

/* Chooses n rows of test for a new test set: no row that shares a group
 * with train or duplicates a training row (a->test_leak), whole groups
 * when test has groups (so no group is split), and label-stratified (the
 * pool's positive share, exactly without groups; groups are drawn in a
 * seeded random order and taken while they fit). With segment (test rows,
 * keys from heft_audit_segment_keys; NULL = none) the strata are
 * (segment, label) pairs, so every segment also keeps its share of the
 * pool (largest remainders). *rows (malloc'ed, ascending row ids, *n_rows
 * of them; the caller frees) may hold fewer than n only with groups.
 * HEFT_ERANGE if the clean pool has fewer than n rows. */
heft_status heft_audit_make_test(const heft_audit *a, const heft_dataset *test,
                                 const uint64_t *segment, size_t n,
                                 uint64_t seed, uint64_t **rows,
                                 size_t *n_rows, heft_error *err);

/* The statistics the audit uses, for callers and tests. */

/* Population stability index of train counts p_cnt and test counts q_cnt
 * over k bins, with pseudo-count alpha added to every bin:
 * sum_i (q_i - p_i) ln(q_i / p_i). */
double heft_audit_psi(const double *p_cnt, const double *q_cnt, size_t k,
                      double alpha);
/* Jensen-Shannon divergence in bits (0..1) of the same smoothed shares. */
double heft_audit_js(const double *p_cnt, const double *q_cnt, size_t k,
                     double alpha);
/* p-value of a PSI over bins bins between n train and m test rows drawn
 * from one distribution: P(chi2_{bins-1} > psi / (1/n + 1/m)) (Yurdakul
 * 2018). NAN when undefined. */
double heft_audit_psi_p(double psi, size_t bins, double n, double m);
/* Two-sided p-value of the pooled two-proportion z-test of x1/n1 against
 * x2/n2; *z (may be NULL) gets z. NAN when undefined. */
double heft_audit_two_prop(uint64_t x1, uint64_t n1, uint64_t x2,
                           uint64_t n2, double *z);
/* AUC (ties count half) of pred against label > 0 over n rows and its
 * DeLong standard error; NAN for both without both classes. */
heft_status heft_audit_delong(const float *label, const float *pred,
                              size_t n, double *auc, double *se,
                              heft_error *err);
/* Rows needed for a 95% interval of width target when n rows give width:
 * ceil(n * (width / target)^2). */
double heft_audit_rows_needed(double n, double width, double target);

#ifdef __cplusplus
}
#endif
#endif /* HEFT_AUDIT_H */
