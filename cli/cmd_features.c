/*
 * cmd_features.c: `heft features DATA [--model FILE] [--valid V]`. Ranks
 * the fields (input columns) of DATA by mutual information with the
 * label, chi-square, the model's parameter norm and permutation importance
 * (heft_features_compute), and prints the table, or with --json the
 * document of docs/run-dir.md (section features); -o writes the table as
 * TSV and --report the JSON to a file. docs/features.md has the methods.
 */
#include "common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const cli_option features_opts[] = {
    {"model", 0, CLI_STR, "FILE", 0, 0, NULL,
     "a trained heft model for weight norms and permutation; without it an "
     "LR is trained on DATA (on DATA less the --holdout share when no "
     "--valid is given)"},
    {"valid", 0, CLI_STR, "FILE", 0, 0, NULL,
     "validation data for permutation importance (read like DATA); without "
     "it a stratified --holdout share of DATA"},
    {"methods", 0, CLI_STR, "LIST", 0, 0, "all",
     "comma-separated: mi, chi2, weight, perm, or all"},
    {"sort", 0, CLI_CHOICE, "permutation|perm_logloss|mi|mi_adj|chi2|weight",
     0, 0, "permutation, else mi_adj", "the column the table is ranked by"},
    {"repeats", 0, CLI_INT, "R", 1, 1000, "5",
     "permutations per field (mean and sd are reported)"},
    {"max-valid", 0, CLI_U64, "N", 0, 0, "100000",
     "permute on a seeded random subset of at most N validation rows; 0 = "
     "all"},
    {"holdout", 0, CLI_NUM, "F", 0.01, 0.99, "0.2",
     "share of DATA held out for permutation when no --valid is given"},
    {"bits", 0, CLI_FLAG, NULL, 0, 0, "off",
     "mutual information in bits instead of nats"},
    {"seed", 0, CLI_U64, "S", 0, 0, "1",
     "seed of the hold-out, the subset, the permutations and training"},
    {"output", 'o', CLI_STR, "FILE.tsv", 0, 0, NULL,
     "also write the ranked table, every column, as TSV"},
    {"json", 0, CLI_FLAG, NULL, 0, 0, "off",
     "print the JSON document of docs/run-dir.md instead of a table"},
    {"report", 0, CLI_STR, "FILE", 0, 0, NULL,
     "also write the JSON document to FILE (for `heft report`)"},
    CLI_END,
};

/* Everything one run holds (freed by run_free). */
typedef struct frun {
    const cli_args *a;
    heft_model *model;
    heft_dataset *data, *valid;
    heft_features *fs;
    heft_features_opts o;
    heft_feat_key sort;
    size_t *order;
    double seconds;
} frun;

static void run_free(frun *r)
{
    heft_features_free(r->fs);
    heft_model_free(r->model);
    heft_dataset_free(r->data);
    heft_dataset_free(r->valid);
    free(r->order);
}

/* Parses --methods into HEFT_FEAT_* bits; a usage error if unknown. */
static int parse_methods(const cli_args *a, unsigned *what)
{
    const char *p = cli_str(a, "methods");
    *what = 0;
    if (!p || strcmp(p, "all") == 0) {
        *what = HEFT_FEAT_ALL;
        return CLI_OK;
    }
    static const struct { const char *name; unsigned bit; } known[] = {
        {"mi", HEFT_FEAT_MI}, {"chi2", HEFT_FEAT_CHI2},
        {"weight", HEFT_FEAT_WEIGHT}, {"perm", HEFT_FEAT_PERM}};
    for (;;) {
        size_t len = strcspn(p, ","), k = 0;
        while (k < 4 && !(strlen(known[k].name) == len &&
                          memcmp(known[k].name, p, len) == 0))
            k++;
        if (k == 4)
            return cli_usage_error(a->cmd, "--methods: unknown method "
                                   "'%.*s' (known: mi, chi2, weight, perm, "
                                   "or all)", (int)len, p);
        *what |= known[k].bit;
        if (!p[len])
            return CLI_OK;
        p += len + 1;
    }
}

/* Options, and the sort key: --sort, else permutation when computed,
 * else mi_adj, else chi2, else weight. */
static int make_opts(frun *r)
{
    const cli_args *a = r->a;
    r->o = heft_features_opts_default();
    int rc = parse_methods(a, &r->o.what);
    if (rc == CLI_OK)
        rc = cli_train_opts(a, HEFT_MODEL_LR, &r->o.train);
    if (rc != CLI_OK)
        return rc;
    r->o.train.seed = cli_u64(a, "seed", 1);
    r->o.repeats = cli_int(a, "repeats", 5);
    r->o.max_valid_rows = cli_u64(a, "max-valid", 100000);
    r->o.holdout = cli_num(a, "holdout", 0.2);
    r->o.bits = cli_flag(a, "bits");
    r->o.seed = cli_u64(a, "seed", 1);
    r->o.threads = cli_int(a, "threads", 0);
    r->o.log = cli_log;
    r->o.log_ud = (void *)a;
    const unsigned w = r->o.what;
    if (cli_given(a, "sort"))
        heft_feat_key_parse(cli_str(a, "sort"), &r->sort);
    else
        r->sort = (w & HEFT_FEAT_PERM)   ? HEFT_FEAT_KEY_PERMUTATION
                  : (w & HEFT_FEAT_MI)   ? HEFT_FEAT_KEY_MI_ADJ
                  : (w & HEFT_FEAT_CHI2) ? HEFT_FEAT_KEY_CHI2
                                         : HEFT_FEAT_KEY_WEIGHT;
    const unsigned need[] = {HEFT_FEAT_PERM, HEFT_FEAT_PERM, HEFT_FEAT_MI,
                             HEFT_FEAT_MI, HEFT_FEAT_CHI2, HEFT_FEAT_WEIGHT};
    if (!(w & need[r->sort]))
        return cli_usage_error(a->cmd, "--sort %s needs --methods to "
                               "include %s", heft_feat_key_name(r->sort),
                               r->sort <= 1   ? "perm"
                               : r->sort <= 3 ? "mi"
                               : r->sort == 4 ? "chi2"
                                              : "weight");
    heft_error err;
    if (heft_features_opts_check(&r->o, &err) != HEFT_OK)
        return cli_usage_error(a->cmd, "%s", err.msg);
    return CLI_OK;
}

/* Reads --model, DATA (with the model's schema when there is one) and
 * --valid (with DATA's resolved options). */
static int read_inputs(frun *r)
{
    const cli_args *a = r->a;
    heft_read_opts ro;
    heft_error err;
    int rc;
    if (cli_given(a, "model")) {
        if (heft_model_load(cli_str(a, "model"), &r->model, &err) != HEFT_OK)
            return cli_fail(&err);
        heft_model_read_opts(r->model, &ro);
        rc = cli_read_opts_overlay(a, &ro, "the model");
    } else {
        rc = cli_read_opts(a, &ro);
    }
    if (rc == CLI_OK)
        rc = cli_read(a, a->pos[0], &ro, &r->data);
    if (rc == CLI_OK && cli_given(a, "valid")) {
        heft_read_opts vo;
        heft_dataset_read_opts(r->data, &vo);
        cli_read_opts_runtime(a, &vo);
        rc = cli_read(a, cli_str(a, "valid"), &vo, &r->valid);
    }
    return rc;
}

/* A number for a table cell: "-" when not computed. */
static void cell(FILE *f, int width, int prec, double v, int sci)
{
    if (isnan(v))
        fprintf(f, " %*s", width, "-");
    else if (sci)
        fprintf(f, " %*.*e", width, prec, v);
    else
        fprintf(f, " %*.*f", width, prec, v);
}

static void print_header(const frun *r, FILE *f)
{
    heft_features_info in;
    heft_features_get_info(r->fs, &in);
    fprintf(f, "features: %s: %llu rows, %.1f%% positive, %u fields",
            r->a->pos[0], (unsigned long long)in.rows,
            in.rows ? 100.0 * (double)in.positives / (double)in.rows : 0.0,
            in.n_fields);
    if (in.what & HEFT_FEAT_MI)
        fprintf(f, "; information in %s", in.bits ? "bits" : "nats");
    fputc('\n', f);
    if (in.what & (HEFT_FEAT_WEIGHT | HEFT_FEAT_PERM)) {
        if (in.model_trained)
            fprintf(f, "model: %s trained here on %llu rows of %s (no "
                       "--model given)\n",
                    heft_model_kind_name(in.model_kind),
                    (unsigned long long)in.train_rows, r->a->pos[0]);
        else
            fprintf(f, "model: %s from %s\n",
                    heft_model_kind_name(in.model_kind),
                    cli_str(r->a, "model"));
    }
    if (in.what & HEFT_FEAT_PERM)
        fprintf(f, "permutation: %llu %s x %d repeats; base AUC %.4f, "
                   "logloss %.4f\n",
                (unsigned long long)in.valid_rows,
                in.valid_heldout ? "held-out rows of the data"
                                 : "validation rows",
                in.repeats, in.base_auc, in.base_logloss);
    fprintf(f, "ranked by %s\n\n", heft_feat_key_name(r->sort));
}

static void print_table(const frun *r, FILE *f)
{
    const size_t nf = heft_features_count(r->fs);
    heft_features_info in;
    heft_features_get_info(r->fs, &in);
    int w = 5;
    for (size_t i = 0; i < nf; i++) {
        int len = (int)strlen(heft_features_stat(r->fs, i)->name);
        w = len > w ? (len > 24 ? 24 : len) : w;
    }
    print_header(r, f);
    fprintf(f, "%4s  %-*s %10s %9s", "rank", w, "field", "rows", "values");
    if (in.what & HEFT_FEAT_MI)
        fprintf(f, " %8s %8s", "mi", "mi_adj");
    if (in.what & HEFT_FEAT_CHI2)
        fprintf(f, " %11s %9s", "chi2", "p");
    if (in.what & HEFT_FEAT_WEIGHT)
        fprintf(f, " %9s %8s", "weight", "buckets");
    if (in.what & HEFT_FEAT_PERM)
        fprintf(f, " %9s %8s %9s", "perm_auc", "sd", "perm_ll");
    fputc('\n', f);
    for (size_t k = 0; k < nf; k++) {
        const heft_feature_stat *s = heft_features_stat(r->fs, r->order[k]);
        fprintf(f, "%4zu  %-*.*s %10llu %9llu", k + 1, w, w, s->name,
                (unsigned long long)s->rows, (unsigned long long)s->values);
        if (in.what & HEFT_FEAT_MI) {
            cell(f, 8, 4, s->mi, 0);
            cell(f, 8, 4, s->mi_adj, 0);
        }
        if (in.what & HEFT_FEAT_CHI2) {
            cell(f, 11, 1, s->chi2, 0);
            cell(f, 9, 1, s->chi2_p, 1);
        }
        if (in.what & HEFT_FEAT_WEIGHT) {
            cell(f, 9, 4, s->weight_norm, 0);
            fprintf(f, " %8llu", (unsigned long long)s->weight_buckets);
        }
        if (in.what & HEFT_FEAT_PERM) {
            cell(f, 9, 4, s->perm_auc, 0);
            cell(f, 8, 4, s->perm_auc_sd, 0);
            cell(f, 9, 4, s->perm_logloss, 0);
        }
        fputc('\n', f);
    }
}

/* TSV: every column, "nan" for what was not computed. */
static void write_tsv(const frun *r, FILE *f)
{
    fputs("rank\tfield\tname\trows\tvalues\tmi\tmi_mm\tmi_adj\tami\tchi2\t"
          "chi2_df\tchi2_p\tweight_norm\tweight_buckets\tweight_shared\t"
          "perm_auc\tperm_auc_sd\tperm_logloss\tperm_logloss_sd\n", f);
    for (size_t k = 0; k < heft_features_count(r->fs); k++) {
        const heft_feature_stat *s = heft_features_stat(r->fs, r->order[k]);
        fprintf(f, "%zu\t%u\t%s\t%llu\t%llu", k + 1, s->field, s->name,
                (unsigned long long)s->rows, (unsigned long long)s->values);
        const double v[] = {s->mi, s->mi_mm, s->mi_adj, s->ami, s->chi2,
                            s->chi2_df, s->chi2_p, s->weight_norm};
        for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
            fprintf(f, "\t%.9g", v[i]);
        fprintf(f, "\t%llu\t%llu", (unsigned long long)s->weight_buckets,
                (unsigned long long)s->weight_shared);
        const double p[] = {s->perm_auc, s->perm_auc_sd, s->perm_logloss,
                            s->perm_logloss_sd};
        for (size_t i = 0; i < sizeof p / sizeof p[0]; i++)
            fprintf(f, "\t%.9g", p[i]);
        fputc('\n', f);
    }
}

static void jkey(FILE *f, const char *k, double v)
{
    fprintf(f, ",\"%s\":", k);
    cli_json_num(f, v);
}

static void json_settings(const frun *r, FILE *f)
{
    const cli_args *a = r->a;
    fputs("\"settings\":{\"data\":", f);
    cli_json_str(f, a->pos[0]);
    if (cli_given(a, "valid")) {
        fputs(",\"valid\":", f);
        cli_json_str(f, cli_str(a, "valid"));
    }
    if (r->o.what & (HEFT_FEAT_WEIGHT | HEFT_FEAT_PERM)) {
        fputs(",\"model\":", f);
        cli_json_str(f, cli_given(a, "model") ? cli_str(a, "model") : "lr");
    }
    fputs(",\"methods\":", f);
    cli_json_str(f, cli_str(a, "methods") ? cli_str(a, "methods") : "all");
    fprintf(f, ",\"sort\":\"%s\"", heft_feat_key_name(r->sort));
    fprintf(f, ",\"repeats\":%d,\"max_valid\":%llu", r->o.repeats,
            (unsigned long long)r->o.max_valid_rows);
    jkey(f, "holdout", r->o.holdout);
    fprintf(f, ",\"seed\":%llu,\"unit\":\"%s\"}",
            (unsigned long long)r->o.seed, r->o.bits ? "bits" : "nats");
}

static void json_field(const frun *r, const heft_feature_stat *s, size_t rank,
                       FILE *f)
{
    const unsigned w = r->o.what;
    fputs("{\"name\":", f);
    cli_json_str(f, s->name);
    fprintf(f, ",\"field\":%u,\"rank\":%zu,\"rows\":%llu", s->field, rank,
            (unsigned long long)s->rows);
    if (w & (HEFT_FEAT_MI | HEFT_FEAT_CHI2))
        fprintf(f, ",\"values\":%llu", (unsigned long long)s->values);
    if (w & HEFT_FEAT_MI) {
        jkey(f, "mi", s->mi);
        jkey(f, "mi_mm", s->mi_mm);
        jkey(f, "mi_adj", s->mi_adj);
        jkey(f, "ami", s->ami);
    }
    if (w & HEFT_FEAT_CHI2) {
        jkey(f, "chi2", s->chi2);
        jkey(f, "chi2_df", s->chi2_df);
        jkey(f, "chi2_p", s->chi2_p);
    }
    if (w & HEFT_FEAT_WEIGHT) {
        jkey(f, "weight_norm", s->weight_norm);
        fprintf(f, ",\"weight_buckets\":%llu,\"weight_shared\":%llu",
                (unsigned long long)s->weight_buckets,
                (unsigned long long)s->weight_shared);
    }
    if (w & HEFT_FEAT_PERM) {
        jkey(f, "permutation", s->perm_auc);
        jkey(f, "permutation_sd", s->perm_auc_sd);
        jkey(f, "permutation_logloss", s->perm_logloss);
        jkey(f, "permutation_logloss_sd", s->perm_logloss_sd);
    }
    fputc('}', f);
}

static void write_json(const frun *r, FILE *f)
{
    heft_features_info in;
    heft_features_get_info(r->fs, &in);
    fprintf(f, "{\"heft\":\"%s\",\"command\":\"features\",", heft_version());
    json_settings(r, f);
    fprintf(f, ",\"rows\":%llu,\"positives\":%llu,\"unit\":\"%s\","
               "\"sort\":\"%s\"",
            (unsigned long long)in.rows, (unsigned long long)in.positives,
            in.bits ? "bits" : "nats", heft_feat_key_name(r->sort));
    if (in.what & (HEFT_FEAT_WEIGHT | HEFT_FEAT_PERM))
        fprintf(f, ",\"model\":{\"kind\":\"%s\",\"trained\":%s,"
                   "\"train_rows\":%llu}",
                heft_model_kind_name(in.model_kind),
                in.model_trained ? "true" : "false",
                (unsigned long long)in.train_rows);
    if (in.what & HEFT_FEAT_PERM) {
        fprintf(f, ",\"valid\":{\"rows\":%llu,\"heldout\":%s,\"repeats\":%d",
                (unsigned long long)in.valid_rows,
                in.valid_heldout ? "true" : "false", in.repeats);
        jkey(f, "auc", in.base_auc);
        jkey(f, "logloss", in.base_logloss);
        fputc('}', f);
    }
    jkey(f, "seconds", r->seconds);
    fputs(",\"fields\":[", f);
    for (size_t k = 0; k < heft_features_count(r->fs); k++) {
        if (k)
            fputc(',', f);
        json_field(r, heft_features_stat(r->fs, r->order[k]), k + 1, f);
    }
    fputs("]}\n", f);
}

/* Writes one output file through a temporary name. */
static int write_file(const frun *r, const char *path,
                      void (*fn)(const frun *, FILE *))
{
    cli_out out;
    int rc = cli_out_open(&out, path);
    if (rc != CLI_OK)
        return rc;
    fn(r, out.f);
    rc = cli_out_commit(&out);
    cli_out_abort(&out);
    return rc;
}

static int run_features(const cli_args *a)
{
    frun r;
    memset(&r, 0, sizeof r);
    r.a = a;
    int rc = make_opts(&r);
    if (rc == CLI_OK)
        rc = read_inputs(&r);
    if (rc != CLI_OK)
        goto cleanup;
    heft_error err;
    double t0 = cli_now();
    heft_status st = heft_features_compute(r.data, r.valid, r.model, &r.o,
                                           &r.fs, &err);
    r.seconds = cli_now() - t0;
    cli_progress_done();
    if (st != HEFT_OK) {
        rc = cli_fail(&err);
        goto cleanup;
    }
    r.order = malloc((heft_features_count(r.fs) + 1) * sizeof *r.order);
    if (!r.order) {
        rc = cli_failf("out of memory");
        goto cleanup;
    }
    if (heft_features_rank(r.fs, r.sort, r.order, &err) != HEFT_OK) {
        rc = cli_fail(&err);
        goto cleanup;
    }
    if (cli_given(a, "output"))
        rc = write_file(&r, cli_str(a, "output"), write_tsv);
    if (rc == CLI_OK && cli_given(a, "report"))
        rc = write_file(&r, cli_str(a, "report"), write_json);
    if (rc == CLI_OK && cli_flag(a, "json"))
        write_json(&r, stdout);
    else if (rc == CLI_OK) /* the table is the output: --quiet keeps it */
        print_table(&r, stdout);
cleanup:
    run_free(&r);
    return rc;
}

const cli_command cli_cmd_features = {
    .name = "features",
    .synopsis = "DATA [--model FILE] [--valid V] [--methods LIST] "
                "[--sort KEY] [--json] [-o FILE.tsv] [OPTIONS]",
    .summary = "Rank the fields (columns) of a data set by importance",
    .details =
        "Per field: mutual information between the field's value and the "
        "label (plug-in,\nmi_adj = corrected for chance, in nats or --bits), "
        "the chi-square statistic of\nthe value x label table and its "
        "p-value, the model's weight norm over the\nfield's buckets, and "
        "permutation importance: the validation AUC drop (and\nlogloss "
        "rise) when the field's values are permuted across rows, mean and "
        "sd\nover --repeats. Without --model an LR is trained on DATA (the "
        "training flags\napply). A field's value is the set of its buckets "
        "in a row, absent counting as\none value; numeric columns count "
        "through their bucketised token. Labels > 0\nare positive. "
        "docs/features.md has the definitions and citations.",
    .min_pos = 1,
    .max_pos = 1,
    .groups = CLI_READS_DATA | CLI_TRAINS,
    .opts = features_opts,
    .run = run_features,
    .dyn_default = cli_train_dyn_default,
};
