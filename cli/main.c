/*
 * main.c: the heft command-line tool. Dispatches to one subcommand per
 * file (cli/cmd_*.c), handles the global flags (--version, --help,
 * --quiet) and owns the exit codes: 0 ok, 1 runtime error (bad input,
 * I/O), 2 usage error (unknown command or option, missing argument, bad
 * option value).
 *
 *     heft [--quiet] COMMAND [ARGS] [OPTIONS]
 */
#include "common.h"

#include <string.h>

extern const cli_command cli_cmd_train, cli_cmd_predict, cli_cmd_eval,
    cli_cmd_convert, cli_cmd_info, cli_cmd_split, cli_cmd_gen, cli_cmd_demo,
    cli_cmd_score, cli_cmd_select, cli_cmd_bench, cli_cmd_audit,
    cli_cmd_features, cli_cmd_report, cli_cmd_help;

/* Every command in the order `heft help` lists them. */
const cli_command *const cli_commands[] = {
    &cli_cmd_train,  &cli_cmd_predict, &cli_cmd_eval,   &cli_cmd_convert,
    &cli_cmd_info,   &cli_cmd_split,   &cli_cmd_score,  &cli_cmd_select,
    &cli_cmd_bench,  &cli_cmd_audit,   &cli_cmd_features, &cli_cmd_report,
    &cli_cmd_gen,    &cli_cmd_demo,    &cli_cmd_help,
};
const size_t cli_n_commands = sizeof cli_commands / sizeof cli_commands[0];

const cli_command *cli_find_command(const char *name)
{
    for (size_t i = 0; i < cli_n_commands; i++)
        if (strcmp(cli_commands[i]->name, name) == 0)
            return cli_commands[i];
    return NULL;
}

static void print_version(void)
{
    printf("heft %s\n", heft_version());
    printf("gzip input: %s\n", heft_has_gzip() ? "yes" : "no");
    printf("zstd input: %s\n", heft_has_zstd() ? "yes" : "no");
}

int main(int argc, char **argv)
{
    int i = 1, quiet = 0;
    /* Global flags may come before the command (and also after it). */
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *w = argv[i];
        if (strcmp(w, "--version") == 0 || strcmp(w, "-V") == 0) {
            print_version();
            return CLI_OK;
        } else if (strcmp(w, "--help") == 0 || strcmp(w, "-h") == 0) {
            cli_print_overview(stdout);
            return CLI_OK;
        } else if (strcmp(w, "--quiet") == 0 || strcmp(w, "-q") == 0) {
            quiet = 1;
        } else {
            return cli_usage_error(NULL, "unknown option '%s'", w);
        }
    }
    if (i == argc) {
        cli_print_overview(stderr);
        return CLI_USAGE;
    }
    const cli_command *cmd = cli_find_command(argv[i]);
    if (!cmd)
        return cli_usage_error(NULL, "unknown command '%s'", argv[i]);
    cli_args a;
    int rc = cli_parse(cmd, argc - i - 1, argv + i + 1, &a);
    if (rc != CLI_OK)
        return rc;
    if (a.help) {
        cli_print_help(cmd, stdout);
        return CLI_OK;
    }
    a.quiet |= quiet;
    cli_progress_done(); /* marks the start of the first step */
    rc = cmd->run(&a);
    cli_progress_done();
    if (fflush(stdout) != 0 && rc == CLI_OK)
        rc = cli_failf("cannot write to standard output");
    return rc;
}
