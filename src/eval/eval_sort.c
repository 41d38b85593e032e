/*
 * eval_sort.c: the one sort that evaluation needs (a stable LSD radix sort
 * of key/row pairs) and the Poisson(1) table of the bootstrap.
 *
 * A radix sort rather than qsort(): 1M rows sort in a few milliseconds
 * with four byte passes for a 32-bit key, and being stable it leaves tied
 * keys in input order, so results never depend on the C library's qsort.
 */
#include "eval.h"

#include <math.h>

uint32_t heft__float_key(float f)
{
    if (f == 0.0f)
        f = 0.0f; /* -0 and +0 compare equal, so they get one key */
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    /* Negative floats: flip all bits (larger magnitude sorts first);
     * positive: set the sign bit so they sort after every negative. */
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

/* Histograms of all eight key bytes in one pass over a. */
static void byte_histograms(const heft__kv *a, size_t n, size_t h[8][256])
{
    memset(h, 0, 8 * 256 * sizeof h[0][0]);
    for (size_t i = 0; i < n; i++) {
        const uint64_t k = a[i].key;
        for (int d = 0; d < 8; d++)
            h[d][(k >> (8 * d)) & 255]++;
    }
}

void heft__kv_sort(heft__kv *a, heft__kv *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h[8][256];
    byte_histograms(a, n, h);
    heft__kv *src = a, *dst = tmp;
    for (int d = 0; d < 8; d++) {
        const int shift = 8 * d;
        /* The multiset of bytes is the same in every pass, so a byte on
         * which all keys agree can be read off src[0]. */
        if (h[d][(src[0].key >> shift) & 255] == n)
            continue;
        size_t off[256], sum = 0;
        for (int b = 0; b < 256; b++) {
            off[b] = sum;
            sum += h[d][b];
        }
        for (size_t i = 0; i < n; i++)
            dst[off[(src[i].key >> shift) & 255]++] = src[i];
        heft__kv *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
}

void heft__pois_init(heft__pois *p)
{
    double pk = exp(-1.0), cdf = 0.0; /* P(X = 0) = e^-1 */
    for (int k = 0; k < HEFT__POIS_K; k++) {
        cdf += pk;
        p->cdf[k] = cdf;
        pk /= (double)(k + 1);
    }
    p->cdf[HEFT__POIS_K - 1] = 1.0;
}
