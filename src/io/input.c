/*
 * input.c: the byte source of the text readers. A buffer is parsed in
 * place; files, stdin, pipes and compressed input (gzip by the magic bytes
 * 1f 8b, zstd by 28 b5 2f fd) are read or decoded in large chunks into a
 * buffer that grows up to HEFT__IO_WINDOW bytes and is reused from window
 * to window. Either way the parser sees windows that end at a record
 * boundary.
 *
 * Plain files are read(2) into that buffer rather than memory mapped: a
 * mapping costs a page fault (or a batch of them) per 4 KiB page on first
 * touch, which is far dearer than the copy (5-10x under a hypervisor that
 * shadows page tables), while the buffer, on huge pages, is faulted in
 * once.
 */
#include "ioint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef HEFT_HAVE_ZLIB
#include <zlib.h>
#endif
#ifdef HEFT_HAVE_ZSTD
#include <zstd.h>
#endif

#define RAW_CHUNK ((size_t)1 << 20)

struct heft__io_in {
    char *name;
    int codec;
    /* Raw bytes: from memory (raw, raw_len) or read from fd into rbuf
     * (plain input past the first chunk: straight into buf). */
    int fd, own_fd;
    const unsigned char *raw;
    size_t raw_len, raw_pos;
    unsigned char *rbuf;
    size_t rbuf_len;
    int raw_eof;
    uint64_t raw_done, raw_total;
    /* Decoded bytes: dat[off, len). dat is raw itself when not compressed
     * and in memory, else buf. */
    const char *dat;
    size_t len, off;
    char *buf;
    size_t cap; /* of buf; grows to HEFT__IO_WINDOW */
    size_t target; /* preferred window size (heft__in_target) */
    int eof;
    /* A truncated stream: what decoded is parsed first, then the error
     * is reported at the line where the data stops. */
    heft_status pend;
    heft_error pend_err;
#ifdef HEFT_HAVE_ZLIB
    z_stream zs;
    int z_init, z_end;
#endif
#ifdef HEFT_HAVE_ZSTD
    ZSTD_DCtx *zd;
    size_t z_left; /* last ZSTD_decompressStream() hint; 0 = frame done */
#endif
};

int heft_has_gzip(void)
{
#ifdef HEFT_HAVE_ZLIB
    return 1;
#else
    return 0;
#endif
}

int heft_has_zstd(void)
{
#ifdef HEFT_HAVE_ZSTD
    return 1;
#else
    return 0;
#endif
}

int heft__magic_codec(const unsigned char *p, size_t n)
{
    if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
        return HEFT__CODEC_GZIP;
    if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f &&
        p[3] == 0xfd)
        return HEFT__CODEC_ZSTD;
    return HEFT__CODEC_NONE;
}

/* Makes raw input available: returns how many raw bytes are at *p (0 at
 * the end). Memory input hands out everything at once. */
static heft_status raw_avail(heft__io_in *in, const unsigned char **p,
                             size_t *n, heft_error *err)
{
    if (in->raw) {
        *p = in->raw + in->raw_pos;
        *n = in->raw_len - in->raw_pos;
        return HEFT_OK;
    }
    if (in->raw_pos == in->rbuf_len && !in->raw_eof) {
        ssize_t r;
        do
            r = read(in->fd, in->rbuf, RAW_CHUNK);
        while (r < 0 && errno == EINTR);
        if (r < 0)
            return heft__err(err, HEFT_EIO, in->name, 0, 0,
                             "read error: %s", strerror(errno));
        in->rbuf_len = (size_t)r;
        in->raw_pos = 0;
        in->raw_eof = r == 0;
    }
    *p = in->rbuf + in->raw_pos;
    *n = in->rbuf_len - in->raw_pos;
    return HEFT_OK;
}

static void raw_used(heft__io_in *in, size_t n)
{
    in->raw_pos += n;
    in->raw_done += n;
}

#if defined(HEFT_HAVE_ZLIB) || defined(HEFT_HAVE_ZSTD)
static heft_status trunc_err(heft__io_in *in, const char *what,
                             heft_error *err)
{
    return heft__err(err, HEFT_ETRUNC, in->name, 0, 0,
                     "the %s stream ends early: the file is truncated",
                     what);
}
#endif

#ifdef HEFT_HAVE_ZLIB
/* Inflates into dst; several gzip members in a row are read as one. */
static heft_status gz_read(heft__io_in *in, char *dst, size_t cap,
                           size_t *got, heft_error *err)
{
    z_stream *z = &in->zs;
    z->next_out = (Bytef *)dst;
    z->avail_out = (uInt)cap;
    while (z->avail_out > 0) {
        const unsigned char *p;
        size_t n;
        heft_status st = raw_avail(in, &p, &n, err);
        if (st != HEFT_OK)
            return st;
        if (n == 0) {
            if (!in->z_end) {
                *got = cap - z->avail_out; /* keep what did decode */
                return trunc_err(in, "gzip", err);
            }
            break;
        }
        if (in->z_end) { /* another member follows */
            inflateReset(z);
            in->z_end = 0;
        }
        uInt take = n > (1u << 30) ? (1u << 30) : (uInt)n;
        z->next_in = (Bytef *)p;
        z->avail_in = take;
        int r = inflate(z, Z_NO_FLUSH);
        raw_used(in, take - z->avail_in);
        if (r == Z_STREAM_END)
            in->z_end = 1;
        else if (r == Z_MEM_ERROR)
            return heft__err(err, HEFT_ENOMEM, in->name, 0, 0,
                             "out of memory while decompressing");
        else if (r != Z_OK && r != Z_BUF_ERROR)
            return heft__err(err, HEFT_EPARSE, in->name, 0, 0,
                             "corrupt gzip data: %s",
                             z->msg ? z->msg : "inflate failed");
    }
    *got = cap - z->avail_out;
    return HEFT_OK;
}
#endif

#ifdef HEFT_HAVE_ZSTD
static heft_status zs_read(heft__io_in *in, char *dst, size_t cap,
                           size_t *got, heft_error *err)
{
    ZSTD_outBuffer ob = {dst, cap, 0};
    while (ob.pos < ob.size) {
        const unsigned char *p;
        size_t n;
        heft_status st = raw_avail(in, &p, &n, err);
        if (st != HEFT_OK)
            return st;
        if (n == 0) {
            if (in->z_left != 0) {
                *got = ob.pos; /* keep what did decode */
                return trunc_err(in, "zstd", err);
            }
            break;
        }
        ZSTD_inBuffer ib = {p, n, 0};
        size_t r = ZSTD_decompressStream(in->zd, &ob, &ib);
        raw_used(in, ib.pos);
        if (ZSTD_isError(r))
            return heft__err(err, HEFT_EPARSE, in->name, 0, 0,
                             "corrupt zstd data: %s", ZSTD_getErrorName(r));
        in->z_left = r;
    }
    *got = ob.pos;
    return HEFT_OK;
}
#endif

/* Asks for transparent huge pages on a big buffer (advice only). */
static void advise_huge(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    const uintptr_t page = 4096;
    const uintptr_t a = ((uintptr_t)p + page - 1) & ~(page - 1);
    const uintptr_t e = ((uintptr_t)p + bytes) & ~(page - 1);
    if (bytes >= ((size_t)4 << 20) && e > a)
        madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

/* Plain input from a descriptor: what is left of the first chunk, then
 * read(2) straight into dst. */
static heft_status plain_read(heft__io_in *in, char *dst, size_t cap,
                              size_t *got, heft_error *err)
{
    if (in->raw_pos < in->rbuf_len) {
        size_t n = in->rbuf_len - in->raw_pos;
        if (n > cap)
            n = cap;
        memcpy(dst, in->rbuf + in->raw_pos, n);
        raw_used(in, n);
        *got = n;
    }
    while (*got < cap && !in->raw_eof) {
        size_t want = cap - *got;
        ssize_t r = read(in->fd, dst + *got, want > (1u << 30) ? (1u << 30)
                                                               : want);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return heft__err(err, HEFT_EIO, in->name, 0, 0,
                             "read error: %s", strerror(errno));
        in->raw_eof = r == 0;
        in->raw_done += (uint64_t)r;
        *got += (size_t)r;
    }
    return HEFT_OK;
}

/* Reads decoded bytes into dst; *got = 0 only at the end. */
static heft_status dec_read(heft__io_in *in, char *dst, size_t cap,
                            size_t *got, heft_error *err)
{
    *got = 0;
    switch (in->codec) {
#ifdef HEFT_HAVE_ZLIB
    case HEFT__CODEC_GZIP:
        return gz_read(in, dst, cap, got, err);
#endif
#ifdef HEFT_HAVE_ZSTD
    case HEFT__CODEC_ZSTD:
        return zs_read(in, dst, cap, got, err);
#endif
    default:
        break;
    }
    if (!in->raw)
        return plain_read(in, dst, cap, got, err);
    while (*got < cap) {
        const unsigned char *p;
        size_t n;
        heft_status st = raw_avail(in, &p, &n, err);
        if (st != HEFT_OK)
            return st;
        if (n == 0)
            break;
        if (n > cap - *got)
            n = cap - *got;
        memcpy(dst + *got, p, n);
        raw_used(in, n);
        *got += n;
    }
    return HEFT_OK;
}

/* Sets up decoding once the first raw bytes are known. */
static heft_status start_codec(heft__io_in *in, heft_error *err)
{
    const unsigned char *p;
    size_t n;
    heft_status st = raw_avail(in, &p, &n, err);
    if (st != HEFT_OK)
        return st;
    in->codec = heft__magic_codec(p, n);
    if (in->codec == HEFT__CODEC_GZIP) {
#ifdef HEFT_HAVE_ZLIB
        if (inflateInit2(&in->zs, 15 + 16) != Z_OK)
            return heft__err(err, HEFT_ENOMEM, in->name, 0, 0,
                             "cannot start gzip decoder");
        in->z_init = 1;
#else
        return heft__err(err, HEFT_ENOTSUP, in->name, 0, 0,
                         "input is gzip-compressed but this build has no "
                         "zlib; decompress it first (gunzip)");
#endif
    } else if (in->codec == HEFT__CODEC_ZSTD) {
#ifdef HEFT_HAVE_ZSTD
        in->zd = ZSTD_createDCtx();
        if (!in->zd)
            return heft__err(err, HEFT_ENOMEM, in->name, 0, 0,
                             "cannot start zstd decoder");
        in->z_left = 1;
#else
        return heft__err(err, HEFT_ENOTSUP, in->name, 0, 0,
                         "input is zstd-compressed but this build has no "
                         "libzstd; decompress it first (unzstd)");
#endif
    }
    if (in->codec == HEFT__CODEC_NONE && in->raw) {
        in->dat = (const char *)in->raw; /* parse in place */
        in->len = in->raw_len;
        in->raw_done = in->raw_len;
        in->eof = 1;
        return HEFT_OK;
    }
    in->cap = (size_t)1 << 20;
    in->buf = malloc(in->cap);
    if (!in->buf)
        return heft__err(err, HEFT_ENOMEM, in->name, 0, 0, "out of memory");
    advise_huge(in->buf, in->cap);
    in->dat = in->buf;
    return HEFT_OK;
}

static heft_status in_new(const char *name, heft__io_in **out,
                          heft_error *err)
{
    heft__io_in *in = heft__calloc(1, sizeof *in);
    if (in)
        in->name = heft__strdup(name);
    if (!in || !in->name) {
        free(in);
        return heft__err(err, HEFT_ENOMEM, name, 0, 0, "out of memory");
    }
    in->fd = -1;
    in->target = HEFT__IO_WINDOW;
    *out = in;
    return HEFT_OK;
}

heft_status heft__in_open_mem(const void *buf, size_t len, const char *name,
                              heft__io_in **out, heft_error *err)
{
    *out = NULL;
    heft__io_in *in;
    heft_status st = in_new(name ? name : "<memory>", &in, err);
    if (st != HEFT_OK)
        return st;
    in->raw = buf ? buf : (const void *)"";
    in->raw_len = buf ? len : 0;
    in->raw_total = in->raw_len;
    st = start_codec(in, err);
    if (st != HEFT_OK) {
        heft__in_close(in);
        return st;
    }
    *out = in;
    return HEFT_OK;
}

/* Opens path (or stdin) to be read, noting a regular file's size. */
static heft_status open_fd(heft__io_in *in, const char *path,
                           heft_error *err)
{
    int is_stdin = strcmp(path, "-") == 0;
    in->fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC);
    if (in->fd < 0)
        return heft__err(err, HEFT_EIO, path, 0, 0, "cannot open: %s",
                         strerror(errno));
    in->own_fd = !is_stdin;
    struct stat sb;
    if (fstat(in->fd, &sb) != 0)
        return heft__err(err, HEFT_EIO, in->name, 0, 0, "cannot stat: %s",
                         strerror(errno));
    if (S_ISDIR(sb.st_mode))
        return heft__err(err, HEFT_EIO, in->name, 0, 0,
                         "is a directory, not a data file");
    if (S_ISREG(sb.st_mode))
        in->raw_total = (uint64_t)sb.st_size;
    in->rbuf = malloc(RAW_CHUNK);
    if (!in->rbuf)
        return heft__err(err, HEFT_ENOMEM, in->name, 0, 0, "out of memory");
    return HEFT_OK;
}

heft_status heft__in_open_file(const char *path, heft__io_in **out,
                               heft_error *err)
{
    *out = NULL;
    heft__io_in *in;
    heft_status st =
        in_new(strcmp(path, "-") == 0 ? "<stdin>" : path, &in, err);
    if (st != HEFT_OK)
        return st;
    st = open_fd(in, path, err);
    if (st == HEFT_OK)
        st = start_codec(in, err);
    if (st != HEFT_OK) {
        heft__in_close(in);
        return st;
    }
    *out = in;
    return HEFT_OK;
}

void heft__in_close(heft__io_in *in)
{
    if (!in)
        return;
#ifdef HEFT_HAVE_ZLIB
    if (in->z_init)
        inflateEnd(&in->zs);
#endif
#ifdef HEFT_HAVE_ZSTD
    ZSTD_freeDCtx(in->zd);
#endif
    if (in->own_fd)
        close(in->fd);
    free(in->rbuf);
    free(in->buf);
    free(in->name);
    free(in);
}

const char *heft__in_name(const heft__io_in *in) { return in->name; }

uint64_t heft__in_size_hint(const heft__io_in *in)
{
    if (in->codec != HEFT__CODEC_NONE)
        return 0;
    return in->raw ? in->raw_len : in->raw_total;
}

void heft__in_progress(const heft__io_in *in, uint64_t *done,
                       uint64_t *total)
{
    *done = in->raw_done;
    *total = in->raw_total;
}

/* Tops the buffer up to want bytes (stream mode), growing it as needed. */
static heft_status fill(heft__io_in *in, size_t want, heft_error *err)
{
    if (in->eof || in->len - in->off >= want)
        return HEFT_OK;
    memmove(in->buf, in->buf + in->off, in->len - in->off);
    in->len -= in->off;
    in->off = 0;
    while (in->len < want && !in->eof) {
        if (in->len == in->cap) {
            size_t cap = in->cap * 4 > want ? want : in->cap * 4;
            char *b = realloc(in->buf, cap);
            if (!b)
                return heft__err(err, HEFT_ENOMEM, in->name, 0, 0,
                                 "out of memory");
            advise_huge(b, cap);
            in->buf = b;
            in->dat = b;
            in->cap = cap;
        }
        size_t got;
        const size_t lim = want < in->cap ? want : in->cap;
        heft_status st = dec_read(in, in->buf + in->len, lim - in->len, &got,
                                  &in->pend_err);
        if (st == HEFT_ETRUNC) {
            in->len += got;
            in->pend = st;
            in->eof = 1;
            break;
        }
        if (st != HEFT_OK) {
            if (err)
                *err = in->pend_err;
            return st;
        }
        in->len += got;
        in->eof = got == 0;
    }
    return HEFT_OK;
}

void heft__in_target(heft__io_in *in, size_t bytes)
{
    const size_t lo = (size_t)1 << 20;
    in->target = bytes < lo ? lo : bytes > HEFT__IO_WINDOW ? HEFT__IO_WINDOW
                                                           : bytes;
}

heft_status heft__in_peek(heft__io_in *in, const char **p, size_t *n,
                          int *eof, heft_error *err)
{
    /* A whole window: format detection, the header and the rows sampled
     * after it see as much as they ever did. */
    heft_status st = fill(in, HEFT__IO_WINDOW, err);
    if (st != HEFT_OK)
        return st;
    *p = in->dat + in->off;
    *n = in->len - in->off;
    if (*n == 0 && in->pend) { /* nothing decoded: it stops at line 1 */
        if (err) {
            *err = in->pend_err;
            err->line = 1;
        }
        return in->pend;
    }
    *eof = in->eof && *n <= HEFT__IO_WINDOW;
    if (*n > HEFT__IO_WINDOW)
        *n = HEFT__IO_WINDOW;
    return HEFT_OK;
}

heft_status heft__in_peek_head(heft__io_in *in, const char **p, size_t *n,
                               int *eof, heft_error *err)
{
    heft_status st = fill(in, in->target, err);
    if (st == HEFT_OK && !in->eof &&
        !memchr(in->dat + in->off, '\n', in->len - in->off))
        return heft__in_peek(in, p, n, eof, err);
    if (st != HEFT_OK)
        return st;
    *p = in->dat + in->off;
    *n = in->len - in->off;
    if (*n == 0 && in->pend) /* as heft__in_peek() words it */
        return heft__in_peek(in, p, n, eof, err);
    *eof = in->eof && *n <= HEFT__IO_WINDOW;
    if (*n > HEFT__IO_WINDOW)
        *n = HEFT__IO_WINDOW;
    return HEFT_OK;
}

void heft__in_skip(heft__io_in *in, size_t n) { in->off += n; }

/* The end of the last whole record in p[0, n), or NULL if none ends. */
static const char *last_record(const char *p, size_t n, char delim,
                               int quotes)
{
    if (!quotes || !memchr(p, '"', n)) {
        const char *nl = memrchr(p, '\n', n);
        return nl ? nl + 1 : NULL;
    }
    const char *end = p + n, *cut = NULL;
    while (p < end) {
        const char *e = heft__record_end(p, end, delim, 1, NULL);
        if (e == end)
            break;
        cut = p = e + 1;
    }
    return cut;
}

heft_status heft__in_window(heft__io_in *in, char delim, int quotes,
                            uint64_t first_line, const char **p, size_t *n,
                            heft_error *err)
{
    *p = NULL;
    *n = 0;
    heft_status st = fill(in, in->target, err);
    if (st != HEFT_OK)
        return st;
    const char *w = in->dat + in->off;
    size_t avail = in->len - in->off;
    if (in->pend) {
        /* Whole records first; the broken tail is the error. */
        const char *cut = avail ? last_record(w, avail, delim, quotes) : NULL;
        if (!cut) {
            if (err) {
                *err = in->pend_err;
                err->line = first_line;
            }
            return in->pend;
        }
        *p = w;
        *n = (size_t)(cut - w);
        in->off += *n;
        return HEFT_OK;
    }
    /* In place, a bigger window means fewer pieces to append; a stream is
     * cut at the preferred size (heft__in_target) where a record ends. */
    const size_t win = in->buf ? HEFT__IO_WINDOW : HEFT__IO_WINDOW_MEM;
    const size_t pref = in->buf ? in->target : win;
    if (in->eof && avail <= pref) {
        *p = w;
        *n = avail;
        in->off = in->len;
        return HEFT_OK;
    }
    const char *cut =
        last_record(w, avail < pref ? avail : pref, delim, quotes);
    if (!cut && pref < win) { /* a record longer than the preferred size */
        if (!in->eof && avail < win) {
            if ((st = fill(in, HEFT__IO_WINDOW, err)) != HEFT_OK)
                return st;
            return heft__in_window(in, delim, quotes, first_line, p, n, err);
        }
        if (in->eof && avail <= win) {
            *p = w;
            *n = avail;
            in->off = in->len;
            return HEFT_OK;
        }
        cut = last_record(w, win, delim, quotes);
    }
    if (!cut)
        return heft__err(err, HEFT_ETOOLONG, in->name, first_line, 1,
                         "line is longer than %zu MiB",
                         HEFT__MAX_LINE >> 20);
    *p = w;
    *n = (size_t)(cut - w);
    in->off += *n;
    return HEFT_OK;
}
