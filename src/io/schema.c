/*
 * schema.c: the resolved reading settings of a dataset and their text form
 * (see schema.h): one "key=value" per line, in the order format,
 * hash_bits, num_transform, num_buckets, label, weight, group, time,
 * position, num, cat, multi, ignore, fields. Lists are comma-separated
 * with "\," and "\\" escapes; a newline in a name is written "\n".
 */
#include "schema.h"
#include "ioint.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const fmt_names[HEFT_FMT__COUNT] = {
    "auto", "criteo", "avazu", "csv", "tsv", "libsvm", "libfm", "libffm",
    "hds"};

void heft__schema_free(heft__schema *s)
{
    if (!s)
        return;
    char **strs[] = {&s->label, &s->weight, &s->group, &s->time,
                     &s->position, &s->num, &s->cat, &s->multi, &s->ignore};
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
        free(*strs[i]);
    for (unsigned f = 0; f < s->n_fields; f++)
        free(s->field_names[f]);
    free(s->field_names);
    memset(s, 0, sizeof *s);
}

int heft__schema_add_field(heft__schema *s, const char *name, size_t len)
{
    if (s->n_fields >= 65535)
        return -1;
    /* Grow by doubling: capacity is the next power of two >= n_fields. */
    unsigned n = s->n_fields;
    if ((n & (n - 1)) == 0) {
        char **p = heft__realloc(s->field_names, n ? 2 * (size_t)n : 1,
                                 sizeof *p);
        if (!p)
            return -1;
        s->field_names = p;
    }
    char *dup = heft__strndup(name, len);
    if (!dup)
        return -1;
    s->field_names[s->n_fields] = dup;
    return (int)s->n_fields++;
}

heft_status heft__schema_copy(heft__schema *dst, const heft__schema *src)
{
    memset(dst, 0, sizeof *dst);
    dst->format = src->format;
    dst->hash_bits = src->hash_bits;
    dst->num_transform = src->num_transform;
    dst->num_buckets = src->num_buckets;
    dst->neg_rate = src->neg_rate;
    const char *in[] = {src->label, src->weight, src->group, src->time,
                        src->position, src->num, src->cat, src->multi,
                        src->ignore};
    char **out[] = {&dst->label, &dst->weight, &dst->group, &dst->time,
                    &dst->position, &dst->num, &dst->cat, &dst->multi,
                    &dst->ignore};
    for (size_t i = 0; i < sizeof in / sizeof *in; i++)
        if (in[i] && !(*out[i] = heft__strdup(in[i])))
            goto nomem;
    for (unsigned f = 0; f < src->n_fields; f++) {
        const char *nm = src->field_names[f];
        if (heft__schema_add_field(dst, nm, strlen(nm)) < 0)
            goto nomem;
    }
    return HEFT_OK;
nomem:
    heft__schema_free(dst);
    return HEFT_ENOMEM;
}

/* A growing string. */
typedef struct sbuf {
    char *p;
    size_t n, cap;
    int failed;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 256) + n;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void sb_str(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

/* Writes s with newlines as "\n" (and backslashes before them kept). */
static void sb_value(sbuf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\n')
            sb_put(b, "\\n", 2);
        else if (*s == '\r')
            sb_put(b, "\\r", 2);
        else
            sb_put(b, s, 1);
    }
}

static void sb_key(sbuf *b, const char *key, const char *val)
{
    if (!val)
        return;
    sb_str(b, key);
    sb_put(b, "=", 1);
    sb_value(b, val);
    sb_put(b, "\n", 1);
}

heft_status heft__schema_to_text(const heft__schema *s, char **out,
                                 size_t *len)
{
    *out = NULL;
    *len = 0;
    sbuf b = {0};
    char tmp[64];
    sb_key(&b, "format", (unsigned)s->format < HEFT_FMT__COUNT
                             ? fmt_names[s->format] : "auto");
    snprintf(tmp, sizeof tmp, "%u", s->hash_bits);
    sb_key(&b, "hash_bits", tmp);
    sb_key(&b, "num_transform",
           s->num_transform == HEFT_NUM_NONE ? "none" : "log");
    snprintf(tmp, sizeof tmp, "%d", s->num_buckets);
    sb_key(&b, "num_buckets", tmp);
    sb_key(&b, "label", s->label);
    sb_key(&b, "weight", s->weight);
    sb_key(&b, "group", s->group);
    sb_key(&b, "time", s->time);
    sb_key(&b, "position", s->position);
    sb_key(&b, "num", s->num);
    sb_key(&b, "cat", s->cat);
    sb_key(&b, "multi", s->multi);
    sb_key(&b, "ignore", s->ignore);
    char *fields = NULL;
    int bad = 0;
    for (unsigned f = 0; f < s->n_fields && !bad; f++)
        bad = heft__list_append(&fields, s->field_names[f],
                                strlen(s->field_names[f])) != HEFT_OK;
    if (s->n_fields && !bad)
        sb_key(&b, "fields", fields);
    if (s->neg_rate > 0 && s->neg_rate < 1) {
        snprintf(tmp, sizeof tmp, "%.17g", s->neg_rate);
        sb_key(&b, "neg_rate", tmp);
    }
    free(fields);
    if (!b.p)
        sb_put(&b, "", 0);
    if (bad || b.failed) {
        free(b.p);
        return HEFT_ENOMEM;
    }
    *out = b.p;
    *len = b.n;
    return HEFT_OK;
}

/* Undoes sb_value's escapes in place. */
static char *unescape_value(const char *p, size_t n)
{
    char *s = heft__strndup(p, n);
    if (!s)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n) {
            char nx = s[++i];
            if (nx == 'n' || nx == 'r') {
                s[k++] = nx == 'n' ? '\n' : '\r';
            } else { /* a list escape: keep it for the list parser */
                s[k++] = '\\';
                s[k++] = nx;
            }
            continue;
        }
        s[k++] = s[i];
    }
    s[k] = '\0';
    return s;
}

static heft_status set_num(const char *v, unsigned long lo, unsigned long hi,
                           unsigned long *out)
{
    uint64_t x;
    if (heft__parse_u64(v, strlen(v), &x) != 0 || x < lo || x > hi)
        return HEFT_ECORRUPT;
    *out = (unsigned long)x;
    return HEFT_OK;
}

/* Applies one key=value line; val is owned by the caller. */
static heft_status apply_key(heft__schema *s, const char *key, char *val,
                             const char **why)
{
    char **strs[] = {&s->label, &s->weight, &s->group, &s->time,
                     &s->position, &s->num, &s->cat, &s->multi, &s->ignore};
    static const char *const names[] = {"label", "weight", "group", "time",
                                        "position", "num", "cat", "multi",
                                        "ignore"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(key, names[i]) == 0) {
            free(*strs[i]);
            *strs[i] = heft__strdup(val);
            return *strs[i] ? HEFT_OK : HEFT_ENOMEM;
        }
    unsigned long x = 0;
    *why = "bad value";
    if (strcmp(key, "format") == 0) {
        for (int f = 0; f < HEFT_FMT__COUNT; f++)
            if (strcmp(val, fmt_names[f]) == 0) {
                s->format = (heft_format)f;
                return HEFT_OK;
            }
        return HEFT_ECORRUPT;
    }
    if (strcmp(key, "hash_bits") == 0) {
        heft_status st = set_num(val, 1, 30, &x);
        s->hash_bits = (unsigned)x;
        return st;
    }
    if (strcmp(key, "num_buckets") == 0) {
        heft_status st = set_num(val, 0, 1, &x);
        s->num_buckets = (int)x;
        return st;
    }
    if (strcmp(key, "num_transform") == 0) {
        if (strcmp(val, "log") && strcmp(val, "none"))
            return HEFT_ECORRUPT;
        s->num_transform = strcmp(val, "log") ? HEFT_NUM_NONE : HEFT_NUM_LOG;
        return HEFT_OK;
    }
    if (strcmp(key, "neg_rate") == 0) {
        char *end;
        const double w = strtod(val, &end);
        if (end == val || *end || !(w > 0 && w <= 1))
            return HEFT_ECORRUPT;
        s->neg_rate = w < 1 ? w : 0;
        return HEFT_OK;
    }
    if (strcmp(key, "fields") == 0) {
        heft__io_list l;
        if (heft__list_parse(val, &l) != HEFT_OK)
            return HEFT_ENOMEM;
        heft_status st = HEFT_OK;
        for (size_t i = 0; i < l.n && st == HEFT_OK; i++)
            if (heft__schema_add_field(s, l.item[i], strlen(l.item[i])) < 0)
                st = HEFT_ENOMEM;
        heft__list_free(&l);
        return st;
    }
    *why = "unknown key";
    return HEFT_ECORRUPT;
}

heft_status heft__schema_from_text(const char *text, size_t len,
                                   heft__schema *out, heft_error *err)
{
    memset(out, 0, sizeof *out);
    out->hash_bits = 20;
    out->num_buckets = 1;
    const char *p = text, *e = text + len;
    for (uint64_t line = 1; p < e; line++) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        const char *le = nl ? nl : e;
        const char *eq = memchr(p, '=', (size_t)(le - p));
        heft_status st = HEFT_OK;
        const char *why = "expected key=value";
        if (le > p && !eq)
            st = HEFT_ECORRUPT;
        else if (le > p) {
            char key[32];
            size_t kn = (size_t)(eq - p);
            char *val = unescape_value(eq + 1, (size_t)(le - eq - 1));
            if (!val)
                st = HEFT_ENOMEM;
            else if (kn == 0 || kn >= sizeof key) {
                st = HEFT_ECORRUPT;
                why = "unknown key";
            } else {
                memcpy(key, p, kn);
                key[kn] = '\0';
                st = apply_key(out, key, val, &why);
            }
            free(val);
        }
        if (st != HEFT_OK) {
            heft__schema_free(out);
            if (st == HEFT_ENOMEM)
                return heft__err(err, st, NULL, 0, 0, "out of memory");
            return heft__err(err, st, "schema", line, 0,
                             "schema line '%.*s': %s",
                             (int)((le - p) > 80 ? 80 : (le - p)), p, why);
        }
        p = nl ? nl + 1 : e;
    }
    return HEFT_OK;
}

void heft__schema_to_opts(const heft__schema *s, heft_read_opts *out)
{
    memset(out, 0, sizeof *out);
    out->format = s->format;
    out->hash_bits = s->hash_bits;
    out->num_transform = s->num_transform;
    out->num_buckets = s->num_buckets;
    out->label_col = s->label;
    out->weight_col = s->weight;
    out->group_col = s->group;
    out->time_col = s->time;
    out->position_col = s->position;
    out->num_cols = s->num;
    out->cat_cols = s->cat;
    out->multi_cols = s->multi;
    out->ignore_cols = s->ignore;
}
