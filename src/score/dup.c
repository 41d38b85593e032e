/*
 * dup.c: exact duplicate rows, and duplicates whose labels disagree.
 *
 * Two rows are duplicates when their multisets of (feature id, value) pairs
 * are equal: the order of the nonzeros does not matter, -0 equals +0, and a
 * pair that appears twice counts twice. A group with two different labels
 * is a conflict: at least one of its rows is mislabelled, or the features
 * cannot tell the classes apart.
 *
 * Method: the canonical form of a row is its pairs packed as
 * feat << 32 | value bits and sorted (two stable radix passes, value then
 * feature). Rows are hashed (heft__hash_bytes over the canonical form, in
 * parallel), then put in order into an open-addressing table keyed by the
 * hash; a hash match is confirmed by comparing canonical forms, so the
 * groups are exact whatever the hash does. Group ids follow the order of
 * first appearance. Cost O(nnz log(row length)) plus O(n) table work.
 */
#include "score.h"

#include <math.h>
#include <stdlib.h>

#define DUP_SEED 0x6475706cu /* "dupl" */

static uint32_t val_bits(float v)
{
    if (v == 0.0f)
        v = 0.0f; /* one representation for -0 and +0 */
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

/* Writes the canonical form of row i to s (len,); tmp (len,) is scratch. */
static void canonical(const heft__rows *r, uint64_t i, uint64_t *s,
                      uint64_t *tmp)
{
    const uint64_t b = r->row_ptr[i], len = r->row_ptr[i + 1] - b;
    for (uint64_t k = 0; k < len; k++)
        s[k] = (uint64_t)val_bits(r->val[b + k]) << 32 | r->feat[b + k];
    heft__score_sort(s, tmp, len);
    for (uint64_t k = 0; k < len; k++)
        s[k] = s[k] << 32 | s[k] >> 32;
    heft__score_sort(s, tmp, len);
}

typedef struct dup_ctx {
    const heft__rows *r;
    uint64_t *hash;     /* (n,) */
    uint64_t **scratch; /* per thread, 2 * longest row */
} dup_ctx;

static void hash_task(void *ctx, int t, int nt)
{
    const dup_ctx *c = ctx;
    uint64_t *s = c->scratch[t];
    for (uint64_t i = (uint64_t)t; i < c->r->n_rows; i += (uint64_t)nt) {
        const uint64_t len = c->r->row_ptr[i + 1] - c->r->row_ptr[i];
        canonical(c->r, i, s, s + len);
        c->hash[i] = heft__hash_bytes(s, len * sizeof *s, DUP_SEED);
    }
}

/* Whether rows a and b hold the same multiset; s (4 * longest row,) is
 * scratch. */
static int rows_equal(const heft__rows *r, uint64_t a, uint64_t b,
                      uint64_t *s)
{
    const uint64_t la = r->row_ptr[a + 1] - r->row_ptr[a];
    if (la != r->row_ptr[b + 1] - r->row_ptr[b])
        return 0;
    const uint64_t pa = r->row_ptr[a], pb = r->row_ptr[b];
    if (!memcmp(r->feat + pa, r->feat + pb, la * sizeof *r->feat) &&
        !memcmp(r->val + pa, r->val + pb, la * sizeof *r->val))
        return 1; /* the common case: stored identically */
    canonical(r, a, s, s + 2 * la);
    canonical(r, b, s + la, s + 2 * la);
    return !memcmp(s, s + la, la * sizeof *s);
}

static heft_status dup_check(const heft__rows *r, const float *label,
                             uint64_t *maxlen, heft_error *err)
{
    if (!r || !r->row_ptr)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "duplicates: missing rows");
    if (r->n_rows >= UINT32_MAX)
        return heft__err(err, HEFT_ERANGE, NULL, 0, 0,
                         "duplicates: %llu rows, at most %u supported",
                         (unsigned long long)r->n_rows, UINT32_MAX - 1);
    *maxlen = 1;
    for (uint64_t i = 0; i < r->n_rows; i++) {
        if (r->row_ptr[i + 1] < r->row_ptr[i])
            return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                             "duplicates: row %llu: row_ptr decreases",
                             (unsigned long long)i + 1);
        if (r->row_ptr[i + 1] - r->row_ptr[i] > *maxlen)
            *maxlen = r->row_ptr[i + 1] - r->row_ptr[i];
        for (uint64_t k = r->row_ptr[i]; k < r->row_ptr[i + 1]; k++)
            if (isnan(r->val[k]))
                return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                                 "duplicates: row %llu, nonzero %llu: value "
                                 "is NaN", (unsigned long long)i + 1,
                                 (unsigned long long)(k - r->row_ptr[i] + 1));
        if (label && isnan(label[i]))
            return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                             "duplicates: row %llu: label is NaN",
                             (unsigned long long)i + 1);
    }
    return HEFT_OK;
}

/* Assigns groups in row order. rep (n,) and ghash (n,) describe groups;
 * table (mask+1,) holds group id + 1 per slot, 0 when empty. */
static uint64_t assign_groups(const heft__rows *r, const uint64_t *hash,
                              uint32_t *table, uint64_t mask, uint32_t *rep,
                              uint32_t *gid, uint64_t *s)
{
    uint64_t ng = 0;
    for (uint64_t i = 0; i < r->n_rows; i++) {
        uint64_t slot = hash[i] & mask;
        for (;; slot = (slot + 1) & mask) {
            const uint32_t g = table[slot];
            if (g == 0) {
                table[slot] = (uint32_t)ng + 1;
                rep[ng] = (uint32_t)i;
                gid[i] = (uint32_t)ng++;
                break;
            }
            if (hash[rep[g - 1]] == hash[i] && rows_equal(r, rep[g - 1], i, s)) {
                gid[i] = g - 1;
                break;
            }
        }
    }
    return ng;
}

heft_status heft__dup_rows(const heft__rows *rows, const float *label,
                           int threads, uint32_t *group, uint32_t *size,
                           uint8_t *conflict, uint64_t *n_groups,
                           heft_error *err)
{
    uint64_t maxlen = 1;
    heft_status st = dup_check(rows, label, &maxlen, err);
    if (st != HEFT_OK)
        return st;
    const uint64_t n = rows->n_rows;
    int nt = heft__threads(threads);
    if ((uint64_t)nt > n)
        nt = n ? (int)n : 1;
    uint64_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    dup_ctx c = {rows, heft__malloc(n ? n : 1, sizeof(uint64_t)),
                 heft__calloc((size_t)nt, sizeof(uint64_t *))};
    uint32_t *table = heft__calloc(cap, sizeof *table);
    uint32_t *rep = heft__malloc(n ? n : 1, sizeof *rep);
    uint32_t *gid = heft__malloc(n ? n : 1, sizeof *gid);
    uint32_t *gsize = heft__calloc(n ? n : 1, sizeof *gsize);
    uint8_t *gconf = heft__calloc(n ? n : 1, 1);
    int ok = c.hash && c.scratch && table && rep && gid && gsize && gconf;
    for (int t = 0; ok && t < nt; t++)
        ok = (c.scratch[t] = heft__malloc(4 * maxlen, sizeof(uint64_t))) != 0;
    if (!ok) {
        st = heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "out of memory");
        goto cleanup;
    }
    (void)heft__parallel(nt, hash_task, &c);
    const uint64_t ng = assign_groups(rows, c.hash, table, cap - 1, rep, gid,
                                      c.scratch[0]);
    for (uint64_t i = 0; i < n; i++) {
        gsize[gid[i]]++;
        if (label && label[i] != label[rep[gid[i]]])
            gconf[gid[i]] = 1;
    }
    for (uint64_t i = 0; i < n; i++) {
        if (group)
            group[i] = gid[i];
        if (size)
            size[i] = gsize[gid[i]];
        if (conflict)
            conflict[i] = gconf[gid[i]];
    }
    if (n_groups)
        *n_groups = ng;
cleanup:
    for (int t = 0; c.scratch && t < nt; t++)
        free(c.scratch[t]);
    free(c.scratch);
    free(c.hash);
    free(table);
    free(rep);
    free(gid);
    free(gsize);
    free(gconf);
    return st;
}
