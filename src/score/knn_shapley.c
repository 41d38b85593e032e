/*
 * knn_shapley.c: exact and approximate KNN-Shapley values of training rows.
 *
 * R. Jia, D. Dao, B. Wang, F. A. Hubis, N. M. Gurel, B. Li, C. Zhang,
 * C. J. Spanos, D. Song, "Efficient Task-Specific Data Valuation for Nearest
 * Neighbor Algorithms", PVLDB 12(11), 2019, Theorem 1.
 *
 * Utility of a training subset S for one validation row (x, y), for an
 * unweighted K-nearest-neighbour classifier:
 *     U(S) = (1/K) sum_{k=1}^{min(K,|S|)} 1[y_{alpha_k(S)} = y]
 * where alpha_k(S) is the k-th nearest row of S to x. Rank all N training
 * rows by distance to x, alpha_1 nearest .. alpha_N farthest (ties: lower row
 * index first), and write m_i = 1[y_{alpha_i} = y]. The Shapley values are
 *     s_N = m_N / N,
 *     s_i = s_{i+1} + (m_i - m_{i+1}) / K * min(K, i) / i,    i = N-1 .. 1,
 * and the values for a validation set are the mean over its rows (Shapley
 * values are linear in the utility). O(N log N) per validation row.
 *
 * Closed form of the tail. For i >= K the step is (m_i - m_{i+1}) / i, and
 * unrolling it from s_N gives
 *     s_i = m_i / i - T_i,   T_i = sum_{j=i+1}^{N} m_j / (j (j-1)),   i >= K,
 * with 0 <= T_i <= 1/i - 1/N. Beyond rank K a value depends only on its own
 * label, its rank and the labels farther away.
 *
 * Approximate mode (top_m = M, K <= M < N). Only the M nearest rows are
 * ranked (a selection, not a sort of N). The other L = N - M rows, the tail,
 * are a set with c label matches whose order is not computed. Every value is
 * replaced by its expectation over a uniformly random order of the tail:
 *     top M:  s_M = m_M / M - (c / L) (1/M - 1/N), then the recursion up;
 *     tail:   a_m = m h / L - ((c - m) / (L - 1)) (h / L - 1/N)
 * for a tail row with m in {0, 1}, h = H_N - H_M = sum_{i=M+1}^{N} 1/i (the
 * second term is 0 when L = 1). Error bound: every top-M value is off by
 * exactly the error in T_M, and T_M and its mean both lie in
 * [0, 1/M - 1/N]; a tail value with m = 1 and its mean lie in
 * [1/N, 1/(M+1)], with m = 0 in [-(1/(M+1) - 1/N), 0]. So every value, and
 * hence every mean over validation rows, is within
 *     1/M - 1/N
 * of the exact value. Being a mean of exact values, the approximation keeps
 * efficiency: for each validation row the values still sum to U(D).
 *
 * Similarity: cosine of sparse rows through an inverted index of the
 * training rows (per validation row the cost is the summed posting lengths
 * of its features, then O(N) passes), or Euclidean distance / cosine on
 * dense (n, d) embeddings (O(N d)). Similarities are rounded to float before
 * ranking; equal floats tie and go by row index.
 *
 * Determinism: each value is added to a per-thread int64 accumulator in
 * fixed point with 2^F units, F = 59 - bits(n_valid) (no sum can overflow:
 * every added term is at most 3 in magnitude). Integer sums do not depend on
 * their order, so the output is bit-identical for every thread count; the
 * rounding is below 2^-37 per value even for 2^21 validation rows.
 */
#include "score.h"

#include <math.h>
#include <stdlib.h>

/* knn_ctx.val_off of a column whose every value is 1 (none stored). */
#define UNIT_COL INT64_MIN

/* Per-thread scratch, each array (N,) unless noted. */
typedef struct knn_work {
    float *sim;      /* similarity of every training row to the current x */
    uint64_t *pair;  /* key << 32 | row, being ranked                     */
    uint64_t *tmp;   /* sort scratch                                       */
    uint32_t *order; /* (lim,) ranked rows, nearest first                  */
    int64_t *acc;    /* fixed-point sums of this thread's values           */
    int64_t *cls;    /* (n_class+1,) tail sums per class; [n_class]: all   */
    uint32_t *hist;  /* (65536,) key-prefix histogram (approximate mode)   */
} knn_work;

typedef struct knn_ctx knn_ctx;
typedef void (*knn_sims_fn)(const knn_ctx *c, uint64_t v, float *sim);

struct knn_ctx {
    uint64_t n, nv; /* training and validation rows                      */
    uint64_t lim;   /* ranks computed per validation row: n, or M < n     */
    double k;       /* K                                                  */
    double scale;   /* 2^F                                                */
    double h;       /* H_N - H_M (approximate mode)                       */
    int32_t *tclass;   /* (n,) class of each training row                 */
    int32_t *vclass;   /* (nv,) class of each validation row, -1: none    */
    uint64_t *class_n; /* (n_class,) training rows per class              */
    uint32_t n_class;
    knn_sims_fn sims;
    /* sparse: inverted index of the training rows, column = feature id or
     * its position in dict when the ids are too spread out to index. */
    const heft__rows *vrows;
    uint64_t n_col;
    uint32_t *dict;     /* (n_col,) sorted feature ids, or NULL: col = id */
    uint64_t *col_ptr;  /* (n_col+1,)                                     */
    uint32_t *post_row; /* (nnz,) training row of each posting            */
    float *post_val;    /* the values of the postings of valued columns   */
    int64_t *val_off;   /* (n_col,) posting p of column j has the value
                           post_val[p + val_off[j]]; UNIT_COL: every
                           value is 1 and none is stored (one-hot
                           columns: most of them, and most postings)     */
    /* dense */
    const float *tx, *vx; /* (n, d), (nv, d) */
    uint32_t d;
    int euclid;
    float *tinv, *vinv; /* (n,), (nv,) 1/||row||, 0 for a zero row (cosine) */
    knn_work *w;
    int nt;
};

heft__knn_opts heft__knn_opts_default(void)
{
    heft__knn_opts o = {5, 0, HEFT__KNN_COSINE};
    return o;
}

heft_status heft__knn_opts_check(const heft__knn_opts *o, heft_error *err)
{
    if (o->k < 1)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "KNN-Shapley: k must be at least 1, got %d", o->k);
    if (o->top_m > 0 && o->top_m < (uint64_t)o->k)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "KNN-Shapley: top_m (%llu) must be 0 (exact) or at "
                         "least k (%d)",
                         (unsigned long long)o->top_m, o->k);
    if (o->metric != HEFT__KNN_COSINE && o->metric != HEFT__KNN_EUCLIDEAN)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "KNN-Shapley: unknown metric %d", (int)o->metric);
    return HEFT_OK;
}

static inline int64_t fix(double x, double scale)
{
    return (int64_t)llrint(x * scale);
}

/* ---- ranking ------------------------------------------------------------ */

/* Keeps, in their order, the entries of a (n,) whose 16-bit key prefix is
 * at most the prefix of the lim-th smallest key, and returns how many: at
 * least lim, and they include the lim smallest. hist (65536,) is scratch.
 * This turns a sort of n into a sort of about lim entries. */
static uint64_t keep_smallest(uint64_t *a, uint64_t n, uint64_t lim,
                              uint32_t *hist)
{
    if (n <= lim)
        return n;
    memset(hist, 0, 65536 * sizeof *hist);
    for (uint64_t i = 0; i < n; i++)
        hist[a[i] >> 48]++;
    uint64_t cum = 0, cut = 0;
    for (; cut < 65536; cut++)
        if ((cum += hist[cut]) >= lim)
            break;
    uint64_t m = 0;
    for (uint64_t i = 0; i < n; i++)
        if (a[i] >> 48 <= cut)
            a[m++] = a[i];
    return m;
}

/* Fills w->order[0..lim) with the lim nearest training rows, nearest first
 * (ties by row index). Rows with similarity exactly 0, often most of them
 * for sparse rows, already are in index order and are never sorted. */
static void rank_rows(const knn_ctx *c, knn_work *w)
{
    const uint64_t n = c->n, lim = c->lim;
    const float *sim = w->sim;
    uint64_t np = 0, nn = 0;
    for (uint64_t i = 0; i < n; i++) {
        np += sim[i] > 0;
        nn += sim[i] < 0;
    }
    uint64_t *pos = w->pair, *neg = w->pair + np, a = 0, b = 0;
    for (uint64_t i = 0; i < n; i++) {
        /* Descending similarity = ascending complemented key. */
        const uint64_t p = (uint64_t)~heft__score_fkey(sim[i]) << 32 | i;
        if (sim[i] > 0)
            pos[a++] = p;
        else if (sim[i] < 0)
            neg[b++] = p;
    }
    uint64_t r = 0;
    if (lim < n)
        np = keep_smallest(pos, np, lim, w->hist);
    heft__score_sort(pos, w->tmp, np);
    for (uint64_t j = 0; j < np && r < lim; j++)
        w->order[r++] = (uint32_t)pos[j];
    for (uint64_t i = 0; i < n && r < lim; i++)
        if (!(sim[i] > 0) && !(sim[i] < 0)) /* 0 (or NaN: treated as 0) */
            w->order[r++] = (uint32_t)i;
    if (r < lim) {
        if (lim < n)
            nn = keep_smallest(neg, nn, lim - r, w->hist);
        heft__score_sort(neg, w->tmp, nn);
        for (uint64_t j = 0; j < nn && r < lim; j++)
            w->order[r++] = (uint32_t)neg[j];
    }
}

/* ---- the recursion ------------------------------------------------------ */

/* Step factor min(K, i) / (K i) of the recursion at 1-based rank i. */
static inline double step(double k, uint64_t i)
{
    return (double)i <= k ? 1.0 / k : 1.0 / (double)i;
}

/* Runs the recursion from rank `from` (value s there) up to rank 1 and adds
 * value - base[m] of every ranked row to acc. */
static void recurse_up(const knn_ctx *c, knn_work *w, int32_t y, uint64_t from,
                       double s, const double base[2])
{
    const uint32_t *ord = w->order;
    int m1 = c->tclass[ord[from - 1]] == y;
    w->acc[ord[from - 1]] += fix(s - base[m1], c->scale);
    for (uint64_t i = from - 1; i >= 1; i--) {
        const int m = c->tclass[ord[i - 1]] == y;
        s += (double)(m - m1) * step(c->k, i);
        w->acc[ord[i - 1]] += fix(s - base[m], c->scale);
        m1 = m;
    }
}

/* Adds the values of one validation row (class y) given the ranking. */
static void value_ranked(const knn_ctx *c, knn_work *w, int32_t y)
{
    const uint64_t n = c->n, M = c->lim;
    if (M == n) {
        const double zero[2] = {0, 0};
        const int mN = c->tclass[w->order[n - 1]] == y;
        recurse_up(c, w, y, n, (double)mN / (double)n, zero);
        return;
    }
    uint64_t top = 0;
    for (uint64_t r = 0; r < M; r++)
        top += c->tclass[w->order[r]] == y;
    const double L = (double)(n - M);
    const double cnt = (double)((y >= 0 ? c->class_n[y] : 0) - top);
    const double mean = c->h / L, rest = mean - 1.0 / (double)n;
    double a[2];
    a[0] = L > 1 ? -cnt / (L - 1) * rest : 0;
    a[1] = cnt > 0 ? mean - (L > 1 ? (cnt - 1) / (L - 1) * rest : 0) : 0;
    const int mM = c->tclass[w->order[M - 1]] == y;
    const double sM = (double)mM / (double)M -
                      cnt / L * (1.0 / (double)M - 1.0 / (double)n);
    recurse_up(c, w, y, M, sM, a);
    /* Tail rows get a[m]: a[0] for all, a[1] - a[0] more for class y. */
    w->cls[c->n_class] += fix(a[0], c->scale);
    if (y >= 0)
        w->cls[y] += fix(a[1] - a[0], c->scale);
}

static void knn_task(void *ctx, int t, int nt)
{
    const knn_ctx *c = ctx;
    knn_work *w = &c->w[t];
    for (uint64_t v = (uint64_t)t; v < c->nv; v += (uint64_t)nt) {
        c->sims(c, v, w->sim);
        rank_rows(c, w);
        value_ranked(c, w, c->vclass[v]);
    }
}

/* ---- similarities ------------------------------------------------------- */

/* Column of feature f in the inverted index, or UINT64_MAX if no training
 * row has it. */
static uint64_t column_of(const knn_ctx *c, uint32_t f)
{
    if (!c->dict)
        return f < c->n_col ? f : UINT64_MAX;
    uint64_t lo = 0, hi = c->n_col;
    while (lo < hi) {
        const uint64_t mid = lo + (hi - lo) / 2;
        if (c->dict[mid] < f)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->n_col && c->dict[lo] == f ? lo : UINT64_MAX;
}

static void sparse_sims(const knn_ctx *c, uint64_t v, float *sim)
{
    memset(sim, 0, c->n * sizeof *sim);
    const float vi = c->vinv[v];
    if (vi == 0)
        return;
    const heft__rows *R = c->vrows;
    for (uint64_t k = R->row_ptr[v]; k < R->row_ptr[v + 1]; k++) {
        const uint64_t col = column_of(c, R->feat[k]);
        if (col == UINT64_MAX)
            continue;
        const float x = R->val[k];
        const uint64_t p0 = c->col_ptr[col], p1 = c->col_ptr[col + 1];
        if (c->val_off[col] == UNIT_COL) {
            for (uint64_t p = p0; p < p1; p++)
                sim[c->post_row[p]] += x;
        } else {
            const float *pv = c->post_val + c->val_off[col];
            for (uint64_t p = p0; p < p1; p++)
                sim[c->post_row[p]] += x * pv[p];
        }
    }
    for (uint64_t r = 0; r < c->n; r++)
        if (sim[r] != 0)
            sim[r] *= vi * c->tinv[r];
}

static void dense_sims(const knn_ctx *c, uint64_t v, float *sim)
{
    const uint32_t d = c->d;
    const float *x = c->vx + v * d;
    for (uint64_t r = 0; r < c->n; r++) {
        const float *t = c->tx + r * d;
        double s = 0;
        if (c->euclid) {
            for (uint32_t j = 0; j < d; j++) {
                const double e = (double)x[j] - (double)t[j];
                s += e * e;
            }
            sim[r] = (float)-s;
        } else {
            for (uint32_t j = 0; j < d; j++)
                s += (double)x[j] * (double)t[j];
            sim[r] = (float)(s * c->vinv[v] * c->tinv[r]);
        }
    }
}

/* ---- setup -------------------------------------------------------------- */

/* Checks that labels are finite and maps them to classes: equal floats
 * (-0 = +0) share a class; validation labels absent from training get -1. */
static heft_status make_classes(knn_ctx *c, const float *tl, const float *vl,
                                heft_error *err)
{
    for (uint64_t i = 0; i < c->n; i++)
        if (!isfinite(tl[i]))
            return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                             "KNN-Shapley: training row %llu: label is not "
                             "finite", (unsigned long long)i + 1);
    for (uint64_t i = 0; i < c->nv; i++)
        if (!isfinite(vl[i]))
            return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                             "KNN-Shapley: validation row %llu: label is not "
                             "finite", (unsigned long long)i + 1);
    uint64_t *p = heft__malloc(c->n, sizeof *p);
    uint64_t *tmp = heft__malloc(c->n, sizeof *tmp);
    uint32_t *keys = heft__malloc(c->n, sizeof *keys);
    c->tclass = heft__malloc(c->n, sizeof *c->tclass);
    c->vclass = heft__malloc(c->nv, sizeof *c->vclass);
    c->class_n = heft__calloc(c->n, sizeof *c->class_n);
    heft_status st = HEFT_OK;
    if (!p || !tmp || !keys || !c->tclass || !c->vclass || !c->class_n) {
        st = heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "out of memory");
        goto cleanup;
    }
    for (uint64_t i = 0; i < c->n; i++)
        p[i] = (uint64_t)heft__score_fkey(tl[i]) << 32 | i;
    heft__score_sort(p, tmp, c->n);
    uint32_t nc = 0;
    for (uint64_t i = 0; i < c->n; i++) {
        const uint32_t key = (uint32_t)(p[i] >> 32);
        if (nc == 0 || keys[nc - 1] != key)
            keys[nc++] = key;
        c->tclass[(uint32_t)p[i]] = (int32_t)(nc - 1);
        c->class_n[nc - 1]++;
    }
    c->n_class = nc;
    for (uint64_t v = 0; v < c->nv; v++) {
        const uint32_t key = heft__score_fkey(vl[v]);
        uint32_t lo = 0, hi = nc;
        while (lo < hi) {
            const uint32_t mid = lo + (hi - lo) / 2;
            if (keys[mid] < key)
                lo = mid + 1;
            else
                hi = mid;
        }
        c->vclass[v] = lo < nc && keys[lo] == key ? (int32_t)lo : -1;
    }
cleanup:
    free(p);
    free(tmp);
    free(keys);
    return st;
}

/* Checks a row view: non-decreasing row_ptr and finite values. */
static heft_status check_rows(const heft__rows *r, const char *what,
                              heft_error *err)
{
    if (!r->row_ptr || (r->n_rows && r->row_ptr[r->n_rows] > r->row_ptr[0] &&
                        (!r->feat || !r->val)))
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "KNN-Shapley: %s rows: missing arrays", what);
    for (uint64_t i = 0; i < r->n_rows; i++) {
        if (r->row_ptr[i + 1] < r->row_ptr[i])
            return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                             "KNN-Shapley: %s row %llu: row_ptr decreases "
                             "(%llu after %llu)", what,
                             (unsigned long long)i + 1,
                             (unsigned long long)r->row_ptr[i + 1],
                             (unsigned long long)r->row_ptr[i]);
        for (uint64_t k = r->row_ptr[i]; k < r->row_ptr[i + 1]; k++)
            if (!isfinite(r->val[k]))
                return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                                 "KNN-Shapley: %s row %llu, nonzero %llu: "
                                 "value is not finite", what,
                                 (unsigned long long)i + 1,
                                 (unsigned long long)(k - r->row_ptr[i] + 1));
    }
    return HEFT_OK;
}

/* Euclidean norm of a sparse row, repeated feature ids added first.
 * scratch holds 2 * (row length) entries. */
static double sparse_norm(const heft__rows *r, uint64_t i, uint64_t *scratch)
{
    const uint64_t b = r->row_ptr[i], len = r->row_ptr[i + 1] - b;
    int sorted = 1;
    double s = 0;
    for (uint64_t k = 0; k < len; k++) {
        sorted &= k == 0 || r->feat[b + k] > r->feat[b + k - 1];
        s += (double)r->val[b + k] * r->val[b + k];
    }
    if (sorted)
        return sqrt(s);
    for (uint64_t k = 0; k < len; k++)
        scratch[k] = (uint64_t)r->feat[b + k] << 32 | k;
    heft__score_sort(scratch, scratch + len, len);
    s = 0;
    for (uint64_t k = 0; k < len;) {
        double x = 0;
        const uint32_t f = (uint32_t)(scratch[k] >> 32);
        for (; k < len && (uint32_t)(scratch[k] >> 32) == f; k++)
            x += r->val[b + (uint32_t)scratch[k]];
        s += x * x;
    }
    return sqrt(s);
}

typedef struct norm_job {
    const heft__rows *r;
    float *inv;
    uint64_t **scratch; /* per thread */
} norm_job;

static void norm_task(void *ctx, int t, int nt)
{
    const norm_job *j = ctx;
    for (uint64_t i = (uint64_t)t; i < j->r->n_rows; i += (uint64_t)nt) {
        const double s = sparse_norm(j->r, i, j->scratch[t]);
        j->inv[i] = s > 0 ? (float)(1.0 / s) : 0.0f;
    }
}

/* inv (n_rows,) = 1 / ||row|| (0 for an all-zero row). */
static heft_status sparse_inv_norms(const heft__rows *r, int nt, float *inv)
{
    uint64_t maxlen = 1;
    for (uint64_t i = 0; i < r->n_rows; i++)
        if (r->row_ptr[i + 1] - r->row_ptr[i] > maxlen)
            maxlen = r->row_ptr[i + 1] - r->row_ptr[i];
    uint64_t **scratch = heft__calloc((size_t)nt, sizeof *scratch);
    heft_status st = scratch ? HEFT_OK : HEFT_ENOMEM;
    for (int t = 0; t < nt && st == HEFT_OK; t++)
        if (!(scratch[t] = heft__malloc(2 * maxlen, sizeof **scratch)))
            st = HEFT_ENOMEM;
    if (st == HEFT_OK) {
        norm_job j = {r, inv, scratch};
        (void)heft__parallel(nt, norm_task, &j);
    }
    for (int t = 0; scratch && t < nt; t++)
        free(scratch[t]);
    free(scratch);
    return st;
}

typedef struct index_job {
    knn_ctx *c;
    const heft__rows *tr;
    uint64_t col_lo[65]; /* thread t fills columns [col_lo[t], col_lo[t+1]) */
} index_job;

static void index_task(void *ctx, int t, int nt)
{
    const index_job *j = ctx;
    knn_ctx *c = j->c;
    const heft__rows *tr = j->tr;
    const uint64_t lo = j->col_lo[t], hi = j->col_lo[t + 1];
    for (uint64_t i = 0; i < tr->n_rows; i++)
        for (uint64_t k = tr->row_ptr[i]; k < tr->row_ptr[i + 1]; k++) {
            const uint64_t col = column_of(c, tr->feat[k]);
            if (col < lo || col >= hi)
                continue;
            const uint64_t p = c->col_ptr[col]++;
            c->post_row[p] = (uint32_t)i;
            if (c->val_off[col] != UNIT_COL)
                c->post_val[(int64_t)p + c->val_off[col]] = tr->val[k];
        }
}

/* Builds the inverted index (postings in row order) of the training rows
 * with c->nt threads. */
static heft_status build_index(knn_ctx *c, const heft__rows *tr)
{
    const uint64_t b = tr->row_ptr[0], nnz = tr->row_ptr[tr->n_rows] - b;
    uint64_t maxf = 0;
    for (uint64_t k = 0; k < nnz; k++)
        if (tr->feat[b + k] > maxf)
            maxf = tr->feat[b + k];
    c->n_col = nnz ? maxf + 1 : 0;
    if (c->n_col > ((uint64_t)1 << 22) && c->n_col > 2 * nnz) {
        /* Spread-out ids: index the distinct ids instead. */
        uint64_t *p = heft__malloc(nnz, sizeof *p);
        uint64_t *tmp = heft__malloc(nnz, sizeof *tmp);
        c->dict = heft__malloc(nnz, sizeof *c->dict);
        if (!p || !tmp || !c->dict) {
            free(p);
            free(tmp);
            return HEFT_ENOMEM;
        }
        for (uint64_t k = 0; k < nnz; k++)
            p[k] = (uint64_t)tr->feat[b + k] << 32;
        heft__score_sort(p, tmp, nnz);
        c->n_col = 0;
        for (uint64_t k = 0; k < nnz; k++)
            if (c->n_col == 0 || c->dict[c->n_col - 1] != (uint32_t)(p[k] >> 32))
                c->dict[c->n_col++] = (uint32_t)(p[k] >> 32);
        free(p);
        free(tmp);
    }
    c->col_ptr = heft__calloc(c->n_col + 1, sizeof *c->col_ptr);
    c->post_row = heft__malloc(nnz ? nnz : 1, sizeof *c->post_row);
    c->val_off = heft__calloc(c->n_col ? c->n_col : 1, sizeof *c->val_off);
    if (!c->col_ptr || !c->post_row || !c->val_off)
        return HEFT_ENOMEM;
    /* val_off[j] is 1 while counting if column j has a value other than
     * 1; then it becomes the offset of the column's values. */
    for (uint64_t k = 0; k < nnz; k++) {
        const uint64_t col = column_of(c, tr->feat[b + k]);
        c->col_ptr[col + 1]++;
        if (tr->val[b + k] != 1.0f)
            c->val_off[col] = 1;
    }
    uint64_t nval = 0;
    for (uint64_t j = 0; j < c->n_col; j++) {
        const uint64_t len = c->col_ptr[j + 1];
        c->col_ptr[j + 1] += c->col_ptr[j];
        if (c->val_off[j]) {
            c->val_off[j] = (int64_t)nval - (int64_t)c->col_ptr[j];
            nval += len;
        } else {
            c->val_off[j] = UNIT_COL;
        }
    }
    c->post_val = heft__malloc(nval ? nval : 1, sizeof *c->post_val);
    if (!c->post_val)
        return HEFT_ENOMEM;
    /* col_ptr[j] is the fill cursor of column j, then shifted back. The
     * writes scatter over the whole index, so threads split the columns
     * (each reads every nonzero and writes its own share). */
    index_job job = {c, tr, {0}};
    for (int t = 1; t < c->nt; t++) {
        const uint64_t want = nnz / (uint64_t)c->nt * (uint64_t)t;
        uint64_t j = job.col_lo[t - 1];
        while (j < c->n_col && c->col_ptr[j] < want)
            j++;
        job.col_lo[t] = j;
    }
    job.col_lo[c->nt] = c->n_col;
    (void)heft__parallel(c->nt, index_task, &job);
    for (uint64_t j = c->n_col; j > 0; j--)
        c->col_ptr[j] = c->col_ptr[j - 1];
    c->col_ptr[0] = 0;
    return HEFT_OK;
}

static void free_ctx(knn_ctx *c)
{
    for (int t = 0; c->w && t < c->nt; t++) {
        free(c->w[t].sim);
        free(c->w[t].pair);
        free(c->w[t].tmp);
        free(c->w[t].order);
        free(c->w[t].acc);
        free(c->w[t].cls);
        free(c->w[t].hist);
    }
    free(c->w);
    free(c->tclass);
    free(c->vclass);
    free(c->class_n);
    free(c->dict);
    free(c->col_ptr);
    free(c->post_row);
    free(c->post_val);
    free(c->val_off);
    free(c->tinv);
    free(c->vinv);
}

/* Checks the common arguments and fills the parts of c that do not depend
 * on the similarity. */
static heft_status init_ctx(knn_ctx *c, uint64_t n, uint64_t nv,
                            const float *tl, const float *vl,
                            const heft__knn_opts *o, int threads, double *out,
                            heft_error *err)
{
    memset(c, 0, sizeof *c);
    heft_status st = o ? heft__knn_opts_check(o, err)
                       : heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                                   "KNN-Shapley: no options given");
    if (st != HEFT_OK)
        return st;
    if (!tl || !vl || !out)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "KNN-Shapley: missing labels or output array");
    if (n == 0 || nv == 0)
        return heft__err(err, HEFT_EEMPTY, NULL, 0, 0,
                         "KNN-Shapley: no %s rows",
                         n == 0 ? "training" : "validation");
    if (n > UINT32_MAX)
        return heft__err(err, HEFT_ERANGE, NULL, 0, 0,
                         "KNN-Shapley: %llu training rows, at most %u "
                         "supported", (unsigned long long)n, UINT32_MAX);
    c->n = n;
    c->nv = nv;
    c->k = o->k;
    c->lim = o->top_m && o->top_m < n ? o->top_m : n;
    for (uint64_t i = n; i > c->lim; i--)
        c->h += 1.0 / (double)i;
    int bits = 0;
    while (bits < 64 && (nv >> bits))
        bits++;
    c->scale = ldexp(1.0, 59 - bits);
    c->nt = heft__threads(threads);
    if ((uint64_t)c->nt > nv)
        c->nt = (int)nv;
    return make_classes(c, tl, vl, err);
}

/* Allocates the per-thread scratch, runs, and reduces into out. */
static heft_status run_ctx(knn_ctx *c, double *out, heft_error *err)
{
    c->w = heft__calloc((size_t)c->nt, sizeof *c->w);
    if (!c->w)
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "out of memory");
    for (int t = 0; t < c->nt; t++) {
        knn_work *w = &c->w[t];
        w->sim = heft__malloc(c->n, sizeof *w->sim);
        w->pair = heft__malloc(c->n, sizeof *w->pair);
        w->tmp = heft__malloc(c->n, sizeof *w->tmp);
        w->order = heft__malloc(c->lim, sizeof *w->order);
        w->acc = heft__calloc(c->n, sizeof *w->acc);
        w->cls = heft__calloc((size_t)c->n_class + 1, sizeof *w->cls);
        w->hist = heft__malloc(65536, sizeof *w->hist);
        if (!w->sim || !w->pair || !w->tmp || !w->order || !w->acc ||
            !w->cls || !w->hist)
            return heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                             "KNN-Shapley: out of memory for %d threads x "
                             "%llu training rows", c->nt,
                             (unsigned long long)c->n);
    }
    /* HEFT_ENOMEM here means threads did not start and all ran inline. */
    (void)heft__parallel(c->nt, knn_task, c);
    int64_t *cls = c->w[0].cls;
    for (int t = 1; t < c->nt; t++)
        for (uint32_t j = 0; j <= c->n_class; j++)
            cls[j] += c->w[t].cls[j];
    const double unit = 1.0 / (c->scale * (double)c->nv);
    for (uint64_t i = 0; i < c->n; i++) {
        int64_t s = cls[c->n_class] + cls[c->tclass[i]];
        for (int t = 0; t < c->nt; t++)
            s += c->w[t].acc[i];
        out[i] = (double)s * unit;
    }
    return HEFT_OK;
}

heft_status heft__knn_shapley_sparse(const heft__rows *train,
                                     const float *train_label,
                                     const heft__rows *valid,
                                     const float *valid_label,
                                     const heft__knn_opts *o, int threads,
                                     double *out, heft_error *err)
{
    if (!train || !valid)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "KNN-Shapley: missing training or validation rows");
    knn_ctx c;
    heft_status st = init_ctx(&c, train->n_rows, valid->n_rows, train_label,
                              valid_label, o, threads, out, err);
    if (st == HEFT_OK)
        st = check_rows(train, "training", err);
    if (st == HEFT_OK)
        st = check_rows(valid, "validation", err);
    if (st != HEFT_OK)
        goto cleanup;
    c.sims = sparse_sims;
    c.vrows = valid;
    c.tinv = heft__malloc(c.n, sizeof *c.tinv);
    c.vinv = heft__malloc(c.nv, sizeof *c.vinv);
    if (!c.tinv || !c.vinv || build_index(&c, train) != HEFT_OK ||
        sparse_inv_norms(train, c.nt, c.tinv) != HEFT_OK ||
        sparse_inv_norms(valid, c.nt, c.vinv) != HEFT_OK) {
        st = heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                       "KNN-Shapley: out of memory for the index of %llu "
                       "training rows", (unsigned long long)c.n);
        goto cleanup;
    }
    st = run_ctx(&c, out, err);
cleanup:
    free_ctx(&c);
    return st;
}

/* Checks that a dense (n, d) array is finite; for cosine fills inv. */
static heft_status dense_prep(const float *x, uint64_t n, uint32_t d,
                              const char *what, float *inv, heft_error *err)
{
    for (uint64_t i = 0; i < n; i++) {
        double s = 0;
        for (uint32_t j = 0; j < d; j++) {
            const float v = x[i * d + j];
            if (!isfinite(v))
                return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                                 "KNN-Shapley: %s row %llu, column %u: value "
                                 "is not finite", what,
                                 (unsigned long long)i + 1, j + 1);
            s += (double)v * v;
        }
        if (inv)
            inv[i] = s > 0 ? (float)(1.0 / sqrt(s)) : 0.0f;
    }
    return HEFT_OK;
}

heft_status heft__knn_shapley_dense(const float *train, uint64_t n_train,
                                    const float *train_label,
                                    const float *valid, uint64_t n_valid,
                                    const float *valid_label, uint32_t d,
                                    const heft__knn_opts *o, int threads,
                                    double *out, heft_error *err)
{
    if (d == 0 || !train || !valid)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         d == 0 ? "KNN-Shapley: embedding dimension is 0"
                                : "KNN-Shapley: missing embeddings");
    knn_ctx c;
    heft_status st = init_ctx(&c, n_train, n_valid, train_label, valid_label,
                              o, threads, out, err);
    if (st != HEFT_OK)
        goto cleanup;
    c.sims = dense_sims;
    c.tx = train;
    c.vx = valid;
    c.d = d;
    c.euclid = o->metric == HEFT__KNN_EUCLIDEAN;
    if (!c.euclid) {
        c.tinv = heft__malloc(c.n, sizeof *c.tinv);
        c.vinv = heft__malloc(c.nv, sizeof *c.vinv);
        if (!c.tinv || !c.vinv) {
            st = heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "out of memory");
            goto cleanup;
        }
    }
    st = dense_prep(train, c.n, d, "training", c.tinv, err);
    if (st == HEFT_OK)
        st = dense_prep(valid, c.nv, d, "validation", c.vinv, err);
    if (st == HEFT_OK)
        st = run_ctx(&c, out, err);
cleanup:
    free_ctx(&c);
    return st;
}
