/*
 * ioint.h: internals shared by the text readers in src/io (not part of any
 * other layer's interface).
 *
 * The reading pipeline, in the order the files implement it:
 *   input.c   bytes from a file, stdin or memory, gzip/zstd decompressed,
 *             handed out as windows that end at record boundaries;
 *   lex.c     strict number parsing, column lists, CSV record splitting;
 *   detect.c  format detection from the name and the first bytes;
 *   delim.c   criteo/avazu/csv/tsv: header, column plan, one row;
 *   svm.c     libsvm/libfm/libffm: one row;
 *   parse.c   the driver: windows -> parallel blocks -> one CSR, bad-row
 *             accounting, schema.
 */
#ifndef HEFT_IOINT_H
#define HEFT_IOINT_H

#include "parse.h"

/* Windows handed to the parser threads are at most this big; a record must
 * fit in one, so it is well above HEFT__MAX_LINE. */
#define HEFT__IO_WINDOW ((size_t)64 << 20)
/* Input parsed in place (a buffer) is cut at this size. */
#define HEFT__IO_WINDOW_MEM ((size_t)1 << 30)
/* Integer values 0..HEFT__IO_SMALL-1 use precomputed transforms. */
#define HEFT__IO_SMALL 4096
/* Rows sampled from the first window to infer numeric CSV columns. */
#define HEFT__IO_INFER_ROWS 1000
/* Largest graded label accepted. */
#define HEFT__IO_MAX_GRADE 1000.0

/* ---- compression (input.c) ---------------------------------------------- */
enum { HEFT__CODEC_NONE = 0, HEFT__CODEC_GZIP, HEFT__CODEC_ZSTD };

/* The codec whose magic bytes p[0..n) start with (HEFT__CODEC_NONE for
 * anything else). */
int heft__magic_codec(const unsigned char *p, size_t n);

/* ---- numbers (lex.c) ---------------------------------------------------- */
enum { HEFT__NUM_OK = 0, HEFT__NUM_BAD = 1, HEFT__NUM_NONFINITE = 2 };

/* Strict decimal number: optional spaces, sign, digits, fraction, exponent;
 * nothing else. NaN, infinities and values that overflow a double give
 * HEFT__NUM_NONFINITE; anything else that is not a number HEFT__NUM_BAD. */
int heft__num_slow(const char *s, size_t n, double *out);

static inline int heft__num(const char *s, size_t n, double *out)
{
    const char *p = s, *e = s + n;
    int neg = 0;
    if (p < e && (*p == '-' || *p == '+')) {
        neg = *p == '-';
        p++;
    }
    if (p < e && e - p <= 18) {
        uint64_t v = 0;
        const char *q = p;
        while (q < e && (unsigned)(*q - '0') < 10)
            v = v * 10 + (uint64_t)(*q++ - '0');
        if (q == e) {
            *out = neg ? -(double)v : (double)v;
            return HEFT__NUM_OK;
        }
    }
    return heft__num_slow(s, n, out);
}

/* First d in [p, e), or e. Eight bytes at a time: fields are short. */
static inline const char *heft__find_byte(const char *p, const char *e,
                                          char d)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && \
    defined(__GNUC__)
    const uint64_t ones = 0x0101010101010101ULL;
    const uint64_t pat = ones * (uint8_t)d;
    while (e - p >= 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        x ^= pat;
        uint64_t t = (x - ones) & ~x & (ones << 7);
        if (t)
            return p + (__builtin_ctzll(t) >> 3);
        p += 8;
    }
    while (p < e && *p != d)
        p++;
    return p;
#else
    const char *q = memchr(p, d, (size_t)(e - p));
    return q ? q : e;
#endif
}

/* heft__hash_bytes(p, n, 0) for 1 <= n <= 8 where 8 bytes at p may be
 * read: core/hash.c's algorithm with one 8-byte load (Criteo's tokens are
 * 8 hex digits). Test io_fast_hash holds it to the original. */
static inline uint64_t heft__io_hash8(const char *p, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t x;
    memcpy(&x, p, 8);
    uint64_t h = (uint64_t)n * 0x9e3779b97f4a7c15ULL;
    if (n == 8)
        h ^= heft__mix64(x);
    else
        h ^= heft__mix64((x & (~0ULL >> (64 - 8 * n))) ^ ((uint64_t)n << 56));
    return heft__mix64(h * 0xff51afd7ed558ccdULL);
#else
    return heft__hash_bytes(p, n, 0);
#endif
}

/* Unsigned decimal integer (digits only, no sign, fits in 64 bits).
 * Returns 0 on success, -1 otherwise. */
int heft__parse_u64(const char *s, size_t n, uint64_t *out);

/* ---- column lists (lex.c) ----------------------------------------------- */
/* A comma-separated list of names; "\," and "\\" escape. Empty items are
 * dropped. */
typedef struct heft__io_list {
    size_t n;
    char **item; /* (n) owned */
} heft__io_list;

heft_status heft__list_parse(const char *s, heft__io_list *out);
void heft__list_free(heft__io_list *l);
/* Appends name to a growing escaped list string (*buf, malloc'ed). */
heft_status heft__list_append(char **buf, const char *name, size_t len);

/* ---- CSV records (lex.c) ------------------------------------------------ */
/* Returns the end of the record starting at p: the '\n' that ends it, or
 * end. Quotes open only at the start of a field and "" inside quotes is an
 * escaped quote, so newlines inside quoted fields do not end the record.
 * *inner (may be NULL) gets the number of newlines inside the record. */
const char *heft__record_end(const char *p, const char *end, char delim,
                             int quotes, uint64_t *inner);

/* Splits one record (no trailing newline/CR) into fields. Quoted fields are
 * unquoted into scratch (which must hold len bytes). Fields past cap are
 * counted but not stored. Returns the number of fields, or -(k+1) when
 * field k (0-based) is malformed (text after a closing quote, or an
 * unterminated quote). */
typedef struct heft__io_field {
    const char *p;
    size_t n;
} heft__io_field;

long heft__split(const char *p, size_t len, char delim, int quotes,
                 heft__io_field *f, size_t cap, char *scratch);

/* ---- the parse context -------------------------------------------------- */
enum { /* what a column holds for the row */
    HEFT__ROLE_NONE = 0,
    HEFT__ROLE_LABEL,
    HEFT__ROLE_WEIGHT,
    HEFT__ROLE_GROUP,
    HEFT__ROLE_TIME,
    HEFT__ROLE_POSITION,
    HEFT__ROLE_HOUR, /* avazu YYMMDDHH */
};
enum { /* what a column yields as features */
    HEFT__FEAT_NONE = 0,
    HEFT__FEAT_NUM,
    HEFT__FEAT_CAT,
    HEFT__FEAT_MULTI,
};

typedef struct heft__io_col {
    uint8_t role, feat;
    char sep;        /* HEFT__FEAT_MULTI: value separator */
    uint16_t field;  /* feature field id                  */
    uint16_t field2; /* HEFT__ROLE_HOUR: the weekday field */
    uint32_t num_bucket; /* HEFT__FEAT_NUM: bucket of the "num" token */
} heft__io_col;

/* Everything a block parser needs; read-only while blocks are parsed. */
typedef struct heft__io_ctx {
    heft_format fmt;
    const char *name;       /* for messages */
    unsigned bits;
    heft_num_transform transform;
    int num_buckets;
    unsigned flags;         /* HEFT__HAS_* of the CSR */
    /* Delimited formats. */
    char delim;
    int quotes;
    size_t ncols;
    heft__io_col *cols;     /* (ncols) owned */
    char **col_names;       /* (ncols) owned; header names */
    int has_time_col;       /* a column is the row time (avazu: not hour) */
    int fast;               /* every column suits heft__delim_fast()   */
    uint32_t row_nnz_max;   /* most nonzeros a row can push (delimited) */
    /* libsvm family. */
    int zero_ok;            /* index 0 allowed (libfm, libffm) */
    /* Numeric features. */
    uint64_t num_tok;       /* hash of the token "num" */
    float small_val[HEFT__IO_SMALL];    /* transformed value of v      */
    uint64_t small_tok[HEFT__IO_SMALL]; /* bin token hash of v         */
} heft__io_ctx;

/* A block of whole records and what parsing it produced. Line numbers in
 * csr.src_line and in the errors are relative (1 = first line of the
 * block) until the driver adds the block's base. */
/* Transformed value and bin token of a numeric value outside the
 * precomputed range, remembered per block (values such as timestamps
 * repeat; computing them costs two libm calls). */
typedef struct heft__io_memo {
    int64_t v; /* 0 = empty: 0 is always served by the small tables */
    float tv;
    uint64_t tok;
} heft__io_memo;
#define HEFT__IO_MEMO 64

typedef struct heft__io_blk {
    const char *p;
    size_t n;
    uint64_t r0;        /* rows csr held before this block's (it may be
                           the result itself, appended to in place)    */
    uint64_t max_bad;   /* fail at the (max_bad+1)th bad row           */
    uint64_t row_limit; /* stop after this many rows of its own; 0 = none */
    heft__csr csr;
    uint64_t lines;     /* lines consumed                              */
    uint64_t n_bad;
    size_t n_kept;
    heft_error bad[HEFT__MAX_BAD_KEPT];
    heft_status st;     /* OK, or the error that stopped the block     */
    heft_error err;
    int graded;
    int hit_limit;      /* stopped at row_limit                        */
    unsigned max_field; /* libsvm family: largest field id + 1 seen    */
    char *scratch;      /* owned; unquoting buffer                     */
    size_t scratch_cap;
    heft__io_field *fields; /* owned; (ncols + 1) */
    heft__io_memo memo[HEFT__IO_MEMO];
} heft__io_blk;

/* One record (no newline, CR stripped, not empty) into b->csr. Returns OK,
 * a row-level error (EPARSE, ERANGE) or a fatal one (ENOMEM), with *e set.
 * line is relative to the block. */
heft_status heft__delim_row(const heft__io_ctx *c, heft__io_blk *b,
                            const char *p, size_t n, uint64_t line,
                            heft_error *e);
/* The fast way for the common case of heft__delim_row() (c->fast set):
 * parses the record at p (not starting with '\n' or '\r') and returns its
 * end (the '\n', or end), having added the row exactly as the general
 * path would. Returns NULL, having added nothing, for any record it does
 * not handle (quotes, ragged, bad values, too long): the caller then takes
 * the general path, which also words the error. */
const char *heft__delim_fast(const heft__io_ctx *c, heft__io_blk *b,
                             const char *p, const char *end, uint64_t line);
/* Sets c->fast and c->row_nnz_max once the column plan is known. */
void heft__delim_fast_setup(heft__io_ctx *c);

heft_status heft__svm_row(const heft__io_ctx *c, heft__io_blk *b,
                          const char *p, size_t n, uint64_t line,
                          heft_error *e);

/* Label rules shared by every format: 0/1, -1/+1 (-1 -> 0), or an integer
 * grade 2..HEFT__IO_MAX_GRADE (sets *graded). Returns OK, EPARSE or ERANGE
 * (then *why is a static message). */
heft_status heft__label(const char *s, size_t n, float *out, int *graded,
                        const char **why);

/* Fills c's numeric tables (after c->transform is set). */
void heft__ctx_tables(heft__io_ctx *c);

/* Builds the column plan and schema for delimited input from the first
 * window (header + sample rows). *used gets the bytes of the header record
 * (consumed) and *hdr_lines its lines. */
heft_status heft__delim_setup(heft__io_ctx *c, const heft_read_opts *o,
                              const char *p, size_t n, int last,
                              heft__schema *s, size_t *used,
                              uint64_t *hdr_lines, heft_error *err);
void heft__ctx_free(heft__io_ctx *c);

/* ---- input (input.c) ---------------------------------------------------- */
typedef struct heft__io_in heft__io_in;

/* Opens a file ("-" = stdin) or a buffer (not copied; it must outlive the
 * reader). gzip and zstd are detected from the magic bytes. The reader
 * owns its copy of the name. */
heft_status heft__in_open_file(const char *path, heft__io_in **out,
                               heft_error *err);
heft_status heft__in_open_mem(const void *buf, size_t len, const char *name,
                              heft__io_in **out, heft_error *err);
void heft__in_close(heft__io_in *in);
const char *heft__in_name(const heft__io_in *in);
/* Bytes of raw input consumed so far and the raw size (0 when unknown),
 * for progress reports. */
void heft__in_progress(const heft__io_in *in, uint64_t *done,
                       uint64_t *total);
/* The unconsumed decoded bytes (at least a window's worth, or all that is
 * left); *eof says whether that is everything. Consumes nothing. */
heft_status heft__in_peek(heft__io_in *in, const char **p, size_t *n,
                          int *eof, heft_error *err);
/* Sets the preferred size of the windows of a stream (clamped to
 * 1 MiB..HEFT__IO_WINDOW; by default the largest): windows that fit the
 * CPU caches are parsed faster, and the buffer is smaller. A record longer
 * than that still gets a window of its own. */
void heft__in_target(heft__io_in *in, size_t bytes);
/* As heft__in_peek() but only the preferred window's worth (at least
 * one whole line when there is one): enough when the first line settles
 * the format and nothing else is sampled (criteo). */
heft_status heft__in_peek_head(heft__io_in *in, const char **p, size_t *n,
                               int *eof, heft_error *err);
/* Consumes n bytes of what heft__in_peek() returned. */
void heft__in_skip(heft__io_in *in, size_t n);
/* Hands out the next window: whole records up to HEFT__IO_WINDOW bytes
 * (the last window may end without a newline). *n = 0 at the end. A record
 * that does not fit gives HEFT_ETOOLONG at line first_line. The bytes stay
 * valid until the next call. */
heft_status heft__in_window(heft__io_in *in, char delim, int quotes,
                            uint64_t first_line, const char **p, size_t *n,
                            heft_error *err);

/* The decoded size of the whole input when it is known in advance (a
 * plain file or a buffer), else 0; for sizing the result. */
uint64_t heft__in_size_hint(const heft__io_in *in);

/* 1 if the line is a headerless Avazu data row (detect.c). */
int heft__is_avazu_row(const char *p, size_t n);

#endif
