/*
 * feat_perm.c: model-based importance of a field (a norm of its
 * parameters) and permutation importance.
 *
 * Parameter norm. For field F with bucket set B_F (the distinct buckets of
 * F's occurrences in the data),
 *   lr:  |w_F|  = sqrt(sum_{b in B_F} w_b^2)
 *   fm:  sqrt(sum_{b in B_F} (w_b^2 + |v_b|^2))     v_b (k,)
 *   mlp: sqrt(sum_{b in B_F} |E_b|^2)               E_b (d,)
 * (theta layouts: lr.c, fm.c, mlp.c). The bias is no field's. Hashing
 * puts the tokens of different fields into one table of 2^hash_bits
 * buckets, so a bucket may serve two fields: it then counts fully in both
 * norms, and weight_shared says how many of a field's buckets are shared
 * (with N tokens in 2^b buckets about N / 2^b of them are). The norm
 * grows with the number of buckets a field uses and ignores how often each
 * is used: compare it across fields of similar cardinality, or use
 * permutation importance.
 *
 * Permutation importance (L. Breiman, "Random Forests", Machine Learning
 * 45, 2001, section 10; A. Fisher, C. Rudin, F. Dominici, "All Models are
 * Wrong, but Many are Useful", JMLR 20, 2019, as model reliance): on
 * validation rows 0..n-1 with the model's AUC A and log loss L, for field
 * F and repeat r a permutation pi (heft__fperm_order) gives row i the
 * field-F occurrences of row pi(i) in place of its own (rows without F
 * give "absent"), the rest of row i unchanged; the model predicts every
 * row again and
 *   drop_r = A - AUC(permuted),   rise_r = logloss(permuted) - L,
 * reported as the mean and sample standard deviation over R repeats. Each
 * (F, r) is one task with its own seeded permutation, so the result does
 * not depend on the thread count.
 *
 * Cost: LR's logit is a sum over fields, z = b + sum_F c_F(i), so the
 * permuted logit is z - c_F(i) + c_F(pi(i)) from one table of c
 * (n_fields, n), built with the base predictions: O(n) per (F, r). Other
 * models predict each changed row again (O(n nnz k) per (F, r)); rows whose
 * field-F occurrences equal those of pi(i), absent included, keep their
 * prediction without a model call.
 */
#include "eval.h"
#include "feat_internal.h"

#include <math.h>
#include <stdlib.h>

/* Parameters of bucket b: theta + *off, *len of them. */
static void bucket_params(const heft_model *m, uint32_t b, uint64_t *off,
                          uint64_t *len)
{
    switch (m->kind) {
    case HEFT_MODEL_FM:
        *len = (uint64_t)m->factors + 1;
        break;
    case HEFT_MODEL_MLP:
        *len = (uint64_t)m->embed_dim;
        break;
    default:
        *len = 1;
    }
    *off = (uint64_t)b * *len;
}

heft_status heft__fweight(const heft_model *m, const heft__fcount *c,
                          heft_feature_stat *st, heft_error *err)
{
    const uint64_t nb = (uint64_t)1 << m->hash_bits;
    uint64_t *seen = heft__calloc((size_t)(nb / 64 + 1), sizeof *seen);
    uint64_t *twice = heft__calloc((size_t)(nb / 64 + 1), sizeof *twice);
    if (!seen || !twice) {
        free(seen);
        free(twice);
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                         "out of memory for the bucket bitmaps");
    }
    for (unsigned f = 0; f < c->n_fields; f++)
        for (size_t i = 0; i < c->bset[f].cap; i++) {
            uint32_t b = c->bset[f].b[i];
            if (b == UINT32_MAX || b >= nb)
                continue;
            uint64_t bit = 1ULL << (b & 63);
            twice[b >> 6] |= seen[b >> 6] & bit;
            seen[b >> 6] |= bit;
        }
    for (unsigned f = 0; f < c->n_fields; f++) {
        double ss = 0;
        uint64_t used = 0, shared = 0;
        for (size_t i = 0; i < c->bset[f].cap; i++) {
            uint32_t b = c->bset[f].b[i];
            if (b == UINT32_MAX || b >= nb)
                continue;
            uint64_t off, len;
            bucket_params(m, b, &off, &len);
            for (uint64_t k = 0; k < len && off + k < m->n_params; k++)
                ss += (double)m->theta[off + k] * m->theta[off + k];
            used++;
            shared += (twice[b >> 6] >> (b & 63)) & 1;
        }
        st[f].weight_norm = sqrt(ss);
        st[f].weight_buckets = used;
        st[f].weight_shared = shared;
    }
    free(seen);
    free(twice);
    return HEFT_OK;
}

void heft__fperm_order(uint64_t seed, unsigned f, int r, int repeats,
                       uint64_t *perm, size_t n)
{
    heft__rng rng;
    heft__rng_seed(&rng, heft__seed_mix(seed, (uint64_t)f * (uint64_t)repeats +
                                                  (uint64_t)r));
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    heft__rng_shuffle_u64(&rng, perm, n);
}

/* ---- permutation ------------------------------------------------------ */

/* Shared by the tasks: the rows, their labels, weights and base
 * predictions, and which fields each row holds (has, (n, n_fields)). */
typedef struct perm_ctx {
    const heft_model *m;
    const heft_dataset *v;
    const uint64_t *rows;
    size_t n;
    unsigned nf;
    int repeats;
    uint64_t seed;
    const float *y, *w, *p0;
    const uint8_t *has;     /* (n, nf) or NULL */
    const uint8_t *in_valid; /* (nf,) field occurs in some row */
    const double *contrib;  /* lr: (nf, n) sum of x w over the field's
                               occurrences, or NULL (field-major, so a
                               permutation reads one field's n values) */
    const double *z0;       /* lr: (n,) base logits, or NULL           */
    uint32_t max_nnz;
    double base_auc, base_ll;
    double *drop, *rise; /* (nf * repeats,) */
    heft_status st[64];
} perm_ctx;

/* Per-thread buffers. */
typedef struct perm_buf {
    void *scratch;
    uint32_t *feat;
    float *val;
    uint16_t *field;
    float *pred;
    uint64_t *perm;
    heft__kv *kv; /* (2 n,) sort keys and scratch */
} perm_buf;

/* Row i of the permuted data: row i without field f, then the field-f
 * occurrences of row src. */
static heft__row mixed_row(const heft_dataset *v, uint64_t i, uint64_t src,
                           unsigned f, perm_buf *b)
{
    const heft__row a = heft__ds_row(v, i), s = heft__ds_row(v, src);
    uint32_t k = 0;
    for (uint32_t j = 0; j < a.nnz; j++)
        if (a.field[j] != f) {
            b->feat[k] = a.feat[j];
            b->val[k] = a.val[j];
            b->field[k++] = a.field[j];
        }
    for (uint32_t j = 0; j < s.nnz; j++)
        if (s.field[j] == f) {
            b->feat[k] = s.feat[j];
            b->val[k] = s.val[j];
            b->field[k++] = s.field[j];
        }
    heft__row r = {b->feat, b->val, b->field, k};
    return r;
}

/* Weighted AUC (ties count half) and log loss of pred against x->y, as
 * heft_evaluate defines them (docs/metrics.md: predictions clipped to
 * [1e-15, 1 - 1e-15] for the log loss), without its other metrics: one
 * radix sort by prediction and one sweep. kv and tmp hold n entries. */
static heft_status eval_preds(const perm_ctx *x, const float *pred,
                              heft__kv *kv, heft__kv *tmp, double *auc,
                              double *ll)
{
    const size_t n = x->n;
    for (size_t i = 0; i < n; i++)
        kv[i] = (heft__kv){heft__float_key(pred[i]), i};
    heft__kv_sort(kv, tmp, n);
    double wpos = 0, wneg = 0, num = 0, lsum = 0;
    for (size_t a = 0; a < n;) {
        double gp = 0, gn = 0;
        size_t b = a;
        for (; b < n && kv[b].key == kv[a].key; b++) {
            const size_t i = (size_t)kv[b].idx;
            const double w = x->w ? x->w[i] : 1.0;
            double q = pred[i];
            q = q < 1e-15 ? 1e-15 : q > 1 - 1e-15 ? 1 - 1e-15 : q;
            if (x->y[i] > 0) {
                gp += w;
                lsum -= w * log(q);
            } else {
                gn += w;
                lsum -= w * log1p(-q);
            }
        }
        num += gp * (wneg + 0.5 * gn);
        wpos += gp;
        wneg += gn;
        a = b;
    }
    *auc = wpos > 0 && wneg > 0 ? num / (wpos * wneg) : NAN;
    *ll = wpos + wneg > 0 ? lsum / (wpos + wneg) : NAN;
    return HEFT_OK;
}

/* Whether position i's row holds field f: from the presence table when
 * there is one (n x n_fields bytes, left out for very many fields). */
static int row_has(const perm_ctx *x, size_t i, unsigned f)
{
    if (x->has)
        return x->has[i * x->nf + f];
    const heft__row r = heft__ds_row(x->v, x->rows[i]);
    for (uint32_t j = 0; j < r.nnz; j++)
        if (r.field[j] == f)
            return 1;
    return 0;
}

/* Whether rows a and b hold the same occurrences of field f, in order. */
static int same_field(const heft_dataset *v, uint64_t a, uint64_t b,
                      unsigned f)
{
    const heft__row ra = heft__ds_row(v, a), rb = heft__ds_row(v, b);
    uint32_t j = 0, k = 0;
    for (;;) {
        while (j < ra.nnz && ra.field[j] != f)
            j++;
        while (k < rb.nnz && rb.field[k] != f)
            k++;
        if (j == ra.nnz || k == rb.nnz)
            return j == ra.nnz && k == rb.nnz;
        if (ra.feat[j] != rb.feat[k] || ra.val[j] != rb.val[k])
            return 0;
        j++;
        k++;
    }
}

static heft_status perm_one(perm_ctx *x, perm_buf *b, unsigned f, int r)
{
    double *drop = &x->drop[(size_t)f * x->repeats + r],
           *rise = &x->rise[(size_t)f * x->repeats + r];
    if (!x->in_valid[f]) { /* nothing to permute: nothing changes */
        *drop = *rise = 0;
        return HEFT_OK;
    }
    heft__fperm_order(x->seed, f, r, x->repeats, b->perm, x->n);
    if (x->contrib) { /* lr: the logit is a sum over fields */
        const double *c = x->contrib + (size_t)f * x->n;
        for (size_t i = 0; i < x->n; i++)
            b->pred[i] = (float)heft__sigmoid(x->z0[i] - c[i] +
                                              c[b->perm[i]]);
    }
    for (size_t i = 0; !x->contrib && i < x->n; i++) {
        const size_t s = (size_t)b->perm[i];
        if ((!row_has(x, i, f) && !row_has(x, s, f)) ||
            same_field(x->v, x->rows[i], x->rows[s], f)) {
            b->pred[i] = x->p0[i];
            continue;
        }
        heft__row row = mixed_row(x->v, x->rows[i], x->rows[s], f, b);
        b->pred[i] = (float)heft__sigmoid(x->m->vt->logit(x->m, &row,
                                                          b->scratch));
    }
    double auc, ll;
    heft_status st = eval_preds(x, b->pred, b->kv, b->kv + x->n, &auc, &ll);
    *drop = x->base_auc - auc;
    *rise = ll - x->base_ll;
    return st;
}

static void perm_task(void *vctx, int t, int nt)
{
    perm_ctx *x = vctx;
    perm_buf b = {heft__malloc(x->m->vt->scratch_size(x->m) + 16, 1),
                  heft__malloc((size_t)x->max_nnz * 2 + 1, sizeof *b.feat),
                  heft__malloc((size_t)x->max_nnz * 2 + 1, sizeof *b.val),
                  heft__malloc((size_t)x->max_nnz * 2 + 1, sizeof *b.field),
                  heft__malloc(x->n + 1, sizeof *b.pred),
                  heft__malloc(x->n + 1, sizeof *b.perm),
                  heft__malloc(2 * x->n + 1, sizeof *b.kv)};
    heft_status st = b.scratch && b.feat && b.val && b.field && b.pred &&
                             b.perm && b.kv
                         ? HEFT_OK
                         : HEFT_ENOMEM;
    const size_t tasks = (size_t)x->nf * (size_t)x->repeats;
    for (size_t k = (size_t)t; st == HEFT_OK && k < tasks; k += (size_t)nt)
        st = perm_one(x, &b, (unsigned)(k / (size_t)x->repeats),
                      (int)(k % (size_t)x->repeats));
    free(b.scratch);
    free(b.feat);
    free(b.val);
    free(b.field);
    free(b.pred);
    free(b.perm);
    free(b.kv);
    x->st[t] = st;
}

/* lr: position i's logit z and the share of each field in it,
 *   z = b + sum_F c_F,  c_F = sum_{j: F_j = F} x_j w[i_j],
 * so permuting field F changes z by c_F(pi(i)) - c_F(i) (lr.c). */
static void lr_contrib(perm_ctx *x, size_t i, const heft__row *row, double z)
{
    const float *w = x->m->theta;
    const uint32_t mask = (uint32_t)(((uint64_t)1 << x->m->hash_bits) - 1);
    double *c = (double *)x->contrib;
    for (uint32_t j = 0; j < row->nnz; j++)
        if (row->field[j] < x->nf)
            c[(size_t)row->field[j] * x->n + i] +=
                (double)row->val[j] * w[row->feat[j] & mask];
    ((double *)x->z0)[i] = z;
}

/* Base predictions of rows [n t / nt, n (t+1) / nt). */
static void base_task(void *vctx, int t, int nt)
{
    perm_ctx *x = vctx;
    void *scratch = heft__malloc(x->m->vt->scratch_size(x->m) + 16, 1);
    if (!scratch) {
        x->st[t] = HEFT_ENOMEM;
        return;
    }
    float *p0 = (float *)x->p0;
    const size_t a = x->n * (size_t)t / (size_t)nt,
                 e = x->n * (size_t)(t + 1) / (size_t)nt;
    for (size_t i = a; i < e; i++) {
        heft__row row = heft__ds_row(x->v, x->rows[i]);
        const double z = x->m->vt->logit(x->m, &row, scratch);
        p0[i] = (float)heft__sigmoid(z);
        if (x->contrib)
            lr_contrib(x, i, &row, z);
    }
    free(scratch);
    x->st[t] = HEFT_OK;
}

/* Labels (0/1), weights, field presence (has may be NULL) and the widest
 * row of the rows. */
static void gather(perm_ctx *x, float *y, float *w, uint8_t *has,
                   uint8_t *in_valid)
{
    x->max_nnz = 0;
    for (size_t i = 0; i < x->n; i++) {
        const uint64_t r = x->rows[i];
        heft__row row = heft__ds_row(x->v, r);
        y[i] = x->v->label[r] > 0 ? 1.0f : 0.0f;
        if (w)
            w[i] = x->v->weight[r];
        if (row.nnz > x->max_nnz)
            x->max_nnz = row.nnz;
        for (uint32_t j = 0; j < row.nnz; j++) {
            const unsigned f = row.field[j];
            if (f >= x->nf)
                continue;
            in_valid[f] = 1;
            if (has)
                has[i * x->nf + f] = 1;
        }
    }
}

/* Runs fn on nt threads and returns the first failure of any. */
static heft_status run_tasks(perm_ctx *x, int nt, heft__task_fn fn)
{
    for (int t = 0; t < nt; t++)
        x->st[t] = HEFT_OK;
    heft__parallel(nt, fn, x);
    for (int t = 0; t < nt; t++)
        if (x->st[t] != HEFT_OK)
            return x->st[t];
    return HEFT_OK;
}

static void summarise(const double *v, int r, double *mean, double *sd)
{
    double s = 0, ss = 0;
    for (int k = 0; k < r; k++)
        s += v[k];
    *mean = s / r;
    for (int k = 0; k < r; k++)
        ss += (v[k] - *mean) * (v[k] - *mean);
    *sd = r > 1 ? sqrt(ss / (r - 1)) : NAN;
}

/* Mean and sd over the repeats of every field's drops and rises. */
static void fill_stats(const perm_ctx *x, heft_feature_stat *st)
{
    const int r = x->repeats;
    for (unsigned f = 0; f < x->nf; f++) {
        summarise(x->drop + (size_t)f * r, r, &st[f].perm_auc,
                  &st[f].perm_auc_sd);
        summarise(x->rise + (size_t)f * r, r, &st[f].perm_logloss,
                  &st[f].perm_logloss_sd);
    }
}

heft_status heft__fperm(const heft_model *m, const heft_dataset *v,
                        const uint64_t *rows, size_t n, unsigned n_fields,
                        int repeats, uint64_t seed, int threads,
                        heft_feature_stat *st, double *base_auc,
                        double *base_logloss, heft_error *err)
{
    perm_ctx x = {.m = m, .v = v, .rows = rows, .n = n, .nf = n_fields,
                  .repeats = repeats, .seed = seed};
    float *y = heft__malloc(n + 1, sizeof *y);
    float *w = v->weight ? heft__malloc(n + 1, sizeof *w) : NULL;
    float *p0 = heft__malloc(n + 1, sizeof *p0);
    /* The presence table is kept to 64 MB; past that rows are scanned. */
    const int want_has = (uint64_t)n * n_fields <= ((uint64_t)1 << 26);
    uint8_t *has = want_has ? heft__calloc(n * n_fields + 1, 1) : NULL;
    uint8_t *in_valid = heft__calloc(n_fields + 1, 1);
    /* lr keeps each field's share of every logit, if that fits 256 MB. */
    const int fast = m->kind == HEFT_MODEL_LR &&
                     (uint64_t)n * n_fields <= ((uint64_t)1 << 25);
    double *contrib = fast ? heft__calloc(n * n_fields + 1, sizeof *contrib)
                           : NULL;
    double *z0 = fast ? heft__malloc(n + 1, sizeof *z0) : NULL;
    x.drop = heft__malloc((size_t)n_fields * repeats + 1, sizeof *x.drop);
    x.rise = heft__malloc((size_t)n_fields * repeats + 1, sizeof *x.rise);
    heft_status s = HEFT_OK;
    if (!y || (v->weight && !w) || !p0 || (want_has && !has) || !in_valid ||
        !x.drop || !x.rise || (fast && (!contrib || !z0))) {
        s = heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                      "out of memory for permutation importance");
        goto cleanup;
    }
    gather(&x, y, w, has, in_valid);
    x.y = y;
    x.w = w;
    x.p0 = p0;
    x.has = has;
    x.in_valid = in_valid;
    x.contrib = contrib;
    x.z0 = z0;
    const int nt = heft__threads(threads);
    heft__kv *kv = heft__malloc(2 * n + 1, sizeof *kv);
    if (!kv || (s = run_tasks(&x, nt, base_task)) != HEFT_OK ||
        (s = eval_preds(&x, p0, kv, kv + n, &x.base_auc, &x.base_ll)) !=
            HEFT_OK ||
        (s = run_tasks(&x, nt, perm_task)) != HEFT_OK) {
        s = heft__err(err, kv ? s : HEFT_ENOMEM, NULL, 0, 0,
                      "permutation importance: %s",
                      heft_strerror(kv ? s : HEFT_ENOMEM));
        free(kv);
        goto cleanup;
    }
    free(kv);
    fill_stats(&x, st);
    *base_auc = x.base_auc;
    *base_logloss = x.base_ll;
cleanup:
    free(y);
    free(w);
    free(p0);
    free(has);
    free(in_valid);
    free(contrib);
    free(z0);
    free(x.drop);
    free(x.rise);
    return s;
}
