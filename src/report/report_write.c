/*
 * report_write.c: heft_report_write(), and the report's numbers as JSON
 * for machines: the same sections, charts (every series' points) and
 * tables that the page draws.
 */
#include "report_int.h"

#include <math.h>

static void json_nums(heft__sbuf *b, const char *key, const double *v, size_t n)
{
    if (!v)
        return;
    heft__sbuf_printf(b, ",\"%s\":[", key);
    for (size_t i = 0; i < n; i++) {
        if (i)
            heft__sbuf_puts(b, ",");
        heft__sbuf_json_num(b, v[i]);
    }
    heft__sbuf_puts(b, "]");
}

static void json_key_str(heft__sbuf *b, const char *key, const char *s,
                         int comma)
{
    if (!s)
        return;
    heft__sbuf_printf(b, "%s\"%s\":", comma ? "," : "", key);
    heft__sbuf_json_str(b, s);
}

static void json_chart(const heft__rchart *c, heft__sbuf *b)
{
    static const char *const kind[3] = {"line", "histogram", "bars"};
    json_key_str(b, "id", c->id, 0);
    json_key_str(b, "kind", kind[c->kind], 1);
    json_key_str(b, "title", c->title, 1);
    json_key_str(b, "x_label", c->xlabel, 1);
    json_key_str(b, "y_label", c->ylabel, 1);
    json_key_str(b, "note", c->note, 1);
    if (c->kind == HEFT__CHART_BARS) {
        heft__sbuf_puts(b, ",\"categories\":[");
        for (size_t i = 0; i < c->ncat; i++) {
            if (i)
                heft__sbuf_puts(b, ",");
            heft__sbuf_json_str(b, c->cat[i]);
        }
        heft__sbuf_puts(b, "]");
    }
    heft__sbuf_puts(b, ",\"series\":[");
    for (size_t i = 0; i < c->ns; i++) {
        const heft__rseries *s = &c->s[i];
        heft__sbuf_puts(b, i ? ",{" : "{");
        json_key_str(b, "name", s->name, 0);
        if (c->kind == HEFT__CHART_HIST)
            json_nums(b, "edges", s->x, s->n + 1);
        else if (c->kind == HEFT__CHART_LINE)
            json_nums(b, "x", s->x, s->n);
        json_nums(b, "y", s->y, s->n);
        json_nums(b, "lo", s->lo, s->n);
        json_nums(b, "hi", s->hi, s->n);
        heft__sbuf_puts(b, "}");
    }
    heft__sbuf_puts(b, "],\"refs\":[");
    for (size_t i = 0; i < c->nref; i++) {
        heft__sbuf_puts(b, i ? ",{" : "{");
        json_key_str(b, "label", c->ref[i].label, 0);
        heft__sbuf_puts(b, ",\"at\":");
        heft__sbuf_json_num(b, c->ref[i].at);
        heft__sbuf_puts(b, ",\"band\":[");
        heft__sbuf_json_num(b, c->ref[i].lo);
        heft__sbuf_puts(b, ",");
        heft__sbuf_json_num(b, c->ref[i].hi);
        heft__sbuf_puts(b, "]}");
    }
    heft__sbuf_puts(b, "]");
}

static void json_cell(const heft__rcell *c, heft__sbuf *b)
{
    if (isfinite(c->lo) || isfinite(c->hi)) {
        heft__sbuf_puts(b, "[");
        heft__sbuf_json_num(b, c->lo);
        heft__sbuf_puts(b, ",");
        heft__sbuf_json_num(b, c->hi);
        heft__sbuf_puts(b, "]");
    } else if (isfinite(c->num)) {
        heft__sbuf_json_num(b, c->num);
    } else {
        heft__sbuf_json_str(b, c->text ? c->text : "");
    }
}

static void json_table(const heft__rtable *t, heft__sbuf *b)
{
    json_key_str(b, "title", t->title ? t->title : "", 0);
    heft__sbuf_puts(b, ",\"columns\":[");
    for (size_t j = 0; j < t->ncol; j++) {
        if (j)
            heft__sbuf_puts(b, ",");
        heft__sbuf_json_str(b, t->head[j] ? t->head[j] : "");
    }
    heft__sbuf_puts(b, "],\"rows\":[");
    for (size_t i = 0; i < t->nrow; i++) {
        heft__sbuf_puts(b, i ? ",[" : "[");
        for (size_t j = 0; j < t->ncol; j++) {
            if (j)
                heft__sbuf_puts(b, ",");
            json_cell(&t->cell[i * t->ncol + j], b);
        }
        heft__sbuf_puts(b, "]");
    }
    heft__sbuf_puts(b, "]");
}

static void json_section(const heft__rsection *s, heft__sbuf *b)
{
    json_key_str(b, "id", s->id, 0);
    json_key_str(b, "title", s->title, 1);
    json_key_str(b, "source", s->source, 1);
    json_key_str(b, "command", s->command, 1);
    json_key_str(b, "heft", s->version, 1);
    json_key_str(b, "intro", s->intro, 1);
    heft__sbuf_puts(b, ",\"charts\":[");
    for (size_t i = 0; i < s->nchart; i++) {
        heft__sbuf_puts(b, i ? ",{" : "{");
        json_chart(&s->chart[i], b);
        heft__sbuf_puts(b, "}");
    }
    heft__sbuf_puts(b, "],\"tables\":[");
    for (size_t i = 0; i < s->ntable; i++) {
        heft__sbuf_puts(b, i ? ",{" : "{");
        json_table(&s->table[i], b);
        heft__sbuf_puts(b, "}");
    }
    heft__sbuf_puts(b, "],\"settings\":{");
    for (size_t i = 0; i < s->settings.nrow; i++) {
        if (i)
            heft__sbuf_puts(b, ",");
        heft__sbuf_json_str(b, s->settings.cell[2 * i].text);
        heft__sbuf_puts(b, ":");
        json_cell(&s->settings.cell[2 * i + 1], b);
    }
    heft__sbuf_puts(b, "}");
}

void heft__report_json(const heft__report *r, heft__sbuf *b)
{
    heft__sbuf_puts(b, "{\"heft\":");
    heft__sbuf_json_str(b, heft_version());
    heft__sbuf_puts(b, ",\"command\":\"report\",\"settings\":{\"run_dir\":");
    heft__sbuf_json_str(b, r->run_dir);
    heft__sbuf_puts(b, "},\"sections\":[");
    for (size_t i = 0; i < r->nsec; i++) {
        heft__sbuf_puts(b, i ? ",\n{" : "\n{");
        json_section(&r->sec[i], b);
        heft__sbuf_puts(b, "}");
    }
    heft__sbuf_puts(b, "]}\n");
}

/* Opens path and writes text to its temporary (committed by the caller). */
static heft_status stage(heft__outfile *o, const char *path,
                         const heft__sbuf *text, heft_error *err)
{
    heft_status st = heft__out_open(o, path, err);
    if (st == HEFT_OK)
        heft__out_write(o, text->s, text->len);
    return st;
}

heft_status heft_report_write(const char *run_dir, const char *out_html,
                              const char *out_json, heft_error *err)
{
    if (!run_dir || (!out_html && !out_json))
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "heft_report_write: "
                         "a run directory and an output are required");
    heft__report *r = NULL;
    heft_status st = heft__report_load(run_dir, &r, err);
    if (st)
        return st;
    heft__sbuf html = {0}, json = {0};
    if (out_html)
        heft__report_html(r, &html);
    if (out_json)
        heft__report_json(r, &json);
    heft__report_free(r);
    heft__outfile oh, oj;
    memset(&oh, 0, sizeof oh);
    memset(&oj, 0, sizeof oj);
    if (html.failed || json.failed)
        st = heft__err(err, HEFT_ENOMEM, run_dir, 0, 0, "out of memory");
    if (st == HEFT_OK && out_html)
        st = stage(&oh, out_html, &html, err);
    if (st == HEFT_OK && out_json)
        st = stage(&oj, out_json, &json, err);
    /* Both outputs complete in their temporaries before either is renamed. */
    if (st == HEFT_OK && out_html)
        st = heft__out_commit(&oh, err);
    if (st == HEFT_OK && out_json)
        st = heft__out_commit(&oj, err);
    heft__out_abort(&oh);
    heft__out_abort(&oj);
    heft__sbuf_free(&html);
    heft__sbuf_free(&json);
    return st;
}
