/*
 * train.c: options, and the training loop shared by every model: epochs
 * over the rows in a seeded shuffled order (heft__shuffle_rows() below) or in
 * file order, one call of the model's kernel per chunk of rows (train.h),
 * validation with early stopping that keeps the best epoch, per-epoch
 * checkpoints and log lines.
 *
 * Training is single-threaded: SGD on shared weights gains nothing from a
 * second core here, and one thread makes a seed reproduce a model bit for
 * bit. opts.threads parallelises the evaluation of the validation set.
 */
#include "train.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

/* Per-(model, optimiser) step size used when opts.lr is 0: for FTRL the
 * fallback of the tuning (lr_auto.c: heft_train picks alpha on held-out
 * rows, and uses 0.1 only for tiny data), AdaGrad 0.05 for lr, 0.1 for fm
 * (with its sums starting at 1, fm.c), 0.01 for the mlp (measured on
 * frappe, criteo-subset, avazu, tmall and a 1M-row synthetic log; see
 * docs/models.md). */
static double default_lr(heft_model_kind k, heft_optim opt)
{
    if (k == HEFT_MODEL_LR)
        return opt == HEFT_OPTIM_ADAGRAD ? 0.05 : 0.1;
    return k == HEFT_MODEL_FM ? 0.1 : 0.01;
}

heft_train_opts heft_train_opts_default(heft_model_kind k)
{
    heft_train_opts o;
    memset(&o, 0, sizeof o);
    o.model = k;
    o.optim = HEFT_OPTIM_DEFAULT;
    o.epochs = k == HEFT_MODEL_LR ? 3 : 5;
    o.lr = k == HEFT_MODEL_LR ? 0 : default_lr(k, HEFT_OPTIM_DEFAULT);
    o.l1 = 0;
    o.l2 = 1e-6;
    o.ftrl_beta = 1.0;
    o.batch = 1;
    o.factors = 8;
    o.embed_dim = 8;
    o.hidden[0] = 64;
    o.hidden[1] = 32;
    o.n_hidden = 2;
    o.init_std = 0.01;
    o.patience = 2;
    o.shuffle = 1;
    o.seed = 1;
    o.neg_rate = 1.0;
    o.threads = 1;
    return o;
}


static heft_optim resolve_optim(heft_model_kind k, heft_optim opt)
{
    if (opt != HEFT_OPTIM_DEFAULT)
        return opt;
    return k == HEFT_MODEL_LR ? HEFT_OPTIM_FTRL : HEFT_OPTIM_ADAGRAD;
}

#define BAD(...) heft__err(err, HEFT_EINVAL, NULL, 0, 0, __VA_ARGS__)

heft_status heft_train_opts_check(const heft_train_opts *o, heft_error *err)
{
    if ((unsigned)o->model >= HEFT_MODEL__COUNT)
        return BAD("unknown model kind %d (expected lr, fm or mlp)",
                   (int)o->model);
    if (o->optim < HEFT_OPTIM_DEFAULT || o->optim > HEFT_OPTIM_ADAGRAD)
        return BAD("unknown optimiser %d", (int)o->optim);
    if (o->optim == HEFT_OPTIM_FTRL && o->model != HEFT_MODEL_LR)
        return BAD("FTRL trains only the lr model; use adagrad for %s",
                   heft_model_kind_name(o->model));
    if (o->l1 != 0 && resolve_optim(o->model, o->optim) != HEFT_OPTIM_FTRL)
        return BAD("l1 needs the FTRL optimiser (lr model); got l1 = %g",
                   o->l1);
    if (o->epochs < 0 || o->epochs > 100000)
        return BAD("epochs must be in 0..100000 (0 = default), got %d",
                   o->epochs);
    if (!(o->lr >= 0) || !isfinite(o->lr))
        return BAD("lr must be a finite number >= 0 (0 = default), got %g",
                   o->lr);
    if (!(o->l1 >= 0) || !isfinite(o->l1) || !(o->l2 >= 0) ||
        !isfinite(o->l2))
        return BAD("l1 and l2 must be finite and >= 0, got %g and %g",
                   o->l1, o->l2);
    if (!(o->ftrl_beta > 0) || !isfinite(o->ftrl_beta))
        return BAD("ftrl_beta must be > 0, got %g", o->ftrl_beta);
    if (o->batch < 1 || o->batch > 1000000)
        return BAD("batch must be in 1..1000000, got %d", o->batch);
    if (o->model == HEFT_MODEL_FM && (o->factors < 1 || o->factors > 256))
        return BAD("factors must be in 1..256, got %d", o->factors);
    if (o->model == HEFT_MODEL_MLP) {
        if (o->embed_dim < 1 || o->embed_dim > 256)
            return BAD("embed_dim must be in 1..256, got %d", o->embed_dim);
        if (o->n_hidden < 0 || o->n_hidden > HEFT_MAX_HIDDEN)
            return BAD("n_hidden must be in 0..%d, got %d", HEFT_MAX_HIDDEN,
                       o->n_hidden);
        for (int i = 0; i < o->n_hidden; i++)
            if (o->hidden[i] < 1 || o->hidden[i] > 4096)
                return BAD("hidden[%d] must be in 1..4096, got %d", i,
                           o->hidden[i]);
    }
    if (!(o->init_std >= 0) || !isfinite(o->init_std))
        return BAD("init_std must be finite and >= 0, got %g", o->init_std);
    if (!(o->neg_rate > 0 && o->neg_rate <= 1))
        return BAD("neg_rate (the share of negatives kept) must be in "
                   "(0, 1], got %g", o->neg_rate);
    if (o->patience < 0)
        return BAD("patience must be >= 0, got %d", o->patience);
    if (o->threads < 0)
        return BAD("threads must be >= 0 (0 = all cores), got %d",
                   o->threads);
    return HEFT_OK;
}

/* ---- validation metrics ------------------------------------------------ */

typedef struct scored {
    float p, y, w;
} scored;

static int scored_cmp(const void *pa, const void *pb)
{
    const scored *a = pa, *b = pb;
    return a->p < b->p ? -1 : (a->p > b->p);
}

/* Weighted AUC (ties count half) of predictions p against labels y > 0,
 * by sorting; NAN if a class is absent. */
static double auc_sorted(scored *s, size_t n)
{
    qsort(s, n, sizeof *s, scored_cmp);
    double neg_below = 0, pos = 0, neg = 0, area = 0;
    for (size_t a = 0; a < n;) {
        size_t e = a;
        double gp = 0, gn = 0;
        for (; e < n && s[e].p == s[a].p; e++) {
            if (s[e].y > 0)
                gp += s[e].w;
            else
                gn += s[e].w;
        }
        area += gp * (neg_below + 0.5 * gn);
        neg_below += gn;
        pos += gp;
        neg += gn;
        a = e;
    }
    return pos > 0 && neg > 0 ? area / (pos * neg) : NAN;
}

/* Weighted mean log loss and AUC of m on ds. */
static heft_status evaluate(const heft_model *m, const heft_dataset *ds,
                            int threads, double *logloss, double *auc,
                            heft_error *err)
{
    size_t n = (size_t)ds->n_rows;
    float *p = heft__malloc(n ? n : 1, sizeof *p);
    scored *s = heft__malloc(n ? n : 1, sizeof *s);
    heft_status st = p && s ? HEFT_OK : HEFT_ENOMEM;
    if (st != HEFT_OK)
        heft__err(err, st, NULL, 0, 0, "out of memory for validation");
    if (st == HEFT_OK)
        st = heft_predict(m, ds, p, threads, err);
    if (st == HEFT_OK) {
        double ll = 0, ws = 0;
        for (size_t i = 0; i < n; i++) {
            float w = ds->weight ? ds->weight[i] : 1.0f;
            double y = heft__label01f(ds->label[i]);
            double pi = p[i] < 1e-15 ? 1e-15 : (p[i] > 1 - 1e-15 ? 1 - 1e-15 : p[i]);
            ll -= w * (y * log(pi) + (1 - y) * log(1 - pi));
            ws += w;
            s[i] = (scored){p[i], ds->label[i], w};
        }
        *logloss = ws > 0 ? ll / ws : NAN;
        *auc = auc_sorted(s, n);
    }
    free(p);
    free(s);
    return st;
}

/* ---- checkpoints --------------------------------------------------------- */

/* mkdir -p dir. */
static heft_status make_dirs(const char *dir, heft_error *err)
{
    char *p = heft__strdup(dir);
    if (!p)
        return heft__err(err, HEFT_ENOMEM, dir, 0, 0, "out of memory");
    for (char *c = p + 1;; c++) {
        if (*c != '/' && *c != '\0')
            continue;
        char saved = *c;
        *c = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            int e = errno;
            free(p);
            return heft__err(err, HEFT_EIO, dir, 0, 0,
                             "cannot create checkpoint directory: %s",
                             strerror(e));
        }
        *c = saved;
        if (saved == '\0')
            break;
    }
    free(p);
    return HEFT_OK;
}

static heft_status save_checkpoint(heft_model *m, const char *dir, int epoch,
                                   heft_error *err)
{
    heft_status st = make_dirs(dir, err);
    if (st != HEFT_OK)
        return st;
    size_t n = strlen(dir) + 32;
    char *path = heft__malloc(n, 1);
    if (!path)
        return heft__err(err, HEFT_ENOMEM, dir, 0, 0, "out of memory");
    snprintf(path, n, "%s/epoch-%d.heftm", dir, epoch);
    int saved = m->epochs_trained;
    m->epochs_trained = epoch;
    st = heft_model_save(m, path, err);
    m->epochs_trained = saved;
    free(path);
    return st;
}

/* ---- the training loop --------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct run {
    const heft_dataset *train, *valid;
    heft_train_opts o;        /* resolved: no zeros meaning "default"    */
    const heft__train_vt *tv;
    heft__trainer t;
    uint64_t *order;          /* (n_rows,) this epoch's row order        */
    float *best;              /* (n_params,) best epoch's theta, or NULL */
    double best_ll;
    int best_epoch, stale;    /* epochs since the best one               */
    double last_progress;
    uint64_t done_rows;
} run;

/* o with every "0 = default" resolved for its model kind. */
static heft_train_opts resolve_opts(const heft_train_opts *in)
{
    heft_train_opts o = *in;
    heft_train_opts d = heft_train_opts_default(o.model);
    o.optim = resolve_optim(o.model, o.optim);
    if (o.epochs == 0)
        o.epochs = d.epochs;
    if (o.lr == 0)
        o.lr = default_lr(o.model, o.optim);
    return o;
}

/* Checks labels and weights, and finds n_fields and the weight sum. */
static heft_status scan_train(const heft_dataset *ds, unsigned *n_fields,
                              double *wsum, heft_error *err)
{
    double ws = 0;
    for (uint64_t i = 0; i < ds->n_rows; i++) {
        float w = ds->weight ? ds->weight[i] : 1.0f;
        if (!isfinite(ds->label[i]) || !(w >= 0) || !isfinite(w))
            return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                             "training row %llu has label %g and weight %g; "
                             "labels must be finite and weights finite and "
                             ">= 0",
                             (unsigned long long)i, ds->label[i], w);
        ws += w;
    }
    unsigned nf = ds->schema.n_fields;
    for (uint64_t k = 0; k < ds->nnz; k++)
        if (ds->field[k] >= nf)
            nf = ds->field[k] + 1u;
    *n_fields = nf ? nf : 1;
    *wsum = ws;
    return HEFT_OK;
}

/* The epoch's row order: blocks of SHUF_BLOCK consecutive rows in a
 * random order, then the rows inside each window of SHUF_WINDOW blocks
 * (4096 rows) shuffled. Every row comes once, rows from all over the data
 * are mixed within each window, and a window reads only 64 contiguous
 * stretches of the CSR arrays, which halves the cache and TLB misses of a
 * uniform permutation over millions of rows. Up to 4096 rows it is a
 * uniform shuffle. */
#define SHUF_BLOCK 64
#define SHUF_WINDOW 64

heft_status heft__shuffle_rows(heft__rng *rng, uint64_t *order, size_t n)
{
    const size_t nb = (n + SHUF_BLOCK - 1) / SHUF_BLOCK;
    uint64_t *blk = heft__malloc(nb ? nb : 1, sizeof *blk);
    if (!blk)
        return HEFT_ENOMEM;
    for (size_t b = 0; b < nb; b++)
        blk[b] = b;
    heft__rng_shuffle_u64(rng, blk, nb);
    size_t k = 0;
    for (size_t b = 0; b < nb; b++) {
        const uint64_t a = blk[b] * SHUF_BLOCK;
        for (uint64_t r = a; r < a + SHUF_BLOCK && r < n; r++)
            order[k++] = r;
    }
    const size_t win = (size_t)SHUF_BLOCK * SHUF_WINDOW;
    for (size_t a = 0; a < n; a += win)
        heft__rng_shuffle_u64(rng, order + a, a + win < n ? win : n - a);
    free(blk);
    return HEFT_OK;
}

/* Runs the kernel over the epoch's rows in chunks, reporting progress. */
static heft_status run_epoch(run *R, int epoch, double *train_ll)
{
    const size_t n = (size_t)R->train->n_rows;
    for (size_t i = 0; i < n; i++)
        R->order[i] = i;
    if (R->o.shuffle) {
        heft__rng rng;
        heft__rng_seed(&rng, heft__seed_mix(R->o.seed, (uint64_t)epoch));
        if (heft__shuffle_rows(&rng, R->order, n) != HEFT_OK)
            return HEFT_ENOMEM;
    }
    const size_t chunk = 1 << 16;
    const uint64_t total = (uint64_t)n * (uint64_t)R->o.epochs;
    double loss = 0, ws = 0;
    for (size_t a = 0; a < n; a += chunk) {
        size_t b = a + chunk < n ? a + chunk : n;
        heft_status st = R->tv->rows(&R->t, R->train, R->order + a, b - a,
                                     &loss, &ws);
        if (st != HEFT_OK)
            return st;
        R->done_rows += b - a;
        double now = now_s();
        if (R->o.progress && now - R->last_progress >= 0.25) {
            R->o.progress(R->o.progress_ud, "train", R->done_rows, total);
            R->last_progress = now;
        }
    }
    *train_ll = ws > 0 ? loss / ws : NAN;
    return R->tv->sync(&R->t);
}

/* Validation, logging, early stopping and the checkpoint after an epoch;
 * sets *stop when patience has run out. */
static heft_status end_epoch(run *R, int epoch, double train_ll,
                             double secs, int *stop, heft_error *err)
{
    heft_model *m = R->t.m;
    double vll = NAN, vauc = NAN;
    heft_status st = HEFT_OK;
    if (R->valid)
        st = evaluate(m, R->valid, R->o.threads, &vll, &vauc, err);
    if (st != HEFT_OK)
        return st;
    m->epochs_trained = epoch;
    const int early = R->valid && R->o.patience > 0;
    int improved = 0;
    if (early && (R->best_epoch == 0 || vll < R->best_ll)) {
        improved = 1;
        R->best_ll = vll;
        R->best_epoch = epoch;
        R->stale = 0;
        memcpy(R->best, m->theta, (size_t)m->n_params * sizeof *m->theta);
    } else if (early && ++R->stale >= R->o.patience) {
        *stop = 1;
    }
    if (R->o.log) {
        char line[256];
        if (R->valid)
            snprintf(line, sizeof line,
                     "epoch %d/%d  train logloss %.5f  valid logloss %.5f "
                     "auc %.5f  %.2fs%s",
                     epoch, R->o.epochs, train_ll, vll, vauc, secs,
                     improved ? "  (best)" : "");
        else
            snprintf(line, sizeof line,
                     "epoch %d/%d  train logloss %.5f  %.2fs", epoch,
                     R->o.epochs, train_ll, secs);
        R->o.log(R->o.log_ud, line);
    }
    if (R->o.checkpoint_dir)
        st = save_checkpoint(m, R->o.checkpoint_dir, epoch, err);
    /* The callback sees the model as this epoch left it (before keep_best()
     * may roll it back), after its checkpoint is safely on disk. */
    if (st == HEFT_OK && R->o.on_epoch) {
        const int rc = R->o.on_epoch(R->o.on_epoch_ud, epoch, m);
        if (rc != 0)
            st = heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                           "training stopped after epoch %d: the on_epoch "
                           "callback returned %d",
                           epoch, rc);
    }
    return st;
}

/* Restores the best epoch's parameters when early stopping was on. */
static void keep_best(run *R)
{
    heft_model *m = R->t.m;
    if (!R->best || R->best_epoch == 0 || R->best_epoch == m->epochs_trained)
        return;
    memcpy(m->theta, R->best, (size_t)m->n_params * sizeof *m->theta);
    m->epochs_trained = R->best_epoch;
    if (R->o.log) {
        char line[128];
        snprintf(line, sizeof line,
                 "kept epoch %d (best valid logloss %.5f)", R->best_epoch,
                 R->best_ll);
        R->o.log(R->o.log_ud, line);
    }
}

/* Creates the model and the run's buffers. */
static heft_status setup(run *R, const heft_train_opts *o, heft_error *err)
{
    const heft_dataset *tr = R->train;
    unsigned hb = tr->schema.hash_bits, nf = 1;
    double wsum = 0;
    if (hb < 1 || hb > 30)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "the training data's hash_bits is %u; expected "
                         "1..30", hb);
    if (R->valid && R->valid->schema.hash_bits > hb)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "the validation data is hashed into 2^%u buckets "
                         "but the training data into 2^%u",
                         R->valid->schema.hash_bits, hb);
    heft_status st = scan_train(tr, &nf, &wsum, err);
    if (st != HEFT_OK)
        return st;
    R->o = resolve_opts(o);
    if (o->lr == 0 && R->o.model == HEFT_MODEL_LR &&
        R->o.optim == HEFT_OPTIM_FTRL) /* "auto": alpha by held-out rows */
        st = heft__lr_tune(tr, &R->o, &R->o.lr, err);
    if (st != HEFT_OK)
        return st;
    st = heft__model_create(R->o.model, &R->o, hb, nf, &tr->schema, &R->t.m,
                            err);
    if (st != HEFT_OK)
        return st;
    heft_model *m = R->t.m;
    m->l2 = R->o.l2 * wsum;
    R->tv = R->o.model == HEFT_MODEL_LR   ? &heft__lr_train_vt
            : R->o.model == HEFT_MODEL_FM ? &heft__fm_train_vt
                                          : &heft__mlp_train_vt;
    R->t.optim = R->o.optim;
    R->t.lr = R->o.lr;
    R->t.beta = R->o.ftrl_beta;
    R->t.l1 = R->o.l1;
    R->t.l2 = R->o.l2;
    R->t.ftrl_l2 = m->l2;
    R->t.batch = R->o.batch;
    R->order = heft__malloc(tr->n_rows ? (size_t)tr->n_rows : 1,
                            sizeof *R->order);
    if (R->valid && R->o.patience > 0)
        R->best = heft__malloc((size_t)m->n_params, sizeof *R->best);
    st = R->tv->begin(&R->t);
    if (st == HEFT_OK && (!R->order || (R->valid && R->o.patience > 0 &&
                                        !R->best)))
        st = HEFT_ENOMEM;
    if (st != HEFT_OK)
        return heft__err(err, st, NULL, 0, 0,
                         "out of memory for training state");
    return HEFT_OK;
}

heft_status heft_train(const heft_dataset *train, const heft_dataset *valid,
                       const heft_train_opts *o, heft_model **out,
                       heft_error *err)
{
    *out = NULL;
    heft_train_opts def = heft_train_opts_default(HEFT_MODEL_LR);
    if (!o)
        o = &def;
    if (!train)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "heft_train: no training data");
    heft_status st = heft_train_opts_check(o, err);
    if (st != HEFT_OK)
        return st;
    if (train->n_rows == 0)
        return heft__err(err, HEFT_EEMPTY, NULL, 0, 0,
                         "the training data has no rows");
    run R;
    memset(&R, 0, sizeof R);
    R.train = train;
    R.valid = valid && valid->n_rows > 0 ? valid : NULL;
    st = setup(&R, o, err);
    R.last_progress = now_s();
    int stop = 0;
    for (int e = 1; st == HEFT_OK && e <= R.o.epochs && !stop; e++) {
        double t0 = now_s(), tll = NAN;
        st = run_epoch(&R, e, &tll);
        if (st != HEFT_OK)
            heft__err(err, st, NULL, 0, 0, "out of memory during training");
        else
            st = end_epoch(&R, e, tll, now_s() - t0, &stop, err);
    }
    if (st == HEFT_OK)
        keep_best(&R);
    if (R.tv)
        R.tv->end(&R.t);
    free(R.order);
    free(R.best);
    if (st != HEFT_OK) {
        heft_model_free(R.t.m);
        return st;
    }
    *out = R.t.m;
    return HEFT_OK;
}
