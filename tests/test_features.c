/*
 * test_features.c: feature (field) importance, src/features.
 *
 * Oracles: MI, chi-square and its p-value, and adjusted MI of a table
 * written by hand against scipy/scikit-learn numbers; E[MI] against full
 * enumeration of the labelings; the counting pass against a brute-force
 * table built by comparing bucket lists; parameter norms against a loop
 * over the rows and theta; permutation importance against a direct loop
 * that builds each permuted data set and calls heft_predict and
 * heft_evaluate. Then behaviour: the field that carries the label ranks
 * first, noise and id fields sit near zero once corrected, threads do not
 * change a bit, bad input is refused; and frappe when ../shared/data has it.
 */
#include "test.h"

#include <stddef.h>

#include "core.h"
#include "feat_internal.h"
#include "model.h"

/* ---- tiny synthetic data ------------------------------------------------ */

enum { F_LEAK, F_NOISE, F_WEAK, F_ID, F_MULTI, N_F };

/* CSR arrays being built. */
typedef struct tcsr {
    uint64_t *rp;
    uint32_t *feat;
    uint16_t *field;
    float *label;
    size_t n, nnz;
} tcsr;

static void put(tcsr *c, uint32_t b, uint16_t f)
{
    c->feat[c->nnz] = b;
    c->field[c->nnz++] = f;
}

/* Rows with: leak = the label flipped 10% of the time; noise = one of 20
 * values; weak = 3 values, shifted by the label; id = unique per row;
 * multi = absent half the time, else 1-2 of 6 values, label-free. */
static heft_dataset *synth(size_t n, uint64_t seed, tcsr *keep)
{
    heft__rng r;
    heft__rng_seed(&r, seed);
    tcsr c = {malloc((n + 1) * sizeof *c.rp), malloc(n * 6 * sizeof *c.feat),
              malloc(n * 6 * sizeof *c.field), malloc(n * sizeof *c.label),
              n, 0};
    c.rp[0] = 0;
    for (size_t i = 0; i < n; i++) {
        const int y = heft__rng_uniform(&r) < 0.3;
        c.label[i] = (float)y;
        const int ly = heft__rng_uniform(&r) < 0.1 ? !y : y;
        put(&c, 100 + (uint32_t)ly, F_LEAK);
        put(&c, 200 + (uint32_t)heft__rng_below(&r, 20), F_NOISE);
        uint32_t w = (uint32_t)heft__rng_below(&r, 3);
        if (y && heft__rng_uniform(&r) < 0.3)
            w = 2;
        put(&c, 300 + w, F_WEAK);
        put(&c, 1000 + (uint32_t)i + (uint32_t)seed % 7 * 5000, F_ID);
        if (heft__rng_uniform(&r) < 0.5) {
            put(&c, 400 + (uint32_t)heft__rng_below(&r, 6), F_MULTI);
            if (heft__rng_uniform(&r) < 0.5)
                put(&c, 400 + (uint32_t)heft__rng_below(&r, 6), F_MULTI);
        }
        c.rp[i + 1] = c.nnz;
    }
    heft_dataset *ds = NULL;
    heft_status s = heft_dataset_from_csr(n, c.rp, c.feat, NULL, c.field,
                                          c.label, NULL, NULL, 16, &ds, NULL);
    if (keep)
        *keep = c;
    else {
        free(c.rp);
        free(c.feat);
        free(c.field);
        free(c.label);
    }
    return s == HEFT_OK ? ds : NULL;
}

static void tcsr_free(tcsr *c)
{
    free(c->rp);
    free(c->feat);
    free(c->field);
    free(c->label);
}

static heft_model *train_on(const heft_dataset *ds, heft_model_kind k)
{
    heft_train_opts to = heft_train_opts_default(k);
    to.epochs = 3;
    heft_model *m = NULL;
    return heft_train(ds, NULL, &to, &m, NULL) == HEFT_OK ? m : NULL;
}

/* ---- information and chi-square of a table by hand ------------------- */

void test_features_table_by_hand(void)
{
    /* Rows of value x (4 values) by label 0 / 1. Oracle:
     * scipy.stats.chi2_contingency(t, correction=False) and
     * sklearn.metrics mutual_info_score / adjusted_mutual_info_score /
     * expected_mutual_information on the same rows. */
    const uint64_t t[4][2] = {{10, 2}, {3, 9}, {5, 5}, {0, 4}};
    heft_feature_stat st;
    memset(&st, 0, sizeof st);
    heft__finfo_table(t, 4, &st);
    CHECK_NEAR(st.chi2, 12.262037037037038, 1e-10);
    CHECK_NEAR(st.chi2_df, 3, 0);
    CHECK_NEAR(st.chi2_p, 0.00653737264682971, 1e-12);
    CHECK_NEAR(st.mi, 0.18949233970976492, 1e-12);
    CHECK_NEAR(st.ami, 0.15151492481549927, 1e-10);
    CHECK_NEAR(st.mi - st.mi_adj, 0.044039106449665966, 1e-10);
    CHECK(st.values == 4);
    /* Miller-Madow by hand: m_X = 4, m_Y = 2, m_XY = 7 non-empty cells,
     * N = 38: I + (3 + 1 - 6) / 76. */
    CHECK_NEAR(st.mi_mm, 0.18949233970976492 - 2.0 / 76, 1e-12);
    /* A field that is the label: I = H(Y), chi2 = N, p tiny. */
    const uint64_t id[2][2] = {{30, 0}, {0, 10}};
    heft__finfo_table(id, 2, &st);
    CHECK_NEAR(st.mi, -(0.75 * log(0.75) + 0.25 * log(0.25)), 1e-12);
    CHECK_NEAR(st.chi2, 40, 1e-9);
    CHECK(st.chi2_p < 1e-9);
}

void test_features_chi2_sf(void)
{
    /* Closed forms: df 1 -> erfc(sqrt(x/2)), df 2 -> exp(-x/2); the rest
     * from scipy.stats.chi2.sf. */
    for (double x = 0.01; x < 60; x *= 1.7) {
        CHECK_NEAR(heft__chi2_sf(1, x), erfc(sqrt(x / 2)), 1e-12);
        CHECK_NEAR(heft__chi2_sf(2, x), exp(-x / 2), 1e-12);
    }
    CHECK_NEAR(heft__chi2_sf(10, 3.94), 0.9500130907900908, 1e-10);
    CHECK_NEAR(heft__chi2_sf(3, 1e-3), 0.9999915920809419, 1e-12);
    CHECK_NEAR(heft__chi2_sf(20, 60), 7.121750862815593e-06, 1e-14);
    CHECK_NEAR(heft__chi2_sf(1, 1), 0.31731050786291415, 1e-12);
    CHECK_NEAR(heft__chi2_sf(200000, 200000), 0.4995794778896348, 1e-9);
    CHECK(heft__chi2_sf(0, 5) == 1);
    CHECK(heft__chi2_sf(4, 1e6) == 0);
}

/* Plug-in MI (nats) of value x[] and 0/1 label y[] over n rows. */
static double mi_of(const int *x, const int *y, int n, int kx)
{
    double c[16][2] = {{0}}, cx[16] = {0}, cy[2] = {0};
    for (int i = 0; i < n; i++) {
        c[x[i]][y[i]]++;
        cx[x[i]]++;
        cy[y[i]]++;
    }
    double mi = 0;
    for (int a = 0; a < kx; a++)
        for (int b = 0; b < 2; b++)
            if (c[a][b] > 0)
                mi += c[a][b] / n * log(n * c[a][b] / (cx[a] * cy[b]));
    return mi;
}

void test_features_emi_enumeration(void)
{
    /* E[I] over every labeling with 3 positives of 8 rows whose values
     * have margins 3, 3, 2 (all C(8,3) = 56 equally likely). */
    const int x[8] = {0, 0, 0, 1, 1, 1, 2, 2};
    double sum = 0;
    int count = 0;
    for (int mask = 0; mask < 256; mask++) {
        if (__builtin_popcount((unsigned)mask) != 3)
            continue;
        int y[8];
        for (int i = 0; i < 8; i++)
            y[i] = (mask >> i) & 1;
        sum += mi_of(x, y, 8, 3);
        count++;
    }
    REQUIRE(count == 56);
    const uint64_t ax[3] = {3, 3, 2}, by[2] = {5, 3};
    CHECK_NEAR(heft__emi(ax, 3, by, 2, 8), sum / count, 1e-12);
    /* Every value seen once: E[I] = H(Y), so the adjusted MI is 0. */
    uint64_t ones[40];
    for (int i = 0; i < 40; i++)
        ones[i] = 1;
    const uint64_t b2[2] = {30, 10};
    CHECK_NEAR(heft__emi(ones, 40, b2, 2, 40),
               -(0.75 * log(0.75) + 0.25 * log(0.25)), 1e-12);
}

/* ---- the counting pass against a brute-force table ------------------- */

/* The sorted buckets of field f in row i of c (at most 4), count out. */
static int row_value(const tcsr *c, size_t i, uint16_t f, uint32_t *v)
{
    int k = 0;
    for (uint64_t j = c->rp[i]; j < c->rp[i + 1]; j++)
        if (c->field[j] == f && k < 4)
            v[k++] = c->feat[j];
    for (int a = 1; a < k; a++) /* insertion sort */
        for (int b = a; b > 0 && v[b - 1] > v[b]; b--) {
            uint32_t t = v[b];
            v[b] = v[b - 1];
            v[b - 1] = t;
        }
    return k;
}

/* The value x label table of field f: values told apart by comparing
 * their sorted bucket lists (absent = the empty list). *k values. */
static uint64_t (*brute_table(const tcsr *c, uint16_t f, size_t *k))[2]
{
    uint32_t(*vals)[5] = calloc(c->n, sizeof *vals); /* [0] = length */
    uint64_t(*t)[2] = calloc(c->n, sizeof *t);
    *k = 0;
    for (size_t i = 0; i < c->n; i++) {
        uint32_t v[4];
        int len = row_value(c, i, f, v);
        size_t x = 0;
        while (x < *k && !((int)vals[x][0] == len &&
                           memcmp(vals[x] + 1, v, len * sizeof *v) == 0))
            x++;
        if (x == *k) {
            vals[x][0] = (uint32_t)len;
            memcpy(vals[x] + 1, v, len * sizeof *v);
            (*k)++;
        }
        t[x][c->label[i] > 0]++;
    }
    free(vals);
    return t;
}

void test_features_counts_brute_force(void)
{
    tcsr c;
    heft_dataset *ds = synth(300, 5, &c);
    REQUIRE(ds);
    heft_features_opts o = heft_features_opts_default();
    o.what = HEFT_FEAT_MI | HEFT_FEAT_CHI2;
    heft_features *fs = NULL;
    CHECK_OK(heft_features_compute(ds, NULL, NULL, &o, &fs, NULL));
    REQUIRE(fs);
    REQUIRE(heft_features_count(fs) == N_F);
    for (uint16_t f = 0; f < N_F; f++) {
        size_t k;
        uint64_t(*t)[2] = brute_table(&c, f, &k);
        heft_feature_stat want;
        memset(&want, 0, sizeof want);
        heft__finfo_table((const uint64_t(*)[2])t, k, &want);
        const heft_feature_stat *got = heft_features_stat(fs, f);
        CHECK(got->values == k);
        CHECK_NEAR(got->mi, want.mi, 1e-12);
        CHECK_NEAR(got->mi_mm, want.mi_mm, 1e-12);
        CHECK_NEAR(got->mi_adj, want.mi_adj, 1e-10);
        CHECK_NEAR(got->chi2, want.chi2, 1e-9);
        CHECK_NEAR(got->chi2_df, want.chi2_df, 0);
        CHECK_NEAR(got->chi2_p, want.chi2_p, 1e-12);
        CHECK(isnan(got->weight_norm) && isnan(got->perm_auc));
        free(t);
    }
    /* The multi field is absent from some rows: counted as a value. */
    CHECK(heft_features_stat(fs, F_MULTI)->rows < 300);
    CHECK(heft_features_stat(fs, F_LEAK)->rows == 300);
    /* bits = nats / ln 2. */
    heft_features *fb = NULL;
    o.bits = 1;
    CHECK_OK(heft_features_compute(ds, NULL, NULL, &o, &fb, NULL));
    REQUIRE(fb);
    CHECK_NEAR(heft_features_stat(fb, F_LEAK)->mi,
               heft_features_stat(fs, F_LEAK)->mi / log(2.0), 1e-12);
    heft_features_free(fb);
    heft_features_free(fs);
    heft_dataset_free(ds);
    tcsr_free(&c);
}

/* ---- parameter norms by hand ------------------------------------------ */

static void check_norms(heft_model_kind kind)
{
    tcsr c;
    heft_dataset *ds = synth(400, 9, &c);
    REQUIRE(ds);
    /* Make field NOISE share bucket 100 with LEAK: one shared bucket. */
    for (size_t j = 0; j < c.nnz; j++)
        if (c.field[j] == F_NOISE && c.feat[j] == 200)
            c.feat[j] = 100;
    heft_dataset_free(ds);
    REQUIRE(heft_dataset_from_csr(c.n, c.rp, c.feat, NULL, c.field, c.label,
                                  NULL, NULL, 16, &ds, NULL) == HEFT_OK);
    heft_model *m = train_on(ds, kind);
    REQUIRE(m);
    heft_features_opts o = heft_features_opts_default();
    o.what = HEFT_FEAT_WEIGHT;
    heft_features *fs = NULL;
    CHECK_OK(heft_features_compute(ds, NULL, m, &o, &fs, NULL));
    REQUIRE(fs);
    /* Parameters of bucket b: theta[b stride .. b stride + stride). */
    const size_t stride = kind == HEFT_MODEL_FM    ? (size_t)m->factors + 1
                          : kind == HEFT_MODEL_MLP ? (size_t)m->embed_dim
                                                   : 1;
    uint8_t *used = calloc((size_t)1 << 16, 1);
    for (uint16_t f = 0; f < N_F; f++) {
        memset(used, 0, (size_t)1 << 16);
        double ss = 0;
        uint64_t nb = 0;
        for (size_t j = 0; j < c.nnz; j++) {
            if (c.field[j] != f || used[c.feat[j]])
                continue;
            used[c.feat[j]] = 1;
            nb++;
            for (size_t k = 0; k < stride; k++) {
                double w = m->theta[c.feat[j] * stride + k];
                ss += w * w;
            }
        }
        const heft_feature_stat *st = heft_features_stat(fs, f);
        CHECK_NEAR(st->weight_norm, sqrt(ss), 1e-6 * (1 + sqrt(ss)));
        CHECK(st->weight_buckets == nb);
        CHECK(st->weight_shared == (f == F_LEAK || f == F_NOISE));
    }
    CHECK(heft_features_stat(fs, F_LEAK)->weight_norm > 0);
    free(used);
    heft_features_free(fs);
    heft_model_free(m);
    heft_dataset_free(ds);
    tcsr_free(&c);
}

void test_features_weight_norms_lr(void) { check_norms(HEFT_MODEL_LR); }
void test_features_weight_norms_fm(void) { check_norms(HEFT_MODEL_FM); }
void test_features_weight_norms_mlp(void) { check_norms(HEFT_MODEL_MLP); }

/* ---- permutation importance against a direct loop ------------------ */

/* AUC and log loss of m on ds by the public API. */
static void auc_ll(const heft_model *m, const heft_dataset *ds, double *auc,
                   double *ll)
{
    const size_t n = heft_dataset_rows(ds);
    float *p = malloc(n * sizeof *p);
    heft_metrics mt;
    heft_eval_opts eo = heft_eval_opts_default();
    *auc = *ll = NAN;
    if (p && heft_predict(m, ds, p, 1, NULL) == HEFT_OK &&
        heft_evaluate(heft_dataset_labels(ds), p, NULL, NULL, n, &eo, &mt,
                      NULL) == HEFT_OK) {
        *auc = mt.auc.value;
        *ll = mt.logloss.value;
    }
    free(p);
}

/* The data set c with field f of row i taken from row perm[i]. */
static heft_dataset *permuted(const tcsr *c, uint16_t f,
                              const uint64_t *perm)
{
    tcsr o = {malloc((c->n + 1) * sizeof *o.rp),
              malloc(c->nnz * 2 * sizeof *o.feat),
              malloc(c->nnz * 2 * sizeof *o.field), c->label, c->n, 0};
    o.rp[0] = 0;
    for (size_t i = 0; i < c->n; i++) {
        for (uint64_t j = c->rp[i]; j < c->rp[i + 1]; j++)
            if (c->field[j] != f)
                put(&o, c->feat[j], c->field[j]);
        for (uint64_t j = c->rp[perm[i]]; j < c->rp[perm[i] + 1]; j++)
            if (c->field[j] == f)
                put(&o, c->feat[j], f);
        o.rp[i + 1] = o.nnz;
    }
    heft_dataset *ds = NULL;
    heft_dataset_from_csr(c->n, o.rp, o.feat, NULL, o.field, c->label, NULL,
                          NULL, 16, &ds, NULL);
    free(o.rp);
    free(o.feat);
    free(o.field);
    return ds;
}

static void check_perm_oracle(heft_model_kind kind)
{
    tcsr cv;
    heft_dataset *train = synth(1500, 11, NULL), *valid = synth(300, 12, &cv);
    REQUIRE(train && valid);
    heft_model *m = train_on(train, kind);
    REQUIRE(m);
    heft_features_opts o = heft_features_opts_default();
    o.what = HEFT_FEAT_PERM;
    o.repeats = 3;
    o.seed = 42;
    heft_features *fs = NULL;
    CHECK_OK(heft_features_compute(train, valid, m, &o, &fs, NULL));
    REQUIRE(fs);
    heft_features_info info;
    heft_features_get_info(fs, &info);
    double base_auc, base_ll;
    auc_ll(m, valid, &base_auc, &base_ll);
    CHECK_NEAR(info.base_auc, base_auc, 1e-9);
    CHECK_NEAR(info.base_logloss, base_ll, 1e-6);
    CHECK(info.valid_rows == 300 && !info.model_trained);
    uint64_t *perm = malloc(300 * sizeof *perm);
    for (uint16_t f = 0; f < N_F; f++) {
        double d[3], r[3], md = 0, mr = 0, sd = 0;
        for (int k = 0; k < 3; k++) {
            heft__fperm_order(42, f, k, 3, perm, 300);
            heft_dataset *pd = permuted(&cv, f, perm);
            double a, l;
            auc_ll(m, pd, &a, &l);
            d[k] = base_auc - a;
            r[k] = l - base_ll;
            md += d[k] / 3;
            mr += r[k] / 3;
            heft_dataset_free(pd);
        }
        for (int k = 0; k < 3; k++)
            sd += (d[k] - md) * (d[k] - md) / 2;
        const heft_feature_stat *st = heft_features_stat(fs, f);
        CHECK_NEAR(st->perm_auc, md, 1e-9);
        CHECK_NEAR(st->perm_logloss, mr, 1e-6);
        CHECK_NEAR(st->perm_auc_sd, sqrt(sd), 1e-8);
    }
    /* The permutation is a permutation. */
    heft__fperm_order(42, 0, 0, 3, perm, 300);
    uint8_t seen[300] = {0};
    for (int i = 0; i < 300; i++)
        seen[perm[i] < 300 ? perm[i] : 0]++;
    for (int i = 0; i < 300; i++)
        CHECK(seen[i] == 1);
    free(perm);
    heft_features_free(fs);
    heft_model_free(m);
    heft_dataset_free(train);
    heft_dataset_free(valid);
    tcsr_free(&cv);
}

void test_features_perm_oracle_lr(void) { check_perm_oracle(HEFT_MODEL_LR); }
void test_features_perm_oracle_fm(void) { check_perm_oracle(HEFT_MODEL_FM); }
void test_features_perm_oracle_mlp(void)
{
    check_perm_oracle(HEFT_MODEL_MLP);
}

/* ---- behaviour --------------------------------------------------------- */

void test_features_label_field_first(void)
{
    heft_dataset *ds = synth(4000, 3, NULL);
    REQUIRE(ds);
    heft_features_opts o = heft_features_opts_default();
    heft_features *fs = NULL;
    CHECK_OK(heft_features_compute(ds, NULL, NULL, &o, &fs, NULL));
    REQUIRE(fs);
    heft_features_info info;
    heft_features_get_info(fs, &info);
    CHECK(info.model_trained && info.valid_heldout);
    CHECK(info.valid_rows > 700 && info.valid_rows < 900);
    CHECK(info.train_rows + info.valid_rows == 4000);
    CHECK(info.base_auc > 0.85);
    size_t order[N_F];
    const heft_feat_key keys[] = {
        HEFT_FEAT_KEY_PERMUTATION, HEFT_FEAT_KEY_PERM_LOGLOSS,
        HEFT_FEAT_KEY_MI_ADJ, HEFT_FEAT_KEY_CHI2, HEFT_FEAT_KEY_WEIGHT};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        CHECK_OK(heft_features_rank(fs, keys[k], order, NULL));
        if (keys[k] != HEFT_FEAT_KEY_WEIGHT && keys[k] != HEFT_FEAT_KEY_CHI2)
            CHECK(order[0] == F_LEAK);
    }
    const heft_feature_stat *leak = heft_features_stat(fs, F_LEAK),
                            *noise = heft_features_stat(fs, F_NOISE),
                            *id = heft_features_stat(fs, F_ID),
                            *weak = heft_features_stat(fs, F_WEAK);
    CHECK(leak->perm_auc > 0.2);
    CHECK(fabs(noise->perm_auc) < 0.01);
    CHECK(weak->perm_auc > noise->perm_auc);
    /* The id field: plug-in MI as high as H(Y) (every value once), but
     * nothing once adjusted for chance, and no permutation effect. */
    CHECK(id->mi > leak->mi);
    CHECK(fabs(id->mi_adj) < 1e-9);
    CHECK(fabs(id->perm_auc) < 0.005);
    CHECK(fabs(noise->mi_adj) < 0.1 * leak->mi_adj);
    CHECK(noise->chi2_p > 1e-3 && leak->chi2_p < 1e-100);
    CHECK(weak->chi2_p < 1e-6);
    /* By plug-in MI the id field wins: the bias the correction is for. */
    CHECK_OK(heft_features_rank(fs, HEFT_FEAT_KEY_MI, order, NULL));
    CHECK(order[0] == F_ID && order[1] == F_LEAK);
    heft_features_free(fs);
    heft_dataset_free(ds);
}

void test_features_threads_identical(void)
{
    heft_dataset *ds = synth(2000, 4, NULL);
    REQUIRE(ds);
    heft_features_opts o = heft_features_opts_default();
    o.train.threads = 1;
    heft_features *a = NULL, *b = NULL;
    o.threads = 1;
    CHECK_OK(heft_features_compute(ds, NULL, NULL, &o, &a, NULL));
    o.threads = 3;
    CHECK_OK(heft_features_compute(ds, NULL, NULL, &o, &b, NULL));
    REQUIRE(a && b);
    for (size_t f = 0; f < N_F; f++) {
        const heft_feature_stat *x = heft_features_stat(a, f),
                                *y = heft_features_stat(b, f);
        CHECK(memcmp(&x->mi, &y->mi,
                     sizeof *x - offsetof(heft_feature_stat, mi)) == 0);
    }
    /* Another seed permutes otherwise. */
    heft_features *c = NULL;
    o.seed = 2;
    CHECK_OK(heft_features_compute(ds, NULL, NULL, &o, &c, NULL));
    REQUIRE(c);
    CHECK(heft_features_stat(c, F_LEAK)->perm_auc !=
          heft_features_stat(a, F_LEAK)->perm_auc);
    heft_features_free(a);
    heft_features_free(b);
    heft_features_free(c);
    heft_dataset_free(ds);
}

void test_features_bad_input(void)
{
    heft_dataset *ds = synth(200, 6, NULL);
    REQUIRE(ds);
    heft_features_opts o = heft_features_opts_default();
    heft_features *fs = (heft_features *)&o; /* must come back NULL */
    heft_error err;
    o.repeats = 0;
    CHECK(heft_features_compute(ds, NULL, NULL, &o, &fs, &err) ==
          HEFT_EINVAL);
    CHECK(fs == NULL && strstr(err.msg, "repeats"));
    o = heft_features_opts_default();
    o.holdout = 1;
    CHECK(heft_features_opts_check(&o, &err) == HEFT_EINVAL &&
          strstr(err.msg, "holdout"));
    o = heft_features_opts_default();
    o.what = 0;
    CHECK(heft_features_opts_check(&o, &err) == HEFT_EINVAL);
    o = heft_features_opts_default();
    CHECK(heft_features_compute(NULL, NULL, NULL, &o, &fs, &err) ==
          HEFT_EINVAL);
    /* Validation data hashed otherwise: refused, naming the difference. */
    const uint64_t rp[3] = {0, 1, 2};
    const uint32_t feat[2] = {1, 2};
    const float lab[2] = {0, 1};
    heft_dataset *other = NULL;
    REQUIRE(heft_dataset_from_csr(2, rp, feat, NULL, NULL, lab, NULL, NULL,
                                  10, &other, NULL) == HEFT_OK);
    fs = (heft_features *)&o;
    CHECK(heft_features_compute(ds, other, NULL, &o, &fs, &err) ==
          HEFT_EINVAL);
    CHECK(fs == NULL && strstr(err.msg, "hashed unlike"));
    /* A model for other data: refused. */
    heft_model *m = train_on(other, HEFT_MODEL_LR);
    REQUIRE(m);
    CHECK(heft_features_compute(ds, NULL, m, &o, &fs, &err) == HEFT_EINVAL);
    /* Ranking by what was not computed. */
    o.what = HEFT_FEAT_MI;
    CHECK_OK(heft_features_compute(ds, NULL, m, &o, &fs, &err));
    REQUIRE(fs);
    size_t order[N_F];
    CHECK(heft_features_rank(fs, HEFT_FEAT_KEY_PERMUTATION, order, &err) ==
          HEFT_EINVAL && strstr(err.msg, "permutation"));
    CHECK(isnan(heft_features_stat(fs, 0)->chi2));
    heft_feat_key k;
    CHECK(heft_feat_key_parse("mi_adj", &k) == HEFT_OK &&
          k == HEFT_FEAT_KEY_MI_ADJ);
    CHECK(heft_feat_key_parse("nope", &k) == HEFT_EINVAL);
    CHECK(strcmp(heft_feat_key_name(HEFT_FEAT_KEY_WEIGHT), "weight") == 0);
    heft_features_free(fs);
    heft_features_free(NULL);
    heft_model_free(m);
    heft_dataset_free(other);
    heft_dataset_free(ds);
}

/* frappe: 10 one-hot fields (user, item, daytime, weekday, isweekend,
 * homework, cost, weather, country, city), libFM format. */
void test_features_real_frappe(void)
{
    const char *tr = heft_test_data("frappe/frappe.validation.libfm");
    const char *te = heft_test_data("frappe/frappe.test.libfm");
    if (!tr || !te)
        SKIP("frappe not in ../shared/data");
    heft_read_opts ro = heft_read_opts_default();
    heft_dataset *train = NULL, *valid = NULL;
    REQUIRE(heft_dataset_read(tr, &ro, &train, NULL) == HEFT_OK);
    heft_read_opts vo;
    heft_dataset_read_opts(train, &vo);
    REQUIRE(heft_dataset_read(te, &vo, &valid, NULL) == HEFT_OK);
    heft_features_opts o = heft_features_opts_default();
    o.max_valid_rows = 10000;
    o.repeats = 2;
    heft_features *fs = NULL;
    CHECK_OK(heft_features_compute(train, valid, NULL, &o, &fs, NULL));
    REQUIRE(fs);
    heft_features_info info;
    heft_features_get_info(fs, &info);
    CHECK(info.n_fields == 10 && info.valid_rows == 10000);
    CHECK(info.base_auc > 0.85);
    for (size_t f = 0; f < 10; f++) {
        const heft_feature_stat *st = heft_features_stat(fs, f);
        CHECK(st->rows == info.rows); /* one-hot: every row has each */
        CHECK(st->mi >= st->mi_adj && st->mi >= 0);
        CHECK(st->chi2 >= 0 && st->chi2_p >= 0 && st->chi2_p <= 1);
        CHECK(st->weight_norm > 0 && isfinite(st->perm_auc));
        CHECK(st->weight_buckets == st->values);
    }
    /* The item (field 1) is what decides whether an app is used: first by
     * every measure. The user (field 0) is not: frappe drew two negatives
     * per positive for every user, so each user's label rate is 1/3 and
     * the user says nothing on its own (mi_adj ~ 0, chi2 p ~ 1), though
     * the model uses it next to the item. */
    size_t order[10];
    const heft_feat_key keys[] = {HEFT_FEAT_KEY_PERMUTATION,
                                  HEFT_FEAT_KEY_MI_ADJ, HEFT_FEAT_KEY_CHI2,
                                  HEFT_FEAT_KEY_WEIGHT};
    for (size_t k = 0; k < 4; k++) {
        CHECK_OK(heft_features_rank(fs, keys[k], order, NULL));
        CHECK(order[0] == 1);
    }
    const heft_feature_stat *item = heft_features_stat(fs, 1),
                            *user = heft_features_stat(fs, 0);
    CHECK(item->perm_auc > 0.2 && item->chi2_p < 1e-100);
    CHECK(fabs(user->mi_adj) < 0.01 * item->mi_adj && user->chi2_p > 0.5);
    CHECK(user->mi > user->mi_adj + 0.005); /* 883 values: plug-in bias */
    heft_features_free(fs);
    heft_dataset_free(train);
    heft_dataset_free(valid);
}
