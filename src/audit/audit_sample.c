/*
 * audit_sample.c: a new test set of n rows drawn from the audited one,
 * free of the leakage the audit found.
 *
 * Pool: the test rows with no leak flag (not in a group shared with train,
 * not equal to a training row).
 * - Without groups: stratified by label. With P positives among M pool
 *   rows, n_pos = round(n P / M) positives and n - n_pos negatives are
 *   drawn uniformly without replacement (partial Fisher-Yates), so the
 *   label rate matches the pool's to within 1/(2n).
 * - With groups: whole groups only (no group is split, and none is shared
 *   with train). Groups form two strata, with and without a positive row;
 *   each stratum gets its share of n (by pool rows) and is filled from its
 *   groups in a seeded random order, taking every group that still fits;
 *   a second pass over the groups left, in the same order, takes any that
 *   still fits within n, whatever its stratum. The result can fall short
 *   of n only by less than the smallest group left out.
 * The same seed gives the same rows.
 */
#include "audit_int.h"

#include <stdlib.h>

static int cmp_u64(const void *x, const void *y)
{
    const uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

/* Draws k of v[0..m) into out (partial Fisher-Yates; v is permuted). */
static void draw(heft__rng *r, uint64_t *v, size_t m, size_t k, uint64_t *out)
{
    for (size_t i = 0; i < k; i++) {
        const size_t j = i + (size_t)heft__rng_below(r, m - i);
        const uint64_t t = v[i];
        v[i] = v[j];
        v[j] = t;
        out[i] = v[i];
    }
}

static size_t by_label(const heft_dataset *te, const uint8_t *leak, size_t n,
                       heft__rng *r, uint64_t *pos, uint64_t *neg,
                       uint64_t *out)
{
    size_t np = 0, nn = 0;
    for (uint64_t i = 0; i < te->n_rows; i++)
        if (!leak[i]) {
            if (te->label[i] > 0)
                pos[np++] = i;
            else
                neg[nn++] = i;
        }
    size_t kp = (size_t)((double)n * (double)np / (double)(np + nn) + 0.5);
    if (kp > np)
        kp = np;
    if (n - kp > nn)
        kp = n - nn;
    draw(r, pos, np, kp, out);
    draw(r, neg, nn, n - kp, out + kp);
    return n;
}

typedef struct grow {
    uint64_t group, row;
} grow;

static int cmp_grow(const void *x, const void *y)
{
    const grow *a = x, *b = y;
    if (a->group != b->group)
        return (a->group > b->group) - (a->group < b->group);
    return (a->row > b->row) - (a->row < b->row);
}

/* Whole groups of the pool rows g[0..m) (sorted by group), two strata. */
static size_t by_group(const heft_dataset *te, grow *g, size_t m, size_t n,
                       heft__rng *r, uint64_t *start, uint64_t *out)
{
    size_t ng = 0, rows_pos = 0;
    uint64_t *has_pos = start + m + 1; /* (groups,) flags, after start */
    for (size_t i = 0; i < m; ng++) {
        size_t e = i;
        int p = 0;
        while (e < m && g[e].group == g[i].group)
            p |= te->label[g[e++].row] > 0;
        start[ng] = i;
        has_pos[ng] = (uint64_t)p;
        rows_pos += p ? e - i : 0;
        i = e;
    }
    start[ng] = m;
    uint64_t *order = has_pos + m; /* (groups,) */
    for (size_t k = 0; k < ng; k++)
        order[k] = k;
    heft__rng_shuffle_u64(r, order, ng);
    size_t quota[2];
    quota[1] = (size_t)((double)n * (double)rows_pos / (double)m + 0.5);
    quota[0] = n - quota[1];
    size_t got = 0, taken[2] = {0, 0};
    for (size_t k = 0; k < ng; k++) {
        const uint64_t gi = order[k];
        const int s = (int)has_pos[gi];
        const size_t sz = (size_t)(start[gi + 1] - start[gi]);
        if (taken[s] + sz > quota[s])
            continue;
        for (uint64_t j = start[gi]; j < start[gi + 1]; j++)
            out[got++] = g[j].row;
        taken[s] += sz;
        has_pos[gi] = 2; /* taken */
    }
    /* What the strata left short: any group that still fits. */
    for (size_t k = 0; k < ng && got < n; k++) {
        const uint64_t gi = order[k];
        const size_t sz = (size_t)(start[gi + 1] - start[gi]);
        if (has_pos[gi] == 2 || got + sz > n)
            continue;
        for (uint64_t j = start[gi]; j < start[gi + 1]; j++)
            out[got++] = g[j].row;
        has_pos[gi] = 2;
    }
    return got;
}

static heft_status group_sample(const heft_audit *a, const heft_dataset *te,
                                size_t n, heft__rng *r, uint64_t *out,
                                size_t *got, heft_error *err)
{
    const size_t nr = te->n_rows;
    grow *g = heft__malloc(nr ? nr : 1, sizeof *g);
    uint64_t *work = heft__malloc(3 * nr + 2, sizeof *work);
    if (!g || !work) {
        free(g);
        free(work);
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "out of memory");
    }
    size_t m = 0;
    for (uint64_t i = 0; i < nr; i++)
        if (!a->test_leak[i])
            g[m++] = (grow){te->group[i], i};
    qsort(g, m, sizeof *g, cmp_grow);
    *got = by_group(te, g, m, n, r, work, out);
    free(g);
    free(work);
    return HEFT_OK;
}

heft_status heft_audit_make_test(const heft_audit *a, const heft_dataset *test,
                                 size_t n, uint64_t seed, uint64_t **rows,
                                 size_t *n_rows, heft_error *err)
{
    if (!rows || !n_rows || !a || !test || a->test_rows != test->n_rows)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "heft_audit_make_test needs the audit of this "
                         "test set");
    *rows = NULL;
    *n_rows = 0;
    size_t clean = 0;
    for (uint64_t i = 0; i < test->n_rows; i++)
        clean += !a->test_leak[i];
    if (n == 0 || clean < n)
        return heft__err(err, HEFT_ERANGE, NULL, 0, 0,
                         "a test set of %zu rows was asked for, but the "
                         "test set has %zu rows free of leakage", n, clean);
    uint64_t *out = heft__malloc(n, sizeof *out);
    uint64_t *tmp = heft__malloc(2 * clean, sizeof *tmp);
    if (!out || !tmp) {
        free(out);
        free(tmp);
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "out of memory");
    }
    heft__rng r;
    heft__rng_seed(&r, seed);
    size_t got = n;
    heft_status st = HEFT_OK;
    if (test->group)
        st = group_sample(a, test, n, &r, out, &got, err);
    else
        by_label(test, a->test_leak, n, &r, tmp, tmp + clean, out);
    free(tmp);
    if (st != HEFT_OK) {
        free(out);
        return st;
    }
    qsort(out, got, sizeof *out, cmp_u64);
    *rows = out;
    *n_rows = got;
    return HEFT_OK;
}
