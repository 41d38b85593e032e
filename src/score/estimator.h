/*
 * estimator.h: the one interface every importance estimator implements.
 * Each method lives in its own file (est_<name>.c) and is one entry in
 * heft__estimators[] (registry.c), so a new method is one new file plus one
 * table entry. Estimators reach models only through src/model/model.h.
 *
 * Direction: every column is "higher = more valuable to the model".
 */
#ifndef HEFT_ESTIMATOR_H
#define HEFT_ESTIMATOR_H

#include "dataset.h"
#include "model.h"
#include "score.h"

/* The training trajectory: the model after each epoch of one training run
 * on the whole training set with the score options' train settings (the
 * run that also yields the final model when none was given), or the given
 * model's own checkpoints (heft_score_opts.checkpoints). Shared by aum,
 * forget, tracin, selfinf; built on first use. */
typedef struct heft__trajectory {
    int n_epochs;
    heft_model **epoch_models; /* (n_epochs) owned snapshots */
    double *step;              /* (n_epochs) nominal step size per epoch */
    int borrowed;              /* 1: epoch_models are the caller's      */
} heft__trajectory;

typedef struct heft__score_ctx {
    const heft_dataset *train;
    const heft_dataset *valid;   /* NULL when not given */
    const heft_model *model;     /* final model on train (given or trained) */
    const heft_score_opts *o;
    int threads;                 /* resolved thread count */
    heft__trajectory *traj;      /* NULL until heft__score_trajectory() */
    heft_model **early;          /* (n_early) el2n/grand's runs, or NULL
                                    until first used (est_el2n.c)      */
    int n_early;
    float *final_prob;           /* (n) P(y=1) of model on train, or NULL */
    /* Group table output of the "group" method. */
    uint64_t n_groups;
    uint64_t *group_ids;         /* (n_groups) */
    float *group_values;         /* (n_groups) */
} heft__score_ctx;

/* Trains once with per-epoch snapshots (cached in ctx). */
heft_status heft__score_trajectory(heft__score_ctx *c,
                                   const heft__trajectory **out,
                                   heft_error *err);
/* Frees the el2n/grand runs cached in c (c->early), if any. */
void heft__score_early_free(heft__score_ctx *c);
/* P(y=1) of the final model on every training row (cached in ctx); with
 * o->probs given, those are returned instead. */
heft_status heft__score_final_prob(heft__score_ctx *c, const float **out,
                                   heft_error *err);

typedef struct heft__estimator {
    const char *name;        /* method name in --methods                  */
    const char *columns;     /* comma-separated output columns            */
    const char *summary;     /* one line for `heft help score`            */
    int needs_valid;         /* 1: fails without a validation set         */
    /* Fills cols[k][0..n) for each of the method's columns (arrays are
     * allocated by the caller, n = train rows). */
    heft_status (*run)(heft__score_ctx *c, float **cols, heft_error *err);
} heft__estimator;

/* The registry (registry.c), in the order "all" runs them; entries are
 * NULL for methods not built in. */
extern const heft__estimator *const *const heft__estimator_table;
extern const size_t heft__estimator_table_len;
const heft__estimator *heft__estimator_find(const char *name, size_t len);

#endif
