/*
 * bench_noise.c: `heft bench noise DATA --methods LIST`: how well each
 * importance estimator finds defects planted on purpose, and what dropping
 * what it finds is worth (docs/bench-tasks.md, "noise").
 *
 * Protocol: for each seed, plant defects in the training rows
 *   - flip: the labels of k_f = round(r N) rows drawn uniformly without
 *     replacement (seeded) become 1 - y;
 *   - with --defects, bot: each group (each row, without a group column)
 *     is a bot with probability --bots, decided by a hash of (seed, group);
 *     its rows' labels become fair coin flips (as `heft gen` plants bots:
 *     clicks at rate 1/2 whatever the features); a bot row that was also
 *     flipped counts as bot;
 *   - with --defects, dup: round(--dups N) exact copies of uniformly drawn
 *     rows (their final labels included) are appended;
 * score the noisy rows with heft_score, and per method column measure,
 * against the planted set T (k = |T| rows):
 *   - F1@k of the k lowest-valued rows (k = |T|, so F1@k = precision@k =
 *     recall@k), the tie block at the cut counted at its expected share;
 *   - AUROC of the negated value as a detector (ties half), and PR-AUC
 *     (average precision, a tie block being one threshold);
 *   - precision and recall of the flagged set: the rows a flag column
 *     (name ending in _ok, e.g. cl_ok) marks 0, else the k lowest;
 *   - recall per kind of defect (with --defects);
 *   - with --test: the test AUC of the model retrained after dropping the
 *     flagged set, against models trained on the noisy rows, on the clean
 *     rows (T dropped) and after dropping k random rows, with 95%
 *     bootstrap intervals over the test rows and a paired bootstrap test
 *     against the random drop (heft_bench_resample, heft_bench_compare);
 *     recovered = (AUC_method - AUC_noisy) / (AUC_clean - AUC_noisy);
 *   - with --test --decompose: two more models per column, after dropping
 *     only its true flags (flagged and planted) and only its false flags
 *     (flagged and clean), with the same intervals and recovered shares:
 *     which half of the flagged set the recovery (or the loss) comes from.
 *     A drop set that is empty (no false flags, say) gives the noisy
 *     model: its predictions are copied, not retrained.
 * F1@k and AUROC get 95% intervals from a Poisson bootstrap of the
 * training rows (the same resampling, on the detection problem). Means
 * over the seeds. Every column is read in its documented direction (low =
 * suspicious); no direction is chosen per data set.
 */
#include "bench_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { KIND_CLEAN = 0, KIND_FLIP, KIND_BOT, KIND_DUP, N_KINDS };
static const char *const kind_name[N_KINDS] = {"clean", "flip", "bot", "dup"};
enum { PR_POINTS = 101 };
/* Prediction slots per seed: noisy, clean, random, then per column all,
 * true and false flags dropped (slot() below). */
enum { NOISE_MAX_SLOTS = 3 + 3 * BENCH_MAX_COLS };

/* splitmix64 (Steele et al. 2014): the run's own RNG, seeded by its seed,
 * so the planted rows do not depend on the library's internals. */
static uint64_t mix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double unif(uint64_t *s) { return (double)(mix64(s) >> 11) * 0x1p-53; }

/* ---------------------------------------------------------------------- */
/* Planting                                                                */
/* ---------------------------------------------------------------------- */

/* Marks k of n rows, uniformly without replacement (partial Fisher-Yates
 * over a permutation), in flip (n,), zeroed first. */
static int draw_flips(size_t n, size_t k, uint64_t seed, uint8_t *flip)
{
    uint32_t *perm = malloc((n ? n : 1) * sizeof *perm);
    if (!perm)
        return bench_oom();
    for (size_t i = 0; i < n; i++)
        perm[i] = (uint32_t)i;
    uint64_t st = seed ^ 0x6e6f697365ULL; /* "noise" */
    memset(flip, 0, n);
    for (size_t i = 0; i < k; i++) {
        size_t j = i + (size_t)(mix64(&st) % (uint64_t)(n - i));
        uint32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
        flip[perm[i]] = 1;
    }
    free(perm);
    return CLI_OK;
}

/* Bots: whether row i (of group g) is a bot, and its coin-flip label. */
static void plant_bots(const heft_dataset *ds, double bots, uint64_t seed,
                       uint8_t *kind, float *lab)
{
    const uint64_t *grp = heft_dataset_groups(ds);
    const size_t n = heft_dataset_rows(ds);
    for (size_t i = 0; i < n; i++) {
        uint64_t s = seed ^ 0x626f7473ULL ^ (grp ? grp[i] : i) * 0x2545f4914f6cdd1dULL;
        if (unif(&s) >= bots)
            continue;
        uint64_t c = seed ^ 0x636f696eULL ^ i * 0x9e3779b97f4a7c15ULL;
        kind[i] = KIND_BOT;
        lab[i] = (mix64(&c) >> 63) ? 1.0f : 0.0f;
    }
}

/* The noisy training set of one seed: *noisy (n + n_dup rows) and kind
 * (n + n_dup,) of every row (malloc'ed, the caller's). */
static int plant(const bench_run *r, uint64_t seed, heft_dataset **noisy,
                 uint8_t **kind_out, size_t *rows_out)
{
    const cli_args *a = r->a;
    const heft_dataset *tr = r->train;
    const size_t n = heft_dataset_rows(tr);
    const int defects = cli_flag(a, "defects");
    const size_t n_dup =
        defects ? (size_t)llround(cli_num(a, "dups", 0.05) * (double)n) : 0;
    const size_t m = n + n_dup;
    uint8_t *kind = calloc(m, 1);
    float *lab = malloc(m * sizeof *lab);
    uint64_t *rows = malloc(m * sizeof *rows);
    int rc = kind && lab && rows ? CLI_OK : bench_oom();
    const size_t kf = (size_t)llround(cli_num(a, "flip", 0.1) * (double)n);
    if (rc == CLI_OK)
        rc = draw_flips(n, kf, seed, kind);
    const float *y = heft_dataset_labels(tr);
    for (size_t i = 0; rc == CLI_OK && i < n; i++) {
        lab[i] = kind[i] ? 1.0f - y[i] : y[i];
        rows[i] = i;
    }
    if (rc == CLI_OK && defects)
        plant_bots(tr, cli_num(a, "bots", 0.05), seed, kind, lab);
    uint64_t s = seed ^ 0x64757073ULL; /* "dups" */
    for (size_t j = n; rc == CLI_OK && j < m; j++) {
        rows[j] = mix64(&s) % (uint64_t)n;
        lab[j] = lab[rows[j]];
        kind[j] = KIND_DUP;
    }
    heft_error err;
    if (rc == CLI_OK &&
        heft_bench_relabel(tr, rows, m, lab, noisy, &err) != HEFT_OK)
        rc = cli_fail(&err);
    free(lab);
    free(rows);
    if (rc != CLI_OK) {
        free(kind);
        return rc;
    }
    *kind_out = kind;
    *rows_out = m;
    return CLI_OK;
}

/* ---------------------------------------------------------------------- */
/* --dump-dir: libsvm files of the exact rows                             */
/* ---------------------------------------------------------------------- */

typedef struct svm_nz {
    uint32_t idx;
    float val;
} svm_nz;

static int cmp_nz(const void *pa, const void *pb)
{
    const svm_nz *a = pa, *b = pb;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Writes row r of ds as libsvm ("LABEL IDX:VAL ...", IDX = bucket + 1
 * ascending, the values of a bucket repeated within a row summed). */
static void svm_row(FILE *f, const uint64_t *rp, const uint32_t *feat,
                    const float *val, float y, size_t r, svm_nz *nz)
{
    const size_t len = (size_t)(rp[r + 1] - rp[r]);
    for (size_t j = 0; j < len; j++) {
        nz[j].idx = feat[rp[r] + j];
        nz[j].val = val ? val[rp[r] + j] : 1.0f;
    }
    qsort(nz, len, sizeof *nz, cmp_nz);
    fprintf(f, "%g", (double)y);
    for (size_t j = 0; j < len;) {
        double s = 0;
        const size_t i = j;
        for (; j < len && nz[j].idx == nz[i].idx; j++)
            s += nz[j].val;
        fprintf(f, " %lu:%.9g", (unsigned long)nz[i].idx + 1, s);
    }
    fputc('\n', f);
}

static int write_svm(const heft_dataset *ds, const char *path)
{
    const uint64_t *rp;
    const uint32_t *feat;
    const float *val;
    const uint16_t *field;
    heft_dataset_csr(ds, &rp, &feat, &val, &field);
    const float *y = heft_dataset_labels(ds);
    const size_t n = heft_dataset_rows(ds);
    size_t cap = 1;
    for (size_t r = 0; r < n; r++)
        if (rp[r + 1] - rp[r] > cap)
            cap = (size_t)(rp[r + 1] - rp[r]);
    svm_nz *nz = malloc(cap * sizeof *nz);
    if (!nz)
        return bench_oom();
    cli_out out;
    int rc = cli_out_open(&out, path);
    for (size_t r = 0; rc == CLI_OK && r < n; r++)
        svm_row(out.f, rp, feat, val, y[r], r, nz);
    free(nz);
    return rc == CLI_OK ? cli_out_commit(&out) : rc;
}

static int make_dir(const char *path)
{
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return cli_failf("%s: cannot create the folder: %s", path,
                         strerror(errno));
    return CLI_OK;
}

/* Writes one seed's files into DIR/seed-S/. */
static int dump_seed(const bench_run *r, uint64_t seed,
                     const heft_dataset *tr, const uint8_t *kind)
{
    const char *dir = cli_str(r->a, "dump-dir");
    const size_t len = strlen(dir) + 64;
    char *sub = malloc(len), *path = malloc(len);
    int rc = sub && path ? CLI_OK : bench_oom();
    if (rc == CLI_OK) {
        snprintf(sub, len, "%s/seed-%llu", dir, (unsigned long long)seed);
        rc = make_dir(dir);
    }
    if (rc == CLI_OK)
        rc = make_dir(sub);
    const struct {
        const char *name;
        const heft_dataset *ds;
    } parts[] = {{"train.svm", tr}, {"valid.svm", r->valid},
                 {"test.svm", r->test}};
    for (size_t i = 0; rc == CLI_OK && i < 3; i++) {
        if (!parts[i].ds)
            continue;
        snprintf(path, len, "%s/%s", sub, parts[i].name);
        rc = write_svm(parts[i].ds, path);
    }
    cli_out out;
    if (rc == CLI_OK) {
        snprintf(path, len, "%s/flipped.txt", sub);
        rc = cli_out_open(&out, path);
    }
    if (rc == CLI_OK) {
        for (size_t i = 0; i < heft_dataset_rows(tr); i++)
            if (kind[i])
                fprintf(out.f, "%zu\n", i);
        rc = cli_out_commit(&out);
    }
    free(sub);
    free(path);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Detection metrics of one column                                         */
/* ---------------------------------------------------------------------- */

/* A row's value with NaN as +inf: a value that could not be computed
 * never makes a row suspicious. */
static double key_of(float v) { return isnan(v) ? INFINITY : (double)v; }

/* Results of every run, per column (same columns in every run). */
typedef struct noise_acc {
    size_t n_cols, n_runs, n_test;
    char *name[BENCH_MAX_COLS];
    int is_flag[BENCH_MAX_COLS];
    double f1[BENCH_MAX_COLS][BENCH_MAX_SEEDS];
    double auroc[BENCH_MAX_COLS][BENCH_MAX_SEEDS];
    double prauc[BENCH_MAX_COLS][BENCH_MAX_SEEDS];
    double prec[BENCH_MAX_COLS][BENCH_MAX_SEEDS];
    double rec[BENCH_MAX_COLS][BENCH_MAX_SEEDS];
    double flagged[BENCH_MAX_COLS][BENCH_MAX_SEEDS];
    double secs[BENCH_MAX_COLS][BENCH_MAX_SEEDS];
    double kind_rec[BENCH_MAX_COLS][N_KINDS][BENCH_MAX_SEEDS];
    double n_kind[N_KINDS][BENCH_MAX_SEEDS];
    size_t k[BENCH_MAX_SEEDS];
    double pr_rec[BENCH_MAX_COLS][PR_POINTS], pr_prec[BENCH_MAX_COLS][PR_POINTS];
    size_t pr_n[BENCH_MAX_COLS];
    double *f1_boot, *auroc_boot; /* (cols, B + 1), sums over seeds */
    int decomp;                   /* --decompose (with --test)         */
    /* Test predictions, pred[seed][slot] (n_test,) each; slots below. */
    float *pred[BENCH_MAX_SEEDS][NOISE_MAX_SLOTS];
} noise_acc;

/* The models retrained per seed, C = n_cols:
 *   SLOT_NOISY, SLOT_CLEAN   on the noisy rows; on the clean rows;
 *   SLOT_RANDOM              after dropping k random rows;
 *   slot(acc, DROP_ALL, j)   = 3 + j: after dropping column j's flagged set;
 *   slot(acc, DROP_TRUE, j)  = 3 + C + j: only its planted flags dropped;
 *   slot(acc, DROP_FALSE, j) = 3 + 2C + j: only its clean flags dropped
 * (the last two with --decompose only). */
enum { SLOT_NOISY, SLOT_CLEAN, SLOT_RANDOM, SLOT_COLS };
enum { DROP_ALL, DROP_TRUE, DROP_FALSE };

static size_t slot(const noise_acc *acc, int part, size_t j)
{
    return SLOT_COLS + (size_t)part * acc->n_cols + j;
}

static size_t n_slots(const noise_acc *acc)
{
    return SLOT_COLS + acc->n_cols * (acc->decomp ? 3 : 1);
}

/* The detection view of one column in one run. */
typedef struct col_view {
    const float *v;
    const uint8_t *kind;
    const uint32_t *order; /* ascending value */
    size_t n, k;
    float *member;         /* (n,) share of each row in the flagged set */
} col_view;

/* F1@k, AUROC and PR-AUC from the ascending order; ties: F1@k counts the
 * block at the cut at its expected share, AUROC half, PR-AUC one
 * threshold per block. Also the k-lowest membership in c->member. */
static void rank_metrics(const col_view *c, double *f1, double *auroc,
                         double *ap, double *pr_r, double *pr_p,
                         size_t *pr_n)
{
    double hits = 0, pairs = 0, n_pos = 0, cum_pos = 0, ap_sum = 0;
    for (size_t i = 0; i < c->n; i++)
        n_pos += c->kind[i] != KIND_CLEAN;
    const double n_neg = (double)c->n - n_pos;
    double clean_after = n_neg;
    size_t n_blocks = 0;
    for (size_t i = 0; i < c->n;) {
        size_t j = i;
        double pos = 0;
        while (j < c->n && key_of(c->v[c->order[j]]) == key_of(c->v[c->order[i]]))
            pos += c->kind[c->order[j++]] != KIND_CLEAN;
        const double neg = (double)(j - i) - pos;
        clean_after -= neg;
        pairs += pos * (clean_after + 0.5 * neg);
        const double share = j <= c->k ? 1.0 : i < c->k ? (double)(c->k - i) / (double)(j - i) : 0.0;
        hits += pos * share;
        for (size_t t = i; t < j; t++)
            c->member[c->order[t]] = (float)share;
        cum_pos += pos;
        if (n_pos > 0)
            ap_sum += pos / n_pos * cum_pos / (double)j;
        n_blocks++;
        i = j;
    }
    *f1 = c->k ? hits / (double)c->k : NAN;
    *auroc = n_pos > 0 && n_neg > 0 ? pairs / (n_pos * n_neg) : NAN;
    *ap = n_pos > 0 ? ap_sum : NAN;
    /* The curve: every block end, thinned evenly to PR_POINTS (only when
     * asked for: seed 0's curve stays when later seeds pass NULL). */
    if (!pr_r)
        return;
    *pr_n = 0;
    if (n_pos <= 0)
        return;
    const size_t step = (n_blocks + PR_POINTS - 2) / (PR_POINTS - 1);
    size_t b = 0;
    cum_pos = 0;
    for (size_t i = 0; i < c->n;) {
        size_t j = i;
        while (j < c->n && key_of(c->v[c->order[j]]) == key_of(c->v[c->order[i]]))
            cum_pos += c->kind[c->order[j++]] != KIND_CLEAN;
        if ((b % (step ? step : 1) == 0 || j == c->n) && *pr_n < PR_POINTS) {
            pr_r[*pr_n] = cum_pos / n_pos;
            pr_p[*pr_n] = cum_pos / (double)j;
            (*pr_n)++;
        }
        b++;
        i = j;
    }
}

/* Precision, recall and per-kind recall of the flagged set given by
 * member (shares in [0, 1]). */
static void flagged_metrics(const col_view *c, double *prec, double *rec,
                            double *flagged, double *kind_rec,
                            const double *n_kind)
{
    double f = 0, hits = 0, by_kind[N_KINDS] = {0};
    for (size_t i = 0; i < c->n; i++) {
        f += c->member[i];
        by_kind[c->kind[i]] += c->member[i];
        hits += c->kind[i] != KIND_CLEAN ? c->member[i] : 0;
    }
    const double n_pos = (double)c->n - n_kind[KIND_CLEAN];
    *prec = f > 0 ? hits / f : NAN;
    *rec = n_pos > 0 ? hits / n_pos : NAN;
    *flagged = f;
    for (int t = 0; t < N_KINDS; t++)
        kind_rec[t] = n_kind[t] > 0 ? by_kind[t] / n_kind[t] : NAN;
}

/* Adds the training-row bootstrap of F1 (membership) and AUROC (negated
 * value) of column j to the sums. */
static int detect_boot(bench_run *r, noise_acc *acc, size_t j,
                       const col_view *c)
{
    const size_t B1 = (size_t)r->bo.resamples + 1;
    float *truth = malloc(c->n * sizeof *truth);
    float *neg = malloc(c->n * sizeof *neg);
    double *tmp = malloc(B1 * sizeof *tmp);
    int rc = truth && neg && tmp ? CLI_OK : bench_oom();
    heft_error err;
    for (size_t i = 0; rc == CLI_OK && i < c->n; i++) {
        truth[i] = c->kind[i] != KIND_CLEAN;
        neg[i] = isnan(c->v[i]) ? -INFINITY : -c->v[i];
    }
    const float *sets[1] = {c->member};
    if (rc == CLI_OK &&
        heft_bench_resample(truth, sets, 1, c->n, HEFT_BENCH_F1, &r->bo,
                            tmp, &err) != HEFT_OK)
        rc = cli_fail(&err);
    for (size_t b = 0; rc == CLI_OK && b < B1; b++)
        acc->f1_boot[j * B1 + b] += tmp[b];
    sets[0] = neg;
    if (rc == CLI_OK &&
        heft_bench_resample(truth, sets, 1, c->n, HEFT_BENCH_AUC, &r->bo,
                            tmp, &err) != HEFT_OK)
        rc = cli_fail(&err);
    for (size_t b = 0; rc == CLI_OK && b < B1; b++)
        acc->auroc_boot[j * B1 + b] += tmp[b];
    free(truth);
    free(neg);
    free(tmp);
    return rc;
}

static int has_suffix(const char *s, const char *suf)
{
    const size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Measures column j of run s; fills drop (n,) with its flagged rows. */
static int measure_col(bench_run *r, noise_acc *acc, size_t j, size_t s,
                       const heft_scores *sc, const uint8_t *kind,
                       uint32_t *order, float *member, uint8_t *drop)
{
    const size_t n = heft_scores_rows(sc);
    const float *v = heft_scores_col(sc, j);
    int rc = bench_order(v, n, r->seeds[s], order);
    if (rc != CLI_OK)
        return rc;
    col_view c = {v, kind, order, n, acc->k[s], member};
    rank_metrics(&c, &acc->f1[j][s], &acc->auroc[j][s], &acc->prauc[j][s],
                 s == 0 ? acc->pr_rec[j] : NULL, acc->pr_prec[j],
                 &acc->pr_n[j]);
    rc = detect_boot(r, acc, j, &c);
    for (size_t i = 0; i < n; i++)
        drop[i] = 0;
    const size_t kd = (size_t)llround(cli_num(r->a, "drop", 1.0) *
                                      (double)acc->k[s]);
    for (size_t i = 0; i < kd && i < n; i++)
        drop[order[i]] = 1;
    if (acc->is_flag[j])
        for (size_t i = 0; i < n; i++)
            member[i] = drop[i] = !(key_of(v[i]) >= 0.5);
    double kr[N_KINDS], nk[N_KINDS];
    for (int t = 0; t < N_KINDS; t++)
        nk[t] = acc->n_kind[t][s];
    flagged_metrics(&c, &acc->prec[j][s], &acc->rec[j][s],
                    &acc->flagged[j][s], kr, nk);
    for (int t = 0; t < N_KINDS; t++)
        acc->kind_rec[j][t][s] = kr[t];
    acc->secs[j][s] = heft_scores_seconds(sc, j);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Runs                                                                    */
/* ---------------------------------------------------------------------- */

/* The rows of [0, n) whose drop[] is 0, into keep; returns how many. */
static size_t kept_rows(const uint8_t *drop, size_t n, uint64_t *keep)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!drop[i])
            keep[m++] = i;
    return m;
}

/* The drop mask of every slot of seed s into mask (n_slots,): NULL for
 * the noisy model, kind for the clean one, the rest in own (n * (1 + 2C)):
 * the random drop of k rows, then with --decompose each column's true
 * flags (flagged and planted) and false flags (flagged and clean). */
static int slot_masks(bench_run *r, const noise_acc *acc, size_t s,
                      size_t n, const uint8_t *kind, const uint8_t *drops,
                      uint8_t *own, const uint8_t **mask)
{
    const size_t C = acc->n_cols;
    uint32_t *perm = malloc((n ? n : 1) * sizeof *perm);
    if (!perm)
        return bench_oom();
    const int rc = bench_perm(n, r->seeds[s], perm);
    memset(own, 0, n);
    for (size_t i = 0; rc == CLI_OK && i < acc->k[s]; i++)
        own[perm[i]] = 1;
    free(perm);
    mask[SLOT_NOISY] = NULL;
    mask[SLOT_CLEAN] = kind;
    mask[SLOT_RANDOM] = own;
    for (size_t j = 0; j < C; j++)
        mask[slot(acc, DROP_ALL, j)] = drops + j * n;
    for (size_t j = 0; acc->decomp && j < C; j++) {
        uint8_t *t = own + (1 + j) * n, *f = own + (1 + C + j) * n;
        const uint8_t *d = drops + j * n;
        for (size_t i = 0; i < n; i++) {
            t[i] = d[i] && kind[i] != KIND_CLEAN;
            f[i] = d[i] && kind[i] == KIND_CLEAN;
        }
        mask[slot(acc, DROP_TRUE, j)] = t;
        mask[slot(acc, DROP_FALSE, j)] = f;
    }
    return rc;
}

/* One job per slot whose model must be trained (keep (n_slots, n) holds
 * their rows); a slot whose drop set is empty is the noisy model, marked
 * in same (n_slots,) and copied after training instead. */
static int slot_jobs(bench_run *r, noise_acc *acc, size_t s, size_t n,
                     const uint8_t *const *mask, uint64_t *keep,
                     heft_bench_job *jobs, size_t *n_jobs, uint8_t *same)
{
    const size_t nq = n_slots(acc);
    size_t nj = 0;
    for (size_t q = 0; q < nq; q++) {
        if (!(acc->pred[s][q] = malloc(acc->n_test * sizeof(float))))
            return bench_oom();
        const size_t m = mask[q] ? kept_rows(mask[q], n, keep + nj * n) : n;
        same[q] = q != SLOT_NOISY && m == n;
        if (same[q])
            continue;
        heft_bench_job *jb = &jobs[nj];
        jb->rows = mask[q] ? keep + nj * n : NULL;
        jb->n_rows = mask[q] ? m : 0;
        jb->seed = r->seeds[s];
        jb->pred = acc->pred[s][q];
        if (mask[q] && jb->n_rows == 0)
            return cli_failf("bench noise: a drop leaves no training rows");
        nj++;
    }
    *n_jobs = nj;
    return CLI_OK;
}

/* Retrains on the noisy rows, the clean ones, after a random drop of k,
 * after each column's drop (drops (cols, n)) and with --decompose after
 * dropping its true and its false flags; predictions into acc->pred[s]. */
static int retrain_seed(bench_run *r, noise_acc *acc, size_t s,
                        const heft_dataset *noisy, const uint8_t *kind,
                        const uint8_t *drops)
{
    const size_t n = heft_dataset_rows(noisy), nq = n_slots(acc);
    const size_t n_own = 1 + (acc->decomp ? 2 * acc->n_cols : 0);
    uint64_t *keep = malloc(nq * n * sizeof *keep);
    uint8_t *own = malloc(n_own * n), *same = malloc(nq);
    const uint8_t **mask = malloc(nq * sizeof *mask);
    heft_bench_job *jobs = calloc(nq, sizeof *jobs);
    int rc = keep && own && same && mask && jobs ? CLI_OK : bench_oom();
    if (rc == CLI_OK)
        rc = slot_masks(r, acc, s, n, kind, drops, own, mask);
    size_t nj = 0;
    if (rc == CLI_OK)
        rc = slot_jobs(r, acc, s, n, mask, keep, jobs, &nj, same);
    if (rc == CLI_OK)
        rc = bench_retrain(r, noisy, r->test, jobs, nj);
    for (size_t q = 0; rc == CLI_OK && q < nq; q++)
        if (same[q])
            memcpy(acc->pred[s][q], acc->pred[s][SLOT_NOISY],
                   acc->n_test * sizeof(float));
    free(keep);
    free(own);
    free(same);
    free(mask);
    free(jobs);
    return rc;
}

/* Records the column names of the first run (checking later runs). */
static int record_cols(noise_acc *acc, const heft_scores *sc, size_t s,
                       size_t B1)
{
    const size_t cols = heft_scores_cols(sc);
    if (cols > BENCH_MAX_COLS)
        return cli_failf("more than %d score columns", BENCH_MAX_COLS);
    if (s > 0)
        return cols == acc->n_cols
                   ? CLI_OK
                   : cli_failf("internal error: the runs gave different "
                               "columns");
    acc->n_cols = cols;
    for (size_t j = 0; j < cols; j++) {
        if (!(acc->name[j] = strdup(heft_scores_name(sc, j))))
            return bench_oom();
        acc->is_flag[j] = has_suffix(acc->name[j], "_ok");
    }
    acc->f1_boot = calloc(cols * B1, sizeof *acc->f1_boot);
    acc->auroc_boot = calloc(cols * B1, sizeof *acc->auroc_boot);
    return acc->f1_boot && acc->auroc_boot ? CLI_OK : bench_oom();
}

/* One run: plant, score, measure, retrain. */
static int run_seed(bench_run *r, noise_acc *acc, size_t s)
{
    heft_dataset *noisy = NULL;
    heft_scores *sc = NULL;
    uint8_t *kind = NULL, *drops = NULL;
    uint32_t *order = NULL;
    float *member = NULL;
    size_t n = 0;
    int rc = plant(r, r->seeds[s], &noisy, &kind, &n);
    for (size_t i = 0; rc == CLI_OK && i < n; i++)
        acc->n_kind[kind[i]][s] += 1;
    acc->k[s] = rc == CLI_OK ? n - (size_t)acc->n_kind[KIND_CLEAN][s] : 0;
    if (rc == CLI_OK && (acc->k[s] == 0 || acc->k[s] >= n))
        rc = cli_failf("%s: planting defects in %zu rows gives %zu; need at "
                       "least one planted and one clean row",
                       r->a->pos[1], n, acc->k[s]);
    if (rc == CLI_OK && cli_str(r->a, "dump-dir"))
        rc = dump_seed(r, r->seeds[s], noisy, kind);
    if (rc == CLI_OK)
        rc = bench_score(r, noisy, r->valid, r->seeds[s], &sc);
    if (rc == CLI_OK)
        rc = record_cols(acc, sc, s, (size_t)r->bo.resamples + 1);
    const size_t cols = acc->n_cols;
    if (rc == CLI_OK) {
        order = malloc(n * sizeof *order);
        member = malloc(n * sizeof *member);
        drops = malloc(cols * n + 1);
        if (!order || !member || !drops)
            rc = bench_oom();
    }
    for (size_t j = 0; rc == CLI_OK && j < cols; j++)
        rc = measure_col(r, acc, j, s, sc, kind, order, member,
                         drops + j * n);
    if (rc == CLI_OK && r->test)
        rc = retrain_seed(r, acc, s, noisy, kind, drops);
    if (rc == CLI_OK)
        cli_info(r->a, "seed %llu: scored %zu rows, %zu planted",
                 (unsigned long long)r->seeds[s], n, acc->k[s]);
    heft_scores_free(sc);
    heft_dataset_free(noisy);
    free(kind);
    free(drops);
    free(order);
    free(member);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Output                                                                  */
/* ---------------------------------------------------------------------- */

/* Test AUC of prediction slot q over the seeds, with its bootstrap. */
static int test_boot(bench_run *r, noise_acc *acc, size_t q, double *out)
{
    const float *sets[BENCH_MAX_SEEDS];
    for (size_t s = 0; s < acc->n_runs; s++)
        sets[s] = acc->pred[s][q];
    return bench_boot(r, r->test, sets, acc->n_runs, HEFT_BENCH_AUC, out);
}

static void json_boot(FILE *f, const char *key, const double *boot, int B)
{
    double lo, hi;
    heft_bench_interval(boot, B, &lo, &hi);
    bench_json_key(f, key);
    bench_json_ci(f, lo, hi);
}

/* The JSON of column j (without the test part). */
static void json_col(const bench_run *r, const noise_acc *acc, size_t j)
{
    FILE *f = r->js;
    const size_t R = acc->n_runs, B1 = (size_t)r->bo.resamples + 1;
    double *tmp = malloc(B1 * sizeof *tmp);
    cli_json_str(f, acc->name[j]);
    fputs(":{\"f1_at_k\":", f);
    cli_json_num(f, bench_mean(acc->f1[j], R));
    for (size_t b = 0; tmp && b < B1; b++)
        tmp[b] = acc->f1_boot[j * B1 + b] / (double)R;
    if (tmp)
        json_boot(f, "f1_at_k_ci", tmp, r->bo.resamples);
    bench_json_key(f, "auroc");
    cli_json_num(f, bench_mean(acc->auroc[j], R));
    for (size_t b = 0; tmp && b < B1; b++)
        tmp[b] = acc->auroc_boot[j * B1 + b] / (double)R;
    if (tmp)
        json_boot(f, "auroc_ci", tmp, r->bo.resamples);
    free(tmp);
    const struct {
        const char *key;
        const double *x;
    } m[] = {{"pr_auc", acc->prauc[j]},       {"precision", acc->prec[j]},
             {"recall", acc->rec[j]},         {"flagged", acc->flagged[j]},
             {"seconds", acc->secs[j]}};
    for (size_t t = 0; t < sizeof m / sizeof m[0]; t++) {
        bench_json_key(f, m[t].key);
        cli_json_num(f, bench_mean(m[t].x, R));
    }
    bench_json_key(f, "f1_at_k_per_seed");
    bench_json_array(f, acc->f1[j], R);
    bench_json_key(f, "auroc_per_seed");
    bench_json_array(f, acc->auroc[j], R);
    if (cli_flag(r->a, "defects")) {
        fputs(",\"recall_by_kind\":{", f);
        for (int t = 1; t < N_KINDS; t++) {
            fprintf(f, "%s\"%s\":", t > 1 ? "," : "", kind_name[t]);
            cli_json_num(f, bench_mean(acc->kind_rec[j][t], R));
        }
        fputc('}', f);
    }
    fputs(",\"pr_curve\":{\"recall\":", f);
    bench_json_array(f, acc->pr_rec[j], acc->pr_n[j]);
    fputs(",\"precision\":", f);
    bench_json_array(f, acc->pr_prec[j], acc->pr_n[j]);
    fputc('}', f);
}

/* Test AUCs: every slot's bootstrap. tauc, ci and pval (n_slots,)
 * receive the point values, the intervals and the p against random. */
static int test_part(bench_run *r, noise_acc *acc, double *tauc,
                     double (*ci)[2], double *pval)
{
    const size_t nq = n_slots(acc), B1 = (size_t)r->bo.resamples + 1;
    double *boot = malloc(nq * B1 * sizeof *boot);
    int rc = boot ? CLI_OK : bench_oom();
    for (size_t q = 0; rc == CLI_OK && q < nq; q++)
        rc = test_boot(r, acc, q, boot + q * B1);
    for (size_t q = 0; rc == CLI_OK && q < nq; q++) {
        tauc[q] = boot[q * B1];
        heft_bench_interval(boot + q * B1, r->bo.resamples, &ci[q][0],
                            &ci[q][1]);
        pval[q] = heft_bench_compare(boot + q * B1, boot + SLOT_RANDOM * B1,
                                     r->bo.resamples).p;
    }
    free(boot);
    return rc;
}

static void print_table(const bench_run *r, const noise_acc *acc,
                        const double *tauc)
{
    FILE *f = r->txt;
    const size_t R = acc->n_runs;
    if (cli_flag(r->a, "defects"))
        fprintf(f, "noise: %s, %zu training rows, %zu planted (%.0f flip, "
                   "%.0f bot, %.0f dup), %zu validation rows, %s, %zu "
                   "seed%s\n",
                r->a->pos[1], heft_dataset_rows(r->train), acc->k[0],
                acc->n_kind[KIND_FLIP][0], acc->n_kind[KIND_BOT][0],
                acc->n_kind[KIND_DUP][0],
                r->valid ? heft_dataset_rows(r->valid) : (size_t)0,
                heft_model_kind_name(r->so.train.model), R, R == 1 ? "" : "s");
    else
        fprintf(f, "noise: %s, %zu training rows, %zu flipped (%g), %zu "
                   "validation rows, %s, %zu seed%s\n",
                r->a->pos[1], heft_dataset_rows(r->train), acc->k[0],
                cli_num(r->a, "flip", 0.1),
                r->valid ? heft_dataset_rows(r->valid) : (size_t)0,
                heft_model_kind_name(r->so.train.model), R, R == 1 ? "" : "s");
    fprintf(f, "%-20s %8s %8s %8s %8s %8s %10s", "method", "F1@k", "AUROC",
            "PR-AUC", "prec", "recall", "seconds");
    if (r->test)
        fprintf(f, " %9s", "test AUC");
    if (acc->decomp)
        fprintf(f, " %11s %12s", "true-fl AUC", "false-fl AUC");
    fputc('\n', f);
    for (size_t j = 0; j < acc->n_cols; j++) {
        fprintf(f, "%-20s %8.4f %8.4f %8.4f %8.4f %8.4f %10.3f",
                acc->name[j], bench_mean(acc->f1[j], R),
                bench_mean(acc->auroc[j], R), bench_mean(acc->prauc[j], R),
                bench_mean(acc->prec[j], R), bench_mean(acc->rec[j], R),
                bench_mean(acc->secs[j], R));
        if (r->test)
            fprintf(f, " %9.4f", tauc[slot(acc, DROP_ALL, j)]);
        if (acc->decomp)
            fprintf(f, " %11.4f %12.4f", tauc[slot(acc, DROP_TRUE, j)],
                    tauc[slot(acc, DROP_FALSE, j)]);
        fputc('\n', f);
    }
    if (r->test)
        fprintf(f, "test AUC: trained on the noisy rows %.4f, on the clean "
                   "rows %.4f, after dropping %zu random rows %.4f; per "
                   "method: after dropping what it flags\n",
                tauc[SLOT_NOISY], tauc[SLOT_CLEAN], acc->k[0],
                tauc[SLOT_RANDOM]);
    if (acc->decomp)
        fprintf(f, "true-fl AUC: after dropping only its flags that are "
                   "planted rows; false-fl AUC: only those that are clean "
                   "rows (an empty set gives the noisy model)\n");
}

/* "test_auc{sfx}", its "_ci" and "recovered{sfx}" of slot q. */
static void json_slot(FILE *f, const double *tauc, double (*ci)[2],
                      size_t q, const char *sfx)
{
    char key[64];
    snprintf(key, sizeof key, "test_auc%s", sfx);
    bench_json_key(f, key);
    cli_json_num(f, tauc[q]);
    snprintf(key, sizeof key, "test_auc%s_ci", sfx);
    bench_json_key(f, key);
    bench_json_ci(f, ci[q][0], ci[q][1]);
    snprintf(key, sizeof key, "recovered%s", sfx);
    bench_json_key(f, key);
    cli_json_num(f, (tauc[q] - tauc[SLOT_NOISY]) /
                        (tauc[SLOT_CLEAN] - tauc[SLOT_NOISY]));
}

static void json_test(const bench_run *r, const noise_acc *acc,
                      const double *tauc, double (*ci)[2],
                      const double *pval, size_t j)
{
    FILE *f = r->js;
    const size_t q = slot(acc, DROP_ALL, j);
    bench_json_key(f, "test_auc");
    cli_json_num(f, tauc[q]);
    bench_json_key(f, "test_auc_ci");
    bench_json_ci(f, ci[q][0], ci[q][1]);
    bench_json_key(f, "p_vs_random");
    cli_json_num(f, pval[q]);
    bench_json_key(f, "recovered");
    cli_json_num(f, (tauc[q] - tauc[SLOT_NOISY]) /
                        (tauc[SLOT_CLEAN] - tauc[SLOT_NOISY]));
    if (!acc->decomp)
        return;
    json_slot(f, tauc, ci, slot(acc, DROP_TRUE, j), "_true_flags");
    json_slot(f, tauc, ci, slot(acc, DROP_FALSE, j), "_false_flags");
}

static void print_json(const bench_run *r, const noise_acc *acc,
                       const double *tauc, double (*ci)[2],
                       const double *pval)
{
    FILE *f = r->js;
    const size_t R = acc->n_runs;
    fprintf(f, ",\"rows\":%zu,\"valid_rows\":%zu,\"flip\":",
            heft_dataset_rows(r->train),
            r->valid ? heft_dataset_rows(r->valid) : (size_t)0);
    cli_json_num(f, cli_num(r->a, "flip", 0.1));
    fprintf(f, ",\"k\":%zu,\"seeds\":[", acc->k[0]);
    for (size_t s = 0; s < R; s++)
        fprintf(f, "%s%llu", s ? "," : "", (unsigned long long)r->seeds[s]);
    fputs("],\"planted\":{", f);
    for (int t = 1; t < N_KINDS; t++) {
        fprintf(f, "%s\"%s\":", t > 1 ? "," : "", kind_name[t]);
        cli_json_num(f, bench_mean(acc->n_kind[t], R));
    }
    fputc('}', f);
    const double nan2[2] = {NAN, NAN};
    bench_json_key(f, "test_auc_noisy");
    cli_json_num(f, r->test ? tauc[SLOT_NOISY] : NAN);
    bench_json_key(f, "test_auc_noisy_ci");
    bench_json_ci(f, r->test ? ci[SLOT_NOISY][0] : nan2[0],
                  r->test ? ci[SLOT_NOISY][1] : nan2[1]);
    bench_json_key(f, "test_auc_clean");
    cli_json_num(f, r->test ? tauc[SLOT_CLEAN] : NAN);
    bench_json_key(f, "test_auc_clean_ci");
    bench_json_ci(f, r->test ? ci[SLOT_CLEAN][0] : nan2[0],
                  r->test ? ci[SLOT_CLEAN][1] : nan2[1]);
    fputs(",\"methods\":{", f);
    for (size_t j = 0; j < acc->n_cols; j++) {
        if (j)
            fputc(',', f);
        json_col(r, acc, j);
        if (r->test)
            json_test(r, acc, tauc, ci, pval, j);
        fputc('}', f);
    }
    fputs("},\"random\":{\"test_auc\":", f);
    cli_json_num(f, r->test ? tauc[SLOT_RANDOM] : NAN);
    bench_json_key(f, "test_auc_ci");
    bench_json_ci(f, r->test ? ci[SLOT_RANDOM][0] : NAN,
                  r->test ? ci[SLOT_RANDOM][1] : NAN);
    fputc('}', f);
}

static void free_acc(noise_acc *acc)
{
    for (size_t j = 0; j < acc->n_cols; j++)
        free(acc->name[j]);
    for (size_t s = 0; s < BENCH_MAX_SEEDS; s++)
        for (size_t q = 0; q < NOISE_MAX_SLOTS; q++)
            free(acc->pred[s][q]);
    free(acc->f1_boot);
    free(acc->auroc_boot);
    free(acc);
}

int bench_noise(bench_run *r)
{
    noise_acc *acc = calloc(1, sizeof *acc);
    if (!acc)
        return bench_oom();
    acc->n_test = r->test ? heft_dataset_rows(r->test) : 0;
    acc->decomp = r->test && cli_flag(r->a, "decompose");
    int rc = CLI_OK;
    for (size_t s = 0; rc == CLI_OK && s < r->n_seeds; s++) {
        rc = run_seed(r, acc, s);
        acc->n_runs += rc == CLI_OK;
    }
    const size_t nq = n_slots(acc);
    double *tauc = calloc(nq, sizeof *tauc), *pval = calloc(nq, sizeof *pval);
    double(*ci)[2] = calloc(nq, sizeof *ci);
    if (rc == CLI_OK && (!tauc || !pval || !ci))
        rc = bench_oom();
    if (rc == CLI_OK && r->test)
        rc = test_part(r, acc, tauc, ci, pval);
    if (rc == CLI_OK) {
        print_json(r, acc, tauc, ci, pval);
        print_table(r, acc, tauc);
    }
    free(tauc);
    free(pval);
    free(ci);
    free_acc(acc);
    return rc;
}
