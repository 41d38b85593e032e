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
 * Training: AdaGrad (Duchi, Hazan & Singer, JMLR 2011) per parameter,
 * G += g^2, theta -= lr g / sqrt(G), on a copy of theta interleaved with
 * the sums G (see fm_state below).
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

/* The kernel keeps its own interleaved copy of theta with the AdaGrad sums
 * beside the parameters, one block of 2k+2 floats per bucket,
 *   [v_0..v_{k-1}, G(v_0)..G(v_{k-1}), w, G(w)],
 * so a row's step touches two cache lines per occurrence (72 bytes for
 * k = 8); sync copies the parameters back into theta's layout. */
typedef struct fm_state {
    float *blk;      /* (2^hash_bits, 2k+2) */
    float bias, Gb;  /* b and its AdaGrad sum */
    float *s;        /* (k,) */
} fm_state;

static heft_status fm_begin(heft__trainer *t)
{
    fm_state *s = heft__calloc(1, sizeof *s);
    if (!s)
        return HEFT_ENOMEM;
    t->state = s;
    const heft_model *m = t->m;
    const size_t k = (size_t)m->factors, nb = (size_t)1 << m->hash_bits;
    s->blk = heft__calloc(nb, (2 * k + 2) * sizeof *s->blk);
    s->s = heft__calloc(k, sizeof *s->s);
    if (!s->blk || !s->s)
        return HEFT_ENOMEM;
    for (size_t i = 0; i < nb; i++) {
        const float *p = m->theta + i * (k + 1);
        float *b = s->blk + i * (2 * k + 2);
        memcpy(b, p + 1, k * sizeof *b);
        b[2 * k] = p[0];
    }
    s->bias = m->theta[m->n_params - 1];
    return HEFT_OK;
}

static void fm_end(heft__trainer *t)
{
    fm_state *s = t->state;
    if (!s)
        return;
    free(s->blk);
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
        const float *b = s->blk + i * (2 * k + 2);
        memcpy(p + 1, b, k * sizeof *b);
        p[0] = b[2 * k];
    }
    m->theta[m->n_params - 1] = s->bias;
    return HEFT_OK;
}

/* AdaGrad step. G is 0 only while every gradient was 0, and then the
 * step is 0 / sqrt(1e-30) = 0; the tiny term keeps the loop branch-free
 * (so it vectorises) and changes no other result. */
FM_INLINE void fm_ada(float *th, float *G, float g, float lr)
{
    float G2 = *G + g * g;
    *G = G2;
    *th -= lr * g / sqrtf(G2 + 1e-30f);
}

/* Prefetches the blocks of row i's buckets. */
FM_INLINE void fm_prefetch(const fm_state *st, const heft_dataset *ds,
                           uint64_t i, uint32_t mask, size_t B)
{
    heft__row nx = heft__ds_row(ds, i);
    for (uint32_t j = 0; j < nx.nnz; j++) {
        const float *b = st->blk + (size_t)(nx.feat[j] & mask) * B;
        HEFT__PREFETCH(b);
        HEFT__PREFETCH(b + B - 1);
    }
}

/* One row's forward pass: fills s (K,) and returns f. */
FM_INLINE float fm_row_f(const fm_state *st, const heft__row *r,
                         uint32_t mask, float *s, const int K)
{
    const size_t B = 2 * (size_t)K + 2;
    float f = st->bias, q = 0;
    for (int c = 0; c < K; c++)
        s[c] = 0;
    for (uint32_t j = 0; j < r->nnz; j++) {
        const float *b = st->blk + (size_t)(r->feat[j] & mask) * B;
        const float x = r->val[j];
        f += b[2 * K] * x;
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

/* One row's AdaGrad step given the loss derivative g = w (p - y) and the
 * per-sample L2 weight rg = w l2. */
FM_INLINE void fm_row_step(fm_state *st, const heft__row *r, uint32_t mask,
                           const float *s, float g, float rg, float lr,
                           const int K)
{
    const size_t B = 2 * (size_t)K + 2;
    for (uint32_t j = 0; j < r->nnz; j++) {
        float *b = st->blk + (size_t)(r->feat[j] & mask) * B;
        const float x = r->val[j], gx = g * x, gxx = gx * x;
        for (int c = 0; c < K; c++) {
            const float v = b[c];
            fm_ada(&b[c], &b[K + c], gx * s[c] - gxx * v + rg * v, lr);
        }
        fm_ada(&b[2 * K], &b[2 * K + 1], gx + rg * b[2 * K], lr);
    }
    fm_ada(&st->bias, &st->Gb, g + rg * st->bias, lr);
}

#if defined(__SSE2__)
/* k = 8 with SSE2: the two halves of v (and of G) are one vector each. */
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
        const float *b = st->blk + (size_t)(r->feat[j] & mask) * 18;
        const __m128 x = _mm_set1_ps(r->val[j]);
        const __m128 t0 = _mm_mul_ps(_mm_loadu_ps(b), x);
        const __m128 t1 = _mm_mul_ps(_mm_loadu_ps(b + 4), x);
        s0 = _mm_add_ps(s0, t0);
        s1 = _mm_add_ps(s1, t1);
        q0 = _mm_add_ps(q0, _mm_mul_ps(t0, t0));
        q1 = _mm_add_ps(q1, _mm_mul_ps(t1, t1));
        f += b[16] * r->val[j];
    }
    _mm_storeu_ps(s, s0);
    _mm_storeu_ps(s + 4, s1);
    __m128 ss = _mm_add_ps(_mm_mul_ps(s0, s0), _mm_mul_ps(s1, s1));
    return f + 0.5f * (hsum4(ss) - hsum4(_mm_add_ps(q0, q1)));
}

/* AdaGrad on four factors: v at b, their sums at b + 8. */
FM_INLINE void fm8_ada4(float *b, __m128 gv, __m128 lr)
{
    const __m128 G = _mm_add_ps(_mm_loadu_ps(b + 8), _mm_mul_ps(gv, gv));
    _mm_storeu_ps(b + 8, G);
    const __m128 d = _mm_sqrt_ps(_mm_add_ps(G, _mm_set1_ps(1e-30f)));
    _mm_storeu_ps(b, _mm_sub_ps(_mm_loadu_ps(b),
                                _mm_div_ps(_mm_mul_ps(lr, gv), d)));
}

FM_INLINE void fm8_row_step(fm_state *st, const heft__row *r, uint32_t mask,
                            const float *s, float g, float rg, float lr)
{
    const __m128 S0 = _mm_loadu_ps(s), S1 = _mm_loadu_ps(s + 4);
    const __m128 LR = _mm_set1_ps(lr);
    for (uint32_t j = 0; j < r->nnz; j++) {
        float *b = st->blk + (size_t)(r->feat[j] & mask) * 18;
        const float x = r->val[j], gx = g * x, gxx = gx * x;
        const __m128 GX = _mm_set1_ps(gx), C = _mm_set1_ps(rg - gxx);
        /* gv = gx s - gxx v + rg v */
        const __m128 v0 = _mm_loadu_ps(b), v1 = _mm_loadu_ps(b + 4);
        fm8_ada4(b, _mm_add_ps(_mm_mul_ps(GX, S0), _mm_mul_ps(C, v0)), LR);
        fm8_ada4(b + 4, _mm_add_ps(_mm_mul_ps(GX, S1), _mm_mul_ps(C, v1)),
                 LR);
        fm_ada(&b[16], &b[17], gx + rg * b[16], lr);
    }
    fm_ada(&st->bias, &st->Gb, g + rg * st->bias, lr);
}
#endif

/* The AdaGrad epoch kernel; K is a compile-time constant at the hot calls
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
            fm_prefetch(st, ds, order[k + 1], mask, 2 * (size_t)K + 2);
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
