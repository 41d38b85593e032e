/*
 * model.c: the model table, the model object, and the losses, gradients and
 * Hessian-vector products that every model shares (see model.h).
 *
 * For row i with label y_i (clamped to [0,1]; ranking grades >= 1 count as
 * a click), weight w_i and logit f_i = f(x_i; theta), p_i = sigmoid(f_i):
 *   l_i        = w_i [softplus(f_i) - y_i f_i]
 *   grad l_i   = w_i (p_i - y_i) df_i
 *   H_i v      = w_i [p_i (1-p_i) (df_i . v) df_i + (p_i - y_i) d2f_i v]
 *   L(theta)   = sum_i l_i + (l2/2) |theta|^2,  (H + l2 I) v = sum_i H_i v + l2 v
 * The models supply f, df (sparse pairs) and d2f v; this file combines them.
 */
#include "train.h"

#include <math.h>
#include <stdlib.h>

const heft__model_vt *heft__model_vt_for(heft_model_kind k)
{
    switch (k) {
    case HEFT_MODEL_LR:
        return &heft__lr_vt;
    case HEFT_MODEL_FM:
        return &heft__fm_vt;
    case HEFT_MODEL_MLP:
        return &heft__mlp_vt;
    default:
        return NULL;
    }
}

const char *heft_model_kind_name(heft_model_kind k)
{
    const heft__model_vt *vt = heft__model_vt_for(k);
    return vt ? vt->name : "unknown";
}

heft_status heft_model_kind_parse(const char *name, heft_model_kind *out)
{
    for (int k = 0; name && k < HEFT_MODEL__COUNT; k++) {
        if (!strcmp(name, heft__model_vt_for((heft_model_kind)k)->name)) {
            *out = (heft_model_kind)k;
            return HEFT_OK;
        }
    }
    return HEFT_EINVAL;
}

/* Allocates the model shell (no theta) with o's layout hyper-parameters. */
static heft_model *model_shell(heft_model_kind k, const heft_train_opts *o,
                               unsigned hash_bits, unsigned n_fields)
{
    heft_model *m = heft__calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->vt = heft__model_vt_for(k);
    m->kind = k;
    m->hash_bits = hash_bits;
    m->n_fields = n_fields;
    if (k == HEFT_MODEL_FM)
        m->factors = o->factors;
    if (k == HEFT_MODEL_MLP) {
        m->embed_dim = o->embed_dim;
        m->n_hidden = o->n_hidden;
        for (int i = 0; i < o->n_hidden; i++)
            m->hidden[i] = o->hidden[i];
    }
    m->l2 = 0;
    m->neg_rate = o->neg_rate > 0 && o->neg_rate < 1 ? o->neg_rate : 1.0;
    return m;
}

heft_status heft__model_create(heft_model_kind k, const heft_train_opts *o,
                               unsigned hash_bits, unsigned n_fields,
                               const heft__schema *schema, heft_model **out,
                               heft_error *err)
{
    *out = NULL;
    if (!heft__model_vt_for(k))
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "unknown model kind %d", (int)k);
    if (hash_bits < 1 || hash_bits > 30)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "hash_bits must be in 1..30, got %u", hash_bits);
    if (n_fields < 1)
        n_fields = 1;
    heft_model *m = model_shell(k, o, hash_bits, n_fields);
    if (!m)
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "out of memory");
    m->n_params = m->vt->n_params(m);
    m->theta = heft__calloc((size_t)m->n_params, sizeof *m->theta);
    heft__huge_pages(m->theta, (size_t)m->n_params * sizeof *m->theta);
    heft_status st = m->theta ? HEFT_OK : HEFT_ENOMEM;
    if (st == HEFT_OK && schema)
        st = heft__schema_copy(&m->schema, schema);
    /* No rate given: the one the data records (heft select --negatives). */
    if (schema && !(o->neg_rate > 0 && o->neg_rate < 1) &&
        schema->neg_rate > 0 && schema->neg_rate < 1)
        m->neg_rate = schema->neg_rate;
    if (st != HEFT_OK) {
        unsigned long long np = (unsigned long long)m->n_params;
        heft_model_free(m);
        return heft__err(err, st, NULL, 0, 0,
                         "out of memory for a model of %llu parameters", np);
    }
    m->schema.hash_bits = hash_bits;
    heft__rng rng;
    heft__rng_seed(&rng, heft__seed_mix(o->seed, 0x6d6f64656cULL));
    m->vt->init(m, &rng, o->init_std);
    *out = m;
    return HEFT_OK;
}

void heft_model_free(heft_model *m)
{
    if (!m)
        return;
    free(m->theta);
    heft__schema_free(&m->schema);
    free(m);
}

heft_model_kind heft_model_get_kind(const heft_model *m) { return m->kind; }

size_t heft_model_num_params(const heft_model *m)
{
    return (size_t)m->n_params;
}

int heft_model_epochs(const heft_model *m) { return m->epochs_trained; }

void heft_model_read_opts(const heft_model *m, heft_read_opts *out)
{
    heft__schema_to_opts(&m->schema, out);
}

/* Clamps a label to [0,1]: grades above 1 count as a click. */
static inline double label01(double y)
{
    return y > 1 ? 1 : (y > 0 ? y : 0);
}

double heft__logloss_logit(double z, double y)
{
    /* -y log p - (1-y) log(1-p) = softplus(z) - y z, softplus computed
     * without overflow. */
    double sp = (z > 0 ? z : 0) + log1p(exp(-fabs(z)));
    return sp - label01(y) * z;
}

double heft__sample_loss(const heft_model *m, const heft_dataset *ds,
                         uint64_t i, void *scratch)
{
    heft__row r = heft__ds_row(ds, i);
    double w = ds->weight ? ds->weight[i] : 1.0;
    return w * heft__logloss_logit(m->vt->logit(m, &r, scratch),
                                   ds->label[i]);
}

heft_status heft__sgrad_reserve(heft__sgrad *g, size_t n)
{
    if (g->cap >= n)
        return HEFT_OK;
    size_t cap = g->cap ? g->cap : 64;
    while (cap < n)
        cap *= 2;
    uint64_t *idx = heft__realloc(g->idx, cap, sizeof *idx);
    if (!idx)
        return HEFT_ENOMEM;
    g->idx = idx;
    double *v = heft__realloc(g->g, cap, sizeof *v);
    if (!v)
        return HEFT_ENOMEM;
    g->g = v;
    g->cap = cap;
    return HEFT_OK;
}

heft_status heft__sample_grad(const heft_model *m, const heft_dataset *ds,
                              uint64_t i, heft__sgrad *gr, double *p,
                              void *scratch)
{
    heft__row r = heft__ds_row(ds, i);
    gr->n = 0;
    if (heft__sgrad_reserve(gr, m->vt->grad_cap(m, r.nnz)) != HEFT_OK)
        return HEFT_ENOMEM;
    double f;
    size_t n = m->vt->grad(m, &r, gr->idx, gr->g, &f, scratch);
    double pr = heft__sigmoid(f);
    double w = ds->weight ? ds->weight[i] : 1.0;
    double s = w * (pr - label01(ds->label[i]));
    for (size_t k = 0; k < n; k++)
        gr->g[k] *= s;
    gr->n = n;
    if (p)
        *p = pr;
    return HEFT_OK;
}

void heft__sgrad_free(heft__sgrad *g)
{
    if (!g)
        return;
    free(g->idx);
    free(g->g);
    memset(g, 0, sizeof *g);
}

/* ---- objective Hessian-vector product --------------------------------- */

typedef struct hvp_ctx {
    const heft_model *m;
    const heft_dataset *ds;
    const double *v;
    double **acc;        /* (threads,) dense (n_params,) accumulators */
    heft_status *status; /* (threads,) */
} hvp_ctx;

/* Thread t adds H_i v for its contiguous block of rows into acc[t]. */
static void hvp_task(void *p, int t, int nt)
{
    hvp_ctx *c = p;
    const heft_model *m = c->m;
    const heft_dataset *ds = c->ds;
    uint64_t a = ds->n_rows * (uint64_t)t / (uint64_t)nt;
    uint64_t b = ds->n_rows * (uint64_t)(t + 1) / (uint64_t)nt;
    double *acc = c->acc[t];
    void *scratch = heft__malloc(1, m->vt->scratch_size(m));
    heft__sgrad g = {0};
    if (!scratch) {
        c->status[t] = HEFT_ENOMEM;
        return;
    }
    for (uint64_t i = a; i < b; i++) {
        heft__row r = heft__ds_row(ds, i);
        if (heft__sgrad_reserve(&g, m->vt->grad_cap(m, r.nnz)) != HEFT_OK) {
            c->status[t] = HEFT_ENOMEM;
            break;
        }
        double f;
        size_t n = m->vt->grad(m, &r, g.idx, g.g, &f, scratch);
        double w = ds->weight ? ds->weight[i] : 1.0;
        double pr = heft__sigmoid(f), y = label01(ds->label[i]);
        double dv = 0;
        for (size_t k = 0; k < n; k++)
            dv += g.g[k] * c->v[g.idx[k]];
        double s = w * pr * (1 - pr) * dv;
        for (size_t k = 0; k < n; k++)
            acc[g.idx[k]] += s * g.g[k];
        if (w * (pr - y) != 0)
            m->vt->hvp(m, &r, c->v, w * (pr - y), acc, scratch);
    }
    heft__sgrad_free(&g);
    free(scratch);
}

heft_status heft__objective_hvp(const heft_model *m, const heft_dataset *ds,
                                const double *v, double *out, int threads,
                                heft_error *err)
{
    int nt = heft__threads(threads ? threads : 1);
    if ((uint64_t)nt > ds->n_rows)
        nt = ds->n_rows ? (int)ds->n_rows : 1;
    size_t np = (size_t)m->n_params;
    double **acc = heft__calloc((size_t)nt, sizeof *acc);
    heft_status *sts = heft__calloc((size_t)nt, sizeof *sts);
    heft_status st = acc && sts ? HEFT_OK : HEFT_ENOMEM;
    /* Thread 0 accumulates straight into out; the others into their own
     * buffers, added in thread order so a thread count fixes the result. */
    for (int t = 0; st == HEFT_OK && t < nt; t++) {
        acc[t] = t == 0 ? out : heft__calloc(np, sizeof **acc);
        if (!acc[t])
            st = HEFT_ENOMEM;
    }
    if (st == HEFT_OK) {
        memset(out, 0, np * sizeof *out);
        hvp_ctx c = {m, ds, v, acc, sts};
        heft__parallel(nt, hvp_task, &c);
        for (int t = 0; t < nt; t++)
            if (sts[t] != HEFT_OK)
                st = sts[t];
    }
    if (st == HEFT_OK) {
        for (int t = 1; t < nt; t++)
            for (size_t k = 0; k < np; k++)
                out[k] += acc[t][k];
        for (size_t k = 0; k < np; k++)
            out[k] += m->l2 * v[k];
    }
    for (int t = 1; acc && t < nt; t++)
        free(acc[t]);
    free(acc);
    free(sts);
    if (st != HEFT_OK)
        return heft__err(err, st, NULL, 0, 0,
                         "out of memory in a Hessian-vector product");
    return HEFT_OK;
}

/* ---- prediction -------------------------------------------------------- */

typedef struct pred_ctx {
    const heft_model *m;
    const heft_dataset *ds;
    float *out;
    heft_status *status;
} pred_ctx;

static void pred_task(void *p, int t, int nt)
{
    pred_ctx *c = p;
    const heft_model *m = c->m;
    uint64_t n = c->ds->n_rows;
    uint64_t a = n * (uint64_t)t / (uint64_t)nt;
    uint64_t b = n * (uint64_t)(t + 1) / (uint64_t)nt;
    void *scratch = heft__malloc(1, m->vt->scratch_size(m));
    if (!scratch) {
        c->status[t] = HEFT_ENOMEM;
        return;
    }
    /* A model trained on every positive and a share W of the negatives
     * predicts p with odds 1/W too high; q = p / (p + (1 - p) / W) (He et
     * al. 2014, heft_negsample_calibrate) is sigmoid(logit + log W). */
    const double shift = m->neg_rate > 0 && m->neg_rate < 1
                             ? log(m->neg_rate) : 0.0;
    for (uint64_t i = a; i < b; i++) {
        heft__row r = heft__ds_row(c->ds, i);
        c->out[i] = (float)heft__sigmoid(m->vt->logit(m, &r, scratch) + shift);
    }
    free(scratch);
}

/* Data hashed differently from the model (other bucket count, other field
 * names at the same ids, more fields than the model has) would give
 * confident nonsense, so it is refused. */
heft_status heft__model_check_data(const heft_model *m, const heft_dataset *ds,
                                   heft_error *err)
{
    const heft__schema *a = &m->schema, *b = &ds->schema;
    if (b->hash_bits != m->hash_bits)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "the data is hashed into 2^%u buckets but the model "
                         "into 2^%u; read it with the model's read options",
                         b->hash_bits, m->hash_bits);
    if (m->kind == HEFT_MODEL_MLP && b->n_fields > m->n_fields)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "the data has %u fields but the model %u; read it "
                         "with the model's read options",
                         b->n_fields, m->n_fields);
    if (!a->field_names || !b->field_names)
        return HEFT_OK;
    for (unsigned f = 0; f < b->n_fields; f++) {
        const char *x = f < a->n_fields ? a->field_names[f] : NULL;
        if (!x || strcmp(x, b->field_names[f]) != 0)
            return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                             "field %u of the data is '%s' but the model's "
                             "is '%s': the data was not read with the "
                             "model's read options",
                             f, b->field_names[f], x ? x : "(none)");
    }
    return HEFT_OK;
}

heft_status heft_predict(const heft_model *m, const heft_dataset *ds,
                         float *out, int threads, heft_error *err)
{
    if (!m || !ds || !out)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "heft_predict: model, dataset and output are "
                         "required");
    heft_status st = heft__model_check_data(m, ds, err);
    if (st != HEFT_OK)
        return st;
    int nt = heft__threads(threads ? threads : 1);
    if ((uint64_t)nt > ds->n_rows / 1024 + 1)
        nt = (int)(ds->n_rows / 1024 + 1);
    heft_status sts[64] = {0};
    pred_ctx c = {m, ds, out, sts};
    heft__parallel(nt, pred_task, &c);
    for (int t = 0; t < nt; t++)
        if (sts[t] != HEFT_OK)
            return heft__err(err, sts[t], NULL, 0, 0,
                             "out of memory in heft_predict");
    return HEFT_OK;
}
