/*
 * test_audit.c: the test-set audit (src/audit) against oracles: PSI and JS
 * by hand, the chi-square tail and z-test at known values, DeLong against
 * an O(m n) pairwise count, histograms rebuilt by brute force from the
 * rows, leakage by O(N^2) comparison of every test row with every train
 * row, the new test set's promises checked row by row, and a run on the
 * real criteo-subset split (skipped when ../shared/data is absent).
 */
#include "test.h"

#include "audit_int.h"

/* ---- statistics ------------------------------------------------------------ */

void test_audit_psi_js_by_hand(void)
{
    /* p = (.3, .5, .2), q = (.2, .5, .3), no smoothing:
     * PSI = -.1 ln(2/3) + .1 ln(3/2) = .2 ln 1.5;
     * JS = .3 log2(1.2) + .2 log2(.8) (m = (.25, .5, .25)). */
    const double p[] = {30, 50, 20}, q[] = {20, 50, 30};
    CHECK_NEAR(heft_audit_psi(p, q, 3, 0), 0.2 * log(1.5), 1e-12);
    CHECK_NEAR(heft_audit_js(p, q, 3, 0),
               0.3 * log2(1.2) + 0.2 * log2(0.8), 1e-12);
    /* PSI is symmetric, JS too; both vanish on equal shares. */
    CHECK_NEAR(heft_audit_psi(q, p, 3, 0), heft_audit_psi(p, q, 3, 0), 1e-15);
    const double p2[] = {60, 100, 40};
    CHECK_NEAR(heft_audit_psi(p, p2, 3, 0), 0, 1e-15);
    CHECK_NEAR(heft_audit_js(p, p2, 3, 0), 0, 1e-15);
    /* Smoothing: shares (c + a) / (N + k a) on both sides. */
    const double c[] = {0, 10, 5}, d[] = {4, 0, 6};
    const double a = 0.5;
    double psi = 0;
    for (int i = 0; i < 3; i++) {
        const double pi = (c[i] + a) / (15 + 3 * a);
        const double qi = (d[i] + a) / (10 + 3 * a);
        psi += (qi - pi) * log(qi / pi);
    }
    CHECK_NEAR(heft_audit_psi(c, d, 3, a), psi, 1e-12);
    CHECK(isinf(heft_audit_psi(c, d, 3, 0)));
    /* JS of disjoint supports is exactly 1 bit. */
    const double x[] = {5, 0}, y[] = {0, 7};
    CHECK_NEAR(heft_audit_js(x, y, 2, 0), 1, 1e-12);
}

void test_audit_chi2_and_z(void)
{
    CHECK_NEAR(heft__audit_chi2_sf(3.841458820694124, 1), 0.05, 1e-9);
    CHECK_NEAR(heft__audit_chi2_sf(18.30703805327515, 10), 0.05, 1e-9);
    CHECK_NEAR(heft__audit_chi2_sf(2, 2), exp(-1), 1e-12);
    CHECK_NEAR(heft__audit_chi2_sf(124.3421134, 100), 0.05, 1e-7);
    CHECK_NEAR(heft__audit_chi2_sf(0, 3), 1, 0);
    /* psi_p is the chi-square tail of psi / (1/n + 1/m). */
    CHECK_NEAR(heft_audit_psi_p(2 * 0.02, 3, 100, 100), exp(-1), 1e-12);
    /* 30/100 vs 50/100: pooled p = .4, z = -.2 / sqrt(.24 * .02). */
    double z;
    const double pv = heft_audit_two_prop(30, 100, 50, 100, &z);
    CHECK_NEAR(z, -0.2 / sqrt(0.24 * 0.02), 1e-12);
    CHECK_NEAR(pv, erfc(fabs(z) / sqrt(2.0)), 1e-15);
    CHECK_NEAR(pv, 0.003892, 2e-6);
    CHECK(isnan(heft_audit_two_prop(0, 10, 0, 10, &z)) && isnan(z));
    CHECK(isnan(heft_audit_two_prop(1, 0, 0, 10, NULL)));
}

/* DeLong by the definition: placements psi(X_i, Y_j) over every pair. */
static void delong_oracle(const float *y, const float *p, size_t n,
                          double *auc, double *se)
{
    double m = 0, k = 0, s10 = 0, s01 = 0, a = 0;
    double v10[64], v01[64];
    size_t np = 0, nn = 0;
    for (size_t i = 0; i < n; i++) {
        m += y[i] > 0;
        k += !(y[i] > 0);
    }
    for (size_t i = 0; i < n; i++) {
        double v = 0;
        for (size_t j = 0; j < n; j++)
            if ((y[i] > 0) != (y[j] > 0)) {
                const double pos = y[i] > 0 ? p[i] : p[j];
                const double neg = y[i] > 0 ? p[j] : p[i];
                v += pos > neg ? 1 : pos == neg ? 0.5 : 0;
            }
        if (y[i] > 0)
            v10[np++] = v / k;
        else
            v01[nn++] = v / m;
    }
    for (size_t i = 0; i < np; i++)
        a += v10[i] / m;
    double b = 0;
    for (size_t j = 0; j < nn; j++)
        b += v01[j] / k;
    for (size_t i = 0; i < np; i++)
        s10 += (v10[i] - a) * (v10[i] - a) / (m - 1);
    for (size_t j = 0; j < nn; j++)
        s01 += (v01[j] - b) * (v01[j] - b) / (k - 1);
    *auc = a;
    *se = sqrt(s10 / m + s01 / k);
}

void test_audit_delong_oracle(void)
{
    float y[64], p[64];
    uint64_t s = 12345;
    for (int rep = 0; rep < 20; rep++) {
        const size_t n = 10 + (size_t)rep * 2;
        for (size_t i = 0; i < n; i++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            y[i] = (float)((s >> 40) % 3 == 0);
            /* Coarse scores (tenths) so that ties across classes occur. */
            p[i] = (float)((s >> 20) % 11) / 10.0f;
        }
        y[0] = y[2] = 1; /* at least two of each class */
        y[1] = y[3] = 0;
        double a0, s0, a1, s1;
        delong_oracle(y, p, n, &a0, &s0);
        heft_error e;
        CHECK_OK(heft_audit_delong(y, p, n, &a1, &s1, &e));
        CHECK_NEAR(a1, a0, 1e-12);
        CHECK_NEAR(s1, s0, 1e-12);
        /* Same AUC as the evaluator's exact count. */
        heft_eval_opts eo = heft_eval_opts_default();
        heft_metrics mt;
        CHECK_OK(heft_evaluate(y, p, NULL, NULL, n, &eo, &mt, &e));
        CHECK_NEAR(a1, mt.auc.value, 1e-9);
    }
    double a, se;
    heft_error e;
    const float one[] = {1, 1}, pp[] = {0.2f, 0.3f}, bad[] = {0.2f, 1.5f};
    CHECK_OK(heft_audit_delong(one, pp, 2, &a, &se, &e));
    CHECK(isnan(a) && isnan(se));
    const float two[] = {1, 0};
    CHECK(heft_audit_delong(two, bad, 2, &a, &se, &e) == HEFT_EINVAL);
}

void test_audit_rows_needed(void)
{
    CHECK_NEAR(heft_audit_rows_needed(10000, 0.02, 0.002), 1e6, 0);
    CHECK_NEAR(heft_audit_rows_needed(391, 0.1, 0.1), 391, 0);
    CHECK_NEAR(heft_audit_rows_needed(100, 0.03, 0.02), 225, 0);
    CHECK(isnan(heft_audit_rows_needed(0, 0.1, 0.1)));
    /* The 1/sqrt(N) law on real numbers: the same scores repeated 4 times
     * halve DeLong's SE (up to the m-1 / n-1 divisors), so the formula
     * predicts 4N rows for the width of the 4N set. */
    enum { N = 200 };
    static float y[4 * N], p[4 * N];
    uint64_t s = 99;
    for (size_t i = 0; i < N; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        y[i] = (float)((s >> 33) % 4 == 0);
        p[i] = (float)(((s >> 12) % 1000) / 1000.0 * 0.6 + 0.4 * y[i]);
    }
    for (size_t r = 1; r < 4; r++)
        for (size_t i = 0; i < N; i++) {
            y[r * N + i] = y[i];
            p[r * N + i] = p[i];
        }
    double a1, s1, a4, s4;
    heft_error e;
    CHECK_OK(heft_audit_delong(y, p, N, &a1, &s1, &e));
    CHECK_OK(heft_audit_delong(y, p, 4 * N, &a4, &s4, &e));
    CHECK_NEAR(a1, a4, 1e-12);
    CHECK_NEAR(s4, s1 / 2, 0.01 * s1);
    const double need = heft_audit_rows_needed(N, 2 * 1.96 * s1,
                                               2 * 1.96 * s4);
    CHECK(fabs(need - 4 * N) <= 0.02 * 4 * N);
}

/* ---- data-driven steps ----------------------------------------------------- */

static heft_dataset *tsv(const char *text, const char *group, heft_error *e)
{
    heft_read_opts ro = heft_read_opts_default();
    ro.format = HEFT_FMT_TSV;
    ro.label_col = "y";
    ro.num_cols = "price";
    ro.cat_cols = "color";
    ro.group_col = group;
    ro.num_transform = HEFT_NUM_NONE;
    ro.threads = 1;
    heft_dataset *ds = NULL;
    if (heft_dataset_read_mem(text, strlen(text), "tiny", &ro, &ds, e) !=
        HEFT_OK)
        return NULL;
    return ds;
}

static const char tiny_train[] =
    "y\tu\tprice\tcolor\n"
    "1\ta\t1\tred\n0\ta\t2\tred\n0\tb\t3\tred\n1\tb\t4\tblue\n"
    "0\tc\t5\tblue\n0\tc\t6\tgreen\n1\td\t7\tred\n0\td\t8\tblue\n"
    "0\te\t9\tred\n1\te\t10\tred\n";
static const char tiny_test[] =
    "y\tu\tprice\tcolor\n"
    "1\ta\t0.5\tred\n0\tx\t2\tpink\n1\ty\t3.5\tpink\n0\tz\t12\t\n"
    "1\tz\t\tblue\n0\tw\t7.5\tgreen\n";

static double psi_oracle(const double *c, const double *d, int k, double a)
{
    double nc = 0, nd = 0, psi = 0;
    for (int i = 0; i < k; i++) {
        nc += c[i];
        nd += d[i];
    }
    for (int i = 0; i < k; i++) {
        const double p = (c[i] + a) / (nc + k * a);
        const double q = (d[i] + a) / (nd + k * a);
        psi += (q - p) * log(q / p);
    }
    return psi;
}

void test_audit_drift_oracle(void)
{
    heft_error e;
    heft_dataset *tr = tsv(tiny_train, "u", &e), *te = tsv(tiny_test, "u", &e);
    REQUIRE(tr && te);
    heft_audit_opts o = heft_audit_opts_default();
    o.bins = 4;
    heft_audit *a = NULL;
    CHECK_OK(heft_audit_run(tr, te, &o, &a, &e));
    REQUIRE(a);
    REQUIRE(a->n_fields == 2);
    const int fp = heft_audit_find_field(tr, "price");
    const int fc = heft_audit_find_field(tr, "color");
    REQUIRE(fp >= 0 && fc >= 0);
    /* price: train 1..10, 4 bins: edges = 3rd, 5th, 8th smallest = 3, 5,
     * 8; bin(v) = #edges < v. Test 0.5, 2, 3.5, 12, (none), 7.5. */
    const double pc[] = {3, 2, 3, 2, 0}, pd[] = {2, 1, 1, 1, 1};
    const heft_audit_field *P = &a->fields[fp], *C = &a->fields[fc];
    CHECK(P->numeric && P->bins == 5);
    CHECK_NEAR(P->psi, psi_oracle(pc, pd, 5, 0.5), 1e-12);
    CHECK_NEAR(P->test_missing, 1.0 / 6, 1e-12);
    CHECK_NEAR(P->train_missing, 0, 0);
    /* color: top tokens seen twice or more: red (6), blue (3); green once
     * in train goes to train's "unseen" (leave-one-out); test: red 1,
     * blue 1, green 1 (seen: "other"), pink 2 (unseen), 1 missing. Bins:
     * red, blue, other, unseen, missing. */
    const double cc[] = {6, 3, 0, 1, 0}, cd[] = {1, 1, 1, 2, 1};
    CHECK(!C->numeric && C->bins == 5);
    CHECK_NEAR(C->psi, psi_oracle(cc, cd, 5, 0.5), 1e-12);
    CHECK(C->unseen_rows == 2);
    CHECK_NEAR(C->unseen_share, 2.0 / 6, 1e-12);
    CHECK_NEAR(C->expected_unseen, 1.0 / 10, 1e-12);
    CHECK(a->unseen_rows == 2);
    CHECK_NEAR(a->train_rate, 0.4, 1e-12);
    CHECK_NEAR(a->test_rate, 0.5, 1e-12);
    /* Group a is on both sides: one test row. */
    CHECK(a->has_groups && a->groups_shared == 1 && a->group_rows == 1);
    CHECK(a->test_leak[0] & 1);
    CHECK(a->n_findings >= 1 && a->findings[0].kind == HEFT_AUDIT_GROUP_LEAK);
    heft_audit_free(a);
    heft_dataset_free(tr);
    heft_dataset_free(te);
}

/* Random rows: 3 fields, each row has every field once, with one of k
 * values (k <= 80; a small k makes duplicates common), and one of
 * `groups` group ids. */
static heft_dataset *random_rows(size_t n, uint64_t seed, uint32_t k,
                                 uint64_t groups, heft_error *e)
{
    uint64_t rp[101], grp[100];
    uint32_t feat[300];
    float val[300], y[100];
    uint16_t fld[300];
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++) {
        rp[i] = 3 * i;
        for (int f = 0; f < 3; f++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            feat[3 * i + (size_t)f] = (uint32_t)((s >> 40) % k) + k * (uint32_t)f;
            val[3 * i + (size_t)f] = f == 2 ? (float)((s >> 50) % 2) : 1.0f;
            fld[3 * i + (size_t)f] = (uint16_t)f;
        }
        y[i] = (float)((s >> 20) % 2);
        grp[i] = (s >> 30) % groups;
    }
    rp[n] = 3 * n;
    heft_dataset *ds = NULL;
    if (heft_dataset_from_csr(n, rp, feat, val, fld, y, NULL, grp, 8, &ds, e) !=
        HEFT_OK)
        return NULL;
    return ds;
}

static int same_features(const heft_dataset *a, size_t i,
                         const heft_dataset *b, size_t k)
{
    const uint64_t *ra, *rb;
    const uint32_t *fa, *fb;
    const float *va, *vb;
    const uint16_t *da, *db;
    heft_dataset_csr(a, &ra, &fa, &va, &da);
    heft_dataset_csr(b, &rb, &fb, &vb, &db);
    if (ra[i + 1] - ra[i] != rb[k + 1] - rb[k])
        return 0;
    for (uint64_t t = 0; t < ra[i + 1] - ra[i]; t++)
        if (fa[ra[i] + t] != fb[rb[k] + t] || va[ra[i] + t] != vb[rb[k] + t] ||
            da[ra[i] + t] != db[rb[k] + t])
            return 0;
    return 1;
}

void test_audit_leak_oracle(void)
{
    heft_error e;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        heft_dataset *tr = random_rows(60, seed, 2, 40, &e);
        heft_dataset *te = random_rows(40, seed + 100, 2, 40, &e);
        REQUIRE(tr && te);
        heft_audit_opts o = heft_audit_opts_default();
        heft_audit *a = NULL;
        CHECK_OK(heft_audit_run(tr, te, &o, &a, &e));
        REQUIRE(a);
        const float *ytr = heft_dataset_labels(tr), *yte = heft_dataset_labels(te);
        const uint64_t *gtr = heft_dataset_groups(tr), *gte = heft_dataset_groups(te);
        uint64_t dup = 0, conf = 0, grows = 0;
        for (size_t i = 0; i < 40; i++) {
            int same = 0, other = 0, shared = 0;
            for (size_t k = 0; k < 60; k++) {
                if (same_features(te, i, tr, k)) {
                    same |= (ytr[k] > 0) == (yte[i] > 0);
                    other |= (ytr[k] > 0) != (yte[i] > 0);
                }
                shared |= gte[i] == gtr[k];
            }
            dup += (uint64_t)same;
            conf += (uint64_t)(!same && other);
            grows += (uint64_t)shared;
            CHECK(((a->test_leak[i] & 2) != 0) == (same || other));
            CHECK(((a->test_leak[i] & 1) != 0) == shared);
        }
        CHECK(a->dup_rows == dup);
        CHECK(a->conflict_rows == conf);
        CHECK(a->group_rows == grows);
        CHECK(dup > 0); /* the alphabet is small enough for duplicates */
        heft_audit_free(a);
        heft_dataset_free(tr);
        heft_dataset_free(te);
    }
}

void test_audit_make_test(void)
{
    heft_error e;
    heft_dataset *tr = random_rows(60, 7, 20, 200, &e);
    heft_dataset *te = random_rows(100, 8, 20, 200, &e);
    REQUIRE(tr && te);
    heft_audit_opts o = heft_audit_opts_default();
    heft_audit *a = NULL;
    CHECK_OK(heft_audit_run(tr, te, &o, &a, &e));
    REQUIRE(a);
    CHECK(a->groups_shared > 0); /* so that the pool excludes some rows */
    size_t clean = 0, clean_groups_rows[200] = {0};
    const uint64_t *g = heft_dataset_groups(te);
    for (size_t i = 0; i < 100; i++)
        if (!a->test_leak[i]) {
            clean++;
            clean_groups_rows[g[i]]++;
        }
    REQUIRE(clean >= 4);
    uint64_t *rows = NULL, *rows2 = NULL;
    size_t n = 0, n2 = 0;
    const size_t want = clean / 2;
    CHECK_OK(heft_audit_make_test(a, te, NULL, want, 5, &rows, &n, &e));
    REQUIRE(rows);
    CHECK(n <= want && n > 0);
    size_t got_rows[200] = {0};
    for (size_t i = 0; i < n; i++) {
        CHECK(!a->test_leak[rows[i]]);
        CHECK(i == 0 || rows[i] > rows[i - 1]);
        got_rows[g[rows[i]]]++;
    }
    for (int k = 0; k < 200; k++) /* whole groups: all or none */
        CHECK(got_rows[k] == 0 || got_rows[k] == clean_groups_rows[k]);
    /* Topped up: every clean group left out is too big for the gap. */
    for (int k = 0; k < 200; k++)
        if (got_rows[k] == 0 && clean_groups_rows[k] > 0)
            CHECK(n + clean_groups_rows[k] > want);
    CHECK_OK(heft_audit_make_test(a, te, NULL, want, 5, &rows2, &n2, &e));
    CHECK(n2 == n && rows2 && !memcmp(rows, rows2, n * sizeof *rows));
    free(rows);
    free(rows2);
    uint64_t *none = NULL;
    CHECK(heft_audit_make_test(a, te, NULL, clean + 1, 5, &none, &n, &e) ==
          HEFT_ERANGE);
    CHECK(none == NULL);
    heft_audit_free(a);
    heft_dataset_free(tr);
    heft_dataset_free(te);
}

/* random_rows() without its group column. */
static heft_dataset *ungrouped(size_t n, uint64_t seed, heft_error *e)
{
    heft_dataset *g = random_rows(n, seed, 3, 10, e), *ds = NULL;
    if (!g)
        return NULL;
    const uint64_t *rp;
    const uint32_t *f;
    const float *v;
    const uint16_t *fl;
    heft_dataset_csr(g, &rp, &f, &v, &fl);
    if (heft_dataset_from_csr(n, rp, f, v, fl, heft_dataset_labels(g), NULL,
                              NULL, 8, &ds, e) != HEFT_OK)
        ds = NULL;
    heft_dataset_free(g);
    return ds;
}

void test_audit_make_test_stratified(void)
{
    /* Without groups the sample is exact: n rows, round(n P / M)
     * positives, and only clean rows. */
    heft_error e;
    heft_dataset *tr = ungrouped(60, 3, &e), *te = ungrouped(100, 4, &e);
    REQUIRE(tr && te);
    heft_audit_opts o = heft_audit_opts_default();
    heft_audit *a = NULL;
    CHECK_OK(heft_audit_run(tr, te, &o, &a, &e));
    REQUIRE(a);
    const float *y = heft_dataset_labels(te);
    size_t m = 0, pos = 0;
    for (size_t i = 0; i < 100; i++)
        if (!a->test_leak[i]) {
            m++;
            pos += y[i] > 0;
        }
    REQUIRE(m >= 10);
    const size_t want = m / 2;
    uint64_t *rows = NULL;
    size_t n = 0, got_pos = 0;
    CHECK_OK(heft_audit_make_test(a, te, NULL, want, 9, &rows, &n, &e));
    REQUIRE(rows);
    CHECK(n == want);
    for (size_t i = 0; i < n; i++) {
        CHECK(!a->test_leak[rows[i]]);
        CHECK(i == 0 || rows[i] > rows[i - 1]);
        got_pos += y[rows[i]] > 0;
    }
    CHECK(got_pos == (size_t)((double)want * (double)pos / (double)m + 0.5));
    free(rows);
    heft_audit_free(a);
    heft_dataset_free(tr);
    heft_dataset_free(te);
}

/* With segment keys and no groups, each (segment, label) stratum of the
 * clean pool gets exactly its largest-remainder share, computed here by
 * brute force (floor of n c / m, then one more for the largest remainders,
 * ties to the earlier stratum in (segment, positives first) order). With groups,
 * whole groups only and at most n rows. */
void test_audit_make_test_segments(void)
{
    heft_error e;
    heft_dataset *tr = ungrouped(60, 3, &e), *te = ungrouped(100, 4, &e);
    REQUIRE(tr && te);
    heft_audit_opts o = heft_audit_opts_default();
    heft_audit *a = NULL;
    CHECK_OK(heft_audit_run(tr, te, &o, &a, &e));
    REQUIRE(a);
    uint64_t seg[100];
    for (int i = 0; i < 100; i++)
        seg[i] = (uint64_t)(i % 7 < 4 ? 11 : i % 7 < 6 ? 5 : 2); /* 4:2:1 */
    const float *y = heft_dataset_labels(te);
    /* Strata in (segment, positives first) order: segments 2, 5, 11. */
    static const uint64_t segs[3] = {2, 5, 11};
    size_t cnt[6] = {0}, m = 0;
    for (int i = 0; i < 100; i++)
        if (!a->test_leak[i]) {
            const int sk = seg[i] == 2 ? 0 : seg[i] == 5 ? 1 : 2;
            cnt[2 * sk + (y[i] > 0 ? 0 : 1)]++;
            m++;
        }
    const size_t want = m / 2;
    size_t q[6], given = 0;
    for (int s = 0; s < 6; s++)
        given += q[s] = want * cnt[s] / m;
    while (given < want) { /* one more to the largest remainder */
        int best = -1;
        double bf = -1;
        for (int s = 0; s < 6; s++) {
            const double fr = (double)want * (double)cnt[s] / (double)m - (double)q[s];
            if (q[s] < cnt[s] && fr > bf) {
                bf = fr;
                best = s;
            }
        }
        q[best]++;
        given++;
    }
    uint64_t *rows = NULL;
    size_t n = 0, got[6] = {0};
    CHECK_OK(heft_audit_make_test(a, te, seg, want, 3, &rows, &n, &e));
    REQUIRE(rows);
    CHECK(n == want);
    for (size_t i = 0; i < n; i++) {
        CHECK(!a->test_leak[rows[i]]);
        const int sk = seg[rows[i]] == segs[0] ? 0 : seg[rows[i]] == segs[1] ? 1 : 2;
        got[2 * sk + (y[rows[i]] > 0 ? 0 : 1)]++;
    }
    for (int s = 0; s < 6; s++)
        CHECK(got[s] == q[s]);
    free(rows);
    heft_audit_free(a);
    a = NULL;
    /* With groups (the labels' own test set): whole groups, at most n. */
    heft_dataset *gtr = random_rows(60, 7, 20, 200, &e);
    heft_dataset *gte = random_rows(100, 8, 20, 200, &e);
    REQUIRE(gtr && gte);
    CHECK_OK(heft_audit_run(gtr, gte, &o, &a, &e));
    REQUIRE(a);
    const uint64_t *g = heft_dataset_groups(gte);
    size_t clean = 0, grows[200] = {0}, taken[200] = {0};
    for (int i = 0; i < 100; i++)
        if (!a->test_leak[i]) {
            clean++;
            grows[g[i]]++;
        }
    CHECK_OK(heft_audit_make_test(a, gte, seg, clean / 2, 3, &rows, &n, &e));
    REQUIRE(rows);
    CHECK(n <= clean / 2 && n > 0);
    for (size_t i = 0; i < n; i++)
        taken[g[rows[i]]]++;
    for (int k = 0; k < 200; k++)
        CHECK(taken[k] == 0 || taken[k] == grows[k]);
    free(rows);
    heft_audit_free(a);
    heft_dataset_free(gtr);
    heft_dataset_free(gte);
    heft_dataset_free(tr);
    heft_dataset_free(te);
}

void test_audit_segments(void)
{
    heft_error e;
    heft_dataset *tr = tsv(tiny_train, NULL, &e), *te = tsv(tiny_train, NULL, &e);
    REQUIRE(tr && te);
    const int fc = heft_audit_find_field(te, "color");
    REQUIRE(fc >= 0);
    uint64_t keys[10];
    CHECK_OK(heft_audit_segment_keys(te, (unsigned)fc, keys, &e));
    /* Rows 0,1,2,6,8,9 red; 3,4,7 blue; 5 green. */
    CHECK(keys[0] == keys[1] && keys[0] == keys[9] && keys[3] == keys[4]);
    CHECK(keys[0] != keys[3] && keys[5] != keys[0] && keys[5] != keys[3]);
    const float pred[10] = {0.9f, 0.2f, 0.4f, 0.3f, 0.1f,
                            0.5f, 0.6f, 0.35f, 0.6f, 0.8f};
    heft_audit_opts o = heft_audit_opts_default();
    o.pred = pred;
    o.segment = keys;
    heft_audit *a = NULL;
    CHECK_OK(heft_audit_run(tr, te, &o, &a, &e));
    REQUIRE(a);
    REQUIRE(a->n_segments == 3);
    const heft_audit_segment *red = &a->segments[0];
    CHECK(red->rows == 6 && red->positives == 3 && red->key == keys[0]);
    CHECK(red->first_row == 0);
    /* red: positives 0.9, 0.6, 0.8 vs negatives 0.2, 0.4, 0.6: 8.5 / 9. */
    CHECK_NEAR(red->auc, 8.5 / 9, 1e-12);
    double ll = 0;
    const int red_rows[] = {0, 1, 2, 6, 8, 9};
    const float *y = heft_dataset_labels(te);
    for (int i = 0; i < 6; i++) {
        const double p = pred[red_rows[i]];
        ll -= y[red_rows[i]] > 0 ? log(p) : log(1 - p);
    }
    CHECK_NEAR(red->logloss, ll / 6, 1e-6);
    CHECK(a->segments[1].rows == 3 && a->segments[2].rows == 1);
    CHECK(isnan(a->segments[2].auc)); /* one class */
    /* Train against itself: no leak-free rows, every row a duplicate. */
    CHECK(a->dup_rows == 10 && a->findings[0].kind == HEFT_AUDIT_DUP_LEAK);
    CHECK(a->has_pred && a->auc_lo <= a->auc && a->auc <= a->auc_hi);
    CHECK_NEAR(a->rows_needed,
               ceil(10 * pow(a->auc_width / o.target_width, 2)), 0);
    heft_audit_free(a);
    heft_dataset_free(tr);
    heft_dataset_free(te);
}

void test_audit_ranking(void)
{
    /* A label-rate shift and a drifted field, with a shared group: the
     * findings come most severe first, group leakage on top. */
    char tr[8192], te[8192];
    size_t a = (size_t)snprintf(tr, sizeof tr, "y\tu\tprice\tcolor\n");
    size_t b = (size_t)snprintf(te, sizeof te, "y\tu\tprice\tcolor\n");
    for (int i = 0; i < 200; i++) {
        a += (size_t)snprintf(tr + a, sizeof tr - a, "%d\tt%d\t%d\t%s\n",
                              i % 10 == 0, i % 50, i % 7,
                              i % 2 ? "red" : "blue");
        b += (size_t)snprintf(te + b, sizeof te - b, "%d\ts%d\t%d\t%s\n",
                              i % 2 == 0, i == 0 ? 0 : i % 50 + 100, i % 7,
                              i % 10 ? "green" : "red");
    }
    te[b] = '\0';
    memcpy(te + 18, "t", 1); /* first test row's group s0 -> t0 */
    heft_error e;
    heft_dataset *dtr = tsv(tr, "u", &e), *dte = tsv(te, "u", &e);
    REQUIRE(dtr && dte);
    heft_audit_opts o = heft_audit_opts_default();
    heft_audit *au = NULL;
    CHECK_OK(heft_audit_run(dtr, dte, &o, &au, &e));
    REQUIRE(au);
    REQUIRE(au->n_findings >= 3);
    CHECK(au->findings[0].kind == HEFT_AUDIT_GROUP_LEAK);
    int saw_label = 0, saw_drift = 0, saw_unseen = 0;
    const int fc = heft_audit_find_field(dtr, "color");
    for (size_t i = 0; i < au->n_findings; i++) {
        const heft_audit_finding *f = &au->findings[i];
        CHECK(i == 0 || f->severity <= au->findings[i - 1].severity);
        saw_label |= f->kind == HEFT_AUDIT_LABEL_SHIFT;
        saw_drift |= f->kind == HEFT_AUDIT_DRIFT && f->field == fc;
        /* green is in 90% of test rows and never in train. */
        saw_unseen |= f->kind == HEFT_AUDIT_UNSEEN && f->field == fc &&
                      f->level == 2;
        CHECK(f->title[0] && f->n_numbers > 0);
    }
    CHECK(saw_label && saw_drift && saw_unseen);
    CHECK_NEAR(au->fields[fc].unseen_share, 0.9, 1e-12);
    CHECK_NEAR(au->fields[fc].expected_unseen, 0, 0);
    /* price has the same distribution on both sides: no drift finding. */
    const int fp = heft_audit_find_field(dtr, "price");
    CHECK(au->fields[fp].psi < 0.01);
    heft_audit_free(au);
    heft_dataset_free(dtr);
    heft_dataset_free(dte);
}

void test_audit_bad_input(void)
{
    heft_error e;
    heft_dataset *tr = tsv(tiny_train, NULL, &e), *te = tsv(tiny_test, NULL, &e);
    REQUIRE(tr && te);
    heft_audit_opts o = heft_audit_opts_default();
    heft_audit *a = (heft_audit *)&o; /* must come back NULL */
    o.bins = 1;
    CHECK(heft_audit_run(tr, te, &o, &a, &e) == HEFT_EINVAL);
    CHECK(a == NULL && strstr(e.msg, "bins"));
    o = heft_audit_opts_default();
    const float pred[6] = {0.1f, 0.2f, 0.3f, NAN, 0.5f, 0.6f};
    o.pred = pred;
    CHECK(heft_audit_run(tr, te, &o, &a, &e) == HEFT_EINVAL);
    CHECK(a == NULL && strstr(e.msg, "row 3"));
    /* Other hashing: refused with a message that says what to do. */
    heft_read_opts ro;
    heft_dataset_read_opts(tr, &ro);
    ro.hash_bits = 12;
    heft_dataset *te2 = NULL;
    CHECK_OK(heft_dataset_read_mem(tiny_test, strlen(tiny_test), "t2", &ro,
                                   &te2, &e));
    o = heft_audit_opts_default();
    CHECK(heft_audit_run(tr, te2, &o, &a, &e) == HEFT_EINVAL);
    CHECK(a == NULL && strstr(e.msg, "training set's options"));
    heft_dataset_free(te2);
    heft_dataset_free(tr);
    heft_dataset_free(te);
}

/* ---- real data ------------------------------------------------------------- */

void test_audit_real_criteo(void)
{
    const char *trp = heft_test_data("criteo-subset/train.csv");
    const char *tep = heft_test_data("criteo-subset/test.csv");
    if (!trp || !tep)
        SKIP("criteo-subset not found under ../shared/data");
    heft_read_opts ro = heft_read_opts_default();
    ro.threads = 1;
    heft_dataset *tr = NULL, *te = NULL;
    heft_error e;
    CHECK_OK(heft_dataset_read(trp, &ro, &tr, &e));
    REQUIRE(tr);
    heft_dataset_read_opts(tr, &ro);
    ro.threads = 1;
    CHECK_OK(heft_dataset_read(tep, &ro, &te, &e));
    REQUIRE(te);
    heft_audit_opts o = heft_audit_opts_default();
    heft_audit *a = NULL;
    CHECK_OK(heft_audit_run(tr, te, &o, &a, &e));
    REQUIRE(a);
    CHECK(a->train_rows == 7200 && a->test_rows == 391 && a->n_fields == 39);
    /* PROVENANCE.md: the split was random. So no leakage, no significant
     * label shift (21.5% vs 22.0%), and the unseen share of test rows
     * close to train's leave-one-out estimate, although most test rows
     * carry some value new to train. */
    CHECK(a->dup_rows == 0 && a->conflict_rows == 0);
    CHECK_NEAR(a->train_rate, 1548.0 / 7200, 0.002);
    CHECK(a->label_p > 0.05);
    CHECK(a->unseen_share > 0.5);
    CHECK(fabs(a->unseen_share - a->expected_unseen) < 0.05);
    for (size_t i = 0; i < a->n_findings; i++)
        CHECK(a->findings[i].kind != HEFT_AUDIT_DRIFT &&
              a->findings[i].kind != HEFT_AUDIT_DUP_LEAK);
    /* Planted drift: the test set's label-1 rows only, compared with
     * train: label shift found and ranked high. */
    const float *y = heft_dataset_labels(te);
    uint64_t pos[400];
    size_t np = 0;
    for (size_t i = 0; i < 391; i++)
        if (y[i] > 0)
            pos[np++] = i;
    heft_dataset *tp = NULL;
    CHECK_OK(heft_dataset_subset(te, pos, np, &tp, &e));
    heft_audit *b = NULL;
    CHECK_OK(heft_audit_run(tr, tp, &o, &b, &e));
    REQUIRE(b);
    int shift = 0;
    for (size_t i = 0; i < b->n_findings; i++)
        shift |= b->findings[i].kind == HEFT_AUDIT_LABEL_SHIFT &&
                 b->findings[i].level == 3;
    CHECK(shift);
    heft_audit_free(b);
    heft_dataset_free(tp);
    heft_audit_free(a);
    heft_dataset_free(tr);
    heft_dataset_free(te);
}

void test_audit_segment_finding(void)
{
    /* 800 test rows in two segments: in segment 1 the scores rank the
     * labels perfectly, in segment 2 they are noise. Segment 2 is found,
     * segment 1 is not. */
    enum { N = 800 };
    static uint64_t rp[N + 1], keys[N];
    static uint32_t feat[N];
    static float y[N], p[N];
    uint64_t s = 42;
    for (size_t i = 0; i < N; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        rp[i] = i;
        feat[i] = (uint32_t)(i % 2);
        y[i] = (float)((s >> 33) % 3 == 0);
        const double u = (double)((s >> 11) % 1000) / 1000.0;
        p[i] = (float)(i % 2 == 0 ? 0.5 * u + 0.5 * y[i] : u);
        keys[i] = 1 + i % 2;
    }
    rp[N] = N;
    heft_dataset *ds = NULL;
    heft_error e;
    CHECK_OK(heft_dataset_from_csr(N, rp, feat, NULL, NULL, y, NULL, NULL, 4,
                                   &ds, &e));
    REQUIRE(ds);
    heft_audit_opts o = heft_audit_opts_default();
    o.pred = p;
    o.segment = keys;
    heft_audit *a = NULL;
    CHECK_OK(heft_audit_run(ds, ds, &o, &a, &e));
    REQUIRE(a && a->n_segments == 2);
    int found = 0;
    for (size_t i = 0; i < a->n_findings; i++)
        if (a->findings[i].kind == HEFT_AUDIT_SEGMENT) {
            const heft_audit_segment *sg = &a->segments[a->findings[i].segment];
            CHECK(sg->key == 2);
            CHECK(sg->auc < 0.6);
            found++;
        }
    CHECK(found == 1);
    heft_audit_free(a);
    heft_dataset_free(ds);
}
