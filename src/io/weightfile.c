/*
 * weightfile.c: sidecar weight files (weightfile.h). The format is the one
 * XGBoost picks up as DATA.weight next to a libsvm file and LIBLINEAR's
 * "weights" extension reads with -W FILE: one instance weight per line, in
 * the order of the data rows. heft is stricter than both about what a line
 * may hold, so a shifted or truncated file is an error naming its line
 * instead of weights silently paired with the wrong rows.
 */
#include "weightfile.h"

#include "ioint.h"

#include <errno.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>

/* One line p[0..len) without its line ending. Returns 1 for a weight in
 * *w, 0 for a blank line, or an error status (< 0). */
static int one_weight(const char *p, size_t len, const char *name,
                      uint64_t line, float *w, heft_error *err)
{
    size_t a = 0;
    while (a < len && (p[a] == ' ' || p[a] == '\t'))
        a++;
    if (a == len)
        return 0;
    size_t b = len;
    while (b > a && (p[b - 1] == ' ' || p[b - 1] == '\t'))
        b--;
    const int show = (int)(b - a > 40 ? 40 : b - a);
    const uint32_t col = (uint32_t)(a + 1 > UINT32_MAX ? UINT32_MAX : a + 1);
    double v = 0;
    const int r = heft__num(p + a, b - a, &v);
    if (r == HEFT__NUM_BAD)
        return heft__err(err, HEFT_EPARSE, name, line, col,
                         "expected a weight (one number >= 0 per line), "
                         "got '%.*s'", show, p + a);
    if (r == HEFT__NUM_NONFINITE)
        return heft__err(err, HEFT_ERANGE, name, line, col,
                         "weight '%.*s' is not a finite number; weights "
                         "must be finite and >= 0", show, p + a);
    if (v < 0)
        return heft__err(err, HEFT_ERANGE, name, line, col,
                         "weight %.*s is negative; weights must be >= 0",
                         show, p + a);
    if (v > FLT_MAX)
        return heft__err(err, HEFT_ERANGE, name, line, col,
                         "weight %.*s is too large (weights are floats, at "
                         "most %g)", show, p + a, (double)FLT_MAX);
    *w = (float)v;
    return 1;
}

heft_status heft__weights_parse_mem(const char *buf, size_t len,
                                    const char *name, const char *data,
                                    size_t n, int allow_more, float *out,
                                    heft_error *err)
{
    if (!buf)
        buf = ""; /* len is 0: an empty file */
    const unsigned char *u = (const unsigned char *)buf;
    if (!name)
        name = "(weights)";
    if (!data)
        data = "the data";
    if (heft__magic_codec(u, len) != HEFT__CODEC_NONE)
        return heft__err(err, HEFT_EFORMAT, name, 0, 0,
                         "is compressed; a weight file must be plain text "
                         "(decompress it first)");
    const char *p = buf, *end = buf + len;
    if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
        p += 3;
    size_t k = 0;          /* weights read                          */
    uint64_t line = 0;     /* the current line (1-based)            */
    uint64_t last = 0;     /* line of the last weight               */
    uint64_t blank = 0;    /* first blank line after the last weight */
    uint64_t extra = 0;    /* line of weight n + 1                  */
    /* With allow_more the lines past the n-th weight are not read. */
    while (p < end && !(allow_more && k >= n)) {
        const char *nl = heft__find_byte(p, end, '\n');
        size_t l = (size_t)(nl - p);
        if (l && p[l - 1] == '\r')
            l--;
        line++;
        float w = 0;
        const int r = one_weight(p, l, name, line, &w, err);
        if (r < 0)
            return (heft_status)r;
        if (r == 0 && !blank)
            blank = line;
        if (r == 1 && blank)
            return heft__err(err, HEFT_EPARSE, name, blank, 1,
                             "blank line; expected a weight (one per row "
                             "of %s; blank lines may only end the file)",
                             data);
        if (r == 1) {
            if (k < n)
                out[k] = w;
            else if (!extra)
                extra = line;
            k++;
            last = line;
        }
        p = nl < end ? nl + 1 : end;
    }
    if (k > n && !allow_more)
        return heft__err(err, HEFT_EPARSE, name, extra, 1,
                         "has %zu weights, but %s has %zu rows (this line "
                         "holds weight %zu); a weight file needs exactly "
                         "one line per row",
                         k, data, n, n + 1);
    if (k < n)
        return heft__err(err, HEFT_ETRUNC, name, last + 1, 1,
                         "ends after %zu weights, but %s has %zu rows; a "
                         "weight file needs exactly one line per row",
                         k, data, n);
    return HEFT_OK;
}

heft_status heft__weights_read(const char *path, const char *data, size_t n,
                               int allow_more, float *out, heft_error *err)
{
    void *buf = NULL;
    size_t len = 0;
    heft_status st = heft__read_file(path, &buf, &len, err);
    if (st == HEFT_OK)
        st = heft__weights_parse_mem(buf, len, path, data, n, allow_more,
                                     out, err);
    free(buf);
    return st;
}

heft_status heft__weights_apply(heft__parsed *p, const heft_read_opts *o,
                                const char *data, heft_error *err)
{
    if (!o->weight_file)
        return HEFT_OK;
    if (!data)
        data = "the data";
    if (p->n_bad)
        return heft__err(err, HEFT_EINVAL, data, 0, 0,
                         "%llu bad row%s skipped (max_bad_rows), so the "
                         "lines of the weight file %s no longer pair up "
                         "with the rows; fix or remove those rows (and "
                         "their weights) first",
                         (unsigned long long)p->n_bad,
                         p->n_bad == 1 ? " was" : "s were", o->weight_file);
    const size_t n = (size_t)p->csr.n_rows;
    float *w = heft__malloc(n ? n : 1, sizeof *w);
    if (!w)
        return heft__err(err, HEFT_ENOMEM, o->weight_file, 0, 0,
                         "out of memory for %zu weights", n);
    const int cut = o->max_rows && p->csr.n_rows >= o->max_rows;
    heft_status st = heft__weights_read(o->weight_file, data, n, cut, w, err);
    if (st == HEFT_OK && heft__csr_add_flags(&p->csr, HEFT__HAS_WEIGHT) !=
                             HEFT_OK)
        st = heft__err(err, HEFT_ENOMEM, o->weight_file, 0, 0,
                       "out of memory for %zu weights", n);
    if (st == HEFT_OK)
        memcpy(p->csr.weight, w, n * sizeof *w);
    free(w);
    return st;
}
