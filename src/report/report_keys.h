/*
 * report_keys.h: what the loaders of report_load.c, report_bench.c and
 * report_runs.c share: reading typed keys out of a run file with errors at
 * the value's line and column, table cells, and curves. Internal to
 * src/report.
 */
#ifndef HEFT_REPORT_KEYS_H
#define HEFT_REPORT_KEYS_H

#include "report_int.h"

/* The state of loading one run file into one section. */
typedef struct heft__rloader {
    heft__report *r;
    heft__arena *a;   /* r's arena                                   */
    const char *path; /* as shown in messages: RUN_DIR/NAME          */
    heft_error *err;
    heft__rsection *sec;
} heft__rloader;

#define HEFT__RL_OOM(L)                                                        \
    heft__err((L)->err, HEFT_ENOMEM, (L)->path, 0, 0, "out of memory")

/* HEFT_EPARSE at value v's line and column of L's file. */
heft_status heft__rl_bad(heft__rloader *L, const heft__jval *v, const char *fmt,
                         ...) HEFT__PRINTF(3, 4);
/* Member key of o when it has type t (*out NULL when absent or null); an
 * error when it has another type. */
heft_status heft__rl_member(heft__rloader *L, const heft__jval *o,
                            const char *key, heft__jtype t,
                            const heft__jval **out);
/* A number member (NaN when absent or null). */
heft_status heft__rl_num(heft__rloader *L, const heft__jval *o, const char *key,
                         double *out);
/* An array of numbers or nulls (NaN) in the arena; *out NULL when absent.
 * With want > 0 it must have want entries, "one per `per`". */
heft_status heft__rl_nums(heft__rloader *L, const heft__jval *o,
                          const char *key, size_t want, const char *per,
                          double **out, size_t *n);
/* An interval [lo, hi] at v (NaN, NaN when v is NULL or null). */
heft_status heft__rl_interval(heft__rloader *L, const heft__jval *v,
                              const char *key, double *lo, double *hi);
/* An array of want intervals (one per step) into arena arrays. */
heft_status heft__rl_intervals(heft__rloader *L, const heft__jval *o,
                               const char *key, size_t want, double **lo,
                               double **hi);
int heft__rl_is_interval(const heft__jval *v);

/* Table cells: text; a number printed with fmt ("-" for NaN); an interval. */
void heft__rl_cell_text(heft__rloader *L, heft__rcell *c, const char *s);
void heft__rl_cell_num(heft__rloader *L, heft__rcell *c, double v,
                       const char *fmt);
/* A number: integers in full, others with 4 significant digits. */
void heft__rl_cell_auto(heft__rloader *L, heft__rcell *c, double v);
void heft__rl_cell_ci(heft__rloader *L, heft__rcell *c, double lo, double hi);
/* Compact text of any value (arrays joined with ", "); in the arena. */
const char *heft__rl_jtext(heft__rloader *L, const heft__jval *v);
/* The section's settings table from root's "settings" object. */
heft_status heft__rl_load_settings(heft__rloader *L, const heft__jval *root);

/* A new line chart in the section (title and axis labels with units). */
heft__rchart *heft__rl_new_chart(heft__rloader *L, const char *title,
                                 const char *x, const char *y);
/* Appends series name: y = o[ykey] (n values over the shared x), with
 * o[ykey "_ci"] as its band when present; idx picks its colour ("random"
 * and "negatives" keep grey dashed and black dotted). */
heft_status heft__rl_add_curve(heft__rloader *L, heft__rchart *c,
                               const char *name, size_t idx,
                               const heft__jval *o, const char *ykey,
                               const double *x, size_t n);
/* A horizontal reference line at `at` (skipped when NaN), band [lo, hi]. */
heft_status heft__rl_add_ref(heft__rloader *L, heft__rchart *c,
                             const char *label, double at, double lo,
                             double hi);
/* One curve per member of methods (its `sub` object when sub is not NULL)
 * plus random, all of ykey against x. */
heft_status heft__rl_curves_chart(heft__rloader *L, const heft__jval *methods,
                                  const heft__jval *random, const char *sub,
                                  const char *ykey, heft__rchart *c,
                                  const double *x, size_t n);
/* A table of an array of objects: one column per key in the order first
 * seen, or, when only is not NULL, per key of the NULL-terminated list
 * only that some object has, in that order. */
heft_status heft__rl_object_table(heft__rloader *L, const heft__jval *arr,
                                  const char *what, const char *title,
                                  const char *const *only);
/* Horizontal bars of number key of the objects of arr, named by their
 * name_key: the max largest, largest first; no chart when none has it. */
heft_status heft__rl_bars_of(heft__rloader *L, const heft__jval *arr,
                             const char *name_key, const char *key,
                             const char *title, const char *unit, size_t max);

/* The loaders of each command's run file (docs/run-dir.md). */
heft_status heft__rl_noise(heft__rloader *L, const heft__jval *root);
heft_status heft__rl_removal(heft__rloader *L, const heft__jval *root);
heft_status heft__rl_prune(heft__rloader *L, const heft__jval *root);
heft_status heft__rl_addition(heft__rloader *L, const heft__jval *root);
heft_status heft__rl_agreement(heft__rloader *L, const heft__jval *root);
heft_status heft__rl_eval(heft__rloader *L, const heft__jval *root);
heft_status heft__rl_audit(heft__rloader *L, const heft__jval *root);
heft_status heft__rl_features(heft__rloader *L, const heft__jval *root);
heft_status heft__rl_score(heft__rloader *L, const heft__jval *root);
heft_status heft__rl_other(heft__rloader *L, const heft__jval *root);

#endif
