/* test_score_data.c: tests of the estimators that value rows by retraining
 * on resampled data or by looking at the data itself: oob (Data-OOB), cl
 * (confident learning on K-fold probabilities), knn (KNN-Shapley), dup
 * (exact duplicates) and group (group Banzhaf / group Data-OOB). Each has
 * an oracle: a direct loop with the same seeds, a hand-computed answer, or
 * full enumeration. */
#include "test.h"

#include "core.h"
#include "est_data.h"
#include "train.h"

extern const heft__estimator heft__est_oob, heft__est_cl, heft__est_knn,
    heft__est_dup, heft__est_group;

/* ---- a learnable synthetic problem -------------------------------------- */

#define SY_FIELDS 6
#define SY_VALUES 16

/* Sparse rows of one-hot fields; the label is 1[sum of the fields' true
 * weights > 0] (one fixed concept for every seed), then flipped for a share
 * `flip` of rows and for every row of group `bad_group` (-1: none). */
typedef struct synth {
    size_t n;
    uint64_t *ptr;
    uint32_t *feat;
    float *label;
    uint64_t *group; /* NULL without groups */
    uint8_t *flipped;
    heft_dataset *ds;
} synth;

static void synth_free(synth *s)
{
    free(s->ptr);
    free(s->feat);
    free(s->label);
    free(s->group);
    free(s->flipped);
    heft_dataset_free(s->ds);
    memset(s, 0, sizeof *s);
}

/* Builds a heft_dataset of s's rows with row weights w (NULL = none). */
static heft_dataset *synth_ds(const synth *s, const float *w)
{
    heft_dataset *ds = NULL;
    heft_error err;
    if (heft_dataset_from_csr(s->n, s->ptr, s->feat, NULL, NULL, s->label, w,
                              s->group, 8, &ds, &err) != HEFT_OK)
        return NULL;
    return ds;
}

static int synth_make(synth *s, size_t n, int groups, double flip,
                      int bad_group, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    double w[SY_FIELDS][SY_VALUES];
    heft__rng r;
    heft__rng_seed(&r, 99);
    for (int f = 0; f < SY_FIELDS; f++)
        for (int v = 0; v < SY_VALUES; v++)
            w[f][v] = heft__rng_normal(&r);
    heft__rng_seed(&r, seed);
    s->n = n;
    s->ptr = malloc((n + 1) * sizeof *s->ptr);
    s->feat = malloc(n * SY_FIELDS * sizeof *s->feat);
    s->label = malloc(n * sizeof *s->label);
    s->flipped = calloc(n, 1);
    s->group = groups ? malloc(n * sizeof *s->group) : NULL;
    if (!s->ptr || !s->feat || !s->label || !s->flipped ||
        (groups && !s->group))
        return 0;
    s->ptr[0] = 0;
    for (size_t i = 0; i < n; i++) {
        double z = 0;
        for (int f = 0; f < SY_FIELDS; f++) {
            int v = (int)heft__rng_below(&r, SY_VALUES);
            s->feat[i * SY_FIELDS + f] = (uint32_t)(f * SY_VALUES + v);
            z += w[f][v];
        }
        s->ptr[i + 1] = (i + 1) * SY_FIELDS;
        if (groups)
            s->group[i] = 1000 + (uint64_t)(i % (size_t)groups) * 7;
        int y = z > 0;
        if (heft__rng_uniform(&r) < flip ||
            (groups && (int)(i % (size_t)groups) == bad_group)) {
            y = !y;
            s->flipped[i] = 1;
        }
        s->label[i] = (float)y;
    }
    s->ds = synth_ds(s, NULL);
    return s->ds != NULL;
}

/* A context filled by hand, as the score driver would. */
static heft__score_ctx ctx_of(const heft_dataset *train,
                              const heft_dataset *valid,
                              const heft_score_opts *o, int threads)
{
    heft__score_ctx c;
    memset(&c, 0, sizeof c);
    c.train = train;
    c.valid = valid;
    c.o = o;
    c.threads = threads;
    return c;
}

/* lr with a fixed step size (the oracles below train with the same one;
 * the automatic one is tested by score_oob_auto_lr). */
#define LR_ALPHA 0.1

static heft_score_opts opts_lr(void)
{
    heft_score_opts o = heft_score_opts_default(HEFT_MODEL_LR);
    o.train.epochs = 3;
    o.train.lr = LR_ALPHA;
    return o;
}

/* The oracles' training options: lr, 3 epochs, step LR_ALPHA, seed. */
static heft_train_opts oracle_opts(uint64_t seed)
{
    heft_train_opts to = heft_train_opts_default(HEFT_MODEL_LR);
    to.epochs = 3;
    to.lr = LR_ALPHA;
    to.seed = seed;
    return to;
}

/* Runs estimator e; cols[k] (n,) malloc'ed into out (up to 2 columns). */
static heft_status run_est(const heft__estimator *e, heft__score_ctx *c,
                           float **out, heft_error *err)
{
    const size_t n = c->train->n_rows;
    out[0] = calloc(n, sizeof(float));
    out[1] = calloc(n, sizeof(float));
    return e->run(c, out, err);
}

/* ---- oob ------------------------------------------------------------------ */

/* The oracle: the bootstrap loop written out, with copies of the data. */
static int direct_oob(const synth *s, const float *bw, int bags,
                      uint64_t seed, int epochs, double *hard, double *soft)
{
    const size_t n = s->n;
    double *h = calloc(n, sizeof *h), *so = calloc(n, sizeof *so);
    int *k = calloc(n, sizeof *k);
    float *cnt = malloc(n * sizeof *cnt), *p = malloc(n * sizeof *p);
    int ok = h && so && k && cnt && p;
    for (int b = 0; ok && b < bags; b++) {
        heft__rng r;
        heft__rng_seed(&r, heft__seed_mix(seed, (uint64_t)b));
        memset(cnt, 0, n * sizeof *cnt);
        for (size_t d = 0; d < n; d++)
            cnt[heft__rng_below(&r, n)] += 1;
        float *w = malloc(n * sizeof *w);
        for (size_t i = 0; w && i < n; i++)
            w[i] = cnt[i] * (bw ? bw[i] : 1.0f);
        heft_dataset *bag = w ? synth_ds(s, w) : NULL;
        free(w);
        heft_train_opts to = oracle_opts(heft__seed_mix(seed, (uint64_t)b));
        to.epochs = epochs;
        heft_model *m = NULL;
        ok = bag && heft_train(bag, NULL, &to, &m, NULL) == HEFT_OK &&
             heft_predict(m, s->ds, p, 1, NULL) == HEFT_OK;
        for (size_t i = 0; ok && i < n; i++)
            if (cnt[i] == 0) {
                h[i] += (p[i] >= 0.5f) == (s->label[i] >= 0.5f);
                so[i] += 1.0 - fabs((double)p[i] - s->label[i]);
                k[i]++;
            }
        heft_model_free(m);
        heft_dataset_free(bag);
    }
    for (size_t i = 0; ok && i < n; i++) {
        hard[i] = k[i] ? h[i] / k[i] : NAN;
        soft[i] = k[i] ? so[i] / k[i] : NAN;
    }
    free(h);
    free(so);
    free(k);
    free(cnt);
    free(p);
    return ok;
}

void test_score_oob_oracle(void)
{
    synth s;
    REQUIRE(synth_make(&s, 300, 0, 0.1, -1, 5));
    heft_score_opts o = opts_lr();
    o.bags = 7;
    o.seed = 42;
    heft__score_ctx c = ctx_of(s.ds, NULL, &o, 2);
    float *col[2];
    heft_error err;
    CHECK_OK(run_est(&heft__est_oob, &c, col, &err));
    double *hard = malloc(s.n * sizeof *hard), *soft = malloc(s.n * sizeof *soft);
    REQUIRE(direct_oob(&s, NULL, 7, 42, 3, hard, soft));
    size_t never = 0, mism = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (isnan(hard[i])) {
            never++;
            continue;
        }
        mism += col[0][i] != (float)hard[i];
        CHECK_NEAR(col[1][i], soft[i], 2e-6);
    }
    CHECK(mism == 0);
    /* 7 bags on 300 rows leave (1-1/300)^2100 ~ 0.1% of rows in every bag;
     * most rows were valued. */
    CHECK(never < 10);
    /* The direction holds: flipped rows score lower on average. */
    double fl = 0, cl = 0;
    size_t nf = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (s.flipped[i]) {
            fl += col[1][i];
            nf++;
        } else {
            cl += col[1][i];
        }
    }
    CHECK(nf > 0 && fl / nf < cl / (s.n - nf));
    free(hard);
    free(soft);
    free(col[0]);
    free(col[1]);
    synth_free(&s);
}

/* Row weights multiply the bootstrap counts. */
void test_score_oob_weights(void)
{
    synth s;
    REQUIRE(synth_make(&s, 200, 0, 0.1, -1, 24));
    float *bw = malloc(s.n * sizeof *bw);
    for (size_t i = 0; i < s.n; i++)
        bw[i] = i % 3 == 0 ? 2.5f : (i % 7 == 0 ? 0.0f : 1.0f);
    heft_dataset *wds = synth_ds(&s, bw);
    REQUIRE(wds);
    heft_score_opts o = opts_lr();
    o.bags = 5;
    heft__score_ctx c = ctx_of(wds, NULL, &o, 2);
    float *col[2];
    CHECK_OK(run_est(&heft__est_oob, &c, col, NULL));
    double *hard = malloc(s.n * sizeof *hard), *soft = malloc(s.n * sizeof *soft);
    REQUIRE(direct_oob(&s, bw, 5, o.seed, 3, hard, soft));
    size_t mism = 0;
    for (size_t i = 0; i < s.n; i++)
        if (!isnan(hard[i]))
            mism += fabs(col[1][i] - soft[i]) > 2e-6;
    CHECK(mism == 0);
    /* Unweighted, the values differ. */
    float *u[2];
    heft__score_ctx cu = ctx_of(s.ds, NULL, &o, 2);
    CHECK_OK(run_est(&heft__est_oob, &cu, u, NULL));
    CHECK(memcmp(u[1], col[1], s.n * sizeof(float)) != 0);
    free(u[0]);
    free(u[1]);
    free(hard);
    free(soft);
    free(col[0]);
    free(col[1]);
    free(bw);
    heft_dataset_free(wds);
    synth_free(&s);
}

/* Rows that no bag left out get the mean of the valued rows. */
void test_score_oob_never_out(void)
{
    synth s;
    REQUIRE(synth_make(&s, 60, 0, 0.0, -1, 6));
    heft_score_opts o = opts_lr();
    o.bags = 1;
    heft__score_ctx c = ctx_of(s.ds, NULL, &o, 1);
    float *col[2];
    CHECK_OK(run_est(&heft__est_oob, &c, col, NULL));
    float *cnt = malloc(s.n * sizeof *cnt);
    heft__est_bootstrap(o.seed, 0, s.n, cnt);
    double mh = 0, ms = 0;
    size_t k = 0;
    for (size_t i = 0; i < s.n; i++)
        if (cnt[i] == 0) {
            mh += col[0][i];
            ms += col[1][i];
            k++;
        }
    REQUIRE(k > 0 && k < s.n);
    for (size_t i = 0; i < s.n; i++)
        if (cnt[i] != 0) {
            CHECK_NEAR(col[0][i], mh / k, 1e-6);
            CHECK_NEAR(col[1][i], ms / k, 1e-6);
        } else {
            CHECK(col[0][i] == 0.0f || col[0][i] == 1.0f);
        }
    free(cnt);
    free(col[0]);
    free(col[1]);
    synth_free(&s);
}

/* Same seed: bit-identical for 1, 2 and 3 threads; another seed differs. */
void test_score_oob_deterministic(void)
{
    synth s;
    REQUIRE(synth_make(&s, 400, 0, 0.1, -1, 7));
    heft_score_opts o = opts_lr();
    o.bags = 5;
    float *a[2], *b[2], *d[2];
    heft__score_ctx c1 = ctx_of(s.ds, NULL, &o, 1);
    heft__score_ctx c3 = ctx_of(s.ds, NULL, &o, 3);
    CHECK_OK(run_est(&heft__est_oob, &c1, a, NULL));
    CHECK_OK(run_est(&heft__est_oob, &c3, b, NULL));
    CHECK(memcmp(a[0], b[0], s.n * sizeof(float)) == 0);
    CHECK(memcmp(a[1], b[1], s.n * sizeof(float)) == 0);
    o.seed = 2;
    CHECK_OK(run_est(&heft__est_oob, &c1, d, NULL));
    CHECK(memcmp(a[1], d[1], s.n * sizeof(float)) != 0);
    for (int k = 0; k < 2; k++) {
        free(a[k]);
        free(b[k]);
        free(d[k]);
    }
    synth_free(&s);
}

/* With the lr model's automatic step size (lr 0), the bags train with the
 * alpha that the tuning picks once on the whole training set. */
void test_score_oob_auto_lr(void)
{
    synth s;
    REQUIRE(synth_make(&s, 500, 0, 0.1, -1, 23));
    heft_score_opts o = opts_lr();
    o.bags = 3;
    o.train.lr = 0;
    heft__score_ctx c = ctx_of(s.ds, NULL, &o, 2);
    float *a[2], *b[2];
    CHECK_OK(run_est(&heft__est_oob, &c, a, NULL));
    heft_train_opts r = o.train;
    r.optim = HEFT_OPTIM_FTRL;
    double alpha = 0;
    CHECK_OK(heft__lr_tune(s.ds, &r, &alpha, NULL));
    CHECK(alpha > 0);
    o.train.lr = alpha;
    CHECK_OK(run_est(&heft__est_oob, &c, b, NULL));
    CHECK(memcmp(a[1], b[1], s.n * sizeof(float)) == 0);
    heft_train_opts base;
    o.train.lr = 0;
    CHECK_OK(heft__est_base_opts(&o, s.ds, 0, &base, NULL));
    CHECK(base.lr == alpha && base.epochs == 3 && base.threads == 1);
    /* Bad training options are refused before any bag runs. */
    heft_error err;
    o.train.l2 = -1;
    free(b[0]);
    free(b[1]);
    CHECK(run_est(&heft__est_oob, &c, b, &err) == HEFT_EINVAL);
    CHECK(strstr(err.msg, "l2") != NULL);
    for (int k = 0; k < 2; k++) {
        free(a[k]);
        free(b[k]);
    }
    synth_free(&s);
}

/* Bad options are refused; the epochs of a bag follow the documented
 * rule. */
void test_score_oob_options(void)
{
    synth s;
    REQUIRE(synth_make(&s, 50, 0, 0.0, -1, 8));
    heft_score_opts o = opts_lr();
    heft__score_ctx c = ctx_of(s.ds, NULL, &o, 1);
    float *col[2];
    heft_error err;
    o.bags = 0;
    CHECK(run_est(&heft__est_oob, &c, col, &err) == HEFT_EINVAL);
    CHECK(strstr(err.msg, "bags") != NULL);
    free(col[0]);
    free(col[1]);
    /* Epochs of a bag: o->train's, capped to one pass from 1M rows up. */
    CHECK(heft__est_bag_epochs(&o, 1000) == 3);
    CHECK(heft__est_bag_epochs(&o, 1000000) == 1);
    CHECK(heft__est_bag_epochs(&o, 600000) == 2);
    CHECK(heft__est_bag_epochs(&o, 400000) == 3);
    o.train.epochs = 0; /* the model's default (lr: 3) */
    CHECK(heft__est_bag_epochs(&o, 10) == 3);
    synth_free(&s);
}

/* ---- cl ------------------------------------------------------------------- */

/* The confident joint by hand (see confident.c for the rules):
 * labels 1 1 1 1 0 0 0 0 0, p = .9 .8 .7 .2 .1 .2 .3 .9 .6.
 * t1 = (.9+.8+.7+.2)/4 = .65, t0 = (.9+.8+.7+.1+.4)/5 = .58.
 * Confident: rows 0-2 -> C[1][1], row 3 (P0 .8) -> C[1][0], rows 4-6 ->
 * C[0][0], row 7 (P1 .9) -> C[0][1], row 8 (P1 .6 < .65, P0 .4 < .58)
 * nowhere. C = [[3,1],[1,3]]; calibrated n*Q = [[3.75,1.25],[1,3]], so
 * one row labelled 0 (largest p: row 7, not row 8) and one labelled 1
 * (smallest p: row 3) are flagged. */
void test_score_cl_hand(void)
{
    static const float lab[9] = {1, 1, 1, 1, 0, 0, 0, 0, 0};
    static const float p[9] = {.9f, .8f, .7f, .2f, .1f, .2f, .3f, .9f, .6f};
    uint64_t ptr[10];
    uint32_t feat[9];
    for (int i = 0; i < 9; i++) {
        ptr[i] = (uint64_t)i;
        feat[i] = (uint32_t)i;
    }
    ptr[9] = 9;
    heft_dataset *ds = NULL;
    REQUIRE(heft_dataset_from_csr(9, ptr, feat, NULL, NULL, lab, NULL, NULL,
                                  8, &ds, NULL) == HEFT_OK);
    heft_score_opts o = opts_lr();
    o.probs = p;
    heft__score_ctx c = ctx_of(ds, NULL, &o, 2);
    float *col[2];
    CHECK_OK(run_est(&heft__est_cl, &c, col, NULL));
    static const float ok[9] = {1, 1, 1, 0, 1, 1, 1, 0, 1};
    for (int i = 0; i < 9; i++) {
        const double q = lab[i] ? (double)p[i] : 1.0 - (double)p[i];
        CHECK_NEAR(col[0][i], q, 1e-7);
        CHECK(col[1][i] == ok[i]);
    }
    free(col[0]);
    free(col[1]);
    /* A probability outside [0,1] is refused, naming the row. */
    static const float bad[9] = {.9f, .8f, .7f, .2f, 1.5f, .2f, .3f, .9f, .6f};
    o.probs = bad;
    heft_error err;
    CHECK(run_est(&heft__est_cl, &c, col, &err) == HEFT_EINVAL);
    CHECK(strstr(err.msg, "row 4") != NULL);
    free(col[0]);
    free(col[1]);
    o.probs = NULL;
    o.folds = 1;
    CHECK(run_est(&heft__est_cl, &c, col, &err) == HEFT_EINVAL);
    CHECK(strstr(err.msg, "folds") != NULL);
    free(col[0]);
    free(col[1]);
    heft_dataset_free(ds);
}

/* The out-of-fold probabilities equal a K-fold loop written out with
 * stratified folds dealt from the same seeded shuffles. */
void test_score_cl_oof_oracle(void)
{
    synth s;
    REQUIRE(synth_make(&s, 257, 0, 0.1, -1, 9));
    heft_score_opts o = opts_lr();
    o.folds = 4;
    o.seed = 11;
    heft__score_ctx c = ctx_of(s.ds, NULL, &o, 2);
    float *col[2];
    CHECK_OK(run_est(&heft__est_cl, &c, col, NULL));
    /* The folds: each class's rows shuffled and dealt in turn. */
    uint8_t *fold = malloc(s.n);
    uint64_t *idx = malloc(s.n * sizeof *idx);
    for (int cl = 0; cl < 2; cl++) {
        size_t m = 0;
        for (size_t i = 0; i < s.n; i++)
            if ((s.label[i] >= 0.5f) == cl)
                idx[m++] = i;
        heft__rng r;
        heft__rng_seed(&r, heft__seed_mix(11, (uint64_t)cl));
        heft__rng_shuffle_u64(&r, idx, m);
        for (size_t j = 0; j < m; j++)
            fold[idx[j]] = (uint8_t)(j % 4);
    }
    uint8_t *f2 = malloc(s.n);
    heft__est_folds(s.label, s.n, 4, 11, f2);
    CHECK(memcmp(fold, f2, s.n) == 0);
    float *w = malloc(s.n * sizeof *w), *p = malloc(s.n * sizeof *p);
    size_t mism = 0;
    for (int k = 0; k < 4; k++) {
        for (size_t i = 0; i < s.n; i++)
            w[i] = fold[i] == k ? 0.0f : 1.0f;
        heft_dataset *tr = synth_ds(&s, w);
        heft_train_opts to = oracle_opts(heft__seed_mix(11, (uint64_t)k));
        heft_model *m = NULL;
        REQUIRE(tr && heft_train(tr, NULL, &to, &m, NULL) == HEFT_OK);
        REQUIRE(heft_predict(m, s.ds, p, 1, NULL) == HEFT_OK);
        for (size_t i = 0; i < s.n; i++)
            if (fold[i] == k) {
                const double q = s.label[i] ? (double)p[i] : 1.0 - p[i];
                mism += col[0][i] != (float)q;
            }
        heft_model_free(m);
        heft_dataset_free(tr);
    }
    CHECK(mism == 0);
    /* Stratified: each fold holds 1/4 of each class, give or take one. */
    for (int k = 0; k < 4; k++) {
        size_t cnt[2] = {0, 0}, tot[2] = {0, 0};
        for (size_t i = 0; i < s.n; i++) {
            tot[s.label[i] >= 0.5f]++;
            cnt[s.label[i] >= 0.5f] += fold[i] == k;
        }
        for (int cl = 0; cl < 2; cl++)
            CHECK(cnt[cl] * 4 + 4 >= tot[cl] && cnt[cl] * 4 <= tot[cl] + 4);
    }
    /* Thread count does not matter. */
    float *b[2];
    heft__score_ctx c1 = ctx_of(s.ds, NULL, &o, 1);
    CHECK_OK(run_est(&heft__est_cl, &c1, b, NULL));
    CHECK(memcmp(b[0], col[0], s.n * sizeof(float)) == 0);
    CHECK(memcmp(b[1], col[1], s.n * sizeof(float)) == 0);
    free(b[0]);
    free(b[1]);
    free(fold);
    free(f2);
    free(idx);
    free(w);
    free(p);
    free(col[0]);
    free(col[1]);
    synth_free(&s);
}

/* ---- noise detection: oob and cl find flipped labels ---------------------- */

void test_score_noise_detect(void)
{
    synth s;
    REQUIRE(synth_make(&s, 3000, 0, 0.1, -1, 12));
    heft_score_opts o = opts_lr();
    o.bags = 16;
    heft__score_ctx c = ctx_of(s.ds, NULL, &o, 2);
    float *oob[2], *cl[2];
    CHECK_OK(run_est(&heft__est_oob, &c, oob, NULL));
    CHECK_OK(run_est(&heft__est_cl, &c, cl, NULL));
    const double a_oob = heft_test_auroc_low(oob[0], s.flipped, s.n);
    const double a_soft = heft_test_auroc_low(oob[1], s.flipped, s.n);
    const double a_cl = heft_test_auroc_low(cl[0], s.flipped, s.n);
    const double a_ok = heft_test_auroc_low(cl[1], s.flipped, s.n);
    if (a_oob <= 0.8 || a_soft <= 0.8 || a_cl <= 0.8 || a_ok <= 0.7)
        heft_test_fail(__FILE__, __LINE__,
                       "AUROC oob %.3f oob_soft %.3f cl %.3f cl_ok %.3f",
                       a_oob, a_soft, a_cl, a_ok);
    free(oob[0]);
    free(oob[1]);
    free(cl[0]);
    free(cl[1]);
    synth_free(&s);
}

/* ---- knn ------------------------------------------------------------------ */

/* The estimator passes K, the approximation and the representation through
 * to the cores (whose values test_score.c checks by full enumeration). */
void test_score_knn_estimator(void)
{
    synth s, v;
    REQUIRE(synth_make(&s, 200, 0, 0.1, -1, 13));
    REQUIRE(synth_make(&v, 40, 0, 0.0, -1, 14));
    heft_score_opts o = opts_lr();
    o.knn_k = 3;
    heft__score_ctx c = ctx_of(s.ds, v.ds, &o, 2);
    float *col[2];
    heft_error err;
    CHECK_OK(run_est(&heft__est_knn, &c, col, &err));
    double *ref = malloc(s.n * sizeof *ref);
    heft__knn_opts ko = heft__knn_opts_default();
    ko.k = 3;
    heft__rows tr = heft__rows_of(s.ds), va = heft__rows_of(v.ds);
    CHECK_OK(heft__knn_shapley_sparse(&tr, s.label, &va, v.label, &ko, 1, ref,
                                      NULL));
    for (size_t i = 0; i < s.n; i++)
        CHECK(col[0][i] == (float)ref[i]);
    /* Efficiency: the values add up to the mean KNN accuracy, in [0,1]. */
    double sum = 0, fl = 0, cl = 0;
    size_t nf = 0;
    for (size_t i = 0; i < s.n; i++) {
        sum += col[0][i];
        if (s.flipped[i]) {
            fl += col[0][i];
            nf++;
        } else {
            cl += col[0][i];
        }
    }
    CHECK(sum > 0.5 && sum <= 1.0 + 1e-6);
    CHECK(nf > 0 && fl / nf < cl / (s.n - nf));
    /* Approximate: within 1/M of exact. */
    float *ap[2];
    o.knn_approx = 20;
    CHECK_OK(run_est(&heft__est_knn, &c, ap, NULL));
    for (size_t i = 0; i < s.n; i++)
        CHECK(fabs(ap[0][i] - col[0][i]) <= 1.0 / 20 + 1e-6);
    free(ap[0]);
    free(ap[1]);
    o.knn_approx = 0;
    /* Embeddings: dense Euclidean. Embed each row as its one-hot fields. */
    const size_t d = SY_FIELDS * SY_VALUES;
    float *et = calloc(s.n * d, sizeof *et), *ev = calloc(v.n * d, sizeof *ev);
    for (size_t i = 0; i < s.n * SY_FIELDS; i++)
        et[(i / SY_FIELDS) * d + s.feat[i]] = 1;
    for (size_t i = 0; i < v.n * SY_FIELDS; i++)
        ev[(i / SY_FIELDS) * d + v.feat[i]] = 1;
    o.embeddings = et;
    o.valid_embeddings = ev;
    o.embed_dim = d;
    float *de[2];
    CHECK_OK(run_est(&heft__est_knn, &c, de, NULL));
    ko.metric = HEFT__KNN_EUCLIDEAN;
    CHECK_OK(heft__knn_shapley_dense(et, s.n, s.label, ev, v.n, v.label,
                                     (uint32_t)d, &ko, 1, ref, NULL));
    for (size_t i = 0; i < s.n; i++)
        CHECK(de[0][i] == (float)ref[i]);
    free(de[0]);
    free(de[1]);
    /* Errors: embeddings for one side only; no validation set. */
    o.valid_embeddings = NULL;
    CHECK(run_est(&heft__est_knn, &c, de, &err) == HEFT_EINVAL);
    CHECK(strstr(err.msg, "both") != NULL);
    free(de[0]);
    free(de[1]);
    o.embeddings = NULL;
    heft__score_ctx c0 = ctx_of(s.ds, NULL, &o, 1);
    CHECK(run_est(&heft__est_knn, &c0, de, &err) == HEFT_EINVAL);
    CHECK(strstr(err.msg, "validation") != NULL);
    free(de[0]);
    free(de[1]);
    CHECK(heft__est_knn.needs_valid == 1);
    free(et);
    free(ev);
    free(ref);
    free(col[0]);
    free(col[1]);
    synth_free(&s);
    synth_free(&v);
}

/* ---- dup ------------------------------------------------------------------ */

void test_score_dup_hand(void)
{
    /* rows: 0 {3,5} y1, 1 {5,3} y1 (copy of 0), 2 {7} y0 (unique),
     * 3 {1,2} y1, 4 {2,1} y1, 5 {1,2} y0 (conflicting group of 3),
     * 6 {3,5,5} y0 (a different multiset), 7 {9}=2 y1, 8 {9}=1 y0
     * (different values), 9 {4} y2 and 10 {4} y2 (graded, no conflict). */
    static const uint64_t ptr[12] = {0, 2, 4, 5, 7, 9, 11, 14, 15, 16, 17, 18};
    static const uint32_t feat[18] = {3, 5, 5, 3, 7, 1, 2, 2, 1,
                                      1, 2, 3, 5, 5, 9, 9, 4, 4};
    static const float val[18] = {1, 1, 1, 1, 1, 1, 1, 1, 1,
                                  1, 1, 1, 1, 1, 2, 1, 1, 1};
    static const float lab[11] = {1, 1, 0, 1, 1, 0, 0, 1, 0, 2, 2};
    heft_dataset *ds = NULL;
    REQUIRE(heft_dataset_from_csr(11, ptr, feat, val, NULL, lab, NULL, NULL,
                                  8, &ds, NULL) == HEFT_OK);
    heft_score_opts o = opts_lr();
    heft__score_ctx c = ctx_of(ds, NULL, &o, 2);
    float *col[2];
    CHECK_OK(run_est(&heft__est_dup, &c, col, NULL));
    static const float want[11] = {0.5f, 0.5f, 1, -1.0f / 3, -1.0f / 3,
                                   -2.0f / 3, 1, 1, 1, 0.5f, 0.5f};
    for (int i = 0; i < 11; i++)
        CHECK_NEAR(col[0][i], want[i], 1e-7);
    free(col[0]);
    free(col[1]);
    heft_dataset_free(ds);
}

/* A bigger brute-force check: random rows drawn from a few patterns. */
void test_score_dup_bruteforce(void)
{
    enum { N = 300 };
    uint64_t ptr[N + 1];
    uint32_t feat[N * 3];
    float lab[N];
    heft__rng r;
    heft__rng_seed(&r, 3);
    ptr[0] = 0;
    for (int i = 0; i < N; i++) {
        const uint32_t pat = (uint32_t)heft__rng_below(&r, 60);
        for (int k = 0; k < 3; k++)
            feat[i * 3 + k] = pat * 3 + (uint32_t)k;
        ptr[i + 1] = (uint64_t)(i + 1) * 3;
        lab[i] = (float)(heft__rng_uniform(&r) < (pat % 3 ? 0.05 : 0.5));
    }
    heft_dataset *ds = NULL;
    REQUIRE(heft_dataset_from_csr(N, ptr, feat, NULL, NULL, lab, NULL, NULL,
                                  8, &ds, NULL) == HEFT_OK);
    heft_score_opts o = opts_lr();
    heft__score_ctx c = ctx_of(ds, NULL, &o, 2);
    float *col[2];
    CHECK_OK(run_est(&heft__est_dup, &c, col, NULL));
    for (int i = 0; i < N; i++) {
        int size = 0, other = 0;
        for (int j = 0; j < N; j++)
            if (feat[j * 3] == feat[i * 3]) {
                size++;
                other += lab[j] != lab[i];
            }
        int conflict = 0;
        for (int j = 0; j < N; j++)
            conflict |= feat[j * 3] == feat[i * 3] && lab[j] != lab[i];
        const double want = conflict ? -(double)other / size : 1.0 / size;
        CHECK_NEAR(col[0][i], want, 1e-6);
    }
    free(col[0]);
    free(col[1]);
    heft_dataset_free(ds);
}

/* ---- group ------------------------------------------------------------------ */

/* Unweighted AUC by counting pairs (ties half); accuracy when one class. */
static double pair_auc(const float *p, const float *y, size_t m)
{
    double win = 0, pairs = 0, hits = 0;
    for (size_t i = 0; i < m; i++) {
        hits += (p[i] >= 0.5f) == (y[i] >= 0.5f);
        for (size_t j = 0; j < m; j++)
            if (y[i] >= 0.5f && y[j] < 0.5f) {
                win += p[i] > p[j] ? 1 : (p[i] == p[j] ? 0.5 : 0);
                pairs++;
            }
    }
    return pairs > 0 ? win / pairs : hits / m;
}

/* U(S): train with the same seed on the rows of the groups in S (bit mask
 * over dense groups g = row % G), AUC on the validation rows. */
static double utility(const synth *s, const synth *v, int G, unsigned S,
                      int epochs, uint64_t seed)
{
    float *w = malloc(s->n * sizeof *w), *p = malloc(v->n * sizeof *p);
    for (size_t i = 0; i < s->n; i++)
        w[i] = (S >> (i % (size_t)G) & 1) ? 1.0f : 0.0f;
    heft_dataset *tr = synth_ds(s, w);
    heft_train_opts to = oracle_opts(seed);
    to.epochs = epochs;
    heft_model *m = NULL;
    double u = NAN;
    if (tr && heft_train(tr, NULL, &to, &m, NULL) == HEFT_OK &&
        heft_predict(m, v->ds, p, 1, NULL) == HEFT_OK)
        u = pair_auc(p, v->label, v->n);
    heft_model_free(m);
    heft_dataset_free(tr);
    free(w);
    free(p);
    return u;
}

/* MSR against its formula on the same sampled subsets, with utilities
 * recomputed directly; the flipped group is the least valuable; the table
 * and the row column agree; thread count does not matter. */
void test_score_group_msr_oracle(void)
{
    enum { G = 5, S = 12 };
    synth s, v;
    REQUIRE(synth_make(&s, 250, G, 0.0, 2, 15));
    REQUIRE(synth_make(&v, 120, 0, 0.0, -1, 16));
    heft_score_opts o = opts_lr();
    o.group_samples = S;
    o.seed = 5;
    heft__score_ctx c = ctx_of(s.ds, v.ds, &o, 2);
    float *col[2];
    heft_error err;
    CHECK_OK(run_est(&heft__est_group, &c, col, &err));
    REQUIRE(c.n_groups == G && c.group_ids && c.group_values);
    double sum[G][2] = {{0}}, cnt[G][2] = {{0}};
    for (int k = 0; k < S; k++) {
        uint8_t in[G];
        heft__rng r;
        heft__rng_seed(&r, heft__seed_mix(5, (uint64_t)k));
        unsigned mask = 0;
        for (int g = 0; g < G; g++) {
            in[g] = (uint8_t)(heft__rng_u64(&r) >> 63);
            mask |= (unsigned)in[g] << g;
        }
        const double u = utility(&s, &v, G, mask, 3, o.train.seed);
        for (int g = 0; g < G; g++) {
            sum[g][in[g]] += u;
            cnt[g][in[g]]++;
        }
    }
    for (int g = 0; g < G; g++) {
        CHECK(c.group_ids[g] == 1000 + (uint64_t)g * 7);
        const double want = cnt[g][0] && cnt[g][1]
                                ? sum[g][1] / cnt[g][1] - sum[g][0] / cnt[g][0]
                                : 0;
        CHECK_NEAR(c.group_values[g], want, 1e-6);
    }
    for (size_t i = 0; i < s.n; i++)
        CHECK(col[0][i] == c.group_values[i % G]);
    for (int g = 0; g < G; g++)
        if (g != 2)
            CHECK(c.group_values[2] < c.group_values[g]);
    heft__score_ctx c1 = ctx_of(s.ds, v.ds, &o, 1);
    float *b[2];
    CHECK_OK(run_est(&heft__est_group, &c1, b, NULL));
    CHECK(memcmp(b[0], col[0], s.n * sizeof(float)) == 0);
    free(c1.group_ids);
    free(c1.group_values);
    free(b[0]);
    free(b[1]);
    free(c.group_ids);
    free(c.group_values);
    free(col[0]);
    free(col[1]);
    synth_free(&s);
    synth_free(&v);
}

/* With many samples and 3 groups, MSR approaches the exact Banzhaf value
 * from all 2^3 subsets with the same deterministic trainer. */
void test_score_group_banzhaf_exact(void)
{
    enum { G = 3 };
    synth s, v;
    REQUIRE(synth_make(&s, 150, G, 0.0, 1, 17));
    REQUIRE(synth_make(&v, 100, 0, 0.0, -1, 18));
    double U[1 << G];
    for (unsigned S = 0; S < (1u << G); S++)
        U[S] = utility(&s, &v, G, S, 3, 1);
    heft_score_opts o = opts_lr();
    o.group_samples = 3000;
    heft__score_ctx c = ctx_of(s.ds, v.ds, &o, 2);
    float *col[2];
    CHECK_OK(run_est(&heft__est_group, &c, col, NULL));
    REQUIRE(c.n_groups == G);
    for (int g = 0; g < G; g++) {
        double exact = 0;
        for (unsigned S = 0; S < (1u << G); S++)
            if (!(S >> g & 1))
                exact += U[S | 1u << g] - U[S];
        exact /= 1 << (G - 1);
        CHECK_NEAR(c.group_values[g], exact, 0.03);
    }
    CHECK(c.group_values[1] < c.group_values[0]);
    CHECK(c.group_values[1] < c.group_values[2]);
    free(c.group_ids);
    free(c.group_values);
    free(col[0]);
    free(col[1]);
    synth_free(&s);
    synth_free(&v);
}

/* Without a validation set: group-level Data-OOB against a direct loop. */
void test_score_group_oob_oracle(void)
{
    enum { G = 8, B = 6 };
    synth s;
    REQUIRE(synth_make(&s, 320, G, 0.0, 3, 19));
    heft_score_opts o = opts_lr();
    o.bags = B;
    o.seed = 9;
    heft__score_ctx c = ctx_of(s.ds, NULL, &o, 2);
    float *col[2];
    CHECK_OK(run_est(&heft__est_group, &c, col, NULL));
    REQUIRE(c.n_groups == G);
    double sum[G] = {0}, outs[G] = {0};
    float *w = malloc(s.n * sizeof *w), *p = malloc(s.n * sizeof *p);
    for (int b = 0; b < B; b++) {
        float cnt[G] = {0};
        heft__rng r;
        heft__rng_seed(&r, heft__seed_mix(9, (uint64_t)b));
        for (int d = 0; d < G; d++)
            cnt[heft__rng_below(&r, G)] += 1;
        for (size_t i = 0; i < s.n; i++)
            w[i] = cnt[i % G];
        heft_dataset *tr = synth_ds(&s, w);
        heft_train_opts to = oracle_opts(heft__seed_mix(9, (uint64_t)b));
        heft_model *m = NULL;
        REQUIRE(tr && heft_train(tr, NULL, &to, &m, NULL) == HEFT_OK);
        REQUIRE(heft_predict(m, s.ds, p, 1, NULL) == HEFT_OK);
        for (size_t i = 0; i < s.n; i++)
            if (cnt[i % G] == 0)
                sum[i % G] += 1.0 - fabs((double)p[i] - s.label[i]);
        for (int g = 0; g < G; g++)
            outs[g] += cnt[g] == 0;
        heft_model_free(m);
        heft_dataset_free(tr);
    }
    double mean = 0;
    int valued = 0;
    for (int g = 0; g < G; g++)
        if (outs[g] > 0) {
            mean += sum[g] / (outs[g] * (s.n / G));
            valued++;
        }
    REQUIRE(valued > 0);
    mean /= valued;
    for (int g = 0; g < G; g++) {
        const double want = outs[g] > 0 ? sum[g] / (outs[g] * (s.n / G)) : mean;
        CHECK_NEAR(c.group_values[g], want, 1e-5);
    }
    /* Bit-identical on one thread. */
    heft__score_ctx c1 = ctx_of(s.ds, NULL, &o, 1);
    float *b[2];
    CHECK_OK(run_est(&heft__est_group, &c1, b, NULL));
    CHECK(c1.n_groups == G &&
          memcmp(c1.group_values, c.group_values, G * sizeof(float)) == 0);
    free(c1.group_ids);
    free(c1.group_values);
    free(b[0]);
    free(b[1]);
    free(w);
    free(p);
    free(c.group_ids);
    free(c.group_values);
    free(col[0]);
    free(col[1]);
    synth_free(&s);
}

void test_score_group_errors(void)
{
    synth s;
    REQUIRE(synth_make(&s, 40, 0, 0.0, -1, 20));
    heft_score_opts o = opts_lr();
    heft__score_ctx c = ctx_of(s.ds, NULL, &o, 1);
    float *col[2];
    heft_error err;
    CHECK(run_est(&heft__est_group, &c, col, &err) == HEFT_EINVAL);
    CHECK(strstr(err.msg, "no group column") != NULL);
    CHECK(c.group_ids == NULL && c.n_groups == 0);
    free(col[0]);
    free(col[1]);
    synth_free(&s);
    REQUIRE(synth_make(&s, 40, 4, 0.0, -1, 20));
    synth v;
    REQUIRE(synth_make(&v, 10, 0, 0.0, -1, 21));
    c = ctx_of(s.ds, v.ds, &o, 1);
    o.group_samples = 1;
    CHECK(run_est(&heft__est_group, &c, col, &err) == HEFT_EINVAL);
    CHECK(strstr(err.msg, "group_samples") != NULL);
    free(col[0]);
    free(col[1]);
    synth_free(&s);
    synth_free(&v);
}

/* ---- through the driver ---------------------------------------------------- */

/* heft_score() runs these methods into columns named as documented, with
 * the values the estimators give directly, and the group table. */
void test_score_data_driver(void)
{
    synth s;
    REQUIRE(synth_make(&s, 200, 4, 0.1, -1, 22));
    heft_score_opts o = opts_lr();
    o.methods = "oob,cl,dup,group";
    o.bags = 4;
    o.threads = 2;
    heft_scores *sc = NULL;
    heft_error err;
    heft_status st = heft_score(s.ds, NULL, NULL, &o, &sc, &err);
    if (st != HEFT_OK)
        heft_test_fail(__FILE__, __LINE__, "heft_score: %s", err.msg);
    REQUIRE(st == HEFT_OK);
    static const char *names[] = {"oob", "oob_soft", "cl", "cl_ok", "dup",
                                  "group"};
    REQUIRE(heft_scores_cols(sc) == 6 && heft_scores_rows(sc) == s.n);
    const heft__estimator *est[] = {&heft__est_oob, &heft__est_cl,
                                    &heft__est_dup, &heft__est_group};
    size_t col = 0;
    for (int e = 0; e < 4; e++) {
        heft__score_ctx c = ctx_of(s.ds, NULL, &o, 2);
        float *v[2];
        CHECK_OK(run_est(est[e], &c, v, NULL));
        const int nc = e < 2 ? 2 : 1;
        for (int k = 0; k < nc; k++, col++) {
            CHECK(strcmp(heft_scores_name(sc, col), names[col]) == 0);
            CHECK(memcmp(heft_scores_col(sc, col), v[k],
                         s.n * sizeof(float)) == 0);
        }
        if (e == 3) {
            const heft_scores *g = heft_scores_groups(sc);
            REQUIRE(g && heft_scores_rows(g) == 4);
            CHECK(memcmp(heft_scores_col(g, 0), c.group_values,
                         4 * sizeof(float)) == 0);
            CHECK(heft_scores_group_ids(sc)[3] == c.group_ids[3]);
        }
        free(c.group_ids);
        free(c.group_values);
        free(v[0]);
        free(v[1]);
    }
    heft_scores_free(sc);
    synth_free(&s);
}
