/*
 * gradrows.c: the parallel per-row gradient loop and the dense gradient sum
 * shared by el2n/grand, tracin/selfinf and influence (see gradrows.h).
 */
#include "gradrows.h"

#include <stdlib.h>

#define EMPTY_KEY UINT64_MAX

typedef struct rows_ctx {
    const heft_model *m;
    const heft_dataset *ds;
    const uint64_t *rows; /* (n_sel,) or NULL = all rows */
    uint64_t n_sel;
    int what;
    heft__grad_row_fn fn;
    void *ud;
    heft__gw *w; /* (nt,) */
} rows_ctx;

/* Fills w->g with df/dtheta of row i and returns p. */
static double row_df(heft__gw *w, const heft_dataset *ds, uint64_t i)
{
    const heft_model *m = w->m;
    heft__row r = heft__ds_row(ds, i);
    w->g.n = 0;
    if (heft__sgrad_reserve(&w->g, m->vt->grad_cap(m, r.nnz)) != HEFT_OK) {
        w->st = HEFT_ENOMEM;
        return 0;
    }
    double f;
    w->g.n = m->vt->grad(m, &r, w->g.idx, w->g.g, &f, w->scratch);
    return heft__sigmoid(f);
}

static void rows_task(void *p, int t, int nt)
{
    rows_ctx *c = p;
    heft__gw *w = &c->w[t];
    const heft_model *m = c->m;
    const uint64_t n = c->n_sel;
    const uint64_t a = n * (uint64_t)t / (uint64_t)nt;
    const uint64_t b = n * (uint64_t)(t + 1) / (uint64_t)nt;
    for (uint64_t k = a; k < b && w->st == HEFT_OK; k++) {
        const uint64_t i = c->rows ? c->rows[k] : k;
        double pr;
        if (c->what == HEFT__GR_LOSS) {
            w->st = heft__sample_grad(m, c->ds, i, &w->g, &pr, w->scratch);
        } else if (c->what == HEFT__GR_DF) {
            pr = row_df(w, c->ds, i);
        } else {
            heft__row r = heft__ds_row(c->ds, i);
            pr = heft__sigmoid(m->vt->logit(m, &r, w->scratch));
            w->g.n = 0;
        }
        if (w->st != HEFT_OK)
            break;
        c->fn(c->ud, w, i, pr);
    }
}

static void gw_free(heft__gw *w)
{
    free(w->scratch);
    heft__sgrad_free(&w->g);
    free(w->hkey);
    free(w->hval);
    free(w->hused);
    free(w->bitmap);
}

heft_status heft__grad_rows(const heft_model *m, const heft_dataset *ds,
                            int nt, int what, heft__grad_row_fn fn, void *ud,
                            heft_error *err)
{
    return heft__grad_rows_sel(m, ds, NULL, ds->n_rows, nt, what, fn, ud,
                               err);
}

heft_status heft__grad_rows_sel(const heft_model *m, const heft_dataset *ds,
                                const uint64_t *rows, uint64_t n_sel, int nt,
                                int what, heft__grad_row_fn fn, void *ud,
                                heft_error *err)
{
    if ((uint64_t)nt > n_sel)
        nt = (int)n_sel;
    if (nt < 1)
        nt = 1;
    heft__gw *w = heft__calloc((size_t)nt, sizeof *w);
    heft_status st = w ? HEFT_OK : HEFT_ENOMEM;
    for (int t = 0; st == HEFT_OK && t < nt; t++) {
        w[t].m = m;
        w[t].t = t;
        w[t].scratch = heft__malloc(1, m->vt->scratch_size(m) + 16);
        if (!w[t].scratch)
            st = HEFT_ENOMEM;
    }
    if (st == HEFT_OK) {
        rows_ctx c = {m, ds, rows, n_sel, what, fn, ud, w};
        heft__parallel(nt, rows_task, &c);
        for (int t = 0; t < nt; t++)
            if (w[t].st != HEFT_OK && st == HEFT_OK)
                st = w[t].st;
    }
    for (int t = 0; w && t < nt; t++)
        gw_free(&w[t]);
    free(w);
    if (st != HEFT_OK)
        return heft__err(err, st, NULL, 0, 0,
                         "out of memory while computing per-row gradients");
    return HEFT_OK;
}

/* Makes the worker's table hold at least 2n keys (a power of two, all
 * empty). */
static heft_status table_reserve(heft__gw *w, size_t n)
{
    size_t cap = w->hcap ? w->hcap : 64;
    while (cap < 2 * n)
        cap *= 2;
    if (cap == w->hcap)
        return HEFT_OK;
    free(w->hkey);
    free(w->hval);
    free(w->hused);
    w->hkey = heft__malloc(cap, sizeof *w->hkey);
    w->hval = heft__malloc(cap, sizeof *w->hval);
    w->hused = heft__malloc(cap, sizeof *w->hused);
    if (!w->hkey || !w->hval || !w->hused) {
        w->hcap = 0;
        return HEFT_ENOMEM;
    }
    for (size_t k = 0; k < cap; k++)
        w->hkey[k] = EMPTY_KEY;
    w->hcap = cap;
    return HEFT_OK;
}

/* Slot of index x in the worker's bitmap of 2^BITMAP_BITS bits. */
#define BITMAP_BITS 17
static inline uint64_t bit_of(uint64_t x)
{
    return (x * 0x9e3779b97f4a7c15ULL) >> (64 - BITMAP_BITS);
}

/* 1 if two pairs of g may share an index: a bitmap test that is exact for
 * "no" (the common case on hashed rows), so most rows skip the table. */
static int may_repeat(heft__gw *w)
{
    const heft__sgrad *g = &w->g;
    uint64_t *bm = w->bitmap;
    size_t k = 0;
    int hit = 0;
    for (; k < g->n; k++) {
        const uint64_t b = bit_of(g->idx[k]);
        const uint64_t bit = (uint64_t)1 << (b & 63);
        if (bm[b >> 6] & bit) {
            hit = 1;
            break;
        }
        bm[b >> 6] |= bit;
    }
    for (size_t j = 0; j < k; j++)
        bm[bit_of(g->idx[j]) >> 6] = 0;
    return hit;
}

heft_status heft__gw_merge(heft__gw *w)
{
    heft__sgrad *g = &w->g;
    if (!w->bitmap) {
        w->bitmap = heft__calloc((size_t)1 << (BITMAP_BITS - 6),
                                 sizeof *w->bitmap);
        if (!w->bitmap)
            return w->st = HEFT_ENOMEM;
    }
    if (!may_repeat(w))
        return HEFT_OK;
    if (table_reserve(w, g->n) != HEFT_OK)
        return w->st = HEFT_ENOMEM;
    const size_t mask = w->hcap - 1;
    size_t used = 0;
    for (size_t k = 0; k < g->n; k++) {
        size_t h = (size_t)heft__mix64(g->idx[k]) & mask;
        while (w->hkey[h] != EMPTY_KEY && w->hkey[h] != g->idx[k])
            h = (h + 1) & mask;
        if (w->hkey[h] == EMPTY_KEY) {
            w->hkey[h] = g->idx[k];
            w->hval[h] = 0;
            w->hused[used++] = h;
        }
        w->hval[h] += g->g[k];
    }
    /* Written back in first-appearance order, so the result does not
     * depend on where the table placed the keys. */
    for (size_t u = 0; u < used; u++) {
        const size_t h = w->hused[u];
        g->idx[u] = w->hkey[h];
        g->g[u] = w->hval[h];
        w->hkey[h] = EMPTY_KEY;
    }
    g->n = used;
    return HEFT_OK;
}

heft_status heft__gw_sqnorm(heft__gw *w, double *out)
{
    heft_status st = heft__gw_merge(w);
    if (st != HEFT_OK)
        return st;
    double s = 0;
    for (size_t k = 0; k < w->g.n; k++)
        s += w->g.g[k] * w->g.g[k];
    *out = s;
    return HEFT_OK;
}

typedef struct accum_ctx {
    heft__grad_acc_fn fn;
    void *ud;
    double **acc; /* (nt,) dense (n_params,) */
} accum_ctx;

static void accum_row(void *ud, heft__gw *w, uint64_t i, double p)
{
    accum_ctx *c = ud;
    c->fn(c->ud, w, i, p, c->acc[w->t]);
}

heft_status heft__grad_accum(const heft_model *m, const heft_dataset *ds,
                             const uint64_t *rows, uint64_t n_sel,
                             int threads, int what, heft__grad_acc_fn fn,
                             void *ud, double *out, heft_error *err)
{
    const size_t np = (size_t)m->n_params;
    /* A dense accumulator per thread costs O(n_params) to clear and add:
     * worth it only with enough rows per thread. */
    int nt = threads < 1 ? 1 : threads;
    if ((uint64_t)nt > n_sel / 4096 + 1)
        nt = (int)(n_sel / 4096 + 1);
    memset(out, 0, np * sizeof *out);
    double **acc = heft__calloc((size_t)nt, sizeof *acc);
    heft_status st = acc ? HEFT_OK : HEFT_ENOMEM;
    for (int t = 0; st == HEFT_OK && t < nt; t++) {
        acc[t] = t == 0 ? out : heft__calloc(np, sizeof **acc);
        if (!acc[t])
            st = HEFT_ENOMEM;
    }
    if (st != HEFT_OK)
        heft__err(err, st, NULL, 0, 0,
                  "out of memory for %d gradient accumulators of %zu "
                  "parameters", nt, np);
    accum_ctx c = {fn, ud, acc};
    if (st == HEFT_OK)
        st = heft__grad_rows_sel(m, ds, rows, n_sel, nt, what, accum_row,
                                 &c, err);
    for (int t = 1; st == HEFT_OK && t < nt; t++)
        for (size_t k = 0; k < np; k++)
            out[k] += acc[t][k];
    for (int t = 1; acc && t < nt; t++)
        free(acc[t]);
    free(acc);
    return st;
}

static void sum_row(void *ud, heft__gw *w, uint64_t i, double p,
                    double *acc)
{
    for (size_t k = 0; k < w->g.n; k++)
        acc[w->g.idx[k]] += w->g.g[k];
}

heft_status heft__grad_sum(const heft_model *m, const heft_dataset *ds,
                           int threads, double *out, heft_error *err)
{
    return heft__grad_accum(m, ds, NULL, ds->n_rows, threads, HEFT__GR_LOSS,
                            sum_row, NULL, out, err);
}

/* ---- logistic regression fast path ------------------------------------ */

typedef struct lr_dot_ctx {
    const heft_model *m;
    const heft_dataset *ds;
    const double *v;
    double eta;
    double *acc;
    float *col;
} lr_dot_ctx;

/* One thread's block of heft__lr_grad_dot: the logit as lr_logit forms it
 * and the dot product as heft__sgrad_dot forms it on the gradient
 * heft__sample_grad writes (x_j s in row order, then the bias s), so the
 * bits match the generic path. */
static void lr_dot_task(void *p, int t, int nt)
{
    const lr_dot_ctx *c = p;
    const heft_dataset *ds = c->ds;
    const float *th = c->m->theta;
    const double *v = c->v;
    const uint64_t bias = c->m->n_params - 1;
    const uint32_t mask = (uint32_t)(((uint64_t)1 << c->m->hash_bits) - 1);
    const uint64_t n = ds->n_rows;
    const uint64_t a = n * (uint64_t)t / (uint64_t)nt;
    const uint64_t b = n * (uint64_t)(t + 1) / (uint64_t)nt;
    for (uint64_t i = a; i < b; i++) {
        const uint64_t r0 = ds->row_ptr[i], r1 = ds->row_ptr[i + 1];
        const uint32_t *feat = ds->feat + r0;
        const float *val = ds->val + r0;
        const uint32_t nnz = (uint32_t)(r1 - r0);
        double f = th[bias];
        for (uint32_t j = 0; j < nnz; j++)
            f += (double)val[j] * th[feat[j] & mask];
        const double w = ds->weight ? ds->weight[i] : 1.0;
        const double s =
            w * (heft__sigmoid(f) - heft__score_y01(ds->label[i]));
        double d = 0;
        for (uint32_t j = 0; j < nnz; j++)
            d += ((double)val[j] * s) * v[feat[j] & mask];
        d += (1.0 * s) * v[bias];
        if (c->acc)
            c->acc[i] += c->eta * d;
        else
            c->col[i] = (float)d;
    }
}

heft_status heft__lr_grad_dot(const heft_model *m, const heft_dataset *ds,
                              const double *v, int threads, double eta,
                              double *acc, float *col)
{
    int nt = threads < 1 ? 1 : threads;
    if ((uint64_t)nt > ds->n_rows)
        nt = ds->n_rows ? (int)ds->n_rows : 1;
    lr_dot_ctx c = {m, ds, v, eta, acc, col};
    heft__parallel(nt, lr_dot_task, &c);
    return HEFT_OK;
}
