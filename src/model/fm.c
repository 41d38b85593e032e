/*
 * fm.c: factorization machine of degree 2 (S. Rendle, "Factorization
 * Machines", ICDM 2010), on hashed sparse features with k factors.
 *
 * For a row with occurrences j = 1..nnz (bucket i_j, value x_j):
 *   f = b + sum_j w[i_j] x_j
 *         + 1/2 sum_{c<k} [ (sum_j v[i_j,c] x_j)^2 - sum_j v[i_j,c]^2 x_j^2 ]
 * which is b + sum_j w x + sum_{j<j'} <v[i_j], v[i_j']> x_j x_j' computed
 * in O(k nnz) (Rendle, Lemma 3.1). A bucket that occurs twice in a row is
 * two occurrences that share parameters, exactly as the formula reads.
 *
 * theta layout, interleaved per bucket for cache locality (stride k+1):
 *   theta[i (k+1) + 0]       = w_i          for i < 2^hash_bits
 *   theta[i (k+1) + 1 + c]   = v_{i,c}      c < k
 *   theta[2^hash_bits (k+1)] = b
 * so n_params = 2^hash_bits (k+1) + 1.
 *
 * Derivatives, with s_c = sum_j v[i_j,c] x_j summed over occurrences:
 *   df/db = 1,   df/dw_i = sum_{j: i_j = i} x_j,
 *   df/dv_{i,c} = sum_{j: i_j = i} (x_j s_c - v_{i,c} x_j^2).
 * Differentiating once more (only the v-v block is non-zero, and factors c
 * do not mix), for a direction u with t_c = sum_j u[i_j,c] x_j:
 *   (d2f u)_{i,c} = sum_{j: i_j = i} (x_j t_c - u_{i,c} x_j^2).
 * Both are emitted per occurrence; consumers add repeated indices up. The
 * tests check them against finite differences, repeated buckets included.
 *
 * Training: AdaGrad (Duchi, Hazan & Singer, JMLR 2011), per parameter for
 * w and b (G += g^2, theta -= lr g / sqrt(G)) and row-wise for each
 * bucket's factor vector v_i, as FBGEMM and the DLRM reference code train
 * embedding tables (M. Naumov et al., "Deep Learning Recommendation Model
 * for Personalization and Recommendation Systems", 2019): one sum per
 * bucket, G_i += |g_{v_i}|^2 / k, v_i -= lr g_{v_i} / sqrt(G_i). Every sum
 * starts at 1 (TensorFlow's initial_accumulator_value), which bounds the
 * first steps of a rare bucket by lr |g| instead of lr (plain AdaGrad's
 * first step is lr sign(g), however small g is) and acts as FTRL's beta.
 * Row-wise sums make a bucket's state one 64-byte line for k = 8 and
 * cost two square roots per occurrence instead of k + 1; with the sums at
 * 1 they also generalise better (docs/models.md has the measurements).
 * The kernel works on a copy of theta interleaved with the sums (see
 * fm_state below). Gradients are taken per occurrence: a bucket repeated
 * in a row gets one step per occurrence, each from the parameters the
 * previous one left, with s_c from the start of the row.
 * Initial v ~ U(-a, a) with a = sqrt(3) init_std (standard deviation
 * init_std; uniform, as it is far cheaper to draw than a normal for the
 * millions of factors), w = b = 0.
 */
#include "train.h"

#include <math.h>
#include <stdlib.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#if defined(__GNUC__)
#define FM_INLINE static inline __attribute__((always_inline))
#else
#define FM_INLINE static inline
#endif

static uint64_t fm_n_params(const heft_model *m)
{
    return ((uint64_t)1 << m->hash_bits) * (uint64_t)(m->factors + 1) + 1;
}

static void fm_init(heft_model *m, heft__rng *rng, double init_std)
{
    const size_t S = (size_t)m->factors + 1;
    const size_t nb = (size_t)1 << m->hash_bits;
    const double a = sqrt(3.0) * init_std;
    for (size_t i = 0; i < nb; i++) {
        float *p = m->theta + i * S;
        p[0] = 0.0f;
        for (size_t c = 1; c < S; c++)
            p[c] = (float)(a * (2 * heft__rng_uniform(rng) - 1));
    }
    m->theta[m->n_params - 1] = 0.0f;
}

/* Scratch: s (k,) and t (k,) in double. */
static size_t fm_scratch_size(const heft_model *m)
{
    return 2 * (size_t)m->factors * sizeof(double) + 16;
}

/* Fills s[c] = sum_j v[i_j,c] x_j and returns f. */
static double fm_forward(const heft_model *m, const heft__row *r, double *s)
{
    const int k = m->factors;
    const size_t S = (size_t)k + 1;
    const uint32_t mask = (uint32_t)(((uint64_t)1 << m->hash_bits) - 1);
    double f = m->theta[m->n_params - 1], q = 0;
    for (int c = 0; c < k; c++)
        s[c] = 0;
    for (uint32_t j = 0; j < r->nnz; j++) {
        const float *p = m->theta + (size_t)(r->feat[j] & mask) * S;
        double x = r->val[j];
        f += p[0] * x;
        for (int c = 0; c < k; c++) {
            double t = p[1 + c] * x;
            s[c] += t;
            q += t * t;
        }
    }
    double ss = 0;
    for (int c = 0; c < k; c++)
        ss += s[c] * s[c];
    return f + 0.5 * (ss - q);
}

static double fm_logit(const heft_model *m, const heft__row *r, void *scr)
{
    return fm_forward(m, r, scr);
}

static size_t fm_grad_cap(const heft_model *m, uint32_t nnz)
{
    return (size_t)nnz * (size_t)(m->factors + 1) + 1;
}

static size_t fm_grad(const heft_model *m, const heft__row *r, uint64_t *idx,
                      double *g, double *out_logit, void *scr)
{
    double *s = scr;
    const int k = m->factors;
    const size_t S = (size_t)k + 1;
    const uint32_t mask = (uint32_t)(((uint64_t)1 << m->hash_bits) - 1);
    *out_logit = fm_forward(m, r, s);
    size_t n = 0;
    for (uint32_t j = 0; j < r->nnz; j++) {
        const uint64_t base = (uint64_t)(r->feat[j] & mask) * S;
        const float *p = m->theta + base;
        double x = r->val[j];
        idx[n] = base;
        g[n++] = x;
        for (int c = 0; c < k; c++) {
            idx[n] = base + 1 + (uint64_t)c;
            g[n++] = x * s[c] - p[1 + c] * x * x;
        }
    }
    idx[n] = m->n_params - 1;
    g[n++] = 1.0;
    return n;
}

static void fm_hvp(const heft_model *m, const heft__row *r, const double *u,
                   double scale, double *out, void *scr)
{
    double *t = (double *)scr + m->factors;
    const int k = m->factors;
    const size_t S = (size_t)k + 1;
    const uint32_t mask = (uint32_t)(((uint64_t)1 << m->hash_bits) - 1);
    for (int c = 0; c < k; c++)
        t[c] = 0;
    for (uint32_t j = 0; j < r->nnz; j++) {
        const double *uj = u + (size_t)(r->feat[j] & mask) * S + 1;
        for (int c = 0; c < k; c++)
            t[c] += uj[c] * r->val[j];
    }
    for (uint32_t j = 0; j < r->nnz; j++) {
        const size_t base = (size_t)(r->feat[j] & mask) * S + 1;
        double x = r->val[j];
        for (int c = 0; c < k; c++)
            out[base + c] += scale * (x * t[c] - u[base + c] * x * x);
    }
}

const heft__model_vt heft__fm_vt = {
    HEFT_MODEL_FM, "fm",   fm_n_params, fm_init, fm_scratch_size,
    fm_logit,      fm_grad_cap, fm_grad, fm_hvp,
};

/* ---- training ---------------------------------------------------------- */

/* The kernel keeps its own copy of theta, one 64-byte aligned block of
 * fm_stride(k) floats per bucket (one cache line for k <= 13):
 *   [v_0..v_{k-1}, w, G_v, G_w, (padding)]
 * with row-wise AdaGrad sums (see the file header): a row's step touches
 * one cache line per occurrence. sync copies the parameters back into
 * theta's layout. */
typedef struct fm_state {
    float *blk;      /* (2^hash_bits, stride), 64-byte aligned */
    void *raw;       /* what blk was carved from */
    size_t stride;
    float bias, Gb;  /* b and its AdaGrad sum */
    float *s;        /* (k,) */
} fm_state;

/* Floats per bucket block: k + 3 rounded up to whole cache lines. */
static size_t fm_stride(size_t k) { return (k + 3 + 15) & ~(size_t)15; }

/* Initial value of every AdaGrad sum (see the file header). */
#define FM_G0 1.0f

static heft_status fm_begin(heft__trainer *t)
{
    fm_state *s = heft__calloc(1, sizeof *s);
    if (!s)
        return HEFT_ENOMEM;
    t->state = s;
    const heft_model *m = t->m;
    const size_t k = (size_t)m->factors, nb = (size_t)1 << m->hash_bits;
    const size_t S = fm_stride(k);
    s->stride = S;
    s->raw = heft__malloc(nb * S + 16, sizeof *s->blk);
    s->s = heft__calloc(k, sizeof *s->s);
    if (!s->raw || !s->s)
        return HEFT_ENOMEM;
    heft__huge_pages(s->raw, (nb * S + 16) * sizeof *s->blk);
    s->blk = (float *)(((uintptr_t)s->raw + 63) & ~(uintptr_t)63);
    for (size_t i = 0; i < nb; i++) {
        const float *p = m->theta + i * (k + 1);
        float *b = s->blk + i * S;
        memcpy(b, p + 1, k * sizeof *b);
        b[k] = p[0];
        b[k + 1] = FM_G0;
        b[k + 2] = FM_G0;
        for (size_t c = k + 3; c < S; c++)
            b[c] = 0.0f;
    }
    s->bias = m->theta[m->n_params - 1];
    s->Gb = FM_G0;
    return HEFT_OK;
}

static void fm_end(heft__trainer *t)
{
    fm_state *s = t->state;
    if (!s)
        return;
    free(s->raw);
    free(s->s);
    free(s);
    t->state = NULL;
}

static heft_status fm_sync(heft__trainer *t)
{
    fm_state *s = t->state;
    heft_model *m = t->m;
    const size_t k = (size_t)m->factors, nb = (size_t)1 << m->hash_bits;
    for (size_t i = 0; i < nb; i++) {
        float *p = m->theta + i * (k + 1);
        const float *b = s->blk + i * s->stride;
        memcpy(p + 1, b, k * sizeof *b);
        p[0] = b[k];
    }
    m->theta[m->n_params - 1] = s->bias;
    return HEFT_OK;
}

/* AdaGrad step of one parameter with its own sum G (w and b). */
FM_INLINE void fm_ada(float *th, float *G, float g, float lr)
{
    const float G2 = *G + g * g;
    *G = G2;
    *th -= lr * g / sqrtf(G2);
}

/* Prefetches the blocks of row i's buckets. */
FM_INLINE void fm_prefetch(const fm_state *st, const heft_dataset *ds,
                           uint64_t i, uint32_t mask)
{
    heft__row nx = heft__ds_row(ds, i);
    for (uint32_t j = 0; j < nx.nnz; j++)
        HEFT__PREFETCH(st->blk + (size_t)(nx.feat[j] & mask) * st->stride);
}

/* One row's forward pass: fills s (K,) and returns f. */
FM_INLINE float fm_row_f(const fm_state *st, const heft__row *r,
                         uint32_t mask, float *s, const int K)
{
    float f = st->bias, q = 0;
    for (int c = 0; c < K; c++)
        s[c] = 0;
    for (uint32_t j = 0; j < r->nnz; j++) {
        const float *b = st->blk + (size_t)(r->feat[j] & mask) * st->stride;
        const float x = r->val[j];
        f += b[K] * x;
        for (int c = 0; c < K; c++) {
            float v = b[c] * x;
            s[c] += v;
            q += v * v;
        }
    }
    float ss = 0;
    for (int c = 0; c < K; c++)
        ss += s[c] * s[c];
    return f + 0.5f * (ss - q);
}

/* One row's step given the loss derivative g = w (p - y) and the
 * per-sample L2 weight rg = w l2: row-wise AdaGrad on each occurrence's
 * v, AdaGrad on its w and on b. gv (K,) is scratch. */
FM_INLINE void fm_row_step(fm_state *st, const heft__row *r, uint32_t mask,
                           const float *s, float g, float rg, float lr,
                           const int K)
{
    float gv[256];
    for (uint32_t j = 0; j < r->nnz; j++) {
        float *b = st->blk + (size_t)(r->feat[j] & mask) * st->stride;
        const float x = r->val[j], gx = g * x, c = rg - gx * x;
        float sq = 0;
        for (int f = 0; f < K; f++) {
            gv[f] = gx * s[f] + c * b[f];
            sq += gv[f] * gv[f];
        }
        const float G = b[K + 1] + sq / (float)K, step = lr / sqrtf(G);
        b[K + 1] = G;
        for (int f = 0; f < K; f++)
            b[f] -= step * gv[f];
        fm_ada(&b[K], &b[K + 2], gx + rg * b[K], lr);
    }
    fm_ada(&st->bias, &st->Gb, g + rg * st->bias, lr);
}

#if defined(__SSE2__)
/* k = 8 with SSE2: the two halves of v are one vector each. */
static inline float hsum4(__m128 v)
{
    __m128 h = _mm_add_ps(v, _mm_movehl_ps(v, v));
    h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
    return _mm_cvtss_f32(h);
}

FM_INLINE float fm8_row_f(const fm_state *st, const heft__row *r,
                          uint32_t mask, float *s)
{
    __m128 s0 = _mm_setzero_ps(), s1 = s0, q0 = s0, q1 = s0;
    float f = st->bias;
    for (uint32_t j = 0; j < r->nnz; j++) {
        const float *b = st->blk + (size_t)(r->feat[j] & mask) * 16;
        const __m128 x = _mm_set1_ps(r->val[j]);
        const __m128 t0 = _mm_mul_ps(_mm_load_ps(b), x);
        const __m128 t1 = _mm_mul_ps(_mm_load_ps(b + 4), x);
        s0 = _mm_add_ps(s0, t0);
        s1 = _mm_add_ps(s1, t1);
        q0 = _mm_add_ps(q0, _mm_mul_ps(t0, t0));
        q1 = _mm_add_ps(q1, _mm_mul_ps(t1, t1));
        f += b[8] * r->val[j];
    }
    _mm_storeu_ps(s, s0);
    _mm_storeu_ps(s + 4, s1);
    __m128 ss = _mm_add_ps(_mm_mul_ps(s0, s0), _mm_mul_ps(s1, s1));
    return f + 0.5f * (hsum4(ss) - hsum4(_mm_add_ps(q0, q1)));
}

FM_INLINE void fm8_row_step(fm_state *st, const heft__row *r, uint32_t mask,
                            const float *s, float g, float rg, float lr)
{
    const __m128 S0 = _mm_loadu_ps(s), S1 = _mm_loadu_ps(s + 4);
    for (uint32_t j = 0; j < r->nnz; j++) {
        float *b = st->blk + (size_t)(r->feat[j] & mask) * 16;
        const float x = r->val[j], gx = g * x;
        const __m128 GX = _mm_set1_ps(gx), C = _mm_set1_ps(rg - gx * x);
        /* gv = gx s - gx x v + rg v */
        const __m128 v0 = _mm_load_ps(b), v1 = _mm_load_ps(b + 4);
        const __m128 g0 = _mm_add_ps(_mm_mul_ps(GX, S0), _mm_mul_ps(C, v0));
        const __m128 g1 = _mm_add_ps(_mm_mul_ps(GX, S1), _mm_mul_ps(C, v1));
        const float G = b[9] + 0.125f * hsum4(_mm_add_ps(_mm_mul_ps(g0, g0),
                                                         _mm_mul_ps(g1, g1)));
        b[9] = G;
        const __m128 step = _mm_set1_ps(lr / sqrtf(G));
        _mm_store_ps(b, _mm_sub_ps(v0, _mm_mul_ps(step, g0)));
        _mm_store_ps(b + 4, _mm_sub_ps(v1, _mm_mul_ps(step, g1)));
        fm_ada(&b[8], &b[10], gx + rg * b[8], lr);
    }
    fm_ada(&st->bias, &st->Gb, g + rg * st->bias, lr);
}
#endif

/* The epoch kernel; K is a compile-time constant at the hot calls
 * (k = 4, 8, 16), so the factor loops unroll and vectorise. */
FM_INLINE void fm_rows_k(heft__trainer *t, const heft_dataset *ds,
                         const uint64_t *order, size_t n, double *loss,
                         double *wsum, const int K)
{
    fm_state *st = t->state;
    const uint32_t mask = (uint32_t)(((uint64_t)1 << t->m->hash_bits) - 1);
    const float lr = (float)t->lr, l2 = (float)t->l2;
    float *s = st->s;
    double lsum = 0, ws = 0;
    for (size_t k = 0; k < n; k++) {
        uint64_t i = order[k];
        heft__prefetch_pipeline(ds, order, n, k, 0);
        if (k + 1 < n)
            fm_prefetch(st, ds, order[k + 1], mask);
        float wt = ds->weight ? ds->weight[i] : 1.0f;
        if (wt == 0)
            continue;
        heft__row r = heft__ds_row(ds, i);
#if defined(__SSE2__)
        float f = K == 8 ? fm8_row_f(st, &r, mask, s)
                         : fm_row_f(st, &r, mask, s, K);
#else
        float f = fm_row_f(st, &r, mask, s, K);
#endif
        float y = heft__label01f(ds->label[i]);
        float pr = (float)heft__sigmoid(f);
        lsum += wt * heft__logloss_f(f, y);
        ws += wt;
#if defined(__SSE2__)
        if (K == 8)
            fm8_row_step(st, &r, mask, s, wt * (pr - y), wt * l2, lr);
        else
#endif
            fm_row_step(st, &r, mask, s, wt * (pr - y), wt * l2, lr, K);
    }
    *loss += lsum;
    *wsum += ws;
}

static heft_status fm_rows(heft__trainer *t, const heft_dataset *ds,
                           const uint64_t *order, size_t n, double *loss,
                           double *wsum)
{
    if (t->m->factors == 8)
        fm_rows_k(t, ds, order, n, loss, wsum, 8);
    else if (t->m->factors == 4)
        fm_rows_k(t, ds, order, n, loss, wsum, 4);
    else if (t->m->factors == 16)
        fm_rows_k(t, ds, order, n, loss, wsum, 16);
    else
        fm_rows_k(t, ds, order, n, loss, wsum, t->m->factors);
    return HEFT_OK;
}

const heft__train_vt heft__fm_train_vt = {fm_begin, fm_rows, fm_sync,
                                          fm_end};
