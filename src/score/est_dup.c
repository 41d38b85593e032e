/*
 * est_dup.c: exact duplicate rows and duplicates with conflicting labels,
 * as one "higher = more valuable" column.
 *
 * Rows are grouped by their exact feature vector (the multiset of
 * (bucket, value) pairs, order ignored) by heft__dup_rows() (dup.c, which
 * hashes rows and confirms every match). For a row i in a group G of size
 * |G| whose labels are all equal, and for a row in a group whose labels
 * conflict, with a_i the rows of G that carry a label different from y_i:
 *
 *   dup_i = 1 / |G|           no conflict (1 for a unique row: each extra
 *                             copy of a row teaches the model nothing new,
 *                             so a group of |G| copies shares one row's
 *                             worth of value)
 *   dup_i = -a_i / |G|        conflict: the same features seen with
 *                             different labels; in [-1, 0), lowest for a
 *                             row whose label disagrees with most of its
 *                             copies (the likelier label error)
 *
 * so every conflicting row ranks below every non-conflicting one, and
 * within a conflicting group the minority labels rank lowest. Labels are
 * compared for equality (grades too). Cost: dup.c's O(nnz log row length)
 * hashing, plus a radix sort of the conflicting rows by (group, label).
 */
#include "est_data.h"

#include <stdlib.h>

/* For the m rows idx[0..m) of conflicting groups: dup = -(rows of the
 * group with another label) / size. Sorts by (group, label) so equal
 * labels of a group are adjacent. */
static heft_status dup_conflicts(const float *label, const uint32_t *group,
                                 const uint32_t *size, uint64_t *idx,
                                 size_t m, float *out)
{
    uint64_t *key = heft__malloc(m ? m : 1, sizeof *key);
    uint64_t *tmp = heft__malloc(m ? m : 1, sizeof *tmp);
    if (!key || !tmp) {
        free(key);
        free(tmp);
        return HEFT_ENOMEM;
    }
    /* Two stable passes: by label, then by group (position j in idx). */
    for (size_t j = 0; j < m; j++)
        key[j] = (uint64_t)heft__score_fkey(label[idx[j]]) << 32 | j;
    heft__score_sort(key, tmp, m);
    for (size_t j = 0; j < m; j++)
        tmp[j] = idx[(uint32_t)key[j]];
    for (size_t j = 0; j < m; j++)
        key[j] = (uint64_t)group[tmp[j]] << 32 | j;
    memcpy(idx, tmp, m * sizeof *idx);
    heft__score_sort(key, tmp, m);
    for (size_t j = 0; j < m; j++)
        tmp[j] = idx[(uint32_t)key[j]];
    /* Runs of equal (group, label). */
    for (size_t a = 0; a < m;) {
        size_t e = a;
        const uint64_t r = tmp[a];
        while (e < m && group[tmp[e]] == group[r] && label[tmp[e]] == label[r])
            e++;
        const float v = -(float)((double)(size[r] - (e - a)) / size[r]);
        for (size_t j = a; j < e; j++)
            out[tmp[j]] = v;
        a = e;
    }
    free(key);
    free(tmp);
    return HEFT_OK;
}

static heft_status dup_run(heft__score_ctx *c, float **cols, heft_error *err)
{
    const uint64_t n = c->train->n_rows;
    if (n == 0)
        return heft__err(err, HEFT_EEMPTY, NULL, 0, 0,
                         "dup: the training data has no rows");
    uint32_t *group = heft__malloc((size_t)n, sizeof *group);
    uint32_t *size = heft__malloc((size_t)n, sizeof *size);
    uint8_t *conflict = heft__malloc((size_t)n, 1);
    uint64_t *idx = NULL;
    heft_status st = HEFT_OK;
    if (!group || !size || !conflict)
        st = heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "dup: out of memory");
    const heft__rows rows = heft__rows_of(c->train);
    if (st == HEFT_OK)
        st = heft__dup_rows(&rows, c->train->label, c->threads, group, size,
                            conflict, NULL, err);
    size_t m = 0;
    for (uint64_t i = 0; st == HEFT_OK && i < n; i++) {
        cols[0][i] = (float)(1.0 / size[i]);
        m += conflict[i];
    }
    if (st == HEFT_OK && m > 0) {
        idx = heft__malloc(m, sizeof *idx);
        if (!idx)
            st = heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "dup: out of memory");
        for (uint64_t i = 0, j = 0; idx && i < n; i++)
            if (conflict[i])
                idx[j++] = i;
        if (st == HEFT_OK &&
            dup_conflicts(c->train->label, group, size, idx, m, cols[0]) !=
                HEFT_OK)
            st = heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "dup: out of memory");
    }
    free(group);
    free(size);
    free(conflict);
    free(idx);
    return st;
}

const heft__estimator heft__est_dup = {
    "dup",
    "dup",
    "exact duplicates: 1/(copies) for rows without label conflict, "
    "-(copies with another label)/(copies) for conflicting ones",
    0,
    dup_run,
};
