/*
 * audit_find.c: turns the audit's numbers into findings and ranks them.
 *
 * Each kind has a rule for its level (3 high, 2 medium, 1 low; below the
 * lowest threshold there is no finding) and a magnitude x in [0, 1);
 * severity = level + t with t = (1 + x) / 2 for leakage and t = x / 2 for
 * every other kind, so findings sort by level, then leakage first (a
 * leaked test set overstates the metric; drift or a shift only makes it
 * less representative), then by size:
 *
 *   kind         level 3                level 2               level 1      x
 *   group_leak   any shared group        -                     -            share of test rows in shared groups
 *   dup_leak     dup share >= 1%        dup rows > 0          conflicts    dup share
 *   label_shift  p < 0.001, rel >= 10%  p < 0.01              -            rel / (1 + rel)
 *   drift        PSI >= 0.25            PSI >= 0.1            -            PSI / (1 + PSI)
 *                (and PSI's p-value under no drift < 0.01, audit_stats.c)
 *   unseen       -                      excess >= 25%         excess >= 5% excess
 *                (excess = test unseen share - expected share, p < 0.01)
 *   ci_width     -                      rows needed > rows    -            1 - rows / needed
 *   segment      -                      -                     z > 3, gap >= 0.02   gap
 *
 * The PSI thresholds are the credit-scoring rule of thumb (0.1: some
 * shift, 0.25: major shift; Yurdakul 2018, Siddiqi 2006). rel is the
 * relative change of the label rate. A segment's gap is overall AUC minus
 * the segment's, z = gap / sqrt(SE_seg^2 + SE_all^2) (treating the two as
 * independent, which overstates the SE and so understates z).
 */
#include "audit_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static const char *const kind_names[HEFT_AUDIT__KINDS] = {
    "group_leak", "dup_leak", "label_shift", "drift",
    "unseen",     "ci_width", "segment",
};

const char *heft_audit_kind_name(heft_audit_kind k)
{
    return (unsigned)k < HEFT_AUDIT__KINDS ? kind_names[k] : "unknown";
}

static double unit(double t)
{
    return t > 0 ? (t < 0.999 ? t : 0.999) : 0;
}

/* Appends a finding of magnitude x; the caller fills title, detail and
 * numbers. */
static heft_audit_finding *add(heft_audit *a, heft_audit_kind kind,
                               int level, double x, int field)
{
    heft_audit_finding *f = &a->findings[a->n_findings++];
    memset(f, 0, sizeof *f);
    const int leak = kind == HEFT_AUDIT_GROUP_LEAK ||
                     kind == HEFT_AUDIT_DUP_LEAK;
    f->kind = kind;
    f->level = level;
    f->severity = level + (leak ? 0.5 + 0.5 * unit(x) : 0.5 * unit(x));
    f->field = field;
    f->segment = -1;
    return f;
}

static void num(heft_audit_finding *f, const char *key, double v)
{
    if (f->n_numbers < HEFT_AUDIT_MAX_NUMBERS) {
        f->keys[f->n_numbers] = key;
        f->numbers[f->n_numbers++] = v;
    }
}

static void leak_findings(heft_audit *a)
{
    if (a->has_groups && a->groups_shared > 0) {
        heft_audit_finding *f = add(a, HEFT_AUDIT_GROUP_LEAK, 3,
                                    a->group_share, -1);
        snprintf(f->title, sizeof f->title,
                 "%llu group%s in both train and test",
                 (unsigned long long)a->groups_shared,
                 a->groups_shared == 1 ? "" : "s");
        snprintf(f->detail, sizeof f->detail,
                 "%llu of %llu test groups are also in train; %llu test "
                 "rows (%.2f%%) belong to them",
                 (unsigned long long)a->groups_shared,
                 (unsigned long long)a->test_groups,
                 (unsigned long long)a->group_rows, 100 * a->group_share);
        num(f, "groups_shared", (double)a->groups_shared);
        num(f, "test_groups", (double)a->test_groups);
        num(f, "group_rows", (double)a->group_rows);
        num(f, "group_share", a->group_share);
    }
    if (a->dup_rows + a->conflict_rows == 0)
        return;
    const int level = a->dup_share >= 0.01 ? 3 : a->dup_rows > 0 ? 2 : 1;
    heft_audit_finding *f = add(a, HEFT_AUDIT_DUP_LEAK, level, a->dup_share,
                                -1);
    const uint64_t nd = a->dup_rows + a->conflict_rows;
    snprintf(f->title, sizeof f->title, "%llu test row%s a training row",
             (unsigned long long)nd, nd == 1 ? " duplicates" : "s duplicate");
    snprintf(f->detail, sizeof f->detail,
             "%llu with the same label (%.2f%% of test), %llu with the "
             "other label only",
             (unsigned long long)a->dup_rows, 100 * a->dup_share,
             (unsigned long long)a->conflict_rows);
    num(f, "duplicate_rows", (double)a->dup_rows);
    num(f, "duplicate_share", a->dup_share);
    num(f, "conflict_rows", (double)a->conflict_rows);
}

static void label_finding(heft_audit *a)
{
    if (isnan(a->label_p) || !(a->train_rate > 0))
        return;
    const double rel = fabs(a->test_rate - a->train_rate) / a->train_rate;
    const int level = a->label_p < 1e-3 && rel >= 0.1 ? 3
                      : a->label_p < 0.01             ? 2
                                                      : 0;
    if (!level)
        return;
    heft_audit_finding *f = add(a, HEFT_AUDIT_LABEL_SHIFT, level,
                                rel / (1 + rel), -1);
    snprintf(f->title, sizeof f->title, "label rate %s from %.4f to %.4f",
             a->test_rate > a->train_rate ? "rose" : "fell", a->train_rate,
             a->test_rate);
    snprintf(f->detail, sizeof f->detail,
             "relative change %.1f%%, two-proportion z = %.2f, p = %.3g",
             100 * rel, a->label_z, a->label_p);
    num(f, "train_rate", a->train_rate);
    num(f, "test_rate", a->test_rate);
    num(f, "z", a->label_z);
    num(f, "p", a->label_p);
}

static void field_findings(heft_audit *a)
{
    for (size_t i = 0; i < a->n_fields; i++) {
        const heft_audit_field *fd = &a->fields[i];
        const int lv = !(fd->psi_p < 0.01) ? 0
                       : fd->psi >= 0.25     ? 3
                       : fd->psi >= 0.1      ? 2 : 0;
        if (lv) {
            heft_audit_finding *f = add(a, HEFT_AUDIT_DRIFT, lv,
                                        fd->psi / (1 + fd->psi), (int)i);
            snprintf(f->title, sizeof f->title, "field %s drifted", fd->name);
            snprintf(f->detail, sizeof f->detail,
                     "PSI %.3f (p = %.2g), JS %.4f bits over %d %s "
                     "bins; missing %.1f%% train, %.1f%% test",
                     fd->psi, fd->psi_p, fd->js, fd->bins,
                     fd->numeric ? "quantile" : "token",
                     100 * fd->train_missing, 100 * fd->test_missing);
            num(f, "psi", fd->psi);
            num(f, "psi_p", fd->psi_p);
            num(f, "js", fd->js);
            num(f, "bins", fd->bins);
        }
        const double ex = fd->unseen_share - fd->expected_unseen;
        const int lu = !(fd->unseen_p < 0.01) ? 0
                       : ex >= 0.25           ? 2
                       : ex >= 0.05           ? 1 : 0;
        if (lu && !fd->numeric) {
            heft_audit_finding *f = add(a, HEFT_AUDIT_UNSEEN, lu, ex, (int)i);
            snprintf(f->title, sizeof f->title,
                     "field %s has more new categories than expected",
                     fd->name);
            snprintf(f->detail, sizeof f->detail,
                     "%llu test rows (%.1f%%) carry a %s value that no "
                     "training row has; %.1f%% expected from train's "
                     "once-seen values (p = %.3g)",
                     (unsigned long long)fd->unseen_rows,
                     100 * fd->unseen_share, fd->name,
                     100 * fd->expected_unseen, fd->unseen_p);
            num(f, "unseen_rows", (double)fd->unseen_rows);
            num(f, "unseen_share", fd->unseen_share);
            num(f, "expected_share", fd->expected_unseen);
            num(f, "p", fd->unseen_p);
        }
    }
}

static void ci_finding(heft_audit *a)
{
    if (!a->has_pred || !(a->target_width > 0) || isnan(a->auc_width) ||
        !(a->rows_needed > (double)a->test_rows))
        return;
    heft_audit_finding *f = add(a, HEFT_AUDIT_CI_WIDTH, 2,
                                1 - (double)a->test_rows / a->rows_needed,
                                -1);
    snprintf(f->title, sizeof f->title,
             "test set too small for AUC +/- %g", a->target_width / 2);
    snprintf(f->detail, sizeof f->detail,
             "AUC %.4f, 95%% interval [%.4f, %.4f] (width %.4f) from %llu "
             "rows; width %g needs about %.0f rows",
             a->auc, a->auc_lo, a->auc_hi, a->auc_width,
             (unsigned long long)a->test_rows, a->target_width,
             a->rows_needed);
    num(f, "auc", a->auc);
    num(f, "width", a->auc_width);
    num(f, "target_width", a->target_width);
    num(f, "rows", (double)a->test_rows);
    num(f, "rows_needed", a->rows_needed);
}

static void segment_findings(const heft_audit_opts *o, heft_audit *a)
{
    if (!a->has_pred || isnan(a->auc))
        return;
    for (size_t i = 0; i < a->n_segments; i++) {
        const heft_audit_segment *s = &a->segments[i];
        if (s->rows < o->min_segment_rows || isnan(s->auc) ||
            s->rows == a->test_rows)
            continue;
        const double gap = a->auc - s->auc;
        const double z = gap / sqrt(s->auc_se * s->auc_se +
                                    a->auc_se * a->auc_se);
        if (!(z > 3) || gap < 0.02)
            continue;
        heft_audit_finding *f = add(a, HEFT_AUDIT_SEGMENT, 1, gap, -1);
        f->segment = (long)i;
        snprintf(f->title, sizeof f->title,
                 "segment %016llx: AUC %.4f, below the overall %.4f",
                 (unsigned long long)s->key, s->auc, a->auc);
        snprintf(f->detail, sizeof f->detail,
                 "%llu rows, %llu positives, AUC %.4f +/- %.4f, gap %.4f "
                 "(z = %.1f)",
                 (unsigned long long)s->rows,
                 (unsigned long long)s->positives, s->auc, 1.96 * s->auc_se,
                 gap, z);
        num(f, "rows", (double)s->rows);
        num(f, "auc", s->auc);
        num(f, "gap", gap);
        num(f, "z", z);
    }
}

static int cmp_finding(const void *x, const void *y)
{
    const heft_audit_finding *a = x, *b = y;
    if (a->severity != b->severity)
        return a->severity < b->severity ? 1 : -1;
    if (a->kind != b->kind)
        return (int)a->kind - (int)b->kind;
    if (a->field != b->field)
        return a->field - b->field;
    return (a->segment > b->segment) - (a->segment < b->segment);
}

heft_status heft__audit_findings(const heft_audit_opts *o, heft_audit *a,
                                 heft_error *err)
{
    const size_t cap = 2 * a->n_fields + a->n_segments + 8;
    a->findings = heft__calloc(cap, sizeof *a->findings);
    if (!a->findings)
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "out of memory");
    leak_findings(a);
    label_finding(a);
    field_findings(a);
    ci_finding(a);
    segment_findings(o, a);
    qsort(a->findings, a->n_findings, sizeof *a->findings, cmp_finding);
    return HEFT_OK;
}
