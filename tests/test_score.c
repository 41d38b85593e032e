/* test_score.c: tests of src/score (KNN-Shapley, confident learning, exact
 * duplicates), each against a brute-force oracle on small data. */
#include "test.h"

#include "core.h"
#include "score.h"

/* ---- helpers ------------------------------------------------------------ */

/* A small sparse matrix built row by row. */
typedef struct srows {
    uint64_t n;
    uint64_t ptr[64];
    uint32_t feat[512];
    float val[512];
} srows;

static void srows_push(srows *s, const uint32_t *f, const float *v, int len)
{
    if (s->n == 0)
        s->ptr[0] = 0;
    uint64_t p = s->ptr[s->n];
    for (int k = 0; k < len; k++, p++) {
        s->feat[p] = f[k];
        s->val[p] = v[k];
    }
    s->ptr[++s->n] = p;
}

static heft__rows srows_view(const srows *s)
{
    heft__rows r = {s->n, s->ptr, s->feat, s->val};
    return r;
}

/* Dense copy (duplicates added) of row i, d columns. */
static void srows_dense(const srows *s, uint64_t i, double *x, int d)
{
    memset(x, 0, (size_t)d * sizeof *x);
    for (uint64_t k = s->ptr[i]; k < s->ptr[i + 1]; k++)
        x[s->feat[k]] += s->val[k];
}

static double cosine(const double *a, const double *b, int d)
{
    double ab = 0, aa = 0, bb = 0;
    for (int j = 0; j < d; j++) {
        ab += a[j] * b[j];
        aa += a[j] * a[j];
        bb += b[j] * b[j];
    }
    return aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : 0;
}

/* order[0..n) = rows by similarity descending, ties by index. */
static void rank_by_sim(const double *sim, int n, int *order)
{
    for (int i = 0; i < n; i++)
        order[i] = i;
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0; j--) {
            const int a = order[j - 1], b = order[j];
            if (sim[b] > sim[a] || (sim[b] == sim[a] && b < a)) {
                order[j - 1] = b;
                order[j] = a;
            }
        }
}

/* The KNN utility of subset S (bit mask) for one validation row. */
static double knn_utility(unsigned S, const int *order, const int *m, int n,
                          int k)
{
    double u = 0;
    int taken = 0;
    for (int r = 0; r < n && taken < k; r++)
        if (S >> order[r] & 1) {
            u += m[order[r]];
            taken++;
        }
    return u / k;
}

/* Adds to phi (n,) w times the Shapley values of the utility above, by
 * enumeration of all subsets. */
static void shapley_enum(const int *order, const int *m, int n, int k,
                         double w, double *phi)
{
    double fact[16] = {1};
    for (int i = 1; i < 16; i++)
        fact[i] = fact[i - 1] * i;
    for (int i = 0; i < n; i++)
        for (unsigned S = 0; S < 1u << n; S++) {
            if (S >> i & 1)
                continue;
            const int s = __builtin_popcount(S);
            const double c = fact[s] * fact[n - s - 1] / fact[n];
            phi[i] += w * c *
                      (knn_utility(S | 1u << i, order, m, n, k) -
                       knn_utility(S, order, m, n, k));
        }
}

/* Requires distinct double similarities to be far apart, so that rounding
 * to float cannot reorder them. */
static int well_separated(const double *sim, int n)
{
    for (int a = 0; a < n; a++)
        for (int b = 0; b < n; b++)
            if (sim[a] != sim[b] && fabs(sim[a] - sim[b]) < 1e-5)
                return 0;
    return 1;
}

/* Random sparse rows over features [0, nf) with small integer values,
 * some repeated ids and some empty rows. */
static void random_srows(srows *s, heft__rng *r, int n, int nf)
{
    static const float vals[] = {-2, -1, 1, 2, 3};
    for (int i = 0; i < n; i++) {
        uint32_t f[6];
        float v[6];
        const int len = (int)heft__rng_below(r, 5);
        for (int k = 0; k < len; k++) {
            f[k] = (uint32_t)heft__rng_below(r, (uint64_t)nf);
            v[k] = vals[heft__rng_below(r, 5)];
        }
        srows_push(s, f, v, len);
    }
}

/* ---- KNN-Shapley --------------------------------------------------------- */

/* Sparse cosine against full enumeration, several K and validation rows,
 * with duplicate rows, empty rows, negative similarities and a validation
 * label that no training row has. */
void test_knn_shapley_enum_sparse(void)
{
    const int d = 6;
    for (int trial = 0; trial < 12; trial++) {
        heft__rng r;
        heft__rng_seed(&r, 100 + (uint64_t)trial);
        srows tr = {0}, va = {0};
        const int n = 6 + trial % 5, nv = 1 + trial % 4;
        random_srows(&tr, &r, n - 1, d);
        /* A copy of training row 0: an exact tie broken by index. */
        srows_push(&tr, tr.feat + tr.ptr[0], tr.val + tr.ptr[0],
                   (int)(tr.ptr[1] - tr.ptr[0]));
        random_srows(&va, &r, nv, d);
        float tl[16], vl[8];
        for (int i = 0; i < n; i++)
            tl[i] = (float)heft__rng_below(&r, 3);
        for (int v = 0; v < nv; v++)
            vl[v] = v == 3 ? 7.0f : (float)heft__rng_below(&r, 3);
        const int k = 1 + trial % 3;
        double phi[16] = {0};
        for (int v = 0; v < nv; v++) {
            double x[8], t[8], sim[16];
            int order[16], m[16];
            srows_dense(&va, (uint64_t)v, x, d);
            for (int i = 0; i < n; i++) {
                srows_dense(&tr, (uint64_t)i, t, d);
                sim[i] = cosine(x, t, d);
                m[i] = tl[i] == vl[v];
            }
            REQUIRE(well_separated(sim, n));
            rank_by_sim(sim, n, order);
            shapley_enum(order, m, n, k, 1.0 / nv, phi);
        }
        heft__rows trv = srows_view(&tr), vav = srows_view(&va);
        heft__knn_opts o = heft__knn_opts_default();
        o.k = k;
        double out[16];
        heft_error e;
        CHECK_OK(heft__knn_shapley_sparse(&trv, tl, &vav, vl, &o, 2, out, &e));
        for (int i = 0; i < n; i++)
            CHECK_NEAR(out[i], phi[i], 1e-9);
        /* A view whose row_ptr does not start at 0 (rows 1.. of a bigger
         * matrix) gives the same bits. */
        srows tr2 = {0};
        const uint32_t jf[3] = {0, 1, 2};
        const float jv[3] = {5, 5, 5};
        srows_push(&tr2, jf, jv, 3);
        for (int i = 0; i < n; i++)
            srows_push(&tr2, tr.feat + tr.ptr[i], tr.val + tr.ptr[i],
                       (int)(tr.ptr[i + 1] - tr.ptr[i]));
        heft__rows off = {(uint64_t)n, tr2.ptr + 1, tr2.feat, tr2.val};
        double out2[16];
        CHECK_OK(heft__knn_shapley_sparse(&off, tl, &vav, vl, &o, 1, out2,
                                          &e));
        CHECK(!memcmp(out, out2, (size_t)n * sizeof *out));
        /* Spread-out feature ids (the index then maps ids through a sorted
         * dictionary) give the same bits too. */
        for (uint64_t k = 0; k < tr.ptr[tr.n]; k++)
            tr.feat[k] = tr.feat[k] * 100000007u + 3;
        for (uint64_t k = 0; k < va.ptr[va.n]; k++)
            va.feat[k] = va.feat[k] * 100000007u + 3;
        CHECK_OK(heft__knn_shapley_sparse(&trv, tl, &vav, vl, &o, 3, out2,
                                          &e));
        CHECK(!memcmp(out, out2, (size_t)n * sizeof *out));
    }
}

/* Dense Euclidean (integer points: many exact ties) and dense cosine
 * against full enumeration. */
void test_knn_shapley_enum_dense(void)
{
    for (int trial = 0; trial < 10; trial++) {
        heft__rng r;
        heft__rng_seed(&r, 200 + (uint64_t)trial);
        const int n = 10, nv = 3, d = 3, k = 1 + trial % 4;
        const int euclid = trial % 2 == 0;
        float tx[30], vx[9], tl[10], vl[3];
        double phi[10];
        /* Cosines of small integer points can tie in exact arithmetic yet
         * differ in the last bit: draw again until the data is clear of
         * such near-ties (a deterministic loop: same seed, same data). */
        int separated = 0;
        for (int attempt = 0; attempt < 100 && !separated; attempt++) {
            for (int i = 0; i < n * d; i++)
                tx[i] = (float)heft__rng_below(&r, 4) - 1.0f;
            for (int i = 0; i < nv * d; i++)
                vx[i] = (float)heft__rng_below(&r, 4) - 1.0f;
            for (int i = 0; i < n; i++)
                tl[i] = (float)heft__rng_below(&r, 2);
            for (int v = 0; v < nv; v++)
                vl[v] = (float)heft__rng_below(&r, 2);
            memset(phi, 0, sizeof phi);
            separated = 1;
            for (int v = 0; v < nv; v++) {
                double sim[10], a[3], b[3];
                int order[10], m[10];
                for (int i = 0; i < n; i++) {
                    double s = 0;
                    for (int j = 0; j < d; j++) {
                        a[j] = vx[v * d + j];
                        b[j] = tx[i * d + j];
                        s -= (a[j] - b[j]) * (a[j] - b[j]);
                    }
                    sim[i] = euclid ? s : cosine(a, b, d);
                    m[i] = tl[i] == vl[v];
                }
                separated &= well_separated(sim, n);
                rank_by_sim(sim, n, order);
                shapley_enum(order, m, n, k, 1.0 / nv, phi);
            }
        }
        REQUIRE(separated);
        heft__knn_opts o = heft__knn_opts_default();
        o.k = k;
        o.metric = euclid ? HEFT__KNN_EUCLIDEAN : HEFT__KNN_COSINE;
        double out[10];
        CHECK_OK(heft__knn_shapley_dense(tx, n, tl, vx, nv, vl, (uint32_t)d,
                                         &o, 1 + trial % 3, out, NULL));
        for (int i = 0; i < n; i++)
            CHECK_NEAR(out[i], phi[i], 1e-9);
    }
}

/* Heap's algorithm step: next permutation of a[0..n) given counters c. */
static int next_perm(int *a, int *c, int n)
{
    for (int i = 1; i < n;) {
        if (c[i] < i) {
            const int j = i % 2 ? c[i] : 0, t = a[j];
            a[j] = a[i];
            a[i] = t;
            c[i]++;
            return 1;
        }
        c[i++] = 0;
    }
    return 0;
}

/* The approximate mode is, exactly, the mean of the exact values over all
 * orders of the rows beyond the top M. */
void test_knn_shapley_approx_is_tail_mean(void)
{
    for (int trial = 0; trial < 6; trial++) {
        heft__rng r;
        heft__rng_seed(&r, 300 + (uint64_t)trial);
        const int n = 8, nv = 2, d = 2, k = 1 + trial % 3, M = k + trial % 3;
        float tx[16], vx[4], tl[8], vl[2];
        for (int i = 0; i < n * d; i++)
            tx[i] = (float)heft__rng_below(&r, 5);
        for (int i = 0; i < nv * d; i++)
            vx[i] = (float)heft__rng_below(&r, 5);
        for (int i = 0; i < n; i++)
            tl[i] = (float)heft__rng_below(&r, 2);
        for (int v = 0; v < nv; v++)
            vl[v] = (float)heft__rng_below(&r, 2);
        double phi[8] = {0};
        for (int v = 0; v < nv; v++) {
            double sim[8];
            int order[8], m[8];
            for (int i = 0; i < n; i++) {
                sim[i] = 0;
                for (int j = 0; j < d; j++) {
                    const double e = vx[v * d + j] - tx[i * d + j];
                    sim[i] -= e * e;
                }
                m[i] = tl[i] == vl[v];
            }
            rank_by_sim(sim, n, order);
            int c[8] = {0}, perms = 1;
            for (int i = 2; i <= n - M; i++)
                perms *= i;
            do
                shapley_enum(order, m, n, k, 1.0 / nv / perms, phi);
            while (next_perm(order + M, c, n - M));
        }
        heft__knn_opts o = heft__knn_opts_default();
        o.k = k;
        o.top_m = (uint64_t)M;
        o.metric = HEFT__KNN_EUCLIDEAN;
        double out[8];
        CHECK_OK(heft__knn_shapley_dense(tx, n, tl, vx, nv, vl, (uint32_t)d,
                                         &o, 2, out, NULL));
        for (int i = 0; i < n; i++)
            CHECK_NEAR(out[i], phi[i], 1e-9);
        double out1[8];
        CHECK_OK(heft__knn_shapley_dense(tx, n, tl, vx, nv, vl, (uint32_t)d,
                                         &o, 1, out1, NULL));
        CHECK(!memcmp(out, out1, sizeof out));
    }
}

/* Random sparse rows, len nonzeros each over nf buckets, binary labels. */
static void big_rows(heft__rng *r, uint64_t n, int len, uint32_t nf,
                     uint64_t *ptr, uint32_t *feat, float *val, float *label)
{
    ptr[0] = 0;
    for (uint64_t i = 0; i < n; i++) {
        for (int k = 0; k < len; k++) {
            feat[i * (uint64_t)len + (uint64_t)k] =
                (uint32_t)heft__rng_below(r, nf);
            val[i * (uint64_t)len + (uint64_t)k] = 1.0f;
        }
        ptr[i + 1] = ptr[i] + (uint64_t)len;
        label[i] = (float)(heft__rng_uniform(r) < 0.3);
    }
}

/* Approximate against exact on 3,000 rows: within the bound 1/M - 1/N,
 * not identical, same sum (efficiency); top_m >= N is exact; any thread
 * count gives the same bits. */
void test_knn_shapley_approx_bound(void)
{
    const uint64_t n = 3000, nv = 40;
    const int len = 20;
    heft__rng r;
    heft__rng_seed(&r, 7);
    uint64_t *tp = malloc((n + 1) * sizeof *tp), vp[41];
    uint32_t *tf = malloc(n * len * sizeof *tf), *vf = malloc(nv * len * 4);
    float *tv = malloc(n * len * sizeof *tv), *vv = malloc(nv * len * 4);
    float *tl = malloc(n * sizeof *tl), vl[40];
    double *ex = malloc(n * sizeof *ex), *ap = malloc(n * sizeof *ap);
    double *ex3 = malloc(n * sizeof *ex3);
    REQUIRE(tp && tf && vf && tv && vv && tl && ex && ap && ex3);
    big_rows(&r, n, len, 512, tp, tf, tv, tl);
    big_rows(&r, nv, len, 512, vp, vf, vv, vl);
    heft__rows trv = {n, tp, tf, tv}, vav = {nv, vp, vf, vv};
    heft__knn_opts o = heft__knn_opts_default();
    o.k = 5;
    CHECK_OK(heft__knn_shapley_sparse(&trv, tl, &vav, vl, &o, 1, ex, NULL));
    CHECK_OK(heft__knn_shapley_sparse(&trv, tl, &vav, vl, &o, 3, ex3, NULL));
    CHECK(!memcmp(ex, ex3, n * sizeof *ex));
    o.top_m = n;
    CHECK_OK(heft__knn_shapley_sparse(&trv, tl, &vav, vl, &o, 2, ex3, NULL));
    CHECK(!memcmp(ex, ex3, n * sizeof *ex));
    const uint64_t Ms[] = {5, 50, 400};
    for (int t = 0; t < 3; t++) {
        o.top_m = Ms[t];
        CHECK_OK(heft__knn_shapley_sparse(&trv, tl, &vav, vl, &o, 2, ap, NULL));
        double maxerr = 0, se = 0, sa = 0;
        for (uint64_t i = 0; i < n; i++) {
            maxerr = fmax(maxerr, fabs(ap[i] - ex[i]));
            se += ex[i];
            sa += ap[i];
        }
        const double bound = 1.0 / (double)Ms[t] - 1.0 / (double)n;
        CHECK(maxerr <= bound + 1e-12);
        CHECK(maxerr > 0);
        CHECK_NEAR(se, sa, 1e-9);
        if (getenv("HEFT_TEST_VERBOSE"))
            fprintf(stderr, "  knn approx M=%llu: max error %.3g, bound %.3g\n",
                    (unsigned long long)Ms[t], maxerr, bound);
        CHECK_OK(heft__knn_shapley_sparse(&trv, tl, &vav, vl, &o, 4, ex3,
                                          NULL));
        CHECK(!memcmp(ap, ex3, n * sizeof *ap));
    }
    free(tp);
    free(tf);
    free(vf);
    free(tv);
    free(vv);
    free(tl);
    free(ex);
    free(ap);
    free(ex3);
}

void test_knn_shapley_bad_input(void)
{
    srows tr = {0};
    const uint32_t f[] = {1, 2};
    const float v[] = {1, 1};
    srows_push(&tr, f, v, 2);
    srows_push(&tr, f, v, 1);
    srows_push(&tr, f + 1, v, 1);
    heft__rows trv = srows_view(&tr);
    float tl[3] = {0, 1, NAN}, vl[1] = {1};
    double out[3];
    heft_error e;
    heft__knn_opts o = heft__knn_opts_default();
    CHECK(heft__knn_shapley_sparse(&trv, tl, &trv, vl, &o, 1, out, &e) ==
          HEFT_EINVAL);
    CHECK(strstr(e.msg, "training row 3") != NULL);
    tl[2] = 1;
    o.k = 0;
    CHECK(heft__knn_shapley_sparse(&trv, tl, &trv, vl, &o, 1, out, &e) ==
          HEFT_EINVAL);
    CHECK(strstr(e.msg, "k must be") != NULL);
    o.k = 3;
    o.top_m = 2;
    CHECK(heft__knn_shapley_sparse(&trv, tl, &trv, vl, &o, 1, out, &e) ==
          HEFT_EINVAL);
    CHECK(strstr(e.msg, "top_m") != NULL);
    o.top_m = 0;
    tr.val[1] = INFINITY;
    CHECK(heft__knn_shapley_sparse(&trv, tl, &trv, tl, &o, 1, out, &e) ==
          HEFT_EINVAL);
    CHECK(strstr(e.msg, "row 1, nonzero 2") != NULL);
    tr.val[1] = 1;
    tr.ptr[2] = 0; /* row 2 ends before it starts */
    CHECK(heft__knn_shapley_sparse(&trv, tl, &trv, tl, &o, 1, out, &e) ==
          HEFT_EINVAL);
    CHECK(strstr(e.msg, "row_ptr decreases") != NULL);
    tr.ptr[2] = 3;
    heft__rows empty = {0, tr.ptr, tr.feat, tr.val};
    CHECK(heft__knn_shapley_sparse(&empty, tl, &trv, tl, &o, 1, out, &e) ==
          HEFT_EEMPTY);
    CHECK_OK(heft__knn_shapley_sparse(&trv, tl, &trv, tl, &o, 1, out, &e));
    const float x[4] = {0, 1, NAN, 2};
    CHECK(heft__knn_shapley_dense(x, 2, tl, x, 1, vl, 2, &o, 1, out, &e) ==
          HEFT_EINVAL);
    CHECK(strstr(e.msg, "training row 2, column 1") != NULL);
    CHECK(heft__knn_shapley_dense(x, 2, tl, x, 1, vl, 0, &o, 1, out, &e) ==
          HEFT_EINVAL);
}

/* ---- confident learning -------------------------------------------------- */

/* Hand-computed: t1 = 0.65, t0 = 0.68, C = [[4,1],[1,3]], rows 2 and 6
 * flagged. */
void test_confident_hand(void)
{
    const float y[9] = {1, 1, 1, 1, 0, 0, 0, 0, 0};
    const float p[9] = {0.9f, 0.8f, 0.2f, 0.7f, 0.1f, 0.3f, 0.95f, 0.2f, 0.05f};
    uint8_t issue[9];
    double q[9];
    heft__cl_stats s;
    CHECK_OK(heft__confident_binary(y, p, 9, 1, issue, q, &s, NULL));
    CHECK_NEAR(s.threshold[1], 0.65, 1e-6);
    CHECK_NEAR(s.threshold[0], 0.68, 1e-6);
    CHECK(s.joint[0][0] == 4 && s.joint[0][1] == 1);
    CHECK(s.joint[1][0] == 1 && s.joint[1][1] == 3);
    CHECK_NEAR(s.calibrated[0][1], 1.0, 1e-12);
    CHECK_NEAR(s.calibrated[1][1], 3.0, 1e-12);
    CHECK(s.n_prune[0][1] == 1 && s.n_prune[1][0] == 1 && s.n_issues == 2);
    for (int i = 0; i < 9; i++) {
        CHECK(issue[i] == (i == 2 || i == 6));
        CHECK_NEAR(q[i], y[i] ? p[i] : 1 - p[i], 1e-7);
    }
    /* Rows above both thresholds (argmax, ties to class 0) and the cap
     * that keeps one row per class: t0 = t1 = 0.4, C = [[1,2],[3,0]]. */
    const float y2[6] = {1, 1, 1, 0, 0, 0};
    const float p2[6] = {0.5f, 0.4f, 0.3f, 0.5f, 0.6f, 0.7f};
    CHECK_OK(heft__confident_binary(y2, p2, 6, 2, issue, NULL, &s, NULL));
    CHECK(s.joint[0][0] == 1 && s.joint[0][1] == 2);
    CHECK(s.joint[1][0] == 3 && s.joint[1][1] == 0);
    CHECK(s.n_prune[0][1] == 2 && s.n_prune[1][0] == 2);
    const uint8_t want[6] = {0, 1, 1, 0, 1, 1};
    CHECK(!memcmp(issue, want, 6));
}

/* A plain re-implementation: row-order sums, selection by repeated max. */
static void confident_brute(const float *y, const float *p, int n,
                            uint8_t *issue, uint64_t C[2][2], double t[2])
{
    double sum[2] = {0, 0};
    uint64_t cnt[2] = {0, 0};
    for (int i = 0; i < n; i++) {
        const int c = y[i] == 1;
        sum[c] += c ? p[i] : 1.0 - p[i];
        cnt[c]++;
    }
    for (int j = 0; j < 2; j++)
        t[j] = cnt[j] ? sum[j] / cnt[j] : INFINITY;
    memset(C, 0, 4 * sizeof C[0][0]);
    for (int i = 0; i < n; i++) {
        const double P0 = 1.0 - p[i], P1 = p[i];
        const int a0 = P0 >= t[0] - 1e-6, a1 = P1 >= t[1] - 1e-6;
        if (a0 || a1)
            C[y[i] == 1][a0 && a1 ? (P1 > P0) : a1]++;
    }
    double cal[2][2], tot = 0;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            const double row = (double)(C[i][0] + C[i][1]);
            cal[i][j] = row > 0 ? C[i][j] / row * cnt[i] : 0;
            tot += cal[i][j];
        }
    memset(issue, 0, (size_t)n);
    for (int g = 0; g < 2; g++) {
        double k = floor(cal[g][1 - g] * ((double)n / tot) + 0.5);
        if (cnt[g] && k > cnt[g] - 1.0)
            k = cnt[g] - 1.0;
        for (int r = 0; r < (int)k; r++) {
            int best = -1;
            double bm = 0;
            for (int i = 0; i < n; i++) {
                if ((y[i] == 1) != g || issue[i])
                    continue;
                const double P[2] = {1.0 - p[i], p[i]};
                const double m = P[1 - g] - P[g];
                if (best < 0 || m > bm) {
                    best = i;
                    bm = m;
                }
            }
            issue[best] = 1;
        }
    }
}

void test_confident_bruteforce(void)
{
    enum { N = 3000 };
    static float y[N], p[N];
    static uint8_t a[N], b[N], c3[N];
    for (int trial = 0; trial < 8; trial++) {
        heft__rng r;
        heft__rng_seed(&r, 400 + (uint64_t)trial);
        const int n = trial == 0 ? 1 : 50 + trial * 350;
        const double flip = 0.05 * trial;
        for (int i = 0; i < n; i++) {
            const int t = heft__rng_uniform(&r) < 0.3 + 0.05 * trial;
            const double z = (t ? 1.2 : -1.2) + heft__rng_normal(&r);
            p[i] = (float)(1.0 / (1.0 + exp(-z)));
            if (trial == 3 && i % 7 == 0)
                p[i] = 0.5f; /* ties in the pruning order */
            y[i] = (float)(heft__rng_uniform(&r) < flip ? !t : t);
        }
        uint64_t C[2][2];
        double t[2];
        heft__cl_stats s;
        confident_brute(y, p, n, b, C, t);
        CHECK_OK(heft__confident_binary(y, p, (uint64_t)n, 1, a, NULL, &s,
                                        NULL));
        CHECK_OK(heft__confident_binary(y, p, (uint64_t)n, 3, c3, NULL, NULL,
                                        NULL));
        CHECK(!memcmp(a, b, (size_t)n));
        CHECK(!memcmp(a, c3, (size_t)n));
        CHECK(!memcmp(C, s.joint, sizeof C));
        uint64_t flagged = 0;
        for (int i = 0; i < n; i++)
            flagged += a[i];
        CHECK(flagged == s.n_issues);
        if (trial >= 4)
            CHECK(flagged > 0);
    }
    /* Many blocks: thread counts agree. */
    const uint64_t big = 300000;
    float *yy = malloc(big * 4), *pp = malloc(big * 4);
    uint8_t *i1 = malloc(big), *i4 = malloc(big);
    double *q1 = malloc(big * 8), *q4 = malloc(big * 8);
    REQUIRE(yy && pp && i1 && i4 && q1 && q4);
    heft__rng r;
    heft__rng_seed(&r, 9);
    for (uint64_t i = 0; i < big; i++) {
        pp[i] = (float)heft__rng_uniform(&r);
        yy[i] = (float)(heft__rng_uniform(&r) < pp[i]);
    }
    heft__cl_stats s1, s4;
    CHECK_OK(heft__confident_binary(yy, pp, big, 1, i1, q1, &s1, NULL));
    CHECK_OK(heft__confident_binary(yy, pp, big, 4, i4, q4, &s4, NULL));
    CHECK(!memcmp(i1, i4, big) && !memcmp(q1, q4, big * 8));
    CHECK(!memcmp(&s1, &s4, sizeof s1));
    free(yy);
    free(pp);
    free(i1);
    free(i4);
    free(q1);
    free(q4);
}

void test_confident_bad_input(void)
{
    const float y[3] = {0, 1, 2}, p[3] = {0.1f, 0.5f, 0.9f};
    const float p2[3] = {0.1f, 1.5f, 0.9f};
    uint8_t issue[3];
    heft_error e;
    CHECK(heft__confident_binary(y, p, 3, 1, issue, NULL, NULL, &e) ==
          HEFT_EINVAL);
    CHECK(strstr(e.msg, "row 3: label 2, expected 0 or 1") != NULL);
    CHECK(heft__confident_binary(y, p2, 2, 1, issue, NULL, NULL, &e) ==
          HEFT_EINVAL);
    CHECK(strstr(e.msg, "row 2: probability 1.5") != NULL);
    CHECK(heft__confident_binary(y, p, 0, 1, issue, NULL, NULL, &e) ==
          HEFT_EEMPTY);
    /* One class only: nothing can be flagged. */
    const float y1[2] = {1, 1};
    heft__cl_stats s;
    CHECK_OK(heft__confident_binary(y1, p, 2, 1, issue, NULL, &s, &e));
    CHECK(issue[0] == 0 && issue[1] == 0 && isinf(s.threshold[0]));
}

/* ---- duplicates ---------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Canonical multiset of a row, as the brute force sees it. */
static int brute_canon(const heft__rows *r, uint64_t i, uint64_t *s)
{
    int len = 0;
    for (uint64_t k = r->row_ptr[i]; k < r->row_ptr[i + 1]; k++) {
        float v = r->val[k] == 0 ? 0.0f : r->val[k];
        uint32_t u;
        memcpy(&u, &v, 4);
        s[len++] = (uint64_t)r->feat[k] << 32 | u;
    }
    qsort(s, (size_t)len, sizeof *s, cmp_u64);
    return len;
}

void test_dup_bruteforce(void)
{
    enum { N = 300 };
    static uint64_t ptr[N + 1];
    static uint32_t feat[N * 8];
    static float val[N * 8], label[N];
    static uint32_t g[N], sz[N], bg[N];
    static uint8_t cf[N];
    for (int trial = 0; trial < 4; trial++) {
        heft__rng r;
        heft__rng_seed(&r, 500 + (uint64_t)trial);
        /* Rows drawn from 40 base rows, nonzeros shuffled, sometimes -0
         * for 0, sometimes a changed value. */
        uint32_t bf[40][8];
        float bv[40][8];
        int blen[40];
        for (int b = 0; b < 40; b++) {
            blen[b] = (int)heft__rng_below(&r, 6);
            for (int k = 0; k < blen[b]; k++) {
                bf[b][k] = (uint32_t)heft__rng_below(&r, 6);
                bv[b][k] = (float)heft__rng_below(&r, 3);
            }
        }
        ptr[0] = 0;
        for (int i = 0; i < N; i++) {
            const int b = (int)heft__rng_below(&r, 40);
            uint64_t idx[8] = {0, 1, 2, 3, 4, 5, 6, 7};
            heft__rng_shuffle_u64(&r, idx, (size_t)blen[b]);
            for (int k = 0; k < blen[b]; k++) {
                float v = bv[b][idx[k]];
                if (v == 0 && heft__rng_below(&r, 2))
                    v = -0.0f;
                if (heft__rng_below(&r, 20) == 0)
                    v += 1;
                feat[ptr[i] + (uint64_t)k] = bf[b][idx[k]];
                val[ptr[i] + (uint64_t)k] = v;
            }
            ptr[i + 1] = ptr[i] + (uint64_t)blen[b];
            label[i] = (float)(heft__rng_below(&r, 10) == 0 ? b % 2 == 0
                                                             : b % 2);
        }
        heft__rows rows = {N, ptr, feat, val};
        uint64_t ng = 0;
        CHECK_OK(heft__dup_rows(&rows, label, 1 + trial, g, sz, cf, &ng,
                                NULL));
        uint64_t a[8], c[8];
        uint32_t next = 0;
        for (int i = 0; i < N; i++) {
            const int la = brute_canon(&rows, (uint64_t)i, a);
            bg[i] = UINT32_MAX;
            for (int j = 0; j < i && bg[i] == UINT32_MAX; j++)
                if (brute_canon(&rows, (uint64_t)j, c) == la &&
                    !memcmp(a, c, (size_t)la * sizeof *a))
                    bg[i] = bg[j];
            if (bg[i] == UINT32_MAX)
                bg[i] = next++;
        }
        CHECK(ng == next);
        CHECK(ng < N / 2); /* the data really has duplicates */
        int conflicts = 0;
        for (int i = 0; i < N; i++) {
            CHECK(g[i] == bg[i]);
            uint32_t n_same = 0;
            int conf = 0;
            for (int j = 0; j < N; j++)
                if (bg[j] == bg[i]) {
                    n_same++;
                    conf |= label[j] != label[i];
                }
            CHECK(sz[i] == n_same);
            CHECK(cf[i] == conf);
            conflicts += conf;
        }
        CHECK(conflicts > 0);
    }
}

void test_dup_bad_input(void)
{
    uint64_t ptr[3] = {0, 2, 1};
    const uint32_t feat[2] = {1, 2};
    float val[2] = {1, NAN};
    heft__rows rows = {2, ptr, feat, val};
    uint32_t g[2];
    heft_error e;
    CHECK(heft__dup_rows(&rows, NULL, 1, g, NULL, NULL, NULL, &e) ==
          HEFT_EINVAL);
    CHECK(strstr(e.msg, "row 1, nonzero 2: value is NaN") != NULL);
    val[1] = 2;
    CHECK(heft__dup_rows(&rows, NULL, 1, g, NULL, NULL, NULL, &e) ==
          HEFT_EINVAL);
    CHECK(strstr(e.msg, "row 2: row_ptr decreases") != NULL);
    ptr[2] = 2;
    const float lab[2] = {0, NAN};
    CHECK(heft__dup_rows(&rows, lab, 1, g, NULL, NULL, NULL, &e) ==
          HEFT_EINVAL);
    uint64_t ng = 9;
    CHECK_OK(heft__dup_rows(&rows, NULL, 1, g, NULL, NULL, &ng, &e));
    CHECK(ng == 2 && g[0] == 0 && g[1] == 1);
}

/* ---- real data ------------------------------------------------------------ */

static heft_dataset *read_real(const char *rel, uint64_t max_rows)
{
    const char *path = heft_test_data(rel);
    if (!path)
        return NULL;
    heft_read_opts o = heft_read_opts_default();
    o.max_rows = max_rows;
    heft_dataset *ds = NULL;
    heft_error e;
    if (heft_dataset_read(path, &o, &ds, &e) != HEFT_OK) {
        char buf[1200];
        heft_test_fail(__FILE__, __LINE__, "%s",
                       heft_error_format(&e, buf, sizeof buf));
        return NULL;
    }
    return ds;
}

/* Canonical rows for the sort-based duplicate check. */
static const uint64_t *canon_ptr;
static const uint64_t *canon_val;

static int cmp_rows(const void *a, const void *b)
{
    const uint64_t i = *(const uint64_t *)a, j = *(const uint64_t *)b;
    const uint64_t li = canon_ptr[i + 1] - canon_ptr[i];
    const uint64_t lj = canon_ptr[j + 1] - canon_ptr[j];
    if (li != lj)
        return li < lj ? -1 : 1;
    for (uint64_t k = 0; k < li; k++) {
        const uint64_t x = canon_val[canon_ptr[i] + k];
        const uint64_t y = canon_val[canon_ptr[j] + k];
        if (x != y)
            return x < y ? -1 : 1;
    }
    return i < j ? -1 : i > j;
}

/* Duplicates in the real frappe file, checked against a different method:
 * sort the rows by their canonical multisets and compare neighbours. */
void test_score_real_frappe_dup(void)
{
    heft_dataset *ds = read_real("frappe/frappe.validation.libfm", 0);
    if (!ds)
        SKIP("frappe not available");
    const heft__rows r = heft__rows_of(ds);
    const float *label = heft_dataset_labels(ds);
    const uint64_t n = r.n_rows, nnz = r.row_ptr[n] - r.row_ptr[0];
    uint32_t *g = malloc(n * 4), *sz = malloc(n * 4);
    uint8_t *cf = malloc(n);
    uint64_t *cp = malloc((n + 1) * 8), *cv = malloc(nnz * 8 + 8);
    uint64_t *idx = malloc(n * 8);
    REQUIRE(g && sz && cf && cp && cv && idx);
    uint64_t ng = 0;
    CHECK_OK(heft__dup_rows(&r, label, 2, g, sz, cf, &ng, NULL));
    cp[0] = 0;
    for (uint64_t i = 0; i < n; i++) {
        cp[i + 1] = cp[i] + (uint64_t)brute_canon(&r, i, cv + cp[i]);
        idx[i] = i;
    }
    canon_ptr = cp;
    canon_val = cv;
    qsort(idx, n, sizeof *idx, cmp_rows);
    uint64_t groups = 0, dup_rows = 0, conflicts = 0;
    for (uint64_t a = 0; a < n;) {
        uint64_t b = a + 1;
        while (b < n && cp[idx[b] + 1] - cp[idx[b]] == cp[idx[a] + 1] - cp[idx[a]] &&
               !memcmp(cv + cp[idx[a]], cv + cp[idx[b]],
                       (cp[idx[a] + 1] - cp[idx[a]]) * 8))
            b++;
        int conf = 0;
        for (uint64_t k = a; k < b; k++)
            conf |= label[idx[k]] != label[idx[a]];
        for (uint64_t k = a; k < b; k++) {
            CHECK(g[idx[k]] == g[idx[a]]);
            CHECK(sz[idx[k]] == b - a);
            CHECK(cf[idx[k]] == conf);
        }
        /* Different multisets, different groups. */
        if (a > 0)
            CHECK(g[idx[a]] != g[idx[a - 1]]);
        groups++;
        dup_rows += b - a > 1 ? b - a : 0;
        conflicts += conf ? b - a : 0;
        a = b;
    }
    CHECK(groups == ng);
    CHECK(g[0] == 0);
    if (getenv("HEFT_TEST_VERBOSE"))
        fprintf(stderr, "  frappe: %llu rows, %llu groups, %llu rows in "
                "duplicate groups, %llu in conflicting groups\n",
                (unsigned long long)n, (unsigned long long)groups,
                (unsigned long long)dup_rows, (unsigned long long)conflicts);
    free(g);
    free(sz);
    free(cf);
    free(cp);
    free(cv);
    free(idx);
    heft_dataset_free(ds);
}

/* KNN-Shapley on real frappe rows with 10% of the training labels flipped:
 * the flipped rows must get clearly lower values, and the approximate mode
 * must stay within its bound. */
void test_score_real_frappe_knn(void)
{
    heft_dataset *tr = read_real("frappe/frappe.validation.libfm", 4000);
    heft_dataset *va = read_real("frappe/frappe.test.libfm", 400);
    if (!tr || !va) {
        heft_dataset_free(tr);
        heft_dataset_free(va);
        SKIP("frappe not available");
    }
    const heft__rows trv = heft__rows_of(tr), vav = heft__rows_of(va);
    const uint64_t n = trv.n_rows;
    float *tl = malloc(n * sizeof *tl);
    uint8_t *flip = calloc(n, 1);
    double *ex = malloc(n * 8), *ap = malloc(n * 8);
    REQUIRE(tl && flip && ex && ap);
    heft__rng r;
    heft__rng_seed(&r, 11);
    memcpy(tl, heft_dataset_labels(tr), n * sizeof *tl);
    for (uint64_t i = 0; i < n; i++)
        if (heft__rng_uniform(&r) < 0.1) {
            flip[i] = 1;
            tl[i] = 1 - tl[i];
        }
    heft__knn_opts o = heft__knn_opts_default();
    o.k = 10;
    CHECK_OK(heft__knn_shapley_sparse(&trv, tl, &vav, heft_dataset_labels(va),
                                      &o, 2, ex, NULL));
    o.top_m = 100;
    CHECK_OK(heft__knn_shapley_sparse(&trv, tl, &vav, heft_dataset_labels(va),
                                      &o, 2, ap, NULL));
    /* AUC of -value as a detector of flipped rows, by pairwise count. */
    double wins = 0, pairs = 0, maxerr = 0;
    for (uint64_t i = 0; i < n; i++) {
        maxerr = fmax(maxerr, fabs(ex[i] - ap[i]));
        if (!flip[i])
            continue;
        for (uint64_t j = 0; j < n; j++)
            if (!flip[j]) {
                wins += ex[i] < ex[j] ? 1 : ex[i] == ex[j] ? 0.5 : 0;
                pairs++;
            }
    }
    const double auc = wins / pairs;
    if (getenv("HEFT_TEST_VERBOSE"))
        fprintf(stderr, "  frappe knn: flipped-row AUC %.3f, approx max "
                "error %.3g\n", auc, maxerr);
    CHECK(auc > 0.6); /* 0.69 measured; chance is 0.5 +- 0.015 */
    CHECK(maxerr <= 1.0 / 100 - 1.0 / (double)n + 1e-12);
    free(tl);
    free(flip);
    free(ex);
    free(ap);
    heft_dataset_free(tr);
    heft_dataset_free(va);
}
