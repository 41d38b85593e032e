/*
 * est_influence.c: influence of each training row on the validation loss,
 * from
 *   P. W. Koh, P. Liang, "Understanding Black-box Predictions via
 *   Influence Functions", ICML 2017 (Section 2.1, I_up,loss; Section 3,
 *   conjugate gradients with Hessian-vector products).
 *
 * The final model theta* minimises L(theta) = sum_i l_i(theta) +
 * (l2/2)|theta|^2 (model.h). Upweighting row i by eps moves the optimum by
 * -eps H^{-1} grad l_i and so changes the summed validation loss
 * L_V = sum_{z' in V} l(z'; theta*) by eps I_up,loss(i), with
 *
 *   I_up,loss(i) = -grad L_V . H^{-1} grad l_i.
 *
 * Removing row i is eps = -1 (the objective is a sum, not a mean), so the
 * first-order change of the validation loss when row i is left out is
 *
 *   influence(i) = -I_up,loss(i) = grad l_i . s,   (H + lambda I) s = g_V,
 *   g_V (n_params,) = grad L_V = sum_{z' in V} grad l(z'; theta*).
 *
 * The column is +influence: positive when leaving the row out would raise
 * the validation loss (a helpful row), negative for a harmful one; higher =
 * more valuable. s is solved once by conjugate gradients on the exact
 * Hessian-vector product of L (the sum heft__objective_hvp forms, with the
 * model's l2, here over a row selection; see below), preconditioned by the diagonal of the Gauss-Newton part
 * sum_i w_i p_i (1-p_i) df_i df_i^T + l2 + lambda, so each row then costs
 * one sparse gradient and a dot product.
 *
 * Damping lambda: o->damping when > 0, else 0.01 times the total training
 * weight (the number of rows without weights): 0.01 on the scale of the
 * mean loss, the damping Koh and Liang's code adds. It keeps H + lambda I
 * well conditioned for hashed buckets seen a handful of times, which makes
 * CG converge in a few dozen steps; set a small damping (with the model's
 * l2 > 0) for the exact, undamped influence.
 *
 * Models: exact for lr (H is positive semi-definite). For fm the Hessian
 * may be indefinite away from a strict minimum (the (p - y) d2f term);
 * damping usually restores definiteness. CG detects an indefinite system
 * at the first direction of non-positive curvature; the solve is then
 * repeated with ten times the damping (up to five times, each logged), and
 * after the last the iterate reached so far is used.
 * For mlp the Hessian-vector product is a finite difference of gradients,
 * so the scores are approximate.
 *
 * Large data: with more than 2^18 training rows, H is estimated from 2^18
 * evenly spaced rows, scaled by n / 2^18 (the subsampled Hessian of
 * R. H. Byrd, G. M. Chin, W. Neveitt, J. Nocedal, "On the Use of
 * Stochastic Hessian Information in Optimization Methods for Machine
 * Learning", SIAM J. Optim. 2011); gradients and scores still use every
 * row. Under the default damping 0.01 n, a bucket's curvature (about
 * p (1-p) times its count) only matters against lambda if the bucket is in
 * a few percent of the rows, i.e. thousands of sampled rows, so the
 * estimate is close; test influence_hessian_sample measures it.
 *
 * Cost: one pass over the validation rows for g_V, one over the Hessian
 * rows for the preconditioner and one per CG step, and one pass over the
 * training rows for the scores. Memory: six dense vectors of n_params
 * doubles (plus a per-thread accumulator for each product).
 */
#include "estimator.h"
#include "gradrows.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* The Hessian H of L on the training rows, or its estimate from an evenly
 * spaced sample of them: H ~ (n / n_sel) sum_{i in sample} H_i + l2 I. */
typedef struct hess {
    const heft_model *m;
    const heft_dataset *ds;
    const uint64_t *rows; /* (n_sel,) the sample, or NULL = every row */
    uint64_t n_sel;
    double scale;         /* n_rows / n_sel */
    int threads;
    /* lr only (else NULL): the fixed curvature weights and accumulators
     * of the fast product (lr_hess_apply). */
    double *lr_c;         /* (n_sel,) scale w_i p_i (1 - p_i)          */
    double **lr_acc;      /* (lr_nt,) dense (n_params,); [0] unused    */
    int lr_nt;
} hess;

typedef struct hvp_ud {
    const hess *h;
    const double *v; /* (n_params,) the direction */
} hvp_ud;

/* acc += scale * H_i v for row i, from df (in w->g) and the model's d2f v;
 * the same sum heft__objective_hvp forms (model.c). */
static void hvp_row(void *ud, heft__gw *w, uint64_t i, double p,
                    double *acc)
{
    const hvp_ud *u = ud;
    const heft_dataset *ds = u->h->ds;
    const double wi = (ds->weight ? ds->weight[i] : 1.0) * u->h->scale;
    const double s = wi * p * (1 - p) * heft__sgrad_dot(&w->g, u->v);
    for (size_t k = 0; k < w->g.n; k++)
        acc[w->g.idx[k]] += s * w->g.g[k];
    const double r = wi * (p - heft__score_y01(ds->label[i]));
    if (r != 0) {
        heft__row row = heft__ds_row(ds, i);
        w->m->vt->hvp(w->m, &row, u->v, r, acc, w->scratch);
    }
}

/* ---- lr fast path ----------------------------------------------------
 * For lr, df_i = (x_i, 1) and d2f = 0, so H_i v = c_i (x_i . v + v_b)
 * (x_i, 1) with c_i = scale w_i p_i (1 - p_i) fixed across CG steps: c is
 * formed once and each product is one pass over the CSR rows, in the same
 * blocks, order and arithmetic as the generic path (hvp_row through
 * heft__grad_accum), so the bits do not change. */

typedef struct lr_hv_ctx {
    const hess *h;
    const double *v; /* NULL: fill h->lr_c instead */
    double *out;
} lr_hv_ctx;

static void lr_hv_task(void *p, int t, int nt)
{
    const lr_hv_ctx *c = p;
    const hess *h = c->h;
    const heft_dataset *ds = h->ds;
    const heft_model *m = h->m;
    const uint64_t bias = m->n_params - 1;
    const uint32_t mask = (uint32_t)(((uint64_t)1 << m->hash_bits) - 1);
    const double *v = c->v;
    double *acc = t == 0 ? c->out : h->lr_acc[t];
    const uint64_t a = h->n_sel * (uint64_t)t / (uint64_t)nt;
    const uint64_t b = h->n_sel * (uint64_t)(t + 1) / (uint64_t)nt;
    if (v)
        memset(acc, 0, (size_t)m->n_params * sizeof *acc);
    for (uint64_t k = a; k < b; k++) {
        const uint64_t i = h->rows ? h->rows[k] : k;
        if (!v) {
            heft__row r = heft__ds_row(ds, i);
            const double pr = heft__sigmoid(m->vt->logit(m, &r, NULL));
            const double wi = (ds->weight ? ds->weight[i] : 1.0) * h->scale;
            h->lr_c[k] = wi * pr * (1 - pr);
            continue;
        }
        const uint64_t r0 = ds->row_ptr[i], r1 = ds->row_ptr[i + 1];
        const uint32_t *feat = ds->feat + r0;
        const float *val = ds->val + r0;
        if (k + 2 < b) {
            /* The buckets of a row two ahead: the random reads of v and
             * acc are what this loop waits on. */
            const uint64_t i2 = h->rows ? h->rows[k + 2] : k + 2;
            for (uint64_t j = ds->row_ptr[i2]; j < ds->row_ptr[i2 + 1]; j++) {
                __builtin_prefetch(&v[ds->feat[j] & mask], 0, 1);
                __builtin_prefetch(&acc[ds->feat[j] & mask], 1, 1);
            }
        }
        double d = 0;
        for (uint64_t j = 0; j < r1 - r0; j++)
            d += (double)val[j] * v[feat[j] & mask];
        d += 1.0 * v[bias];
        const double s = h->lr_c[k] * d;
        for (uint64_t j = 0; j < r1 - r0; j++)
            acc[feat[j] & mask] += s * (double)val[j];
        acc[bias] += s * 1.0;
    }
}

/* Sets up the lr fast path on h (threads as heft__grad_accum picks
 * them); HEFT_ENOMEM leaves h on the generic path. */
static heft_status lr_hess_init(hess *h)
{
    int nt = h->threads < 1 ? 1 : h->threads;
    if ((uint64_t)nt > h->n_sel / 4096 + 1)
        nt = (int)(h->n_sel / 4096 + 1);
    if ((uint64_t)nt > h->n_sel)
        nt = h->n_sel ? (int)h->n_sel : 1;
    h->lr_nt = nt;
    h->lr_c = heft__malloc(h->n_sel ? (size_t)h->n_sel : 1, sizeof *h->lr_c);
    h->lr_acc = heft__calloc((size_t)nt, sizeof *h->lr_acc);
    int ok = h->lr_c && h->lr_acc;
    for (int t = 1; ok && t < nt; t++)
        ok = (h->lr_acc[t] = heft__malloc((size_t)h->m->n_params,
                                          sizeof **h->lr_acc)) != NULL;
    if (!ok)
        return HEFT_ENOMEM;
    lr_hv_ctx c = {h, NULL, NULL};
    heft__parallel(nt, lr_hv_task, &c);
    return HEFT_OK;
}

static void lr_hess_free(hess *h)
{
    for (int t = 1; h->lr_acc && t < h->lr_nt; t++)
        free(h->lr_acc[t]);
    free(h->lr_acc);
    free(h->lr_c);
    h->lr_acc = NULL;
    h->lr_c = NULL;
}

/* out = sum_i H_i v on the lr fast path, accumulators added in thread
 * order. */
static void lr_hess_apply(const hess *h, const double *v, double *out)
{
    lr_hv_ctx c = {h, v, out};
    heft__parallel(h->lr_nt, lr_hv_task, &c);
    const size_t np = (size_t)h->m->n_params;
    for (int t = 1; t < h->lr_nt; t++)
        for (size_t k = 0; k < np; k++)
            out[k] += h->lr_acc[t][k];
}

/* out = (H + lambda I) v. */
static heft_status hess_apply(const hess *h, const double *v, double lambda,
                              double *out, heft_error *err)
{
    hvp_ud u = {h, v};
    heft_status st = HEFT_OK;
    if (h->lr_c)
        lr_hess_apply(h, v, out);
    else
        st = heft__grad_accum(h->m, h->ds, h->rows, h->n_sel, h->threads,
                              HEFT__GR_DF, hvp_row, &u, out, err);
    const double d = h->m->l2 + lambda;
    for (size_t k = 0; st == HEFT_OK && k < (size_t)h->m->n_params; k++)
        out[k] += d * v[k];
    return st;
}

static void gn_diag_row(void *ud, heft__gw *w, uint64_t i, double p,
                        double *acc)
{
    const hess *h = ud;
    if (heft__gw_merge(w) != HEFT_OK)
        return;
    const double wi = h->ds->weight ? h->ds->weight[i] : 1.0;
    const double c = h->scale * wi * p * (1 - p);
    for (size_t k = 0; k < w->g.n; k++)
        acc[w->g.idx[k]] += c * w->g.g[k] * w->g.g[k];
}

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t k = 0; k < n; k++)
        s += a[k] * b[k];
    return s;
}

/* Vectors of one CG solve, each (n_params,). */
typedef struct cg_vecs {
    double *r, *p, *q, *d; /* residual, direction, A p, preconditioner */
} cg_vecs;

/* The CG iteration proper: s from 0 on vectors v (d holds the diagonal). */
static heft_status cg_loop(const hess *h, const double *b, double lambda,
                           int max_iter, double tol, double *s, cg_vecs *v,
                           heft__cg_info *info, heft_error *err)
{
    const size_t np = (size_t)h->m->n_params;
    double rz = 0;
    for (size_t k = 0; k < np; k++) {
        s[k] = 0;
        v->r[k] = b[k];
        v->p[k] = b[k] / v->d[k];
        rz += v->r[k] * v->p[k];
    }
    const double bn = sqrt(dot(b, b, np));
    double rn = bn;
    int it = 0;
    heft_status st = HEFT_OK;
    while (bn > 0 && rn > tol * bn && it < max_iter) {
        st = hess_apply(h, v->p, lambda, v->q, err);
        if (st != HEFT_OK)
            break;
        const double pq = dot(v->p, v->q, np);
        if (!(pq > 0)) {
            info->neg_curv = 1;
            break;
        }
        const double alpha = rz / pq;
        double rz_new = 0, rr = 0;
        for (size_t k = 0; k < np; k++) {
            s[k] += alpha * v->p[k];
            v->r[k] -= alpha * v->q[k];
            rz_new += v->r[k] * v->r[k] / v->d[k];
            rr += v->r[k] * v->r[k];
        }
        it++;
        rn = sqrt(rr);
        const double beta = rz_new / rz;
        for (size_t k = 0; k < np; k++)
            v->p[k] = v->r[k] / v->d[k] + beta * v->p[k];
        rz = rz_new;
    }
    info->iters = it;
    info->rel_resid = bn > 0 ? rn / bn : 0;
    return st;
}

/* The preconditioner d = diag of the Gauss-Newton part + l2 + lambda. */
static heft_status precond(const hess *h, double lambda, double *d,
                           heft_error *err)
{
    heft_status st = heft__grad_accum(h->m, h->ds, h->rows, h->n_sel,
                                      h->threads, HEFT__GR_DF, gn_diag_row,
                                      (void *)h, d, err);
    for (size_t k = 0; st == HEFT_OK && k < (size_t)h->m->n_params; k++) {
        d[k] += h->m->l2 + lambda;
        /* Only a parameter no row touches, with l2 = lambda = 0, has a
         * zero diagonal: leave it unpreconditioned. */
        if (!(d[k] > 0))
            d[k] = 1;
    }
    return st;
}

/* Evenly spaced rows k n / m + n / (2m), k < m, of n (m < n): *out (m,)
 * owned. k n cannot overflow for any n that fits in memory (n m < 2^64). */
static heft_status even_sample(uint64_t n, uint64_t m, uint64_t **out)
{
    uint64_t *r = heft__malloc((size_t)m, sizeof *r);
    if (!r)
        return HEFT_ENOMEM;
    for (uint64_t k = 0; k < m; k++)
        r[k] = k * n / m + n / (2 * m);
    *out = r;
    return HEFT_OK;
}

heft_status heft__influence_solve(const heft_model *m,
                                  const heft_dataset *train, const double *b,
                                  double damping, int max_iter, double tol,
                                  uint64_t hess_rows, int threads, double *s,
                                  heft__cg_info *info, heft_error *err)
{
    heft__cg_info local;
    if (!info)
        info = &local;
    memset(info, 0, sizeof *info);
    if (!(damping >= 0) || !isfinite(damping) || max_iter < 0 ||
        !(tol >= 0))
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "influence needs damping >= 0, cg_iters >= 0 and "
                         "cg_tol >= 0; got %g, %d and %g",
                         damping, max_iter, tol);
    const size_t np = (size_t)m->n_params;
    const uint64_t n = train->n_rows;
    hess h = {m, train, NULL, n, 1.0, threads, NULL, NULL, 0};
    heft_status st = HEFT_OK;
    if (hess_rows > 0 && n > hess_rows) {
        st = even_sample(n, hess_rows, (uint64_t **)&h.rows);
        h.n_sel = hess_rows;
        h.scale = (double)n / (double)hess_rows;
    }
    info->hess_rows = h.n_sel;
    cg_vecs v;
    v.r = heft__malloc(np, sizeof *v.r);
    v.p = heft__malloc(np, sizeof *v.p);
    v.q = heft__malloc(np, sizeof *v.q);
    v.d = heft__malloc(np, sizeof *v.d);
    if (st != HEFT_OK || !v.r || !v.p || !v.q || !v.d)
        st = heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                       "out of memory for conjugate gradients over %zu "
                       "parameters", np);
    if (st == HEFT_OK && m->kind == HEFT_MODEL_LR &&
        lr_hess_init(&h) != HEFT_OK)
        lr_hess_free(&h); /* out of memory: the generic path still works */
    if (st == HEFT_OK)
        st = precond(&h, damping, v.d, err);
    if (st == HEFT_OK)
        st = cg_loop(&h, b, damping, max_iter, tol, s, &v, info, err);
    lr_hess_free(&h);
    free((void *)h.rows);
    free(v.r);
    free(v.p);
    free(v.q);
    free(v.d);
    return st;
}

/* Damping raises (tenfold each) before giving up on definiteness; the
 * last try keeps the iterate reached before the bad direction. */
#define MAX_DAMPING_TRIES 6

/* Training rows beyond which H is estimated from an evenly spaced sample
 * of this many (see the file comment). */
#define HESS_ROWS ((uint64_t)1 << 18)

typedef struct infl_ctx {
    const double *s;
    float *col;
} infl_ctx;

static void infl_row(void *ud, heft__gw *w, uint64_t i, double p)
{
    infl_ctx *c = ud;
    c->col[i] = (float)heft__sgrad_dot(&w->g, c->s);
}

/* lambda as the file comment says. */
static double resolve_damping(const heft__score_ctx *c)
{
    if (c->o->damping > 0)
        return c->o->damping;
    const heft_dataset *ds = c->train;
    double ws = 0;
    for (uint64_t i = 0; i < ds->n_rows; i++)
        ws += ds->weight ? ds->weight[i] : 1.0;
    return 0.01 * ws;
}

static void log_cg(const heft__score_ctx *c, double lambda,
                   const heft__cg_info *info)
{
    if (!c->o->log)
        return;
    char line[200];
    snprintf(line, sizeof line,
             "influence: damping %g, Hessian on %llu rows, %d CG steps, "
             "relative residual %.2e%s",
             lambda, (unsigned long long)info->hess_rows, info->iters,
             info->rel_resid,
             info->neg_curv ? " (stopped at non-positive curvature)" : "");
    c->o->log(c->o->log_ud, line);
}

static heft_status influence_run(heft__score_ctx *c, float **cols,
                                 heft_error *err)
{
    const heft_model *m = c->model;
    if (!c->valid || c->valid->n_rows == 0)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "method influence needs a validation set (--valid)");
    if (c->valid->schema.hash_bits > m->hash_bits ||
        c->train->schema.hash_bits > m->hash_bits)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "the data is hashed into more buckets than the "
                         "model's 2^%u; read it with the model's read "
                         "options", m->hash_bits);
    const size_t np = (size_t)m->n_params;
    double *g = heft__malloc(np, sizeof *g);
    double *s = heft__malloc(np, sizeof *s);
    heft_status st = HEFT_OK;
    if (!g || !s)
        st = heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                       "out of memory for influence vectors over %zu "
                       "parameters", np);
    if (st == HEFT_OK)
        st = heft__grad_sum(m, c->valid, c->threads, g, err);
    double lambda = resolve_damping(c);
    const int iters = c->o->cg_iters > 0 ? c->o->cg_iters : 100;
    const double tol = c->o->cg_tol > 0 ? c->o->cg_tol : 1e-6;
    heft__cg_info info = {0, 0, 0, 0};
    /* An indefinite H + lambda I (fm, mlp) shows up as a CG direction of
     * non-positive curvature: raise the damping tenfold and solve again. */
    for (int tries = 0; st == HEFT_OK && tries < MAX_DAMPING_TRIES;
         tries++) {
        if (tries > 0)
            lambda = lambda > 0 ? 10 * lambda : 1;
        st = heft__influence_solve(m, c->train, g, lambda, iters, tol,
                                   HESS_ROWS, c->threads, s, &info, err);
        if (st == HEFT_OK)
            log_cg(c, lambda, &info);
        if (!info.neg_curv)
            break;
    }
    if (st == HEFT_OK) {
        infl_ctx ic = {s, cols[0]};
        if (m->kind == HEFT_MODEL_LR)
            st = heft__lr_grad_dot(m, c->train, s, c->threads, 0, NULL,
                                   cols[0]);
        else
            st = heft__grad_rows(m, c->train, c->threads, HEFT__GR_LOSS,
                                 infl_row, &ic, err);
    }
    free(g);
    free(s);
    return st;
}

const heft__estimator heft__est_influence = {
    "influence", "influence",
    "influence function (Koh & Liang 2017): grad l_i . (H + damping I)^-1 "
    "grad L_valid, the first-order rise of validation loss if row i is "
    "left out; higher = more valuable (lr, fm; mlp approximate)",
    1, influence_run};
