/* test_io.c: the text readers (src/io): known answers on tiny inputs for
 * every format, every kind of bad input with its position, compression,
 * bad-row budgets, thread-count invariance, schemas, and the real data
 * sets in ../shared/data. */
#include "test.h"

#include "ioint.h"
#include "parse.h"
#include "schema.h"

#include <math.h>
#include <stdint.h>

#ifdef HEFT_HAVE_ZLIB
#include <zlib.h>
#endif
#ifdef HEFT_HAVE_ZSTD
#include <zstd.h>
#endif

#define BITS 20

static heft_read_opts opts(heft_format f)
{
    heft_read_opts o;
    memset(&o, 0, sizeof o);
    o.format = f;
    o.hash_bits = BITS;
    o.num_transform = HEFT_NUM_LOG;
    o.num_buckets = 1;
    o.threads = 1;
    return o;
}

static heft_status parse_str(const char *s, const heft_read_opts *o,
                             heft__parsed *p, heft_error *e)
{
    return heft__parse_mem(s, strlen(s), "t.txt", o, p, e);
}

/* Parses s expecting failure; checks code, line and column. */
static void expect_err(const char *s, const heft_read_opts *o,
                       heft_status code, uint64_t line, uint32_t col,
                       const char *needle)
{
    heft__parsed p;
    heft_error e;
    heft_status st = parse_str(s, o, &p, &e);
    if (st != code || e.line != line || e.column != col ||
        (needle && !strstr(e.msg, needle))) {
        heft_test_fail(__FILE__, __LINE__,
                       "input '%.40s': got %s at %llu:%u '%s', want %s at "
                       "%llu:%u with '%s'",
                       s, heft_err_name(st), (unsigned long long)e.line,
                       e.column, e.msg, heft_err_name(code),
                       (unsigned long long)line, col, needle ? needle : "");
    }
    CHECK(p.csr.n_rows == 0 && p.csr.row_ptr == NULL);
    CHECK(!strcmp(e.file, "t.txt"));
    heft__parsed_free(&p);
}

static uint32_t cat_bucket(uint32_t field, const char *tok)
{
    return heft__bucket(field, heft__hash_bytes(tok, strlen(tok), 0), BITS);
}

static uint32_t num_bucket(uint32_t field)
{
    return heft__bucket(field, heft__hash_bytes("num", 3, 0), BITS);
}

/* Index of the nonzero of row r in field f (the first one), or -1. */
static long find_nz(const heft__csr *c, uint64_t r, uint16_t f)
{
    for (uint64_t k = c->row_ptr[r]; k < c->row_ptr[r + 1]; k++)
        if (c->field[k] == f)
            return (long)k;
    return -1;
}

static uint64_t row_nnz(const heft__csr *c, uint64_t r)
{
    return c->row_ptr[r + 1] - c->row_ptr[r];
}

static int same_csr(const heft__csr *a, const heft__csr *b)
{
    if (a->n_rows != b->n_rows || a->nnz != b->nnz || a->flags != b->flags)
        return 0;
    size_t r = a->n_rows, z = a->nnz;
    return !memcmp(a->row_ptr, b->row_ptr, (r + 1) * 8) &&
           !memcmp(a->feat, b->feat, z * 4) && !memcmp(a->val, b->val, z * 4) &&
           !memcmp(a->field, b->field, z * 2) &&
           !memcmp(a->label, b->label, r * 4) &&
           !memcmp(a->src_line, b->src_line, r * 8) &&
           (!a->group || !memcmp(a->group, b->group, r * 8)) &&
           (!a->time || !memcmp(a->time, b->time, r * 8)) &&
           (!a->weight || !memcmp(a->weight, b->weight, r * 4));
}

/* ---- numbers -------------------------------------------------------- */

void test_io_numbers(void)
{
    const char *good[] = {"0", "-1", "+2", "3.25", ".5", "5.", "1e3",
                          "-2.5E-3", " 7 ", "123456789012345678",
                          "1234567890123456789012", "0.1", "1e-300",
                          "3.14159265358979323846", "00012"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        double v = -99;
        int r = heft__num(good[i], strlen(good[i]), &v);
        CHECK(r == HEFT__NUM_OK);
        CHECK(v == strtod(good[i], NULL)); /* libc as the oracle */
    }
    const char *bad[] = {"", "-", "1x", "x1", "1.2.3", "e5", "1e", "0x10",
                         "1,5", "--1", "1e+"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        double v;
        CHECK(heft__num(bad[i], strlen(bad[i]), &v) == HEFT__NUM_BAD);
    }
    const char *nonfinite[] = {"nan", "NaN", "-inf", "Infinity", "1e999"};
    for (size_t i = 0; i < sizeof nonfinite / sizeof *nonfinite; i++) {
        double v;
        CHECK(heft__num(nonfinite[i], strlen(nonfinite[i]), &v) ==
              HEFT__NUM_NONFINITE);
    }
    uint64_t u;
    CHECK(heft__parse_u64("18446744073709551615", 20, &u) == 0 &&
          u == UINT64_MAX);
    CHECK(heft__parse_u64("18446744073709551616", 20, &u) != 0);
    CHECK(heft__parse_u64("-1", 2, &u) != 0);
}

/* ---- criteo --------------------------------------------------------- */

/* A criteo line: label, 13 ints (NULL = empty), 26 cats. */
static void criteo_line(char *buf, size_t cap, const char *label,
                        const char *const ints[13], const char *const cats[26])
{
    size_t k = (size_t)snprintf(buf, cap, "%s", label);
    for (int i = 0; i < 13; i++)
        k += (size_t)snprintf(buf + k, cap - k, "\t%s", ints[i] ? ints[i] : "");
    for (int i = 0; i < 26; i++)
        k += (size_t)snprintf(buf + k, cap - k, "\t%s", cats[i] ? cats[i] : "");
    snprintf(buf + k, cap - k, "\n");
}

void test_io_criteo_known(void)
{
    const char *ints1[13] = {"5", "-1", NULL, "0", "100", NULL, NULL,
                             NULL, NULL, NULL, NULL, NULL, "2"};
    const char *ints2[13] = {"5"};
    const char *cats1[26] = {"abc", "abc", NULL, "zz"};
    const char *cats2[26] = {"abc", "xyz"};
    char l1[1024], l2[1024], all[2048];
    criteo_line(l1, sizeof l1, "1", ints1, cats1);
    criteo_line(l2, sizeof l2, "0", ints2, cats2);
    snprintf(all, sizeof all, "%s%s", l1, l2);
    heft_read_opts o = opts(HEFT_FMT_AUTO);
    heft__parsed p;
    heft_error e;
    CHECK_OK(parse_str(all, &o, &p, &e));
    REQUIRE(p.csr.n_rows == 2);
    CHECK(p.schema.format == HEFT_FMT_CRITEO);
    CHECK(p.schema.n_fields == 39);
    CHECK(!strcmp(p.schema.field_names[0], "I1"));
    CHECK(!strcmp(p.schema.field_names[13], "C1"));
    CHECK(!strcmp(p.schema.field_names[38], "C26"));
    CHECK(p.csr.label[0] == 1 && p.csr.label[1] == 0);
    CHECK(p.csr.src_line[0] == 1 && p.csr.src_line[1] == 2);
    /* Row 1: 5 ints x 2 nonzeros + 3 cats. Row 2: 1 int x 2 + 2 cats. */
    CHECK(row_nnz(&p.csr, 0) == 13);
    CHECK(row_nnz(&p.csr, 1) == 4);
    const heft__csr *c = &p.csr;
    long k = find_nz(c, 0, 0); /* I1 = 5 */
    REQUIRE(k >= 0);
    CHECK(c->feat[k] == num_bucket(0));
    CHECK_NEAR(c->val[k], log1p(5.0), 1e-6);
    CHECK(c->field[k + 1] == 0 && c->val[k + 1] == 1.0f); /* its bin */
    long k2 = find_nz(c, 0, 1); /* I2 = -1: kept as is */
    REQUIRE(k2 >= 0);
    CHECK(c->val[k2] == -1.0f);
    CHECK(find_nz(c, 0, 2) < 0); /* I3 missing */
    /* Same token, same field: same bucket; other field: other bucket. */
    long a1 = find_nz(c, 0, 13), b1 = find_nz(c, 0, 14);
    long a2 = find_nz(c, 1, 13);
    REQUIRE(a1 >= 0 && b1 >= 0 && a2 >= 0);
    CHECK(c->feat[a1] == cat_bucket(13, "abc"));
    CHECK(c->feat[a1] == c->feat[a2]);
    CHECK(c->feat[a1] != c->feat[b1]);
    CHECK(c->feat[b1] == cat_bucket(14, "abc"));
    /* I1 = 5 in both rows: identical pair of nonzeros. */
    long r2 = find_nz(c, 1, 0);
    CHECK(c->feat[r2] == c->feat[k] && c->feat[r2 + 1] == c->feat[k + 1]);
    heft__parsed_free(&p);

    /* num_buckets 0 and no transform: one nonzero per int, raw value. */
    o.num_buckets = 0;
    o.num_transform = HEFT_NUM_NONE;
    o.format = HEFT_FMT_CRITEO;
    CHECK_OK(parse_str(all, &o, &p, &e));
    CHECK(row_nnz(&p.csr, 0) == 8);
    k = find_nz(&p.csr, 0, 4);
    CHECK(k >= 0 && p.csr.val[k] == 100.0f);
    heft__parsed_free(&p);
}

/* The bucketised token of a numeric value: floor(ln(v)^2) for v > 2,
 * else the value truncated to an integer; the two kinds never collide. */
void test_io_num_bins(void)
{
    const char *s = "y,v\n1,8\n1,9\n1,3\n1,1\n1,1.7\n1,-1.5\n1,-1\n1,100\n"
                    "1,0.25\n";
    heft_read_opts o = opts(HEFT_FMT_CSV);
    heft__parsed p;
    heft_error e;
    CHECK_OK(parse_str(s, &o, &p, &e));
    REQUIRE(p.csr.n_rows == 9 && p.csr.nnz == 18);
    const heft__csr *c = &p.csr;
    uint32_t bin[9];
    for (int i = 0; i < 9; i++) {
        CHECK(c->feat[2 * i] == num_bucket(0));
        bin[i] = c->feat[2 * i + 1];
    }
    CHECK(bin[0] == bin[1]); /* ln(8)^2 = 4.3, ln(9)^2 = 4.8 */
    CHECK(bin[2] != bin[3]); /* ln(3)^2 = 1.2 is not the value 1 */
    CHECK(bin[4] == bin[3]); /* 1.7 -> 1 */
    CHECK(bin[5] == bin[6]); /* -1.5 -> -1 */
    CHECK(bin[7] != bin[0] && bin[8] != bin[3]);
    CHECK_NEAR(c->val[0], log1p(8.0), 1e-6);
    CHECK(c->val[10] == -1.5f); /* log only for v > 0 */
    CHECK_NEAR(c->val[16], log1p(0.25), 1e-7);
    heft__parsed_free(&p);
}

/* ---- avazu ---------------------------------------------------------- */

void test_io_avazu_known(void)
{
    const char *s = "id,click,hour,C1,site_id\n"
                    "10001,1,14102105,1005,abc\n"
                    "10002,0,14102206,1005,\n";
    heft_read_opts o = opts(HEFT_FMT_AUTO);
    heft__parsed p;
    heft_error e;
    CHECK_OK(parse_str(s, &o, &p, &e));
    REQUIRE(p.csr.n_rows == 2);
    CHECK(p.schema.format == HEFT_FMT_AVAZU);
    REQUIRE(p.schema.n_fields == 4);
    CHECK(!strcmp(p.schema.field_names[0], "hour"));
    CHECK(!strcmp(p.schema.field_names[1], "weekday"));
    CHECK(!strcmp(p.schema.field_names[2], "C1"));
    CHECK(!strcmp(p.schema.field_names[3], "site_id"));
    CHECK(p.schema.ignore && !strcmp(p.schema.ignore, "id"));
    CHECK(p.csr.label[0] == 1 && p.csr.label[1] == 0);
    REQUIRE(p.csr.time != NULL);
    /* 2014-10-21 is day 5407 after 2000-01-01, a Tuesday. */
    CHECK(p.csr.time[0] == 5407.0 * 24 + 5);
    CHECK(p.csr.time[1] == 5408.0 * 24 + 6);
    const heft__csr *c = &p.csr;
    CHECK(row_nnz(c, 0) == 4 && row_nnz(c, 1) == 3);
    CHECK(c->feat[find_nz(c, 0, 0)] == cat_bucket(0, "05"));
    CHECK(c->feat[find_nz(c, 0, 1)] == cat_bucket(1, "1"));
    CHECK(c->feat[find_nz(c, 1, 1)] == cat_bucket(1, "2"));
    CHECK(c->feat[find_nz(c, 0, 2)] == cat_bucket(2, "1005"));
    CHECK(c->feat[find_nz(c, 0, 2)] == c->feat[find_nz(c, 1, 2)]);
    heft__parsed_free(&p);
    expect_err("id,click,hour,C1\n1,0,14102199,5\n", &o, HEFT_EPARSE, 2, 3,
               "YYMMDDHH");
}

/* The competition's dev/test files have no header: detected by their first
 * row and read with the standard columns, the first line being data. */
void test_io_avazu_headerless(void)
{
    const char *hdr =
        "id,click,hour,C1,banner_pos,site_id,site_domain,site_category,app_id,"
        "app_domain,app_category,device_id,device_ip,device_model,device_type,"
        "device_conn_type,C14,C15,C16,C17,C18,C19,C20,C21\n";
    const char *row1 = "1000009418151094273,0,14102100,1005,0,1fbe01fe,"
                       "f3845767,28905ebd,ecad2386,7801e8d9,07d7df22,a99f214a,"
                       "ddd2926e,44956a24,1,2,15706,320,50,1722,0,35,-1,79\n";
    const char *row2 = "1001,1,14102101,1005,1,aaaa,f3845767,28905ebd,ecad2386,"
                       "7801e8d9,07d7df22,a99f214a,x,y,1,0,1,2,3,4,5,6,7,8\n";
    char with[2048], without[2048];
    snprintf(with, sizeof with, "%s%s%s", hdr, row1, row2);
    snprintf(without, sizeof without, "%s%s", row1, row2);
    heft_read_opts o = opts(HEFT_FMT_AUTO);
    heft__parsed a, b;
    heft_error e;
    CHECK_OK(parse_str(with, &o, &a, &e));
    CHECK_OK(parse_str(without, &o, &b, &e));
    REQUIRE(a.csr.n_rows == 2 && b.csr.n_rows == 2);
    CHECK(b.schema.format == HEFT_FMT_AVAZU);
    CHECK(a.csr.nnz == b.csr.nnz);
    CHECK(!memcmp(a.csr.feat, b.csr.feat, a.csr.nnz * sizeof *a.csr.feat));
    CHECK(b.csr.label[0] == 0 && b.csr.label[1] == 1);
    CHECK(b.csr.src_line[0] == 1 && a.csr.src_line[0] == 2);
    heft__parsed_free(&a);
    heft__parsed_free(&b);
}

/* ---- csv / tsv ------------------------------------------------------ */

void test_io_csv_infer(void)
{
    const char *s = "price,Label,city,mixed,empty\n"
                    "1.5,1,paris,3,\n"
                    "2,0,rome,x,\n"
                    ",1,paris,4,\n";
    heft_read_opts o = opts(HEFT_FMT_AUTO);
    heft__parsed p;
    heft_error e;
    CHECK_OK(parse_str(s, &o, &p, &e));
    REQUIRE(p.csr.n_rows == 3);
    CHECK(p.schema.format == HEFT_FMT_CSV);
    CHECK(!strcmp(p.schema.label, "Label")); /* found case-insensitively */
    CHECK(!strcmp(p.schema.num, "price"));
    CHECK(!strcmp(p.schema.cat, "city,mixed,empty"));
    REQUIRE(p.schema.n_fields == 4);
    CHECK(!strcmp(p.schema.field_names[0], "price"));
    CHECK(!strcmp(p.schema.field_names[1], "city"));
    const heft__csr *c = &p.csr;
    CHECK(row_nnz(c, 0) == 4 && row_nnz(c, 2) == 2);
    CHECK_NEAR(c->val[find_nz(c, 0, 0)], log1p(1.5), 1e-6);
    CHECK(c->feat[find_nz(c, 0, 1)] == c->feat[find_nz(c, 2, 1)]);
    CHECK(c->feat[find_nz(c, 0, 2)] == cat_bucket(2, "3"));
    heft__parsed_free(&p);
    /* Inference can be overridden. */
    o.cat_cols = "price";
    CHECK_OK(parse_str(s, &o, &p, &e));
    CHECK(!strcmp(p.schema.num, ""));
    CHECK(!strcmp(p.schema.cat, "price,city,mixed,empty"));
    CHECK(p.csr.feat[find_nz(&p.csr, 0, 0)] == cat_bucket(0, "1.5"));
    heft__parsed_free(&p);
    o.cat_cols = NULL;
    expect_err("a,b\n1,2\n", &o, HEFT_ENOCOL, 1, 0, "--label");
}

void test_io_csv_quotes(void)
{
    const char *s = "y,name,note\n"
                    "1,\"a,b\",\"he said \"\"hi\"\"\"\n"
                    "0,\"two\nlines\",plain\n"
                    "1,plain,\"\"\n";
    heft_read_opts o = opts(HEFT_FMT_CSV);
    heft__parsed p;
    heft_error e;
    CHECK_OK(parse_str(s, &o, &p, &e));
    REQUIRE(p.csr.n_rows == 3);
    const heft__csr *c = &p.csr;
    CHECK(c->feat[find_nz(c, 0, 0)] == cat_bucket(0, "a,b"));
    CHECK(c->feat[find_nz(c, 0, 1)] == cat_bucket(1, "he said \"hi\""));
    CHECK(c->feat[find_nz(c, 1, 0)] == cat_bucket(0, "two\nlines"));
    CHECK(c->src_line[0] == 2 && c->src_line[1] == 3 && c->src_line[2] == 5);
    CHECK(find_nz(c, 2, 1) < 0); /* "" is empty, so missing */
    heft__parsed_free(&p);
    /* Threads see the same thing when quotes span the block cuts. */
    size_t n = 0, cap = 1 << 20;
    char *big = malloc(cap);
    REQUIRE(big);
    n += (size_t)snprintf(big, cap, "y,t\n");
    for (int i = 0; n + 64 < cap - 64; i++)
        n += (size_t)snprintf(big + n, cap - n, "%d,\"x\n%d\"\n", i % 2, i);
    heft__parsed p1, p2;
    CHECK_OK(heft__parse_mem(big, n, "q", &o, &p1, &e));
    o.threads = 3;
    CHECK_OK(heft__parse_mem(big, n, "q", &o, &p2, &e));
    CHECK(same_csr(&p1.csr, &p2.csr));
    CHECK(p1.csr.src_line[1] == 4);
    heft__parsed_free(&p1);
    heft__parsed_free(&p2);
    free(big);
    o.threads = 1;
    expect_err("y,a\n1,\"abc\"x\n", &o, HEFT_EPARSE, 2, 2, "quote");
    expect_err("y,a\n1,\"abc\n", &o, HEFT_EPARSE, 2, 2, "quote");
}

void test_io_crlf_bom(void)
{
    const char *s = "\xEF\xBB\xBFy,c\r\n1,a\r\n0,b\r\n";
    heft_read_opts o = opts(HEFT_FMT_AUTO);
    heft__parsed p;
    heft_error e;
    CHECK_OK(parse_str(s, &o, &p, &e));
    REQUIRE(p.csr.n_rows == 2);
    CHECK(!strcmp(p.schema.label, "y"));
    CHECK(p.csr.feat[0] == cat_bucket(0, "a")); /* no \r in the token */
    heft__parsed_free(&p);
    const char *svm = "\xEF\xBB\xBF" "1 3:1\r\n-1 4:2\r\n";
    CHECK_OK(parse_str(svm, &o, &p, &e));
    CHECK(p.schema.format == HEFT_FMT_LIBSVM && p.csr.n_rows == 2);
    CHECK(p.csr.val[1] == 2.0f);
    heft__parsed_free(&p);
    char crit[1024];
    const char *ints[13] = {"1"};
    const char *cats[26] = {"q"};
    criteo_line(crit, sizeof crit - 2, "1", ints, cats);
    size_t L = strlen(crit);
    memcpy(crit + L - 1, "\r\n", 3);
    CHECK_OK(parse_str(crit, &o, &p, &e));
    CHECK(p.schema.format == HEFT_FMT_CRITEO && p.csr.nnz == 3);
    heft__parsed_free(&p);
}

void test_io_tsv_roles(void)
{
    const char *s = "q\tw\tts\tpos\tclick\ttags\tid\tu\n"
                    "query1\t2.5\t100\t1\t1\ta|b|c\t7\tx\n"
                    "42\t1\t50\t\t0\tb||a\t8\ty\n";
    heft_read_opts o = opts(HEFT_FMT_AUTO);
    o.group_col = "q";
    o.weight_col = "w";
    o.time_col = "ts";
    o.position_col = "pos";
    o.multi_cols = "tags:|";
    o.ignore_cols = "id";
    heft__parsed p;
    heft_error e;
    CHECK_OK(parse_str(s, &o, &p, &e));
    REQUIRE(p.csr.n_rows == 2);
    CHECK(p.schema.format == HEFT_FMT_TSV);
    const heft__csr *c = &p.csr;
    CHECK(c->flags == (HEFT__HAS_WEIGHT | HEFT__HAS_GROUP | HEFT__HAS_TIME |
                       HEFT__HAS_POSITION));
    CHECK(c->group[0] == heft__hash_bytes("query1", 6, 0));
    CHECK(c->group[1] == 42);
    CHECK(c->weight[0] == 2.5f && c->weight[1] == 1.0f);
    CHECK(c->time[0] == 100 && c->time[1] == 50);
    CHECK(c->position[0] == 1 && c->position[1] == 0);
    /* Fields: u (cat), then tags (multi). */
    REQUIRE(p.schema.n_fields == 2);
    CHECK(!strcmp(p.schema.field_names[0], "u"));
    CHECK(!strcmp(p.schema.field_names[1], "tags"));
    CHECK(!strcmp(p.schema.multi, "tags:|"));
    CHECK(row_nnz(c, 0) == 4 && row_nnz(c, 1) == 3);
    long t0 = find_nz(c, 0, 1), t1 = find_nz(c, 1, 1);
    CHECK(c->feat[t0] == cat_bucket(1, "a"));
    CHECK(c->feat[t0 + 1] == cat_bucket(1, "b"));
    CHECK(c->feat[t0 + 2] == cat_bucket(1, "c"));
    CHECK(c->feat[t1] == c->feat[t0 + 1] && c->feat[t1 + 1] == c->feat[t0]);
    heft__parsed_free(&p);
    o.weight_col = "nope";
    expect_err(s, &o, HEFT_ENOCOL, 1, 0, "'nope' in --weight");
    o.weight_col = "w";
    o.num_cols = "click";
    expect_err(s, &o, HEFT_EINVAL, 1, 5, "click");
}

/* Reading new data with a stored schema maps columns by name. */
void test_io_schema_resolved(void)
{
    const char *a = "y,n,c,extra\n1,3,u,k\n0,4,v,l\n";
    const char *b = "c,junk,y,n\nu,zz,1,3\n";
    heft_read_opts o = opts(HEFT_FMT_AUTO);
    o.ignore_cols = "extra";
    heft__parsed pa, pb;
    heft_error e;
    CHECK_OK(parse_str(a, &o, &pa, &e));
    char *txt;
    size_t len;
    CHECK_OK(heft__schema_to_text(&pa.schema, &txt, &len));
    CHECK(strstr(txt, "fields=n,c\n") != NULL);
    heft__schema s;
    CHECK_OK(heft__schema_from_text(txt, len, &s, &e));
    heft_read_opts ob;
    heft__schema_to_opts(&s, &ob);
    ob.threads = 1;
    CHECK(ob.format == HEFT_FMT_CSV && ob.hash_bits == BITS);
    CHECK_OK(parse_str(b, &ob, &pb, &e));
    REQUIRE(pb.csr.n_rows == 1 && pb.schema.n_fields == 2);
    CHECK(!strcmp(pb.schema.field_names[0], "n"));
    CHECK(!strcmp(pb.schema.field_names[1], "c"));
    /* Row 1 of a and row 1 of b hold the same values: the same nonzeros
     * (in column order, which differs). */
    REQUIRE(row_nnz(&pb.csr, 0) == 3 && row_nnz(&pa.csr, 0) == 3);
    for (uint64_t k = 0; k < 3; k++) {
        int found = 0;
        for (uint64_t m = 0; m < 3; m++)
            found += pb.csr.feat[k] == pa.csr.feat[m] &&
                     pb.csr.field[k] == pa.csr.field[m] &&
                     pb.csr.val[k] == pa.csr.val[m];
        CHECK(found == 1);
    }
    CHECK(!strcmp(pb.schema.ignore, "junk"));
    free(txt);
    heft__schema_free(&s);
    heft__parsed_free(&pa);
    heft__parsed_free(&pb);
}

void test_io_schema_text(void)
{
    heft__schema s;
    memset(&s, 0, sizeof s);
    s.format = HEFT_FMT_TSV;
    s.hash_bits = 18;
    s.num_transform = HEFT_NUM_NONE;
    s.num_buckets = 0;
    s.label = heft__strdup("click");
    s.group = heft__strdup("q");
    s.num = heft__strdup("");
    s.cat = heft__strdup("a\\,b,c");
    s.multi = heft__strdup("tags:\\,");
    CHECK(heft__schema_add_field(&s, "a,b", 3) == 0);
    CHECK(heft__schema_add_field(&s, "c\nd", 3) == 1);
    CHECK(heft__schema_add_field(&s, "e\\f", 3) == 2);
    char *txt;
    size_t len;
    CHECK_OK(heft__schema_to_text(&s, &txt, &len));
    CHECK(strlen(txt) == len && !strchr(txt, '\r'));
    heft__schema t, u;
    heft_error e;
    CHECK_OK(heft__schema_from_text(txt, len, &t, &e));
    CHECK_OK(heft__schema_copy(&u, &t));
    CHECK(u.format == HEFT_FMT_TSV && u.hash_bits == 18);
    CHECK(u.num_transform == HEFT_NUM_NONE && u.num_buckets == 0);
    CHECK(!strcmp(u.label, "click") && !strcmp(u.group, "q"));
    CHECK(u.weight == NULL && u.num && !strcmp(u.num, ""));
    CHECK(!strcmp(u.cat, "a\\,b,c") && !strcmp(u.multi, "tags:\\,"));
    REQUIRE(u.n_fields == 3);
    CHECK(!strcmp(u.field_names[0], "a,b"));
    CHECK(!strcmp(u.field_names[1], "c\nd"));
    CHECK(!strcmp(u.field_names[2], "e\\f"));
    heft__io_list l;
    CHECK_OK(heft__list_parse(u.cat, &l));
    CHECK(l.n == 2 && !strcmp(l.item[0], "a,b") && !strcmp(l.item[1], "c"));
    heft__list_free(&l);
    free(txt);
    heft__schema_free(&s);
    heft__schema_free(&t);
    heft__schema_free(&u);
    const char *badtxt = "format=csv\nwho=me\n";
    CHECK(heft__schema_from_text(badtxt, strlen(badtxt), &t, &e) ==
          HEFT_ECORRUPT);
    CHECK(e.line == 2 && strstr(e.msg, "unknown key"));
    CHECK(t.n_fields == 0 && t.label == NULL);
    const char *badbits = "hash_bits=40\n";
    CHECK(heft__schema_from_text(badbits, strlen(badbits), &t, &e) ==
          HEFT_ECORRUPT);
}

/* ---- libsvm family -------------------------------------------------- */

void test_io_libsvm_known(void)
{
    char s[4096];
    size_t k = (size_t)snprintf(s, sizeof s,
                                "# a comment line\n"
                                "+1 qid:7 3:1 10:0.5 # trailing comment\n"
                                "\n"
                                "-1 qid:8 10:2\n"
                                "1 qid:8");
    for (int i = 1; i <= 70; i++)
        k += (size_t)snprintf(s + k, sizeof s - k, " %d:1", i);
    snprintf(s + k, sizeof s - k, "\n");
    heft_read_opts o = opts(HEFT_FMT_AUTO);
    heft__parsed p;
    heft_error e;
    CHECK_OK(parse_str(s, &o, &p, &e));
    REQUIRE(p.csr.n_rows == 3);
    const heft__csr *c = &p.csr;
    CHECK(p.schema.format == HEFT_FMT_LIBSVM && !p.graded);
    CHECK(c->label[0] == 1 && c->label[1] == 0 && c->label[2] == 1);
    CHECK(c->src_line[0] == 2 && c->src_line[1] == 4 && c->src_line[2] == 5);
    REQUIRE(c->group);
    CHECK(c->group[0] == 7 && c->group[1] == 8 && c->group[2] == 8);
    CHECK(row_nnz(c, 0) == 2 && row_nnz(c, 1) == 1 && row_nnz(c, 2) == 70);
    /* Index 10 at positions 1 and 0: same bucket, field = position. */
    CHECK(c->feat[1] == c->feat[2]);
    CHECK(c->feat[1] == heft__bucket(0, heft__mix64(10), BITS));
    CHECK(c->field[1] == 1 && c->field[2] == 0);
    CHECK(c->val[1] == 0.5f && c->val[2] == 2.0f);
    CHECK(c->field[c->row_ptr[2] + 63] == 63);
    CHECK(c->field[c->row_ptr[2] + 69] == 63);
    CHECK(p.schema.n_fields == 64);
    CHECK(!strcmp(p.schema.field_names[63], "f63"));
    heft__parsed_free(&p);
    /* Graded labels. */
    CHECK_OK(parse_str("0 1:1\n3 1:1\n4 2:1\n", &o, &p, &e));
    CHECK(p.graded && p.csr.label[1] == 3 && p.csr.label[2] == 4);
    CHECK(p.schema.n_fields == 1);
    heft__parsed_free(&p);
}

void test_io_libfm_libffm(void)
{
    heft_read_opts o = opts(HEFT_FMT_LIBFM);
    heft__parsed p;
    heft_error e;
    CHECK_OK(parse_str("1 0:1 5:2\n0 5:1\n", &o, &p, &e));
    CHECK(p.csr.n_rows == 2 && p.csr.nnz == 3);
    CHECK(p.csr.feat[0] == heft__bucket(0, heft__mix64(0), BITS));
    heft__parsed_free(&p);
    o.format = HEFT_FMT_AUTO;
    CHECK_OK(parse_str("1 3:1 5:1\n0 0:1\n", &o, &p, &e));
    CHECK(p.schema.format == HEFT_FMT_LIBFM); /* detected by the 0 */
    heft__parsed_free(&p);
    CHECK_OK(heft__parse_mem("1 3:1\n", 6, "x.libfm", &o, &p, &e));
    CHECK(p.schema.format == HEFT_FMT_LIBFM);
    heft__parsed_free(&p);
    CHECK_OK(parse_str("1 2:3:1 0:7:0.5\n0 2:3:1\n", &o, &p, &e));
    REQUIRE(p.csr.n_rows == 2);
    CHECK(p.schema.format == HEFT_FMT_LIBFFM && p.schema.n_fields == 3);
    CHECK(p.csr.field[0] == 2 && p.csr.field[1] == 0);
    CHECK(p.csr.feat[0] == heft__bucket(2, 3, BITS));
    CHECK(p.csr.feat[1] == heft__bucket(0, 7, BITS));
    CHECK(p.csr.feat[2] == p.csr.feat[0] && p.csr.val[1] == 0.5f);
    heft__parsed_free(&p);
    o.format = HEFT_FMT_LIBFFM;
    expect_err("1 65535:1:1\n", &o, HEFT_ERANGE, 1, 3, "65534");
    expect_err("1 2:1\n", &o, HEFT_EPARSE, 1, 3, "field:index:value");
}

void test_io_detect(void)
{
    struct {
        const char *name, *head;
        heft_format want;
    } cases[] = {
        {"a.txt", "1 3:1 5:0.5\n", HEFT_FMT_LIBSVM},
        {"a.txt", "-1 qid:3 3:1 # c\n", HEFT_FMT_LIBSVM},
        {"a.txt", "1 2:3:1 4:5:1\n", HEFT_FMT_LIBFFM},
        {"a.txt", "1 0:1\n", HEFT_FMT_LIBFM},
        {"a.libfm.gz", "anything", HEFT_FMT_LIBFM},
        {"a.FFM", "x", HEFT_FMT_LIBFFM},
        {"a.svm.zst", "x", HEFT_FMT_LIBSVM},
        {"a.csv", "id,click,hour,C1\n1,0,14102100,5\n", HEFT_FMT_AVAZU},
        {"a.csv", "\"id\",click,\"hour\"\n", HEFT_FMT_AVAZU},
        {"a.csv", "label,a,b\n1,2,3\n", HEFT_FMT_CSV},
        {"a.csv", "label\ta\tb\n", HEFT_FMT_TSV},
        {"a.csv", "1 2 3\n", HEFT_FMT_CSV},
        {NULL, "", HEFT_FMT_CSV},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        CHECK(heft__detect_format(cases[i].name, cases[i].head,
                                  strlen(cases[i].head)) == cases[i].want);
    char crit[1024], hdr[1024];
    const char *ints[13] = {"1"};
    const char *cats[26] = {"x"};
    criteo_line(crit, sizeof crit, "0", ints, cats);
    CHECK(heft__detect_format("x.csv", crit, strlen(crit)) ==
          HEFT_FMT_CRITEO);
    criteo_line(hdr, sizeof hdr, "label", ints, cats);
    CHECK(heft__detect_format("x.csv", hdr, strlen(hdr)) == HEFT_FMT_TSV);
}

/* ---- bad input ------------------------------------------------------ */

void test_io_bad_file(void)
{
    heft_read_opts o = opts(HEFT_FMT_AUTO);
    heft__parsed p;
    heft_error e;
    CHECK(heft__parse_file("/nonexistent/x.tsv", &o, &p, &e) == HEFT_EIO);
    CHECK(!strcmp(e.file, "/nonexistent/x.tsv") && strstr(e.msg, "open"));
    CHECK(heft__parse_file(heft_test_tmpdir(), &o, &p, &e) == HEFT_EIO);
    const char *empty = heft_test_write("empty.tsv", "", 0);
    CHECK(heft__parse_file(empty, &o, &p, &e) == HEFT_EEMPTY);
    CHECK(e.line == 0 && strstr(e.msg, "empty"));
    expect_err("", &o, HEFT_EEMPTY, 0, 0, "empty");
    expect_err("\xEF\xBB\xBF", &o, HEFT_EEMPTY, 0, 0, "empty");
    expect_err("label,a\n", &o, HEFT_EEMPTY, 1, 0, "header");
    expect_err("label,a", &o, HEFT_EEMPTY, 1, 0, "header");
    heft_read_opts so = opts(HEFT_FMT_LIBSVM);
    expect_err("# only a comment\n", &so, HEFT_EEMPTY, 0, 0, "no data");
    o.hash_bits = 0;
    expect_err("1 1:1\n", &o, HEFT_EINVAL, 0, 0, "hash_bits");
}

void test_io_bad_label(void)
{
    heft_read_opts o = opts(HEFT_FMT_CSV);
    expect_err("y,a\n1,x\nyes,x\n", &o, HEFT_EPARSE, 3, 1, "not a number");
    expect_err("y,a\n1,x\n0.5,x\n", &o, HEFT_ERANGE, 3, 1, "out of range");
    expect_err("a,y\n1,-3\n", &o, HEFT_ERANGE, 2, 2, "out of range");
    expect_err("a,y\n1,nan\n", &o, HEFT_EPARSE, 2, 2, "NaN");
    expect_err("a,y\n1,\n", &o, HEFT_EPARSE, 2, 2, "empty");
    o.format = HEFT_FMT_LIBSVM;
    expect_err("1 1:1\n  abc 1:1\n", &o, HEFT_EPARSE, 2, 3, "label");
    expect_err("1 1:1\n2000 1:1\n", &o, HEFT_ERANGE, 2, 1, "label");
}

void test_io_bad_ragged(void)
{
    heft_read_opts o = opts(HEFT_FMT_CSV);
    expect_err("y,a,b\n1,2,3\n1,2\n", &o, HEFT_EPARSE, 3, 3,
               "expected 3 comma-separated fields, found 2");
    expect_err("y,a,b\n1,2,3\n\n1,2,3,4,5\n", &o, HEFT_EPARSE, 4, 4,
               "found 5");
    char crit[1024];
    const char *ints[13] = {"1"};
    const char *cats[26] = {"x"};
    criteo_line(crit, sizeof crit, "0", ints, cats);
    char two[2048];
    snprintf(two, sizeof two, "%s0\t1\t2\n", crit);
    o.format = HEFT_FMT_CRITEO;
    expect_err(two, &o, HEFT_EPARSE, 2, 4, "expected 40 tab-separated");
}

void test_io_bad_number(void)
{
    heft_read_opts o = opts(HEFT_FMT_CSV);
    o.num_cols = "a";
    expect_err("y,a\n1,2\n0,NaN\n", &o, HEFT_EPARSE, 3, 2, "NaN");
    expect_err("y,a\n1,2\n0,-inf\n", &o, HEFT_EPARSE, 3, 2, "NaN");
    expect_err("y,a\n1,2\n0,1e999\n", &o, HEFT_EPARSE, 3, 2, "NaN");
    expect_err("y,a\n1,2\n0,12abc\n", &o, HEFT_EPARSE, 3, 2,
               "expected a number");
    char crit[1024];
    const char *ints[13] = {"1", "2", "nan"};
    const char *cats[26] = {"x"};
    criteo_line(crit, sizeof crit, "0", ints, cats);
    o = opts(HEFT_FMT_CRITEO);
    expect_err(crit, &o, HEFT_EPARSE, 1, 4, "I3");
}

void test_io_bad_svm(void)
{
    heft_read_opts o = opts(HEFT_FMT_LIBSVM);
    expect_err("1 1:1\n0 2:1 0:1\n", &o, HEFT_EPARSE, 2, 7, "--format libfm");
    expect_err("1 1:1 -4:1\n", &o, HEFT_EPARSE, 1, 7, "negative");
    expect_err("1 1:1 a:1\n", &o, HEFT_EPARSE, 1, 7, "index");
    expect_err("1 1:1 5\n", &o, HEFT_EPARSE, 1, 7, "index:value");
    expect_err("1 1:x\n", &o, HEFT_EPARSE, 1, 3, "not a number");
    expect_err("1 1:nan\n", &o, HEFT_EPARSE, 1, 3, "NaN");
    expect_err("1 qid:a 1:1\n", &o, HEFT_EPARSE, 1, 3, "qid");
    o.format = HEFT_FMT_LIBFM;
    expect_err("1 0:1 99999999999999999999999:1\n", &o, HEFT_EPARSE, 1, 7,
               "index");
}

void test_io_bad_long_line(void)
{
    size_t n = HEFT__MAX_LINE + 100;
    char *s = malloc(n + 64);
    REQUIRE(s);
    size_t k = (size_t)snprintf(s, 64, "y,a\n1,x\n1,");
    memset(s + k, 'a', n - k - 1);
    s[n - 1] = '\n';
    heft_read_opts o = opts(HEFT_FMT_CSV);
    heft__parsed p;
    heft_error e;
    CHECK(heft__parse_mem(s, n, "t.txt", &o, &p, &e) == HEFT_ETOOLONG);
    CHECK(e.line == 3 && e.column == 1);
    /* Not a bad row that could be skipped. */
    o.max_bad_rows = 5;
    CHECK(heft__parse_mem(s, n, "t.txt", &o, &p, &e) == HEFT_ETOOLONG);
    free(s);
}

void test_io_bad_nocol(void)
{
    heft_read_opts o = opts(HEFT_FMT_CSV);
    const char *s = "y,a,b\n1,2,3\n";
    const char **flags[] = {&o.label_col, &o.weight_col, &o.group_col,
                            &o.time_col, &o.position_col, &o.num_cols,
                            &o.cat_cols, &o.multi_cols, &o.ignore_cols};
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++) {
        *flags[i] = i == 7 ? "zz:|" : "zz";
        expect_err(s, &o, HEFT_ENOCOL, 1, 0, "'zz'");
        expect_err(s, &o, HEFT_ENOCOL, 1, 0, "the header has: y, a, b");
        *flags[i] = NULL;
    }
    o.multi_cols = "a";
    expect_err(s, &o, HEFT_EINVAL, 0, 0, "COL:SEP");
    o.multi_cols = NULL;
    o.format = HEFT_FMT_AVAZU;
    expect_err(s, &o, HEFT_ENOCOL, 1, 0, "click");
    expect_err("y,a,a\n1,2,3\n", &o, HEFT_EPARSE, 1, 3, "twice");
}

/* ---- compression ---------------------------------------------------- */

#if defined(HEFT_HAVE_ZLIB) || defined(HEFT_HAVE_ZSTD)
static const char *sample_tsv(size_t *n)
{
    static char buf[1 << 16];
    size_t k = 0;
    for (int i = 0; i < 400; i++) {
        const char *ints[13] = {NULL, "3", "7"};
        char c1[16];
        snprintf(c1, sizeof c1, "%x", i * 7919);
        const char *cats[26] = {c1, "k"};
        criteo_line(buf + k, sizeof buf - k, i % 3 ? "0" : "1", ints, cats);
        k += strlen(buf + k);
    }
    *n = k;
    return buf;
}

/* Parses comp (compressed sample) from memory and from a file, and its
 * truncations; all must match the plain parse or fail with ETRUNC. */
static void check_compressed(const void *comp, size_t clen, const char *ext,
                             uint64_t min_line)
{
    size_t n;
    const char *plain = sample_tsv(&n);
    heft_read_opts o = opts(HEFT_FMT_AUTO);
    heft__parsed a, b;
    heft_error e;
    CHECK_OK(heft__parse_mem(plain, n, "p", &o, &a, &e));
    CHECK_OK(heft__parse_mem(comp, clen, "c", &o, &b, &e));
    CHECK(b.schema.format == HEFT_FMT_CRITEO);
    CHECK(same_csr(&a.csr, &b.csr));
    heft__parsed_free(&b);
    char name[32];
    snprintf(name, sizeof name, "s.tsv.%s", ext);
    const char *path = heft_test_write(name, comp, clen);
    CHECK_OK(heft__parse_file(path, &o, &b, &e));
    CHECK(same_csr(&a.csr, &b.csr));
    heft__parsed_free(&b);
    CHECK(heft__parse_mem(comp, clen - 9, "c", &o, &b, &e) == HEFT_ETRUNC);
    CHECK(!strcmp(e.file, "c") && strstr(e.msg, "truncated"));
    CHECK(e.line >= min_line && e.line <= 401); /* where the data stops */
    CHECK(heft__parse_mem(comp, clen / 2, "c", &o, &b, &e) == HEFT_ETRUNC);
    o.max_bad_rows = 100; /* not a row error */
    CHECK(heft__parse_mem(comp, clen / 2, "c", &o, &b, &e) == HEFT_ETRUNC);
    heft__parsed_free(&a);
}

#endif

void test_io_gzip(void)
{
#ifdef HEFT_HAVE_ZLIB
    CHECK(heft_has_gzip() == 1);
    size_t n;
    const char *plain = sample_tsv(&n);
    /* Two gzip members back to back read as one stream. */
    size_t half = n / 2;
    while (plain[half - 1] != '\n')
        half++;
    unsigned char *out = malloc(2 * n + 1024);
    REQUIRE(out);
    size_t total = 0;
    for (int part = 0; part < 2; part++) {
        z_stream z;
        memset(&z, 0, sizeof z);
        REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8,
                             Z_DEFAULT_STRATEGY) == Z_OK);
        z.next_in = (Bytef *)(plain + (part ? half : 0));
        z.avail_in = (uInt)(part ? n - half : half);
        z.next_out = out + total;
        z.avail_out = (uInt)(2 * n + 1024 - total);
        CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
        total += z.total_out;
        deflateEnd(&z);
    }
    check_compressed(out, total, "gz", 390); /* gzip decodes partially */
    free(out);
#else
    CHECK(heft_has_gzip() == 0);
    heft_read_opts o = opts(HEFT_FMT_AUTO);
    expect_err("\x1f\x8b\x08\x00", &o, HEFT_ENOTSUP, 0, 0, "gzip");
    SKIP("built without zlib");
#endif
}

void test_io_zstd(void)
{
#ifdef HEFT_HAVE_ZSTD
    CHECK(heft_has_zstd() == 1);
    size_t n;
    const char *plain = sample_tsv(&n);
    size_t cap = ZSTD_compressBound(n);
    void *out = malloc(cap);
    REQUIRE(out);
    size_t clen = ZSTD_compress(out, cap, plain, n, 3);
    REQUIRE(!ZSTD_isError(clen));
    check_compressed(out, clen, "zst", 1);
    free(out);
#else
    CHECK(heft_has_zstd() == 0);
    heft_read_opts o = opts(HEFT_FMT_AUTO);
    expect_err("\x28\xb5\x2f\xfd\x00", &o, HEFT_ENOTSUP, 0, 0, "zstd");
    SKIP("built without libzstd");
#endif
}

/* ---- budgets, limits, threads ---------------------------------------- */

/* A criteo-like buffer of n rows (bad rows where bad(i)), big enough to
 * be cut into several blocks. Returns a malloc'ed buffer. */
static char *gen_rows(int n, int (*bad)(int), size_t *len)
{
    size_t cap = (size_t)n * 400 + 1, k = 0;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    uint64_t x = 12345;
    for (int i = 0; i < n; i++) {
        char ints[13][24], cats[26][24];
        const char *ip[13], *cp[26];
        for (int j = 0; j < 13; j++) {
            x = heft__mix64(x + 1);
            snprintf(ints[j], sizeof ints[j], "%d", (int)(x % 5000) - 2);
            ip[j] = x % 7 == 0 ? NULL : ints[j];
        }
        for (int j = 0; j < 26; j++) {
            x = heft__mix64(x + 1);
            snprintf(cats[j], sizeof cats[j], "%08llx",
                     (unsigned long long)(x % 300));
            cp[j] = x % 11 == 0 ? NULL : cats[j];
        }
        criteo_line(s + k, cap - k, bad && bad(i) ? "bad" : (x & 1 ? "1" : "0"),
                    ip, cp);
        k += strlen(s + k);
    }
    *len = k;
    return s;
}

static int bad_rows_3(int i) { return i == 10 || i == 3000 || i == 5999; }

void test_io_max_bad_rows(void)
{
    size_t n;
    char *s = gen_rows(6000, bad_rows_3, &n);
    REQUIRE(s);
    for (int threads = 1; threads <= 3; threads++) {
        heft_read_opts o = opts(HEFT_FMT_CRITEO);
        o.threads = threads;
        heft__parsed p;
        heft_error e;
        CHECK(heft__parse_mem(s, n, "b", &o, &p, &e) == HEFT_EPARSE);
        CHECK(e.line == 11 && e.column == 1);
        o.max_bad_rows = 2;
        CHECK(heft__parse_mem(s, n, "b", &o, &p, &e) == HEFT_EPARSE);
        CHECK(e.line == 6000);
        o.max_bad_rows = 3;
        CHECK_OK(heft__parse_mem(s, n, "b", &o, &p, &e));
        CHECK(p.csr.n_rows == 5997 && p.n_bad == 3 && p.n_bad_kept == 3);
        CHECK(p.bad[0].line == 11 && p.bad[1].line == 3001 &&
              p.bad[2].line == 6000);
        CHECK(p.bad[1].code == HEFT_EPARSE && !strcmp(p.bad[1].file, "b"));
        CHECK(p.csr.src_line[10] == 12 && p.csr.src_line[5996] == 5999);
        heft__parsed_free(&p);
        /* max_rows stops before the later bad rows count. */
        o.max_bad_rows = 1;
        o.max_rows = 2000;
        CHECK_OK(heft__parse_mem(s, n, "b", &o, &p, &e));
        CHECK(p.csr.n_rows == 2000 && p.n_bad == 1);
        CHECK(p.csr.src_line[1999] == 2001);
        heft__parsed_free(&p);
        o.max_bad_rows = 0;
        o.max_rows = 10;
        CHECK_OK(heft__parse_mem(s, n, "b", &o, &p, &e));
        CHECK(p.csr.n_rows == 10 && p.n_bad == 0);
        heft__parsed_free(&p);
    }
    /* More than HEFT__MAX_BAD_KEPT bad rows: count all, keep the first. */
    heft_read_opts o = opts(HEFT_FMT_LIBSVM);
    o.max_bad_rows = 20;
    heft__parsed p;
    heft_error e;
    CHECK_OK(parse_str("x\nx\nx\nx\nx\nx\nx\nx\nx\nx\n1 1:1\n", &o, &p, &e));
    CHECK(p.n_bad == 10 && p.n_bad_kept == HEFT__MAX_BAD_KEPT);
    CHECK(p.bad[7].line == 8 && p.csr.n_rows == 1);
    heft__parsed_free(&p);
    expect_err("x\n", &o, HEFT_EEMPTY, 1, 1, "all 1 rows were bad");
    free(s);
}

void test_io_threads_invariant(void)
{
    size_t n;
    char *s = gen_rows(8000, NULL, &n);
    REQUIRE(s);
    heft_read_opts o = opts(HEFT_FMT_AUTO);
    heft__parsed a, b;
    heft_error e;
    CHECK_OK(heft__parse_mem(s, n, "t", &o, &a, &e));
    for (int t = 2; t <= 4; t++) {
        o.threads = t;
        CHECK_OK(heft__parse_mem(s, n, "t", &o, &b, &e));
        CHECK(same_csr(&a.csr, &b.csr));
        heft__parsed_free(&b);
    }
    CHECK(a.csr.n_rows == 8000 && a.csr.src_line[7999] == 8000);
    heft__parsed_free(&a);
    free(s);
}

/* A decompressed stream longer than one window (64 MiB): records cut
 * across windows, line numbers carried on, buffer growth. */
void test_io_stream_windows(void)
{
#ifdef HEFT_HAVE_ZSTD
    size_t n1;
    char *one = gen_rows(10000, NULL, &n1);
    REQUIRE(one);
    int reps = (int)((HEFT__IO_WINDOW + (HEFT__IO_WINDOW >> 3)) / n1) + 1;
    size_t n = n1 * (size_t)reps;
    char *all = malloc(n);
    REQUIRE(all);
    for (int r = 0; r < reps; r++)
        memcpy(all + (size_t)r * n1, one, n1);
    size_t cap = ZSTD_compressBound(n);
    void *z = malloc(cap);
    REQUIRE(z);
    size_t zn = ZSTD_compress(z, cap, all, n, 1);
    REQUIRE(!ZSTD_isError(zn));
    heft_read_opts o = opts(HEFT_FMT_AUTO);
    o.threads = 2;
    heft__parsed a, b;
    heft_error e;
    CHECK_OK(heft__parse_mem(all, n, "plain", &o, &a, &e));
    CHECK_OK(heft__parse_mem(z, zn, "z", &o, &b, &e));
    CHECK(a.csr.n_rows == (uint64_t)reps * 10000);
    CHECK(same_csr(&a.csr, &b.csr));
    CHECK(b.csr.src_line[b.csr.n_rows - 1] == b.csr.n_rows);
    heft__parsed_free(&a);
    heft__parsed_free(&b);
    /* A bad row past the first window is found at its line. */
    size_t at = HEFT__IO_WINDOW + 12345;
    while (all[at - 1] != '\n')
        at++;
    memcpy(all + at, "bad", 3);
    uint64_t line = 1;
    for (size_t i = 0; i < at; i++)
        line += all[i] == '\n';
    zn = ZSTD_compress(z, cap, all, n, 1);
    REQUIRE(!ZSTD_isError(zn));
    CHECK(heft__parse_mem(z, zn, "z", &o, &b, &e) == HEFT_EPARSE);
    CHECK(e.line == line && e.column == 1);
    free(z);
    free(all);
    free(one);
#else
    SKIP("built without libzstd");
#endif
}

/* ---- real data ------------------------------------------------------- */

static int read_real(const char *rel, heft_read_opts *o, heft__parsed *p)
{
    const char *path = heft_test_data(rel);
    if (!path)
        return 0;
    heft_error e;
    heft_status st = heft__parse_file(path, o, p, &e);
    if (st != HEFT_OK)
        heft_test_fail(__FILE__, __LINE__, "%s: %s:%llu:%u %s", rel,
                       heft_err_name(st), (unsigned long long)e.line,
                       e.column, e.msg);
    return st == HEFT_OK;
}

void test_io_real_criteo(void)
{
    heft_read_opts o = opts(HEFT_FMT_AUTO);
    o.threads = 2;
    heft__parsed p;
    if (!heft_test_data("criteo-subset/train.csv"))
        SKIP("criteo-subset/train.csv not available");
    REQUIRE(read_real("criteo-subset/train.csv", &o, &p));
    CHECK(p.schema.format == HEFT_FMT_CRITEO);
    CHECK(p.csr.n_rows == 7200 && p.schema.n_fields == 39);
    CHECK(p.csr.label[0] == 0 && p.csr.src_line[7199] == 7200);
    /* First line: 12 ints present (I12 empty), 25 cats (C22 empty). */
    CHECK(row_nnz(&p.csr, 0) == 12 * 2 + 25);
    uint64_t pos = 0;
    for (uint64_t i = 0; i < p.csr.n_rows; i++)
        pos += p.csr.label[i] == 1;
    CHECK(pos > 0 && pos < 7200);
    heft__parsed_free(&p);
}

void test_io_real_avazu(void)
{
    heft_read_opts o = opts(HEFT_FMT_AUTO);
    heft__parsed p;
    if (!heft_test_data("avazu-subset/train.csv"))
        SKIP("avazu-subset/train.csv not available");
    REQUIRE(read_real("avazu-subset/train.csv", &o, &p));
    CHECK(p.schema.format == HEFT_FMT_AVAZU);
    CHECK(p.csr.n_rows == 8087 && p.schema.n_fields == 23);
    CHECK(p.csr.time && p.csr.time[0] == 5407.0 * 24);
    CHECK(row_nnz(&p.csr, 0) == 23);
    heft__parsed_free(&p);
}

void test_io_real_libfm(void)
{
    heft_read_opts o = opts(HEFT_FMT_AUTO);
    heft__parsed p;
    if (!heft_test_data("frappe/frappe.validation.libfm"))
        SKIP("frappe not available");
    REQUIRE(read_real("frappe/frappe.validation.libfm", &o, &p));
    CHECK(p.schema.format == HEFT_FMT_LIBFM);
    CHECK(p.csr.n_rows == 57722 && p.csr.nnz == 577220 && !p.graded);
    CHECK(p.csr.label[0] == 1 && p.csr.label[1] == 0);
    heft__parsed_free(&p);
    if (!heft_test_data("xlearn-criteo/small_train.txt"))
        SKIP("xlearn-criteo not available");
    REQUIRE(read_real("xlearn-criteo/small_train.txt", &o, &p));
    CHECK(p.schema.format == HEFT_FMT_LIBFFM);
    CHECK(p.csr.n_rows == 200 && p.csr.field[15] == 17);
    CHECK(p.csr.feat[0] == heft__bucket(0, 0, BITS));
    heft__parsed_free(&p);
}

void test_io_real_rank(void)
{
    heft_read_opts o = opts(HEFT_FMT_AUTO);
    heft__parsed p;
    if (!heft_test_data("lightgbm-rank/rank.train"))
        SKIP("lightgbm-rank not available");
    REQUIRE(read_real("lightgbm-rank/rank.train", &o, &p));
    CHECK(p.schema.format == HEFT_FMT_LIBSVM && p.graded);
    CHECK(p.csr.n_rows == 3005);
    uint64_t hist[5] = {0};
    for (uint64_t i = 0; i < p.csr.n_rows; i++)
        hist[(int)p.csr.label[i]]++;
    CHECK(hist[0] == 645 && hist[1] == 1211 && hist[2] == 858 &&
          hist[3] == 222 && hist[4] == 69);
    heft__parsed_free(&p);
    if (!heft_test_data("letor-mq2008/val.txt"))
        SKIP("letor-mq2008 not available");
    REQUIRE(read_real("letor-mq2008/val.txt", &o, &p));
    CHECK(p.csr.n_rows == 1000 && p.csr.nnz == 46000);
    REQUIRE(p.csr.group);
    CHECK(p.csr.group[0] == 15928 && p.schema.n_fields == 46);
    heft__parsed_free(&p);
}

void test_io_real_instacart(void)
{
    const char *rel = "instacart-subset/order_products__train.csv";
    const char *path = heft_test_data(rel);
    if (!path)
        SKIP("instacart-subset not available");
    heft_read_opts o = opts(HEFT_FMT_AUTO);
    o.label_col = "reordered";
    heft__parsed p;
    heft_error e;
    CHECK(heft__parse_file(path, &o, &p, &e) == HEFT_EPARSE);
    CHECK(e.line == 107206 && e.column == 4 && strstr(e.msg, "empty"));
    o.max_bad_rows = 1;
    o.threads = 2;
    REQUIRE(read_real(rel, &o, &p));
    CHECK(p.csr.n_rows == 107204 && p.n_bad == 1);
    CHECK(p.bad[0].line == 107206);
    CHECK(!strcmp(p.schema.num, "order_id,product_id,add_to_cart_order"));
    heft__parsed_free(&p);
}

void test_io_real_tmall(void)
{
    heft_read_opts o = opts(HEFT_FMT_AUTO);
    heft__parsed p;
    if (!heft_test_data("tmall-repeat-buyer/train_format1.csv"))
        SKIP("tmall-repeat-buyer not available");
    REQUIRE(read_real("tmall-repeat-buyer/train_format1.csv", &o, &p));
    CHECK(p.schema.format == HEFT_FMT_CSV && !strcmp(p.schema.label, "label"));
    CHECK(p.csr.n_rows == 260864 && p.schema.n_fields == 2);
    heft__parsed_free(&p);
}

/* ---- the fast path and the read pipeline ------------------------------ */

/* The inlined 8-byte hash agrees with core's heft__hash_bytes(). */
void test_io_fast_hash(void)
{
    uint64_t x = 99;
    char buf[16];
    for (int i = 0; i < 20000; i++) {
        for (int k = 0; k < 16; k++) {
            x = heft__mix64(x + 1);
            buf[k] = (char)(x >> 13);
        }
        const size_t n = 1 + (size_t)(i % 8);
        CHECK(heft__io_hash8(buf, n) == heft__hash_bytes(buf, n, 0));
    }
    CHECK(heft__io_hash8("8549f5fe........", 8) ==
          heft__hash_bytes("8549f5fe", 8, 0));
}

/* A random cell for a numeric (num) or categorical column: mostly what
 * the fast path takes, and every kind of text it must hand back. */
static const char *rand_cell(uint64_t *x, int num, char *buf, size_t cap)
{
    static const char *const odd[] = {
        "-0",  "+7",   "007",   "1.5",  "2e3", "-3.25", "nan", "inf", "-",
        "+",   "1x",   " 5",    "5 ",   "1e400", "1e39", "-1e39", "0x10",
        "\"q\"", "a\"b", "a\rb", "0000000000000000001", "1234567890123456789",
        "-123456789012345678", "99999999999999999999", "\xff\xfe", "."};
    *x = heft__mix64(*x + 1);
    const uint64_t r = *x >> 8;
    const unsigned pick = (unsigned)(*x % 64);
    if (*x % 256 < 2)
        return odd[r % (sizeof odd / sizeof odd[0])];
    if (pick < 10)
        return "";
    if (num) {
        if (pick < 50)
            snprintf(buf, cap, "%u", (unsigned)(r % 5000));
        else if (pick < 56)
            snprintf(buf, cap, "-%u", (unsigned)(r % 9000));
        else
            snprintf(buf, cap, "%llu", (unsigned long long)(r % 4000000000ULL));
        return buf;
    }
    const int n = pick < 54 ? 8 : 1 + (int)(r % 20); /* hex digits */
    for (int k = 0; k < n; k++)
        buf[k] = "0123456789abcdef"[((r >> (k % 40)) ^ (uint64_t)k) & 15];
    buf[n] = '\0';
    return buf;
}

/* Random records with a cell per letter of kinds ('l' label, 'n' numeric,
 * 'c' categorical), some ragged, some with CR; the last has no newline.
 * Returns a malloc'ed buffer. */
static char *rand_records(uint64_t seed, int rows, const char *kinds,
                          char delim, size_t *len)
{
    static const char *const labels[] = {"0", "1", "0", "1", "-1", "+1",
                                         "2", "1000", "1001", "0.5", "",
                                         "x", "1.0", "0", "1", "1"};
    const size_t ncols = strlen(kinds);
    size_t cap = (size_t)rows * (ncols + 2) * 24 + 64, k = 0;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    uint64_t x = seed;
    for (int i = 0; i < rows; i++) {
        x = heft__mix64(x + 1);
        const size_t cols = x % 29 == 0 ? ncols - 1 : x % 31 == 0 ? ncols + 1
                                                                  : ncols;
        const int cr = x % 13 == 0;
        for (size_t j = 0; j < cols; j++) {
            char buf[32];
            const char kind = j < ncols ? kinds[j] : 'c';
            const char *cell = kind == 'l' ? labels[(x >> 8) % 64 < 16
                                                        ? (x >> 16) % 16
                                                        : (x >> 16) % 2]
                                           : rand_cell(&x, kind == 'n', buf,
                                                       sizeof buf);
            k += (size_t)snprintf(s + k, cap - k, "%s%s", j ? (char[]){delim, 0}
                                                            : "",
                                  cell);
        }
        k += (size_t)snprintf(s + k, cap - k, "%s%s", cr ? "\r" : "",
                              i + 1 < rows ? "\n" : "");
    }
    *len = k;
    return s;
}

/* Runs every record of buf through the general path and the fast one
 * with the same context: a record the fast path takes must come out
 * exactly as the general path makes it; one the general path rejects the
 * fast path must hand back untouched. */
static void fast_vs_general(heft__io_ctx *c, const char *buf, size_t n,
                            int *took, int *gave)
{
    heft__io_blk g, f;
    memset(&g, 0, sizeof g);
    memset(&f, 0, sizeof f);
    REQUIRE(heft__csr_init(&g.csr, c->flags, 16, 16) == HEFT_OK);
    REQUIRE(heft__csr_init(&f.csr, c->flags, 16, 16) == HEFT_OK);
    const char *q = buf, *end = buf + n;
    for (uint64_t line = 1; q < end; line++) {
        const char *nl = memchr(q, '\n', (size_t)(end - q));
        nl = nl ? nl : end;
        size_t len = (size_t)(nl - q);
        if (len && q[len - 1] == '\r')
            len--;
        if (len && *q != '\r') {
            heft_error e;
            const heft_status st = heft__delim_row(c, &g, q, len, line, &e);
            if (st != HEFT_OK)
                heft__csr_cancel_row(&g.csr);
            const char *r = heft__delim_fast(c, &f, q, end, line);
            if (r) {
                (*took)++;
                CHECK(r == nl && st == HEFT_OK);
                CHECK(f.csr.n_rows == 1 && g.csr.n_rows == 1);
                CHECK(f.csr.nnz == g.csr.nnz && f.graded == g.graded);
                const size_t z = (size_t)g.csr.nnz;
                CHECK(!memcmp(f.csr.feat, g.csr.feat, z * 4) &&
                      !memcmp(f.csr.val, g.csr.val, z * 4) &&
                      !memcmp(f.csr.field, g.csr.field, z * 2));
                CHECK(f.csr.label[0] == g.csr.label[0] &&
                      f.csr.src_line[0] == line);
            } else {
                (*gave)++;
                CHECK(f.csr.n_rows == 0 && f.csr.nnz == 0 && !f.graded);
            }
        }
        g.csr.n_rows = g.csr.nnz = f.csr.n_rows = f.csr.nnz = 0;
        g.graded = f.graded = 0;
        q = nl < end ? nl + 1 : end;
    }
    heft__csr_free(&g.csr);
    heft__csr_free(&f.csr);
    free(g.scratch);
    free(g.fields);
}

/* Builds the context of a read of buf with o, as the driver does. */
static heft_status fast_ctx(heft__io_ctx *c, heft__schema *s,
                            const heft_read_opts *o, heft_format fmt,
                            const char *buf, size_t n, size_t *used)
{
    memset(c, 0, sizeof *c);
    memset(s, 0, sizeof *s);
    c->fmt = fmt;
    c->name = "t";
    c->bits = o->hash_bits;
    c->transform = o->num_transform;
    c->num_buckets = o->num_buckets;
    heft__ctx_tables(c);
    uint64_t hdr_lines;
    heft_error e;
    return heft__delim_setup(c, o, buf, n, 1, s, used, &hdr_lines, &e);
}

void test_io_fast_path_same(void)
{
    int took = 0, gave = 0;
    for (int v = 0; v < 4; v++) {
        heft_read_opts o = opts(HEFT_FMT_CRITEO);
        o.num_buckets = v & 1;
        o.num_transform = v & 2 ? HEFT_NUM_NONE : HEFT_NUM_LOG;
        size_t n, used;
        char *buf = rand_records(7 + (uint64_t)v, 3000,
                                 "lnnnnnnnnnnnnncccccccccccccccccccccccccc",
                                 '\t', &n);
        REQUIRE(buf);
        heft__io_ctx c;
        heft__schema s;
        CHECK_OK(fast_ctx(&c, &s, &o, HEFT_FMT_CRITEO, buf, n, &used));
        CHECK(c.fast && c.row_nnz_max == (o.num_buckets ? 52u : 39u));
        fast_vs_general(&c, buf, n, &took, &gave);
        heft__ctx_free(&c);
        heft__schema_free(&s);
        free(buf);
    }
    /* CSV with quotes on, named columns and an ignored one. */
    {
        heft_read_opts o = opts(HEFT_FMT_CSV);
        o.label_col = "y";
        o.num_cols = "a,b";
        o.cat_cols = "c,d";
        size_t n, used;
        char *rows = rand_records(99, 3000, "lncxnc", ',', &n);
        REQUIRE(rows);
        const char hdr[] = "y,a,c,skip,b,d\n";
        char *buf = malloc(n + sizeof hdr);
        REQUIRE(buf);
        memcpy(buf, hdr, sizeof hdr - 1);
        memcpy(buf + sizeof hdr - 1, rows, n);
        n += sizeof hdr - 1;
        heft__io_ctx c;
        heft__schema s;
        CHECK_OK(fast_ctx(&c, &s, &o, HEFT_FMT_CSV, buf, n, &used));
        CHECK(c.fast && c.quotes && used == sizeof hdr - 1);
        fast_vs_general(&c, buf + used, n - used, &took, &gave);
        heft__ctx_free(&c);
        heft__schema_free(&s);
        free(buf);
        free(rows);
    }
    /* Both outcomes were exercised, the fast one mostly. */
    CHECK(took > 3 * gave && gave > 100);
    /* Columns the fast path does not handle turn it off. */
    heft_read_opts o = opts(HEFT_FMT_CSV);
    o.weight_col = "w";
    heft__io_ctx c;
    heft__schema s;
    size_t used;
    const char *t = "label,w,a\n1,2,x\n";
    CHECK_OK(fast_ctx(&c, &s, &o, HEFT_FMT_CSV, t, strlen(t), &used));
    CHECK(!c.fast);
    heft__ctx_free(&c);
    heft__schema_free(&s);
}

/* Copying rows between CSRs, as the reader gathers its blocks: row
 * pointers shifted, lines offset, missing optional columns defaulted. */
void test_io_csr_copy_rows(void)
{
    heft__csr a, b;
    CHECK_OK(heft__csr_init(&a, 0, 1, 1));
    CHECK_OK(heft__csr_init(&b, HEFT__HAS_WEIGHT, 1, 1));
    for (int i = 0; i < 5000; i++) {
        heft__csr *c = i < 2000 ? &a : &b;
        CHECK_OK(heft__csr_reserve_nnz(c, 3));
        for (int k = 0; k < i % 3; k++)
            heft__csr_push(c, (uint32_t)i, (float)k, (uint16_t)k);
        heft__rowmeta m = {(float)(i & 1), 3.0f, 0, 0, 0, (uint64_t)i};
        CHECK_OK(heft__csr_end_row(c, &m));
    }
    const uint64_t ar = a.n_rows, az = a.nnz;
    CHECK_OK(heft__csr_add_flags(&a, HEFT__HAS_WEIGHT | HEFT__HAS_TIME));
    REQUIRE(a.weight && a.time);
    CHECK(a.weight[0] == 1.0f && a.weight[ar - 1] == 1.0f &&
          a.time[ar - 1] == 0);
    CHECK_OK(heft__csr_reserve_rows(&a, b.n_rows));
    CHECK_OK(heft__csr_reserve_nnz(&a, b.nnz));
    /* Two ranges copied out of order, as two threads may. */
    const uint64_t mid = 1234;
    heft__csr_copy_rows(&a, ar + mid, az + b.row_ptr[mid], &b, mid, b.n_rows,
                        10);
    heft__csr_copy_rows(&a, ar, az, &b, 0, mid, 10);
    a.n_rows += b.n_rows;
    a.nnz += b.nnz;
    CHECK(a.n_rows == 5000 && a.row_ptr[a.n_rows] == a.nnz);
    for (uint64_t i = 0; i < a.n_rows; i++) {
        CHECK(a.row_ptr[i + 1] - a.row_ptr[i] == i % 3);
        CHECK(a.src_line[i] == (i < 2000 ? i : i + 10));
        CHECK(a.weight[i] == (i < 2000 ? 1.0f : 3.0f) && a.time[i] == 0);
        if (a.row_ptr[i + 1] > a.row_ptr[i])
            CHECK(a.feat[a.row_ptr[i]] == i);
    }
    heft__csr_free(&a);
    heft__csr_free(&b);
}

/* A file read in windows smaller than the file, with a record longer than
 * a window, by 1 and 3 threads: the same as reading the bytes in place. */
void test_io_file_windows(void)
{
    size_t n1;
    char *one = gen_rows(20000, NULL, &n1);
    REQUIRE(one);
    const size_t longn = (size_t)10 << 20; /* > the per-thread window */
    const int reps = 4;
    size_t n = n1 * (size_t)reps + longn + 400;
    char *all = malloc(n);
    REQUIRE(all);
    size_t k = 0;
    for (int r = 0; r < reps; r++) {
        memcpy(all + k, one, n1);
        k += n1;
        if (r == 1) { /* a criteo row with one very long token */
            memcpy(all + k, "1\t5", 3);
            k += 3;
            for (int j = 0; j < 12 + 26; j++)
                all[k++] = '\t';
            memset(all + k, 'a', longn);
            k += longn;
            all[k++] = '\n';
        }
    }
    const char *path = heft_test_write("windows.tsv", all, k);
    REQUIRE(path);
    heft_read_opts o = opts(HEFT_FMT_AUTO);
    heft__parsed a, b;
    heft_error e;
    CHECK_OK(heft__parse_mem(all, k, "m", &o, &a, &e));
    CHECK(a.csr.n_rows == 80001 && a.csr.src_line[40000] == 40001);
    for (int t = 1; t <= 3; t += 2) {
        o.threads = t;
        CHECK_OK(heft__parse_file(path, &o, &b, &e));
        CHECK(same_csr(&a.csr, &b.csr));
        heft__parsed_free(&b);
    }
    heft__parsed_free(&a);
    /* CSV whose first record, quoted across many lines, outgrows a
     * per-thread window: column inference still sees the rows after it. */
    k = 0;
    k += (size_t)sprintf(all + k, "y,a,b\n1,\"");
    for (int i = 0; i < 95000; i++) {
        memset(all + k, 'z', 99);
        all[k + 99] = '\n';
        k += 100;
    }
    k += (size_t)sprintf(all + k, "\",3\n");
    for (int i = 0; i < 1500; i++)
        k += (size_t)sprintf(all + k, "%d,b%d,%d\n", i & 1, i, i);
    path = heft_test_write("windows.csv", all, k);
    REQUIRE(path);
    o = opts(HEFT_FMT_AUTO);
    CHECK_OK(heft__parse_mem(all, k, "m", &o, &a, &e));
    CHECK(a.csr.n_rows == 1501 && a.csr.src_line[1] == 95003);
    for (int t = 1; t <= 2; t++) {
        o.threads = t;
        CHECK_OK(heft__parse_file(path, &o, &b, &e));
        CHECK(same_csr(&a.csr, &b.csr));
        CHECK(b.schema.num && !strcmp(b.schema.num, "b"));
        heft__parsed_free(&b);
    }
    heft__parsed_free(&a);
    free(all);
    free(one);
}
