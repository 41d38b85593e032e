/*
 * gradrows.h: per-row loss gradients over a whole dataset, in parallel, for
 * the gradient-based estimators (est_el2n.c, est_tracin.c,
 * est_influence.c). Internal to src/score.
 *
 * A worked example: the squared gradient norm of every row.
 *
 *     static void sq(void *ud, heft__gw *w, uint64_t i, double p)
 *     {
 *         double *out = ud;
 *         heft__gw_sqnorm(w, &out[i]);   // repeated indices summed first
 *     }
 *     ...
 *     heft__grad_rows(model, train, 2, 1, sq, out, &err);
 *
 * Each thread owns one worker (its model scratch, its sparse gradient and a
 * small hash table), allocated once per call, so no row allocates. Rows are
 * split into contiguous blocks, one per thread; a per-row callback writes
 * only to its own row's slot, so its output does not depend on the thread
 * count.
 */
#ifndef HEFT_GRADROWS_H
#define HEFT_GRADROWS_H

#include "model.h"

/* What heft__grad_rows() puts in the worker's g for each row. */
enum {
    HEFT__GR_NONE = 0,  /* nothing: g.n = 0, only p is computed (a logit) */
    HEFT__GR_LOSS = 1,  /* the loss gradient w (p - y) df/dtheta          */
    HEFT__GR_DF = 2,    /* df/dtheta itself, unscaled                     */
};

/* One thread's state, handed to the row callback. g holds the row's
 * gradient as asked for (indices may repeat). t is the thread's number
 * (0..nt). */
typedef struct heft__gw {
    const heft_model *m;
    int t;
    void *scratch;          /* model scratch (vt->scratch_size)           */
    heft__sgrad g;          /* this row's gradient                         */
    uint64_t *hkey;         /* (hcap,) open-addressing table for sqnorm   */
    double *hval;           /* (hcap,)                                     */
    size_t *hused;          /* (hcap,) slots in use, to reset them         */
    size_t hcap;
    uint64_t *bitmap;       /* (2^17 bits) quick test for repeats, zeroed */
    heft_status st;         /* first failure of this thread                */
} heft__gw;

/* Called once per row i, in increasing i within each thread's block, with
 * p = P(y=1|x_i). Must not touch other rows' outputs. Set w->st to stop
 * the thread with an error. */
typedef void (*heft__grad_row_fn)(void *ud, heft__gw *w, uint64_t i,
                                  double p);

/* Runs fn over every row of ds with nt threads (clamped to [1, rows]),
 * with w->g filled as `what` (HEFT__GR_*) says. HEFT_ENOMEM (with a
 * message) if a worker could not be allocated or a callback set w->st. */
heft_status heft__grad_rows(const heft_model *m, const heft_dataset *ds,
                            int nt, int what, heft__grad_row_fn fn, void *ud,
                            heft_error *err);

/* The same over the rows rows[0..n_sel) of ds only (in that order within
 * each thread's block); the callback gets the dataset row number. */
heft_status heft__grad_rows_sel(const heft_model *m, const heft_dataset *ds,
                                const uint64_t *rows, uint64_t n_sel, int nt,
                                int what, heft__grad_row_fn fn, void *ud,
                                heft_error *err);

/* Adds up the pairs of w->g that share an index, in place: afterwards the
 * indices are distinct, in order of first appearance. HEFT_ENOMEM if the
 * table could not grow (w->st is set too). */
heft_status heft__gw_merge(heft__gw *w);

/* *out = |g|^2 of the worker's current gradient with repeated indices
 * added up first (|sum of pairs per index|^2, not the sum of squares of
 * the pairs). Merges g (heft__gw_merge) as a side effect. */
heft_status heft__gw_sqnorm(heft__gw *w, double *out);

/* Like heft__grad_rows(), with a dense accumulator per thread: fn adds
 * into acc (n_params,), and out (n_params,) receives the sum of the
 * accumulators in thread order (so a thread count fixes the bits).
 * rows (n_sel,) selects rows as in heft__grad_rows_sel (NULL, n_rows: all).
 * threads is resolved by the caller; fewer are used for small data. */
typedef void (*heft__grad_acc_fn)(void *ud, heft__gw *w, uint64_t i,
                                  double p, double *acc);
heft_status heft__grad_accum(const heft_model *m, const heft_dataset *ds,
                             const uint64_t *rows, uint64_t n_sel,
                             int threads, int what, heft__grad_acc_fn fn,
                             void *ud, double *out, heft_error *err);

/* g . v for a dense v (n_params,); repeated indices need no merging. */
static inline double heft__sgrad_dot(const heft__sgrad *g, const double *v)
{
    double s = 0;
    for (size_t k = 0; k < g->n; k++)
        s += g->g[k] * v[g->idx[k]];
    return s;
}

/* out (n_params,) = sum over the rows of ds of the loss gradient at m,
 * with one dense accumulator per thread added in thread order (so a thread
 * count fixes the bits). threads is resolved by the caller. */
heft_status heft__grad_sum(const heft_model *m, const heft_dataset *ds,
                           int threads, double *out, heft_error *err);

/* Logistic regression only (m->kind == HEFT_MODEL_LR): for every row i
 * of ds, d_i = grad l_i . v with grad l_i the loss gradient
 * heft__sample_grad forms and v dense (n_params,), bit for bit as
 * heft__sgrad_dot on that gradient, without materialising it. With acc
 * (n_rows,) non-NULL, acc[i] += eta d_i; else col[i] = (float)d_i. Rows
 * are split into contiguous blocks over threads; each writes its own
 * slots, so the result does not depend on the thread count. */
heft_status heft__lr_grad_dot(const heft_model *m, const heft_dataset *ds,
                              const double *v, int threads, double eta,
                              double *acc, float *col);

/* Label clamped to [0,1] as the loss sees it (grades >= 1 are clicks). */
static inline double heft__score_y01(float y)
{
    return y > 1 ? 1.0 : (y > 0 ? (double)y : 0.0);
}

/* ---- influence (est_influence.c) ---------------------------------------- */

typedef struct heft__cg_info {
    int iters;         /* conjugate-gradient steps taken               */
    double rel_resid;  /* |b - A s| / |b| at the end (recursive form) */
    int neg_curv;      /* 1 if stopped at a direction with p.Ap <= 0  */
    uint64_t hess_rows; /* training rows the Hessian was formed on      */
} heft__cg_info;

/* Solves (H + damping I) s = b for s (n_params,), H the Hessian of m's
 * training objective on train (the sum heft__objective_hvp forms, l2
 * included), by conjugate gradients preconditioned with the Gauss-Newton
 * diagonal, from s = 0, for at most max_iter steps or until the residual
 * is at most tol |b|. With hess_rows > 0 and more training rows than that,
 * H is estimated from hess_rows evenly spaced rows scaled up to all of
 * them (0 = always every row). Stops early (info->neg_curv) at a direction
 * of non-positive curvature, which damping rules out for lr. info may be
 * NULL. */
heft_status heft__influence_solve(const heft_model *m,
                                  const heft_dataset *train, const double *b,
                                  double damping, int max_iter, double tol,
                                  uint64_t hess_rows, int threads, double *s,
                                  heft__cg_info *info, heft_error *err);

#endif
