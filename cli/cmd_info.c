/*
 * cmd_info.c: `heft info DATA`. Reads a data file and prints what heft
 * made of it: format, rows, features, positives, the per-row columns it
 * found, skipped bad rows and every field with its name.
 */
#include "common.h"

static const cli_option info_opts[] = {CLI_END};

static const char *yes_no(int v) { return v ? "yes" : "no"; }

static void print_info(const char *path, const heft_dataset *ds, FILE *f)
{
    heft_dataset_info in;
    heft_dataset_get_info(ds, &in);
    double rate = in.rows ? (double)in.positives / (double)in.rows : 0;
    fprintf(f, "%-12s%s\n", "file", path);
    fprintf(f, "%-12s%s\n", "format", heft_format_name(in.source_format));
    fprintf(f, "%-12s%llu\n", "rows", (unsigned long long)in.rows);
    fprintf(f, "%-12s%llu (%.2f per row)\n", "nnz",
            (unsigned long long)in.nnz,
            in.rows ? (double)in.nnz / (double)in.rows : 0.0);
    fprintf(f, "%-12s%llu (%.4f)\n", "positives",
            (unsigned long long)in.positives, rate);
    fprintf(f, "%-12s%s\n", "labels", in.graded ? "graded" : "binary");
    fprintf(f, "%-12s%g%s\n", "weight sum", in.weight_sum,
            in.has_weight ? "" : " (no weight column)");
    fprintf(f, "%-12s%u\n", "hash bits", in.hash_bits);
    fprintf(f, "%-12sweight %s, group %s, time %s, position %s\n", "columns",
            yes_no(in.has_weight), yes_no(in.has_group), yes_no(in.has_time),
            yes_no(in.has_position));
    fprintf(f, "%-12s%llu\n", "bad rows", (unsigned long long)in.bad_rows);
    fprintf(f, "%-12s%u\n", "fields", in.n_fields);
    for (unsigned i = 0; i < in.n_fields; i++) {
        const char *name = heft_dataset_field_name(ds, i);
        fprintf(f, "  %4u  %s\n", i, name ? name : "?");
    }
}

static int run_info(const cli_args *a)
{
    heft_read_opts ro;
    heft_dataset *ds = NULL;
    int rc = cli_read_opts(a, &ro);
    if (rc == CLI_OK)
        rc = cli_read(a, a->pos[0], &ro, &ds);
    if (rc == CLI_OK)
        print_info(a->pos[0], ds, stdout);
    heft_dataset_free(ds);
    return rc;
}

const cli_command cli_cmd_info = {
    .name = "info",
    .synopsis = "DATA [OPTIONS]",
    .summary = "Show a data file's rows, features, fields, positives and bad "
               "rows",
    .min_pos = 1,
    .max_pos = 1,
    .groups = CLI_READS_DATA,
    .opts = info_opts,
    .run = run_info,
};
