/*
 * registry.c: the table of importance estimators, in the order "all" runs
 * them. One line per method; the estimator itself is in est_<name>.c.
 */
#include "estimator.h"

#include <string.h>

#define EST(sym) extern const heft__estimator sym;
EST(heft__est_loss)
EST(heft__est_confidence)
EST(heft__est_margin)
EST(heft__est_aum)
EST(heft__est_el2n)
EST(heft__est_grand)
EST(heft__est_forget)
EST(heft__est_tracin)
EST(heft__est_selfinf)
EST(heft__est_influence)
EST(heft__est_oob)
EST(heft__est_knn)
EST(heft__est_cl)
EST(heft__est_dup)
EST(heft__est_group)
#undef EST

static const heft__estimator *const all[] = {
    &heft__est_loss,   &heft__est_confidence, &heft__est_margin,
    &heft__est_aum,    &heft__est_el2n,       &heft__est_grand,
    &heft__est_forget, &heft__est_tracin,     &heft__est_selfinf,
    &heft__est_influence, &heft__est_oob,     &heft__est_knn,
    &heft__est_cl,     &heft__est_dup,        &heft__est_group,
};

const heft__estimator *const *const heft__estimator_table = all;
const size_t heft__estimator_table_len = sizeof all / sizeof all[0];

const heft__estimator *heft__estimator_find(const char *name, size_t len)
{
    for (size_t i = 0; i < heft__estimator_table_len; i++) {
        const heft__estimator *e = all[i];
        if (e && strlen(e->name) == len && !memcmp(e->name, name, len))
            return e;
    }
    return NULL;
}
