/*
 * parse.c: the driver of the text readers (parse.h).
 *
 * The input arrives in windows of whole records (input.c). Each window is
 * cut at record boundaries into one block per thread; the blocks are
 * parsed in parallel into their own CSR pieces with line numbers relative
 * to the block, then taken in order: lines made absolute, pieces appended.
 * So the result does not depend on the thread count.
 *
 * Bad rows (EPARSE, ERANGE) are skipped up to max_bad_rows. A block does
 * not know how many bad rows came before it, so it stops at its own
 * (max_bad_rows+1)th; when the blocks before it used part of the budget,
 * or when max_rows ends the read inside it, that one block is parsed again
 * on its own with the exact budget and row limit, which gives exactly what
 * a sequential read would.
 */
#include "ioint.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* Below this a window is parsed by one thread. */
#define SMALL_WINDOW ((size_t)256 << 10)

typedef struct run {
    const heft_read_opts *o;
    heft__io_ctx c;
    heft__parsed *out;
    heft_error *err;
    int threads;
    uint64_t line;      /* absolute line number of the next window   */
    int has_header;
    unsigned max_field; /* libsvm family: fields seen                */
    int done;           /* max_rows reached                          */
} run;

static int is_svm(heft_format f)
{
    return f == HEFT_FMT_LIBSVM || f == HEFT_FMT_LIBFM ||
           f == HEFT_FMT_LIBFFM;
}

static int skip_line(const heft__io_ctx *c, const char *p, size_t n)
{
    if (!is_svm(c->fmt))
        return n == 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t')
            return p[i] == '#'; /* a comment line */
    return 1;
}

/* Records a row's failure; returns nonzero when the block must stop. */
static int row_failed(heft__io_blk *b, heft_status st, const heft_error *e)
{
    heft__csr_cancel_row(&b->csr);
    if (st == HEFT_EPARSE || st == HEFT_ERANGE) {
        if (b->n_kept < HEFT__MAX_BAD_KEPT)
            b->bad[b->n_kept++] = *e;
        if (++b->n_bad <= b->max_bad)
            return 0;
    }
    b->st = st;
    b->err = *e;
    return 1;
}

/* Parses the records of b one by one (see heft__io_blk). */
static void block_parse(const heft__io_ctx *c, heft__io_blk *b)
{
    const char *q = b->p, *end = b->p + b->n;
    uint64_t line = 1;
    while (q < end) {
        uint64_t inner = 0;
        const char *nl = c->quotes
                             ? heft__record_end(q, end, c->delim, 1, &inner)
                             : heft__find_byte(q, end, '\n');
        size_t len = (size_t)(nl - q);
        if (len > HEFT__MAX_LINE) {
            heft_error e;
            heft__err(&e, HEFT_ETOOLONG, c->name, line, 1,
                      "line is longer than %zu MiB", HEFT__MAX_LINE >> 20);
            row_failed(b, HEFT_ETOOLONG, &e);
            break;
        }
        if (len && q[len - 1] == '\r')
            len--;
        if (!skip_line(c, q, len)) {
            if (b->row_limit && b->csr.n_rows == b->row_limit) {
                b->hit_limit = 1;
                break;
            }
            heft_error e;
            heft_status st = is_svm(c->fmt)
                                 ? heft__svm_row(c, b, q, len, line, &e)
                                 : heft__delim_row(c, b, q, len, line, &e);
            if (st != HEFT_OK && row_failed(b, st, &e))
                break;
        }
        line += 1 + inner;
        q = nl < end ? nl + 1 : end;
    }
    b->lines = line - 1;
}

static void block_free(heft__io_blk *b)
{
    heft__csr_free(&b->csr);
    free(b->scratch);
    free(b->fields);
    b->scratch = NULL;
    b->fields = NULL;
    b->scratch_cap = 0;
}

/* Asks for transparent huge pages on a big array: first-touch page faults
 * are a large share of parsing time, and huge pages cut them 512-fold. */
static void advise_huge(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    const uintptr_t page = 4096;
    uintptr_t a = ((uintptr_t)p + page - 1) & ~(page - 1);
    uintptr_t e = ((uintptr_t)p + bytes) & ~(page - 1);
    if (bytes >= ((size_t)4 << 20) && e > a)
        madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

static heft_status block_init(heft__io_blk *b, const char *p, size_t n,
                              unsigned flags, uint64_t max_bad,
                              uint64_t row_limit)
{
    memset(b, 0, sizeof *b);
    b->p = p;
    b->n = n;
    b->max_bad = max_bad;
    b->row_limit = row_limit;
    /* Guesses (criteo: ~240 bytes and ~45 nonzeros a row); the arrays
     * grow as needed. */
    size_t rows = n / 128, nnz = n / 4;
    heft_status st = heft__csr_init(
        &b->csr, flags, (rows < (1u << 22) ? rows : (1u << 22)) + 16,
        (nnz < (1u << 26) ? nnz : (1u << 26)) + 64);
    if (st == HEFT_OK) {
        advise_huge(b->csr.feat, b->csr.cap_nnz * sizeof *b->csr.feat);
        advise_huge(b->csr.val, b->csr.cap_nnz * sizeof *b->csr.val);
        advise_huge(b->csr.field, b->csr.cap_nnz * sizeof *b->csr.field);
    }
    return st;
}

typedef struct tasks {
    const heft__io_ctx *c;
    heft__io_blk *b;
} tasks;

static void task(void *ctx, int t, int n)
{
    (void)n;
    tasks *tk = ctx;
    block_parse(tk->c, &tk->b[t]);
}

/* cut[0..nb]: block boundaries at record starts, near equal sizes. */
static void split_blocks(const heft__io_ctx *c, const char *p, size_t n,
                         int nb, size_t *cut)
{
    cut[0] = 0;
    cut[nb] = n;
    if (c->quotes && memchr(p, '"', n)) {
        size_t pos = 0;
        for (int k = 1; k < nb; k++) {
            size_t target = n / (size_t)nb * (size_t)k;
            while (pos < target) {
                const char *e = heft__record_end(p + pos, p + n, c->delim, 1,
                                                 NULL);
                pos = e < p + n ? (size_t)(e - p) + 1 : n;
            }
            cut[k] = pos;
        }
        return;
    }
    for (int k = 1; k < nb; k++) {
        size_t target = n / (size_t)nb * (size_t)k;
        const char *nl = memchr(p + target, '\n', n - target);
        cut[k] = nl ? (size_t)(nl - p) + 1 : n;
        if (cut[k] < cut[k - 1])
            cut[k] = cut[k - 1];
    }
}

/* Adds a parsed block to the result: absolute lines, bad rows, rows. */
static heft_status take_block(run *r, heft__io_blk *b, uint64_t base)
{
    heft__parsed *out = r->out;
    uint64_t off = base - 1;
    if (b->st != HEFT_OK) {
        if (b->err.line)
            b->err.line += off;
        if (r->err)
            *r->err = b->err;
        return b->st;
    }
    for (uint64_t i = 0; i < b->csr.n_rows; i++)
        b->csr.src_line[i] += off;
    for (size_t i = 0; i < b->n_kept; i++) {
        b->bad[i].line += off;
        if (out->n_bad_kept < HEFT__MAX_BAD_KEPT)
            out->bad[out->n_bad_kept++] = b->bad[i];
    }
    out->n_bad += b->n_bad;
    out->graded |= b->graded;
    if (b->max_field > r->max_field)
        r->max_field = b->max_field;
    if (!out->csr.row_ptr) { /* the first piece becomes the result */
        out->csr = b->csr;
        memset(&b->csr, 0, sizeof b->csr);
        return HEFT_OK;
    }
    if (heft__csr_append(&out->csr, &b->csr) != HEFT_OK)
        return heft__err(r->err, HEFT_ENOMEM, r->c.name, 0, 0,
                         "out of memory");
    return HEFT_OK;
}

/* Re-parses b alone when the budget or the row limit ends the read in it
 * (see the top of the file). */
static heft_status settle_block(run *r, heft__io_blk *b, unsigned flags)
{
    const heft_read_opts *o = r->o;
    uint64_t g_bad = r->out->n_bad, g_rows = r->out->csr.n_rows;
    uint64_t remaining = o->max_rows ? o->max_rows - g_rows : 0;
    int over_budget = g_bad + b->n_bad > o->max_bad_rows;
    int over_rows = o->max_rows && b->csr.n_rows >= remaining;
    if (!(over_budget || over_rows || b->st != HEFT_OK))
        return HEFT_OK;
    if (g_bad == 0 && b->row_limit == remaining)
        return HEFT_OK; /* it was parsed with the exact limits already */
    const char *p = b->p;
    size_t n = b->n;
    block_free(b);
    if (block_init(b, p, n, flags, o->max_bad_rows - g_bad, remaining) !=
        HEFT_OK)
        return heft__err(r->err, HEFT_ENOMEM, r->c.name, 0, 0,
                         "out of memory");
    block_parse(&r->c, b);
    return HEFT_OK;
}

static heft_status do_window(run *r, const char *p, size_t n)
{
    const heft_read_opts *o = r->o;
    int nb = n < SMALL_WINDOW ? 1 : r->threads;
    size_t cut[65];
    split_blocks(&r->c, p, n, nb, cut);
    unsigned flags = r->c.flags;
    if (is_svm(r->c.fmt) && memmem(p, n, "qid:", 4))
        flags |= HEFT__HAS_GROUP;
    uint64_t limit = o->max_rows ? o->max_rows - r->out->csr.n_rows : 0;
    heft__io_blk *b = heft__calloc((size_t)nb, sizeof *b);
    heft_status st = b ? HEFT_OK : HEFT_ENOMEM;
    for (int i = 0; i < nb && st == HEFT_OK; i++)
        st = block_init(&b[i], p + cut[i], cut[i + 1] - cut[i], flags,
                        o->max_bad_rows, limit);
    if (st != HEFT_OK) {
        for (int i = 0; b && i < nb; i++)
            block_free(&b[i]);
        free(b);
        return heft__err(r->err, HEFT_ENOMEM, r->c.name, 0, 0,
                         "out of memory");
    }
    tasks tk = {&r->c, b};
    heft__parallel(nb, task, &tk); /* ENOMEM here still ran every block */
    uint64_t base = r->line;
    for (int i = 0; i < nb && st == HEFT_OK && !r->done; i++) {
        st = settle_block(r, &b[i], flags);
        if (st == HEFT_OK)
            st = take_block(r, &b[i], base);
        base += b[i].lines;
        if (o->max_rows && r->out->csr.n_rows >= o->max_rows)
            r->done = 1;
    }
    r->line = base;
    for (int i = 0; i < nb; i++)
        block_free(&b[i]);
    free(b);
    return st;
}

static heft_status check_opts(const heft_read_opts *o, const char *name,
                              heft_error *err)
{
    if (o->hash_bits < 1 || o->hash_bits > 30)
        return heft__err(err, HEFT_EINVAL, name, 0, 0,
                         "hash_bits must be 1..30 (got %u)", o->hash_bits);
    if (o->num_buckets != 0 && o->num_buckets != 1)
        return heft__err(err, HEFT_EINVAL, name, 0, 0,
                         "num_buckets must be 0 or 1 (got %d)",
                         o->num_buckets);
    if (o->num_transform != HEFT_NUM_LOG && o->num_transform != HEFT_NUM_NONE)
        return heft__err(err, HEFT_EINVAL, name, 0, 0,
                         "unknown numeric transform %d",
                         (int)o->num_transform);
    if ((unsigned)o->format >= HEFT_FMT__COUNT || o->format == HEFT_FMT_HDS)
        return heft__err(err, HEFT_EINVAL, name, 0, 0,
                         "the text reader cannot read format %d",
                         (int)o->format);
    return HEFT_OK;
}

/* Format, context and (for delimited input) the header. */
static heft_status setup(run *r, heft__io_in *in)
{
    const heft_read_opts *o = r->o;
    heft__schema *s = &r->out->schema;
    const char *p;
    size_t n;
    int eof;
    heft_status st = heft__in_peek(in, &p, &n, &eof, r->err);
    if (st != HEFT_OK)
        return st;
    if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
        heft__in_skip(in, 3);
        p += 3;
        n -= 3;
    }
    if (n == 0)
        return heft__err(r->err, HEFT_EEMPTY, r->c.name, 0, 0,
                         "the input is empty");
    heft_format fmt = o->format;
    if (fmt == HEFT_FMT_AUTO)
        fmt = heft__detect_format(r->c.name, p, n);
    r->c.fmt = fmt;
    s->format = fmt;
    s->hash_bits = o->hash_bits;
    s->num_transform = o->num_transform;
    s->num_buckets = o->num_buckets;
    r->line = 1;
    if (is_svm(fmt)) {
        r->c.zero_ok = fmt != HEFT_FMT_LIBSVM;
        r->c.delim = ' ';
        return HEFT_OK;
    }
    size_t used;
    uint64_t hdr_lines;
    st = heft__delim_setup(&r->c, o, p, n, eof, s, &used, &hdr_lines,
                           r->err);
    if (st != HEFT_OK)
        return st;
    heft__in_skip(in, used);
    r->line += hdr_lines;
    r->has_header = fmt != HEFT_FMT_CRITEO;
    return HEFT_OK;
}

/* Checks that rows came, names libsvm fields, trims the arrays. */
static heft_status finish(run *r)
{
    heft__parsed *out = r->out;
    if (out->csr.n_rows == 0) {
        if (out->n_bad)
            return heft__err(r->err, HEFT_EEMPTY, r->c.name, out->bad[0].line,
                             out->bad[0].column,
                             "no valid rows: all %llu rows were bad; the "
                             "first: %s",
                             (unsigned long long)out->n_bad, out->bad[0].msg);
        if (r->has_header)
            return heft__err(r->err, HEFT_EEMPTY, r->c.name, 1, 0,
                             "the header is not followed by any data rows");
        return heft__err(r->err, HEFT_EEMPTY, r->c.name, 0, 0,
                         "no data rows");
    }
    if (is_svm(r->c.fmt))
        for (unsigned f = 0; f < r->max_field; f++) {
            char name[16];
            snprintf(name, sizeof name, "f%u", f);
            if (heft__schema_add_field(&out->schema, name, strlen(name)) < 0)
                return heft__err(r->err, HEFT_ENOMEM, r->c.name, 0, 0,
                                 "out of memory");
        }
    heft__csr_shrink(&out->csr);
    return HEFT_OK;
}

static heft_status run_input(heft__io_in *in, const heft_read_opts *o,
                             heft__parsed *out, heft_error *err)
{
    run r;
    memset(&r, 0, sizeof r);
    r.o = o;
    r.out = out;
    r.err = err;
    r.threads = heft__threads(o->threads);
    r.c.name = heft__in_name(in);
    r.c.bits = o->hash_bits;
    r.c.transform = o->num_transform;
    r.c.num_buckets = o->num_buckets;
    heft__ctx_tables(&r.c);
    heft_status st = setup(&r, in);
    while (st == HEFT_OK && !r.done) {
        const char *p;
        size_t n;
        st = heft__in_window(in, r.c.delim, r.c.quotes, r.line, &p, &n, err);
        if (st != HEFT_OK || n == 0)
            break;
        st = do_window(&r, p, n);
        if (o->progress) {
            uint64_t done, total;
            heft__in_progress(in, &done, &total);
            o->progress(o->progress_ud, "read", done, total);
        }
    }
    if (st == HEFT_OK)
        st = finish(&r);
    heft__ctx_free(&r.c);
    return st;
}

static heft_status parse_in(heft__io_in *in, const heft_read_opts *o,
                            heft__parsed *out, heft_error *err)
{
    heft_status st = run_input(in, o, out, err);
    heft__in_close(in);
    if (st != HEFT_OK)
        heft__parsed_free(out);
    return st;
}

heft_status heft__parse_file(const char *path, const heft_read_opts *o,
                             heft__parsed *out, heft_error *err)
{
    memset(out, 0, sizeof *out);
    heft__err_clear(err);
    heft_status st = check_opts(o, path, err);
    heft__io_in *in = NULL;
    if (st == HEFT_OK)
        st = heft__in_open_file(path, &in, err);
    return st == HEFT_OK ? parse_in(in, o, out, err) : st;
}

heft_status heft__parse_mem(const void *buf, size_t len, const char *name,
                            const heft_read_opts *o, heft__parsed *out,
                            heft_error *err)
{
    memset(out, 0, sizeof *out);
    heft__err_clear(err);
    heft_status st = check_opts(o, name, err);
    heft__io_in *in = NULL;
    if (st == HEFT_OK)
        st = heft__in_open_mem(buf, len, name, &in, err);
    return st == HEFT_OK ? parse_in(in, o, out, err) : st;
}

void heft__parsed_free(heft__parsed *p)
{
    if (!p)
        return;
    heft__csr_free(&p->csr);
    heft__schema_free(&p->schema);
    memset(p, 0, sizeof *p);
}
