/*
 * export_svm.c: writes heft's hashed features as libsvm text, so that the
 * peers of the benchmarks (liblinear, scikit-learn) train on exactly the
 * features heft trains on (docs/benchmarks.md).
 *
 *     export_svm [--format F] [--hash-bits N] [--label COL] [--cat COLS]
 *                [--num COLS] [--threads N] IN OUT [IN2 OUT2 ...]
 *
 * IN is read with the options given; every later IN2 is read with the
 * fully resolved options of IN (heft_dataset_read_opts), so its columns map
 * and its tokens hash exactly as IN's do: export the training set first.
 * An .hds input (by its name) keeps its own, already hashed, features and
 * is read with the default options.
 *
 * Each output line is "LABEL IDX:VAL ..." with IDX = bucket + 1 (libsvm is
 * 1-based), indices ascending, and the values of a bucket that occurs more
 * than once in a row (hash collisions) summed. Labels are written as heft
 * holds them: 0/1 for binary data (liblinear and scikit-learn take 0/1).
 * Uses only include/heft.h. Exit status: 0 ok, 1 error, 2 usage error.
 */
#include "heft.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One nonzero of a row while it is being sorted. */
typedef struct svm_nz {
    uint32_t idx;
    float val;
} svm_nz;

/* Buffered writer: fwrite() of large blocks, integers formatted by hand
 * because snprintf() would dominate the run time on 10^8 nonzeros. */
typedef struct svm_out {
    FILE *f;
    char buf[1 << 16];
    size_t len;
    int failed;
} svm_out;

static void out_flush(svm_out *o)
{
    if (o->len && fwrite(o->buf, 1, o->len, o->f) != o->len)
        o->failed = 1;
    o->len = 0;
}

static void out_reserve(svm_out *o, size_t n)
{
    if (o->len + n > sizeof o->buf)
        out_flush(o);
}

static void out_u32(svm_out *o, uint32_t x)
{
    char tmp[12];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + x % 10);
        x /= 10;
    } while (x);
    out_reserve(o, (size_t)n);
    while (n)
        o->buf[o->len++] = tmp[--n];
}

/* Writes v shortest-first: "1" for the one-hot value, else %.7g (float
 * precision, which is what heft computed with). */
static void out_float(svm_out *o, float v)
{
    out_reserve(o, 32);
    if (v == 1.0f)
        o->buf[o->len++] = '1';
    else
        o->len += (size_t)snprintf(o->buf + o->len, 32, "%.7g", (double)v);
}

static void out_char(svm_out *o, char c)
{
    out_reserve(o, 1);
    o->buf[o->len++] = c;
}

/* Insertion sort: rows hold tens of nonzeros, often already near sorted. */
static void sort_row(svm_nz *nz, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        const svm_nz x = nz[i];
        size_t j = i;
        while (j > 0 && nz[j - 1].idx > x.idx) {
            nz[j] = nz[j - 1];
            j--;
        }
        nz[j] = x;
    }
}

/* Writes every row of ds to path as libsvm text. Returns 0 or -1 with a
 * message on stderr. */
static int write_svm(const heft_dataset *ds, const char *path)
{
    const uint64_t *row_ptr;
    const uint32_t *feat;
    const float *val;
    const uint16_t *field;
    heft_dataset_csr(ds, &row_ptr, &feat, &val, &field);
    const float *label = heft_dataset_labels(ds);
    const size_t rows = heft_dataset_rows(ds);
    size_t cap = 0;
    for (size_t i = 0; i < rows; i++)
        if (row_ptr[i + 1] - row_ptr[i] > cap)
            cap = (size_t)(row_ptr[i + 1] - row_ptr[i]);
    svm_nz *nz = malloc((cap ? cap : 1) * sizeof *nz);
    svm_out *o = malloc(sizeof *o);
    if (!nz || !o) {
        free(nz);
        free(o);
        fprintf(stderr, "export_svm: out of memory\n");
        return -1;
    }
    o->f = fopen(path, "wb");
    o->len = 0;
    o->failed = !o->f;
    for (size_t i = 0; i < rows && !o->failed; i++) {
        size_t n = 0;
        for (uint64_t k = row_ptr[i]; k < row_ptr[i + 1]; k++) {
            nz[n].idx = feat[k] + 1;
            nz[n++].val = val ? val[k] : 1.0f;
        }
        sort_row(nz, n);
        o->len += (size_t)snprintf(o->buf + o->len, 32, "%g",
                                   (double)label[i]);
        for (size_t a = 0; a < n;) {
            float v = nz[a].val;
            size_t b = a + 1;
            for (; b < n && nz[b].idx == nz[a].idx; b++)
                v += nz[b].val;
            out_char(o, ' ');
            out_u32(o, nz[a].idx);
            out_char(o, ':');
            out_float(o, v);
            a = b;
        }
        out_char(o, '\n');
        out_reserve(o, 32); /* room for the next label */
    }
    if (o->f) {
        out_flush(o);
        if (fclose(o->f) != 0)
            o->failed = 1;
    }
    const int failed = o->failed;
    free(nz);
    free(o);
    if (failed) {
        perror(path);
        remove(path);
        return -1;
    }
    return 0;
}

static int ends_with(const char *s, const char *suffix)
{
    const size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

static int usage(void)
{
    fprintf(stderr,
            "usage: export_svm [--format F] [--hash-bits N] [--label COL] "
            "[--cat COLS] [--num COLS] [--threads N] IN OUT [IN2 OUT2 ...]\n");
    return 2;
}

/* Reads path with o into *ds, printing the error on failure. */
static int read_one(const char *path, const heft_read_opts *o,
                    heft_dataset **ds)
{
    heft_error err;
    if (heft_dataset_read(path, o, ds, &err) == HEFT_OK)
        return 0;
    char msg[1200];
    fprintf(stderr, "export_svm: %s\n",
            heft_error_format(&err, msg, sizeof msg));
    return -1;
}

int main(int argc, char **argv)
{
    heft_read_opts ro = heft_read_opts_default();
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i += 2) {
        if (i + 1 >= argc)
            return usage();
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--format")) {
            if (heft_format_parse(v, &ro.format) != HEFT_OK)
                return usage();
        } else if (!strcmp(k, "--hash-bits"))
            ro.hash_bits = (unsigned)atoi(v);
        else if (!strcmp(k, "--label"))
            ro.label_col = v;
        else if (!strcmp(k, "--cat"))
            ro.cat_cols = v;
        else if (!strcmp(k, "--num"))
            ro.num_cols = v;
        else if (!strcmp(k, "--threads"))
            ro.threads = atoi(v);
        else
            return usage();
    }
    if (argc - i < 2 || (argc - i) % 2)
        return usage();
    heft_dataset *first = NULL;
    if (read_one(argv[i], &ro, &first) || write_svm(first, argv[i + 1])) {
        heft_dataset_free(first);
        return 1;
    }
    fprintf(stderr, "export_svm: %s -> %s (%zu rows)\n", argv[i], argv[i + 1],
            heft_dataset_rows(first));
    heft_read_opts like; /* strings owned by first, alive until the end */
    heft_dataset_read_opts(first, &like);
    like.threads = ro.threads;
    int rc = 0;
    for (int j = i + 2; j < argc && !rc; j += 2) {
        heft_read_opts o = like;
        if (ends_with(argv[j], ".hds")) { /* hashed already: opts unused */
            o = heft_read_opts_default();
            o.format = HEFT_FMT_HDS;
            o.threads = ro.threads;
        }
        heft_dataset *ds = NULL;
        rc = read_one(argv[j], &o, &ds) || write_svm(ds, argv[j + 1]);
        if (!rc)
            fprintf(stderr, "export_svm: %s -> %s (%zu rows)\n", argv[j],
                    argv[j + 1], heft_dataset_rows(ds));
        heft_dataset_free(ds);
    }
    heft_dataset_free(first);
    return rc ? 1 : 0;
}
