/* test_select.c: selection, reweighting, score files and negative
 * downsampling with calibrated prediction (src/select, docs/select.md).
 * Oracles are brute force on tiny data: sorting by hand, counting per
 * stratum, many seeded draws against their expectations. */
#include "test.h"

#include "core.h"
#include "select_int.h"

/* Labels, groups and scores of a tiny data set of n rows: scores drawn
 * from a few values so ties occur, about a third positive, ngroups groups
 * of uneven sizes. */
typedef struct tiny {
    size_t n;
    float *label, *score;
    uint64_t *group;
} tiny;

static tiny tiny_make(size_t n, unsigned ngroups, uint64_t seed)
{
    tiny t = {n, calloc(n, sizeof(float)), calloc(n, sizeof(float)),
              calloc(n, sizeof(uint64_t))};
    heft__rng r;
    heft__rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        t.label[i] = heft__rng_uniform(&r) < 0.35 ? 1.0f : 0.0f;
        t.score[i] = (float)heft__rng_below(&r, 7) - 2.0f; /* -2..4, ties */
        const double u = heft__rng_uniform(&r);
        t.group[i] = 100 + (uint64_t)(u * u * ngroups); /* uneven sizes */
    }
    return t;
}

static void tiny_free(tiny *t)
{
    free(t->label);
    free(t->score);
    free(t->group);
}

static heft_selection *run_sel(const tiny *t, const heft_select_opts *o)
{
    heft_selection *s = NULL;
    heft_error err;
    heft_status st = heft_select(t->label, t->group, t->n, t->score, o, &s,
                                 &err);
    if (st != HEFT_OK)
        fprintf(stderr, "  heft_select: %s\n", err.msg);
    return s;
}

/* kept[i] = 1 for the rows of s. */
static void mark(const heft_selection *s, size_t n, uint8_t *kept)
{
    memset(kept, 0, n);
    for (size_t k = 0; k < s->n; k++)
        kept[s->rows[k]] = 1;
}

/* ---- calibration after negative downsampling ---------------------------- */

void test_select_negsample_calibrate(void)
{
    CHECK_NEAR(heft_negsample_calibrate(0.5, 0.1), 0.5 / (0.5 + 5.0), 1e-15);
    CHECK_NEAR(heft_negsample_calibrate(0.3, 1.0), 0.3, 0);
    CHECK_NEAR(heft_negsample_calibrate(0.0, 0.2), 0.0, 0);
    CHECK_NEAR(heft_negsample_calibrate(1.0, 0.2), 1.0, 0);
    /* Downsampling negatives at W multiplies the odds by 1/W; calibrating
     * must undo exactly that for every true probability q. */
    const double qs[] = {1e-4, 0.01, 0.2, 0.5, 0.97};
    const double ws[] = {0.01, 0.1, 0.5, 0.9};
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < 4; j++) {
            const double odds = qs[i] / (1 - qs[i]) / ws[j];
            const double p = odds / (1 + odds);
            CHECK_NEAR(heft_negsample_calibrate(p, ws[j]), qs[i], 1e-12);
            CHECK(heft_negsample_calibrate(p, ws[j]) <= p);
        }
}

/* ---- keep / drop / threshold against sorting by hand -------------------- */

/* The oracle: rows sorted by score descending, ties by row; the first k. */
static void oracle_top(const float *s, size_t n, size_t k, uint8_t *kept)
{
    memset(kept, 0, n);
    for (size_t r = 0; r < k; r++) {
        size_t best = n;
        for (size_t i = 0; i < n; i++)
            if (!kept[i] && (best == n || s[i] > s[best]))
                best = i; /* first of equal scores = lowest row */
        kept[best] = 1;
    }
}

void test_select_keep_drop_oracle(void)
{
    tiny t = tiny_make(23, 3, 5);
    uint8_t got[23], want[23];
    const double fr[] = {0, 0.1, 0.37, 0.5, 0.9, 1};
    for (size_t f = 0; f < 6; f++) {
        heft_select_opts o = heft_select_opts_default();
        o.mode = HEFT_SELECT_KEEP;
        o.fraction = fr[f];
        heft_selection *s = run_sel(&t, &o);
        REQUIRE(s);
        const size_t k = (size_t)floor(fr[f] * 23 + 0.5);
        CHECK(s->n == k);
        mark(s, 23, got);
        oracle_top(t.score, 23, k, want);
        CHECK(!memcmp(got, want, 23));
        for (size_t j = 1; j < s->n; j++)
            CHECK(s->rows[j - 1] < s->rows[j]);
        CHECK(s->all_weights_one && s->neg_rate == 1.0);
        heft_selection_free(s);
        /* drop F removes the round(F n) lowest: keeps the n - that top. */
        o.mode = HEFT_SELECT_DROP;
        s = run_sel(&t, &o);
        REQUIRE(s);
        CHECK(s->n == 23 - k);
        mark(s, 23, got);
        oracle_top(t.score, 23, 23 - k, want);
        CHECK(!memcmp(got, want, 23));
        heft_selection_free(s);
    }
    /* threshold: exactly the rows scoring >= T. */
    heft_select_opts o = heft_select_opts_default();
    o.mode = HEFT_SELECT_THRESHOLD;
    o.threshold = 1.0;
    heft_selection *s = run_sel(&t, &o);
    REQUIRE(s);
    mark(s, 23, got);
    for (size_t i = 0; i < 23; i++)
        CHECK(got[i] == (t.score[i] >= 1.0f));
    heft_selection_free(s);
    tiny_free(&t);
}

/* ---- stratified shares -------------------------------------------------- */

/* Checks a stratified keep: every stratum keeps floor or ceil of its share
 * and its top-scored rows, and the total is round(F n). */
static void check_strata(const tiny *t, const heft_selection *s, double f,
                         int by_label, int by_group)
{
    uint8_t *kept = calloc(t->n, 1);
    mark(s, t->n, kept);
    CHECK(s->n == (size_t)floor(f * (double)t->n + 0.5));
    for (size_t a = 0; a < t->n; a++) {
        size_t ns = 0, ks = 0;
        for (size_t b = 0; b < t->n; b++) {
            const int same = (!by_group || t->group[a] == t->group[b]) &&
                             (!by_label ||
                              (t->label[a] > 0) == (t->label[b] > 0));
            if (!same)
                continue;
            ns++;
            ks += kept[b];
            /* Within the stratum nothing dropped outranks a kept row. */
            if (kept[a] && !kept[b])
                CHECK(t->score[a] > t->score[b] ||
                      (t->score[a] == t->score[b] && a < b));
        }
        CHECK((double)ks >= floor(f * (double)ns) &&
              (double)ks <= ceil(f * (double)ns));
    }
    free(kept);
}

void test_select_stratified_shares(void)
{
    tiny t = tiny_make(61, 6, 9);
    const int modes[] = {HEFT_STRATIFY_LABEL, HEFT_STRATIFY_GROUP,
                         HEFT_STRATIFY_LABEL | HEFT_STRATIFY_GROUP};
    for (int m = 0; m < 3; m++)
        for (double f = 0.1; f < 1; f += 0.2) {
            heft_select_opts o = heft_select_opts_default();
            o.mode = HEFT_SELECT_KEEP;
            o.fraction = f;
            o.stratify = modes[m];
            heft_selection *s = run_sel(&t, &o);
            REQUIRE(s);
            check_strata(&t, s, f, modes[m] & HEFT_STRATIFY_LABEL,
                         modes[m] & HEFT_STRATIFY_GROUP);
            heft_selection_free(s);
        }
    /* Without group ids, stratifying by group is refused. */
    heft_select_opts o = heft_select_opts_default();
    o.mode = HEFT_SELECT_KEEP;
    o.stratify = HEFT_STRATIFY_GROUP;
    heft_selection *s = NULL;
    heft_error err;
    CHECK(heft_select(t.label, NULL, t.n, t.score, &o, &s, &err) ==
          HEFT_EINVAL);
    CHECK(s == NULL && strstr(err.msg, "group") != NULL);
    tiny_free(&t);
}

/* ---- random and negatives: exact counts, uniform inclusion -------------- */

void test_select_random_uniform(void)
{
    tiny t = tiny_make(40, 4, 3);
    const int seeds = 4000;
    unsigned cnt[40] = {0};
    heft_select_opts o = heft_select_opts_default();
    o.mode = HEFT_SELECT_RANDOM;
    o.fraction = 0.25;
    o.stratify = HEFT_STRATIFY_LABEL;
    for (int s = 0; s < seeds; s++) {
        o.seed = (uint64_t)s;
        heft_selection *sel = run_sel(&t, &o);
        REQUIRE(sel);
        CHECK(sel->n == 10);
        for (size_t k = 0; k < sel->n; k++)
            cnt[sel->rows[k]]++;
        heft_selection_free(sel);
    }
    /* Every row's inclusion rate is its stratum's share (within 5 sd of a
     * binomial; the stratum shares differ from 0.25 by rounding only). */
    size_t npos = 0;
    for (size_t i = 0; i < 40; i++)
        npos += t.label[i] > 0;
    for (size_t i = 0; i < 40; i++) {
        const size_t ns = t.label[i] > 0 ? npos : 40 - npos;
        const double p = 0.25, sd = sqrt(p * (1 - p) / seeds);
        CHECK(fabs(cnt[i] / (double)seeds - p) < 5 * sd + 1.0 / (double)ns);
    }
    tiny_free(&t);
}

void test_select_negatives(void)
{
    tiny t = tiny_make(200, 5, 11);
    size_t npos = 0;
    for (size_t i = 0; i < t.n; i++)
        npos += t.label[i] > 0;
    const size_t nneg = t.n - npos;
    heft_select_opts o = heft_select_opts_default();
    o.mode = HEFT_SELECT_NEGATIVES;
    o.neg_rate = 0.3;
    heft_selection *a = NULL, *b = NULL, *c = NULL;
    heft_error err;
    /* No score is needed. */
    CHECK_OK(heft_select(t.label, t.group, t.n, NULL, &o, &a, &err));
    REQUIRE(a);
    uint8_t *kept = calloc(t.n, 1);
    mark(a, t.n, kept);
    size_t kneg = 0;
    for (size_t i = 0; i < t.n; i++) {
        if (t.label[i] > 0)
            CHECK(kept[i]); /* every positive */
        else
            kneg += kept[i];
    }
    CHECK(kneg == (size_t)floor(0.3 * (double)nneg + 0.5));
    CHECK_NEAR(a->neg_rate, (double)kneg / (double)nneg, 1e-15);
    CHECK(a->all_weights_one);
    /* Same seed, same rows; another seed, other rows. */
    CHECK_OK(heft_select(t.label, t.group, t.n, NULL, &o, &b, &err));
    o.seed = 2;
    CHECK_OK(heft_select(t.label, t.group, t.n, NULL, &o, &c, &err));
    REQUIRE(b && c);
    CHECK(a->n == b->n && !memcmp(a->rows, b->rows, a->n * 8));
    CHECK(a->n == c->n && memcmp(a->rows, c->rows, a->n * 8) != 0);
    heft_selection_free(a);
    heft_selection_free(b);
    heft_selection_free(c);
    free(kept);
    tiny_free(&t);
}

/* ---- importance sampling ------------------------------------------------ */

void test_select_importance_probs(void)
{
    const double imp[8] = {0, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4};
    double p[8];
    heft__select_probs(imp, 8, 0.4, 0.25, p);
    double sum = 0, ratio = NAN;
    for (int i = 0; i < 8; i++) {
        sum += p[i];
        CHECK(p[i] >= 0.4 * 0.25 - 1e-12 && p[i] <= 1);
        if (p[i] > 0.1 + 1e-9 && p[i] < 1 - 1e-9) { /* unclamped */
            if (isnan(ratio))
                ratio = p[i] / imp[i];
            CHECK_NEAR(p[i] / imp[i], ratio, 1e-9);
        }
        if (i)
            CHECK(p[i] >= p[i - 1]);
    }
    CHECK_NEAR(sum, 0.4 * 8, 1e-9);
    /* Brute force: the c that the bisection found, on a fine grid. */
    double best = INFINITY, bc = 0;
    for (double c = 0; c < 2; c += 1e-5) {
        double s = 0;
        for (int i = 0; i < 8; i++)
            s += fmin(1, fmax(0.1, c * imp[i]));
        if (fabs(s - 3.2) < best) {
            best = fabs(s - 3.2);
            bc = c;
        }
    }
    for (int i = 0; i < 8; i++)
        CHECK_NEAR(p[i], fmin(1, fmax(0.1, bc * imp[i])), 1e-4);
    /* Equal importances: the uniform share. */
    const double eq[3] = {2, 2, 2};
    heft__select_probs(eq, 3, 0.5, 0.1, p);
    CHECK(p[0] == 0.5 && p[1] == 0.5 && p[2] == 0.5);
    /* Importances from negated scores are shifted to start at 0. */
    const float neg[3] = {-3, -1, -2};
    double im[3];
    heft__select_importance(neg, 3, im);
    CHECK(im[0] == 0 && im[1] == 2 && im[2] == 1);
}

/* Over many seeds, each row's inclusion rate matches p_i and the 1/p
 * weighted sum of a loss is unbiased for the full sum. */
void test_select_importance_unbiased(void)
{
    tiny t = tiny_make(60, 3, 21);
    double loss[60], full = 0;
    for (size_t i = 0; i < 60; i++) {
        loss[i] = 0.2 + fabs(sin((double)i)) * (1 + t.label[i]);
        full += loss[i];
    }
    heft_select_opts o = heft_select_opts_default();
    o.mode = HEFT_SELECT_IMPORTANCE;
    o.fraction = 0.3;
    o.floor = 0.2;
    o.stratify = HEFT_STRATIFY_LABEL;
    /* The p_i the sampler should use: per label, from the shifted scores. */
    double imp[60], p[60], lo = INFINITY;
    for (size_t i = 0; i < 60; i++)
        lo = fmin(lo, t.score[i]);
    REQUIRE(lo < 0); /* so the scores are shifted by their minimum */
    for (size_t i = 0; i < 60; i++)
        imp[i] = (double)t.score[i] - lo;
    for (int lab = 0; lab < 2; lab++) {
        double ii[60], pp[60];
        size_t idx[60], m = 0;
        for (size_t i = 0; i < 60; i++)
            if ((t.label[i] > 0) == lab) {
                idx[m] = i;
                ii[m++] = imp[i];
            }
        heft__select_probs(ii, m, 0.3, 0.2, pp);
        for (size_t k = 0; k < m; k++)
            p[idx[k]] = pp[k];
    }
    const int seeds = 3000;
    unsigned cnt[60] = {0};
    double mean = 0, var = 0;
    for (size_t i = 0; i < 60; i++)
        var += (1 - p[i]) / p[i] * loss[i] * loss[i];
    for (int s = 0; s < seeds; s++) {
        o.seed = 1000 + (uint64_t)s;
        heft_selection *sel = run_sel(&t, &o);
        REQUIRE(sel);
        double est = 0;
        for (size_t k = 0; k < sel->n; k++) {
            const uint64_t r = sel->rows[k];
            cnt[r]++;
            CHECK_NEAR(sel->weight[k], 1.0 / p[r], 1e-5 / p[r]);
            est += sel->weight[k] * loss[r];
        }
        mean += est / seeds;
        heft_selection_free(sel);
    }
    for (size_t i = 0; i < 60; i++)
        CHECK(fabs(cnt[i] / (double)seeds - p[i]) <
              5 * sqrt(p[i] * (1 - p[i]) / seeds) + 1e-9);
    CHECK(fabs(mean - full) < 4 * sqrt(var / seeds));
    tiny_free(&t);
}

/* ---- reweighting --------------------------------------------------------- */

void test_select_reweight(void)
{
    tiny t = tiny_make(50, 2, 4);
    heft_select_opts o = heft_select_opts_default();
    o.reweight = 1;
    o.weight_min = 0.25;
    o.weight_max = 2.5;
    heft_selection *s = run_sel(&t, &o);
    REQUIRE(s && s->n == 50);
    double sum = 0, ratio = NAN;
    for (size_t k = 0; k < 50; k++) {
        const double w = s->weight[k], I = t.score[k] + 2.0;
        sum += w;
        CHECK(w >= 0.25 - 1e-6 && w <= 2.5 + 1e-6);
        if (w > 0.25 + 1e-6 && w < 2.5 - 1e-6) {
            if (isnan(ratio))
                ratio = w / I;
            CHECK_NEAR(w / I, ratio, 1e-5); /* w_j proportional to I_j */
        }
    }
    CHECK_NEAR(sum / 50, 1.0, 1e-5);
    CHECK(!s->all_weights_one);
    heft_selection_free(s);
    /* After keep, only the kept rows are normalised. */
    o.mode = HEFT_SELECT_KEEP;
    o.fraction = 0.5;
    s = run_sel(&t, &o);
    REQUIRE(s && s->n == 25);
    sum = 0;
    for (size_t k = 0; k < s->n; k++)
        sum += s->weight[k];
    CHECK_NEAR(sum / 25, 1.0, 1e-5);
    heft_selection_free(s);
    /* Equal scores give weight 1. */
    double eq[4] = {3, 3, 3, 3}, w[4];
    heft__select_weights(eq, 4, 0.1, 10, w);
    CHECK(w[0] == 1 && w[3] == 1);
    tiny_free(&t);
}

/* ---- drop mask and option checks ----------------------------------------- */

void test_select_drop_mask_and_checks(void)
{
    tiny t = tiny_make(30, 2, 8);
    uint8_t drop[30] = {0};
    drop[0] = drop[5] = drop[29] = 1;
    heft_select_opts o = heft_select_opts_default();
    o.drop = drop;
    heft_selection *s = run_sel(&t, &o);
    REQUIRE(s);
    CHECK(s->n == 27 && s->n_dropped == 3 && s->rows[0] == 1);
    heft_selection_free(s);
    o.mode = HEFT_SELECT_KEEP;
    o.fraction = 0.5; /* of the 27 left: 14 */
    s = run_sel(&t, &o);
    REQUIRE(s);
    CHECK(s->n == 14);
    for (size_t k = 0; k < s->n; k++)
        CHECK(!drop[s->rows[k]]);
    heft_selection_free(s);
    heft_error err;
    heft_select_opts b = heft_select_opts_default();
    b.mode = HEFT_SELECT_KEEP;
    b.fraction = 1.5;
    CHECK(heft_select_opts_check(&b, 1, &err) == HEFT_EINVAL);
    CHECK(strstr(err.msg, "fraction") != NULL);
    b.fraction = 0.5;
    CHECK(heft_select_opts_check(&b, 0, &err) == HEFT_EINVAL);
    CHECK(strstr(err.msg, "score") != NULL);
    b.mode = HEFT_SELECT_NEGATIVES;
    b.neg_rate = 0;
    CHECK(heft_select_opts_check(&b, 0, &err) == HEFT_EINVAL);
    b.neg_rate = 0.5;
    CHECK_OK(heft_select_opts_check(&b, 0, &err));
    b.reweight = 1;
    b.weight_max = 0.5;
    CHECK(heft_select_opts_check(&b, 1, &err) == HEFT_EINVAL);
    t.score[7] = NAN;
    o.drop = NULL;
    CHECK(heft_select(t.label, t.group, t.n, t.score, &o, &s, &err) ==
          HEFT_EINVAL);
    CHECK(s == NULL && strstr(err.msg, "row 7") != NULL);
    tiny_free(&t);
}

/* ---- score files ----------------------------------------------------------- */

static const char *write_text(const char *name, const char *text)
{
    return heft_test_write(name, text, strlen(text));
}

void test_select_score_file_tsv(void)
{
    const char *p = write_text("s.tsv", "row\tlabel\tloss\tcl\tcl_ok\tdup\n"
                                        "0\t1\t-0.5\t0.9\t1\t1\n"
                                        "1\t0\t-2\t0.1\t0\t0.5\n"
                                        "2\t1\t-0.25\t0.8\t1\t-0.5\r\n"
                                        "3\t0\t-1e-3\t0.7\t1\t1\n");
    write_text("s.groups.tsv", "group_id\tgroup\n7\t0.5\n9\t-0.25\n");
    heft_score_file *f = NULL;
    heft_error err;
    CHECK_OK(heft_score_file_read(p, &f, &err));
    REQUIRE(f);
    CHECK(f->rows == 4 && f->cols == 4 && f->label && f->label[2] == 1);
    CHECK(!strcmp(f->names[0], "loss") && f->col[0][3] == -1e-3f);
    CHECK(heft_score_file_col(f, "dup")[2] == -0.5f);
    CHECK(heft_score_file_col(f, "nope") == NULL);
    CHECK(f->n_groups == 2 && f->group_ids[1] == 9 &&
          f->group_values[1] == -0.25f);
    /* --drop-flagged: cl_ok 0 (row 1), dup < 0 (row 2), group 9 < 0. */
    const uint64_t grp[4] = {7, 7, 7, 9};
    uint8_t drop[4];
    heft_flag_counts c;
    CHECK_OK(heft_select_flag(f, grp, 4, drop, &c, &err));
    CHECK(drop[0] == 0 && drop[1] == 1 && drop[2] == 1 && drop[3] == 1);
    CHECK(c.cl == 1 && c.dup_conflict == 1 && c.group_negative == 1 &&
          c.total == 3);
    CHECK(heft_select_flag(f, NULL, 4, drop, &c, &err) == HEFT_EINVAL);
    CHECK(heft_select_flag(f, grp, 3, drop, &c, &err) == HEFT_EINVAL);
    CHECK(strstr(err.msg, "4 rows") != NULL);
    heft_score_file_free(f);
}

/* Each malformed table fails with its line and column. */
void test_select_score_file_errors(void)
{
    const struct {
        const char *text;
        heft_status code;
        uint64_t line;
        uint32_t col;
        const char *msg;
    } cases[] = {
        {"", HEFT_EEMPTY, 1, 1, "empty"},
        {"row\tloss\n", HEFT_EEMPTY, 2, 1, "no rows"},
        {"id\tloss\n0\t1\n", HEFT_EPARSE, 1, 1, "\"row\""},
        {"group_id\tgroup\n1\t2\n", HEFT_EPARSE, 1, 1, "group table"},
        {"row\tlabel\n0\t1\n", HEFT_EPARSE, 1, 2, "no score column"},
        {"row\tloss\n0\t1\n2\t1\n", HEFT_EPARSE, 3, 1, "row number 1"},
        {"row\tloss\n0\t1\n1\tnan\n", HEFT_EPARSE, 3, 2, "finite"},
        {"row\tloss\n0\t1x\n", HEFT_EPARSE, 2, 2, "finite"},
        {"row\tloss\tcl\n0\t1\n", HEFT_EPARSE, 2, 2, "3 tab-separated"},
        {"row\tloss\n0\t1\t2\n", HEFT_EPARSE, 2, 3, "2 tab-separated"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *p = write_text("bad.tsv", cases[i].text);
        heft_score_file *f = NULL;
        heft_error err;
        heft_status st = heft_score_file_read(p, &f, &err);
        CHECK(st == cases[i].code && f == NULL);
        CHECK(err.line == cases[i].line && err.column == cases[i].col);
        CHECK(!strcmp(err.file, p));
        if (!strstr(err.msg, cases[i].msg))
            fprintf(stderr, "  case %zu: %s\n", i, err.msg);
        CHECK(strstr(err.msg, cases[i].msg) != NULL);
    }
}

/* heft score's own .tsv and .npy outputs read back to the same numbers. */
void test_select_score_file_roundtrip(void)
{
    const size_t n = 300;
    tiny t = tiny_make(n, 4, 2);
    uint64_t *rp = calloc(n + 1, 8);
    uint32_t *feat = calloc(3 * n, 4);
    for (size_t i = 0; i < n; i++) {
        rp[i + 1] = 3 * (i + 1);
        for (int j = 0; j < 3; j++)
            feat[3 * i + (size_t)j] =
                (uint32_t)((i * 7 + (size_t)j * 13 + (t.label[i] > 0)) % 64);
    }
    heft_dataset *ds = NULL;
    heft_error err;
    CHECK_OK(heft_dataset_from_csr(n, rp, feat, NULL, NULL, t.label, NULL,
                                   t.group, 6, &ds, &err));
    REQUIRE(ds);
    heft_score_opts so = heft_score_opts_default(HEFT_MODEL_LR);
    so.methods = "loss,dup";
    so.threads = 1;
    heft_scores *sc = NULL;
    CHECK_OK(heft_score(ds, NULL, NULL, &so, &sc, &err));
    REQUIRE(sc);
    char path[1024];
    const char *fmt[2] = {"%s/sc.tsv", "%s/sc.npy"};
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, fmt[k], heft_test_tmpdir());
        CHECK_OK(heft_scores_write(sc, heft_dataset_labels(ds), path, &err));
        heft_score_file *f = NULL;
        CHECK_OK(heft_score_file_read(path, &f, &err));
        REQUIRE(f);
        CHECK(f->rows == n && f->cols == heft_scores_cols(sc));
        for (size_t j = 0; j < f->cols; j++) {
            const float *a = heft_scores_col(sc, j);
            const float *b = heft_score_file_col(f, heft_scores_name(sc, j));
            REQUIRE(b);
            int same = 1;
            for (size_t i = 0; i < n; i++)
                same &= a[i] == b[i]; /* %.9g and float32 are exact */
            CHECK(same);
        }
        CHECK(k == 1 || (f->label && f->label[n - 1] == t.label[n - 1]));
        heft_score_file_free(f);
    }
    /* A .npy without its sidecar names the missing .json. */
    snprintf(path, sizeof path, "%s/sc.json", heft_test_tmpdir());
    remove(path);
    snprintf(path, sizeof path, "%s/sc.npy", heft_test_tmpdir());
    heft_score_file *f = NULL;
    CHECK(heft_score_file_read(path, &f, &err) != HEFT_OK && !f);
    CHECK(strstr(err.file, "sc.json") != NULL);
    heft_scores_free(sc);
    heft_dataset_free(ds);
    free(rp);
    free(feat);
    tiny_free(&t);
}

/* ---- applying a selection; negative downsampling end to end -------------- */

/* A click log: 4 fields of 20 tokens each, true logit the sum of the
 * tokens' effects minus 2.5 (about 12% positives). Weighted when asked. */
static heft_dataset *click_log(size_t n, uint64_t seed, int weighted)
{
    heft__rng r;
    heft__rng_seed(&r, seed);
    uint64_t *rp = calloc(n + 1, 8);
    uint32_t *feat = calloc(4 * n, 4);
    uint16_t *field = calloc(4 * n, 2);
    float *label = calloc(n, 4), *w = calloc(n, 4);
    for (size_t i = 0; i < n; i++) {
        double z = -2.5;
        for (int f = 0; f < 4; f++) {
            const uint32_t tok = (uint32_t)heft__rng_below(&r, 20);
            feat[4 * i + (size_t)f] = (uint32_t)f * 32 + tok;
            field[4 * i + (size_t)f] = (uint16_t)f;
            z += 0.15 * ((double)tok - 9.5) * (f % 2 ? -1 : 1);
        }
        rp[i + 1] = 4 * (i + 1);
        label[i] = heft__rng_uniform(&r) < 1 / (1 + exp(-z)) ? 1.0f : 0.0f;
        w[i] = 1.0f + (float)(i % 3);
    }
    heft_dataset *ds = NULL;
    heft_dataset_from_csr(n, rp, feat, NULL, field, label,
                          weighted ? w : NULL, NULL, 7, &ds, NULL);
    free(rp);
    free(feat);
    free(field);
    free(label);
    free(w);
    return ds;
}

void test_select_apply_weights(void)
{
    heft_dataset *ds = click_log(50, 3, 1);
    REQUIRE(ds);
    heft_selection sel = {0};
    uint64_t rows[3] = {2, 10, 49};
    float w[3] = {1, 0.5f, 4};
    sel.n = 3;
    sel.rows = rows;
    sel.weight = w;
    sel.n_in = 50;
    heft_dataset *sub = NULL;
    heft_error err;
    CHECK_OK(heft_select_apply(ds, &sel, &sub, &err));
    REQUIRE(sub && heft_dataset_rows(sub) == 3);
    const float *ow = heft_dataset_weights(ds), *sw = heft_dataset_weights(sub);
    REQUIRE(sw);
    for (int k = 0; k < 3; k++) {
        CHECK(sw[k] == ow[rows[k]] * w[k]);
        CHECK(heft_dataset_labels(sub)[k] == heft_dataset_labels(ds)[rows[k]]);
    }
    heft_dataset_free(sub);
    /* Unweighted data with weights all 1 stays unweighted. */
    heft_dataset *plain = click_log(50, 3, 0);
    float ones[3] = {1, 1, 1};
    sel.weight = ones;
    sel.all_weights_one = 1;
    CHECK_OK(heft_select_apply(plain, &sel, &sub, &err));
    CHECK(sub && heft_dataset_weights(sub) == NULL);
    heft_dataset_free(sub);
    sel.n_in = 49;
    CHECK(heft_select_apply(plain, &sel, &sub, &err) == HEFT_EINVAL && !sub);
    heft_dataset_free(plain);
    heft_dataset_free(ds);
}

static double mean_of(const float *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    return s / (double)n;
}

/* Train on every positive and 20% of the negatives: with neg_rate stored
 * the predictions are calibrated on the full data (mean prediction near
 * the base rate), equal to heft_negsample_calibrate of the raw ones, and
 * the model file (version 2) keeps W. */
void test_select_negatives_calibrated_model(void)
{
    const size_t n = 20000;
    heft_dataset *ds = click_log(n, 17, 0);
    REQUIRE(ds);
    heft_select_opts so = heft_select_opts_default();
    so.mode = HEFT_SELECT_NEGATIVES;
    so.neg_rate = 0.2;
    heft_selection *sel = NULL;
    heft_dataset *sub = NULL;
    heft_error err;
    CHECK_OK(heft_select(heft_dataset_labels(ds), NULL, n, NULL, &so, &sel,
                         &err));
    REQUIRE(sel);
    CHECK_OK(heft_select_apply(ds, sel, &sub, &err));
    REQUIRE(sub);
    /* The same rows without the record of W (a plain subset). */
    heft_dataset *plain = NULL, *hds = NULL;
    CHECK_OK(heft_dataset_subset(ds, sel->rows, sel->n, &plain, &err));
    REQUIRE(plain);
    heft_train_opts to = heft_train_opts_default(HEFT_MODEL_LR);
    heft_model *raw = NULL, *cal = NULL, *back = NULL, *given = NULL;
    heft_model *viahds = NULL;
    CHECK_OK(heft_train(plain, NULL, &to, &raw, &err));
    /* heft_select_apply records W: training picks it up by itself... */
    CHECK_OK(heft_train(sub, NULL, &to, &cal, &err));
    /* ...as when it is given, and through an .hds file. */
    to.neg_rate = sel->neg_rate;
    CHECK_OK(heft_train(plain, NULL, &to, &given, &err));
    to.neg_rate = 1;
    char hpath[1024];
    snprintf(hpath, sizeof hpath, "%s/neg.hds", heft_test_tmpdir());
    CHECK_OK(heft_dataset_save(sub, hpath, &err));
    heft_read_opts ro = heft_read_opts_default();
    CHECK_OK(heft_dataset_read(hpath, &ro, &hds, &err));
    REQUIRE(hds);
    CHECK_OK(heft_train(hds, NULL, &to, &viahds, &err));
    REQUIRE(raw && cal && given && viahds);
    CHECK(heft_model_neg_rate(raw) == 1.0);
    CHECK(heft_model_neg_rate(cal) == sel->neg_rate);
    CHECK(heft_model_neg_rate(given) == sel->neg_rate);
    CHECK(heft_model_neg_rate(viahds) == sel->neg_rate);
    float *pr = calloc(n, 4), *pc = calloc(n, 4), *pb = calloc(n, 4);
    CHECK_OK(heft_predict(raw, ds, pr, 1, &err));
    CHECK_OK(heft_predict(cal, ds, pc, 2, &err));
    int same = 1;
    for (size_t i = 0; i < n; i++)
        same &= fabs(pc[i] - heft_negsample_calibrate(pr[i], sel->neg_rate)) <
                1e-6;
    CHECK(same);
    const double base = mean_of(heft_dataset_labels(ds), n);
    CHECK(mean_of(pr, n) / base > 2.0); /* raw: far too high */
    CHECK_NEAR(mean_of(pc, n) / base, 1.0, 0.1);
    /* The file keeps W (version 2); a model without W stays version 1. */
    char path[1024];
    snprintf(path, sizeof path, "%s/cal.heftm", heft_test_tmpdir());
    CHECK_OK(heft_model_save(cal, path, &err));
    CHECK_OK(heft_model_load(path, &back, &err));
    REQUIRE(back);
    CHECK(heft_model_neg_rate(back) == sel->neg_rate);
    CHECK_OK(heft_predict(back, ds, pb, 1, &err));
    CHECK(!memcmp(pb, pc, n * 4));
    FILE *fp = fopen(path, "rb");
    unsigned char head[12] = {0};
    REQUIRE(fp && fread(head, 1, 12, fp) == 12);
    fclose(fp);
    CHECK(head[8] == 2);
    CHECK_OK(heft_model_save(raw, path, &err));
    fp = fopen(path, "rb");
    REQUIRE(fp && fread(head, 1, 12, fp) == 12);
    fclose(fp);
    CHECK(head[8] == 1);
    free(pr);
    free(pc);
    free(pb);
    heft_model_free(raw);
    heft_model_free(cal);
    heft_model_free(given);
    heft_model_free(viahds);
    heft_model_free(back);
    heft_dataset_free(sub);
    heft_dataset_free(plain);
    heft_dataset_free(hds);
    heft_selection_free(sel);
    heft_dataset_free(ds);
}

/* The model file's version 2 field: W out of range is corrupt (with the
 * header checksum repaired so the range check is reached), a cut header is
 * truncated, and a version 1 file loads with W = 1. */
void test_select_model_file_v2(void)
{
    heft_dataset *ds = click_log(200, 5, 0);
    REQUIRE(ds);
    heft_train_opts to = heft_train_opts_default(HEFT_MODEL_LR);
    to.neg_rate = 0.5;
    heft_model *m = NULL, *back = NULL;
    heft_error err;
    CHECK_OK(heft_train(ds, NULL, &to, &m, &err));
    REQUIRE(m);
    char path[1024];
    snprintf(path, sizeof path, "%s/v2.heftm", heft_test_tmpdir());
    CHECK_OK(heft_model_save(m, path, &err));
    FILE *fp = fopen(path, "rb");
    REQUIRE(fp);
    unsigned char *b = malloc(1 << 12);
    const size_t len = fread(b, 1, 1 << 12, fp);
    fclose(fp);
    REQUIRE(len > 96 && len < (1 << 12) && b[8] == 2);
    double w;
    memcpy(&w, b + 80, 8);
    CHECK(w == 0.5);
    CHECK_OK(heft_model_load_mem(b, len, "v2", &back, &err));
    CHECK(back && heft_model_neg_rate(back) == 0.5);
    heft_model_free(back);
    back = NULL;
    CHECK(heft_model_load_mem(b, 92, "v2", &back, &err) == HEFT_ETRUNC);
    CHECK(back == NULL);
    w = 1.5;
    memcpy(b + 80, &w, 8);
    const uint64_t c = heft__checksum(b, 88);
    for (int i = 0; i < 8; i++)
        b[88 + i] = (unsigned char)(c >> (8 * i));
    CHECK(heft_model_load_mem(b, len, "v2", &back, &err) == HEFT_ECORRUPT);
    CHECK(back == NULL && strstr(err.msg, "neg_rate") != NULL);
    /* Version 1: the same parameters without W. */
    to.neg_rate = 1;
    heft_model *m1 = NULL;
    CHECK_OK(heft_train(ds, NULL, &to, &m1, &err));
    REQUIRE(m1);
    CHECK_OK(heft_model_save(m1, path, &err));
    CHECK_OK(heft_model_load(path, &back, &err));
    CHECK(back && heft_model_neg_rate(back) == 1.0);
    free(b);
    heft_model_free(back);
    heft_model_free(m);
    heft_model_free(m1);
    heft_dataset_free(ds);
}

/* Negatives stratified by group: every group keeps its share of its
 * negatives (floor or ceil), the total is round(W n_neg); importance
 * sampling gives the same rows and weights for the same seed. */
void test_select_strata_negatives_determinism(void)
{
    tiny t = tiny_make(300, 12, 31);
    heft_select_opts o = heft_select_opts_default();
    o.mode = HEFT_SELECT_NEGATIVES;
    o.neg_rate = 0.35;
    o.stratify = HEFT_STRATIFY_GROUP;
    heft_selection *s = run_sel(&t, &o);
    REQUIRE(s);
    uint8_t kept[300];
    mark(s, 300, kept);
    size_t nneg = 0, kneg = 0;
    for (size_t a = 0; a < 300; a++) {
        if (t.label[a] > 0) {
            CHECK(kept[a]);
            continue;
        }
        nneg++;
        kneg += kept[a];
        size_t ns = 0, ks = 0;
        for (size_t b = 0; b < 300; b++)
            if (t.group[b] == t.group[a] && !(t.label[b] > 0)) {
                ns++;
                ks += kept[b];
            }
        CHECK((double)ks >= floor(0.35 * (double)ns) &&
              (double)ks <= ceil(0.35 * (double)ns));
    }
    CHECK(kneg == (size_t)floor(0.35 * (double)nneg + 0.5));
    heft_selection_free(s);
    o.mode = HEFT_SELECT_IMPORTANCE;
    o.stratify = HEFT_STRATIFY_LABEL | HEFT_STRATIFY_GROUP;
    o.fraction = 0.4;
    heft_selection *a = run_sel(&t, &o), *b = run_sel(&t, &o);
    REQUIRE(a && b);
    CHECK(a->n == b->n && !memcmp(a->rows, b->rows, a->n * 8) &&
          !memcmp(a->weight, b->weight, a->n * 4));
    heft_selection_free(a);
    heft_selection_free(b);
    tiny_free(&t);
}
