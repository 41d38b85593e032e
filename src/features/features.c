/*
 * features.c: heft_features_compute(), the importance of every field
 * (input column) of a data set, and its options and ranking.
 *
 * The steps, each optional (opts.what):
 *   1. one pass over the data: the value x label table of every field and
 *      the buckets each field uses (feat_count.c);
 *   2. mutual information and chi-square from each table (feat_info.c);
 *   3. the model: the one given, else one trained with opts.train on the
 *      data (on the data minus a stratified held-out share when no
 *      validation set is given and permutation importance is asked for);
 *   4. the parameter norm of each field's buckets (feat_perm.c);
 *   5. permutation importance on the validation rows, at most
 *      opts.max_valid_rows of them, a seeded random subset (feat_perm.c).
 * docs/features.md has the definitions and citations.
 */
#include "feat_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static const char *const key_names[HEFT_FEAT_KEY__COUNT] = {
    "permutation", "perm_logloss", "mi", "mi_adj", "chi2", "weight"};

const char *heft_feat_key_name(heft_feat_key k)
{
    return (unsigned)k < HEFT_FEAT_KEY__COUNT ? key_names[k] : "unknown";
}

heft_status heft_feat_key_parse(const char *name, heft_feat_key *out)
{
    for (int k = 0; name && k < HEFT_FEAT_KEY__COUNT; k++)
        if (strcmp(name, key_names[k]) == 0) {
            *out = (heft_feat_key)k;
            return HEFT_OK;
        }
    return HEFT_EINVAL;
}

heft_features_opts heft_features_opts_default(void)
{
    heft_features_opts o;
    memset(&o, 0, sizeof o);
    o.what = HEFT_FEAT_ALL;
    o.repeats = 5;
    o.max_valid_rows = 100000;
    o.holdout = 0.2;
    o.train = heft_train_opts_default(HEFT_MODEL_LR);
    o.seed = 1;
    return o;
}

heft_status heft_features_opts_check(const heft_features_opts *o,
                                     heft_error *err)
{
    if (!o)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0, "options are NULL");
    if (!o->what || (o->what & ~HEFT_FEAT_ALL))
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "what must be a non-empty set of HEFT_FEAT_* bits "
                         "(got %u)", o->what);
    if (o->repeats < 1 || o->repeats > 1000000)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "repeats must be in [1, 1000000] (got %d)",
                         o->repeats);
    if (!(o->holdout > 0 && o->holdout < 1))
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "holdout must be in (0, 1) (got %g)", o->holdout);
    if (o->threads < 0)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "threads must be >= 0 (got %d)", o->threads);
    return heft_train_opts_check(&o->train, err);
}

void heft_features_free(heft_features *fs)
{
    if (!fs)
        return;
    for (unsigned f = 0; fs->names && f < fs->info.n_fields; f++)
        free(fs->names[f]);
    free(fs->names);
    free(fs->st);
    free(fs);
}

size_t heft_features_count(const heft_features *fs)
{
    return fs ? fs->info.n_fields : 0;
}

const heft_feature_stat *heft_features_stat(const heft_features *fs,
                                            size_t f)
{
    return fs && f < fs->info.n_fields ? &fs->st[f] : NULL;
}

void heft_features_get_info(const heft_features *fs, heft_features_info *out)
{
    if (fs)
        *out = fs->info;
    else
        memset(out, 0, sizeof *out);
}

/* A result with every statistic NAN and the field names copied. */
static heft_status result_new(const heft_dataset *ds, heft_features **out)
{
    const unsigned nf = ds->schema.n_fields;
    heft_features *fs = heft__calloc(1, sizeof *fs);
    if (!fs)
        return HEFT_ENOMEM;
    fs->info.n_fields = nf;
    fs->st = heft__calloc(nf ? nf : 1, sizeof *fs->st);
    fs->names = heft__calloc(nf ? nf : 1, sizeof *fs->names);
    if (!fs->st || !fs->names) {
        heft_features_free(fs);
        return HEFT_ENOMEM;
    }
    for (unsigned f = 0; f < nf; f++) {
        const char *nm = heft_dataset_field_name(ds, f);
        char buf[16];
        snprintf(buf, sizeof buf, "f%u", f);
        if (!(fs->names[f] = heft__strdup(nm ? nm : buf))) {
            heft_features_free(fs);
            return HEFT_ENOMEM;
        }
        heft_feature_stat *s = &fs->st[f];
        s->field = f;
        s->name = fs->names[f];
        s->mi = s->mi_mm = s->mi_adj = s->ami = NAN;
        s->chi2 = s->chi2_df = s->chi2_p = NAN;
        s->weight_norm = NAN;
        s->perm_auc = s->perm_auc_sd = NAN;
        s->perm_logloss = s->perm_logloss_sd = NAN;
    }
    *out = fs;
    return HEFT_OK;
}

/* Steps 1, 2 and 4 without the model: tables, information, bucket sets. */
static heft_status count_fields(const heft_dataset *ds,
                                const heft_features_opts *o,
                                heft_features *fs, heft__fcount *c,
                                heft_error *err)
{
    const int tab = (o->what & (HEFT_FEAT_MI | HEFT_FEAT_CHI2)) != 0;
    const int bset = (o->what & HEFT_FEAT_WEIGHT) != 0;
    if (!tab && !bset)
        return HEFT_OK;
    heft_status s = heft__fcount_build(ds, tab, bset, o->threads, c, err);
    if (s != HEFT_OK)
        return s;
    fs->info.positives = c->pos;
    const double unit = o->bits ? 1 / log(2.0) : 1;
    for (unsigned f = 0; tab && f < c->n_fields; f++) {
        heft_feature_stat *st = &fs->st[f];
        st->rows = c->tab[f].present[0] + c->tab[f].present[1];
        if (heft__finfo(&c->tab[f], c->rows, c->pos, st) != HEFT_OK)
            return heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                             "out of memory for field statistics");
        st->mi *= unit;
        st->mi_mm *= unit;
        st->mi_adj *= unit;
        if (!(o->what & HEFT_FEAT_MI))
            st->mi = st->mi_mm = st->mi_adj = st->ami = NAN;
        if (!(o->what & HEFT_FEAT_CHI2))
            st->chi2 = st->chi2_df = st->chi2_p = NAN;
    }
    return HEFT_OK;
}

/* v must be hashed like ds: same bucket count and field names. */
static heft_status check_alike(const heft_dataset *ds, const heft_dataset *v,
                               heft_error *err)
{
    int same = v->schema.hash_bits == ds->schema.hash_bits &&
               v->schema.n_fields == ds->schema.n_fields;
    for (unsigned f = 0; same && f < ds->schema.n_fields; f++) {
        const char *a = heft_dataset_field_name(ds, f),
                   *b = heft_dataset_field_name(v, f);
        same = (!a && !b) || (a && b && strcmp(a, b) == 0);
    }
    if (same)
        return HEFT_OK;
    return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                     "the validation data is hashed unlike the data (%u "
                     "fields, 2^%u buckets vs %u fields, 2^%u buckets, or "
                     "other field names); read it with the data's options",
                     v->schema.n_fields, v->schema.hash_bits,
                     ds->schema.n_fields, ds->schema.hash_bits);
}

/* The rows of ds in part p of a stratified split (train 0, held out 2). */
static heft_status split_rows(const heft_dataset *ds,
                              const heft_features_opts *o, uint64_t **train,
                              size_t *n_train, uint64_t **held,
                              size_t *n_held, heft_error *err)
{
    heft_split_opts so = heft_split_opts_default();
    so.test = o->holdout;
    so.seed = heft__seed_mix(o->seed, 0x686f6c64 /* "hold" */);
    const size_t n = ds->n_rows;
    uint8_t *part = heft__malloc(n + 1, 1);
    *train = heft__malloc(n + 1, sizeof **train);
    *held = heft__malloc(n + 1, sizeof **held);
    heft_status s = part && *train && *held ? HEFT_OK : HEFT_ENOMEM;
    if (s == HEFT_OK)
        s = heft_split_assign(ds, &so, part, err);
    else
        heft__err(err, s, NULL, 0, 0, "out of memory splitting the data");
    *n_train = *n_held = 0;
    for (size_t i = 0; s == HEFT_OK && i < n; i++) {
        if (part[i] == 0)
            (*train)[(*n_train)++] = i;
        else
            (*held)[(*n_held)++] = i;
    }
    free(part);
    return s;
}

/* Where permutation importance runs: a dataset and rows of it. */
typedef struct valid_set {
    const heft_dataset *ds;
    uint64_t *rows;
    size_t n;
} valid_set;

/* Step 3: *m is model, or a model trained here (*owned). Fills vs with the
 * held-out rows when valid is NULL and permutation is asked for. */
static heft_status get_model(const heft_dataset *ds, const heft_dataset *valid,
                             const heft_model *model,
                             const heft_features_opts *o, heft_features *fs,
                             const heft_model **m, heft_model **owned,
                             valid_set *vs, heft_error *err)
{
    const int perm = (o->what & HEFT_FEAT_PERM) != 0;
    uint64_t *train_rows = NULL;
    size_t n_train = ds->n_rows;
    heft_status s = HEFT_OK;
    if (perm && !valid) {
        s = split_rows(ds, o, &train_rows, &n_train, &vs->rows, &vs->n, err);
        vs->ds = ds;
        fs->info.valid_heldout = 1;
    }
    if (s == HEFT_OK && model) {
        *m = model;
        fs->info.model_kind = model->kind;
        if (perm && !valid)
            heft__logf(o->log, o->log_ud,
                       "features: permuting on %zu held-out rows of the "
                       "data, which the given model may have seen", vs->n);
    } else if (s == HEFT_OK) {
        heft_dataset *sub = NULL;
        if (train_rows)
            s = heft_dataset_subset(ds, train_rows, n_train, &sub, err);
        heft__logf(o->log, o->log_ud, "features: training %s on %zu rows%s",
                   heft_model_kind_name(o->train.model), n_train,
                   train_rows ? " (the rest held out)" : "");
        if (s == HEFT_OK)
            s = heft_train(sub ? sub : ds, NULL, &o->train, owned, err);
        heft_dataset_free(sub);
        *m = *owned;
        fs->info.model_trained = 1;
        fs->info.model_kind = o->train.model;
        fs->info.train_rows = n_train;
    }
    free(train_rows);
    return s;
}

/* Keeps a seeded random subset of at most max rows of vs, in row order. */
static int cmp_row(const void *x, const void *y)
{
    const uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

static void subsample(valid_set *vs, uint64_t max, uint64_t seed)
{
    if (!max || vs->n <= max)
        return;
    heft__rng rng;
    heft__rng_seed(&rng, heft__seed_mix(seed, 0x73756273 /* "subs" */));
    for (size_t i = 0; i < max; i++) { /* partial Fisher-Yates */
        size_t j = i + (size_t)heft__rng_below(&rng, vs->n - i);
        uint64_t t = vs->rows[i];
        vs->rows[i] = vs->rows[j];
        vs->rows[j] = t;
    }
    vs->n = (size_t)max;
    qsort(vs->rows, vs->n, sizeof *vs->rows, cmp_row);
}

/* Steps 3 to 5: the model, its parameter norms, permutation importance. */
static heft_status model_steps(const heft_dataset *ds, const heft_dataset *valid,
                               const heft_model *model,
                               const heft_features_opts *o,
                               const heft__fcount *c, heft_features *fs,
                               heft_error *err)
{
    const heft_model *m = NULL;
    heft_model *owned = NULL;
    valid_set vs = {0};
    heft_status s = get_model(ds, valid, model, o, fs, &m, &owned, &vs, err);
    if (s == HEFT_OK && (o->what & HEFT_FEAT_WEIGHT))
        s = heft__fweight(m, c, fs->st, err);
    if (s == HEFT_OK && (o->what & HEFT_FEAT_PERM)) {
        if (valid) {
            vs.ds = valid;
            vs.n = valid->n_rows;
            vs.rows = heft__malloc(vs.n + 1, sizeof *vs.rows);
            if (!vs.rows)
                s = heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "out of memory");
            for (size_t i = 0; s == HEFT_OK && i < vs.n; i++)
                vs.rows[i] = i;
        }
        if (s == HEFT_OK && vs.n == 0)
            s = heft__err(err, HEFT_EEMPTY, NULL, 0, 0,
                          "no validation rows to permute on");
        if (s == HEFT_OK) {
            subsample(&vs, o->max_valid_rows, o->seed);
            heft__logf(o->log, o->log_ud,
                       "features: permuting %u fields x %d repeats on %zu "
                       "validation rows", fs->info.n_fields, o->repeats,
                       vs.n);
            fs->info.valid_rows = vs.n;
            fs->info.repeats = o->repeats;
            s = heft__fperm(m, vs.ds, vs.rows, vs.n, fs->info.n_fields,
                            o->repeats, o->seed, o->threads, fs->st,
                            &fs->info.base_auc, &fs->info.base_logloss, err);
        }
    }
    free(vs.rows);
    heft_model_free(owned);
    return s;
}

static heft_status check_inputs(const heft_dataset *ds,
                                const heft_dataset *valid,
                                const heft_model *model,
                                const heft_features_opts *o, heft_error *err)
{
    if (!ds || !o)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "data or options are NULL");
    heft_status s = heft_features_opts_check(o, err);
    if (s != HEFT_OK)
        return s;
    if (ds->n_rows == 0)
        return heft__err(err, HEFT_EEMPTY, NULL, 0, 0, "the data has no rows");
    if (valid && (s = check_alike(ds, valid, err)) != HEFT_OK)
        return s;
    const int needs_model = (o->what & (HEFT_FEAT_WEIGHT | HEFT_FEAT_PERM));
    if (model && needs_model &&
        (s = heft__model_check_data(model, ds, err)) != HEFT_OK)
        return s;
    return HEFT_OK;
}

heft_status heft_features_compute(const heft_dataset *data,
                                  const heft_dataset *valid,
                                  const heft_model *model,
                                  const heft_features_opts *o,
                                  heft_features **out, heft_error *err)
{
    if (out)
        *out = NULL;
    if (!out)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0, "out is NULL");
    heft_status s = check_inputs(data, valid, model, o, err);
    if (s != HEFT_OK)
        return s;
    heft_features *fs = NULL;
    if (result_new(data, &fs) != HEFT_OK)
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "out of memory");
    fs->info.rows = data->n_rows;
    fs->info.what = o->what;
    fs->info.bits = o->bits != 0;
    fs->info.base_auc = fs->info.base_logloss = NAN;
    fs->info.model_kind = HEFT_MODEL_LR;
    for (uint64_t i = 0; i < data->n_rows; i++)
        fs->info.positives += data->label[i] > 0;
    heft__fcount c = {0};
    s = count_fields(data, o, fs, &c, err);
    if (s == HEFT_OK && (o->what & (HEFT_FEAT_WEIGHT | HEFT_FEAT_PERM)))
        s = model_steps(data, valid, model, o, &c, fs, err);
    heft__fcount_free(&c);
    if (s != HEFT_OK) {
        heft_features_free(fs);
        return s;
    }
    *out = fs;
    return HEFT_OK;
}

/* ---- ranking ------------------------------------------------------------ */

static double key_value(const heft_feature_stat *s, heft_feat_key k)
{
    switch (k) {
    case HEFT_FEAT_KEY_PERMUTATION: return s->perm_auc;
    case HEFT_FEAT_KEY_PERM_LOGLOSS: return s->perm_logloss;
    case HEFT_FEAT_KEY_MI: return s->mi;
    case HEFT_FEAT_KEY_MI_ADJ: return s->mi_adj;
    case HEFT_FEAT_KEY_CHI2: return s->chi2;
    default: return s->weight_norm;
    }
}

static unsigned key_needs(heft_feat_key k)
{
    switch (k) {
    case HEFT_FEAT_KEY_PERMUTATION:
    case HEFT_FEAT_KEY_PERM_LOGLOSS: return HEFT_FEAT_PERM;
    case HEFT_FEAT_KEY_MI:
    case HEFT_FEAT_KEY_MI_ADJ: return HEFT_FEAT_MI;
    case HEFT_FEAT_KEY_CHI2: return HEFT_FEAT_CHI2;
    default: return HEFT_FEAT_WEIGHT;
    }
}

heft_status heft_features_rank(const heft_features *fs, heft_feat_key key,
                               size_t *order, heft_error *err)
{
    if (!fs || !order || (unsigned)key >= HEFT_FEAT_KEY__COUNT)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "result, order or key is invalid");
    if (!(fs->info.what & key_needs(key)))
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "cannot rank by %s: it was not computed",
                         heft_feat_key_name(key));
    const size_t n = fs->info.n_fields;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    /* Insertion sort: fields are few, and it is stable (ties by id). */
    for (size_t i = 1; i < n; i++) {
        const size_t f = order[i];
        const double v = key_value(&fs->st[f], key);
        size_t j = i;
        while (j > 0) {
            const double u = key_value(&fs->st[order[j - 1]], key);
            if (!(isnan(u) && !isnan(v)) && !(v > u))
                break;
            order[j] = order[j - 1];
            j--;
        }
        order[j] = f;
    }
    return HEFT_OK;
}
