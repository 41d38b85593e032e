/*
 * report_keys.c: typed access to the keys of a run file for the loaders
 * (report_keys.h): every value of the wrong kind is an error at its own
 * line and column; absent optional keys read as NaN or NULL.
 */
#include "report_keys.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- reading keys -------------------------------------------------------- */

heft_status heft__rl_bad(heft__rloader *L, const heft__jval *v, const char *fmt,
                         ...)
{
    va_list ap;
    va_start(ap, fmt);
    heft_status st =
        heft__verr(L->err, HEFT_EPARSE, L->path, v->line, v->col, fmt, ap);
    va_end(ap);
    return st;
}

/* Member key of o when it has type t (NULL when absent; null counts as
 * absent); an error when it has another type. */
heft_status heft__rl_member(heft__rloader *L, const heft__jval *o,
                            const char *key, heft__jtype t,
                            const heft__jval **out)
{
    const heft__jval *v = heft__json_get(o, key);
    *out = NULL;
    if (!v || v->type == HEFT__J_NULL)
        return HEFT_OK;
    if (v->type != t)
        return heft__rl_bad(L, v, "\"%s\" is %s; expected %s", key,
                            heft__json_type_name(v->type),
                            heft__json_type_name(t));
    *out = v;
    return HEFT_OK;
}

/* A number member (NaN when absent or null). */
heft_status heft__rl_num(heft__rloader *L, const heft__jval *o, const char *key,
                         double *out)
{
    const heft__jval *v;
    heft_status st = heft__rl_member(L, o, key, HEFT__J_NUM, &v);
    *out = v ? v->num : NAN;
    return st;
}

/* An array of numbers or nulls (NaN). With want > 0 it must have want
 * entries ("one per ..." names them in the message). */
heft_status heft__rl_nums(heft__rloader *L, const heft__jval *o,
                          const char *key, size_t want, const char *per,
                          double **out, size_t *n)
{
    const heft__jval *v;
    *out = NULL;
    if (n)
        *n = 0;
    heft_status st = heft__rl_member(L, o, key, HEFT__J_ARR, &v);
    if (st != HEFT_OK || !v)
        return st;
    if (want && v->n != want)
        return heft__rl_bad(L, v,
                            "\"%s\" has %zu entries; expected %zu, one per %s",
                            key, v->n, want, per);
    double *d = heft__arena_alloc(L->a, v->n ? v->n : 1, sizeof *d);
    if (!d)
        return HEFT__RL_OOM(L);
    for (size_t i = 0; i < v->n; i++) {
        const heft__jval *e = &v->item[i];
        if (e->type != HEFT__J_NUM && e->type != HEFT__J_NULL)
            return heft__rl_bad(L, e,
                                "entry %zu of \"%s\" is %s; expected a number "
                                "or null",
                                i + 1, key, heft__json_type_name(e->type));
        d[i] = e->type == HEFT__J_NUM ? e->num : NAN;
    }
    *out = d;
    if (n)
        *n = v->n;
    return HEFT_OK;
}

/* An interval [lo, hi] at v (null gives NaN, NaN). */
heft_status heft__rl_interval(heft__rloader *L, const heft__jval *v,
                              const char *key, double *lo, double *hi)
{
    *lo = *hi = NAN;
    if (!v || v->type == HEFT__J_NULL)
        return HEFT_OK;
    if (v->type != HEFT__J_ARR || v->n != 2)
        return heft__rl_bad(L, v, "\"%s\" must be an interval [lo, hi]", key);
    for (int k = 0; k < 2; k++)
        if (v->item[k].type != HEFT__J_NUM && v->item[k].type != HEFT__J_NULL)
            return heft__rl_bad(L, &v->item[k],
                                "\"%s\" must be an interval of two "
                                "numbers",
                                key);
    *lo = v->item[0].type == HEFT__J_NUM ? v->item[0].num : NAN;
    *hi = v->item[1].type == HEFT__J_NUM ? v->item[1].num : NAN;
    return HEFT_OK;
}

/* An array of want intervals (one per step) into lo[], hi[]. */
heft_status heft__rl_intervals(heft__rloader *L, const heft__jval *o,
                               const char *key, size_t want, double **lo,
                               double **hi)
{
    const heft__jval *v;
    *lo = *hi = NULL;
    heft_status st = heft__rl_member(L, o, key, HEFT__J_ARR, &v);
    if (st != HEFT_OK || !v)
        return st;
    if (v->n != want)
        return heft__rl_bad(L, v, "\"%s\" has %zu intervals; expected %zu", key,
                            v->n, want);
    *lo = heft__arena_alloc(L->a, want ? want : 1, sizeof **lo);
    *hi = heft__arena_alloc(L->a, want ? want : 1, sizeof **hi);
    if (!*lo || !*hi)
        return HEFT__RL_OOM(L);
    for (size_t i = 0; i < want; i++)
        if ((st = heft__rl_interval(L, &v->item[i], key, &(*lo)[i], &(*hi)[i])))
            return st;
    return HEFT_OK;
}

/* ---- cells and text ------------------------------------------------------ */

void heft__rl_cell_text(heft__rloader *L, heft__rcell *c, const char *s)
{
    c->text = heft__arena_strdup(L->a, s ? s : "");
}

void heft__rl_cell_num(heft__rloader *L, heft__rcell *c, double v,
                       const char *fmt)
{
    c->num = v;
    c->text = isfinite(v) ? heft__arena_printf(L->a, fmt, v) : "-";
}

void heft__rl_cell_auto(heft__rloader *L, heft__rcell *c, double v)
{
    heft__rl_cell_num(L, c, v,
                      v == floor(v) && fabs(v) < 1e15 ? "%.0f" : "%.4g");
}

void heft__rl_cell_ci(heft__rloader *L, heft__rcell *c, double lo, double hi)
{
    c->lo = lo;
    c->hi = hi;
    c->text = isfinite(lo) && isfinite(hi)
                  ? heft__arena_printf(L->a, "[%.4f, %.4f]", lo, hi)
                  : "-";
}

/* Compact text of a settings value: scalars as written, arrays joined
 * with ", ", anything deeper as JSON. */
static void value_text(const heft__jval *v, heft__sbuf *b)
{
    switch (v->type) {
    case HEFT__J_NULL: heft__sbuf_puts(b, "null"); break;
    case HEFT__J_BOOL: heft__sbuf_puts(b, v->num ? "true" : "false"); break;
    case HEFT__J_NUM: heft__sbuf_printf(b, "%.10g", v->num); break;
    case HEFT__J_STR: heft__sbuf_puts(b, v->str); break;
    case HEFT__J_ARR:
        for (size_t i = 0; i < v->n; i++) {
            if (i)
                heft__sbuf_puts(b, ", ");
            value_text(&v->item[i], b);
        }
        break;
    case HEFT__J_OBJ:
        heft__sbuf_puts(b, "{");
        for (size_t i = 0; i < v->n; i++) {
            heft__sbuf_printf(b, "%s%s: ", i ? ", " : "", v->key[i]);
            value_text(&v->item[i], b);
        }
        heft__sbuf_puts(b, "}");
        break;
    }
}

const char *heft__rl_jtext(heft__rloader *L, const heft__jval *v)
{
    heft__sbuf b = {0};
    value_text(v, &b);
    const char *s = b.failed ? NULL : heft__arena_strdup(L->a, b.s ? b.s : "");
    heft__sbuf_free(&b);
    return s;
}

/* The section's settings table from "settings" (an object). */
heft_status heft__rl_load_settings(heft__rloader *L, const heft__jval *root)
{
    const heft__jval *s;
    heft_status st = heft__rl_member(L, root, "settings", HEFT__J_OBJ, &s);
    if (st != HEFT_OK || !s)
        return st;
    heft__rtable *t = &L->sec->settings;
    t->ncol = 2;
    t->nrow = s->n;
    t->head = heft__arena_alloc(L->a, 2, sizeof *t->head);
    t->cell = heft__arena_alloc(L->a, 2 * (s->n ? s->n : 1), sizeof *t->cell);
    if (!t->head || !t->cell)
        return HEFT__RL_OOM(L);
    t->title = NULL; /* shown under "Settings of this run" */
    t->head[0] = "setting";
    t->head[1] = "value";
    for (size_t i = 0; i < s->n; i++) {
        heft__rcell *c = &t->cell[2 * i];
        c[0] = (heft__rcell){s->key[i], NAN, NAN, NAN};
        c[1] = (heft__rcell){heft__rl_jtext(L, &s->item[i]), NAN, NAN, NAN};
        if (s->item[i].type == HEFT__J_NUM)
            c[1].num = s->item[i].num;
        if (!c[1].text)
            return HEFT__RL_OOM(L);
    }
    return HEFT_OK;
}

/* ---- curves -------------------------------------------------------------- */

/* Series colours: methods take the palette in order; the baselines keep
 * theirs in every chart. */
static void series_style(const char *name, size_t i, int *color, int *dash)
{
    *dash = 0;
    if (strcmp(name, "random") == 0) {
        *color = HEFT__COLOR_GREY;
        *dash = 1;
    } else if (strcmp(name, "negatives") == 0) {
        *color = HEFT__COLOR_BLACK;
        *dash = 2;
    } else {
        *color = (int)i;
    }
}

/* Appends to chart c the series name from curve object o: y = o[ykey]
 * (n values, x shared), with o[ykey "_ci"] as a band when present. */
heft_status heft__rl_add_curve(heft__rloader *L, heft__rchart *c,
                               const char *name, size_t idx,
                               const heft__jval *o, const char *ykey,
                               const double *x, size_t n)
{
    double *y, *lo = NULL, *hi = NULL;
    heft_status st = heft__rl_nums(L, o, ykey, n, "step", &y, NULL);
    if (st != HEFT_OK || !y || !n) /* no points: no series */
        return st;
    char cikey[64];
    snprintf(cikey, sizeof cikey, "%s_ci", ykey);
    if ((st = heft__rl_intervals(L, o, cikey, n, &lo, &hi)) != HEFT_OK)
        return st;
    heft__rseries *s = heft__arena_alloc(L->a, c->ns + 1, sizeof *s);
    if (!s)
        return HEFT__RL_OOM(L);
    if (c->ns)
        memcpy(s, c->s, c->ns * sizeof *s);
    c->s = s;
    heft__rseries *e = &s[c->ns++];
    e->name = heft__arena_strdup(L->a, name);
    e->x = x;
    e->y = y;
    e->lo = lo;
    e->hi = hi;
    e->n = n;
    series_style(name, idx, &e->color, &e->dash);
    return e->name ? HEFT_OK : HEFT__RL_OOM(L);
}

heft_status heft__rl_add_ref(heft__rloader *L, heft__rchart *c,
                             const char *label, double at, double lo, double hi)
{
    if (!isfinite(at))
        return HEFT_OK;
    heft__rref *r = heft__arena_alloc(L->a, c->nref + 1, sizeof *r);
    if (!r)
        return HEFT__RL_OOM(L);
    if (c->nref)
        memcpy(r, c->ref, c->nref * sizeof *r);
    c->ref = r;
    r[c->nref++] = (heft__rref){label, at, lo, hi, 0};
    return HEFT_OK;
}

heft__rchart *heft__rl_new_chart(heft__rloader *L, const char *title,
                                 const char *x, const char *y)
{
    heft__rchart *c = heft__report_chart(L->r, L->sec);
    if (c) {
        c->kind = HEFT__CHART_LINE;
        c->title = title;
        c->xlabel = x;
        c->ylabel = y;
    }
    return c;
}

/* A chart of one curve per member of `methods` (each an object whose
 * `sub` member, or itself when sub is NULL, holds ykey), plus `random`
 * from the root, against the shared x. */
heft_status heft__rl_curves_chart(heft__rloader *L, const heft__jval *methods,
                                  const heft__jval *random, const char *sub,
                                  const char *ykey, heft__rchart *c,
                                  const double *x, size_t n)
{
    heft_status st = HEFT_OK;
    for (size_t i = 0; methods && i < methods->n && st == HEFT_OK; i++) {
        const heft__jval *m = &methods->item[i];
        if (m->type != HEFT__J_OBJ)
            return heft__rl_bad(L, m, "method \"%s\" is %s; expected an object",
                                methods->key[i], heft__json_type_name(m->type));
        if (sub &&
            (st = heft__rl_member(L, m, sub, HEFT__J_OBJ, &m)) != HEFT_OK)
            return st;
        if (m)
            st = heft__rl_add_curve(L, c, methods->key[i], i, m, ykey, x, n);
    }
    if (st == HEFT_OK && random)
        st = heft__rl_add_curve(L, c, "random", 0, random, ykey, x, n);
    return st;
}

/* ---- tables of objects (audit, features) --------------------------------- */

/* Whether v is [number, number], an interval. */
int heft__rl_is_interval(const heft__jval *v)
{
    return v->type == HEFT__J_ARR && v->n == 2 &&
           v->item[0].type == HEFT__J_NUM && v->item[1].type == HEFT__J_NUM;
}

/* A table of the objects of array arr: one row each, one column per key
 * (in the order first seen). Numbers become numeric cells, [lo, hi]
 * intervals, anything else its text. */
/* Whether some object of arr has key. */
static int any_has(const heft__jval *arr, const char *key)
{
    for (size_t i = 0; i < arr->n; i++)
        if (heft__json_get(&arr->item[i], key))
            return 1;
    return 0;
}

heft_status heft__rl_object_table(heft__rloader *L, const heft__jval *arr,
                                  const char *what, const char *title,
                                  const char *const *only)
{
    enum { MAXCOL = 64 };
    const char **cols = heft__arena_alloc(L->a, MAXCOL, sizeof *cols);
    size_t nc = 0;
    if (!cols)
        return HEFT__RL_OOM(L);
    for (size_t i = 0; i < arr->n; i++) {
        const heft__jval *o = &arr->item[i];
        if (o->type != HEFT__J_OBJ)
            return heft__rl_bad(L, o,
                                "entry %zu of \"%s\" is %s; expected an object",
                                i + 1, what, heft__json_type_name(o->type));
        for (size_t k = 0; !only && k < o->n && nc < MAXCOL; k++) {
            size_t c = 0;
            while (c < nc && strcmp(cols[c], o->key[k]) != 0)
                c++;
            if (c == nc)
                cols[nc++] = o->key[k];
        }
    }
    for (size_t k = 0; only && only[k] && nc < MAXCOL; k++)
        if (any_has(arr, only[k]))
            cols[nc++] = only[k];
    heft__rtable *t = heft__report_table(L->r, L->sec, nc, arr->n);
    if (!t)
        return HEFT__RL_OOM(L);
    t->title = title;
    memcpy(t->head, cols, nc * sizeof *cols);
    for (size_t i = 0; i < arr->n; i++) {
        for (size_t c = 0; c < nc; c++) {
            const heft__jval *v = heft__json_get(&arr->item[i], cols[c]);
            heft__rcell *cell = &t->cell[i * nc + c];
            if (!v)
                cell->text = "";
            else if (v->type == HEFT__J_NUM)
                heft__rl_cell_auto(L, cell, v->num);
            else if (heft__rl_is_interval(v))
                heft__rl_cell_ci(L, cell, v->item[0].num, v->item[1].num);
            else if (!(cell->text = heft__rl_jtext(L, v)))
                return HEFT__RL_OOM(L);
        }
    }
    return HEFT_OK;
}

/* Horizontal bars of key (a number member of each object of arr, named
 * by name_key), the first max of them in the array's order. */
/* A bar: its value and its place in the file (ties keep file order). */
typedef struct bar {
    double v;
    size_t i;
    const char *name;
} bar;

static int cmp_bar(const void *a, const void *b)
{
    const bar *x = a, *y = b;
    if (x->v != y->v)
        return x->v > y->v ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

heft_status heft__rl_bars_of(heft__rloader *L, const heft__jval *arr,
                             const char *name_key, const char *key,
                             const char *title, const char *unit, size_t max)
{
    size_t n = 0;
    bar *all = heft__malloc(arr->n + 1, sizeof *all);
    if (!all)
        return HEFT__RL_OOM(L);
    heft_status st = HEFT_OK;
    for (size_t i = 0; i < arr->n && st == HEFT_OK; i++) {
        const heft__jval *name;
        double v;
        if ((st = heft__rl_member(L, &arr->item[i], name_key, HEFT__J_STR,
                                  &name)) ||
            (st = heft__rl_num(L, &arr->item[i], key, &v)))
            break;
        if (isfinite(v))
            all[n++] = (bar){v, i, name ? name->str : "?"};
    }
    if (st != HEFT_OK || !n) {
        free(all);
        return st;
    }
    qsort(all, n, sizeof *all, cmp_bar);
    const size_t shown = n < max ? n : max;
    const char **cat = heft__arena_alloc(L->a, shown, sizeof *cat);
    double *y = heft__arena_alloc(L->a, shown, sizeof *y);
    heft__rchart *c = heft__rl_new_chart(L, title, "", unit);
    heft__rseries *s = heft__arena_alloc(L->a, 1, sizeof *s);
    if (!cat || !y || !c || !s) {
        free(all);
        return HEFT__RL_OOM(L);
    }
    for (size_t k = 0; k < shown; k++) {
        cat[k] = all[k].name;
        y[k] = all[k].v;
    }
    free(all);
    c->kind = HEFT__CHART_BARS;
    c->cat = cat;
    c->ncat = shown;
    *s = (heft__rseries){key, NULL, y, NULL, NULL, shown, 0, 0};
    c->s = s;
    c->ns = 1;
    if (n > shown)
        c->note = heft__arena_printf(L->a, "The %zu largest of %zu.", shown,
                                     n);
    return HEFT_OK;
}

/* Members of the objects label_rate, leakage and ci as "object.key" rows. */
