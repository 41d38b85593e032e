/*
 * score.c: the driver of `heft score`: options, the method list, the final
 * model and the training trajectory that estimators share, running each
 * estimator of the registry (registry.c) with timing, and the score table
 * with its writers.
 *
 * One call of heft_score():
 *   1. parses o->methods ("all" = every registered method, in registry
 *      order; otherwise the listed ones in the order given, repeats
 *      dropped);
 *   2. if no model is given, trains one on train alone with o->train and
 *      seed o->seed, keeping a snapshot of the model after every epoch: the
 *      same run is then both the final model and the training trajectory
 *      (heft__score_trajectory), so trajectory methods cost no second run;
 *      the validation set is not used for early stopping, so the final
 *      model is the trajectory's last epoch;
 *   3. runs each estimator into freshly zeroed columns (n,), timed with
 *      CLOCK_MONOTONIC;
 *   4. moves the group values of the "group" method into a separate table.
 *
 * Output files (heft_scores_write), where STEM is PATH without a final
 * ".tsv" or ".npy":
 *   PATH ending in .npy: NumPy format 1.0, dtype '<f4', C order, shape
 *     (rows, cols), plus STEM.json {"columns": [...], "rows": N,
 *     "seconds": {method: s, ...}};
 *   any other PATH: TSV with the header "row\tlabel\tCOL..." (no label
 *     column when no labels are given), rows numbered from 0, %.9g values;
 *   with group values: STEM.groups.tsv, header "group_id\tCOL", one line
 *     per group, ids ascending as the group method gives them.
 * Every file is written to a temporary name and renamed.
 */
#include "estimator.h"
#include "score_driver.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct heft_scores {
    size_t rows, cols;
    char **names;          /* (cols) owned column names                   */
    const char **method;   /* (cols) name of the method that made each    */
    float **col;           /* (cols) each (rows,), owned                  */
    double *seconds;       /* (cols) seconds of the column's method       */
    uint64_t *ids;         /* (rows) group ids of a group table, or NULL  */
    heft_scores *groups;   /* the group table, or NULL                    */
};

#define BAD(...) heft__err(err, HEFT_EINVAL, NULL, 0, 0, __VA_ARGS__)

/* ---- options --------------------------------------------------------- */

heft_score_opts heft_score_opts_default(heft_model_kind k)
{
    heft_score_opts o;
    memset(&o, 0, sizeof o);
    o.methods = "loss";
    o.train = heft_train_opts_default(k);
    o.el2n_runs = 3;
    o.el2n_epochs = 1;
    o.bags = 32;
    o.folds = 5;
    o.knn_k = 10;
    o.knn_approx = 0;
    o.damping = 0; /* resolved by the influence method: 0.01 * rows */
    o.cg_iters = 100;
    o.cg_tol = 1e-6;
    o.group_samples = 64;
    o.seed = 1;
    o.threads = 0;
    return o;
}

/* The registry's names, comma-separated, built once (pthread_once: the
 * table holds weak references, so the list is only known at run time). */
static char method_names[1024];
static pthread_once_t method_names_once = PTHREAD_ONCE_INIT;

static void build_method_names(void)
{
    size_t len = 0;
    for (size_t i = 0; i < heft__estimator_table_len; i++) {
        const heft__estimator *e = heft__estimator_table[i];
        if (!e)
            continue;
        int k = snprintf(method_names + len, sizeof method_names - len,
                         "%s%s", len ? "," : "", e->name);
        if (k < 0 || (size_t)k >= sizeof method_names - len)
            break;
        len += (size_t)k;
    }
}

const char *heft_score_methods(void)
{
    pthread_once(&method_names_once, build_method_names);
    return method_names;
}

/* Splits the method list into the estimators to run, in order, without
 * repeats. sel must hold heft__estimator_table_len entries. Sets *all when
 * the list says "all" (every registered method). */
static heft_status parse_methods(const char *list, const heft__estimator **sel,
                                 size_t *n_sel, int *all, heft_error *err)
{
    *n_sel = 0;
    *all = 0;
    if (!list || !*list)
        return BAD("no methods given; expected a comma-separated list of "
                   "%s, or all", heft_score_methods());
    for (const char *p = list;;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        const char *q = p;
        while (len && (*q == ' ' || *q == '\t'))
            q++, len--;
        while (len && (q[len - 1] == ' ' || q[len - 1] == '\t'))
            len--;
        if (!len)
            return BAD("empty method name in \"%s\"; expected a "
                       "comma-separated list of %s, or all",
                       list, heft_score_methods());
        if (len == 3 && !memcmp(q, "all", 3)) {
            *all = 1;
        } else {
            const heft__estimator *est = heft__estimator_find(q, len);
            if (!est)
                return BAD("unknown method \"%.*s\"; available: %s (or all)",
                           (int)len, q, heft_score_methods());
            size_t k = 0;
            while (k < *n_sel && sel[k] != est)
                k++;
            if (k == *n_sel)
                sel[(*n_sel)++] = est;
        }
        if (!e)
            break;
        p = e + 1;
    }
    if (*all) {
        *n_sel = 0;
        for (size_t i = 0; i < heft__estimator_table_len; i++)
            if (heft__estimator_table[i])
                sel[(*n_sel)++] = heft__estimator_table[i];
    }
    return HEFT_OK;
}

heft_status heft_score_opts_check(const heft_score_opts *o, heft_error *err)
{
    if (!o)
        return BAD("heft_score_opts_check: no options");
    const heft__estimator *sel[64];
    size_t n = 0;
    int all = 0;
    if (heft__estimator_table_len > sizeof sel / sizeof *sel)
        return BAD("too many registered methods");
    heft_status st = parse_methods(o->methods, sel, &n, &all, err);
    if (st != HEFT_OK)
        return st;
    if (o->el2n_runs < 1 || o->el2n_runs > 1000)
        return BAD("el2n_runs must be in 1..1000, got %d", o->el2n_runs);
    if (o->el2n_epochs < 1 || o->el2n_epochs > 100000)
        return BAD("el2n_epochs must be in 1..100000, got %d",
                   o->el2n_epochs);
    if (o->bags < 1 || o->bags > 100000)
        return BAD("bags must be in 1..100000, got %d", o->bags);
    if (o->folds < 2 || o->folds > 1000)
        return BAD("folds must be in 2..1000, got %d", o->folds);
    if (o->knn_k < 1)
        return BAD("knn_k must be >= 1, got %d", o->knn_k);
    if (o->knn_approx < 0 || (o->knn_approx > 0 && o->knn_approx < o->knn_k))
        return BAD("knn_approx must be 0 (exact) or >= knn_k (%d), got %d",
                   o->knn_k, o->knn_approx);
    if (!(o->damping >= 0) || !isfinite(o->damping))
        return BAD("damping must be finite and >= 0 (0 = 0.01 * rows), "
                   "got %g", o->damping);
    if (o->cg_iters < 1)
        return BAD("cg_iters must be >= 1, got %d", o->cg_iters);
    if (!(o->cg_tol > 0) || !isfinite(o->cg_tol))
        return BAD("cg_tol must be finite and > 0, got %g", o->cg_tol);
    if (o->group_samples < 1)
        return BAD("group_samples must be >= 1, got %d", o->group_samples);
    if (o->threads < 0)
        return BAD("threads must be >= 0 (0 = all cores), got %d",
                   o->threads);
    if ((o->embeddings || o->valid_embeddings) && o->embed_dim < 1)
        return BAD("embeddings are given but embed_dim is 0");
    if (o->valid_embeddings && !o->embeddings)
        return BAD("valid_embeddings need the training rows' embeddings "
                   "too");
    return heft_train_opts_check(&o->train, err);
}

/* ---- the training trajectory ----------------------------------------- */

/* The step size training uses for o: o->lr, or the per-model default that
 * train.c resolves (FTRL alpha 0.1 and AdaGrad 0.05 for lr; 0.05 fm; 0.01
 * mlp). */
static double resolved_lr(const heft_train_opts *o)
{
    if (o->lr > 0)
        return o->lr;
    if (o->model == HEFT_MODEL_LR)
        return o->optim == HEFT_OPTIM_ADAGRAD ? 0.05 : 0.1;
    return o->model == HEFT_MODEL_FM ? 0.05 : 0.01;
}

/* A deep copy of m (theta and schema): *out is owned by the caller. */
static heft_status model_copy(const heft_model *m, heft_model **out)
{
    *out = NULL;
    heft_model *c = heft__malloc(1, sizeof *c);
    if (!c)
        return HEFT_ENOMEM;
    *c = *m;
    memset(&c->schema, 0, sizeof c->schema);
    c->theta = heft__malloc((size_t)m->n_params, sizeof *c->theta);
    if (!c->theta || heft__schema_copy(&c->schema, &m->schema) != HEFT_OK) {
        heft_model_free(c);
        return HEFT_ENOMEM;
    }
    memcpy(c->theta, m->theta, (size_t)m->n_params * sizeof *c->theta);
    *out = c;
    return HEFT_OK;
}

static void trajectory_free(heft__trajectory *t)
{
    if (!t)
        return;
    for (int e = 0; e < t->n_epochs && !t->borrowed; e++)
        heft_model_free(t->epoch_models[e]);
    free(t->epoch_models);
    free(t->step);
    free(t);
}

/* State of the on_epoch callback that snapshots the model. */
typedef struct snapper {
    heft__trajectory *t;
    int cap;
    double step;
    heft_status st;
    int (*user)(void *ud, int epoch, const heft_model *m); /* chained */
    void *user_ud;
} snapper;

static int snap_epoch(void *ud, int epoch, const heft_model *m)
{
    snapper *s = ud;
    heft__trajectory *t = s->t;
    if (t->n_epochs == s->cap) {
        int cap = s->cap ? 2 * s->cap : 8;
        heft_model **mm = heft__realloc(t->epoch_models, (size_t)cap,
                                        sizeof *mm);
        if (mm)
            t->epoch_models = mm;
        double *st = heft__realloc(t->step, (size_t)cap, sizeof *st);
        if (st)
            t->step = st;
        if (!mm || !st) {
            s->st = HEFT_ENOMEM;
            return 1;
        }
        s->cap = cap;
    }
    heft_model *copy = NULL;
    if (model_copy(m, &copy) != HEFT_OK) {
        s->st = HEFT_ENOMEM;
        return 1;
    }
    t->epoch_models[t->n_epochs] = copy;
    t->step[t->n_epochs] = s->step;
    t->n_epochs++;
    (void)epoch;
    return s->user ? s->user(s->user_ud, epoch, m) : 0;
}

/* Trains on c->train alone with o->train and seed o->seed, snapshotting
 * every epoch into a new trajectory *traj. The trained model goes to
 * *model when model is not NULL, else it is freed. */
static heft_status train_with_snapshots(heft__score_ctx *c,
                                        heft__trajectory **traj,
                                        heft_model **model, heft_error *err)
{
    *traj = NULL;
    heft__trajectory *t = heft__calloc(1, sizeof *t);
    if (!t)
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "out of memory");
    heft_train_opts to = c->o->train;
    snapper s = {t, 0, resolved_lr(&to), HEFT_OK, to.on_epoch,
                 to.on_epoch_ud};
    to.seed = c->o->seed;
    to.threads = c->threads;
    to.on_epoch = snap_epoch;
    to.on_epoch_ud = &s;
    heft_model *m = NULL;
    heft_status st = heft_train(c->train, NULL, &to, &m, err);
    if (st != HEFT_OK && s.st != HEFT_OK)
        st = heft__err(err, s.st, NULL, 0, 0,
                       "out of memory for a snapshot of the model after "
                       "epoch %d", t->n_epochs + 1);
    if (st != HEFT_OK) {
        trajectory_free(t);
        return st;
    }
    if (model)
        *model = m;
    else
        heft_model_free(m);
    *traj = t;
    return HEFT_OK;
}

/* The trajectory of the given checkpoints (o->checkpoints), borrowed. */
static heft_status borrow_checkpoints(heft__score_ctx *c,
                                      heft__trajectory **traj,
                                      heft_error *err)
{
    const heft_score_opts *o = c->o;
    heft__trajectory *t = heft__calloc(1, sizeof *t);
    heft_model **mm = heft__calloc((size_t)o->n_checkpoints, sizeof *mm);
    double *step = heft__calloc((size_t)o->n_checkpoints, sizeof *step);
    if (!t || !mm || !step) {
        free(t);
        free(mm);
        free(step);
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "out of memory");
    }
    const double eta = resolved_lr(&o->train);
    for (int e = 0; e < o->n_checkpoints; e++) {
        mm[e] = (heft_model *)o->checkpoints[e];
        step[e] = eta;
    }
    t->n_epochs = o->n_checkpoints;
    t->epoch_models = mm;
    t->step = step;
    t->borrowed = 1;
    *traj = t;
    return HEFT_OK;
}

heft_status heft__score_trajectory(heft__score_ctx *c,
                                   const heft__trajectory **out,
                                   heft_error *err)
{
    *out = NULL;
    if (!c->traj && c->o->checkpoints) {
        heft_status st = borrow_checkpoints(c, &c->traj, err);
        if (st != HEFT_OK)
            return st;
    }
    if (!c->traj) {
        heft_status st = train_with_snapshots(c, &c->traj, NULL, err);
        if (st != HEFT_OK)
            return st;
    }
    *out = c->traj;
    return HEFT_OK;
}

/* ---- the final model's outputs ----------------------------------------- */

typedef struct logit_job {
    const heft_model *m;
    const heft_dataset *ds;
    double *z;
    heft_status st[64];
} logit_job;

static void logit_task(void *p, int t, int nt)
{
    logit_job *j = p;
    const heft_model *m = j->m;
    const uint64_t n = j->ds->n_rows;
    const uint64_t a = n * (uint64_t)t / (uint64_t)nt;
    const uint64_t b = n * (uint64_t)(t + 1) / (uint64_t)nt;
    void *scratch = heft__malloc(1, m->vt->scratch_size(m));
    if (!scratch) {
        j->st[t] = HEFT_ENOMEM;
        return;
    }
    for (uint64_t i = a; i < b; i++) {
        const heft__row r = heft__ds_row(j->ds, i);
        j->z[i] = m->vt->logit(m, &r, scratch);
    }
    free(scratch);
}

heft_status heft__score_logits(const heft_model *m, const heft_dataset *ds,
                               int threads, double *z, heft_error *err)
{
    if (ds->schema.hash_bits > m->hash_bits)
        return BAD("the data is hashed into 2^%u buckets but the model has "
                   "2^%u; read it with the model's read options",
                   ds->schema.hash_bits, m->hash_bits);
    int nt = heft__threads(threads ? threads : 1);
    if ((uint64_t)nt > ds->n_rows / 1024 + 1)
        nt = (int)(ds->n_rows / 1024 + 1);
    logit_job j;
    memset(&j, 0, sizeof j);
    j.m = m;
    j.ds = ds;
    j.z = z;
    heft__parallel(nt, logit_task, &j);
    for (int t = 0; t < nt; t++)
        if (j.st[t] != HEFT_OK)
            return heft__err(err, j.st[t], NULL, 0, 0,
                             "out of memory computing logits");
    return HEFT_OK;
}

heft_status heft__score_final_logits(heft__score_ctx *c, double *z,
                                     heft_error *err)
{
    if (c->o->probs) {
        for (uint64_t i = 0; i < c->train->n_rows; i++)
            z[i] = heft__score_prob_logit(c->o->probs[i]);
        return HEFT_OK;
    }
    return heft__score_logits(c->model, c->train, c->threads, z, err);
}

heft_status heft__score_final_prob(heft__score_ctx *c, const float **out,
                                   heft_error *err)
{
    *out = NULL;
    if (c->o->probs) {
        *out = c->o->probs;
        return HEFT_OK;
    }
    if (!c->final_prob) {
        const size_t n = (size_t)c->train->n_rows;
        float *p = heft__malloc(n ? n : 1, sizeof *p);
        if (!p)
            return heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                             "out of memory for %zu probabilities", n);
        heft_status st = heft_predict(c->model, c->train, p, c->threads, err);
        if (st != HEFT_OK) {
            free(p);
            return st;
        }
        c->final_prob = p;
    }
    *out = c->final_prob;
    return HEFT_OK;
}

/* ---- the score table --------------------------------------------------- */

void heft_scores_free(heft_scores *s)
{
    if (!s)
        return;
    for (size_t k = 0; k < s->cols; k++) {
        free(s->names[k]);
        free(s->col[k]);
    }
    free(s->names);
    free(s->method);
    free(s->col);
    free(s->seconds);
    free(s->ids);
    heft_scores_free(s->groups);
    free(s);
}

size_t heft_scores_rows(const heft_scores *s) { return s ? s->rows : 0; }
size_t heft_scores_cols(const heft_scores *s) { return s ? s->cols : 0; }

const char *heft_scores_name(const heft_scores *s, size_t col)
{
    return s && col < s->cols ? s->names[col] : NULL;
}

const float *heft_scores_col(const heft_scores *s, size_t col)
{
    return s && col < s->cols ? s->col[col] : NULL;
}

double heft_scores_seconds(const heft_scores *s, size_t col)
{
    return s && col < s->cols ? s->seconds[col] : NAN;
}

const heft_scores *heft_scores_groups(const heft_scores *s)
{
    return s ? s->groups : NULL;
}

const uint64_t *heft_scores_group_ids(const heft_scores *s)
{
    if (!s)
        return NULL;
    return s->groups ? s->groups->ids : s->ids;
}

/* An empty table of rows x cap columns (columns added by add_column). */
static heft_scores *table_new(size_t rows, size_t cap)
{
    heft_scores *s = heft__calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->rows = rows;
    cap = cap ? cap : 1;
    s->names = heft__calloc(cap, sizeof *s->names);
    s->method = heft__calloc(cap, sizeof *s->method);
    s->col = heft__calloc(cap, sizeof *s->col);
    s->seconds = heft__calloc(cap, sizeof *s->seconds);
    if (!s->names || !s->method || !s->col || !s->seconds) {
        heft_scores_free(s);
        return NULL;
    }
    return s;
}

/* Number of names in a comma-separated list (0 for NULL or ""). */
static size_t count_names(const char *list)
{
    if (!list || !*list)
        return 0;
    size_t n = 1;
    for (const char *p = list; *p; p++)
        n += *p == ',';
    return n;
}

/* ---- running the estimators --------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Prefixes err's message with the method's name. */
static heft_status method_failed(heft_error *err, heft_status st,
                                 const char *name)
{
    if (err && strncmp(err->msg, name, strlen(name)) != 0) {
        char msg[sizeof err->msg + 128];
        snprintf(msg, sizeof msg, "method %s: %s", name, err->msg);
        memcpy(err->msg, msg, sizeof err->msg - 1);
        err->msg[sizeof err->msg - 1] = '\0';
    }
    if (err)
        err->code = st;
    return st;
}

/* Moves the group values the "group" method left in c into s->groups. */
static heft_status take_groups(heft__score_ctx *c, heft_scores *s,
                               const char *name, double secs)
{
    if (!c->group_ids)
        return HEFT_OK;
    heft_scores *g = s->groups ? NULL : table_new((size_t)c->n_groups, 1);
    if (!g)
        return HEFT_ENOMEM;
    g->names[0] = heft__strdup(name);
    if (!g->names[0]) {
        heft_scores_free(g);
        return HEFT_ENOMEM;
    }
    g->cols = 1;
    g->method[0] = name;
    g->seconds[0] = secs;
    g->col[0] = c->group_values;
    g->ids = c->group_ids;
    c->group_values = NULL;
    c->group_ids = NULL;
    c->n_groups = 0;
    s->groups = g;
    return HEFT_OK;
}

/* Whether any of the n methods e uses the el2n/grand runs (c->early). */
static int needs_early(const heft__estimator *const *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(e[i]->name, "el2n") || !strcmp(e[i]->name, "grand"))
            return 1;
    return 0;
}

/* Runs estimator e into new columns of s. */
static heft_status run_one(heft__score_ctx *c, const heft__estimator *e,
                           heft_scores *s, heft_error *err)
{
    const size_t n = s->rows, nc = count_names(e->columns), first = s->cols;
    float *dummy[1] = {NULL};
    const char *p = e->columns;
    for (size_t k = 0; k < nc; k++) {
        const char *q = strchr(p, ',');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        s->names[first + k] = heft__strndup(p, len);
        s->col[first + k] = heft__calloc(n ? n : 1, sizeof(float));
        s->method[first + k] = e->name;
        s->cols++;
        if (!s->names[first + k] || !s->col[first + k])
            return heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                             "out of memory for the columns of %s", e->name);
        p = q ? q + 1 : p + len;
    }
    const double t0 = now_s();
    heft_status st = e->run(c, nc ? s->col + first : dummy, err);
    const double secs = now_s() - t0;
    if (st != HEFT_OK)
        return method_failed(err, st, e->name);
    for (size_t k = first; k < s->cols; k++)
        s->seconds[k] = secs;
    if (take_groups(c, s, e->name, secs) != HEFT_OK)
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "out of memory");
    heft__logf(c->o->log, c->o->log_ud, "%s: %zu column%s in %.3f s",
               e->name, nc, nc == 1 ? "" : "s", secs);
    return HEFT_OK;
}

/* Checks the outside probabilities: one per training row in [0,1]. */
static heft_status check_probs(const float *p, uint64_t n, heft_error *err)
{
    for (uint64_t i = 0; p && i < n; i++)
        if (!(p[i] >= 0 && p[i] <= 1))
            return BAD("the given probability of training row %llu is %g; "
                       "expected P(y=1) in [0,1]",
                       (unsigned long long)i, (double)p[i]);
    return HEFT_OK;
}

/* Keeps the methods that can run; a method that needs a validation set is
 * an error without one, or skipped with a log line under "all". */
static heft_status filter_valid(const heft_score_opts *o, int have_valid,
                                int all, const heft__estimator **sel,
                                size_t *n, heft_error *err)
{
    size_t k = 0;
    for (size_t i = 0; i < *n; i++) {
        if (sel[i]->needs_valid && !have_valid) {
            if (!all)
                return BAD("method %s needs a validation set (--valid)",
                           sel[i]->name);
            heft__logf(o->log, o->log_ud,
                       "%s: skipped (needs a validation set, --valid)",
                       sel[i]->name);
            continue;
        }
        sel[k++] = sel[i];
    }
    *n = k;
    return HEFT_OK;
}

/* The given checkpoints must be models of m's kind and layout, epochs
 * 1, 2, ... in order. */
static heft_status check_checkpoints(const heft_score_opts *o,
                                     const heft_model *m, heft_error *err)
{
    if (!o->checkpoints)
        return o->n_checkpoints == 0
                   ? HEFT_OK
                   : BAD("n_checkpoints is %d but no checkpoints are given",
                         o->n_checkpoints);
    if (o->n_checkpoints < 1)
        return BAD("checkpoints given but n_checkpoints is %d",
                   o->n_checkpoints);
    for (int e = 0; e < o->n_checkpoints; e++) {
        const heft_model *k = o->checkpoints[e];
        if (!k || k->kind != m->kind || k->n_params != m->n_params ||
            k->hash_bits != m->hash_bits || k->n_fields != m->n_fields)
            return BAD("checkpoint %d is not a %s model with the layout of "
                       "the given model (%llu parameters, 2^%u buckets, %u "
                       "fields)", e + 1, heft_model_kind_name(m->kind),
                       (unsigned long long)m->n_params, m->hash_bits,
                       m->n_fields);
        if (k->epochs_trained != e + 1)
            return BAD("checkpoint %d holds the model after epoch %d; "
                       "give epochs 1, 2, ... in order", e + 1,
                       k->epochs_trained);
    }
    return HEFT_OK;
}

static void ctx_free(heft__score_ctx *c)
{
    trajectory_free(c->traj);
    heft__score_early_free(c);
    free(c->final_prob);
    free(c->group_ids);
    free(c->group_values);
}

/* Sets up c (the final model trained when none is given; *owned receives
 * it) and checks the inputs. */
static heft_status ctx_setup(heft__score_ctx *c, const heft_model *model,
                             heft_model **owned, heft_error *err)
{
    const heft_dataset *tr = c->train;
    if (tr->n_rows == 0)
        return heft__err(err, HEFT_EEMPTY, NULL, 0, 0,
                         "the training data has no rows");
    heft_status st = check_probs(c->o->probs, tr->n_rows, err);
    if (st != HEFT_OK)
        return st;
    if (model) {
        if (tr->schema.hash_bits > model->hash_bits)
            return BAD("the training data is hashed into 2^%u buckets but "
                       "the model has 2^%u; read it with the model's read "
                       "options", tr->schema.hash_bits, model->hash_bits);
        c->model = model;
        return check_checkpoints(c->o, model, err);
    }
    if (c->o->checkpoints)
        return BAD("checkpoints are the trajectory of a given model: pass "
                   "the model they belong to as well");
    const double t0 = now_s();
    st = train_with_snapshots(c, &c->traj, owned, err);
    c->model = *owned;
    if (st == HEFT_OK)
        heft__logf(c->o->log, c->o->log_ud,
                   "trained the final %s model (%d epochs) in %.3f s",
                   heft_model_kind_name(c->o->train.model),
                   c->traj->n_epochs, now_s() - t0);
    return st;
}

heft_status heft_score(const heft_dataset *train, const heft_dataset *valid,
                       const heft_model *model, const heft_score_opts *o,
                       heft_scores **out, heft_error *err)
{
    *out = NULL;
    if (!train || !o)
        return BAD("heft_score: training data and options are required");
    heft_status st = heft_score_opts_check(o, err);
    if (st != HEFT_OK)
        return st;
    const heft__estimator *sel[64];
    size_t n_sel = 0, n_cols = 0;
    int all = 0;
    parse_methods(o->methods, sel, &n_sel, &all, err); /* checked above */
    const int have_valid = valid && valid->n_rows > 0;
    st = filter_valid(o, have_valid, all, sel, &n_sel, err);
    if (st != HEFT_OK)
        return st;
    for (size_t i = 0; i < n_sel; i++)
        n_cols += count_names(sel[i]->columns);
    heft__score_ctx c;
    memset(&c, 0, sizeof c);
    c.train = train;
    c.valid = have_valid ? valid : NULL;
    c.o = o;
    c.threads = heft__threads(o->threads);
    heft_model *owned = NULL;
    heft_scores *s = table_new((size_t)train->n_rows, n_cols);
    if (!s)
        st = heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "out of memory");
    if (st == HEFT_OK)
        st = ctx_setup(&c, model, &owned, err);
    for (size_t i = 0; st == HEFT_OK && i < n_sel; i++) {
        st = run_one(&c, sel[i], s, err);
        if (!needs_early(sel + i + 1, n_sel - i - 1))
            heft__score_early_free(&c); /* peak memory: not kept longer */
    }
    ctx_free(&c);
    heft_model_free(owned);
    if (st != HEFT_OK) {
        heft_scores_free(s);
        return st;
    }
    *out = s;
    return HEFT_OK;
}

/* ---- writing ------------------------------------------------------------- */

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

/* Writes s as TSV into f: "row" (or "group" with ids), "label" when labels
 * are given, then the columns. */
static void write_tsv_body(heft__outfile *f, const heft_scores *s,
                           const float *labels)
{
    char line[4096];
    int k = snprintf(line, sizeof line, "%s%s", s->ids ? "group_id" : "row",
                     labels ? "\tlabel" : "");
    heft__out_write(f, line, (size_t)k);
    for (size_t j = 0; j < s->cols; j++) {
        heft__out_write(f, "\t", 1);
        heft__out_write(f, s->names[j], strlen(s->names[j]));
    }
    heft__out_write(f, "\n", 1);
    for (size_t i = 0; i < s->rows && !f->failed; i++) {
        size_t len = (size_t)snprintf(
            line, sizeof line, "%llu",
            (unsigned long long)(s->ids ? s->ids[i] : (uint64_t)i));
        if (labels)
            len += (size_t)snprintf(line + len, sizeof line - len, "\t%.9g",
                                    (double)labels[i]);
        for (size_t j = 0; j < s->cols; j++) {
            if (len > sizeof line - 32) {
                heft__out_write(f, line, len);
                len = 0;
            }
            len += (size_t)snprintf(line + len, sizeof line - len, "\t%.9g",
                                    (double)s->col[j][i]);
        }
        line[len++] = '\n';
        heft__out_write(f, line, len);
    }
}

static heft_status write_tsv(const heft_scores *s, const float *labels,
                             const char *path, heft_error *err)
{
    heft__outfile f;
    heft_status st = heft__out_open(&f, path, err);
    if (st != HEFT_OK)
        return st;
    write_tsv_body(&f, s, labels);
    return heft__out_commit(&f, err);
}

/* The NumPy 1.0 header for a (rows, cols) '<f4' C-order array, padded with
 * spaces and a newline so the data starts at a multiple of 64 bytes. */
static size_t npy_header(char *h, size_t cap, size_t rows, size_t cols)
{
    char dict[200];
    int d = snprintf(dict, sizeof dict,
                     "{'descr': '<f4', 'fortran_order': False, "
                     "'shape': (%zu, %zu), }",
                     rows, cols);
    size_t total = 10 + (size_t)d + 1;
    total = (total + 63) / 64 * 64;
    if (total > cap)
        return 0;
    const size_t hl = total - 10;
    memcpy(h, "\x93NUMPY\x01\x00", 8);
    h[8] = (char)(hl & 0xff);
    h[9] = (char)(hl >> 8);
    memcpy(h + 10, dict, (size_t)d);
    memset(h + 10 + d, ' ', total - 10 - (size_t)d - 1);
    h[total - 1] = '\n';
    return total;
}

/* Writes the rows x cols floats little-endian, row-major, in chunks. */
static void write_npy_body(heft__outfile *f, const heft_scores *s)
{
    uint8_t buf[1 << 16];
    size_t len = 0;
    for (size_t i = 0; i < s->rows && !f->failed; i++) {
        for (size_t j = 0; j < s->cols; j++) {
            uint32_t u;
            memcpy(&u, &s->col[j][i], 4);
            if (len + 4 > sizeof buf) {
                heft__out_write(f, buf, len);
                len = 0;
            }
            buf[len++] = (uint8_t)u;
            buf[len++] = (uint8_t)(u >> 8);
            buf[len++] = (uint8_t)(u >> 16);
            buf[len++] = (uint8_t)(u >> 24);
        }
    }
    heft__out_write(f, buf, len);
}

/* Writes str as a JSON string. */
static void json_string(heft__outfile *f, const char *str)
{
    heft__out_write(f, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            heft__out_write(f, esc, 2);
        } else if (*p < 0x20) {
            int k = snprintf(esc, sizeof esc, "\\u%04x", *p);
            heft__out_write(f, esc, (size_t)k);
        } else {
            heft__out_write(f, p, 1);
        }
    }
    heft__out_write(f, "\"", 1);
}

/* The sidecar: {"columns": [...], "rows": N, "seconds": {method: s}}. */
static void write_json_body(heft__outfile *f, const heft_scores *s)
{
    char num[64];
    heft__out_write(f, "{\"columns\": [", 13);
    for (size_t j = 0; j < s->cols; j++) {
        if (j)
            heft__out_write(f, ", ", 2);
        json_string(f, s->names[j]);
    }
    int k = snprintf(num, sizeof num, "], \"rows\": %zu, \"seconds\": {",
                     s->rows);
    heft__out_write(f, num, (size_t)k);
    int first = 1;
    for (size_t j = 0; j < s->cols; j++) {
        if (j && s->method[j] == s->method[j - 1])
            continue; /* one entry per method, not per column */
        if (!first)
            heft__out_write(f, ", ", 2);
        first = 0;
        json_string(f, s->method[j]);
        k = snprintf(num, sizeof num, ": %.6f", s->seconds[j]);
        heft__out_write(f, num, (size_t)k);
    }
    heft__out_write(f, "}}\n", 3);
}

static heft_status write_npy(const heft_scores *s, const char *path,
                             heft_error *err)
{
    char *jpath = heft__scores_sibling(path, ".json");
    if (!jpath)
        return heft__err(err, HEFT_ENOMEM, path, 0, 0, "out of memory");
    char head[512];
    const size_t hl = npy_header(head, sizeof head, s->rows, s->cols);
    heft__outfile f, j;
    memset(&j, 0, sizeof j);
    heft_status st = heft__out_open(&f, path, err);
    if (st == HEFT_OK && (st = heft__out_open(&j, jpath, err)) != HEFT_OK)
        heft__out_abort(&f);
    free(jpath);
    if (st != HEFT_OK)
        return st;
    heft__out_write(&f, head, hl);
    write_npy_body(&f, s);
    write_json_body(&j, s);
    st = heft__out_commit(&f, err);
    if (st == HEFT_OK)
        return heft__out_commit(&j, err);
    heft__out_abort(&j);
    return st;
}

heft_status heft_scores_write(const heft_scores *s, const float *labels,
                              const char *path, heft_error *err)
{
    if (!s || !path || !*path)
        return BAD("heft_scores_write: a table and a path are required");
    heft_status st = ends_with(path, ".npy") ? write_npy(s, path, err)
                                              : write_tsv(s, labels, path, err);
    if (st != HEFT_OK || !s->groups)
        return st;
    char *gpath = heft__scores_sibling(path, ".groups.tsv");
    if (!gpath)
        return heft__err(err, HEFT_ENOMEM, path, 0, 0, "out of memory");
    st = write_tsv(s->groups, NULL, gpath, err);
    free(gpath);
    return st;
}
