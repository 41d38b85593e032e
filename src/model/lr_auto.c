/*
 * lr_auto.c: the choice of FTRL's step size alpha when opts.lr is 0, which
 * is the lr model's default ("auto"). heft_train() calls heft__lr_tune()
 * and then trains on every row with the alpha it returns.
 *
 * Why alpha: with FTRL-Proximal (lr.c) and a fixed number of epochs, alpha
 * sets how far the weights move from 0, so it acts as the strength of the
 * regularisation, and the best value depends on the data: on a few thousand
 * rows with many rare tokens a small alpha generalises best, on tens of
 * thousands of rows of frequent tokens a larger one (docs/models.md has the
 * measurements). A held-out score settles it, as scikit-learn users tune C
 * on a validation split.
 *
 * Procedure (deterministic for a seed):
 *   1. Rows: all of them, or for more than TUNE_ROWS rows a uniform random
 *      subset of about TUNE_ROWS (each row kept with probability
 *      TUNE_ROWS / n, in file order). Each kept row goes to the held-out
 *      part with probability 1/5, else to the fit part.
 *   2. The G = 4 candidates alpha_g in {0.03, 0.1, 0.3, 1} (a log grid,
 *      factor ~sqrt(10)) each run FTRL-Proximal exactly as the training
 *      kernel does (same beta, lambda1, and lambda2 = l2 * the fit part's
 *      weight sum) for the run's number of epochs over the fit part, in a
 *      seeded uniformly shuffled order per epoch.
 *   3. The candidate with the lowest weighted log loss on the held-out part
 *      wins (ties: the smaller alpha).
 * With fewer than MIN_ROWS rows, or a part with no weight, the tuning is
 * skipped and alpha is the fixed fallback 0.1.
 *
 * Cost: the four candidates share each bucket's state, one 32-byte block
 *   [z_0..z_3, sqrt(n)_0..sqrt(n)_3]
 * so a row costs the cache misses of one model and four times its (cheap)
 * arithmetic; with the TUNE_ROWS cap the tuning of a large data set costs
 * about one epoch of the final training.
 */
#include "train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define G 4
#define TUNE_ROWS 262144
#define TUNE_BLOCK 64
#define MIN_ROWS 50
#define FALLBACK_ALPHA 0.1

static const float tune_alpha[G] = {0.03f, 0.1f, 0.3f, 1.0f};

/* One bucket's FTRL state for the G candidates. */
typedef struct cand {
    float z[G], sq[G];
} cand;

typedef struct tuner {
    const heft_dataset *ds;
    cand *st;          /* (2^hash_bits + 1,) the last one is the bias      */
    float *w;          /* (max nnz, G) weights of the row being stepped     */
    size_t wcap;
    uint32_t mask;
    float inv_a[G], beta, l1, l2;
} tuner;

#if defined(__SSE2__)
/* With SSE2 the G = 4 candidates of a bucket are one vector each of z and
 * sqrt(n): the arithmetic of four models costs about that of one. */

/* FTRL's lazy weights (lr.c's ftrl_w) of the four candidates of e. */
static inline __m128 cand_w4(const tuner *T, const cand *e, float l1)
{
    const __m128 sign = _mm_set1_ps(-0.0f), z = _mm_loadu_ps(e->z);
    const __m128 shrunk = _mm_max_ps(
        _mm_sub_ps(_mm_andnot_ps(sign, z), _mm_set1_ps(l1)),
        _mm_setzero_ps());
    const __m128 den = _mm_add_ps(
        _mm_mul_ps(_mm_add_ps(_mm_set1_ps(T->beta), _mm_loadu_ps(e->sq)),
                   _mm_loadu_ps(T->inv_a)),
        _mm_set1_ps(T->l2));
    /* -sgn(z) shrunk / den */
    const __m128 num = _mm_or_ps(shrunk, _mm_and_ps(z, sign));
    return _mm_div_ps(_mm_xor_ps(num, sign), den);
}

/* The G logits of row r; with w non-NULL also stores each occurrence's
 * weights in w (nnz, G) and the bias's in wb. */
static void cand_logits(const tuner *T, const heft__row *r, float *w,
                        float *wb, float f[G])
{
    __m128 acc = cand_w4(T, &T->st[T->mask + 1u], 0);
    if (wb)
        _mm_storeu_ps(wb, acc);
    for (uint32_t j = 0; j < r->nnz; j++) {
        const __m128 v = cand_w4(T, &T->st[r->feat[j] & T->mask], T->l1);
        acc = _mm_add_ps(acc, _mm_mul_ps(v, _mm_set1_ps(r->val[j])));
        if (w)
            _mm_storeu_ps(w + (size_t)j * G, v);
    }
    _mm_storeu_ps(f, acc);
}

/* FTRL step of the G candidates on one coordinate: gradients g[l] x,
 * weights w[l]. */
static inline void cand_step(cand *e, const float g[G], float x,
                             const float *w, const float inv_a[G])
{
    const __m128 gl = _mm_mul_ps(_mm_loadu_ps(g), _mm_set1_ps(x));
    const __m128 sq = _mm_loadu_ps(e->sq);
    const __m128 sq2 = _mm_sqrt_ps(
        _mm_add_ps(_mm_mul_ps(sq, sq), _mm_mul_ps(gl, gl)));
    const __m128 sig = _mm_mul_ps(_mm_sub_ps(sq2, sq), _mm_loadu_ps(inv_a));
    _mm_storeu_ps(e->z, _mm_add_ps(_mm_loadu_ps(e->z),
                                   _mm_sub_ps(gl, _mm_mul_ps(
                                                      sig, _mm_loadu_ps(w)))));
    _mm_storeu_ps(e->sq, sq2);
}
#else
/* FTRL's lazy weight (lr.c's ftrl_w), written without a branch. */
static inline float cand_w(float z, float sq, float l1, float inv_a,
                           float beta, float l2)
{
    float shrunk = fabsf(z) - l1;
    shrunk = shrunk > 0 ? shrunk : 0;
    return -copysignf(shrunk, z) / ((beta + sq) * inv_a + l2);
}

/* The G logits of row r; with w non-NULL also stores each occurrence's
 * weights in w (nnz, G) and the bias's in wb. */
static void cand_logits(const tuner *T, const heft__row *r, float *w,
                        float *wb, float f[G])
{
    const cand *b = &T->st[T->mask + 1u];
    for (int l = 0; l < G; l++) {
        float v = cand_w(b->z[l], b->sq[l], 0, T->inv_a[l], T->beta, T->l2);
        f[l] = v;
        if (wb)
            wb[l] = v;
    }
    for (uint32_t j = 0; j < r->nnz; j++) {
        const cand *e = &T->st[r->feat[j] & T->mask];
        const float x = r->val[j];
        for (int l = 0; l < G; l++) {
            float v = cand_w(e->z[l], e->sq[l], T->l1, T->inv_a[l],
                             T->beta, T->l2);
            f[l] += v * x;
            if (w)
                w[(size_t)j * G + l] = v;
        }
    }
}

/* FTRL step of the G candidates on one coordinate: gradients g[l] x,
 * weights w[l]. */
static inline void cand_step(cand *e, const float g[G], float x,
                             const float *w, const float inv_a[G])
{
    for (int l = 0; l < G; l++) {
        const float gl = g[l] * x, sq = e->sq[l];
        const float sq2 = sqrtf(sq * sq + gl * gl);
        e->z[l] += gl - (sq2 - sq) * inv_a[l] * w[l];
        e->sq[l] = sq2;
    }
}
#endif

/* One FTRL step of every candidate on row i. */
static heft_status tune_row(tuner *T, uint64_t i)
{
    const heft_dataset *ds = T->ds;
    const float wt = ds->weight ? ds->weight[i] : 1.0f;
    if (wt == 0)
        return HEFT_OK;
    const heft__row r = heft__ds_row(ds, i);
    if ((size_t)r.nnz * G > T->wcap) {
        size_t cap = ((size_t)r.nnz + 64) * G;
        float *w = heft__realloc(T->w, cap, sizeof *w);
        if (!w)
            return HEFT_ENOMEM;
        T->w = w;
        T->wcap = cap;
    }
    float f[G], g[G], wb[G];
    cand_logits(T, &r, T->w, wb, f);
    const float y = heft__label01f(ds->label[i]);
    for (int l = 0; l < G; l++)
        g[l] = wt * ((float)heft__sigmoid(f[l]) - y);
    for (uint32_t j = 0; j < r.nnz; j++)
        cand_step(&T->st[r.feat[j] & T->mask], g, r.val[j],
                  T->w + (size_t)j * G, T->inv_a);
    cand_step(&T->st[T->mask + 1u], g, 1.0f, wb, T->inv_a);
    return HEFT_OK;
}

/* Splits the rows, or for more than TUNE_ROWS rows a random subset of
 * blocks of TUNE_BLOCK consecutive rows (about TUNE_ROWS rows in all; whole
 * blocks, so reading them stays sequential), into the fit part (*fit,
 * *n_fit, ascending) and the held-out part (*hold, *n_hold): each row is
 * held out with probability 1/5. One array owned by the caller (*fit). */
static heft_status tune_split(const heft_dataset *ds, heft__rng *rng,
                              uint64_t **fit, size_t *n_fit,
                              uint64_t **hold, size_t *n_hold)
{
    const uint64_t n = ds->n_rows, most = TUNE_ROWS + TUNE_ROWS / 4;
    const double keep = n > TUNE_ROWS ? (double)TUNE_ROWS / (double)n : 1.0;
    const size_t cap = (size_t)(n < most ? n : most);
    uint64_t *rows = heft__malloc(cap ? cap : 1, sizeof *rows);
    if (!rows)
        return HEFT_ENOMEM;
    size_t a = 0, b = cap; /* fit rows grow up from 0, held-out down */
    for (uint64_t i = 0; i < n && a < b; i += TUNE_BLOCK) {
        if (keep < 1 && heft__rng_uniform(rng) >= keep)
            continue;
        for (uint64_t r = i; r < i + TUNE_BLOCK && r < n && a < b; r++) {
            if (heft__rng_uniform(rng) < 0.2)
                rows[--b] = r;
            else
                rows[a++] = r;
        }
    }
    *fit = rows;
    *n_fit = a;
    *hold = rows + b;
    *n_hold = cap - b;
    return HEFT_OK;
}

/* Weighted log loss of each candidate on rows[0..n) into ll[G]; returns
 * the weight sum. */
static double tune_score(const tuner *T, const uint64_t *rows, size_t n,
                         double ll[G])
{
    double ws = 0;
    for (int l = 0; l < G; l++)
        ll[l] = 0;
    for (size_t k = 0; k < n; k++) {
        const uint64_t i = rows[k];
        const float wt = T->ds->weight ? T->ds->weight[i] : 1.0f;
        if (wt == 0)
            continue;
        const heft__row r = heft__ds_row(T->ds, i);
        float f[G];
        cand_logits(T, &r, NULL, NULL, f);
        const double y = heft__label01f(T->ds->label[i]);
        for (int l = 0; l < G; l++)
            ll[l] += wt * heft__logloss_logit((double)f[l], y);
        ws += wt;
    }
    return ws;
}

/* Runs the G candidates for o->epochs epochs over fit[0..n_fit), in
 * heft__shuffle_rows() order of the fit rows when o->shuffle (order is
 * scratch for n_fit row numbers), prefetching as the training kernels do. */
static heft_status tune_fit(tuner *T, const heft_train_opts *o,
                            const uint64_t *fit, size_t n_fit,
                            uint64_t *order)
{
    for (int e = 1; e <= o->epochs; e++) {
        heft__rng rng;
        heft__rng_seed(&rng, heft__seed_mix(o->seed, 0x74756e6500ull + e));
        if (!o->shuffle)
            for (size_t k = 0; k < n_fit; k++)
                order[k] = k;
        else if (heft__shuffle_rows(&rng, order, n_fit) != HEFT_OK)
            return HEFT_ENOMEM;
        for (size_t k = 0; k < n_fit; k++)
            order[k] = fit[order[k]];
        for (size_t k = 0; k < n_fit; k++) {
            heft__prefetch_pipeline(T->ds, order, n_fit, k, 0);
            if (k + 1 < n_fit) {
                const heft__row nx = heft__ds_row(T->ds, order[k + 1]);
                for (uint32_t j = 0; j < nx.nnz; j++)
                    HEFT__PREFETCH(&T->st[nx.feat[j] & T->mask]);
            }
            heft_status st = tune_row(T, order[k]);
            if (st != HEFT_OK)
                return st;
        }
    }
    return HEFT_OK;
}

/* Sum of the weights of rows[0..n). */
static double weight_sum(const heft_dataset *ds, const uint64_t *rows,
                         size_t n)
{
    double s = 0;
    for (size_t k = 0; k < n; k++)
        s += ds->weight ? ds->weight[rows[k]] : 1.0;
    return s;
}

/* Logs the outcome of the tuning through o->log. */
static void tune_log(const heft_train_opts *o, const double ll[G],
                     double hold_w, int best, size_t n_fit, size_t n_hold,
                     double secs)
{
    if (!o->log)
        return;
    char line[256];
    int len = snprintf(line, sizeof line,
                       "auto lr: alpha %g (held-out logloss", (double)
                       tune_alpha[best]);
    for (int l = 0; l < G && len > 0 && (size_t)len < sizeof line; l++)
        len += snprintf(line + len, sizeof line - (size_t)len, "%s %g: %.5f",
                        l ? "," : "", (double)tune_alpha[l],
                        ll[l] / hold_w);
    if (len > 0 && (size_t)len < sizeof line)
        snprintf(line + len, sizeof line - (size_t)len,
                 "; %zu + %zu rows, %.2fs)", n_fit, n_hold, secs);
    o->log(o->log_ud, line);
}

heft_status heft__lr_tune(const heft_dataset *ds, const heft_train_opts *o,
                          double *alpha, heft_error *err)
{
    *alpha = FALLBACK_ALPHA;
    const unsigned hb = ds->schema.hash_bits;
    if (ds->n_rows < MIN_ROWS || hb < 1 || hb > 30)
        return HEFT_OK; /* too few rows; or heft_train reports the bits */
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    heft__rng rng;
    heft__rng_seed(&rng, heft__seed_mix(o->seed, 0x74756e65u));
    uint64_t *fit = NULL, *hold = NULL;
    size_t n_fit = 0, n_hold = 0;
    tuner T = {.ds = ds, .mask = (uint32_t)((1ull << hb) - 1)};
    heft_status st = tune_split(ds, &rng, &fit, &n_fit, &hold, &n_hold);
    if (st == HEFT_OK) {
        T.st = heft__calloc((size_t)T.mask + 2, sizeof *T.st);
        heft__huge_pages(T.st, ((size_t)T.mask + 2) * sizeof *T.st);
        st = T.st ? HEFT_OK : HEFT_ENOMEM;
    }
    const double fit_w = st == HEFT_OK ? weight_sum(ds, fit, n_fit) : 0;
    double ll[G] = {0}, hold_w = 0;
    if (st == HEFT_OK && fit_w > 0) {
        for (int l = 0; l < G; l++)
            T.inv_a[l] = 1.0f / tune_alpha[l];
        T.beta = (float)o->ftrl_beta;
        T.l1 = (float)o->l1;
        T.l2 = (float)(o->l2 * fit_w);
        uint64_t *order = heft__malloc(n_fit, sizeof *order);
        st = order ? tune_fit(&T, o, fit, n_fit, order) : HEFT_ENOMEM;
        free(order);
        if (st == HEFT_OK)
            hold_w = tune_score(&T, hold, n_hold, ll);
    }
    int best = -1;
    for (int l = 0; hold_w > 0 && l < G; l++)
        if (isfinite(ll[l]) && (best < 0 || ll[l] < ll[best]))
            best = l;
    if (best >= 0) {
        struct timespec t1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        *alpha = tune_alpha[best];
        tune_log(o, ll, hold_w, best, n_fit, n_hold,
                 (double)(t1.tv_sec - t0.tv_sec) +
                     1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
    }
    free(fit);
    free(T.st);
    free(T.w);
    if (st != HEFT_OK)
        return heft__err(err, st, NULL, 0, 0,
                         "out of memory for tuning the lr step size");
    return HEFT_OK;
}
