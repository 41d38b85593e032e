/* test_core.c: tests of src/core (status table, errors, rng, hashing, CSR,
 * atomic output, threads). */
#include "test.h"

#include "core.h"
#include "csr.h"

#include <sys/stat.h>
#include <unistd.h>

void test_status_names(void)
{
    CHECK(!strcmp(heft_err_name(HEFT_OK), "OK"));
    CHECK(!strcmp(heft_err_name(HEFT_EPARSE), "EPARSE"));
    CHECK(!strcmp(heft_err_name(HEFT_ENOCOL), "ENOCOL"));
    CHECK(!strcmp(heft_err_name((heft_status)-999), "UNKNOWN"));
    CHECK(!strcmp(heft_strerror(HEFT_ECORRUPT),
                  "corrupted file (checksum mismatch)"));
    /* Every code in the table has a distinct name. */
    const heft_status all[] = {
#define X(name, val, msg) HEFT_##name,
        HEFT_ERRNO_MAP(X)
#undef X
    };
    size_t n = sizeof all / sizeof all[0];
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            CHECK(strcmp(heft_err_name(all[i]), heft_err_name(all[j])));
}

void test_error_format(void)
{
    heft_error e;
    char buf[1200];
    CHECK(heft__err(&e, HEFT_EPARSE, "a.tsv", 12, 3, "expected %s", "int") ==
          HEFT_EPARSE);
    CHECK(!strcmp(heft_error_format(&e, buf, sizeof buf),
                  "a.tsv:12:3: expected int"));
    heft__err(&e, HEFT_EIO, "b", 0, 0, "cannot open");
    CHECK(!strcmp(heft_error_format(&e, buf, sizeof buf), "b: cannot open"));
    heft__err(&e, HEFT_ENOMEM, NULL, 0, 0, "out of memory");
    CHECK(!strcmp(heft_error_format(&e, buf, sizeof buf), "out of memory"));
    heft__err_clear(&e);
    CHECK(e.code == HEFT_OK && e.file[0] == 0 && e.line == 0);
    /* A NULL error pointer is allowed everywhere. */
    CHECK(heft__err(NULL, HEFT_EIO, "x", 1, 1, "y") == HEFT_EIO);
}

void test_rng_reproducible(void)
{
    heft__rng a, b, c;
    heft__rng_seed(&a, 42);
    heft__rng_seed(&b, 42);
    heft__rng_seed(&c, 43);
    int same = 1, diff = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = heft__rng_u64(&a), y = heft__rng_u64(&b);
        same &= x == y;
        diff += x != heft__rng_u64(&c);
    }
    CHECK(same);
    CHECK(diff > 990);
    double s = 0, s2 = 0;
    for (int i = 0; i < 100000; i++) {
        double z = heft__rng_normal(&a);
        s += z;
        s2 += z * z;
    }
    CHECK_NEAR(s / 1e5, 0.0, 0.02);
    CHECK_NEAR(s2 / 1e5, 1.0, 0.03);
    CHECK(heft__seed_mix(1, 0) != heft__seed_mix(1, 1));
    CHECK(heft__seed_mix(1, 5) == heft__seed_mix(1, 5));
}

void test_rng_below_uniform(void)
{
    heft__rng r;
    heft__rng_seed(&r, 7);
    int cnt[7] = {0};
    for (int i = 0; i < 70000; i++) {
        uint64_t v = heft__rng_below(&r, 7);
        REQUIRE(v < 7);
        cnt[v]++;
    }
    for (int k = 0; k < 7; k++)
        CHECK(abs(cnt[k] - 10000) < 500);
    uint64_t idx[100];
    for (int i = 0; i < 100; i++)
        idx[i] = (uint64_t)i;
    heft__rng_shuffle_u64(&r, idx, 100);
    int seen[100] = {0}, moved = 0;
    for (int i = 0; i < 100; i++) {
        seen[idx[i]]++;
        moved += idx[i] != (uint64_t)i;
    }
    for (int i = 0; i < 100; i++)
        CHECK(seen[i] == 1);
    CHECK(moved > 80);
    for (int i = 0; i < 1000; i++) {
        double u = heft__rng_uniform(&r);
        CHECK(u >= 0 && u < 1);
    }
}

void test_hash_distinct(void)
{
    /* Different lengths, bytes and seeds give different hashes; buckets
     * stay in range and depend on the field. */
    const char *a = "68fd1e64", *b = "68fd1e65";
    CHECK(heft__hash_bytes(a, 8, 0) != heft__hash_bytes(b, 8, 0));
    CHECK(heft__hash_bytes(a, 7, 0) != heft__hash_bytes(a, 8, 0));
    CHECK(heft__hash_bytes(a, 8, 0) != heft__hash_bytes(a, 8, 1));
    CHECK(heft__hash_bytes("", 0, 0) != heft__hash_bytes("\0", 1, 0));
    uint64_t h = heft__hash_bytes(a, 8, 0);
    int same_field_diff = 0;
    for (unsigned bits = 1; bits <= 30; bits++) {
        CHECK(heft__bucket(3, h, bits) < (1u << bits));
    }
    for (uint32_t f = 0; f < 100; f++)
        same_field_diff += heft__bucket(f, h, 20) != heft__bucket(f + 1, h, 20);
    CHECK(same_field_diff >= 99);
    /* Buckets spread evenly: 2^16 tokens into 2^8 buckets. */
    int cnt[256] = {0};
    for (uint32_t i = 0; i < 65536; i++) {
        char tok[16];
        int n = snprintf(tok, sizeof tok, "%x", i);
        cnt[heft__bucket(0, heft__hash_bytes(tok, (size_t)n, 0), 8)]++;
    }
    for (int k = 0; k < 256; k++)
        CHECK(cnt[k] > 256 - 80 && cnt[k] < 256 + 80);
}

void test_csr_build_append(void)
{
    heft__csr a, b;
    CHECK_OK(heft__csr_init(&a, 0, 1, 1));
    CHECK_OK(heft__csr_init(&b, HEFT__HAS_WEIGHT | HEFT__HAS_GROUP, 1, 1));
    for (int i = 0; i < 5000; i++) {
        heft__csr *c = i % 2 ? &b : &a;
        CHECK_OK(heft__csr_reserve_nnz(c, 3));
        for (int k = 0; k < i % 4; k++)
            heft__csr_push(c, (uint32_t)(i + k), (float)k, (uint16_t)k);
        if (i % 7 == 0) {
            heft__csr_cancel_row(c);
            continue;
        }
        heft__rowmeta m = {(float)(i % 2), 2.0f, (uint64_t)i, 0, 0,
                           (uint64_t)i + 1};
        CHECK_OK(heft__csr_end_row(c, &m));
    }
    uint64_t an = a.n_rows, bn = b.n_rows, annz = a.nnz;
    CHECK_OK(heft__csr_append(&a, &b));
    CHECK(a.n_rows == an + bn);
    CHECK(a.nnz == annz + b.nnz);
    REQUIRE(a.weight && a.group);
    CHECK(a.weight[0] == 1.0f && a.weight[an] == 2.0f);
    CHECK(a.row_ptr[a.n_rows] == a.nnz);
    for (uint64_t i = 0; i < a.n_rows; i++) {
        uint64_t len = a.row_ptr[i + 1] - a.row_ptr[i];
        uint64_t line = a.src_line[i];
        CHECK(len == (line - 1) % 4);
        CHECK(line % 7 != 1);
        if (len)
            CHECK(a.feat[a.row_ptr[i]] == line - 1);
    }
    heft__csr_shrink(&a);
    CHECK(a.cap_rows == a.n_rows);
    heft__csr_free(&a);
    heft__csr_free(&b);
    heft__csr_free(NULL);
}

void test_outfile_atomic(void)
{
    const char *p = heft_test_write("keep.txt", "old", 3);
    heft__outfile o;
    heft_error e;
    CHECK_OK(heft__out_open(&o, p, &e));
    heft__out_write(&o, "new!", 4);
    /* Abort: the old file stays as it was and no temporary is left. */
    heft__out_abort(&o);
    void *buf;
    size_t len;
    CHECK_OK(heft__read_file(p, &buf, &len, &e));
    CHECK(len == 3 && !memcmp(buf, "old", 3));
    free(buf);
    CHECK_OK(heft__out_open(&o, p, &e));
    heft__out_write(&o, "new!", 4);
    CHECK_OK(heft__out_commit(&o, &e));
    CHECK_OK(heft__read_file(p, &buf, &len, &e));
    CHECK(len == 4 && !memcmp(buf, "new!", 4));
    free(buf);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "test $(ls '%s' | wc -l) -eq 1",
             heft_test_tmpdir());
    CHECK(system(cmd) == 0);
    CHECK(heft__out_open(&o, "/nonexistent-dir/x", &e) == HEFT_EIO);
    CHECK(!strcmp(e.file, "/nonexistent-dir/x"));
    CHECK(heft__read_file("/nonexistent-dir/x", &buf, &len, &e) == HEFT_EIO);
}

typedef struct {
    int hits[8];
} par_ctx;

static void par_task(void *ctx, int t, int n)
{
    par_ctx *c = ctx;
    c->hits[t] += n;
}

void test_parallel_runs_all(void)
{
    par_ctx c = {{0}};
    CHECK_OK(heft__parallel(4, par_task, &c));
    for (int t = 0; t < 4; t++)
        CHECK(c.hits[t] == 4);
    CHECK(c.hits[4] == 0);
    memset(&c, 0, sizeof c);
    CHECK_OK(heft__parallel(1, par_task, &c));
    CHECK(c.hits[0] == 1);
    CHECK(heft__threads(0) == heft__ncores());
    CHECK(heft__threads(1000) == 64);
    CHECK(heft__ncores() >= 1);
}
