/*
 * cmd_report.c: `heft report RUN_DIR -o report.html [--json FILE]`. Draws
 * what score, bench, audit, features and eval wrote into RUN_DIR
 * (docs/run-dir.md) as one self-contained HTML page, and optionally the
 * same numbers as JSON (heft_report_write; docs/report.md).
 */
#include "common.h"

#include <stdlib.h>
#include <string.h>

static const cli_option report_opts[] = {
    {"output", 'o', CLI_STR, "HTML", 0, 0, CLI_REQUIRED,
     "where to write the page (one self-contained HTML file)"},
    {"json", 0, CLI_STR, "FILE", 0, 0, "none",
     "also write the report's numbers as JSON to FILE"},
    CLI_END,
};

static int run_report(const cli_args *a)
{
    const char *html = cli_str(a, "output");
    const char *json = cli_str(a, "json");
    if (json && strcmp(json, html) == 0)
        return cli_usage_error(a->cmd, "--json and -o name the same file");
    char *t1 = cli_track_lib_tmp(html);
    char *t2 = json ? cli_track_lib_tmp(json) : NULL;
    heft_error err;
    heft_status st = heft_report_write(a->pos[0], html, json, &err);
    cli_forget_lib_tmp(t1);
    cli_forget_lib_tmp(t2);
    if (st != HEFT_OK)
        return cli_fail(&err);
    cli_info(a, "report: wrote %s%s%s", html, json ? " and " : "",
             json ? json : "");
    return CLI_OK;
}

const cli_command cli_cmd_report = {
    .name = "report",
    .synopsis = "RUN_DIR -o HTML [--json FILE]",
    .summary = "Draw the runs in a directory as one HTML page (charts, "
               "tables, settings)",
    .details = "Reads the files that score, bench, audit, features and eval "
               "wrote into RUN_DIR\n(their --json documents, score tables "
               "*.tsv and *.npy; see docs/run-dir.md)\nand draws score "
               "histograms by label, removal and addition curves, the\n"
               "pruning frontier, precision-recall curves of noise "
               "detection, a reliability\ndiagram, the audit findings, "
               "feature importance and every run's settings.\nThe page "
               "has no script and loads nothing from the network. A run "
               "file that\ncannot be parsed is an error naming "
               "FILE:LINE:COL, and no page is written.",
    .min_pos = 1,
    .max_pos = 1,
    .groups = 0,
    .opts = report_opts,
    .run = run_report,
};
