/*
 * report_json.c: a small strict JSON reader (RFC 8259) for the run files
 * of `heft report`. Recursive descent over the whole text in memory; every
 * value records the line and byte column where it starts, and every error
 * names the file, line and column of the offending byte and what was
 * expected there.
 *
 * Strict on purpose: the files come from heft's own commands, so anything
 * beyond the RFC (comments, trailing commas, NaN, single quotes) is a bug
 * in a producer that should surface here, not be papered over.
 */
#include "report_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum { JSON_MAX_DEPTH = 128 };

typedef struct jparser {
    const char *p, *end, *buf;
    const char *line_start;
    uint32_t line;
    const char *name;
    heft__arena *arena;
    heft_error *err;
    int depth;
} jparser;

static uint32_t col_of(const jparser *j, const char *at)
{
    return (uint32_t)(at - j->line_start) + 1;
}

/* An error at byte `at` (on the current line). */
static heft_status fail_at(jparser *j, const char *at, const char *fmt, ...)
    HEFT__PRINTF(3, 4);
static heft_status fail_at(jparser *j, const char *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    heft_status st = heft__verr(j->err, HEFT_EPARSE, j->name, j->line,
                                col_of(j, at), fmt, ap);
    va_end(ap);
    return st;
}

/* What is at p, for messages: "'x'" or "the end of the input". */
static const char *found(const jparser *j, char *buf, size_t cap)
{
    if (j->p >= j->end)
        return "the end of the input";
    unsigned char c = (unsigned char)*j->p;
    if (c < 0x20 || c >= 0x7f)
        snprintf(buf, cap, "byte 0x%02x", c);
    else
        snprintf(buf, cap, "'%c'", c);
    return buf;
}

static void skip_ws(jparser *j)
{
    while (j->p < j->end) {
        char c = *j->p;
        if (c == '\n') {
            j->line++;
            j->line_start = j->p + 1;
        } else if (c != ' ' && c != '\t' && c != '\r') {
            return;
        }
        j->p++;
    }
}

static heft_status parse_value(jparser *j, heft__jval *v);

/* Length of the UTF-8 sequence at s (1..4) if it is well formed (no
 * overlong forms, surrogates or code points past U+10FFFF), else 0. */
static int utf8_len(const unsigned char *s, const unsigned char *end)
{
    unsigned c = s[0];
    int n = c < 0x80                 ? 1
            : c >= 0xc2 && c <= 0xdf ? 2
            : c >= 0xe0 && c <= 0xef ? 3
            : c >= 0xf0 && c <= 0xf4 ? 4
                                     : 0;
    if (n == 0 || end - s < n)
        return 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) ||
        (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
        return 0;
    return n;
}

static int hex4(const char *s, const char *end, unsigned *out)
{
    if (end - s < 4)
        return 0;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return 0;
    }
    *out = v;
    return 1;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* A \uXXXX escape at s (pointing at the backslash), with its low
 * surrogate when it is a high one; advances *s past it. */
static heft_status parse_u_escape(jparser *j, const char **s, unsigned *cp)
{
    const char *at = *s;
    if (!hex4(at + 2, j->end, cp))
        return fail_at(j, at, "expected four hex digits after \\u");
    *s = at + 6;
    if (*cp >= 0xdc00 && *cp <= 0xdfff)
        return fail_at(j, at, "unpaired low surrogate \\u%04x", *cp);
    if (*cp >= 0xd800 && *cp <= 0xdbff) {
        unsigned lo;
        if (j->end - *s < 6 || (*s)[0] != '\\' || (*s)[1] != 'u' ||
            !hex4(*s + 2, j->end, &lo) || lo < 0xdc00 || lo > 0xdfff)
            return fail_at(j, at,
                           "high surrogate \\u%04x is not followed "
                           "by a low one",
                           *cp);
        *cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
        *s += 6;
    }
    if (*cp == 0)
        return fail_at(j, at, "\\u0000 is not allowed in strings here");
    return HEFT_OK;
}

/* A string starting at the opening quote; the decoded text goes to the
 * arena (never longer than the source). */
static heft_status parse_string(jparser *j, const char **out, size_t *len)
{
    const char *s = j->p + 1;
    const char *scan = s;
    while (scan < j->end && *scan != '"') /* bound the decoded length */
        scan += *scan == '\\' && scan + 1 < j->end ? 2 : 1;
    char *o = heft__arena_alloc(j->arena, (size_t)(scan - s) + 1, 1);
    if (!o)
        return heft__err(j->err, HEFT_ENOMEM, j->name, 0, 0, "out of memory");
    size_t n = 0;
    for (;;) {
        if (s >= j->end)
            return fail_at(j, j->p, "unterminated string (no closing '\"')");
        unsigned char c = (unsigned char)*s;
        if (c == '"')
            break;
        if (c < 0x20)
            return fail_at(j, s,
                           "control character 0x%02x in a string "
                           "(write it as \\u%04x)",
                           c, c);
        if (c == '\\') {
            if (s + 1 >= j->end)
                return fail_at(j, s, "unterminated escape in a string");
            const char e = s[1];
            const char *map = strchr("\"\\/bfnrt", e);
            if (e && map) {
                o[n++] = "\"\\/\b\f\n\r\t"[map - "\"\\/bfnrt"];
                s += 2;
            } else if (e == 'u') {
                unsigned cp;
                heft_status st = parse_u_escape(j, &s, &cp);
                if (st != HEFT_OK)
                    return st;
                n += put_utf8(o + n, cp);
            } else {
                return fail_at(j, s, "invalid escape '\\%c' in a string", e);
            }
            continue;
        }
        int k =
            utf8_len((const unsigned char *)s, (const unsigned char *)j->end);
        if (!k)
            return fail_at(j, s, "invalid UTF-8 byte 0x%02x in a string", c);
        memcpy(o + n, s, (size_t)k);
        n += (size_t)k;
        s += k;
    }
    o[n] = '\0';
    j->p = s + 1;
    *out = o;
    *len = n;
    return HEFT_OK;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A number by the RFC's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
 */
static heft_status parse_number(jparser *j, heft__jval *v)
{
    const char *s = j->p, *q = s;
    if (q < j->end && *q == '-')
        q++;
    if (q >= j->end || !is_digit(*q))
        return fail_at(j, q, "expected a digit in a number");
    if (*q == '0' && q + 1 < j->end && is_digit(q[1]))
        return fail_at(j, q, "leading zero in a number");
    while (q < j->end && is_digit(*q))
        q++;
    if (q < j->end && *q == '.') {
        if (++q >= j->end || !is_digit(*q))
            return fail_at(j, q, "expected a digit after '.'");
        while (q < j->end && is_digit(*q))
            q++;
    }
    if (q < j->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < j->end && (*q == '+' || *q == '-'))
            q++;
        if (q >= j->end || !is_digit(*q))
            return fail_at(j, q, "expected a digit in the exponent");
        while (q < j->end && is_digit(*q))
            q++;
    }
    char tmp[64];
    char *heap = NULL;
    size_t n = (size_t)(q - s);
    char *t = n < sizeof tmp ? tmp : (heap = malloc(n + 1));
    if (!t)
        return heft__err(j->err, HEFT_ENOMEM, j->name, 0, 0, "out of memory");
    memcpy(t, s, n);
    t[n] = '\0';
    errno = 0;
    v->num = strtod(t, NULL);
    free(heap);
    if (errno == ERANGE && isinf(v->num))
        return fail_at(j, s, "number out of range");
    v->type = HEFT__J_NUM;
    j->p = q;
    return HEFT_OK;
}

static heft_status parse_literal(jparser *j, heft__jval *v)
{
    static const struct {
        const char *w;
        heft__jtype t;
        int b;
    } lit[] = {
        {"true", HEFT__J_BOOL, 1},
        {"false", HEFT__J_BOOL, 0},
        {"null", HEFT__J_NULL, 0},
    };
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(lit[i].w);
        if ((size_t)(j->end - j->p) >= n && memcmp(j->p, lit[i].w, n) == 0) {
            const char *after = j->p + n;
            if (after < j->end &&
                ((*after >= 'a' && *after <= 'z') || is_digit(*after)))
                break;
            v->type = lit[i].t;
            v->num = lit[i].b;
            j->p = after;
            return HEFT_OK;
        }
    }
    char b[32];
    return fail_at(j, j->p,
                   "expected a value (object, array, string, "
                   "number, true, false or null), got %s",
                   found(j, b, sizeof b));
}

/* Elements or members are gathered in a malloc'ed vector while parsing
 * (their number is unknown until the closing bracket), then copied to
 * the arena. */
typedef struct jvec {
    heft__jval *v;
    const char **k;
    size_t n, cap;
} jvec;

static heft__jval *jvec_push(jvec *a, const char *key)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 8;
        heft__jval *v = heft__realloc(a->v, cap, sizeof *v);
        if (!v)
            return NULL;
        a->v = v;
        const char **k = heft__realloc(a->k, cap, sizeof *k);
        if (!k)
            return NULL;
        a->k = k;
        a->cap = cap;
    }
    a->k[a->n] = key;
    memset(&a->v[a->n], 0, sizeof a->v[a->n]);
    return &a->v[a->n++];
}

static heft_status jvec_finish(jparser *j, jvec *a, heft__jval *v, int obj)
{
    v->n = a->n;
    v->item = heft__arena_dup(j->arena, a->v, a->n, sizeof *a->v);
    if (obj)
        v->key = heft__arena_dup(j->arena, a->k, a->n, sizeof *a->k);
    if (a->n && (!v->item || (obj && !v->key)))
        return heft__err(j->err, HEFT_ENOMEM, j->name, 0, 0, "out of memory");
    return HEFT_OK;
}

/* One "key": value member into a; refuses a key seen before. */
static heft_status parse_member(jparser *j, jvec *a)
{
    char b[32];
    skip_ws(j);
    if (j->p >= j->end || *j->p != '"')
        return fail_at(j, j->p, "expected a string key in '\"', got %s",
                       found(j, b, sizeof b));
    const char *kat = j->p, *key;
    size_t klen;
    heft_status st = parse_string(j, &key, &klen);
    if (st != HEFT_OK)
        return st;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->k[i], key) == 0)
            return fail_at(j, kat, "duplicate key \"%.60s\"", key);
    skip_ws(j);
    if (j->p >= j->end || *j->p != ':')
        return fail_at(j, j->p, "expected ':' after the key \"%.60s\", got %s",
                       key, found(j, b, sizeof b));
    j->p++;
    heft__jval *e = jvec_push(a, key);
    if (!e)
        return heft__err(j->err, HEFT_ENOMEM, j->name, 0, 0, "out of memory");
    return parse_value(j, e);
}

/* An array ('[' at j->p) or, with obj, an object ('{'): elements (or
 * "key": value members) separated by ',' up to the closing bracket. */
static heft_status parse_container(jparser *j, heft__jval *v, int obj)
{
    const char close = obj ? '}' : ']';
    jvec a = {0};
    heft_status st = HEFT_OK;
    v->type = obj ? HEFT__J_OBJ : HEFT__J_ARR;
    j->p++;
    skip_ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        return HEFT_OK;
    }
    for (;;) {
        heft__jval *e = obj ? NULL : jvec_push(&a, NULL);
        if (!obj && !e) {
            st = heft__err(j->err, HEFT_ENOMEM, j->name, 0, 0, "out of memory");
            break;
        }
        if ((st = obj ? parse_member(j, &a) : parse_value(j, e)) != HEFT_OK)
            break;
        skip_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == close) {
            j->p++;
            st = jvec_finish(j, &a, v, obj);
            break;
        }
        char b[32];
        st = fail_at(j, j->p, "expected ',' or '%c' after %s, got %s", close,
                     obj ? "an object member" : "an array element",
                     found(j, b, sizeof b));
        break;
    }
    free(a.v);
    free(a.k);
    return st;
}

static heft_status parse_value(jparser *j, heft__jval *v)
{
    skip_ws(j);
    v->line = j->line;
    v->col = col_of(j, j->p);
    if (j->p >= j->end)
        return fail_at(j, j->p, "expected a value, got the end of the input");
    if (++j->depth > JSON_MAX_DEPTH)
        return fail_at(j, j->p, "arrays and objects nested deeper than %d",
                       JSON_MAX_DEPTH);
    heft_status st;
    char c = *j->p;
    if (c == '{')
        st = parse_container(j, v, 1);
    else if (c == '[')
        st = parse_container(j, v, 0);
    else if (c == '"') {
        v->type = HEFT__J_STR;
        st = parse_string(j, &v->str, &v->len);
    } else if (c == '-' || is_digit(c))
        st = parse_number(j, v);
    else
        st = parse_literal(j, v);
    j->depth--;
    return st;
}

heft_status heft__json_parse(const char *buf, size_t len, const char *name,
                             heft__jdoc **out, heft_error *err)
{
    *out = NULL;
    heft__jdoc *d = calloc(1, sizeof *d);
    heft__arena *a = heft__arena_new();
    heft__jval *root = a ? heft__arena_alloc(a, 1, sizeof *root) : NULL;
    if (!d || !root) {
        free(d);
        heft__arena_free(a);
        return heft__err(err, HEFT_ENOMEM, name, 0, 0, "out of memory");
    }
    jparser j = {buf, buf + len, buf, buf, 1, name, a, err, 0};
    if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
        j.p = j.line_start = buf + 3; /* a BOM: skipped, columns after it */
    heft_status st = parse_value(&j, root);
    if (st == HEFT_OK) {
        skip_ws(&j);
        if (j.p < j.end) {
            char b[32];
            st = fail_at(&j, j.p,
                         "expected the end of the input after the "
                         "JSON value, got %s",
                         found(&j, b, sizeof b));
        }
    }
    if (st != HEFT_OK) {
        free(d);
        heft__arena_free(a);
        return st;
    }
    d->arena = a;
    d->root = root;
    *out = d;
    return HEFT_OK;
}

void heft__json_free(heft__jdoc *d)
{
    if (!d)
        return;
    heft__arena_free(d->arena);
    free(d);
}

const heft__jval *heft__json_get(const heft__jval *o, const char *key)
{
    if (!o || o->type != HEFT__J_OBJ)
        return NULL;
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->key[i], key) == 0)
            return &o->item[i];
    return NULL;
}

const char *heft__json_type_name(heft__jtype t)
{
    switch (t) {
    case HEFT__J_NULL: return "null";
    case HEFT__J_BOOL: return "a boolean";
    case HEFT__J_NUM: return "a number";
    case HEFT__J_STR: return "a string";
    case HEFT__J_ARR: return "an array";
    case HEFT__J_OBJ: return "an object";
    }
    return "a value";
}
