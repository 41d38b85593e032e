/*
 * dataset.h: the in-memory dataset: CSR arrays plus per-row columns, owned
 * either by malloc (parsed text) or by a read-only memory map (.hds).
 *
 * Shapes: row_ptr (n_rows+1,), feat/val/field (nnz,), label/weight/...
 * (n_rows,). Estimators and models read these arrays directly.
 */
#ifndef HEFT_DATASET_H
#define HEFT_DATASET_H

#include "csr.h"
#include "parse.h"
#include "schema.h"

struct heft_dataset {
    uint64_t n_rows, nnz;
    const uint64_t *row_ptr;
    const uint32_t *feat;
    const float *val;
    const uint16_t *field;
    const float *label;
    const float *weight;    /* NULL = all 1 */
    const uint64_t *group;  /* NULL = none  */
    const double *time;     /* NULL = none  */
    const float *position;  /* NULL = none  */
    const uint64_t *src_line; /* NULL = unknown */
    int graded;
    heft__schema schema;
    /* Ownership: either csr (malloc'ed arrays) or map/map_len (mmap). */
    heft__csr csr;
    void *map;
    size_t map_len;
    uint64_t n_bad;
    size_t n_bad_kept;
    heft_error bad[HEFT__MAX_BAD_KEPT];
};

/* Takes ownership of p's arrays and schema (p is left zeroed). */
heft_status heft__dataset_from_parsed(heft__parsed *p, heft_dataset **out,
                                      heft_error *err);

/* .hds files (hds.c, docs/hds.md). */
int heft__hds_is_magic(const void *head, size_t len);
heft_status heft__hds_load(const char *path, heft_dataset **out,
                           heft_error *err);
heft_status heft__hds_load_mem(const void *buf, size_t len, const char *name,
                               heft_dataset **out, heft_error *err);
heft_status heft__hds_save(const heft_dataset *ds, const char *path,
                           heft_error *err);

#endif
