/*
 * audit_leak.c: leakage between train and test.
 *
 * Group leakage: a group id (user, query, session: the group column both
 * sets were read with) present on both sides lets a model memorise the
 * group and look better offline than on new groups. Counted by sorting the
 * distinct ids of each side: O(N log N).
 *
 * Duplicate leakage: a test row whose feature vector (the sequence of
 * (field, bucket, value) of the row, exactly; rows read with the same
 * options list features in the same order) equals a training row's. With
 * the same label (> 0 or not) it is a duplicate: the test set partly
 * measures memorisation; with only the other label it is a conflict.
 * Training rows go into a hash table keyed by a 64-bit hash of the
 * vector, identical vectors merged into one entry that remembers which
 * labels they carry; every hash hit is confirmed by comparing the arrays,
 * so collisions cannot produce false matches. O(nnz) expected.
 */
#include "audit_int.h"

#include <stdlib.h>

static int cmp_u64(const void *x, const void *y)
{
    const uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

/* Sorted distinct copy of v[0..n); *k gets their number. */
static uint64_t *distinct(const uint64_t *v, size_t n, size_t *k)
{
    uint64_t *d = heft__malloc(n ? n : 1, sizeof *d);
    if (!d)
        return NULL;
    memcpy(d, v, n * sizeof *d);
    qsort(d, n, sizeof *d, cmp_u64);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || d[i] != d[m - 1])
            d[m++] = d[i];
    *k = m;
    return d;
}

static int has_u64(const uint64_t *d, size_t n, uint64_t x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        const size_t mid = (lo + hi) / 2;
        if (d[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && d[lo] == x;
}

static int group_leak(const heft_dataset *tr, const heft_dataset *te,
                      heft_audit *a, uint8_t *leak)
{
    size_t ntr, nte;
    uint64_t *dtr = distinct(tr->group, tr->n_rows, &ntr);
    uint64_t *dte = dtr ? distinct(te->group, te->n_rows, &nte) : NULL;
    if (!dte) {
        free(dtr);
        return -1;
    }
    a->has_groups = 1;
    a->train_groups = ntr;
    a->test_groups = nte;
    for (size_t i = 0; i < nte; i++)
        a->groups_shared += (uint64_t)has_u64(dtr, ntr, dte[i]);
    for (uint64_t i = 0; i < te->n_rows; i++)
        if (has_u64(dtr, ntr, te->group[i])) {
            leak[i] |= 1;
            a->group_rows++;
        }
    a->group_share = te->n_rows ? (double)a->group_rows /
                                      (double)te->n_rows : 0;
    free(dtr);
    free(dte);
    return 0;
}

/* ---- duplicate rows ---- */

static inline uint16_t fld(const heft_dataset *ds, uint64_t j)
{
    return ds->field ? ds->field[j] : 0;
}

static inline float fval(const heft_dataset *ds, uint64_t j)
{
    return ds->val ? ds->val[j] : 1.0f;
}

static uint64_t row_hash(const heft_dataset *ds, uint64_t i)
{
    uint64_t h = 0x686566746475ULL; /* "heftdu" */
    for (uint64_t j = ds->row_ptr[i]; j < ds->row_ptr[i + 1]; j++) {
        uint32_t vb;
        const float v = fval(ds, j);
        memcpy(&vb, &v, sizeof vb);
        h = heft__mix64(h ^ ((uint64_t)ds->feat[j] << 16 | fld(ds, j)));
        h = heft__mix64(h ^ vb);
    }
    return h ? h : 1;
}

static int rows_equal(const heft_dataset *a, uint64_t i,
                      const heft_dataset *b, uint64_t k)
{
    const uint64_t n = a->row_ptr[i + 1] - a->row_ptr[i];
    if (n != b->row_ptr[k + 1] - b->row_ptr[k])
        return 0;
    for (uint64_t t = 0; t < n; t++) {
        const uint64_t ja = a->row_ptr[i] + t, jb = b->row_ptr[k] + t;
        const float va = fval(a, ja), vb = fval(b, jb);
        if (a->feat[ja] != b->feat[jb] || fld(a, ja) != fld(b, jb) ||
            memcmp(&va, &vb, sizeof va) != 0)
            return 0;
    }
    return 1;
}

typedef struct dup_entry {
    uint64_t hash; /* 0 = empty */
    uint64_t row;  /* a training row with this vector */
    uint8_t mask;  /* 1: some such row has label <= 0; 2: label > 0 */
} dup_entry;

static uint8_t label_bit(const heft_dataset *ds, uint64_t i)
{
    return ds->label[i] > 0 ? 2 : 1;
}

/* Finds the entry of row i of ds (vector equal), or the empty slot where
 * it belongs. */
static size_t dup_find(const dup_entry *t, size_t cap, const heft_dataset *tr,
                       const heft_dataset *ds, uint64_t i, uint64_t h)
{
    size_t s = heft__mix64(h) & (cap - 1);
    while (t[s].hash && !(t[s].hash == h && rows_equal(tr, t[s].row, ds, i)))
        s = (s + 1) & (cap - 1);
    return s;
}

static int dup_leak(const heft_dataset *tr, const heft_dataset *te,
                    heft_audit *a, uint8_t *leak)
{
    size_t cap = 64;
    while (cap < 2 * tr->n_rows)
        cap *= 2;
    dup_entry *t = heft__calloc(cap, sizeof *t);
    if (!t)
        return -1;
    for (uint64_t i = 0; i < tr->n_rows; i++) {
        const uint64_t h = row_hash(tr, i);
        const size_t s = dup_find(t, cap, tr, tr, i, h);
        if (!t[s].hash)
            t[s] = (dup_entry){h, i, 0};
        t[s].mask |= label_bit(tr, i);
    }
    for (uint64_t i = 0; i < te->n_rows; i++) {
        const size_t s = dup_find(t, cap, tr, te, i, row_hash(te, i));
        if (!t[s].hash)
            continue;
        leak[i] |= 2;
        if (t[s].mask & label_bit(te, i))
            a->dup_rows++;
        else
            a->conflict_rows++;
    }
    a->dup_share = te->n_rows ? (double)a->dup_rows / (double)te->n_rows : 0;
    free(t);
    return 0;
}

heft_status heft__audit_leak(const heft_dataset *tr, const heft_dataset *te,
                             heft_audit *a, uint8_t *test_leak,
                             heft_error *err)
{
    int rc = 0;
    if (tr->group && te->group)
        rc = group_leak(tr, te, a, test_leak);
    if (rc == 0)
        rc = dup_leak(tr, te, a, test_leak);
    return rc == 0 ? HEFT_OK
                   : heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "out of memory");
}
