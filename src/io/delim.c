/*
 * delim.c: delimited text (criteo, avazu, csv, tsv): the column plan built
 * from the header and the options, and the parsing of one row by it.
 *
 * Feature fields are numbered in this order, which depends only on the
 * options and the header, so that a schema written out and read back
 * assigns the same ids: avazu's hour and weekday; numeric columns (as
 * listed, then inferred ones in header order); categorical columns (as
 * listed, then inferred); multi-valued columns (as listed). When both
 * num_cols and cat_cols are given, nothing is inferred and columns named
 * nowhere are ignored.
 *
 * Rows whose columns are all plain (label, numeric, categorical, ignored)
 * also have a fast path, heft__delim_fast(), that finds the fields of a
 * record 64 bytes at a time, reads integers and hashes 8-byte tokens
 * inline; whatever it does not handle it hands back untouched to the
 * general code, so both give the same bytes (test io_fast_path_same).
 */
#include "ioint.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ---- labels and numbers ------------------------------------------------- */

heft_status heft__label(const char *s, size_t n, float *out, int *graded,
                        const char **why)
{
    double v;
    if (n == 0) {
        *why = "the label is empty";
        return HEFT_EPARSE;
    }
    int r = heft__num(s, n, &v);
    if (r != HEFT__NUM_OK) {
        *why = r == HEFT__NUM_NONFINITE
                   ? "the label is NaN or infinite"
                   : "the label is not a number (expected 0/1, -1/+1 or "
                     "an integer grade)";
        return HEFT_EPARSE;
    }
    if (v == -1.0 || v == 0.0 || v == 1.0) {
        *out = v == 1.0 ? 1.0f : 0.0f;
        return HEFT_OK;
    }
    if (v > 1.0 && v <= HEFT__IO_MAX_GRADE && v == floor(v)) {
        *out = (float)v;
        *graded = 1;
        return HEFT_OK;
    }
    *why = "label out of range: expected 0/1, -1/+1 or an integer grade "
           "0..1000";
    return HEFT_ERANGE;
}

static inline float num_transform(const heft__io_ctx *c, double v)
{
    if (c->transform == HEFT_NUM_LOG && v > 0)
        return (float)log1p(v);
    return (float)v;
}

/* The Criteo winners' bucketisation: floor(log(v)^2) for v > 2, else the
 * integer value itself (v truncated toward zero); the two kinds hash
 * apart. */
static uint64_t bin_token(double v)
{
    int64_t iv = v >= 9.2e18 ? INT64_MAX : v <= -9.2e18 ? INT64_MIN
                                                        : (int64_t)v;
    if (iv > 2) {
        double l = log((double)iv);
        return heft__mix64((uint64_t)(int64_t)floor(l * l) ^
                           0x6c6f6762696e0000ULL /* "logbin" */);
    }
    return heft__mix64((uint64_t)iv ^ 0x736d616c6c000000ULL /* "small" */);
}

void heft__ctx_tables(heft__io_ctx *c)
{
    c->num_tok = heft__hash_bytes("num", 3, 0);
    for (int i = 0; i < HEFT__IO_SMALL; i++) {
        c->small_val[i] = num_transform(c, (double)i);
        c->small_tok[i] = bin_token((double)i);
    }
}

/* Pushes numeric value v of the column's field: the transformed value in
 * the field's "num" bucket, plus the bucketised token when num_buckets is
 * 1. The caller reserved 2 nonzeros. */
static inline void push_num(const heft__io_ctx *c, heft__csr *csr,
                            const heft__io_col *col, double v)
{
    float tv;
    uint64_t tok;
    if (v >= 0 && v < HEFT__IO_SMALL && v == (double)(int)v) {
        tv = c->small_val[(int)v];
        tok = c->small_tok[(int)v];
    } else {
        tv = num_transform(c, v);
        tok = bin_token(v);
    }
    heft__csr_push(csr, col->num_bucket, tv, col->field);
    if (c->num_buckets == 1)
        heft__csr_push(csr, heft__bucket(col->field, tok, c->bits), 1.0f,
                       col->field);
}

/* ---- one row ------------------------------------------------------------ */

static heft_status cell_err(const heft__io_ctx *c, heft_error *e,
                            heft_status code, uint64_t line, size_t j,
                            const char *what, const heft__io_field *f)
{
    const char *name = c->col_names ? c->col_names[j] : NULL;
    int show = f->n > 40 ? 40 : (int)f->n;
    return heft__err(e, code, c->name, line, (uint32_t)(j + 1),
                     "%s%s%s: %s (got '%.*s%s')", name ? "column '" : "",
                     name ? name : "", name ? "'" : "", what, show, f->p,
                     f->n > 40 ? "..." : "");
}

/* Avazu's hour YYMMDDHH -> hours since 2000-01-01 00:00, hour of day and
 * day of week (0 = Monday). Returns -1 if malformed. */
static int avazu_hour(const char *s, size_t n, double *hours, int *hh,
                      int *dow)
{
    if (n != 8)
        return -1;
    int d[8];
    for (int i = 0; i < 8; i++) {
        d[i] = s[i] - '0';
        if (d[i] < 0 || d[i] > 9)
            return -1;
    }
    int y = 2000 + d[0] * 10 + d[1], m = d[2] * 10 + d[3];
    int day = d[4] * 10 + d[5];
    *hh = d[6] * 10 + d[7];
    if (m < 1 || m > 12 || day < 1 || day > 31 || *hh > 23)
        return -1;
    /* Days from civil (H. Hinnant), relative to 2000-01-01. */
    int yy = y - (m <= 2);
    int era = yy / 400, yoe = yy - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    long days = (long)era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy -
                730425; /* 730425 = days from 0000-03-01 to 2000-01-01 */
    *dow = (int)((days % 7 + 7 + 5) % 7); /* 2000-01-01 was a Saturday */
    *hours = (double)days * 24 + *hh;
    return 0;
}

/* Handles what a column means for the row (label, weight, ...). */
static heft_status row_role(const heft__io_ctx *c, heft__io_blk *b,
                            const heft__io_col *col, const heft__io_field *f,
                            size_t j, uint64_t line, heft__rowmeta *m,
                            heft_error *e)
{
    double v = 0;
    int r;
    const char *why;
    switch (col->role) {
    case HEFT__ROLE_LABEL: {
        heft_status st = heft__label(f->p, f->n, &m->label, &b->graded, &why);
        return st == HEFT_OK ? st : cell_err(c, e, st, line, j, why, f);
    }
    case HEFT__ROLE_GROUP:
        if (heft__parse_u64(f->p, f->n, &m->group) != 0)
            m->group = heft__hash_bytes(f->p, f->n, 0);
        return HEFT_OK;
    case HEFT__ROLE_HOUR: {
        int hh, dow;
        double hours;
        if (avazu_hour(f->p, f->n, &hours, &hh, &dow) != 0)
            return cell_err(c, e, HEFT_EPARSE, line, j,
                            "expected an hour as YYMMDDHH", f);
        if (!c->has_time_col)
            m->time = hours;
        char t[2] = {(char)('0' + hh / 10), (char)('0' + hh % 10)};
        char w = (char)('0' + dow);
        heft__csr_push(&b->csr,
                       heft__bucket(col->field, heft__hash_bytes(t, 2, 0),
                                    c->bits),
                       1.0f, col->field);
        heft__csr_push(&b->csr,
                       heft__bucket(col->field2, heft__hash_bytes(&w, 1, 0),
                                    c->bits),
                       1.0f, col->field2);
        return HEFT_OK;
    }
    case HEFT__ROLE_POSITION:
        if (f->n == 0)
            return HEFT_OK;
        /* fall through */
    case HEFT__ROLE_WEIGHT:
    case HEFT__ROLE_TIME:
        if (f->n == 0)
            return cell_err(c, e, HEFT_EPARSE, line, j,
                            "the value is empty", f);
        r = heft__num(f->p, f->n, &v);
        if (r != HEFT__NUM_OK)
            return cell_err(c, e, HEFT_EPARSE, line, j,
                            r == HEFT__NUM_NONFINITE
                                ? "NaN or infinity is not allowed"
                                : "expected a number",
                            f);
        if (col->role == HEFT__ROLE_WEIGHT) {
            if (v < 0 || v > FLT_MAX)
                return cell_err(c, e, HEFT_ERANGE, line, j,
                                "a weight must be >= 0", f);
            m->weight = (float)v;
        } else if (col->role == HEFT__ROLE_TIME)
            m->time = v;
        else
            m->position = (float)v;
        return HEFT_OK;
    default:
        return HEFT_OK;
    }
}

/* Pushes the features of one cell. */
static heft_status row_feat(const heft__io_ctx *c, heft__io_blk *b,
                            const heft__io_col *col, const heft__io_field *f,
                            size_t j, uint64_t line, heft_error *e)
{
    if (f->n == 0)
        return HEFT_OK; /* missing */
    if (col->feat == HEFT__FEAT_CAT) {
        heft__csr_push(&b->csr,
                       heft__bucket(col->field, heft__hash_bytes(f->p, f->n, 0),
                                    c->bits),
                       1.0f, col->field);
    } else if (col->feat == HEFT__FEAT_NUM) {
        double v;
        int r = heft__num(f->p, f->n, &v);
        if (r != HEFT__NUM_OK)
            return cell_err(c, e, HEFT_EPARSE, line, j,
                            r == HEFT__NUM_NONFINITE
                                ? "NaN or infinity is not allowed in a "
                                  "numeric column"
                                : "expected a number in a numeric column "
                                  "(columns not named in --num or --cat are "
                                  "inferred from the first rows; name it in "
                                  "--cat, or skip such rows with "
                                  "--max-bad-rows)",
                            f);
        if (c->transform == HEFT_NUM_NONE && fabs(v) > FLT_MAX)
            return cell_err(c, e, HEFT_ERANGE, line, j,
                            "the value does not fit a float", f);
        push_num(c, &b->csr, col, v);
    } else if (col->feat == HEFT__FEAT_MULTI) {
        const char *p = f->p, *end = f->p + f->n;
        while (p <= end) {
            const char *s = memchr(p, col->sep, (size_t)(end - p));
            if (!s)
                s = end;
            if (s > p) {
                if (heft__csr_reserve_nnz(&b->csr, 1) != HEFT_OK)
                    return heft__err(e, HEFT_ENOMEM, c->name, line,
                                     (uint32_t)(j + 1), "out of memory");
                uint64_t h = heft__hash_bytes(p, (size_t)(s - p), 0);
                heft__csr_push(&b->csr, heft__bucket(col->field, h, c->bits),
                               1.0f, col->field);
            }
            p = s + 1;
        }
    }
    return HEFT_OK;
}

static heft_status grow_scratch(heft__io_blk *b, size_t n, size_t ncols)
{
    if (!b->fields) {
        b->fields = heft__calloc(ncols + 1, sizeof *b->fields);
        if (!b->fields)
            return HEFT_ENOMEM;
    }
    if (b->scratch_cap < n) {
        char *s = realloc(b->scratch, n + 64);
        if (!s)
            return HEFT_ENOMEM;
        b->scratch = s;
        b->scratch_cap = n + 64;
    }
    return HEFT_OK;
}

/* One cell; the common kinds inline, the rest through row_role/row_feat. */
static inline heft_status cell(const heft__io_ctx *c, heft__io_blk *b,
                               const heft__io_col *col,
                               const heft__io_field *f, size_t j,
                               uint64_t line, heft__rowmeta *m,
                               heft_error *e)
{
    if (col->feat == HEFT__FEAT_CAT && !col->role) {
        if (f->n)
            heft__csr_push(&b->csr,
                           heft__bucket(col->field,
                                        heft__hash_bytes(f->p, f->n, 0),
                                        c->bits),
                           1.0f, col->field);
        return HEFT_OK;
    }
    if (col->feat == HEFT__FEAT_NUM && !col->role) {
        double v;
        if (f->n && heft__num(f->p, f->n, &v) == HEFT__NUM_OK &&
            c->transform == HEFT_NUM_LOG) {
            push_num(c, &b->csr, col, v);
            return HEFT_OK;
        }
        return row_feat(c, b, col, f, j, line, e);
    }
    heft_status st = HEFT_OK;
    if (col->role)
        st = row_role(c, b, col, f, j, line, m, e);
    if (st == HEFT_OK && col->feat)
        st = row_feat(c, b, col, f, j, line, e);
    return st;
}

static heft_status ragged(const heft__io_ctx *c, uint64_t line, size_t k,
                          heft_error *e)
{
    return heft__err(e, HEFT_EPARSE, c->name, line,
                     (uint32_t)(k < c->ncols ? k + 1 : c->ncols + 1),
                     "expected %zu %s-separated fields, found %zu",
                     c->ncols, c->delim == '\t' ? "tab" : "comma", k);
}

/* A row without quotes: fields are found and handled in one pass. */
static heft_status plain_row(const heft__io_ctx *c, heft__io_blk *b,
                             const char *p, size_t n, uint64_t line,
                             heft__rowmeta *m, heft_error *e)
{
    const char *q = p, *end = p + n;
    for (size_t j = 0; j < c->ncols; j++) {
        const char *fe = heft__find_byte(q, end, c->delim);
        if (fe == end && j + 1 < c->ncols)
            return ragged(c, line, j + 1, e);
        heft__io_field f = {q, (size_t)(fe - q)};
        heft_status st = cell(c, b, &c->cols[j], &f, j, line, m, e);
        if (st != HEFT_OK)
            return st;
        q = fe + 1;
    }
    if (q <= end) { /* more fields than the header has */
        size_t k = c->ncols;
        for (const char *d = q - 1; d < end;
             d = heft__find_byte(d + 1, end, c->delim))
            k++;
        return ragged(c, line, k, e);
    }
    return HEFT_OK;
}

/* A row with quotes: split (unquoting) first, then handle the fields. */
static heft_status quoted_row(const heft__io_ctx *c, heft__io_blk *b,
                              const char *p, size_t n, uint64_t line,
                              heft__rowmeta *m, heft_error *e)
{
    if (grow_scratch(b, n, c->ncols) != HEFT_OK)
        return heft__err(e, HEFT_ENOMEM, c->name, line, 0, "out of memory");
    heft__io_field *f = b->fields;
    long k = heft__split(p, n, c->delim, c->quotes, f, c->ncols + 1,
                         b->scratch);
    if (k < 0)
        return heft__err(e, HEFT_EPARSE, c->name, line, (uint32_t)-k,
                         "malformed quoted field: expected a closing quote "
                         "followed by a delimiter or the end of the line");
    if ((size_t)k != c->ncols)
        return ragged(c, line, (size_t)k, e);
    for (size_t j = 0; j < c->ncols; j++) {
        heft_status st = cell(c, b, &c->cols[j], &f[j], j, line, m, e);
        if (st != HEFT_OK)
            return st;
    }
    return HEFT_OK;
}

heft_status heft__delim_row(const heft__io_ctx *c, heft__io_blk *b,
                            const char *p, size_t n, uint64_t line,
                            heft_error *e)
{
    if (heft__csr_reserve_nnz(&b->csr, 2 * c->ncols + 2) != HEFT_OK)
        return heft__err(e, HEFT_ENOMEM, c->name, line, 0, "out of memory");
    heft__rowmeta m = {0, 1.0f, 0, 0, 0, line};
    heft_status st = c->quotes && memchr(p, '"', n)
                         ? quoted_row(c, b, p, n, line, &m, e)
                         : plain_row(c, b, p, n, line, &m, e);
    if (st != HEFT_OK)
        return st;
    if (heft__csr_end_row(&b->csr, &m) != HEFT_OK)
        return heft__err(e, HEFT_ENOMEM, c->name, line, 0, "out of memory");
    return HEFT_OK;
}

/* ---- the fast path ------------------------------------------------------ */

void heft__delim_fast_setup(heft__io_ctx *c)
{
    uint32_t most = 0;
    int fast = c->ncols > 0 && c->cols != NULL;
    for (size_t j = 0; fast && j < c->ncols; j++) {
        const heft__io_col *col = &c->cols[j];
        if (col->role == HEFT__ROLE_LABEL)
            fast = col->feat == HEFT__FEAT_NONE;
        else if (col->role != HEFT__ROLE_NONE)
            fast = 0;
        else if (col->feat == HEFT__FEAT_NUM)
            most += c->num_buckets == 1 ? 2 : 1;
        else if (col->feat == HEFT__FEAT_CAT)
            most += 1;
        else
            fast = col->feat == HEFT__FEAT_NONE;
    }
    c->fast = fast;
    c->row_nnz_max = most;
}

/* The bytes that end a field: the delimiter, '\n', and '"' when quotes
 * are on (the fast path leaves quoted rows to the general one). */
typedef struct scan_pat {
#if defined(__SSE2__)
    __m128i d, nl, qt;
#endif
    char cd, cq;
} scan_pat;

/* Bit i set when p[i] is a special byte, for the 16 bytes at p (fewer
 * when end is closer; bits past end are clear). */
static inline uint32_t scan16(const scan_pat *s, const char *p,
                              const char *end)
{
#if defined(__SSE2__)
    if (HEFT__LIKELY(end - p >= 16)) {
        const __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        const __m128i m =
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, s->d),
                                      _mm_cmpeq_epi8(x, s->nl)),
                         _mm_cmpeq_epi8(x, s->qt));
        return (uint32_t)_mm_movemask_epi8(m);
    }
#endif
    const int n = end - p < 16 ? (int)(end - p) : 16;
    uint32_t m = 0;
    for (int i = 0; i < n; i++)
        m |= (uint32_t)(p[i] == s->cd || p[i] == '\n' || p[i] == s->cq) << i;
    return m;
}

/* The same for the 64 bytes at p, 16 at a time: one mask covers a few
 * fields, so the loop that refills it is taken (and mispredicted) less. */
static inline uint64_t scan64(const scan_pat *s, const char *p,
                              const char *end)
{
    const size_t left = (size_t)(end - p);
#if defined(__SSE2__)
    if (HEFT__LIKELY(left >= 64)) {
        uint64_t m = 0;
        for (int i = 0; i < 64; i += 16) {
            const __m128i x =
                _mm_loadu_si128((const __m128i *)(const void *)(p + i));
            const __m128i e =
                _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, s->d),
                                          _mm_cmpeq_epi8(x, s->nl)),
                             _mm_cmpeq_epi8(x, s->qt));
            m |= (uint64_t)(uint32_t)_mm_movemask_epi8(e) << i;
        }
        return m;
    }
#endif
    uint64_t m = 0;
    for (size_t i = 0; i < 64 && i < left; i += 16)
        m |= (uint64_t)scan16(s, p + i, end) << i;
    return m;
}

static inline int ctz64(uint64_t m)
{
#if defined(__GNUC__)
    return __builtin_ctzll(m);
#else
    int n = 0;
    while (!(m & 1)) {
        m >>= 1;
        n++;
    }
    return n;
#endif
}

/* push_num() for an integer v outside the small tables, through the
 * block's memo of recent values. */
static inline void push_big(const heft__io_ctx *c, heft__io_blk *b,
                            const heft__io_col *col, int64_t v)
{
    heft__io_memo *mm =
        &b->memo[((uint64_t)v * 0x9e3779b97f4a7c15ULL) >> 58];
    if (mm->v != v) {
        mm->v = v;
        mm->tv = num_transform(c, (double)v);
        mm->tok = bin_token((double)v);
    }
    heft__csr_push(&b->csr, col->num_bucket, mm->tv, col->field);
    if (c->num_buckets == 1)
        heft__csr_push(&b->csr, heft__bucket(col->field, mm->tok, c->bits),
                       1.0f, col->field);
}

/* A numeric cell that is a plain integer ([+-] and 1..18 digits, which
 * heft__num() reads exactly): pushes it as push_num() would and returns
 * 1; anything else returns 0 having pushed nothing. */
static inline int fast_int(const heft__io_ctx *c, heft__io_blk *b,
                           const heft__io_col *col, const char *s, size_t n)
{
    const char *e = s + n;
    const int neg = *s == '-';
    s += neg || *s == '+';
    if (s == e || e - s > 18)
        return 0;
    uint64_t u = 0;
    for (; s < e; s++) {
        const unsigned d = (unsigned)(unsigned char)*s - '0';
        if (d > 9)
            return 0;
        u = u * 10 + d;
    }
    if (u < HEFT__IO_SMALL && (!neg || u == 0)) { /* -0 is 0 here too */
        heft__csr_push(&b->csr, col->num_bucket, c->small_val[u],
                       col->field);
        if (c->num_buckets == 1)
            heft__csr_push(&b->csr,
                           heft__bucket(col->field, c->small_tok[u], c->bits),
                           1.0f, col->field);
    } else
        push_big(c, b, col, neg ? -(int64_t)u : (int64_t)u);
    return 1;
}

/* One field of the fast path; returns nonzero when the row must go to
 * the general path. */
static inline int fast_cell(const heft__io_ctx *c, heft__io_blk *b,
                            const heft__io_col *col, const char *q,
                            size_t n, const char *end, size_t j,
                            uint64_t line, float *label, int *graded)
{
    if (col->feat == HEFT__FEAT_CAT) {
        if (n) {
            const uint64_t h = n <= 8 && end - q >= 8
                                   ? heft__io_hash8(q, n)
                                   : heft__hash_bytes(q, n, 0);
            heft__csr_push(&b->csr, heft__bucket(col->field, h, c->bits),
                           1.0f, col->field);
        }
        return 0;
    }
    if (col->feat == HEFT__FEAT_NUM) {
        if (!n || fast_int(c, b, col, q, n))
            return 0;
        /* Other numbers: the general code for this one cell. */
        heft__io_field f = {q, n};
        heft__rowmeta m = {0, 1.0f, 0, 0, 0, line};
        heft_error e;
        return cell(c, b, col, &f, j, line, &m, &e) != HEFT_OK;
    }
    if (col->role == HEFT__ROLE_LABEL) {
        if (n == 1 && (*q == '0' || *q == '1')) {
            *label = (float)(*q - '0');
            return 0;
        }
        const char *why;
        return heft__label(q, n, label, graded, &why) != HEFT_OK;
    }
    return 0; /* an ignored column */
}

const char *heft__delim_fast(const heft__io_ctx *c, heft__io_blk *b,
                             const char *p, const char *end, uint64_t line)
{
    heft__csr *csr = &b->csr;
    if (HEFT__UNLIKELY(csr->cap_nnz - csr->nnz < c->row_nnz_max) &&
        heft__csr_reserve_nnz(csr, c->row_nnz_max) != HEFT_OK)
        return NULL;
    scan_pat s;
#if defined(__SSE2__)
    s.d = _mm_set1_epi8(c->delim);
    s.nl = _mm_set1_epi8('\n');
    s.qt = _mm_set1_epi8(c->quotes ? '"' : c->delim);
#endif
    s.cd = c->delim;
    s.cq = c->quotes ? '"' : c->delim;
    /* m: the special bytes of the 64 at p + at, consumed field by field. */
    const size_t len = (size_t)(end - p);
    size_t at = 0;
    uint64_t m = scan64(&s, p, end);
    const char *q = p, *fe = p;
    float label = 0;
    int graded = 0;
    const size_t last = c->ncols - 1;
    for (size_t j = 0;; j++) {
        while (!m && len - at > 64) {
            at += 64;
            m = scan64(&s, p + at, end);
        }
        fe = m ? p + at + ctz64(m) : end;
        m &= m - 1;
        const char ch = fe < end ? *fe : '\n';
        size_t n = (size_t)(fe - q);
        if (j < last ? ch != c->delim : ch != '\n')
            goto general; /* ragged, or a quote */
        if (j == last && n && fe[-1] == '\r')
            n--;
        if (fast_cell(c, b, &c->cols[j], q, n, end, j, line, &label,
                      &graded))
            goto general;
        if (j == last)
            break;
        q = fe + 1;
    }
    if ((size_t)(fe - p) > HEFT__MAX_LINE)
        goto general;
    heft__rowmeta rm = {label, 1.0f, 0, 0, 0, line};
    if (heft__csr_end_row(csr, &rm) != HEFT_OK)
        goto general;
    b->graded |= graded;
    return fe;
general:
    heft__csr_cancel_row(csr);
    return NULL;
}
