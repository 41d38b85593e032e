/*
 * cmd_select.c: `heft select DATA --scores SCORES --method M (--keep F |
 * --drop F | --threshold T | --sample F [--importance] | --negatives W)
 * [--drop-flagged] [--reweight] -o OUT`.
 *
 * Reads DATA and the score table `heft score` wrote for it, checks that
 * they match (row count, labels), chooses rows with heft_select() and
 * writes them: OUT.hds through heft_select_apply() + heft_dataset_save(),
 * any other OUT in DATA's own text format by copying the kept rows' lines
 * (docs/select.md). Weights that are not all 1 go into an appended column
 * (csv, tsv, avazu) or, for formats without a weight column, into the
 * sidecar OUT.weight (one weight per line, as XGBoost and LIBLINEAR's
 * weights extension read it). Every output goes through a temporary name,
 * so a failure leaves no partial file. Prints what was kept per label and
 * group.
 */
#include "common.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const cli_option select_opts[] = {
    {"output", 'o', CLI_STR, "OUT", 0, 0, CLI_REQUIRED,
     "where to write the kept rows: OUT.hds, or any other name for DATA's "
     "own text format"},
    {"scores", 0, CLI_STR, "SCORES", 0, 0, NULL,
     "the table heft score wrote for DATA (.tsv, or .npy with its .json); "
     "needed by every choice but --negatives and plain --sample"},
    {"method", 0, CLI_STR, "M", 0, 0, "the only column",
     "the score column to act on (a method of heft score, e.g. loss, cl, "
     "oob)"},
    {"keep", 0, CLI_NUM, "F", 0, 1, NULL, "keep the share F scoring highest"},
    {"drop", 0, CLI_NUM, "F", 0, 1, NULL, "drop the share F scoring lowest"},
    {"threshold", 0, CLI_NUM, "T", -3.4e38, 3.4e38, NULL,
     "keep the rows scoring T or more"},
    {"sample", 0, CLI_NUM, "F", 0, 1, NULL,
     "keep a share F at random (with --importance: in proportion to the "
     "score)"},
    {"importance", 0, CLI_FLAG, NULL, 0, 0, "off",
     "with --sample: keep row i with probability p_i proportional to its "
     "score, at least --floor x F, weighted 1/p_i (an unbiased loss)"},
    {"floor", 0, CLI_NUM, "E", 1e-6, 1, "0.1",
     "with --importance: no p_i below E x F (no weight above 1/(E F))"},
    {"negatives", 0, CLI_NUM, "W", 1e-9, 1, NULL,
     "keep every positive and a share W of the negatives; train on the "
     "result with heft train --neg-rate W"},
    {"stratify", 0, CLI_STR, "LIST", 0, 0, "none",
     "label, group or label,group: each label, group (--group) or both "
     "keeps its share (with --keep, --drop, --sample, --negatives)"},
    {"drop-flagged", 0, CLI_FLAG, NULL, 0, 0, "off",
     "first remove the rows SCORES flags: cl_ok = 0 (confident learning), "
     "dup < 0 (duplicates with conflicting labels), group valued below 0"},
    {"reweight", 0, CLI_FLAG, NULL, 0, 0, "off",
     "weight the kept rows by score, w = clip(c x score) with mean 1"},
    {"weight-min", 0, CLI_NUM, "LO", 1e-9, 1, "0.1",
     "with --reweight: the smallest weight"},
    {"weight-max", 0, CLI_NUM, "HI", 1, 1e9, "10",
     "with --reweight: the largest weight"},
    {"seed", 0, CLI_U64, "S", 0, 0, "1", "random seed of --sample and "
                                          "--negatives"},
    CLI_END,
};

/* Everything one run holds. */
typedef struct sel_run {
    const cli_args *a;
    heft_select_opts so;
    const char *out, *column;
    int out_hds, drop_flagged;
    heft_dataset *ds;
    heft_score_file *sf;
    uint8_t *drop;
    heft_flag_counts flags;
    heft_selection *sel;
} sel_run;

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

/* The --stratify list into HEFT_STRATIFY_* bits; -1 if malformed. */
static int parse_stratify(const char *s)
{
    if (!s || !strcmp(s, "none"))
        return 0;
    int bits = 0;
    while (*s) {
        size_t n = strcspn(s, ",");
        if (n == 5 && !strncmp(s, "label", 5))
            bits |= HEFT_STRATIFY_LABEL;
        else if (n == 5 && !strncmp(s, "group", 5))
            bits |= HEFT_STRATIFY_GROUP;
        else
            return -1;
        s += n + (s[n] == ',');
    }
    return bits;
}

/* The one choice flag given (NULL: none); a usage error for two. */
static int given_choice(const cli_args *a, const char **given)
{
    static const char *const modes[] = {"keep", "drop", "threshold",
                                        "sample", "negatives"};
    *given = NULL;
    for (int i = 0; i < 5; i++) {
        if (!cli_given(a, modes[i]))
            continue;
        if (*given)
            return cli_usage_error(a->cmd, "--%s and --%s: choose one",
                                   *given, modes[i]);
        *given = modes[i];
    }
    return CLI_OK;
}

/* Flags that only make sense beside another one. */
static int check_companions(const sel_run *r, const char *given, int imp)
{
    const cli_args *a = r->a;
    if (!given && !r->drop_flagged && !r->so.reweight)
        return cli_usage_error(a->cmd, "nothing to do: give --keep, --drop, "
                               "--threshold, --sample, --negatives, "
                               "--drop-flagged or --reweight");
    if (imp && (!given || strcmp(given, "sample")))
        return cli_usage_error(a->cmd, "--importance goes with --sample F");
    if (cli_given(a, "floor") && !imp)
        return cli_usage_error(a->cmd, "--floor goes with --importance");
    if (!r->so.reweight && (cli_given(a, "weight-min") ||
                            cli_given(a, "weight-max")))
        return cli_usage_error(a->cmd, "--weight-min and --weight-max go "
                                       "with --reweight");
    return CLI_OK;
}

/* The mode and its numbers from the flags; usage errors for conflicts. */
static int options(sel_run *r)
{
    const cli_args *a = r->a;
    const char *given;
    int rc = given_choice(a, &given);
    if (rc != CLI_OK)
        return rc;
    heft_select_opts *o = &r->so;
    *o = heft_select_opts_default();
    r->drop_flagged = cli_flag(a, "drop-flagged");
    o->reweight = cli_flag(a, "reweight");
    const int imp = cli_flag(a, "importance");
    if ((rc = check_companions(r, given, imp)) != CLI_OK)
        return rc;
    const char *g = given ? given : "";
    o->mode = !given                   ? HEFT_SELECT_ALL
              : !strcmp(g, "keep")      ? HEFT_SELECT_KEEP
              : !strcmp(g, "drop")      ? HEFT_SELECT_DROP
              : !strcmp(g, "threshold") ? HEFT_SELECT_THRESHOLD
              : !strcmp(g, "negatives") ? HEFT_SELECT_NEGATIVES
              : imp                     ? HEFT_SELECT_IMPORTANCE
                                        : HEFT_SELECT_RANDOM;
    if (!strcmp(g, "keep") || !strcmp(g, "drop") || !strcmp(g, "sample"))
        o->fraction = cli_num(a, g, 0.5);
    o->threshold = cli_num(a, "threshold", 0);
    o->neg_rate = cli_num(a, "negatives", 0.1);
    o->floor = cli_num(a, "floor", 0.1);
    o->weight_min = cli_num(a, "weight-min", 0.1);
    o->weight_max = cli_num(a, "weight-max", 10);
    o->seed = cli_u64(a, "seed", 1);
    o->stratify = parse_stratify(cli_str(a, "stratify"));
    if (o->stratify < 0)
        return cli_usage_error(a->cmd, "--stratify takes label, group, "
                               "label,group or none, not '%s'",
                               cli_str(a, "stratify"));
    if (o->stratify && (o->mode == HEFT_SELECT_ALL ||
                        o->mode == HEFT_SELECT_THRESHOLD))
        return cli_usage_error(a->cmd, "--stratify goes with --keep, --drop, "
                               "--sample or --negatives");
    const int need = r->drop_flagged || o->reweight ||
                     (o->mode != HEFT_SELECT_NEGATIVES &&
                      o->mode != HEFT_SELECT_RANDOM &&
                      o->mode != HEFT_SELECT_ALL);
    if (need && !cli_given(a, "scores"))
        return cli_usage_error(a->cmd, "--%s needs --scores SCORES",
                               given ? given
                               : r->drop_flagged ? "drop-flagged"
                                                 : "reweight");
    r->out = cli_str(a, "output");
    r->out_hds = ends_with(r->out, ".hds");
    return CLI_OK;
}

/* ---- checking DATA and SCORES against each other ---- */

/* Text output copies DATA's lines: it needs an uncompressed text file. */
static int check_text_output(const sel_run *r)
{
    const char *path = r->a->pos[0];
    heft_dataset_info info;
    heft_dataset_get_info(r->ds, &info);
    const heft_format f = info.source_format;
    FILE *in = strcmp(path, "-") ? fopen(path, "rb") : NULL;
    unsigned char m[8] = {0};
    const size_t got = in ? fread(m, 1, 8, in) : 0;
    if (in)
        fclose(in);
    const int hds = got == 8 && !memcmp(m, "HEFTHDS", 8);
    if (hds || f == HEFT_FMT_HDS || !heft_dataset_source_lines(r->ds) || !in)
        return cli_failf("%s: the input is %s; name the output OUT.hds",
                         path, !strcmp(path, "-") ? "standard input"
                               : hds ? "an .hds file"
                                     : heft_format_name(f));
    if ((got >= 2 && m[0] == 0x1f && m[1] == 0x8b) ||
        (got >= 4 && !memcmp(m, "\x28\xb5\x2f\xfd", 4)))
        return cli_failf("%s: the input is compressed; name the output "
                         "OUT.hds, or decompress the input first", path);
    return CLI_OK;
}

/* The score file: same rows as DATA, same labels, the chosen column. */
static int load_scores(sel_run *r, const float **score)
{
    heft_error err;
    const char *sp = cli_str(r->a, "scores");
    *score = NULL;
    if (!sp)
        return CLI_OK;
    if (heft_score_file_read(sp, &r->sf, &err) != HEFT_OK)
        return cli_fail(&err);
    const size_t n = heft_dataset_rows(r->ds);
    if (r->sf->rows != n)
        return cli_failf("%s: has %zu rows but %s has %zu; score the same "
                         "data you select from", sp, r->sf->rows,
                         r->a->pos[0], n);
    const float *lab = heft_dataset_labels(r->ds);
    for (size_t i = 0; r->sf->label && i < n; i++)
        if (r->sf->label[i] != lab[i])
            return cli_failf("%s:%zu:2: label %g but row %zu of %s has "
                             "label %g; were the scores made from this "
                             "data?", sp, i + 2, (double)r->sf->label[i], i,
                             r->a->pos[0], (double)lab[i]);
    r->column = cli_str(r->a, "method");
    if (!r->column && r->sf->cols == 1)
        r->column = r->sf->names[0];
    if (!r->column) {
        if (r->so.mode == HEFT_SELECT_ALL && !r->so.reweight)
            return CLI_OK; /* --drop-flagged alone reads no column */
        return cli_usage_error(r->a->cmd, "%s has %zu columns: name one "
                               "with --method", sp, r->sf->cols);
    }
    *score = heft_score_file_col(r->sf, r->column);
    if (!*score) {
        char list[256] = "";
        for (size_t j = 0, len = 0; j < r->sf->cols && len < 200; j++)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
                                    j ? ", " : "", r->sf->names[j]);
        return cli_failf("%s: no column '%s'; it has %s", sp, r->column,
                         list);
    }
    return CLI_OK;
}

/* --drop-flagged: the rows to remove before choosing. */
static int flag_rows(sel_run *r)
{
    const size_t n = heft_dataset_rows(r->ds);
    r->drop = malloc(n ? n : 1);
    if (!r->drop)
        return cli_failf("out of memory");
    heft_error err;
    if (heft_select_flag(r->sf, heft_dataset_groups(r->ds), n, r->drop,
                         &r->flags, &err) != HEFT_OK)
        return cli_fail(&err);
    r->so.drop = r->drop;
    return CLI_OK;
}

/* ---- writing ---- */

static int write_hds(const sel_run *r)
{
    heft_dataset *sub = NULL;
    heft_error err;
    heft_status s = heft_select_apply(r->ds, r->sel, &sub, &err);
    if (s == HEFT_OK) {
        char *tmp = cli_track_lib_tmp(r->out);
        s = heft_dataset_save(sub, r->out, &err);
        cli_forget_lib_tmp(tmp);
    }
    heft_dataset_free(sub);
    return s == HEFT_OK ? CLI_OK : cli_fail(&err);
}

/* How text lines are rewritten: the delimiter and the name of the weight
 * column appended when the kept rows carry weights (delim 0: none), or
 * the sidecar weight file written instead (formats without a column). */
typedef struct text_fmt {
    int header, quoted;
    char delim;
    const char *wname;
    char *side; /* "OUT.weight" (malloc'ed) or NULL */
} text_fmt;

/* Whether the header line names a column name (quotes and spaces
 * around a name ignored). */
static int header_has(const char *line, char delim, const char *name)
{
    const size_t n = strlen(name);
    for (const char *p = line;;) {
        const char *e = p + strcspn(p, (char[]){delim, '\r', '\n', 0});
        const char *s = p;
        while (s < e && (*s == '"' || *s == ' '))
            s++;
        const char *t = e;
        while (t > s && (t[-1] == '"' || t[-1] == ' '))
            t--;
        if ((size_t)(t - s) == n && !strncmp(s, name, n))
            return 1;
        if (*e != delim)
            return 0;
        p = e + 1;
    }
}

/* Writes line (len bytes, with or without its newline) and, when text is
 * not NULL, delim + text before the line ending. */
static void put_line(FILE *f, const char *s, size_t len, char delim,
                     const char *text)
{
    size_t body = len;
    while (body && (s[body - 1] == '\n' || s[body - 1] == '\r'))
        body--;
    fwrite(s, 1, body, f);
    if (text)
        fprintf(f, "%c%s", delim, text);
    if (body < len)
        fwrite(s + body, 1, len - body, f);
    else
        fputc('\n', f);
}

/* Odd when the line leaves a quoted field open (an RFC 4180 record that
 * goes on over the next line). */
static int quotes_in(const char *s, size_t len)
{
    int q = 0;
    for (size_t i = 0; i < len; i++)
        q += s[i] == '"';
    return q;
}

/* Streams DATA once, copying the header and each kept row's lines, and
 * each kept row's weight to side when the weights go to a sidecar. */
static int copy_rows(const sel_run *r, FILE *in, const text_fmt *tf,
                     FILE *out, FILE *side)
{
    const uint64_t *src = heft_dataset_source_lines(r->ds);
    const float *w0 = heft_dataset_weights(r->ds);
    const heft_selection *s = r->sel;
    char *line = NULL, num[64];
    size_t cap = 0, k = 0;
    ssize_t len;
    int open_quotes = 0, copying = 0;
    for (uint64_t no = 1; (len = getline(&line, &cap, in)) >= 0; no++) {
        const size_t L = (size_t)len;
        if (no == 1 && tf->header) {
            put_line(out, line, L, tf->delim, tf->wname);
            continue;
        }
        if (!copying && k < s->n && src[s->rows[k]] == no) {
            copying = 1;
            open_quotes = 0;
        }
        if (!copying)
            continue;
        open_quotes += tf->quoted ? quotes_in(line, L) : 0;
        const int last = !(open_quotes & 1);
        const char *wt = NULL;
        if (last && (tf->wname || side)) {
            const uint64_t i = s->rows[k];
            snprintf(num, sizeof num, "%.9g",
                     (double)(w0 ? w0[i] : 1.0f) * (double)s->weight[k]);
            wt = num;
            if (side)
                fprintf(side, "%s\n", num);
        }
        put_line(out, line, L, tf->delim, side ? NULL : wt);
        if (last) {
            copying = 0;
            k++;
        }
    }
    const int bad = ferror(in);
    free(line);
    if (bad)
        return cli_failf("%s: read error", r->a->pos[0]);
    if (k < s->n)
        return cli_failf("%s: ended before line %llu of row %llu; was it "
                         "changed while being read?", r->a->pos[0],
                         (unsigned long long)src[s->rows[k]],
                         (unsigned long long)s->rows[k]);
    return CLI_OK;
}

/* The delimiter, header and weight column of DATA's format. The kept rows
 * carry weights when the selection's are not all 1, or when DATA's came
 * from --weight-file (then its lines do not hold them). */
static int text_format(const sel_run *r, FILE *in, text_fmt *tf)
{
    heft_dataset_info info;
    heft_dataset_get_info(r->ds, &info);
    const heft_format f = info.source_format;
    memset(tf, 0, sizeof *tf);
    tf->header = f == HEFT_FMT_CSV || f == HEFT_FMT_TSV || f == HEFT_FMT_AVAZU;
    tf->quoted = tf->header;
    tf->delim = f == HEFT_FMT_TSV ? '\t' : ',';
    if (r->sel->all_weights_one && !cli_given(r->a, "weight-file"))
        return CLI_OK;
    if (!tf->header) {
        const size_t n = strlen(r->out) + sizeof ".weight";
        if (!(tf->side = malloc(n)))
            return cli_failf("out of memory");
        snprintf(tf->side, n, "%s.weight", r->out);
        return CLI_OK;
    }
    char *head = NULL;
    size_t cap = 0;
    const ssize_t len = getline(&head, &cap, in);
    rewind(in);
    tf->wname = "weight";
    if (len > 0 && header_has(head, tf->delim, "weight"))
        tf->wname = "heft_weight";
    const int clash = len > 0 && header_has(head, tf->delim, tf->wname);
    free(head);
    if (clash)
        return cli_failf("%s: already has columns weight and heft_weight; "
                         "name the output OUT.hds", r->a->pos[0]);
    return CLI_OK;
}

/* Puts OUT and its sidecar in place: both are finished (written and
 * synced) before either is renamed, the sidecar first. An existing
 * OUT.weight is moved aside to OUT.weight.heft-prev first, and OUT's
 * rename failing takes the new sidecar away and puts the old one back,
 * so no run leaves OUT with weights that are not its own, nor an old OUT
 * without its weights. */
static int commit_pair(cli_out *out, cli_out *side)
{
    int rc = cli_out_finish(out);
    if (rc == CLI_OK)
        rc = cli_out_finish(side);
    if (rc != CLI_OK)
        return rc;
    const size_t n = strlen(side->path) + sizeof ".heft-prev";
    char *side_path = strdup(side->path), *prev = malloc(n);
    if (!side_path || !prev) {
        free(side_path);
        free(prev);
        return cli_failf("out of memory");
    }
    snprintf(prev, n, "%s.heft-prev", side_path);
    struct stat st;
    const int moved = stat(side_path, &st) == 0 && S_ISREG(st.st_mode) &&
                      rename(side_path, prev) == 0;
    rc = cli_out_commit(side);
    if (rc == CLI_OK && (rc = cli_out_commit(out)) != CLI_OK)
        remove(side_path);
    if (moved && rc != CLI_OK)
        rename(prev, side_path);
    else if (moved)
        remove(prev);
    free(side_path);
    free(prev);
    return rc;
}

/* Without weights to write, an OUT.weight left by an earlier run would be
 * read with the new OUT (XGBoost picks it up by itself): remove it once
 * OUT is in place. Returns 1 when one was removed. */
static int drop_stale_sidecar(const sel_run *r, const text_fmt *tf)
{
    if (tf->header || tf->side)
        return 0;
    const size_t n = strlen(r->out) + sizeof ".weight";
    char *p = malloc(n);
    if (!p)
        return 0;
    snprintf(p, n, "%s.weight", r->out);
    const int gone = remove(p) == 0;
    free(p);
    return gone;
}

static int write_text(const sel_run *r, text_fmt *tf)
{
    FILE *in = fopen(r->a->pos[0], "rb");
    if (!in)
        return cli_failf("%s: cannot open: %s", r->a->pos[0],
                         strerror(errno));
    cli_out out, side;
    memset(&out, 0, sizeof out);
    memset(&side, 0, sizeof side);
    int rc = text_format(r, in, tf);
    if (rc == CLI_OK)
        rc = cli_out_open(&out, r->out);
    if (rc == CLI_OK && tf->side)
        rc = cli_out_open(&side, tf->side);
    if (rc == CLI_OK)
        rc = copy_rows(r, in, tf, out.f, side.f);
    if (rc == CLI_OK)
        rc = tf->side ? commit_pair(&out, &side) : cli_out_commit(&out);
    cli_out_abort(&side);
    cli_out_abort(&out);
    fclose(in);
    if (rc == CLI_OK && drop_stale_sidecar(r, tf))
        cli_info(r->a, "removed %s.weight, left by an earlier run: "
                 "the new %s is unweighted", r->out, r->out);
    return rc;
}

/* ---- the summary ---- */

typedef struct grp_cnt {
    uint64_t g;
    uint8_t kept;
} grp_cnt;

static int cmp_grp(const void *x, const void *y)
{
    const grp_cnt *a = x, *b = y;
    return (a->g > b->g) - (a->g < b->g);
}

static int cmp_dbl(const void *x, const void *y)
{
    const double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* Per group: how many groups keep rows, and the spread of their shares;
 * every group on its own line when there are at most 20. */
static void print_groups(const sel_run *r, const uint8_t *kept)
{
    const uint64_t *g = heft_dataset_groups(r->ds);
    const size_t n = heft_dataset_rows(r->ds);
    grp_cnt *gc = malloc((n ? n : 1) * sizeof *gc);
    double *share = malloc((n ? n : 1) * sizeof *share);
    if (!gc || !share) {
        free(gc);
        free(share);
        return;
    }
    for (size_t i = 0; i < n; i++)
        gc[i] = (grp_cnt){g[i], kept[i]};
    qsort(gc, n, sizeof *gc, cmp_grp);
    size_t ng = 0, nk = 0;
    for (size_t i = 0, j; i < n; i = j) {
        size_t k = 0;
        for (j = i; j < n && gc[j].g == gc[i].g; j++)
            k += gc[j].kept;
        share[ng++] = (double)k / (double)(j - i);
        nk += k > 0;
    }
    printf("groups: %zu, %zu keep rows", ng, nk);
    if (ng > 20) {
        qsort(share, ng, sizeof *share, cmp_dbl);
        printf("; kept share per group: min %.3f, median %.3f, max %.3f\n",
               share[0], share[ng / 2], share[ng - 1]);
    } else {
        printf("\n%-20s %10s %10s %7s\n", "group", "rows", "kept", "share");
        for (size_t i = 0, j, t = 0; i < n; i = j, t++) {
            size_t k = 0;
            for (j = i; j < n && gc[j].g == gc[i].g; j++)
                k += gc[j].kept;
            printf("%-20llu %10zu %10zu %7.3f\n",
                   (unsigned long long)gc[i].g, j - i, k, share[t]);
        }
    }
    free(gc);
    free(share);
}

/* Confident learning flags many more rows than are wrong when the model
 * separates the labels poorly (a weak click model): with 10% of the labels
 * flipped it flagged 15% of frappe's rows, 32% of criteo-subset's and 43%
 * of tmall's (docs/bench-tasks.md), and the extra rows are mostly real,
 * hard positives. Says so on stderr when cl flags over a tenth of the
 * rows. */
static void warn_overflag(const sel_run *r)
{
    const size_t n = heft_dataset_rows(r->ds);
    if (n == 0 || (double)r->flags.cl <= 0.1 * (double)n)
        return;
    fprintf(stderr,
            "heft: warning: confident learning flags %.1f%% of the rows; "
            "with a weak model it flags far more rows than are mislabeled "
            "(mostly real hard positives). To drop only the share you "
            "expect to be wrong, use --method cl --drop F instead "
            "(docs/select.md)\n",
            100.0 * (double)r->flags.cl / (double)n);
}

/* Rows and kept rows per label value (0 and positive when the labels take
 * more than 8 values). */
static void print_labels(const sel_run *r, const uint8_t *kept)
{
    const float *lab = heft_dataset_labels(r->ds);
    const size_t n = heft_dataset_rows(r->ds);
    float v[8];
    size_t nv = 0, rows[9] = {0}, k[9] = {0};
    for (size_t i = 0; i < n && nv <= 8; i++) {
        size_t j = 0;
        while (j < nv && v[j] != lab[i])
            j++;
        if (j == nv && nv++ < 8)
            v[j] = lab[i];
    }
    const int binary = nv > 8;
    if (binary) {
        nv = 2;
        v[0] = 0;
        v[1] = 1;
    }
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        if (binary)
            j = lab[i] > 0;
        else
            while (v[j] != lab[i])
                j++;
        rows[j]++;
        k[j] += kept[i];
    }
    /* Ascending label order for a stable table. */
    for (size_t a = 1; a < nv; a++)
        for (size_t b = a; b > 0 && v[b - 1] > v[b]; b--) {
            float t = v[b];
            v[b] = v[b - 1];
            v[b - 1] = t;
            size_t x = rows[b];
            rows[b] = rows[b - 1];
            rows[b - 1] = x;
            x = k[b];
            k[b] = k[b - 1];
            k[b - 1] = x;
        }
    printf("%-8s %10s %10s %7s\n", "label", "rows", "kept", "share");
    for (size_t j = 0; j < nv; j++) {
        char name[32];
        if (binary)
            snprintf(name, sizeof name, "%s", j ? ">0" : "0");
        else
            snprintf(name, sizeof name, "%g", (double)v[j]);
        printf("%-8s %10zu %10zu %7.3f\n", name, rows[j], k[j],
               rows[j] ? (double)k[j] / (double)rows[j] : 0);
    }
}

static void print_summary(const sel_run *r, const text_fmt *tf)
{
    const heft_selection *s = r->sel;
    const heft_select_opts *o = &r->so;
    const size_t n = heft_dataset_rows(r->ds);
    uint8_t *kept = calloc(n ? n : 1, 1);
    if (!kept)
        return;
    for (size_t k = 0; k < s->n; k++)
        kept[s->rows[k]] = 1;
    printf("kept %zu of %zu rows (%.1f%%): %s", s->n, n,
           n ? 100.0 * (double)s->n / (double)n : 0.0,
           heft_select_mode_name(o->mode));
    if (o->mode == HEFT_SELECT_THRESHOLD)
        printf(" %g", o->threshold);
    else if (o->mode == HEFT_SELECT_NEGATIVES)
        printf(" %g", o->neg_rate);
    else if (o->mode != HEFT_SELECT_ALL)
        printf(" %g", o->fraction);
    if (o->stratify)
        printf(", stratified by %s",
               o->stratify == HEFT_STRATIFY_LABEL   ? "label"
               : o->stratify == HEFT_STRATIFY_GROUP ? "group"
                                                    : "label and group");
    if (o->reweight)
        printf(", reweighted");
    if (r->column && (o->mode != HEFT_SELECT_ALL || o->reweight) &&
        o->mode != HEFT_SELECT_NEGATIVES && o->mode != HEFT_SELECT_RANDOM)
        printf(", by column %s", r->column);
    printf("\n");
    if (r->drop_flagged)
        printf("flagged and removed first: %zu rows (cl_ok = 0: %zu, "
               "conflicting duplicates: %zu, groups valued below 0: %zu)\n",
               r->flags.total, r->flags.cl, r->flags.dup_conflict,
               r->flags.group_negative);
    warn_overflag(r);
    print_labels(r, kept);
    if (heft_dataset_groups(r->ds))
        print_groups(r, kept);
    if (!s->all_weights_one && s->n) {
        double lo = INFINITY, hi = -INFINITY, sum = 0;
        for (size_t k = 0; k < s->n; k++) {
            lo = fmin(lo, s->weight[k]);
            hi = fmax(hi, s->weight[k]);
            sum += s->weight[k];
        }
        printf("selection weights: min %.4g, mean %.4g, max %.4g\n", lo,
               sum / (double)s->n, hi);
    }
    if (o->mode == HEFT_SELECT_NEGATIVES && !tf)
        printf("negatives kept at W = %.6g, recorded in %s: heft train "
               "stores it and predicts calibrated probabilities\n",
               s->neg_rate, r->out);
    else if (o->mode == HEFT_SELECT_NEGATIVES)
        printf("negatives kept at W = %.6g: train with heft train "
               "--neg-rate %.6g for calibrated predictions\n",
               s->neg_rate, s->neg_rate);
    printf("wrote %s", r->out);
    if (tf && tf->wname)
        printf(" (weights in column %s: read it with --weight %s)",
               tf->wname, tf->wname);
    if (tf && tf->side) {
        heft_dataset_info info;
        heft_dataset_get_info(r->ds, &info);
        printf(" and %s, one weight per row: read them with heft train %s "
               "--weight-file %s", tf->side, r->out, tf->side);
        if (info.source_format == HEFT_FMT_LIBSVM)
            printf("; XGBoost picks %s up by itself; LIBLINEAR's weights "
                   "extension takes -W %s", tf->side, tf->side);
    }
    printf("\n");
    free(kept);
}

static int run_select(const cli_args *a)
{
    sel_run r;
    memset(&r, 0, sizeof r);
    r.a = a;
    heft_read_opts ro;
    int rc = options(&r);
    if (rc == CLI_OK)
        rc = cli_read_opts(a, &ro);
    if (rc == CLI_OK)
        rc = cli_read(a, a->pos[0], &ro, &r.ds);
    /* Refuse an impossible output before any work. */
    if (rc == CLI_OK && !r.out_hds)
        rc = check_text_output(&r);
    if (rc == CLI_OK && (r.so.stratify & HEFT_STRATIFY_GROUP) &&
        !heft_dataset_groups(r.ds))
        rc = cli_usage_error(a->cmd, "%s: --stratify group needs a group "
                             "column (--group COL)", a->pos[0]);
    const float *score = NULL;
    if (rc == CLI_OK)
        rc = load_scores(&r, &score);
    if (rc == CLI_OK && r.drop_flagged)
        rc = flag_rows(&r);
    heft_error err;
    if (rc == CLI_OK &&
        heft_select(heft_dataset_labels(r.ds), heft_dataset_groups(r.ds),
                    heft_dataset_rows(r.ds), score, &r.so, &r.sel,
                    &err) != HEFT_OK)
        rc = cli_fail(&err);
    text_fmt tf;
    memset(&tf, 0, sizeof tf);
    if (rc == CLI_OK)
        rc = r.out_hds ? write_hds(&r) : write_text(&r, &tf);
    if (rc == CLI_OK && !a->quiet)
        print_summary(&r, r.out_hds ? NULL : &tf);
    free(tf.side);
    heft_selection_free(r.sel);
    free(r.drop);
    heft_score_file_free(r.sf);
    heft_dataset_free(r.ds);
    return rc;
}

const cli_command cli_cmd_select = {
    .name = "select",
    .synopsis = "DATA --scores SCORES --method M (--keep F | --drop F | "
                "--threshold T | --sample F [--importance] | --negatives W) "
                "-o OUT [OPTIONS]",
    .summary = "Keep, drop, sample or reweight rows by their scores",
    .details =
        "Acts on one score column of the table heft score wrote for DATA "
        "(higher =\nmore valuable). Shares are exact: --keep F keeps "
        "round(F x rows); with\n--stratify each label and/or group keeps its "
        "share (largest remainders).\n--sample F --importance keeps each row "
        "with probability p_i proportional to\nits score (shifted to start "
        "at 0 when scores are negative), expected share F,\nand weights it "
        "1/p_i. --negatives W keeps every positive and a share W of\nthe "
        "negatives (He et al. 2014); an .hds output records W, so heft "
        "train stores it\n(else give heft train --neg-rate W) and the "
        "model predicts calibrated\nq = p / (p + (1 - p) / W). "
        "--drop-flagged\nremoves rows flagged by cl, dup and group first; "
        "--reweight multiplies\nthe kept rows' weights by clip(c x score, "
        "LO, HI) with mean 1.\n\n"
        "OUT.hds gets the rows with weight = own weight x selection weight. "
        "Any\nother OUT is DATA's own format (uncompressed text input): the "
        "kept rows'\nlines as they were. When the weights are not all 1 (or "
        "came from\n--weight-file), csv, tsv and avazu get a column weight "
        "(heft_weight if\ntaken) appended; libsvm, libfm, libffm and criteo, "
        "having no weight\ncolumn, get the sidecar OUT.weight (one weight per "
        "line), read back with\n--weight-file OUT.weight; XGBoost picks it "
        "up by itself and LIBLINEAR's\nweights extension with -W OUT.weight. "
        "Prints the kept rows per label\nand group.",
    .min_pos = 1,
    .max_pos = 1,
    .groups = CLI_READS_DATA,
    .opts = select_opts,
    .run = run_select,
};
