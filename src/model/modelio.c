/*
 * modelio.c: the model file (docs/model-format.md). Little-endian:
 *
 *   off  size  field
 *     0     8  magic "HEFTMDL\0"
 *     8     4  version u32 (1, or 2 for a model with neg_rate < 1)
 *    12     4  kind u32 (0 lr, 1 fm, 2 mlp)
 *    16     4  hash_bits u32
 *    20     4  n_fields u32
 *    24     4  factors i32
 *    28     4  embed_dim i32
 *    32    16  hidden[4] i32
 *    48     4  n_hidden i32
 *    52     4  epochs_trained i32
 *    56     8  l2 f64
 *    64     8  n_params u64
 *    72     8  schema_len u64
 *    80     8  header checksum u64 of bytes [0, 80)
 *    88     .  schema text (schema_len bytes, no NUL)
 * Version 2 inserts neg_rate f64 at 80 (the W of negative downsampling the
 * model was trained with, 0 < W < 1); the checksum of bytes [0, 88) then
 * sits at 88 and the schema starts at 96. A model with neg_rate 1 is
 * written as version 1, so builds that predate version 2 still read it;
 * version 1 files load with neg_rate 1.
 *     .     .  theta f32 (n_params,)
 *     .     8  payload checksum u64 of the schema text and theta
 *
 * Loading checks, in order: size >= 8 and magic (EFORMAT), version
 * (EVERSION), size >= 88 (ETRUNC), header checksum (ECORRUPT), header
 * values (ECORRUPT), total size (ETRUNC if short, ECORRUPT if long), the
 * payload checksum (ECORRUPT) and the schema text (ECORRUPT).
 */
#include "modelio.h"
#include "train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define MODEL_MAGIC "HEFTMDL"
#define MODEL_VERSION 2u /* the newest version this build reads */
#define HDR_MAX HEFT__MODEL_HDR2_SIZE

/* The header's size and its checksummed part for version v (1 or 2). */
static size_t hdr_body(uint32_t v)
{
    return v >= 2 ? HEFT__MODEL_HDR2_BODY : HEFT__MODEL_HDR_BODY;
}

static size_t hdr_size(uint32_t v)
{
    return hdr_body(v) + 8;
}

/* Version 1 cannot store a neg_rate, so only downsampled models need 2. */
static uint32_t file_version(const heft_model *m)
{
    return m->neg_rate > 0 && m->neg_rate < 1 ? 2u : 1u;
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Writes the header of m's version into h; returns its size. */
static size_t encode_header(const heft_model *m, uint64_t schema_len,
                            unsigned char h[HDR_MAX])
{
    const uint32_t v = file_version(m);
    memset(h, 0, HDR_MAX);
    memcpy(h, MODEL_MAGIC, 8); /* includes the NUL */
    put32(h + 8, v);
    put32(h + 12, (uint32_t)m->kind);
    put32(h + 16, m->hash_bits);
    put32(h + 20, m->n_fields);
    put32(h + 24, (uint32_t)m->factors);
    put32(h + 28, (uint32_t)m->embed_dim);
    for (int i = 0; i < HEFT_MAX_HIDDEN; i++)
        put32(h + 32 + 4 * i, (uint32_t)m->hidden[i]);
    put32(h + 48, (uint32_t)m->n_hidden);
    put32(h + 52, (uint32_t)m->epochs_trained);
    uint64_t l2;
    memcpy(&l2, &m->l2, 8);
    put64(h + 56, l2);
    put64(h + 64, m->n_params);
    put64(h + 72, schema_len);
    if (v >= 2) {
        uint64_t w;
        memcpy(&w, &m->neg_rate, 8);
        put64(h + 80, w);
    }
    put64(h + hdr_body(v), heft__checksum(h, hdr_body(v)));
    return hdr_size(v);
}

uint64_t heft__model_payload_checksum(const unsigned char *schema,
                                      size_t slen,
                                      const unsigned char *theta,
                                      size_t tlen)
{
    uint64_t a = heft__checksum(schema, slen);
    uint64_t b = heft__checksum(theta, tlen);
    return heft__mix64(a ^ heft__mix64(b + 0x9e3779b97f4a7c15ULL));
}

static int host_is_le(void)
{
    const uint16_t one = 1;
    unsigned char c;
    memcpy(&c, &one, 1);
    return c == 1;
}

heft_status heft_model_save(const heft_model *m, const char *path,
                            heft_error *err)
{
    if (!host_is_le())
        return heft__err(err, HEFT_ENOTSUP, path, 0, 0,
                         "model files are little-endian; this host is not");
    char *text = NULL;
    size_t tlen = 0;
    if (heft__schema_to_text(&m->schema, &text, &tlen) != HEFT_OK)
        return heft__err(err, HEFT_ENOMEM, path, 0, 0, "out of memory");
    unsigned char h[HDR_MAX], tail[8];
    const size_t hlen = encode_header(m, tlen, h);
    size_t thb = (size_t)m->n_params * sizeof *m->theta;
    put64(tail, heft__model_payload_checksum(
                    (const unsigned char *)text, tlen,
                    (const unsigned char *)m->theta, thb));
    heft__outfile of;
    heft_status st = heft__out_open(&of, path, err);
    if (st == HEFT_OK) {
        heft__out_write(&of, h, hlen);
        heft__out_write(&of, text, tlen);
        heft__out_write(&of, m->theta, thb);
        heft__out_write(&of, tail, 8);
        st = heft__out_commit(&of, err);
    }
    free(text);
    return st;
}

#define CORRUPT(...) heft__err(err, HEFT_ECORRUPT, name, 0, 0, __VA_ARGS__)

/* Fills m's layout fields from a verified header; ECORRUPT when a value is
 * out of range or n_params disagrees with the layout. */
static heft_status decode_header(const unsigned char *h, uint32_t ver,
                                 heft_model *m, const char *name,
                                 heft_error *err)
{
    uint32_t kind = get32(h + 12);
    if (kind >= HEFT_MODEL__COUNT)
        return CORRUPT("unknown model kind %u", kind);
    m->kind = (heft_model_kind)kind;
    m->vt = heft__model_vt_for(m->kind);
    m->hash_bits = get32(h + 16);
    m->n_fields = get32(h + 20);
    m->factors = (int32_t)get32(h + 24);
    m->embed_dim = (int32_t)get32(h + 28);
    for (int i = 0; i < HEFT_MAX_HIDDEN; i++)
        m->hidden[i] = (int32_t)get32(h + 32 + 4 * i);
    m->n_hidden = (int32_t)get32(h + 48);
    m->epochs_trained = (int32_t)get32(h + 52);
    uint64_t l2 = get64(h + 56);
    memcpy(&m->l2, &l2, 8);
    m->n_params = get64(h + 64);
    m->neg_rate = 1.0;
    if (ver >= 2) {
        uint64_t w = get64(h + 80);
        memcpy(&m->neg_rate, &w, 8);
        if (!(m->neg_rate > 0 && m->neg_rate < 1))
            return CORRUPT("neg_rate %g out of range (0, 1)", m->neg_rate);
    }
    if (m->hash_bits < 1 || m->hash_bits > 30 || m->n_fields < 1 ||
        m->n_fields > 65536 || m->epochs_trained < 0 || !(m->l2 >= 0))
        return CORRUPT("model header out of range (hash_bits %u, n_fields "
                       "%u)", m->hash_bits, m->n_fields);
    if (m->kind == HEFT_MODEL_FM && (m->factors < 1 || m->factors > 256))
        return CORRUPT("fm factors %d out of range 1..256", m->factors);
    if (m->kind == HEFT_MODEL_MLP) {
        if (m->embed_dim < 1 || m->embed_dim > 256 || m->n_hidden < 0 ||
            m->n_hidden > HEFT_MAX_HIDDEN)
            return CORRUPT("mlp embed_dim %d or n_hidden %d out of range",
                           m->embed_dim, m->n_hidden);
        for (int i = 0; i < m->n_hidden; i++)
            if (m->hidden[i] < 1 || m->hidden[i] > 4096)
                return CORRUPT("mlp hidden[%d] = %d out of range", i,
                               m->hidden[i]);
    }
    if (m->vt->n_params(m) != m->n_params)
        return CORRUPT("n_params %llu does not match the %s layout (%llu)",
                       (unsigned long long)m->n_params, m->vt->name,
                       (unsigned long long)m->vt->n_params(m));
    return HEFT_OK;
}

/* Checks size, checksum and schema of the payload and copies theta. */
static heft_status load_payload(const unsigned char *b, size_t len,
                                size_t hsize, uint64_t slen, heft_model *m,
                                const char *name, heft_error *err)
{
    uint64_t thb = m->n_params * 4;
    if (slen > len || thb > len)
        return heft__err(err, HEFT_ETRUNC, name, 0, 0,
                         "model file is truncated: it has %zu bytes", len);
    uint64_t need = hsize + slen + thb + 8;
    if (len < need)
        return heft__err(err, HEFT_ETRUNC, name, 0, 0,
                         "model file is truncated: %zu of %llu bytes", len,
                         (unsigned long long)need);
    if (len > need)
        return CORRUPT("model file has %llu bytes after its end",
                       (unsigned long long)(len - need));
    const unsigned char *schema = b + hsize, *theta = schema + slen;
    if (heft__model_payload_checksum(schema, (size_t)slen, theta,
                                     (size_t)thb) != get64(theta + thb))
        return CORRUPT("model parameters fail their checksum");
    heft_status st = heft__schema_from_text((const char *)schema,
                                            (size_t)slen, &m->schema, err);
    if (st != HEFT_OK) {
        char why[512];
        snprintf(why, sizeof why, "%s", err ? err->msg : "");
        return CORRUPT("model schema is invalid: %s", why);
    }
    m->theta = heft__malloc((size_t)m->n_params, sizeof *m->theta);
    if (!m->theta)
        return heft__err(err, HEFT_ENOMEM, name, 0, 0, "out of memory");
    heft__huge_pages(m->theta, (size_t)thb);
    memcpy(m->theta, theta, (size_t)thb);
    return HEFT_OK;
}

heft_status heft_model_load_mem(const void *buf, size_t len, const char *name,
                                heft_model **out, heft_error *err)
{
    *out = NULL;
    const unsigned char *b = buf;
    if (!name)
        name = "<memory>";
    if (!host_is_le())
        return heft__err(err, HEFT_ENOTSUP, name, 0, 0,
                         "model files are little-endian; this host is not");
    if (len < 8 && (len == 0 || memcmp(b, MODEL_MAGIC, len) == 0))
        return heft__err(err, HEFT_ETRUNC, name, 0, 0,
                         "model file is truncated in its magic (%zu bytes)",
                         len);
    if (len < 8 || memcmp(b, MODEL_MAGIC, 8) != 0)
        return heft__err(err, HEFT_EFORMAT, name, 0, 0,
                         "not a heft model file (bad magic)");
    if (len < 12)
        return heft__err(err, HEFT_ETRUNC, name, 0, 0,
                         "model file is truncated in its header");
    uint32_t ver = get32(b + 8);
    if (ver < 1 || ver > MODEL_VERSION)
        return heft__err(err, HEFT_EVERSION, name, 0, 0,
                         "model file version %u; this build reads versions "
                         "1 to %u", ver, MODEL_VERSION);
    const size_t hsize = hdr_size(ver), hbody = hdr_body(ver);
    if (len < hsize)
        return heft__err(err, HEFT_ETRUNC, name, 0, 0,
                         "model file is truncated in its header (%zu of %zu "
                         "bytes)", len, hsize);
    if (heft__checksum(b, hbody) != get64(b + hbody))
        return CORRUPT("model header fails its checksum");
    heft_model *m = heft__calloc(1, sizeof *m);
    if (!m)
        return heft__err(err, HEFT_ENOMEM, name, 0, 0, "out of memory");
    heft_status st = decode_header(b, ver, m, name, err);
    if (st == HEFT_OK)
        st = load_payload(b, len, hsize, get64(b + 72), m, name, err);
    if (st != HEFT_OK) {
        heft_model_free(m);
        return st;
    }
    *out = m;
    return HEFT_OK;
}

heft_status heft_model_load(const char *path, heft_model **out,
                            heft_error *err)
{
    *out = NULL;
    void *buf = NULL;
    size_t len = 0;
    heft_status st = heft__read_file(path, &buf, &len, err);
    if (st != HEFT_OK)
        return st;
    st = heft_model_load_mem(buf, len, path, out, err);
    free(buf);
    return st;
}
