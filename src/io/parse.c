/*
 * parse.c: the driver of the text readers (parse.h).
 *
 * The input arrives in windows of whole records (input.c). Each window is
 * cut at record boundaries into one block per thread and the blocks are
 * parsed in parallel, with line numbers relative to the block. Block 0
 * parses straight into the result (its rows are appended where they
 * belong); the other blocks parse into buffers of their own, kept from
 * window to window, and are then copied after it, in order, by all the
 * threads at once. So every nonzero is written to fresh memory once (one
 * thread: never copied), and the result does not depend on the thread
 * count. The result is sized once, from the input's size and a sample of
 * its first bytes, so it does not grow by copying.
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
#include <unistd.h>

/* Below this a window is parsed by one thread. */
#define SMALL_WINDOW ((size_t)256 << 10)
/* Bytes of the first window sampled to size the result. */
#define SAMPLE ((size_t)1 << 20)
/* Most nonzeros reserved ahead in one go; past it the arrays grow. */
#define MAX_NNZ_AHEAD ((uint64_t)1 << 28)
/* Bytes of a read window per thread: small enough that a window read is
 * still in the caches when it is parsed. */
#ifndef WINDOW_PER_THREAD
#define WINDOW_PER_THREAD ((size_t)8 << 20)
#endif

typedef struct run {
    const heft_read_opts *o;
    heft__io_ctx c;
    heft__parsed *out;
    heft_error *err;
    heft__io_in *in;
    int threads;
    uint64_t line;      /* absolute line number of the next window   */
    int has_header;
    unsigned max_field; /* libsvm family: fields seen                */
    int done;           /* max_rows reached                          */
    heft__io_blk *blk;  /* (threads) block state, kept across windows */
    double rows_per_byte, nnz_per_row; /* from the first window      */
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

/* One record at q by the general path. Returns where the next record
 * starts, or NULL when the block must stop. *line advances. */
static const char *general_record(const heft__io_ctx *c, heft__io_blk *b,
                                  const char *q, const char *end,
                                  uint64_t *line)
{
    uint64_t inner = 0;
    const char *nl = c->quotes ? heft__record_end(q, end, c->delim, 1, &inner)
                               : heft__find_byte(q, end, '\n');
    size_t len = (size_t)(nl - q);
    if (len > HEFT__MAX_LINE) {
        heft_error e;
        heft__err(&e, HEFT_ETOOLONG, c->name, *line, 1,
                  "line is longer than %zu MiB", HEFT__MAX_LINE >> 20);
        row_failed(b, HEFT_ETOOLONG, &e);
        return NULL;
    }
    if (len && q[len - 1] == '\r')
        len--;
    if (!skip_line(c, q, len)) {
        if (b->row_limit && b->csr.n_rows - b->r0 == b->row_limit) {
            b->hit_limit = 1;
            return NULL;
        }
        heft_error e;
        heft_status st = is_svm(c->fmt)
                             ? heft__svm_row(c, b, q, len, *line, &e)
                             : heft__delim_row(c, b, q, len, *line, &e);
        if (st != HEFT_OK && row_failed(b, st, &e))
            return NULL;
    }
    *line += 1 + inner;
    return nl < end ? nl + 1 : end;
}

/* Parses the records of b one by one (see heft__io_blk), the common ones
 * the fast way when the column plan allows. */
static void block_parse(const heft__io_ctx *c, heft__io_blk *b)
{
    const char *q = b->p, *end = b->p + b->n;
    uint64_t line = 1;
    while (q < end) {
        if (c->fast && *q != '\n' && *q != '\r' &&
            !(b->row_limit && b->csr.n_rows - b->r0 == b->row_limit)) {
            const char *nl = heft__delim_fast(c, b, q, end, line);
            if (nl) {
                line++;
                q = nl < end ? nl + 1 : end;
                continue;
            }
        }
        q = general_record(c, b, q, end, &line);
        if (!q)
            break;
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

/* Readies b to parse p[0, n) into its csr after the rows it holds from
 * b->r0 on are dropped; the buffers and the numeric memo are kept. */
static void block_reset(heft__io_blk *b, const char *p, size_t n,
                        uint64_t max_bad, uint64_t row_limit)
{
    b->p = p;
    b->n = n;
    b->max_bad = max_bad;
    b->row_limit = row_limit;
    b->csr.n_rows = b->r0;
    b->csr.nnz = b->csr.row_ptr[b->r0];
    b->lines = 0;
    b->n_bad = 0;
    b->n_kept = 0;
    b->st = HEFT_OK;
    memset(&b->err, 0, sizeof b->err);
    b->graded = 0;
    b->hit_limit = 0;
    b->max_field = 0;
}

/* Samples the first window: rows per byte and nonzeros per row, both
 * rounded up a little, so that the estimates below rarely fall short. */
static void sample(run *r, const char *p, size_t n)
{
    const size_t s = n < SAMPLE ? n : SAMPLE;
    uint64_t lines = 0, colons = 0;
    for (const char *q = p, *e = p + s; q < e; q++) {
        lines += *q == '\n';
        colons += *q == ':';
    }
    if (s == n || lines == 0)
        lines++; /* the last record may have no newline */
    r->rows_per_byte = 1.05 * (double)lines / (double)(s ? s : 1);
    if (is_svm(r->c.fmt))
        r->nnz_per_row = 1.05 * (double)colons /
                             (r->c.fmt == HEFT_FMT_LIBFFM ? 2.0 : 1.0) /
                             (double)lines + 1;
    else
        r->nnz_per_row = r->c.fast ? r->c.row_nnz_max
                                   : 2.0 * (double)r->c.ncols + 2;
}

/* Reserves room in c for the rows of bytes more input. */
static heft_status reserve_for(const run *r, heft__csr *c, uint64_t bytes)
{
    const uint64_t rows = (uint64_t)(r->rows_per_byte * (double)bytes) + 64;
    uint64_t nnz = (uint64_t)(r->nnz_per_row * (double)rows) + 64;
    if (nnz > MAX_NNZ_AHEAD)
        nnz = MAX_NNZ_AHEAD;
    heft_status st = heft__csr_reserve_rows(c, rows);
    return st == HEFT_OK ? heft__csr_reserve_nnz(c, nnz) : st;
}

/* Gets the result and the block buffers ready for a window cut at cut[]:
 * the result holds room for the whole input (for the window when the
 * input's size is not known), each other block for its part. */
static heft_status prepare(run *r, const char *p, size_t n, int nb,
                           const size_t *cut, unsigned flags)
{
    heft__csr *res = &r->out->csr;
    if (!res->row_ptr) {
        sample(r, p, n);
        uint64_t total = heft__in_size_hint(r->in);
        heft_status st = heft__csr_init(res, flags, 1, 1);
        if (st == HEFT_OK)
            st = reserve_for(r, res, total > n ? total : n);
        if (st != HEFT_OK)
            return st;
    } else if (heft__csr_add_flags(res, flags) != HEFT_OK ||
               reserve_for(r, res, n) != HEFT_OK)
        return HEFT_ENOMEM;
    for (int i = 1; i < nb; i++) {
        heft__io_blk *b = &r->blk[i];
        if (!b->csr.row_ptr &&
            heft__csr_init(&b->csr, flags, 1, 1) != HEFT_OK)
            return HEFT_ENOMEM;
        b->csr.n_rows = b->csr.nnz = 0;
        if (heft__csr_add_flags(&b->csr, flags) != HEFT_OK ||
            reserve_for(r, &b->csr, cut[i + 1] - cut[i]) != HEFT_OK)
            return HEFT_ENOMEM;
    }
    return HEFT_OK;
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

/* Accounts for a parsed block: absolute lines (in place for block 0, at
 * the copy for the others: *line_off), bad rows, rows. */
static heft_status take_block(run *r, heft__io_blk *b, uint64_t base,
                              uint64_t *line_off)
{
    heft__parsed *out = r->out;
    const uint64_t off = base - 1;
    if (b->st != HEFT_OK) {
        if (b->err.line)
            b->err.line += off;
        if (r->err)
            *r->err = b->err;
        return b->st;
    }
    *line_off = off;
    if (b == &r->blk[0]) /* the others: when they are copied */
        for (uint64_t i = b->r0; i < b->csr.n_rows; i++)
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
    return HEFT_OK;
}

/* Re-parses b alone when the budget or the row limit ends the read in it
 * (see the top of the file); rows is the count before it. */
static void settle_block(run *r, heft__io_blk *b, uint64_t rows)
{
    const heft_read_opts *o = r->o;
    const uint64_t g_bad = r->out->n_bad;
    const uint64_t remaining = o->max_rows ? o->max_rows - rows : 0;
    const int over_budget = g_bad + b->n_bad > o->max_bad_rows;
    const int over_rows =
        o->max_rows && b->csr.n_rows - b->r0 >= remaining;
    if (!(over_budget || over_rows || b->st != HEFT_OK))
        return;
    if (g_bad == 0 && b->row_limit == remaining)
        return; /* it was parsed with the exact limits already */
    block_reset(b, b->p, b->n, o->max_bad_rows - g_bad, remaining);
    block_parse(&r->c, b);
}

typedef struct gather {
    heft__io_blk *b;
    int nb;
    uint64_t row0[65], nz0[65], line_off[65]; /* per block */
} gather;

/* Thread t's share of the copy: the t-th part of every block's rows. */
static void gather_task(void *ctx, int t, int nt)
{
    const gather *g = ctx;
    heft__csr *dst = &g->b[0].csr;
    for (int k = 1; k < g->nb; k++) {
        const heft__csr *src = &g->b[k].csr;
        const uint64_t from = src->n_rows * (uint64_t)t / (uint64_t)nt;
        const uint64_t to = src->n_rows * (uint64_t)(t + 1) / (uint64_t)nt;
        heft__csr_copy_rows(dst, g->row0[k] + from,
                            g->nz0[k] + src->row_ptr[from], src, from, to,
                            g->line_off[k]);
    }
}

/* Appends blocks 1..nb-1 to block 0's csr (the result), all threads
 * copying at once. */
static heft_status gather_blocks(run *r, int nb, const uint64_t *line_off)
{
    heft__csr *dst = &r->blk[0].csr;
    gather g;
    g.b = r->blk;
    g.nb = nb;
    uint64_t rows = dst->n_rows, nnz = dst->nnz;
    for (int k = 1; k < nb; k++) {
        g.row0[k] = rows;
        g.nz0[k] = nnz;
        g.line_off[k] = line_off[k];
        rows += r->blk[k].csr.n_rows;
        nnz += r->blk[k].csr.nnz;
    }
    if (rows == dst->n_rows)
        return HEFT_OK;
    if (heft__csr_reserve_rows(dst, rows - dst->n_rows) != HEFT_OK ||
        heft__csr_reserve_nnz(dst, nnz - dst->nnz) != HEFT_OK)
        return heft__err(r->err, HEFT_ENOMEM, r->c.name, 0, 0,
                         "out of memory");
    heft__parallel(r->threads, gather_task, &g); /* ENOMEM: ran inline */
    dst->n_rows = rows;
    dst->nnz = nnz;
    return HEFT_OK;
}

/* Parses the window's blocks, then settles and takes them in order. */
static heft_status run_blocks(run *r, const char *p, const size_t *cut,
                              int nb)
{
    const heft_read_opts *o = r->o;
    heft__io_blk *b = r->blk;
    const uint64_t rows0 = b[0].csr.n_rows;
    const uint64_t limit = o->max_rows ? o->max_rows - rows0 : 0;
    for (int i = 0; i < nb; i++) {
        b[i].r0 = i == 0 ? rows0 : 0;
        block_reset(&b[i], p + cut[i], cut[i + 1] - cut[i],
                    o->max_bad_rows, limit);
    }
    tasks tk = {&r->c, b};
    heft__parallel(nb, task, &tk); /* ENOMEM here still ran every block */
    uint64_t base = r->line, rows = rows0, line_off[65];
    heft_status st = HEFT_OK;
    int taken = 0;
    for (int i = 0; i < nb && st == HEFT_OK && !r->done; i++) {
        settle_block(r, &b[i], rows);
        st = take_block(r, &b[i], base, &line_off[i]);
        rows += b[i].csr.n_rows - b[i].r0;
        base += b[i].lines;
        taken = i + 1;
        if (o->max_rows && rows >= o->max_rows)
            r->done = 1;
    }
    r->line = base;
    return st == HEFT_OK ? gather_blocks(r, taken, line_off) : st;
}

static heft_status do_window(run *r, const char *p, size_t n)
{
    const int nb = n < SMALL_WINDOW ? 1 : r->threads;
    size_t cut[65];
    split_blocks(&r->c, p, n, nb, cut);
    unsigned flags = r->c.flags;
    if (is_svm(r->c.fmt) && memmem(p, n, "qid:", 4))
        flags |= HEFT__HAS_GROUP;
    if (prepare(r, p, n, nb, cut, flags) != HEFT_OK)
        return heft__err(r->err, HEFT_ENOMEM, r->c.name, 0, 0,
                         "out of memory");
    /* Block 0 holds the result while the window is parsed. */
    r->blk[0].csr = r->out->csr;
    heft_status st = run_blocks(r, p, cut, nb);
    r->out->csr = r->blk[0].csr;
    memset(&r->blk[0].csr, 0, sizeof r->blk[0].csr);
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

/* 1 when the input's first bytes p[0, n) settle everything the setup
 * needs, so that a small peek gives what a whole window would: a forced
 * criteo or libsvm-family format (no header, nothing sampled), or criteo
 * detected from a whole first line that is no comment or blank (detection
 * then looks no further; *fmt is set). */
static int head_settles(const run *r, const char *p, size_t n,
                        heft_format *fmt)
{
    if (*fmt == HEFT_FMT_CRITEO || is_svm(*fmt))
        return 1;
    if (*fmt != HEFT_FMT_AUTO || !memchr(p, '\n', n) || *p == ' ' ||
        *p == '\t' || *p == '#' || *p == '\r' || *p == '\n' ||
        heft__detect_format(r->c.name, p, n) != HEFT_FMT_CRITEO)
        return 0;
    *fmt = HEFT_FMT_CRITEO;
    return 1;
}

/* Format, context and (for delimited input) the header. */
static heft_status setup(run *r, heft__io_in *in)
{
    const heft_read_opts *o = r->o;
    heft__schema *s = &r->out->schema;
    const char *p;
    size_t n;
    int eof;
    heft_status st = heft__in_peek_head(in, &p, &n, &eof, r->err);
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
    if (!head_settles(r, p, n, &fmt)) {
        /* Detection, a header and column inference may look further. */
        if ((st = heft__in_peek(in, &p, &n, &eof, r->err)) != HEFT_OK)
            return st;
        if (fmt == HEFT_FMT_AUTO)
            fmt = heft__detect_format(r->c.name, p, n);
    }
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
    r.in = in;
    r.threads = heft__threads(o->threads);
    r.c.name = heft__in_name(in);
    r.c.bits = o->hash_bits;
    r.c.transform = o->num_transform;
    r.c.num_buckets = o->num_buckets;
    heft__ctx_tables(&r.c);
    heft__in_target(in, WINDOW_PER_THREAD * (size_t)r.threads);
    r.blk = heft__calloc((size_t)r.threads, sizeof *r.blk);
    heft_status st = r.blk ? setup(&r, in)
                           : heft__err(err, HEFT_ENOMEM, r.c.name, 0, 0,
                                       "out of memory");
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
    for (int i = 0; r.blk && i < r.threads; i++)
        block_free(&r.blk[i]);
    free(r.blk);
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
