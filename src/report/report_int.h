/*
 * report_int.h: the internals of `heft report` (src/report), shared by its
 * files and by tests/test_report.c; nothing here is public.
 *
 * Reading order: an arena owns every string and array of one report
 * (report_util.c); a strict JSON reader turns each run file into a tree of
 * heft__jval with the line and column of every value (report_json.c); the
 * loaders turn a run directory into a heft__report, a list of sections of
 * charts and tables (report_load.c, report_scores.c); one writer draws
 * it as HTML with inline SVG (report_html.c, report_svg.c), another
 * prints the same numbers as JSON (report_write.c).
 */
#ifndef HEFT_REPORT_INT_H
#define HEFT_REPORT_INT_H

#include "core.h"

#include <stddef.h>
#include <stdint.h>

/* ---- arena --------------------------------------------------------------- */

/* Memory that lives as long as one report or one JSON document and is
 * released in one call. Allocations are 16-byte aligned; they return NULL
 * when out of memory (and then every later one may too). */
typedef struct heft__arena heft__arena;

heft__arena *heft__arena_new(void);
void heft__arena_free(heft__arena *a); /* NULL is fine */
void *heft__arena_alloc(heft__arena *a, size_t n, size_t size); /* zeroed */
char *heft__arena_strdup(heft__arena *a, const char *s);
char *heft__arena_strndup(heft__arena *a, const char *s, size_t n);
char *heft__arena_printf(heft__arena *a, const char *fmt, ...)
    HEFT__PRINTF(2, 3);
/* A copy of p[0..n) of size bytes each (NULL in, NULL out). */
void *heft__arena_dup(heft__arena *a, const void *p, size_t n, size_t size);

/* ---- growable text buffer ------------------------------------------------ */

/* Text built piece by piece; failed is set (and appends become no-ops) on
 * the first allocation failure, so callers check once at the end. Free
 * s with free() or heft__sbuf_free(). */
typedef struct heft__sbuf {
    char *s;
    size_t len, cap;
    int failed;
} heft__sbuf;

void heft__sbuf_put(heft__sbuf *b, const char *s, size_t n);
void heft__sbuf_puts(heft__sbuf *b, const char *s);
void heft__sbuf_printf(heft__sbuf *b, const char *fmt, ...) HEFT__PRINTF(2, 3);
/* s with &, <, >, " and ' replaced by entities (HTML text and attributes,
 * SVG included). */
void heft__sbuf_html(heft__sbuf *b, const char *s);
/* s as a JSON string, quotes included. */
void heft__sbuf_json_str(heft__sbuf *b, const char *s);
/* v as a JSON number (%.10g), or null for NaN and infinities. */
void heft__sbuf_json_num(heft__sbuf *b, double v);
void heft__sbuf_free(heft__sbuf *b);

/* ---- JSON reader --------------------------------------------------------- */

typedef enum heft__jtype {
    HEFT__J_NULL,
    HEFT__J_BOOL,
    HEFT__J_NUM,
    HEFT__J_STR,
    HEFT__J_ARR,
    HEFT__J_OBJ,
} heft__jtype;

/* One JSON value and where it starts in the text (1-based line and byte
 * column), so that a value of the wrong kind can be reported precisely. */
typedef struct heft__jval {
    heft__jtype type;
    uint32_t line, col;
    double num;              /* NUM; BOOL: 0 or 1                        */
    const char *str;         /* STR, NUL-terminated UTF-8                */
    size_t len;              /* STR: bytes (a \u0000 is refused)         */
    size_t n;                /* ARR: elements; OBJ: members              */
    struct heft__jval *item; /* ARR elements; OBJ member values        */
    const char **key;        /* OBJ member names, in the order written   */
} heft__jval;

/* A parsed document; the arena owns every value and string. */
typedef struct heft__jdoc {
    heft__arena *arena;
    heft__jval *root;
} heft__jdoc;

/* Parses buf[0..len) as exactly one JSON value (RFC 8259, strictly: no
 * comments, trailing commas, NaN, leading zeros, invalid UTF-8, unpaired
 * surrogates or duplicate keys; nesting at most 128 deep). name is the
 * file name used in errors: "NAME:LINE:COL: expected ..." through err.
 * On success the caller owns *out (heft__json_free); on failure *out is
 * NULL. */
heft_status heft__json_parse(const char *buf, size_t len, const char *name,
                             heft__jdoc **out, heft_error *err);
void heft__json_free(heft__jdoc *d); /* NULL is fine */
/* The member key of object o (NULL when absent or o is not an object). */
const heft__jval *heft__json_get(const heft__jval *o, const char *key);
/* The name of a type for messages: "a number", "an object" ... */
const char *heft__json_type_name(heft__jtype t);

/* ---- nice axis ticks ----------------------------------------------------- */

/* Ticks of an axis that must show [lo, hi]: the smallest step s of the
 * form {1, 2, 5} x 10^k for which the multiples of s from floor(lo/s) s to
 * ceil(hi/s) s number at most max_ticks (raised to 3, as a range
 * around 0 needs -s, 0 and s). Writes s, the first tick
 * and the count; lo == hi is widened first. Tick i is first + i s. */
void heft__nice_ticks(double lo, double hi, int max_ticks, double *step,
                      double *first, int *count);
/* Formats tick value v of an axis with step s: as many decimals as s
 * needs, "k"/"M" for steps of a thousand or a million and more. */
void heft__tick_label(double v, double step, char *buf, size_t cap);

/* ---- the report model ---------------------------------------------------- */

enum { HEFT__CHART_LINE, HEFT__CHART_HIST, HEFT__CHART_BARS };
/* Colours: 0..6 the Okabe-Ito palette in order, or one of these. */
enum { HEFT__COLOR_GREY = -1, HEFT__COLOR_BLACK = -2 };

/* One series. LINE: points (x[i], y[i]); HIST: bins [x[i], x[i+1]) of
 * height y[i] (x has n + 1 edges); BARS: y[i] is the bar of category i.
 * lo/hi (may be NULL) bound a 95% interval drawn as a band or whisker;
 * NaN values are gaps. */
typedef struct heft__rseries {
    const char *name;
    const double *x, *y, *lo, *hi;
    size_t n;
    int color; /* palette index or HEFT__COLOR_*                       */
    int dash;  /* 0 solid, 1 dashed, 2 dotted                          */
} heft__rseries;

/* A reference line y = at (LINE charts; x = at when vertical), with an
 * optional band [lo, hi] (NaN for none). In a BARS chart it is a line
 * across the bars at value at (no band). */
typedef struct heft__rref {
    const char *label;
    double at, lo, hi;
    int vertical;
} heft__rref;

typedef struct heft__rchart {
    const char *id, *title, *note;
    const char *xlabel, *ylabel; /* with units, e.g. "kept rows (%)"   */
    int kind;
    double xmul, ymul; /* display = value * mul (100 for percent)      */
    double xmin, xmax, ymin, ymax; /* axis limits; NaN: from the data  */
    heft__rseries *s;
    size_t ns;
    heft__rref *ref;
    size_t nref;
    const char **cat; /* BARS: category names, one per y value          */
    size_t ncat;
} heft__rchart;

/* A table cell: text as shown; for machines num (NaN: not a number) or,
 * when lo and hi are finite, the interval [lo, hi]. */
typedef struct heft__rcell {
    const char *text;
    double num, lo, hi;
} heft__rcell;

typedef struct heft__rtable {
    const char *title;
    size_t ncol, nrow;
    const char **head; /* ncol names                                  */
    heft__rcell *cell; /* nrow x ncol, row-major                      */
} heft__rtable;

/* One section of the page: one run file (or the run list). */
typedef struct heft__rsection {
    const char *id, *title, *source, *command, *intro;
    const char *version; /* "heft" of the run file, or NULL           */
    int order; /* sections sort by (order, source)                    */
    heft__rchart *chart;
    size_t nchart;
    heft__rtable *table;
    size_t ntable;
    heft__rtable settings; /* key, value (nrow 0 when none)            */
} heft__rsection;

typedef struct heft__report {
    heft__arena *arena;
    const char *run_dir;
    heft__rsection *sec;
    size_t nsec, cap;
    size_t ncharts;    /* charts made so far (their ids)                  */
    heft__jdoc **docs; /* run files, whose strings sections point to   */
    size_t ndocs;
} heft__report;

/* Reads every file of run_dir that docs/run-dir.md names into a report
 * (sections ordered by kind, then file name). The caller owns *out
 * (heft__report_free). Errors name the file, line and column. */
heft_status heft__report_load(const char *run_dir, heft__report **out,
                              heft_error *err);
/* The memory entry point (what the fuzz target calls): a report of one
 * run file's text, named name in errors and sections. */
heft_status heft__report_load_mem(const char *buf, size_t len,
                                  const char *name, heft__report **out,
                                  heft_error *err);
void heft__report_free(heft__report *r);

/* Adds an empty section, a chart or a table (zeroed, owned by r's arena);
 * NULL when out of memory. */
heft__rsection *heft__report_section(heft__report *r);
heft__rchart *heft__report_chart(heft__report *r, heft__rsection *s);
heft__rtable *heft__report_table(heft__report *r, heft__rsection *s,
                                 size_t ncol, size_t nrow);

/* The histograms of one score table: path is a .tsv with the header
 * "row\tlabel\t..." or a .npy whose columns are names[0..ncol). Adds one
 * chart per column to s. */
heft_status heft__report_scores_tsv(heft__report *r, heft__rsection *s,
                                    const char *path, heft_error *err);
heft_status heft__report_scores_npy(heft__report *r, heft__rsection *s,
                                    const char *path, const char **names,
                                    size_t ncol, heft_error *err);

/* Writers: the page (inline SVG, no script, no network) and the JSON of
 * the same numbers, appended to b. */
void heft__report_html(const heft__report *r, heft__sbuf *b);
void heft__report_json(const heft__report *r, heft__sbuf *b);
/* One chart as an <svg class="chart"> element. */
void heft__svg_chart(const heft__rchart *c, heft__sbuf *b);

#endif
