/*
 * cmd_help.c: `heft help [COMMAND]`. The help of a command is generated
 * from its option tables (common.h), so it lists every option the parser
 * accepts, each with its default.
 */
#include "common.h"

#include <string.h>

/* Left column of an option: "  -o, --output FILE". */
static int option_left(const cli_option *o, char *buf, size_t cap)
{
    char sh[8] = "    ";
    if (o->short_name)
        snprintf(sh, sizeof sh, "-%c, ", o->short_name);
    if (o->kind == CLI_FLAG)
        return snprintf(buf, cap, "  %s--%s", sh, o->name);
    return snprintf(buf, cap, "  %s--%s %s", sh, o->name, o->meta);
}

enum { HELP_COL = 32, HELP_WIDTH = 79 };

int cli_print_wrapped(const char *text, int indent, int width, FILE *f)
{
    int col = indent;
    const char *p = text;
    while (*p) {
        const char *sp = strchr(p, ' ');
        int len = sp ? (int)(sp - p) : (int)strlen(p);
        if (col > indent && col + 1 + len > width) {
            fprintf(f, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', f);
            col++;
        }
        fprintf(f, "%.*s", len, p);
        col += len;
        p += len;
        while (*p == ' ')
            p++;
    }
    return col;
}

/* Writes text from column HELP_COL, wrapped before column HELP_WIDTH, then
 * tail unbroken (on a line of its own when it does not fit). */
static void print_wrapped(const char *text, const char *tail, FILE *f)
{
    int col = cli_print_wrapped(text, HELP_COL, HELP_WIDTH, f);
    if (col + 1 + (int)strlen(tail) > HELP_WIDTH)
        fprintf(f, "\n%*s%s\n", HELP_COL, "", tail);
    else
        fprintf(f, " %s\n", tail);
}

static void print_option(const cli_command *cmd, const cli_option *o,
                         FILE *f)
{
    char left[160], dyn[160], tail[200];
    const char *def = o->def;
    if (cmd && cmd->dyn_default && cmd->dyn_default(o->name, dyn, sizeof dyn))
        def = dyn;
    int n = option_left(o, left, sizeof left);
    if (n > HELP_COL - 2)
        fprintf(f, "%s\n%*s", left, HELP_COL, "");
    else
        fprintf(f, "%-*s", HELP_COL, left);
    if (def && strcmp(def, CLI_REQUIRED) == 0)
        snprintf(tail, sizeof tail, "(required)");
    else
        snprintf(tail, sizeof tail, "(default: %s)", def ? def : "none");
    print_wrapped(o->help, tail, f);
}

static void print_table(const cli_command *cmd, const char *title,
                        const cli_option *t, FILE *f)
{
    if (!t || !t->name)
        return;
    fprintf(f, "\n%s:\n", title);
    for (; t->name; t++)
        print_option(cmd, t, f);
}

void cli_print_help(const cli_command *cmd, FILE *f)
{
    fprintf(f, "Usage: heft %s %s\n\n%s.\n", cmd->name, cmd->synopsis,
            cmd->summary);
    if (cmd->details)
        fprintf(f, "\n%s\n", cmd->details);
    if (cmd->extra_help)
        cmd->extra_help(f);
    print_table(cmd, "Options", cmd->opts, f);
    if (cmd->groups & CLI_SCORES)
        print_table(cmd, "Method options", cli_score_table, f);
    if (cmd->groups & CLI_TRAINS)
        print_table(cmd, "Training options", cli_train_table, f);
    if (cmd->groups & CLI_READS_DATA)
        print_table(cmd, "Data-reading options", cli_read_table, f);
    print_table(cmd, "Global options", cli_global_table, f);
}

void cli_print_overview(FILE *f)
{
    fprintf(f, "heft %s: how much each training sample matters to a "
               "CTR or ranking model.\n\n"
               "Usage: heft [--quiet] COMMAND [ARGS] [OPTIONS]\n"
               "       heft --version\n\nCommands:\n",
            heft_version());
    for (size_t i = 0; i < cli_n_commands; i++)
        fprintf(f, "  %-10s%s\n", cli_commands[i]->name,
                cli_commands[i]->summary);
    fprintf(f, "\nGlobal options:\n");
    fprintf(f, "  %-30s%s\n", "-V, --version",
            "print the version and the compiled-in codecs");
    for (const cli_option *o = cli_global_table; o->name; o++) {
        char left[64];
        snprintf(left, sizeof left, "-%c, --%s", o->short_name, o->name);
        fprintf(f, "  %-30s%s\n", left, o->help);
    }
    fprintf(f, "\nRun 'heft help COMMAND' or 'heft COMMAND --help' for a "
               "command's options.\n"
               "Exit codes: 0 ok, 1 runtime error (bad input, I/O), "
               "2 usage error.\n");
}

static int run_help(const cli_args *a)
{
    if (a->n_pos == 0) {
        cli_print_overview(stdout);
        return CLI_OK;
    }
    const cli_command *cmd = cli_find_command(a->pos[0]);
    if (!cmd)
        return cli_usage_error(a->cmd, "unknown command '%s'", a->pos[0]);
    cli_print_help(cmd, stdout);
    return CLI_OK;
}

static const cli_option help_opts[] = {CLI_END};

const cli_command cli_cmd_help = {
    .name = "help",
    .synopsis = "[COMMAND]",
    .summary = "Show the commands, or every option of one command",
    .min_pos = 0,
    .max_pos = 1,
    .opts = help_opts,
    .run = run_help,
};
