/*
 * header.c: the column plan of delimited input. Reads the header (none for
 * criteo), gives every column its role from the options, infers numeric
 * columns from a sample of rows, numbers the feature fields (order
 * described in delim.c) and writes it all into the schema.
 */
#include "ioint.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

static const char *const label_names[] = {
    "label", "click", "clicked", "target", "y", "is_click", "conversion",
    "purchase"};

void heft__ctx_free(heft__io_ctx *c)
{
    if (!c)
        return;
    if (c->col_names)
        for (size_t j = 0; j < c->ncols; j++)
            free(c->col_names[j]);
    free(c->col_names);
    free(c->cols);
    c->col_names = NULL;
    c->cols = NULL;
    c->ncols = 0;
}

/* State while the plan is built. */
typedef struct plan {
    heft__io_ctx *c;
    const heft_read_opts *o;
    heft__schema *s;
    heft_error *err;
    uint8_t *ignored;  /* (ncols) */
    size_t *order[3];  /* num, cat, multi: column indices in field order */
    size_t n_order[3];
    int resolved;      /* both feature lists given: nothing inferred */
} plan;

static heft_status nomem(plan *pl)
{
    return heft__err(pl->err, HEFT_ENOMEM, pl->c->name, 0, 0,
                     "out of memory");
}

static long find_col(const heft__io_ctx *c, const char *name)
{
    for (size_t j = 0; j < c->ncols; j++)
        if (strcmp(c->col_names[j], name) == 0)
            return (long)j;
    return -1;
}

/* "a, b, c" (shortened with "...") for messages. */
static void header_list(const heft__io_ctx *c, char *hdr, size_t cap)
{
    size_t k = 0;
    hdr[0] = '\0';
    for (size_t j = 0; j < c->ncols && k + 4 < cap; j++)
        k += (size_t)snprintf(hdr + k, cap - k, "%s%s", j ? ", " : "",
                              c->col_names[j]);
    if (k >= cap - 4)
        memcpy(hdr + cap - 4, "...", 4);
}

static heft_status no_col(plan *pl, const char *name, const char *flag)
{
    char hdr[360];
    header_list(pl->c, hdr, sizeof hdr);
    return heft__err(pl->err, HEFT_ENOCOL, pl->c->name, 1, 0,
                     "unknown column '%s' in %s; the header has: %s", name,
                     flag, hdr);
}

static heft_status set_role(plan *pl, const char *name, int role,
                            const char *flag)
{
    if (!name)
        return HEFT_OK;
    long j = find_col(pl->c, name);
    if (j < 0)
        return no_col(pl, name, flag);
    heft__io_col *col = &pl->c->cols[j];
    if (col->role)
        return heft__err(pl->err, HEFT_EINVAL, pl->c->name, 1,
                         (uint32_t)j + 1,
                         "column '%s' is given two roles (%s and another)",
                         name, flag);
    col->role = (uint8_t)role;
    if (role == HEFT__ROLE_TIME)
        pl->c->has_time_col = 1;
    return HEFT_OK;
}

static heft_status set_feat(plan *pl, const char *item, int feat,
                            const char *flag)
{
    char sep = 0;
    char name[1024];
    snprintf(name, sizeof name, "%s", item);
    if (feat == HEFT__FEAT_MULTI) {
        char *colon = strrchr(name, ':');
        if (!colon || strlen(colon + 1) != 1 || colon == name)
            return heft__err(pl->err, HEFT_EINVAL, pl->c->name, 0, 0,
                             "expected COL:SEP (one separator character; "
                             "write a comma as \\,) in --multi, got '%s'",
                             item);
        sep = colon[1];
        *colon = '\0';
    }
    long j = find_col(pl->c, name);
    if (j < 0)
        return no_col(pl, name, flag);
    heft__io_col *col = &pl->c->cols[j];
    if (col->role == HEFT__ROLE_LABEL || col->feat || pl->ignored[j])
        return heft__err(pl->err, HEFT_EINVAL, pl->c->name, 1,
                         (uint32_t)j + 1,
                         "column '%s' in %s is already the label, a feature "
                         "or ignored", name, flag);
    col->feat = (uint8_t)feat;
    col->sep = sep;
    pl->order[feat - 1][pl->n_order[feat - 1]++] = (size_t)j;
    return HEFT_OK;
}

static heft_status set_list(plan *pl, const char *s, int feat,
                            const char *flag)
{
    heft__io_list l;
    if (heft__list_parse(s, &l) != HEFT_OK)
        return nomem(pl);
    heft_status st = HEFT_OK;
    for (size_t i = 0; i < l.n && st == HEFT_OK; i++) {
        if (feat) {
            st = set_feat(pl, l.item[i], feat, flag);
            continue;
        }
        long j = find_col(pl->c, l.item[i]);
        if (j < 0 && !pl->resolved)
            st = no_col(pl, l.item[i], flag);
        else if (j < 0)
            continue; /* a stored schema may ignore what is gone */
        else if (pl->c->cols[j].role || pl->c->cols[j].feat)
            st = heft__err(pl->err, HEFT_EINVAL, pl->c->name, 1,
                           (uint32_t)j + 1,
                           "column '%s' is in --ignore and has another role",
                           l.item[i]);
        else
            pl->ignored[j] = 1;
    }
    heft__list_free(&l);
    return st;
}

/* Label column: fixed for avazu, given, or the first conventional name. */
static heft_status pick_label(plan *pl)
{
    heft__io_ctx *c = pl->c;
    if (c->fmt == HEFT_FMT_AVAZU) {
        if (find_col(c, "click") < 0)
            return no_col(pl, "click", "the avazu format (label)");
        return set_role(pl, "click", HEFT__ROLE_LABEL, "--label");
    }
    if (pl->o->label_col)
        return set_role(pl, pl->o->label_col, HEFT__ROLE_LABEL, "--label");
    for (size_t j = 0; j < c->ncols; j++)
        for (size_t i = 0; i < sizeof label_names / sizeof *label_names; i++)
            if (strcasecmp(c->col_names[j], label_names[i]) == 0)
                return set_role(pl, c->col_names[j], HEFT__ROLE_LABEL,
                                "--label");
    char hdr[300];
    header_list(c, hdr, sizeof hdr);
    return heft__err(pl->err, HEFT_ENOCOL, c->name, 1, 0,
                     "no label column found (none is named label, click, "
                     "clicked, target, y, is_click, conversion or purchase): "
                     "name it with --label; the header has: %s", hdr);
}

/* Decides numeric or categorical for the columns nobody named, from up to
 * HEFT__IO_INFER_ROWS rows: numeric if every non-empty value is a number
 * and one at least is not empty. */
static heft_status infer(plan *pl, const char *p, size_t n, uint8_t *numeric)
{
    heft__io_ctx *c = pl->c;
    uint8_t *seen = heft__calloc(c->ncols, 1);
    heft__io_field *f = heft__calloc(c->ncols + 1, sizeof *f);
    char *scratch = NULL;
    if (!seen || !f) {
        free(seen);
        free(f);
        return nomem(pl);
    }
    memset(numeric, 1, c->ncols);
    const char *q = p, *end = p + n;
    for (int rows = 0; q < end && rows < HEFT__IO_INFER_ROWS;) {
        const char *e = heft__record_end(q, end, c->delim, c->quotes, NULL);
        size_t len = (size_t)(e - q);
        const char *rec = q;
        q = e < end ? e + 1 : end;
        if (len && rec[len - 1] == '\r')
            len--;
        if (!len)
            continue;
        char *s2 = realloc(scratch, len);
        if (!s2)
            break; /* a smaller sample is still a sample */
        scratch = s2;
        long k = heft__split(rec, len, c->delim, c->quotes, f, c->ncols + 1,
                             scratch);
        if (k != (long)c->ncols)
            continue;
        rows++;
        for (size_t j = 0; j < c->ncols; j++) {
            double v;
            if (!f[j].n)
                continue;
            seen[j] = 1;
            if (numeric[j] && heft__num(f[j].p, f[j].n, &v) != HEFT__NUM_OK)
                numeric[j] = 0;
        }
    }
    for (size_t j = 0; j < c->ncols; j++)
        numeric[j] = numeric[j] && seen[j];
    free(seen);
    free(f);
    free(scratch);
    return HEFT_OK;
}

/* Columns nobody named: avazu's id is ignored and its hour split into hour
 * of day and weekday; with both feature lists given (a resolved schema)
 * the rest is ignored; otherwise avazu makes them categorical and csv/tsv
 * infer numeric or categorical. */
static heft_status unnamed(plan *pl, const char *p, size_t n)
{
    heft__io_ctx *c = pl->c;
    int avazu = c->fmt == HEFT_FMT_AVAZU;
    int resolved = pl->resolved;
    uint8_t *numeric = NULL;
    if (!resolved && !avazu) {
        numeric = malloc(c->ncols);
        if (!numeric)
            return nomem(pl);
        heft_status st = infer(pl, p, n, numeric);
        if (st != HEFT_OK) {
            free(numeric);
            return st;
        }
    }
    for (size_t j = 0; j < c->ncols; j++) {
        heft__io_col *col = &c->cols[j];
        if (col->role || col->feat || pl->ignored[j])
            continue;
        if (avazu && strcmp(c->col_names[j], "hour") == 0) {
            col->role = HEFT__ROLE_HOUR;
            continue;
        }
        if (resolved || (avazu && strcmp(c->col_names[j], "id") == 0)) {
            pl->ignored[j] = 1;
            continue;
        }
        col->feat = (avazu || !numeric[j]) ? HEFT__FEAT_CAT : HEFT__FEAT_NUM;
        pl->order[col->feat - 1][pl->n_order[col->feat - 1]++] = j;
    }
    free(numeric);
    return HEFT_OK;
}

static heft_status add_field(plan *pl, const char *name, uint16_t *id)
{
    int f = heft__schema_add_field(pl->s, name, strlen(name));
    if (f < 0)
        return heft__err(pl->err, HEFT_ERANGE, pl->c->name, 1, 0,
                         "too many feature fields (at most 65535)");
    *id = (uint16_t)f;
    return HEFT_OK;
}

/* Field ids in the documented order, and the schema's column lists. */
static heft_status number_fields(plan *pl)
{
    heft__io_ctx *c = pl->c;
    heft__schema *s = pl->s;
    heft_status st = HEFT_OK;
    for (size_t j = 0; j < c->ncols && st == HEFT_OK; j++)
        if (c->cols[j].role == HEFT__ROLE_HOUR) {
            st = add_field(pl, "hour", &c->cols[j].field);
            if (st == HEFT_OK)
                st = add_field(pl, "weekday", &c->cols[j].field2);
            c->flags |= HEFT__HAS_TIME;
        }
    char **lists[3] = {&s->num, &s->cat, &s->multi};
    for (int k = 0; k < 3 && st == HEFT_OK; k++)
        for (size_t i = 0; i < pl->n_order[k] && st == HEFT_OK; i++) {
            size_t j = pl->order[k][i];
            const char *name = c->col_names[j];
            st = add_field(pl, name, &c->cols[j].field);
            char item[1100];
            snprintf(item, sizeof item, k == 2 ? "%s:%c" : "%s", name,
                     c->cols[j].sep);
            if (st == HEFT_OK &&
                heft__list_append(lists[k], item, strlen(item)) != HEFT_OK)
                st = nomem(pl);
        }
    for (size_t j = 0; j < c->ncols && st == HEFT_OK; j++)
        if (pl->ignored[j] && heft__list_append(&s->ignore, c->col_names[j],
                                                strlen(c->col_names[j])))
            st = nomem(pl);
    /* A resolved schema always names both lists (maybe empty). */
    if (st == HEFT_OK && !s->num && !(s->num = heft__strdup("")))
        st = nomem(pl);
    if (st == HEFT_OK && !s->cat && !(s->cat = heft__strdup("")))
        st = nomem(pl);
    return st;
}

/* Row columns of the schema, and the CSR flags they imply. */
static heft_status name_roles(plan *pl)
{
    heft__io_ctx *c = pl->c;
    heft__schema *s = pl->s;
    for (size_t j = 0; j < c->ncols; j++) {
        char **dst = NULL;
        switch (c->cols[j].role) {
        case HEFT__ROLE_LABEL: dst = &s->label; break;
        case HEFT__ROLE_WEIGHT:
            dst = &s->weight;
            c->flags |= HEFT__HAS_WEIGHT;
            break;
        case HEFT__ROLE_GROUP:
            dst = &s->group;
            c->flags |= HEFT__HAS_GROUP;
            break;
        case HEFT__ROLE_TIME:
            dst = &s->time;
            c->flags |= HEFT__HAS_TIME;
            break;
        case HEFT__ROLE_POSITION:
            dst = &s->position;
            c->flags |= HEFT__HAS_POSITION;
            break;
        default: break;
        }
        if (dst && !(*dst = heft__strdup(c->col_names[j])))
            return nomem(pl);
    }
    return HEFT_OK;
}

static heft_status build_plan(plan *pl, const char *data, size_t n)
{
    const heft_read_opts *o = pl->o;
    heft_status st = pick_label(pl);
    if (st == HEFT_OK)
        st = set_role(pl, o->weight_col, HEFT__ROLE_WEIGHT, "--weight");
    if (st == HEFT_OK)
        st = set_role(pl, o->group_col, HEFT__ROLE_GROUP, "--group");
    if (st == HEFT_OK)
        st = set_role(pl, o->time_col, HEFT__ROLE_TIME, "--time");
    if (st == HEFT_OK)
        st = set_role(pl, o->position_col, HEFT__ROLE_POSITION,
                      "--position");
    if (st == HEFT_OK)
        st = set_list(pl, o->num_cols, HEFT__FEAT_NUM, "--num");
    if (st == HEFT_OK)
        st = set_list(pl, o->cat_cols, HEFT__FEAT_CAT, "--cat");
    if (st == HEFT_OK)
        st = set_list(pl, o->multi_cols, HEFT__FEAT_MULTI, "--multi");
    if (st == HEFT_OK)
        st = set_list(pl, o->ignore_cols, 0, "--ignore");
    if (st == HEFT_OK)
        st = unnamed(pl, data, n);
    if (st == HEFT_OK)
        st = name_roles(pl);
    if (st == HEFT_OK)
        st = number_fields(pl);
    return st;
}

static int cmp_name(const void *a, const void *b)
{
    char *const *x = a, *const *y = b;
    int r = strcmp(*x, *y);
    return r ? r : (*x < *y ? -1 : *x > *y);
}

/* Splits the header into c->col_names; empty names become colN. */
static heft_status read_header(heft__io_ctx *c, const char *p, size_t len,
                               heft_error *err)
{
    char *scratch = malloc(len + 1);
    if (!scratch)
        return heft__err(err, HEFT_ENOMEM, c->name, 1, 0, "out of memory");
    long k = heft__split(p, len, c->delim, c->quotes, NULL, 0, scratch);
    heft__io_field *f = k > 0 ? heft__calloc((size_t)k, sizeof *f) : NULL;
    heft_status st = HEFT_OK;
    if (k < 0)
        st = heft__err(err, HEFT_EPARSE, c->name, 1, (uint32_t)-k,
                       "malformed quoted field in the header");
    else if (k > 65535)
        st = heft__err(err, HEFT_ERANGE, c->name, 1, 0,
                       "too many columns (%ld; at most 65535)", k);
    else if (!f || !(c->col_names = heft__calloc((size_t)k, sizeof(char *))))
        st = heft__err(err, HEFT_ENOMEM, c->name, 1, 0, "out of memory");
    if (st == HEFT_OK) {
        heft__split(p, len, c->delim, c->quotes, f, (size_t)k, scratch);
        c->ncols = (size_t)k;
        for (size_t j = 0; j < c->ncols && st == HEFT_OK; j++) {
            char tmp[32];
            snprintf(tmp, sizeof tmp, "col%zu", j + 1);
            if (memchr(f[j].p, '\0', f[j].n)) {
                st = heft__err(err, HEFT_EPARSE, c->name, 1, (uint32_t)j + 1,
                               "a column name in the header holds a NUL "
                               "byte (is this a text file?)");
                break;
            }
            c->col_names[j] = f[j].n ? heft__strndup(f[j].p, f[j].n)
                                     : heft__strdup(tmp);
            if (!c->col_names[j])
                st = heft__err(err, HEFT_ENOMEM, c->name, 1, 0,
                               "out of memory");
        }
    }
    free(f);
    free(scratch);
    return st;
}

static heft_status check_dups(const heft__io_ctx *c, heft_error *err)
{
    char **sorted = heft__malloc(c->ncols, sizeof *sorted);
    if (!sorted)
        return heft__err(err, HEFT_ENOMEM, c->name, 1, 0, "out of memory");
    memcpy(sorted, c->col_names, c->ncols * sizeof *sorted);
    qsort(sorted, c->ncols, sizeof *sorted, cmp_name);
    heft_status st = HEFT_OK;
    for (size_t i = 1; i < c->ncols && st == HEFT_OK; i++)
        if (strcmp(sorted[i - 1], sorted[i]) == 0) {
            /* Report the second occurrence in header order. */
            size_t j = 0, seen = 0;
            for (; j < c->ncols; j++)
                if (strcmp(c->col_names[j], sorted[i]) == 0 && seen++)
                    break;
            st = heft__err(err, HEFT_EPARSE, c->name, 1, (uint32_t)j + 1,
                           "column name '%s' appears twice in the header",
                           sorted[i]);
        }
    free(sorted);
    return st;
}

static heft_status criteo_plan(heft__io_ctx *c, heft__schema *s,
                               heft_error *err)
{
    c->ncols = 40;
    c->cols = heft__calloc(40, sizeof *c->cols);
    c->col_names = heft__calloc(40, sizeof *c->col_names);
    if (!c->cols || !c->col_names)
        return heft__err(err, HEFT_ENOMEM, c->name, 0, 0, "out of memory");
    c->cols[0].role = HEFT__ROLE_LABEL;
    for (int j = 0; j < 40; j++) {
        char name[8];
        if (j == 0)
            snprintf(name, sizeof name, "label");
        else
            snprintf(name, sizeof name, "%c%d", j <= 13 ? 'I' : 'C',
                     j <= 13 ? j : j - 13);
        c->col_names[j] = heft__strdup(name);
        if (!c->col_names[j])
            return heft__err(err, HEFT_ENOMEM, c->name, 0, 0,
                             "out of memory");
        if (j == 0)
            continue;
        c->cols[j].feat = j <= 13 ? HEFT__FEAT_NUM : HEFT__FEAT_CAT;
        c->cols[j].field = (uint16_t)heft__schema_add_field(s, name,
                                                            strlen(name));
        if (heft__list_append(j <= 13 ? &s->num : &s->cat, name,
                              strlen(name)) != HEFT_OK ||
            s->n_fields != (unsigned)j)
            return heft__err(err, HEFT_ENOMEM, c->name, 0, 0,
                             "out of memory");
    }
    return HEFT_OK;
}

/* The "num" bucket of every numeric column (fields are known now). */
static void num_buckets_of(heft__io_ctx *c)
{
    for (size_t j = 0; c->cols && j < c->ncols; j++)
        if (c->cols[j].feat == HEFT__FEAT_NUM)
            c->cols[j].num_bucket =
                heft__bucket(c->cols[j].field, c->num_tok, c->bits);
}

static const char avazu_header[] =
    "id,click,hour,C1,banner_pos,site_id,site_domain,site_category,app_id,"
    "app_domain,app_category,device_id,device_ip,device_model,device_type,"
    "device_conn_type,C14,C15,C16,C17,C18,C19,C20,C21";

heft_status heft__delim_setup(heft__io_ctx *c, const heft_read_opts *o,
                              const char *p, size_t n, int last,
                              heft__schema *s, size_t *used,
                              uint64_t *hdr_lines, heft_error *err)
{
    (void)last;
    int comma = c->fmt == HEFT_FMT_CSV || c->fmt == HEFT_FMT_AVAZU;
    c->delim = comma ? ',' : '\t';
    c->quotes = c->delim == ',';
    *used = 0;
    *hdr_lines = 0;
    if (c->fmt == HEFT_FMT_CRITEO) {
        heft_status st = criteo_plan(c, s, err);
        num_buckets_of(c);
        heft__delim_fast_setup(c);
        return st;
    }
    uint64_t inner;
    const char *e = heft__record_end(p, p + n, c->delim, c->quotes, &inner);
    size_t len = (size_t)(e - p);
    *used = e < p + n ? len + 1 : len;
    *hdr_lines = 1 + inner;
    if (len && p[len - 1] == '\r')
        len--;
    if (len == 0)
        return heft__err(err, HEFT_EPARSE, c->name, 1, 1,
                         "the header line is empty (expected column names)");
    const char *hdr = p;
    if (c->fmt == HEFT_FMT_AVAZU && heft__is_avazu_row(p, len)) {
        /* Headerless Avazu file (the competition's split files): the
         * standard columns, and the first line is data. */
        hdr = avazu_header;
        len = strlen(avazu_header);
        *used = 0;
        *hdr_lines = 0;
    }
    heft_status st = read_header(c, hdr, len, err);
    if (st == HEFT_OK)
        st = check_dups(c, err);
    if (st != HEFT_OK)
        return st;
    plan pl = {c, o, s, err, NULL, {NULL, NULL, NULL}, {0, 0, 0}, 0};
    pl.resolved = c->fmt == HEFT_FMT_AVAZU
                      ? o->cat_cols != NULL
                      : o->num_cols != NULL && o->cat_cols != NULL;
    c->cols = heft__calloc(c->ncols, sizeof *c->cols);
    pl.ignored = heft__calloc(c->ncols, 1);
    for (int k = 0; k < 3; k++)
        pl.order[k] = heft__calloc(c->ncols, sizeof(size_t));
    if (!c->cols || !pl.ignored || !pl.order[0] || !pl.order[1] ||
        !pl.order[2])
        st = nomem(&pl);
    else
        st = build_plan(&pl, p + *used, n - *used);
    free(pl.ignored);
    for (int k = 0; k < 3; k++)
        free(pl.order[k]);
    num_buckets_of(c);
    heft__delim_fast_setup(c);
    return st;
}
