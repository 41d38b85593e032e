/*
 * report_svg.c: the charts of the report as inline SVG, with no script:
 * line charts (curves with 95% bands and reference lines), histograms and
 * horizontal bar charts. Axes get "nice" ticks (Heckbert, "Nice numbers
 * for graph labels", Graphics Gems 1990: steps of 1, 2 or 5 times a power
 * of ten), a title with units and a legend; colours are the Okabe-Ito
 * palette (Okabe & Ito 2008, "Color Universal Design"), safe for the
 * common colour-vision deficiencies, and series past the seventh also
 * differ by dash pattern. Every data mark has class "mk" and a <title>
 * (the browser's tooltip) with its numbers.
 */
#include "report_int.h"

#include <math.h>
#include <stdio.h>

/* ---- ticks --------------------------------------------------------------- */

/* Number of ticks of step s covering [lo, hi]. The small slack keeps a
 * bound that is a multiple of s up to rounding (0.3 / 0.1) on the tick. */
static double tick_count(double lo, double hi, double s)
{
    return ceil(hi / s - 1e-9) - floor(lo / s + 1e-9) + 1;
}

void heft__nice_ticks(double lo, double hi, int max_ticks, double *step,
                      double *first, int *count)
{
    if (max_ticks < 3)
        max_ticks = 3; /* a range around 0 needs -s, 0, s */
    if (!isfinite(lo) || !isfinite(hi)) {
        lo = 0;
        hi = 1;
    }
    if (hi < lo) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    if (hi - lo <= 1e-12 * fmax(fabs(lo), fabs(hi)) || hi == lo) {
        double d = lo == 0 ? 1 : fabs(lo) * 0.1;
        lo -= d;
        hi += d;
    }
    /* A first guess a decade below the plain step, then up through
     * 1, 2, 5 x 10^k until the ticks fit. */
    int k = (int)floor(log10((hi - lo) / (max_ticks - 1))) - 1;
    static const double mant[3] = {1, 2, 5};
    double s = 1;
    for (int i = 0;; i++) {
        s = mant[i % 3] * pow(10, k + i / 3);
        if (tick_count(lo, hi, s) <= max_ticks)
            break;
    }
    *step = s;
    *first = floor(lo / s + 1e-9) * s;
    *count = (int)tick_count(lo, hi, s);
}

void heft__tick_label(double v, double step, char *buf, size_t cap)
{
    const char *suffix = "";
    if (step >= 1e6 - 1e-6) {
        v /= 1e6;
        step /= 1e6;
        suffix = "M";
    } else if (step >= 1e3 - 1e-9) {
        v /= 1e3;
        step /= 1e3;
        suffix = "k";
    }
    int dec = (int)ceil(-log10(step) - 1e-9);
    if (dec < 0)
        dec = 0;
    if (dec > 12) {
        snprintf(buf, cap, "%g", v);
        return;
    }
    if (fabs(v) < step * 1e-6)
        v = 0; /* no "-0.00" */
    snprintf(buf, cap, "%.*f%s", dec, v, suffix);
}

/* ---- geometry ------------------------------------------------------------ */

static const char *const palette[7] = {
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
};

static const char *color_of(int c)
{
    if (c == HEFT__COLOR_GREY)
        return "#6e6e6e";
    if (c == HEFT__COLOR_BLACK)
        return "#111111";
    return palette[(c < 0 ? -c : c) % 7];
}

static const char *dash_of(int dash, int color)
{
    int d = dash ? dash : color >= 7 ? 1 + (color / 7 - 1) % 2 : 0;
    return d == 1   ? " stroke-dasharray=\"6 4\""
           : d == 2 ? " stroke-dasharray=\"2 3\""
                    : "";
}

enum { W = 640, MT = 36, PH = 230, LEG_ROW = 18, LEG_COLS = 3 };

/* The plot: pixel box and the value ranges (display units) of its axes. */
typedef struct frame {
    double ml, pw, top, ph;
    double x0, x1, xs, y0, y1, ys; /* ranges and tick steps */
    int nx, ny;
    double xmul, ymul;
} frame;

static double px(const frame *f, double v)
{
    return f->ml + (v * f->xmul - f->x0) / (f->x1 - f->x0) * f->pw;
}

static double py(const frame *f, double v)
{
    return f->top + f->ph - (v * f->ymul - f->y0) / (f->y1 - f->y0) * f->ph;
}

static void grow(double *lo, double *hi, double v)
{
    if (!isfinite(v))
        return;
    if (v < *lo)
        *lo = v;
    if (v > *hi)
        *hi = v;
}

/* The data extent of a chart in display units. */
static void extent(const heft__rchart *c, double *xl, double *xh, double *yl,
                   double *yh)
{
    *xl = *yl = INFINITY;
    *xh = *yh = -INFINITY;
    for (size_t i = 0; i < c->ns; i++) {
        const heft__rseries *s = &c->s[i];
        size_t nx = c->kind == HEFT__CHART_HIST ? s->n + 1 : s->n;
        for (size_t k = 0; c->kind != HEFT__CHART_BARS && k < nx; k++)
            grow(xl, xh, s->x[k] * c->xmul);
        for (size_t k = 0; k < s->n; k++) {
            grow(yl, yh, s->y[k] * c->ymul);
            if (s->lo)
                grow(yl, yh, s->lo[k] * c->ymul);
            if (s->hi)
                grow(yl, yh, s->hi[k] * c->ymul);
        }
    }
    for (size_t i = 0; i < c->nref; i++) {
        /* A bar chart's references mark values, which are its y. */
        const heft__rref *r = &c->ref[i];
        const int on_x = r->vertical && c->kind != HEFT__CHART_BARS;
        double *lo = on_x ? xl : yl, *hi = on_x ? xh : yh;
        const double m = on_x ? c->xmul : c->ymul;
        grow(lo, hi, r->at * m);
        grow(lo, hi, r->lo * m);
        grow(lo, hi, r->hi * m);
    }
    if (isfinite(c->xmin))
        *xl = c->xmin * c->xmul;
    if (isfinite(c->xmax))
        *xh = c->xmax * c->xmul;
    if (isfinite(c->ymin))
        *yl = c->ymin * c->ymul;
    if (isfinite(c->ymax))
        *yh = c->ymax * c->ymul;
}

static void axis_range(double lo, double hi, int max, double *a, double *b,
                       double *step, int *n)
{
    double first;
    heft__nice_ticks(lo, hi, max, step, &first, n);
    *a = first;
    *b = first + (*n - 1) * *step;
}

/* Ticks, grid, axis lines and axis titles of frame f. */
static void draw_axes(const heft__rchart *c, const frame *f, heft__sbuf *b)
{
    char lab[48];
    heft__sbuf_puts(b, "<g class=\"axes\" font-size=\"11\" fill=\"#333\">");
    for (int i = 0; i < f->ny; i++) {
        const double v = f->y0 + i * f->ys;
        const double y = f->top + f->ph - (v - f->y0) / (f->y1 - f->y0) * f->ph;
        heft__tick_label(v, f->ys, lab, sizeof lab);
        heft__sbuf_printf(b,
                          "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
                          "y2=\"%.1f\" stroke=\"#e4e4e4\"/><text x=\"%.1f\" "
                          "y=\"%.1f\" text-anchor=\"end\">%s</text>",
                          f->ml, f->ml + f->pw, y, y, f->ml - 6, y + 4, lab);
    }
    for (int i = 0; c->kind != HEFT__CHART_BARS && i < f->nx; i++) {
        const double v = f->x0 + i * f->xs;
        const double x = f->ml + (v - f->x0) / (f->x1 - f->x0) * f->pw;
        heft__tick_label(v, f->xs, lab, sizeof lab);
        heft__sbuf_printf(b,
                          "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
                          "y2=\"%.1f\" stroke=\"#333\"/><text x=\"%.1f\" "
                          "y=\"%.1f\" text-anchor=\"middle\">%s</text>",
                          x, x, f->top + f->ph, f->top + f->ph + 5, x,
                          f->top + f->ph + 17, lab);
    }
    heft__sbuf_printf(b,
                      "<path d=\"M%.1f %.1fV%.1fH%.1f\" fill=\"none\" "
                      "stroke=\"#333\"/>",
                      f->ml, f->top, f->top + f->ph, f->ml + f->pw);
    heft__sbuf_printf(b,
                      "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                      "font-size=\"12\">",
                      f->ml + f->pw / 2, f->top + f->ph + 34);
    heft__sbuf_html(b, c->xlabel ? c->xlabel : "");
    heft__sbuf_printf(b,
                      "</text><text transform=\"translate(14 %.1f) "
                      "rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">",
                      f->top + f->ph / 2);
    heft__sbuf_html(b, c->ylabel ? c->ylabel : "");
    heft__sbuf_puts(b, "</text></g>");
}

/* A legend entry's sample: a short line (or a filled box) in the style of
 * the series. */
static void legend_entry(heft__sbuf *b, double x, double y, const char *name,
                         int color, int dash, int box)
{
    if (box)
        heft__sbuf_printf(b,
                          "<rect x=\"%.1f\" y=\"%.1f\" width=\"22\" "
                          "height=\"10\" fill=\"%s\" fill-opacity=\"0.35\" "
                          "stroke=\"%s\"/>",
                          x, y - 8, color_of(color), color_of(color));
    else
        heft__sbuf_printf(b,
                          "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
                          "y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2.5\"%s/>",
                          x, x + 22, y - 3, y - 3, color_of(color),
                          dash_of(dash, color));
    char shown[40];
    size_t n = strlen(name);
    snprintf(shown, sizeof shown, "%.*s%s", n > 28 ? 26 : (int)n, name,
             n > 28 ? "..." : "");
    heft__sbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\">", x + 28, y + 1);
    heft__sbuf_html(b, shown);
    heft__sbuf_puts(b, "<title>");
    heft__sbuf_html(b, name);
    heft__sbuf_puts(b, "</title></text>");
}

static size_t legend_entries(const heft__rchart *c)
{
    if (c->kind == HEFT__CHART_BARS && c->ns < 2 && !c->nref)
        return 0;
    return c->ns + c->nref;
}

static void draw_legend(const heft__rchart *c, double y, heft__sbuf *b)
{
    if (!legend_entries(c))
        return;
    heft__sbuf_puts(b, "<g class=\"legend\" font-size=\"11\" fill=\"#222\">");
    size_t k = 0;
    for (size_t i = 0; i < c->ns; i++, k++)
        legend_entry(b, 16 + (double)(k % LEG_COLS) * 205,
                     y + (double)(k / LEG_COLS) * LEG_ROW, c->s[i].name,
                     c->s[i].color, c->s[i].dash, c->kind != HEFT__CHART_LINE);
    for (size_t i = 0; i < c->nref; i++, k++)
        legend_entry(b, 16 + (double)(k % LEG_COLS) * 205,
                     y + (double)(k / LEG_COLS) * LEG_ROW, c->ref[i].label,
                     HEFT__COLOR_BLACK, 1, 0);
    heft__sbuf_puts(b, "</g>");
}

/* ---- marks --------------------------------------------------------------- */

static void series_title(heft__sbuf *b, const char *name, double x, double y)
{
    heft__sbuf_puts(b, "<title>");
    heft__sbuf_html(b, name);
    heft__sbuf_printf(b, ": %.4g, %.4g</title>", x, y);
}

/* The 95% band of a line series: one polygon per run of finite bounds. */
static void draw_band(const frame *f, const heft__rseries *s, heft__sbuf *b)
{
    size_t i = 0;
    while (i < s->n) {
        while (i < s->n &&
               !(isfinite(s->lo[i]) && isfinite(s->hi[i]) && isfinite(s->x[i])))
            i++;
        size_t j = i;
        while (j < s->n && isfinite(s->lo[j]) && isfinite(s->hi[j]) &&
               isfinite(s->x[j]))
            j++;
        if (j > i + 1) {
            heft__sbuf_printf(b,
                              "<path class=\"band\" fill=\"%s\" "
                              "fill-opacity=\"0.15\" d=\"",
                              color_of(s->color));
            for (size_t k = i; k < j; k++)
                heft__sbuf_printf(b, "%s%.1f %.1f", k == i ? "M" : "L",
                                  px(f, s->x[k]), py(f, s->hi[k]));
            for (size_t k = j; k-- > i;)
                heft__sbuf_printf(b, "L%.1f %.1f", px(f, s->x[k]),
                                  py(f, s->lo[k]));
            heft__sbuf_puts(b, "Z\"/>");
        }
        i = j;
    }
}

static void draw_line_series(const frame *f, const heft__rseries *s,
                             heft__sbuf *b)
{
    if (s->lo && s->hi)
        draw_band(f, s, b);
    heft__sbuf_printf(b,
                      "<path class=\"mk\" fill=\"none\" stroke=\"%s\" "
                      "stroke-width=\"2\" stroke-linejoin=\"round\"%s d=\"",
                      color_of(s->color), dash_of(s->dash, s->color));
    int pen = 0;
    for (size_t k = 0; k < s->n; k++) {
        if (!isfinite(s->x[k]) || !isfinite(s->y[k])) {
            pen = 0;
            continue;
        }
        heft__sbuf_printf(b, "%s%.1f %.1f", pen ? "L" : "M", px(f, s->x[k]),
                          py(f, s->y[k]));
        pen = 1;
    }
    heft__sbuf_puts(b, "\"><title>");
    heft__sbuf_html(b, s->name);
    heft__sbuf_puts(b, "</title></path>");
    if (s->n > 40)
        return;
    for (size_t k = 0; k < s->n; k++) {
        if (!isfinite(s->x[k]) || !isfinite(s->y[k]))
            continue;
        heft__sbuf_printf(b,
                          "<circle class=\"mk\" cx=\"%.1f\" cy=\"%.1f\" "
                          "r=\"3\" fill=\"%s\">",
                          px(f, s->x[k]), py(f, s->y[k]), color_of(s->color));
        series_title(b, s->name, s->x[k], s->y[k]);
        heft__sbuf_puts(b, "</circle>");
    }
}

/* Bins [x[k], x[k+1]) of height y[k] as one step outline, lightly filled. */
static void draw_hist_series(const frame *f, const heft__rseries *s,
                             heft__sbuf *b)
{
    const double base = py(f, f->y0 / f->ymul);
    heft__sbuf_printf(b,
                      "<path class=\"mk\" fill=\"%s\" fill-opacity=\"0.28\" "
                      "stroke=\"%s\" stroke-width=\"1.5\"%s d=\"M%.1f %.1f",
                      color_of(s->color), color_of(s->color),
                      dash_of(s->dash, s->color), px(f, s->x[0]), base);
    for (size_t k = 0; k < s->n; k++) {
        const double y = isfinite(s->y[k]) ? py(f, s->y[k]) : base;
        heft__sbuf_printf(b, "V%.1fH%.1f", y, px(f, s->x[k + 1]));
    }
    heft__sbuf_printf(b, "V%.1fZ\"><title>", base);
    heft__sbuf_html(b, s->name);
    heft__sbuf_puts(b, "</title></path>");
}

static void draw_refs(const heft__rchart *c, const frame *f, heft__sbuf *b)
{
    for (size_t i = 0; i < c->nref; i++) {
        const heft__rref *r = &c->ref[i];
        if (!isfinite(r->at))
            continue;
        if (r->vertical || c->kind == HEFT__CHART_BARS) {
            const double x = px(f, r->at);
            heft__sbuf_printf(b,
                              "<line class=\"mk\" x1=\"%.1f\" x2=\"%.1f\" "
                              "y1=\"%.1f\" y2=\"%.1f\"",
                              x, x, f->top, f->top + f->ph);
        } else {
            if (isfinite(r->lo) && isfinite(r->hi)) {
                const double y1 = py(f, r->hi), y2 = py(f, r->lo);
                heft__sbuf_printf(b,
                                  "<rect x=\"%.1f\" y=\"%.1f\" "
                                  "width=\"%.1f\" height=\"%.1f\" "
                                  "fill=\"#111\" fill-opacity=\"0.1\"/>",
                                  f->ml, y1, f->pw, fmax(y2 - y1, 0.5));
            }
            const double y = py(f, r->at);
            heft__sbuf_printf(b,
                              "<line class=\"mk\" x1=\"%.1f\" x2=\"%.1f\" "
                              "y1=\"%.1f\" y2=\"%.1f\"",
                              f->ml, f->ml + f->pw, y, y);
        }
        heft__sbuf_puts(b, " stroke=\"#111\" stroke-width=\"1.2\" "
                           "stroke-dasharray=\"6 4\"><title>");
        heft__sbuf_html(b, r->label);
        heft__sbuf_printf(b, ": %.6g</title></line>", r->at);
    }
}

/* ---- charts -------------------------------------------------------------- */

static void open_svg(const heft__rchart *c, double h, heft__sbuf *b)
{
    heft__sbuf_printf(b,
                      "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/"
                      "svg\" viewBox=\"0 0 %d %.0f\" width=\"%d\" "
                      "height=\"%.0f\" role=\"img\" font-family=\"sans-serif\">"
                      "<title>",
                      W, h, W, h);
    heft__sbuf_html(b, c->title ? c->title : "");
    heft__sbuf_printf(b,
                      "</title><text x=\"%d\" y=\"20\" font-size=\"14\" "
                      "font-weight=\"bold\" fill=\"#111\">",
                      16);
    heft__sbuf_html(b, c->title ? c->title : "");
    heft__sbuf_puts(b, "</text>");
}

static double legend_height(const heft__rchart *c)
{
    size_t n = legend_entries(c);
    return n ? (double)((n + LEG_COLS - 1) / LEG_COLS) * LEG_ROW + 8 : 0;
}

static void line_chart(const heft__rchart *c, heft__sbuf *b)
{
    frame f = {.ml = 72,
               .pw = W - 72 - 24,
               .top = MT,
               .ph = PH,
               .xmul = c->xmul,
               .ymul = c->ymul};
    double xl, xh, yl, yh;
    extent(c, &xl, &xh, &yl, &yh);
    if (c->kind == HEFT__CHART_HIST && yl > 0)
        yl = 0;
    axis_range(xl, xh, 8, &f.x0, &f.x1, &f.xs, &f.nx);
    axis_range(yl, yh, 7, &f.y0, &f.y1, &f.ys, &f.ny);
    const double h = MT + PH + 46 + legend_height(c);
    open_svg(c, h, b);
    draw_axes(c, &f, b);
    heft__sbuf_printf(b,
                      "<g class=\"plot\"><clipPath id=\"clip-%s\"><rect "
                      "x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>"
                      "</clipPath><g clip-path=\"url(#clip-%s)\">",
                      c->id, f.ml - 4, f.top - 4, f.pw + 8, f.ph + 8, c->id);
    draw_refs(c, &f, b);
    for (size_t i = 0; i < c->ns; i++) {
        if (c->kind == HEFT__CHART_HIST)
            draw_hist_series(&f, &c->s[i], b);
        else
            draw_line_series(&f, &c->s[i], b);
    }
    heft__sbuf_puts(b, "</g></g>");
    draw_legend(c, MT + PH + 62, b);
    heft__sbuf_puts(b, "</svg>");
}

/* Bar k of series i at height y (bh pixels thick), with its whisker. */
static void draw_bar(const heft__rchart *c, const frame *f, size_t k, size_t i,
                     double y, double bh, heft__sbuf *b)
{
    const heft__rseries *s = &c->s[i];
    const double x0 = px(f, 0), x1 = px(f, s->y[k]);
    heft__sbuf_printf(b,
                      "<rect class=\"mk\" x=\"%.1f\" y=\"%.1f\" "
                      "width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>",
                      fmin(x0, x1), y, fmax(fabs(x1 - x0), 1), bh - 2,
                      color_of(s->color));
    heft__sbuf_html(b, c->cat[k]);
    heft__sbuf_puts(b, ", ");
    heft__sbuf_html(b, s->name);
    heft__sbuf_printf(b, ": %.6g</title></rect>", s->y[k]);
    if (s->lo && s->hi && isfinite(s->lo[k]) && isfinite(s->hi[k]))
        heft__sbuf_printf(b,
                          "<path d=\"M%.1f %.1fV%.1fM%.1f %.1fH%.1f"
                          "M%.1f %.1fV%.1f\" stroke=\"#111\"/>",
                          px(f, s->lo[k]), y + 1, y + bh - 3, px(f, s->lo[k]),
                          y + bh / 2 - 1, px(f, s->hi[k]), px(f, s->hi[k]),
                          y + 1, y + bh - 3);
}

/* The name of bar category k, right-aligned left of its row (cut past 32
 * characters; the tooltip has it in full). */
static void bar_label(const heft__rchart *c, const frame *f, size_t k,
                      double y, heft__sbuf *b)
{
    char shown[40];
    const size_t n = strlen(c->cat[k]);
    snprintf(shown, sizeof shown, "%.*s%s", n > 32 ? 30 : (int)n, c->cat[k],
             n > 32 ? "..." : "");
    heft__sbuf_printf(b,
                      "<text x=\"%.1f\" y=\"%.1f\" "
                      "text-anchor=\"end\" fill=\"#222\">",
                      f->ml - 6, y);
    heft__sbuf_html(b, shown);
    heft__sbuf_puts(b, "<title>");
    heft__sbuf_html(b, c->cat[k]);
    heft__sbuf_puts(b, "</title></text>");
}

/* Horizontal bars: one row per category, one bar per series in it, with
 * whiskers for the intervals; the value axis always shows 0, with a line
 * at 0 when values go below it, and the reference lines across. */
static void bar_chart(const heft__rchart *c, heft__sbuf *b)
{
    size_t longest = 4;
    for (size_t i = 0; i < c->ncat; i++)
        if (strlen(c->cat[i]) > longest)
            longest = strlen(c->cat[i]);
    const double ml = 24 + 6.6 * (double)(longest > 32 ? 32 : longest);
    const double row = c->ns > 1 ? 10.0 * (double)c->ns + 6 : 18;
    frame f = {.ml = ml,
               .pw = W - ml - 40,
               .top = MT,
               .ph = row * (double)c->ncat + 6,
               .xmul = c->ymul,
               .ymul = 1};
    double xl, xh, yl, yh;
    extent(c, &xl, &xh, &yl, &yh);
    axis_range(fmin(yl, 0), fmax(yh, 0), 7, &f.x0, &f.x1, &f.xs, &f.nx);
    open_svg(c, MT + f.ph + 46 + legend_height(c), b);
    /* Value ticks on the x axis: draw_axes with the roles swapped. */
    heft__rchart ax = *c;
    ax.kind = HEFT__CHART_LINE;
    ax.xlabel = c->ylabel;
    ax.ylabel = "";
    frame fa = f;
    fa.ny = 0;
    draw_axes(&ax, &fa, b);
    if (f.x0 < 0)
        heft__sbuf_printf(b,
                          "<line class=\"zero\" x1=\"%.1f\" x2=\"%.1f\" "
                          "y1=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>",
                          px(&f, 0), px(&f, 0), f.top, f.top + f.ph);
    heft__sbuf_puts(b, "<g class=\"plot\" font-size=\"11\">");
    const double bh = c->ns > 1 ? 9 : 12;
    for (size_t k = 0; k < c->ncat; k++) {
        const double y0 = f.top + 3 + row * (double)k;
        bar_label(c, &f, k, y0 + row / 2 + 4, b);
        for (size_t i = 0; i < c->ns; i++)
            if (k < c->s[i].n && isfinite(c->s[i].y[k]))
                draw_bar(c, &f, k, i,
                         y0 + (row - bh * (double)c->ns) / 2 + bh * (double)i,
                         bh, b);
    }
    draw_refs(c, &f, b);
    heft__sbuf_puts(b, "</g>");
    draw_legend(c, MT + f.ph + 62, b);
    heft__sbuf_puts(b, "</svg>");
}

void heft__svg_chart(const heft__rchart *c, heft__sbuf *b)
{
    if (c->kind == HEFT__CHART_BARS)
        bar_chart(c, b);
    else
        line_chart(c, b);
}
