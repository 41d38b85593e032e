/*
 * test_bench.c: the benchmark library (src/bench): the paired bootstrap
 * against brute-force weighted metrics, intervals and the paired test,
 * the pruning frontier, Spearman against a hand-rolled rank correlation,
 * random subsets, the linear datamodeling score on a datamodel that is
 * exactly additive, relabelling, and retraining against heft_train.
 */
#include "test.h"

/* A small deterministic generator for test data (not the library's). */
static uint64_t tb_state;
static double tb_unif(void)
{
    tb_state += 0x9e3779b97f4a7c15ULL;
    uint64_t z = tb_state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1p-53;
}

/* Labels and predictions with some signal and some ties (pred rounded to
 * 1/20). */
static void tb_data(size_t n, uint64_t seed, float *y, float *p)
{
    tb_state = seed;
    for (size_t i = 0; i < n; i++) {
        y[i] = tb_unif() < 0.3;
        double q = 0.3 + (y[i] > 0 ? 0.2 : -0.1) + 0.3 * (tb_unif() - 0.5);
        p[i] = (float)(round(q * 20) / 20);
    }
}

/* Weighted AUC by pairs (ties half). */
static double brute_auc(const float *y, const float *p, const double *w,
                        size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            if (!(y[i] > 0) || y[j] > 0)
                continue;
            const double ww = w[i] * w[j];
            num += ww * (p[i] > p[j] ? 1 : p[i] == p[j] ? 0.5 : 0);
            den += ww;
        }
    return den > 0 ? num / den : NAN;
}

static double brute_logloss(const float *y, const float *p, const double *w,
                            size_t n, int ne)
{
    double L = 0, W = 0, Wy = 0;
    for (size_t i = 0; i < n; i++) {
        double q = p[i] < 1e-15 ? 1e-15 : p[i] > 1 - 1e-15 ? 1 - 1e-15 : p[i];
        L -= w[i] * (y[i] > 0 ? log(q) : log(1 - q));
        W += w[i];
        Wy += w[i] * (y[i] > 0);
    }
    const double r = Wy / W, h = -r * log(r) - (1 - r) * log(1 - r);
    return ne ? L / W / h : L / W;
}

void test_bench_boot_oracle(void)
{
    enum { N = 120, B = 7 };
    float y[N], p[N], m[N];
    double w[N], out[B + 1];
    tb_data(N, 11, y, p);
    for (size_t i = 0; i < N; i++)
        m[i] = (float)(i % 3 == 0 ? 1.0 : i % 3 == 1 ? 0.5 : 0.0);
    heft_bench_boot_opts o = heft_bench_boot_opts_default();
    o.resamples = B;
    o.seed = 5;
    const float *sets[1] = {p};
    const heft_bench_metric metrics[] = {HEFT_BENCH_AUC, HEFT_BENCH_LOGLOSS,
                                         HEFT_BENCH_NE, HEFT_BENCH_F1};
    for (size_t k = 0; k < 4; k++) {
        sets[0] = metrics[k] == HEFT_BENCH_F1 ? m : p;
        CHECK_OK(heft_bench_resample(y, sets, 1, N, metrics[k], &o, out,
                                     NULL));
        for (int b = 0; b <= B; b++) {
            double sw = 0;
            for (size_t i = 0; i < N; i++)
                sw += w[i] = heft_bench_boot_weight(o.seed, b, i);
            CHECK(b > 0 || sw == N);
            double want;
            if (metrics[k] == HEFT_BENCH_AUC)
                want = brute_auc(y, p, w, N);
            else if (metrics[k] == HEFT_BENCH_F1) {
                double a = 0, c = 0, d = 0;
                for (size_t i = 0; i < N; i++) {
                    a += w[i] * m[i] * (y[i] > 0);
                    c += w[i] * m[i];
                    d += w[i] * (y[i] > 0);
                }
                want = 2 * a / (c + d);
            } else
                want = brute_logloss(y, p, w, N,
                                     metrics[k] == HEFT_BENCH_NE);
            CHECK_NEAR(out[b], want, 1e-9);
        }
    }
}

/* Poisson(1): mean and variance 1; resamples differ; the b = 0 sample is
 * the data itself. */
void test_bench_boot_weights(void)
{
    double s = 0, s2 = 0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        const double w = heft_bench_boot_weight(3, 1 + i % 50, (uint64_t)i);
        s += w;
        s2 += w * w;
    }
    const double mean = s / n, var = s2 / n - mean * mean;
    CHECK_NEAR(mean, 1.0, 0.01);
    CHECK_NEAR(var, 1.0, 0.02);
    int differ = 0;
    for (uint64_t i = 0; i < 100; i++)
        differ += heft_bench_boot_weight(3, 1, i) !=
                  heft_bench_boot_weight(3, 2, i);
    CHECK(differ > 30);
}

/* The mean over sets, thread independence, and argument errors. */
void test_bench_boot_sets_threads(void)
{
    enum { N = 300, B = 50 };
    float y[N], y2[N], p1[N], p2[N];
    tb_data(N, 2, y2, p2); /* a second model's predictions of the rows */
    tb_data(N, 1, y, p1);
    double a[B + 1], b1[B + 1], b2[B + 1], c[B + 1];
    heft_bench_boot_opts o = heft_bench_boot_opts_default();
    o.resamples = B;
    o.resample_sets = 0;
    const float *both[2] = {p1, p2}, *one[1] = {p1}, *two[1] = {p2};
    CHECK_OK(heft_bench_resample(y, both, 2, N, HEFT_BENCH_AUC, &o, a, NULL));
    CHECK_OK(heft_bench_resample(y, one, 1, N, HEFT_BENCH_AUC, &o, b1, NULL));
    CHECK_OK(heft_bench_resample(y, two, 1, N, HEFT_BENCH_AUC, &o, b2, NULL));
    for (int b = 0; b <= B; b++)
        CHECK_NEAR(a[b], 0.5 * (b1[b] + b2[b]), 1e-12);
    o.threads = 2;
    CHECK_OK(heft_bench_resample(y, both, 2, N, HEFT_BENCH_AUC, &o, c, NULL));
    CHECK(memcmp(a, c, sizeof a) == 0);
    heft_error err;
    o.resamples = 0;
    CHECK(heft_bench_resample(y, both, 2, N, HEFT_BENCH_AUC, &o, c, &err) ==
          HEFT_EINVAL);
    o.resamples = 5;
    p1[7] = NAN;
    CHECK(heft_bench_resample(y, one, 1, N, HEFT_BENCH_AUC, &o, c, &err) ==
          HEFT_EINVAL);
    CHECK(strstr(err.msg, "NaN") != NULL);
}

/* Resampling the sets (training seeds): resample 0 is the mean of the
 * two sets; each other resample averages two sets drawn with replacement,
 * so it equals set 1's value, set 2's or their mean, and over 60
 * resamples all three occur; the same sets give the one-level result; two
 * calls with the same seed draw the same sets (paired: difference 0). */
void test_bench_boot_seed_resample(void)
{
    enum { N = 300, B = 60 };
    float y[N], y2[N], p1[N], p2[N];
    tb_data(N, 2, y2, p2);
    tb_data(N, 1, y, p1);
    double a[B + 1], a2[B + 1], b1[B + 1], b2[B + 1], c[B + 1];
    heft_bench_boot_opts o = heft_bench_boot_opts_default();
    o.resamples = B;
    CHECK(o.resample_sets == 1);
    const float *both[2] = {p1, p2}, *one[1] = {p1}, *two[1] = {p2};
    const float *same[2] = {p1, p1};
    CHECK_OK(heft_bench_resample(y, both, 2, N, HEFT_BENCH_AUC, &o, a, NULL));
    CHECK_OK(heft_bench_resample(y, one, 1, N, HEFT_BENCH_AUC, &o, b1, NULL));
    CHECK_OK(heft_bench_resample(y, two, 1, N, HEFT_BENCH_AUC, &o, b2, NULL));
    CHECK_NEAR(a[0], 0.5 * (b1[0] + b2[0]), 1e-12);
    int n1 = 0, n2 = 0, nm = 0;
    for (int b = 1; b <= B; b++) {
        const int is1 = fabs(a[b] - b1[b]) < 1e-12;
        const int is2 = fabs(a[b] - b2[b]) < 1e-12;
        const int ism = fabs(a[b] - 0.5 * (b1[b] + b2[b])) < 1e-12;
        CHECK(is1 || is2 || ism);
        n1 += is1 && !is2;
        n2 += is2 && !is1;
        nm += ism && !is1 && !is2;
    }
    CHECK(n1 > 0 && n2 > 0 && nm > 0);
    CHECK_OK(heft_bench_resample(y, same, 2, N, HEFT_BENCH_AUC, &o, c, NULL));
    for (int b = 0; b <= B; b++)
        CHECK_NEAR(c[b], b1[b], 1e-12);
    CHECK_OK(heft_bench_resample(y, both, 2, N, HEFT_BENCH_AUC, &o, a2, NULL));
    heft_bench_paired d = heft_bench_compare(a, a2, B);
    CHECK(d.diff == 0 && d.lo == 0 && d.hi == 0);
    /* Other predictions, same seed and number of sets: the same sets are
     * drawn in every resample (what keeps two curves paired). */
    float p3[N];
    for (int i = 0; i < N; i++)
        p3[i] = 1.0f - p2[i] * 0.5f;
    const float *other[2] = {p1, p3}, *three[1] = {p3};
    double o2[B + 1], b3[B + 1];
    CHECK_OK(heft_bench_resample(y, other, 2, N, HEFT_BENCH_AUC, &o, o2, NULL));
    CHECK_OK(heft_bench_resample(y, three, 1, N, HEFT_BENCH_AUC, &o, b3, NULL));
    for (int b = 1; b <= B; b++) {
        const int is1 = fabs(a[b] - b1[b]) < 1e-12 && fabs(a[b] - b2[b]) > 1e-12;
        const int is2 = fabs(a[b] - b2[b]) < 1e-12 && fabs(a[b] - b1[b]) > 1e-12;
        if (is1)
            CHECK_NEAR(o2[b], b1[b], 1e-12);
        else if (is2)
            CHECK_NEAR(o2[b], b3[b], 1e-12);
        else
            CHECK_NEAR(o2[b], 0.5 * (b1[b] + b3[b]), 1e-12);
    }
}

/* Percentile intervals and the paired test: a model against itself has
 * difference 0 and p = 1; a perfect ranking against a noisy one differs
 * with p at the floor, and its paired interval is narrower than either
 * model's own. */
void test_bench_compare(void)
{
    double x[101];
    x[0] = 42;
    for (int b = 1; b <= 100; b++)
        x[b] = 101 - b; /* 100 .. 1 */
    double lo, hi;
    heft_bench_interval(x, 100, &lo, &hi);
    CHECK_NEAR(lo, 1 + 0.025 * 99, 1e-9);
    CHECK_NEAR(hi, 1 + 0.975 * 99, 1e-9);
    enum { N = 400, B = 200 };
    float y[N], p[N], perfect[N];
    tb_data(N, 9, y, p);
    for (size_t i = 0; i < N; i++)
        perfect[i] = y[i] > 0 ? 0.9f : 0.1f;
    heft_bench_boot_opts o = heft_bench_boot_opts_default();
    o.resamples = B;
    double a[B + 1], c[B + 1];
    const float *sa[1] = {p}, *sc[1] = {perfect};
    CHECK_OK(heft_bench_resample(y, sa, 1, N, HEFT_BENCH_AUC, &o, a, NULL));
    CHECK_OK(heft_bench_resample(y, sc, 1, N, HEFT_BENCH_AUC, &o, c, NULL));
    heft_bench_paired self = heft_bench_compare(a, a, B);
    CHECK(self.diff == 0 && self.lo == 0 && self.hi == 0 && self.p == 1);
    heft_bench_paired d = heft_bench_compare(c, a, B);
    CHECK_NEAR(d.diff, 1.0 - a[0], 1e-12);
    CHECK(d.lo > 0 && d.hi >= d.lo);
    CHECK_NEAR(d.p, 2.0 / (B + 1), 1e-12);
    double alo, ahi;
    heft_bench_interval(a, B, &alo, &ahi);
    CHECK(alo < a[0] && a[0] < ahi);
}

void test_bench_frontier(void)
{
    const double auc[] = {0.70, 0.74, 0.749, 0.7495, 0.7499, 0.75};
    CHECK(heft_bench_frontier(auc, 6, 0.75, 0.001) == 3); /* bar 0.74925 */
    CHECK(heft_bench_frontier(auc, 6, 0.75, 0.0) == 5);
    CHECK(heft_bench_frontier(auc, 6, 0.75, 0.1) == 0);
    /* A dip above the bar breaks "stays within". */
    const double dip[] = {0.75, 0.75, 0.70, 0.75};
    CHECK(heft_bench_frontier(dip, 4, 0.75, 0.001) == 3);
    const double low[] = {0.75, 0.70};
    CHECK(heft_bench_frontier(low, 2, 0.75, 0.001) == -1);
    const double nanv[] = {0.75, NAN, 0.75};
    CHECK(heft_bench_frontier(nanv, 3, 0.75, 0.001) == 2);
}

/* Pearson of mean ranks, by a quadratic rank count. */
static double brute_spearman(const double *x, const double *y, size_t n)
{
    double rx[64], ry[64];
    for (size_t i = 0; i < n; i++) {
        double lx = 0, ex = 0, ly = 0, ey = 0;
        for (size_t j = 0; j < n; j++) {
            lx += x[j] < x[i];
            ex += x[j] == x[i];
            ly += y[j] < y[i];
            ey += y[j] == y[i];
        }
        rx[i] = lx + (ex + 1) / 2;
        ry[i] = ly + (ey + 1) / 2;
    }
    double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        mx += rx[i] / n;
        my += ry[i] / n;
    }
    for (size_t i = 0; i < n; i++) {
        sxy += (rx[i] - mx) * (ry[i] - my);
        sxx += (rx[i] - mx) * (rx[i] - mx);
        syy += (ry[i] - my) * (ry[i] - my);
    }
    return sxy / sqrt(sxx * syy);
}

void test_bench_spearman(void)
{
    const double x[] = {1, 2, 3, 4, 5}, y[] = {2, 4, 6, 8, 100};
    const double z[] = {5, 4, 3, 2, 1};
    double r;
    CHECK_OK(heft_bench_spearman(x, y, 5, &r, NULL));
    CHECK_NEAR(r, 1.0, 1e-12);
    CHECK_OK(heft_bench_spearman(x, z, 5, &r, NULL));
    CHECK_NEAR(r, -1.0, 1e-12);
    /* Ties: against the quadratic oracle, on random data with few
     * distinct values. */
    tb_state = 77;
    double a[40], b[40];
    for (int i = 0; i < 40; i++) {
        a[i] = floor(tb_unif() * 6);
        b[i] = a[i] + floor(tb_unif() * 4);
    }
    CHECK_OK(heft_bench_spearman(a, b, 40, &r, NULL));
    CHECK_NEAR(r, brute_spearman(a, b, 40), 1e-12);
    CHECK(r > 0.3 && r < 1);
    const double c[] = {3, 3, 3, 3, 3};
    CHECK_OK(heft_bench_spearman(x, c, 5, &r, NULL));
    CHECK(isnan(r));
    const double bad[] = {1, NAN, 3, 4, 5};
    CHECK(heft_bench_spearman(x, bad, 5, &r, NULL) == HEFT_EINVAL);
}

void test_bench_subset(void)
{
    enum { N = 101 };
    uint8_t m1[N], m2[N], m3[N];
    CHECK_OK(heft_bench_subset(N, 0.5, 3, 0, m1, NULL));
    CHECK_OK(heft_bench_subset(N, 0.5, 3, 0, m2, NULL));
    CHECK_OK(heft_bench_subset(N, 0.5, 3, 1, m3, NULL));
    size_t k = 0, same = 0;
    for (size_t i = 0; i < N; i++) {
        CHECK(m1[i] <= 1);
        k += m1[i];
        same += m1[i] == m3[i];
    }
    CHECK(k == 51); /* round(50.5) */
    CHECK(memcmp(m1, m2, N) == 0);
    CHECK(same < N);
    CHECK(heft_bench_subset(N, 1.0, 3, 0, m1, NULL) == HEFT_EINVAL);
    CHECK(heft_bench_subset(N, 0.0, 3, 0, m1, NULL) == HEFT_EINVAL);
}

/* An exactly additive datamodel: the loss change of a subset is minus the
 * sum of its rows' values, so LDS = 1; the negated values give -1; and the
 * resamples of two valuations computed with one seed are paired. */
void test_bench_lds(void)
{
    enum { N = 60, M = 30, B = 40 };
    float v[N], neg[N], noise[N];
    uint8_t member[M * N];
    double actual[M], out[B + 1], out2[B + 1];
    tb_state = 5;
    for (size_t i = 0; i < N; i++) {
        v[i] = (float)(tb_unif() - 0.3);
        neg[i] = -v[i];
        noise[i] = (float)tb_unif();
    }
    for (size_t j = 0; j < M; j++) {
        CHECK_OK(heft_bench_subset(N, 0.5, 9, j, member + j * N, NULL));
        double s = 0;
        for (size_t i = 0; i < N; i++)
            s += member[j * N + i] ? v[i] : 0;
        actual[j] = 0.25 - s; /* any constant offset */
    }
    CHECK_OK(heft_bench_lds(v, N, member, actual, M, B, 4, out, NULL));
    CHECK_NEAR(out[0], 1.0, 1e-12);
    for (int b = 1; b <= B; b++)
        CHECK(isnan(out[b]) || fabs(out[b] - 1.0) < 1e-12);
    CHECK_OK(heft_bench_lds(neg, N, member, actual, M, B, 4, out2, NULL));
    CHECK_NEAR(out2[0], -1.0, 1e-12);
    CHECK_OK(heft_bench_lds(noise, N, member, actual, M, B, 4, out2, NULL));
    CHECK(fabs(out2[0]) < 0.6);
    const heft_bench_paired d = heft_bench_compare(out, out2, B);
    CHECK(d.lo > 0 && d.p < 0.05);
}

/* A dataset of n rows: 4 fields, label from a linear rule with noise. */
static heft_dataset *tb_dataset(size_t n, uint64_t seed)
{
    uint64_t *rp = malloc((n + 1) * sizeof *rp);
    uint32_t *feat = malloc(4 * n * sizeof *feat);
    uint16_t *field = malloc(4 * n * sizeof *field);
    float *lab = malloc(n * sizeof *lab);
    tb_state = seed;
    rp[0] = 0;
    for (size_t i = 0; i < n; i++) {
        double z = -1;
        for (int f = 0; f < 4; f++) {
            const uint32_t t = (uint32_t)(tb_unif() * 8);
            feat[4 * i + f] = (uint32_t)(f * 16 + t);
            field[4 * i + f] = (uint16_t)f;
            z += (t < 3 ? 0.8 : -0.2) * (f + 1) * 0.5;
        }
        lab[i] = tb_unif() < 1 / (1 + exp(-z));
        rp[i + 1] = 4 * (i + 1);
    }
    heft_dataset *ds = NULL;
    heft_dataset_from_csr(n, rp, feat, NULL, field, lab, NULL, NULL, 8, &ds,
                          NULL);
    free(rp);
    free(feat);
    free(field);
    free(lab);
    return ds;
}

/* Retraining: a job on every row predicts exactly what heft_train's model
 * predicts; a subset job what a model on heft_dataset_subset predicts; the
 * thread count changes nothing; neg_rate recalibrates. */
void test_bench_retrain(void)
{
    heft_dataset *tr = tb_dataset(600, 1), *te = tb_dataset(200, 2);
    REQUIRE(tr && te);
    heft_train_opts to = heft_train_opts_default(HEFT_MODEL_LR);
    to.lr = 0.1;
    enum { NT = 200 };
    static float p[4][NT], q[4][NT], direct[NT], sub_p[NT];
    uint64_t rows[300];
    for (size_t i = 0; i < 300; i++)
        rows[i] = 2 * i;
    heft_bench_job jobs[4] = {{NULL, 0, 1, 7, p[0]},
                              {rows, 300, 1, 7, p[1]},
                              {rows, 300, 0.5, 7, p[2]},
                              {rows, 150, 1, 3, p[3]}};
    CHECK_OK(heft_bench_retrain(tr, te, &to, jobs, 4, 1, NULL, NULL, NULL));
    heft_bench_job jobs2[4];
    memcpy(jobs2, jobs, sizeof jobs);
    for (int k = 0; k < 4; k++)
        jobs2[k].pred = q[k];
    CHECK_OK(heft_bench_retrain(tr, te, &to, jobs2, 4, 2, NULL, NULL, NULL));
    CHECK(memcmp(p, q, sizeof p) == 0);
    heft_model *m = NULL;
    heft_dataset *sub = NULL;
    to.seed = 7;
    CHECK_OK(heft_train(tr, NULL, &to, &m, NULL));
    CHECK_OK(heft_predict(m, te, direct, 1, NULL));
    heft_model_free(m);
    m = NULL;
    CHECK(memcmp(direct, p[0], sizeof direct) == 0);
    CHECK_OK(heft_dataset_subset(tr, rows, 300, &sub, NULL));
    CHECK_OK(heft_train(sub, NULL, &to, &m, NULL));
    CHECK_OK(heft_predict(m, te, sub_p, 1, NULL));
    CHECK(memcmp(sub_p, p[1], sizeof sub_p) == 0);
    for (int i = 0; i < NT; i++)
        CHECK_NEAR(p[2][i], heft_negsample_calibrate(p[1][i], 0.5), 1e-6);
    CHECK(memcmp(p[1], p[3], sizeof p[1]) != 0);
    heft_error err;
    jobs[1].n_rows = 0;
    CHECK(heft_bench_retrain(tr, te, &to, jobs, 2, 1, NULL, NULL, &err) ==
          HEFT_EINVAL);
    heft_model_free(m);
    heft_dataset_free(sub);
    heft_dataset_free(tr);
    heft_dataset_free(te);
}

/* Relabelling keeps the rows and the schema and replaces the labels. */
void test_bench_relabel(void)
{
    const char *tsv = "click\tcolor\tprice\n1\tred\t3\n0\tblue\t1\n"
                      "0\tred\t2\n1\tgreen\t5\n";
    heft_read_opts ro = heft_read_opts_default();
    ro.format = HEFT_FMT_TSV;
    ro.label_col = "click";
    heft_dataset *ds = NULL, *re = NULL;
    CHECK_OK(heft_dataset_read_mem(tsv, strlen(tsv), "t.tsv", &ro, &ds, NULL));
    REQUIRE(ds);
    const uint64_t rows[5] = {3, 0, 0, 1, 2};
    const float lab[5] = {0, 0, 1, 1, 1};
    CHECK_OK(heft_bench_relabel(ds, rows, 5, lab, &re, NULL));
    REQUIRE(re);
    CHECK(heft_dataset_rows(re) == 5);
    CHECK(memcmp(heft_dataset_labels(re), lab, sizeof lab) == 0);
    CHECK(heft_dataset_labels(ds)[0] == 1); /* the source is untouched */
    CHECK(strcmp(heft_dataset_field_name(re, 0),
                 heft_dataset_field_name(ds, 0)) == 0);
    /* A model trained on the copy predicts data read like the source. */
    heft_train_opts to = heft_train_opts_default(HEFT_MODEL_LR);
    heft_model *m = NULL;
    float p[4];
    CHECK_OK(heft_train(re, NULL, &to, &m, NULL));
    CHECK_OK(heft_predict(m, ds, p, 1, NULL));
    heft_model_free(m);
    heft_dataset *bad = NULL;
    const float neg[5] = {0, -1, 0, 0, 0};
    heft_error err;
    CHECK(heft_bench_relabel(ds, rows, 5, neg, &bad, &err) == HEFT_EINVAL);
    CHECK(bad == NULL);
    heft_dataset_free(re);
    heft_dataset_free(ds);
}
