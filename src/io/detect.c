/*
 * detect.c: guesses the format of a text input from its name and its first
 * (decompressed) bytes. The name decides for .libfm, .ffm/.libffm and
 * .svm/.libsvm (after dropping .gz/.zst); otherwise the first line does:
 *   "1 3:1 5:0.5"           libsvm (libfm if the first lines use index 0)
 *   "1 2:3:1 ..."           libffm
 *   40 tab-separated fields, numeric first one (no header)   criteo
 *   a header with tabs      tsv
 *   a CSV header with id, click and hour                     avazu
 *   anything else           csv
 */
#include "ioint.h"

#include <strings.h>

static int ends_with(const char *s, size_t n, const char *suf)
{
    size_t k = strlen(suf);
    return n >= k && strncasecmp(s + n - k, suf, k) == 0;
}

static heft_format by_name(const char *name)
{
    if (!name)
        return HEFT_FMT_AUTO;
    size_t n = strlen(name);
    if (ends_with(name, n, ".gz"))
        n -= 3;
    else if (ends_with(name, n, ".zst"))
        n -= 4;
    else if (ends_with(name, n, ".zstd"))
        n -= 5;
    if (ends_with(name, n, ".libfm"))
        return HEFT_FMT_LIBFM;
    if (ends_with(name, n, ".ffm") || ends_with(name, n, ".libffm"))
        return HEFT_FMT_LIBFFM;
    if (ends_with(name, n, ".svm") || ends_with(name, n, ".libsvm"))
        return HEFT_FMT_LIBSVM;
    return HEFT_FMT_AUTO;
}

static int all_digits(const char *p, size_t n)
{
    if (!n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned)(p[i] - '0') >= 10)
            return 0;
    return 1;
}

/* Kind of a libsvm-family line: 0 not one, 2 idx:val tokens, 3
 * field:idx:val tokens; *zero set when an index 0 appears. */
static int svm_kind(const char *p, size_t n, int *zero)
{
    const char *e = p + n, *q = p;
    while (q < e && (*q == ' ' || *q == '\t'))
        q++;
    const char *t = q;
    while (q < e && *q != ' ' && *q != '\t')
        q++;
    double v;
    if (heft__num(t, (size_t)(q - t), &v) != HEFT__NUM_OK)
        return 0;
    int kind = 0;
    for (;;) {
        while (q < e && (*q == ' ' || *q == '\t' || *q == '\r'))
            q++;
        if (q == e || *q == '#')
            break;
        t = q;
        while (q < e && *q != ' ' && *q != '\t' && *q != '\r')
            q++;
        size_t tn = (size_t)(q - t);
        if (tn > 4 && memcmp(t, "qid:", 4) == 0 && all_digits(t + 4, tn - 4))
            continue;
        const char *c1 = memchr(t, ':', tn);
        if (!c1 || !all_digits(t, (size_t)(c1 - t)))
            return 0;
        const char *c2 = memchr(c1 + 1, ':', (size_t)(q - c1 - 1));
        int k = c2 ? 3 : 2;
        const char *ip = c2 ? c1 + 1 : t, *ie = c2 ? c2 : c1;
        const char *vp = (c2 ? c2 : c1) + 1;
        if (!all_digits(ip, (size_t)(ie - ip)) ||
            heft__num(vp, (size_t)(q - vp), &v) != HEFT__NUM_OK ||
            (kind && kind != k))
            return 0;
        kind = k;
        if (ie - ip == 1 && *ip == '0')
            *zero = 1;
    }
    return kind;
}

/* Detects criteo: 40 tab-separated fields whose first is a number. */
static int is_criteo(const char *p, size_t n)
{
    size_t tabs = 0;
    for (size_t i = 0; i < n; i++)
        tabs += p[i] == '\t';
    if (tabs != 39)
        return 0;
    const char *t = memchr(p, '\t', n);
    double v;
    return heft__num(p, (size_t)(t - p), &v) == HEFT__NUM_OK;
}

/* A headerless Avazu row: 24 comma-separated fields, a numeric id, a 0/1
 * click and an 8-digit YYMMDDHH hour (the competition's dev/test files). */
int heft__is_avazu_row(const char *p, size_t n)
{
    size_t commas = 0;
    for (size_t i = 0; i < n; i++)
        commas += p[i] == ',';
    if (commas != 23)
        return 0;
    const char *c1 = memchr(p, ',', n);
    const char *c2 = memchr(c1 + 1, ',', (size_t)(p + n - c1 - 1));
    const char *c3 = memchr(c2 + 1, ',', (size_t)(p + n - c2 - 1));
    for (const char *q = p; q < c1; q++)
        if (*q < '0' || *q > '9')
            return 0;
    if (c2 - c1 != 2 || (c1[1] != '0' && c1[1] != '1') || c3 - c2 != 9)
        return 0;
    for (const char *q = c2 + 1; q < c3; q++)
        if (*q < '0' || *q > '9')
            return 0;
    return c1 > p;
}

static int csv_has(const char *p, size_t n, const char *name)
{
    size_t k = strlen(name);
    const char *e = p + n;
    while (p < e) {
        const char *c = memchr(p, ',', (size_t)(e - p));
        const char *fe = c ? c : e;
        const char *a = p, *b = fe;
        if (b - a >= 2 && *a == '"' && b[-1] == '"') {
            a++;
            b--;
        }
        if ((size_t)(b - a) == k && memcmp(a, name, k) == 0)
            return 1;
        p = c ? c + 1 : e;
    }
    return 0;
}

heft_format heft__detect_format(const char *name, const char *head,
                                size_t len)
{
    heft_format f = by_name(name);
    if (f != HEFT_FMT_AUTO)
        return f;
    if (len >= 3 && memcmp(head, "\xEF\xBB\xBF", 3) == 0) {
        head += 3;
        len -= 3;
    }
    const char *nl = memchr(head, '\n', len);
    size_t n = nl ? (size_t)(nl - head) : len;
    if (n && head[n - 1] == '\r')
        n--;
    /* libsvm files may open with comment lines: judge the first other. */
    const char *sl = head, *e = head + len;
    size_t sn = n;
    while (sl < e) {
        const char *q = sl;
        while (q < e && (*q == ' ' || *q == '\t'))
            q++;
        if (q < e && *q != '#' && *q != '\n' && *q != '\r')
            break;
        const char *l = memchr(sl, '\n', (size_t)(e - sl));
        sl = l ? l + 1 : e;
    }
    if (sl < e) {
        const char *l = memchr(sl, '\n', (size_t)(e - sl));
        sn = l ? (size_t)(l - sl) : (size_t)(e - sl);
    } else
        sl = head;
    int zero = 0;
    int kind = svm_kind(sl, sn, &zero);
    if (kind == 3)
        return HEFT_FMT_LIBFFM;
    if (kind == 2) {
        /* Look for a 0 index in the lines at hand. */
        const char *q = head, *e = head + len;
        for (int lines = 0; q < e && lines < 1000 && !zero; lines++) {
            const char *l = memchr(q, '\n', (size_t)(e - q));
            const char *le = l ? l : e;
            svm_kind(q, (size_t)(le - q), &zero);
            q = l ? l + 1 : e;
        }
        return zero ? HEFT_FMT_LIBFM : HEFT_FMT_LIBSVM;
    }
    if (memchr(head, '\t', n))
        return is_criteo(head, n) ? HEFT_FMT_CRITEO : HEFT_FMT_TSV;
    if (csv_has(head, n, "id") && csv_has(head, n, "click") &&
        csv_has(head, n, "hour"))
        return HEFT_FMT_AVAZU;
    if (heft__is_avazu_row(head, n))
        return HEFT_FMT_AVAZU;
    return HEFT_FMT_CSV;
}
