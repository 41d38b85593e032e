/*
 * cmd_audit.c: `heft audit TRAIN TEST`: whether an offline benchmark can be
 * trusted. Reads TRAIN with the data-reading flags (or a model's schema
 * with --model), TEST with TRAIN's resolved options so features hash
 * alike, runs heft_audit_run() and prints the ranked findings with the
 * numbers behind each, then the label rate, leakage, the metric interval,
 * the per-field table and the segments; --json prints the document of
 * docs/run-dir.md (section audit) instead. --make-test N writes a clean
 * test set of N rows (the input's own lines, or .hds when OUT ends so).
 *
 * Everything that can fail (reading, predicting, auditing, choosing and
 * writing the new test set and the --report file) happens before anything
 * is printed, and the report is renamed into place only after the new
 * test set is, so an error leaves neither output on stdout nor a file.
 */
#include "common.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const cli_option audit_opts[] = {
    {"model", 'm', CLI_STR, "MODEL", 0, 0, NULL,
     "a model file: predict TEST with it for the AUC interval and the "
     "segments' metrics (TRAIN and TEST are read with its schema)"},
    {"pred", 'p', CLI_STR, "FILE", 0, 0, NULL,
     "predictions for TEST instead of a model (one probability per line)"},
    {"target-width", 0, CLI_NUM, "W", 0, 1, "0.002",
     "wanted width of AUC's 95% interval (0.002 = AUC +/- 0.001); 0 = none"},
    {"segment", 0, CLI_STR, "COL", 0, 0, NULL,
     "report rows, positives, AUC and logloss per value of this column"},
    {"bins", 0, CLI_INT, "B", 2, 1000, "10",
     "quantile bins of train for a numeric field's drift"},
    {"top", 0, CLI_INT, "K", 1, 100000, "20",
     "categorical drift: the K most frequent train values get a bin each"},
    {"show", 0, CLI_INT, "N", 1, 1000000, "20",
     "fields and segments shown in the tables (JSON lists all)"},
    {"make-test", 0, CLI_U64, "N", 1, 0, NULL,
     "write a clean test set of N rows from TEST to --output: no shared "
     "group or duplicate of a training row, stratified by label (and by "
     "--segment when given), whole groups"},
    {"output", 'o', CLI_STR, "OUT", 0, 0, NULL,
     "file for --make-test: OUT.hds, or else TEST's own text format"},
    {"seed", 0, CLI_U64, "S", 0, 0, "1", "random seed of --make-test"},
    {"json", 0, CLI_FLAG, NULL, 0, 0, "off",
     "print the JSON document of docs/run-dir.md instead of a table"},
    {"report", 0, CLI_STR, "FILE", 0, 0, NULL,
     "also write the JSON document to FILE (for `heft report`)"},
    CLI_END,
};

/* Everything one run holds. */
typedef struct audit_run {
    const cli_args *a;
    heft_dataset *train, *test;
    float *pred;
    uint64_t *seg_keys;
    int seg_field;
    char **seg_names;     /* (n_segments,) display value of each segment */
    heft_audit *au;
    uint64_t *new_rows;   /* --make-test rows of TEST                     */
    size_t n_new;
    uint64_t new_pos;
} audit_run;

static void run_free(audit_run *r)
{
    for (size_t i = 0; r->seg_names && r->au && i < r->au->n_segments; i++)
        free(r->seg_names[i]);
    free(r->seg_names);
    heft_audit_free(r->au);
    free(r->new_rows);
    free(r->seg_keys);
    free(r->pred);
    heft_dataset_free(r->train);
    heft_dataset_free(r->test);
}

/* ---- reading -------------------------------------------------------------- */

/* Reads TRAIN (with the flags, or the model's schema) and TEST (with
 * TRAIN's resolved options), and predicts TEST when a model is given. */
static int read_both(audit_run *r)
{
    const cli_args *a = r->a;
    heft_read_opts ro;
    heft_model *m = NULL;
    heft_error err;
    int rc = CLI_OK;
    if (cli_given(a, "model")) {
        if (heft_model_load(cli_str(a, "model"), &m, &err) != HEFT_OK)
            return cli_fail(&err);
        heft_model_read_opts(m, &ro);
        rc = cli_read_opts_overlay(a, &ro, "the model");
    } else {
        rc = cli_read_opts(a, &ro);
    }
    if (rc == CLI_OK)
        rc = cli_read(a, a->pos[0], &ro, &r->train);
    if (rc == CLI_OK) {
        heft_read_opts to;
        heft_dataset_read_opts(r->train, &to);
        cli_read_opts_runtime(a, &to);
        rc = cli_read(a, a->pos[1], &to, &r->test);
    }
    size_t n = r->test ? heft_dataset_rows(r->test) : 0;
    if (rc == CLI_OK && (m || cli_given(a, "pred"))) {
        r->pred = malloc((n ? n : 1) * sizeof *r->pred);
        if (!r->pred)
            rc = cli_failf("out of memory");
    }
    if (rc == CLI_OK && m &&
        heft_predict(m, r->test, r->pred, cli_threads(a, 1), &err) != HEFT_OK) {
        if (!err.file[0])
            snprintf(err.file, sizeof err.file, "%s", a->pos[1]);
        rc = cli_fail(&err);
    }
    if (rc == CLI_OK && !m && r->pred)
        rc = cli_read_predictions(cli_str(a, "pred"), r->pred, n,
                                  "TEST");
    heft_model_free(m);
    return rc;
}

/* Segment keys of TEST by --segment COL. */
static int segment_keys(audit_run *r)
{
    const char *col = cli_str(r->a, "segment");
    r->seg_field = -1;
    if (!col)
        return CLI_OK;
    r->seg_field = heft_audit_find_field(r->test, col);
    if (r->seg_field < 0)
        return cli_failf("%s: --segment %s: no feature column of that name "
                         "(a label, group or ignored column cannot be one)",
                         r->a->pos[1], col);
    size_t n = heft_dataset_rows(r->test);
    r->seg_keys = malloc((n ? n : 1) * sizeof *r->seg_keys);
    if (!r->seg_keys)
        return cli_failf("out of memory");
    heft_error err;
    if (heft_audit_segment_keys(r->test, (unsigned)r->seg_field, r->seg_keys,
                                &err) != HEFT_OK)
        return cli_fail(&err);
    return CLI_OK;
}

/* ---- segment values from TEST's own lines ---------------------------------- */

/* Cell number col (0-based) of a delimited line, quotes removed, into a
 * malloc'ed string; NULL if the line has fewer cells. */
static char *cell_of(const char *s, size_t len, char delim, size_t col)
{
    size_t c = 0, i = 0;
    while (c < col && i < len) {
        int q = 0;
        for (; i < len && (q || s[i] != delim); i++)
            if (s[i] == '"' && delim == ',')
                q = !q;
        if (i < len)
            i++, c++;
        else
            return NULL;
    }
    size_t e = i;
    for (int q = 0; e < len && (q || s[e] != delim); e++)
        if (s[e] == '"' && delim == ',')
            q = !q;
    while (e > i && (s[e - 1] == '\r' || s[e - 1] == '\n'))
        e--;
    char *out = malloc(e - i + 1), *o = out;
    for (size_t k = i; out && k < e; k++) {
        if (delim == ',' && s[k] == '"') { /* "" inside quotes is one " */
            if (k + 1 < e && s[k + 1] == '"')
                *o++ = s[k++];
            continue;
        }
        *o++ = s[k];
    }
    if (out)
        *o = '\0';
    return out;
}

/* The column of field name in TEST's lines, and the delimiter; -1 when
 * values cannot be recovered from the text. */
static long text_column(FILE *in, heft_format f, const char *name, char *delim)
{
    *delim = f == HEFT_FMT_CSV || f == HEFT_FMT_AVAZU ? ',' : '\t';
    if (f == HEFT_FMT_CRITEO) {
        int k;
        if ((name[0] == 'I' || name[0] == 'C') && sscanf(name + 1, "%d", &k) == 1)
            return name[0] == 'I' ? k : 13 + k;
        return -1;
    }
    if (f != HEFT_FMT_CSV && f != HEFT_FMT_TSV && f != HEFT_FMT_AVAZU)
        return -1;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len = getline(&line, &cap, in);
    long col = -1;
    for (size_t c = 0; len > 0 && col < 0; c++) {
        char *cell = cell_of(line, (size_t)len, *delim, c);
        if (!cell)
            break;
        if (strcmp(cell, name) == 0)
            col = (long)c;
        free(cell);
    }
    free(line);
    rewind(in);
    return col;
}

typedef struct want_line {
    uint64_t line;
    size_t seg;
} want_line;

static int cmp_want(const void *x, const void *y)
{
    const want_line *a = x, *b = y;
    return (a->line > b->line) - (a->line < b->line);
}

/* Fills r->seg_names from the lines of the segments' first rows. */
static void names_from_text(audit_run *r, FILE *in, long col, char delim)
{
    const heft_audit *au = r->au;
    const uint64_t *src = heft_dataset_source_lines(r->test);
    want_line *w = malloc((au->n_segments ? au->n_segments : 1) * sizeof *w);
    if (!w)
        return;
    for (size_t i = 0; i < au->n_segments; i++)
        w[i] = (want_line){src[au->segments[i].first_row], i};
    qsort(w, au->n_segments, sizeof *w, cmp_want);
    char *line = NULL;
    size_t cap = 0, j = 0;
    ssize_t len;
    for (uint64_t no = 1; j < au->n_segments &&
                          (len = getline(&line, &cap, in)) >= 0; no++)
        for (; j < au->n_segments && w[j].line == no; j++)
            r->seg_names[w[j].seg] = cell_of(line, (size_t)len, delim,
                                             (size_t)col);
    free(line);
    free(w);
}

/* Display values of the segments: the raw text of the column where TEST
 * is an uncompressed text file, "(missing)" for rows without a value, and
 * the key in hex otherwise. */
static int segment_names(audit_run *r)
{
    const heft_audit *au = r->au;
    if (r->seg_field < 0)
        return CLI_OK;
    r->seg_names = calloc(au->n_segments ? au->n_segments : 1,
                          sizeof *r->seg_names);
    if (!r->seg_names)
        return cli_failf("out of memory");
    heft_dataset_info info;
    heft_dataset_get_info(r->test, &info);
    FILE *in = strcmp(r->a->pos[1], "-") && heft_dataset_source_lines(r->test)
                   ? fopen(r->a->pos[1], "rb") : NULL;
    unsigned char m[2] = {0, 0};
    if (in && (fread(m, 1, 2, in) < 2 || (m[0] == 0x1f && m[1] == 0x8b) ||
               (m[0] == 0x28 && m[1] == 0xb5))) {
        fclose(in); /* compressed: no raw text to show */
        in = NULL;
    }
    if (in) {
        rewind(in);
        char delim;
        long col = text_column(in, info.source_format,
                               cli_str(r->a, "segment"), &delim);
        if (col >= 0)
            names_from_text(r, in, col, delim);
        fclose(in);
    }
    for (size_t i = 0; i < au->n_segments; i++) {
        if (r->seg_names[i] && au->segments[i].key != 0)
            continue;
        free(r->seg_names[i]);
        char buf[32];
        snprintf(buf, sizeof buf, "#%016llx",
                 (unsigned long long)au->segments[i].key);
        r->seg_names[i] = strdup(au->segments[i].key ? buf : "(missing)");
        if (!r->seg_names[i])
            return cli_failf("out of memory");
    }
    return CLI_OK;
}

/* ---- --make-test ----------------------------------------------------------- */

static int ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), k = strlen(suf);
    return n >= k && strcmp(s + n - k, suf) == 0;
}

static int write_hds(audit_run *r, const char *path)
{
    heft_dataset *sub = NULL;
    heft_error err;
    heft_status s = heft_dataset_subset(r->test, r->new_rows, r->n_new, &sub,
                                        &err);
    if (s == HEFT_OK) {
        char *tmp = cli_track_lib_tmp(path);
        s = heft_dataset_save(sub, path, &err);
        cli_forget_lib_tmp(tmp);
    }
    heft_dataset_free(sub);
    return s == HEFT_OK ? CLI_OK : cli_fail(&err);
}

/* Copies TEST's header (if its format has one) and the chosen rows' lines,
 * in input order, to path. */
static int write_text(audit_run *r, const char *path)
{
    const char *in_path = r->a->pos[1];
    heft_dataset_info info;
    heft_dataset_get_info(r->test, &info);
    const uint64_t *src = heft_dataset_source_lines(r->test);
    if (strcmp(in_path, "-") == 0 || !src || info.source_format == HEFT_FMT_HDS)
        return cli_failf("%s: --make-test into a text file needs a text TEST "
                         "file (write OUT.hds instead)", in_path);
    FILE *in = fopen(in_path, "rb");
    if (!in)
        return cli_failf("%s: cannot open: %s", in_path, strerror(errno));
    unsigned char m[2] = {0, 0};
    if (fread(m, 1, 2, in) == 2 && ((m[0] == 0x1f && m[1] == 0x8b) ||
                                    (m[0] == 0x28 && m[1] == 0xb5))) {
        fclose(in);
        return cli_failf("%s: --make-test into a text file needs an "
                         "uncompressed TEST (write OUT.hds instead)", in_path);
    }
    rewind(in);
    const heft_format f = info.source_format;
    const int header = (f == HEFT_FMT_CSV || f == HEFT_FMT_TSV ||
                        f == HEFT_FMT_AVAZU) && info.rows > 0 && src[0] > 1;
    cli_out out;
    int rc = cli_out_open(&out, path);
    char *line = NULL;
    size_t cap = 0, j = 0;
    ssize_t len;
    for (uint64_t no = 1; rc == CLI_OK && (len = getline(&line, &cap, in)) >= 0;
         no++) {
        int put = no == 1 && header;
        while (j < r->n_new && src[r->new_rows[j]] < no)
            j++;
        put |= j < r->n_new && src[r->new_rows[j]] == no;
        if (put && fwrite(line, 1, (size_t)len, out.f) == (size_t)len &&
            line[len - 1] != '\n')
            fputc('\n', out.f);
    }
    if (rc == CLI_OK && ferror(in))
        rc = cli_failf("%s: read error", in_path);
    free(line);
    fclose(in);
    if (rc == CLI_OK)
        rc = cli_out_commit(&out);
    cli_out_abort(&out);
    return rc;
}

/* Chooses the rows of --make-test (nothing is written yet). */
static int choose_new(audit_run *r)
{
    if (!cli_given(r->a, "make-test"))
        return CLI_OK;
    heft_error err;
    if (heft_audit_make_test(r->au, r->test, r->seg_keys,
                             (size_t)cli_u64(r->a, "make-test", 0),
                             cli_u64(r->a, "seed", 1), &r->new_rows,
                             &r->n_new, &err) != HEFT_OK) {
        if (!err.file[0])
            snprintf(err.file, sizeof err.file, "%s", r->a->pos[1]);
        return cli_fail(&err);
    }
    const float *y = heft_dataset_labels(r->test);
    for (size_t i = 0; i < r->n_new; i++)
        r->new_pos += y[r->new_rows[i]] > 0;
    return CLI_OK;
}

/* Writes the chosen rows to --output (atomically). */
static int write_new(audit_run *r)
{
    if (!r->new_rows)
        return CLI_OK;
    const char *path = cli_str(r->a, "output");
    return ends_with(path, ".hds") ? write_hds(r, path) : write_text(r, path);
}

/* ---- printing -------------------------------------------------------------- */

static const char *level_name(int level)
{
    return level >= 3 ? "high" : level == 2 ? "medium" : "low";
}

/* The finding's title, with the segment's value in place of its key. */
static void finding_title(const audit_run *r, const heft_audit_finding *f,
                          char *buf, size_t cap)
{
    if (f->segment >= 0 && r->seg_names) {
        const heft_audit_segment *s = &r->au->segments[f->segment];
        snprintf(buf, cap, "segment %s=%s: AUC %.4f, below the overall %.4f",
                 cli_str(r->a, "segment"), r->seg_names[f->segment], s->auc,
                 r->au->auc);
    } else {
        snprintf(buf, cap, "%s", f->title);
    }
}

static void print_findings(const audit_run *r, FILE *o)
{
    const heft_audit *au = r->au;
    fprintf(o, "Findings, most severe first:\n");
    if (au->n_findings == 0)
        fprintf(o, "  none: no leakage, drift, label shift or size problem "
                   "above the thresholds of docs/audit.md\n");
    for (size_t i = 0; i < au->n_findings; i++) {
        const heft_audit_finding *f = &au->findings[i];
        char title[256];
        finding_title(r, f, title, sizeof title);
        fprintf(o, "  %2zu. [%-6s] %s\n", i + 1, level_name(f->level), title);
        fprintf(o, "               %s\n", f->detail);
    }
}

static void print_summary(const audit_run *r, FILE *o)
{
    const heft_audit *au = r->au;
    fprintf(o, "\nLabel rate:   train %.4f, test %.4f (two-proportion z = "
               "%.2f, p = %.3g)\n", au->train_rate, au->test_rate, au->label_z,
            au->label_p);
    fprintf(o, "Unseen:       %llu test rows (%.2f%%) carry a category no "
               "training row has (%.2f%% expected)\n",
            (unsigned long long)au->unseen_rows, 100 * au->unseen_share,
            100 * au->expected_unseen);
    if (au->has_groups)
        fprintf(o, "Groups:       %llu of %llu test groups also in train; "
                   "%llu test rows (%.2f%%) in them\n",
                (unsigned long long)au->groups_shared,
                (unsigned long long)au->test_groups,
                (unsigned long long)au->group_rows, 100 * au->group_share);
    else
        fprintf(o, "Groups:       not checked (no group column: --group COL)\n");
    fprintf(o, "Duplicates:   %llu test rows equal a training row with the "
               "same label (%.2f%%), %llu with the other label only\n",
            (unsigned long long)au->dup_rows, 100 * au->dup_share,
            (unsigned long long)au->conflict_rows);
    if (!au->has_pred) {
        fprintf(o, "Interval:     not computed (give --model M or --pred FILE)\n");
        return;
    }
    fprintf(o, "AUC:          %.4f, 95%% interval [%.4f, %.4f] (DeLong), "
               "width %.4f\n", au->auc, au->auc_lo, au->auc_hi, au->auc_width);
    fprintf(o, "Logloss:      %.4f, 95%% interval [%.4f, %.4f]\n", au->logloss,
            au->logloss_lo, au->logloss_hi);
    if (au->target_width > 0 && !isnan(au->auc_width))
        fprintf(o, "Needed rows:  %.0f for width %g (AUC +/- %g); width scales "
                   "as 1/sqrt(rows)\n", au->rows_needed, au->target_width,
                au->target_width / 2);
}

static int cmp_psi_desc(const void *x, const void *y)
{
    const heft_audit_field *a = *(const heft_audit_field *const *)x;
    const heft_audit_field *b = *(const heft_audit_field *const *)y;
    if (a->psi != b->psi)
        return a->psi < b->psi ? 1 : -1;
    return (a->field > b->field) - (a->field < b->field);
}

static void print_fields(const audit_run *r, FILE *o)
{
    const heft_audit *au = r->au;
    const heft_audit_field **v = malloc((au->n_fields + 1) * sizeof *v);
    if (!v)
        return;
    for (size_t i = 0; i < au->n_fields; i++)
        v[i] = &au->fields[i];
    qsort(v, au->n_fields, sizeof *v, cmp_psi_desc);
    size_t show = (size_t)cli_int(r->a, "show", 20);
    if (show > au->n_fields)
        show = au->n_fields;
    fprintf(o, "\nFields by PSI (%zu of %zu):\n", show, au->n_fields);
    fprintf(o, "  %-16s %-4s %5s %8s %8s %8s %8s %8s %8s %8s\n", "field",
            "type", "bins", "PSI", "PSI p", "JS", "miss.tr", "miss.te",
            "unseen", "expect");
    for (size_t i = 0; i < show; i++)
        fprintf(o, "  %-16.16s %-4s %5d %8.4f %8.2g %8.4f %7.2f%% %7.2f%% "
                   "%7.2f%% %7.2f%%\n",
                v[i]->name, v[i]->numeric ? "num" : "cat", v[i]->bins,
                v[i]->psi, v[i]->psi_p, v[i]->js, 100 * v[i]->train_missing,
                100 * v[i]->test_missing, 100 * v[i]->unseen_share,
                100 * v[i]->expected_unseen);
    free(v);
}

static void print_segments(const audit_run *r, FILE *o)
{
    const heft_audit *au = r->au;
    if (r->seg_field < 0)
        return;
    size_t show = (size_t)cli_int(r->a, "show", 20);
    if (show > au->n_segments)
        show = au->n_segments;
    fprintf(o, "\nSegments by %s, most rows first (%zu of %zu):\n",
            cli_str(r->a, "segment"), show, au->n_segments);
    fprintf(o, "  %-20s %9s %9s %7s %8s %8s %8s\n", "value", "rows",
            "positives", "rate", "AUC", "+/-", "logloss");
    for (size_t i = 0; i < show; i++) {
        const heft_audit_segment *s = &au->segments[i];
        fprintf(o, "  %-20.20s %9llu %9llu %7.4f %8.4f %8.4f %8.4f\n",
                r->seg_names[i], (unsigned long long)s->rows,
                (unsigned long long)s->positives,
                (double)s->positives / (double)s->rows, s->auc,
                1.96 * s->auc_se, s->logloss);
    }
}

static void print_table(const audit_run *r, FILE *o)
{
    fprintf(o, "audit: %s (%llu rows) vs %s (%llu rows)\n\n", r->a->pos[0],
            (unsigned long long)r->au->train_rows, r->a->pos[1],
            (unsigned long long)r->au->test_rows);
    print_findings(r, o);
    print_summary(r, o);
    print_fields(r, o);
    print_segments(r, o);
    if (r->new_rows)
        fprintf(o, "\nNew test set: %zu rows, %llu positives (rate %.4f), "
                   "written to %s\n", r->n_new,
                (unsigned long long)r->new_pos,
                r->n_new ? (double)r->new_pos / (double)r->n_new : 0.0,
                cli_str(r->a, "output"));
}

/* ---- JSON (docs/run-dir.md, section audit) -------------------------------- */

static void jkey(FILE *f, const char *k, int first)
{
    if (!first)
        fputc(',', f);
    cli_json_str(f, k);
    fputc(':', f);
}

static void jnum(FILE *f, const char *k, double v)
{
    jkey(f, k, 0);
    cli_json_num(f, v);
}

static void jpair(FILE *f, const char *k, double lo, double hi)
{
    jkey(f, k, 0);
    fputc('[', f);
    cli_json_num(f, lo);
    fputc(',', f);
    cli_json_num(f, hi);
    fputc(']', f);
}

static void json_settings(const audit_run *r, FILE *f)
{
    const cli_args *a = r->a;
    static const char *const str_keys[] = {"model", "pred", "segment",
                                           "group", "output", NULL};
    fputs("\"settings\":{\"train\":", f);
    cli_json_str(f, a->pos[0]);
    fputs(",\"test\":", f);
    cli_json_str(f, a->pos[1]);
    for (int i = 0; str_keys[i]; i++)
        if (cli_given(a, str_keys[i])) {
            jkey(f, str_keys[i], 0);
            cli_json_str(f, cli_str(a, str_keys[i]));
        }
    jnum(f, "target_width", cli_num(a, "target-width", 0.002));
    jnum(f, "bins", cli_int(a, "bins", 10));
    jnum(f, "top", cli_int(a, "top", 20));
    if (cli_given(a, "make-test")) {
        jnum(f, "make_test", (double)cli_u64(a, "make-test", 0));
        jnum(f, "seed", (double)cli_u64(a, "seed", 1));
    }
    fputc('}', f);
}

static void json_findings(const audit_run *r, FILE *f)
{
    jkey(f, "findings", 0);
    fputc('[', f);
    for (size_t i = 0; i < r->au->n_findings; i++) {
        const heft_audit_finding *x = &r->au->findings[i];
        char title[256];
        finding_title(r, x, title, sizeof title);
        fprintf(f, "%s{\"rank\":%zu,\"kind\":", i ? "," : "", i + 1);
        cli_json_str(f, heft_audit_kind_name(x->kind));
        fputs(",\"level\":", f);
        cli_json_str(f, level_name(x->level));
        jnum(f, "severity", x->severity);
        jkey(f, "title", 0);
        cli_json_str(f, title);
        jkey(f, "detail", 0);
        cli_json_str(f, x->detail);
        if (x->field >= 0) {
            jkey(f, "field", 0);
            cli_json_str(f, r->au->fields[x->field].name);
        }
        fputs(",\"numbers\":{", f);
        for (int k = 0; k < x->n_numbers; k++) {
            jkey(f, x->keys[k], k == 0);
            cli_json_num(f, x->numbers[k]);
        }
        fputs("}}", f);
    }
    fputc(']', f);
}

static void json_fields(const heft_audit *au, FILE *f)
{
    jkey(f, "fields", 0);
    fputc('[', f);
    for (size_t i = 0; i < au->n_fields; i++) {
        const heft_audit_field *x = &au->fields[i];
        fputs(i ? ",{\"name\":" : "{\"name\":", f);
        cli_json_str(f, x->name);
        fprintf(f, ",\"type\":\"%s\"", x->numeric ? "num" : "cat");
        jnum(f, "bins", x->bins);
        jnum(f, "psi", x->psi);
        jnum(f, "psi_p", x->psi_p);
        jnum(f, "js", x->js);
        jnum(f, "train_missing", x->train_missing);
        jnum(f, "test_missing", x->test_missing);
        jnum(f, "unseen_rows", (double)x->unseen_rows);
        jnum(f, "unseen_share", x->unseen_share);
        jnum(f, "expected_unseen", x->expected_unseen);
        jnum(f, "unseen_p", x->unseen_p);
        fputc('}', f);
    }
    fputc(']', f);
}

static void json_leak(const heft_audit *au, FILE *f)
{
    fputs(",\"label_rate\":{\"train\":", f);
    cli_json_num(f, au->train_rate);
    jnum(f, "test", au->test_rate);
    jnum(f, "z", au->label_z);
    jnum(f, "p", au->label_p);
    fputs("},\"unseen\":{\"rows\":", f);
    cli_json_num(f, (double)au->unseen_rows);
    jnum(f, "share", au->unseen_share);
    jnum(f, "expected_share", au->expected_unseen);
    fputs("},\"leakage\":{\"has_groups\":", f);
    fputs(au->has_groups ? "true" : "false", f);
    if (au->has_groups) {
        jnum(f, "train_groups", (double)au->train_groups);
        jnum(f, "test_groups", (double)au->test_groups);
        jnum(f, "groups_shared", (double)au->groups_shared);
        jnum(f, "group_rows", (double)au->group_rows);
        jnum(f, "group_share", au->group_share);
    }
    jnum(f, "duplicate_rows", (double)au->dup_rows);
    jnum(f, "duplicate_share", au->dup_share);
    jnum(f, "conflict_rows", (double)au->conflict_rows);
    fputc('}', f);
}

static void json_ci(const heft_audit *au, FILE *f)
{
    jkey(f, "ci", 0);
    if (!au->has_pred) {
        fputs("null", f);
        return;
    }
    fputs("{\"auc\":", f);
    cli_json_num(f, au->auc);
    jpair(f, "auc_ci", au->auc_lo, au->auc_hi);
    jnum(f, "auc_se", au->auc_se);
    jnum(f, "width", au->auc_width);
    jnum(f, "logloss", au->logloss);
    jpair(f, "logloss_ci", au->logloss_lo, au->logloss_hi);
    jnum(f, "target_width", au->target_width);
    jnum(f, "rows_needed", au->target_width > 0 ? au->rows_needed : NAN);
    fputc('}', f);
}

static void json_segments(const audit_run *r, FILE *f)
{
    const heft_audit *au = r->au;
    jkey(f, "segments", 0);
    fputc('[', f);
    for (size_t i = 0; r->seg_field >= 0 && i < au->n_segments; i++) {
        const heft_audit_segment *s = &au->segments[i];
        fputs(i ? ",{\"column\":" : "{\"column\":", f);
        cli_json_str(f, cli_str(r->a, "segment"));
        jkey(f, "value", 0);
        cli_json_str(f, r->seg_names[i]);
        jnum(f, "rows", (double)s->rows);
        jnum(f, "positives", (double)s->positives);
        jnum(f, "auc", s->auc);
        jnum(f, "auc_se", s->auc_se);
        jnum(f, "logloss", s->logloss);
        fputc('}', f);
    }
    fputc(']', f);
}

static void print_json(const audit_run *r, FILE *f)
{
    fputs("{\"heft\":", f);
    cli_json_str(f, heft_version());
    fputs(",\"command\":\"audit\",", f);
    json_settings(r, f);
    jnum(f, "train_rows", (double)r->au->train_rows);
    jnum(f, "test_rows", (double)r->au->test_rows);
    json_findings(r, f);
    json_fields(r->au, f);
    json_leak(r->au, f);
    json_ci(r->au, f);
    json_segments(r, f);
    if (r->new_rows) {
        fputs(",\"make_test\":{\"path\":", f);
        cli_json_str(f, cli_str(r->a, "output"));
        jnum(f, "rows", (double)r->n_new);
        jnum(f, "positives", (double)r->new_pos);
        fputc('}', f);
    }
    fputs("}\n", f);
}

/* Writes the JSON document to --report's temporary file and closes it;
 * the caller renames it (cli_out_commit) once every other output is in
 * place, so that a failure leaves neither file. */
static int report_begin(const audit_run *r, cli_out *out)
{
    if (!cli_given(r->a, "report"))
        return CLI_OK;
    int rc = cli_out_open(out, cli_str(r->a, "report"));
    if (rc == CLI_OK) {
        print_json(r, out->f);
        rc = cli_out_finish(out);
    }
    return rc;
}

/* ---- the command ----------------------------------------------------------- */

static int check_usage(const cli_args *a)
{
    if (cli_given(a, "model") && cli_given(a, "pred"))
        return cli_usage_error(a->cmd, "give --model or --pred, not both");
    if (cli_given(a, "make-test") != cli_given(a, "output"))
        return cli_usage_error(a->cmd, "--make-test N and --output OUT go "
                               "together");
    return CLI_OK;
}

static int run_audit(const cli_args *a)
{
    int rc = check_usage(a);
    if (rc != CLI_OK)
        return rc;
    audit_run r;
    memset(&r, 0, sizeof r);
    r.a = a;
    rc = read_both(&r);
    if (rc == CLI_OK)
        rc = segment_keys(&r);
    if (rc == CLI_OK) {
        heft_audit_opts o = heft_audit_opts_default();
        o.bins = cli_int(a, "bins", o.bins);
        o.top = cli_int(a, "top", o.top);
        o.target_width = cli_num(a, "target-width", o.target_width);
        o.pred = r.pred;
        o.segment = r.seg_keys;
        heft_error err;
        if (heft_audit_run(r.train, r.test, &o, &r.au, &err) != HEFT_OK)
            rc = cli_fail(&err);
    }
    if (rc == CLI_OK)
        rc = segment_names(&r);
    if (rc == CLI_OK)
        rc = choose_new(&r);
    cli_out rep;
    memset(&rep, 0, sizeof rep);
    if (rc == CLI_OK)
        rc = report_begin(&r, &rep);
    if (rc == CLI_OK)
        rc = write_new(&r);
    if (rc == CLI_OK && rep.tmp)
        rc = cli_out_commit(&rep);
    cli_out_abort(&rep);
    if (rc == CLI_OK) {
        if (cli_flag(a, "json"))
            print_json(&r, stdout);
        else
            print_table(&r, stdout);
    }
    run_free(&r);
    return rc;
}

const cli_command cli_cmd_audit = {
    .name = "audit",
    .synopsis = "TRAIN TEST [--model M | --pred FILE] [--segment COL] "
                "[--make-test N -o OUT] [OPTIONS]",
    .summary = "Check whether a test set can be trusted: drift, leakage, "
               "label shift, interval width",
    .details = "TEST is read with TRAIN's resolved options (with --model, "
               "both with the model's\nschema), so features hash alike. "
               "Findings are ranked, most severe first,\neach with the "
               "numbers behind it; docs/audit.md gives every formula and\n"
               "threshold. Group leakage needs a group column (--group COL, "
               "or qid: in\nlibsvm). With --json, stdout holds exactly one "
               "JSON object (docs/run-dir.md).",
    .min_pos = 2,
    .max_pos = 2,
    .groups = CLI_READS_DATA,
    .opts = audit_opts,
    .run = run_audit,
};
