/*
 * scorefile.c: reading back the score tables that heft_scores_write()
 * writes (src/score/score.c):
 *   PATH.tsv   header "row[\tlabel]\tCOL...", then one line per row, the
 *              row number counting from 0, values as decimal numbers;
 *   PATH.npy   NumPy 1.0/2.0, '<f4' or '<f8', C order, shape (rows, cols),
 *              with PATH's STEM.json sidecar {"columns": ["COL", ...], ...};
 *   STEM.groups.tsv (optional, beside either) "group_id\tCOL" per group.
 * Every error names the file, the 1-based line and the 1-based column
 * (field number in TSV, byte in the JSON and the .npy header).
 */
#include "core.h"
#include "score.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#define PERR(line, col, ...) \
    heft__err(err, HEFT_EPARSE, path, line, col, __VA_ARGS__)

void heft_score_file_free(heft_score_file *f)
{
    if (!f)
        return;
    for (size_t j = 0; j < f->cols; j++) {
        if (f->names)
            free(f->names[j]);
        if (f->col)
            free(f->col[j]);
    }
    free(f->names);
    free(f->col);
    free(f->label);
    free(f->group_ids);
    free(f->group_values);
    free(f->path);
    free(f);
}

const float *heft_score_file_col(const heft_score_file *f, const char *name)
{
    for (size_t j = 0; f && name && j < f->cols; j++)
        if (!strcmp(f->names[j], name))
            return f->col[j];
    return NULL;
}

/* A cursor over the lines of a buffer. */
typedef struct lines {
    const char *p, *end;
    uint64_t no; /* 1-based number of the line last returned */
} lines;

/* The next line without its "\n" or "\r\n"; 0 at the end. */
static int next_line(lines *L, const char **s, size_t *len)
{
    if (L->p >= L->end)
        return 0;
    const char *e = memchr(L->p, '\n', (size_t)(L->end - L->p));
    const char *stop = e ? e : L->end;
    *s = L->p;
    *len = (size_t)(stop - L->p);
    if (*len && (*s)[*len - 1] == '\r')
        (*len)--;
    L->p = e ? e + 1 : L->end;
    L->no++;
    return 1;
}

/* Splits a line at tabs into at most cap fields (pointers into a copy the
 * caller owns in buf); returns the count, or cap + 1 when there are more. */
static size_t split_tabs(char *buf, char **f, size_t cap)
{
    size_t k = 0;
    char *p = buf;
    for (;;) {
        if (k == cap)
            return cap + 1;
        f[k++] = p;
        char *t = strchr(p, '\t');
        if (!t)
            return k;
        *t = '\0';
        p = t + 1;
    }
}

/* A finite decimal number filling the whole field. */
static int parse_num(const char *s, double *v)
{
    if (!*s)
        return 0;
    char *e;
    errno = 0;
    *v = strtod(s, &e);
    return *e == '\0' && isfinite(*v) && errno != ERANGE;
}

static int parse_u64(const char *s, uint64_t *v)
{
    if (*s < '0' || *s > '9')
        return 0;
    char *e;
    errno = 0;
    unsigned long long x = strtoull(s, &e, 10);
    *v = x;
    return *e == '\0' && errno != ERANGE;
}

/* Allocates the columns of f for rows rows. */
static heft_status alloc_cols(heft_score_file *f, size_t rows, int label)
{
    f->rows = rows;
    f->col = heft__calloc(f->cols ? f->cols : 1, sizeof *f->col);
    if (!f->col)
        return HEFT_ENOMEM;
    for (size_t j = 0; j < f->cols; j++)
        if (!(f->col[j] = heft__malloc(rows ? rows : 1, sizeof **f->col)))
            return HEFT_ENOMEM;
    if (label && !(f->label = heft__malloc(rows ? rows : 1, sizeof *f->label)))
        return HEFT_ENOMEM;
    return HEFT_OK;
}

/* Counts the data lines (non-empty lines after the header). */
static size_t count_rows(const char *b, size_t len)
{
    lines L = {b, b + len, 0};
    const char *s;
    size_t n, rows = 0;
    while (next_line(&L, &s, &n))
        rows += n > 0 && L.no > 1;
    return rows;
}

/* The header of a row table: "row", maybe "label", then the columns. */
static heft_status tsv_header(heft_score_file *f, char *line,
                              const char *path, int *has_label,
                              heft_error *err)
{
    size_t nf = 1;
    for (const char *p = line; *p; p++)
        nf += *p == '\t';
    char **fl = heft__malloc(nf, sizeof *fl);
    if (!fl)
        return heft__err(err, HEFT_ENOMEM, path, 0, 0, "out of memory");
    split_tabs(line, fl, nf);
    heft_status st = HEFT_OK;
    if (!strcmp(fl[0], "group_id"))
        st = PERR(1, 1, "this is a group table (one line per group); give "
                        "the row table heft score wrote beside it");
    else if (strcmp(fl[0], "row"))
        st = PERR(1, 1, "expected the header of a heft score table, "
                        "starting \"row\", found \"%.40s\"", fl[0]);
    *has_label = nf > 1 && !strcmp(fl[1], "label");
    const size_t first = 1 + (size_t)*has_label;
    if (st == HEFT_OK && nf <= first)
        st = PERR(1, (uint32_t)nf, "the header names no score column");
    if (st == HEFT_OK) {
        f->cols = nf - first;
        f->names = heft__calloc(f->cols, sizeof *f->names);
        for (size_t j = 0; f->names && j < f->cols; j++)
            if (!(f->names[j] = heft__strdup(fl[first + j])))
                break;
        if (!f->names || !f->names[f->cols - 1])
            st = heft__err(err, HEFT_ENOMEM, path, 0, 0, "out of memory");
    }
    free(fl);
    return st;
}

/* One data line i of a row table into f. fl has room for nf + 1. */
static heft_status tsv_row(heft_score_file *f, char *line, size_t i,
                           uint64_t lno, char **fl, size_t nf,
                           const char *path, heft_error *err)
{
    size_t k = split_tabs(line, fl, nf);
    if (k != nf)
        return PERR(lno, (uint32_t)(k > nf ? nf + 1 : k),
                    "expected %zu tab-separated fields as in the header, "
                    "found %s%zu", nf, k > nf ? "more than " : "",
                    k > nf ? nf : k);
    uint64_t r;
    if (!parse_u64(fl[0], &r) || r != i)
        return PERR(lno, 1, "expected row number %zu, found \"%.40s\"", i,
                    fl[0]);
    size_t c = 1;
    double v;
    if (f->label) {
        if (!parse_num(fl[1], &v))
            return PERR(lno, 2, "expected a label, found \"%.40s\"", fl[1]);
        f->label[i] = (float)v;
        c = 2;
    }
    for (size_t j = 0; j < f->cols; j++, c++) {
        if (!parse_num(fl[c], &v))
            return PERR(lno, (uint32_t)(c + 1),
                        "expected a finite number in column %s, found "
                        "\"%.40s\"", f->names[j], fl[c]);
        f->col[j][i] = (float)v;
    }
    return HEFT_OK;
}

static heft_status read_tsv(heft_score_file *f, const char *b, size_t len,
                            const char *path, heft_error *err)
{
    lines L = {b, b + len, 0};
    const char *s;
    size_t n;
    if (!next_line(&L, &s, &n) || !n)
        return heft__err(err, HEFT_EEMPTY, path, 1, 1,
                         "empty score file: expected a header line");
    size_t cap = n + 1;
    char *buf = heft__malloc(cap, 1);
    if (!buf)
        return heft__err(err, HEFT_ENOMEM, path, 0, 0, "out of memory");
    memcpy(buf, s, n);
    buf[n] = '\0';
    int has_label = 0;
    heft_status st = tsv_header(f, buf, path, &has_label, err);
    const size_t nf = f->cols + 1 + (size_t)has_label;
    char **fl = heft__malloc(nf + 1, sizeof *fl);
    if (st == HEFT_OK && (!fl || alloc_cols(f, count_rows(b, len),
                                            has_label) != HEFT_OK))
        st = heft__err(err, HEFT_ENOMEM, path, 0, 0, "out of memory");
    for (size_t i = 0; st == HEFT_OK && next_line(&L, &s, &n);) {
        if (!n)
            continue;
        if (n + 1 > cap) {
            char *nb = realloc(buf, n + 1);
            if (!nb) {
                st = heft__err(err, HEFT_ENOMEM, path, 0, 0, "out of memory");
                break;
            }
            buf = nb;
            cap = n + 1;
        }
        memcpy(buf, s, n);
        buf[n] = '\0';
        st = tsv_row(f, buf, i++, L.no, fl, nf, path, err);
    }
    if (st == HEFT_OK && !f->rows)
        st = heft__err(err, HEFT_EEMPTY, path, 2, 1,
                       "the score file has a header but no rows");
    free(fl);
    free(buf);
    return st;
}

/* 1-based line and column of offset off in b. */
static void locate(const char *b, size_t off, uint64_t *line, uint32_t *col)
{
    *line = 1;
    size_t start = 0;
    for (size_t i = 0; i < off; i++)
        if (b[i] == '\n') {
            (*line)++;
            start = i + 1;
        }
    *col = (uint32_t)(off - start + 1);
}

/* A JSON string at b[*i] (at its opening quote) into a malloc'ed copy;
 * \uXXXX escapes above ASCII become '?'. NULL on a malformed string. */
static char *json_string(const char *b, size_t len, size_t *i)
{
    char *out = heft__malloc(len - *i + 1, 1);
    size_t k = 0, p = *i + 1;
    while (out && p < len && b[p] != '"') {
        char ch = b[p++];
        if ((unsigned char)ch < 0x20)
            goto bad;
        if (ch == '\\') {
            if (p >= len)
                goto bad;
            const char e = b[p++];
            switch (e) {
            case '"': case '\\': case '/': ch = e; break;
            case 'b': ch = '\b'; break;
            case 'f': ch = '\f'; break;
            case 'n': ch = '\n'; break;
            case 'r': ch = '\r'; break;
            case 't': ch = '\t'; break;
            case 'u': {
                if (p + 4 > len)
                    goto bad;
                char hex[5] = {b[p], b[p + 1], b[p + 2], b[p + 3], 0};
                char *end;
                const long u = strtol(hex, &end, 16);
                if (*end)
                    goto bad;
                ch = u < 0x80 ? (char)u : '?';
                p += 4;
                break;
            }
            default:
                goto bad;
            }
        }
        out[k++] = ch;
    }
    if (!out || p >= len || b[p] != '"')
        goto bad;
    out[k] = '\0';
    *i = p + 1;
    return out;
bad:
    free(out);
    return NULL;
}

static size_t skip_ws(const char *b, size_t len, size_t i)
{
    while (i < len && strchr(" \t\r\n", b[i]) && b[i])
        i++;
    return i;
}

/* The "columns" array of a sidecar into f->names / f->cols. */
static heft_status read_sidecar(heft_score_file *f, const char *b, size_t len,
                                const char *path, heft_error *err)
{
    const char *key = "\"columns\"";
    const char *at = NULL;
    for (size_t i = 0; !at && i + 9 <= len; i++)
        if (!memcmp(b + i, key, 9))
            at = b + i;
    if (!at)
        return PERR(1, 1, "expected a key \"columns\" naming the columns "
                          "of the .npy file");
    size_t i = skip_ws(b, len, (size_t)(at - b) + 9);
    uint64_t line;
    uint32_t col;
    if (i < len && b[i] == ':')
        i = skip_ws(b, len, i + 1);
    if (i >= len || b[i] != '[') {
        locate(b, i, &line, &col);
        return PERR(line, col, "expected ':' and '[' after \"columns\"");
    }
    i = skip_ws(b, len, i + 1);
    size_t cap = 0;
    while (i < len && b[i] != ']') {
        char *name = b[i] == '"' ? json_string(b, len, &i) : NULL;
        char **nn = name && f->cols == cap
                        ? heft__realloc(f->names, cap = 2 * cap + 4,
                                        sizeof *nn)
                        : f->names;
        if (!name || !nn) {
            free(name);
            locate(b, i, &line, &col);
            return PERR(line, col, "expected a column name string");
        }
        f->names = nn;
        f->names[f->cols++] = name;
        i = skip_ws(b, len, i);
        if (i < len && b[i] == ',')
            i = skip_ws(b, len, i + 1);
        else if (i >= len || b[i] != ']') {
            locate(b, i, &line, &col);
            return PERR(line, col, "expected ',' or ']' in \"columns\"");
        }
    }
    if (i >= len) {
        locate(b, len, &line, &col);
        return PERR(line, col, "unterminated \"columns\" array");
    }
    if (!f->cols)
        return PERR(1, 1, "\"columns\" names no column");
    return HEFT_OK;
}

/* Parses the header of a .npy file: dtype '<f4' or '<f8', C order, shape
 * (rows, cols) or (rows,); *off is where the data starts. */
static heft_status npy_header(const unsigned char *b, size_t len,
                              const char *path, size_t *off, int *f8,
                              size_t *rows, size_t *cols, heft_error *err)
{
    if (len < 10 || memcmp(b, "\x93NUMPY", 6))
        return PERR(1, 1, "not a NumPy .npy file (bad magic)");
    const int major = b[6];
    size_t hl, start;
    if (major == 1) {
        hl = (size_t)b[8] | (size_t)b[9] << 8;
        start = 10;
    } else if ((major == 2 || major == 3) && len >= 12) {
        hl = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 |
             (size_t)b[11] << 24;
        start = 12;
    } else {
        return PERR(1, 7, "unsupported .npy version %d", major);
    }
    if (hl > len - start)
        return heft__err(err, HEFT_ETRUNC, path, 1, (uint32_t)len,
                         "the .npy header is truncated");
    char *h = heft__strndup((const char *)b + start, hl);
    if (!h)
        return heft__err(err, HEFT_ENOMEM, path, 0, 0, "out of memory");
    const char *d = strstr(h, "'descr':"), *s = strstr(h, "'shape':");
    char dt[8] = "";
    heft_status st = HEFT_OK;
    unsigned long long r = 0, c = 1;
    int got = 0;
    if (!d || sscanf(d, "'descr': '%7[^']'", dt) != 1 ||
        (strcmp(dt, "<f4") && strcmp(dt, "<f8")))
        st = PERR(1, (uint32_t)start + 1, "the .npy dtype must be '<f4' or "
                                          "'<f8' (little-endian float)");
    else if (strstr(h, "'fortran_order': True"))
        st = PERR(1, (uint32_t)start + 1, "the .npy array must be in C order");
    else if (!s || (got = sscanf(s, "'shape': (%llu, %llu", &r, &c)) < 1)
        st = PERR(1, (uint32_t)start + 1, "the .npy header has no shape");
    if (st == HEFT_OK) {
        *f8 = !strcmp(dt, "<f8");
        *rows = (size_t)r;
        *cols = got == 2 ? (size_t)c : 1;
        *off = start + hl;
    }
    free(h);
    return st;
}

static heft_status read_npy(heft_score_file *f, const unsigned char *b,
                            size_t len, const char *path, heft_error *err)
{
    size_t off = 0, rows = 0, cols = 0;
    int f8 = 0;
    heft_status st = npy_header(b, len, path, &off, &f8, &rows, &cols, err);
    if (st != HEFT_OK)
        return st;
    if (cols != f->cols)
        return PERR(1, 1, "the .npy array has %zu columns but its .json "
                          "sidecar names %zu", cols, f->cols);
    const size_t item = f8 ? 8 : 4;
    if (!rows)
        return heft__err(err, HEFT_EEMPTY, path, 0, 0,
                         "the score file has no rows");
    if (rows > (len - off) / item / cols || (len - off) != rows * cols * item)
        return heft__err(err, HEFT_ETRUNC, path, 0, 0,
                         "the .npy data holds %zu bytes; shape (%zu, %zu) "
                         "needs %zu", len - off, rows, cols, rows * cols * item);
    if (alloc_cols(f, rows, 0) != HEFT_OK)
        return heft__err(err, HEFT_ENOMEM, path, 0, 0, "out of memory");
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) {
            const unsigned char *p = b + off + (i * cols + j) * item;
            uint64_t u = 0;
            for (size_t k = 0; k < item; k++)
                u |= (uint64_t)p[k] << (8 * k);
            double v;
            if (f8) {
                memcpy(&v, &u, 8);
            } else {
                const uint32_t u32 = (uint32_t)u;
                float x;
                memcpy(&x, &u32, 4);
                v = x;
            }
            if (!isfinite(v))
                return heft__err(err, HEFT_EPARSE, path, 0, 0,
                                 "row %zu, column %s is not a finite number",
                                 i, f->names[j]);
            f->col[j][i] = (float)v;
        }
    return HEFT_OK;
}

/* STEM.groups.tsv: "group_id\tCOL" then "ID\tVALUE" lines. */
static heft_status read_groups(heft_score_file *f, const char *b, size_t len,
                               const char *path, heft_error *err)
{
    lines L = {b, b + len, 0};
    const char *s;
    size_t n;
    if (!next_line(&L, &s, &n) || n < 9 || memcmp(s, "group_id\t", 9))
        return PERR(1, 1, "expected the header \"group_id\\tCOLUMN\" of a "
                          "group table");
    size_t rows = count_rows(b, len);
    f->group_ids = heft__malloc(rows ? rows : 1, sizeof *f->group_ids);
    f->group_values = heft__malloc(rows ? rows : 1, sizeof *f->group_values);
    if (!f->group_ids || !f->group_values)
        return heft__err(err, HEFT_ENOMEM, path, 0, 0, "out of memory");
    char buf[128];
    while (next_line(&L, &s, &n)) {
        if (!n)
            continue;
        char *fl[3];
        snprintf(buf, sizeof buf, "%.*s", (int)(n < 127 ? n : 127), s);
        const size_t k = split_tabs(buf, fl, 2);
        double v;
        if (n >= 127 || k != 2)
            return PERR(L.no, k > 2 ? 3 : (uint32_t)k,
                        "expected two tab-separated fields: group id and "
                        "value");
        if (!parse_u64(fl[0], &f->group_ids[f->n_groups]))
            return PERR(L.no, 1, "expected a group id, found \"%.40s\"",
                        fl[0]);
        if (!parse_num(fl[1], &v))
            return PERR(L.no, 2, "expected a finite group value, found "
                                 "\"%.40s\"", fl[1]);
        f->group_values[f->n_groups++] = (float)v;
    }
    return HEFT_OK;
}

/* Reads the file at path and hands it to parse. */
static heft_status with_file(heft_score_file *f, const char *path,
                             heft_status (*parse)(heft_score_file *,
                                                  const char *, size_t,
                                                  const char *, heft_error *),
                             heft_error *err)
{
    void *buf = NULL;
    size_t len = 0;
    heft_status st = heft__read_file(path, &buf, &len, err);
    if (st == HEFT_OK)
        st = parse(f, buf, len, path, err);
    free(buf);
    return st;
}

static heft_status parse_npy(heft_score_file *f, const char *b, size_t len,
                             const char *path, heft_error *err)
{
    return read_npy(f, (const unsigned char *)b, len, path, err);
}

heft_status heft_score_file_read(const char *path, heft_score_file **out,
                                 heft_error *err)
{
    if (!out)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0, "out is NULL");
    *out = NULL;
    if (!path || !*path)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "a score file path is required");
    heft_score_file *f = heft__calloc(1, sizeof *f);
    char *json = heft__scores_sibling(path, ".json");
    char *groups = heft__scores_sibling(path, ".groups.tsv");
    heft_status st = HEFT_OK;
    if (!f || !json || !groups || !(f->path = heft__strdup(path)))
        st = heft__err(err, HEFT_ENOMEM, path, 0, 0, "out of memory");
    const size_t pl = strlen(path);
    if (st == HEFT_OK && pl > 4 && !strcmp(path + pl - 4, ".npy")) {
        st = with_file(f, json, read_sidecar, err);
        if (st == HEFT_OK)
            st = with_file(f, path, parse_npy, err);
    } else if (st == HEFT_OK) {
        st = with_file(f, path, read_tsv, err);
    }
    struct stat sb;
    if (st == HEFT_OK && stat(groups, &sb) == 0)
        st = with_file(f, groups, read_groups, err);
    free(json);
    free(groups);
    if (st != HEFT_OK) {
        heft_score_file_free(f);
        return st;
    }
    *out = f;
    return HEFT_OK;
}
