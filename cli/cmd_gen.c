/*
 * cmd_gen.c: `heft gen -o FILE --rows N`. Writes a synthetic e-commerce
 * click log with planted defects (flipped labels, bot users, duplicated
 * rows; docs/gen.md) and, with --truth, which rows are defective. The
 * library writes both files under temporary names and renames them when
 * complete; an interrupt removes the temporaries.
 */
#include "common.h"

#include <string.h>

static const cli_option gen_opts[] = {
    {"output", 'o', CLI_STR, "FILE", 0, 0, CLI_REQUIRED,
     "where to write the log (- for stdout)"},
    {"rows", 'n', CLI_U64, "N", 1, 0, "100000", "rows to generate"},
    {"seed", 0, CLI_U64, "S", 0, 0, "1", "random seed"},
    {"flip", 0, CLI_NUM, "R", 0, 1, "0", "share of rows with flipped labels"},
    {"bots", 0, CLI_NUM, "R", 0, 1, "0", "share of users that are bots"},
    {"dups", 0, CLI_NUM, "R", 0, 1, "0", "share of duplicated rows"},
    {"truth", 0, CLI_STR, "FILE", 0, 0, NULL,
     "write the defective rows as \"ROW<TAB>flip|bot|dup\" (0-based)"},
    {"format", 0, CLI_CHOICE, "tsv|criteo", 0, 0, "tsv",
     "TSV with named columns, or the Criteo layout"},
    {"users", 0, CLI_INT, "N", 1, 2147483647, "100000", "distinct users"},
    {"items", 0, CLI_INT, "N", 1, 2147483647, "50000", "distinct items"},
    {"queries", 0, CLI_INT, "N", 1, 2147483647, "20000", "distinct queries"},
    CLI_END,
};

static void gen_opts_from_args(const cli_args *a, heft_gen_opts *o)
{
    *o = heft_gen_opts_default();
    o->rows = cli_u64(a, "rows", o->rows);
    o->seed = cli_u64(a, "seed", o->seed);
    o->flip = cli_num(a, "flip", o->flip);
    o->bots = cli_num(a, "bots", o->bots);
    o->dups = cli_num(a, "dups", o->dups);
    o->users = (uint32_t)cli_int(a, "users", (int)o->users);
    o->items = (uint32_t)cli_int(a, "items", (int)o->items);
    o->queries = (uint32_t)cli_int(a, "queries", (int)o->queries);
    const char *f = cli_str(a, "format");
    if (f)
        o->format = strcmp(f, "criteo") == 0 ? HEFT_GEN_CRITEO : HEFT_GEN_TSV;
    o->progress = cli_progress;
    o->progress_ud = (void *)a;
}

static int run_gen(const cli_args *a)
{
    heft_gen_opts go;
    gen_opts_from_args(a, &go);
    const char *out = cli_str(a, "output"), *truth = cli_str(a, "truth");
    if (truth && strcmp(truth, out) == 0)
        return cli_usage_error(a->cmd, "--truth and -o name the same file");
    char *t1 = strcmp(out, "-") ? cli_track_lib_tmp(out) : NULL;
    char *t2 = truth && strcmp(truth, "-") ? cli_track_lib_tmp(truth) : NULL;
    heft_error err;
    double t0 = cli_now();
    int rc = CLI_OK;
    if (heft_gen(out, truth, &go, &err) != HEFT_OK)
        rc = cli_fail(&err);
    cli_progress_done();
    if (rc == CLI_OK)
        cli_info(a, "generated %llu rows in %.2f s; wrote %s%s%s",
                 (unsigned long long)go.rows, cli_now() - t0, out,
                 truth ? " and " : "", truth ? truth : "");
    cli_forget_lib_tmp(t1);
    cli_forget_lib_tmp(t2);
    return rc;
}

const cli_command cli_cmd_gen = {
    .name = "gen",
    .synopsis = "-o FILE [--rows N] [OPTIONS]",
    .summary = "Generate a synthetic click log with planted defects",
    .details = "TSV columns are named: the label column is `click`, the "
               "group column\n`query_id` (docs/gen.md describes them all).",
    .min_pos = 0,
    .max_pos = 0,
    .opts = gen_opts,
    .run = run_gen,
};
