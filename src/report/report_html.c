/*
 * report_html.c: the report as one self-contained HTML page: a table of
 * contents, then one section per run file with its charts (inline SVG),
 * tables and settings. No script, no external resource: the file opens
 * the same offline, in a mail attachment or years later.
 */
#include "report_int.h"

#include <math.h>

static const char css[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
    "color:#1b1b1b;margin:0 auto;max-width:1360px;padding:0 24px 48px}"
    "h1{font-size:26px;margin:24px 0 4px}h2{font-size:20px;margin:0 0 4px}"
    "section{border-top:1px solid #ddd;padding:20px 0}"
    "p.src{color:#555;margin:0 0 8px}code{background:#f3f3f3;padding:0 3px}"
    "nav ol{columns:2;padding-left:20px}"
    ".charts{display:flex;flex-wrap:wrap;gap:12px 20px}"
    "figure{margin:0}figcaption{color:#555;font-size:12px;max-width:640px}"
    "svg.chart{background:#fff;border:1px solid "
    "#e6e6e6;max-width:100%;height:auto}"
    ".tw{overflow-x:auto;max-width:100%}"
    "table{border-collapse:collapse;margin:12px 0;font-size:13px}"
    "caption{text-align:left;font-weight:600;padding:4px 0}"
    "th,td{border-bottom:1px solid #e3e3e3;padding:3px 10px;text-align:left;"
    "vertical-align:top}th{background:#f5f5f5}td.n{text-align:right;"
    "font-variant-numeric:tabular-nums}tr:nth-child(even) "
    "td{background:#fafafa}"
    "details summary{cursor:pointer;color:#333}";

/* Table t in a box that scrolls sideways when it is wider than the page
 * (the noise table with its decomposition columns is). */
static void html_table(const heft__rtable *t, heft__sbuf *b)
{
    heft__sbuf_puts(b, "<div class=\"tw\"><table>");
    if (t->title) {
        heft__sbuf_puts(b, "<caption>");
        heft__sbuf_html(b, t->title);
        heft__sbuf_puts(b, "</caption>");
    }
    heft__sbuf_puts(b, "<thead><tr>");
    for (size_t j = 0; j < t->ncol; j++) {
        heft__sbuf_puts(b, "<th>");
        heft__sbuf_html(b, t->head[j] ? t->head[j] : "");
        heft__sbuf_puts(b, "</th>");
    }
    heft__sbuf_puts(b, "</tr></thead><tbody>");
    for (size_t i = 0; i < t->nrow; i++) {
        heft__sbuf_puts(b, "<tr>");
        for (size_t j = 0; j < t->ncol; j++) {
            const heft__rcell *c = &t->cell[i * t->ncol + j];
            const int numeric = isfinite(c->num) || isfinite(c->lo);
            heft__sbuf_puts(b, numeric ? "<td class=\"n\">" : "<td>");
            heft__sbuf_html(b, c->text ? c->text : "");
            heft__sbuf_puts(b, "</td>");
        }
        heft__sbuf_puts(b, "</tr>");
    }
    heft__sbuf_puts(b, "</tbody></table></div>");
}

static void html_section(const heft__rsection *s, heft__sbuf *b)
{
    heft__sbuf_printf(b, "<section id=\"%s\"><h2>", s->id);
    heft__sbuf_html(b, s->title ? s->title : "");
    heft__sbuf_puts(b, "</h2>");
    if (s->source) {
        heft__sbuf_puts(b, "<p class=\"src\">From <code>");
        heft__sbuf_html(b, s->source);
        heft__sbuf_puts(b, "</code></p>");
    }
    if (s->intro) {
        heft__sbuf_puts(b, "<p>");
        heft__sbuf_html(b, s->intro);
        heft__sbuf_puts(b, "</p>");
    }
    if (s->nchart) {
        heft__sbuf_puts(b, "<div class=\"charts\">");
        for (size_t i = 0; i < s->nchart; i++) {
            heft__sbuf_puts(b, "<figure>");
            heft__svg_chart(&s->chart[i], b);
            if (s->chart[i].note) {
                heft__sbuf_puts(b, "<figcaption>");
                heft__sbuf_html(b, s->chart[i].note);
                heft__sbuf_puts(b, "</figcaption>");
            }
            heft__sbuf_puts(b, "</figure>");
        }
        heft__sbuf_puts(b, "</div>");
    }
    for (size_t i = 0; i < s->ntable; i++)
        html_table(&s->table[i], b);
    if (s->settings.nrow) {
        heft__sbuf_puts(b, "<details open><summary>Settings of this run"
                           "</summary>");
        html_table(&s->settings, b);
        heft__sbuf_puts(b, "</details>");
    }
    heft__sbuf_puts(b, "</section>\n");
}

void heft__report_html(const heft__report *r, heft__sbuf *b)
{
    heft__sbuf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
                       "charset=\"utf-8\"><meta name=\"viewport\" content=\""
                       "width=device-width, initial-scale=1\"><title>heft "
                       "report: ");
    heft__sbuf_html(b, r->run_dir);
    heft__sbuf_printf(b,
                      "</title><style>%s</style></head>\n<body><header>"
                      "<h1>heft report</h1><p class=\"src\">Run directory "
                      "<code>",
                      css);
    heft__sbuf_html(b, r->run_dir);
    heft__sbuf_printf(b,
                      "</code>: %zu sections, drawn by heft %s. Intervals "
                      "are 95%% bootstrap intervals.</p><nav><ol>",
                      r->nsec, heft_version());
    for (size_t i = 0; i < r->nsec; i++) {
        heft__sbuf_printf(b, "<li><a href=\"#%s\">", r->sec[i].id);
        heft__sbuf_html(b, r->sec[i].title ? r->sec[i].title : "");
        heft__sbuf_puts(b, "</a></li>");
    }
    heft__sbuf_puts(b, "</ol></nav></header>\n<main>\n");
    for (size_t i = 0; i < r->nsec; i++)
        html_section(&r->sec[i], b);
    heft__sbuf_puts(b, "</main></body></html>\n");
}
