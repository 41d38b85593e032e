/* common.c: option parsing, data-reading flags, progress, errors and atomic
 * text output shared by the heft subcommands (see common.h). */
#include "common.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void progress_clear(void);

/* The data-reading flags, accepted by every command that reads data. The
 * defaults shown are heft_read_opts_default()'s. */
const cli_option cli_read_table[] = {
    {"format", 0, CLI_CHOICE,
     "auto|criteo|avazu|csv|tsv|libsvm|libfm|libffm|hds", 0, 0, "auto",
     "input format; auto detects it from the name and first bytes"},
    {"hash-bits", 0, CLI_INT, "B", 1, 30, "20",
     "hash features into 2^B buckets"},
    {"num-transform", 0, CLI_CHOICE, "log|none", 0, 0, "log",
     "numeric values: log1p(v) for v > 0, or kept as they are"},
    {"no-num-buckets", 0, CLI_FLAG, NULL, 0, 0, "off",
     "do not add a bucketized categorical token per numeric value"},
    {"label", 0, CLI_STR, "COL", 0, 0, NULL, "label column (csv/tsv)"},
    {"weight", 0, CLI_STR, "COL", 0, 0, NULL, "sample weight column"},
    {"weight-file", 0, CLI_STR, "FILE", 0, 0, NULL,
     "sample weights of the main input from a sidecar file, one number "
     ">= 0 per data row (plain text), for formats without a weight "
     "column: XGBoost's DATA.weight, LIBLINEAR's -W file (--valid and "
     "--test data are read unweighted)"},
    {"group", 0, CLI_STR, "COL", 0, 0, NULL,
     "group column: query, user or session id (for GAUC, NDCG)"},
    {"time", 0, CLI_STR, "COL", 0, 0, NULL, "timestamp column"},
    {"position", 0, CLI_STR, "COL", 0, 0, NULL, "display position column"},
    {"num", 0, CLI_STR, "COLS", 0, 0, NULL,
     "comma-separated numeric feature columns"},
    {"cat", 0, CLI_STR, "COLS", 0, 0, NULL,
     "comma-separated categorical feature columns"},
    {"multi", 0, CLI_STR, "COL:SEP", 0, 0, NULL,
     "multi-valued column and its separator (comma-separate several; a "
     "comma separator is written \\,)"},
    {"ignore", 0, CLI_STR, "COLS", 0, 0, NULL, "columns to leave out"},
    {"max-bad-rows", 0, CLI_U64, "N", 0, 0, "0",
     "skip up to N malformed rows instead of failing"},
    {"threads", 0, CLI_INT, "N", 0, 1024, "0",
     "parser threads, 0 = all cores; when given, also the threads of "
     "prediction, evaluation and scoring (SGD itself runs on one)"},
    CLI_END,
};

/* The model-training flags of the commands that train models on the way
 * (score, bench); `train` has its own table with the same flags. The
 * defaults shown are the library's, per model (cli_train_dyn_default). */
const cli_option cli_train_table[] = {
    {"epochs", 0, CLI_INT, "N", 1, 100000, NULL, "passes over the data"},
    {"lr", 0, CLI_NUM, "X", 0, 1e6, NULL, "step size (> 0)"},
    {"l1", 0, CLI_NUM, "X", 0, 1e9, NULL, "L1 strength (FTRL only)"},
    {"l2", 0, CLI_NUM, "X", 0, 1e9, NULL, "L2 strength per sample"},
    {"batch", 0, CLI_INT, "N", 1, 1000000, NULL, "minibatch rows (mlp)"},
    {"factors", 0, CLI_INT, "K", 1, 4096, NULL, "FM factors per feature"},
    {"embed-dim", 0, CLI_INT, "D", 1, 4096, NULL,
     "MLP embedding size per field"},
    {"hidden", 0, CLI_STR, "N,N", 0, 0, NULL,
     "MLP hidden layer sizes (at most 4 layers)"},
    {"optim", 0, CLI_CHOICE, "ftrl|adagrad", 0, 0,
     "ftrl for lr, adagrad for fm and mlp", "optimiser"},
    {"patience", 0, CLI_INT, "N", 0, 100000, NULL,
     "stop after N epochs without improvement on the validation data; "
     "0 = never"},
    {"no-shuffle", 0, CLI_FLAG, NULL, 0, 0, "off",
     "keep the input order in every epoch"},
    CLI_END,
};

const cli_option cli_global_table[] = {
    {"quiet", 'q', CLI_FLAG, NULL, 0, 0, "off",
     "no progress, log or summary lines; errors only"},
    {"help", 'h', CLI_FLAG, NULL, 0, 0, "off", "show this help and exit"},
    CLI_END,
};

/* ---------------------------------------------------------------------- */
/* Option parsing                                                         */
/* ---------------------------------------------------------------------- */

static const cli_option *find_in(const cli_option *t, const char *name,
                                 size_t len, char short_name)
{
    for (; t && t->name; t++) {
        if (short_name ? t->short_name == short_name
                       : strlen(t->name) == len &&
                             memcmp(t->name, name, len) == 0)
            return t;
    }
    return NULL;
}

/* The option called name (len bytes) or with that short name, searched in
 * the command's own table, the read flags if it reads data, then the
 * global flags. */
static const cli_option *find_opt(const cli_command *cmd, const char *name,
                                  size_t len, char short_name)
{
    const cli_option *o = find_in(cmd->opts, name, len, short_name);
    if (!o && (cmd->groups & CLI_SCORES))
        o = find_in(cli_score_table, name, len, short_name);
    if (!o && (cmd->groups & CLI_TRAINS))
        o = find_in(cli_train_table, name, len, short_name);
    if (!o && (cmd->groups & CLI_READS_DATA))
        o = find_in(cli_read_table, name, len, short_name);
    if (!o)
        o = find_in(cli_global_table, name, len, short_name);
    return o;
}

static int choice_ok(const char *choices, const char *v)
{
    size_t n = strlen(v);
    for (const char *p = choices; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && n && memcmp(p, v, n) == 0)
            return 1;
        p += len + (bar != NULL);
    }
    return 0;
}

/* Checks v against o's kind and range; returns CLI_OK or a usage error. */
static int check_value(const cli_command *cmd, const cli_option *o,
                       const char *v)
{
    char *end = NULL;
    errno = 0;
    switch (o->kind) {
    case CLI_FLAG:
    case CLI_STR:
        if (o->kind == CLI_STR && !*v)
            return cli_usage_error(cmd, "--%s: empty value", o->name);
        return CLI_OK;
    case CLI_CHOICE:
        if (choice_ok(o->meta, v))
            return CLI_OK;
        return cli_usage_error(cmd, "--%s: '%s' is not one of %s", o->name,
                               v, o->meta);
    case CLI_INT: {
        long long x = strtoll(v, &end, 10);
        if (errno || end == v || *end || x < (long long)o->lo ||
            x > (long long)o->hi)
            return cli_usage_error(cmd,
                                   "--%s: '%s' is not an integer in %.0f..%.0f",
                                   o->name, v, o->lo, o->hi);
        return CLI_OK;
    }
    case CLI_U64: {
        unsigned long long x = strtoull(v, &end, 10);
        if (errno || end == v || *end || *v == '-' ||
            (double)x < o->lo)
            return cli_usage_error(cmd,
                                   "--%s: '%s' is not an integer >= %.0f",
                                   o->name, v, o->lo);
        return CLI_OK;
    }
    case CLI_NUM: {
        double x = strtod(v, &end);
        if (errno || end == v || *end || !(x >= o->lo && x <= o->hi))
            return cli_usage_error(cmd, "--%s: '%s' is not a number in %g..%g",
                                   o->name, v, o->lo, o->hi);
        return CLI_OK;
    }
    }
    return CLI_OK;
}

static int add_value(const cli_command *cmd, cli_args *a,
                     const cli_option *o, const char *v)
{
    int rc = check_value(cmd, o, v);
    if (rc != CLI_OK)
        return rc;
    if (o == &cli_global_table[0])
        a->quiet = 1;
    if (o == &cli_global_table[1])
        a->help = 1;
    if (a->n_set == CLI_MAX_SET)
        return cli_usage_error(cmd, "too many options");
    a->set_opt[a->n_set] = o;
    a->set_val[a->n_set++] = v;
    return CLI_OK;
}

/* Parses one "--name[=value]" or "-x" word at argv[*i], consuming its
 * value from the next word when needed. */
static int parse_option(const cli_command *cmd, int argc, char **argv,
                        int *i, cli_args *a)
{
    const char *w = argv[*i];
    const char *eq = NULL;
    const cli_option *o;
    if (w[1] == '-') {
        const char *name = w + 2;
        eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        o = find_opt(cmd, name, len, 0);
        if (!o)
            return cli_usage_error(cmd, "unknown option '--%.*s'", (int)len,
                                   name);
    } else {
        if (w[2])
            return cli_usage_error(cmd, "unknown option '%s'", w);
        o = find_opt(cmd, NULL, 0, w[1]);
        if (!o)
            return cli_usage_error(cmd, "unknown option '%s'", w);
    }
    if (o->kind == CLI_FLAG) {
        if (eq)
            return cli_usage_error(cmd, "--%s takes no value", o->name);
        return add_value(cmd, a, o, "");
    }
    if (eq)
        return add_value(cmd, a, o, eq + 1);
    if (*i + 1 >= argc)
        return cli_usage_error(cmd, "--%s needs a value (%s)", o->name,
                               o->meta);
    *i += 1;
    return add_value(cmd, a, o, argv[*i]);
}

static int check_required(const cli_command *cmd, const cli_args *a)
{
    for (const cli_option *o = cmd->opts; o->name; o++) {
        if (o->def && strcmp(o->def, CLI_REQUIRED) == 0 &&
            !cli_given(a, o->name)) {
            if (o->short_name)
                return cli_usage_error(cmd, "missing -%c/--%s %s",
                                       o->short_name, o->name, o->meta);
            return cli_usage_error(cmd, "missing --%s %s", o->name, o->meta);
        }
    }
    return CLI_OK;
}

int cli_parse(const cli_command *cmd, int argc, char **argv, cli_args *a)
{
    memset(a, 0, sizeof *a);
    a->cmd = cmd;
    int only_pos = 0;
    for (int i = 0; i < argc; i++) {
        const char *w = argv[i];
        if (!only_pos && strcmp(w, "--") == 0) {
            only_pos = 1;
        } else if (!only_pos && w[0] == '-' && w[1]) {
            int rc = parse_option(cmd, argc, argv, &i, a);
            if (rc != CLI_OK)
                return rc;
        } else {
            if (a->n_pos == CLI_MAX_POS || a->n_pos == cmd->max_pos)
                return cli_usage_error(cmd, "unexpected argument '%s'", w);
            a->pos[a->n_pos++] = w;
        }
    }
    if (a->help)
        return CLI_OK;
    if (a->n_pos < cmd->min_pos)
        return cli_usage_error(cmd, "missing argument (usage: heft %s %s)",
                               cmd->name, cmd->synopsis);
    return check_required(cmd, a);
}

/* The value of the last occurrence of name, or NULL when not given. Aborts
 * when the command does not accept name: that is a bug in the CLI. */
static const char *lookup(const cli_args *a, const char *name)
{
    if (!find_opt(a->cmd, name, strlen(name), 0)) {
        fprintf(stderr, "heft: internal error: %s has no option --%s\n",
                a->cmd->name, name);
        abort();
    }
    for (int i = a->n_set - 1; i >= 0; i--)
        if (strcmp(a->set_opt[i]->name, name) == 0)
            return a->set_val[i];
    return NULL;
}

int cli_given(const cli_args *a, const char *name)
{
    return lookup(a, name) != NULL;
}

const char *cli_str(const cli_args *a, const char *name)
{
    return lookup(a, name);
}

int cli_flag(const cli_args *a, const char *name)
{
    return lookup(a, name) != NULL;
}

int cli_int(const cli_args *a, const char *name, int def)
{
    const char *v = lookup(a, name);
    return v ? (int)strtol(v, NULL, 10) : def;
}

uint64_t cli_u64(const cli_args *a, const char *name, uint64_t def)
{
    const char *v = lookup(a, name);
    return v ? (uint64_t)strtoull(v, NULL, 10) : def;
}

double cli_num(const cli_args *a, const char *name, double def)
{
    const char *v = lookup(a, name);
    return v ? strtod(v, NULL) : def;
}

int cli_threads(const cli_args *a, int def)
{
    if (!cli_given(a, "threads"))
        return def;
    int n = cli_int(a, "threads", def);
    if (n == 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n = c > 0 && c < 1024 ? (int)c : 1;
    }
    return n;
}

/* ---------------------------------------------------------------------- */
/* Messages                                                               */
/* ---------------------------------------------------------------------- */

int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    progress_clear();
    fprintf(stderr, "heft: %s%s", cmd ? cmd->name : "", cmd ? ": " : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (cmd)
        fprintf(stderr, "\nTry 'heft help %s'.\n", cmd->name);
    else
        fprintf(stderr, "\nTry 'heft help'.\n");
    return CLI_USAGE;
}

int cli_fail(const heft_error *e)
{
    char buf[1200];
    progress_clear();
    fprintf(stderr, "heft: %s\n", heft_error_format(e, buf, sizeof buf));
    return CLI_ERR;
}

int cli_failf(const char *fmt, ...)
{
    va_list ap;
    progress_clear();
    fputs("heft: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return CLI_ERR;
}

void cli_info(const cli_args *a, const char *fmt, ...)
{
    if (a && a->quiet)
        return;
    va_list ap;
    progress_clear();
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* ---------------------------------------------------------------------- */
/* Read options                                                           */
/* ---------------------------------------------------------------------- */

/* The flags that change how features are built; they cannot be applied on
 * top of a model's recorded schema. */
static const char *const schema_flags[] = {
    "hash-bits", "num-transform", "no-num-buckets", "label", "num", "cat",
    "multi",     "ignore",        NULL,
};

void cli_read_opts_runtime(const cli_args *a, heft_read_opts *o)
{
    o->max_bad_rows = cli_u64(a, "max-bad-rows", o->max_bad_rows);
    o->threads = cli_int(a, "threads", o->threads);
    o->progress = cli_progress;
    o->progress_ud = (void *)a;
}

/* Applies the flags that never change the features. */
static void apply_row_flags(const cli_args *a, heft_read_opts *o)
{
    const char *v;
    cli_read_opts_runtime(a, o);
    if ((v = cli_str(a, "format")) != NULL)
        heft_format_parse(v, &o->format); /* validated by the table */
    if ((v = cli_str(a, "weight")) != NULL)
        o->weight_col = v;
    if ((v = cli_str(a, "weight-file")) != NULL) {
        o->weight_file = v;
        o->weight_col = NULL; /* a model's recorded column gives way */
    }
    if ((v = cli_str(a, "group")) != NULL)
        o->group_col = v;
    if ((v = cli_str(a, "time")) != NULL)
        o->time_col = v;
    if ((v = cli_str(a, "position")) != NULL)
        o->position_col = v;
}

/* Weights come from a column or from a sidecar file, not both. */
static int check_weight_flags(const cli_args *a)
{
    if (cli_given(a, "weight") && cli_given(a, "weight-file"))
        return cli_usage_error(a->cmd, "give --weight COL or --weight-file "
                               "FILE, not both");
    return CLI_OK;
}

int cli_read_opts(const cli_args *a, heft_read_opts *o)
{
    *o = heft_read_opts_default();
    if (check_weight_flags(a) != CLI_OK)
        return CLI_USAGE;
    apply_row_flags(a, o);
    o->hash_bits = (unsigned)cli_int(a, "hash-bits", (int)o->hash_bits);
    const char *v = cli_str(a, "num-transform");
    if (v)
        o->num_transform = strcmp(v, "none") == 0 ? HEFT_NUM_NONE
                                                   : HEFT_NUM_LOG;
    if (cli_flag(a, "no-num-buckets"))
        o->num_buckets = 0;
    o->label_col = cli_str(a, "label") ? cli_str(a, "label") : o->label_col;
    o->num_cols = cli_str(a, "num") ? cli_str(a, "num") : o->num_cols;
    o->cat_cols = cli_str(a, "cat") ? cli_str(a, "cat") : o->cat_cols;
    o->multi_cols = cli_str(a, "multi") ? cli_str(a, "multi") : o->multi_cols;
    o->ignore_cols =
        cli_str(a, "ignore") ? cli_str(a, "ignore") : o->ignore_cols;
    heft_error err;
    if (heft_read_opts_check(o, &err) != HEFT_OK)
        return cli_usage_error(a->cmd, "%s", err.msg);
    return CLI_OK;
}

int cli_read_opts_overlay(const cli_args *a, heft_read_opts *o,
                          const char *who)
{
    for (const char *const *f = schema_flags; *f; f++)
        if (cli_given(a, *f))
            return cli_usage_error(a->cmd,
                                   "--%s cannot be used here: data is read "
                                   "with the schema recorded in %s",
                                   *f, who);
    if (check_weight_flags(a) != CLI_OK)
        return CLI_USAGE;
    apply_row_flags(a, o);
    return CLI_OK;
}

/* Prints how many rows were skipped and the first few errors. */
static void report_bad_rows(const cli_args *a, const char *path,
                            const heft_dataset *ds)
{
    heft_dataset_info info;
    heft_dataset_get_info(ds, &info);
    if (!info.bad_rows || a->quiet)
        return;
    cli_progress_done();
    fprintf(stderr, "heft: %s: skipped %llu bad row%s (--max-bad-rows %llu)\n",
            path, (unsigned long long)info.bad_rows,
            info.bad_rows == 1 ? "" : "s",
            (unsigned long long)cli_u64(a, "max-bad-rows", 0));
    heft_error e;
    char buf[1200];
    for (size_t i = 0; heft_dataset_bad_row(ds, i, &e) == HEFT_OK; i++)
        fprintf(stderr, "heft:   %s\n", heft_error_format(&e, buf, sizeof buf));
}

/* 1 if path is an .hds file (by its magic bytes, or --format hds). */
static int is_hds(const char *path, const heft_read_opts *o)
{
    if (o->format == HEFT_FMT_HDS)
        return 1;
    if (strcmp(path, "-") == 0)
        return 0;
    char head[8] = {0};
    FILE *fp = fopen(path, "rb");
    size_t n = fp ? fread(head, 1, sizeof head, fp) : 0;
    if (fp)
        fclose(fp);
    return n == 8 && memcmp(head, "HEFTHDS", 8) == 0;
}

/* Column and hashing flags cannot change an .hds file, whose features were
 * built by `heft convert`: refuse them on the command's main input rather
 * than ignore them. */
static int check_hds_flags(const cli_args *a, const char *path,
                           const heft_read_opts *o)
{
    static const char *const row_cols[] = {"weight", "group", "time",
                                           "position", NULL};
    /* --weight-file goes with the read options of the input it weights
     * (audit's TRAIN, not its TEST), wherever that is on the line. */
    if (o->weight_file && is_hds(path, o))
        return cli_usage_error(a->cmd,
                               "%s: --weight-file cannot change an .hds "
                               "file; give it to `heft convert` instead",
                               path);
    if (a->n_pos == 0 || strcmp(path, a->pos[a->n_pos - 1]) != 0 ||
        !is_hds(path, o))
        return CLI_OK;
    for (int k = 0; k < 2; k++)
        for (const char *const *f = k ? row_cols : schema_flags; *f; f++)
            if (cli_given(a, *f))
                return cli_usage_error(a->cmd,
                                       "%s: --%s cannot change an .hds file; "
                                       "give it to `heft convert` instead",
                                       path, *f);
    return CLI_OK;
}

int cli_read(const cli_args *a, const char *path, const heft_read_opts *o,
             heft_dataset **out)
{
    heft_error err;
    memset(&err, 0, sizeof err);
    *out = NULL;
    int rc = check_hds_flags(a, path, o);
    if (rc != CLI_OK)
        return rc;
    heft_status s = heft_dataset_read(path, o, out, &err);
    cli_progress_done();
    if (s != HEFT_OK) {
        if (!err.msg[0]) {
            err.code = s;
            snprintf(err.file, sizeof err.file, "%s", path);
        }
        return cli_fail(&err);
    }
    report_bad_rows(a, path, *out);
    return CLI_OK;
}

/* ---------------------------------------------------------------------- */
/* Training flags                                                         */
/* ---------------------------------------------------------------------- */

/* One numeric training default of kind k, by option name. */
static double train_default(const char *name, heft_model_kind k, int *ok)
{
    const heft_train_opts o = heft_train_opts_default(k);
    *ok = 1;
    if (strcmp(name, "epochs") == 0) return o.epochs;
    if (strcmp(name, "lr") == 0) return o.lr;
    if (strcmp(name, "l1") == 0) return o.l1;
    if (strcmp(name, "l2") == 0) return o.l2;
    if (strcmp(name, "batch") == 0) return o.batch;
    if (strcmp(name, "factors") == 0) return o.factors;
    if (strcmp(name, "embed-dim") == 0) return o.embed_dim;
    if (strcmp(name, "patience") == 0) return o.patience;
    *ok = 0;
    return 0;
}

int cli_train_dyn_default(const char *name, char *buf, size_t cap)
{
    if (strcmp(name, "hidden") == 0) {
        const heft_train_opts o = heft_train_opts_default(HEFT_MODEL_MLP);
        size_t n = 0;
        buf[0] = '\0';
        for (int i = 0; i < o.n_hidden && i < HEFT_MAX_HIDDEN && n < cap; i++)
            n += (size_t)snprintf(buf + n, cap - n, "%s%d", i ? "," : "",
                                  o.hidden[i]);
        return 1;
    }
    int ok;
    double v[HEFT_MODEL__COUNT];
    for (int k = 0; k < HEFT_MODEL__COUNT; k++) {
        v[k] = train_default(name, (heft_model_kind)k, &ok);
        if (!ok)
            return 0;
    }
    /* A step size of 0 means the model chooses it (lr: tuned). */
    char t[HEFT_MODEL__COUNT][32];
    for (int k = 0; k < HEFT_MODEL__COUNT; k++) {
        if (strcmp(name, "lr") == 0 && v[k] == 0)
            snprintf(t[k], sizeof t[k], "auto");
        else
            snprintf(t[k], sizeof t[k], "%g", v[k]);
    }
    if (v[0] == v[1] && v[1] == v[2])
        snprintf(buf, cap, "%s", t[0]);
    else
        snprintf(buf, cap, "lr %s, fm %s, mlp %s", t[0], t[1], t[2]);
    return 1;
}

/* Parses "64,32" into o->hidden; returns CLI_OK or a usage error. */
static int parse_hidden(const cli_args *a, const char *s, heft_train_opts *o)
{
    int n = 0;
    const char *p = s;
    while (*p) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || v > 65536 || (*end && *end != ',') ||
            n == HEFT_MAX_HIDDEN)
            return cli_usage_error(a->cmd,
                                   "--hidden: '%s' is not 1 to %d "
                                   "comma-separated sizes in 1..65536",
                                   s, HEFT_MAX_HIDDEN);
        o->hidden[n++] = (int)v;
        p = *end ? end + 1 : end;
    }
    o->n_hidden = n;
    return CLI_OK;
}

int cli_train_opts(const cli_args *a, heft_model_kind k, heft_train_opts *o)
{
    *o = heft_train_opts_default(k);
    o->model = k;
    o->epochs = cli_int(a, "epochs", o->epochs);
    if (cli_given(a, "lr") && cli_num(a, "lr", 0) <= 0)
        return cli_usage_error(a->cmd, "--lr must be > 0");
    o->lr = cli_num(a, "lr", o->lr);
    o->l1 = cli_num(a, "l1", o->l1);
    o->l2 = cli_num(a, "l2", o->l2);
    o->batch = cli_int(a, "batch", o->batch);
    o->factors = cli_int(a, "factors", o->factors);
    o->embed_dim = cli_int(a, "embed-dim", o->embed_dim);
    if (cli_given(a, "hidden") &&
        parse_hidden(a, cli_str(a, "hidden"), o) != CLI_OK)
        return CLI_USAGE;
    const char *opt = cli_str(a, "optim");
    if (opt)
        o->optim = strcmp(opt, "ftrl") == 0 ? HEFT_OPTIM_FTRL
                                            : HEFT_OPTIM_ADAGRAD;
    o->patience = cli_int(a, "patience", o->patience);
    o->threads = cli_threads(a, o->threads);
    if (cli_flag(a, "no-shuffle"))
        o->shuffle = 0;
    o->log = cli_log;
    o->log_ud = (void *)a;
    o->progress = cli_progress;
    o->progress_ud = (void *)a;
    heft_error err;
    if (heft_train_opts_check(o, &err) != HEFT_OK)
        return cli_usage_error(a->cmd, "%s", err.msg);
    return CLI_OK;
}

/* ---------------------------------------------------------------------- */
/* Progress and logging                                                   */
/* ---------------------------------------------------------------------- */

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The one progress line of the process (the CLI is single-threaded at
 * this level; the library calls back from the calling thread). */
static struct {
    char what[64];
    double t0, last;
    double mark; /* when the previous step ended: the next one's start */
    int shown;
    int tty; /* -1 unknown, 0 no, 1 yes */
} g_prog = {{0}, 0, 0, 0, 0, -1};

/* Bytes or rows? Readers report bytes of input; everything else rows. */
static int is_bytes(const char *what)
{
    return strstr(what, "read") != NULL || strstr(what, "byte") != NULL;
}

static void progress_print(const char *what, uint64_t done, uint64_t total,
                           double el)
{
    double rate = el > 0 ? (double)done / el : 0;
    char line[160];
    int n;
    if (is_bytes(what))
        n = snprintf(line, sizeof line, "%s: %.1f MB, %.1f MB/s", what,
                     (double)done / 1e6, rate / 1e6);
    else
        n = snprintf(line, sizeof line, "%s: %llu rows, %.0f rows/s", what,
                     (unsigned long long)done, rate);
    if (total && n > 0 && (size_t)n < sizeof line) {
        double pct = 100.0 * (double)done / (double)total;
        if (rate > 0 && done <= total)
            snprintf(line + n, sizeof line - (size_t)n,
                     ", %.0f%%, ETA %.0f s", pct,
                     (double)(total - done) / rate);
        else
            snprintf(line + n, sizeof line - (size_t)n, ", %.0f%%", pct);
    }
    fprintf(stderr, "\r%-79s", line);
    fflush(stderr);
    g_prog.shown = 1;
}

void cli_progress(void *ud, const char *what, uint64_t done, uint64_t total)
{
    const cli_args *a = ud;
    if (a && a->quiet)
        return;
    if (g_prog.tty < 0)
        g_prog.tty = isatty(STDERR_FILENO);
    if (!g_prog.tty)
        return;
    double now = cli_now();
    what = what ? what : "working";
    if (strncmp(g_prog.what, what, sizeof g_prog.what - 1) != 0) {
        snprintf(g_prog.what, sizeof g_prog.what, "%s", what);
        /* The library reports after a while, not at its start. */
        g_prog.t0 = g_prog.mark > 0 ? g_prog.mark : now;
        g_prog.last = 0;
    }
    double el = now - g_prog.t0;
    if (el < 1.0 || now - g_prog.last < 0.2)
        return;
    g_prog.last = now;
    progress_print(g_prog.what, done, total, el);
}

/* Wipes the progress line (before other output); the step goes on. */
static void progress_clear(void)
{
    if (g_prog.shown) {
        fprintf(stderr, "\r%79s\r", "");
        fflush(stderr);
    }
    g_prog.shown = 0;
}

void cli_progress_done(void)
{
    progress_clear();
    g_prog.what[0] = '\0';
    g_prog.mark = cli_now();
}

void cli_log(void *ud, const char *line)
{
    const cli_args *a = ud;
    if (a && a->quiet)
        return;
    progress_clear();
    fprintf(stderr, "%s\n", line);
}

/* ---------------------------------------------------------------------- */
/* Atomic text output                                                     */
/* ---------------------------------------------------------------------- */

/* Temporaries being written, so that an interrupt (Ctrl-C, SIGTERM)
 * removes them too: unlink() is async-signal-safe. */
enum { MAX_LIVE_TMP = 8 };
static char *volatile g_live_tmp[MAX_LIVE_TMP];

static void on_signal(int sig)
{
    for (int i = 0; i < MAX_LIVE_TMP; i++)
        if (g_live_tmp[i])
            unlink(g_live_tmp[i]);
    signal(sig, SIG_DFL);
    raise(sig);
}

void cli_track_tmp(char *tmp, int add)
{
    static int installed;
    if (!installed) {
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        signal(SIGHUP, on_signal);
        installed = 1;
    }
    for (int i = 0; i < MAX_LIVE_TMP; i++) {
        if (add && !g_live_tmp[i]) {
            g_live_tmp[i] = tmp;
            return;
        }
        if (!add && g_live_tmp[i] == tmp) {
            g_live_tmp[i] = NULL;
            return;
        }
    }
}

char *cli_track_lib_tmp(const char *path)
{
    size_t n = strlen(path) + 32;
    char *t = malloc(n);
    if (t) {
        snprintf(t, n, "%s.tmp.%ld", path, (long)getpid());
        cli_track_tmp(t, 1);
    }
    return t;
}

void cli_forget_lib_tmp(char *tmp)
{
    if (tmp) {
        cli_track_tmp(tmp, 0);
        free(tmp);
    }
}

int cli_out_open(cli_out *o, const char *path)
{
    memset(o, 0, sizeof *o);
    size_t n = strlen(path) + 32;
    o->path = strdup(path);
    o->tmp = malloc(n);
    if (!o->path || !o->tmp) {
        cli_out_abort(o);
        return cli_failf("out of memory");
    }
    snprintf(o->tmp, n, "%s.tmp.%ld", path, (long)getpid());
    cli_track_tmp(o->tmp, 1);
    o->f = fopen(o->tmp, "wb");
    if (!o->f) {
        int e = errno;
        cli_out_abort(o);
        return cli_failf("%s: cannot create: %s", path, strerror(e));
    }
    return CLI_OK;
}

int cli_out_finish(cli_out *o)
{
    if (!o->f)
        return CLI_OK;
    int bad = ferror(o->f) != 0;
    int e = bad ? EIO : 0;
    if (fflush(o->f) != 0 || fsync(fileno(o->f)) != 0) {
        bad = 1;
        e = errno;
    }
    if (fclose(o->f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    o->f = NULL;
    if (bad) {
        cli_failf("%s: cannot write: %s", o->path, strerror(e));
        cli_out_abort(o);
        return CLI_ERR;
    }
    return CLI_OK;
}

int cli_out_commit(cli_out *o)
{
    if (cli_out_finish(o) != CLI_OK)
        return CLI_ERR;
    if (rename(o->tmp, o->path) != 0) {
        cli_failf("%s: cannot rename %s to it: %s", o->path, o->tmp,
                  strerror(errno));
        cli_out_abort(o);
        return CLI_ERR;
    }
    cli_track_tmp(o->tmp, 0);
    free(o->tmp);
    free(o->path);
    memset(o, 0, sizeof *o);
    return CLI_OK;
}

void cli_out_abort(cli_out *o)
{
    if (o->f)
        fclose(o->f);
    if (o->tmp) {
        remove(o->tmp);
        cli_track_tmp(o->tmp, 0);
    }
    free(o->tmp);
    free(o->path);
    memset(o, 0, sizeof *o);
}

void cli_json_num(FILE *f, double v)
{
    if (isnan(v) || isinf(v))
        fputs("null", f);
    else
        fprintf(f, "%.10g", v);
}

void cli_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(f, "\\u%04x", (unsigned char)*s);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

/* One prediction: a probability in [0,1], trailing blanks allowed. */
static int parse_pred(const char *path, size_t line, const char *s,
                      float *out)
{
    char *end;
    errno = 0;
    const double v = strtod(s, &end);
    while (*end == ' ' || *end == '\t' || *end == '\r')
        end++;
    if (end == s || *end || errno || !(v >= 0 && v <= 1))
        return cli_failf("%s:%zu:1: expected a probability in [0,1], got "
                         "'%.40s'", path, line, s);
    *out = (float)v;
    return CLI_OK;
}

int cli_read_predictions(const char *path, float *pred, size_t n,
                         const char *what)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f)
        return cli_failf("%s: cannot open: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0, i = 0;
    ssize_t len;
    int rc = CLI_OK;
    while (rc == CLI_OK && (len = getline(&line, &cap, f)) >= 0) {
        if (len > 0 && line[len - 1] == '\n')
            line[len - 1] = '\0';
        rc = i == n ? cli_failf("%s:%zu:1: more predictions than the %zu "
                                "rows of %s", path, i + 1, n, what)
                    : parse_pred(path, i + 1, line, &pred[i]);
        i++;
    }
    if (rc == CLI_OK && ferror(f))
        rc = cli_failf("%s: read error", path);
    if (rc == CLI_OK && i < n)
        rc = cli_failf("%s:%zu:1: %zu predictions but %s has %zu rows", path,
                       i + 1, i, what, n);
    free(line);
    if (f != stdin)
        fclose(f);
    return rc;
}
