/* fuzz_hds.c: feeds arbitrary bytes to the .hds loader (docs/hds.md). Any
 * input must either load into a dataset whose arrays are consistent (they
 * are walked here, so ASan sees any out-of-bounds index) or fail with an
 * error code and *out left NULL; never crash.
 *
 * Random bytes almost never get past the checksums, so each input is also
 * loaded a second time with every checksum it has recomputed: that lets
 * the fuzzer reach the checks of the table of contents, the schema text,
 * the bad-row list and the CSR arrays. Corpus: fuzz/corpus/fuzz_hds
 * (small valid files and damaged copies). */
#include "dataset.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void wr64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* Recomputes the section, table and header checksums of b in place, at
 * the offsets docs/hds.md gives, as far as the table is in bounds. */
static void repair_checksums(uint8_t *b, size_t n)
{
    if (n < 128)
        return;
    uint32_t ns;
    memcpy(&ns, b + 72, 4);
    uint64_t toc = rd64(b + 80);
    if (ns > 16 || toc > n || (uint64_t)ns * 32 > n - toc)
        return;
    for (uint32_t i = 0; i < ns; i++) {
        uint8_t *e = b + toc + (size_t)i * 32;
        uint64_t off = rd64(e + 8), len = rd64(e + 16);
        if (off <= n && len <= n - off)
            wr64(e + 24, heft__checksum(b + off, (size_t)len));
    }
    wr64(b + 88, heft__checksum(b + toc, (size_t)ns * 32));
    wr64(b + 120, heft__checksum(b, 120));
}

static void load(const uint8_t *data, size_t size)
{
    heft_dataset *ds = NULL;
    heft_error err;
    heft_status st = heft__hds_load_mem(data, size, "fuzz.hds", &ds, &err);
    if (st != HEFT_OK) {
        if (ds || st >= 0)
            abort(); /* failure must leave *out NULL and return < 0 */
        return;
    }
    double sum = 0;
    unsigned nf = ds->schema.n_fields;
    for (uint64_t i = 0; i < ds->n_rows; i++) {
        sum += ds->label[i];
        for (uint64_t k = ds->row_ptr[i]; k < ds->row_ptr[i + 1]; k++) {
            if (ds->field[k] >= nf || (ds->feat[k] >> ds->schema.hash_bits))
                abort();
            sum += ds->val[k];
        }
    }
    for (unsigned f = 0; f < nf; f++)
        if (!heft_dataset_field_name(ds, f))
            abort();
    heft_dataset_info info;
    heft_dataset_get_info(ds, &info);
    if (info.rows != ds->n_rows)
        abort();
    volatile double sink = sum; /* keep the walk from being optimised out */
    (void)sink;
    heft_dataset_free(ds);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    load(data, size);
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    if (size)
        memcpy(copy, data, size);
    repair_checksums(copy, size);
    load(copy, size);
    free(copy);
    return 0;
}
