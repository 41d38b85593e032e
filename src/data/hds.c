/*
 * hds.c: heft's binary dataset file (.hds), documented field by field in
 * docs/hds.md. In short:
 *
 *     header    128 bytes: magic, version, endianness marker, counts,
 *               flags for the optional columns, table-of-contents place
 *               and checksum, header checksum
 *     toc       n_sections entries of 32 bytes: id, element size, offset,
 *               length, checksum
 *     sections  the schema text, the bad-row list and the arrays, each
 *               starting at a multiple of 64 bytes, zero padding between
 *
 * Loading maps the file read-only and points the dataset's arrays into the
 * map (no copy). Every checksum is verified and the CSR structure checked
 * (row_ptr monotone, feature ids below 2^hash_bits, field ids below
 * n_fields), so a model never indexes out of bounds on a damaged file.
 * All numbers are little-endian (the byte order of every machine heft
 * targets); the endianness marker makes a byte-swapped file fail clearly.
 */
#include "dataset.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HDS_MAGIC "HEFTHDS\0"
#define HDS_VERSION 1u
#define HDS_ENDIAN 0x01020304u
#define HDS_HEADER_SIZE 128u
#define HDS_TOC_ENTRY 32u
#define HDS_ALIGN 64u

/* Header flags: the optional columns present. */
enum {
    HDS_F_WEIGHT = 1,
    HDS_F_GROUP = 2,
    HDS_F_TIME = 4,
    HDS_F_POSITION = 8,
    HDS_F_SRC_LINE = 16,
    HDS_F_ALL = 31,
};

/* Section ids (docs/hds.md, "Sections"). */
enum {
    S_SCHEMA = 1,
    S_BAD = 2,
    S_ROW_PTR = 3,
    S_FEAT = 4,
    S_VAL = 5,
    S_FIELD = 6,
    S_LABEL = 7,
    S_WEIGHT = 8,
    S_GROUP = 9,
    S_TIME = 10,
    S_POSITION = 11,
    S_SRC_LINE = 12,
    S_MAX = 12,
};

/* The header as it lies in the file (offsets in the comments). */
typedef struct hds_header {
    char magic[8];          /*   0 */
    uint32_t version;       /*   8 */
    uint32_t endian;        /*  12 */
    uint32_t header_size;   /*  16 */
    uint32_t flags;         /*  20 */
    uint64_t n_rows;        /*  24 */
    uint64_t nnz;           /*  32 */
    uint32_t hash_bits;     /*  40 */
    uint32_t n_fields;      /*  44 */
    uint32_t graded;        /*  48 */
    uint32_t source_format; /*  52 */
    uint64_t n_bad;         /*  56 */
    uint64_t file_size;     /*  64 */
    uint32_t n_sections;    /*  72 */
    uint32_t toc_entry;     /*  76 */
    uint64_t toc_offset;    /*  80 */
    uint64_t toc_checksum;  /*  88 */
    uint8_t reserved[24];   /*  96 */
    uint64_t checksum;      /* 120: heft__checksum of bytes 0..120 */
} hds_header;

typedef struct hds_toc {
    uint32_t id;
    uint32_t elem_size;
    uint64_t offset;
    uint64_t length; /* bytes */
    uint64_t checksum;
} hds_toc;

_Static_assert(sizeof(hds_header) == HDS_HEADER_SIZE, "hds header layout");
_Static_assert(sizeof(hds_toc) == HDS_TOC_ENTRY, "hds toc layout");

int heft__hds_is_magic(const void *head, size_t len)
{
    return head && len >= 8 && !memcmp(head, HDS_MAGIC, 8);
}

/* ---- saving -------------------------------------------------------------- */

/* One section to write: data and size, and its place once laid out. */
typedef struct out_sec {
    uint32_t id, elem;
    const void *p;
    uint64_t len;
} out_sec;

/* Copies s into d (cap bytes) with tabs and line breaks made spaces, so a
 * bad-row record stays one tab-separated line. */
static void clean_copy(char *d, size_t cap, const char *s)
{
    size_t i = 0;
    for (; s[i] && i + 1 < cap; i++)
        d[i] = (s[i] == '\t' || s[i] == '\n' || s[i] == '\r') ? ' ' : s[i];
    d[i] = '\0';
}

/* Bad-row list as text: "code\tline\tcolumn\tfile\tmessage\n" per row. */
static char *bad_to_text(const heft_dataset *ds, size_t *len)
{
    size_t cap = 1 + ds->n_bad_kept * (sizeof ds->bad[0].file +
                                       sizeof ds->bad[0].msg + 64);
    char *t = malloc(cap);
    if (!t)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < ds->n_bad_kept; i++) {
        const heft_error *e = &ds->bad[i];
        char file[sizeof e->file], msg[sizeof e->msg];
        clean_copy(file, sizeof file, e->file);
        clean_copy(msg, sizeof msg, e->msg);
        n += (size_t)snprintf(t + n, cap - n, "%d\t%llu\t%u\t%s\t%s\n",
                              (int)e->code, (unsigned long long)e->line,
                              e->column, file, msg);
    }
    *len = n;
    return t;
}

static heft_status collect_sections(const heft_dataset *ds, const char *schema,
                                    size_t schema_len, const char *bad,
                                    size_t bad_len, out_sec *s, uint32_t *n)
{
    uint64_t r = ds->n_rows, z = ds->nnz;
    uint32_t k = 0;
#define SEC(ID, PTR, ELEM, COUNT)                                             \
    s[k++] = (out_sec){(ID), (ELEM), (PTR), (uint64_t)(COUNT) * (ELEM)}
    SEC(S_SCHEMA, schema, 1, schema_len);
    if (bad_len)
        SEC(S_BAD, bad, 1, bad_len);
    SEC(S_ROW_PTR, ds->row_ptr, 8, r + 1);
    SEC(S_FEAT, ds->feat, 4, z);
    SEC(S_VAL, ds->val, 4, z);
    SEC(S_FIELD, ds->field, 2, z);
    SEC(S_LABEL, ds->label, 4, r);
    if (ds->weight)
        SEC(S_WEIGHT, ds->weight, 4, r);
    if (ds->group)
        SEC(S_GROUP, ds->group, 8, r);
    if (ds->time)
        SEC(S_TIME, ds->time, 8, r);
    if (ds->position)
        SEC(S_POSITION, ds->position, 4, r);
    if (ds->src_line)
        SEC(S_SRC_LINE, ds->src_line, 8, r);
#undef SEC
    *n = k;
    return HEFT_OK;
}

static uint64_t align_up(uint64_t x)
{
    return (x + HDS_ALIGN - 1) & ~(uint64_t)(HDS_ALIGN - 1);
}

/* Lays out sections after the header and toc, fills toc and header. */
static void layout(const heft_dataset *ds, const out_sec *s, uint32_t n,
                   hds_toc *toc, hds_header *h)
{
    uint64_t off = align_up(HDS_HEADER_SIZE + (uint64_t)n * HDS_TOC_ENTRY);
    for (uint32_t i = 0; i < n; i++) {
        toc[i] = (hds_toc){s[i].id, s[i].elem, off, s[i].len,
                           heft__checksum(s[i].p, (size_t)s[i].len)};
        off = align_up(off + s[i].len);
    }
    memset(h, 0, sizeof *h);
    memcpy(h->magic, HDS_MAGIC, 8);
    h->version = HDS_VERSION;
    h->endian = HDS_ENDIAN;
    h->header_size = HDS_HEADER_SIZE;
    h->flags = (ds->weight ? HDS_F_WEIGHT : 0) | (ds->group ? HDS_F_GROUP : 0) |
               (ds->time ? HDS_F_TIME : 0) |
               (ds->position ? HDS_F_POSITION : 0) |
               (ds->src_line ? HDS_F_SRC_LINE : 0);
    h->n_rows = ds->n_rows;
    h->nnz = ds->nnz;
    h->hash_bits = ds->schema.hash_bits;
    h->n_fields = ds->schema.n_fields;
    h->graded = ds->graded ? 1 : 0;
    h->source_format = (uint32_t)ds->schema.format;
    h->n_bad = ds->n_bad;
    /* The last section ends the file; its padding is not written. */
    h->file_size = n ? toc[n - 1].offset + toc[n - 1].length : off;
    h->n_sections = n;
    h->toc_entry = HDS_TOC_ENTRY;
    h->toc_offset = HDS_HEADER_SIZE;
    h->toc_checksum = heft__checksum(toc, (size_t)n * HDS_TOC_ENTRY);
    h->checksum = heft__checksum(h, offsetof(hds_header, checksum));
}

static void write_sections(heft__outfile *f, const hds_header *h,
                           const hds_toc *toc, const out_sec *s, uint32_t n)
{
    static const char zeros[HDS_ALIGN];
    heft__out_write(f, h, sizeof *h);
    heft__out_write(f, toc, (size_t)n * sizeof *toc);
    uint64_t at = HDS_HEADER_SIZE + (uint64_t)n * HDS_TOC_ENTRY;
    for (uint32_t i = 0; i < n; i++) {
        heft__out_write(f, zeros, (size_t)(toc[i].offset - at));
        heft__out_write(f, s[i].p, (size_t)s[i].len);
        at = toc[i].offset + toc[i].length;
    }
}

heft_status heft__hds_save(const heft_dataset *ds, const char *path,
                           heft_error *err)
{
    char *schema = NULL, *bad = NULL;
    size_t schema_len = 0, bad_len = 0;
    if (heft__schema_to_text(&ds->schema, &schema, &schema_len) != HEFT_OK ||
        !(bad = bad_to_text(ds, &bad_len))) {
        free(schema);
        return heft__err(err, HEFT_ENOMEM, path, 0, 0, "out of memory");
    }
    out_sec s[S_MAX];
    hds_toc toc[S_MAX];
    hds_header h;
    uint32_t n = 0;
    collect_sections(ds, schema, schema_len, bad, bad_len, s, &n);
    layout(ds, s, n, toc, &h);
    heft__outfile f;
    heft_status st = heft__out_open(&f, path, err);
    if (st == HEFT_OK) {
        write_sections(&f, &h, toc, s, n);
        st = heft__out_commit(&f, err);
    }
    free(schema);
    free(bad);
    return st;
}

/* ---- loading ------------------------------------------------------------- */

static heft_status corrupt(heft_error *err, const char *name, const char *what)
{
    return heft__err(err, HEFT_ECORRUPT, name, 0, 0,
                     "corrupted .hds file: %s", what);
}

/* Checks magic, version, byte order, header checksum and size. */
static heft_status check_header(const unsigned char *b, size_t len,
                                const char *name, hds_header *h,
                                heft_error *err)
{
    if (len < 8) {
        if (len == 0 || !memcmp(b, HDS_MAGIC, len))
            return heft__err(err, HEFT_ETRUNC, name, 0, 0,
                             "truncated .hds file: %zu bytes, shorter than "
                             "the %u-byte header",
                             len, HDS_HEADER_SIZE);
        return heft__err(err, HEFT_EFORMAT, name, 0, 0,
                         "not an .hds file (too short for the magic)");
    }
    if (memcmp(b, HDS_MAGIC, 8))
        return heft__err(err, HEFT_EFORMAT, name, 0, 0,
                         "not an .hds file (the first bytes are not the "
                         "magic \"HEFTHDS\\0\")");
    uint32_t version = 0;
    if (len >= 12)
        memcpy(&version, b + 8, 4);
    if (len >= 12 && version != HDS_VERSION)
        return heft__err(err, HEFT_EVERSION, name, 0, 0,
                         ".hds format version %u; this build reads "
                         "version %u",
                         version, HDS_VERSION);
    if (len < HDS_HEADER_SIZE)
        return heft__err(err, HEFT_ETRUNC, name, 0, 0,
                         "truncated .hds file: %zu bytes, shorter than the "
                         "%u-byte header",
                         len, HDS_HEADER_SIZE);
    memcpy(h, b, sizeof *h);
    if (h->endian == __builtin_bswap32(HDS_ENDIAN))
        return heft__err(err, HEFT_ENOTSUP, name, 0, 0,
                         ".hds file has the other byte order (written on a "
                         "big-endian machine?)");
    if (h->endian != HDS_ENDIAN ||
        h->checksum != heft__checksum(h, offsetof(hds_header, checksum)))
        return corrupt(err, name, "header checksum mismatch");
    if (h->file_size > len)
        return heft__err(err, HEFT_ETRUNC, name, 0, 0,
                         "truncated .hds file: %zu bytes, the header says "
                         "%llu",
                         len, (unsigned long long)h->file_size);
    if (h->file_size < len)
        return corrupt(err, name, "bytes after the end the header gives");
    for (size_t i = 0; i < sizeof h->reserved; i++)
        if (h->reserved[i])
            return corrupt(err, name, "reserved header bytes are not zero");
    if (h->header_size != HDS_HEADER_SIZE || h->toc_entry != HDS_TOC_ENTRY ||
        (h->flags & ~(uint32_t)HDS_F_ALL) || h->hash_bits < 1 ||
        h->hash_bits > 30 || h->n_fields < 1 || h->n_fields > 65535 ||
        h->graded > 1 || h->source_format >= HEFT_FMT__COUNT)
        return corrupt(err, name, "a header field is out of range");
    return HEFT_OK;
}

/* Expected element size and count of section id, or 0 when the header
 * says the section must be absent. */
static int sec_expect(const hds_header *h, uint32_t id, uint32_t *elem,
                      uint64_t *count)
{
    static const struct {
        uint8_t elem, rows, flag;
    } t[S_MAX + 1] = {
        [S_SCHEMA] = {1, 0, 0},   [S_BAD] = {1, 0, 0},
        [S_ROW_PTR] = {8, 2, 0},  [S_FEAT] = {4, 3, 0},
        [S_VAL] = {4, 3, 0},      [S_FIELD] = {2, 3, 0},
        [S_LABEL] = {4, 1, 0},    [S_WEIGHT] = {4, 1, HDS_F_WEIGHT},
        [S_GROUP] = {8, 1, HDS_F_GROUP}, [S_TIME] = {8, 1, HDS_F_TIME},
        [S_POSITION] = {4, 1, HDS_F_POSITION},
        [S_SRC_LINE] = {8, 1, HDS_F_SRC_LINE},
    };
    if (id < 1 || id > S_MAX || (t[id].flag && !(h->flags & t[id].flag)))
        return 0;
    *elem = t[id].elem;
    /* rows: 0 = any length, 1 = n_rows, 2 = n_rows + 1, 3 = nnz. */
    *count = t[id].rows == 1   ? h->n_rows
             : t[id].rows == 2 ? h->n_rows + 1
             : t[id].rows == 3 ? h->nnz
                               : UINT64_MAX;
    return 1;
}

/* Checksums of the sections, verified on several threads for big files
 * (each section is one sequential hash, so threads take whole sections;
 * the largest go first to the least loaded thread). */
typedef struct sum_job {
    const unsigned char *b;
    const hds_toc *e;
    uint32_t n;
    int owner[S_MAX];
    int bad[S_MAX];
} sum_job;

static void sum_task(void *ctx, int t, int n)
{
    sum_job *j = ctx;
    (void)n;
    for (uint32_t i = 0; i < j->n; i++)
        if (j->owner[i] == t)
            j->bad[i] = heft__checksum(j->b + j->e[i].offset,
                                       (size_t)j->e[i].length) !=
                        j->e[i].checksum;
}

/* Index of the first section whose checksum is wrong, or -1. */
static int verify_sums(const unsigned char *b, const hds_toc *e, uint32_t n,
                       uint64_t file_size)
{
    sum_job j = {b, e, n, {0}, {0}};
    int nt = file_size < ((uint64_t)64 << 20) ? 1 : heft__threads(0);
    nt = nt > (int)n ? (int)n : nt;
    uint64_t load[S_MAX] = {0};
    int done[S_MAX] = {0};
    for (uint32_t k = 0; k < n; k++) {
        uint32_t big = 0;
        for (uint32_t i = 0; i < n; i++)
            if (!done[i] && (done[big] || e[i].length > e[big].length))
                big = i;
        int t = 0;
        for (int q = 1; q < nt; q++)
            t = load[q] < load[t] ? q : t;
        done[big] = 1;
        j.owner[big] = t;
        load[t] += e[big].length;
    }
    heft__parallel(nt, sum_task, &j);
    for (uint32_t i = 0; i < n; i++)
        if (j.bad[i])
            return (int)i;
    return -1;
}

/* Validates one toc entry against the header and the previous section's
 * end *end, which it advances; checks the padding before the section. */
static const char *check_entry(const unsigned char *b, const hds_header *h,
                               const hds_toc *e, const unsigned char **sec,
                               uint64_t *end)
{
    uint32_t elem = 0;
    uint64_t count = 0;
    if (!sec_expect(h, e->id, &elem, &count) || sec[e->id])
        return "unknown, unexpected or repeated section in the table of "
               "contents";
    if (e->elem_size != elem || e->offset % HDS_ALIGN ||
        e->offset > h->file_size || e->length > h->file_size - e->offset ||
        (count != UINT64_MAX && e->length != count * elem))
        return "section size or offset is wrong";
    /* Sections follow each other; the padding between them is zero (so
     * that no byte of the file goes unchecked). */
    if (e->offset < *end)
        return "sections overlap or are out of order";
    for (uint64_t k = *end; k < e->offset; k++)
        if (b[k])
            return "padding bytes are not zero";
    *end = e->offset + e->length;
    sec[e->id] = b + e->offset;
    return NULL;
}

/* Validates the toc and every section's checksum; sec[id] gets the
 * section's start (NULL when absent) and len[id] its length. */
static heft_status check_toc(const unsigned char *b, const hds_header *h,
                             const char *name, const unsigned char **sec,
                             uint64_t *len, heft_error *err)
{
    if (h->n_sections > S_MAX || h->toc_offset != HDS_HEADER_SIZE ||
        h->toc_offset + (uint64_t)h->n_sections * HDS_TOC_ENTRY > h->file_size)
        return corrupt(err, name, "table of contents out of bounds");
    if (h->n_rows > h->file_size || h->nnz > h->file_size)
        return corrupt(err, name, "row or nonzero count exceeds the file");
    const unsigned char *tp = b + h->toc_offset;
    uint64_t end = h->toc_offset + (uint64_t)h->n_sections * HDS_TOC_ENTRY;
    if (heft__checksum(tp, (size_t)h->n_sections * HDS_TOC_ENTRY) !=
        h->toc_checksum)
        return corrupt(err, name, "table of contents checksum mismatch");
    hds_toc e[S_MAX];
    for (uint32_t i = 0; i < h->n_sections; i++) {
        memcpy(&e[i], tp + (size_t)i * HDS_TOC_ENTRY, sizeof e[i]);
        const char *why = check_entry(b, h, &e[i], sec, &end);
        if (why)
            return corrupt(err, name, why);
        len[e[i].id] = e[i].length;
    }
    for (uint32_t id = 1; id <= S_MAX; id++) {
        uint32_t elem;
        uint64_t count;
        if (id != S_BAD && sec_expect(h, id, &elem, &count) && !sec[id])
            return corrupt(err, name, "a required section is missing");
    }
    int bad = verify_sums(b, e, h->n_sections, h->file_size);
    if (bad >= 0) {
        char what[64];
        snprintf(what, sizeof what, "checksum mismatch in section %u",
                 e[bad].id);
        return corrupt(err, name, what);
    }
    return HEFT_OK;
}

/* CSR invariants, so that nothing downstream reads out of bounds. */
static heft_status check_arrays(const heft_dataset *ds, const char *name,
                                heft_error *err)
{
    if (ds->row_ptr[0] != 0 || ds->row_ptr[ds->n_rows] != ds->nnz)
        return corrupt(err, name, "row_ptr does not span the nonzeros");
    for (uint64_t i = 0; i < ds->n_rows; i++)
        if (ds->row_ptr[i + 1] < ds->row_ptr[i])
            return corrupt(err, name, "row_ptr decreases");
    unsigned bits = ds->schema.hash_bits, nf = ds->schema.n_fields;
    for (uint64_t k = 0; k < ds->nnz; k++)
        if ((ds->feat[k] >> bits) || ds->field[k] >= nf)
            return corrupt(err, name, "feature or field id out of range");
    return HEFT_OK;
}

/* Parses the bad-row text written by bad_to_text() into ds->bad. */
static heft_status parse_bad(heft_dataset *ds, const char *t, size_t len,
                             const char *name, heft_error *err)
{
    size_t at = 0;
    while (at < len) {
        const char *nl = memchr(t + at, '\n', len - at);
        if (!nl || ds->n_bad_kept >= HEFT__MAX_BAD_KEPT)
            return corrupt(err, name, "malformed bad-row list");
        const char *f[5];
        size_t fl[5], nf = 0, s = at, e = (size_t)(nl - t);
        for (size_t k = at; k <= e && nf < 5; k++)
            if (k == e || (t[k] == '\t' && nf < 4)) {
                f[nf] = t + s;
                fl[nf++] = k - s;
                s = k + 1;
            }
        if (nf != 5 || fl[0] > 11 || fl[1] > 20 || fl[2] > 10)
            return corrupt(err, name, "malformed bad-row list");
        heft_error *b = &ds->bad[ds->n_bad_kept++];
        char num[24];
        memcpy(num, f[0], fl[0]), num[fl[0]] = 0;
        b->code = (heft_status)strtol(num, NULL, 10);
        memcpy(num, f[1], fl[1]), num[fl[1]] = 0;
        b->line = strtoull(num, NULL, 10);
        memcpy(num, f[2], fl[2]), num[fl[2]] = 0;
        b->column = (uint32_t)strtoul(num, NULL, 10);
        snprintf(b->file, sizeof b->file, "%.*s", (int)fl[3], f[3]);
        snprintf(b->msg, sizeof b->msg, "%.*s", (int)fl[4], f[4]);
        at = e + 1;
    }
    return HEFT_OK;
}

/* Builds a dataset viewing the map b[0..len) (which it takes over on
 * success: heft_dataset_free() unmaps it). */
static heft_status load_view(void *map, size_t len, const char *name,
                             heft_dataset **out, heft_error *err)
{
    const unsigned char *b = map;
    hds_header h;
    heft_status st = check_header(b, len, name, &h, err);
    const unsigned char *sec[S_MAX + 1] = {0};
    uint64_t sl[S_MAX + 1] = {0};
    if (st == HEFT_OK)
        st = check_toc(b, &h, name, sec, sl, err);
    if (st != HEFT_OK)
        return st;
    heft_dataset *ds = calloc(1, sizeof *ds);
    if (!ds)
        return heft__err(err, HEFT_ENOMEM, name, 0, 0, "out of memory");
    st = heft__schema_from_text((const char *)sec[S_SCHEMA],
                                (size_t)sl[S_SCHEMA], &ds->schema, err);
    if (st != HEFT_OK) {
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err ? err->msg : "unreadable");
        heft__err(err, HEFT_ECORRUPT, name, 0, 0,
                  "corrupted .hds file: bad schema: %s", why);
        st = HEFT_ECORRUPT;
    } else if (ds->schema.n_fields != h.n_fields ||
               ds->schema.hash_bits != h.hash_bits) {
        st = corrupt(err, name, "schema disagrees with the header");
    } else if (sec[S_BAD]) {
        st = parse_bad(ds, (const char *)sec[S_BAD], (size_t)sl[S_BAD], name,
                       err);
    }
    ds->n_rows = h.n_rows;
    ds->nnz = h.nnz;
    ds->row_ptr = (const uint64_t *)sec[S_ROW_PTR];
    ds->feat = (const uint32_t *)sec[S_FEAT];
    ds->val = (const float *)sec[S_VAL];
    ds->field = (const uint16_t *)sec[S_FIELD];
    ds->label = (const float *)sec[S_LABEL];
    ds->weight = (const float *)sec[S_WEIGHT];
    ds->group = (const uint64_t *)sec[S_GROUP];
    ds->time = (const double *)sec[S_TIME];
    ds->position = (const float *)sec[S_POSITION];
    ds->src_line = (const uint64_t *)sec[S_SRC_LINE];
    ds->graded = (int)h.graded;
    ds->n_bad = h.n_bad;
    if (st == HEFT_OK)
        st = check_arrays(ds, name, err);
    if (st != HEFT_OK) {
        heft_dataset_free(ds); /* map is not yet ds's */
        return st;
    }
    ds->map = map;
    ds->map_len = len;
    *out = ds;
    return HEFT_OK;
}

heft_status heft__hds_load(const char *path, heft_dataset **out,
                           heft_error *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return heft__err(err, HEFT_EIO, path, 0, 0, "cannot open: %s",
                         strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return heft__err(err, HEFT_EIO, path, 0, 0, "cannot stat: %s",
                         strerror(e));
    }
    size_t len = (size_t)st.st_size;
    if (len < HDS_HEADER_SIZE) {
        /* Too small to map usefully; read it for the precise message. */
        unsigned char head[HDS_HEADER_SIZE];
        ssize_t n = read(fd, head, sizeof head);
        close(fd);
        hds_header h;
        return check_header(head, n > 0 ? (size_t)n : 0, path, &h, err);
    }
    /* Every byte is checksummed next, so fault the pages in at once. */
    void *map =
        mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    int e = errno;
    close(fd);
    if (map == MAP_FAILED)
        return heft__err(err, HEFT_EIO, path, 0, 0, "cannot map: %s",
                         strerror(e));
    heft_status s = load_view(map, len, path, out, err);
    if (s != HEFT_OK)
        munmap(map, len);
    return s;
}

/* The buffer is copied into an anonymous read-only map, so the dataset is
 * freed the same way as a file-backed one and the arrays are aligned no
 * matter how buf is. */
heft_status heft__hds_load_mem(const void *buf, size_t len, const char *name,
                               heft_dataset **out, heft_error *err)
{
    *out = NULL;
    if (!name)
        name = "(memory)";
    if (len < HDS_HEADER_SIZE) {
        hds_header h;
        return check_header(buf, len, name, &h, err);
    }
    void *map = mmap(NULL, len, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED)
        return heft__err(err, HEFT_ENOMEM, name, 0, 0,
                         "out of memory for %zu bytes", len);
    memcpy(map, buf, len);
    mprotect(map, len, PROT_READ);
    heft_status s = load_view(map, len, name, out, err);
    if (s != HEFT_OK)
        munmap(map, len);
    return s;
}
