/*
 * cmd_score.c: `heft score TRAIN [--valid V] [--model lr|fm|mlp | --from
 * MODEL] --methods LIST -o SCORES`. Gives every training row a value from
 * each requested importance estimator (heft_score) and writes the table as
 * TSV or .npy + .json (heft_scores_write); with method `group`, the group
 * values go to SCORES' stem + ".groups.tsv".
 *
 * Predictions and embeddings may come from outside (--probs, --embeddings,
 * --valid-embeddings) as .npy (float32 or float64) or text with one row per
 * line; this file reads and checks them.
 *
 * Also the estimators' flags that `bench` shares (cli_score_table,
 * cli_score_opts, cli_check_methods; declared in common.h).
 */
#include "common.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const cli_option score_opts[] = {
    {"output", 'o', CLI_STR, "SCORES", 0, 0, CLI_REQUIRED,
     "where to write the scores: NAME.tsv, or NAME.npy (+ NAME.json)"},
    {"methods", 0, CLI_STR, "LIST", 0, 0, CLI_REQUIRED,
     "comma-separated methods (see above), or all"},
    {"valid", 0, CLI_STR, "FILE", 0, 0, NULL,
     "validation data (read like TRAIN), for tracin, influence, knn and "
     "early stopping"},
    {"model", 'm', CLI_CHOICE, "lr|fm|mlp", 0, 0, "lr",
     "the model the methods train and score with"},
    {"from", 0, CLI_STR, "MODEL", 0, 0, NULL,
     "score with this trained model (its kind and schema) instead of "
     "training one; methods that retrain still train models of its kind"},
    {"checkpoints", 0, CLI_STR, "DIR", 0, 0, NULL,
     "with --from: the model's own epoch checkpoints (DIR/epoch-N.heftm "
     "from `heft train --checkpoints DIR`) as the trajectory of aum, "
     "forget, tracin and selfinf, instead of training one"},
    {"json", 0, CLI_STR, "FILE", 0, 0, NULL,
     "also write the run's settings, row count and seconds per column as "
     "JSON to FILE (for `heft report`; docs/run-dir.md)"},
    {"seed", 0, CLI_U64, "S", 0, 0, "1",
     "random seed of the methods and of training"},
    {"probs", 0, CLI_STR, "FILE", 0, 0, NULL,
     "out-of-fold P(y=1) per training row (.npy or text) for cl, loss, "
     "confidence and margin, instead of heft's"},
    {"embeddings", 0, CLI_STR, "FILE", 0, 0, NULL,
     "row embeddings (rows x d, .npy or text) for knn instead of the hashed "
     "features"},
    {"valid-embeddings", 0, CLI_STR, "FILE", 0, 0, NULL,
     "embeddings of the validation rows (with --embeddings)"},
    CLI_END,
};

/* The estimators' flags, shared with `bench` (group CLI_SCORES). Defaults
 * shown are the library's (cli_score_dyn_default). */
const cli_option cli_score_table[] = {
    {"el2n-runs", 0, CLI_INT, "R", 1, 10000, NULL,
     "el2n, grand: seeded training runs averaged"},
    {"el2n-epochs", 0, CLI_INT, "E", 1, 10000, NULL,
     "el2n, grand: early epochs trained before scoring"},
    {"bags", 0, CLI_INT, "B", 1, 100000, NULL, "oob: bootstrap models"},
    {"folds", 0, CLI_INT, "K", 2, 1000, NULL,
     "cl: folds of the out-of-fold probabilities"},
    {"knn-k", 0, CLI_INT, "K", 1, 100000, NULL, "knn: neighbours"},
    {"knn-approx", 0, CLI_INT, "M", 0, 2147483647, NULL,
     "knn: recursion over the M nearest rows of each validation row only "
     "(each value within 1/M of the exact one); 0 = exact"},
    {"damping", 0, CLI_NUM, "X", 0, 1e12, NULL,
     "influence: solve (H + X I) s = g"},
    {"cg-iters", 0, CLI_INT, "N", 1, 1000000, NULL,
     "influence: conjugate-gradient steps at most"},
    {"cg-tol", 0, CLI_NUM, "X", 0, 1, NULL,
     "influence: stop at this relative residual"},
    {"group-samples", 0, CLI_INT, "N", 1, 100000000, NULL,
     "group: sampled subsets of the MSR Banzhaf estimator"},
    CLI_END,
};

/* ---------------------------------------------------------------------- */
/* Methods: names from the library, one line of help each from here       */
/* ---------------------------------------------------------------------- */

/* What `heft help score` says about a method. The library owns the names
 * (heft_score_methods()); a name without an entry here shows as
 * "(undocumented)", which tests/cli/run.sh refuses. */
typedef struct method_help {
    const char *name;
    const char *text;
} method_help;

static const method_help method_helps[] = {
    {"loss", "negated per-sample log loss of the final model (Arazo et al. "
             "2019)"},
    {"confidence", "self-confidence: the final model's probability of the "
                   "given label"},
    {"margin", "margin (2y - 1) x logit of the given label under the final "
               "model"},
    {"aum", "area under the margin: the margin averaged over the training "
            "epochs (Pleiss et al. 2020)"},
    {"el2n", "EL2N: mean error norm |p - y| over seeded runs of a few early "
             "epochs (Paul et al. 2021); not negated: high = hard, kept when "
             "pruning, though noisy labels score high too"},
    {"grand", "GraNd: mean per-sample gradient norm over the el2n runs (Paul "
              "et al. 2021); not negated, as el2n"},
    {"forget", "negated count of forgetting events across epochs; never "
               "learned = -epochs (Toneva et al. 2019)"},
    {"tracin", "TracIn-CP: sum over epoch checkpoints of step x the row's "
               "gradient . the summed validation gradient (Pruthi et al. "
               "2020); needs --valid"},
    {"selfinf", "negated self-influence: -sum over checkpoints of step x "
                "|gradient|^2 (Pruthi et al. 2020)"},
    {"influence", "influence function: the rise of validation loss if the "
                  "row is left out, via (H + damping I)^-1 (Koh & Liang "
                  "2017); lr, fm (mlp approximate); needs --valid"},
    {"oob", "Data-OOB: mean out-of-bag correctness over bootstrap models "
            "(Kwon & Zou 2023); columns oob (0/1 accuracy) and oob_soft "
            "(probability of the given label)"},
    {"knn", "KNN-Shapley against the validation rows on hashed-feature "
            "cosine or --embeddings, exact or --knn-approx (Jia et al. "
            "2019); needs --valid"},
    {"cl", "confident learning on K-fold out-of-fold probabilities "
           "(Northcutt et al. 2021); columns cl (label quality: probability "
           "of the given label) and cl_ok (0 if flagged as a label issue)"},
    {"dup", "exact duplicates by hashing rows: 1/copies without a label "
            "conflict, -(copies with another label)/copies with one"},
    {"group", "value of the row's group (--group): Data Banzhaf by MSR (Wang "
              "& Jia 2023) on validation AUC with --valid, else group-level "
              "Data-OOB; one row per group in NAME.groups.tsv"},
};

static const char *method_text(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof method_helps / sizeof method_helps[0]; i++)
        if (strlen(method_helps[i].name) == len &&
            memcmp(method_helps[i].name, name, len) == 0)
            return method_helps[i].text;
    return NULL;
}

enum { METHOD_COL = 14, METHOD_WIDTH = 79 };

/* Prints text from column METHOD_COL, wrapped before METHOD_WIDTH. */
static void print_method_text(const char *text, FILE *f)
{
    cli_print_wrapped(text, METHOD_COL, METHOD_WIDTH, f);
    fputc('\n', f);
}

/* The Methods section of `heft help score` and `heft help bench`. */
static void score_extra_help(FILE *f)
{
    fprintf(f, "\nMethods (in the order 'all' runs them). Every column reads "
               "the same way:\nhigher = more valuable to the model, so noisy "
               "and harmful rows score low;\n\"negated\" marks suspicion "
               "scores turned around to fit. Methods with two\ncolumns say "
               "so.\n");
    const char *p = heft_score_methods();
    while (p && *p) {
        size_t len = strcspn(p, ",");
        const char *text = method_text(p, len);
        fprintf(f, "  %-*.*s", METHOD_COL - 2, (int)len, p);
        print_method_text(text ? text : "(undocumented)", f);
        p += len + (p[len] == ',');
    }
}

int cli_check_methods(const cli_args *a, const char *list)
{
    const char *known = heft_score_methods();
    if (strcmp(list, "all") == 0)
        return CLI_OK;
    for (const char *p = list;;) {
        size_t len = strcspn(p, ",");
        int found = 0;
        for (const char *k = known; *k && !found;) {
            size_t kl = strcspn(k, ",");
            found = kl == len && len && memcmp(k, p, len) == 0;
            k += kl + (k[kl] == ',');
        }
        if (!found)
            return cli_usage_error(a->cmd,
                                   "--methods: unknown method '%.*s' "
                                   "(known: %s, or all)",
                                   (int)len, p, known);
        if (!p[len])
            return CLI_OK;
        p += len + 1;
    }
}

char *cli_expand_methods(const cli_args *a, const char *list,
                         const heft_dataset *train)
{
    const char *known = heft_score_methods();
    int all = strcmp(list, "all") == 0;
    char *out = strdup(all ? known : list);
    if (!out || !all || heft_dataset_groups(train))
        return out;
    /* Drop "group": without a group column it has nothing to value. */
    size_t w = 0;
    for (const char *p = known; *p;) {
        size_t len = strcspn(p, ",");
        if (!(len == 5 && memcmp(p, "group", 5) == 0)) {
            if (w)
                out[w++] = ',';
            memcpy(out + w, p, len);
            w += len;
        } else {
            cli_info(a, "all: leaving out group (the data has no group "
                        "column; see --group)");
        }
        p += len + (p[len] == ',');
    }
    out[w] = '\0';
    return out;
}

/* ---------------------------------------------------------------------- */
/* Options                                                                */
/* ---------------------------------------------------------------------- */

int cli_score_dyn_default(const char *name, char *buf, size_t cap)
{
    const heft_score_opts o = heft_score_opts_default(HEFT_MODEL_LR);
    if (strcmp(name, "el2n-runs") == 0)
        snprintf(buf, cap, "%d", o.el2n_runs);
    else if (strcmp(name, "el2n-epochs") == 0)
        snprintf(buf, cap, "%d", o.el2n_epochs);
    else if (strcmp(name, "bags") == 0)
        snprintf(buf, cap, "%d", o.bags);
    else if (strcmp(name, "folds") == 0)
        snprintf(buf, cap, "%d", o.folds);
    else if (strcmp(name, "knn-k") == 0)
        snprintf(buf, cap, "%d", o.knn_k);
    else if (strcmp(name, "knn-approx") == 0)
        snprintf(buf, cap, "%d", o.knn_approx);
    else if (strcmp(name, "damping") == 0 && o.damping > 0)
        snprintf(buf, cap, "%g", o.damping);
    else if (strcmp(name, "damping") == 0)
        snprintf(buf, cap, "0.01 x training rows");
    else if (strcmp(name, "cg-iters") == 0)
        snprintf(buf, cap, "%d", o.cg_iters);
    else if (strcmp(name, "cg-tol") == 0)
        snprintf(buf, cap, "%g", o.cg_tol);
    else if (strcmp(name, "group-samples") == 0)
        snprintf(buf, cap, "%d", o.group_samples);
    else
        return cli_train_dyn_default(name, buf, cap);
    return 1;
}

int cli_score_opts(const cli_args *a, heft_model_kind k, const char *list,
                   heft_score_opts *o)
{
    *o = heft_score_opts_default(k);
    int rc = cli_train_opts(a, k, &o->train);
    if (rc != CLI_OK)
        return rc;
    o->methods = list;
    o->el2n_runs = cli_int(a, "el2n-runs", o->el2n_runs);
    o->el2n_epochs = cli_int(a, "el2n-epochs", o->el2n_epochs);
    o->bags = cli_int(a, "bags", o->bags);
    o->folds = cli_int(a, "folds", o->folds);
    o->knn_k = cli_int(a, "knn-k", o->knn_k);
    o->knn_approx = cli_int(a, "knn-approx", o->knn_approx);
    o->damping = cli_num(a, "damping", o->damping);
    o->cg_iters = cli_int(a, "cg-iters", o->cg_iters);
    o->cg_tol = cli_num(a, "cg-tol", o->cg_tol);
    o->group_samples = cli_int(a, "group-samples", o->group_samples);
    /* heft_score takes 0 as every core, as --threads does. */
    o->threads = cli_int(a, "threads", o->threads);
    o->log = cli_log;
    o->log_ud = (void *)a;
    o->progress = cli_progress;
    o->progress_ud = (void *)a;
    heft_error err;
    if (heft_score_opts_check(o, &err) != HEFT_OK)
        return cli_usage_error(a->cmd, "%s", err.msg);
    return CLI_OK;
}

/* ---------------------------------------------------------------------- */
/* Reading --probs and --embeddings: .npy or text                         */
/* ---------------------------------------------------------------------- */

/* A dense matrix read from a file: v (rows, cols) row-major, malloc'ed. */
typedef struct matrix {
    float *v;
    size_t rows, cols;
} matrix;

/* What a matrix file must hold: one column of probabilities in [0,1], or
 * any number of finite columns. */
typedef enum matrix_kind { MAT_PROBS, MAT_EMBED } matrix_kind;

static int value_ok(matrix_kind k, double v)
{
    return k == MAT_PROBS ? v >= 0 && v <= 1 : isfinite(v);
}

static const char *value_expect(matrix_kind k)
{
    return k == MAT_PROBS ? "a probability in [0,1]" : "a finite number";
}

/* Finds 'key': in a .npy header dict; returns the text after the colon. */
static const char *npy_field(const char *hdr, const char *key)
{
    char pat[32];
    snprintf(pat, sizeof pat, "'%s'", key);
    const char *p = strstr(hdr, pat);
    if (!p)
        return NULL;
    p += strlen(pat);
    while (*p == ' ')
        p++;
    if (*p != ':')
        return NULL;
    p++;
    while (*p == ' ')
        p++;
    return p;
}

/* The parsed header of a .npy file (format versions 1.0, 2.0, 3.0). */
typedef struct npy_header {
    int item;          /* 4 (float32) or 8 (float64) */
    int fortran;       /* column-major data          */
    int ndim;
    uint64_t shape[2];
    long data_offset;  /* bytes before the data      */
} npy_header;

/* Parses "(7, 3)" or "(7,)" into h->shape; returns 0 if malformed. */
static int npy_shape(const char *p, npy_header *h)
{
    if (*p++ != '(')
        return 0;
    h->ndim = 0;
    for (;;) {
        while (*p == ' ')
            p++;
        if (*p == ')')
            return 1;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p || errno || h->ndim == 2)
            return 0;
        h->shape[h->ndim++] = v;
        p = end;
        while (*p == ' ')
            p++;
        if (*p == ',')
            p++;
        else if (*p != ')')
            return 0;
    }
}

static int npy_read_header(FILE *f, const char *path, npy_header *h)
{
    unsigned char pre[12];
    if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0)
        return cli_failf("%s: not a .npy file (bad magic)", path);
    uint32_t hlen = pre[8] | (uint32_t)pre[9] << 8;
    long off = 10;
    if (pre[6] >= 2) {
        if (fread(pre + 10, 1, 2, f) != 2)
            return cli_failf("%s: truncated .npy header", path);
        hlen |= (uint32_t)pre[10] << 16 | (uint32_t)pre[11] << 24;
        off = 12;
    }
    if (pre[6] < 1 || pre[6] > 3 || hlen > (1u << 20))
        return cli_failf("%s: unsupported .npy version %d.%d", path, pre[6],
                         pre[7]);
    char *hdr = malloc((size_t)hlen + 1);
    if (!hdr)
        return cli_failf("out of memory");
    int rc = CLI_OK;
    if (fread(hdr, 1, hlen, f) != hlen) {
        free(hdr);
        return cli_failf("%s: truncated .npy header", path);
    }
    hdr[hlen] = '\0';
    const char *d = npy_field(hdr, "descr");
    const char *fo = npy_field(hdr, "fortran_order");
    const char *sh = npy_field(hdr, "shape");
    h->item = d && (!strncmp(d, "'<f4'", 5) || !strncmp(d, "'|f4'", 5)) ? 4
              : d && (!strncmp(d, "'<f8'", 5) || !strncmp(d, "'|f8'", 5)) ? 8
                                                                        : 0;
    h->fortran = fo && !strncmp(fo, "True", 4);
    h->data_offset = off + (long)hlen;
    if (!d || !fo || !sh)
        rc = cli_failf("%s: malformed .npy header '%s'", path, hdr);
    else if (!h->item)
        rc = cli_failf("%s: .npy dtype %.*s is not supported; expected "
                       "little-endian float32 ('<f4') or float64 ('<f8')",
                       path, *d == '\'' ? (int)strcspn(d + 1, "'") + 2 : 8,
                       d);
    else if (!npy_shape(sh, h) || h->ndim < 1)
        rc = cli_failf("%s: .npy shape %.40s is not (rows,) or (rows, d)",
                       path, sh);
    free(hdr);
    return rc;
}

/* Converts the raw little-endian data of a .npy file (raw: rows*cols items
 * of h->item bytes) into m->v row-major, checking every value. */
static int npy_convert(const char *path, const npy_header *h,
                       const unsigned char *raw, matrix_kind k, matrix *m)
{
    for (size_t r = 0; r < m->rows; r++) {
        for (size_t c = 0; c < m->cols; c++) {
            size_t i = h->fortran ? c * m->rows + r : r * m->cols + c;
            double v;
            if (h->item == 4) {
                float x;
                memcpy(&x, raw + 4 * i, 4);
                v = x;
            } else {
                memcpy(&v, raw + 8 * i, 8);
            }
            if (!value_ok(k, v))
                return cli_failf("%s: row %zu, column %zu: expected %s, got "
                                 "%g", path, r + 1, c + 1, value_expect(k),
                                 v);
            m->v[r * m->cols + c] = (float)v;
        }
    }
    return CLI_OK;
}

/* Reads a .npy file into m. */
static int read_npy(FILE *f, const char *path, matrix_kind k, matrix *m)
{
    const uint16_t probe = 1;
    if (*(const unsigned char *)&probe != 1)
        return cli_failf("%s: .npy input needs a little-endian machine", path);
    npy_header h;
    memset(&h, 0, sizeof h);
    int rc = npy_read_header(f, path, &h);
    if (rc != CLI_OK)
        return rc;
    m->rows = (size_t)h.shape[0];
    m->cols = h.ndim == 2 ? (size_t)h.shape[1] : 1;
    if (k == MAT_PROBS && m->cols != 1)
        return cli_failf("%s: shape (%zu, %zu): probabilities must be one "
                         "column, (rows,) or (rows, 1)", path, m->rows,
                         m->cols);
    if (k == MAT_EMBED && (h.ndim != 2 || m->cols == 0))
        return cli_failf("%s: embeddings must be a 2-D array (rows, d) with "
                         "d >= 1", path);
    if (m->rows && m->cols > SIZE_MAX / 8 / m->rows)
        return cli_failf("%s: shape too large", path);
    size_t n = m->rows * m->cols, bytes = n * (size_t)h.item;
    unsigned char *raw = malloc(bytes ? bytes : 1);
    m->v = malloc((n ? n : 1) * sizeof *m->v);
    if (!raw || !m->v) {
        free(raw);
        return cli_failf("out of memory");
    }
    size_t got = fread(raw, 1, bytes, f);
    if (got != bytes)
        rc = cli_failf("%s: truncated: the header promises %zu bytes of data, "
                       "the file holds %zu", path, bytes, got);
    else if (fgetc(f) != EOF)
        rc = cli_failf("%s: data after the %zu values of the shape", path, n);
    else
        rc = npy_convert(path, &h, raw, k, m);
    free(raw);
    return rc;
}

/* Growable float buffer for text input. */
typedef struct fbuf {
    float *v;
    size_t n, cap;
} fbuf;

static int fbuf_push(fbuf *b, float x)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 4096;
        float *v = realloc(b->v, cap * sizeof *v);
        if (!v)
            return cli_failf("out of memory");
        b->v = v;
        b->cap = cap;
    }
    b->v[b->n++] = x;
    return CLI_OK;
}

static int is_sep(char c)
{
    return c == '\t' || c == ' ' || c == ',';
}

/* Parses the numbers of one text line (no newline) into b; *fields
 * receives how many there were. */
static int parse_text_line(const char *path, uint64_t lno, char *s,
                           matrix_kind k, fbuf *b, size_t *fields)
{
    size_t nf = 0;
    for (char *p = s; *p;) {
        while (is_sep(*p))
            p++;
        if (!*p)
            break;
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        nf++;
        if (end == p || (*end && !is_sep(*end)) || errno == ERANGE ||
            !value_ok(k, v)) {
            size_t len = strcspn(p, "\t ,");
            return cli_failf("%s:%llu:%zu: expected %s, got '%.*s'", path,
                             (unsigned long long)lno, nf, value_expect(k),
                             (int)(len > 40 ? 40 : len), p);
        }
        int rc = fbuf_push(b, (float)v);
        if (rc != CLI_OK)
            return rc;
        p = end;
    }
    *fields = nf;
    return CLI_OK;
}

/* A header line: its first word is not a number. */
static int is_header(const char *s)
{
    s += strspn(s, "\t ,");
    char *end;
    (void)strtod(s, &end);
    return end == s;
}

/* Reads text: one row per line, numbers separated by tabs, spaces or
 * commas. Line 1 may be a header of names; blank lines only at the end. */
static int read_text(FILE *f, const char *path, matrix_kind k, matrix *m)
{
    fbuf b = {0};
    char *line = NULL;
    size_t cap = 0, rows = 0, cols = 0;
    uint64_t lno = 0, blank_at = 0, first_row_line = 0;
    ssize_t len;
    int rc = CLI_OK;
    while (rc == CLI_OK && (len = getline(&line, &cap, f)) >= 0) {
        lno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (strspn(line, "\t ,") == (size_t)len) {
            blank_at = blank_at ? blank_at : lno;
            continue;
        }
        if (blank_at) {
            rc = cli_failf("%s:%llu:1: empty line in the middle of the data",
                           path, (unsigned long long)blank_at);
            break;
        }
        if (lno == 1 && is_header(line))
            continue;
        size_t nf = 0;
        rc = parse_text_line(path, lno, line, k, &b, &nf);
        if (rc != CLI_OK)
            continue;
        if (k == MAT_PROBS && nf != 1)
            rc = cli_failf("%s:%llu:2: expected one probability per line, got "
                           "%zu numbers", path, (unsigned long long)lno, nf);
        else if (rows && nf != cols)
            rc = cli_failf("%s:%llu:%zu: expected %zu numbers as on line "
                           "%llu, got %zu", path, (unsigned long long)lno,
                           nf < cols ? nf + 1 : cols + 1, cols,
                           (unsigned long long)first_row_line, nf);
        if (!rows) {
            cols = nf;
            first_row_line = lno;
        }
        rows++;
    }
    if (rc == CLI_OK && ferror(f))
        rc = cli_failf("%s: read error: %s", path, strerror(errno));
    free(line);
    if (rc != CLI_OK) {
        free(b.v);
        return rc;
    }
    m->v = b.v ? b.v : malloc(sizeof *m->v);
    m->rows = rows;
    m->cols = rows ? cols : (k == MAT_PROBS);
    return m->v ? CLI_OK : cli_failf("out of memory");
}

/* Reads path (.npy by its magic bytes, else text) into m, which must then
 * have want_rows rows ("rows_of" names them in the message). On failure m
 * holds nothing. */
static int read_matrix(const char *path, matrix_kind k, size_t want_rows,
                       const char *rows_of, matrix *m)
{
    memset(m, 0, sizeof *m);
    FILE *f = fopen(path, "rb");
    if (!f)
        return cli_failf("%s: cannot open: %s", path, strerror(errno));
    unsigned char magic[6];
    size_t got = fread(magic, 1, sizeof magic, f);
    rewind(f);
    int rc = got == 6 && memcmp(magic, "\x93NUMPY", 6) == 0
                 ? read_npy(f, path, k, m)
                 : read_text(f, path, k, m);
    fclose(f);
    if (rc == CLI_OK && m->rows != want_rows)
        rc = cli_failf("%s: %zu rows, but %s has %zu: give one row per row "
                       "of %s, in order", path, m->rows, rows_of, want_rows,
                       rows_of);
    if (rc != CLI_OK) {
        free(m->v);
        memset(m, 0, sizeof *m);
    }
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Output                                                                 */
/* ---------------------------------------------------------------------- */

static int has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n > m && strcmp(s + n - m, suf) == 0;
}

/* PATH with its extension (.tsv or .npy) replaced by suffix; malloc'ed. */
static char *sibling_path(const char *path, const char *suffix)
{
    size_t n = strlen(path) - 4, len = n + strlen(suffix) + 1;
    char *s = malloc(len);
    if (s)
        snprintf(s, len, "%.*s%s", (int)n, path, suffix);
    return s;
}

/* Writes the scores through the library (atomic per file), with the
 * library's temporaries registered for removal on an interrupt. */
static int write_outputs(const cli_args *a, const heft_scores *s,
                         const float *labels, const char *path)
{
    char *json = sibling_path(path, ".json");
    char *groups = sibling_path(path, ".groups.tsv");
    if (!json || !groups) {
        free(json);
        free(groups);
        return cli_failf("out of memory");
    }
    char *t1 = cli_track_lib_tmp(path), *t2 = cli_track_lib_tmp(json),
         *t3 = cli_track_lib_tmp(groups);
    heft_error err;
    int rc = CLI_OK;
    if (heft_scores_write(s, labels, path, &err) != HEFT_OK)
        rc = cli_fail(&err);
    cli_forget_lib_tmp(t1);
    cli_forget_lib_tmp(t2);
    cli_forget_lib_tmp(t3);
    if (rc == CLI_OK && has_suffix(path, ".npy"))
        cli_info(a, "wrote %s and %s", path, json);
    if (rc == CLI_OK && heft_scores_groups(s))
        cli_info(a, "wrote the group values to %s", groups);
    free(json);
    free(groups);
    return rc;
}

/* The summary line on stdout (the library logs each method's time). */
static void print_summary(const cli_args *a, const heft_scores *s,
                          double secs, const char *path)
{
    if (a->quiet)
        return;
    printf("scored %zu rows: %zu column%s in %.2f s; wrote %s\n",
           heft_scores_rows(s), heft_scores_cols(s),
           heft_scores_cols(s) == 1 ? "" : "s", secs, path);
}

/* ---------------------------------------------------------------------- */
/* The command                                                            */
/* ---------------------------------------------------------------------- */

/* The checks that need no file: exit 2 before any work. */
static int check_usage(const cli_args *a)
{
    const char *out = cli_str(a, "output");
    if (!has_suffix(out, ".tsv") && !has_suffix(out, ".npy"))
        return cli_usage_error(a->cmd, "-o: '%s' must end in .tsv or .npy",
                               out);
    if (cli_given(a, "from") && cli_given(a, "model"))
        return cli_usage_error(a->cmd, "give --model or --from, not both");
    if (cli_given(a, "checkpoints") && !cli_given(a, "from"))
        return cli_usage_error(a->cmd, "--checkpoints needs --from MODEL "
                                       "(the model they belong to)");
    if (cli_given(a, "valid-embeddings") && !cli_given(a, "embeddings"))
        return cli_usage_error(a->cmd,
                               "--valid-embeddings needs --embeddings");
    if (cli_given(a, "embeddings") && cli_given(a, "valid") &&
        !cli_given(a, "valid-embeddings"))
        return cli_usage_error(a->cmd, "with --embeddings and --valid, give "
                                       "--valid-embeddings too");
    return cli_check_methods(a, cli_str(a, "methods"));
}

/* Everything score reads, owned together (freed by inputs_free). */
typedef struct inputs {
    heft_model *model;
    heft_model **ckpt; /* (n_ckpt) --checkpoints, epochs 1.. in order */
    int n_ckpt;
    heft_dataset *train, *valid;
    matrix probs, emb, vemb;
} inputs;

static void inputs_free(inputs *in)
{
    for (int e = 0; e < in->n_ckpt; e++)
        heft_model_free(in->ckpt[e]);
    free(in->ckpt);
    heft_model_free(in->model);
    heft_dataset_free(in->train);
    heft_dataset_free(in->valid);
    free(in->probs.v);
    free(in->emb.v);
    free(in->vemb.v);
}

/* Loads DIR/epoch-1.heftm, DIR/epoch-2.heftm, ... up to the first that
 * does not exist (at least one must) into in->ckpt. */
static int read_checkpoints(const char *dir, inputs *in)
{
    char path[4096];
    heft_error err;
    for (int e = 1;; e++) {
        int len = snprintf(path, sizeof path, "%s/epoch-%d.heftm", dir, e);
        if (len < 0 || (size_t)len >= sizeof path)
            return cli_failf("--checkpoints: directory name too long");
        if (access(path, F_OK) != 0) {
            if (e > 1)
                return CLI_OK;
            return cli_failf("--checkpoints: %s: no such file (expected the "
                             "epoch checkpoints of `heft train "
                             "--checkpoints %s`)", path, dir);
        }
        heft_model **mm = realloc(in->ckpt, (size_t)e * sizeof *mm);
        if (!mm)
            return cli_failf("out of memory");
        in->ckpt = mm;
        if (heft_model_load(path, &in->ckpt[e - 1], &err) != HEFT_OK)
            return cli_fail(&err);
        in->n_ckpt = e;
    }
}

/* Reads the model (--from), TRAIN, --valid and the outside matrices. */
static int read_inputs(const cli_args *a, inputs *in)
{
    heft_read_opts ro;
    heft_error err;
    int rc;
    if (cli_given(a, "from")) {
        if (heft_model_load(cli_str(a, "from"), &in->model, &err) != HEFT_OK)
            return cli_fail(&err);
        heft_model_read_opts(in->model, &ro);
        rc = cli_read_opts_overlay(a, &ro, "the model");
        if (rc == CLI_OK && cli_given(a, "checkpoints"))
            rc = read_checkpoints(cli_str(a, "checkpoints"), in);
    } else {
        rc = cli_read_opts(a, &ro);
    }
    if (rc == CLI_OK)
        rc = cli_read(a, a->pos[0], &ro, &in->train);
    if (rc == CLI_OK && cli_given(a, "valid")) {
        heft_read_opts vo;
        heft_dataset_read_opts(in->train, &vo);
        cli_read_opts_runtime(a, &vo);
        rc = cli_read(a, cli_str(a, "valid"), &vo, &in->valid);
    }
    size_t n = in->train ? heft_dataset_rows(in->train) : 0;
    if (rc == CLI_OK && cli_given(a, "probs"))
        rc = read_matrix(cli_str(a, "probs"), MAT_PROBS, n, a->pos[0],
                         &in->probs);
    if (rc == CLI_OK && cli_given(a, "embeddings"))
        rc = read_matrix(cli_str(a, "embeddings"), MAT_EMBED, n, a->pos[0],
                         &in->emb);
    if (rc == CLI_OK && in->valid && cli_given(a, "valid-embeddings"))
        rc = read_matrix(cli_str(a, "valid-embeddings"), MAT_EMBED,
                         heft_dataset_rows(in->valid), cli_str(a, "valid"),
                         &in->vemb);
    if (rc == CLI_OK && in->vemb.v && in->vemb.cols != in->emb.cols)
        rc = cli_failf("%s: %zu columns, but %s has %zu",
                       cli_str(a, "valid-embeddings"), in->vemb.cols,
                       cli_str(a, "embeddings"), in->emb.cols);
    return rc;
}

/* The estimators' and training flags, with --seed for both. */
static int score_opts_from_args(const cli_args *a, heft_model_kind k,
                                heft_score_opts *o)
{
    int rc = cli_score_opts(a, k, cli_str(a, "methods"), o);
    o->seed = cli_u64(a, "seed", o->seed);
    o->train.seed = cli_u64(a, "seed", o->train.seed);
    return rc;
}

/* The run as docs/run-dir.md's `score` document. */
static void run_json(const cli_args *a, const heft_score_opts *o,
                     const heft_scores *s, double secs, FILE *f)
{
    static const char *const files[] = {"valid", "from", "model",
                                        "checkpoints", "probs",
                                        "embeddings"};
    fputs("{\"heft\":", f);
    cli_json_str(f, heft_version());
    fputs(",\"command\":\"score\",\"settings\":{\"data\":", f);
    cli_json_str(f, a->pos[0]);
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        if (cli_given(a, files[i])) {
            fprintf(f, ",\"%s\":", files[i]);
            cli_json_str(f, cli_str(a, files[i]));
        }
    fputs(",\"methods\":", f);
    cli_json_str(f, cli_str(a, "methods"));
    fprintf(f, ",\"seed\":%llu,\"bags\":%d,\"folds\":%d,\"knn_k\":%d,"
               "\"knn_approx\":%d,\"el2n_runs\":%d,\"el2n_epochs\":%d,"
               "\"cg_iters\":%d,\"group_samples\":%d,\"damping\":",
            (unsigned long long)o->seed, o->bags, o->folds, o->knn_k,
            o->knn_approx, o->el2n_runs, o->el2n_epochs, o->cg_iters,
            o->group_samples);
    cli_json_num(f, o->damping);
    fputs(",\"cg_tol\":", f);
    cli_json_num(f, o->cg_tol);
    fprintf(f, "},\"rows\":%zu,\"columns\":[", heft_scores_rows(s));
    for (size_t j = 0; j < heft_scores_cols(s); j++) {
        fputs(j ? "," : "", f);
        cli_json_str(f, heft_scores_name(s, j));
    }
    fputs("],\"seconds\":{", f);
    for (size_t j = 0; j < heft_scores_cols(s); j++) {
        fputs(j ? "," : "", f);
        cli_json_str(f, heft_scores_name(s, j));
        fputc(':', f);
        cli_json_num(f, heft_scores_seconds(s, j));
    }
    fputs("},\"wall_seconds\":", f);
    cli_json_num(f, secs);
    fputs("}\n", f);
}

/* --json FILE, atomically. */
static int write_run_json(const cli_args *a, const heft_score_opts *o,
                          const heft_scores *s, double secs)
{
    cli_out out;
    if (cli_out_open(&out, cli_str(a, "json")) != CLI_OK)
        return CLI_ERR;
    run_json(a, o, s, secs, out.f);
    return cli_out_commit(&out);
}

static int run_score(const cli_args *a)
{
    int rc = check_usage(a);
    if (rc != CLI_OK)
        return rc;
    heft_score_opts so;
    heft_model_kind k = HEFT_MODEL_LR;
    heft_model_kind_parse(cli_str(a, "model") ? cli_str(a, "model") : "lr",
                          &k);
    /* Flags first (usage errors before reading); with --from they are
     * taken again for the model's kind. */
    if ((rc = score_opts_from_args(a, k, &so)) != CLI_OK)
        return rc;
    inputs in = {0};
    heft_scores *s = NULL;
    heft_error err;
    rc = read_inputs(a, &in);
    if (rc == CLI_OK && in.model)
        rc = score_opts_from_args(a, heft_model_get_kind(in.model), &so);
    if (rc != CLI_OK)
        goto cleanup;
    char *methods = cli_expand_methods(a, cli_str(a, "methods"), in.train);
    if (!methods) {
        rc = cli_failf("out of memory");
        goto cleanup;
    }
    so.methods = methods;
    so.probs = in.probs.v;
    so.embeddings = in.emb.v;
    so.valid_embeddings = in.vemb.v;
    so.embed_dim = in.emb.cols;
    so.checkpoints = (const heft_model *const *)in.ckpt;
    so.n_checkpoints = in.n_ckpt;
    double t0 = cli_now();
    heft_status st = heft_score(in.train, in.valid, in.model, &so, &s, &err);
    free(methods);
    double secs = cli_now() - t0;
    cli_progress_done();
    if (st != HEFT_OK) {
        rc = cli_fail(&err);
        goto cleanup;
    }
    rc = write_outputs(a, s, heft_dataset_labels(in.train),
                       cli_str(a, "output"));
    if (rc == CLI_OK && cli_given(a, "json"))
        rc = write_run_json(a, &so, s, secs);
    if (rc == CLI_OK)
        print_summary(a, s, secs, cli_str(a, "output"));
cleanup:
    heft_scores_free(s);
    inputs_free(&in);
    return rc;
}

const cli_command cli_cmd_score = {
    .name = "score",
    .synopsis = "TRAIN [--valid V] [--model lr|fm|mlp | --from MODEL] "
                "--methods LIST -o SCORES [OPTIONS]",
    .summary = "Value every training row by importance estimators",
    .details =
        "Writes one row per training row: the row number, the label, then "
        "one column per\nmethod column (-o NAME.tsv: TSV with a header; "
        "-o NAME.npy: float32 rows x\ncolumns, and NAME.json naming the "
        "columns). With method group, the value of\neach group goes to "
        "NAME.groups.tsv. --valid is read with TRAIN's resolved\noptions; "
        "with --from MODEL, TRAIN is read with the model's schema.\n\n"
        "--probs, --embeddings and --valid-embeddings bring a production "
        "model's\nout-of-fold probabilities or row embeddings: a .npy file "
        "(float32 or float64;\n1-D for probabilities, 2-D rows x d for "
        "embeddings) or text with one row per\nline, numbers separated by "
        "tabs, spaces or commas (line 1 may be a header of\nnames). They "
        "need exactly one row per row of TRAIN (resp. V), in order.",
    .min_pos = 1,
    .max_pos = 1,
    .groups = CLI_READS_DATA | CLI_TRAINS | CLI_SCORES,
    .opts = score_opts,
    .run = run_score,
    .dyn_default = cli_score_dyn_default,
    .extra_help = score_extra_help,
};
