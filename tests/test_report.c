/*
 * test_report.c: the report (src/report): the strict JSON reader (valid
 * documents, and each kind of invalid one with the line and column of the
 * error), nice axis ticks against a brute-force search, tick labels, HTML
 * escaping of names from the data, histograms against a direct count,
 * the run-directory loaders on the fixtures of tests/report/fixtures, and
 * atomic output.
 */
#include "test.h"

#include "report_int.h"

#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------ */

/* A fresh directory tmpdir/name for a run. */
static const char *run_dir(const char *name)
{
    static char buf[4][1024];
    static int slot;
    char *p = buf[slot++ % 4];
    snprintf(p, 1024, "%s/%s", heft_test_tmpdir(), name);
    mkdir(p, 0755);
    return p;
}

static void put_file(const char *dir, const char *name, const char *text)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static heft_status parse(const char *text, heft__jdoc **d, heft_error *e)
{
    return heft__json_parse(text, strlen(text), "t.json", d, e);
}

static const heft__rsection *find_section(const heft__report *r,
                                          const char *command)
{
    for (size_t i = 0; i < r->nsec; i++)
        if (r->sec[i].command && strcmp(r->sec[i].command, command) == 0)
            return &r->sec[i];
    return NULL;
}

/* ---- JSON reader -------------------------------------------------------- */

void test_report_json_valid(void)
{
    const char *text = "{\"a\": [1, -0.5e3, 0, 1E-2, true, false, null],\n"
                       " \"s\": \"x\\n\\u00e9\\ud83d\\ude00\\/\\\"\",\n"
                       " \"o\": {\"k\": {}}, \"e\": []}";
    heft__jdoc *d = NULL;
    heft_error e;
    CHECK_OK(parse(text, &d, &e));
    REQUIRE(d && d->root->type == HEFT__J_OBJ && d->root->n == 4);
    const heft__jval *a = heft__json_get(d->root, "a");
    REQUIRE(a && a->type == HEFT__J_ARR && a->n == 7);
    CHECK(a->item[0].num == 1 && a->item[1].num == -500);
    CHECK(a->item[2].num == 0 && a->item[3].num == 0.01);
    CHECK(a->item[4].type == HEFT__J_BOOL && a->item[4].num == 1);
    CHECK(a->item[5].type == HEFT__J_BOOL && a->item[5].num == 0);
    CHECK(a->item[6].type == HEFT__J_NULL);
    const heft__jval *s = heft__json_get(d->root, "s");
    REQUIRE(s && s->type == HEFT__J_STR);
    CHECK(strcmp(s->str, "x\n\xc3\xa9\xf0\x9f\x98\x80/\"") == 0);
    CHECK(s->len == 10);
    const heft__jval *o = heft__json_get(d->root, "o");
    CHECK(o && heft__json_get(o, "k") &&
          heft__json_get(o, "k")->type == HEFT__J_OBJ);
    CHECK(heft__json_get(d->root, "e")->n == 0);
    CHECK(heft__json_get(d->root, "missing") == NULL);
    heft__json_free(d);
}

/* Every value remembers where it starts, for later type errors. */
void test_report_json_positions(void)
{
    const char *text = "{\n \"x\": [1, 22],\n \"y\": {\"z\": \"q\"}\n}";
    heft__jdoc *d = NULL;
    CHECK_OK(parse(text, &d, NULL));
    REQUIRE(d);
    const heft__jval *x = heft__json_get(d->root, "x");
    CHECK(x->line == 2 && x->col == 7);
    CHECK(x->item[1].line == 2 && x->item[1].col == 11);
    const heft__jval *z = heft__json_get(heft__json_get(d->root, "y"), "z");
    CHECK(z->line == 3 && z->col == 13);
    heft__json_free(d);
}

void test_report_json_invalid(void)
{
    static const struct {
        const char *text;
        unsigned line, col;
        const char *msg;
    } bad[] = {
        {"{\"a\": 1,}", 1, 9, "expected a string key"},
        {"[1, 2,]", 1, 7, "expected a value"},
        {"{\"a\" 1}", 1, 6, "expected ':'"},
        {"{\"a\": 1 \"b\": 2}", 1, 9, "expected ',' or '}'"},
        {"[1 2]", 1, 4, "expected ',' or ']'"},
        {"[01]", 1, 2, "leading zero"},
        {"[1.]", 1, 4, "digit after '.'"},
        {"[-]", 1, 3, "expected a digit"},
        {"[1e]", 1, 4, "exponent"},
        {"{\"a\": tru}", 1, 7, "expected a value"},
        {"[NaN]", 1, 2, "expected a value"},
        {"[nullx]", 1, 2, "expected a value"},
        {"\"abc", 1, 1, "unterminated string"},
        {"\"a\\qb\"", 1, 3, "invalid escape"},
        {"\"a\tb\"", 1, 3, "control character"},
        {"\"\\ud800\"", 1, 2, "high surrogate"},
        {"\"\\udc00\"", 1, 2, "unpaired low surrogate"},
        {"\"\\u12g4\"", 1, 2, "four hex digits"},
        {"\"\\u0000\"", 1, 2, "\\u0000"},
        {"\"\xff\"", 1, 2, "invalid UTF-8"},
        {"\"\xc0\xaf\"", 1, 2, "invalid UTF-8"},
        {"\"\xed\xa0\x80\"", 1, 2, "invalid UTF-8"},
        {"{\"a\":1,\"a\":2}", 1, 8, "duplicate key \"a\""},
        {"[1] x", 1, 5, "expected the end of the input"},
        {"", 1, 1, "got the end of the input"},
        {"  \n ", 2, 2, "got the end of the input"},
        {"{\n  \"a\": [1,\n   2,,\n  ]\n}", 3, 6, "expected a value"},
        {"[1e999]", 1, 2, "out of range"},
        {"['a']", 1, 2, "expected a value"},
        {"// c\n{}", 1, 1, "expected a value"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        heft__jdoc *d = (heft__jdoc *)&d; /* must come back NULL */
        heft_error e;
        heft_status st = parse(bad[i].text, &d, &e);
        CHECK(st == HEFT_EPARSE);
        CHECK(d == NULL);
        CHECK(strcmp(e.file, "t.json") == 0);
        if (e.line != bad[i].line || e.column != bad[i].col ||
            !strstr(e.msg, bad[i].msg))
            heft_test_fail(__FILE__, __LINE__, "case %zu '%s': %llu:%u: %s",
                           i, bad[i].text, (unsigned long long)e.line,
                           e.column, e.msg);
    }
}

void test_report_json_depth(void)
{
    char deep[300];
    memset(deep, '[', 200);
    deep[200] = '\0';
    heft__jdoc *d = NULL;
    heft_error e;
    CHECK(parse(deep, &d, &e) == HEFT_EPARSE);
    CHECK(e.column == 129 && strstr(e.msg, "deeper than 128"));
    /* 128 levels are fine. */
    memset(deep, '[', 128);
    memset(deep + 128, ']', 128);
    deep[256] = '\0';
    CHECK_OK(parse(deep, &d, &e));
    heft__json_free(d);
}

/* ---- ticks and labels ---------------------------------------------------- */

/* The definition itself: the smallest {1,2,5} x 10^k step whose multiples
 * covering [lo, hi] number at most max (with the same rounding slack). */
static double oracle_step(double lo, double hi, int max)
{
    static const double m[3] = {1, 2, 5};
    for (int k = -40; k <= 40; k++)
        for (int i = 0; i < 3; i++) {
            double s = m[i] * pow(10, k);
            if (ceil(hi / s - 1e-9) - floor(lo / s + 1e-9) + 1 <= max)
                return s;
        }
    return NAN;
}

void test_report_nice_ticks(void)
{
    static const struct {
        double lo, hi;
        int max;
        double step, first;
        int count;
    } known[] = {
        {0, 1, 6, 0.2, 0, 6},       {0.73, 0.745, 6, 0.005, 0.73, 4},
        {-3, 7, 5, 5, -5, 4},       {0, 5400, 7, 1000, 0, 7},
        {0.1, 0.3, 3, 0.1, 0.1, 3}, {5, 5, 6, 0.5, 4.5, 3},
        {-0.4, 0.3, 2, 0.5, -0.5, 3}, /* max 2 is raised to 3 */
        {0, 0, 6, 0.5, -1, 5},      {-0.004, -0.001, 4, 0.001, -0.004, 4},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        double s, f;
        int n;
        heft__nice_ticks(known[i].lo, known[i].hi, known[i].max, &s, &f, &n);
        if (fabs(s - known[i].step) > 1e-12 * known[i].step ||
            fabs(f - known[i].first) > 1e-9 || n != known[i].count)
            heft_test_fail(__FILE__, __LINE__, "[%g, %g] max %d: step %g "
                           "first %g count %d", known[i].lo, known[i].hi,
                           known[i].max, s, f, n);
    }
    heft__rng rng;
    heft__rng_seed(&rng, 11);
    for (int t = 0; t < 3000; t++) {
        const double scale = pow(10, (double)heft__rng_below(&rng, 16) - 8);
        double lo = (heft__rng_uniform(&rng) * 2 - 1) * scale;
        double hi = lo + heft__rng_uniform(&rng) * scale *
                             (heft__rng_below(&rng, 2) ? 1 : 0.01);
        if (hi <= lo)
            continue;
        const int max = 3 + (int)heft__rng_below(&rng, 8);
        double s, f;
        int n;
        heft__nice_ticks(lo, hi, max, &s, &f, &n);
        const double want = oracle_step(lo, hi, max);
        if (fabs(s - want) > 1e-9 * want) {
            heft_test_fail(__FILE__, __LINE__, "[%.17g, %.17g] max %d: step "
                           "%g, oracle %g", lo, hi, max, s, want);
            break;
        }
        CHECK(n >= 2 && n <= max);
        CHECK(f <= lo + 1e-9 * s && f + (n - 1) * s >= hi - 1e-9 * s);
    }
}

void test_report_tick_labels(void)
{
    static const struct {
        double v, step;
        const char *want;
    } cases[] = {
        {0.2, 0.2, "0.2"},     {0.735, 0.005, "0.735"}, {5000, 1000, "5k"},
        {2e6, 1e6, "2M"},      {1.5e6, 5e5, "1500k"},   {-1e-12, 0.1, "0.0"},
        {1, 1, "1"},           {-2, 1, "-2"},           {40, 20, "40"},
        {0.0003, 0.0001, "0.0003"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[48];
        heft__tick_label(cases[i].v, cases[i].step, buf, sizeof buf);
        if (strcmp(buf, cases[i].want) != 0)
            heft_test_fail(__FILE__, __LINE__, "label of %g (step %g): '%s', "
                           "expected '%s'", cases[i].v, cases[i].step, buf,
                           cases[i].want);
    }
}

/* ---- escaping ------------------------------------------------------------ */

void test_report_html_escape(void)
{
    heft__sbuf b = {0};
    heft__sbuf_html(&b, "<a href=\"x\">&'</a> plain");
    REQUIRE(b.s);
    CHECK(strcmp(b.s, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt; "
                      "plain") == 0);
    heft__sbuf_free(&b);
    heft__sbuf_json_str(&b, "q\"\\\n\x01");
    CHECK(b.s && strcmp(b.s, "\"q\\\"\\\\\\u000a\\u0001\"") == 0);
    heft__sbuf_free(&b);

    /* A field and a method named like markup reach the page as text only:
     * in tables, in SVG labels and in tooltips. */
    const char *dir = run_dir("esc");
    put_file(dir, "f.json",
             "{\"heft\": \"0.1.0\", \"command\": \"features\", \"settings\": "
             "{\"data\": \"<b>d</b>\"}, \"fields\": [{\"name\": "
             "\"<script>alert(1)</script>\", \"mi\": 0.5}, {\"name\": "
             "\"a&b\", \"mi\": 0.25}]}");
    put_file(dir, "n.json",
             "{\"heft\": \"0.1.0\", \"command\": \"bench noise\", "
             "\"methods\": {\"<img src=x onerror=alert(2)>\": {\"auroc\": "
             "0.8, \"pr_curve\": {\"recall\": [0, 1], \"precision\": [1, "
             "0.1]}}}}");
    heft__report *r = NULL;
    heft_error e;
    CHECK_OK(heft__report_load(dir, &r, &e));
    REQUIRE(r);
    heft__report_html(r, &b);
    REQUIRE(b.s && !b.failed);
    CHECK(!strstr(b.s, "<script"));
    CHECK(!strstr(b.s, "<img"));
    CHECK(!strstr(b.s, "<b>"));
    CHECK(strstr(b.s, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    CHECK(strstr(b.s, "&lt;img src=x onerror=alert(2)&gt;"));
    CHECK(strstr(b.s, "a&amp;b"));
    heft__sbuf_free(&b);
    heft__report_free(r);
}

/* ---- histograms -------------------------------------------------------- */

/* The bins of a score column against a direct count over the edges the
 * chart shows (values beyond the ends fall in the end bins). */
void test_report_histogram_counts(void)
{
    const char *dir = run_dir("hist");
    heft__sbuf t = {0};
    heft__sbuf_puts(&t, "row\tlabel\tv\n");
    heft__rng rng;
    heft__rng_seed(&rng, 5);
    enum { N = 500 };
    float v[N];
    int y[N];
    for (int i = 0; i < N; i++) {
        y[i] = heft__rng_uniform(&rng) < 0.3;
        v[i] = (float)(heft__rng_normal(&rng) + y[i]);
        if (i == 7)
            v[i] = 1000; /* an outlier, clipped into the last bin */
        heft__sbuf_printf(&t, "%d\t%d\t%.9g\n", i, y[i], v[i]);
    }
    put_file(dir, "s.tsv", t.s);
    heft__sbuf_free(&t);
    heft__report *r = NULL;
    heft_error e;
    CHECK_OK(heft__report_load(dir, &r, &e));
    REQUIRE(r && r->nsec == 2 && r->sec[0].nchart == 1);
    const heft__rchart *c = &r->sec[0].chart[0];
    REQUIRE(c->kind == HEFT__CHART_HIST && c->ns == 2);
    CHECK(strcmp(c->s[0].name, "label 0 (n=" ) > 0 && c->s[1].name[6] == '1');
    const size_t B = c->s[0].n;
    const double *edges = c->s[0].x;
    CHECK(edges[B] < 1000 && c->note && strstr(c->note, "end bins"));
    for (int k = 0; k < 2; k++) {
        size_t cnt[64] = {0}, tot = 0;
        for (int i = 0; i < N; i++) {
            if (y[i] != k)
                continue;
            size_t b = 0;
            while (b + 1 < B && v[i] >= edges[b + 1])
                b++;
            cnt[b]++;
            tot++;
        }
        double sum = 0;
        for (size_t b = 0; b < B; b++) {
            CHECK_NEAR(c->s[k].y[b], (double)cnt[b] / (double)tot, 1e-12);
            sum += c->s[k].y[b];
        }
        CHECK_NEAR(sum, 1, 1e-9);
    }
    heft__report_free(r);
}

/* ---- the fixtures of every run kind ---------------------------------------- */

#define FIXTURES "tests/report/fixtures"

void test_report_fixtures(void)
{
    struct stat st;
    if (stat(FIXTURES, &st) != 0)
        SKIP("run from the repository root (no " FIXTURES ")");
    heft__report *r = NULL;
    heft_error e;
    CHECK_OK(heft__report_load(FIXTURES, &r, &e));
    REQUIRE(r);
    /* 12 run files (notes.txt, train.tsv and the .npy sidecar are not
     * sections of their own) and the list of runs. */
    CHECK(r->nsec == 13);
    CHECK(r->sec[0].order == 0 && r->sec[r->nsec - 1].order == 1000);
    const heft__rsection *s = find_section(r, "bench prune");
    REQUIRE(s && s->nchart == 2);
    const heft__rchart *c = &s->chart[0];
    CHECK(c->ns == 4 && c->nref == 1);
    CHECK_NEAR(c->ref[0].at, 0.74, 1e-12);
    CHECK_NEAR(c->ref[0].lo, 0.74 * 0.999, 1e-12);
    CHECK(strcmp(c->s[2].name, "random") == 0 &&
          c->s[2].color == HEFT__COLOR_GREY && c->s[2].lo != NULL);
    CHECK(c->s[0].n == 10 && c->s[0].x[9] == 1.0);
    REQUIRE(s->ntable == 1 && s->table[0].nrow == 4);
    CHECK(strcmp(s->table[0].cell[3 * 2 + 1].text, "none") == 0);
    CHECK_NEAR(s->table[0].cell[1].num, 0.4, 1e-12);

    s = find_section(r, "bench noise");
    REQUIRE(s && s->nchart == 3); /* with --decompose: the recovery bars */
    CHECK(s->chart[0].ns == 3 && s->chart[0].s[0].n == 51);
    CHECK_NEAR(s->chart[0].ref[0].at, 0.1, 1e-12);
    CHECK(s->chart[1].kind == HEFT__CHART_BARS && s->chart[1].ncat == 3);
    CHECK_NEAR(s->chart[1].s[0].hi[2], 0.89, 1e-12);
    CHECK(s->ntable == 1 && s->table[0].nrow == 4);
    CHECK(s->chart[2].ns == 3 && s->table[0].ncol == 18);
    CHECK_NEAR(s->chart[2].s[2].y[0], -1.76, 1e-12);

    s = find_section(r, "bench removal");
    REQUIRE(s && s->nchart == 4);
    CHECK(s->chart[0].ns == 3 && s->chart[0].s[1].lo != NULL);
    CHECK(s->chart[1].s[1].lo == NULL); /* oob low: no intervals */
    s = find_section(r, "features");
    REQUIRE(s && s->nchart == 4);
    CHECK(s->chart[3].ncat == 4); /* permutation: only 4 fields have it */
    s = find_section(r, "eval");
    REQUIRE(s && s->nchart == 1 && s->chart[0].ns == 2);
    CHECK(s->chart[0].s[1].n == 10);
    s = find_section(r, "audit");
    REQUIRE(s && s->ntable >= 3);
    CHECK(strcmp(s->table[0].head[2], "severity") == 0);
    CHECK(s->table[0].nrow == 3);
    s = find_section(r, "select");
    CHECK(s && s->nchart == 0 && s->settings.nrow == 4);
    heft__report_free(r);
}

/* The JSON output parses with the reader and has one chart per <svg>. */
void test_report_json_output(void)
{
    struct stat st;
    if (stat(FIXTURES, &st) != 0)
        SKIP("run from the repository root (no " FIXTURES ")");
    heft__report *r = NULL;
    CHECK_OK(heft__report_load(FIXTURES, &r, NULL));
    REQUIRE(r);
    heft__sbuf h = {0}, j = {0}, j2 = {0};
    heft__report_html(r, &h);
    heft__report_json(r, &j);
    heft__report_free(r);
    REQUIRE(h.s && j.s);
    size_t svgs = 0;
    for (const char *p = h.s; (p = strstr(p, "<svg class=\"chart\"")); p++)
        svgs++;
    heft__jdoc *d = NULL;
    heft_error e;
    CHECK_OK(heft__json_parse(j.s, j.len, "out.json", &d, &e));
    REQUIRE(d);
    const heft__jval *secs = heft__json_get(d->root, "sections");
    REQUIRE(secs && secs->n == 13);
    size_t charts = 0;
    for (size_t i = 0; i < secs->n; i++)
        charts += heft__json_get(&secs->item[i], "charts")->n;
    CHECK(charts == svgs && svgs > 20);
    heft__json_free(d);
    /* Same input, same bytes. */
    CHECK_OK(heft__report_load(FIXTURES, &r, NULL));
    REQUIRE(r);
    heft__report_json(r, &j2);
    heft__report_free(r);
    CHECK(j2.s && strcmp(j.s, j2.s) == 0);
    heft__sbuf_free(&h);
    heft__sbuf_free(&j);
    heft__sbuf_free(&j2);
}

/* ---- errors --------------------------------------------------------------- */

static void expect_error(const char *dir, heft_status code, const char *file,
                         unsigned line, unsigned col, const char *msg)
{
    heft__report *r = (heft__report *)&r;
    heft_error e;
    heft_status st = heft__report_load(dir, &r, &e);
    CHECK(r == NULL);
    const size_t fl = strlen(file), el = strlen(e.file);
    if (st != code || el < fl || strcmp(e.file + el - fl, file) != 0 ||
        e.line != line || e.column != col || !strstr(e.msg, msg))
        heft_test_fail(__FILE__, __LINE__, "%s: %s %s:%llu:%u: %s "
                       "(expected %s:%u:%u: ...%s...)", dir,
                       heft_err_name(st), e.file, (unsigned long long)e.line,
                       e.column, e.msg, file, line, col, msg);
}

void test_report_errors(void)
{
    const char *d1 = run_dir("syntax");
    put_file(d1, "p.json", "{\"heft\": \"0.1.0\",\n \"command\": "
             "\"bench prune\",\n \"fractions\": [0.1, 0.2,]}");
    expect_error(d1, HEFT_EPARSE, "/p.json", 3, 25, "expected a value");

    const char *d2 = run_dir("type");
    put_file(d2, "p.json", "{\"command\": \"bench prune\",\n"
             "  \"fractions\": \"0.1..0.9\"}");
    expect_error(d2, HEFT_EPARSE, "/p.json", 2, 16, "\"fractions\" is a "
                 "string; expected an array");

    const char *d3 = run_dir("count");
    put_file(d3, "p.json", "{\"command\": \"bench prune\", \"fractions\": "
             "[0.5, 1],\n \"curves\": {\"loss\": {\"auc\": [0.7, 0.72, "
             "0.74]}}}");
    expect_error(d3, HEFT_EPARSE, "/p.json", 2, 29, "expected 2, one per "
                 "step");

    const char *d4 = run_dir("elem");
    put_file(d4, "r.json", "{\"command\": \"bench removal\", \"steps\": "
             "[0, \"x\"]}");
    expect_error(d4, HEFT_EPARSE, "/r.json", 1, 43, "entry 2 of \"steps\"");

    const char *d5 = run_dir("ci");
    put_file(d5, "n.json", "{\"command\": \"bench noise\", \"methods\": "
             "{\"loss\": {\"auroc\": 0.8, \"auroc_ci\": [0.7]}}}");
    expect_error(d5, HEFT_EPARSE, "/n.json", 1, 75, "interval [lo, hi]");

    const char *d6 = run_dir("tsv");
    put_file(d6, "s.tsv", "row\tlabel\tloss\n0\t1\t-0.5\n1\t0\tabc\n");
    expect_error(d6, HEFT_EPARSE, "/s.tsv", 3, 3, "expected a number, got "
                 "'abc'");
    put_file(d6, "s.tsv", "row\tlabel\tloss\n0\t1\n");
    expect_error(d6, HEFT_EPARSE, "/s.tsv", 2, 2, "expected 3 tab-separated");

    const char *d7 = run_dir("cmd");
    put_file(d7, "x.json", "{\"command\": 3}");
    expect_error(d7, HEFT_EPARSE, "/x.json", 1, 13, "\"command\" is a "
                 "number");

    const char *d8 = run_dir("empty");
    put_file(d8, "notes.txt", "nothing here\n");
    put_file(d8, "data.tsv", "click\tsite\n1\ta\n");
    put_file(d8, "list.json", "[1, 2]");
    expect_error(d8, HEFT_EEMPTY, "/empty", 0, 0, "no run files");

    heft__report *r = (heft__report *)&r;
    CHECK(heft__report_load("/nonexistent/heft-run", &r, NULL) == HEFT_EIO);
    CHECK(r == NULL);
}

/* Optional keys may be absent: a run file with only its command still
 * gives a section, and a bench file with no methods draws no curve. */
void test_report_tolerant(void)
{
    const char *d = run_dir("sparse");
    put_file(d, "a.json", "{\"command\": \"bench prune\"}");
    put_file(d, "b.json", "{\"command\": \"bench noise\", \"methods\": "
             "{\"loss\": {\"f1_at_k\": 0.4}}}");
    put_file(d, "c.json", "{\"command\": \"audit\", \"findings\": [], "
             "\"fields\": [{\"name\": \"a\", \"psi\": 0.1}, {\"name\": "
             "\"b\", \"psi\": 0.5}, {\"name\": \"c\", \"psi\": null}, "
             "{\"name\": \"d\", \"psi\": 0.5}]}");
    put_file(d, "e.json", "{\"command\": \"eval\", \"auc\": 0.7, "
             "\"calibration\": {\"pred\": [0.1, 0.5], \"obs\": [0.2, "
             "0.4], \"n\": [3, 4]}}");
    heft__report *r = NULL;
    heft_error e;
    CHECK_OK(heft__report_load(d, &r, &e));
    REQUIRE(r);
    CHECK(r->nsec == 5);
    const heft__rsection *s = find_section(r, "bench prune");
    CHECK(s && s->nchart == 0 && s->ntable == 0);
    s = find_section(r, "bench noise");
    REQUIRE(s && s->ntable == 1);
    CHECK(s->nchart == 1 && s->chart[0].kind == HEFT__CHART_BARS);
    CHECK(strcmp(s->table[0].cell[3].text, "-") == 0); /* no AUROC */
    s = find_section(r, "eval");
    CHECK(s && s->nchart == 1 && s->chart[0].s[1].n == 2);
    /* Bars: largest first, ties in file order, nulls left out. */
    s = find_section(r, "audit");
    REQUIRE(s && s->nchart == 1 && s->chart[0].ncat == 3);
    CHECK(strcmp(s->chart[0].cat[0], "b") == 0 &&
          strcmp(s->chart[0].cat[1], "d") == 0 &&
          strcmp(s->chart[0].cat[2], "a") == 0);
    heft__report_free(r);
}

/* A noise run with --decompose: the table gets the recovered shares and
 * the test AUC after dropping only planted or only clean flags, a bar
 * chart shows the three shares (negative ones left of a zero line, a null
 * one as no bar), and the JSON carries them. */
static const char noise_decomp_doc[] =
    "{\"command\": \"bench noise\", \"test_auc_noisy\": 0.71, "
    "\"test_auc_clean\": 0.74, \"methods\": {\"loss\": {\"auroc\": 0.8, "
    "\"test_auc\": 0.6833, \"test_auc_ci\": [0.68, 0.69], \"recovered\": "
    "-0.89%s}, \"oob\": {\"auroc\": 0.7, \"test_auc\": 0.734, "
    "\"recovered\": -0.0003%s}}, \"random\": {\"test_auc\": 0.712}}";
static const char noise_decomp_loss[] =
    ", \"test_auc_true_flags\": 0.7268, \"test_auc_true_flags_ci\": "
    "[0.72, 0.73], \"recovered_true_flags\": 0.56, \"test_auc_false_flags\": "
    "0.608, \"test_auc_false_flags_ci\": [0.6, 0.61], "
    "\"recovered_false_flags\": -3.4";
static const char noise_decomp_oob[] =
    ", \"test_auc_true_flags\": 0.741, \"recovered_true_flags\": 1.03, "
    "\"test_auc_false_flags\": null, \"recovered_false_flags\": null";

/* The report of noise_decomp_doc with the two method tails; html and json
 * get its page and JSON. */
static heft__report *noise_decomp_report(const char *loss, const char *oob,
                                         heft__sbuf *html, heft__sbuf *json)
{
    char doc[2048];
    snprintf(doc, sizeof doc, noise_decomp_doc, loss, oob);
    heft__report *r = NULL;
    heft_error e;
    CHECK_OK(heft__report_load_mem(doc, strlen(doc), "n.json", &r, &e));
    if (r) {
        heft__report_html(r, html);
        heft__report_json(r, json);
    }
    return r;
}

void test_report_noise_decompose(void)
{
    heft__sbuf h = {0}, j = {0};
    heft__report *r =
        noise_decomp_report(noise_decomp_loss, noise_decomp_oob, &h, &j);
    REQUIRE(r && h.s && j.s);
    const heft__rsection *s = find_section(r, "bench noise");
    REQUIRE(s && s->nchart == 2 && s->ntable == 1);
    const heft__rchart *c = &s->chart[1];
    REQUIRE(c->kind == HEFT__CHART_BARS && c->ns == 3 && c->ncat == 2);
    CHECK(strcmp(c->cat[0], "loss") == 0 && strcmp(c->cat[1], "oob") == 0);
    CHECK_NEAR(c->s[0].y[0], -0.89, 1e-12);
    CHECK_NEAR(c->s[1].y[1], 1.03, 1e-12);
    CHECK_NEAR(c->s[2].y[0], -3.4, 1e-12);
    CHECK(isnan(c->s[2].y[1]));
    REQUIRE(c->nref == 1);
    CHECK(c->ref[0].at == 0.5 && strcmp(c->ref[0].label, "half the loss") == 0);
    const heft__rtable *t = &s->table[0];
    REQUIRE(t->ncol == 18 && t->nrow == 3);
    CHECK(strcmp(t->head[12], "recovered (planted)") == 0);
    CHECK(strcmp(t->head[16], "p vs random") == 0);
    CHECK_NEAR(t->cell[9].num, -0.89, 1e-12);
    CHECK(strcmp(t->cell[9].text, "-0.89") == 0);
    CHECK(strcmp(t->cell[11].text, "[0.7200, 0.7300]") == 0);
    CHECK_NEAR(t->cell[15].num, -3.4, 1e-12);
    CHECK(strcmp(t->cell[18 + 14].text, "-") == 0); /* oob: no interval */
    CHECK(strcmp(t->cell[18 + 9].text, "0.00") == 0); /* not "-0.00" */
    CHECK(t->cell[18 + 9].num == -0.0003);
    CHECK(strcmp(t->cell[2 * 18 + 9].text, "-") == 0); /* random */
    /* The page: bars of both signs, an axis down to -4, the zero line,
     * no bar for the null share; the JSON: the shares and the columns. */
    CHECK(strstr(h.s, "Share of the lost AUC recovered") != NULL);
    CHECK(strstr(h.s, "loss, clean flags only: -3.4<") != NULL);
    CHECK(strstr(h.s, "oob, clean flags only") == NULL);
    CHECK(strstr(h.s, ">-4</text>") != NULL);
    CHECK(strstr(h.s, "class=\"zero\"") != NULL);
    CHECK(strstr(h.s, "half the loss") != NULL);
    CHECK(strstr(j.s, "\"recovered (clean)\"") != NULL);
    CHECK(strstr(j.s, "\"y\":[-0.89,-0.0003]") != NULL);
    CHECK(strstr(j.s, "\"y\":[-3.4,null]") != NULL);
    heft__report_free(r);
    heft__sbuf_free(&h);
    heft__sbuf_free(&j);
}

/* The same noise run without the decomposition keys keeps the section as
 * before; a decomposition interval of the wrong shape is refused. */
void test_report_noise_plain(void)
{
    heft__sbuf h = {0}, j = {0};
    heft__report *r = noise_decomp_report("", "", &h, &j);
    REQUIRE(r && h.s && j.s);
    const heft__rsection *s = find_section(r, "bench noise");
    REQUIRE(s && s->nchart == 1 && s->ntable == 1);
    CHECK(s->table[0].ncol == 11);
    CHECK(strcmp(s->table[0].head[9], "p vs random") == 0);
    CHECK(strstr(h.s, "recovered") == NULL);
    CHECK(strstr(j.s, "recovered") == NULL);
    CHECK(strstr(h.s, "class=\"zero\"") == NULL);
    heft__report_free(r);
    heft__sbuf_free(&h);
    heft__sbuf_free(&j);

    /* A malformed interval is refused at its line and column. */
    heft_error e;
    const char *bad = "{\"command\": \"bench noise\", \"methods\": {\"loss\": "
                      "{\"test_auc_true_flags_ci\": [0.7]}}}";
    CHECK(heft__report_load_mem(bad, strlen(bad), "n.json", &r, &e) ==
          HEFT_EPARSE);
    CHECK(r == NULL && strstr(e.msg, "test_auc_true_flags_ci") &&
          e.line == 1 && e.column == 75);
}

/* A .npy table with its sidecar; a bad header is refused. */
void test_report_npy(void)
{
    const char *d = run_dir("npy");
    char path[1200];
    snprintf(path, sizeof path, "%s/k.npy", d);
    const char *hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': "
                      "(4, 2), }";
    char head[128];
    const size_t hl = 128 - 10; /* data 64-byte aligned */
    memset(head, ' ', sizeof head);
    memcpy(head, hdr, strlen(hdr));
    head[hl - 1] = '\n';
    const float v[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    FILE *f = fopen(path, "wb");
    REQUIRE(f);
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fputc((int)hl, f);
    fputc(0, f);
    fwrite(head, 1, hl, f);
    fwrite(v, sizeof v[0], 8, f);
    fclose(f);
    put_file(d, "k.json", "{\"columns\": [\"a\", \"b\"], \"rows\": 4}");
    heft__report *r = NULL;
    heft_error e;
    CHECK_OK(heft__report_load(d, &r, &e));
    REQUIRE(r && r->nsec == 2 && r->sec[0].nchart == 2);
    CHECK(r->sec[0].chart[1].ns == 1);
    CHECK_NEAR(r->sec[0].chart[1].s[0].x[0], 1, 1e-9);  /* b: 1, 3, 5, 7 */
    CHECK_NEAR(r->sec[0].chart[1].s[0].x[40], 7, 1e-9);
    heft__report_free(r);
    put_file(d, "k.json", "{\"columns\": [\"a\"]}");
    expect_error(d, HEFT_EPARSE, "/k.npy", 0, 0, "2 columns but its .json "
                 "sidecar names 1");
}

/* ---- output ---------------------------------------------------------------- */

void test_report_write_atomic(void)
{
    const char *d = run_dir("ok");
    put_file(d, "a.json", "{\"command\": \"bench agreement\", \"methods\": "
             "{\"influence\": {\"lds\": 0.4, \"lds_ci\": [0.3, 0.5]}}}");
    char html[1200], json[1200];
    snprintf(html, sizeof html, "%s/out.html", heft_test_tmpdir());
    snprintf(json, sizeof json, "%s/out.json", heft_test_tmpdir());
    heft_error e;
    CHECK_OK(heft_report_write(d, html, json, &e));
    struct stat st;
    CHECK(stat(html, &st) == 0 && st.st_size > 1000);
    CHECK(stat(json, &st) == 0 && st.st_size > 100);
    /* A broken run file: an error, and the earlier outputs untouched. */
    put_file(d, "b.json", "{\"command\": \"eval\",}");
    FILE *f = fopen(html, "w");
    REQUIRE(f);
    fputs("old", f);
    fclose(f);
    CHECK(heft_report_write(d, html, json, &e) == HEFT_EPARSE);
    CHECK(e.line == 1 && e.column == 20);
    char buf[8] = {0};
    f = fopen(html, "r");
    REQUIRE(f);
    CHECK(fread(buf, 1, sizeof buf - 1, f) == 3 && strcmp(buf, "old") == 0);
    fclose(f);
    CHECK(heft_report_write(d, NULL, NULL, &e) == HEFT_EINVAL);
}
