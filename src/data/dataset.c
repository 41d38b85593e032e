/*
 * dataset.c: the public "Reading data" API apart from the parsers: read
 * options, format names, reading (text through src/io, .hds through
 * hds.c), datasets built from plain arrays, subsets, and accessors.
 *
 * A dataset owns its arrays in one of two ways (dataset.h): a heft__csr of
 * malloc'ed arrays (parsed text, from_csr, subset) or a read-only memory
 * map (.hds). heft_dataset_free() releases whichever it has.
 */
#include "dataset.h"
#include "weightfile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>

/* ---- options and format names ------------------------------------------ */

heft_read_opts heft_read_opts_default(void)
{
    heft_read_opts o;
    memset(&o, 0, sizeof o);
    o.format = HEFT_FMT_AUTO;
    o.hash_bits = 20;
    o.num_transform = HEFT_NUM_LOG;
    o.num_buckets = 1;
    o.threads = 0;
    return o;
}

/* A single-column role must not be the empty string: "" is almost always a
 * shell variable that was never set, so say so instead of reading nothing.
 * (Column lists may be empty: num_cols = "" means "no numeric columns",
 * which differs from NULL, "infer them".) */
static heft_status check_col(const char *v, const char *what,
                             heft_error *err)
{
    if (v && !*v)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "%s is an empty string; leave it unset (NULL) "
                         "or name a column",
                         what);
    return HEFT_OK;
}

heft_status heft_read_opts_check(const heft_read_opts *o, heft_error *err)
{
    if (!o)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "read options are NULL");
    if ((unsigned)o->format >= HEFT_FMT__COUNT)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "format %d is not a known format (0..%d)",
                         (int)o->format, HEFT_FMT__COUNT - 1);
    if (o->hash_bits < 1 || o->hash_bits > 30)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "hash_bits is %u; it must be between 1 and 30 "
                         "(2^hash_bits feature buckets)",
                         o->hash_bits);
    if (o->num_transform != HEFT_NUM_LOG && o->num_transform != HEFT_NUM_NONE)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "num_transform is %d; expected HEFT_NUM_LOG (0) "
                         "or HEFT_NUM_NONE (1)",
                         (int)o->num_transform);
    if (o->num_buckets != 0 && o->num_buckets != 1)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "num_buckets is %d; expected 0 or 1",
                         o->num_buckets);
    if (o->threads < 0 || o->threads > 1024)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "threads is %d; expected 0 (all cores) to 1024",
                         o->threads);
    const struct {
        const char *v, *name;
    } cols[] = {
        {o->label_col, "label_col"},       {o->weight_col, "weight_col"},
        {o->group_col, "group_col"},       {o->time_col, "time_col"},
        {o->position_col, "position_col"},
        {o->weight_file, "weight_file"},
    };
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
        heft_status st = check_col(cols[i].v, cols[i].name, err);
        if (st != HEFT_OK)
            return st;
    }
    if (o->weight_col && o->weight_file)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "weight_col (%s) and weight_file (%s) are both "
                         "set; weights come from one or the other",
                         o->weight_col, o->weight_file);
    return HEFT_OK;
}

static const char *const fmt_names[HEFT_FMT__COUNT] = {
    "auto", "criteo", "avazu", "csv", "tsv",
    "libsvm", "libfm", "libffm", "hds",
};

const char *heft_format_name(heft_format f)
{
    return (unsigned)f < HEFT_FMT__COUNT ? fmt_names[f] : "unknown";
}

heft_status heft_format_parse(const char *name, heft_format *out)
{
    for (int f = 0; name && f < HEFT_FMT__COUNT; f++)
        if (!strcmp(name, fmt_names[f])) {
            if (out)
                *out = (heft_format)f;
            return HEFT_OK;
        }
    return HEFT_EINVAL;
}

/* ---- building and freeing ---------------------------------------------- */

/* Points the public arrays of ds at its csr, honouring the csr's flags. */
static void point_at_csr(heft_dataset *ds)
{
    const heft__csr *c = &ds->csr;
    ds->n_rows = c->n_rows;
    ds->nnz = c->nnz;
    ds->row_ptr = c->row_ptr;
    ds->feat = c->feat;
    ds->val = c->val;
    ds->field = c->field;
    ds->label = c->label;
    ds->weight = (c->flags & HEFT__HAS_WEIGHT) ? c->weight : NULL;
    ds->group = (c->flags & HEFT__HAS_GROUP) ? c->group : NULL;
    ds->time = (c->flags & HEFT__HAS_TIME) ? c->time : NULL;
    ds->position = (c->flags & HEFT__HAS_POSITION) ? c->position : NULL;
    ds->src_line = c->src_line;
}

heft_status heft__dataset_from_parsed(heft__parsed *p, heft_dataset **out,
                                      heft_error *err)
{
    *out = NULL;
    heft_dataset *ds = calloc(1, sizeof *ds);
    if (!ds) {
        heft__parsed_free(p);
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                         "out of memory for the dataset");
    }
    heft__csr_shrink(&p->csr);
    ds->csr = p->csr;
    ds->schema = p->schema;
    ds->graded = p->graded;
    ds->n_bad = p->n_bad;
    ds->n_bad_kept = p->n_bad_kept;
    memcpy(ds->bad, p->bad, sizeof ds->bad);
    memset(p, 0, sizeof *p);
    point_at_csr(ds);
    *out = ds;
    return HEFT_OK;
}

void heft_dataset_free(heft_dataset *ds)
{
    if (!ds)
        return;
    if (ds->map)
        munmap(ds->map, ds->map_len);
    heft__csr_free(&ds->csr);
    heft__schema_free(&ds->schema);
    free(ds);
}

/* Allocates a csr with exactly n_rows rows and nnz nonzeros (no spare
 * capacity); src_line only when want_lines. */
static heft_status csr_alloc(heft__csr *c, unsigned flags, uint64_t n_rows,
                             uint64_t nnz, int want_lines)
{
    memset(c, 0, sizeof *c);
    c->flags = flags;
    size_t r = (size_t)n_rows, z = (size_t)(nnz ? nnz : 1);
    c->row_ptr = heft__malloc(r + 1, sizeof *c->row_ptr);
    c->feat = heft__malloc(z, sizeof *c->feat);
    c->val = heft__malloc(z, sizeof *c->val);
    c->field = heft__malloc(z, sizeof *c->field);
    c->label = heft__malloc(r ? r : 1, sizeof *c->label);
    int ok = c->row_ptr && c->feat && c->val && c->field && c->label;
#define OPT(bit, arr)                                                         \
    if (flags & (bit)) {                                                      \
        c->arr = heft__malloc(r ? r : 1, sizeof *c->arr);                     \
        ok = ok && c->arr;                                                    \
    }
    OPT(HEFT__HAS_WEIGHT, weight)
    OPT(HEFT__HAS_GROUP, group)
    OPT(HEFT__HAS_TIME, time)
    OPT(HEFT__HAS_POSITION, position)
#undef OPT
    if (want_lines) {
        c->src_line = heft__malloc(r ? r : 1, sizeof *c->src_line);
        ok = ok && c->src_line;
    }
    if (!ok) {
        heft__csr_free(c);
        return HEFT_ENOMEM;
    }
    c->n_rows = c->cap_rows = n_rows;
    c->nnz = c->cap_nnz = nnz;
    c->row_ptr[0] = 0;
    return HEFT_OK;
}

/* Checks the arrays given to heft_dataset_from_csr(); returns the number
 * of fields through *n_fields. */
static heft_status check_csr_input(size_t n_rows, const uint64_t *row_ptr,
                                   const uint32_t *feat, const float *val,
                                   const uint16_t *field, const float *label,
                                   const float *weight, unsigned hash_bits,
                                   unsigned *n_fields, heft_error *err)
{
    if (hash_bits < 1 || hash_bits > 30)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "hash_bits is %u; it must be between 1 and 30",
                         hash_bits);
    if (!row_ptr || (n_rows && !label))
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "row_ptr and label are required");
    if (row_ptr[0] != 0)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "row_ptr[0] is %llu; it must be 0",
                         (unsigned long long)row_ptr[0]);
    for (size_t i = 0; i < n_rows; i++) {
        if (row_ptr[i + 1] < row_ptr[i])
            return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                             "row_ptr decreases at row %zu (%llu then %llu)",
                             i, (unsigned long long)row_ptr[i],
                             (unsigned long long)row_ptr[i + 1]);
        if (!isfinite(label[i]))
            return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                             "label of row %zu is not a finite number", i);
        if (weight && !(weight[i] >= 0 && isfinite(weight[i])))
            return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                             "weight of row %zu is %g; weights must be "
                             "finite and >= 0",
                             i, (double)weight[i]);
    }
    uint64_t nnz = row_ptr[n_rows];
    if (nnz && !feat)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "feat is NULL but row_ptr says %llu nonzeros",
                         (unsigned long long)nnz);
    unsigned maxf = 0;
    for (uint64_t k = 0; k < nnz; k++) {
        if (feat[k] >> hash_bits)
            return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                             "feat[%llu] is %u; feature ids must be below "
                             "2^%u = %u",
                             (unsigned long long)k, feat[k], hash_bits,
                             1u << hash_bits);
        if (val && !isfinite(val[k]))
            return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                             "val[%llu] is not a finite number",
                             (unsigned long long)k);
        if (field && field[k] > maxf)
            maxf = field[k];
    }
    if (maxf >= 65535)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "field id 65535 is reserved; at most 65535 fields");
    *n_fields = maxf + 1;
    return HEFT_OK;
}

/* Schema of array-built data: no source format, fields named f0, f1 ... */
static heft_status csr_schema(heft__schema *s, unsigned hash_bits,
                              unsigned n_fields)
{
    memset(s, 0, sizeof *s);
    s->format = HEFT_FMT_AUTO;
    s->hash_bits = hash_bits;
    s->num_transform = HEFT_NUM_NONE;
    s->num_buckets = 0;
    for (unsigned f = 0; f < n_fields; f++) {
        char name[16];
        int n = snprintf(name, sizeof name, "f%u", f);
        if (heft__schema_add_field(s, name, (size_t)n) < 0) {
            heft__schema_free(s);
            return HEFT_ENOMEM;
        }
    }
    return HEFT_OK;
}

heft_status heft_dataset_from_csr(size_t n_rows, const uint64_t *row_ptr,
                                  const uint32_t *feat, const float *val,
                                  const uint16_t *field, const float *label,
                                  const float *weight, const uint64_t *group,
                                  unsigned hash_bits, heft_dataset **out,
                                  heft_error *err)
{
    if (!out)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0, "out is NULL");
    *out = NULL;
    unsigned n_fields = 0;
    heft_status st = check_csr_input(n_rows, row_ptr, feat, val, field, label,
                                     weight, hash_bits, &n_fields, err);
    if (st != HEFT_OK)
        return st;
    heft_dataset *ds = calloc(1, sizeof *ds);
    uint64_t nnz = row_ptr[n_rows];
    unsigned flags = (weight ? HEFT__HAS_WEIGHT : 0) |
                     (group ? HEFT__HAS_GROUP : 0);
    if (!ds || csr_alloc(&ds->csr, flags, n_rows, nnz, 0) != HEFT_OK ||
        csr_schema(&ds->schema, hash_bits, n_fields) != HEFT_OK) {
        heft_dataset_free(ds);
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                         "out of memory for %zu rows", n_rows);
    }
    heft__csr *c = &ds->csr;
    memcpy(c->row_ptr, row_ptr, (n_rows + 1) * sizeof *row_ptr);
    if (nnz)
        memcpy(c->feat, feat, nnz * sizeof *feat);
    for (uint64_t k = 0; k < nnz; k++) {
        c->val[k] = val ? val[k] : 1.0f;
        c->field[k] = field ? field[k] : 0;
    }
    for (size_t i = 0; i < n_rows; i++) {
        c->label[i] = label[i];
        ds->graded |= label[i] != 0 && label[i] != 1;
        if (weight)
            c->weight[i] = weight[i];
        if (group)
            c->group[i] = group[i];
    }
    point_at_csr(ds);
    *out = ds;
    return HEFT_OK;
}

/* Copies row r of ds into c as row i (c has room; c->row_ptr[i] is set). */
static void copy_row(heft__csr *c, uint64_t i, const heft_dataset *ds,
                     uint64_t r)
{
    uint64_t a = ds->row_ptr[r], n = ds->row_ptr[r + 1] - a, z = c->row_ptr[i];
    memcpy(c->feat + z, ds->feat + a, n * sizeof *c->feat);
    memcpy(c->val + z, ds->val + a, n * sizeof *c->val);
    memcpy(c->field + z, ds->field + a, n * sizeof *c->field);
    c->row_ptr[i + 1] = z + n;
    c->label[i] = ds->label[r];
    if (c->weight)
        c->weight[i] = ds->weight[r];
    if (c->group)
        c->group[i] = ds->group[r];
    if (c->time)
        c->time[i] = ds->time[r];
    if (c->position)
        c->position[i] = ds->position[r];
    if (c->src_line)
        c->src_line[i] = ds->src_line[r];
}

heft_status heft_dataset_subset(const heft_dataset *ds, const uint64_t *rows,
                                size_t n, heft_dataset **out,
                                heft_error *err)
{
    if (!out)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0, "out is NULL");
    *out = NULL;
    if (!ds || (n && !rows))
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "dataset or row list is NULL");
    uint64_t nnz = 0;
    for (size_t i = 0; i < n; i++) {
        if (rows[i] >= ds->n_rows)
            return heft__err(err, HEFT_ERANGE, NULL, 0, 0,
                             "row %llu (entry %zu of the list) is past the "
                             "last row %llu",
                             (unsigned long long)rows[i], i,
                             (unsigned long long)(ds->n_rows - 1));
        nnz += ds->row_ptr[rows[i] + 1] - ds->row_ptr[rows[i]];
    }
    unsigned flags = (ds->weight ? HEFT__HAS_WEIGHT : 0) |
                     (ds->group ? HEFT__HAS_GROUP : 0) |
                     (ds->time ? HEFT__HAS_TIME : 0) |
                     (ds->position ? HEFT__HAS_POSITION : 0);
    heft_dataset *sub = calloc(1, sizeof *sub);
    if (!sub ||
        csr_alloc(&sub->csr, flags, n, nnz, ds->src_line != NULL) != HEFT_OK ||
        heft__schema_copy(&sub->schema, &ds->schema) != HEFT_OK) {
        heft_dataset_free(sub);
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                         "out of memory for a subset of %zu rows", n);
    }
    for (size_t i = 0; i < n; i++)
        copy_row(&sub->csr, i, ds, rows[i]);
    sub->graded = ds->graded;
    point_at_csr(sub);
    *out = sub;
    return HEFT_OK;
}

/* ---- reading ----------------------------------------------------------- */

/* Honours max_rows for an .hds (text parsers stop reading themselves): the
 * dataset keeps viewing the map, only its counts shrink. */
static heft_status hds_limit(heft_status st, const heft_read_opts *o,
                             heft_dataset **out)
{
    heft_dataset *ds = *out;
    if (st == HEFT_OK && o->max_rows && o->max_rows < ds->n_rows) {
        ds->n_rows = o->max_rows;
        ds->nnz = ds->row_ptr[ds->n_rows];
    }
    return st;
}

/* An .hds file keeps the weights it was converted with: a weight file
 * cannot replace them (convert the text data with the weight file). */
static heft_status hds_weight_file(const heft_read_opts *o, const char *name,
                                   heft_error *err)
{
    if (!o->weight_file)
        return HEFT_OK;
    return heft__err(err, HEFT_EINVAL, name, 0, 0,
                     "is an .hds file, whose weights were fixed when it was "
                     "written; weight_file %s applies to text data only "
                     "(convert the text data with it instead)",
                     o->weight_file);
}

/* Parses text from the file at name (mem 0) or from buf[0..len) named
 * name (mem 1, name may be NULL), applies the weight file and wraps the
 * rows into *out. */
static heft_status read_text(const char *name, int mem, const void *buf,
                             size_t len, const heft_read_opts *o,
                             heft_dataset **out, heft_error *err)
{
    heft__parsed p;
    memset(&p, 0, sizeof p);
    heft_status st = mem ? heft__parse_mem(buf, len, name, o, &p, err)
                         : heft__parse_file(name, o, &p, err);
    if (st == HEFT_OK)
        st = heft__weights_apply(&p, o, name ? name : "(memory)", err);
    if (st != HEFT_OK) {
        heft__parsed_free(&p);
        return st;
    }
    return heft__dataset_from_parsed(&p, out, err);
}

/* Reads all of stdin (for an .hds piped in). */
static heft_status read_stdin(void **buf, size_t *len, heft_error *err)
{
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    while (b) {
        n += fread(b + n, 1, cap - n, stdin);
        if (n < cap)
            break;
        char *nb = heft__realloc(b, cap, 2);
        if (!nb) {
            free(b);
            b = NULL;
        }
        b = nb;
        cap *= 2;
    }
    if (!b)
        return heft__err(err, HEFT_ENOMEM, "-", 0, 0, "out of memory");
    if (ferror(stdin)) {
        free(b);
        return heft__err(err, HEFT_EIO, "-", 0, 0, "read error on stdin");
    }
    *buf = b;
    *len = n;
    return HEFT_OK;
}

/* Whether the file at path starts with the .hds magic. Only regular files
 * are peeked at: reading from a pipe (say <(zcat ...)) would eat bytes the
 * parser needs. A file that cannot be opened answers 0; the parser then
 * reports the error. */
static int file_is_hds(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return 0;
    unsigned char head[8];
    size_t n = fread(head, 1, sizeof head, fp);
    fclose(fp);
    return heft__hds_is_magic(head, n);
}

heft_status heft_dataset_read(const char *path, const heft_read_opts *o,
                              heft_dataset **out, heft_error *err)
{
    if (!out || !path)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "path or out is NULL");
    *out = NULL;
    heft_read_opts def = heft_read_opts_default();
    if (!o)
        o = &def;
    heft_status st = heft_read_opts_check(o, err);
    if (st != HEFT_OK)
        return st;
    int is_stdin = !strcmp(path, "-");
    const int hds = is_stdin ? o->format == HEFT_FMT_HDS
                             : o->format == HEFT_FMT_HDS || file_is_hds(path);
    if (hds && (st = hds_weight_file(o, path, err)) != HEFT_OK)
        return st;
    if (is_stdin && o->format == HEFT_FMT_HDS) {
        void *buf = NULL;
        size_t len = 0;
        if ((st = read_stdin(&buf, &len, err)) != HEFT_OK)
            return st;
        st = heft__hds_load_mem(buf, len, "-", out, err);
        free(buf);
        return hds_limit(st, o, out);
    }
    if (hds)
        return hds_limit(heft__hds_load(path, out, err), o, out);
    return read_text(path, 0, NULL, 0, o, out, err);
}

heft_status heft_dataset_read_mem(const void *buf, size_t len,
                                  const char *name, const heft_read_opts *o,
                                  heft_dataset **out, heft_error *err)
{
    if (!out || (!buf && len))
        return heft__err(err, HEFT_EINVAL, name, 0, 0,
                         "buffer or out is NULL");
    *out = NULL;
    heft_read_opts def = heft_read_opts_default();
    if (!o)
        o = &def;
    heft_status st = heft_read_opts_check(o, err);
    if (st != HEFT_OK)
        return st;
    if (heft__hds_is_magic(buf, len) || o->format == HEFT_FMT_HDS) {
        if ((st = hds_weight_file(o, name ? name : "(memory)", err)) !=
            HEFT_OK)
            return st;
        return hds_limit(heft__hds_load_mem(buf, len,
                                            name ? name : "(memory)", out,
                                            err),
                         o, out);
    }
    return read_text(name, 1, buf, len, o, out, err);
}

heft_status heft_dataset_save(const heft_dataset *ds, const char *path,
                              heft_error *err)
{
    if (!ds || !path)
        return heft__err(err, HEFT_EINVAL, path, 0, 0,
                         "dataset or path is NULL");
    return heft__hds_save(ds, path, err);
}

/* ---- accessors --------------------------------------------------------- */

void heft_dataset_get_info(const heft_dataset *ds, heft_dataset_info *out)
{
    memset(out, 0, sizeof *out);
    if (!ds)
        return;
    out->rows = ds->n_rows;
    out->nnz = ds->nnz;
    for (uint64_t i = 0; i < ds->n_rows; i++) {
        out->positives += ds->label[i] > 0;
        out->weight_sum += ds->weight ? ds->weight[i] : 1.0;
    }
    out->hash_bits = ds->schema.hash_bits;
    out->n_fields = ds->schema.n_fields;
    out->source_format = ds->schema.format;
    out->graded = ds->graded;
    out->has_weight = ds->weight != NULL;
    out->has_group = ds->group != NULL;
    out->has_time = ds->time != NULL;
    out->has_position = ds->position != NULL;
    out->bad_rows = ds->n_bad;
}

size_t heft_dataset_rows(const heft_dataset *ds)
{
    return ds ? (size_t)ds->n_rows : 0;
}

const float *heft_dataset_labels(const heft_dataset *ds)
{
    return ds ? ds->label : NULL;
}

const float *heft_dataset_weights(const heft_dataset *ds)
{
    return ds ? ds->weight : NULL;
}

const uint64_t *heft_dataset_groups(const heft_dataset *ds)
{
    return ds ? ds->group : NULL;
}

const double *heft_dataset_times(const heft_dataset *ds)
{
    return ds ? ds->time : NULL;
}

const uint64_t *heft_dataset_source_lines(const heft_dataset *ds)
{
    return ds ? ds->src_line : NULL;
}

/* NULL when f is not a field of ds. */
const char *heft_dataset_field_name(const heft_dataset *ds, unsigned f)
{
    if (!ds || f >= ds->schema.n_fields || !ds->schema.field_names)
        return NULL;
    return ds->schema.field_names[f];
}

heft_status heft_dataset_bad_row(const heft_dataset *ds, size_t i,
                                 heft_error *out)
{
    if (!ds || i >= ds->n_bad_kept)
        return HEFT_ERANGE;
    if (out)
        *out = ds->bad[i];
    return HEFT_OK;
}

void heft_dataset_read_opts(const heft_dataset *ds, heft_read_opts *out)
{
    heft__schema_to_opts(&ds->schema, out);
}
