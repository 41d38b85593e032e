/*
 * report_load.c: reads a run directory into the report model
 * (docs/run-dir.md is the contract). Every *.json whose top-level object
 * has "command" becomes one section drawn by that command's loader
 * (report_bench.c, report_runs.c);
 * score tables (*.tsv with the header "row\tlabel\t...", *.npy with a
 * *.json sidecar naming its columns) become histogram sections
 * (report_scores.c); other files are ignored. Optional keys may be
 * absent; a key of the wrong kind is an error naming the file, line and
 * column of its value.
 */
#include "report_keys.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* ---- the model ----------------------------------------------------------- */

heft__rsection *heft__report_section(heft__report *r)
{
    if (r->nsec == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 16;
        heft__rsection *s = heft__arena_alloc(r->arena, cap, sizeof *s);
        if (!s)
            return NULL;
        if (r->nsec)
            memcpy(s, r->sec, r->nsec * sizeof *s);
        r->sec = s;
        r->cap = cap;
    }
    heft__rsection *s = &r->sec[r->nsec++];
    memset(s, 0, sizeof *s);
    s->id = heft__arena_printf(r->arena, "sec-%zu", r->nsec);
    return s->id ? s : NULL;
}

heft__rchart *heft__report_chart(heft__report *r, heft__rsection *s)
{
    heft__rchart *c = heft__arena_alloc(r->arena, s->nchart + 1, sizeof *c);
    if (!c)
        return NULL;
    if (s->nchart)
        memcpy(c, s->chart, s->nchart * sizeof *c);
    s->chart = c;
    heft__rchart *n = &c[s->nchart++];
    n->id = heft__arena_printf(r->arena, "c%zu", ++r->ncharts);
    n->xmul = n->ymul = 1;
    n->xmin = n->xmax = n->ymin = n->ymax = NAN;
    return n->id ? n : NULL;
}

heft__rtable *heft__report_table(heft__report *r, heft__rsection *s,
                                 size_t ncol, size_t nrow)
{
    heft__rtable *t = heft__arena_alloc(r->arena, s->ntable + 1, sizeof *t);
    if (!t)
        return NULL;
    if (s->ntable)
        memcpy(t, s->table, s->ntable * sizeof *t);
    s->table = t;
    heft__rtable *n = &t[s->ntable++];
    n->ncol = ncol;
    n->nrow = nrow;
    n->head = heft__arena_alloc(r->arena, ncol, sizeof *n->head);
    n->cell =
        heft__arena_alloc(r->arena, ncol * (nrow ? nrow : 1), sizeof *n->cell);
    for (size_t i = 0; n->cell && i < ncol * nrow; i++)
        n->cell[i].num = n->cell[i].lo = n->cell[i].hi = NAN;
    return n->head && n->cell ? n : NULL;
}

void heft__report_free(heft__report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->ndocs; i++)
        heft__json_free(r->docs[i]);
    free(r->docs);
    heft__arena_free(r->arena);
    free(r);
}

/* ---- the run directory --------------------------------------------------- */

static const struct kind {
    const char *command, *title;
    int order;
    heft_status (*load)(heft__rloader *, const heft__jval *);
} kinds[] = {
    {"score", "Scoring run", 1, heft__rl_score},
    {"bench noise", "Noise detection", 2, heft__rl_noise},
    {"bench removal", "Removal curves", 3, heft__rl_removal},
    {"bench prune", "Pruning frontier", 4, heft__rl_prune},
    {"bench addition", "Addition curves", 5, heft__rl_addition},
    {"bench agreement", "Agreement with retraining", 6, heft__rl_agreement},
    {"eval", "Evaluation and calibration", 7, heft__rl_eval},
    {"audit", "Test-set audit", 8, heft__rl_audit},
    {"features", "Feature importance", 9, heft__rl_features},
};

static char *join(heft__arena *a, const char *dir, const char *name)
{
    size_t n = strlen(dir);
    return heft__arena_printf(a, "%s%s%s", dir,
                              n && dir[n - 1] == '/' ? "" : "/", name);
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* path with its extension (after the last '.') replaced by ext. */
static char *with_ext(heft__arena *a, const char *path, const char *ext)
{
    const char *dot = strrchr(path, '.');
    size_t n = dot ? (size_t)(dot - path) : strlen(path);
    return heft__arena_printf(a, "%.*s%s", (int)n, path, ext);
}

/* One run file of a known command: its section, settings and drawings. */
static heft_status load_command(heft__rloader *L, const heft__jval *root,
                                const heft__jval *cmd)
{
    const struct kind *k = NULL;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].command, cmd->str) == 0)
            k = &kinds[i];
    const heft__jval *ver;
    heft_status st = heft__rl_member(L, root, "heft", HEFT__J_STR, &ver);
    if (st)
        return st;
    L->sec = heft__report_section(L->r);
    if (!L->sec)
        return HEFT__RL_OOM(L);
    L->sec->source = L->path;
    L->sec->command = cmd->str;
    L->sec->version = ver ? ver->str : NULL;
    L->sec->order = k ? k->order : 50;
    L->sec->title = heft__arena_printf(L->a, "%s: heft %s",
                                       k ? k->title : "Other run", cmd->str);
    if (!L->sec->title)
        return HEFT__RL_OOM(L);
    if ((st = heft__rl_load_settings(L, root)))
        return st;
    return (k ? k->load : heft__rl_other)(L, root);
}

/* A .json file: parsed (errors are errors even for files the report then
 * ignores: the directory is the report's input); drawn when it is a run
 * file. The doc's arena is handed to the report when it is used. */
/* A run file's text: parsed, and drawn when it is a run file. full is its
 * path (NULL for a buffer with no file: then no .npy sidecar check). */
static heft_status load_json_mem(heft__rloader *L, const char *buf,
                                 size_t len, const char *full,
                                 heft__jdoc **keep)
{
    heft__jdoc *d = NULL;
    heft_status st = heft__json_parse(buf, len, L->path, &d, L->err);
    if (st)
        return st;
    *keep = d;
    const heft__jval *root = d->root, *cmd;
    if (root->type != HEFT__J_OBJ)
        return HEFT_OK;
    if ((st = heft__rl_member(L, root, "command", HEFT__J_STR, &cmd)) || !cmd)
        return st;
    if (strcmp(cmd->str, "report") == 0)
        return HEFT_OK; /* a report's own --json: nothing new to draw */
    /* The sidecar of a .npy table is drawn with its table. */
    if (full && strcmp(cmd->str, "score") == 0 &&
        heft__json_get(root, "columns") &&
        file_exists(with_ext(L->a, full, ".npy")))
        return HEFT_OK;
    return load_command(L, root, cmd);
}

/* A .json file: parsed (errors are errors even for files the report then
 * ignores: the directory is the report's input); drawn when it is a run
 * file. The document is handed to *keep, for the report to keep. */
static heft_status load_json(heft__rloader *L, const char *full,
                             heft__jdoc **keep)
{
    void *buf;
    size_t len;
    heft_status st = heft__read_file(full, &buf, &len, L->err);
    if (st)
        return st;
    st = load_json_mem(L, buf, len, full, keep);
    free(buf);
    return st;
}

/* Keeps doc alive as long as the report (sections point into it). */
static heft_status keep_doc(heft__rloader *L, heft__jdoc *d)
{
    if (!d)
        return HEFT_OK;
    heft__jdoc **docs =
        heft__realloc(L->r->docs, L->r->ndocs + 1, sizeof *docs);
    if (!docs) {
        heft__json_free(d);
        return HEFT__RL_OOM(L);
    }
    L->r->docs = docs;
    docs[L->r->ndocs++] = d;
    return HEFT_OK;
}

/* A score table: X.tsv with the header "row\tlabel\t..." or X.npy with a
 * sidecar X.json naming its columns; anything else is ignored. */
static heft_status load_table(heft__rloader *L, const char *full, int npy)
{
    heft__jdoc *d = NULL;
    const char **names = NULL;
    size_t ncol = 0;
    heft_status st = HEFT_OK;
    if (npy) {
        heft__rloader S = *L;
        S.path = with_ext(L->a, full, ".json");
        if (!S.path)
            return HEFT__RL_OOM(L);
        if (!file_exists(S.path))
            return HEFT_OK;
        st = load_json(&S, S.path, &d);
        heft_status st2 = keep_doc(L, d); /* kept even on failure: freed */
        if (st || (st = st2))
            return st;
        const heft__jval *cols = heft__json_get(d->root, "columns");
        if (!cols || cols->type != HEFT__J_ARR)
            return HEFT_OK; /* not a score sidecar */
        names = heft__arena_alloc(L->a, cols->n + 1, sizeof *names);
        if (!names)
            return HEFT__RL_OOM(L);
        for (ncol = 0; ncol < cols->n; ncol++) {
            if (cols->item[ncol].type != HEFT__J_STR)
                return heft__rl_bad(&S, &cols->item[ncol],
                                    "column names must be "
                                    "strings");
            names[ncol] = cols->item[ncol].str;
        }
    } else {
        FILE *f = fopen(full, "r");
        char head[16] = {0};
        if (!f)
            return heft__err(L->err, HEFT_EIO, full, 0, 0, "cannot open: %s",
                             strerror(errno));
        size_t got = fread(head, 1, 10, f);
        fclose(f);
        if (got < 10 || memcmp(head, "row\tlabel\t", 10) != 0)
            return HEFT_OK;
    }
    L->sec = heft__report_section(L->r);
    if (!L->sec)
        return HEFT__RL_OOM(L);
    L->sec->source = full;
    L->sec->order = 0;
    L->sec->title = heft__arena_printf(L->a, "Score histograms: %s",
                                       strrchr(full, '/') + 1);
    if (d) {
        const heft__jval *ver = heft__json_get(d->root, "heft");
        L->sec->command = "score";
        L->sec->version = ver && ver->type == HEFT__J_STR ? ver->str : NULL;
        heft__rloader S = *L;
        S.path = with_ext(L->a, full, ".json");
        if ((st = heft__rl_load_settings(&S, d->root)))
            return st;
    }
    return npy ? heft__report_scores_npy(L->r, L->sec, full, names, ncol,
                                         L->err)
               : heft__report_scores_tsv(L->r, L->sec, full, L->err);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static heft_status load_entry(heft__rloader *L, const char *name)
{
    if (name[0] == '.' || strstr(name, ".tmp."))
        return HEFT_OK; /* hidden files and unfinished outputs */
    char *full = join(L->a, L->r->run_dir, name);
    if (!full)
        return HEFT__RL_OOM(L);
    if (!file_exists(full))
        return HEFT_OK;
    L->path = full;
    if (ends_with(name, ".json")) {
        heft__jdoc *d = NULL;
        heft_status st = load_json(L, full, &d);
        heft_status st2 = keep_doc(L, d);
        return st ? st : st2;
    }
    if (ends_with(name, ".tsv"))
        return load_table(L, full, 0);
    if (ends_with(name, ".npy"))
        return load_table(L, full, 1);
    return HEFT_OK;
}

static int cmp_section(const void *a, const void *b)
{
    const heft__rsection *x = a, *y = b;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    return strcmp(x->source ? x->source : "", y->source ? y->source : "");
}

/* The last section: every run file with its command and settings. */
static heft_status runs_section(heft__rloader *L)
{
    const size_t n = L->r->nsec;
    heft__rsection *s = heft__report_section(L->r);
    if (!s)
        return HEFT__RL_OOM(L);
    s->title = "Runs and their settings";
    s->order = 1000;
    heft__rtable *t = heft__report_table(L->r, s, 4, n);
    if (!t)
        return HEFT__RL_OOM(L);
    t->title = "Files read";
    t->head[0] = "file";
    t->head[1] = "command";
    t->head[2] = "heft";
    t->head[3] = "settings";
    for (size_t i = 0; i < n; i++) {
        const heft__rsection *r = &L->r->sec[i];
        heft__rcell *c = &t->cell[4 * i];
        heft__sbuf b = {0};
        for (size_t k = 0; k < r->settings.nrow; k++)
            heft__sbuf_printf(&b, "%s%s=%s", k ? "; " : "",
                              r->settings.cell[2 * k].text,
                              r->settings.cell[2 * k + 1].text);
        heft__rl_cell_text(L, &c[0], r->source);
        heft__rl_cell_text(L, &c[1], r->command ? r->command : "score table");
        heft__rl_cell_text(L, &c[2], r->version ? r->version : "");
        heft__rl_cell_text(L, &c[3], b.failed ? "" : b.s ? b.s : "");
        heft__sbuf_free(&b);
    }
    return HEFT_OK;
}

/* What follows reading the files: the check that something was read,
 * the order of the sections, the list of runs and the sections' ids. */
static heft_status report_finish(heft__rloader *L, const char *name)
{
    heft__report *r = L->r;
    if (r->nsec == 0)
        return heft__err(L->err, HEFT_EEMPTY, name, 0, 0,
                         "no run files here: expected *.json written by a "
                         "heft command's --json, or score tables (*.tsv, "
                         "*.npy); see docs/run-dir.md");
    qsort(r->sec, r->nsec, sizeof *r->sec, cmp_section);
    heft_status st = runs_section(L);
    for (size_t i = 0; st == HEFT_OK && i < r->nsec; i++)
        if (!(r->sec[i].id = heft__arena_printf(r->arena, "sec-%zu", i + 1)))
            st = heft__err(L->err, HEFT_ENOMEM, name, 0, 0, "out of memory");
    return st;
}

static heft__report *report_new(const char *run_dir)
{
    heft__report *r = calloc(1, sizeof *r);
    if (r && (!(r->arena = heft__arena_new()) ||
              !(r->run_dir = heft__arena_strdup(r->arena, run_dir)))) {
        heft__report_free(r);
        r = NULL;
    }
    return r;
}

heft_status heft__report_load(const char *run_dir, heft__report **out,
                              heft_error *err)
{
    *out = NULL;
    struct dirent **ents = NULL;
    int n = scandir(run_dir, &ents, NULL, alphasort);
    if (n < 0)
        return heft__err(err, HEFT_EIO, run_dir, 0, 0,
                         "cannot read the run directory: %s",
                         strerror(errno));
    heft__report *r = report_new(run_dir);
    heft_status st = HEFT_OK;
    if (!r)
        st = heft__err(err, HEFT_ENOMEM, run_dir, 0, 0, "out of memory");
    heft__rloader L = {r, r ? r->arena : NULL, run_dir, err, NULL};
    for (int i = 0; i < n; i++) {
        if (st == HEFT_OK)
            st = load_entry(&L, ents[i]->d_name);
        free(ents[i]);
    }
    free(ents);
    if (st == HEFT_OK)
        st = report_finish(&L, run_dir);
    if (st != HEFT_OK) {
        heft__report_free(r);
        return st;
    }
    *out = r;
    return HEFT_OK;
}

heft_status heft__report_load_mem(const char *buf, size_t len,
                                  const char *name, heft__report **out,
                                  heft_error *err)
{
    *out = NULL;
    heft__report *r = report_new(".");
    if (!r)
        return heft__err(err, HEFT_ENOMEM, name, 0, 0, "out of memory");
    heft__rloader L = {r, r->arena, name, err, NULL};
    heft__jdoc *d = NULL;
    heft_status st = load_json_mem(&L, buf, len, NULL, &d);
    heft_status st2 = keep_doc(&L, d);
    if (!st)
        st = st2;
    if (!st)
        st = report_finish(&L, name);
    if (st != HEFT_OK) {
        heft__report_free(r);
        return st;
    }
    *out = r;
    return HEFT_OK;
}
