/* dataset_csr.c: read-only access to a dataset's CSR arrays. */
#include "dataset.h"

void heft_dataset_csr(const heft_dataset *ds, const uint64_t **row_ptr,
                      const uint32_t **feat, const float **val,
                      const uint16_t **field)
{
    if (row_ptr)
        *row_ptr = ds->row_ptr;
    if (feat)
        *feat = ds->feat;
    if (val)
        *val = ds->val;
    if (field)
        *field = ds->field;
}
