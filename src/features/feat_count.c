/*
 * feat_count.c: one pass over the rows that counts, for every field, the
 * value x label contingency table and collects the buckets it uses.
 *
 * The value of field F in row i is the multiset of buckets of the row's
 * occurrences of F (one bucket for a one-hot column, several for a
 * multi-valued one), or "absent" when the row has none. Numeric columns
 * count through their bucketised token (heft's reader emits one per value
 * unless --no-num-buckets); the numeric value itself is not part of the
 * value, so a numeric field read without buckets, or a libsvm column of
 * real values, has one value: present. The multiset is hashed without
 * regard to order (a sum of 64-bit mixes, heft__fkey_add), so two distinct
 * values share a key with probability about K^2 / 2^65 for K values.
 *
 * Fields are dealt to threads round-robin; each thread reads every row and
 * keeps only its fields' occurrences, so no table is shared or merged and
 * the tables do not depend on the thread count.
 */
#include "feat_internal.h"

#include <stdlib.h>

#define SET_EMPTY UINT32_MAX

static heft_status tab_init(heft__fvtab *t, size_t cap)
{
    t->key = heft__calloc(cap, sizeof *t->key);
    t->n0 = heft__calloc(cap, sizeof *t->n0);
    t->n1 = heft__calloc(cap, sizeof *t->n1);
    t->cap = cap;
    t->len = 0;
    return t->key && t->n0 && t->n1 ? HEFT_OK : HEFT_ENOMEM;
}

static void tab_free(heft__fvtab *t)
{
    free(t->key);
    free(t->n0);
    free(t->n1);
    memset(t, 0, sizeof *t);
}

/* Slot of key in t (the key's own slot or the empty one it would take);
 * keys are hashes already, so their top bits index the table. */
static size_t tab_slot(const heft__fvtab *t, uint64_t key)
{
    const size_t mask = t->cap - 1;
    size_t s = (size_t)(key * 0x9e3779b97f4a7c15ULL >> 20) & mask;
    while (t->key[s] && t->key[s] != key)
        s = (s + 1) & mask;
    return s;
}

static heft_status tab_grow(heft__fvtab *t)
{
    heft__fvtab g;
    if (tab_init(&g, t->cap * 2) != HEFT_OK) {
        tab_free(&g);
        return HEFT_ENOMEM;
    }
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->key[i])
            continue;
        size_t s = tab_slot(&g, t->key[i]);
        g.key[s] = t->key[i];
        g.n0[s] = t->n0[i];
        g.n1[s] = t->n1[i];
    }
    g.len = t->len;
    g.present[0] = t->present[0];
    g.present[1] = t->present[1];
    tab_free(t);
    *t = g;
    return HEFT_OK;
}

static heft_status tab_add(heft__fvtab *t, uint64_t key, int y)
{
    if ((t->len + 1) * 10 > t->cap * 7 && tab_grow(t) != HEFT_OK)
        return HEFT_ENOMEM;
    size_t s = tab_slot(t, key);
    if (!t->key[s]) {
        t->key[s] = key;
        t->len++;
    }
    if (y)
        t->n1[s]++;
    else
        t->n0[s]++;
    t->present[y]++;
    return HEFT_OK;
}

static heft_status set_init(heft__bset *b, size_t cap)
{
    b->b = heft__malloc(cap, sizeof *b->b);
    b->cap = cap;
    b->len = 0;
    if (!b->b)
        return HEFT_ENOMEM;
    memset(b->b, 0xff, cap * sizeof *b->b);
    return HEFT_OK;
}

static size_t set_slot(const heft__bset *b, uint32_t x)
{
    const size_t mask = b->cap - 1;
    size_t s = (size_t)heft__mix64(x) & mask;
    while (b->b[s] != SET_EMPTY && b->b[s] != x)
        s = (s + 1) & mask;
    return s;
}

static heft_status set_add(heft__bset *b, uint32_t x)
{
    if ((b->len + 1) * 10 > b->cap * 7) {
        heft__bset g;
        if (set_init(&g, b->cap * 2) != HEFT_OK)
            return HEFT_ENOMEM;
        for (size_t i = 0; i < b->cap; i++)
            if (b->b[i] != SET_EMPTY)
                g.b[set_slot(&g, b->b[i])] = b->b[i];
        g.len = b->len;
        free(b->b);
        *b = g;
    }
    size_t s = set_slot(b, x);
    if (b->b[s] == SET_EMPTY) {
        b->b[s] = x;
        b->len++;
    }
    return HEFT_OK;
}

/* What one thread of the pass needs. */
typedef struct count_ctx {
    const heft_dataset *ds;
    heft__fcount *c;
    heft_status st[64]; /* per thread */
} count_ctx;

/* Per-thread scratch: the key being built per field, the row that last
 * touched each field (plus one), and the fields the row touched. */
typedef struct row_acc {
    uint64_t *key, *stamp;
    unsigned *touched;
} row_acc;

static heft_status count_row(const heft_dataset *ds, heft__fcount *c,
                             uint64_t i, int t, int nt, row_acc *ra)
{
    const heft__row r = heft__ds_row(ds, i);
    const int y = ds->label[i] > 0;
    unsigned nt_f = 0;
    for (uint32_t j = 0; j < r.nnz; j++) {
        const unsigned f = r.field[j];
        if (f >= c->n_fields || (int)(f % (unsigned)nt) != t)
            continue;
        if (ra->stamp[f] != i + 1) {
            ra->stamp[f] = i + 1;
            ra->key[f] = 0;
            ra->touched[nt_f++] = f;
        }
        ra->key[f] = heft__fkey_add(ra->key[f], r.feat[j]);
        if (c->bset && set_add(&c->bset[f], r.feat[j]) != HEFT_OK)
            return HEFT_ENOMEM;
    }
    for (unsigned k = 0; c->tab && k < nt_f; k++) {
        const unsigned f = ra->touched[k];
        if (tab_add(&c->tab[f], heft__fkey_end(ra->key[f]), y) != HEFT_OK)
            return HEFT_ENOMEM;
    }
    return HEFT_OK;
}

static void count_task(void *vctx, int t, int nt)
{
    count_ctx *x = vctx;
    const unsigned nf = x->c->n_fields;
    row_acc ra = {heft__calloc(nf, sizeof *ra.key),
                  heft__calloc(nf, sizeof *ra.stamp),
                  heft__calloc(nf, sizeof *ra.touched)};
    heft_status st = ra.key && ra.stamp && ra.touched ? HEFT_OK : HEFT_ENOMEM;
    for (uint64_t i = 0; st == HEFT_OK && i < x->ds->n_rows; i++)
        st = count_row(x->ds, x->c, i, t, nt, &ra);
    free(ra.key);
    free(ra.stamp);
    free(ra.touched);
    x->st[t] = st;
}

static heft_status alloc_parts(heft__fcount *c, int want_tab, int want_bset)
{
    const unsigned nf = c->n_fields;
    if (want_tab && !(c->tab = heft__calloc(nf, sizeof *c->tab)))
        return HEFT_ENOMEM;
    if (want_bset && !(c->bset = heft__calloc(nf, sizeof *c->bset)))
        return HEFT_ENOMEM;
    for (unsigned f = 0; f < nf; f++) {
        if (want_tab && tab_init(&c->tab[f], 64) != HEFT_OK)
            return HEFT_ENOMEM;
        if (want_bset && set_init(&c->bset[f], 64) != HEFT_OK)
            return HEFT_ENOMEM;
    }
    return HEFT_OK;
}

heft_status heft__fcount_build(const heft_dataset *ds, int want_tab,
                               int want_bset, int threads, heft__fcount *out,
                               heft_error *err)
{
    memset(out, 0, sizeof *out);
    out->n_fields = ds->schema.n_fields;
    out->rows = ds->n_rows;
    for (uint64_t i = 0; i < ds->n_rows; i++)
        out->pos += ds->label[i] > 0;
    if (alloc_parts(out, want_tab, want_bset) != HEFT_OK) {
        heft__fcount_free(out);
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                         "out of memory for the field tables");
    }
    int nt = heft__threads(threads);
    if ((unsigned)nt > out->n_fields)
        nt = out->n_fields ? (int)out->n_fields : 1;
    count_ctx x = {ds, out, {HEFT_OK}};
    heft__parallel(nt, count_task, &x);
    for (int t = 0; t < nt; t++) {
        if (x.st[t] != HEFT_OK) {
            heft__fcount_free(out);
            return heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                             "out of memory counting field values");
        }
    }
    return HEFT_OK;
}

void heft__fcount_free(heft__fcount *c)
{
    for (unsigned f = 0; c->tab && f < c->n_fields; f++)
        tab_free(&c->tab[f]);
    for (unsigned f = 0; c->bset && f < c->n_fields; f++)
        free(c->bset[f].b);
    free(c->tab);
    free(c->bset);
    memset(c, 0, sizeof *c);
}
