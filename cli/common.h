/*
 * common.h: what the heft subcommands share: a small table-driven option
 * parser, the data-reading flags, progress and error printing, and atomic
 * text output. The CLI uses only the public API (include/heft.h).
 *
 * Each subcommand (cli/cmd_*.c) declares one const cli_command: its name,
 * positional arguments, one table of its own options and whether it reads
 * data (then the data-reading flags of cli_read_table apply as well). The
 * same tables drive parsing, validation of values (ranges, choices) and the
 * text of `heft help COMMAND`, so help can never list an option that the
 * parser does not know, nor miss one.
 */
#ifndef HEFT_CLI_COMMON_H
#define HEFT_CLI_COMMON_H

#include "heft.h"

#include <stdint.h>
#include <stdio.h>

/* Exit codes: only the CLI chooses them. */
enum { CLI_OK = 0, CLI_ERR = 1, CLI_USAGE = 2 };

/* The argument kind of an option; values are checked while parsing, so a
 * command's getters never see a malformed or out-of-range value. */
typedef enum cli_kind {
    CLI_FLAG,   /* no argument                                         */
    CLI_STR,    /* any string                                          */
    CLI_INT,    /* integer in [lo, hi]                                 */
    CLI_U64,    /* unsigned 64-bit integer >= lo                       */
    CLI_NUM,    /* real number in [lo, hi]                             */
    CLI_CHOICE, /* one of the '|'-separated words in meta              */
} cli_kind;

/* One row of an option table. Tables end with a row whose name is NULL.
 * def is the default as help shows it ("20", "off", "lr 3, fm 5"); NULL
 * means "none"; CLI_REQUIRED as def makes the option mandatory. */
typedef struct cli_option {
    const char *name; /* long name without the dashes                   */
    char short_name;  /* one-letter alias ('o' for -o) or 0             */
    cli_kind kind;
    const char *meta; /* argument name in help; the choices for CHOICE  */
    double lo, hi;    /* range for INT and NUM (lo only for U64)        */
    const char *def;
    const char *help;
} cli_option;

#define CLI_REQUIRED "required"
#define CLI_END {NULL, 0, CLI_FLAG, NULL, 0, 0, NULL, NULL}

/* Groups of shared options a command accepts besides its own table. */
#define CLI_READS_DATA 1u /* the data-reading flags (cli_read_table) */
#define CLI_TRAINS 2u     /* the model-training flags (cli_train_table) */
#define CLI_SCORES 4u     /* the estimators' flags (cli_score_table)    */

struct cli_args;

typedef struct cli_command {
    const char *name;
    const char *synopsis; /* positional part: "TRAIN [--valid V] -o MODEL" */
    const char *summary;  /* one line for `heft help`                    */
    const char *details;  /* paragraph(s) for `heft help NAME`, or NULL  */
    int min_pos, max_pos; /* number of positional arguments              */
    unsigned groups;      /* CLI_READS_DATA ...                          */
    const cli_option *opts;
    int (*run)(const struct cli_args *a);
    /* Optional: writes the default text of option name into buf when it
     * is computed (e.g. from the library's per-model defaults); returns 0
     * to fall back to the table's def. */
    int (*dyn_default)(const char *name, char *buf, size_t cap);
    /* Optional: prints more help after details (e.g. a list of methods
     * taken from the library), before the option tables. */
    void (*extra_help)(FILE *f);
} cli_command;

#define CLI_MAX_POS 8
#define CLI_MAX_SET 64

/* The parsed command line of one command. Values point into argv. */
typedef struct cli_args {
    const cli_command *cmd;
    const char *pos[CLI_MAX_POS];
    int n_pos;
    const cli_option *set_opt[CLI_MAX_SET]; /* options given, in order */
    const char *set_val[CLI_MAX_SET];       /* their values ("" flags) */
    int n_set;
    int quiet;
    int help;
} cli_args;

/* Every command, in the order `heft help` lists them (main.c). */
extern const cli_command *const cli_commands[];
extern const size_t cli_n_commands;
const cli_command *cli_find_command(const char *name);

/* The shared tables (common.c). */
extern const cli_option cli_read_table[];
extern const cli_option cli_global_table[];
extern const cli_option cli_train_table[];
extern const cli_option cli_score_table[]; /* cmd_score.c */

/* Parses argv[0..argc) (the words after the command name) into a. Returns
 * CLI_OK, or CLI_USAGE after printing the problem and a hint. */
int cli_parse(const cli_command *cmd, int argc, char **argv, cli_args *a);

/* Getters. name must be an option the command accepts (checked: a typo is
 * a programming error and aborts). The value was validated by cli_parse;
 * when the option was not given, def is returned (cli_str: NULL). */
int cli_given(const cli_args *a, const char *name);
const char *cli_str(const cli_args *a, const char *name);
int cli_flag(const cli_args *a, const char *name);
int cli_int(const cli_args *a, const char *name, int def);
uint64_t cli_u64(const cli_args *a, const char *name, uint64_t def);
double cli_num(const cli_args *a, const char *name, double def);

/* Threads for training, prediction and evaluation: --threads when given
 * (0 = every online core), else def. */
int cli_threads(const cli_args *a, int def);

/* Prints "heft: CMD: message" and the hint to `heft help CMD` to stderr and
 * returns CLI_USAGE. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prints "heft: FILE:LINE:COL: message" from e; returns CLI_ERR. */
int cli_fail(const heft_error *e);
/* Prints "heft: message" (printf style); returns CLI_ERR. */
int cli_failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Informational line on stderr unless --quiet. */
void cli_info(const cli_args *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Help text of a command from its tables (cmd_help.c). */
void cli_print_help(const cli_command *cmd, FILE *f);
void cli_print_overview(FILE *f);

/* ---- reading data ---- */

/* Fills o from the data-reading flags on top of heft_read_opts_default(),
 * and hooks up the progress display. Returns CLI_OK or CLI_USAGE. */
int cli_read_opts(const cli_args *a, heft_read_opts *o);
/* Applies the flags that do not change how features are built (format,
 * weight/group/time/position columns, --weight-file, --max-bad-rows,
 * --threads) on top of o, which came from a model or a training set
 * (--weight-file replaces a recorded weight column). Any flag that would
 * change the features (--hash-bits, --label, --num ...) is a usage error
 * naming `who` ("the model"), since data must be read as the model was
 * trained. */
int cli_read_opts_overlay(const cli_args *a, heft_read_opts *o,
                          const char *who);
/* Applies only --max-bad-rows, --threads and the progress display to o
 * (for data read with another data set's resolved options). */
void cli_read_opts_runtime(const cli_args *a, heft_read_opts *o);
/* Reads path with o; on failure prints the error and returns CLI_ERR.
 * Reports skipped bad rows (count and first errors) unless --quiet. */
int cli_read(const cli_args *a, const char *path, const heft_read_opts *o,
             heft_dataset **out);

/* Loads the model at model_path, reads data_path with the model's schema
 * (cli_read_opts_overlay) and predicts every row (cmd_predict.c). On
 * success the caller owns *ds and *pred (malloc'ed, one per row). */
int cli_model_predict(const cli_args *a, const char *model_path,
                      const char *data_path, heft_dataset **ds, float **pred);

/* ---- training flags (CLI_TRAINS) ---- */

/* Fills o from the training flags of cli_train_table on top of
 * heft_train_opts_default(k), with the CLI's log and progress callbacks
 * and --threads. Returns CLI_OK, or CLI_USAGE after printing why. */
int cli_train_opts(const cli_args *a, heft_model_kind k, heft_train_opts *o);
/* A dyn_default for the training flags: the library's defaults per model
 * kind ("lr 3, fm 5, mlp 5"); 0 for any other option name. */
int cli_train_dyn_default(const char *name, char *buf, size_t cap);

/* ---- estimator flags (CLI_SCORES, cmd_score.c) ---- */

/* Checks a --methods list ("all" or comma-separated names) against
 * heft_score_methods(); a usage error naming the known methods if not. */
int cli_check_methods(const cli_args *a, const char *list);
/* Fills o from the estimators' flags and --threads on top of
 * heft_score_opts_default(k), with o->train from cli_train_opts();
 * o->methods is list. Seeds are the caller's. Returns CLI_OK or
 * CLI_USAGE. */
int cli_score_opts(const cli_args *a, heft_model_kind k, const char *list,
                   heft_score_opts *o);
/* The method list to run on train: list itself, or for "all" every
 * method that applies (group only when train has a group column).
 * malloc'ed; NULL when out of memory. */
char *cli_expand_methods(const cli_args *a, const char *list,
                         const heft_dataset *train);
/* dyn_default of the estimators' and training flags. */
int cli_score_dyn_default(const char *name, char *buf, size_t cap);

/* ---- progress and logging ---- */

/* A heft_progress_fn for the library: prints a \r-updated line on stderr
 * when stderr is a terminal, output is not quiet, and the work has run
 * more than a second. ud is the cli_args. */
void cli_progress(void *ud, const char *what, uint64_t done, uint64_t total);
/* Ends a step: clears the progress line if one is showing, and marks the
 * time as the start of the next step (rates and the one-second rule count
 * from there). */
void cli_progress_done(void);
/* A heft_log_fn: one line on stderr (ud is the cli_args; quiet: none). */
void cli_log(void *ud, const char *line);
/* Monotonic seconds. */
double cli_now(void);

/* ---- atomic output ---- */

/* A text output written to "PATH.tmp.PID" and renamed to PATH by
 * cli_out_commit(); cli_out_abort() removes the temporary, so a failure
 * never leaves a partial file nor clobbers an existing PATH. */
typedef struct cli_out {
    FILE *f;
    char *path;
    char *tmp;
} cli_out;

int cli_out_open(cli_out *o, const char *path);    /* CLI_OK or CLI_ERR */
int cli_out_commit(cli_out *o);                    /* CLI_OK or CLI_ERR */
/* The first half of commit: flush, sync and close, without the rename (so
 * several outputs can all be finished before any is renamed). */
int cli_out_finish(cli_out *o);
void cli_out_abort(cli_out *o);                    /* safe after commit */

/* Registers (add 1) or forgets (add 0) a temporary file that an interrupt
 * (SIGINT, SIGTERM, SIGHUP) must remove; at most 8 at a time. The string
 * must stay valid while registered. */
void cli_track_tmp(char *tmp, int add);

/* For a file the library writes (models, .hds, generated logs): registers
 * the library's temporary "PATH.tmp.PID" for removal on an interrupt and
 * returns it (malloc'ed; NULL when out of memory, which only loses the
 * cleanup). cli_forget_lib_tmp() unregisters and frees it. */
char *cli_track_lib_tmp(const char *path);
void cli_forget_lib_tmp(char *tmp);

/* Reads exactly n predictions (one probability in [0,1] per line) from
 * path ("-" = stdin) into pred; errors name path:line:1, and what (e.g.
 * "TEST") names the data they must match. */
int cli_read_predictions(const char *path, float *pred, size_t n,
                         const char *what);

/* JSON helpers: a number, or null for NAN and infinities; a string with
 * quotes, backslashes and control characters escaped. */
void cli_json_num(FILE *f, double v);
void cli_json_str(FILE *f, const char *s);

/* Writes text word by word, the cursor being at column indent, wrapping
 * before column width onto lines indented by indent; returns the column
 * where it stopped (no newline written). */
int cli_print_wrapped(const char *text, int indent, int width, FILE *f);

#endif
