/*
 * heft_report.h: public API of the HTML report (src/report); included by heft.h,
 * whose types it uses.
 */
#ifndef HEFT_REPORT_H
#define HEFT_REPORT_H

#include "heft.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------- */
/* Report                                                                 */
/* ---------------------------------------------------------------------- */

/* Builds the report of a run directory: the files that `heft score`,
 * `heft bench`, `heft audit`, `heft features` and `heft eval` wrote there
 * (docs/run-dir.md lists which files and keys are read; others are
 * ignored). Writes out_html, one self-contained HTML page (inline SVG
 * charts, no script, nothing fetched from the network), and/or out_json,
 * the same numbers as JSON (docs/report.md); either may be NULL, not
 * both. Both are written to temporary names and renamed only when both
 * are complete, so a failure leaves no partial file and an existing file
 * untouched.
 *
 * A run file that cannot be parsed, or holds a key of the wrong kind, is
 * an error naming its file, line and column (HEFT_EPARSE); a directory
 * with no run file is HEFT_EEMPTY.
 *
 *     heft_error e;
 *     if (heft_report_write("runs/criteo", "report.html", NULL, &e))
 *         fprintf(stderr, "%s\n", heft_error_format(&e, buf, sizeof buf));
 */
heft_status heft_report_write(const char *run_dir, const char *out_html,
                              const char *out_json, heft_error *err);

#ifdef __cplusplus
}
#endif
#endif /* HEFT_REPORT_H */
