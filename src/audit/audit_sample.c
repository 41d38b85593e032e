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
 * - With segment keys (heft_audit_segment_keys, e.g. country or device),
 *   the strata are (segment, label) pairs, or (segment of the group's
 *   first row, has a positive) with groups, so every segment keeps its
 *   share of the pool too. Stratum s of c_s pool rows gets q_s = floor(n
 *   c_s / m) rows plus one for the n - sum floor largest remainders (ties
 *   to the earlier stratum: strata run by segment, positives first, so
 *   without segments this is round-half-up of the positives' share, as
 *   above).
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

typedef struct rem {
    double frac;
    size_t s;
} rem;

static int cmp_rem(const void *x, const void *y)
{
    const rem *a = x, *b = y;
    if (a->frac != b->frac)
        return a->frac < b->frac ? 1 : -1; /* largest first */
    return (a->s > b->s) - (a->s < b->s);  /* then the earlier stratum */
}

/* Largest-remainder shares of n over k strata of cnt[] rows (sum m >= n):
 * q[s] = floor(n cnt[s] / m), and one more for the n - sum q strata with
 * the largest remainders (ties to the earlier stratum). */
static heft_status quotas(const size_t *cnt, size_t k, size_t m, size_t n,
                          size_t *q)
{
    rem *f = heft__malloc(k ? k : 1, sizeof *f);
    if (!f)
        return HEFT_ENOMEM;
    size_t given = 0;
    for (size_t s = 0; s < k; s++) {
        const double x = (double)n * (double)cnt[s] / (double)m;
        q[s] = (size_t)x;
        q[s] = q[s] > cnt[s] ? cnt[s] : q[s];
        f[s] = (rem){x - (double)q[s], s};
        given += q[s];
    }
    qsort(f, k, sizeof *f, cmp_rem);
    for (size_t j = 0; j < k && given < n; j++)
        if (q[f[j].s] < cnt[f[j].s]) {
            q[f[j].s]++;
            given++;
        }
    free(f);
    return HEFT_OK;
}

typedef struct srow {
    uint64_t seg, lab, row;
} srow;

static int cmp_srow(const void *x, const void *y)
{
    const srow *a = x, *b = y;
    if (a->seg != b->seg)
        return (a->seg > b->seg) - (a->seg < b->seg);
    if (a->lab != b->lab) /* positives first */
        return (a->lab < b->lab) - (a->lab > b->lab);
    return (a->row > b->row) - (a->row < b->row);
}

/* Without groups: exact shares of the (segment, label) strata of the
 * pool (seg NULL: one segment, so by label only); each stratum's share is
 * drawn uniformly without replacement from its rows in row order. */
static heft_status by_strata(const heft_dataset *te, const uint8_t *leak,
                             const uint64_t *seg, size_t n, heft__rng *r,
                             uint64_t *out)
{
    const size_t nr = te->n_rows;
    srow *v = heft__malloc(nr ? nr : 1, sizeof *v);
    uint64_t *rows = heft__malloc(nr ? nr : 1, sizeof *rows);
    size_t *cnt = heft__malloc(2 * (nr ? nr : 1), sizeof *cnt);
    if (!v || !rows || !cnt) {
        free(v);
        free(rows);
        free(cnt);
        return HEFT_ENOMEM;
    }
    size_t m = 0, k = 0;
    for (uint64_t i = 0; i < nr; i++)
        if (!leak[i])
            v[m++] = (srow){seg ? seg[i] : 0, te->label[i] > 0, i};
    qsort(v, m, sizeof *v, cmp_srow);
    for (size_t i = 0; i < m; k++) { /* runs: the strata */
        size_t e = i;
        while (e < m && v[e].seg == v[i].seg && v[e].lab == v[i].lab)
            e++;
        cnt[k] = e - i;
        i = e;
    }
    size_t *q = cnt + k;
    const heft_status st = quotas(cnt, k, m, n, q);
    size_t at = 0, got = 0;
    for (size_t s = 0; st == HEFT_OK && s < k; s++) {
        for (size_t j = 0; j < cnt[s]; j++)
            rows[j] = v[at + j].row;
        draw(r, rows, cnt[s], q[s], out + got);
        got += q[s];
        at += cnt[s];
    }
    free(v);
    free(rows);
    free(cnt);
    return st;
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

/* The stratum of each group (its first row's segment, or 0 without
 * segments, and whether it has a positive row: the strata are the
 * distinct pairs in cmp_srow order) into st[0..ng), and each stratum's
 * pool rows into cnt; returns the number of strata in *k. */
static heft_status group_strata(const heft_dataset *te, const grow *g,
                                const uint64_t *start, size_t ng,
                                const uint64_t *seg, uint64_t *st,
                                size_t *cnt, size_t *k)
{
    srow *key = heft__malloc(ng ? ng : 1, sizeof *key);
    if (!key)
        return HEFT_ENOMEM;
    for (size_t gi = 0; gi < ng; gi++) {
        int p = 0;
        for (uint64_t j = start[gi]; j < start[gi + 1]; j++)
            p |= te->label[g[j].row] > 0;
        key[gi] = (srow){seg ? seg[g[start[gi]].row] : 0, (uint64_t)p, gi};
    }
    qsort(key, ng, sizeof *key, cmp_srow);
    size_t ns = 0;
    for (size_t j = 0; j < ng; j++) {
        if (j == 0 || key[j].seg != key[j - 1].seg ||
            key[j].lab != key[j - 1].lab)
            cnt[ns++] = 0;
        st[key[j].row] = ns - 1;
        cnt[ns - 1] += (size_t)(start[key[j].row + 1] - start[key[j].row]);
    }
    free(key);
    *k = ns;
    return HEFT_OK;
}

/* Takes groups in the order ord: first those that fit their stratum's
 * quota q (taken[] counts rows), then any left that still fits within n;
 * a taken group's stratum becomes SIZE_MAX in st. Rows into out. */
static void take_groups(const grow *g, const uint64_t *start, uint64_t *st,
                        const uint64_t *ord, size_t ng, size_t n,
                        const size_t *q, size_t *taken, uint64_t *out,
                        size_t *got)
{
    for (int pass = 0; pass < 2; pass++)
        for (size_t k = 0; k < ng && (pass == 0 || *got < n); k++) {
            const uint64_t gi = ord[k];
            const size_t sz = (size_t)(start[gi + 1] - start[gi]);
            if (st[gi] == UINT64_MAX ||
                (pass == 0 ? taken[st[gi]] + sz > q[st[gi]] : *got + sz > n))
                continue;
            for (uint64_t j = start[gi]; j < start[gi + 1]; j++)
                out[(*got)++] = g[j].row;
            if (pass == 0)
                taken[st[gi]] += sz;
            st[gi] = UINT64_MAX;
        }
}

/* Whole groups of the pool rows g[0..m) (sorted by group), stratified by
 * group_strata(); *got rows into out. */
static heft_status by_group(const heft_dataset *te, const grow *g, size_t m,
                            size_t n, const uint64_t *seg, heft__rng *r,
                            uint64_t *out, size_t *got)
{
    uint64_t *start = heft__malloc(3 * m + 3, sizeof *start);
    size_t *cnt = heft__malloc(3 * (m + 1), sizeof *cnt);
    heft_status rc = start && cnt ? HEFT_OK : HEFT_ENOMEM;
    size_t ng = 0, k = 0;
    for (size_t i = 0; rc == HEFT_OK && i < m; ng++) {
        size_t e = i;
        while (e < m && g[e].group == g[i].group)
            e++;
        start[ng] = i;
        i = e;
    }
    /* start (ng + 1,), then st (ng,) and ord (ng,) in the same block. */
    uint64_t *st = start + ng + 1, *ord = st + ng;
    if (rc == HEFT_OK) {
        start[ng] = m;
        rc = group_strata(te, g, start, ng, seg, st, cnt, &k);
    }
    size_t *q = cnt + k, *taken = q + k;
    if (rc == HEFT_OK)
        rc = quotas(cnt, k, m, n, q);
    *got = 0;
    if (rc == HEFT_OK) {
        for (size_t j = 0; j < k; j++)
            taken[j] = 0;
        for (size_t j = 0; j < ng; j++)
            ord[j] = j;
        heft__rng_shuffle_u64(r, ord, ng);
        take_groups(g, start, st, ord, ng, n, q, taken, out, got);
    }
    free(start);
    free(cnt);
    return rc;
}

static heft_status group_sample(const heft_audit *a, const heft_dataset *te,
                                size_t n, const uint64_t *seg, heft__rng *r,
                                uint64_t *out, size_t *got)
{
    const size_t nr = te->n_rows;
    grow *g = heft__malloc(nr ? nr : 1, sizeof *g);
    if (!g)
        return HEFT_ENOMEM;
    size_t m = 0;
    for (uint64_t i = 0; i < nr; i++)
        if (!a->test_leak[i])
            g[m++] = (grow){te->group[i], i};
    qsort(g, m, sizeof *g, cmp_grow);
    const heft_status st = by_group(te, g, m, n, seg, r, out, got);
    free(g);
    return st;
}

heft_status heft_audit_make_test(const heft_audit *a, const heft_dataset *test,
                                 const uint64_t *segment, size_t n,
                                 uint64_t seed, uint64_t **rows,
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
    if (!out)
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "out of memory");
    heft__rng r;
    heft__rng_seed(&r, seed);
    size_t got = n;
    const heft_status st =
        test->group ? group_sample(a, test, n, segment, &r, out, &got)
                    : by_strata(test, a->test_leak, segment, n, &r, out);
    if (st != HEFT_OK) {
        free(out);
        return heft__err(err, st, NULL, 0, 0, "out of memory");
    }
    qsort(out, got, sizeof *out, cmp_u64);
    *rows = out;
    *n_rows = got;
    return HEFT_OK;
}
