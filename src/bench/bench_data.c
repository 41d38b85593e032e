/*
 * bench_data.c: a relabelled copy of chosen rows of a dataset, for the
 * noise benchmark's planted defects (heft_bench_relabel in
 * include/heft_bench.h).
 *
 * heft_dataset_from_csr() would also build such a copy, but it drops the
 * schema (field names, read options), so a model trained on it could not
 * predict test data read with the training set's options. This copies the
 * rows with heft_dataset_subset(), which keeps the schema, and then
 * replaces the labels of the copy, which owns its arrays.
 */
#include "dataset.h"

#include <math.h>

heft_status heft_bench_relabel(const heft_dataset *ds, const uint64_t *rows,
                               size_t n, const float *label,
                               heft_dataset **out, heft_error *err)
{
    if (!out)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0, "out is NULL");
    *out = NULL;
    if (!label && n)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0, "labels are NULL");
    for (size_t i = 0; i < n; i++)
        if (!isfinite(label[i]) || label[i] < 0)
            return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                             "relabel: label %zu is %g; labels must be "
                             "finite and >= 0",
                             i, (double)label[i]);
    heft_dataset *sub = NULL;
    const heft_status st = heft_dataset_subset(ds, rows, n, &sub, err);
    if (st != HEFT_OK)
        return st;
    /* The subset owns malloc'ed CSR arrays (never a map): its label
     * column is writable, and ds->label points at it. */
    memcpy(sub->csr.label, label, n * sizeof *label);
    *out = sub;
    return HEFT_OK;
}
