/* test_score_driver.c: the heft_score driver (options, method lists, the
 * score table and its files) and the estimators that read a model's
 * outputs: loss, confidence, margin, aum, forget. Each estimator is checked
 * against a direct computation: the model's own loss and logit, and, for
 * the trajectory methods, an explicit loop over checkpoints reloaded from
 * disk. Also the on_epoch callback of heft_train. */
#include "test.h"

#include "estimator.h"
#include "model.h"

#include <dirent.h>
#include <unistd.h>

/* registry.c refers to the estimators weakly, and a weak reference does
 * not pull an object file out of a static archive (libheft.a), so name
 * the ones tested here to have them linked. (Reported to the lead: until
 * registry.c's references are strong, a program linked with libheft.a
 * offers no estimator that nothing else names.) */
extern const heft__estimator heft__est_loss, heft__est_confidence,
    heft__est_margin, heft__est_aum, heft__est_forget;
const heft__estimator *const heft__test_score_driver_ests[] = {
    &heft__est_loss, &heft__est_margin, &heft__est_aum, &heft__est_forget,
    &heft__est_confidence,
};

/* ---- helpers --------------------------------------------------------- */

/* A random dataset: rows of 1..max_nnz buckets out of 2^hb (few, so
 * buckets are shared and the labels cannot all be fitted), in 3 fields,
 * values in [0.5, 1.5], labels 0/1 with P(1) = 0.4, weights in [0.5, 2.5]
 * when weighted. */
static heft_dataset *toy(uint64_t seed, size_t n, unsigned hb, int max_nnz,
                         int weighted)
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
            val[k] = (float)(0.5 + heft__rng_uniform(&rng));
            field[k] = (uint16_t)(j % 3);
        }
        rp[i + 1] = k;
        label[i] = heft__rng_uniform(&rng) < 0.4 ? 1.0f : 0.0f;
        w[i] = (float)(0.5 + 2 * heft__rng_uniform(&rng));
    }
    heft_dataset *ds = NULL;
    heft_error err;
    if (heft_dataset_from_csr(n, rp, feat, val, field, label,
                              weighted ? w : NULL, NULL, hb, &ds,
                              &err) != HEFT_OK)
        fprintf(stderr, "toy: %s\n", err.msg);
    free(rp);
    free(feat);
    free(val);
    free(field);
    free(label);
    free(w);
    return ds;
}

/* A learnable problem: nf fields, each with one of V tokens (bucket
 * f * V + t), a hidden weight per token, label = 1[sum of weights > 0];
 * then round(flip * n) labels flipped, marked in flipped[] (n,). */
static heft_dataset *learnable(uint64_t seed, size_t n, double flip,
                               uint8_t *flipped)
{
    enum { NF = 8, V = 16 };
    heft__rng rng;
    heft__rng_seed(&rng, seed);
    double wt[NF * V];
    for (int j = 0; j < NF * V; j++)
        wt[j] = heft__rng_normal(&rng);
    uint64_t *rp = calloc(n + 1, sizeof *rp);
    uint32_t *feat = calloc(n * NF, sizeof *feat);
    uint16_t *field = calloc(n * NF, sizeof *field);
    float *label = calloc(n, sizeof *label);
    uint64_t *idx = calloc(n, sizeof *idx);
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (int f = 0; f < NF; f++) {
            uint32_t b = (uint32_t)(f * V) + (uint32_t)heft__rng_below(&rng, V);
            feat[i * NF + (size_t)f] = b;
            field[i * NF + (size_t)f] = (uint16_t)f;
            s += wt[b];
        }
        rp[i + 1] = (i + 1) * NF;
        label[i] = s > 0 ? 1.0f : 0.0f;
        idx[i] = i;
        flipped[i] = 0;
    }
    heft__rng_shuffle_u64(&rng, idx, n);
    for (size_t k = 0; k < (size_t)(flip * (double)n + 0.5); k++) {
        label[idx[k]] = 1.0f - label[idx[k]];
        flipped[idx[k]] = 1;
    }
    heft_dataset *ds = NULL;
    heft_error err;
    if (heft_dataset_from_csr(n, rp, feat, NULL, field, label, NULL, NULL, 7,
                              &ds, &err) != HEFT_OK)
        fprintf(stderr, "learnable: %s\n", err.msg);
    free(rp);
    free(feat);
    free(field);
    free(label);
    free(idx);
    return ds;
}

/* The column named name, or NULL. */
static const float *col_named(const heft_scores *s, const char *name)
{
    for (size_t k = 0; k < heft_scores_cols(s); k++)
        if (!strcmp(heft_scores_name(s, k), name))
            return heft_scores_col(s, k);
    return NULL;
}

/* The logit of m on row i of ds, through the model interface. */
static double logit_of(const heft_model *m, const heft_dataset *ds,
                       uint64_t i)
{
    void *scr = malloc(m->vt->scratch_size(m) + 1);
    heft__row r = heft__ds_row(ds, i);
    double z = m->vt->logit(m, &r, scr);
    free(scr);
    return z;
}

/* Reads a whole file into a NUL-terminated buffer (NULL if absent). */
static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    size_t got = fread(b, 1, (size_t)n, fp);
    fclose(fp);
    b[got] = '\0';
    if (len)
        *len = got;
    return b;
}

/* Files in dir whose name contains ".tmp." (left-over temporaries). */
static int count_temporaries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += strstr(e->d_name, ".tmp.") != NULL;
    if (d)
        closedir(d);
    return n;
}

/* ---- estimators against direct computations ----------------------------- */

void test_score_loss_confidence_margin_oracle(void)
{
    for (int kind = HEFT_MODEL_LR; kind <= HEFT_MODEL_FM; kind++) {
        heft_dataset *ds = toy(11, 120, 6, 5, 1);
        REQUIRE(ds);
        heft_train_opts to = heft_train_opts_default((heft_model_kind)kind);
        heft_model *m = NULL;
        heft_error err;
        CHECK_OK(heft_train(ds, NULL, &to, &m, &err));
        REQUIRE(m);
        heft_score_opts o = heft_score_opts_default((heft_model_kind)kind);
        o.methods = "loss,confidence,margin";
        o.threads = 2;
        heft_scores *s = NULL;
        CHECK_OK(heft_score(ds, NULL, m, &o, &s, &err));
        REQUIRE(s && heft_scores_rows(s) == 120 && heft_scores_cols(s) == 3);
        const float *loss = col_named(s, "loss");
        const float *conf = col_named(s, "confidence");
        const float *mar = col_named(s, "margin");
        REQUIRE(loss && conf && mar);
        float *p = malloc(120 * sizeof *p);
        CHECK_OK(heft_predict(m, ds, p, 1, &err));
        void *scr = malloc(m->vt->scratch_size(m) + 1);
        int neg = 0, pos = 0;
        for (uint64_t i = 0; i < 120; i++) {
            double l = heft__sample_loss(m, ds, i, scr);
            CHECK_NEAR(loss[i], -l, 1e-6 * (1 + l));
            CHECK(loss[i] <= 0);
            double y = ds->label[i];
            CHECK_NEAR(conf[i], y > 0 ? p[i] : 1 - p[i], 1e-6);
            double z = logit_of(m, ds, i);
            CHECK_NEAR(mar[i], y > 0 ? z : -z, 1e-5 * (1 + fabs(z)));
            /* A positive margin is a confident, agreeing prediction. */
            CHECK((mar[i] > 0) == (conf[i] > 0.5f) || fabs(z) < 1e-6);
            neg += mar[i] < 0;
            pos += mar[i] > 0;
        }
        CHECK(neg > 0 && pos > 0); /* both signs occur: the test bites */
        free(scr);
        free(p);
        heft_scores_free(s);
        heft_model_free(m);
        heft_dataset_free(ds);
    }
}

void test_score_given_probs(void)
{
    heft_dataset *ds = toy(5, 40, 5, 4, 1);
    REQUIRE(ds);
    float probs[40];
    for (int i = 0; i < 40; i++)
        probs[i] = (float)(i + 0.5) / 40.0f;
    probs[3] = 0.0f; /* clamped, so loss and margin stay finite */
    heft_score_opts o = heft_score_opts_default(HEFT_MODEL_LR);
    o.methods = "confidence,loss,margin";
    o.probs = probs;
    heft_scores *s = NULL;
    heft_error err;
    /* The columns come from probs alone (a final model is still trained
     * for the methods that need one). */
    CHECK_OK(heft_score(ds, NULL, NULL, &o, &s, &err));
    REQUIRE(s);
    REQUIRE(!strcmp(heft_scores_name(s, 0), "confidence"));
    const float *conf = heft_scores_col(s, 0), *loss = heft_scores_col(s, 1);
    const float *mar = heft_scores_col(s, 2);
    for (int i = 0; i < 40; i++) {
        const double y = ds->label[i], w = ds->weight[i];
        const double q = probs[i] < 1e-7 ? 1e-7 : probs[i];
        CHECK_NEAR(conf[i], y > 0 ? probs[i] : 1 - probs[i], 1e-7);
        CHECK_NEAR(loss[i], w * (y > 0 ? log(q) : log1p(-q)),
                   1e-5 * (1 + fabs(log(q))));
        const double z = log(q) - log1p(-q);
        CHECK_NEAR(mar[i], y > 0 ? z : -z, 1e-5 * (1 + fabs(z)));
        CHECK(isfinite(loss[i]) && isfinite(mar[i]));
    }
    heft_scores_free(s);
    /* A probability outside [0,1] is refused, naming the row. */
    probs[7] = 1.5f;
    CHECK(heft_score(ds, NULL, NULL, &o, &s, &err) == HEFT_EINVAL);
    CHECK(s == NULL);
    CHECK(strstr(err.msg, "row 7") != NULL);
    heft_dataset_free(ds);
}

/* The explicit oracle for aum and forget: each epoch's checkpoint
 * reloaded from disk, margins and correctness computed row by row. */
static void trajectory_oracle(heft_model_kind kind)
{
    heft_dataset *ds = toy(21, 150, 5, 4, 0);
    REQUIRE(ds);
    const int T = 6;
    heft_score_opts o = heft_score_opts_default(kind);
    o.methods = "aum,forget";
    o.train.epochs = T;
    o.train.lr = kind == HEFT_MODEL_LR ? 0.5 : 0.2; /* lively: forgetting */
    o.seed = 3;
    char dir[600];
    snprintf(dir, sizeof dir, "%s/ck-%d", heft_test_tmpdir(), (int)kind);
    o.train.checkpoint_dir = dir;
    heft_scores *s = NULL;
    heft_error err;
    CHECK_OK(heft_score(ds, NULL, NULL, &o, &s, &err));
    REQUIRE(s);
    const float *aum = col_named(s, "aum"), *fg = col_named(s, "forget");
    REQUIRE(aum && fg);
    const size_t n = 150;
    double *sum = calloc(n, sizeof *sum);
    int *prev = calloc(n, sizeof *prev), *ever = calloc(n, sizeof *ever);
    int *events = calloc(n, sizeof *events);
    for (int e = 1; e <= T; e++) {
        char path[700];
        snprintf(path, sizeof path, "%s/epoch-%d.heftm", dir, e);
        heft_model *m = NULL;
        CHECK_OK(heft_model_load(path, &m, &err));
        REQUIRE(m);
        for (size_t i = 0; i < n; i++) {
            double z = logit_of(m, ds, i);
            int y = ds->label[i] > 0;
            sum[i] += y ? z : -z;
            int ok = (z >= 0) == y;
            if (e > 1 && prev[i] && !ok)
                events[i]++;
            prev[i] = ok;
            ever[i] |= ok;
        }
        heft_model_free(m);
    }
    int forgotten = 0, never = 0;
    for (size_t i = 0; i < n; i++) {
        CHECK_NEAR(aum[i], sum[i] / T, 1e-5 * (1 + fabs(sum[i])));
        double want = ever[i] ? -events[i] : -T;
        CHECK(fg[i] == want);
        CHECK(!(fg[i] == 0 && signbit(fg[i]))); /* "0", never "-0" */
        forgotten += ever[i] && events[i] > 0;
        never += !ever[i];
    }
    /* The data is noisy enough that both cases occur, so the counting is
     * really exercised. */
    CHECK(forgotten > 0);
    CHECK(never > 0);
    free(sum);
    free(prev);
    free(ever);
    free(events);
    heft_scores_free(s);
    heft_dataset_free(ds);
}

void test_score_aum_forget_checkpoints(void)
{
    trajectory_oracle(HEFT_MODEL_LR);
    trajectory_oracle(HEFT_MODEL_FM);
}

void test_score_trajectory_given_model(void)
{
    /* With a model given, the trajectory is a separate run with the same
     * options and seed, so its last epoch is that model: the aum of a
     * one-epoch trajectory is the given model's margin. */
    heft_dataset *ds = toy(8, 80, 5, 4, 0);
    REQUIRE(ds);
    heft_score_opts o = heft_score_opts_default(HEFT_MODEL_LR);
    o.train.epochs = 1;
    o.seed = 9;
    heft_train_opts to = o.train;
    to.seed = 9;
    heft_model *m = NULL;
    heft_error err;
    CHECK_OK(heft_train(ds, NULL, &to, &m, &err));
    REQUIRE(m);
    o.methods = "aum,margin";
    heft_scores *s = NULL;
    CHECK_OK(heft_score(ds, NULL, m, &o, &s, &err));
    REQUIRE(s);
    const float *aum = heft_scores_col(s, 0), *mar = heft_scores_col(s, 1);
    for (int i = 0; i < 80; i++)
        CHECK_NEAR(aum[i], mar[i], 1e-6 * (1 + fabs(mar[i])));
    heft_scores_free(s);
    /* forget cannot see forgetting in one epoch: a clear error. */
    o.methods = "forget";
    CHECK(heft_score(ds, NULL, m, &o, &s, &err) == HEFT_EINVAL);
    CHECK(s == NULL);
    CHECK(strstr(err.msg, "--epochs") != NULL);
    CHECK(strstr(err.msg, "forget") != NULL);
    heft_model_free(m);
    heft_dataset_free(ds);
}

/* The given model's own checkpoints (heft train --checkpoints) are the
 * same trajectory the driver would train with the same options and seed:
 * every trajectory method gives the same bits either way, and bad
 * checkpoint lists are clear errors. */
void test_score_given_checkpoints(void)
{
    heft_dataset *ds = toy(12, 120, 5, 4, 1);
    heft_dataset *va = toy(13, 40, 5, 4, 0);
    REQUIRE(ds && va);
    char dir[600];
    snprintf(dir, sizeof dir, "%s/ckpt", heft_test_tmpdir());
    heft_score_opts o = heft_score_opts_default(HEFT_MODEL_LR);
    o.train.epochs = 3;
    o.seed = 5;
    heft_train_opts to = o.train;
    to.seed = 5;
    to.checkpoint_dir = dir;
    heft_model *m = NULL, *ck[3] = {NULL, NULL, NULL};
    heft_error err;
    CHECK_OK(heft_train(ds, NULL, &to, &m, &err));
    REQUIRE(m);
    for (int e = 0; e < 3; e++) {
        char path[700];
        snprintf(path, sizeof path, "%s/epoch-%d.heftm", dir, e + 1);
        CHECK_OK(heft_model_load(path, &ck[e], &err));
        REQUIRE(ck[e]);
    }
    o.methods = "aum,forget,tracin,selfinf";
    heft_scores *a = NULL, *b = NULL;
    CHECK_OK(heft_score(ds, va, m, &o, &a, &err));
    o.checkpoints = (const heft_model *const *)ck;
    o.n_checkpoints = 3;
    CHECK_OK(heft_score(ds, va, m, &o, &b, &err));
    REQUIRE(a && b);
    for (size_t c = 0; c < heft_scores_cols(a); c++)
        CHECK(memcmp(heft_scores_col(a, c), heft_scores_col(b, c),
                     120 * sizeof(float)) == 0);
    heft_scores_free(b);
    b = NULL;
    /* Out of order, and without the model they belong to. */
    const heft_model *swapped[2] = {ck[1], ck[0]};
    o.checkpoints = swapped;
    o.n_checkpoints = 2;
    CHECK(heft_score(ds, va, m, &o, &b, &err) == HEFT_EINVAL);
    CHECK(strstr(err.msg, "epoch") != NULL && b == NULL);
    o.checkpoints = (const heft_model *const *)ck;
    CHECK(heft_score(ds, va, NULL, &o, &b, &err) == HEFT_EINVAL);
    CHECK(strstr(err.msg, "model") != NULL && b == NULL);
    /* Another layout. */
    heft_score_opts of = heft_score_opts_default(HEFT_MODEL_FM);
    of.train.epochs = 1;
    heft_model *fm = NULL;
    CHECK_OK(heft_train(ds, NULL, &of.train, &fm, &err));
    const heft_model *wrong[1] = {fm};
    o.checkpoints = wrong;
    o.n_checkpoints = 1;
    CHECK(heft_score(ds, va, m, &o, &b, &err) == HEFT_EINVAL);
    CHECK(strstr(err.msg, "layout") != NULL && b == NULL);
    heft_model_free(fm);
    heft_scores_free(a);
    for (int e = 0; e < 3; e++)
        heft_model_free(ck[e]);
    heft_model_free(m);
    heft_dataset_free(ds);
    heft_dataset_free(va);
}

/* ---- the driver ------------------------------------------------------------ */

void test_score_method_list(void)
{
    const char *all = heft_score_methods();
    /* Mine are registered, in registry order. */
    const char *a = strstr(all, "loss"), *b = strstr(all, "confidence");
    const char *c = strstr(all, "margin"), *d = strstr(all, "aum");
    const char *e = strstr(all, "forget");
    REQUIRE(a && b && c && d && e);
    CHECK(a < b && b < c && c < d && d < e);
    CHECK(!strstr(all, ",,") && all[0] != ',');
    CHECK(all[strlen(all) - 1] != ',');

    heft_dataset *ds = toy(2, 50, 5, 3, 0);
    REQUIRE(ds);
    heft_score_opts o = heft_score_opts_default(HEFT_MODEL_LR);
    o.methods = "loss,margin";
    heft_scores *s = NULL;
    heft_error err;
    CHECK_OK(heft_score(ds, NULL, NULL, &o, &s, &err));
    REQUIRE(s);
    CHECK(heft_scores_cols(s) == 2 && heft_scores_rows(s) == 50);
    CHECK(!strcmp(heft_scores_name(s, 0), "loss"));
    CHECK(!strcmp(heft_scores_name(s, 1), "margin"));
    CHECK(heft_scores_name(s, 2) == NULL && heft_scores_col(s, 2) == NULL);
    CHECK(heft_scores_seconds(s, 0) >= 0 && heft_scores_seconds(s, 1) >= 0);
    CHECK(heft_scores_groups(s) == NULL);
    heft_scores_free(s);
    /* The order given is kept, repeats dropped, blanks around names
     * ignored. */
    o.methods = " margin,loss , margin";
    CHECK_OK(heft_score(ds, NULL, NULL, &o, &s, &err));
    REQUIRE(s);
    CHECK(heft_scores_cols(s) == 2);
    CHECK(!strcmp(heft_scores_name(s, 0), "margin"));
    CHECK(!strcmp(heft_scores_name(s, 1), "loss"));
    heft_scores_free(s);
    heft_scores_free(NULL);
    heft_dataset_free(ds);
}

void test_score_unknown_method(void)
{
    heft_dataset *ds = toy(2, 20, 5, 3, 0);
    REQUIRE(ds);
    heft_score_opts o = heft_score_opts_default(HEFT_MODEL_LR);
    o.methods = "loss,lossy";
    heft_scores *s = (heft_scores *)1;
    heft_error err;
    CHECK(heft_score(ds, NULL, NULL, &o, &s, &err) == HEFT_EINVAL);
    CHECK(s == NULL);
    CHECK(strstr(err.msg, "\"lossy\"") != NULL);
    CHECK(strstr(err.msg, heft_score_methods()) != NULL);
    o.methods = "loss,,margin";
    CHECK(heft_score_opts_check(&o, &err) == HEFT_EINVAL);
    CHECK(strstr(err.msg, "empty") != NULL);
    o.methods = "";
    CHECK(heft_score_opts_check(&o, &err) == HEFT_EINVAL);
    heft_dataset_free(ds);
}

void test_score_opts_check(void)
{
    heft_score_opts d = heft_score_opts_default(HEFT_MODEL_FM);
    heft_error err;
    CHECK_OK(heft_score_opts_check(&d, &err));
    CHECK(!strcmp(d.methods, "loss"));
    CHECK(d.train.model == HEFT_MODEL_FM && d.train.epochs == 5);
    CHECK(d.el2n_runs == 3 && d.el2n_epochs == 1 && d.bags == 32);
    CHECK(d.folds == 5 && d.knn_k == 10 && d.knn_approx == 0);
    CHECK(d.damping == 0 && d.cg_iters == 100 && d.cg_tol == 1e-6);
    CHECK(d.group_samples == 64 && d.seed == 1 && d.threads == 0);
    struct {
        heft_score_opts o;
        const char *word;
    } bad[10];
    for (int i = 0; i < 10; i++)
        bad[i].o = d;
    bad[0].o.bags = 0, bad[0].word = "bags";
    bad[1].o.folds = 1, bad[1].word = "folds";
    bad[2].o.knn_k = 0, bad[2].word = "knn_k";
    bad[3].o.knn_approx = 5, bad[3].word = "knn_approx";
    bad[4].o.damping = -1, bad[4].word = "damping";
    bad[5].o.cg_tol = 0, bad[5].word = "cg_tol";
    bad[6].o.threads = -2, bad[6].word = "threads";
    bad[7].o.el2n_runs = 0, bad[7].word = "el2n_runs";
    bad[8].o.train.epochs = -1, bad[8].word = "epochs";
    bad[9].o.group_samples = 0, bad[9].word = "group_samples";
    for (int i = 0; i < 10; i++) {
        CHECK(heft_score_opts_check(&bad[i].o, &err) == HEFT_EINVAL);
        CHECK(strstr(err.msg, bad[i].word) != NULL);
    }
}

void test_score_needs_valid(void)
{
    const heft__estimator *nv = NULL;
    for (size_t i = 0; i < heft__estimator_table_len && !nv; i++)
        if (heft__estimator_table[i] && heft__estimator_table[i]->needs_valid)
            nv = heft__estimator_table[i];
    if (!nv)
        SKIP("no registered method needs a validation set");
    heft_dataset *ds = toy(2, 30, 5, 3, 0);
    REQUIRE(ds);
    heft_score_opts o = heft_score_opts_default(HEFT_MODEL_LR);
    char list[128];
    snprintf(list, sizeof list, "loss,%s", nv->name);
    o.methods = list;
    heft_scores *s = NULL;
    heft_error err;
    CHECK(heft_score(ds, NULL, NULL, &o, &s, &err) == HEFT_EINVAL);
    CHECK(s == NULL && strstr(err.msg, nv->name) && strstr(err.msg, "valid"));
    heft_dataset_free(ds);
}

void test_score_deterministic(void)
{
    heft_dataset *ds = toy(4, 300, 7, 6, 1);
    REQUIRE(ds);
    heft_score_opts o = heft_score_opts_default(HEFT_MODEL_FM);
    o.methods = "loss,confidence,margin,aum,forget";
    o.seed = 17;
    heft_scores *s[3] = {NULL, NULL, NULL};
    heft_error err;
    const int threads[3] = {2, 2, 1};
    for (int r = 0; r < 3; r++) {
        o.threads = threads[r];
        CHECK_OK(heft_score(ds, NULL, NULL, &o, &s[r], &err));
        REQUIRE(s[r] && heft_scores_cols(s[r]) == 5);
    }
    for (int r = 1; r < 3; r++)
        for (size_t k = 0; k < 5; k++)
            CHECK(!memcmp(heft_scores_col(s[0], k), heft_scores_col(s[r], k),
                          300 * sizeof(float)));
    /* Another seed trains another model: the scores move. */
    o.seed = 18;
    heft_scores *t = NULL;
    CHECK_OK(heft_score(ds, NULL, NULL, &o, &t, &err));
    REQUIRE(t);
    CHECK(memcmp(heft_scores_col(s[0], 0), heft_scores_col(t, 0),
                 300 * sizeof(float)) != 0);
    heft_scores_free(t);
    for (int r = 0; r < 3; r++)
        heft_scores_free(s[r]);
    heft_dataset_free(ds);
}

void test_score_noise_auroc(void)
{
    const size_t n = 2000;
    uint8_t *flipped = calloc(n, 1);
    heft_dataset *ds = learnable(7, n, 0.1, flipped);
    REQUIRE(ds);
    heft_score_opts o = heft_score_opts_default(HEFT_MODEL_LR);
    o.methods = "loss,aum";
    heft_scores *s = NULL;
    heft_error err;
    CHECK_OK(heft_score(ds, NULL, NULL, &o, &s, &err));
    REQUIRE(s);
    size_t n_flipped = 0;
    for (size_t i = 0; i < n; i++)
        n_flipped += flipped[i];
    CHECK(n_flipped == 200);
    for (size_t k = 0; k < 2; k++) {
        const double auroc =
            heft_test_auroc_low(heft_scores_col(s, k), flipped, n);
        if (!(auroc > 0.8))
            fprintf(stderr, "  %s AUROC %.3f\n", heft_scores_name(s, k),
                    auroc);
        CHECK(auroc > 0.8);
    }
    heft_scores_free(s);
    heft_dataset_free(ds);
    free(flipped);
}

/* ---- writing ------------------------------------------------------------ */

/* Scores of a small problem with the columns loss and margin. */
static heft_scores *small_scores(heft_dataset **ds_out)
{
    heft_dataset *ds = toy(6, 25, 5, 3, 0);
    heft_score_opts o = heft_score_opts_default(HEFT_MODEL_LR);
    o.methods = "loss,margin";
    heft_scores *s = NULL;
    heft_error err;
    if (ds && heft_score(ds, NULL, NULL, &o, &s, &err) != HEFT_OK)
        fprintf(stderr, "small_scores: %s\n", err.msg);
    *ds_out = ds;
    return s;
}

void test_score_write_tsv(void)
{
    heft_dataset *ds = NULL;
    heft_scores *s = small_scores(&ds);
    REQUIRE(s && ds);
    char path[700];
    snprintf(path, sizeof path, "%s/scores.tsv", heft_test_tmpdir());
    heft_error err;
    CHECK_OK(heft_scores_write(s, heft_dataset_labels(ds), path, &err));
    CHECK(count_temporaries(heft_test_tmpdir()) == 0);
    char *text = slurp(path, NULL);
    REQUIRE(text);
    CHECK(!strncmp(text, "row\tlabel\tloss\tmargin\n", 22));
    char *p = strchr(text, '\n') + 1;
    const float *loss = heft_scores_col(s, 0), *mar = heft_scores_col(s, 1);
    size_t lines = 0;
    for (; *p; lines++) {
        char *end;
        unsigned long row = strtoul(p, &end, 10);
        CHECK(row == lines && *end == '\t');
        float lab = strtof(end + 1, &end);
        float l = strtof(end + 1, &end);
        float m = strtof(end + 1, &end);
        CHECK(*end == '\n');
        REQUIRE(row < 25);
        /* %.9g round-trips a float exactly. */
        CHECK(lab == ds->label[row] && l == loss[row] && m == mar[row]);
        p = end + 1;
    }
    CHECK(lines == 25);
    free(text);
    /* Without labels there is no label column. */
    CHECK_OK(heft_scores_write(s, NULL, path, &err));
    text = slurp(path, NULL);
    REQUIRE(text);
    CHECK(!strncmp(text, "row\tloss\tmargin\n0\t", 18));
    free(text);
    /* A failed write leaves nothing behind and reports the path. */
    CHECK(heft_scores_write(s, NULL, "/nonexistent-dir/x.tsv", &err) ==
          HEFT_EIO);
    CHECK(strstr(err.file, "/nonexistent-dir/x.tsv") != NULL);
    CHECK(heft_scores_write(s, NULL, "", &err) == HEFT_EINVAL);
    heft_scores_free(s);
    heft_dataset_free(ds);
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

void test_score_write_npy(void)
{
    heft_dataset *ds = NULL;
    heft_scores *s = small_scores(&ds);
    REQUIRE(s && ds);
    char path[700], jpath[700];
    snprintf(path, sizeof path, "%s/scores.npy", heft_test_tmpdir());
    snprintf(jpath, sizeof jpath, "%s/scores.json", heft_test_tmpdir());
    heft_error err;
    CHECK_OK(heft_scores_write(s, heft_dataset_labels(ds), path, &err));
    CHECK(count_temporaries(heft_test_tmpdir()) == 0);
    size_t len = 0;
    unsigned char *b = (unsigned char *)slurp(path, &len);
    REQUIRE(b && len > 10);
    CHECK(!memcmp(b, "\x93NUMPY\x01\x00", 8));
    const size_t hl = (size_t)b[8] | (size_t)b[9] << 8;
    REQUIRE(10 + hl <= len);
    CHECK((10 + hl) % 64 == 0);
    CHECK(b[10 + hl - 1] == '\n');
    char head[512];
    REQUIRE(hl < sizeof head);
    memcpy(head, b + 10, hl);
    head[hl] = '\0';
    CHECK(strstr(head, "'descr': '<f4'") != NULL);
    CHECK(strstr(head, "'fortran_order': False") != NULL);
    CHECK(strstr(head, "'shape': (25, 2)") != NULL);
    REQUIRE(len == 10 + hl + 25 * 2 * 4);
    const unsigned char *d = b + 10 + hl;
    for (size_t i = 0; i < 25; i++)
        for (size_t k = 0; k < 2; k++) {
            uint32_t u = le32(d + 4 * (i * 2 + k)), want;
            memcpy(&want, heft_scores_col(s, k) + i, 4);
            CHECK(u == want);
        }
    free(b);
    char *js = slurp(jpath, NULL);
    REQUIRE(js);
    CHECK(strstr(js, "\"columns\": [\"loss\", \"margin\"]") != NULL);
    CHECK(strstr(js, "\"rows\": 25") != NULL);
    CHECK(strstr(js, "\"seconds\": {\"loss\": ") != NULL);
    CHECK(strstr(js, "\"margin\": ") != NULL);
    free(js);
    heft_scores_free(s);
    heft_dataset_free(ds);
}

void test_score_group_table(void)
{
    const heft__estimator *ge = heft__estimator_find("group", 5);
    if (!ge)
        SKIP("the group method is not linked into this program");
    heft_dataset *ds = NULL;
    {
        /* toy() rows with group ids 10, 20, 30 (row i in group 10 (i%3+1)). */
        heft_dataset *t = toy(12, 90, 5, 3, 0);
        REQUIRE(t);
        uint64_t grp[90];
        for (int i = 0; i < 90; i++)
            grp[i] = 10 * (uint64_t)(i % 3 + 1);
        heft_error e;
        CHECK_OK(heft_dataset_from_csr(90, t->row_ptr, t->feat, t->val,
                                       t->field, t->label, NULL, grp, 5, &ds,
                                       &e));
        heft_dataset_free(t);
        REQUIRE(ds);
    }
    heft_score_opts o = heft_score_opts_default(HEFT_MODEL_LR);
    o.methods = "loss,group";
    o.bags = 4;
    o.group_samples = 4;
    heft_scores *s = NULL;
    heft_error err;
    CHECK_OK(heft_score(ds, NULL, NULL, &o, &s, &err));
    REQUIRE(s);
    const heft_scores *g = heft_scores_groups(s);
    REQUIRE(g);
    REQUIRE(heft_scores_rows(g) == 3 && heft_scores_cols(g) == 1);
    const uint64_t *ids = heft_scores_group_ids(s);
    REQUIRE(ids && ids == heft_scores_group_ids(g));
    CHECK(ids[0] == 10 && ids[1] == 20 && ids[2] == 30);
    CHECK(!strcmp(heft_scores_name(g, 0), "group"));
    CHECK(heft_scores_seconds(g, 0) >= 0);
    char path[700], gpath[700];
    snprintf(path, sizeof path, "%s/s.tsv", heft_test_tmpdir());
    snprintf(gpath, sizeof gpath, "%s/s.groups.tsv", heft_test_tmpdir());
    CHECK_OK(heft_scores_write(s, NULL, path, &err));
    char *text = slurp(gpath, NULL);
    REQUIRE(text);
    char want[256];
    snprintf(want, sizeof want, "group_id\tgroup\n10\t%.9g\n20\t%.9g\n30\t%.9g\n",
             (double)heft_scores_col(g, 0)[0], (double)heft_scores_col(g, 0)[1],
             (double)heft_scores_col(g, 0)[2]);
    CHECK(!strcmp(text, want));
    free(text);
    heft_scores_free(s);
    heft_dataset_free(ds);
}

/* ---- the on_epoch callback of heft_train --------------------------------- */

typedef struct epoch_log {
    int calls, last_epoch, stop_at, in_order;
    size_t params;
} epoch_log;

static int on_epoch(void *ud, int epoch, const heft_model *m)
{
    epoch_log *l = ud;
    l->calls++;
    l->in_order &= epoch == l->last_epoch + 1;
    l->in_order &= heft_model_epochs(m) == epoch;
    l->last_epoch = epoch;
    l->params = heft_model_num_params(m);
    return epoch == l->stop_at ? 7 : 0;
}

void test_train_on_epoch(void)
{
    heft_dataset *ds = toy(3, 60, 5, 3, 0);
    REQUIRE(ds);
    heft_train_opts to = heft_train_opts_default(HEFT_MODEL_LR);
    to.epochs = 4;
    epoch_log l = {0, 0, 0, 1, 0};
    to.on_epoch = on_epoch;
    to.on_epoch_ud = &l;
    heft_model *m = NULL;
    heft_error err;
    CHECK_OK(heft_train(ds, NULL, &to, &m, &err));
    REQUIRE(m);
    CHECK(l.calls == 4 && l.last_epoch == 4 && l.in_order);
    CHECK(l.params == heft_model_num_params(m));
    heft_model_free(m);
    /* A non-zero return stops training after that epoch. */
    epoch_log s = {0, 0, 2, 1, 0};
    to.on_epoch_ud = &s;
    CHECK(heft_train(ds, NULL, &to, &m, &err) == HEFT_EINVAL);
    CHECK(m == NULL);
    CHECK(s.calls == 2);
    CHECK(strstr(err.msg, "on_epoch") != NULL);
    CHECK(strstr(err.msg, "epoch 2") != NULL);
    /* Through heft_score, the user's callback is still called (chained
     * after the snapshot), and stopping fails the scoring. */
    epoch_log u = {0, 0, 3, 1, 0};
    heft_score_opts o = heft_score_opts_default(HEFT_MODEL_LR);
    o.train.epochs = 4;
    o.train.on_epoch = on_epoch;
    o.train.on_epoch_ud = &u;
    heft_scores *sc = NULL;
    CHECK(heft_score(ds, NULL, NULL, &o, &sc, &err) == HEFT_EINVAL);
    CHECK(sc == NULL && u.calls == 3);
    heft_dataset_free(ds);
}
