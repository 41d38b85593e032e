/*
 * audit_int.h: what the files of src/audit share. The audit runs in steps,
 * one file each: drift and novelty of every field (audit_drift.c), group
 * and duplicate leakage (audit_leak.c), the metric interval and segments
 * (audit_ci.c), then findings and their ranking (audit.c). Statistics used
 * by several steps are in audit_stats.c; the new test set in
 * audit_sample.c.
 */
#ifndef HEFT_AUDIT_INT_H
#define HEFT_AUDIT_INT_H

#include "core.h"
#include "dataset.h"

/* An open-addressing map (linear probing) from a nonzero 64-bit key to
 * two 32-bit counters, train and test, kept in one 16-byte slot so that a
 * lookup touches one cache line. Used for (field, bucket) token counts. */
typedef struct heft__aslot {
    uint64_t key;     /* 0 = empty                                      */
    uint32_t cnt[2];  /* train and test counts                          */
} heft__aslot;

typedef struct heft__amap {
    heft__aslot *slot; /* (cap,)                                        */
    size_t cap, n;     /* cap a power of two                            */
} heft__amap;

heft_status heft__amap_init(heft__amap *m, size_t expect);
/* The slot of key (inserted with zero counts if absent), or (size_t)-1
 * when out of memory. key must not be 0. */
size_t heft__amap_slot(heft__amap *m, uint64_t key);
void heft__amap_free(heft__amap *m);

/* Field steps: fill a->fields, a->unseen_rows (audit_drift.c). */
heft_status heft__audit_fields(const heft_dataset *tr, const heft_dataset *te,
                               const heft_audit_opts *o, heft_audit *a,
                               heft_error *err);
/* Leakage: fills the group and duplicate counts and test_leak[]
 * (test_rows,) (audit_leak.c). */
heft_status heft__audit_leak(const heft_dataset *tr, const heft_dataset *te,
                             heft_audit *a, uint8_t *test_leak,
                             heft_error *err);
/* Interval of AUC and logloss, and segments (audit_ci.c). */
heft_status heft__audit_metrics(const heft_dataset *te,
                                const heft_audit_opts *o, heft_audit *a,
                                heft_error *err);
/* Findings, ranked (audit.c is the caller; audit_find.c). */
heft_status heft__audit_findings(const heft_audit_opts *o, heft_audit *a,
                                 heft_error *err);

/* The numeric value bucket of field f (where the reader puts a numeric
 * column's transformed value): heft__bucket(f, hash("num"), bits), as in
 * src/io/header.c. */
uint32_t heft__audit_num_bucket(unsigned f, unsigned bits);

/* Upper tail P(X > x) of a chi-square variable with dof degrees of
 * freedom. */
double heft__audit_chi2_sf(double x, double dof);

/* Exact AUC (ties half) and DeLong SE over rows idx[0..n) (or 0..n-1
 * when idx is NULL); NAN without both classes. */
heft_status heft__audit_auc_se(const float *label, const float *pred,
                               const uint64_t *idx, size_t n, double *auc,
                               double *se, heft_error *err);

#endif
