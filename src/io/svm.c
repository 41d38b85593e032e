/*
 * svm.c: one row of libsvm, libfm or libffm text.
 *
 *   libsvm/libfm:  label [qid:Q] idx:val idx:val ... [# comment]
 *   libffm:        label [qid:Q] field:idx:val ...   [# comment]
 *
 * libsvm indices are 1-based (index 0 is an error that points to libfm);
 * libfm allows 0. A libsvm/libfm feature's field is its position in the
 * row (0-based, capped at 63) and its bucket heft__bucket(0,
 * heft__mix64(idx), bits), so an index always lands in the same bucket
 * whatever its position. A libffm feature keeps its field (at most 65534)
 * and lands in heft__bucket(field, idx, bits). Values are kept as given
 * (no transform). Error columns are 1-based byte offsets in the line.
 */
#include "ioint.h"

#include <float.h>
#include <math.h>

#define SVM_FIELD_CAP 63

static inline int is_ws(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r';
}

static heft_status tok_err(const heft__io_ctx *c, heft_error *e,
                           heft_status code, uint64_t line, const char *line0,
                           const char *tok, size_t n, const char *what)
{
    int show = n > 40 ? 40 : (int)n;
    return heft__err(e, code, c->name, line, (uint32_t)(tok - line0 + 1),
                     "%s (token '%.*s%s')", what, show, tok,
                     n > 40 ? "..." : "");
}

/* Parses "idx" of a feature token; 0 only where allowed. */
static heft_status parse_index(const heft__io_ctx *c, heft_error *e,
                               uint64_t line, const char *line0,
                               const char *tok, size_t tn, const char *p,
                               size_t n, uint64_t *idx)
{
    if (n && *p == '-')
        return tok_err(c, e, HEFT_EPARSE, line, line0, tok, tn,
                       "negative feature index");
    if (heft__parse_u64(p, n, idx) != 0)
        return tok_err(c, e, HEFT_EPARSE, line, line0, tok, tn,
                       c->fmt == HEFT_FMT_LIBFFM
                           ? "expected field:index:value with integer "
                             "field and index"
                           : "expected index:value with an integer index");
    if (*idx == 0 && !c->zero_ok)
        return tok_err(c, e, HEFT_EPARSE, line, line0, tok, tn,
                       "feature index 0 in a libsvm file, whose indices "
                       "are 1-based; if the file is 0-based, read it with "
                       "--format libfm");
    return HEFT_OK;
}

/* One feature token (not qid). pos is its 0-based position in the row. */
static heft_status feature(const heft__io_ctx *c, heft__io_blk *b,
                           uint64_t line, const char *line0, const char *t,
                           size_t tn, unsigned pos, heft_error *e)
{
    const char *end = t + tn, *p = t;
    uint64_t fld = 0, idx;
    if (c->fmt == HEFT_FMT_LIBFFM) {
        const char *colon = memchr(p, ':', tn);
        if (!colon || heft__parse_u64(p, (size_t)(colon - p), &fld) != 0)
            return tok_err(c, e, HEFT_EPARSE, line, line0, t, tn,
                           "expected field:index:value with an integer "
                           "field");
        if (fld > 65534)
            return tok_err(c, e, HEFT_ERANGE, line, line0, t, tn,
                           "field id above 65534");
        p = colon + 1;
    } else
        fld = pos > SVM_FIELD_CAP ? SVM_FIELD_CAP : pos;
    const char *colon = memchr(p, ':', (size_t)(end - p));
    if (!colon)
        return tok_err(c, e, HEFT_EPARSE, line, line0, t, tn,
                       c->fmt == HEFT_FMT_LIBFFM
                           ? "expected field:index:value"
                           : "expected index:value");
    heft_status st = parse_index(c, e, line, line0, t, tn, p,
                                 (size_t)(colon - p), &idx);
    if (st != HEFT_OK)
        return st;
    double v;
    int r = heft__num(colon + 1, (size_t)(end - colon - 1), &v);
    if (r != HEFT__NUM_OK)
        return tok_err(c, e, HEFT_EPARSE, line, line0, t, tn,
                       r == HEFT__NUM_NONFINITE
                           ? "NaN or infinity is not allowed as a value"
                           : "the value after ':' is not a number");
    if (fabs(v) > FLT_MAX)
        return tok_err(c, e, HEFT_ERANGE, line, line0, t, tn,
                       "the value does not fit a float");
    uint32_t bucket = c->fmt == HEFT_FMT_LIBFFM
                          ? heft__bucket((uint32_t)fld, idx, c->bits)
                          : heft__bucket(0, heft__mix64(idx), c->bits);
    heft__csr_push(&b->csr, bucket, (float)v, (uint16_t)fld);
    if (fld + 1 > b->max_field)
        b->max_field = (unsigned)fld + 1;
    return HEFT_OK;
}

heft_status heft__svm_row(const heft__io_ctx *c, heft__io_blk *b,
                          const char *p, size_t n, uint64_t line,
                          heft_error *e)
{
    const char *q = p, *end = p + n;
    while (q < end && is_ws(*q))
        q++;
    const char *t = q;
    while (q < end && !is_ws(*q))
        q++;
    heft__rowmeta m = {0, 1.0f, 0, 0, 0, line};
    const char *why;
    heft_status st = heft__label(t, (size_t)(q - t), &m.label, &b->graded,
                                 &why);
    if (st != HEFT_OK)
        return tok_err(c, e, st, line, p, t, (size_t)(q - t), why);
    if (heft__csr_reserve_nnz(&b->csr, n / 2 + 1) != HEFT_OK)
        return heft__err(e, HEFT_ENOMEM, c->name, line, 0, "out of memory");
    unsigned pos = 0;
    for (;;) {
        while (q < end && is_ws(*q))
            q++;
        if (q == end || *q == '#')
            break;
        t = q;
        while (q < end && !is_ws(*q))
            q++;
        size_t tn = (size_t)(q - t);
        if (tn > 4 && memcmp(t, "qid:", 4) == 0) {
            if (heft__parse_u64(t + 4, tn - 4, &m.group) != 0)
                return tok_err(c, e, HEFT_EPARSE, line, p, t, tn,
                               "expected qid:N with a non-negative integer");
            continue;
        }
        st = feature(c, b, line, p, t, tn, pos, e);
        if (st != HEFT_OK)
            return st;
        pos++;
    }
    if (heft__csr_end_row(&b->csr, &m) != HEFT_OK)
        return heft__err(e, HEFT_ENOMEM, c->name, line, 0, "out of memory");
    return HEFT_OK;
}
