/* test_model.c: models and training. Gradients and Hessian-vector
 * products are checked against finite differences, training against toy
 * problems with known answers, and the model file against corruption. */
#include "test.h"

#include "train.h"

#include <sys/stat.h>

/* ---- helpers --------------------------------------------------------- */

/* A random dataset: rows of 1..max_nnz occurrences over 2^hb buckets (few,
 * so buckets repeat within rows) in nf fields, values in [-1.5, 1.5],
 * labels 0/1 (and a few grades 3), weights in [0.5, 2.5] when weighted. */
static heft_dataset *toy_random(uint64_t seed, size_t n, unsigned hb,
                                unsigned nf, int max_nnz, int weighted)
{
    heft__rng rng;
    heft__rng_seed(&rng, seed);
    uint64_t *rp = calloc(n + 1, sizeof *rp);
    size_t cap = n * (size_t)max_nnz + 1;
    uint32_t *feat = calloc(cap, sizeof *feat);
    float *val = calloc(cap, sizeof *val);
    uint16_t *field = calloc(cap, sizeof *field);
    float *label = calloc(n, sizeof *label), *w = calloc(n, sizeof *w);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int nnz = 1 + (int)heft__rng_below(&rng, (uint64_t)max_nnz);
        for (int j = 0; j < nnz; j++, k++) {
            feat[k] = (uint32_t)heft__rng_below(&rng, 1u << hb);
            if (j == 1) /* a repeated bucket in many rows */
                feat[k] = feat[k - 1];
            val[k] = (float)(3 * heft__rng_uniform(&rng) - 1.5);
            field[k] = (uint16_t)heft__rng_below(&rng, nf);
        }
        rp[i + 1] = k;
        label[i] = heft__rng_uniform(&rng) < 0.4 ? 1.0f : 0.0f;
        if (i % 7 == 3)
            label[i] = 3.0f;
        w[i] = (float)(0.5 + 2 * heft__rng_uniform(&rng));
    }
    field[0] = (uint16_t)(nf - 1); /* n_fields is nf */
    heft_dataset *ds = NULL;
    heft_error err;
    heft_status st = heft_dataset_from_csr(n, rp, feat, val, field, label,
                                           weighted ? w : NULL, NULL, hb,
                                           &ds, &err);
    if (st != HEFT_OK)
        fprintf(stderr, "toy_random: %s\n", err.msg);
    free(rp);
    free(feat);
    free(val);
    free(field);
    free(label);
    free(w);
    return ds;
}

/* Small layouts for the derivative tests. */
static heft_train_opts small_opts(heft_model_kind k)
{
    heft_train_opts o = heft_train_opts_default(k);
    o.factors = 3;
    o.embed_dim = 3;
    o.hidden[0] = 5;
    o.hidden[1] = 4;
    o.n_hidden = 2;
    o.init_std = 0.3;
    return o;
}

/* A model of kind k with every parameter drawn from N(0, sd^2). */
static heft_model *random_model(heft_model_kind k, unsigned hb, unsigned nf,
                                double sd, uint64_t seed)
{
    heft_train_opts o = small_opts(k);
    heft_model *m = NULL;
    heft_error err;
    if (heft__model_create(k, &o, hb, nf, NULL, &m, &err) != HEFT_OK)
        return NULL;
    heft__rng rng;
    heft__rng_seed(&rng, seed);
    for (uint64_t i = 0; i < m->n_params; i++)
        m->theta[i] = (float)(sd * heft__rng_normal(&rng));
    return m;
}

/* Central difference of fn along theta[k]; the step is what float
 * rounding makes of +-h, so it is exact. */
typedef double (*theta_fn)(const heft_model *m, const void *ctx, void *scr);

static double fd(heft_model *m, uint64_t k, double h, theta_fn fn,
                 const void *ctx, void *scr)
{
    float old = m->theta[k];
    float tp = (float)(old + h), tm = (float)(old - h);
    m->theta[k] = tp;
    double fp = fn(m, ctx, scr);
    m->theta[k] = tm;
    double fmv = fn(m, ctx, scr);
    m->theta[k] = old;
    return (fp - fmv) / ((double)tp - (double)tm);
}

static double fn_logit(const heft_model *m, const void *ctx, void *scr)
{
    return m->vt->logit(m, ctx, scr);
}

/* Dense df (n_params,) at row r, repeated indices added up. */
static double *dense_grad(const heft_model *m, const heft__row *r,
                          double *f, void *scr)
{
    size_t cap = m->vt->grad_cap(m, r->nnz);
    uint64_t *idx = calloc(cap, sizeof *idx);
    double *g = calloc(cap, sizeof *g);
    double *d = calloc((size_t)m->n_params, sizeof *d);
    size_t n = m->vt->grad(m, r, idx, g, f, scr);
    for (size_t q = 0; q < n; q++)
        d[idx[q]] += g[q];
    free(idx);
    free(g);
    return d;
}

/* Checks df of m on every row of ds against central differences of the
 * logit, on every parameter the row touches plus a few it does not. */
static void check_grad_fd(heft_model *m, const heft_dataset *ds, double h,
                          double tol)
{
    void *scr = malloc(m->vt->scratch_size(m));
    heft__rng rng;
    heft__rng_seed(&rng, 99);
    for (uint64_t i = 0; i < ds->n_rows; i++) {
        heft__row r = heft__ds_row(ds, i);
        double f;
        double *d = dense_grad(m, &r, &f, scr);
        CHECK_NEAR(f, m->vt->logit(m, &r, scr), 1e-12 * (1 + fabs(f)));
        for (uint64_t k = 0; k < m->n_params; k++) {
            if (d[k] == 0 && heft__rng_uniform(&rng) > 0.02)
                continue;
            double want = fd(m, k, h, fn_logit, &r, scr);
            CHECK_NEAR(d[k], want, tol * (1 + fabs(want)));
        }
        free(d);
    }
    free(scr);
}

/* Sort-based AUC with ties counted half; labels > 0 are positives. */
typedef struct pl {
    float p, y;
} pl;

static int pl_cmp(const void *a, const void *b)
{
    float x = ((const pl *)a)->p, y = ((const pl *)b)->p;
    return x < y ? -1 : x > y;
}

static double auc(const float *p, const float *y, size_t n)
{
    pl *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = (pl){p[i], y[i]};
    qsort(v, n, sizeof *v, pl_cmp);
    double below = 0, area = 0, np = 0, nn = 0;
    for (size_t a = 0; a < n;) {
        size_t e = a;
        double gp = 0, gn = 0;
        for (; e < n && v[e].p == v[a].p; e++)
            *(v[e].y > 0 ? &gp : &gn) += 1;
        area += gp * (below + 0.5 * gn);
        below += gn;
        np += gp;
        nn += gn;
        a = e;
    }
    free(v);
    return area / (np * nn);
}

static double model_auc(const heft_model *m, const heft_dataset *ds)
{
    float *p = malloc(ds->n_rows * sizeof *p);
    double a = -1;
    if (heft_predict(m, ds, p, 2, NULL) == HEFT_OK)
        a = auc(p, ds->label, ds->n_rows);
    free(p);
    return a;
}

/* ---- names, options, loss ------------------------------------------- */

void test_model_kind_names(void)
{
    const char *names[] = {"lr", "fm", "mlp"};
    for (int k = 0; k < HEFT_MODEL__COUNT; k++) {
        heft_model_kind got = HEFT_MODEL__COUNT;
        CHECK(!strcmp(heft_model_kind_name((heft_model_kind)k), names[k]));
        CHECK_OK(heft_model_kind_parse(names[k], &got));
        CHECK(got == (heft_model_kind)k);
    }
    heft_model_kind got;
    CHECK(heft_model_kind_parse("svm", &got) == HEFT_EINVAL);
    CHECK(heft_model_kind_parse(NULL, &got) == HEFT_EINVAL);
    CHECK(heft__model_vt_for(HEFT_MODEL__COUNT) == NULL);
}

void test_model_opts_check(void)
{
    heft_error err;
    for (int k = 0; k < HEFT_MODEL__COUNT; k++) {
        heft_train_opts o = heft_train_opts_default((heft_model_kind)k);
        CHECK_OK(heft_train_opts_check(&o, &err));
        CHECK(o.epochs == (k == HEFT_MODEL_LR ? 3 : 5));
    }
    heft_train_opts o = heft_train_opts_default(HEFT_MODEL_FM);
    o.factors = 0;
    CHECK(heft_train_opts_check(&o, &err) == HEFT_EINVAL);
    CHECK(strstr(err.msg, "factors") != NULL);
    o = heft_train_opts_default(HEFT_MODEL_FM);
    o.optim = HEFT_OPTIM_FTRL;
    CHECK(heft_train_opts_check(&o, &err) == HEFT_EINVAL);
    CHECK(strstr(err.msg, "FTRL") != NULL);
    o = heft_train_opts_default(HEFT_MODEL_MLP);
    o.hidden[1] = -3;
    CHECK(heft_train_opts_check(&o, &err) == HEFT_EINVAL);
    CHECK(strstr(err.msg, "hidden[1]") != NULL);
    o = heft_train_opts_default(HEFT_MODEL_LR);
    o.lr = -1;
    CHECK(heft_train_opts_check(&o, &err) == HEFT_EINVAL);
    o = heft_train_opts_default(HEFT_MODEL_LR);
    o.l2 = NAN;
    CHECK(heft_train_opts_check(&o, &err) == HEFT_EINVAL);
    o = heft_train_opts_default(HEFT_MODEL_LR);
    o.batch = 0;
    CHECK(heft_train_opts_check(&o, &err) == HEFT_EINVAL);
    o = heft_train_opts_default(HEFT_MODEL_MLP);
    o.l1 = 0.5;
    CHECK(heft_train_opts_check(&o, &err) == HEFT_EINVAL);
    CHECK(strstr(err.msg, "l1") != NULL);
}

void test_model_logloss_logit(void)
{
    for (double z = -30; z <= 30; z += 0.75) {
        /* -log sigmoid(z) = log(1 + e^-z); -log(1 - sigmoid(z)) =
         * log(1 + e^z); and a soft label mixes the two. */
        CHECK_NEAR(heft__logloss_logit(z, 1), log1p(exp(-z)), 1e-9);
        CHECK_NEAR(heft__logloss_logit(z, 0), log1p(exp(z)), 1e-9);
        CHECK_NEAR(heft__logloss_logit(z, 0.25),
                   0.25 * log1p(exp(-z)) + 0.75 * log1p(exp(z)), 1e-9);
        CHECK_NEAR(heft__logloss_logit(z, 3), heft__logloss_logit(z, 1),
                   0);
    }
    /* Far out it must neither overflow nor lose the linear tail. */
    CHECK_NEAR(heft__logloss_logit(800, 0), 800, 1e-9);
    CHECK_NEAR(heft__logloss_logit(-800, 1), 800, 1e-9);
    CHECK(heft__logloss_logit(800, 1) >= 0);
    CHECK(heft__logloss_logit(800, 1) < 1e-300);
}

/* ---- derivatives ------------------------------------------------------ */

void test_model_grad_fd_lr(void)
{
    heft_dataset *ds = toy_random(1, 40, 5, 3, 8, 0);
    REQUIRE(ds);
    heft_model *m = random_model(HEFT_MODEL_LR, 5, 3, 0.5, 7);
    REQUIRE(m);
    CHECK(m->n_params == 33);
    check_grad_fd(m, ds, 1e-2, 1e-9);
    heft_model_free(m);
    heft_dataset_free(ds);
}

void test_model_grad_fd_fm(void)
{
    heft_dataset *ds = toy_random(2, 40, 5, 3, 8, 0);
    REQUIRE(ds);
    heft_model *m = random_model(HEFT_MODEL_FM, 5, 3, 0.5, 8);
    REQUIRE(m);
    CHECK(m->n_params == 32 * 4 + 1);
    /* f is quadratic in each parameter: central differences are exact
     * when the two steps are equal, which a power-of-two step makes so. */
    check_grad_fd(m, ds, 1.0 / 128, 1e-9);
    heft_model_free(m);
    heft_dataset_free(ds);
}

void test_model_grad_fd_mlp(void)
{
    heft_dataset *ds = toy_random(3, 40, 5, 3, 8, 0);
    REQUIRE(ds);
    heft_model *m = random_model(HEFT_MODEL_MLP, 5, 3, 0.5, 9);
    REQUIRE(m);
    /* E (32, 3); 9 -> 5 -> 4 -> 1 */
    CHECK(m->n_params == 32 * 3 + (9 * 5 + 5) + (5 * 4 + 4) + (4 + 1));
    check_grad_fd(m, ds, 1e-3, 1e-6);
    heft_model_free(m);
    heft_dataset_free(ds);
}

typedef struct loss_ctx {
    const heft_dataset *ds;
    uint64_t i;
} loss_ctx;

static double fn_loss(const heft_model *m, const void *ctx, void *scr)
{
    const loss_ctx *c = ctx;
    return heft__sample_loss(m, c->ds, c->i, scr);
}

void test_model_loss_grad_fd(void)
{
    heft_dataset *ds = toy_random(4, 25, 4, 2, 6, 1);
    REQUIRE(ds);
    heft__sgrad gr = {0};
    for (int k = 0; k < HEFT_MODEL__COUNT; k++) {
        heft_model *m = random_model((heft_model_kind)k, 4, 2, 0.4, 10);
        REQUIRE(m);
        void *scr = malloc(m->vt->scratch_size(m));
        double *d = calloc((size_t)m->n_params, sizeof *d);
        for (uint64_t i = 0; i < ds->n_rows; i++) {
            double p = -1;
            CHECK_OK(heft__sample_grad(m, ds, i, &gr, &p, scr));
            heft__row r = heft__ds_row(ds, i);
            CHECK_NEAR(p, heft__sigmoid(m->vt->logit(m, &r, scr)), 1e-12);
            memset(d, 0, (size_t)m->n_params * sizeof *d);
            for (size_t q = 0; q < gr.n; q++)
                d[gr.idx[q]] += gr.g[q];
            loss_ctx c = {ds, i};
            for (uint64_t j = 0; j < m->n_params; j++) {
                if (d[j] == 0 && j % 5)
                    continue;
                double want = fd(m, j, 1e-3, fn_loss, &c, scr);
                CHECK_NEAR(d[j], want, 2e-5 * (1 + fabs(want)));
            }
        }
        free(d);
        free(scr);
        heft_model_free(m);
    }
    heft__sgrad_free(&gr);
    heft_dataset_free(ds);
}

typedef struct grad_ctx {
    const heft__row *r;
    uint64_t k; /* which gradient entry */
} grad_ctx;

/* d2f v on row r from finite differences of the exact gradient, one
 * column of the Hessian of f per parameter the row touches. */
static double *hvp_by_columns(heft_model *m, const heft__row *r,
                              const double *v, double h, void *scr)
{
    size_t np = (size_t)m->n_params;
    double f, *out = calloc(np, sizeof *out);
    double *d0 = dense_grad(m, r, &f, scr);
    for (size_t k = 0; k < np; k++) {
        if (d0[k] == 0 || v[k] == 0)
            continue;
        float old = m->theta[k];
        float tp = (float)(old + h), tm = (float)(old - h);
        m->theta[k] = tp;
        double *gp = dense_grad(m, r, &f, scr);
        m->theta[k] = tm;
        double *gm = dense_grad(m, r, &f, scr);
        m->theta[k] = old;
        for (size_t q = 0; q < np; q++)
            out[q] += v[k] * (gp[q] - gm[q]) / ((double)tp - (double)tm);
        free(gp);
        free(gm);
    }
    free(d0);
    return out;
}

static void check_hvp(heft_model *m, const heft_dataset *ds, double h,
                      double tol)
{
    size_t np = (size_t)m->n_params;
    void *scr = malloc(m->vt->scratch_size(m));
    double *v = calloc(np, sizeof *v), *out = calloc(np, sizeof *out);
    heft__rng rng;
    heft__rng_seed(&rng, 5);
    for (size_t k = 0; k < np; k++)
        v[k] = heft__rng_normal(&rng);
    for (uint64_t i = 0; i < ds->n_rows; i++) {
        heft__row r = heft__ds_row(ds, i);
        memset(out, 0, np * sizeof *out);
        m->vt->hvp(m, &r, v, 0.5, out, scr);
        double *want = hvp_by_columns(m, &r, v, h, scr);
        for (size_t k = 0; k < np; k++)
            CHECK_NEAR(out[k], 0.5 * want[k], tol * (1 + fabs(want[k])));
        free(want);
    }
    free(v);
    free(out);
    free(scr);
}

void test_model_hvp_fd_lr_fm(void)
{
    heft_dataset *ds = toy_random(5, 30, 4, 3, 7, 0);
    REQUIRE(ds);
    heft_model *lr = random_model(HEFT_MODEL_LR, 4, 3, 0.5, 11);
    heft_model *fm = random_model(HEFT_MODEL_FM, 4, 3, 0.5, 12);
    REQUIRE(lr && fm);
    check_hvp(lr, ds, 1e-2, 1e-9);
    check_hvp(fm, ds, 1e-2, 1e-8);
    heft_model_free(lr);
    heft_model_free(fm);
    heft_dataset_free(ds);
}

void test_model_hvp_fd_mlp(void)
{
    heft_dataset *ds = toy_random(6, 30, 4, 3, 7, 0);
    REQUIRE(ds);
    heft_model *m = random_model(HEFT_MODEL_MLP, 4, 3, 0.5, 13);
    REQUIRE(m);
    check_hvp(m, ds, 1e-3, 1e-5);
    heft_model_free(m);
    heft_dataset_free(ds);
}

/* Gradient of the objective L = sum_i l_i + (l2/2)|theta|^2, dense. */
static double *objective_grad(const heft_model *m, const heft_dataset *ds)
{
    size_t np = (size_t)m->n_params;
    double *g = calloc(np, sizeof *g);
    void *scr = malloc(m->vt->scratch_size(m));
    heft__sgrad gr = {0};
    for (uint64_t i = 0; i < ds->n_rows; i++) {
        if (heft__sample_grad(m, ds, i, &gr, NULL, scr) != HEFT_OK)
            break;
        for (size_t q = 0; q < gr.n; q++)
            g[gr.idx[q]] += gr.g[q];
    }
    for (size_t k = 0; k < np; k++)
        g[k] += m->l2 * m->theta[k];
    heft__sgrad_free(&gr);
    free(scr);
    return g;
}

void test_model_objective_hvp(void)
{
    heft_dataset *ds = toy_random(7, 40, 4, 2, 6, 1);
    REQUIRE(ds);
    for (int kind = 0; kind < HEFT_MODEL__COUNT; kind++) {
        heft_model *m = random_model((heft_model_kind)kind, 4, 2, 0.4, 20);
        REQUIRE(m);
        m->l2 = 0.7;
        size_t np = (size_t)m->n_params;
        double *v = calloc(np, sizeof *v), *out = calloc(np, sizeof *out);
        double *out2 = calloc(np, sizeof *out2);
        double *want = calloc(np, sizeof *want);
        heft__rng rng;
        heft__rng_seed(&rng, 21);
        for (size_t k = 0; k < np; k++)
            v[k] = heft__rng_normal(&rng);
        CHECK_OK(heft__objective_hvp(m, ds, v, out, 1, NULL));
        /* Oracle: Hessian columns by central differences of the
         * objective's gradient. */
        for (size_t k = 0; k < np; k++) {
            float old = m->theta[k];
            float tp = (float)(old + 1e-3), tm = (float)(old - 1e-3);
            m->theta[k] = tp;
            double *gp = objective_grad(m, ds);
            m->theta[k] = tm;
            double *gm = objective_grad(m, ds);
            m->theta[k] = old;
            for (size_t q = 0; q < np; q++)
                want[q] += v[k] * (gp[q] - gm[q]) / ((double)tp - tm);
            free(gp);
            free(gm);
        }
        double tol = kind == HEFT_MODEL_MLP ? 2e-3 : 2e-4;
        for (size_t q = 0; q < np; q++)
            CHECK_NEAR(out[q], want[q], tol * (1 + fabs(want[q])));
        /* Two threads: the same sums in another grouping, and the same
         * bits every time for that thread count. */
        CHECK_OK(heft__objective_hvp(m, ds, v, out2, 2, NULL));
        for (size_t q = 0; q < np; q++)
            CHECK_NEAR(out2[q], out[q], 1e-10 * (1 + fabs(out[q])));
        CHECK_OK(heft__objective_hvp(m, ds, v, want, 2, NULL));
        CHECK(memcmp(want, out2, np * sizeof *out2) == 0);
        free(v);
        free(out);
        free(out2);
        free(want);
        heft_model_free(m);
    }
    heft_dataset_free(ds);
}

/* Row 0 with weight 2 equals row 0 twice with weight 1, for the
 * objective's gradient and its Hessian-vector product. */
void test_model_weight_is_duplication(void)
{
    uint64_t rp[4] = {0, 3, 5, 8}, rp2[5] = {0, 3, 6, 8, 11};
    uint32_t feat[8] = {1, 4, 4, 2, 9, 7, 1, 3};
    float val[8] = {1, 0.5f, -1, 2, 1, 1, 1, 0.25f};
    uint16_t field[8] = {0, 1, 1, 0, 1, 0, 1, 1};
    float y[3] = {1, 0, 1}, w[3] = {2, 1, 1};
    uint32_t feat2[11] = {1, 4, 4, 1, 4, 4, 2, 9, 7, 1, 3};
    float val2[11] = {1, 0.5f, -1, 1, 0.5f, -1, 2, 1, 1, 1, 0.25f};
    uint16_t field2[11] = {0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1};
    float y2[4] = {1, 1, 0, 1};
    heft_dataset *a = NULL, *b = NULL;
    CHECK_OK(heft_dataset_from_csr(3, rp, feat, val, field, y, w, NULL, 4,
                                   &a, NULL));
    CHECK_OK(heft_dataset_from_csr(4, rp2, feat2, val2, field2, y2, NULL,
                                   NULL, 4, &b, NULL));
    REQUIRE(a && b);
    for (int kind = 0; kind < HEFT_MODEL__COUNT; kind++) {
        heft_model *m = random_model((heft_model_kind)kind, 4, 2, 0.4, 30);
        REQUIRE(m);
        size_t np = (size_t)m->n_params;
        double *ga = objective_grad(m, a), *gb = objective_grad(m, b);
        double *v = calloc(np, sizeof *v), *ha = calloc(np, sizeof *ha);
        double *hb = calloc(np, sizeof *hb);
        for (size_t k = 0; k < np; k++)
            v[k] = sin((double)k);
        CHECK_OK(heft__objective_hvp(m, a, v, ha, 1, NULL));
        CHECK_OK(heft__objective_hvp(m, b, v, hb, 1, NULL));
        double diff = 0, norm = 0;
        for (size_t k = 0; k < np; k++) {
            CHECK_NEAR(ga[k], gb[k], 1e-12);
            CHECK_NEAR(ha[k], hb[k], 1e-9);
            diff += fabs(ga[k]);
            norm += fabs(ha[k]);
        }
        CHECK(diff > 0.01 && norm > 0.01);
        free(ga);
        free(gb);
        free(v);
        free(ha);
        free(hb);
        heft_model_free(m);
    }
    heft_dataset_free(a);
    heft_dataset_free(b);
}

/* ---- training --------------------------------------------------------- */

/* A separable problem: field 0 holds one of ten "click" buckets or one of
 * ten "no click" buckets; fields 1..4 are noise over 2^10 buckets. With
 * flip, the labels are reversed (a validation set that gets worse as the
 * model learns). zero_every > 0 puts a weight-0 row (with its own random
 * features) after every zero_every-th row; keep_zero = 0 leaves them
 * out, so the two datasets differ only in those rows. */
static heft_dataset *toy_separable(uint64_t seed, size_t n, int flip,
                                   int zero_every, int keep_zero)
{
    heft__rng rng;
    heft__rng_seed(&rng, seed);
    size_t cap = 2 * n + 2;
    uint64_t *rp = calloc(cap + 1, sizeof *rp);
    uint32_t *feat = calloc(cap * 5, sizeof *feat);
    uint16_t *field = calloc(cap * 5, sizeof *field);
    float *y = calloc(cap, sizeof *y), *w = calloc(cap, sizeof *w);
    size_t rows = 0, k = 0;
    for (size_t i = 0; i < n; i++) {
        int zero = zero_every > 0 && i % (size_t)zero_every == 1;
        int click = heft__rng_uniform(&rng) < 0.4;
        feat[k] = (uint32_t)((click ? 1 : 11) + heft__rng_below(&rng, 10));
        field[k++] = 0;
        for (uint16_t f = 1; f <= 4; f++) {
            feat[k] = (uint32_t)heft__rng_below(&rng, 1024);
            field[k++] = f;
        }
        y[rows] = (float)(flip ? !click : click);
        w[rows] = zero ? 0.0f : 1.0f;
        if (zero && !keep_zero)
            k -= 5; /* drop the row again */
        else
            rp[++rows] = k;
    }
    heft_dataset *ds = NULL;
    heft_dataset_from_csr(rows, rp, feat, NULL, field, y,
                          zero_every ? w : NULL, NULL, 10, &ds, NULL);
    free(rp);
    free(feat);
    free(field);
    free(y);
    free(w);
    return ds;
}

void test_model_train_separable(void)
{
    heft_dataset *tr = toy_separable(1, 3000, 0, 0, 0);
    heft_dataset *te = toy_separable(2, 1000, 0, 0, 0);
    REQUIRE(tr && te);
    for (int k = 0; k < HEFT_MODEL__COUNT; k++) {
        heft_train_opts o = heft_train_opts_default((heft_model_kind)k);
        heft_model *m = NULL;
        heft_error err;
        CHECK_OK(heft_train(tr, te, &o, &m, &err));
        REQUIRE(m);
        CHECK(heft_model_get_kind(m) == (heft_model_kind)k);
        double a = model_auc(m, te);
        if (a < 0.995 || getenv("HEFT_TEST_VERBOSE"))
            fprintf(stderr, "  %s test AUC %.5f\n",
                    heft_model_kind_name((heft_model_kind)k), a);
        CHECK(a >= 0.995);
        heft_model_free(m);
    }
    heft_dataset_free(tr);
    heft_dataset_free(te);
}

static heft_model *train_quiet(const heft_dataset *tr,
                               const heft_dataset *va, heft_train_opts o)
{
    heft_model *m = NULL;
    heft_error err;
    if (heft_train(tr, va, &o, &m, &err) != HEFT_OK)
        fprintf(stderr, "  heft_train: %s\n", err.msg);
    return m;
}

static int same_theta(const heft_model *a, const heft_model *b)
{
    return a && b && a->n_params == b->n_params &&
           memcmp(a->theta, b->theta, a->n_params * sizeof *a->theta) == 0;
}

void test_model_train_zero_weight_rows(void)
{
    heft_dataset *with = toy_separable(3, 800, 0, 4, 1);
    heft_dataset *without = toy_separable(3, 800, 0, 4, 0);
    REQUIRE(with && without);
    CHECK(with->n_rows == 800 && without->n_rows == 600);
    for (int k = 0; k < HEFT_MODEL__COUNT; k++) {
        heft_train_opts o = heft_train_opts_default((heft_model_kind)k);
        o.shuffle = 0;
        o.epochs = 2;
        o.hidden[0] = 8;
        o.hidden[1] = 4;
        heft_model *a = train_quiet(with, NULL, o);
        heft_model *b = train_quiet(without, NULL, o);
        CHECK(same_theta(a, b));
        if (k == HEFT_MODEL_MLP) { /* minibatches too */
            o.batch = 7;
            heft_model *c = train_quiet(with, NULL, o);
            heft_model *d = train_quiet(without, NULL, o);
            CHECK(same_theta(c, d));
            CHECK(!same_theta(a, c));
            heft_model_free(c);
            heft_model_free(d);
        }
        heft_model_free(a);
        heft_model_free(b);
    }
    heft_dataset_free(with);
    heft_dataset_free(without);
}

void test_model_train_deterministic(void)
{
    heft_dataset *tr = toy_separable(4, 1500, 0, 0, 0);
    heft_dataset *va = toy_separable(5, 300, 0, 0, 0);
    REQUIRE(tr && va);
    for (int k = 0; k < HEFT_MODEL__COUNT; k++) {
        heft_train_opts o = heft_train_opts_default((heft_model_kind)k);
        o.epochs = 2;
        o.hidden[0] = 16;
        o.threads = 2;
        heft_model *a = train_quiet(tr, va, o);
        heft_model *b = train_quiet(tr, va, o);
        o.seed = 2;
        heft_model *c = train_quiet(tr, va, o);
        CHECK(same_theta(a, b));
        CHECK(c && !same_theta(a, c));
        heft_model_free(a);
        heft_model_free(b);
        heft_model_free(c);
    }
    heft_dataset_free(tr);
    heft_dataset_free(va);
}

static void count_lines(void *ud, const char *line)
{
    int *n = ud;
    if (strstr(line, "epoch ") == line && strstr(line, "valid logloss"))
        (*n)++;
}

/* The validation labels are reversed, so every epoch makes validation
 * worse: the first epoch is the best, patience 2 stops after the third,
 * and the model holds the first epoch's parameters. */
void test_model_early_stopping_checkpoints(void)
{
    heft_dataset *tr = toy_separable(6, 1000, 0, 0, 0);
    heft_dataset *va = toy_separable(7, 300, 1, 0, 0);
    REQUIRE(tr && va);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/ck/nested", heft_test_tmpdir());
    heft_train_opts o = heft_train_opts_default(HEFT_MODEL_FM);
    o.epochs = 10;
    o.patience = 2;
    o.checkpoint_dir = dir;
    int lines = 0;
    o.log = count_lines;
    o.log_ud = &lines;
    heft_model *m = train_quiet(tr, va, o);
    REQUIRE(m);
    CHECK(heft_model_epochs(m) == 1);
    CHECK(lines == 3);
    char path[1100];
    for (int e = 1; e <= 4; e++) {
        snprintf(path, sizeof path, "%s/epoch-%d.heftm", dir, e);
        struct stat st;
        CHECK((stat(path, &st) == 0) == (e <= 3));
        heft_model *c = NULL;
        heft_error err;
        if (e > 3)
            continue;
        CHECK_OK(heft_model_load(path, &c, &err));
        REQUIRE(c);
        CHECK(heft_model_epochs(c) == e);
        CHECK(same_theta(c, m) == (e == 1));
        heft_model_free(c);
    }
    heft_model_free(m);
    /* Without a validation set every epoch runs. */
    o.checkpoint_dir = NULL;
    o.epochs = 4;
    m = train_quiet(tr, NULL, o);
    CHECK(m && heft_model_epochs(m) == 4);
    heft_model_free(m);
    heft_dataset_free(tr);
    heft_dataset_free(va);
}

/* ---- model file ------------------------------------------------------- */

static int same_schema(const heft_model *a, const heft_model *b)
{
    char *ta = NULL, *tb = NULL;
    size_t la = 0, lb = 0;
    if (heft__schema_to_text(&a->schema, &ta, &la) != HEFT_OK ||
        heft__schema_to_text(&b->schema, &tb, &lb) != HEFT_OK)
        return 0;
    int same = la == lb && memcmp(ta, tb, la) == 0 && la > 0;
    free(ta);
    free(tb);
    return same;
}

void test_model_save_load_roundtrip(void)
{
    heft_dataset *tr = toy_separable(8, 400, 0, 0, 0);
    REQUIRE(tr);
    for (int k = 0; k < HEFT_MODEL__COUNT; k++) {
        heft_train_opts o = heft_train_opts_default((heft_model_kind)k);
        o.epochs = 1;
        o.hidden[0] = 6;
        o.hidden[1] = 3;
        o.l2 = 1e-3;
        heft_model *m = train_quiet(tr, NULL, o), *g = NULL;
        REQUIRE(m);
        const char *path = heft_test_write("m.heftm", "x", 1);
        heft_error err;
        CHECK_OK(heft_model_save(m, path, &err));
        CHECK_OK(heft_model_load(path, &g, &err));
        REQUIRE(g);
        CHECK(g->kind == m->kind && g->hash_bits == m->hash_bits);
        CHECK(g->n_fields == m->n_fields && g->factors == m->factors);
        CHECK(g->embed_dim == m->embed_dim && g->n_hidden == m->n_hidden);
        CHECK(memcmp(g->hidden, m->hidden, sizeof m->hidden) == 0);
        CHECK(g->l2 == m->l2 && g->l2 == 1e-3 * 400);
        CHECK(heft_model_epochs(g) == 1);
        CHECK(heft_model_num_params(g) == heft_model_num_params(m));
        CHECK(same_theta(g, m));
        CHECK(same_schema(g, m));
        heft_read_opts ro;
        heft_model_read_opts(g, &ro);
        CHECK(ro.hash_bits == 10);
        heft_model_free(m);
        heft_model_free(g);
    }
    heft_dataset_free(tr);
}

static void *model_bytes(heft_model_kind k, size_t *len)
{
    heft_dataset *tr = toy_separable(9, 200, 0, 0, 0);
    heft_train_opts o = heft_train_opts_default(k);
    o.epochs = 1;
    heft_model *m = train_quiet(tr, NULL, o);
    void *buf = NULL;
    const char *path = heft_test_write("b.heftm", "", 0);
    if (m && heft_model_save(m, path, NULL) == HEFT_OK)
        heft__read_file(path, &buf, len, NULL);
    heft_model_free(m);
    heft_dataset_free(tr);
    return buf;
}

static heft_status load_bytes(const void *b, size_t len, heft_error *err)
{
    heft_model *m = NULL;
    heft_status st = heft_model_load_mem(b, len, "x.heftm", &m, err);
    if ((st == HEFT_OK) != (m != NULL))
        return HEFT_EINVAL; /* out must be NULL exactly on failure */
    heft_model_free(m);
    return st;
}

void test_model_load_errors(void)
{
    size_t len = 0;
    unsigned char *b = model_bytes(HEFT_MODEL_FM, &len);
    REQUIRE(b && len > 100);
    unsigned char *c = malloc(len + 1);
    heft_error err;
    CHECK_OK(load_bytes(b, len, &err));
    size_t cuts[] = {0, 5, 8, 40, 87, 88, 100, len / 2, len - 8, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
        CHECK(load_bytes(b, cuts[i], &err) == HEFT_ETRUNC);
    CHECK(!strcmp(err.file, "x.heftm"));
    size_t flips[] = {16, 60, 70, 90, len / 2, len - 3};
    for (size_t i = 0; i < sizeof flips / sizeof flips[0]; i++) {
        memcpy(c, b, len);
        c[flips[i]] ^= 0x10;
        CHECK(load_bytes(c, len, &err) == HEFT_ECORRUPT);
    }
    memcpy(c, b, len);
    c[len] = 0;
    CHECK(load_bytes(c, len + 1, &err) == HEFT_ECORRUPT);
    memcpy(c, b, len);
    c[8] = 3; /* version 3: newer than this build */
    CHECK(load_bytes(c, len, &err) == HEFT_EVERSION);
    CHECK(strstr(err.msg, "version 3") != NULL);
    c[8] = 1;
    c[0] = 'X';
    CHECK(load_bytes(c, len, &err) == HEFT_EFORMAT);
    /* A file: errors name it. */
    const char *path = heft_test_write("trunc.heftm", b, len - 10);
    heft_model *m = NULL;
    CHECK(heft_model_load(path, &m, &err) == HEFT_ETRUNC);
    CHECK(m == NULL && !strcmp(err.file, path));
    CHECK(heft_model_load("/nonexistent/x.heftm", &m, &err) == HEFT_EIO);
    free(b);
    free(c);
}

void test_model_predict(void)
{
    heft_dataset *ds = toy_random(11, 3000, 6, 3, 9, 0);
    REQUIRE(ds);
    for (int k = 0; k < HEFT_MODEL__COUNT; k++) {
        heft_model *m = random_model((heft_model_kind)k, 6, 3, 2.0, 40);
        REQUIRE(m);
        float *p1 = malloc(ds->n_rows * sizeof *p1);
        float *p3 = malloc(ds->n_rows * sizeof *p3);
        void *scr = malloc(m->vt->scratch_size(m));
        CHECK_OK(heft_predict(m, ds, p1, 1, NULL));
        CHECK_OK(heft_predict(m, ds, p3, 3, NULL));
        CHECK(memcmp(p1, p3, ds->n_rows * sizeof *p1) == 0);
        int in01 = 1, extreme = 0;
        for (uint64_t i = 0; i < ds->n_rows; i++) {
            in01 &= p1[i] >= 0 && p1[i] <= 1;
            extreme += p1[i] < 0.01f || p1[i] > 0.99f;
            heft__row r = heft__ds_row(ds, i);
            CHECK_NEAR(p1[i], heft__sigmoid(m->vt->logit(m, &r, scr)),
                       1e-7);
        }
        CHECK(in01);
        CHECK(extreme > 0); /* the big weights reach the tails */
        free(scr);
        free(p1);
        free(p3);
        heft_model_free(m);
    }
    heft_dataset_free(ds);
}

/* ---- real data -------------------------------------------------------- */

static heft_dataset *read_real(const char *path)
{
    heft_read_opts ro = heft_read_opts_default();
    heft_dataset *ds = NULL;
    heft_error err;
    if (heft_dataset_read(path, &ro, &ds, &err) != HEFT_OK) {
        char buf[1200];
        fprintf(stderr, "  %s\n", heft_error_format(&err, buf, sizeof buf));
    }
    return ds;
}

void test_model_real_frappe(void)
{
    const char *a = heft_test_data("frappe/frappe.validation.libfm");
    const char *b = heft_test_data("frappe/frappe.test.libfm");
    if (!a || !b)
        SKIP("frappe data not found under the data directory");
    heft_dataset *tr = read_real(a), *te = read_real(b);
    REQUIRE(tr && te);
    heft_train_opts o = heft_train_opts_default(HEFT_MODEL_LR);
    o.threads = 2;
    heft_model *lr = train_quiet(tr, NULL, o);
    o = heft_train_opts_default(HEFT_MODEL_FM);
    o.threads = 2;
    heft_model *fm = train_quiet(tr, NULL, o);
    REQUIRE(lr && fm);
    double alr = model_auc(lr, te), afm = model_auc(fm, te);
    if (getenv("HEFT_TEST_VERBOSE"))
        fprintf(stderr, "  frappe AUC lr %.4f fm %.4f\n", alr, afm);
    CHECK(alr > 0.925); /* 0.9219 with alpha fixed at 0.1 (no tuning) */
    CHECK(afm >= alr);
    heft_model_free(lr);
    heft_model_free(fm);
    heft_dataset_free(tr);
    heft_dataset_free(te);
}

void test_model_real_criteo(void)
{
    const char *a = heft_test_data("criteo-subset/train.csv");
    const char *b = heft_test_data("criteo-subset/test.csv");
    if (!a || !b)
        SKIP("criteo-subset data not found under the data directory");
    heft_dataset *tr = read_real(a), *te = read_real(b);
    REQUIRE(tr && te);
    heft_train_opts o = heft_train_opts_default(HEFT_MODEL_LR);
    heft_model *lr = train_quiet(tr, NULL, o);
    REQUIRE(lr);
    double alr = model_auc(lr, te);
    if (getenv("HEFT_TEST_VERBOSE"))
        fprintf(stderr, "  criteo-subset AUC lr %.4f\n", alr);
    CHECK(alr > 0.735); /* 0.7308 with alpha fixed at 0.1 (no tuning) */
    heft_model_free(lr);
    heft_dataset_free(tr);
    heft_dataset_free(te);
}

/* ---- the FM kernel against a reference, and lr's tuning of alpha ----- */

/* One epoch of FM training in file order, as docs/models.md states it,
 * in double precision: for each row, f and s_c from the parameters at
 * the start of the row, g = w_i (p - y); then for each occurrence j in
 * order, with the parameters as the previous occurrences left them:
 *   g_v = g (x s - x^2 v) + w_i l2 v,  G_v += |g_v|^2 / k,
 *   v -= lr g_v / sqrt(G_v);  g_w = g x + w_i l2 w,  G_w += g_w^2,
 *   w -= lr g_w / sqrt(G_w); and last the same AdaGrad step for b. All
 * sums start at 1. th (n_params,) holds the initial theta on entry. */
static void fm_reference_epoch(const heft_model *m, const heft_dataset *ds,
                               double lr, double l2, double *th)
{
    const int k = m->factors;
    const size_t S = (size_t)k + 1, nb = (size_t)1 << m->hash_bits;
    double *Gv = malloc(nb * sizeof *Gv), *Gw = malloc(nb * sizeof *Gw);
    double *s = malloc((size_t)k * sizeof *s), Gb = 1;
    double *b = th + nb * S;
    for (size_t i = 0; i < nb; i++)
        Gv[i] = Gw[i] = 1;
    for (uint64_t i = 0; i < ds->n_rows; i++) {
        const heft__row r = heft__ds_row(ds, i);
        const double wt = ds->weight ? ds->weight[i] : 1;
        double f = *b, q = 0, ss = 0;
        for (int c = 0; c < k; c++)
            s[c] = 0;
        for (uint32_t j = 0; j < r.nnz; j++) {
            const double *p = th + (size_t)r.feat[j] * S;
            f += p[0] * r.val[j];
            for (int c = 0; c < k; c++) {
                s[c] += p[1 + c] * r.val[j];
                q += p[1 + c] * p[1 + c] * r.val[j] * r.val[j];
            }
        }
        for (int c = 0; c < k; c++)
            ss += s[c] * s[c];
        f += 0.5 * (ss - q);
        const double y = ds->label[i] > 1 ? 1 : ds->label[i];
        const double g = wt * (heft__sigmoid(f) - y), rg = wt * l2;
        for (uint32_t j = 0; j < r.nnz; j++) {
            const size_t bk = r.feat[j];
            double *p = th + bk * S, x = r.val[j], gv[64], sq = 0;
            for (int c = 0; c < k; c++) {
                gv[c] = g * (x * s[c] - x * x * p[1 + c]) + rg * p[1 + c];
                sq += gv[c] * gv[c];
            }
            Gv[bk] += sq / k;
            for (int c = 0; c < k; c++)
                p[1 + c] -= lr * gv[c] / sqrt(Gv[bk]);
            const double gw = g * x + rg * p[0];
            Gw[bk] += gw * gw;
            p[0] -= lr * gw / sqrt(Gw[bk]);
        }
        const double gb = g + rg * *b;
        Gb += gb * gb;
        *b -= lr * gb / sqrt(Gb);
    }
    free(Gv);
    free(Gw);
    free(s);
}

/* The FM training kernels (the generic one, k = 3, and the SSE2 one,
 * k = 8) follow the documented row-wise AdaGrad to float precision, on
 * weighted rows with repeated buckets and grades. */
void test_model_fm_kernel_reference(void)
{
    heft_dataset *ds = toy_random(21, 60, 5, 3, 6, 1);
    REQUIRE(ds);
    for (int pass = 0; pass < 2; pass++) {
        heft_train_opts o = heft_train_opts_default(HEFT_MODEL_FM);
        o.factors = pass ? 8 : 3;
        o.init_std = 0.3;
        o.epochs = 1;
        o.shuffle = 0;
        o.l2 = 1e-2;
        heft_model *m0 = NULL, *m = NULL;
        heft_error err;
        CHECK_OK(heft__model_create(HEFT_MODEL_FM, &o, 5, 3, NULL, &m0,
                                    &err));
        CHECK_OK(heft_train(ds, NULL, &o, &m, &err));
        REQUIRE(m0 && m && m0->n_params == m->n_params);
        double *th = malloc(m->n_params * sizeof *th);
        for (uint64_t i = 0; i < m->n_params; i++)
            th[i] = m0->theta[i];
        fm_reference_epoch(m0, ds, o.lr, o.l2, th);
        double worst = 0, moved = 0;
        for (uint64_t i = 0; i < m->n_params; i++) {
            double d = fabs(m->theta[i] - th[i]) / (1e-3 + fabs(th[i]));
            worst = d > worst ? d : worst;
            moved += fabs(th[i] - m0->theta[i]);
        }
        if (worst > 1e-3 || getenv("HEFT_TEST_VERBOSE"))
            fprintf(stderr, "  fm k=%d: worst relative difference %.2e\n",
                    o.factors, worst);
        CHECK(worst <= 1e-3);
        CHECK(moved > 0.1); /* the epoch did move the parameters */
        free(th);
        heft_model_free(m0);
        heft_model_free(m);
    }
    heft_dataset_free(ds);
}

/* n rows of nf one-hot fields. signal: field f takes one of 3 values and
 * the label is 1 when field 0's value is 0 (frequent tokens, a learnable
 * rule). Otherwise: tokens drawn from 2^15 buckets (each seen about once)
 * and labels independent coin flips (nothing to learn). */
static heft_dataset *toy_tokens(uint64_t seed, size_t n, int nf, int signal)
{
    heft__rng rng;
    heft__rng_seed(&rng, seed);
    uint64_t *rp = calloc(n + 1, sizeof *rp);
    uint32_t *feat = calloc(n * (size_t)nf, sizeof *feat);
    float *val = calloc(n * (size_t)nf, sizeof *val);
    uint16_t *field = calloc(n * (size_t)nf, sizeof *field);
    float *label = calloc(n, sizeof *label);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int v0 = 0;
        for (int f = 0; f < nf; f++, k++) {
            const uint32_t v =
                (uint32_t)heft__rng_below(&rng, signal ? 3 : 32768);
            if (f == 0)
                v0 = (int)v;
            feat[k] = signal ? (uint32_t)f * 3 + v : v;
            val[k] = 1;
            field[k] = (uint16_t)f;
        }
        rp[i + 1] = k;
        label[i] = signal ? (v0 == 0) : (heft__rng_uniform(&rng) < 0.3);
    }
    heft_dataset *ds = NULL;
    heft_error err;
    if (heft_dataset_from_csr(n, rp, feat, val, field, label, NULL, NULL, 15,
                              &ds, &err) != HEFT_OK)
        fprintf(stderr, "toy_tokens: %s\n", err.msg);
    free(rp);
    free(feat);
    free(val);
    free(field);
    free(label);
    return ds;
}

static void keep_line(void *ud, const char *line)
{
    if (strstr(line, "auto lr:") == line)
        snprintf(ud, 256, "%s", line);
}

/* lr's default (opts.lr = 0) picks FTRL's alpha on held-out rows: the
 * smallest alpha of the grid where there is nothing to learn, the largest
 * where a rule on frequent tokens is to be learnt; the choice is
 * deterministic, logged, and training with it is the same as training
 * with that alpha given; tiny data falls back to 0.1. */
void test_model_lr_auto(void)
{
    heft_train_opts o = heft_train_opts_default(HEFT_MODEL_LR);
    CHECK(o.lr == 0);
    heft_dataset *noise = toy_tokens(31, 3000, 8, 0);
    heft_dataset *rule = toy_tokens(32, 3000, 4, 1);
    heft_dataset *tiny = toy_tokens(33, 40, 4, 1);
    REQUIRE(noise && rule && tiny);
    double a1 = 0, a2 = 0, a3 = 0, a4 = 0;
    heft_error err;
    o.epochs = 3;
    CHECK_OK(heft__lr_tune(noise, &o, &a1, &err));
    CHECK_OK(heft__lr_tune(noise, &o, &a2, &err));
    CHECK_OK(heft__lr_tune(rule, &o, &a3, &err));
    CHECK_OK(heft__lr_tune(tiny, &o, &a4, &err));
    CHECK_NEAR(a1, 0.03, 1e-6);
    CHECK(a1 == a2);
    CHECK_NEAR(a3, 1.0, 1e-6);
    CHECK_NEAR(a4, 0.1, 1e-6);
    char line[256] = "";
    heft_train_opts d = heft_train_opts_default(HEFT_MODEL_LR);
    d.log = keep_line;
    d.log_ud = line;
    heft_model *m = train_quiet(noise, NULL, d);
    CHECK(strstr(line, "auto lr: alpha 0.03 (held-out logloss") == line);
    d.log = NULL;
    d.lr = a1;
    heft_model *given = train_quiet(noise, NULL, d);
    CHECK(same_theta(m, given));
    d.lr = 0;
    heft_model *t0 = train_quiet(tiny, NULL, d);
    d.lr = 0.1;
    heft_model *t1 = train_quiet(tiny, NULL, d);
    CHECK(same_theta(t0, t1));
    heft_model_free(m);
    heft_model_free(given);
    heft_model_free(t0);
    heft_model_free(t1);
    heft_dataset_free(noise);
    heft_dataset_free(rule);
    heft_dataset_free(tiny);
}
