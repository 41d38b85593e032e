/*
 * mlp.c: field embeddings fed to a small multilayer perceptron, the
 * "embedding + MLP" CTR model (as in the deep part of Wide & Deep, H.-T.
 * Cheng et al. 2016, and the DNN baseline of W. Zhang et al., "Deep
 * Learning over Multi-field Categorical Data", ECIR 2016).
 *
 * With d = embed_dim, F = n_fields, buckets i_j, values x_j, fields F_j:
 *   e_F   = sum_{j: F_j = F} x_j E[i_j]           E (2^hash_bits, d)
 *   a_0   = [e_0, ..., e_{F-1}]                   (F d,)
 *   a_l+1 = relu(W_l a_l + b_l)    l < L          W_l (dims[l+1], dims[l])
 *   f     = W_L a_L + b_L                         W_L (1, dims[L])
 * with L = n_hidden hidden layers of sizes hidden[0..L). Occurrences whose
 * field is >= n_fields (data read differently from the training data) are
 * left out. There is no separate wide term: the model stays exact and
 * simple, and LR/FM cover the linear case.
 *
 * theta layout: E row-major (bucket i at i d), then for each layer l in
 * order W_l row-major (out, in) followed by b_l (out,).
 *
 * Gradients are exact (backpropagation):
 *   delta_{L+1} = 1;  dW_l = delta_{l+1} a_l^T;  db_l = delta_{l+1};
 *   delta_l = (W_l^T delta_{l+1}) * [a_l > 0] for l >= 1 (ReLU);
 *   delta_0 = W_0^T delta_1;  df/dE[i] = sum_{j: i_j = i} x_j delta_0[F_j].
 *
 * Hessian-vector product: NOT exact. It is the central finite difference
 * of the exact gradient,
 *   d2f v ~ (df(theta + eps v) - df(theta - eps v)) / (2 eps),
 * restricted to the parameters the row touches (the others have zero rows
 * in d2f), with the step eps = 1e-5 (1 + |theta_loc|) / |v_loc| so that the
 * move in parameter space has a fixed size relative to the parameters. The
 * error is O(eps^2) except where a hidden unit sits within the step of
 * its ReLU kink, where d2f has a delta spike anyway. Exact
 * forward-over-reverse (Pearlmutter 1994) would need a second pass per
 * layer for little gain here. LR and FM Hessian-vector products are exact.
 *
 * Training: diagonal AdaGrad (Duchi et al. 2011) over minibatches of
 * `batch` rows (1 = pure SGD); a bucket met several times in a batch gets
 * one step with the summed gradient. Every row (batch) updates all dense
 * parameters, so batch 1 costs a few times more than batch 32. Init:
 * E ~ U(-a, a) with a = sqrt(3) init_std (standard deviation init_std,
 * far cheaper than normals for millions of entries), W_l ~ N(0,
 * 2 / dims[l]) (He et al. 2015), b = 0.
 */
#include "train.h"

#include <math.h>
#include <stdlib.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

typedef struct mlp_dims {
    int nl;                          /* layers (n_hidden + 1)             */
    int dim[HEFT_MAX_HIDDEN + 2];    /* dim[0] = F d, ..., dim[nl] = 1     */
    uint64_t w[HEFT_MAX_HIDDEN + 1]; /* offset of W_l in theta            */
    uint64_t b[HEFT_MAX_HIDDEN + 1]; /* offset of b_l                     */
    uint64_t dense0, n_dense;        /* first dense parameter, how many   */
    size_t sum_dims;                 /* sum of dim[0..nl]                 */
} mlp_dims;

static mlp_dims mlp_layout(const heft_model *m)
{
    mlp_dims D;
    D.nl = m->n_hidden + 1;
    D.dim[0] = (int)m->n_fields * m->embed_dim;
    for (int l = 0; l < m->n_hidden; l++)
        D.dim[l + 1] = m->hidden[l];
    D.dim[D.nl] = 1;
    D.dense0 = ((uint64_t)1 << m->hash_bits) * (uint64_t)m->embed_dim;
    uint64_t o = D.dense0;
    D.sum_dims = 0;
    for (int l = 0; l < D.nl; l++) {
        D.w[l] = o;
        o += (uint64_t)D.dim[l + 1] * (uint64_t)D.dim[l];
        D.b[l] = o;
        o += (uint64_t)D.dim[l + 1];
    }
    for (int l = 0; l <= D.nl; l++)
        D.sum_dims += (size_t)D.dim[l];
    D.n_dense = o - D.dense0;
    return D;
}

static uint64_t mlp_n_params(const heft_model *m)
{
    mlp_dims D = mlp_layout(m);
    return D.dense0 + D.n_dense;
}

static void mlp_init(heft_model *m, heft__rng *rng, double init_std)
{
    mlp_dims D = mlp_layout(m);
    const double a = sqrt(3.0) * init_std; /* U(-a, a) has sd init_std */
    for (uint64_t i = 0; i < D.dense0; i++)
        m->theta[i] = (float)(a * (2 * heft__rng_uniform(rng) - 1));
    for (int l = 0; l < D.nl; l++) {
        double sd = sqrt(2.0 / D.dim[l]);
        for (uint64_t i = D.w[l]; i < D.b[l]; i++)
            m->theta[i] = (float)(sd * heft__rng_normal(rng));
        for (int o = 0; o < D.dim[l + 1]; o++)
            m->theta[D.b[l] + (uint64_t)o] = 0.0f;
    }
}

/* One set of buffers: activations a and deltas dl (both laid out as
 * dim[0], dim[1], ..., dim[nl] concatenated) and the dense gradient. */
typedef struct mlp_buf {
    double *a, *dl, *gd;
} mlp_buf;

static size_t mlp_buf_doubles(const mlp_dims *D)
{
    return 2 * D->sum_dims + (size_t)D->n_dense;
}

/* Scratch: two buffer sets (the Hessian-vector product needs both). */
static size_t mlp_scratch_size(const heft_model *m)
{
    mlp_dims D = mlp_layout(m);
    return 2 * mlp_buf_doubles(&D) * sizeof(double) + 16;
}

static mlp_buf mlp_buf_at(const mlp_dims *D, double *p)
{
    mlp_buf b = {p, p + D->sum_dims, p + 2 * D->sum_dims};
    return b;
}

/* Parameter k of theta moved by eps u[k] (u NULL: not moved). */
static inline double P(const float *th, const double *u, double eps,
                       uint64_t k)
{
    return u ? th[k] + eps * u[k] : th[k];
}

/* Forward pass at theta + eps u; fills b->a and returns f. */
static double mlp_forward(const heft_model *m, const mlp_dims *D,
                          const heft__row *r, const double *u, double eps,
                          mlp_buf *b)
{
    const float *th = m->theta;
    const int d = m->embed_dim;
    const uint32_t mask = (uint32_t)(((uint64_t)1 << m->hash_bits) - 1);
    double *a = b->a;
    memset(a, 0, (size_t)D->dim[0] * sizeof *a);
    for (uint32_t j = 0; j < r->nnz; j++) {
        if (r->field[j] >= m->n_fields)
            continue;
        double *e = a + (size_t)r->field[j] * (size_t)d;
        uint64_t base = (uint64_t)(r->feat[j] & mask) * (uint64_t)d;
        double x = r->val[j];
        for (int c = 0; c < d; c++)
            e[c] += x * P(th, u, eps, base + (uint64_t)c);
    }
    for (int l = 0; l < D->nl; l++) {
        const int in = D->dim[l], out = D->dim[l + 1];
        double *z = a + in;
        for (int o = 0; o < out; o++) {
            uint64_t w = D->w[l] + (uint64_t)o * (uint64_t)in;
            double s = P(th, u, eps, D->b[l] + (uint64_t)o);
            if (u) {
                for (int k = 0; k < in; k++)
                    s += (th[w + k] + eps * u[w + k]) * a[k];
            } else { /* four partial sums: the adds overlap */
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                int k = 0;
                for (; k + 4 <= in; k += 4) {
                    s0 += th[w + k] * a[k];
                    s1 += th[w + k + 1] * a[k + 1];
                    s2 += th[w + k + 2] * a[k + 2];
                    s3 += th[w + k + 3] * a[k + 3];
                }
                for (; k < in; k++)
                    s0 += th[w + k] * a[k];
                s += (s0 + s1) + (s2 + s3);
            }
            z[o] = l + 1 < D->nl && s < 0 ? 0 : s;
        }
        a = z;
    }
    return a[0];
}

/* Backward pass of df after mlp_forward(); fills b->dl (delta_0 first)
 * and b->gd (dense gradient, in theta's order from dense0). */
static void mlp_backward(const heft_model *m, const mlp_dims *D,
                         const double *u, double eps, mlp_buf *b)
{
    const float *th = m->theta;
    size_t at = D->sum_dims - 1; /* offset of a_{nl} (and delta_{nl}) */
    b->dl[at] = 1.0;
    for (int l = D->nl - 1; l >= 0; l--) {
        const int in = D->dim[l], out = D->dim[l + 1];
        const size_t ai = at - (size_t)in;
        const double *a = b->a + ai, *dout = b->dl + at;
        double *din = b->dl + ai;
        double *gw = b->gd + (D->w[l] - D->dense0);
        double *gb = b->gd + (D->b[l] - D->dense0);
        memset(din, 0, (size_t)in * sizeof *din);
        for (int o = 0; o < out; o++) {
            const double dz = dout[o];
            const uint64_t w = D->w[l] + (uint64_t)o * (uint64_t)in;
            double *gwo = gw + (size_t)o * (size_t)in;
            gb[o] = dz;
            if (dz == 0) { /* an inactive ReLU unit: nothing flows back */
                memset(gwo, 0, (size_t)in * sizeof *gwo);
                continue;
            }
            for (int k = 0; k < in; k++)
                gwo[k] = dz * a[k];
            if (u) {
                for (int k = 0; k < in; k++)
                    din[k] += dz * (th[w + k] + eps * u[w + k]);
            } else {
                for (int k = 0; k < in; k++)
                    din[k] += dz * th[w + k];
            }
        }
        if (l > 0)
            for (int k = 0; k < in; k++)
                if (a[k] <= 0)
                    din[k] = 0;
        at = ai;
    }
}

static double mlp_logit(const heft_model *m, const heft__row *r, void *scr)
{
    mlp_dims D = mlp_layout(m);
    mlp_buf b = mlp_buf_at(&D, scr);
    return mlp_forward(m, &D, r, NULL, 0, &b);
}

static size_t mlp_grad_cap(const heft_model *m, uint32_t nnz)
{
    mlp_dims D = mlp_layout(m);
    return (size_t)nnz * (size_t)m->embed_dim + (size_t)D.n_dense;
}

static size_t mlp_grad(const heft_model *m, const heft__row *r,
                       uint64_t *idx, double *g, double *out_logit,
                       void *scr)
{
    mlp_dims D = mlp_layout(m);
    mlp_buf b = mlp_buf_at(&D, scr);
    const int d = m->embed_dim;
    const uint32_t mask = (uint32_t)(((uint64_t)1 << m->hash_bits) - 1);
    *out_logit = mlp_forward(m, &D, r, NULL, 0, &b);
    mlp_backward(m, &D, NULL, 0, &b);
    size_t n = 0;
    for (uint32_t j = 0; j < r->nnz; j++) {
        if (r->field[j] >= m->n_fields)
            continue;
        const double *d0 = b.dl + (size_t)r->field[j] * (size_t)d;
        uint64_t base = (uint64_t)(r->feat[j] & mask) * (uint64_t)d;
        for (int c = 0; c < d; c++) {
            idx[n] = base + (uint64_t)c;
            g[n++] = r->val[j] * d0[c];
        }
    }
    for (uint64_t k = 0; k < D.n_dense; k++) {
        idx[n] = D.dense0 + k;
        g[n++] = b.gd[k];
    }
    return n;
}

/* Squared norms over the parameters row r touches, of theta and of u. */
static void mlp_local_norms(const heft_model *m, const mlp_dims *D,
                            const heft__row *r, const double *u,
                            double *th2, double *u2)
{
    const int d = m->embed_dim;
    const uint32_t mask = (uint32_t)(((uint64_t)1 << m->hash_bits) - 1);
    double a = 0, b = 0;
    for (uint64_t k = D->dense0; k < D->dense0 + D->n_dense; k++) {
        a += (double)m->theta[k] * m->theta[k];
        b += u[k] * u[k];
    }
    for (uint32_t j = 0; j < r->nnz; j++) {
        if (r->field[j] >= m->n_fields)
            continue;
        uint64_t base = (uint64_t)(r->feat[j] & mask) * (uint64_t)d;
        for (int c = 0; c < d; c++) {
            a += (double)m->theta[base + c] * m->theta[base + c];
            b += u[base + c] * u[base + c];
        }
    }
    *th2 = a;
    *u2 = b;
}

static void mlp_hvp(const heft_model *m, const heft__row *r, const double *u,
                    double scale, double *out, void *scr)
{
    mlp_dims D = mlp_layout(m);
    mlp_buf p = mlp_buf_at(&D, scr);
    mlp_buf q = mlp_buf_at(&D, (double *)scr + mlp_buf_doubles(&D));
    double th2, u2;
    mlp_local_norms(m, &D, r, u, &th2, &u2);
    if (u2 == 0)
        return; /* d2f u is zero on the touched parameters */
    const double eps = 1e-5 * (1 + sqrt(th2)) / sqrt(u2);
    mlp_forward(m, &D, r, u, eps, &p);
    mlp_backward(m, &D, u, eps, &p);
    mlp_forward(m, &D, r, u, -eps, &q);
    mlp_backward(m, &D, u, -eps, &q);
    const double s = scale / (2 * eps);
    for (uint64_t k = 0; k < D.n_dense; k++)
        out[D.dense0 + k] += s * (p.gd[k] - q.gd[k]);
    const int d = m->embed_dim;
    const uint32_t mask = (uint32_t)(((uint64_t)1 << m->hash_bits) - 1);
    for (uint32_t j = 0; j < r->nnz; j++) {
        if (r->field[j] >= m->n_fields)
            continue;
        size_t f0 = (size_t)r->field[j] * (size_t)d;
        uint64_t base = (uint64_t)(r->feat[j] & mask) * (uint64_t)d;
        double sx = s * r->val[j];
        for (int c = 0; c < d; c++)
            out[base + c] += sx * (p.dl[f0 + c] - q.dl[f0 + c]);
    }
}

const heft__model_vt heft__mlp_vt = {
    HEFT_MODEL_MLP, "mlp",        mlp_n_params, mlp_init, mlp_scratch_size,
    mlp_logit,      mlp_grad_cap, mlp_grad,     mlp_hvp,
};

/* ---- training ---------------------------------------------------------- */

/* One embedding gradient of a minibatch: bucket b, d values at eg[k d]. */
typedef struct emb_ent {
    uint32_t b, k;
} emb_ent;

typedef struct mlp_state {
    mlp_dims D;
    float *G;        /* (n_params,) AdaGrad sums                  */
    double *scr;     /* one mlp_buf                               */
    double *gsum;    /* (n_dense,) dense gradient of the batch    */
    emb_ent *ent;    /* (n_ent,) embedding gradients of the batch */
    double *eg;      /* (n_ent, d)                                */
    size_t n_ent, cap_ent;
    int in_batch;    /* rows accumulated so far                   */
    double batch_w;  /* their weight sum                          */
} mlp_state;

static heft_status mlp_begin(heft__trainer *t)
{
    mlp_state *s = heft__calloc(1, sizeof *s);
    if (!s)
        return HEFT_ENOMEM;
    t->state = s;
    s->D = mlp_layout(t->m);
    s->G = heft__calloc((size_t)t->m->n_params, sizeof *s->G);
    s->scr = heft__calloc(mlp_buf_doubles(&s->D), sizeof *s->scr);
    s->gsum = heft__calloc((size_t)s->D.n_dense, sizeof *s->gsum);
    return s->G && s->scr && s->gsum ? HEFT_OK : HEFT_ENOMEM;
}

static void mlp_end(heft__trainer *t)
{
    mlp_state *s = t->state;
    if (!s)
        return;
    free(s->G);
    free(s->scr);
    free(s->gsum);
    free(s->ent);
    free(s->eg);
    free(s);
    t->state = NULL;
}

static heft_status mlp_ent_reserve(mlp_state *s, size_t extra, int d)
{
    if (s->n_ent + extra <= s->cap_ent)
        return HEFT_OK;
    size_t cap = s->cap_ent ? s->cap_ent : 256;
    while (cap < s->n_ent + extra)
        cap *= 2;
    emb_ent *e = heft__realloc(s->ent, cap, sizeof *e);
    if (!e)
        return HEFT_ENOMEM;
    s->ent = e;
    double *g = heft__realloc(s->eg, cap * (size_t)d, sizeof *g);
    if (!g)
        return HEFT_ENOMEM;
    s->eg = g;
    s->cap_ent = cap;
    return HEFT_OK;
}

static int ent_cmp(const void *pa, const void *pb)
{
    const emb_ent *a = pa, *b = pb;
    if (a->b != b->b)
        return a->b < b->b ? -1 : 1;
    return a->k < b->k ? -1 : (a->k > b->k);
}

static inline void mlp_ada(float *th, float *G, double g, float lr)
{
    float gf = (float)g, G2 = *G + gf * gf;
    *G = G2;
    *th -= lr * gf / sqrtf(G2 + 1e-30f);
}

/* AdaGrad over n dense parameters with gradients g_k = sc src[k] +
 * rg th[k]: G_k += g_k^2, th_k -= lr g_k / sqrt(G_k). The 1e-30 keeps the
 * loop branch-free; G is 0 only while every g was 0, and then so is the
 * step. */
static void ada_dense(float *th, float *G, const double *src, double sc,
                      float rg, float lr, size_t n)
{
    size_t k = 0;
#if defined(__SSE2__)
    const __m128 LR = _mm_set1_ps(lr), RG = _mm_set1_ps(rg);
    const __m128 TINY = _mm_set1_ps(1e-30f);
    const __m128d SC = _mm_set1_pd(sc);
    for (; k + 4 <= n; k += 4) {
        __m128 lo = _mm_cvtpd_ps(_mm_mul_pd(_mm_loadu_pd(src + k), SC));
        __m128 hi = _mm_cvtpd_ps(_mm_mul_pd(_mm_loadu_pd(src + k + 2), SC));
        __m128 w = _mm_loadu_ps(th + k);
        __m128 g = _mm_add_ps(_mm_movelh_ps(lo, hi), _mm_mul_ps(RG, w));
        __m128 G2 = _mm_add_ps(_mm_loadu_ps(G + k), _mm_mul_ps(g, g));
        _mm_storeu_ps(G + k, G2);
        __m128 step = _mm_div_ps(_mm_mul_ps(LR, g),
                                 _mm_sqrt_ps(_mm_add_ps(G2, TINY)));
        _mm_storeu_ps(th + k, _mm_sub_ps(w, step));
    }
#endif
    for (; k < n; k++) {
        float g = (float)(sc * src[k]) + rg * th[k];
        float G2 = G[k] + g * g;
        G[k] = G2;
        th[k] -= lr * g / sqrtf(G2 + 1e-30f);
    }
}

/* Applies the accumulated minibatch: one AdaGrad step per dense parameter
 * (from src scaled by sc: the batch sum, or a single row's gradient) and
 * per distinct embedding bucket, L2 scaled by the batch's weight. */
static void mlp_apply(heft__trainer *t, const double *src, double sc)
{
    mlp_state *s = t->state;
    heft_model *m = t->m;
    const int d = m->embed_dim;
    const float lr = (float)t->lr;
    const double rg = t->l2 * s->batch_w;
    float *th = m->theta, *G = s->G;
    const size_t nd = (size_t)s->D.n_dense, d0 = (size_t)s->D.dense0;
    ada_dense(th + d0, G + d0, src, sc, (float)rg, lr, nd);
    if (src == s->gsum)
        memset(s->gsum, 0, nd * sizeof *s->gsum);
    qsort(s->ent, s->n_ent, sizeof *s->ent, ent_cmp);
    for (size_t a = 0; a < s->n_ent;) {
        size_t e = a + 1;
        while (e < s->n_ent && s->ent[e].b == s->ent[a].b)
            e++;
        uint64_t base = (uint64_t)s->ent[a].b * (uint64_t)d;
        for (int c = 0; c < d; c++) {
            double g = 0;
            for (size_t q = a; q < e; q++)
                g += s->eg[(size_t)s->ent[q].k * d + c];
            mlp_ada(&th[base + c], &G[base + c], g + rg * th[base + c], lr);
        }
        a = e;
    }
    s->n_ent = 0;
    s->in_batch = 0;
    s->batch_w = 0;
}

/* Adds row r's loss gradient (scale g = w (p - y)) to the batch. */
static heft_status mlp_accumulate(heft__trainer *t, const heft__row *r,
                                  mlp_buf *b, double g)
{
    mlp_state *s = t->state;
    const heft_model *m = t->m;
    const int d = m->embed_dim;
    const uint32_t mask = (uint32_t)(((uint64_t)1 << m->hash_bits) - 1);
    if (t->batch > 1) /* batch 1 steps straight from b->gd */
        for (uint64_t k = 0; k < s->D.n_dense; k++)
            s->gsum[k] += g * b->gd[k];
    if (mlp_ent_reserve(s, r->nnz, d) != HEFT_OK)
        return HEFT_ENOMEM;
    for (uint32_t j = 0; j < r->nnz; j++) {
        if (r->field[j] >= m->n_fields)
            continue;
        const double *d0 = b->dl + (size_t)r->field[j] * (size_t)d;
        size_t k = s->n_ent++;
        s->ent[k].b = r->feat[j] & mask;
        s->ent[k].k = (uint32_t)k;
        double gx = g * r->val[j];
        for (int c = 0; c < d; c++)
            s->eg[k * (size_t)d + c] = gx * d0[c];
    }
    return HEFT_OK;
}

static heft_status mlp_rows(heft__trainer *t, const heft_dataset *ds,
                            const uint64_t *order, size_t n, double *loss,
                            double *wsum)
{
    mlp_state *s = t->state;
    mlp_buf b = mlp_buf_at(&s->D, s->scr);
    double lsum = 0, ws = 0;
    for (size_t k = 0; k < n; k++) {
        uint64_t i = order[k];
        heft__prefetch_pipeline(ds, order, n, k, 1);
        double wt = ds->weight ? ds->weight[i] : 1.0;
        if (wt == 0)
            continue;
        heft__row r = heft__ds_row(ds, i);
        double f = mlp_forward(t->m, &s->D, &r, NULL, 0, &b);
        double y = heft__label01f(ds->label[i]);
        lsum += wt * heft__logloss_logit(f, y);
        ws += wt;
        mlp_backward(t->m, &s->D, NULL, 0, &b);
        const double g = wt * (heft__sigmoid(f) - y);
        if (mlp_accumulate(t, &r, &b, g) != HEFT_OK)
            return HEFT_ENOMEM;
        s->batch_w += wt;
        if (t->batch == 1)
            mlp_apply(t, b.gd, g);
        else if (++s->in_batch >= t->batch)
            mlp_apply(t, s->gsum, 1.0);
    }
    *loss += lsum;
    *wsum += ws;
    return HEFT_OK;
}

static heft_status mlp_sync(heft__trainer *t)
{
    mlp_state *s = t->state;
    if (s->in_batch > 0)
        mlp_apply(t, s->gsum, 1.0);
    return HEFT_OK;
}

const heft__train_vt heft__mlp_train_vt = {mlp_begin, mlp_rows, mlp_sync,
                                           mlp_end};
