/*
 * cmd_split.c: `heft split IN --by random|time|group -o PREFIX`. Assigns
 * every row to train, valid or test (heft_split_assign) and writes
 * PREFIX.train.hds, PREFIX.test.hds and, when --valid > 0,
 * PREFIX.valid.hds. With --text the parts are written in the input's own
 * text format instead (PREFIX.train.EXT ...): the header line, if the
 * format has one, then the selected rows' original lines.
 *
 * All parts appear together or not at all: every part is first written
 * under a temporary name and only renamed once all of them are complete.
 */
#include "common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const cli_option split_opts[] = {
    {"output", 'o', CLI_STR, "PREFIX", 0, 0, CLI_REQUIRED,
     "write PREFIX.train.hds, PREFIX.test.hds (and PREFIX.valid.hds)"},
    {"by", 0, CLI_CHOICE, "random|time|group", 0, 0, "random",
     "random (stratified by label), time (newest rows test) or group "
     "(no group in two parts)"},
    {"test", 0, CLI_NUM, "F", 0, 1, "0.2", "fraction of rows for test"},
    {"valid", 0, CLI_NUM, "F", 0, 1, "0", "fraction of rows for validation"},
    {"seed", 0, CLI_U64, "S", 0, 0, "1", "random seed"},
    {"text", 0, CLI_FLAG, NULL, 0, 0, "off",
     "write the parts in the input's text format (uncompressed input)"},
    CLI_END,
};

enum { N_PARTS = 3 };
static const char *const part_name[N_PARTS] = {"train", "valid", "test"};

/* The rows of each part, in input order. */
typedef struct split_parts {
    uint64_t *rows[N_PARTS];
    size_t n[N_PARTS];
    size_t pos[N_PARTS]; /* rows with label > 0 */
    int used[N_PARTS];
    char *path[N_PARTS];
    char *tmp[N_PARTS];
} split_parts;

static void parts_free(split_parts *sp)
{
    for (int p = 0; p < N_PARTS; p++) {
        if (sp->tmp[p]) {
            remove(sp->tmp[p]);
            cli_track_tmp(sp->tmp[p], 0);
        }
        free(sp->rows[p]);
        free(sp->path[p]);
        free(sp->tmp[p]);
    }
}

static int assign(const cli_args *a, const heft_dataset *ds, split_parts *sp)
{
    heft_split_opts so = heft_split_opts_default();
    const char *by = cli_str(a, "by");
    if (by)
        so.by = strcmp(by, "time") == 0    ? HEFT_SPLIT_TIME
                : strcmp(by, "group") == 0 ? HEFT_SPLIT_GROUP
                                           : HEFT_SPLIT_RANDOM;
    /* A missing column is the caller's flag to fix: a usage error that
     * names the file and the flag. */
    if ((so.by == HEFT_SPLIT_GROUP && !heft_dataset_groups(ds)) ||
        (so.by == HEFT_SPLIT_TIME && !heft_dataset_times(ds)))
        return cli_usage_error(a->cmd, "%s: --by %s needs a %s column "
                               "(--%s COL)", a->pos[0], by, by,
                               so.by == HEFT_SPLIT_GROUP ? "group" : "time");
    so.test = cli_num(a, "test", 0.2);
    so.valid = cli_num(a, "valid", 0);
    so.seed = cli_u64(a, "seed", 1);
    size_t n = heft_dataset_rows(ds);
    uint8_t *part = malloc(n ? n : 1);
    for (int p = 0; p < N_PARTS; p++)
        sp->rows[p] = malloc((n ? n : 1) * sizeof *sp->rows[p]);
    if (!part || !sp->rows[0] || !sp->rows[1] || !sp->rows[2]) {
        free(part);
        return cli_failf("out of memory");
    }
    heft_error err;
    if (heft_split_assign(ds, &so, part, &err) != HEFT_OK) {
        free(part);
        return cli_fail(&err);
    }
    const float *label = heft_dataset_labels(ds);
    for (size_t i = 0; i < n; i++) {
        int p = part[i] < N_PARTS ? part[i] : 2;
        sp->rows[p][sp->n[p]++] = i;
        sp->pos[p] += label[i] > 0;
    }
    free(part);
    sp->used[0] = sp->used[2] = 1;
    sp->used[1] = so.valid > 0;
    return CLI_OK;
}

/* Sets each used part's final and temporary path: PREFIX.NAME.EXT. */
static int make_paths(const char *prefix, const char *ext, split_parts *sp)
{
    for (int p = 0; p < N_PARTS; p++) {
        if (!sp->used[p])
            continue;
        size_t len = strlen(prefix) + strlen(ext) + 48;
        sp->path[p] = malloc(len);
        sp->tmp[p] = malloc(len);
        if (!sp->path[p] || !sp->tmp[p])
            return cli_failf("out of memory");
        snprintf(sp->path[p], len, "%s.%s.%s", prefix, part_name[p], ext);
        snprintf(sp->tmp[p], len, "%s.tmp.%ld", sp->path[p], (long)getpid());
        cli_track_tmp(sp->tmp[p], 1);
    }
    return CLI_OK;
}

static int write_hds_parts(const heft_dataset *ds, split_parts *sp)
{
    for (int p = 0; p < N_PARTS; p++) {
        if (!sp->used[p])
            continue;
        heft_dataset *sub = NULL;
        heft_error err;
        heft_status s = heft_dataset_subset(ds, sp->rows[p], sp->n[p], &sub,
                                            &err);
        if (s == HEFT_OK) {
            char *tmp = cli_track_lib_tmp(sp->tmp[p]);
            s = heft_dataset_save(sub, sp->tmp[p], &err);
            cli_forget_lib_tmp(tmp);
        }
        heft_dataset_free(sub);
        if (s != HEFT_OK)
            return cli_fail(&err);
    }
    return CLI_OK;
}

/* ---- --text: copying the input's own lines ---- */

typedef struct line_part {
    uint64_t line;
    int part;
} line_part;

static int cmp_line(const void *x, const void *y)
{
    const line_part *a = x, *b = y;
    return (a->line > b->line) - (a->line < b->line);
}

/* The extension for text parts: the input's own ("tsv" of data.tsv), or
 * the format's name when the input has none. */
static const char *text_ext(const char *path, heft_format f)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    if (dot && dot != base && dot[1] && strlen(dot + 1) <= 8)
        return dot + 1;
    return heft_format_name(f);
}

/* Refuses inputs that cannot be copied line by line. */
static int check_text_input(const char *path, const heft_dataset *ds,
                            FILE **in)
{
    heft_dataset_info info;
    heft_dataset_get_info(ds, &info);
    if (strcmp(path, "-") == 0)
        return cli_failf("%s: --text needs a file, not standard input", path);
    if (info.source_format == HEFT_FMT_HDS || !heft_dataset_source_lines(ds))
        return cli_failf("%s: --text needs a text input (this is %s)", path,
                         heft_format_name(info.source_format));
    *in = fopen(path, "rb");
    if (!*in)
        return cli_failf("%s: cannot open: %s", path, strerror(errno));
    unsigned char m[4] = {0};
    size_t got = fread(m, 1, 4, *in);
    rewind(*in);
    if ((got >= 2 && m[0] == 0x1f && m[1] == 0x8b) ||
        (got >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f &&
         m[3] == 0xfd)) {
        fclose(*in);
        *in = NULL;
        return cli_failf("%s: --text needs an uncompressed input; "
                         "decompress it first or write .hds parts",
                         path);
    }
    return CLI_OK;
}

/* Sorted (line, part) pairs of every row. */
static line_part *line_map(const heft_dataset *ds, const split_parts *sp)
{
    const uint64_t *src = heft_dataset_source_lines(ds);
    size_t n = heft_dataset_rows(ds), k = 0;
    line_part *map = malloc((n ? n : 1) * sizeof *map);
    if (!map)
        return NULL;
    for (int p = 0; p < N_PARTS; p++)
        for (size_t i = 0; i < sp->n[p]; i++)
            map[k++] = (line_part){src[sp->rows[p][i]], p};
    qsort(map, n, sizeof *map, cmp_line);
    return map;
}

static void put_line(FILE *f, const char *s, ssize_t len)
{
    fwrite(s, 1, (size_t)len, f);
    if (len == 0 || s[len - 1] != '\n')
        fputc('\n', f);
}

/* Streams the input once, sending each line to the part of its row. */
static int copy_lines(FILE *in, const char *path, int header,
                      const line_part *map, size_t n, cli_out *out)
{
    char *line = NULL;
    size_t cap = 0, j = 0;
    ssize_t len;
    for (uint64_t no = 1; (len = getline(&line, &cap, in)) >= 0; no++) {
        if (no == 1 && header)
            for (int p = 0; p < N_PARTS; p++)
                if (out[p].f)
                    put_line(out[p].f, line, len);
        while (j < n && map[j].line < no)
            j++;
        for (; j < n && map[j].line == no; j++)
            if (out[map[j].part].f)
                put_line(out[map[j].part].f, line, len);
    }
    int bad = ferror(in);
    free(line);
    if (bad)
        return cli_failf("%s: read error", path);
    return CLI_OK;
}

static int write_text_parts(const char *path, const heft_dataset *ds,
                            split_parts *sp, FILE *in)
{
    heft_dataset_info info;
    heft_dataset_get_info(ds, &info);
    const heft_format f = info.source_format;
    const int header = f == HEFT_FMT_AVAZU || f == HEFT_FMT_CSV ||
                       f == HEFT_FMT_TSV;
    cli_out out[N_PARTS];
    memset(out, 0, sizeof out);
    line_part *map = line_map(ds, sp);
    int rc = map ? CLI_OK : cli_failf("out of memory");
    /* Each part goes to sp->tmp[p]; cli_out adds its own temporary. */
    for (int p = 0; p < N_PARTS && rc == CLI_OK; p++)
        if (sp->used[p])
            rc = cli_out_open(&out[p], sp->tmp[p]);
    if (rc == CLI_OK)
        rc = copy_lines(in, path, header, map, heft_dataset_rows(ds), out);
    for (int p = 0; p < N_PARTS && rc == CLI_OK; p++)
        if (sp->used[p])
            rc = cli_out_commit(&out[p]);
    for (int p = 0; p < N_PARTS; p++)
        cli_out_abort(&out[p]);
    free(map);
    return rc;
}

/* Renames every finished part into place, then prints the summary. */
static int publish(const cli_args *a, split_parts *sp)
{
    for (int p = 0; p < N_PARTS; p++) {
        if (!sp->used[p])
            continue;
        if (rename(sp->tmp[p], sp->path[p]) != 0)
            return cli_failf("%s: cannot rename %s to it: %s", sp->path[p],
                             sp->tmp[p], strerror(errno));
        cli_track_tmp(sp->tmp[p], 0);
        free(sp->tmp[p]);
        sp->tmp[p] = NULL;
    }
    for (int p = 0; p < N_PARTS && !a->quiet; p++)
        if (sp->used[p])
            printf("%-6s %10zu rows  label rate %.4f  %s\n", part_name[p],
                   sp->n[p],
                   sp->n[p] ? (double)sp->pos[p] / (double)sp->n[p] : 0.0,
                   sp->path[p]);
    return CLI_OK;
}

static int run_split(const cli_args *a)
{
    if (cli_num(a, "test", 0.2) + cli_num(a, "valid", 0) >= 1)
        return cli_usage_error(a->cmd, "--test plus --valid must be below 1");
    if (cli_flag(a, "text") && cli_given(a, "weight-file"))
        return cli_usage_error(a->cmd, "--text copies the data lines, which "
                                       "do not hold --weight-file's "
                                       "weights; split to .hds instead");
    heft_read_opts ro;
    heft_dataset *ds = NULL;
    split_parts sp;
    memset(&sp, 0, sizeof sp);
    FILE *in = NULL;
    const int text = cli_flag(a, "text");
    int rc = cli_read_opts(a, &ro);
    if (rc == CLI_OK)
        rc = cli_read(a, a->pos[0], &ro, &ds);
    if (rc == CLI_OK && text)
        rc = check_text_input(a->pos[0], ds, &in);
    if (rc == CLI_OK)
        rc = assign(a, ds, &sp);
    if (rc == CLI_OK) {
        heft_dataset_info info;
        heft_dataset_get_info(ds, &info);
        rc = make_paths(cli_str(a, "output"),
                        text ? text_ext(a->pos[0], info.source_format) : "hds",
                        &sp);
    }
    if (rc == CLI_OK)
        rc = text ? write_text_parts(a->pos[0], ds, &sp, in)
                  : write_hds_parts(ds, &sp);
    if (rc == CLI_OK)
        rc = publish(a, &sp);
    if (in)
        fclose(in);
    parts_free(&sp);
    heft_dataset_free(ds);
    return rc;
}

const cli_command cli_cmd_split = {
    .name = "split",
    .synopsis = "IN [--by random|time|group] -o PREFIX [OPTIONS]",
    .summary = "Split a data file into train, validation and test parts",
    .details = "Writes PREFIX.train.hds, PREFIX.test.hds and, with --valid "
               "> 0,\nPREFIX.valid.hds; with --text, PREFIX.train.EXT ... in "
               "the input's own\nformat (EXT: the input's extension). "
               "Prints the rows and label rate of\nevery part. --by time "
               "needs --time COL, --by group needs --group COL (or a\n"
               "format that has them).",
    .min_pos = 1,
    .max_pos = 1,
    .groups = CLI_READS_DATA,
    .opts = split_opts,
    .run = run_split,
};
