/*
 * apply.c: turning a selection into a dataset (heft_select_apply): the
 * chosen rows with their weights multiplied by the selection's.
 */
#include "dataset.h"

#include <stdlib.h>

heft_status heft_select_apply(const heft_dataset *ds,
                              const heft_selection *sel, heft_dataset **out,
                              heft_error *err)
{
    if (!out)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0, "out is NULL");
    *out = NULL;
    if (!ds || !sel)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "heft_select_apply: dataset or selection is NULL");
    if (sel->n_in != ds->n_rows)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "the selection was made over %zu rows but the data "
                         "set has %llu",
                         sel->n_in, (unsigned long long)ds->n_rows);
    heft_dataset *sub = NULL;
    heft_status st = heft_dataset_subset(ds, sel->rows, sel->n, &sub, err);
    if (st == HEFT_OK && sel->neg_rate > 0 && sel->neg_rate < 1) {
        /* Negatives kept at W: recorded, so training recalibrates. */
        const double w0 = sub->schema.neg_rate > 0 ? sub->schema.neg_rate : 1;
        sub->schema.neg_rate = w0 * sel->neg_rate;
    }
    if (st != HEFT_OK || (sel->all_weights_one && !ds->weight)) {
        *out = sub;
        return st;
    }
    if (heft__csr_add_flags(&sub->csr, HEFT__HAS_WEIGHT) != HEFT_OK) {
        heft_dataset_free(sub);
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0,
                         "out of memory for the weights of %zu rows", sel->n);
    }
    for (size_t k = 0; k < sel->n; k++)
        sub->csr.weight[k] *= sel->weight[k];
    sub->weight = sub->csr.weight;
    *out = sub;
    return HEFT_OK;
}
