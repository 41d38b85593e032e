/*
 * heft_bench.h: public API of the benchmark tasks of `heft bench` (src/bench); included by heft.h,
 * whose types it uses.
 *
 * The parts of the benchmarks worth having as a library, each with its
 * maths in docs/bench-tasks.md:
 *   - a paired Poisson bootstrap of test metrics over the test rows
 *     (heft_bench_resample), with percentile intervals and a paired test
 *     (heft_bench_interval, heft_bench_compare);
 *   - the pruning frontier: the smallest kept fraction whose AUC stays
 *     within a relative tolerance of the full data (heft_bench_frontier);
 *   - Spearman's rank correlation and the linear datamodeling score of Park
 *     et al. 2023 (heft_bench_spearman, heft_bench_lds);
 *   - retraining many models on subsets of one training set, in parallel,
 *     and predicting an evaluation set with each (heft_bench_retrain).
 *
 * A worked example: is keeping the 50% highest-valued rows better than
 * keeping a random 50%?
 *
 *     heft_bench_job jobs[2] = {{keep_top, n / 2, 1, seed, pa},
 *                               {keep_rnd, n / 2, 1, seed, pb}};
 *     heft_bench_retrain(train, test, &to, jobs, 2, 2, &err);
 *     heft_bench_boot_opts bo = heft_bench_boot_opts_default();
 *     double a[201], b[201];            // resamples + 1
 *     const float *sa[1] = {pa}, *sb[1] = {pb};
 *     heft_bench_resample(heft_dataset_labels(test), sa, 1, m,
 *                         HEFT_BENCH_AUC, &bo, a, &err);
 *     heft_bench_resample(heft_dataset_labels(test), sb, 1, m,
 *                         HEFT_BENCH_AUC, &bo, b, &err);
 *     heft_bench_paired d = heft_bench_compare(a, b, bo.resamples);
 *     // d.diff = AUC(top) - AUC(random), [d.lo, d.hi] its 95% interval,
 *     // d.p the two-sided p-value of "no difference".
 */
#ifndef HEFT_BENCH_H
#define HEFT_BENCH_H

#include "heft.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------- */
/* Paired bootstrap of test metrics                                        */
/* ---------------------------------------------------------------------- */

typedef enum heft_bench_metric {
    HEFT_BENCH_AUC = 0, /* ROC AUC, ties half; label > 0 is positive      */
    HEFT_BENCH_LOGLOSS, /* mean log loss, p clipped to [1e-15, 1 - 1e-15] */
    HEFT_BENCH_NE,      /* log loss / entropy of the (weighted) base rate */
    HEFT_BENCH_F1,      /* F1 of a soft flagged set: pred in [0, 1] is a
                           row's membership, label > 0 the truth:
                           2 sum m y / (sum m + sum y)                    */
} heft_bench_metric;

typedef struct heft_bench_boot_opts {
    int resamples;  /* B bootstrap resamples, >= 1 (200)                  */
    uint64_t seed;  /* which resamples; the same seed gives the same row
                       weights, which is what pairs two calls (1)         */
    int threads;    /* 0 = all cores (1)                                  */
    int resample_sets; /* also draw the n_sets prediction sets with
                          replacement in every resample (the training
                          seeds' spread enters the interval) (1)          */
} heft_bench_boot_opts;

heft_bench_boot_opts heft_bench_boot_opts_default(void);

/* The metric of n_sets prediction vectors pred[s] (n,) against label (n,)
 * on the test rows and on B Poisson-bootstrap resamples of them. Resample
 * b weights row i by w_bi ~ Poisson(1), drawn from a hash of (seed, b, i),
 * so two calls with the same seed and n resample the same rows: their
 * outputs are paired. The statistic is the mean over the sets of the
 * metric (the sets are, say, models retrained with different seeds); with
 * o->resample_sets, resample b averages over n_sets sets drawn with
 * replacement from a hash of (seed, b), the same draw in every call with
 * the same seed and n_sets, so the interval also covers the spread
 * between the sets and pairing still holds.
 * out (B + 1,): out[0] on the rows unweighted, out[1..B] per resample; an
 * entry is NAN where the metric is undefined (one class only). Errors:
 * HEFT_EINVAL for n_sets 0, B < 1 or n 0; HEFT_ENOMEM. */
heft_status heft_bench_resample(const float *label, const float *const *pred,
                                size_t n_sets, size_t n,
                                heft_bench_metric metric,
                                const heft_bench_boot_opts *o, double *out,
                                heft_error *err);

/* The weight heft_bench_resample gives row i in resample b (b >= 1) for
 * the given seed: a Poisson(1) draw (0, 1, 2, ...); 1 for b = 0. For
 * checking a resample by hand. */
double heft_bench_boot_weight(uint64_t seed, int b, uint64_t i);

/* The 95% percentile interval [*lo, *hi] of boot[1..B] (NAN entries left
 * out; NAN bounds when none is left). */
void heft_bench_interval(const double *boot, int resamples, double *lo,
                         double *hi);

/* A paired comparison of two statistics resampled with the same seed. */
typedef struct heft_bench_paired {
    double diff;   /* a[0] - b[0]                                        */
    double lo, hi; /* 95% percentile interval of a[b] - b[b]             */
    double p;      /* two-sided bootstrap p-value of "no difference":
                      min(1, 2 min(1 + #(d <= 0), 1 + #(d >= 0)) / (B + 1)) */
} heft_bench_paired;

/* Compares a and b (each B + 1 long, from heft_bench_resample with the
 * same options). Resamples where either is NAN are left out. */
heft_bench_paired heft_bench_compare(const double *a, const double *b,
                                     int resamples);

/* ---------------------------------------------------------------------- */
/* Pruning frontier                                                        */
/* ---------------------------------------------------------------------- */

/* auc (n,) holds the AUC at kept fractions in ascending order. Returns
 * the index j of the smallest fraction from which on the AUC stays within
 * a relative tolerance of the full data's: auc[i] >= full * (1 - tol) for
 * every i >= j. A NAN AUC never qualifies. Returns -1 when no fraction
 * does (including when the largest does not). */
int heft_bench_frontier(const double *auc, size_t n, double full,
                        double tol);

/* ---------------------------------------------------------------------- */
/* Rank correlation and the linear datamodeling score                      */
/* ---------------------------------------------------------------------- */

/* Spearman's rho of x and y (n,): the Pearson correlation of their ranks,
 * tied values sharing their mean rank. *out is NAN when n < 2 or either
 * is constant; NAN inputs are an error (HEFT_EINVAL). HEFT_ENOMEM. */
heft_status heft_bench_spearman(const double *x, const double *y, size_t n,
                                double *out, heft_error *err);

/* Draws subset s of a family of random subsets of n rows, each of exactly
 * round(frac * n) rows, uniformly without replacement, from a stream
 * seeded by (seed, s): member (n,) is set to 1 for the rows in it, 0 else.
 * HEFT_EINVAL unless 0 < frac < 1; HEFT_ENOMEM. */
heft_status heft_bench_subset(size_t n, double frac, uint64_t seed,
                              uint64_t s, uint8_t *member, heft_error *err);

/* The linear datamodeling score (Park et al., "TRAK: Attributing Model
 * Behavior at Scale", ICML 2023, Eq. 5) of values v (n,) (higher = more
 * valuable, so a subset of valuable rows has lower validation loss):
 * for m subsets given as member (m, n) 0/1 bytes, row-major, with actual
 * (m,) the change of validation loss of the model trained on subset j
 * (relative to any fixed reference), the predicted change is
 * -sum_{i in S_j} v_i and
 *     LDS = Spearman(predicted, actual).
 * out (resamples + 1,): out[0] the LDS, out[1..B] the LDS on bootstrap
 * resamples of the m subsets drawn from an RNG seeded seed (so two calls
 * with the same seed and m are paired: heft_bench_interval and
 * heft_bench_compare apply). NAN values count as 0. Errors as
 * heft_bench_spearman. */
heft_status heft_bench_lds(const float *v, size_t n, const uint8_t *member,
                           const double *actual, size_t m, int resamples,
                           uint64_t seed, double *out, heft_error *err);

/* ---------------------------------------------------------------------- */
/* Retraining                                                              */
/* ---------------------------------------------------------------------- */

/* A new dataset with rows[0..n) of ds in that order (rows may repeat), as
 * heft_dataset_subset() makes it (same schema and read options, so models
 * trained on it predict data read like ds), but with the labels label
 * (n,) (finite, >= 0; else HEFT_EINVAL). For planting label noise and
 * duplicates. *out is the caller's (heft_dataset_free). */
heft_status heft_bench_relabel(const heft_dataset *ds, const uint64_t *rows,
                               size_t n, const float *label,
                               heft_dataset **out, heft_error *err);

/* One model to train: on rows[0..n_rows) of the training set (all rows
 * when rows is NULL), with the training seed seed; its P(y=1) on every row
 * of the evaluation set goes to pred (caller-owned, one per evaluation
 * row). When 0 < neg_rate < 1 the rows hold a share neg_rate of the
 * negatives: the model is trained with heft_train_opts.neg_rate set to
 * it, so its predictions come recalibrated, q = p / (p + (1 - p) / W)
 * (heft_negsample_calibrate). */
typedef struct heft_bench_job {
    const uint64_t *rows;
    size_t n_rows;
    double neg_rate;
    uint64_t seed;
    float *pred;
} heft_bench_job;

/* Runs the jobs `threads` at a time (0 = all cores), each model trained
 * single-threaded with o (its seed replaced by the job's; no validation
 * set, so no early stopping; o's callbacks, checkpoints and log are not
 * used), then predicts eval. The job's rows are copied into a dataset of
 * their own while it trains. progress (may be NULL) is called from the
 * calling thread with the jobs done. On failure the first failing job's
 * error is returned (the other jobs' outputs are then unspecified). */
heft_status heft_bench_retrain(const heft_dataset *train,
                               const heft_dataset *eval,
                               const heft_train_opts *o,
                               heft_bench_job *jobs, size_t n_jobs,
                               int threads, heft_progress_fn progress,
                               void *progress_ud, heft_error *err);

#ifdef __cplusplus
}
#endif
#endif /* HEFT_BENCH_H */
