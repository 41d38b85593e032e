/*
 * test_weightfile.c: sidecar weight files (src/io/weightfile.c) and
 * heft_read_opts.weight_file: the parser on good and bad files (each error
 * at its line and column), the row count both ways, and weights reaching
 * the dataset exactly as a weight column's do, for plain and compressed
 * data.
 */
#include "test.h"

#include "weightfile.h"

#include <float.h>
#include <stdint.h>

#ifdef HEFT_HAVE_ZLIB
#include <zlib.h>
#endif
#ifdef HEFT_HAVE_ZSTD
#include <zstd.h>
#endif

/* Parses s for n rows expecting failure with code at line:col and a
 * message containing needle (and needle2 when not NULL). */
static void expect_wf(const char *s, size_t n, int allow_more,
                      heft_status code, uint64_t line, uint32_t col,
                      const char *needle, const char *needle2)
{
    float w[16];
    heft_error e;
    memset(&e, 0, sizeof e);
    heft_status st = heft__weights_parse_mem(s, strlen(s), "w.txt", "d.svm",
                                             n, allow_more, w, &e);
    if (st != code || e.line != line || e.column != col ||
        !strstr(e.msg, needle) || (needle2 && !strstr(e.msg, needle2)))
        heft_test_fail(__FILE__, __LINE__,
                       "weights '%.30s': got %s at %llu:%u '%s', want %s at "
                       "%llu:%u with '%s'",
                       s, heft_err_name(st), (unsigned long long)e.line,
                       e.column, e.msg, heft_err_name(code),
                       (unsigned long long)line, col, needle);
    CHECK(!strcmp(e.file, "w.txt"));
}

void test_weightfile_good(void)
{
    float w[8];
    heft_error e;
    /* Spaces and tabs around numbers, CRLF, exponents, a BOM, blank lines
     * at the end. */
    const char *s = "\xEF\xBB\xBF" "1\r\n 0.5\t\n2e-1\r\n0\n3.25\n\n \r\n";
    CHECK_OK(heft__weights_parse_mem(s, strlen(s), "w", NULL, 5, 0, w, &e));
    CHECK(w[0] == 1.0f && w[1] == 0.5f && w[2] == 0.2f && w[3] == 0.0f &&
          w[4] == 3.25f);
    /* No final newline. */
    CHECK_OK(heft__weights_parse_mem("7\n8", 3, "w", NULL, 2, 0, w, &e));
    CHECK(w[0] == 7.0f && w[1] == 8.0f);
    /* %.9g of a float reads back as the same float. */
    char buf[64];
    const float x = 1.0f / 3.0f;
    snprintf(buf, sizeof buf, "%.9g\n", (double)x);
    CHECK_OK(heft__weights_parse_mem(buf, strlen(buf), "w", NULL, 1, 0, w,
                                     &e));
    CHECK(w[0] == x);
    /* No rows, no weights: an empty file (or only blank lines). */
    CHECK_OK(heft__weights_parse_mem("", 0, "w", NULL, 0, 0, w, &e));
    CHECK_OK(heft__weights_parse_mem("\n\n", 2, "w", NULL, 0, 0, w, &e));
    /* allow_more (max_rows reached): the lines past n are not read. */
    CHECK_OK(heft__weights_parse_mem("1\n2\nx\n", 6, "w", NULL, 2, 1, w, &e));
    CHECK_OK(heft__weights_parse_mem("1\n2\n3\nx\n", 8, "w", NULL, 2, 1, w,
                                     &e));
    CHECK(w[0] == 1.0f && w[1] == 2.0f);
}

void test_weightfile_errors(void)
{
    expect_wf("1\nabc\n", 2, 0, HEFT_EPARSE, 2, 1, "expected a weight",
              "'abc'");
    expect_wf("1\n  2x\n", 2, 0, HEFT_EPARSE, 2, 3, "expected a weight",
              "'2x'");
    expect_wf("1\n2 3\n", 2, 0, HEFT_EPARSE, 2, 1, "expected a weight",
              NULL);
    expect_wf("1\r\n2\r\n\t-0.5\r\n", 3, 0, HEFT_ERANGE, 3, 2,
              "negative", "-0.5");
    expect_wf("nan\n", 1, 0, HEFT_ERANGE, 1, 1, "not a finite", "nan");
    expect_wf("1\n-inf\n", 2, 0, HEFT_ERANGE, 2, 1, "not a finite", NULL);
    expect_wf("1\nInfinity\n", 2, 0, HEFT_ERANGE, 2, 1, "not a finite",
              NULL);
    expect_wf("1e39\n", 1, 0, HEFT_ERANGE, 1, 1, "too large", NULL);
    expect_wf("1e999\n", 1, 0, HEFT_ERANGE, 1, 1, "not a finite", NULL);
    /* A blank line before a weight: a missing weight, reported where the
     * blank line is, not as a count mismatch further down. */
    expect_wf("1\n\n2\n3\n", 3, 0, HEFT_EPARSE, 2, 1, "blank line", NULL);
    expect_wf("1\n \r\n2\n", 3, 0, HEFT_EPARSE, 2, 1, "blank line", NULL);
    /* A comment is not a weight. */
    expect_wf("# w\n1\n", 1, 0, HEFT_EPARSE, 1, 1, "expected a weight",
              NULL);
    /* Compressed sidecars are refused as such. */
    float w[2];
    heft_error e;
    CHECK(heft__weights_parse_mem("\x1f\x8b\x08\x00", 4, "w.gz", NULL, 1, 0,
                                  w, &e) == HEFT_EFORMAT);
    CHECK(strstr(e.msg, "plain text") != NULL);
    CHECK(heft__weights_parse_mem("\x28\xb5\x2f\xfd\x00", 5, "w.zst", NULL,
                                  1, 0, w, &e) == HEFT_EFORMAT);
    CHECK(heft__weights_read("/nonexistent/w", NULL, 1, 0, w, &e) ==
          HEFT_EIO);
    CHECK(!strcmp(e.file, "/nonexistent/w") && strstr(e.msg, "open"));
}

void test_weightfile_count(void)
{
    /* Fewer: both counts, at the line after the last weight. */
    expect_wf("1\n2\n", 4, 0, HEFT_ETRUNC, 3, 1, "ends after 2 weights",
              "d.svm has 4 rows");
    expect_wf("1\n2\n\n\n", 3, 0, HEFT_ETRUNC, 3, 1, "ends after 2 weights",
              "3 rows");
    expect_wf("", 2, 0, HEFT_ETRUNC, 1, 1, "ends after 0 weights", "2 rows");
    /* More: the total and the rows, at the first extra weight. */
    expect_wf("1\n2\n3\n4\n5\n", 3, 0, HEFT_EPARSE, 4, 1, "has 5 weights",
              "d.svm has 3 rows");
    expect_wf("1\n", 0, 0, HEFT_EPARSE, 1, 1, "has 1 weights", "0 rows");
    /* allow_more does not excuse fewer. */
    expect_wf("1\n", 2, 1, HEFT_ETRUNC, 2, 1, "ends after 1 weights", NULL);
}

static const char svm_text[] = "1 1:1 2:0.5\n"
                               "# a comment line is not a row\n"
                               "0 2:1\n"
                               "\n"
                               "1 3:2\n"
                               "0 1:1 3:1\n";
static const char svm_weights[] = "2\n0.25\n0\n1.5\n";
static const float svm_w[4] = {2.0f, 0.25f, 0.0f, 1.5f};

static heft_read_opts svm_opts(const char *wpath)
{
    heft_read_opts o = heft_read_opts_default();
    o.format = HEFT_FMT_LIBSVM;
    o.threads = 1;
    o.weight_file = wpath;
    return o;
}

/* ds has the four rows of svm_text with weights svm_w. */
static void check_svm(const heft_dataset *ds)
{
    REQUIRE(ds && heft_dataset_rows(ds) == 4);
    const float *w = heft_dataset_weights(ds);
    REQUIRE(w);
    for (int i = 0; i < 4; i++)
        CHECK(w[i] == svm_w[i]);
    heft_dataset_info info;
    heft_dataset_get_info(ds, &info);
    CHECK(info.has_weight);
    CHECK_NEAR(info.weight_sum, 3.75, 1e-9);
    const float *lab = heft_dataset_labels(ds);
    CHECK(lab[0] == 1 && lab[1] == 0 && lab[2] == 1 && lab[3] == 0);
}

void test_weightfile_dataset(void)
{
    const char *wp = heft_test_write("d.svm.weight", svm_weights,
                                     strlen(svm_weights));
    const char *dp = heft_test_write("d.svm", svm_text, strlen(svm_text));
    heft_read_opts o = svm_opts(wp);
    heft_dataset *ds = NULL;
    heft_error e;
    CHECK_OK(heft_dataset_read(dp, &o, &ds, &e));
    check_svm(ds);
    /* The same rows and weights as the same data built from arrays with a
     * weight array: what training and scoring see is identical. */
    const uint64_t *rp;
    const uint32_t *feat;
    const float *val;
    const uint16_t *field;
    heft_dataset_csr(ds, &rp, &feat, &val, &field);
    heft_dataset *ref = NULL;
    CHECK_OK(heft_dataset_from_csr(4, rp, feat, val, field,
                                   heft_dataset_labels(ds), svm_w, NULL, 20,
                                   &ref, &e));
    REQUIRE(ref);
    CHECK(!memcmp(heft_dataset_weights(ref), heft_dataset_weights(ds),
                  4 * sizeof(float)));
    heft_dataset_free(ref);
    heft_dataset_free(ds);
    ds = NULL;
    /* From memory too. */
    CHECK_OK(heft_dataset_read_mem(svm_text, strlen(svm_text), "m.svm", &o,
                                   &ds, &e));
    check_svm(ds);
    heft_dataset_free(ds);
    ds = NULL;
    /* A short sidecar names both files and both counts; no dataset. */
    const char *short_w = heft_test_write("short.weight", "1\n2\n", 4);
    o.weight_file = short_w;
    CHECK(heft_dataset_read(dp, &o, &ds, &e) == HEFT_ETRUNC);
    CHECK(ds == NULL && !strcmp(e.file, short_w) && e.line == 3);
    CHECK(strstr(e.msg, "2 weights") && strstr(e.msg, "4 rows") &&
          strstr(e.msg, "d.svm"));
    /* max_rows: the lines past the last row read are ignored. */
    o = svm_opts(wp);
    o.max_rows = 2;
    CHECK_OK(heft_dataset_read(dp, &o, &ds, &e));
    REQUIRE(ds && heft_dataset_rows(ds) == 2);
    CHECK(heft_dataset_weights(ds)[1] == 0.25f);
    heft_dataset_free(ds);
    ds = NULL;
    /* Not with weight_col; not with skipped bad rows. */
    o = svm_opts(wp);
    o.weight_col = "w";
    CHECK(heft_dataset_read(dp, &o, &ds, &e) == HEFT_EINVAL);
    CHECK(strstr(e.msg, "both") != NULL);
    o = svm_opts(wp);
    o.weight_file = "";
    CHECK(heft_dataset_read(dp, &o, &ds, &e) == HEFT_EINVAL);
    const char bad[] = "1 1:1\n0 2:x\n1 3:1\n0 1:1\n1 2:1\n";
    const char *bp = heft_test_write("bad.svm", bad, strlen(bad));
    o = svm_opts(wp);
    o.max_bad_rows = 5;
    CHECK(heft_dataset_read(bp, &o, &ds, &e) == HEFT_EINVAL);
    CHECK(ds == NULL && strstr(e.msg, "1 bad row was skipped"));
}

void test_weightfile_csv_hds(void)
{
    /* csv: a weight file gives the same weights as the weight column. */
    const char with[] = "y,w,a\n1,2,x\n0,0.5,y\n1,1,x\n";
    const char without[] = "y,a\n1,x\n0,y\n1,x\n";
    heft_read_opts o = heft_read_opts_default();
    o.format = HEFT_FMT_CSV;
    o.threads = 1;
    o.label_col = "y";
    o.cat_cols = "a";
    o.weight_col = "w";
    heft_dataset *a = NULL, *b = NULL;
    heft_error e;
    CHECK_OK(heft_dataset_read_mem(with, strlen(with), "a.csv", &o, &a, &e));
    o.weight_col = NULL;
    o.weight_file = heft_test_write("b.w", "2\n0.5\n1\n", 8);
    CHECK_OK(heft_dataset_read_mem(without, strlen(without), "b.csv", &o, &b,
                                   &e));
    REQUIRE(a && b);
    CHECK(!memcmp(heft_dataset_weights(a), heft_dataset_weights(b),
                  3 * sizeof(float)));
    /* .hds keeps the weights it was written with: a weight file is
     * refused, from a file and from memory. */
    const char *hp = heft_test_write("b.hds", "", 0);
    CHECK_OK(heft_dataset_save(b, hp, &e));
    heft_dataset *h = NULL;
    CHECK(heft_dataset_read(hp, &o, &h, &e) == HEFT_EINVAL);
    CHECK(h == NULL && !strcmp(e.file, hp) && strstr(e.msg, ".hds"));
    FILE *fp = fopen(hp, "rb");
    REQUIRE(fp);
    static char buf[1 << 16];
    const size_t n = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    CHECK(heft_dataset_read_mem(buf, n, "m.hds", &o, &h, &e) == HEFT_EINVAL);
    o.weight_file = NULL;
    CHECK_OK(heft_dataset_read(hp, &o, &h, &e));
    CHECK(h && heft_dataset_weights(h) &&
          heft_dataset_weights(h)[1] == 0.5f);
    heft_dataset_free(h);
    heft_dataset_free(a);
    heft_dataset_free(b);
}

/* Compressed data with a plain sidecar: the same weights as plain data. */
void test_weightfile_compressed(void)
{
    const char *wp = heft_test_write("c.weight", svm_weights,
                                     strlen(svm_weights));
    heft_read_opts o = svm_opts(wp);
    int done = 0;
    heft_error e;
    (void)o; /* unused when built without both codecs */
    (void)e;
#ifdef HEFT_HAVE_ZLIB
    {
        unsigned char out[1024];
        z_stream z;
        memset(&z, 0, sizeof z);
        REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8,
                             Z_DEFAULT_STRATEGY) == Z_OK);
        z.next_in = (Bytef *)svm_text;
        z.avail_in = (uInt)strlen(svm_text);
        z.next_out = out;
        z.avail_out = sizeof out;
        CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
        const size_t n = z.total_out;
        deflateEnd(&z);
        const char *dp = heft_test_write("c.svm.gz", out, n);
        heft_dataset *ds = NULL;
        CHECK_OK(heft_dataset_read(dp, &o, &ds, &e));
        check_svm(ds);
        heft_dataset_free(ds);
        /* A compressed sidecar is refused. */
        heft_read_opts o2 = svm_opts(dp);
        ds = NULL;
        CHECK(heft_dataset_read(dp, &o2, &ds, &e) == HEFT_EFORMAT);
        CHECK(ds == NULL && strstr(e.msg, "plain text"));
        done = 1;
    }
#endif
#ifdef HEFT_HAVE_ZSTD
    {
        unsigned char out[1024];
        const size_t n = ZSTD_compress(out, sizeof out, svm_text,
                                       strlen(svm_text), 3);
        REQUIRE(!ZSTD_isError(n));
        const char *dp = heft_test_write("c.svm.zst", out, n);
        heft_dataset *ds = NULL;
        CHECK_OK(heft_dataset_read(dp, &o, &ds, &e));
        check_svm(ds);
        heft_dataset_free(ds);
        done = 1;
    }
#endif
    if (!done)
        SKIP("built without zlib and zstd");
}
