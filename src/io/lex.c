/*
 * lex.c: the small lexical pieces of the readers: strict numbers, escaped
 * column lists and RFC 4180 record splitting.
 */
#include "ioint.h"

#include <math.h>
#include <stdlib.h>
#include <strings.h>

static const double pow10_exact[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int is_nonfinite_word(const char *p, size_t n)
{
    if (n && (*p == '+' || *p == '-')) {
        p++;
        n--;
    }
    if (n == 3)
        return !strncasecmp(p, "nan", 3) || !strncasecmp(p, "inf", 3);
    return n == 8 && !strncasecmp(p, "infinity", 8);
}

/* Checks the grammar and gathers up to 19 significant digits. Returns the
 * end of the number (must be e for success). */
typedef struct num_parts {
    uint64_t mant;
    int digits;    /* significant digits gathered into mant */
    int dropped;   /* digits not gathered (precision beyond 19)   */
    long exp10;    /* value = mant * 10^exp10 (before dropped)   */
    int neg;
} num_parts;

static const char *scan_num(const char *p, const char *e, num_parts *np)
{
    memset(np, 0, sizeof *np);
    if (p < e && (*p == '+' || *p == '-'))
        np->neg = *p++ == '-';
    int any = 0;
    for (; p < e && (unsigned)(*p - '0') < 10; p++, any = 1) {
        if (np->digits < 19) {
            if (np->mant || *p != '0') {
                np->mant = np->mant * 10 + (uint64_t)(*p - '0');
                np->digits += np->mant != 0;
            }
        } else {
            np->exp10++;
            np->dropped = 1;
        }
    }
    if (p < e && *p == '.') {
        p++;
        for (; p < e && (unsigned)(*p - '0') < 10; p++, any = 1) {
            if (np->digits < 19) {
                np->mant = np->mant * 10 + (uint64_t)(*p - '0');
                np->digits += np->mant != 0;
                np->exp10--;
            } else
                np->dropped = 1;
        }
    }
    if (!any)
        return NULL;
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        int eneg = 0;
        if (p < e && (*p == '+' || *p == '-'))
            eneg = *p++ == '-';
        if (p == e || (unsigned)(*p - '0') >= 10)
            return NULL;
        long x = 0;
        for (; p < e && (unsigned)(*p - '0') < 10; p++)
            if (x < 100000)
                x = x * 10 + (*p - '0');
        np->exp10 += eneg ? -x : x;
    }
    return p;
}

int heft__num_slow(const char *s, size_t n, double *out)
{
    const char *p = s, *e = s + n;
    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    if (is_nonfinite_word(p, (size_t)(e - p)))
        return HEFT__NUM_NONFINITE;
    num_parts np;
    if (scan_num(p, e, &np) != e)
        return HEFT__NUM_BAD;
    double v;
    if (!np.dropped && np.mant < (1ULL << 53) && np.exp10 >= -22 &&
        np.exp10 <= 22) {
        /* Clinger's fast path: both operands exact, one rounding. */
        v = (double)np.mant;
        v = np.exp10 < 0 ? v / pow10_exact[-np.exp10]
                         : v * pow10_exact[np.exp10];
    } else {
        char tmp[400];
        size_t len = (size_t)(e - p);
        if (len >= sizeof tmp)
            return HEFT__NUM_BAD;
        memcpy(tmp, p, len);
        tmp[len] = '\0';
        v = strtod(tmp, NULL);
        if (np.neg)
            v = -fabs(v);
        if (!isfinite(v))
            return HEFT__NUM_NONFINITE;
        *out = v;
        return HEFT__NUM_OK;
    }
    *out = np.neg ? -v : v;
    return HEFT__NUM_OK;
}

int heft__parse_u64(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 20)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (d >= 10 || v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* ---- column lists ------------------------------------------------------- */

void heft__list_free(heft__io_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->item[i]);
    free(l->item);
    l->item = NULL;
    l->n = 0;
}

heft_status heft__list_parse(const char *s, heft__io_list *out)
{
    memset(out, 0, sizeof *out);
    if (!s)
        return HEFT_OK;
    size_t len = strlen(s);
    out->item = heft__calloc(len / 2 + 1, sizeof *out->item);
    char *cur = malloc(len + 1);
    if (!out->item || !cur) {
        free(cur);
        heft__list_free(out);
        return HEFT_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] == '\\' && i + 1 < len) {
            cur[k++] = s[++i];
            continue;
        }
        if (i < len && s[i] != ',') {
            cur[k++] = s[i];
            continue;
        }
        if (k > 0) {
            char *it = heft__strndup(cur, k);
            if (!it) {
                free(cur);
                heft__list_free(out);
                return HEFT_ENOMEM;
            }
            out->item[out->n++] = it;
        }
        k = 0;
    }
    free(cur);
    return HEFT_OK;
}

heft_status heft__list_append(char **buf, const char *name, size_t len)
{
    size_t old = *buf ? strlen(*buf) : 0;
    char *b = realloc(*buf, old + 2 * len + 2);
    if (!b)
        return HEFT_ENOMEM;
    *buf = b;
    size_t k = old;
    if (old)
        b[k++] = ',';
    for (size_t i = 0; i < len; i++) {
        if (name[i] == ',' || name[i] == '\\')
            b[k++] = '\\';
        b[k++] = name[i];
    }
    b[k] = '\0';
    return HEFT_OK;
}

/* ---- records ------------------------------------------------------------ */

const char *heft__record_end(const char *p, const char *end, char delim,
                             int quotes, uint64_t *inner)
{
    if (inner)
        *inner = 0;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl)
        nl = end;
    if (!quotes || !memchr(p, '"', (size_t)(nl - p)))
        return nl;
    /* Slow path: walk the fields. */
    uint64_t in_nl = 0;
    const char *q = p;
    for (;;) {
        if (q < end && *q == '"') {
            q++;
            for (;;) {
                const char *c = memchr(q, '"', (size_t)(end - q));
                if (!c) { /* unterminated: the record runs to the end */
                    for (; q < end; q++)
                        in_nl += *q == '\n';
                    if (inner)
                        *inner = in_nl;
                    return end;
                }
                for (; q < c; q++)
                    in_nl += *q == '\n';
                q = c + 1;
                if (q < end && *q == '"') {
                    q++;
                    continue;
                }
                break;
            }
        }
        while (q < end && *q != delim && *q != '\n')
            q++;
        if (q == end || *q == '\n') {
            if (inner)
                *inner = in_nl;
            return q;
        }
        q++; /* past the delimiter: next field */
    }
}

long heft__split(const char *p, size_t len, char delim, int quotes,
                 heft__io_field *f, size_t cap, char *scratch)
{
    const char *e = p + len;
    size_t k = 0;
    for (;;) {
        heft__io_field cur;
        if (quotes && p < e && *p == '"') {
            char *o = scratch;
            const char *q = p + 1;
            for (;;) {
                const char *c = memchr(q, '"', (size_t)(e - q));
                if (!c)
                    return -(long)k - 1;
                memcpy(o, q, (size_t)(c - q));
                o += c - q;
                q = c + 1;
                if (q < e && *q == '"') {
                    *o++ = '"';
                    q++;
                    continue;
                }
                break;
            }
            cur.p = scratch;
            cur.n = (size_t)(o - scratch);
            scratch = o;
            if (q < e && *q != delim)
                return -(long)k - 1;
            p = q;
        } else {
            const char *d = memchr(p, delim, (size_t)(e - p));
            const char *fe = d ? d : e;
            cur.p = p;
            cur.n = (size_t)(fe - p);
            p = fe;
        }
        if (k < cap)
            f[k] = cur;
        k++;
        if (p == e)
            return (long)k;
        p++; /* the delimiter */
    }
}
