/*
 * train.h: the training kernels' interface, private to src/model.
 *
 * train.c owns the loop over epochs (row order, validation, early
 * stopping, checkpoints, logging); each model file supplies a specialised
 * kernel that runs its optimiser over a run of rows in a tight loop
 * (float32 parameters, the next row's buckets prefetched) rather than going
 * through the generic sparse-gradient interface of model.h, which stays
 * the reference that the tests compare the maths against.
 *
 * Regularisation (docs/models.md): l2 is per sample. Each visit of row i
 * adds w_i * l2 * theta_j to the gradient of every parameter theta_j that
 * row i touches (the usual lazy sparse-SGD form), so over an epoch the
 * objective is sum_i l_i + (l2 * sum_i w_i / 2) |theta|^2, and the model
 * records m->l2 = l2 * sum_i w_i. FTRL applies the same total
 * lambda2 = l2 * sum_i w_i in its closed-form weights.
 */
#ifndef HEFT_TRAIN_H
#define HEFT_TRAIN_H

#include "model.h"

#include <sys/mman.h>
#include <unistd.h>

typedef struct heft__trainer {
    heft_model *m;
    heft_optim optim;   /* resolved: HEFT_OPTIM_FTRL or HEFT_OPTIM_ADAGRAD */
    double lr;          /* AdaGrad step size, FTRL alpha                    */
    double beta;        /* FTRL beta                                        */
    double l1;          /* FTRL lambda1 (absolute, as in McMahan et al.)    */
    double l2;          /* per-sample L2, scaled by the row weight          */
    double ftrl_l2;     /* FTRL lambda2 = l2 * sum of train weights         */
    int batch;          /* mlp minibatch rows                               */
    void *state;        /* the kernel's optimiser state                     */
} heft__trainer;

typedef struct heft__train_vt {
    /* Allocates t->state for t->m (whose theta holds the initial values). */
    heft_status (*begin)(heft__trainer *t);
    /* One optimiser step per row for rows order[0..n) of ds, in that order;
     * adds the weighted log loss of each row before its step (progressive
     * validation) to *loss and its weight to *wsum. */
    heft_status (*rows)(heft__trainer *t, const heft_dataset *ds,
                        const uint64_t *order, size_t n, double *loss,
                        double *wsum);
    /* Brings m->theta up to date (FTRL weights from z and n; a pending
     * minibatch applied). Called at the end of every epoch. */
    heft_status (*sync)(heft__trainer *t);
    /* Frees t->state (NULL-safe). */
    void (*end)(heft__trainer *t);
} heft__train_vt;

extern const heft__train_vt heft__lr_train_vt, heft__fm_train_vt,
    heft__mlp_train_vt;

/* train.c: fills order[0..n) with a seeded shuffle of 0..n-1 that keeps
 * runs of 64 consecutive values together (the epoch order; see
 * docs/models.md). HEFT_ENOMEM if its small buffer cannot be allocated. */
heft_status heft__shuffle_rows(heft__rng *rng, uint64_t *order, size_t n);

/* lr_auto.c: FTRL's alpha for training the lr model on ds with the
 * resolved options o (epochs, l1, l2, beta, seed, shuffle) when opts.lr is
 * 0: the best of a small grid by log loss on a held-out part of ds, or a
 * fixed fallback for tiny data. Writes *alpha; logs one line through
 * o->log. Fails only for lack of memory. */
heft_status heft__lr_tune(const heft_dataset *ds, const heft_train_opts *o,
                          double *alpha, heft_error *err);

/* Asks the kernel to back the freshly allocated, still untouched block p
 * (bytes long; from malloc or calloc, not yet written) with huge pages,
 * where the system offers them (Linux transparent huge pages in "madvise"
 * mode). A kernel may take tens of microseconds per first touch of a 4 KiB
 * page, so the tens of megabytes of parameters and optimiser state that an
 * epoch touches at random would otherwise cost a large part of the epoch
 * (0.2 s for 32 MB measured). Only whole pages inside the block are
 * advised; a refusal is harmless and ignored. */
static inline void heft__huge_pages(void *p, size_t bytes)
{
#if defined(MADV_HUGEPAGE) && defined(_SC_PAGESIZE)
    const long ps = sysconf(_SC_PAGESIZE);
    if (!p || ps <= 0 || bytes < ((size_t)4 << 20))
        return;
    const uintptr_t pg = (uintptr_t)ps;
    const uintptr_t a = ((uintptr_t)p + pg - 1) & ~(pg - 1);
    const uintptr_t b = ((uintptr_t)p + bytes) & ~(pg - 1);
    if (b > a)
        (void)madvise((void *)a, (size_t)(b - a), MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

/* Label clamped to [0,1] (grades >= 1 count as a click). */
static inline float heft__label01f(float y)
{
    return y > 1 ? 1.0f : (y > 0 ? y : 0.0f);
}

/* Log loss at logit z for label y in [0,1], in float; stable. */
static inline double heft__logloss_f(float z, float y)
{
    return heft__logloss_logit((double)z, (double)y);
}

#if defined(__GNUC__)
#define HEFT__PREFETCH(p) __builtin_prefetch((p), 1, 1)
#define HEFT__PREFETCH_R(p) __builtin_prefetch((p), 0, 1)
#else
#define HEFT__PREFETCH(p) ((void)(p))
#define HEFT__PREFETCH_R(p) ((void)(p))
#endif

/* Prefetches the CSR arrays (feat, val, and field when asked) of row i:
 * every cache line of them. */
static inline void heft__prefetch_row(const heft_dataset *ds, uint64_t i,
                                      int field)
{
    const uint64_t a = ds->row_ptr[i], b = ds->row_ptr[i + 1];
    for (uint64_t p = a; p < b; p += 16) {
        HEFT__PREFETCH_R(ds->feat + p);
        HEFT__PREFETCH_R(ds->val + p);
    }
    if (b > a) {
        HEFT__PREFETCH_R(ds->feat + b - 1);
        HEFT__PREFETCH_R(ds->val + b - 1);
    }
    for (uint64_t p = a; field && p < b + 31; p += 32)
        HEFT__PREFETCH_R(ds->field + (p < b ? p : b - 1));
}

/* Prefetch distances, in rows, of the software pipeline that a kernel
 * visiting rows order[0..n) in a random order runs at step k: the row
 * offsets of row k + HEFT__PF_PTR, the CSR lines of row k + HEFT__PF_CSR,
 * and (in the kernel) the parameters of row k + 1, so each level's
 * addresses are in cache by the time the next level needs them. */
#define HEFT__PF_PTR 12
#define HEFT__PF_CSR 6

static inline void heft__prefetch_pipeline(const heft_dataset *ds,
                                           const uint64_t *order, size_t n,
                                           size_t k, int field)
{
    if (k + HEFT__PF_PTR < n)
        HEFT__PREFETCH_R(ds->row_ptr + order[k + HEFT__PF_PTR]);
    if (k + HEFT__PF_CSR < n) {
        const uint64_t i = order[k + HEFT__PF_CSR];
        heft__prefetch_row(ds, i, field);
        HEFT__PREFETCH_R(ds->label + i);
        if (ds->weight)
            HEFT__PREFETCH_R(ds->weight + i);
    }
}

#endif
