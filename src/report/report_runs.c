/*
 * report_runs.c: the sections of the other run files: eval (metrics and
 * the reliability diagram), audit (ranked findings, drift, leakage,
 * segments), features (importance bars per measure), score (time per
 * method) and any other command (its settings).
 */
#include "report_keys.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static heft_status calibration_chart(heft__rloader *L, const heft__jval *bins)
{
    double *pred, *obs, *cnt;
    size_t n;
    heft_status st = heft__rl_nums(L, bins, "pred", 0, "", &pred, &n);
    if (!st && pred)
        st = heft__rl_nums(L, bins, "obs", n, "bin", &obs, NULL);
    if (!st && pred)
        st = heft__rl_nums(L, bins, "n", n, "bin", &cnt, NULL);
    if (st || !pred || !obs)
        return st;
    heft__rchart *c = heft__rl_new_chart(L, "Calibration (reliability diagram)",
                                         "mean predicted probability (%)",
                                         "observed positive rate (%)");
    heft__rseries *s = heft__arena_alloc(L->a, 2, sizeof *s);
    static const double diag[2] = {0, 1};
    if (!c || !s)
        return HEFT__RL_OOM(L);
    c->xmul = c->ymul = 100;
    c->xmin = c->ymin = 0;
    c->xmax = c->ymax = 1;
    c->note = "Points are the equal-width bins of the predictions; the "
              "dashed diagonal is perfect calibration.";
    s[0] = (heft__rseries){"perfect calibration", diag, diag, NULL, NULL, 2,
                           HEFT__COLOR_GREY,      1};
    s[1] = (heft__rseries){"model", pred, obs, NULL, NULL, n, 0, 0};
    c->s = s;
    c->ns = 2;
    heft__rtable *t = heft__report_table(L->r, L->sec, 3, n);
    if (!t)
        return HEFT__RL_OOM(L);
    t->title = "Calibration bins";
    t->head[0] = "mean predicted";
    t->head[1] = "observed rate";
    t->head[2] = "rows";
    for (size_t i = 0; i < n; i++) {
        heft__rl_cell_num(L, &t->cell[3 * i], pred[i], "%.4f");
        heft__rl_cell_num(L, &t->cell[3 * i + 1], obs[i], "%.4f");
        heft__rl_cell_num(L, &t->cell[3 * i + 2], cnt ? cnt[i] : NAN, "%.0f");
    }
    return HEFT_OK;
}

/* Every top-level number of an eval document (with its _ci) as a row. */
heft_status heft__rl_eval(heft__rloader *L, const heft__jval *root)
{
    const heft__jval *bins = heft__json_get(root, "calibration_bins");
    const heft__jval *cal = heft__json_get(root, "calibration");
    if (!bins && cal && cal->type == HEFT__J_OBJ)
        bins = cal; /* the older spelling of docs/run-dir.md */
    heft_status st;
    if (bins && bins->type != HEFT__J_OBJ)
        return heft__rl_bad(L, bins,
                            "\"calibration_bins\" is %s; expected an object",
                            heft__json_type_name(bins->type));
    if (bins && (st = calibration_chart(L, bins)))
        return st;
    size_t rows = 0;
    for (size_t i = 0; i < root->n; i++)
        rows += root->item[i].type == HEFT__J_NUM ||
                (root->item[i].type == HEFT__J_NULL &&
                 !strstr(root->key[i], "_ci"));
    heft__rtable *t = heft__report_table(L->r, L->sec, 3, rows);
    if (!t)
        return HEFT__RL_OOM(L);
    t->title = "Metrics";
    t->head[0] = "metric";
    t->head[1] = "value";
    t->head[2] = "95% CI";
    size_t r = 0;
    for (size_t i = 0; i < root->n; i++) {
        const heft__jval *v = &root->item[i];
        if (!(v->type == HEFT__J_NUM ||
              (v->type == HEFT__J_NULL && !strstr(root->key[i], "_ci"))))
            continue;
        heft__rcell *c = &t->cell[3 * r++];
        char cik[96];
        snprintf(cik, sizeof cik, "%s_ci", root->key[i]);
        double lo, hi;
        if ((st = heft__rl_interval(L, heft__json_get(root, cik), cik, &lo,
                                    &hi)))
            return st;
        heft__rl_cell_text(L, &c[0], root->key[i]);
        heft__rl_cell_num(L, &c[1], v->type == HEFT__J_NUM ? v->num : NAN,
                          "%.6g");
        heft__rl_cell_ci(L, &c[2], lo, hi);
    }
    return HEFT_OK;
}

static heft_status audit_summary(heft__rloader *L, const heft__jval *root)
{
    static const char *const objs[4] = {"label_rate", "unseen", "leakage",
                                        "ci"};
    const heft__jval *o[4];
    size_t rows = 0;
    heft_status st;
    for (int i = 0; i < 4; i++) {
        if ((st = heft__rl_member(L, root, objs[i], HEFT__J_OBJ, &o[i])))
            return st;
        rows += o[i] ? o[i]->n : 0;
    }
    if (!rows)
        return HEFT_OK;
    heft__rtable *t = heft__report_table(L->r, L->sec, 2, rows);
    if (!t)
        return HEFT__RL_OOM(L);
    t->title = "Label rates, leakage and the test set's metric interval";
    t->head[0] = "measure";
    t->head[1] = "value";
    size_t r = 0;
    for (int i = 0; i < 4; i++) {
        for (size_t k = 0; o[i] && k < o[i]->n; k++, r++) {
            const heft__jval *v = &o[i]->item[k];
            heft__rcell *c = &t->cell[2 * r];
            c[0].text =
                heft__arena_printf(L->a, "%s.%s", objs[i], o[i]->key[k]);
            if (v->type == HEFT__J_NUM)
                heft__rl_cell_auto(L, &c[1], v->num);
            else if (heft__rl_is_interval(v))
                heft__rl_cell_ci(L, &c[1], v->item[0].num, v->item[1].num);
            else
                c[1].text = heft__rl_jtext(L, v);
            if (!c[0].text || !c[1].text)
                return HEFT__RL_OOM(L);
        }
    }
    return HEFT_OK;
}

/* The columns the audit tables show (the JSON has more). */
static const char *const finding_cols[] = {
    "rank", "level", "kind", "severity", "title", "detail", NULL};
static const char *const field_cols[] = {
    "name",         "type",          "psi",          "psi_p", "js",
    "unseen_share", "train_missing", "test_missing", NULL};
static const char *const segment_cols[] = {
    "column", "value", "rows", "positives", "auc", "auc_se", "logloss", NULL};

heft_status heft__rl_audit(heft__rloader *L, const heft__jval *root)
{
    const heft__jval *findings, *fields, *segments;
    double tr, te;
    heft_status st =
        heft__rl_member(L, root, "findings", HEFT__J_ARR, &findings);
    if (!st)
        st = heft__rl_member(L, root, "fields", HEFT__J_ARR, &fields);
    if (!st)
        st = heft__rl_member(L, root, "segments", HEFT__J_ARR, &segments);
    if (!st)
        st = heft__rl_num(L, root, "train_rows", &tr);
    if (!st)
        st = heft__rl_num(L, root, "test_rows", &te);
    if (st)
        return st;
    if (isfinite(tr) && isfinite(te))
        L->sec->intro = heft__arena_printf(
            L->a, "%.0f training rows against %.0f test rows.", tr, te);
    if (findings && (st = heft__rl_object_table(L, findings, "findings",
                                                "Findings, most severe first",
                                                finding_cols)))
        return st;
    if (fields &&
        ((st = heft__rl_bars_of(L, fields, "name", "psi",
                                "Drift per field: population stability "
                                "index",
                                "PSI (0.1: moderate, 0.25: large)", 30)) ||
         (st = heft__rl_bars_of(L, fields, "name", "unseen_share",
                                "Test rows with categories unseen in "
                                "training",
                                "share of test rows (0-1)", 30)) ||
         (st = heft__rl_object_table(L, fields, "fields", "Drift per field",
                                     field_cols))))
        return st;
    if ((st = audit_summary(L, root)))
        return st;
    if (segments && segments->n &&
        (st = heft__rl_object_table(L, segments, "segments",
                                    "Metrics per segment", segment_cols)))
        return st;
    return HEFT_OK;
}

static const char *const feature_cols[] = {"rank",
                                           "name",
                                           "values",
                                           "mi",
                                           "ami",
                                           "chi2",
                                           "chi2_p",
                                           "weight_norm",
                                           "permutation",
                                           "permutation_sd",
                                           "permutation_logloss",
                                           NULL};

heft_status heft__rl_features(heft__rloader *L, const heft__jval *root)
{
    const heft__jval *fields, *unit;
    heft_status st = heft__rl_member(L, root, "fields", HEFT__J_ARR, &fields);
    if (!st)
        st = heft__rl_member(L, root, "unit", HEFT__J_STR, &unit);
    if (st || !fields)
        return st;
    const struct {
        const char *key, *title, *unit;
    } m[4] = {
        {"mi", "Mutual information with the label",
         heft__arena_printf(L->a, "mutual information (%s)",
                            unit ? unit->str : "nats")},
        {"chi2", "Chi-square statistic with the label", "chi-square"},
        {"weight_norm", "Model weight norm per field",
         "L2 norm of the field's weights"},
        {"permutation", "Permutation importance on validation data",
         "mean drop of validation AUC"},
    };
    if (!m[0].unit)
        return HEFT__RL_OOM(L);
    for (int k = 0; k < 4; k++)
        if ((st = heft__rl_bars_of(L, fields, "name", m[k].key, m[k].title,
                                   m[k].unit, 30)))
            return st;
    return heft__rl_object_table(L, fields, "fields",
                                 "Fields, ranked (rank 1 first)", feature_cols);
}

/* A score run's JSON: the seconds per method. */
heft_status heft__rl_score(heft__rloader *L, const heft__jval *root)
{
    const heft__jval *sec;
    double rows;
    heft_status st = heft__rl_member(L, root, "seconds", HEFT__J_OBJ, &sec);
    if (!st)
        st = heft__rl_num(L, root, "rows", &rows);
    if (st)
        return st;
    if (isfinite(rows))
        L->sec->intro = heft__arena_printf(L->a, "%.0f rows scored.", rows);
    if (!sec || !sec->n)
        return HEFT_OK;
    heft__rtable *t = heft__report_table(L->r, L->sec, 2, sec->n);
    if (!t)
        return HEFT__RL_OOM(L);
    t->title = "Time per method";
    t->head[0] = "method";
    t->head[1] = "seconds";
    for (size_t i = 0; i < sec->n; i++) {
        double s;
        if ((st = heft__rl_num(L, sec, sec->key[i], &s)))
            return st;
        heft__rl_cell_text(L, &t->cell[2 * i], sec->key[i]);
        heft__rl_cell_num(L, &t->cell[2 * i + 1], s, "%.3f");
    }
    return HEFT_OK;
}

heft_status heft__rl_other(heft__rloader *L, const heft__jval *root)
{
    L->sec->intro = "heft report has no drawing for this command; its "
                    "settings follow.";
    return HEFT_OK;
}
