/*
 * audit_ci.c: how precisely the test set measures a model, overall and
 * per segment.
 *
 * AUC: exact (ties half) with the DeLong standard error (audit_stats.c);
 * the 95% interval is AUC +/- 1.96 SE clipped to [0, 1], its width
 * 2 * 1.96 * SE before clipping. Rows needed for a target width w*:
 * N (w / w*)^2, since the width scales as 1/sqrt(N) (audit_stats.c).
 * Logloss: the mean of l_i = -y ln p - (1 - y) ln(1 - p) (p clipped to
 * [1e-15, 1 - 1e-15]) with the normal interval mean +/- 1.96 sd / sqrt(N)
 * (central limit theorem for a mean of i.i.d. losses).
 * Rows are unweighted here (the audit is about the test set's size).
 *
 * Segments: the test rows that share a segment key, with rows, positives
 * and, with predictions, AUC (DeLong SE) and logloss.
 */
#include "audit_int.h"

#include <math.h>
#include <stdlib.h>

static double row_loss(float y, float p)
{
    double q = p < 1e-15 ? 1e-15 : p > 1 - 1e-15 ? 1 - 1e-15 : p;
    return y > 0 ? -log(q) : -log(1 - q);
}

/* Mean and sample standard deviation of the loss over idx[0..n) (all rows
 * when idx is NULL). */
static void loss_stats(const float *label, const float *pred,
                       const uint64_t *idx, size_t n, double *mean,
                       double *sd)
{
    double s = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        const size_t j = idx ? (size_t)idx[i] : i;
        const double l = row_loss(label[j], pred[j]);
        s += l;
        s2 += l * l;
    }
    *mean = n ? s / (double)n : NAN;
    const double v = n > 1 ? (s2 - s * s / (double)n) / (double)(n - 1) : 0;
    *sd = v > 0 ? sqrt(v) : 0;
}

static heft_status overall(const heft_dataset *te, const heft_audit_opts *o,
                           heft_audit *a, heft_error *err)
{
    const size_t n = te->n_rows;
    heft_status st = heft__audit_auc_se(te->label, o->pred, NULL, n, &a->auc,
                                        &a->auc_se, err);
    if (st != HEFT_OK)
        return st;
    a->has_pred = 1;
    a->auc_width = 2 * 1.96 * a->auc_se;
    a->auc_lo = fmax(0, a->auc - 1.96 * a->auc_se);
    a->auc_hi = fmin(1, a->auc + 1.96 * a->auc_se);
    double sd;
    loss_stats(te->label, o->pred, NULL, n, &a->logloss, &sd);
    const double h = n ? 1.96 * sd / sqrt((double)n) : NAN;
    a->logloss_lo = a->logloss - h;
    a->logloss_hi = a->logloss + h;
    a->target_width = o->target_width;
    a->rows_needed = o->target_width > 0 && !isnan(a->auc_width)
                         ? heft_audit_rows_needed((double)n, a->auc_width,
                                                  o->target_width)
                         : 0;
    return HEFT_OK;
}

typedef struct seg_row {
    uint64_t key, row;
} seg_row;

static int cmp_seg_row(const void *x, const void *y)
{
    const seg_row *a = x, *b = y;
    if (a->key != b->key)
        return (a->key > b->key) - (a->key < b->key);
    return (a->row > b->row) - (a->row < b->row);
}

static int cmp_segment(const void *x, const void *y)
{
    const heft_audit_segment *a = x, *b = y;
    if (a->rows != b->rows)
        return a->rows < b->rows ? 1 : -1;
    return (a->key > b->key) - (a->key < b->key);
}

/* Metrics of one segment: rows idx[0..n) of te, all with key. */
static heft_status one_segment(const heft_dataset *te, const float *pred,
                               uint64_t key, const uint64_t *idx, size_t n,
                               heft_audit_segment *sg, heft_error *err)
{
    *sg = (heft_audit_segment){key, idx[0], n, 0, NAN, NAN, NAN};
    for (size_t i = 0; i < n; i++)
        sg->positives += te->label[idx[i]] > 0;
    if (!pred)
        return HEFT_OK;
    double sd;
    loss_stats(te->label, pred, idx, n, &sg->logloss, &sd);
    return heft__audit_auc_se(te->label, pred, idx, n, &sg->auc, &sg->auc_se,
                              err);
}

static heft_status segments(const heft_dataset *te, const heft_audit_opts *o,
                            heft_audit *a, heft_error *err)
{
    const size_t n = te->n_rows;
    seg_row *r = heft__malloc(n ? n : 1, sizeof *r);
    uint64_t *idx = heft__malloc(n ? n : 1, sizeof *idx);
    a->segments = heft__malloc(n ? n : 1, sizeof *a->segments);
    if (!r || !idx || !a->segments) {
        free(r);
        free(idx);
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        r[i] = (seg_row){o->segment[i], i};
    qsort(r, n, sizeof *r, cmp_seg_row);
    heft_status st = HEFT_OK;
    for (size_t s = 0; s < n && st == HEFT_OK;) {
        size_t e = s;
        while (e < n && r[e].key == r[s].key) {
            idx[e - s] = r[e].row;
            e++;
        }
        st = one_segment(te, o->pred, r[s].key, idx, e - s,
                         &a->segments[a->n_segments++], err);
        s = e;
    }
    free(r);
    free(idx);
    qsort(a->segments, a->n_segments, sizeof *a->segments, cmp_segment);
    return st;
}

heft_status heft__audit_metrics(const heft_dataset *te,
                                const heft_audit_opts *o, heft_audit *a,
                                heft_error *err)
{
    heft_status st = HEFT_OK;
    a->auc = a->auc_se = a->auc_lo = a->auc_hi = a->auc_width = NAN;
    a->logloss = a->logloss_lo = a->logloss_hi = NAN;
    a->target_width = o->target_width;
    if (o->pred)
        st = overall(te, o, a, err);
    if (st == HEFT_OK && o->segment)
        st = segments(te, o, a, err);
    return st;
}
