/* csr.c: growable CSR buffer (see csr.h). */
#include "csr.h"

#include <stdlib.h>
#include <sys/mman.h>

/* Arrays at least this big ask for transparent huge pages. */
#define HUGE_MIN ((size_t)4 << 20)

/* Asks for transparent huge pages on a big array: first-touch page faults
 * are a large share of building a big CSR, and huge pages cut their number
 * 512-fold (much more than that in time under a hypervisor that shadows
 * page tables). Only whole pages inside the array are advised, so the
 * allocator's own header page is left alone. Advice only: failure is
 * harmless. */
static void advise_huge(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    const uintptr_t page = 4096;
    const uintptr_t a = ((uintptr_t)p + page - 1) & ~(page - 1);
    const uintptr_t e = ((uintptr_t)p + bytes) & ~(page - 1);
    if (p && bytes >= HUGE_MIN && e > a)
        madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

/* Reallocates *arr to cap elements of size sz; 0 on success. */
static int regrow(void **arr, uint64_t cap, size_t sz)
{
    void *p = heft__realloc(*arr, (size_t)cap, sz);
    if (!p)
        return -1;
    *arr = p;
    advise_huge(p, (size_t)cap * sz);
    return 0;
}

#define GROW(c, arr, cap)                                                     \
    (regrow((void **)&(c)->arr, (cap), sizeof *(c)->arr) == 0)

/* Sets the capacity of every row array c keeps to cap rows. */
static heft_status set_cap_rows(heft__csr *c, uint64_t cap)
{
    int ok = GROW(c, row_ptr, cap + 1) && GROW(c, label, cap) &&
             GROW(c, src_line, cap);
    if (ok && (c->flags & HEFT__HAS_WEIGHT))
        ok = GROW(c, weight, cap);
    if (ok && (c->flags & HEFT__HAS_GROUP))
        ok = GROW(c, group, cap);
    if (ok && (c->flags & HEFT__HAS_TIME))
        ok = GROW(c, time, cap);
    if (ok && (c->flags & HEFT__HAS_POSITION))
        ok = GROW(c, position, cap);
    if (!ok)
        return HEFT_ENOMEM;
    c->cap_rows = cap;
    return HEFT_OK;
}

static heft_status grow_rows(heft__csr *c, uint64_t need)
{
    if (need <= c->cap_rows)
        return HEFT_OK;
    uint64_t cap = c->cap_rows ? c->cap_rows : 1024;
    while (cap < need)
        cap += cap / 2 + 1024;
    return set_cap_rows(c, cap);
}

heft_status heft__csr_reserve_rows(heft__csr *c, uint64_t extra)
{
    return grow_rows(c, c->n_rows + extra);
}

heft_status heft__csr_reserve_nnz(heft__csr *c, uint64_t extra)
{
    uint64_t need = c->nnz + extra;
    if (need <= c->cap_nnz)
        return HEFT_OK;
    uint64_t cap = c->cap_nnz ? c->cap_nnz : 16384;
    while (cap < need)
        cap += cap / 2 + 16384;
    if (!(GROW(c, feat, cap) && GROW(c, val, cap) && GROW(c, field, cap)))
        return HEFT_ENOMEM;
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

heft_status heft__csr_add_flags(heft__csr *c, unsigned flags)
{
    const unsigned add = flags & ~c->flags;
    if (!add)
        return HEFT_OK;
    const uint64_t cap = c->cap_rows ? c->cap_rows : 1;
    int ok = 1;
    if (add & HEFT__HAS_WEIGHT) {
        ok = ok && GROW(c, weight, cap);
        for (uint64_t i = 0; ok && i < c->n_rows; i++)
            c->weight[i] = 1.0f;
    }
    if (ok && (add & HEFT__HAS_GROUP) && (ok = GROW(c, group, cap)))
        memset(c->group, 0, (size_t)c->n_rows * sizeof *c->group);
    if (ok && (add & HEFT__HAS_TIME) && (ok = GROW(c, time, cap)))
        for (uint64_t i = 0; i < c->n_rows; i++)
            c->time[i] = 0;
    if (ok && (add & HEFT__HAS_POSITION) && (ok = GROW(c, position, cap)))
        for (uint64_t i = 0; i < c->n_rows; i++)
            c->position[i] = 0;
    if (!ok)
        return HEFT_ENOMEM; /* the columns added so far stay consistent */
    c->flags |= add;
    return HEFT_OK;
}

/* The per-row columns of heft__csr_copy_rows(). */
static void copy_row_cols(heft__csr *dst, uint64_t d, const heft__csr *src,
                          uint64_t from, uint64_t n, uint64_t line_off)
{
    memcpy(dst->label + d, src->label + from, (size_t)n * sizeof *dst->label);
    for (uint64_t i = 0; i < n; i++)
        dst->src_line[d + i] = src->src_line[from + i] + line_off;
#define OPT(arr, def)                                                         \
    if (dst->arr && src->arr)                                                 \
        memcpy(dst->arr + d, src->arr + from, (size_t)n * sizeof *dst->arr); \
    else if (dst->arr)                                                        \
        for (uint64_t i = 0; i < n; i++)                                      \
            dst->arr[d + i] = (def);
    OPT(weight, 1.0f)
    OPT(group, 0)
    OPT(time, 0)
    OPT(position, 0)
#undef OPT
}

void heft__csr_copy_rows(heft__csr *dst, uint64_t dst_row, uint64_t dst_nz,
                         const heft__csr *src, uint64_t from, uint64_t to,
                         uint64_t line_off)
{
    if (to <= from)
        return;
    const uint64_t n = to - from;
    const uint64_t z_src = src->row_ptr[from], z_dst = dst_nz;
    const size_t nz = (size_t)(src->row_ptr[to] - z_src);
    memcpy(dst->feat + z_dst, src->feat + z_src, nz * sizeof *dst->feat);
    memcpy(dst->val + z_dst, src->val + z_src, nz * sizeof *dst->val);
    memcpy(dst->field + z_dst, src->field + z_src, nz * sizeof *dst->field);
    const uint64_t shift = z_dst - z_src; /* wraps; the sums do not */
    for (uint64_t i = 1; i <= n; i++)
        dst->row_ptr[dst_row + i] = src->row_ptr[from + i] + shift;
    copy_row_cols(dst, dst_row, src, from, n, line_off);
}

heft_status heft__csr_append(heft__csr *dst, const heft__csr *src)
{
    heft_status st = heft__csr_add_flags(dst, src->flags);
    if (st == HEFT_OK)
        st = grow_rows(dst, dst->n_rows + src->n_rows);
    if (st == HEFT_OK)
        st = heft__csr_reserve_nnz(dst, src->nnz);
    if (st != HEFT_OK)
        return st;
    heft__csr_copy_rows(dst, dst->n_rows, dst->nnz, src, 0, src->n_rows, 0);
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
