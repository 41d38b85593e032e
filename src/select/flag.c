/*
 * flag.c: the rows that --drop-flagged removes (heft_select_flag): label
 * issues found by confident learning (score column cl_ok == 0, Northcutt
 * et al. 2021), duplicates whose copies disagree on the label (column dup
 * < 0: est_dup.c writes -(copies with another label)/copies), and rows of
 * groups whose value is below zero (column "group", or the group table
 * STEM.groups.tsv of method group matched by the row's group id).
 */
#include "core.h"

#include <stdlib.h>

/* The value of group id g in the table (ids as heft score wrote them,
 * ascending; searched by bisection, with a linear fallback should a file
 * not be sorted). *found 0 when the id is absent. */
static float group_value(const heft_score_file *sf, uint64_t g, int *found)
{
    size_t lo = 0, hi = sf->n_groups;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (sf->group_ids[mid] < g)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < sf->n_groups && sf->group_ids[lo] == g) {
        *found = 1;
        return sf->group_values[lo];
    }
    for (size_t j = 0; j < sf->n_groups; j++)
        if (sf->group_ids[j] == g) {
            *found = 1;
            return sf->group_values[j];
        }
    *found = 0;
    return 0;
}

heft_status heft_select_flag(const heft_score_file *sf, const uint64_t *group,
                             size_t n, uint8_t *drop,
                             heft_flag_counts *counts, heft_error *err)
{
    heft_flag_counts c;
    memset(&c, 0, sizeof c);
    if (!sf || (n && !drop))
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "heft_select_flag: score file or drop is NULL");
    if (n != sf->rows)
        return heft__err(err, HEFT_EINVAL, sf->path, 0, 0,
                         "the score file has %zu rows but the data has %zu",
                         sf->rows, n);
    const float *cl_ok = heft_score_file_col(sf, "cl_ok");
    const float *dup = heft_score_file_col(sf, "dup");
    const float *gcol = heft_score_file_col(sf, "group");
    const int gtab = !gcol && sf->n_groups > 0;
    if (!cl_ok && !dup && !gcol && !gtab)
        return heft__err(err, HEFT_EINVAL, sf->path, 0, 0,
                         "nothing to flag: the score file has none of the "
                         "columns cl_ok, dup or group and no group table "
                         "(run heft score --methods cl,dup,group)");
    if (gtab && !group)
        return heft__err(err, HEFT_EINVAL, sf->path, 0, 0,
                         "the group table needs the data's group column "
                         "(--group)");
    for (size_t i = 0; i < n; i++) {
        const int a = cl_ok && cl_ok[i] == 0;
        const int b = dup && dup[i] < 0;
        int found = 0;
        const int g = gcol ? gcol[i] < 0
                           : gtab && group_value(sf, group[i], &found) < 0;
        c.cl += (size_t)a;
        c.dup_conflict += (size_t)b;
        c.group_negative += (size_t)g;
        drop[i] = (uint8_t)(a || b || g);
        c.total += drop[i];
    }
    if (counts)
        *counts = c;
    return HEFT_OK;
}
