/*
 * est_cl.c: confident learning on K-fold out-of-fold probabilities.
 *
 * C. G. Northcutt, L. Jiang, I. L. Chuang, "Confident Learning: Estimating
 * Uncertainty in Dataset Labels", JAIR 70, 2021. Section 4 computes the
 * predicted probabilities out of sample by K-fold cross-validation; the
 * confident joint, calibration and prune-by-noise-rate on them are
 * heft__confident_binary() (confident.c, whose header has the maths).
 *
 * Out-of-fold probabilities (unless o->probs brings them):
 *   the rows are dealt into K = o->folds stratified folds (heft__est_folds,
 *   seeded by o->seed); for each fold k a model is trained with o->train
 *   (seed heft__seed_mix(o->seed, k)) on the other K-1 folds, as a weighted
 *   view whose fold-k rows have weight 0 (est_data.h), and predicts
 *   p_i = P(y=1 | x_i) for the rows of fold k. Folds run in parallel, fold
 *   k on thread k mod T; each writes only its own rows, so the result does
 *   not depend on the thread count.
 *
 * Columns (higher = more valuable):
 *   cl     label quality: self-confidence P(given label | x) from the
 *          out-of-fold probabilities (in [0,1]; higher = cleaner label);
 *   cl_ok  0 for rows that confident learning flags as label issues, 1
 *          otherwise.
 * Labels count as a click when >= 0.5 (grades >= 1 are clicks).
 * Cost: K training runs on (K-1)/K of the rows, one logit per row, and an
 * O(n) pass plus a radix sort in confident.c. Memory: 5 bytes per row plus
 * 4 bytes per row and a model per thread.
 */
#include "est_data.h"

#include <math.h>
#include <stdlib.h>

#define CL_MAX_THREADS 64

typedef struct cl_job {
    const heft_dataset *train;
    const heft_score_opts *o;
    const uint8_t *fold; /* (n,) */
    int k;
    heft_train_opts base; /* heft__est_base_opts(); each fold its seed */
    float *prob;         /* (n,) out: out-of-fold P(y=1) */
    heft_status st[CL_MAX_THREADS];
    heft_error *errs;    /* (threads,) */
} cl_job;

/* Trains on every fold but f (weights w, view) and predicts fold f. */
static heft_status cl_fold(const cl_job *J, int f, float *w,
                           heft_dataset *view, heft_error *err)
{
    const heft_dataset *tr = J->train;
    const uint64_t n = tr->n_rows;
    for (uint64_t i = 0; i < n; i++)
        w[i] = J->fold[i] == f ? 0.0f : (tr->weight ? tr->weight[i] : 1.0f);
    heft_model *m;
    void *scratch;
    heft_status st = heft__est_fit_view(
        tr, w, view, &J->base, heft__seed_mix(J->o->seed, (uint64_t)f), "cl",
        &m, &scratch, err);
    if (st != HEFT_OK)
        return st;
    for (uint64_t i = 0; i < n; i++)
        if (J->fold[i] == f)
            J->prob[i] = heft__est_prob(m, tr, i, scratch);
    free(scratch);
    heft_model_free(m);
    return HEFT_OK;
}

static void cl_task(void *p, int t, int nt)
{
    cl_job *J = p;
    float *w = heft__malloc((size_t)J->train->n_rows, sizeof *w);
    heft_dataset *view = heft__malloc(1, sizeof *view);
    heft_status st = HEFT_OK;
    if (!w || !view)
        st = heft__err(&J->errs[t], HEFT_ENOMEM, NULL, 0, 0,
                       "cl: out of memory for a fold");
    for (int f = t; st == HEFT_OK && f < J->k; f += nt)
        st = cl_fold(J, f, w, view, &J->errs[t]);
    J->st[t] = st;
    free(w);
    free(view);
}

/* Out-of-fold probabilities of every training row into prob (n,). Rows of
 * a fold of one class only are still predicted: the model sees the other
 * folds. */
static heft_status cl_oof(const heft__score_ctx *c, float *prob,
                          heft_error *err)
{
    const heft_score_opts *o = c->o;
    const uint64_t n = c->train->n_rows;
    uint8_t *fold = heft__malloc((size_t)n, 1);
    cl_job *J = heft__calloc(1, sizeof *J);
    int nt = c->threads < 1 ? 1 : c->threads;
    nt = nt > o->folds ? o->folds : nt;
    nt = nt > CL_MAX_THREADS ? CL_MAX_THREADS : nt;
    heft_error *errs = heft__calloc((size_t)nt, sizeof *errs);
    heft_status st = HEFT_OK;
    if (!fold || !J || !errs)
        st = heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "cl: out of memory");
    if (st == HEFT_OK) {
        heft__est_folds(c->train->label, n, o->folds, o->seed, fold);
        J->train = c->train;
        J->o = o;
        J->fold = fold;
        J->k = o->folds;
        J->prob = prob;
        J->errs = errs;
        st = heft__est_base_opts(o, c->train, 0, &J->base, err);
    }
    if (st == HEFT_OK) {
        heft__parallel(nt, cl_task, J);
        for (int t = 0; t < nt && st == HEFT_OK; t++)
            if (J->st[t] != HEFT_OK) {
                st = J->st[t];
                if (err)
                    *err = errs[t];
            }
    }
    free(fold);
    free(J);
    free(errs);
    return st;
}

/* Checks brought-in probabilities: one per row, each in [0,1]. */
static heft_status cl_check_probs(const float *p, uint64_t n, heft_error *err)
{
    for (uint64_t i = 0; i < n; i++)
        if (!(p[i] >= 0.0f && p[i] <= 1.0f))
            return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                             "cl: the given probability of training row %llu "
                             "is %g; expected P(y=1) in [0, 1]",
                             (unsigned long long)i, (double)p[i]);
    return HEFT_OK;
}

static heft_status cl_run(heft__score_ctx *c, float **cols, heft_error *err)
{
    const heft_score_opts *o = c->o;
    const uint64_t n = c->train->n_rows;
    if (n == 0)
        return heft__err(err, HEFT_EEMPTY, NULL, 0, 0,
                         "cl: the training data has no rows");
    if (!o->probs && (o->folds < 2 || o->folds > 100 ||
                      (uint64_t)o->folds > n))
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "cl: folds must be in 2..100 and at most the %llu "
                         "training rows, got %d",
                         (unsigned long long)n, o->folds);
    float *prob = heft__malloc((size_t)n, sizeof *prob);
    float *lab = heft__malloc((size_t)n, sizeof *lab);
    uint8_t *issue = heft__malloc((size_t)n, 1);
    double *q = heft__malloc((size_t)n, sizeof *q);
    heft_status st = HEFT_OK;
    if (!prob || !lab || !issue || !q)
        st = heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "cl: out of memory");
    if (st == HEFT_OK && o->probs) {
        st = cl_check_probs(o->probs, n, err);
        if (st == HEFT_OK)
            memcpy(prob, o->probs, (size_t)n * sizeof *prob);
    } else if (st == HEFT_OK) {
        st = cl_oof(c, prob, err);
    }
    if (st == HEFT_OK) {
        for (uint64_t i = 0; i < n; i++)
            lab[i] = (float)heft__est_class(c->train->label[i]);
        st = heft__confident_binary(lab, prob, n, c->threads, issue, q, NULL,
                                    err);
    }
    if (st == HEFT_OK)
        for (uint64_t i = 0; i < n; i++) {
            cols[0][i] = (float)q[i];
            cols[1][i] = issue[i] ? 0.0f : 1.0f;
        }
    free(prob);
    free(lab);
    free(issue);
    free(q);
    return st;
}

const heft__estimator heft__est_cl = {
    "cl",
    "cl,cl_ok",
    "confident learning (Northcutt et al. 2021) on K-fold out-of-fold "
    "probabilities: cl label quality P(given label), cl_ok 0 if flagged",
    0,
    cl_run,
};
