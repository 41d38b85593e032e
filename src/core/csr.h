/*
 * csr.h: a growable compressed-sparse-row buffer, the in-memory form of a
 * dataset while it is being built (parsers append rows; pieces parsed by
 * different threads are concatenated in order).
 *
 * Shapes: row_ptr (n_rows+1,), feat/val/field (nnz,), per-row columns
 * (n_rows,). Optional columns are NULL until a row sets them.
 */
#ifndef HEFT_CSR_H
#define HEFT_CSR_H

#include "core.h"

enum {
    HEFT__HAS_WEIGHT = 1,
    HEFT__HAS_GROUP = 2,
    HEFT__HAS_TIME = 4,
    HEFT__HAS_POSITION = 8,
};

typedef struct heft__csr {
    uint64_t n_rows, nnz;
    uint64_t cap_rows, cap_nnz;
    uint64_t *row_ptr;   /* (n_rows+1) offsets into feat/val/field */
    uint32_t *feat;      /* (nnz) bucket ids                        */
    float *val;          /* (nnz) values                            */
    uint16_t *field;     /* (nnz) field ids                         */
    float *label;        /* (n_rows)                                */
    float *weight;       /* (n_rows) or NULL                        */
    uint64_t *group;     /* (n_rows) or NULL                        */
    double *time;        /* (n_rows) or NULL                        */
    float *position;     /* (n_rows) or NULL                        */
    uint64_t *src_line;  /* (n_rows) 1-based input line             */
    unsigned flags;      /* HEFT__HAS_* for the optional columns    */
} heft__csr;

/* Per-row values passed to heft__csr_end_row(). */
typedef struct heft__rowmeta {
    float label;
    float weight;      /* 1 when absent */
    uint64_t group;
    double time;
    float position;
    uint64_t line;
} heft__rowmeta;

/* Zeroes c and reserves room; flags say which optional columns to keep. */
heft_status heft__csr_init(heft__csr *c, unsigned flags, uint64_t rows_hint,
                           uint64_t nnz_hint);
void heft__csr_free(heft__csr *c);

/* Makes room for extra more nonzeros (call before a run of pushes). */
heft_status heft__csr_reserve_nnz(heft__csr *c, uint64_t extra);

/* Appends a nonzero to the row being built. The caller reserved room. */
static inline void heft__csr_push(heft__csr *c, uint32_t feat, float val,
                                  uint16_t field)
{
    uint64_t k = c->nnz++;
    c->feat[k] = feat;
    c->val[k] = val;
    c->field[k] = field;
}

/* Closes the row being built. */
heft_status heft__csr_end_row(heft__csr *c, const heft__rowmeta *m);
/* Drops the nonzeros pushed since the last end_row (a bad row). */
static inline void heft__csr_cancel_row(heft__csr *c)
{
    c->nnz = c->row_ptr[c->n_rows];
}

/* Appends all rows of src to dst (src unchanged). Optional columns present
 * in only one side are filled with defaults on the other. */
heft_status heft__csr_append(heft__csr *dst, const heft__csr *src);

/* Shrinks the arrays to their used size (before handing them over). */
void heft__csr_shrink(heft__csr *c);

/* Makes room for extra more rows (row_ptr, label, src_line and the
 * optional columns c keeps). */
heft_status heft__csr_reserve_rows(heft__csr *c, uint64_t extra);

/* Adds the optional columns in flags that c lacks, filled with their
 * defaults (weight 1, the others 0) for the rows c already has. */
heft_status heft__csr_add_flags(heft__csr *c, unsigned flags);

/* Copies rows [from, to) of src, with their nonzeros, into dst as rows
 * dst_row.. onwards with their nonzeros from dst_nz on (row_ptr entries
 * dst_row+1 .. dst_row+to-from are written; entry dst_row is the caller's).
 * dst must have room (reserve first) and every optional column src has;
 * the ones src lacks get defaults; line_off is added to src_line.
 * dst->n_rows and dst->nnz are left to the caller, so disjoint ranges can
 * be copied by several threads at once. */
void heft__csr_copy_rows(heft__csr *dst, uint64_t dst_row, uint64_t dst_nz,
                         const heft__csr *src, uint64_t from, uint64_t to,
                         uint64_t line_off);

#endif
