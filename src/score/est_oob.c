/*
 * est_oob.c: Data-OOB, the out-of-bag estimate of each row's value.
 *
 * Y. Kwon, J. Zou, "Data-OOB: Out-of-bag Estimate as a Simple and Efficient
 * Data Value", ICML 2023, Eq. (3) (the value psi_i) with the bagging of
 * Section 3: train B models f_1..f_B, model b on a bootstrap sample of the
 * n training rows (n draws with replacement; w_bi = times row i was drawn),
 * and value row i by its mean correctness over the bags that left it out:
 *
 *   psi_i = sum_b 1[w_bi = 0] T(y_i, f_b(x_i)) / sum_b 1[w_bi = 0]
 *
 * with two choices of T, one column each (higher = more valuable):
 *   oob       T = 1[round(p) == y]  (the paper's 0/1 accuracy; p >= 0.5
 *             predicts a click; labels count as a click when >= 0.5)
 *   oob_soft  T = 1 - |p - y|       (= P(given label | x) for 0/1 labels)
 * The soft column ranks finer: the 0/1 column takes only B+1 values, so on
 * click data, where most rows are correctly called "no click" by every
 * bag, it ties most rows; P(given label) separates them.
 *
 * A row out of no bag (probability (1 - 1/n)^(nB) ~ e^-B) has no estimate
 * and gets the mean value of the other rows, so it ranks in the middle.
 *
 * Implementation: a bag is a weighted view of the training set (weights =
 * multiplicities, est_data.h), trained with o->train and seed
 * heft__seed_mix(o->seed, b) (the bootstrap draw uses an RNG seeded by the
 * same number), for o->train's epochs but at most ceil(1M / n) of them
 * (heft__est_bag_epochs: one pass per bag from a million rows up, which
 * keeps 32 bags on 1M rows near 12 s on 2 cores instead of 45 s). Bags run in parallel, bag b on thread b mod T; each thread
 * adds its bags' correctness into its own integer accumulators (the soft
 * one in 2^-30 fixed point), and the per-thread sums are added at the end,
 * so the values are bit-identical for every thread count. Cost: B training
 * runs (each touches the ~63% of rows in its bag) plus one logit per
 * out-of-bag row per bag; memory 24 bytes per row per thread plus a model
 * and its optimiser state per thread.
 *
 * This file also defines the resampling helpers of est_data.h.
 */
#include "est_data.h"
#include "train.h" /* heft__lr_tune: see heft__est_base_opts() */

#include <math.h>
#include <stdlib.h>

/* ---- helpers shared with est_cl.c and est_group.c (est_data.h) ---------- */

void heft__est_view(const heft_dataset *ds, const float *w,
                    heft_dataset *view)
{
    *view = *ds;
    view->weight = w;
    /* The view owns nothing: make that visible to anyone looking. */
    memset(&view->csr, 0, sizeof view->csr);
    view->map = NULL;
    view->map_len = 0;
}

heft_status heft__est_fit_view(const heft_dataset *ds, const float *w,
                               heft_dataset *view,
                               const heft_train_opts *base, uint64_t seed,
                               const char *who, heft_model **m,
                               void **scratch, heft_error *err)
{
    *m = NULL;
    *scratch = NULL;
    heft__est_view(ds, w, view);
    heft_train_opts to = *base;
    to.seed = seed;
    heft_status st = heft_train(view, NULL, &to, m, err);
    if (st != HEFT_OK)
        return st;
    *scratch = heft__malloc(1, (*m)->vt->scratch_size(*m));
    if (!*scratch) {
        heft_model_free(*m);
        *m = NULL;
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                         "%s: out of memory for prediction scratch", who);
    }
    return HEFT_OK;
}

heft_train_opts heft__est_train_opts(const heft_score_opts *o, uint64_t seed)
{
    heft_train_opts to = o->train;
    to.seed = seed;
    to.threads = 1;
    to.checkpoint_dir = NULL;
    to.on_epoch = NULL;
    to.on_epoch_ud = NULL;
    to.log = NULL;
    to.log_ud = NULL;
    to.progress = NULL;
    to.progress_ud = NULL;
    return to;
}

heft_status heft__est_base_opts(const heft_score_opts *o,
                                const heft_dataset *ds, int epochs,
                                heft_train_opts *out, heft_error *err)
{
    heft_train_opts to = heft__est_train_opts(o, o->train.seed);
    if (epochs <= 0)
        epochs = to.epochs > 0 ? to.epochs
                               : heft_train_opts_default(to.model).epochs;
    to.epochs = epochs;
    heft_status st = heft_train_opts_check(&to, err);
    if (st != HEFT_OK)
        return st;
    if (to.model == HEFT_MODEL_LR && to.lr == 0 &&
        (to.optim == HEFT_OPTIM_DEFAULT || to.optim == HEFT_OPTIM_FTRL)) {
        heft_train_opts r = to; /* heft__lr_tune wants resolved options */
        r.optim = HEFT_OPTIM_FTRL;
        double alpha = 0;
        st = heft__lr_tune(ds, &r, &alpha, err);
        if (st != HEFT_OK)
            return st;
        to.lr = alpha;
    }
    *out = to;
    return HEFT_OK;
}

int heft__est_bag_epochs(const heft_score_opts *o, uint64_t n)
{
    int e = o->train.epochs;
    if (e <= 0)
        e = heft_train_opts_default(o->train.model).epochs;
    const uint64_t cap = n ? (HEFT__BAG_VISITS + n - 1) / n : 1;
    if ((uint64_t)e > cap)
        e = (int)cap;
    return e < 1 ? 1 : e;
}

void heft__est_bootstrap(uint64_t seed, uint64_t bag, uint64_t n, float *cnt)
{
    heft__rng r;
    heft__rng_seed(&r, heft__seed_mix(seed, bag));
    memset(cnt, 0, (size_t)n * sizeof *cnt);
    for (uint64_t k = 0; k < n; k++)
        cnt[heft__rng_below(&r, n)] += 1.0f;
}

float heft__est_prob(const heft_model *m, const heft_dataset *ds, uint64_t i,
                     void *scratch)
{
    const heft__row r = heft__ds_row(ds, i);
    return (float)heft__sigmoid(m->vt->logit(m, &r, scratch));
}

void heft__est_folds(const float *label, uint64_t n, int k, uint64_t seed,
                     uint8_t *fold)
{
    /* Two passes, one per class, each over a shuffled list of the class's
     * rows; the list reuses fold[] as nothing else is needed meanwhile. */
    uint64_t *idx = heft__malloc(n ? (size_t)n : 1, sizeof *idx);
    if (!idx) { /* Degrade to an unshuffled stratified deal: still valid. */
        uint64_t seen[2] = {0, 0};
        for (uint64_t i = 0; i < n; i++) {
            const int c = heft__est_class(label[i]);
            fold[i] = (uint8_t)(seen[c]++ % (uint64_t)k);
        }
        return;
    }
    for (int c = 0; c < 2; c++) {
        size_t m = 0;
        for (uint64_t i = 0; i < n; i++)
            if (heft__est_class(label[i]) == c)
                idx[m++] = i;
        heft__rng r;
        heft__rng_seed(&r, heft__seed_mix(seed, (uint64_t)c));
        heft__rng_shuffle_u64(&r, idx, m);
        for (size_t j = 0; j < m; j++)
            fold[idx[j]] = (uint8_t)(j % (size_t)k);
    }
    free(idx);
}

void heft__est_group_subset(uint64_t seed, uint64_t s, uint64_t n_groups,
                            uint8_t *in)
{
    heft__rng r;
    heft__rng_seed(&r, heft__seed_mix(seed, s));
    for (uint64_t g = 0; g < n_groups; g++)
        in[g] = (uint8_t)(heft__rng_u64(&r) >> 63);
}

/* ---- Data-OOB ----------------------------------------------------------- */

#define OOB_MAX_THREADS 64

/* One thread's running sums over the bags it trained. */
typedef struct oob_acc {
    uint64_t *soft; /* (n,) sum of soft correctness, fixed point */
    uint32_t *hits; /* (n,) sum of 0/1 correctness               */
    uint32_t *outs; /* (n,) bags that left the row out           */
} oob_acc;

typedef struct oob_job {
    const heft_dataset *train;
    const heft_score_opts *o;
    int bags;
    heft_train_opts base; /* heft__est_base_opts(); each bag sets its seed */
    oob_acc acc[OOB_MAX_THREADS];
    heft_status st[OOB_MAX_THREADS];
    heft_error *errs; /* (threads,) */
} oob_job;

/* Trains bag b on the view (weights w) and adds its out-of-bag
 * correctness to a. cnt (n,) holds the bag's multiplicities. */
static heft_status oob_bag(const oob_job *J, int b, const float *cnt,
                           float *w, heft_dataset *view, oob_acc *a,
                           heft_error *err)
{
    const heft_dataset *tr = J->train;
    const uint64_t n = tr->n_rows;
    if (tr->weight)
        for (uint64_t i = 0; i < n; i++)
            w[i] = cnt[i] * tr->weight[i];
    heft_model *m;
    void *scratch;
    heft_status st = heft__est_fit_view(
        tr, tr->weight ? w : cnt, view, &J->base,
        heft__seed_mix(J->o->seed, (uint64_t)b), "oob", &m, &scratch, err);
    if (st != HEFT_OK)
        return st;
    for (uint64_t i = 0; i < n; i++) {
        if (cnt[i] != 0)
            continue;
        const double p = heft__est_prob(m, tr, i, scratch);
        a->hits[i] += (uint32_t)heft__est_hard(p, tr->label[i]);
        a->soft[i] += heft__fix(heft__est_soft(p, tr->label[i]));
        a->outs[i]++;
    }
    free(scratch);
    heft_model_free(m);
    return HEFT_OK;
}

static void oob_task(void *p, int t, int nt)
{
    oob_job *J = p;
    const uint64_t n = J->train->n_rows;
    float *cnt = heft__malloc((size_t)n, sizeof *cnt);
    float *w = J->train->weight ? heft__malloc((size_t)n, sizeof *w) : NULL;
    heft_dataset *view = heft__malloc(1, sizeof *view);
    oob_acc *a = &J->acc[t];
    a->soft = heft__calloc((size_t)n, sizeof *a->soft);
    a->hits = heft__calloc((size_t)n, sizeof *a->hits);
    a->outs = heft__calloc((size_t)n, sizeof *a->outs);
    heft_status st = HEFT_OK;
    if (!cnt || !view || !a->soft || !a->hits || !a->outs ||
        (J->train->weight && !w))
        st = heft__err(&J->errs[t], HEFT_ENOMEM, NULL, 0, 0,
                       "oob: out of memory for a bag (%llu rows)",
                       (unsigned long long)n);
    for (int b = t; st == HEFT_OK && b < J->bags; b += nt) {
        heft__est_bootstrap(J->o->seed, (uint64_t)b, n, cnt);
        st = oob_bag(J, b, cnt, w, view, a, &J->errs[t]);
    }
    J->st[t] = st;
    free(cnt);
    free(w);
    free(view);
}

/* Adds the threads' sums and writes both columns (see the file header). */
static void oob_finish(const oob_job *J, int nt, uint64_t n, float *hard,
                       float *soft)
{
    double mh = 0, ms = 0;
    uint64_t valued = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t s = 0, h = 0, k = 0;
        for (int t = 0; t < nt; t++) {
            s += J->acc[t].soft[i];
            h += J->acc[t].hits[i];
            k += J->acc[t].outs[i];
        }
        hard[i] = k ? (float)((double)h / (double)k) : NAN;
        soft[i] = k ? (float)(heft__unfix(s) / (double)k) : NAN;
        if (k) {
            mh += hard[i];
            ms += soft[i];
            valued++;
        }
    }
    mh = valued ? mh / (double)valued : 0;
    ms = valued ? ms / (double)valued : 0;
    for (uint64_t i = 0; i < n; i++)
        if (isnan(hard[i])) {
            hard[i] = (float)mh;
            soft[i] = (float)ms;
        }
}

static heft_status oob_run(heft__score_ctx *c, float **cols, heft_error *err)
{
    const heft_score_opts *o = c->o;
    const uint64_t n = c->train->n_rows;
    if (o->bags < 1 || o->bags > 100000)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "oob: bags must be in 1..100000, got %d", o->bags);
    if (n == 0)
        return heft__err(err, HEFT_EEMPTY, NULL, 0, 0,
                         "oob: the training data has no rows");
    oob_job *J = heft__calloc(1, sizeof *J);
    int nt = c->threads < 1 ? 1 : c->threads;
    if (nt > o->bags)
        nt = o->bags;
    if (nt > OOB_MAX_THREADS)
        nt = OOB_MAX_THREADS;
    heft_error *errs = heft__calloc((size_t)nt, sizeof *errs);
    if (!J || !errs) {
        free(J);
        free(errs);
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "oob: out of memory");
    }
    J->train = c->train;
    J->o = o;
    J->bags = o->bags;
    J->errs = errs;
    heft_status st = heft__est_base_opts(o, c->train,
                                         heft__est_bag_epochs(o, n),
                                         &J->base, err);
    if (st == HEFT_OK)
        heft__parallel(nt, oob_task, J);
    for (int t = 0; t < nt && st == HEFT_OK; t++)
        if (J->st[t] != HEFT_OK) {
            st = J->st[t];
            if (err)
                *err = errs[t];
        }
    if (st == HEFT_OK)
        oob_finish(J, nt, n, cols[0], cols[1]);
    for (int t = 0; t < nt; t++) {
        free(J->acc[t].soft);
        free(J->acc[t].hits);
        free(J->acc[t].outs);
    }
    free(errs);
    free(J);
    return st;
}

const heft__estimator heft__est_oob = {
    "oob",
    "oob,oob_soft",
    "Data-OOB (Kwon & Zou 2023): mean out-of-bag correctness over "
    "bootstrap models; oob 0/1 accuracy, oob_soft P(given label)",
    0,
    oob_run,
};
