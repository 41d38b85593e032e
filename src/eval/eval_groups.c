/*
 * eval_groups.c: metrics computed per group (user, query or session) and
 * then averaged (definitions and references in docs/metrics.md).
 *
 * Rows are sorted once by (group ascending, prediction descending, label
 * ascending); each group is then a run of rows ranked as a model would
 * show them, with tied predictions ranked pessimistically (the less
 * relevant row first), so a constant model earns no credit from the input
 * order. Per group g with weights w_i, y_i = [label_i > 0], rel_i =
 * max(label_i, 0):
 *
 *   AUC_g   weighted Mann-Whitney AUC of the rows of g (ties half);
 *           defined when g has weighted positives and negatives
 *   imp_g   = sum_{i in g} w_i                  (impressions)
 *   GAUC    = sum_g imp_g AUC_g / sum_g imp_g over groups with AUC_g
 *                                               (Zhou et al. 2018)
 *   DCG@k_g = sum_{r=1}^{min(k,|g|)} (2^rel_(r) - 1) / log2(r + 1)
 *   NDCG@k_g = DCG@k_g / IDCG@k_g, IDCG from the labels sorted descending;
 *           groups with IDCG = 0 (no label > 0) are left out
 *                                               (Jarvelin & Kekalainen 2002)
 *   RR_g    = 1 / rank of the first row with label > 0 (same groups)
 *   NDCG, MRR = sum_g qw_g x_g / sum_g qw_g, qw_g = imp_g / |g| the mean
 *           weight of the group (1 without weights), as LightGBM weighs
 *           queries.
 */
#include "eval.h"

#include <math.h>
#include <stdlib.h>

void heft__eval_groups_free(heft__eval_groups *g)
{
    if (!g)
        return;
    free(g->imp);
    free(g->qw);
    free(g->auc);
    free(g->ndcg);
    free(g->rr);
    memset(g, 0, sizeof *g);
}

/* Sorts a[0..n) into (group asc, pred desc, label asc, row asc) order by
 * two stable radix sorts: the secondary key first, then the group. */
static void sort_by_group(const float *label, const float *pred,
                          const uint64_t *group, size_t n, heft__kv *a,
                          heft__kv *tmp)
{
    for (size_t i = 0; i < n; i++) {
        const uint32_t desc = ~heft__float_key(pred[i]);
        a[i] = (heft__kv){((uint64_t)desc << 32) | heft__float_key(label[i]),
                          i};
    }
    heft__kv_sort(a, tmp, n);
    for (size_t k = 0; k < n; k++)
        a[k].key = group[a[k].idx];
    heft__kv_sort(a, tmp, n);
}

static int cmp_float_desc(const void *x, const void *y)
{
    const float a = *(const float *)x, b = *(const float *)y;
    return (a < b) - (a > b);
}

static double gain(float rel)
{
    return rel > 0.0f ? exp2((double)rel) - 1.0 : 0.0;
}

/* AUC of one group's rows a[0..len), which are in descending prediction
 * order: each tie block of negatives pairs with the positives strictly
 * above it and half of the positives in the block. Writes the
 * impressions to *imp; returns NAN without two weighted classes. */
static double group_auc(const float *label, const float *pred,
                        const float *weight, const heft__kv *a, size_t len,
                        double *imp)
{
    double pos_above = 0, bpos = 0, bneg = 0, num = 0, wpos = 0, wneg = 0;
    float prev = pred[a[0].idx];
    for (size_t j = 0; j < len; j++) {
        const size_t i = (size_t)a[j].idx;
        const double w = weight ? weight[i] : 1.0;
        if (pred[i] != prev) {
            num += bneg * pos_above + 0.5 * bpos * bneg;
            pos_above += bpos;
            bpos = bneg = 0;
            prev = pred[i];
        }
        if (label[i] > 0.0f) {
            bpos += w;
            wpos += w;
        } else {
            bneg += w;
            wneg += w;
        }
    }
    num += bneg * pos_above + 0.5 * bpos * bneg;
    *imp = wpos + wneg;
    return wpos > 0 && wneg > 0 ? num / (wpos * wneg) : NAN;
}

/* NDCG@k and reciprocal rank of one group's ranked rows a[0..len); both
 * NAN when no row has label > 0. scratch holds len floats. */
static void group_rank(const float *label, const heft__kv *a, size_t len,
                       int k, float *scratch, double *ndcg, double *rr)
{
    size_t nrel = 0, first = 0;
    double dcg = 0;
    for (size_t r = 0; r < len; r++) {
        const float rel = label[a[r].idx];
        if (rel > 0.0f) {
            if (nrel == 0)
                first = r + 1;
            scratch[nrel++] = rel;
            if (r < (size_t)k)
                dcg += gain(rel) / log2((double)r + 2.0);
        }
    }
    if (nrel == 0) {
        *ndcg = *rr = NAN;
        return;
    }
    qsort(scratch, nrel, sizeof *scratch, cmp_float_desc);
    double idcg = 0;
    for (size_t r = 0; r < nrel && r < (size_t)k; r++)
        idcg += gain(scratch[r]) / log2((double)r + 2.0);
    *ndcg = dcg / idcg;
    *rr = 1.0 / (double)first;
}

static heft_status groups_alloc(heft__eval_groups *g, size_t ng)
{
    g->g = ng;
    g->imp = heft__malloc(ng, sizeof *g->imp);
    g->qw = heft__malloc(ng, sizeof *g->qw);
    g->auc = heft__malloc(ng, sizeof *g->auc);
    g->ndcg = heft__malloc(ng, sizeof *g->ndcg);
    g->rr = heft__malloc(ng, sizeof *g->rr);
    if (g->imp && g->qw && g->auc && g->ndcg && g->rr)
        return HEFT_OK;
    heft__eval_groups_free(g);
    return HEFT_ENOMEM;
}

heft_status heft__eval_groups_build(const float *label, const float *pred,
                                    const float *weight,
                                    const uint64_t *group, size_t n,
                                    int ndcg_k, heft__kv *a, heft__kv *tmp,
                                    heft__eval_groups *g)
{
    memset(g, 0, sizeof *g);
    sort_by_group(label, pred, group, n, a, tmp);
    size_t ng = 0;
    for (size_t k = 0; k < n; k++)
        ng += k == 0 || a[k].key != a[k - 1].key;
    float *scratch = heft__malloc(n, sizeof *scratch);
    if (!scratch || groups_alloc(g, ng) != HEFT_OK) {
        free(scratch);
        return HEFT_ENOMEM;
    }
    size_t gi = 0;
    for (size_t s = 0, e; s < n; s = e, gi++) {
        for (e = s + 1; e < n && a[e].key == a[s].key; e++)
            ;
        g->auc[gi] = group_auc(label, pred, weight, a + s, e - s,
                               &g->imp[gi]);
        g->qw[gi] = g->imp[gi] / (double)(e - s);
        group_rank(label, a + s, e - s, ndcg_k, scratch, &g->ndcg[gi],
                   &g->rr[gi]);
    }
    free(scratch);
    return HEFT_OK;
}

void heft__eval_groups_sweep(const heft__eval_groups *g,
                             const heft__pois *pois, heft__rng *rng,
                             heft__group_sums *s)
{
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < g->g; i++) {
        const double m = rng ? (double)heft__pois_draw(pois, rng) : 1.0;
        if (m == 0)
            continue;
        if (!isnan(g->auc[i])) {
            s->gauc_num += m * g->imp[i] * g->auc[i];
            s->gauc_den += m * g->imp[i];
            s->gauc_groups++;
        }
        if (!isnan(g->ndcg[i])) {
            s->ndcg_num += m * g->qw[i] * g->ndcg[i];
            s->rr_num += m * g->qw[i] * g->rr[i];
            s->rank_den += m * g->qw[i];
        }
    }
}

void heft__eval_group_values(const heft__group_sums *s, double *v)
{
    v[HEFT__M_GAUC] = s->gauc_den > 0 ? s->gauc_num / s->gauc_den : NAN;
    v[HEFT__M_NDCG] = s->rank_den > 0 ? s->ndcg_num / s->rank_den : NAN;
    v[HEFT__M_MRR] = s->rank_den > 0 ? s->rr_num / s->rank_den : NAN;
}
