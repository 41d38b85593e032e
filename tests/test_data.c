/* test_data.c: tests of src/data: datasets from arrays, subsets, the .hds
 * file, splits and the synthetic log generator. */
#include "test.h"

#include "dataset.h"

#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <dirent.h>

/* ---- helpers ----------------------------------------------------------- */

/* A small dataset with every optional column, built the way the parsers
 * build one (csr + schema + bad rows), through heft__dataset_from_parsed. */
static heft_dataset *full_dataset(size_t n_rows, uint64_t seed)
{
    heft__parsed p;
    memset(&p, 0, sizeof p);
    unsigned flags = HEFT__HAS_WEIGHT | HEFT__HAS_GROUP | HEFT__HAS_TIME |
                     HEFT__HAS_POSITION;
    if (heft__csr_init(&p.csr, flags, 4, 16) != HEFT_OK)
        return NULL;
    heft__rng r;
    heft__rng_seed(&r, seed);
    for (size_t i = 0; i < n_rows; i++) {
        int k = (int)heft__rng_below(&r, 5);
        if (heft__csr_reserve_nnz(&p.csr, (uint64_t)k) != HEFT_OK)
            return NULL;
        for (int j = 0; j < k; j++)
            heft__csr_push(&p.csr, (uint32_t)heft__rng_below(&r, 1u << 12),
                           (float)heft__rng_normal(&r), (uint16_t)j);
        heft__rowmeta m = {(float)(heft__rng_uniform(&r) < 0.3),
                           (float)(0.5 + heft__rng_uniform(&r)),
                           heft__rng_below(&r, 7),
                           1e9 + (double)heft__rng_below(&r, 1000),
                           (float)(1 + heft__rng_below(&r, 10)),
                           i + 2};
        if (heft__csr_end_row(&p.csr, &m) != HEFT_OK)
            return NULL;
    }
    p.schema.format = HEFT_FMT_CSV;
    p.schema.hash_bits = 12;
    p.schema.num_transform = HEFT_NUM_LOG;
    p.schema.num_buckets = 1;
    p.schema.label = heft__strdup("click");
    p.schema.group = heft__strdup("query_id");
    p.schema.time = heft__strdup("ts");
    const char *names[] = {"a", "b", "c", "d"};
    for (int f = 0; f < 4; f++)
        heft__schema_add_field(&p.schema, names[f], 1);
    p.graded = 0;
    p.n_bad = 3;
    p.n_bad_kept = 2;
    heft__err(&p.bad[0], HEFT_EPARSE, "x.csv", 7, 3, "expected a number");
    heft__err(&p.bad[1], HEFT_ETOOLONG, "x.csv", 9, 0, "line\twith tab");
    heft_dataset *ds = NULL;
    if (heft__dataset_from_parsed(&p, &ds, NULL) != HEFT_OK)
        return NULL;
    return ds;
}

#define SAME_ARR(a, b, n)                                                     \
    (((a) == NULL && (b) == NULL) ||                                          \
     ((a) && (b) && !memcmp((a), (b), (size_t)(n) * sizeof *(a))))

/* Bit-exact equality of two datasets, schema included. */
static int same_dataset(const heft_dataset *a, const heft_dataset *b)
{
    if (a->n_rows != b->n_rows || a->nnz != b->nnz || a->graded != b->graded ||
        a->n_bad != b->n_bad || a->n_bad_kept != b->n_bad_kept)
        return 0;
    uint64_t r = a->n_rows, z = a->nnz;
    if (!SAME_ARR(a->row_ptr, b->row_ptr, r + 1) ||
        !SAME_ARR(a->feat, b->feat, z) || !SAME_ARR(a->val, b->val, z) ||
        !SAME_ARR(a->field, b->field, z) || !SAME_ARR(a->label, b->label, r) ||
        !SAME_ARR(a->weight, b->weight, r) ||
        !SAME_ARR(a->group, b->group, r) ||
        !SAME_ARR(a->time, b->time, r) ||
        !SAME_ARR(a->position, b->position, r) ||
        !SAME_ARR(a->src_line, b->src_line, r))
        return 0;
    char *ta = NULL, *tb = NULL;
    size_t la = 0, lb = 0;
    heft__schema_to_text(&a->schema, &ta, &la);
    heft__schema_to_text(&b->schema, &tb, &lb);
    int same = ta && tb && la == lb && !memcmp(ta, tb, la);
    free(ta);
    free(tb);
    for (size_t i = 0; same && i < a->n_bad_kept; i++)
        same = a->bad[i].code == b->bad[i].code &&
               a->bad[i].line == b->bad[i].line &&
               a->bad[i].column == b->bad[i].column &&
               !strcmp(a->bad[i].file, b->bad[i].file);
    return same;
}

static void *slurp(const char *path, size_t *len)
{
    void *buf = NULL;
    if (heft__read_file(path, &buf, len, NULL) != HEFT_OK)
        return NULL;
    return buf;
}

/* Number of entries in the test's temporary directory. */
static int tmpdir_entries(void)
{
    DIR *d = opendir(heft_test_tmpdir());
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

/* ---- options and names ------------------------------------------------- */

void test_data_read_opts(void)
{
    heft_read_opts o = heft_read_opts_default();
    CHECK(o.format == HEFT_FMT_AUTO && o.hash_bits == 20 &&
          o.num_transform == HEFT_NUM_LOG && o.num_buckets == 1 &&
          o.threads == 0 && !o.label_col && o.max_rows == 0);
    heft_error e;
    CHECK_OK(heft_read_opts_check(&o, &e));
    o.hash_bits = 0;
    CHECK(heft_read_opts_check(&o, &e) == HEFT_EINVAL);
    CHECK(strstr(e.msg, "hash_bits") != NULL);
    o.hash_bits = 31;
    CHECK(heft_read_opts_check(&o, &e) == HEFT_EINVAL);
    o.hash_bits = 30;
    CHECK_OK(heft_read_opts_check(&o, &e));
    o.label_col = "";
    CHECK(heft_read_opts_check(&o, &e) == HEFT_EINVAL);
    CHECK(strstr(e.msg, "label_col") != NULL);
    o = heft_read_opts_default();
    o.threads = -1;
    CHECK(heft_read_opts_check(&o, &e) == HEFT_EINVAL);
    o = heft_read_opts_default();
    o.format = HEFT_FMT__COUNT;
    CHECK(heft_read_opts_check(&o, &e) == HEFT_EINVAL);
    for (int f = 0; f < HEFT_FMT__COUNT; f++) {
        heft_format g = HEFT_FMT__COUNT;
        CHECK_OK(heft_format_parse(heft_format_name((heft_format)f), &g));
        CHECK(g == (heft_format)f);
    }
    CHECK(!strcmp(heft_format_name(HEFT_FMT_LIBFFM), "libffm"));
    CHECK(!strcmp(heft_format_name(HEFT_FMT_AUTO), "auto"));
    heft_format g;
    CHECK(heft_format_parse("parquet", &g) == HEFT_EINVAL);
    CHECK(heft_format_parse(NULL, &g) == HEFT_EINVAL);
}

/* ---- from_csr and subset ----------------------------------------------- */

void test_data_from_csr(void)
{
    /* 3 rows: {5:2.0 f0, 7:1.0 f2}, {}, {1:0.5 f1} */
    const uint64_t rp[] = {0, 2, 2, 3};
    const uint32_t feat[] = {5, 7, 1};
    const float val[] = {2.0f, 1.0f, 0.5f};
    const uint16_t field[] = {0, 2, 1};
    const float label[] = {1, 0, 1};
    const float w[] = {1, 2, 3};
    const uint64_t grp[] = {9, 9, 4};
    heft_dataset *ds = NULL;
    heft_error e;
    CHECK_OK(heft_dataset_from_csr(3, rp, feat, val, field, label, w, grp, 3,
                                   &ds, &e));
    REQUIRE(ds);
    CHECK(heft_dataset_rows(ds) == 3);
    CHECK(!memcmp(ds->row_ptr, rp, sizeof rp));
    CHECK(!memcmp(ds->feat, feat, sizeof feat));
    CHECK(!memcmp(ds->val, val, sizeof val));
    CHECK(!memcmp(ds->field, field, sizeof field));
    CHECK(!memcmp(heft_dataset_labels(ds), label, sizeof label));
    CHECK(!memcmp(heft_dataset_weights(ds), w, sizeof w));
    CHECK(!memcmp(heft_dataset_groups(ds), grp, sizeof grp));
    CHECK(heft_dataset_times(ds) == NULL);
    CHECK(heft_dataset_source_lines(ds) == NULL);
    heft_dataset_info in;
    heft_dataset_get_info(ds, &in);
    CHECK(in.rows == 3 && in.nnz == 3 && in.positives == 2);
    CHECK(in.n_fields == 3 && in.hash_bits == 3 && !in.graded);
    CHECK(in.has_weight && in.has_group && !in.has_time && !in.has_position);
    CHECK_NEAR(in.weight_sum, 6.0, 0);
    CHECK(!strcmp(heft_dataset_field_name(ds, 0), "f0"));
    CHECK(!strcmp(heft_dataset_field_name(ds, 2), "f2"));
    CHECK(heft_dataset_field_name(ds, 3) == NULL);
    CHECK(heft_dataset_bad_row(ds, 0, &e) == HEFT_ERANGE);
    heft_dataset_free(ds);

    /* NULL val and field: all 1 and all field 0; graded labels. */
    const float grade[] = {0, 3, 1};
    CHECK_OK(heft_dataset_from_csr(3, rp, feat, NULL, NULL, grade, NULL, NULL,
                                   3, &ds, &e));
    REQUIRE(ds);
    CHECK(ds->val[0] == 1.0f && ds->val[2] == 1.0f && ds->field[1] == 0);
    CHECK(ds->schema.n_fields == 1 && ds->graded);
    CHECK(heft_dataset_weights(ds) == NULL);
    heft_dataset_free(ds);
}

void test_data_from_csr_errors(void)
{
    const uint64_t rp[] = {0, 2, 2, 3}, bad_rp[] = {0, 2, 1, 3},
                   rp1[] = {1, 2, 2, 3};
    const uint32_t feat[] = {5, 7, 1}, big[] = {5, 8, 1};
    const float label[] = {1, 0, 1}, nan_label[] = {1, NAN, 1};
    const float neg_w[] = {1, -1, 1};
    heft_dataset *ds = (heft_dataset *)1;
    heft_error e;
    CHECK(heft_dataset_from_csr(3, rp, big, NULL, NULL, label, NULL, NULL, 3,
                                &ds, &e) == HEFT_EINVAL);
    CHECK(ds == NULL);
    CHECK(strstr(e.msg, "feat[1]") != NULL);
    CHECK(heft_dataset_from_csr(3, bad_rp, feat, NULL, NULL, label, NULL,
                                NULL, 3, &ds, &e) == HEFT_EINVAL);
    CHECK(strstr(e.msg, "row 1") != NULL);
    CHECK(heft_dataset_from_csr(3, rp1, feat, NULL, NULL, label, NULL, NULL,
                                3, &ds, &e) == HEFT_EINVAL);
    CHECK(heft_dataset_from_csr(3, rp, feat, NULL, NULL, label, NULL, NULL, 0,
                                &ds, &e) == HEFT_EINVAL);
    CHECK(heft_dataset_from_csr(3, rp, feat, NULL, NULL, label, NULL, NULL,
                                31, &ds, &e) == HEFT_EINVAL);
    CHECK(heft_dataset_from_csr(3, rp, feat, NULL, NULL, nan_label, NULL,
                                NULL, 3, &ds, &e) == HEFT_EINVAL);
    CHECK(heft_dataset_from_csr(3, rp, feat, NULL, NULL, label, neg_w, NULL,
                                3, &ds, &e) == HEFT_EINVAL);
    CHECK(heft_dataset_from_csr(3, NULL, feat, NULL, NULL, label, NULL, NULL,
                                3, &ds, &e) == HEFT_EINVAL);
    CHECK(heft_dataset_from_csr(3, rp, NULL, NULL, NULL, label, NULL, NULL, 3,
                                &ds, &e) == HEFT_EINVAL);
    CHECK(ds == NULL);
}

void test_data_subset(void)
{
    heft_dataset *ds = full_dataset(50, 3), *sub = NULL;
    REQUIRE(ds);
    const uint64_t rows[] = {7, 0, 49, 7, 13};
    heft_error e;
    CHECK_OK(heft_dataset_subset(ds, rows, 5, &sub, &e));
    REQUIRE(sub);
    CHECK(sub->n_rows == 5);
    uint64_t nnz = 0;
    for (int i = 0; i < 5; i++) {
        uint64_t r = rows[i], a = ds->row_ptr[r];
        uint64_t n = ds->row_ptr[r + 1] - a, b = sub->row_ptr[i];
        CHECK(sub->row_ptr[i + 1] - b == n);
        CHECK(!memcmp(sub->feat + b, ds->feat + a, n * sizeof *ds->feat));
        CHECK(!memcmp(sub->val + b, ds->val + a, n * sizeof *ds->val));
        CHECK(!memcmp(sub->field + b, ds->field + a, n * sizeof *ds->field));
        CHECK(sub->label[i] == ds->label[r] && sub->weight[i] == ds->weight[r]);
        CHECK(sub->group[i] == ds->group[r] && sub->time[i] == ds->time[r]);
        CHECK(sub->position[i] == ds->position[r]);
        CHECK(sub->src_line[i] == ds->src_line[r]);
        nnz += n;
    }
    CHECK(sub->nnz == nnz);
    CHECK(!strcmp(heft_dataset_field_name(sub, 1), "b"));
    heft_dataset_free(sub);
    sub = (heft_dataset *)1;
    const uint64_t bad[] = {1, 50};
    CHECK(heft_dataset_subset(ds, bad, 2, &sub, &e) == HEFT_ERANGE);
    CHECK(sub == NULL);
    CHECK(strstr(e.msg, "entry 1") != NULL);
    CHECK_OK(heft_dataset_subset(ds, NULL, 0, &sub, &e));
    CHECK(sub && sub->n_rows == 0 && sub->nnz == 0);
    heft_dataset_free(sub);
    heft_dataset_free(ds);
}

/* ---- .hds -------------------------------------------------------------- */

void test_hds_roundtrip(void)
{
    heft_dataset *ds = full_dataset(200, 5), *back = NULL, *viamem = NULL;
    REQUIRE(ds);
    char path[1024];
    snprintf(path, sizeof path, "%s/d.hds", heft_test_tmpdir());
    heft_error e;
    CHECK_OK(heft_dataset_save(ds, path, &e));
    /* Through the public reader, which detects the magic. */
    heft_read_opts ro = heft_read_opts_default();
    CHECK_OK(heft_dataset_read(path, &ro, &back, &e));
    REQUIRE(back);
    CHECK(back->map != NULL); /* memory-mapped, not copied */
    CHECK(same_dataset(ds, back));
    heft_error b1;
    CHECK_OK(heft_dataset_bad_row(back, 1, &b1));
    CHECK(b1.line == 9 && b1.code == HEFT_ETOOLONG);
    CHECK(!strcmp(b1.msg, "line with tab"));
    heft_dataset_info in;
    heft_dataset_get_info(back, &in);
    CHECK(in.source_format == HEFT_FMT_CSV && in.bad_rows == 3);
    CHECK(in.has_time && in.has_position && in.has_group && in.has_weight);
    heft_read_opts o2;
    heft_dataset_read_opts(back, &o2);
    CHECK(o2.hash_bits == 12 && o2.format == HEFT_FMT_CSV);
    CHECK(o2.label_col && !strcmp(o2.label_col, "click"));
    /* From memory, and with the format named. */
    size_t len = 0;
    void *buf = slurp(path, &len);
    REQUIRE(buf);
    CHECK_OK(heft_dataset_read_mem(buf, len, "d.hds", NULL, &viamem, &e));
    CHECK(viamem && same_dataset(ds, viamem));
    heft_dataset_free(viamem);
    free(buf);
    ro.format = HEFT_FMT_HDS;
    heft_dataset_free(back);
    ro.max_rows = 17;
    CHECK_OK(heft_dataset_read(path, &ro, &back, &e));
    CHECK(back && back->n_rows == 17 && back->nnz == ds->row_ptr[17]);
    heft_dataset_free(back);
    ro.max_rows = 0;
    CHECK_OK(heft_dataset_read(path, &ro, &back, &e));
    CHECK(back && same_dataset(ds, back));
    /* Saving a loaded (mapped) dataset gives the same bytes again. */
    char path2[1024];
    snprintf(path2, sizeof path2, "%s/d2.hds", heft_test_tmpdir());
    CHECK_OK(heft_dataset_save(back, path2, &e));
    size_t l1 = 0, l2 = 0;
    void *b1p = slurp(path, &l1), *b2p = slurp(path2, &l2);
    CHECK(b1p && b2p && l1 == l2 && !memcmp(b1p, b2p, l1));
    free(b1p);
    free(b2p);
    heft_dataset_free(back);
    heft_dataset_free(ds);
}

void test_hds_minimal_columns(void)
{
    /* No optional columns, no source lines, zero rows and one empty row. */
    const uint64_t rp[] = {0, 0};
    const float label[] = {1};
    heft_dataset *ds = NULL, *back = NULL;
    heft_error e;
    CHECK_OK(heft_dataset_from_csr(1, rp, NULL, NULL, NULL, label, NULL, NULL,
                                   4, &ds, &e));
    REQUIRE(ds);
    char path[1024];
    snprintf(path, sizeof path, "%s/m.hds", heft_test_tmpdir());
    CHECK_OK(heft_dataset_save(ds, path, &e));
    CHECK_OK(heft_dataset_read(path, NULL, &back, &e));
    CHECK(back && same_dataset(ds, back));
    CHECK(back && !back->weight && !back->group && !back->time &&
          !back->position && !back->src_line);
    heft_dataset_free(back);
    heft_dataset_free(ds);
    CHECK_OK(heft_dataset_from_csr(0, rp, NULL, NULL, NULL, NULL, NULL, NULL,
                                   4, &ds, &e));
    REQUIRE(ds);
    CHECK_OK(heft_dataset_save(ds, path, &e));
    CHECK_OK(heft_dataset_read(path, NULL, &back, &e));
    CHECK(back && back->n_rows == 0);
    heft_dataset_free(back);
    heft_dataset_free(ds);
}

/* Saves a small dataset and returns its bytes. */
static unsigned char *small_hds(size_t *len)
{
    heft_dataset *ds = full_dataset(6, 11);
    if (!ds)
        return NULL;
    char path[1024];
    snprintf(path, sizeof path, "%s/s.hds", heft_test_tmpdir());
    heft_status st = heft_dataset_save(ds, path, NULL);
    heft_dataset_free(ds);
    return st == HEFT_OK ? slurp(path, len) : NULL;
}

void test_hds_truncated(void)
{
    size_t len = 0;
    unsigned char *buf = small_hds(&len);
    REQUIRE(buf);
    REQUIRE(len > 128);
    for (size_t n = 0; n < len; n++) {
        heft_dataset *ds = (heft_dataset *)1;
        heft_error e;
        heft_status st = heft__hds_load_mem(buf, n, "t.hds", &ds, &e);
        CHECK(st == HEFT_ETRUNC);
        CHECK(ds == NULL);
        if (st != HEFT_ETRUNC) {
            fprintf(stderr, "  length %zu: %s\n", n, heft_err_name(st));
            break;
        }
        CHECK(!strcmp(e.file, "t.hds"));
    }
    /* Through a file as well (mapped path), at a few lengths. */
    const size_t cuts[] = {0, 5, 127, 128, len / 2, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        const char *p = heft_test_write("cut.hds", buf, cuts[i]);
        heft_dataset *ds = NULL;
        heft_error e;
        heft_read_opts ro = heft_read_opts_default();
        ro.format = HEFT_FMT_HDS;
        CHECK(heft_dataset_read(p, &ro, &ds, &e) == HEFT_ETRUNC);
        CHECK(ds == NULL && !strcmp(e.file, p));
    }
    /* One extra byte at the end is corruption, not truncation. */
    unsigned char *longer = malloc(len + 1);
    REQUIRE(longer);
    memcpy(longer, buf, len);
    longer[len] = 0;
    heft_dataset *ds = NULL;
    CHECK(heft__hds_load_mem(longer, len + 1, "x", &ds, NULL) ==
          HEFT_ECORRUPT);
    free(longer);
    free(buf);
}

void test_hds_corrupt(void)
{
    size_t len = 0;
    unsigned char *buf = small_hds(&len);
    REQUIRE(buf);
    /* Every single flipped byte is caught: magic bytes give EFORMAT, the
     * version field EVERSION, everything else ECORRUPT. */
    for (size_t i = 0; i < len; i++) {
        buf[i] ^= 0x5a;
        heft_dataset *ds = NULL;
        heft_error e;
        heft_status st = heft__hds_load_mem(buf, len, "c.hds", &ds, &e);
        heft_status want = i < 8    ? HEFT_EFORMAT
                           : i < 12 ? HEFT_EVERSION
                                    : HEFT_ECORRUPT;
        CHECK(st == want && ds == NULL);
        if (st != want) {
            fprintf(stderr, "  byte %zu: %s\n", i, heft_err_name(st));
            heft_dataset_free(ds);
            buf[i] ^= 0x5a;
            break;
        }
        buf[i] ^= 0x5a;
    }
    heft_dataset *ds = NULL;
    CHECK_OK(heft__hds_load_mem(buf, len, "ok.hds", &ds, NULL));
    heft_dataset_free(ds);
    free(buf);
}

void test_hds_version(void)
{
    size_t len = 0;
    unsigned char *buf = small_hds(&len);
    REQUIRE(buf);
    uint32_t v = 2;
    memcpy(buf + 8, &v, 4);
    const char *p = heft_test_write("v2.hds", buf, len);
    heft_dataset *ds = NULL;
    heft_error e;
    CHECK(heft_dataset_read(p, NULL, &ds, &e) == HEFT_EVERSION);
    CHECK(ds == NULL && !strcmp(e.file, p));
    CHECK(strstr(e.msg, "version 2") != NULL);
    /* Not an .hds at all. */
    CHECK(heft__hds_load_mem("hello world", 11, "h", &ds, &e) ==
          HEFT_EFORMAT);
    CHECK(heft__hds_is_magic(buf, len) && !heft__hds_is_magic(buf, 7));
    heft_read_opts ro = heft_read_opts_default();
    ro.format = HEFT_FMT_HDS;
    p = heft_test_write("text.hds", "1\t2\n", 4);
    CHECK(heft_dataset_read(p, &ro, &ds, &e) == HEFT_EFORMAT);
    CHECK(ds == NULL);
    free(buf);
}

/* Runs save/gen under a file size limit so that writing fails midway. */
static rlim_t limit_fsize(rlim_t lim, struct rlimit *old)
{
    getrlimit(RLIMIT_FSIZE, old);
    struct rlimit nl = *old;
    nl.rlim_cur = lim;
    setrlimit(RLIMIT_FSIZE, &nl);
    return old->rlim_cur;
}

void test_hds_atomic_write(void)
{
    heft_dataset *ds = full_dataset(3000, 2);
    REQUIRE(ds);
    heft_error e;
    char path[1024];
    snprintf(path, sizeof path, "%s/no/such/dir/x.hds", heft_test_tmpdir());
    CHECK(heft_dataset_save(ds, path, &e) == HEFT_EIO);
    CHECK(!strcmp(e.file, path));
    CHECK(tmpdir_entries() == 0);
    /* A failed write midway leaves the old file as it was and no
     * temporary behind. */
    const char *old = heft_test_write("keep.hds", "old contents", 12);
    struct rlimit rl;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    limit_fsize(4096, &rl);
    heft_status st = heft_dataset_save(ds, old, &e);
    setrlimit(RLIMIT_FSIZE, &rl);
    signal(SIGXFSZ, prev);
    CHECK(st == HEFT_EIO);
    size_t len = 0;
    char *got = slurp(old, &len);
    CHECK(got && len == 12 && !memcmp(got, "old contents", 12));
    free(got);
    CHECK(tmpdir_entries() == 1);
    /* And a successful save replaces it. */
    CHECK_OK(heft_dataset_save(ds, old, &e));
    heft_dataset *back = NULL;
    CHECK_OK(heft_dataset_read(old, NULL, &back, &e));
    CHECK(back && same_dataset(ds, back));
    CHECK(tmpdir_entries() == 1);
    heft_dataset_free(back);
    heft_dataset_free(ds);
}

/* ---- splits ------------------------------------------------------------ */

/* n rows with pos positives spread through, groups of varied size and
 * times in shuffled order. */
static heft_dataset *split_data(size_t n, size_t pos, int with_time)
{
    heft__parsed p;
    memset(&p, 0, sizeof p);
    unsigned flags = HEFT__HAS_GROUP | (with_time ? HEFT__HAS_TIME : 0);
    if (heft__csr_init(&p.csr, flags, n, 1) != HEFT_OK)
        return NULL;
    heft__rng r;
    heft__rng_seed(&r, 99);
    for (size_t i = 0; i < n; i++) {
        heft__rowmeta m = {(float)(i * pos / n != (i + 1) * pos / n), 1,
                           heft__rng_below(&r, n / 10 + 1),
                           (double)heft__rng_below(&r, n), 0, i + 1};
        heft__csr_end_row(&p.csr, &m);
    }
    p.schema.hash_bits = 4;
    heft__schema_add_field(&p.schema, "x", 1);
    heft_dataset *ds = NULL;
    heft__dataset_from_parsed(&p, &ds, NULL);
    return ds;
}

void test_split_random(void)
{
    const size_t n = 1003, pos = 101;
    heft_dataset *ds = split_data(n, pos, 0);
    REQUIRE(ds);
    heft_split_opts o = heft_split_opts_default();
    CHECK(o.by == HEFT_SPLIT_RANDOM && o.test == 0.2 && o.valid == 0 &&
          o.seed == 1);
    o.valid = 0.1;
    uint8_t *a = malloc(n), *b = malloc(n);
    REQUIRE(a && b);
    heft_error e;
    CHECK_OK(heft_split_assign(ds, &o, a, &e));
    size_t cnt[3] = {0}, pc[3] = {0};
    for (size_t i = 0; i < n; i++) {
        REQUIRE(a[i] <= 2);
        cnt[a[i]]++;
        pc[a[i]] += ds->label[i] > 0;
    }
    /* Each class is cut with rounding: within one row per class. */
    CHECK(cnt[2] >= 199 && cnt[2] <= 202);
    CHECK(cnt[1] >= 99 && cnt[1] <= 102);
    CHECK(pc[2] == 20 && pc[1] == 10);
    for (int k = 0; k < 3; k++)
        CHECK(fabs((double)pc[k] - (double)cnt[k] * pos / n) <= 1.0 + 1e-9);
    /* Deterministic by seed; another seed moves rows. */
    CHECK_OK(heft_split_assign(ds, &o, b, &e));
    CHECK(!memcmp(a, b, n));
    o.seed = 2;
    CHECK_OK(heft_split_assign(ds, &o, b, &e));
    CHECK(memcmp(a, b, n) != 0);
    /* Bad fractions. */
    o.test = 0.7;
    o.valid = 0.5;
    CHECK(heft_split_assign(ds, &o, b, &e) == HEFT_EINVAL);
    o.test = NAN;
    CHECK(heft_split_assign(ds, &o, b, &e) == HEFT_EINVAL);
    free(a);
    free(b);
    heft_dataset_free(ds);
}

void test_split_group(void)
{
    const size_t n = 2000;
    heft_dataset *ds = split_data(n, 300, 0);
    REQUIRE(ds);
    heft_split_opts o = heft_split_opts_default();
    o.by = HEFT_SPLIT_GROUP;
    o.valid = 0.1;
    uint8_t *a = malloc(n), *b = malloc(n);
    REQUIRE(a && b);
    heft_error e;
    CHECK_OK(heft_split_assign(ds, &o, a, &e));
    /* Brute force: no two rows of one group in different parts. */
    int shared = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            shared += ds->group[i] == ds->group[j] && a[i] != a[j];
    CHECK(shared == 0);
    size_t cnt[3] = {0}, maxg = 0;
    for (size_t i = 0; i < n; i++)
        cnt[a[i]]++;
    for (size_t i = 0; i < n; i++) {
        size_t g = 0;
        for (size_t j = 0; j < n; j++)
            g += ds->group[j] == ds->group[i];
        maxg = g > maxg ? g : maxg;
    }
    /* Each part overshoots its share by less than one group. */
    CHECK(cnt[2] >= 400 && cnt[2] < 400 + maxg);
    CHECK(cnt[1] >= 200 && cnt[1] < 200 + maxg);
    CHECK_OK(heft_split_assign(ds, &o, b, &e));
    CHECK(!memcmp(a, b, n));
    o.seed = 7;
    CHECK_OK(heft_split_assign(ds, &o, b, &e));
    CHECK(memcmp(a, b, n) != 0);
    heft_dataset_free(ds);
    /* Without a group column. */
    const uint64_t rp[] = {0, 0, 0};
    const float lab[] = {0, 1};
    CHECK_OK(heft_dataset_from_csr(2, rp, NULL, NULL, NULL, lab, NULL, NULL, 4,
                                   &ds, &e));
    CHECK(heft_split_assign(ds, &o, a, &e) == HEFT_EINVAL);
    CHECK(strstr(e.msg, "group") != NULL);
    o.by = HEFT_SPLIT_TIME;
    CHECK(heft_split_assign(ds, &o, a, &e) == HEFT_EINVAL);
    CHECK(strstr(e.msg, "time") != NULL);
    heft_dataset_free(ds);
    free(a);
    free(b);
}

void test_split_time(void)
{
    const size_t n = 1000;
    heft_dataset *ds = split_data(n, 100, 1);
    REQUIRE(ds);
    heft_split_opts o = heft_split_opts_default();
    o.by = HEFT_SPLIT_TIME;
    o.valid = 0.15;
    uint8_t *a = malloc(n);
    REQUIRE(a);
    heft_error e;
    CHECK_OK(heft_split_assign(ds, &o, a, &e));
    size_t cnt[3] = {0};
    double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-1, -1, -1};
    for (size_t i = 0; i < n; i++) {
        cnt[a[i]]++;
        lo[a[i]] = fmin(lo[a[i]], ds->time[i]);
        hi[a[i]] = fmax(hi[a[i]], ds->time[i]);
    }
    CHECK(cnt[0] == 650 && cnt[1] == 150 && cnt[2] == 200);
    CHECK(hi[0] <= lo[1] && hi[1] <= lo[2]);
    /* Brute force on ties: a row is in test iff fewer than n_test rows
     * come after it in (time, row) order. */
    for (size_t i = 0; i < n; i += 37) {
        size_t later = 0;
        for (size_t j = 0; j < n; j++)
            later += ds->time[j] > ds->time[i] ||
                     (ds->time[j] == ds->time[i] && j > i);
        CHECK((a[i] == 2) == (later < 200));
    }
    free(a);
    heft_dataset_free(ds);
}

/* ---- generator --------------------------------------------------------- */

static char *gen_to(const char *name, const char *truth,
                    const heft_gen_opts *o, size_t *len)
{
    char path[1024], tpath[1024];
    snprintf(path, sizeof path, "%s/%s", heft_test_tmpdir(), name);
    snprintf(tpath, sizeof tpath, "%s/%s", heft_test_tmpdir(),
             truth ? truth : "");
    heft_error e;
    heft_status st = heft_gen(path, truth ? tpath : NULL, o, &e);
    if (st != HEFT_OK) {
        fprintf(stderr, "  heft_gen: %s\n", e.msg);
        return NULL;
    }
    return slurp(path, len);
}

/* Records the progress calls of a run. */
typedef struct progress_log {
    int calls;
    uint64_t last_done, total;
} progress_log;

static void on_progress(void *ud, const char *what, uint64_t done,
                        uint64_t total)
{
    progress_log *p = ud;
    p->calls += !strcmp(what, "gen") && done >= p->last_done;
    p->last_done = done;
    p->total = total;
}

void test_gen_deterministic(void)
{
    heft_gen_opts o = heft_gen_opts_default();
    progress_log pl = {0, 0, 0};
    o.progress = on_progress;
    o.progress_ud = &pl;
    o.rows = 5000;
    o.flip = 0.05;
    o.bots = 0.05;
    o.dups = 0.05;
    size_t l1 = 0, l2 = 0, l3 = 0, t1 = 0, t2 = 0;
    char *a = gen_to("a.tsv", "a.truth", &o, &l1);
    char *b = gen_to("b.tsv", "b.truth", &o, &l2);
    char pa[1024], pb[1024];
    snprintf(pa, sizeof pa, "%s/a.truth", heft_test_tmpdir());
    snprintf(pb, sizeof pb, "%s/b.truth", heft_test_tmpdir());
    char *ta = slurp(pa, &t1), *tb = slurp(pb, &t2);
    CHECK(a && b && l1 == l2 && !memcmp(a, b, l1));
    CHECK(pl.calls == 2 && pl.last_done == 5000 && pl.total == 5000);
    CHECK(ta && tb && t1 == t2 && t1 > 0 && !memcmp(ta, tb, t1));
    o.seed = 2;
    char *c = gen_to("c.tsv", NULL, &o, &l3);
    CHECK(c && (l3 != l1 || memcmp(a, c, l1)));
    free(a), free(b), free(c), free(ta), free(tb);
}

/* Splits s at tabs into cols (at most max); returns the count. */
static int split_tabs(char *s, char **cols, int max)
{
    int n = 0;
    cols[n++] = s;
    for (char *p = s; *p && n < max; p++)
        if (*p == '\t') {
            *p = '\0';
            cols[n++] = p + 1;
        }
    return n;
}

void test_gen_format(void)
{
    heft_gen_opts o = heft_gen_opts_default();
    o.rows = 3000;
    size_t len = 0;
    char *t = gen_to("g.tsv", NULL, &o, &len);
    REQUIRE(t && len > 0 && t[len - 1] == '\n');
    t[len - 1] = '\0';
    char *save = NULL;
    int lines = 0, bad = 0, ts_ok = 1;
    double last_ts = 0;
    for (char *l = strtok_r(t, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save)) {
        char *c[64];
        int n = split_tabs(l, c, 64);
        bad += n != 40;
        if (lines == 0) {
            CHECK(!strcmp(c[0], "click") && !strcmp(c[1], "position"));
            CHECK(!strcmp(c[2], "ts") && !strcmp(c[14], "user_id"));
            CHECK(!strcmp(c[16], "query_id"));
        } else if (n == 40) {
            bad += strcmp(c[0], "0") && strcmp(c[0], "1");
            int pos = atoi(c[1]);
            bad += pos < 1 || pos > 20;
            ts_ok &= atof(c[2]) >= last_ts;
            last_ts = atof(c[2]);
            bad += c[14][0] != 'u' || c[15][0] != 'i';
        }
        lines++;
    }
    CHECK(lines == 3001 && bad == 0 && ts_ok);
    free(t);
    /* Criteo layout: no header, label, 13 integers, 26 hex tokens. */
    o.format = HEFT_GEN_CRITEO;
    char *k = gen_to("g.criteo", NULL, &o, &len);
    REQUIRE(k);
    k[len - 1] = '\0';
    lines = bad = 0;
    for (char *l = strtok_r(k, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save)) {
        char *c[64];
        bad += split_tabs(l, c, 64) != 40;
        for (int f = 1; f <= 13 && !bad; f++)
            bad += strspn(c[f], "0123456789") != strlen(c[f]);
        for (int f = 14; f < 40 && !bad; f++)
            bad += c[f][0] &&
                   (strlen(c[f]) != 8 || strspn(c[f], "0123456789abcdef") != 8);
        lines++;
    }
    CHECK(lines == 3000 && bad == 0);
    free(k);
}

void test_gen_truth(void)
{
    heft_gen_opts o = heft_gen_opts_default();
    const uint64_t n = 200000;
    o.rows = n;
    o.flip = 0.05;
    o.bots = 0.03;
    o.dups = 0.04;
    o.users = 20000;
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    char path[1024], tpath[1024];
    snprintf(path, sizeof path, "%s/t.tsv", heft_test_tmpdir());
    snprintf(tpath, sizeof tpath, "%s/t.truth", heft_test_tmpdir());
    heft_error e;
    CHECK_OK(heft_gen(path, tpath, &o, &e));
    getrusage(RUSAGE_SELF, &ru1);
    /* Streams: the ~40 MB it wrote never sat in memory. */
    CHECK(ru1.ru_maxrss - ru0.ru_maxrss < 16 * 1024);
    FILE *tf = fopen(tpath, "r"), *df = fopen(path, "r");
    REQUIRE(tf && df);
    uint8_t *kind = calloc(n, 1); /* 1 flip, 2 bot, 3 dup */
    uint8_t *seen = calloc(o.users, 1); /* 1 seen, 2 as bot, 4 as human */
    REQUIRE(kind && seen);
    unsigned long long row;
    char k[16];
    size_t cnt[4] = {0};
    int order_ok = 1;
    long long last = -1;
    while (fscanf(tf, "%llu\t%15s", &row, k) == 2) {
        REQUIRE(row < n);
        int v = !strcmp(k, "flip")  ? 1
                : !strcmp(k, "bot") ? 2
                : !strcmp(k, "dup") ? 3
                                    : 0;
        CHECK(v != 0 && kind[row] == 0);
        order_ok &= (long long)row > last;
        last = (long long)row;
        kind[row] = (uint8_t)v;
        cnt[v]++;
    }
    CHECK(order_ok);
    /* Recent rows, for checking duplicates. */
    static char recent[256][1024];
    char line[1024];
    int rn = 0, dup_ok = 1, users_ok = 1;
    REQUIRE(fgets(line, sizeof line, df));
    for (uint64_t i = 0; i < n && fgets(line, sizeof line, df); i++) {
        if (kind[i] == 3) {
            int found = 0;
            for (int j = 0; j < rn && j < 256 && !found; j++)
                found = !strcmp(recent[j], line);
            dup_ok &= found;
        }
        snprintf(recent[rn++ % 256], sizeof recent[0], "%s", line);
        if (kind[i] == 3)
            continue;
        char *c[64];
        char tmp[1024];
        snprintf(tmp, sizeof tmp, "%s", line);
        if (split_tabs(tmp, c, 64) != 40)
            break;
        unsigned long u = strtoul(c[14] + 1, NULL, 10);
        REQUIRE(u < o.users);
        seen[u] |= (uint8_t)(1 | (kind[i] == 2 ? 2 : 4));
    }
    CHECK(dup_ok);
    size_t n_users = 0, n_bots = 0;
    for (uint32_t u = 0; u < o.users; u++) {
        users_ok &= (seen[u] & 6) != 6; /* a user is a bot or not */
        n_users += seen[u] != 0;
        n_bots += (seen[u] & 2) != 0;
    }
    CHECK(users_ok);
    /* Rates within 5 binomial standard deviations. */
    double nd = (double)n, sd;
    sd = sqrt(nd * o.dups * (1 - o.dups));
    CHECK(fabs((double)cnt[3] - nd * o.dups) < 5 * sd);
    double nf = nd - (double)cnt[3] - (double)cnt[2];
    sd = sqrt(nf * o.flip * (1 - o.flip));
    CHECK(fabs((double)cnt[1] - nf * o.flip) < 5 * sd);
    sd = sqrt((double)n_users * o.bots * (1 - o.bots));
    CHECK(fabs((double)n_bots - (double)n_users * o.bots) < 5 * sd);
    CHECK(cnt[2] > 0);
    fclose(tf);
    fclose(df);
    free(kind);
    free(seen);
}

void test_gen_position_ctr(void)
{
    heft_gen_opts o = heft_gen_opts_default();
    o.rows = 60000;
    size_t len = 0;
    char *t = gen_to("p.tsv", NULL, &o, &len);
    REQUIRE(t);
    double shown[21] = {0}, clicks[21] = {0};
    char *save = NULL;
    int first = 1;
    for (char *l = strtok_r(t, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save)) {
        if (first) {
            first = 0;
            continue;
        }
        char *c[64];
        if (split_tabs(l, c, 64) != 40)
            continue;
        int pos = atoi(c[1]);
        if (pos >= 1 && pos <= 20) {
            shown[pos]++;
            clicks[pos] += c[0][0] == '1';
        }
    }
    double ctr1 = clicks[1] / shown[1], ctr10 = clicks[10] / shown[10];
    double all = 0, rows = 0;
    for (int p = 1; p <= 20; p++)
        all += clicks[p], rows += shown[p];
    CHECK(rows == 60000);
    CHECK(ctr1 > 2 * ctr10);
    /* Overall CTR in the documented few-percent range. */
    CHECK(all / rows > 0.03 && all / rows < 0.25);
    free(t);
}

void test_gen_errors(void)
{
    heft_gen_opts o = heft_gen_opts_default();
    heft_error e;
    o.rows = 0;
    CHECK(heft_gen("x", NULL, &o, &e) == HEFT_EINVAL);
    o = heft_gen_opts_default();
    o.dups = 1;
    CHECK(heft_gen("x", NULL, &o, &e) == HEFT_EINVAL);
    o = heft_gen_opts_default();
    o.flip = -0.1;
    CHECK(heft_gen("x", NULL, &o, &e) == HEFT_EINVAL);
    o = heft_gen_opts_default();
    o.rows = 100;
    char path[1024], tpath[1024];
    snprintf(path, sizeof path, "%s/none/x.tsv", heft_test_tmpdir());
    snprintf(tpath, sizeof tpath, "%s/t.truth", heft_test_tmpdir());
    CHECK(heft_gen(path, tpath, &o, &e) == HEFT_EIO);
    CHECK(tmpdir_entries() == 0);
    /* Output over an existing file that fails midway: old file kept. */
    const char *old = heft_test_write("old.tsv", "old", 3);
    struct rlimit rl;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    limit_fsize(1 << 16, &rl);
    o.rows = 20000;
    heft_status st = heft_gen(old, tpath, &o, &e);
    setrlimit(RLIMIT_FSIZE, &rl);
    signal(SIGXFSZ, prev);
    CHECK(st == HEFT_EIO);
    size_t len = 0;
    char *got = slurp(old, &len);
    CHECK(got && len == 3 && !memcmp(got, "old", 3));
    free(got);
    CHECK(tmpdir_entries() == 1);
}

void test_gen_reads_back(void)
{
    heft_gen_opts o = heft_gen_opts_default();
    o.rows = 4000;
    char path[1024];
    snprintf(path, sizeof path, "%s/r.tsv", heft_test_tmpdir());
    heft_error e;
    CHECK_OK(heft_gen(path, NULL, &o, &e));
    size_t len = 0;
    char *t = slurp(path, &len);
    REQUIRE(t);
    size_t clicks = 0;
    for (size_t i = 0; i + 1 < len; i++)
        clicks += t[i] == '\n' && t[i + 1] == '1';
    free(t);
    heft_read_opts ro = heft_read_opts_default();
    ro.format = HEFT_FMT_TSV;
    ro.label_col = "click";
    heft_dataset *ds = NULL;
    heft_status st = heft_dataset_read(path, &ro, &ds, &e);
    if (st != HEFT_OK) {
        char buf[1200];
        fprintf(stderr, "  %s\n", heft_error_format(&e, buf, sizeof buf));
    }
    CHECK_OK(st);
    REQUIRE(ds);
    heft_dataset_info in;
    heft_dataset_get_info(ds, &in);
    CHECK(in.rows == 4000 && in.positives == clicks);
    CHECK(in.n_fields >= 39);
    /* Save as .hds and read back identically. */
    char hp[1024];
    snprintf(hp, sizeof hp, "%s/r.hds", heft_test_tmpdir());
    CHECK_OK(heft_dataset_save(ds, hp, &e));
    heft_dataset *back = NULL;
    CHECK_OK(heft_dataset_read(hp, NULL, &back, &e));
    CHECK(back && same_dataset(ds, back));
    heft_dataset_free(back);
    heft_dataset_free(ds);
}

void test_hds_real_criteo(void)
{
    const char *path = heft_test_data("criteo-subset/train.csv");
    if (!path)
        SKIP("criteo-subset/train.csv not found (see ../shared/data)");
    heft_read_opts ro = heft_read_opts_default();
    ro.format = HEFT_FMT_CRITEO;
    heft_dataset *ds = NULL, *back = NULL;
    heft_error e;
    CHECK_OK(heft_dataset_read(path, &ro, &ds, &e));
    REQUIRE(ds);
    CHECK(ds->n_rows == 7200); /* PROVENANCE.md */
    char hp[1024];
    snprintf(hp, sizeof hp, "%s/criteo.hds", heft_test_tmpdir());
    CHECK_OK(heft_dataset_save(ds, hp, &e));
    CHECK_OK(heft_dataset_read(hp, NULL, &back, &e));
    CHECK(back && same_dataset(ds, back));
    /* The stratified split keeps the 21.5% click rate in every part. */
    uint8_t *part = malloc(ds->n_rows);
    REQUIRE(part);
    heft_split_opts so = heft_split_opts_default();
    so.valid = 0.1;
    CHECK_OK(heft_split_assign(back, &so, part, &e));
    double n[3] = {0}, pos[3] = {0}, all = 0;
    for (size_t i = 0; i < ds->n_rows; i++) {
        n[part[i]]++;
        pos[part[i]] += ds->label[i] > 0;
        all += ds->label[i] > 0;
    }
    for (int k = 0; k < 3; k++)
        CHECK(fabs(pos[k] - n[k] * all / (double)ds->n_rows) <= 1.0);
    CHECK(fabs(n[2] - 1440) <= 1 && fabs(n[1] - 720) <= 1);
    free(part);
    heft_dataset_free(back);
    heft_dataset_free(ds);
}
