/* csr.c: growable CSR buffer (see csr.h). */
#include "csr.h"

#include <stdlib.h>

static heft_status grow_rows(heft__csr *c, uint64_t need)
{
    if (need <= c->cap_rows)
        return HEFT_OK;
    uint64_t cap = c->cap_rows ? c->cap_rows : 1024;
    while (cap < need)
        cap += cap / 2 + 1024;
#define GROW(arr, type, extra)                                                \
    do {                                                                      \
        void *p = heft__realloc(c->arr, (size_t)(cap + (extra)), sizeof(type)); \
        if (!p)                                                               \
            return HEFT_ENOMEM;                                               \
        c->arr = p;                                                           \
    } while (0)
    GROW(row_ptr, uint64_t, 1);
    GROW(label, float, 0);
    GROW(src_line, uint64_t, 0);
    if (c->flags & HEFT__HAS_WEIGHT)
        GROW(weight, float, 0);
    if (c->flags & HEFT__HAS_GROUP)
        GROW(group, uint64_t, 0);
    if (c->flags & HEFT__HAS_TIME)
        GROW(time, double, 0);
    if (c->flags & HEFT__HAS_POSITION)
        GROW(position, float, 0);
    c->cap_rows = cap;
    return HEFT_OK;
}

heft_status heft__csr_reserve_nnz(heft__csr *c, uint64_t extra)
{
    uint64_t need = c->nnz + extra;
    if (need <= c->cap_nnz)
        return HEFT_OK;
    uint64_t cap = c->cap_nnz ? c->cap_nnz : 16384;
    while (cap < need)
        cap += cap / 2 + 16384;
    GROW(feat, uint32_t, 0);
    GROW(val, float, 0);
    GROW(field, uint16_t, 0);
#undef GROW
    c->cap_nnz = cap;
    return HEFT_OK;
}

heft_status heft__csr_init(heft__csr *c, unsigned flags, uint64_t rows_hint,
                           uint64_t nnz_hint)
{
    memset(c, 0, sizeof *c);
    c->flags = flags;
    heft_status st = grow_rows(c, rows_hint ? rows_hint : 1);
    if (st == HEFT_OK)
        st = heft__csr_reserve_nnz(c, nnz_hint ? nnz_hint : 1);
    if (st != HEFT_OK) {
        heft__csr_free(c);
        return st;
    }
    c->row_ptr[0] = 0;
    return HEFT_OK;
}

void heft__csr_free(heft__csr *c)
{
    if (!c)
        return;
    free(c->row_ptr);
    free(c->feat);
    free(c->val);
    free(c->field);
    free(c->label);
    free(c->weight);
    free(c->group);
    free(c->time);
    free(c->position);
    free(c->src_line);
    memset(c, 0, sizeof *c);
}

heft_status heft__csr_end_row(heft__csr *c, const heft__rowmeta *m)
{
    if (HEFT__UNLIKELY(c->n_rows + 1 > c->cap_rows)) {
        heft_status st = grow_rows(c, c->n_rows + 1);
        if (st != HEFT_OK)
            return st;
    }
    uint64_t i = c->n_rows++;
    c->row_ptr[i + 1] = c->nnz;
    c->label[i] = m->label;
    c->src_line[i] = m->line;
    if (c->weight)
        c->weight[i] = m->weight;
    if (c->group)
        c->group[i] = m->group;
    if (c->time)
        c->time[i] = m->time;
    if (c->position)
        c->position[i] = m->position;
    return HEFT_OK;
}

heft_status heft__csr_append(heft__csr *dst, const heft__csr *src)
{
    unsigned add = src->flags & ~dst->flags;
    if (add) {
        /* dst gains columns src has: backfill defaults for its rows. */
        dst->flags |= add;
        uint64_t cap = dst->cap_rows;
        dst->cap_rows = 0;
        heft_status st = grow_rows(dst, cap);
        if (st != HEFT_OK)
            return st;
        for (uint64_t i = 0; i < dst->n_rows; i++) {
            if (add & HEFT__HAS_WEIGHT)
                dst->weight[i] = 1.0f;
            if (add & HEFT__HAS_GROUP)
                dst->group[i] = 0;
            if (add & HEFT__HAS_TIME)
                dst->time[i] = 0;
            if (add & HEFT__HAS_POSITION)
                dst->position[i] = 0;
        }
    }
    heft_status st = grow_rows(dst, dst->n_rows + src->n_rows);
    if (st == HEFT_OK)
        st = heft__csr_reserve_nnz(dst, src->nnz);
    if (st != HEFT_OK)
        return st;
    uint64_t r0 = dst->n_rows, z0 = dst->nnz;
    memcpy(dst->feat + z0, src->feat, src->nnz * sizeof *src->feat);
    memcpy(dst->val + z0, src->val, src->nnz * sizeof *src->val);
    memcpy(dst->field + z0, src->field, src->nnz * sizeof *src->field);
    for (uint64_t i = 0; i < src->n_rows; i++) {
        dst->row_ptr[r0 + i + 1] = z0 + src->row_ptr[i + 1];
        dst->label[r0 + i] = src->label[i];
        dst->src_line[r0 + i] = src->src_line[i];
        if (dst->weight)
            dst->weight[r0 + i] = src->weight ? src->weight[i] : 1.0f;
        if (dst->group)
            dst->group[r0 + i] = src->group ? src->group[i] : 0;
        if (dst->time)
            dst->time[r0 + i] = src->time ? src->time[i] : 0;
        if (dst->position)
            dst->position[r0 + i] = src->position ? src->position[i] : 0;
    }
    dst->n_rows += src->n_rows;
    dst->nnz += src->nnz;
    return HEFT_OK;
}

void heft__csr_shrink(heft__csr *c)
{
#define SHRINK(arr, n)                                                        \
    do {                                                                      \
        if (c->arr) {                                                         \
            void *p = heft__realloc(c->arr, (size_t)(n), sizeof *c->arr);     \
            if (p)                                                            \
                c->arr = p;                                                   \
        }                                                                     \
    } while (0)
    SHRINK(row_ptr, c->n_rows + 1);
    SHRINK(label, c->n_rows);
    SHRINK(src_line, c->n_rows);
    SHRINK(weight, c->n_rows);
    SHRINK(group, c->n_rows);
    SHRINK(time, c->n_rows);
    SHRINK(position, c->n_rows);
    SHRINK(feat, c->nnz);
    SHRINK(val, c->nnz);
    SHRINK(field, c->nnz);
#undef SHRINK
    c->cap_rows = c->n_rows;
    c->cap_nnz = c->nnz;
}
