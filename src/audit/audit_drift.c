/*
 * audit_drift.c: per-field drift and novelty between train and test.
 *
 * Every field becomes a histogram on each side, over bins fixed by train:
 * - numeric field (a column the reader took as numeric; its transformed
 *   value sits in the field's "num" bucket): B quantile bins of the train
 *   values (edges e_b = the ceil(b N / B)-th smallest train value, b =
 *   1..B-1, repeated edges merged; bin(v) = #{b : v > e_b}), plus one bin
 *   for rows without a value;
 * - categorical field: one bin per hashed token among the `top` most
 *   frequent in train (of those seen at least twice), "other" for every
 *   other token, "unseen" and "missing" for rows without a token.
 *   Multi-valued fields count every token.
 * "unseen" on the test side: tokens that no train row has. On the train
 * side: tokens that occur exactly once in train, i.e. the occurrences that
 * the rest of train has never seen (leave-one-out). Their share N1/N is
 * the Good-Turing estimate of the probability that a new draw is a
 * never-seen value (I. J. Good, "The population frequencies of species
 * and the estimation of population parameters", Biometrika 40, 1953), so
 * a random split of a high-cardinality field, where many test values are
 * new just because the field is long-tailed, shows no drift; without it
 * every ID field would "drift" by PSI > 1. The same leave-one-out count per
 * row gives each field's expected unseen share.
 * PSI and JS divergence of the two histograms (audit_stats.c) measure the
 * drift. A token is a hashed bucket, so two raw values that collide count
 * as one, and "unseen" can only be undercounted.
 *
 * Memory: one map entry per distinct (field, bucket) token of both sides
 * (a 16-byte slot at load <= 1/2) and the numeric values of every numeric field
 * (4 bytes per value), freed before returning.
 */
#include "audit_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Whether name is an entry of the comma-separated list. */
static int in_list(const char *list, const char *name)
{
    const size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, ',');
        const size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && memcmp(p, name, n) == 0)
            return 1;
        p = e ? e + 1 : NULL;
    }
    return 0;
}

/* What one pass over a side collects. */
typedef struct side_acc {
    float **vals;       /* (nf,) numeric values per field              */
    uint64_t *n_vals;   /* (nf,)                                       */
    uint64_t *present;  /* (nf,) rows with a value in the field        */
    uint64_t *unseen;   /* (nf,) test rows with an unseen token        */
    uint64_t unseen_rows;
} side_acc;

typedef struct drift_ctx {
    unsigned nf, bits;
    uint8_t *numeric;   /* (nf,) */
    uint32_t *nb;       /* (nf,) the "num" bucket of each field */
    uint64_t *stamp;    /* (nf,) last row + 1 that touched the field */
    uint64_t *ustamp;   /* (nf,) last test row + 1 unseen in the field */
    heft__amap map;
    side_acc side[2];
} drift_ctx;

/* Leave-one-out novelty of train: rows with a token that occurs once in
 * train, per field (side[0].unseen) and in any field (unseen_rows). Runs
 * after the train pass, when the counts are final. */
static void train_loo(drift_ctx *c, const heft_dataset *ds)
{
    side_acc *a = &c->side[0];
    memset(c->ustamp, 0, c->nf * sizeof *c->ustamp);
    for (uint64_t i = 0; i < ds->n_rows; i++) {
        int row_unseen = 0;
        for (uint64_t j = ds->row_ptr[i]; j < ds->row_ptr[i + 1]; j++) {
            const unsigned f = ds->field ? ds->field[j] : 0;
            if (f >= c->nf || c->numeric[f])
                continue;
            const size_t k = heft__amap_slot(
                &c->map, ((uint64_t)(f + 1) << 32) | ds->feat[j]);
            if (k == (size_t)-1 || c->map.slot[k].cnt[0] != 1)
                continue; /* (the key exists, so no allocation happens) */
            if (c->ustamp[f] != i + 1) {
                c->ustamp[f] = i + 1;
                a->unseen[f]++;
            }
            row_unseen = 1;
        }
        a->unseen_rows += (uint64_t)row_unseen;
    }
}

/* Counts the numeric values per field of ds (to size the arrays). */
static void count_values(const drift_ctx *c, const heft_dataset *ds,
                         uint64_t *n_vals)
{
    for (uint64_t j = 0; j < ds->nnz; j++) {
        const unsigned f = ds->field ? ds->field[j] : 0;
        if (f < c->nf && c->numeric[f] && ds->feat[j] == c->nb[f])
            n_vals[f]++;
    }
}

/* One categorical token of row i (side s): counts it and, on the test
 * side, marks the row unseen in field f when train never had it. */
static int cat_token(drift_ctx *c, int s, unsigned f, uint32_t feat,
                     uint64_t i, int *row_unseen)
{
    const size_t k = heft__amap_slot(&c->map, ((uint64_t)(f + 1) << 32) | feat);
    if (k == (size_t)-1)
        return -1;
    c->map.slot[k].cnt[s]++;
    if (s == 1 && c->map.slot[k].cnt[0] == 0) {
        if (c->ustamp[f] != i + 1) {
            c->ustamp[f] = i + 1;
            c->side[1].unseen[f]++;
        }
        *row_unseen = 1;
    }
    return 0;
}

/* One pass over ds as side s (train first, then test). */
static int scan_side(drift_ctx *c, const heft_dataset *ds, int s)
{
    side_acc *a = &c->side[s];
    memset(c->stamp, 0, c->nf * sizeof *c->stamp);
    memset(c->ustamp, 0, c->nf * sizeof *c->ustamp);
    memset(a->n_vals, 0, c->nf * sizeof *a->n_vals);
    for (uint64_t i = 0; i < ds->n_rows; i++) {
        int row_unseen = 0;
        for (uint64_t j = ds->row_ptr[i]; j < ds->row_ptr[i + 1]; j++) {
            const unsigned f = ds->field ? ds->field[j] : 0;
            if (f >= c->nf)
                continue;
            if (c->numeric[f]) {
                if (ds->feat[j] != c->nb[f])
                    continue; /* the value's bucketised token */
                a->vals[f][a->n_vals[f]++] = ds->val ? ds->val[j] : 1.0f;
            } else if (cat_token(c, s, f, ds->feat[j], i, &row_unseen) != 0) {
                return -1;
            }
            if (c->stamp[f] != i + 1) {
                c->stamp[f] = i + 1;
                a->present[f]++;
            }
        }
        a->unseen_rows += (uint64_t)row_unseen;
    }
    return 0;
}

static int cmp_float(const void *x, const void *y)
{
    const float a = *(const float *)x, b = *(const float *)y;
    return (a > b) - (a < b);
}

/* Histograms of one numeric field over train-quantile bins (+ missing).
 * hist[0..2*(bins+1)) holds train then test counts; returns bins used. */
static size_t numeric_hist(const drift_ctx *c, unsigned f, int bins,
                           uint64_t rows0, uint64_t rows1, double *hist,
                           float *edges)
{
    float *v = c->side[0].vals[f];
    const uint64_t n = c->side[0].n_vals[f];
    qsort(v, n, sizeof *v, cmp_float);
    size_t ne = 0;
    for (int b = 1; b < bins && n > 0; b++) {
        uint64_t r = ((uint64_t)b * n + (uint64_t)bins - 1) / (uint64_t)bins;
        const float e = v[r > 0 ? r - 1 : 0];
        if (ne == 0 || e > edges[ne - 1])
            edges[ne++] = e;
    }
    const size_t k = ne + 2; /* ne + 1 value bins, then missing */
    memset(hist, 0, 2 * k * sizeof *hist);
    for (int s = 0; s < 2; s++) {
        const float *x = c->side[s].vals[f];
        for (uint64_t i = 0; i < c->side[s].n_vals[f]; i++) {
            size_t lo = 0, hi = ne; /* first edge >= x[i] */
            while (lo < hi) {
                const size_t mid = (lo + hi) / 2;
                if (edges[mid] < x[i])
                    lo = mid + 1;
                else
                    hi = mid;
            }
            hist[(size_t)s * k + lo] += 1;
        }
        const uint64_t rows = s ? rows1 : rows0;
        hist[(size_t)s * k + ne + 1] = (double)(rows - c->side[s].present[f]);
    }
    return k;
}

typedef struct tok_ref {
    uint32_t cnt0;
    uint64_t key;
    size_t slot;
} tok_ref;

static int cmp_tok(const void *x, const void *y)
{
    const tok_ref *a = x, *b = y;
    if (a->cnt0 != b->cnt0)
        return a->cnt0 < b->cnt0 ? 1 : -1;
    return (a->key > b->key) - (a->key < b->key);
}

/* Histograms of one categorical field from its tokens t[0..n): the top
 * train tokens, other, unseen, missing. Returns bins used. */
static size_t cat_hist(const drift_ctx *c, unsigned f, int top, tok_ref *t,
                       size_t n, uint64_t rows0, uint64_t rows1, double *hist)
{
    qsort(t, n, sizeof *t, cmp_tok);
    size_t nt = 0;
    while (nt < n && nt < (size_t)top && t[nt].cnt0 > 1)
        nt++;
    const size_t k = nt + 3;
    memset(hist, 0, 2 * k * sizeof *hist);
    for (size_t i = 0; i < n; i++) {
        const uint32_t c0 = c->map.slot[t[i].slot].cnt[0];
        /* Train: once-seen tokens are "unseen" (leave-one-out); test:
         * tokens absent from train are. */
        hist[i < nt ? i : c0 > 1 ? nt : nt + 1] += c0;
        hist[k + (i < nt ? i : c0 > 0 ? nt : nt + 1)] +=
            c->map.slot[t[i].slot].cnt[1];
    }
    hist[nt + 2] = (double)(rows0 - c->side[0].present[f]);
    hist[k + nt + 2] = (double)(rows1 - c->side[1].present[f]);
    return k;
}

static void drift_free(drift_ctx *c)
{
    for (int s = 0; s < 2; s++) {
        for (unsigned f = 0; c->side[s].vals && f < c->nf; f++)
            free(c->side[s].vals[f]);
        free(c->side[s].vals);
        free(c->side[s].n_vals);
        free(c->side[s].present);
        free(c->side[s].unseen);
    }
    free(c->numeric);
    free(c->nb);
    free(c->stamp);
    free(c->ustamp);
    heft__amap_free(&c->map);
}

/* Allocates the per-field arrays and marks the numeric fields. */
static int drift_init(drift_ctx *c, const heft_dataset *tr,
                      const heft_dataset *te)
{
    c->numeric = heft__calloc(c->nf, 1);
    c->nb = heft__calloc(c->nf, sizeof *c->nb);
    c->stamp = heft__calloc(c->nf, sizeof *c->stamp);
    c->ustamp = heft__calloc(c->nf, sizeof *c->ustamp);
    int ok = c->numeric && c->nb && c->stamp && c->ustamp;
    for (int s = 0; s < 2 && ok; s++) {
        side_acc *a = &c->side[s];
        a->vals = heft__calloc(c->nf, sizeof *a->vals);
        a->n_vals = heft__calloc(c->nf, sizeof *a->n_vals);
        a->present = heft__calloc(c->nf, sizeof *a->present);
        a->unseen = heft__calloc(c->nf, sizeof *a->unseen);
        ok = a->vals && a->n_vals && a->present && a->unseen;
    }
    if (!ok || heft__amap_init(&c->map, tr->nnz < (1u << 20) ? tr->nnz
                                                             : (1u << 20)))
        return -1;
    for (unsigned f = 0; f < c->nf; f++) {
        const char *name = heft_dataset_field_name(tr, f);
        c->numeric[f] = name && in_list(tr->schema.num, name);
        c->nb[f] = heft__audit_num_bucket(f, c->bits);
    }
    for (int s = 0; s < 2 && ok; s++) {
        count_values(c, s ? te : tr, c->side[s].n_vals);
        for (unsigned f = 0; f < c->nf && ok; f++)
            if (c->numeric[f]) {
                uint64_t n = c->side[s].n_vals[f];
                c->side[s].vals[f] = heft__malloc(n ? n : 1, sizeof(float));
                ok = c->side[s].vals[f] != NULL;
            }
    }
    return ok ? 0 : -1;
}

/* Groups the map's tokens by field: order[off[f]..off[f+1]). */
static tok_ref *tokens_by_field(const drift_ctx *c, size_t *off)
{
    tok_ref *t = heft__malloc(c->map.n ? c->map.n : 1, sizeof *t);
    if (!t)
        return NULL;
    memset(off, 0, (c->nf + 2) * sizeof *off);
    for (size_t k = 0; k < c->map.cap; k++)
        if (c->map.slot[k].key)
            off[(c->map.slot[k].key >> 32)]++; /* field + 1 */
    for (unsigned f = 0; f < c->nf; f++)
        off[f + 1] += off[f];
    off[c->nf + 1] = off[c->nf];
    /* off[f] is now the end of field f-1's range: fill backwards. */
    for (size_t k = c->map.cap; k-- > 0;)
        if (c->map.slot[k].key) {
            const unsigned f1 = (unsigned)(c->map.slot[k].key >> 32);
            const heft__aslot *sl = &c->map.slot[k];
            t[--off[f1]] = (tok_ref){sl->cnt[0], sl->key, k};
        }
    return t;
}

static double side_total(const double *h, size_t k)
{
    double t = 0;
    for (size_t i = 0; i < k; i++)
        t += h[i];
    return t;
}

/* Fills a->fields[f] from the histograms. */
static int field_stats(drift_ctx *c, const heft_dataset *tr,
                       const heft_audit_opts *o, heft_audit *a)
{
    size_t *off = heft__malloc(c->nf + 2, sizeof *off);
    tok_ref *t = off ? tokens_by_field(c, off) : NULL;
    const size_t cap = (size_t)(o->bins > o->top ? o->bins : o->top) + 3;
    double *hist = heft__malloc(2 * cap, sizeof *hist);
    float *edges = heft__malloc((size_t)o->bins + 1, sizeof *edges);
    int rc = t && hist && edges ? 0 : -1;
    for (unsigned f = 0; f < c->nf && rc == 0; f++) {
        heft_audit_field *af = &a->fields[f];
        const char *name = heft_dataset_field_name(tr, f);
        char buf[32];
        snprintf(buf, sizeof buf, "f%u", f);
        af->name = heft__strdup(name ? name : buf);
        if (!af->name) {
            rc = -1;
            break;
        }
        af->field = f;
        af->numeric = c->numeric[f];
        const size_t k =
            af->numeric
                ? numeric_hist(c, f, o->bins, a->train_rows, a->test_rows,
                               hist, edges)
                : cat_hist(c, f, o->top, t + off[f + 1], off[f + 2] - off[f + 1],
                           a->train_rows, a->test_rows, hist);
        af->bins = (int)k;
        af->psi = heft_audit_psi(hist, hist + k, k, o->smoothing);
        af->js = heft_audit_js(hist, hist + k, k, o->smoothing);
        af->psi_p = heft_audit_psi_p(af->psi, k, side_total(hist, k),
                                     side_total(hist + k, k));
        af->train_missing = a->train_rows ? hist[k - 1] / (double)a->train_rows : 0;
        af->test_missing = a->test_rows ? hist[2 * k - 1] / (double)a->test_rows : 0;
        af->unseen_rows = c->side[1].unseen[f];
        af->unseen_share = a->test_rows ? (double)af->unseen_rows /
                                              (double)a->test_rows : 0;
        const uint64_t loo = c->side[0].unseen[f];
        af->expected_unseen = a->train_rows ? (double)loo /
                                                  (double)a->train_rows : 0;
        af->unseen_p = heft_audit_two_prop(af->unseen_rows, a->test_rows, loo,
                                           a->train_rows, NULL);
    }
    free(off);
    free(t);
    free(hist);
    free(edges);
    return rc;
}

/* The number of fields: the larger schema, or past the largest field id
 * either side uses. */
static unsigned count_fields(const heft_dataset *tr, const heft_dataset *te)
{
    unsigned nf = tr->schema.n_fields > te->schema.n_fields
                      ? tr->schema.n_fields : te->schema.n_fields;
    for (int s = 0; s < 2; s++) {
        const heft_dataset *ds = s ? te : tr;
        for (uint64_t j = 0; ds->field && j < ds->nnz; j++)
            if ((unsigned)ds->field[j] + 1 > nf)
                nf = (unsigned)ds->field[j] + 1;
    }
    return nf ? nf : 1;
}

heft_status heft__audit_fields(const heft_dataset *tr, const heft_dataset *te,
                               const heft_audit_opts *o, heft_audit *a,
                               heft_error *err)
{
    drift_ctx c;
    memset(&c, 0, sizeof c);
    c.nf = count_fields(tr, te);
    c.bits = tr->schema.hash_bits;
    a->fields = heft__calloc(c.nf, sizeof *a->fields);
    int rc = a->fields ? drift_init(&c, tr, te) : -1;
    if (rc == 0)
        a->n_fields = c.nf;
    if (rc == 0)
        rc = scan_side(&c, tr, 0);
    if (rc == 0) {
        train_loo(&c, tr);
        rc = scan_side(&c, te, 1);
    }
    if (rc == 0)
        rc = field_stats(&c, tr, o, a);
    if (rc == 0) {
        a->unseen_rows = c.side[1].unseen_rows;
        a->unseen_share = a->test_rows ? (double)a->unseen_rows /
                                             (double)a->test_rows : 0;
        a->expected_unseen = a->train_rows ? (double)c.side[0].unseen_rows /
                                                 (double)a->train_rows : 0;
    }
    drift_free(&c);
    return rc == 0 ? HEFT_OK
                   : heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "out of memory");
}
