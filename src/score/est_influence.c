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
 * Large data: with more than 2^17 training rows, H is estimated from 2^17
 * evenly spaced rows, scaled by n / 2^17 (the subsampled Hessian of
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
 * training rows for the scores. Memory: for lr, a copy of the sampled
 * rows' entries and vectors over the touched buckets (see the lr system
 * below); else six dense vectors of n_params doubles (plus a per-thread
 * accumulator for each product).
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

/* The linear system CG solves: A s = b of dimension n, A applied by
 * apply(ud, v, out) and d (n,) its positive diagonal preconditioner. */
typedef struct cg_op {
    size_t n;
    heft_status (*apply)(void *ud, const double *v, double *out,
                         heft_error *err);
    void *ud;
} cg_op;

/* ---- other models: the system on the parameters the rows touch ---------
 * H_i is zero outside the parameters of row i's gradient (for fm, the w
 * and v of its buckets and the bias; for mlp, its buckets' embeddings and
 * every dense weight; d2f v of fm and mlp writes only there too), so, as
 * for lr below, (H + lambda I) is (l2 + lambda) I on every parameter no
 * Hessian row touches, solved in closed form, and CG runs on the touched
 * ones. The model's functions take dense vectors: a product scatters the
 * direction into a dense vector that is zero elsewhere, accumulates per
 * thread into dense accumulators kept for the whole solve, and gathers
 * (and re-zeroes) only the touched entries, so a CG step costs the rows'
 * work plus O(touched), not O(n_params). */
typedef struct gen_sys {
    const hess *h;
    double lambda;
    size_t nl;        /* touched parameters                              */
    uint64_t *glob;   /* (nl,) their indices, ascending                  */
    double *vfull;    /* (n_params,) zero outside a product              */
    double **acc;     /* (nt,) dense, zero outside a product             */
    uint8_t **mark;   /* (nt,) touched maps while numbering, then NULL   */
    int nt;
    heft__grad_acc_fn fn;
    void *fn_ud;
} gen_sys;

static void gen_mark_row(void *ud, heft__gw *w, uint64_t i, double p)
{
    gen_sys *G = ud;
    for (size_t k = 0; k < w->g.n; k++)
        G->mark[w->t][w->g.idx[k]] = 1;
}

static void gen_acc_row(void *ud, heft__gw *w, uint64_t i, double p)
{
    gen_sys *G = ud;
    G->fn(G->fn_ud, w, i, p, G->acc[w->t]);
}

/* out (nl,) = the touched entries of sum_i fn(row i) over the Hessian
 * rows, the accumulators left zero. */
static heft_status gen_accumulate(gen_sys *G, heft__grad_acc_fn fn, void *ud,
                                  double *out, heft_error *err)
{
    const hess *h = G->h;
    G->fn = fn;
    G->fn_ud = ud;
    heft_status st = heft__grad_rows_sel(h->m, h->ds, h->rows, h->n_sel,
                                         G->nt, HEFT__GR_DF, gen_acc_row, G,
                                         err);
    for (size_t j = 0; j < G->nl; j++) {
        const uint64_t k = G->glob[j];
        double x = 0;
        for (int t = 0; t < G->nt; t++) {
            x += G->acc[t][k];
            G->acc[t][k] = 0;
        }
        out[j] = x;
    }
    return st;
}

static heft_status gen_apply(void *ud, const double *v, double *out,
                             heft_error *err)
{
    gen_sys *G = ud;
    for (size_t j = 0; j < G->nl; j++)
        G->vfull[G->glob[j]] = v[j];
    hvp_ud u = {G->h, G->vfull};
    heft_status st = gen_accumulate(G, hvp_row, &u, out, err);
    const double d = G->h->m->l2 + G->lambda;
    for (size_t j = 0; j < G->nl; j++) {
        G->vfull[G->glob[j]] = 0;
        out[j] += d * v[j];
    }
    return st;
}

static void gen_free(gen_sys *G)
{
    for (int t = 0; t < G->nt; t++) {
        if (G->acc)
            free(G->acc[t]);
        if (G->mark)
            free(G->mark[t]);
    }
    free(G->acc);
    free(G->mark);
    free(G->glob);
    free(G->vfull);
}

/* Finds the touched parameters and allocates G's dense vectors. */
static heft_status gen_init(gen_sys *G, heft_error *err)
{
    const hess *h = G->h;
    const size_t np = (size_t)h->m->n_params;
    int nt = h->threads < 1 ? 1 : h->threads;
    if ((uint64_t)nt > h->n_sel)
        nt = h->n_sel ? (int)h->n_sel : 1;
    G->nt = nt;
    G->acc = heft__calloc((size_t)nt, sizeof *G->acc);
    G->mark = heft__calloc((size_t)nt, sizeof *G->mark);
    G->vfull = heft__calloc(np, sizeof *G->vfull);
    int ok = G->acc && G->mark && G->vfull;
    for (int t = 0; ok && t < nt; t++)
        ok = (G->acc[t] = heft__calloc(np, sizeof **G->acc)) &&
             (G->mark[t] = heft__calloc(np, 1));
    if (!ok)
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                         "out of memory for the influence system over %zu "
                         "parameters", np);
    heft_status st = heft__grad_rows_sel(h->m, h->ds, h->rows, h->n_sel, nt,
                                         HEFT__GR_DF, gen_mark_row, G, err);
    if (st != HEFT_OK)
        return st;
    size_t nl = 0;
    for (size_t k = 0; k < np; k++) {
        for (int t = 1; t < nt; t++)
            G->mark[0][k] |= G->mark[t][k];
        nl += G->mark[0][k];
    }
    G->glob = heft__malloc(nl ? nl : 1, sizeof *G->glob);
    if (!G->glob)
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "out of memory");
    for (size_t k = 0, j = 0; k < np; k++)
        if (G->mark[0][k])
            G->glob[j++] = k;
    G->nl = nl;
    for (int t = 0; t < nt; t++)
        free(G->mark[t]);
    free(G->mark);
    G->mark = NULL;
    return HEFT_OK;
}

/* ---- lr: the system on the buckets the Hessian rows touch ---------------
 * For lr, df_i = (x_i, 1) and d2f = 0, so H_i v = c_i (x_i . v + v_b)
 * (x_i, 1) with c_i = scale w_i p_i (1 - p_i) fixed across CG steps, and H
 * is zero on every bucket no Hessian row touches. There (H + lambda I) is
 * (l2 + lambda) I, so s_k = b_k / (l2 + lambda) exactly (0 when l2 +
 * lambda = 0: the minimum-norm solution), and CG runs on the touched
 * buckets alone, renumbered 0..nb-1 by falling frequency (ties by bucket)
 * with the bias last. The renumbering keeps the vectors CG reads and
 * writes small and puts the most frequent buckets, which most entries
 * reach, in a few cache lines: each product then costs one pass over the
 * sample's entries at cache speed rather than at memory latency. The
 * residual on the untouched buckets is zero, so CG's residual is the full
 * system's and the stopping rule (relative to the full |b|) is unchanged. */
typedef struct lr_sys {
    const hess *h;
    double lambda;
    size_t nb;        /* touched buckets; the system has nb + 1 unknowns */
    uint64_t *glob;   /* (nb,) bucket of each local index               */
    uint64_t *ptr;    /* (n_sel + 1,) entry offsets into lidx            */
    uint32_t *lidx;   /* local index of every sample entry              */
    float *lval;      /* its value (a contiguous copy: the sample rows
                         are spread over the data, the copy streams)    */
    double *c;        /* (n_sel,) the curvature weights c_i              */
    double **acc;     /* (nt,) per-thread products; [0] is the output    */
    int nt;
    const double *v;  /* the direction of the product being formed      */
} lr_sys;

typedef struct bucket_count {
    uint32_t n, bucket;
} bucket_count;

static int by_count_desc(const void *a, const void *b)
{
    const bucket_count *x = a, *y = b;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return (x->bucket > y->bucket) - (x->bucket < y->bucket);
}

/* Row i of the sample's CSR slice: its entries in ds. */
static uint64_t sample_row(const hess *h, uint64_t k)
{
    return h->rows ? h->rows[k] : k;
}

/* Block [a, b) of the sample that thread t of nt handles. */
static void sample_block(const hess *h, int t, int nt, uint64_t *a,
                         uint64_t *b)
{
    *a = h->n_sel * (uint64_t)t / (uint64_t)nt;
    *b = h->n_sel * (uint64_t)(t + 1) / (uint64_t)nt;
}

/* Numbering, in two parallel passes over the sample: cnt[t] counts the
 * buckets of thread t's rows; then (cnt[0] holding every bucket's local
 * index) lidx is filled. */
typedef struct num_ctx {
    const hess *h;
    lr_sys *L;
    uint32_t **cnt; /* (nt,) each (2^hash_bits,) */
    int fill;
} num_ctx;

static void num_task(void *p, int t, int nt)
{
    num_ctx *c = p;
    const hess *h = c->h;
    const heft_dataset *ds = h->ds;
    const uint32_t mask = (uint32_t)(((uint64_t)1 << h->m->hash_bits) - 1);
    uint64_t a, b;
    sample_block(h, t, nt, &a, &b);
    for (uint64_t k = a; k < b; k++) {
        const uint64_t i = sample_row(h, k);
        const uint32_t *feat = ds->feat + ds->row_ptr[i];
        const uint64_t nnz = ds->row_ptr[i + 1] - ds->row_ptr[i];
        if (c->fill) {
            const uint32_t *loc = c->cnt[0];
            uint32_t *out = c->L->lidx + c->L->ptr[k];
            for (uint64_t j = 0; j < nnz; j++)
                out[j] = loc[feat[j] & mask];
            memcpy(c->L->lval + c->L->ptr[k], ds->val + ds->row_ptr[i],
                   (size_t)nnz * sizeof *c->L->lval);
        } else {
            uint32_t *cnt = c->cnt[t];
            for (uint64_t j = 0; j < nnz; j++)
                cnt[feat[j] & mask]++;
        }
    }
}

/* Numbers the touched buckets (L->glob, L->nb) and fills L->ptr/lidx,
 * with L->nt threads. */
static heft_status lr_number(lr_sys *L)
{
    const hess *h = L->h;
    const heft_dataset *ds = h->ds;
    const size_t nbk = (size_t)1 << h->m->hash_bits;
    uint32_t *cnt[64] = {NULL};
    num_ctx nc = {h, L, cnt, 0};
    heft_status st = HEFT_OK;
    for (int t = 0; t < L->nt; t++)
        if (!(cnt[t] = heft__calloc(nbk, sizeof *cnt[t])))
            st = HEFT_ENOMEM;
    L->ptr = heft__malloc((size_t)h->n_sel + 1, sizeof *L->ptr);
    if (!L->ptr)
        st = HEFT_ENOMEM;
    uint64_t nnz = 0;
    for (uint64_t k = 0; st == HEFT_OK && k < h->n_sel; k++) {
        const uint64_t i = sample_row(h, k);
        L->ptr[k] = nnz;
        nnz += ds->row_ptr[i + 1] - ds->row_ptr[i];
    }
    bucket_count *bc = NULL;
    size_t nb = 0;
    if (st == HEFT_OK) {
        L->ptr[h->n_sel] = nnz;
        heft__parallel(L->nt, num_task, &nc);
        for (size_t b = 0; b < nbk; b++) {
            for (int t = 1; t < L->nt; t++)
                cnt[0][b] += cnt[t][b];
            nb += cnt[0][b] != 0;
        }
        bc = heft__malloc(nb ? nb : 1, sizeof *bc);
        L->glob = heft__malloc(nb ? nb : 1, sizeof *L->glob);
        L->lidx = heft__malloc(nnz ? (size_t)nnz : 1, sizeof *L->lidx);
        L->lval = heft__malloc(nnz ? (size_t)nnz : 1, sizeof *L->lval);
        if (!bc || !L->glob || !L->lidx || !L->lval)
            st = HEFT_ENOMEM;
    }
    if (st == HEFT_OK) {
        size_t t = 0;
        for (size_t b = 0; b < nbk; b++)
            if (cnt[0][b])
                bc[t++] = (bucket_count){cnt[0][b], (uint32_t)b};
        qsort(bc, nb, sizeof *bc, by_count_desc);
        for (size_t j = 0; j < nb; j++) {
            L->glob[j] = bc[j].bucket;
            cnt[0][bc[j].bucket] = (uint32_t)j;
        }
        nc.fill = 1;
        heft__parallel(L->nt, num_task, &nc);
        L->nb = nb;
    }
    free(bc);
    for (int t = 0; t < L->nt; t++)
        free(cnt[t]);
    return st;
}

/* One thread's block: with L->v == NULL the curvature weights c_k and
 * the diagonal sum_k c_k x_kj^2 into L->acc[t]; else the product
 * L->acc[t] = sum_k c_k (x_k . v) x_k, both in local indices. */
static void lr_task(void *p, int t, int nt)
{
    lr_sys *L = p;
    const hess *h = L->h;
    const heft_dataset *ds = h->ds;
    uint64_t a, b;
    sample_block(h, t, nt, &a, &b);
    const double *v = L->v;
    double *acc = L->acc[t];
    const size_t bias = L->nb;
    memset(acc, 0, (L->nb + 1) * sizeof *acc);
    for (uint64_t k = a; k < b; k++) {
        const uint64_t i = sample_row(h, k);
        const uint32_t *li = L->lidx + L->ptr[k];
        const float *val = L->lval + L->ptr[k];
        const uint64_t nnz = L->ptr[k + 1] - L->ptr[k];
        if (!v) {
            heft__row r = heft__ds_row(ds, i);
            const double pr = heft__sigmoid(h->m->vt->logit(h->m, &r, NULL));
            const double wi = (ds->weight ? ds->weight[i] : 1.0) * h->scale;
            const double ck = L->c[k] = wi * pr * (1 - pr);
            for (uint64_t j = 0; j < nnz; j++)
                acc[li[j]] += ck * (double)val[j] * (double)val[j];
            acc[bias] += ck;
            continue;
        }
        double d = v[bias];
        for (uint64_t j = 0; j < nnz; j++)
            d += (double)val[j] * v[li[j]];
        const double s = L->c[k] * d;
        for (uint64_t j = 0; j < nnz; j++)
            acc[li[j]] += s * (double)val[j];
        acc[bias] += s;
    }
}

/* Forms L->acc[0] = the threads' sum (lr_task with L->v). */
static void lr_run(lr_sys *L)
{
    const size_t n = L->nb + 1;
    heft__parallel(L->nt, lr_task, L);
    for (int t = 1; t < L->nt; t++)
        for (size_t k = 0; k < n; k++)
            L->acc[0][k] += L->acc[t][k];
}

/* out = (H + lambda I) v on the local unknowns. */
static heft_status lr_apply(void *ud, const double *v, double *out,
                            heft_error *err)
{
    lr_sys *L = ud;
    const size_t n = L->nb + 1;
    L->v = v;
    L->acc[0] = out;
    lr_run(L);
    const double d = L->h->m->l2 + L->lambda;
    for (size_t k = 0; k < n; k++)
        out[k] += d * v[k];
    (void)err;
    return HEFT_OK;
}

static void lr_free(lr_sys *L)
{
    for (int t = 1; L->acc && t < L->nt; t++)
        free(L->acc[t]);
    free(L->acc);
    free(L->c);
    free(L->glob);
    free(L->ptr);
    free(L->lidx);
    free(L->lval);
}

/* Builds L (lambda and h set): numbering, weights, accumulators, and the
 * preconditioner d (nb + 1,) = diag(H) + l2 + lambda on the local
 * unknowns (*d owned). */
static heft_status lr_init(lr_sys *L, double **d)
{
    const hess *h = L->h;
    int nt = h->threads < 1 ? 1 : h->threads;
    if ((uint64_t)nt > h->n_sel / 4096 + 1)
        nt = (int)(h->n_sel / 4096 + 1);
    L->nt = nt > 64 ? 64 : nt;
    heft_status st = lr_number(L);
    if (st != HEFT_OK)
        return st;
    const size_t n = L->nb + 1;
    L->c = heft__malloc(h->n_sel ? (size_t)h->n_sel : 1, sizeof *L->c);
    L->acc = heft__calloc((size_t)L->nt, sizeof *L->acc);
    *d = heft__malloc(n, sizeof **d);
    int ok = L->c && L->acc && *d;
    for (int t = 1; ok && t < L->nt; t++)
        ok = (L->acc[t] = heft__malloc(n, sizeof **L->acc)) != NULL;
    if (!ok)
        return HEFT_ENOMEM;
    L->v = NULL;
    L->acc[0] = *d;
    lr_run(L);
    for (size_t k = 0; k < n; k++) {
        (*d)[k] += h->m->l2 + L->lambda;
        if (!((*d)[k] > 0))
            (*d)[k] = 1;
    }
    return HEFT_OK;
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

/* Vectors of one CG solve, each (op->n,). */
typedef struct cg_vecs {
    double *r, *p, *q, *d; /* residual, direction, A p, preconditioner */
} cg_vecs;

/* The CG iteration proper: s from 0 on vectors v (d holds the diagonal);
 * stops when |r| <= tol bn (bn: the norm of the full right-hand side). */
static heft_status cg_loop(const cg_op *op, const double *b, double bn,
                           int max_iter, double tol, double *s, cg_vecs *v,
                           heft__cg_info *info, heft_error *err)
{
    const size_t np = op->n;
    double rz = 0, rr = 0;
    for (size_t k = 0; k < np; k++) {
        s[k] = 0;
        v->r[k] = b[k];
        v->p[k] = b[k] / v->d[k];
        rz += v->r[k] * v->p[k];
        rr += b[k] * b[k];
    }
    double rn = sqrt(rr);
    int it = 0;
    heft_status st = HEFT_OK;
    while (bn > 0 && rn > tol * bn && it < max_iter) {
        st = op->apply(op->ud, v->p, v->q, err);
        if (st != HEFT_OK)
            break;
        const double pq = dot(v->p, v->q, np);
        if (!(pq > 0)) {
            info->neg_curv = 1;
            break;
        }
        const double alpha = rz / pq;
        double rz_new = 0;
        rr = 0;
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

/* Allocates v's vectors (n,) except d; HEFT_ENOMEM names the size. */
static heft_status cg_alloc(cg_vecs *v, size_t n, heft_error *err)
{
    v->r = heft__malloc(n, sizeof *v->r);
    v->p = heft__malloc(n, sizeof *v->p);
    v->q = heft__malloc(n, sizeof *v->q);
    if (v->r && v->p && v->q)
        return HEFT_OK;
    return heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                     "out of memory for conjugate gradients over %zu "
                     "unknowns", n);
}

static void cg_free(cg_vecs *v)
{
    free(v->r);
    free(v->p);
    free(v->q);
    free(v->d);
}

/* Scatters the solution sl of the system on the touched unknowns glob
 * (nl,) into s (np,), with s_k = b_k / (l2 + lambda) elsewhere. */
static void scatter_solution(const double *b, const double *sl,
                             const uint64_t *glob, size_t nl, size_t np,
                             double dg, double *s)
{
    for (size_t k = 0; k < np; k++)
        s[k] = dg > 0 ? b[k] / dg : 0;
    for (size_t j = 0; j < nl; j++)
        s[glob[j]] = sl[j];
}

/* lr: CG on the touched buckets, the rest in closed form (see above). */
static heft_status solve_lr(const hess *h, const double *b, double lambda,
                            int max_iter, double tol, double *s,
                            heft__cg_info *info, heft_error *err)
{
    const size_t np = (size_t)h->m->n_params;
    lr_sys L;
    memset(&L, 0, sizeof L);
    L.h = h;
    L.lambda = lambda;
    cg_vecs v = {NULL, NULL, NULL, NULL};
    double *bl = NULL, *sl = NULL;
    heft_status st = lr_init(&L, &v.d);
    const size_t n = L.nb + 1;
    if (st == HEFT_OK) {
        bl = heft__malloc(n, sizeof *bl);
        sl = heft__malloc(n, sizeof *sl);
        if (!bl || !sl)
            st = HEFT_ENOMEM;
    }
    if (st != HEFT_OK)
        st = heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                       "out of memory for the influence system");
    if (st == HEFT_OK)
        st = cg_alloc(&v, n, err);
    if (st == HEFT_OK) {
        for (size_t j = 0; j < L.nb; j++)
            bl[j] = b[L.glob[j]];
        bl[L.nb] = b[np - 1];
        const double bn = sqrt(dot(b, b, np));
        cg_op op = {n, lr_apply, &L};
        st = cg_loop(&op, bl, bn, max_iter, tol, sl, &v, info, err);
        scatter_solution(b, sl, L.glob, L.nb, np, h->m->l2 + lambda, s);
        s[np - 1] = sl[L.nb];
    }
    cg_free(&v);
    free(bl);
    free(sl);
    lr_free(&L);
    return st;
}

/* fm, mlp: CG on the touched parameters (see gen_sys). */
static heft_status solve_gen(const hess *h, const double *b, double lambda,
                             int max_iter, double tol, double *s,
                             heft__cg_info *info, heft_error *err)
{
    const size_t np = (size_t)h->m->n_params;
    gen_sys G;
    memset(&G, 0, sizeof G);
    G.h = h;
    G.lambda = lambda;
    cg_vecs v = {NULL, NULL, NULL, NULL};
    double *bl = NULL, *sl = NULL;
    heft_status st = gen_init(&G, err);
    const size_t n = G.nl;
    if (st == HEFT_OK) {
        bl = heft__malloc(n ? n : 1, sizeof *bl);
        sl = heft__malloc(n ? n : 1, sizeof *sl);
        v.d = heft__malloc(n ? n : 1, sizeof *v.d);
        if (!bl || !sl || !v.d)
            st = heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "out of memory");
    }
    if (st == HEFT_OK)
        st = cg_alloc(&v, n ? n : 1, err);
    if (st == HEFT_OK)
        st = gen_accumulate(&G, gn_diag_row, (void *)h, v.d, err);
    if (st == HEFT_OK) {
        for (size_t j = 0; j < n; j++) {
            v.d[j] += h->m->l2 + lambda;
            /* Only with l2 = lambda = 0 and no curvature: unscaled. */
            if (!(v.d[j] > 0))
                v.d[j] = 1;
            bl[j] = b[G.glob[j]];
        }
        cg_op op = {n, gen_apply, &G};
        st = cg_loop(&op, bl, sqrt(dot(b, b, np)), max_iter, tol, sl, &v,
                     info, err);
        scatter_solution(b, sl, G.glob, n, np, h->m->l2 + lambda, s);
    }
    cg_free(&v);
    free(bl);
    free(sl);
    gen_free(&G);
    return st;
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
    const uint64_t n = train->n_rows;
    hess h = {m, train, NULL, n, 1.0, threads};
    heft_status st = HEFT_OK;
    if (hess_rows > 0 && n > hess_rows) {
        st = even_sample(n, hess_rows, (uint64_t **)&h.rows);
        if (st != HEFT_OK)
            return heft__err(err, st, NULL, 0, 0, "out of memory");
        h.n_sel = hess_rows;
        h.scale = (double)n / (double)hess_rows;
    }
    info->hess_rows = h.n_sel;
    if (m->kind == HEFT_MODEL_LR) {
        st = solve_lr(&h, b, damping, max_iter, tol, s, info, err);
        free((void *)h.rows);
        return st;
    }
    st = solve_gen(&h, b, damping, max_iter, tol, s, info, err);
    free((void *)h.rows);
    return st;
}

/* Damping raises (tenfold each) before giving up on definiteness; the
 * last try keeps the iterate reached before the bad direction. */
#define MAX_DAMPING_TRIES 6

/* Training rows beyond which H is estimated from an evenly spaced sample
 * of this many (see the file comment). */
#define HESS_ROWS ((uint64_t)1 << 17)

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
    heft__logf(c->o->log, c->o->log_ud,
               "influence: damping %g, Hessian on %llu rows, %d CG steps, "
               "relative residual %.2e%s",
               lambda, (unsigned long long)info->hess_rows, info->iters,
               info->rel_resid,
               info->neg_curv ? " (stopped at non-positive curvature)" : "");
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
