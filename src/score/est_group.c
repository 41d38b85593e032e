/*
 * est_group.c: the value of each group of training rows (a user, query,
 * traffic source or day: the dataset's group column), answering which
 * groups help the model.
 *
 * With a validation set: Data Banzhaf values by the Maximum Sample Reuse
 * (MSR) estimator. J. T. Wang, R. Jia, "Data Banzhaf: A Robust Data
 * Valuation Framework for Machine Learning", AISTATS 2023, Eq. (1) and
 * Algorithm 1. For G groups and a utility U of a set of groups,
 *
 *   phi(g) = 2^-(G-1) sum_{S not containing g} [U(S + g) - U(S)]
 *
 * and MSR draws S_1..S_M (M = o->group_samples), each group in each S_s
 * independently with probability 1/2 (heft__est_group_subset: seed
 * heft__seed_mix(o->seed, s)), and reuses every sample for every group:
 *
 *   phi^(g) = mean_{s: g in S_s} U(S_s) - mean_{s: g not in S_s} U(S_s)
 *
 * (0 for a group that no sample put on one side; probability 2^-M+1).
 * U(S) = AUC on the validation set (ties count half, rows unweighted) of
 * a model trained with o->train on the rows of the groups in S (a weighted
 * view, est_data.h); accuracy at 0.5 when the validation labels hold one
 * class. Every sample trains with the same seed (o->train.seed), so U is a
 * deterministic function of S and MSR converges to the exact phi (the
 * tests compare with full enumeration). U of the empty set is the
 * untrained model's (AUC 0.5).
 *
 * Without a validation set: group-level Data-OOB (Kwon & Zou 2023, the
 * estimator of est_oob.c with groups as the units): B = o->bags bootstrap
 * samples of the G groups (heft__est_bootstrap over groups, seed
 * heft__seed_mix(o->seed, b)), a model per bag on the rows of its groups
 * (times their multiplicity), and
 *
 *   psi(g) = mean over bags leaving g out of mean_{i in g} P(y_i | x_i)
 *
 * the soft correctness 1 - |p - y| of est_oob.c (the 0/1 one says little
 * about a group of click rows); a group out of no bag gets the mean value.
 *
 * Outputs (higher = more valuable): the group table c->n_groups,
 * c->group_ids (ascending) and c->group_values (malloc'ed, owned by c
 * afterwards), and the row column `group` = the value of the row's group.
 * Samples and bags run in parallel, sample s (bag b) on thread s mod T;
 * per-sample utilities are combined in sample order and per-bag sums are
 * integers (fixed point), so values are bit-identical for every thread
 * count. Cost: M (or B) training runs on about half (63%) of the rows plus
 * one validation (out-of-bag) prediction pass each.
 */
#include "est_data.h"

#include <math.h>
#include <stdlib.h>

#define GRP_MAX_THREADS 64

typedef struct grp_job {
    const heft_dataset *train, *valid;
    const heft_score_opts *o;
    const uint32_t *gi;     /* (n,) dense group of each row               */
    uint64_t G;
    int units;              /* samples (Banzhaf) or bags (OOB)            */
    heft_train_opts base;   /* heft__est_base_opts(): every model's      */
    int accuracy;           /* Banzhaf: utility accuracy instead of AUC   */
    double *u;              /* (units,) Banzhaf utilities                 */
    uint64_t *soft[GRP_MAX_THREADS]; /* OOB: (G,) fixed-point sums        */
    uint32_t *outs[GRP_MAX_THREADS]; /* OOB: (G,) bags leaving g out      */
    heft_status st[GRP_MAX_THREADS];
    heft_error *errs;
} grp_job;

/* ---- group ids ------------------------------------------------------------ */

static int u64_cmp(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The distinct group ids of ds, ascending, into *ids (malloc'ed), and
 * each row's index into them into gi (n,). */
static heft_status grp_map(const heft_dataset *ds, uint64_t **ids,
                           uint64_t *n_groups, uint32_t *gi)
{
    const uint64_t n = ds->n_rows;
    uint64_t *u = heft__malloc((size_t)n, sizeof *u);
    if (!u)
        return HEFT_ENOMEM;
    memcpy(u, ds->group, (size_t)n * sizeof *u);
    qsort(u, (size_t)n, sizeof *u, u64_cmp);
    uint64_t G = 0;
    for (uint64_t i = 0; i < n; i++)
        if (i == 0 || u[i] != u[G - 1])
            u[G++] = u[i];
    for (uint64_t i = 0; i < n; i++) {
        uint64_t lo = 0, hi = G; /* first id >= group[i]; it is equal */
        while (lo < hi) {
            const uint64_t mid = lo + (hi - lo) / 2;
            if (u[mid] < ds->group[i])
                lo = mid + 1;
            else
                hi = mid;
        }
        gi[i] = (uint32_t)lo;
    }
    uint64_t *shrunk = heft__realloc(u, (size_t)G, sizeof *u);
    *ids = shrunk ? shrunk : u;
    *n_groups = G;
    return HEFT_OK;
}

/* ---- Banzhaf: utilities ------------------------------------------------- */

/* AUC of p (m,) against the classes of label, ties half, by a stable
 * radix sort of (p, row); or accuracy at 0.5 when acc is set. key/tmp
 * (m,) scratch. */
static double grp_utility(const float *p, const float *label, uint64_t m,
                          int acc, uint64_t *key, uint64_t *tmp)
{
    if (acc) {
        uint64_t hits = 0;
        for (uint64_t i = 0; i < m; i++)
            hits += (uint64_t)heft__est_hard(p[i], label[i]);
        return (double)hits / (double)m;
    }
    for (uint64_t i = 0; i < m; i++)
        key[i] = (uint64_t)heft__score_fkey(p[i]) << 32 | i;
    heft__score_sort(key, tmp, (size_t)m);
    double neg_below = 0, pos = 0, neg = 0, area = 0;
    for (uint64_t a = 0; a < m;) {
        uint64_t e = a;
        double gp = 0, gn = 0;
        for (; e < m && key[e] >> 32 == key[a] >> 32; e++) {
            if (heft__est_class(label[(uint32_t)key[e]]))
                gp += 1;
            else
                gn += 1;
        }
        area += gp * (neg_below + 0.5 * gn);
        neg_below += gn;
        pos += gp;
        neg += gn;
        a = e;
    }
    return area / (pos * neg);
}

/* U(S_s): train on the groups of sample s, score the validation set. */
static heft_status grp_sample(grp_job *J, int s, uint8_t *in, float *w,
                              heft_dataset *view, float *pv, uint64_t *key,
                              uint64_t *tmp, heft_error *err)
{
    const heft_dataset *tr = J->train;
    heft__est_group_subset(J->o->seed, (uint64_t)s, J->G, in);
    for (uint64_t i = 0; i < tr->n_rows; i++)
        w[i] = in[J->gi[i]] ? (tr->weight ? tr->weight[i] : 1.0f) : 0.0f;
    heft__est_view(tr, w, view);
    const heft_train_opts to = J->base; /* one seed: U is a function of S */
    heft_model *m = NULL;
    heft_status st = heft_train(view, NULL, &to, &m, err);
    if (st == HEFT_OK)
        st = heft_predict(m, J->valid, pv, 1, err);
    if (st == HEFT_OK)
        J->u[s] = grp_utility(pv, J->valid->label, J->valid->n_rows,
                              J->accuracy, key, tmp);
    heft_model_free(m);
    return st;
}

static void grp_banzhaf_task(void *p, int t, int nt)
{
    grp_job *J = p;
    const uint64_t n = J->train->n_rows, m = J->valid->n_rows;
    uint8_t *in = heft__malloc((size_t)J->G, 1);
    float *w = heft__malloc((size_t)n, sizeof *w);
    float *pv = heft__malloc((size_t)m, sizeof *pv);
    uint64_t *key = heft__malloc((size_t)m, sizeof *key);
    uint64_t *tmp = heft__malloc((size_t)m, sizeof *tmp);
    heft_dataset *view = heft__malloc(1, sizeof *view);
    heft_status st = HEFT_OK;
    if (!in || !w || !pv || !key || !tmp || !view)
        st = heft__err(&J->errs[t], HEFT_ENOMEM, NULL, 0, 0,
                       "group: out of memory for a Banzhaf sample");
    for (int s = t; st == HEFT_OK && s < J->units; s += nt)
        st = grp_sample(J, s, in, w, view, pv, key, tmp, &J->errs[t]);
    J->st[t] = st;
    free(in);
    free(w);
    free(pv);
    free(key);
    free(tmp);
    free(view);
}

/* The MSR estimate from the utilities, in sample order. */
static heft_status grp_msr(const grp_job *J, float *val)
{
    const uint64_t G = J->G;
    double *sum = heft__calloc((size_t)G * 2, sizeof *sum);
    uint32_t *cnt = heft__calloc((size_t)G * 2, sizeof *cnt);
    uint8_t *in = heft__malloc((size_t)G, 1);
    if (!sum || !cnt || !in) {
        free(sum);
        free(cnt);
        free(in);
        return HEFT_ENOMEM;
    }
    for (int s = 0; s < J->units; s++) {
        heft__est_group_subset(J->o->seed, (uint64_t)s, G, in);
        for (uint64_t g = 0; g < G; g++) {
            sum[2 * g + in[g]] += J->u[s];
            cnt[2 * g + in[g]]++;
        }
    }
    for (uint64_t g = 0; g < G; g++)
        val[g] = cnt[2 * g] && cnt[2 * g + 1]
                     ? (float)(sum[2 * g + 1] / cnt[2 * g + 1] -
                               sum[2 * g] / cnt[2 * g])
                     : 0.0f;
    free(sum);
    free(cnt);
    free(in);
    return HEFT_OK;
}

/* ---- group-level Data-OOB ----------------------------------------------- */

static heft_status grp_bag(grp_job *J, int b, int t, float *cnt, float *w,
                           heft_dataset *view, heft_error *err)
{
    const heft_dataset *tr = J->train;
    heft__est_bootstrap(J->o->seed, (uint64_t)b, J->G, cnt);
    for (uint64_t i = 0; i < tr->n_rows; i++)
        w[i] = cnt[J->gi[i]] * (tr->weight ? tr->weight[i] : 1.0f);
    heft_model *m;
    void *scratch;
    heft_status st = heft__est_fit_view(
        tr, w, view, &J->base, heft__seed_mix(J->o->seed, (uint64_t)b),
        "group", &m, &scratch, err);
    if (st != HEFT_OK)
        return st;
    for (uint64_t i = 0; i < tr->n_rows; i++)
        if (cnt[J->gi[i]] == 0) {
            const double p = heft__est_prob(m, tr, i, scratch);
            J->soft[t][J->gi[i]] += heft__fix(heft__est_soft(p, tr->label[i]));
        }
    for (uint64_t g = 0; g < J->G; g++)
        J->outs[t][g] += cnt[g] == 0;
    free(scratch);
    heft_model_free(m);
    return HEFT_OK;
}

static void grp_oob_task(void *p, int t, int nt)
{
    grp_job *J = p;
    const uint64_t n = J->train->n_rows;
    float *cnt = heft__malloc((size_t)J->G, sizeof *cnt);
    float *w = heft__malloc((size_t)n, sizeof *w);
    heft_dataset *view = heft__malloc(1, sizeof *view);
    J->soft[t] = heft__calloc((size_t)J->G, sizeof *J->soft[t]);
    J->outs[t] = heft__calloc((size_t)J->G, sizeof *J->outs[t]);
    heft_status st = HEFT_OK;
    if (!cnt || !w || !view || !J->soft[t] || !J->outs[t])
        st = heft__err(&J->errs[t], HEFT_ENOMEM, NULL, 0, 0,
                       "group: out of memory for a bag");
    for (int b = t; st == HEFT_OK && b < J->units; b += nt)
        st = grp_bag(J, b, t, cnt, w, view, &J->errs[t]);
    J->st[t] = st;
    free(cnt);
    free(w);
    free(view);
}

/* psi(g) from the threads' sums; size (G,) rows per group. */
static void grp_oob_finish(const grp_job *J, int nt, const uint64_t *size,
                           float *val)
{
    double mean = 0;
    uint64_t valued = 0;
    for (uint64_t g = 0; g < J->G; g++) {
        uint64_t s = 0, k = 0;
        for (int t = 0; t < nt; t++) {
            s += J->soft[t][g];
            k += J->outs[t][g];
        }
        val[g] = k ? (float)(heft__unfix(s) / ((double)k * size[g])) : NAN;
        if (k) {
            mean += val[g];
            valued++;
        }
    }
    mean = valued ? mean / (double)valued : 0;
    for (uint64_t g = 0; g < J->G; g++)
        if (isnan(val[g]))
            val[g] = (float)mean;
}

/* ---- the estimator ------------------------------------------------------- */

/* Runs the Banzhaf or OOB job on nt threads into val (G,). */
static heft_status grp_values(grp_job *J, int nt, float *val,
                              heft_error *err)
{
    const int banzhaf = J->valid != NULL;
    heft__parallel(nt, banzhaf ? grp_banzhaf_task : grp_oob_task, J);
    heft_status st = HEFT_OK;
    for (int t = 0; t < nt && st == HEFT_OK; t++)
        if (J->st[t] != HEFT_OK) {
            st = J->st[t];
            if (err)
                *err = J->errs[t];
        }
    if (st == HEFT_OK && banzhaf && grp_msr(J, val) != HEFT_OK)
        st = heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "group: out of memory");
    if (st == HEFT_OK && !banzhaf) {
        uint64_t *size = heft__calloc((size_t)J->G, sizeof *size);
        if (!size)
            return heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                             "group: out of memory");
        for (uint64_t i = 0; i < J->train->n_rows; i++)
            size[J->gi[i]]++;
        grp_oob_finish(J, nt, size, val);
        free(size);
    }
    return st;
}

/* Checks the options and data; sets *accuracy when the validation labels
 * hold a single class. */
static heft_status grp_check(const heft__score_ctx *c, int *accuracy,
                             heft_error *err)
{
    const heft_score_opts *o = c->o;
    if (c->train->n_rows == 0)
        return heft__err(err, HEFT_EEMPTY, NULL, 0, 0,
                         "group: the training data has no rows");
    if (!c->train->group)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "group: the training data has no group column; "
                         "read it with one (--group user, query, source or "
                         "day, or a qid: in libsvm files)");
    if (c->train->n_rows > UINT32_MAX)
        return heft__err(err, HEFT_ERANGE, NULL, 0, 0,
                         "group: more than 2^32-1 training rows");
    const int banzhaf = c->valid && c->valid->n_rows > 0;
    if (banzhaf && (o->group_samples < 2 || o->group_samples > 1000000))
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "group: group_samples must be in 2..1000000, got %d",
                         o->group_samples);
    if (!banzhaf && (o->bags < 1 || o->bags > 100000))
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "group: bags must be in 1..100000, got %d", o->bags);
    if (banzhaf && c->valid->n_rows > UINT32_MAX)
        return heft__err(err, HEFT_ERANGE, NULL, 0, 0,
                         "group: more than 2^32-1 validation rows");
    uint64_t pos = 0;
    for (uint64_t i = 0; banzhaf && i < c->valid->n_rows; i++)
        pos += (uint64_t)heft__est_class(c->valid->label[i]);
    *accuracy = banzhaf && (pos == 0 || pos == c->valid->n_rows);
    return HEFT_OK;
}

static heft_status group_run(heft__score_ctx *c, float **cols, heft_error *err)
{
    int accuracy = 0;
    heft_status st = grp_check(c, &accuracy, err);
    if (st != HEFT_OK)
        return st;
    const uint64_t n = c->train->n_rows;
    grp_job *J = heft__calloc(1, sizeof *J);
    uint32_t *gi = heft__malloc((size_t)n, sizeof *gi);
    uint64_t *ids = NULL, G = 0;
    float *val = NULL;
    if (!J || !gi || grp_map(c->train, &ids, &G, gi) != HEFT_OK ||
        !(val = heft__malloc((size_t)G, sizeof *val)))
        st = heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "group: out of memory");
    const int banzhaf = c->valid && c->valid->n_rows > 0;
    if (st == HEFT_OK) {
        J->train = c->train;
        J->valid = banzhaf ? c->valid : NULL;
        J->o = c->o;
        J->gi = gi;
        J->G = G;
        J->units = banzhaf ? c->o->group_samples : c->o->bags;
        J->accuracy = accuracy;
        int nt = c->threads < 1 ? 1 : c->threads;
        nt = nt > J->units ? J->units : nt;
        nt = nt > GRP_MAX_THREADS ? GRP_MAX_THREADS : nt;
        J->u = heft__calloc((size_t)J->units, sizeof *J->u);
        J->errs = heft__calloc((size_t)nt, sizeof *J->errs);
        if (!J->u || !J->errs)
            st = heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                           "group: out of memory");
        else
            st = heft__est_base_opts(c->o, c->train,
                                     heft__est_bag_epochs(c->o, n), &J->base,
                                     err);
        if (st == HEFT_OK)
            st = grp_values(J, nt, val, err);
    }
    if (st == HEFT_OK) {
        for (uint64_t i = 0; i < n; i++)
            cols[0][i] = val[gi[i]];
        free(c->group_ids);
        free(c->group_values);
        c->n_groups = G;
        c->group_ids = ids;
        c->group_values = val;
        ids = NULL;
        val = NULL;
    }
    for (int t = 0; J && t < GRP_MAX_THREADS; t++) {
        free(J->soft[t]);
        free(J->outs[t]);
    }
    if (J) {
        free(J->u);
        free(J->errs);
    }
    free(J);
    free(gi);
    free(ids);
    free(val);
    return st;
}

const heft__estimator heft__est_group = {
    "group",
    "group",
    "value of each row's group (--group): Data Banzhaf by MSR on "
    "validation AUC with --valid, else group-level Data-OOB",
    0,
    group_run,
};
