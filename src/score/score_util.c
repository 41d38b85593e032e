/*
 * score_util.c: small helpers that several estimators share: a dataset as a
 * row view, a stable LSD radix sort of key/index pairs, and the names of
 * the files written beside a score table.
 *
 * A radix sort rather than qsort(): estimators sort up to millions of
 * similarities per validation row, which four byte passes do in a few
 * milliseconds; being stable it breaks ties by row index, so results never
 * depend on the C library's qsort.
 */
#include "score.h"

#include "dataset.h"

#include <string.h>

heft__rows heft__rows_of(const struct heft_dataset *ds)
{
    heft__rows r = {ds->n_rows, ds->row_ptr, ds->feat, ds->val};
    return r;
}

/* Insertion sort on the whole 64-bit value: for input in index order this
 * is the same (key, index) order the stable radix passes give. */
static void insertion_sort(uint64_t *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        const uint64_t x = a[i];
        size_t j = i;
        for (; j > 0 && a[j - 1] > x; j--)
            a[j] = a[j - 1];
        a[j] = x;
    }
}

void heft__score_sort(uint64_t *a, uint64_t *tmp, size_t n)
{
    if (n < 64) {
        insertion_sort(a, n);
        return;
    }
    size_t h[4][256];
    memset(h, 0, sizeof h);
    for (size_t i = 0; i < n; i++) {
        const uint32_t k = (uint32_t)(a[i] >> 32);
        h[0][k & 255]++;
        h[1][(k >> 8) & 255]++;
        h[2][(k >> 16) & 255]++;
        h[3][k >> 24]++;
    }
    uint64_t *src = a, *dst = tmp;
    for (int d = 0; d < 4; d++) {
        const unsigned shift = 32 + 8 * (unsigned)d;
        /* A byte that every key shares orders nothing: skip its pass. */
        if (h[d][(src[0] >> shift) & 255] == n)
            continue;
        size_t pos[256], sum = 0;
        for (int b = 0; b < 256; b++) {
            pos[b] = sum;
            sum += h[d][b];
        }
        for (size_t i = 0; i < n; i++)
            dst[pos[(src[i] >> shift) & 255]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
}

char *heft__scores_sibling(const char *path, const char *suffix)
{
    size_t len = strlen(path);
    if (len > 4 && (!strcmp(path + len - 4, ".tsv") ||
                    !strcmp(path + len - 4, ".npy")))
        len -= 4;
    char *p = heft__malloc(len + strlen(suffix) + 1, 1);
    if (p) {
        memcpy(p, path, len);
        strcpy(p + len, suffix);
    }
    return p;
}
