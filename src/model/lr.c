/*
 * lr.c: logistic regression on hashed sparse features.
 *
 *   f(x) = b + sum_j x_j w[feat_j]        p = sigmoid(f)
 *
 * theta (2^hash_bits + 1,) = [w (2^hash_bits,), b]. A bucket that appears
 * twice in a row contributes twice. df/dw[i] = sum_{j: feat_j = i} x_j,
 * df/db = 1, d2f = 0, so the Hessian of the log loss is
 * w p (1-p) df df^T, formed in model.c.
 *
 * Training kernels:
 * - FTRL-Proximal, Algorithm 1 of H. B. McMahan et al., "Ad Click
 *   Prediction: a View from the Trenches", KDD 2013. Per coordinate i the
 *   state is (z_i, n_i) and the weight is lazy:
 *     w_i = 0                                         if |z_i| <= lambda1
 *         = -(z_i - sgn(z_i) lambda1) / ((beta + sqrt(n_i)) / alpha + lambda2)
 *   and a gradient g_i updates
 *     sigma = (sqrt(n_i + g_i^2) - sqrt(n_i)) / alpha
 *     z_i += g_i - sigma w_i,   n_i += g_i^2.
 *   The bias is a coordinate with x = 1 and no L1. alpha is opts.lr; with
 *   opts.lr = 0 (the default) heft_train first picks it on held-out rows
 *   (lr_auto.c). The kernel keeps
 *   (z_i, sqrt(n_i)) interleaved, so one cache line and one square root
 *   serve a coordinate's read and update.
 * - AdaGrad (J. Duchi, E. Hazan, Y. Singer, "Adaptive Subgradient Methods
 *   for Online Learning and Stochastic Optimization", JMLR 2011), diagonal:
 *     G_i += g_i^2,  theta_i -= lr g_i / sqrt(G_i).
 */
#include "train.h"

#include <math.h>
#include <stdlib.h>

static uint64_t lr_n_params(const heft_model *m)
{
    return ((uint64_t)1 << m->hash_bits) + 1;
}

static void lr_init(heft_model *m, heft__rng *rng, double init_std)
{
    (void)rng;
    (void)init_std;
    memset(m->theta, 0, (size_t)m->n_params * sizeof *m->theta);
}

static size_t lr_scratch_size(const heft_model *m) { return 16; }

static double lr_logit(const heft_model *m, const heft__row *r, void *scr)
{
    const float *w = m->theta;
    const uint32_t mask = (uint32_t)(((uint64_t)1 << m->hash_bits) - 1);
    double f = w[m->n_params - 1];
    for (uint32_t j = 0; j < r->nnz; j++)
        f += (double)r->val[j] * w[r->feat[j] & mask];
    return f;
}

static size_t lr_grad_cap(const heft_model *m, uint32_t nnz)
{
    return (size_t)nnz + 1;
}

static size_t lr_grad(const heft_model *m, const heft__row *r, uint64_t *idx,
                      double *g, double *out_logit, void *scr)
{
    const uint32_t mask = (uint32_t)(((uint64_t)1 << m->hash_bits) - 1);
    for (uint32_t j = 0; j < r->nnz; j++) {
        idx[j] = r->feat[j] & mask;
        g[j] = r->val[j];
    }
    idx[r->nnz] = m->n_params - 1;
    g[r->nnz] = 1.0;
    *out_logit = lr_logit(m, r, scr);
    return (size_t)r->nnz + 1;
}

static void lr_hvp(const heft_model *m, const heft__row *r, const double *v,
                   double scale, double *out, void *scr)
{
    /* f is linear in theta: d2f = 0. */
}

const heft__model_vt heft__lr_vt = {
    HEFT_MODEL_LR, "lr",   lr_n_params, lr_init, lr_scratch_size,
    lr_logit,      lr_grad_cap, lr_grad, lr_hvp,
};

/* ---- training ---------------------------------------------------------- */

typedef struct zn {
    float z, sq; /* FTRL z and sqrt(n) */
} zn;

typedef struct lr_state {
    zn *ftrl; /* (n_params,) FTRL state, or NULL     */
    float *G; /* (n_params,) AdaGrad sums, or NULL   */
    float *w; /* (max nnz + 1,) row weights (FTRL)   */
    size_t wcap;
} lr_state;

static heft_status lr_begin(heft__trainer *t)
{
    lr_state *s = heft__calloc(1, sizeof *s);
    if (!s)
        return HEFT_ENOMEM;
    size_t np = (size_t)t->m->n_params;
    if (t->optim == HEFT_OPTIM_FTRL) {
        s->ftrl = heft__calloc(np, sizeof *s->ftrl);
        heft__huge_pages(s->ftrl, np * sizeof *s->ftrl);
    } else {
        s->G = heft__calloc(np, sizeof *s->G);
        heft__huge_pages(s->G, np * sizeof *s->G);
    }
    t->state = s;
    if (!s->ftrl && !s->G)
        return HEFT_ENOMEM;
    if (t->optim == HEFT_OPTIM_FTRL) /* theta is the lazy w of z = 0 */
        memset(t->m->theta, 0, np * sizeof *t->m->theta);
    return HEFT_OK;
}

static void lr_end(heft__trainer *t)
{
    lr_state *s = t->state;
    if (!s)
        return;
    free(s->ftrl);
    free(s->G);
    free(s->w);
    free(s);
    t->state = NULL;
}

/* FTRL's lazy weight of a coordinate (see the file header). */
static inline float ftrl_w(zn e, float l1, float inv_a, float beta, float l2)
{
    float az = fabsf(e.z);
    if (az <= l1)
        return 0.0f;
    float num = e.z > 0 ? e.z - l1 : e.z + l1;
    return -num / ((beta + e.sq) * inv_a + l2);
}

/* FTRL step on coordinate e with gradient g and the weight w it had. */
static inline void ftrl_step(zn *e, float g, float w, float inv_a)
{
    float sq = e->sq, sq2 = sqrtf(sq * sq + g * g);
    e->z += g - (sq2 - sq) * inv_a * w;
    e->sq = sq2;
}

static heft_status lr_grow(lr_state *s, size_t nnz)
{
    if (s->wcap > nnz)
        return HEFT_OK;
    size_t cap = nnz + 64;
    float *w = heft__realloc(s->w, cap, sizeof *w);
    if (!w)
        return HEFT_ENOMEM;
    s->w = w;
    s->wcap = cap;
    return HEFT_OK;
}

static heft_status lr_rows_ftrl(heft__trainer *t, const heft_dataset *ds,
                                const uint64_t *order, size_t n,
                                double *loss, double *wsum)
{
    lr_state *s = t->state;
    zn *st = s->ftrl;
    const uint32_t mask = (uint32_t)(((uint64_t)1 << t->m->hash_bits) - 1);
    const size_t bias = (size_t)t->m->n_params - 1;
    const float l1 = (float)t->l1, l2 = (float)t->ftrl_l2;
    const float inv_a = (float)(1.0 / t->lr), beta = (float)t->beta;
    double lsum = 0, ws = 0;
    for (size_t k = 0; k < n; k++) {
        uint64_t i = order[k];
        heft__prefetch_pipeline(ds, order, n, k, 0);
        if (k + 1 < n) {
            heft__row nx = heft__ds_row(ds, order[k + 1]);
            for (uint32_t j = 0; j < nx.nnz; j++)
                HEFT__PREFETCH(&st[nx.feat[j] & mask]);
        }
        float wt = ds->weight ? ds->weight[i] : 1.0f;
        if (wt == 0)
            continue;
        heft__row r = heft__ds_row(ds, i);
        if (lr_grow(s, r.nnz) != HEFT_OK)
            return HEFT_ENOMEM;
        float *w = s->w;
        float bw = ftrl_w(st[bias], 0.0f, inv_a, beta, l2);
        float f = bw;
        for (uint32_t j = 0; j < r.nnz; j++) {
            w[j] = ftrl_w(st[r.feat[j] & mask], l1, inv_a, beta, l2);
            f += w[j] * r.val[j];
        }
        float y = heft__label01f(ds->label[i]);
        float p = (float)heft__sigmoid(f);
        lsum += wt * heft__logloss_f(f, y);
        ws += wt;
        float g = wt * (p - y);
        for (uint32_t j = 0; j < r.nnz; j++)
            ftrl_step(&st[r.feat[j] & mask], g * r.val[j], w[j], inv_a);
        ftrl_step(&st[bias], g, bw, inv_a);
    }
    *loss += lsum;
    *wsum += ws;
    return HEFT_OK;
}

/* AdaGrad step on theta_i with gradient g. */
static inline void ada_step(float *th, float *G, float g, float lr)
{
    float G2 = *G + g * g;
    *G = G2;
    if (G2 > 0)
        *th -= lr * g / sqrtf(G2);
}

static heft_status lr_rows_ada(heft__trainer *t, const heft_dataset *ds,
                               const uint64_t *order, size_t n, double *loss,
                               double *wsum)
{
    lr_state *s = t->state;
    float *th = t->m->theta, *G = s->G;
    const uint32_t mask = (uint32_t)(((uint64_t)1 << t->m->hash_bits) - 1);
    const size_t bias = (size_t)t->m->n_params - 1;
    const float lr = (float)t->lr, l2 = (float)t->l2;
    double lsum = 0, ws = 0;
    for (size_t k = 0; k < n; k++) {
        uint64_t i = order[k];
        heft__prefetch_pipeline(ds, order, n, k, 0);
        if (k + 1 < n) {
            heft__row nx = heft__ds_row(ds, order[k + 1]);
            for (uint32_t j = 0; j < nx.nnz; j++) {
                HEFT__PREFETCH(&th[nx.feat[j] & mask]);
                HEFT__PREFETCH(&G[nx.feat[j] & mask]);
            }
        }
        float wt = ds->weight ? ds->weight[i] : 1.0f;
        if (wt == 0)
            continue;
        heft__row r = heft__ds_row(ds, i);
        float f = th[bias];
        for (uint32_t j = 0; j < r.nnz; j++)
            f += th[r.feat[j] & mask] * r.val[j];
        float y = heft__label01f(ds->label[i]);
        float p = (float)heft__sigmoid(f);
        lsum += wt * heft__logloss_f(f, y);
        ws += wt;
        float g = wt * (p - y), rg = wt * l2;
        for (uint32_t j = 0; j < r.nnz; j++) {
            uint32_t b = r.feat[j] & mask;
            ada_step(&th[b], &G[b], g * r.val[j] + rg * th[b], lr);
        }
        ada_step(&th[bias], &G[bias], g + rg * th[bias], lr);
    }
    *loss += lsum;
    *wsum += ws;
    return HEFT_OK;
}

static heft_status lr_rows(heft__trainer *t, const heft_dataset *ds,
                           const uint64_t *order, size_t n, double *loss,
                           double *wsum)
{
    if (t->optim == HEFT_OPTIM_FTRL)
        return lr_rows_ftrl(t, ds, order, n, loss, wsum);
    return lr_rows_ada(t, ds, order, n, loss, wsum);
}

static heft_status lr_sync(heft__trainer *t)
{
    lr_state *s = t->state;
    if (t->optim != HEFT_OPTIM_FTRL)
        return HEFT_OK;
    const size_t np = (size_t)t->m->n_params;
    const float l1 = (float)t->l1, l2 = (float)t->ftrl_l2;
    const float inv_a = (float)(1.0 / t->lr), beta = (float)t->beta;
    for (size_t i = 0; i + 1 < np; i++)
        t->m->theta[i] = ftrl_w(s->ftrl[i], l1, inv_a, beta, l2);
    t->m->theta[np - 1] = ftrl_w(s->ftrl[np - 1], 0.0f, inv_a, beta, l2);
    return HEFT_OK;
}

const heft__train_vt heft__lr_train_vt = {lr_begin, lr_rows, lr_sync,
                                          lr_end};
