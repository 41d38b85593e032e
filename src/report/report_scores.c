/*
 * report_scores.c: histograms of score tables for the report. A table is
 * the TSV of `heft score -o X.tsv` (header "row\tlabel\tCOL...", one line
 * per training row) or the float32 .npy of `-o X.npy` (rows x columns,
 * named by its .json sidecar, no labels). Each column becomes one
 * histogram of 40 equal-width bins over its 0.5th to 99.5th percentiles
 * (values beyond are counted in the end bins, so one outlier cannot
 * squeeze the rest into a single bar), split by label when labels exist,
 * as the share of each label's rows so that classes of different sizes
 * compare.
 */
#include "report_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum { HIST_BINS = 40 };

static int cmp_float(const void *a, const void *b)
{
    const float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The range of the finite values v[0..m) (sorted in place): the 0.5th to
 * 99.5th percentiles, or the full range when those coincide. */
static void hist_range(float *v, size_t m, double *lo, double *hi)
{
    qsort(v, m, sizeof *v, cmp_float);
    *lo = v[(size_t)(0.005 * (double)(m - 1))];
    *hi = v[(size_t)ceil(0.995 * (double)(m - 1))];
    if (*hi <= *lo) {
        *lo = v[0];
        *hi = v[m - 1];
    }
    if (*hi <= *lo) {
        *lo -= 0.5;
        *hi += 0.5;
    }
}

typedef struct hist_in {
    const char *name;
    const float *v; /* value of row i is v[i * stride]          */
    size_t stride, n;
    const uint8_t *label; /* 0, 1 (label > 0), or NULL                */
    int graded;           /* labels other than 0 and 1 were seen      */
} hist_in;

static heft_status hist_series(heft__report *r, heft__rchart *c,
                               const hist_in *in, const double *edges,
                               double lo, double hi, heft_error *err)
{
    size_t count[2][HIST_BINS] = {{0}}, total[2] = {0};
    for (size_t i = 0; i < in->n; i++) {
        const float x = in->v[i * in->stride];
        if (!isfinite(x))
            continue;
        int b = (int)floor(((double)x - lo) / (hi - lo) * HIST_BINS);
        b = b < 0 ? 0 : b >= HIST_BINS ? HIST_BINS - 1 : b;
        const int k = in->label ? in->label[i] : 0;
        count[k][b]++;
        total[k]++;
    }
    c->s = heft__arena_alloc(r->arena, 2, sizeof *c->s);
    if (!c->s)
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "out of memory");
    for (int k = 0; k < 2; k++) {
        if (!total[k])
            continue;
        double *y = heft__arena_alloc(r->arena, HIST_BINS, sizeof *y);
        if (!y)
            return heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "out of memory");
        for (int b = 0; b < HIST_BINS; b++)
            y[b] = (double)count[k][b] / (double)total[k];
        const char *name =
            !in->label
                ? heft__arena_printf(r->arena, "all rows (n=%zu)", total[k])
                : heft__arena_printf(r->arena, "label %s (n=%zu)",
                                     k ? (in->graded ? "> 0" : "1") : "0",
                                     total[k]);
        c->s[c->ns++] =
            (heft__rseries){name, edges, y, NULL, NULL, HIST_BINS, k, 0};
    }
    return HEFT_OK;
}

/* Adds the histogram chart of one column to s. */
static heft_status hist_column(heft__report *r, heft__rsection *s,
                               const hist_in *in, heft_error *err)
{
    float *fin = heft__malloc(in->n ? in->n : 1, sizeof *fin);
    if (!fin)
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "out of memory");
    size_t m = 0;
    for (size_t i = 0; i < in->n; i++)
        if (isfinite(in->v[i * in->stride]))
            fin[m++] = in->v[i * in->stride];
    if (!m) {
        free(fin);
        return HEFT_OK; /* nothing to draw */
    }
    double lo, hi;
    hist_range(fin, m, &lo, &hi);
    size_t out = 0;
    for (size_t i = 0; i < m; i++)
        out += fin[i] < lo || fin[i] > hi;
    free(fin);
    heft__rchart *c = heft__report_chart(r, s);
    double *edges = heft__arena_alloc(r->arena, HIST_BINS + 1, sizeof *edges);
    if (!c || !edges)
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "out of memory");
    for (int b = 0; b <= HIST_BINS; b++)
        edges[b] = lo + (hi - lo) * b / HIST_BINS;
    c->kind = HEFT__CHART_HIST;
    c->title = heft__arena_printf(r->arena, "Scores of %s%s", in->name,
                                  in->label ? " by label" : "");
    c->xlabel =
        heft__arena_printf(r->arena, "%s score (the method's units)", in->name);
    c->ylabel = in->label ? "rows of the label (%)" : "rows (%)";
    c->ymul = 100;
    if (out || m < in->n)
        c->note = heft__arena_printf(r->arena,
                                     "%zu values beyond the "
                                     "0.5th-99.5th percentiles are counted in "
                                     "the end bins; %zu values are not finite.",
                                     out, in->n - m);
    return hist_series(r, c, in, edges, lo, hi, err);
}

/* ---- TSV ----------------------------------------------------------------- */

typedef struct tsv_table {
    char **names;
    size_t ncol, rows, cap;
    float *v;       /* rows x ncol */
    uint8_t *label; /* rows        */
    int graded;
} tsv_table;

static void tsv_free(tsv_table *t)
{
    for (size_t i = 0; t->names && i < t->ncol; i++)
        free(t->names[i]);
    free(t->names);
    free(t->v);
    free(t->label);
}

/* Splits line at tabs (replacing them by NULs) into f[0..cap); returns
 * the number of fields, which may exceed cap (the rest are not split). */
static size_t split_tabs(char *line, char **f, size_t cap)
{
    size_t n = 0;
    for (char *p = line;; p++) {
        if (n < cap)
            f[n] = p;
        n++;
        p = strchr(p, '\t');
        if (!p)
            break;
        if (n <= cap)
            *p = '\0';
    }
    return n;
}

static heft_status tsv_header(char *line, const char *path, tsv_table *t,
                              heft_error *err)
{
    size_t n = split_tabs(line, NULL, 0);
    char **f = heft__malloc(n, sizeof *f);
    t->names = heft__calloc(n, sizeof *t->names);
    if (!f || !t->names) {
        free(f);
        return heft__err(err, HEFT_ENOMEM, path, 0, 0, "out of memory");
    }
    split_tabs(line, f, n);
    t->ncol = n - 2;
    for (size_t j = 0; j < t->ncol; j++)
        if (!(t->names[j] = heft__strdup(f[j + 2]))) {
            free(f);
            return heft__err(err, HEFT_ENOMEM, path, 0, 0, "out of memory");
        }
    free(f);
    return HEFT_OK;
}

static heft_status tsv_number(const char *s, const char *path, uint64_t line,
                              size_t field, double *out, heft_error *err)
{
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    if (end == s || *end)
        return heft__err(err, HEFT_EPARSE, path, line, (uint32_t)field,
                         "expected a number, got '%.40s'", s);
    return HEFT_OK;
}

static heft_status tsv_row(char *line, const char *path, uint64_t ln,
                           tsv_table *t, char **f, heft_error *err)
{
    const size_t want = t->ncol + 2;
    const size_t n = split_tabs(line, f, want);
    if (n != want)
        return heft__err(err, HEFT_EPARSE, path, ln,
                         (uint32_t)(n < want ? n : want + 1),
                         "expected %zu tab-separated fields as in the header, "
                         "got %zu",
                         want, n);
    if (t->rows == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 1024;
        float *v = heft__realloc(t->v, cap * t->ncol, sizeof *v);
        if (v)
            t->v = v;
        uint8_t *l = heft__realloc(t->label, cap, 1);
        if (l)
            t->label = l;
        if (!v || !l)
            return heft__err(err, HEFT_ENOMEM, path, 0, 0, "out of memory");
        t->cap = cap;
    }
    double y;
    heft_status st = tsv_number(f[1], path, ln, 2, &y, err);
    if (st)
        return st;
    t->label[t->rows] = y > 0;
    t->graded |= y != 0 && y != 1;
    for (size_t j = 0; j < t->ncol; j++) {
        double v;
        if ((st = tsv_number(f[j + 2], path, ln, j + 3, &v, err)))
            return st;
        t->v[t->rows * t->ncol + j] = (float)v;
    }
    t->rows++;
    return HEFT_OK;
}

static heft_status tsv_read(FILE *fp, const char *path, tsv_table *t,
                            heft_error *err)
{
    char *line = NULL, **f = NULL;
    size_t cap = 0;
    ssize_t len;
    uint64_t ln = 0;
    heft_status st = HEFT_OK;
    while (st == HEFT_OK && (len = getline(&line, &cap, fp)) >= 0) {
        ln++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (ln == 1) {
            if ((st = tsv_header(line, path, t, err)) == HEFT_OK &&
                !(f = heft__malloc(t->ncol + 2, sizeof *f)))
                st = heft__err(err, HEFT_ENOMEM, path, 0, 0, "out of memory");
            continue;
        }
        st = tsv_row(line, path, ln, t, f, err);
    }
    if (st == HEFT_OK && ferror(fp))
        st = heft__err(err, HEFT_EIO, path, 0, 0, "read error");
    free(line);
    free(f);
    return st;
}

heft_status heft__report_scores_tsv(heft__report *r, heft__rsection *s,
                                    const char *path, heft_error *err)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return heft__err(err, HEFT_EIO, path, 0, 0, "cannot open: %s",
                         strerror(errno));
    tsv_table t = {0};
    heft_status st = tsv_read(fp, path, &t, err);
    fclose(fp);
    for (size_t j = 0; st == HEFT_OK && j < t.ncol; j++) {
        hist_in in = {heft__arena_strdup(r->arena, t.names[j]),
                      t.v + j,
                      t.ncol,
                      t.rows,
                      t.label,
                      t.graded};
        st = in.name ? hist_column(r, s, &in, err)
                     : heft__err(err, HEFT_ENOMEM, path, 0, 0, "out of memory");
    }
    if (st == HEFT_OK)
        s->intro = heft__arena_printf(r->arena,
                                      "%zu rows, %zu score "
                                      "columns.",
                                      t.rows, t.ncol);
    tsv_free(&t);
    return st;
}

/* ---- .npy ---------------------------------------------------------------- */

/* Checks the NumPy header at buf (format 1.0 or 2.0, '<f4', C order, shape
 * (rows,) or (rows, cols)); sets the data offset and shape. */
static heft_status npy_header(const unsigned char *buf, size_t len,
                              const char *path, size_t *off, size_t *rows,
                              size_t *cols, heft_error *err)
{
    if (len < 10 || memcmp(buf, "\x93NUMPY", 6) != 0)
        return heft__err(err, HEFT_EFORMAT, path, 0, 0,
                         "not a .npy file "
                         "(no \\x93NUMPY magic)");
    size_t hl = buf[6] == 1 ? (size_t)buf[8] | (size_t)buf[9] << 8
                            : (size_t)buf[8] | (size_t)buf[9] << 8 |
                                  (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
    *off = (buf[6] == 1 ? 10 : 12) + hl;
    if (buf[6] < 1 || buf[6] > 3 || *off > len)
        return heft__err(err, HEFT_EFORMAT, path, 0, 0,
                         "truncated or "
                         "unsupported .npy header (version %u)",
                         buf[6]);
    char *h = heft__strndup((const char *)buf + *off - hl, hl);
    if (!h)
        return heft__err(err, HEFT_ENOMEM, path, 0, 0, "out of memory");
    const char *sh = strstr(h, "'shape': (");
    unsigned long long r = 0, c = 1;
    int k = 0, ok = strstr(h, "'descr': '<f4'") &&
                    strstr(h, "'fortran_order': False") && sh;
    if (ok)
        k = sscanf(sh + 10, "%llu , %llu", &r, &c);
    free(h);
    if (!ok || k < 1)
        return heft__err(err, HEFT_EFORMAT, path, 0, 0,
                         "expected a "
                         "float32 ('<f4') array in C order of one or two "
                         "dimensions");
    if (k == 1)
        c = 1;
    *rows = (size_t)r;
    *cols = (size_t)c;
    if (c == 0 || r > (len - *off) / 4 / c || (len - *off) != r * c * 4)
        return heft__err(err, HEFT_ETRUNC, path, 0, 0,
                         "the header says %llu "
                         "x %llu float32 values but the file holds %zu bytes "
                         "of data",
                         r, c, len - *off);
    return HEFT_OK;
}

heft_status heft__report_scores_npy(heft__report *r, heft__rsection *s,
                                    const char *path, const char **names,
                                    size_t ncol, heft_error *err)
{
    void *buf;
    size_t len, off = 0, rows = 0, cols = 0;
    heft_status st = heft__read_file(path, &buf, &len, err);
    if (st)
        return st;
    st = npy_header(buf, len, path, &off, &rows, &cols, err);
    if (st == HEFT_OK && cols != ncol)
        st = heft__err(err, HEFT_EPARSE, path, 0, 0,
                       "%zu columns but its "
                       ".json sidecar names %zu",
                       cols, ncol);
    float *v = NULL;
    if (st == HEFT_OK && !(v = heft__malloc(rows * cols + 1, sizeof *v)))
        st = heft__err(err, HEFT_ENOMEM, path, 0, 0, "out of memory");
    if (st == HEFT_OK) /* copied: the data may sit unaligned in buf */
        memcpy(v, (const char *)buf + off, rows * cols * sizeof *v);
    free(buf);
    for (size_t j = 0; st == HEFT_OK && j < cols; j++) {
        hist_in in = {names[j], v + j, cols, rows, NULL, 0};
        st = hist_column(r, s, &in, err);
    }
    if (st == HEFT_OK)
        s->intro = heft__arena_printf(r->arena,
                                      "%zu rows, %zu score columns "
                                      "(no labels in a .npy table).",
                                      rows, cols);
    free(v);
    return st;
}
