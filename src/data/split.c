/*
 * split.c: assigns rows to train (0), valid (1) and test (2).
 *
 * random  Stratified by label: the rows of each class (label > 0 and
 *         label <= 0) are shuffled with the seed and cut so that each part
 *         gets round(n_class * fraction) of the class; every part keeps the
 *         label rate to within one row per class.
 * time    Rows sorted by time (ties by row number): the oldest go to train,
 *         then valid, the newest to test. Needs a time column.
 * group   Distinct group ids are shuffled with the seed and whole groups
 *         handed to test, then valid, until each has its share of rows;
 *         the rest train. No group is in two parts. Needs a group column.
 */
#include "dataset.h"

#include <math.h>
#include <stdlib.h>

heft_split_opts heft_split_opts_default(void)
{
    heft_split_opts o;
    memset(&o, 0, sizeof o);
    o.by = HEFT_SPLIT_RANDOM;
    o.test = 0.2;
    o.valid = 0;
    o.seed = 1;
    return o;
}

static heft_status check_opts(const heft_split_opts *o, heft_error *err)
{
    if (o->by != HEFT_SPLIT_RANDOM && o->by != HEFT_SPLIT_TIME &&
        o->by != HEFT_SPLIT_GROUP)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "split method %d is not random, time or group",
                         (int)o->by);
    if (!(o->test >= 0 && o->test <= 1) || !(o->valid >= 0 && o->valid <= 1) ||
        o->test + o->valid > 1)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "split fractions test=%g valid=%g: each must be in "
                         "[0, 1] and together at most 1",
                         o->test, o->valid);
    return HEFT_OK;
}

/* Rows idx[0..n) in their final order: the first n_train go to train, the
 * next n_valid to valid, the rest to test. */
static void cut(const uint64_t *idx, size_t n, size_t n_valid, size_t n_test,
                uint8_t *part)
{
    size_t n_train = n - n_valid - n_test;
    for (size_t i = 0; i < n; i++)
        part[idx[i]] = i < n_train ? 0 : i < n_train + n_valid ? 1 : 2;
}

/* Rounded share of n, never more than left. */
static size_t share(size_t n, double frac, size_t left)
{
    double x = floor((double)n * frac + 0.5);
    size_t k = x > (double)n ? n : (size_t)x;
    return k > left ? left : k;
}

static heft_status split_random(const heft_dataset *ds,
                                const heft_split_opts *o, uint8_t *part,
                                heft_error *err)
{
    size_t n = (size_t)ds->n_rows;
    uint64_t *idx = heft__malloc(n ? n : 1, sizeof *idx);
    if (!idx)
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "out of memory");
    /* Positives first, then the rest, each in row order before shuffling. */
    size_t n_pos = 0;
    for (size_t i = 0; i < n; i++)
        if (ds->label[i] > 0)
            idx[n_pos++] = i;
    size_t k = n_pos;
    for (size_t i = 0; i < n; i++)
        if (!(ds->label[i] > 0))
            idx[k++] = i;
    const size_t start[2] = {0, n_pos}, len[2] = {n_pos, n - n_pos};
    for (int c = 0; c < 2; c++) {
        heft__rng rng;
        heft__rng_seed(&rng, heft__seed_mix(o->seed, (uint64_t)c));
        heft__rng_shuffle_u64(&rng, idx + start[c], len[c]);
        size_t nt = share(len[c], o->test, len[c]);
        size_t nv = share(len[c], o->valid, len[c] - nt);
        cut(idx + start[c], len[c], nv, nt, part);
    }
    free(idx);
    return HEFT_OK;
}

typedef struct keyed {
    double t;
    uint64_t row;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

static heft_status split_time(const heft_dataset *ds, const heft_split_opts *o,
                              uint8_t *part, heft_error *err)
{
    size_t n = (size_t)ds->n_rows;
    if (!ds->time)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "a time split needs a time column; this dataset "
                         "has none (set the time column when reading)");
    for (size_t i = 0; i < n; i++)
        if (isnan(ds->time[i]))
            return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                             "row %zu has no time (NaN); a time split needs "
                             "a time on every row",
                             i);
    keyed *k = heft__malloc(n ? n : 1, sizeof *k);
    uint64_t *idx = heft__malloc(n ? n : 1, sizeof *idx);
    if (!k || !idx) {
        free(k);
        free(idx);
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        k[i] = (keyed){ds->time[i], i};
    qsort(k, n, sizeof *k, cmp_keyed);
    for (size_t i = 0; i < n; i++)
        idx[i] = k[i].row;
    free(k);
    size_t nt = share(n, o->test, n);
    size_t nv = share(n, o->valid, n - nt);
    cut(idx, n, nv, nt, part);
    free(idx);
    return HEFT_OK;
}

typedef struct grouped {
    uint64_t group, row;
} grouped;

static int cmp_grouped(const void *a, const void *b)
{
    const grouped *x = a, *y = b;
    if (x->group != y->group)
        return x->group < y->group ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

/* Sorts rows by group and returns the start of each run of one group in
 * starts[0..*n_groups] (starts[n_groups] = n). */
static heft_status group_runs(const heft_dataset *ds, grouped **gr,
                              uint64_t **starts, size_t *n_groups)
{
    size_t n = (size_t)ds->n_rows;
    grouped *g = heft__malloc(n ? n : 1, sizeof *g);
    uint64_t *s = heft__malloc(n + 1, sizeof *s);
    if (!g || !s) {
        free(g);
        free(s);
        return HEFT_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        g[i] = (grouped){ds->group[i], i};
    qsort(g, n, sizeof *g, cmp_grouped);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || g[i].group != g[i - 1].group)
            s[m++] = i;
    s[m] = n;
    *gr = g;
    *starts = s;
    *n_groups = m;
    return HEFT_OK;
}

static heft_status split_group(const heft_dataset *ds,
                               const heft_split_opts *o, uint8_t *part,
                               heft_error *err)
{
    if (!ds->group)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "a group split needs a group column; this dataset "
                         "has none (set the group column when reading)");
    size_t n = (size_t)ds->n_rows, m = 0;
    grouped *g = NULL;
    uint64_t *starts = NULL;
    uint64_t *order = NULL;
    if (group_runs(ds, &g, &starts, &m) != HEFT_OK ||
        !(order = heft__malloc(m ? m : 1, sizeof *order))) {
        free(g);
        free(starts);
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "out of memory");
    }
    for (size_t j = 0; j < m; j++)
        order[j] = j;
    heft__rng rng;
    heft__rng_seed(&rng, heft__seed_mix(o->seed, 2));
    heft__rng_shuffle_u64(&rng, order, m);
    /* Targets in rows; a part takes groups while it is below its target,
     * so it overshoots by less than one group. */
    size_t want[3] = {0, share(n, o->valid, n), share(n, o->test, n)};
    size_t have[3] = {0, 0, 0};
    for (size_t j = 0; j < m; j++) {
        uint64_t a = starts[order[j]], b = starts[order[j] + 1];
        uint8_t p = have[2] < want[2] ? 2 : have[1] < want[1] ? 1 : 0;
        have[p] += (size_t)(b - a);
        for (uint64_t r = a; r < b; r++)
            part[g[r].row] = p;
    }
    free(g);
    free(starts);
    free(order);
    return HEFT_OK;
}

heft_status heft_split_assign(const heft_dataset *ds,
                              const heft_split_opts *o, uint8_t *part,
                              heft_error *err)
{
    if (!ds || !o || (!part && ds->n_rows))
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "dataset, options or part array is NULL");
    heft_status st = check_opts(o, err);
    if (st != HEFT_OK)
        return st;
    switch (o->by) {
    case HEFT_SPLIT_TIME:
        return split_time(ds, o, part, err);
    case HEFT_SPLIT_GROUP:
        return split_group(ds, o, part, err);
    default:
        return split_random(ds, o, part, err);
    }
}
