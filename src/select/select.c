/*
 * select.c: choosing training rows by score (heft_select), docs/select.md.
 *
 * Shares are exact, not drawn: keeping a share F of N rows keeps
 * K = round(F N) of them. Stratified, each stratum s (a label, a group, or
 * a label within a group) of n_s rows gets floor(F n_s) plus one more for
 * the K - sum floor(F n_s) strata with the largest remainders F n_s -
 * floor(F n_s) (ties: the earlier stratum in (group, label) order), the
 * largest-remainder rule, so every stratum keeps its share within one row
 * and the total is K.
 *
 * Within a stratum, keep and drop rank rows by score (highest first, ties
 * by row number); random and negatives rank them by a per-row hash of
 * (seed, row), which makes the kept set a uniformly random subset of the
 * quota's size that does not depend on the order of the rows. Importance
 * sampling (weights.c) draws row i with its own probability p_i from the
 * same hash. Rows are ordered by one stable radix sort of the 64-bit key
 * (stratum, rank) over rows in input order, so equal ranks keep row order:
 * O(n) per call, about 0.1 s for a million rows.
 */
#include "select_int.h"

#include <math.h>
#include <stdlib.h>

#define BAD(...) heft__err(err, HEFT_EINVAL, NULL, 0, 0, __VA_ARGS__)

static const char *const mode_names[HEFT_SELECT__COUNT] = {
    "all", "keep", "drop", "threshold", "importance", "negatives", "random"};

const char *heft_select_mode_name(heft_select_mode m)
{
    return (unsigned)m < HEFT_SELECT__COUNT ? mode_names[m] : "unknown";
}

heft_select_opts heft_select_opts_default(void)
{
    heft_select_opts o;
    memset(&o, 0, sizeof o);
    o.mode = HEFT_SELECT_ALL;
    o.fraction = 0.5;
    o.neg_rate = 0.1;
    o.floor = 0.1;
    o.weight_min = 0.1;
    o.weight_max = 10.0;
    o.seed = 1;
    return o;
}

static int needs_score(const heft_select_opts *o)
{
    return o->reweight || o->mode == HEFT_SELECT_KEEP ||
           o->mode == HEFT_SELECT_DROP || o->mode == HEFT_SELECT_THRESHOLD ||
           o->mode == HEFT_SELECT_IMPORTANCE;
}

heft_status heft_select_opts_check(const heft_select_opts *o, int has_score,
                                   heft_error *err)
{
    if (!o)
        return BAD("select options are NULL");
    if ((unsigned)o->mode >= HEFT_SELECT__COUNT)
        return BAD("unknown selection mode %d", (int)o->mode);
    const heft_select_mode m = o->mode;
    if ((m == HEFT_SELECT_KEEP || m == HEFT_SELECT_DROP ||
         m == HEFT_SELECT_RANDOM || m == HEFT_SELECT_IMPORTANCE) &&
        !(o->fraction >= 0 && o->fraction <= 1))
        return BAD("the fraction of %s must be in [0, 1], got %g",
                   mode_names[m], o->fraction);
    if (m == HEFT_SELECT_THRESHOLD && !isfinite(o->threshold))
        return BAD("the threshold must be a finite number");
    if (m == HEFT_SELECT_NEGATIVES && !(o->neg_rate > 0 && o->neg_rate <= 1))
        return BAD("the negative rate W must be in (0, 1], got %g",
                   o->neg_rate);
    if (m == HEFT_SELECT_IMPORTANCE && !(o->floor > 0 && o->floor <= 1))
        return BAD("the importance floor must be in (0, 1], got %g",
                   o->floor);
    if (o->stratify & ~(HEFT_STRATIFY_LABEL | HEFT_STRATIFY_GROUP))
        return BAD("unknown stratify bits 0x%x", (unsigned)o->stratify);
    if (o->stratify && (m == HEFT_SELECT_ALL || m == HEFT_SELECT_THRESHOLD))
        return BAD("stratifying needs a share to keep; mode %s has none",
                   mode_names[m]);
    if (o->reweight &&
        !(o->weight_min > 0 && o->weight_min <= 1 && o->weight_max >= 1 &&
          isfinite(o->weight_max)))
        return BAD("the weight range must satisfy 0 < min <= 1 <= max, got "
                   "[%g, %g]", o->weight_min, o->weight_max);
    if (needs_score(o) && !has_score)
        return BAD("selection mode %s%s needs a score column", mode_names[m],
                   o->reweight ? " with reweighting" : "");
    return HEFT_OK;
}

void heft_selection_free(heft_selection *s)
{
    if (!s)
        return;
    free(s->rows);
    free(s->weight);
    free(s);
}

/* One eligible row in the ranking: key = (stratum << 32) | rank, where
 * the stratum is dense (group order, then label) and the rank a 32-bit
 * value that sorts the preferred rows first. */
typedef struct sel_item {
    uint64_t key, row;
} sel_item;

/* Sorts it[0..n) by key, stably (LSD radix, 8 bits a pass; a pass whose
 * digit is the same for every item is skipped). tmp has room for n.
 * Returns the buffer that holds the result (it or tmp). */
static sel_item *radix_sort(sel_item *it, sel_item *tmp, size_t n)
{
    for (int shift = 0; shift < 64; shift += 8) {
        size_t cnt[256] = {0};
        for (size_t i = 0; i < n; i++)
            cnt[(it[i].key >> shift) & 255]++;
        if (n == 0 || cnt[(it[0].key >> shift) & 255] == n)
            continue;
        size_t pos = 0;
        for (int d = 0; d < 256; d++) {
            const size_t c = cnt[d];
            cnt[d] = pos;
            pos += c;
        }
        for (size_t i = 0; i < n; i++)
            tmp[cnt[(it[i].key >> shift) & 255]++] = it[i];
        sel_item *t = it;
        it = tmp;
        tmp = t;
    }
    return it;
}

/* A float's bits turned so that unsigned order is numeric order (-0 and
 * +0 equal). */
static uint32_t float_order(float f)
{
    uint32_t u;
    if (f == 0)
        f = 0; /* -0 -> +0 */
    memcpy(&u, &f, 4);
    return (u & 0x80000000u) ? ~u : u | 0x80000000u;
}

/* A stratum: items [start, start + size), its quota and remainder. */
typedef struct sel_stratum {
    size_t start, size, quota;
    double rem;
} sel_stratum;

static int stratum_rem_cmp(const void *pa, const void *pb)
{
    const sel_stratum *a = pa, *b = pb;
    if (a->rem != b->rem)
        return a->rem > b->rem ? -1 : 1;
    return a->start < b->start ? -1 : a->start > b->start;
}

static int stratum_start_cmp(const void *pa, const void *pb)
{
    const sel_stratum *a = pa, *b = pb;
    return a->start < b->start ? -1 : a->start > b->start;
}

/* Splits sorted items into strata (*ns of them, malloc'ed in *out). */
static heft_status find_strata(const sel_item *it, size_t m,
                               sel_stratum **out, size_t *ns)
{
    size_t k = 0;
    for (size_t i = 0; i < m; i++)
        k += !i || (it[i].key >> 32) != (it[i - 1].key >> 32);
    sel_stratum *s = heft__calloc(k ? k : 1, sizeof *s);
    if (!s)
        return HEFT_ENOMEM;
    k = 0;
    for (size_t i = 0; i < m; i++) {
        if (!i || (it[i].key >> 32) != (it[i - 1].key >> 32))
            s[k++].start = i;
        s[k - 1].size++;
    }
    *out = s;
    *ns = k;
    return HEFT_OK;
}

/* Largest-remainder quotas: round(share * total) rows over the strata in
 * proportion to their sizes. Leaves s in start order. */
static void apportion(sel_stratum *s, size_t ns, double share, size_t total)
{
    size_t want = (size_t)floor(share * (double)total + 0.5), given = 0;
    for (size_t j = 0; j < ns; j++) {
        const double q = share * (double)s[j].size;
        s[j].quota = (size_t)floor(q);
        s[j].rem = q - (double)s[j].quota;
        given += s[j].quota;
    }
    qsort(s, ns, sizeof *s, stratum_rem_cmp);
    for (size_t j = 0; j < ns && given < want; j++) {
        if (s[j].quota < s[j].size) {
            s[j].quota++;
            given++;
        }
    }
    qsort(s, ns, sizeof *s, stratum_start_cmp);
}

/* Working state of one heft_select() call. */
typedef struct sel_ctx {
    const float *label;
    const uint64_t *group;
    const float *score;
    size_t n;
    const heft_select_opts *o;
    uint8_t *keep; /* (n,) 1 = chosen */
    double *w;     /* (n,) selection weight of chosen rows */
} sel_ctx;

/* Whether row i takes part in the ranking: not dropped and, in negatives
 * mode, a negative. */
static int eligible(const sel_ctx *c, size_t i)
{
    return !(c->o->drop && c->o->drop[i]) &&
           !(c->o->mode == HEFT_SELECT_NEGATIVES && c->label[i] > 0);
}

/* Dense ids of the eligible rows' groups, in ascending group order, into
 * gid (n,): a stable radix sort of (group, row). */
static heft_status dense_groups(const sel_ctx *c, sel_item *a, sel_item *b,
                                uint32_t *gid)
{
    size_t m = 0;
    for (size_t i = 0; i < c->n; i++)
        if (eligible(c, i))
            a[m++] = (sel_item){c->group[i], i};
    const sel_item *s = radix_sort(a, b, m);
    uint32_t id = 0;
    for (size_t k = 0; k < m; k++) {
        if (k && s[k].key != s[k - 1].key) {
            if (id == UINT32_MAX / 2)
                return HEFT_ERANGE;
            id++;
        }
        gid[s[k].row] = id;
    }
    return HEFT_OK;
}

/* The eligible rows as items sorted by (stratum, rank, row): *out is one
 * of the two buffers (the caller frees both). */
static heft_status make_items(const sel_ctx *c, sel_item *a, sel_item *b,
                              sel_item **out, size_t *m)
{
    const heft_select_opts *o = c->o;
    const int by_score = o->mode == HEFT_SELECT_KEEP ||
                         o->mode == HEFT_SELECT_DROP;
    uint32_t *gid = NULL;
    if (o->stratify & HEFT_STRATIFY_GROUP) {
        gid = heft__malloc(c->n ? c->n : 1, sizeof *gid);
        heft_status st = gid ? dense_groups(c, a, b, gid) : HEFT_ENOMEM;
        if (st != HEFT_OK) {
            free(gid);
            return st;
        }
    }
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (!eligible(c, i))
            continue;
        uint64_t stratum = gid ? (uint64_t)gid[i] : 0;
        if (o->stratify & HEFT_STRATIFY_LABEL)
            stratum = 2 * stratum + (c->label[i] > 0);
        /* Highest score first; random modes: the hash of (seed, row). */
        const uint32_t rank =
            by_score ? ~float_order(c->score[i])
            : o->mode == HEFT_SELECT_IMPORTANCE
                ? 0
                : (uint32_t)(heft__select_u01(o->seed, i) * 4294967296.0);
        a[k++] = (sel_item){stratum << 32 | rank, i};
    }
    free(gid);
    *out = radix_sort(a, b, k);
    *m = k;
    return HEFT_OK;
}

/* keep, drop, random, negatives: the top quota of every stratum. */
static void choose_ranked(sel_ctx *c, const sel_item *it, size_t m,
                          sel_stratum *s, size_t ns)
{
    const heft_select_opts *o = c->o;
    const double share =
        o->mode == HEFT_SELECT_NEGATIVES ? o->neg_rate : o->fraction;
    apportion(s, ns, share, m);
    for (size_t j = 0; j < ns; j++) {
        const size_t k = o->mode == HEFT_SELECT_DROP ? s[j].size - s[j].quota
                                                     : s[j].quota;
        for (size_t r = 0; r < k; r++) {
            c->keep[it[s[j].start + r].row] = 1;
            c->w[it[s[j].start + r].row] = 1.0;
        }
    }
    if (o->mode == HEFT_SELECT_NEGATIVES)
        for (size_t i = 0; i < c->n; i++)
            if (c->label[i] > 0 && !(o->drop && o->drop[i])) {
                c->keep[i] = 1;
                c->w[i] = 1.0;
            }
}

/* importance: per stratum, p_i from the importances, kept when the row's
 * uniform draw falls below p_i, weighted 1/p_i. */
static heft_status choose_importance(sel_ctx *c, const sel_item *it,
                                     size_t m, const sel_stratum *s,
                                     size_t ns)
{
    float *sc = heft__malloc(m ? m : 1, sizeof *sc);
    double *imp = heft__malloc(m ? m : 1, sizeof *imp);
    double *p = heft__malloc(m ? m : 1, sizeof *p);
    if (!sc || !imp || !p) {
        free(sc);
        free(imp);
        free(p);
        return HEFT_ENOMEM;
    }
    for (size_t k = 0; k < m; k++)
        sc[k] = c->score[it[k].row];
    heft__select_importance(sc, m, imp);
    for (size_t j = 0; j < ns; j++)
        heft__select_probs(imp + s[j].start, s[j].size, c->o->fraction,
                           c->o->floor, p + s[j].start);
    for (size_t k = 0; k < m; k++) {
        const uint64_t r = it[k].row;
        if (p[k] > 0 && heft__select_u01(c->o->seed, r) < p[k]) {
            c->keep[r] = 1;
            c->w[r] = 1.0 / p[k];
        }
    }
    free(sc);
    free(imp);
    free(p);
    return HEFT_OK;
}

/* Runs the mode of c->o, filling c->keep and c->w. */
static heft_status choose(sel_ctx *c)
{
    const heft_select_opts *o = c->o;
    if (o->mode == HEFT_SELECT_ALL || o->mode == HEFT_SELECT_THRESHOLD) {
        for (size_t i = 0; i < c->n; i++) {
            if ((o->drop && o->drop[i]) ||
                (o->mode == HEFT_SELECT_THRESHOLD &&
                 !((double)c->score[i] >= o->threshold)))
                continue;
            c->keep[i] = 1;
            c->w[i] = 1.0;
        }
        return HEFT_OK;
    }
    sel_item *a = heft__malloc(c->n ? c->n : 1, sizeof *a);
    sel_item *b = heft__malloc(c->n ? c->n : 1, sizeof *b);
    sel_item *it = NULL;
    sel_stratum *s = NULL;
    size_t m = 0, ns = 0;
    heft_status st = a && b ? make_items(c, a, b, &it, &m) : HEFT_ENOMEM;
    if (st == HEFT_OK)
        st = find_strata(it, m, &s, &ns);
    if (st == HEFT_OK) {
        if (o->mode == HEFT_SELECT_IMPORTANCE)
            st = choose_importance(c, it, m, s, ns);
        else
            choose_ranked(c, it, m, s, ns);
    }
    free(a);
    free(b);
    free(s);
    return st;
}

/* reweight: multiplies the chosen rows' weights by clip(c I_i). */
static heft_status reweight(sel_ctx *c, heft_selection *sel)
{
    const size_t k = sel->n;
    float *sc = heft__malloc(k ? k : 1, sizeof *sc);
    double *imp = heft__malloc(k ? k : 1, sizeof *imp);
    double *w = heft__malloc(k ? k : 1, sizeof *w);
    heft_status st = sc && imp && w ? HEFT_OK : HEFT_ENOMEM;
    if (st == HEFT_OK) {
        for (size_t j = 0; j < k; j++)
            sc[j] = c->score[sel->rows[j]];
        heft__select_importance(sc, k, imp);
        heft__select_weights(imp, k, c->o->weight_min, c->o->weight_max, w);
        for (size_t j = 0; j < k; j++)
            sel->weight[j] = (float)((double)sel->weight[j] * w[j]);
    }
    free(sc);
    free(imp);
    free(w);
    return st;
}

/* Gathers the chosen rows ascending into sel. */
static heft_status collect(const sel_ctx *c, heft_selection *sel)
{
    size_t k = 0, neg_in = 0, neg_kept = 0;
    for (size_t i = 0; i < c->n; i++) {
        k += c->keep[i];
        sel->n_dropped += c->o->drop && c->o->drop[i];
        if (!(c->label[i] > 0) && !(c->o->drop && c->o->drop[i])) {
            neg_in++;
            neg_kept += c->keep[i];
        }
    }
    sel->rows = heft__malloc(k ? k : 1, sizeof *sel->rows);
    sel->weight = heft__malloc(k ? k : 1, sizeof *sel->weight);
    if (!sel->rows || !sel->weight)
        return HEFT_ENOMEM;
    for (size_t i = 0, j = 0; i < c->n; i++)
        if (c->keep[i]) {
            sel->rows[j] = i;
            sel->weight[j++] = (float)c->w[i];
        }
    sel->n = k;
    sel->neg_rate = 1.0;
    if (c->o->mode == HEFT_SELECT_NEGATIVES)
        sel->neg_rate = neg_in ? (double)neg_kept / (double)neg_in
                               : c->o->neg_rate;
    return HEFT_OK;
}

/* Checks the arrays heft_select() is given. */
static heft_status check_inputs(const float *label, const uint64_t *group,
                                size_t n, const float *score,
                                const heft_select_opts *o, heft_error *err)
{
    if (!label && n)
        return BAD("heft_select: labels are required");
    if ((o->stratify & HEFT_STRATIFY_GROUP) && !group)
        return BAD("stratifying by group needs a group column (--group)");
    if (needs_score(o))
        for (size_t i = 0; i < n; i++)
            if (!isfinite(score[i]))
                return BAD("the score of row %zu is not a finite number "
                           "(%g)", i, (double)score[i]);
    return HEFT_OK;
}

heft_status heft_select(const float *label, const uint64_t *group, size_t n,
                        const float *score, const heft_select_opts *o,
                        heft_selection **out, heft_error *err)
{
    if (!out)
        return BAD("heft_select: out is NULL");
    *out = NULL;
    heft_status st = heft_select_opts_check(o, score != NULL, err);
    if (st == HEFT_OK)
        st = check_inputs(label, group, n, score, o, err);
    if (st != HEFT_OK)
        return st;
    sel_ctx c = {label, group, score, n, o, NULL, NULL};
    heft_selection *sel = heft__calloc(1, sizeof *sel);
    c.keep = heft__calloc(n ? n : 1, 1);
    c.w = heft__calloc(n ? n : 1, sizeof *c.w);
    st = sel && c.keep && c.w ? choose(&c) : HEFT_ENOMEM;
    if (st == HEFT_OK)
        st = collect(&c, sel);
    if (st == HEFT_OK && o->reweight)
        st = reweight(&c, sel);
    free(c.keep);
    free(c.w);
    if (st != HEFT_OK) {
        heft_selection_free(sel);
        return st == HEFT_ERANGE
                   ? heft__err(err, st, NULL, 0, 0,
                               "too many groups to stratify by")
                   : heft__err(err, st, NULL, 0, 0,
                               "out of memory selecting among %zu rows", n);
    }
    sel->n_in = n;
    sel->all_weights_one = 1;
    for (size_t j = 0; j < sel->n; j++)
        if (sel->weight[j] != 1.0f)
            sel->all_weights_one = 0;
    *out = sel;
    return HEFT_OK;
}
