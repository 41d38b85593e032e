/*
 * cmd_convert.c: `heft convert IN -o OUT.hds`. Reads any supported input
 * and saves it as heft's binary dataset file (docs/hds.md), which later
 * commands memory-map instead of parsing. The library writes OUT through a
 * temporary name, so a failure leaves no partial file.
 */
#include "common.h"

static const cli_option convert_opts[] = {
    {"output", 'o', CLI_STR, "OUT.hds", 0, 0, CLI_REQUIRED,
     "where to write the binary dataset"},
    CLI_END,
};

static int run_convert(const cli_args *a)
{
    heft_read_opts ro;
    heft_dataset *ds = NULL;
    heft_error err;
    const char *out = cli_str(a, "output");
    double t0 = cli_now();
    int rc = cli_read_opts(a, &ro);
    if (rc == CLI_OK)
        rc = cli_read(a, a->pos[0], &ro, &ds);
    if (rc == CLI_OK) {
        char *tmp = cli_track_lib_tmp(out);
        if (heft_dataset_save(ds, out, &err) != HEFT_OK)
            rc = cli_fail(&err);
        cli_forget_lib_tmp(tmp);
    }
    if (rc == CLI_OK) {
        heft_dataset_info info;
        heft_dataset_get_info(ds, &info);
        cli_info(a, "converted %llu rows (%llu features) in %.2f s; wrote %s",
                 (unsigned long long)info.rows, (unsigned long long)info.nnz,
                 cli_now() - t0, out);
    }
    heft_dataset_free(ds);
    return rc;
}

const cli_command cli_cmd_convert = {
    .name = "convert",
    .synopsis = "IN -o OUT.hds [OPTIONS]",
    .summary = "Convert a data file to heft's binary dataset format (.hds)",
    .min_pos = 1,
    .max_pos = 1,
    .groups = CLI_READS_DATA,
    .opts = convert_opts,
    .run = run_convert,
};
