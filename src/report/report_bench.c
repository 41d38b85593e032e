/*
 * report_bench.c: the sections of `heft bench` run files: noise detection
 * (precision-recall curves, AUROC bars, table), removal and addition
 * curves, the pruning frontier with the full-data AUC and its 0.1% band,
 * and the agreement (LDS) bars.
 */
#include "report_keys.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- per command --------------------------------------------------------- */

heft_status heft__rl_removal(heft__rloader *L, const heft__jval *root)
{
    double *steps, full_auc, full_ll;
    size_t n;
    const heft__jval *full, *methods, *random;
    heft_status st = heft__rl_nums(L, root, "steps", 0, "", &steps, &n);
    if (!st)
        st = heft__rl_member(L, root, "full", HEFT__J_OBJ, &full);
    if (!st)
        st = heft__rl_member(L, root, "methods", HEFT__J_OBJ, &methods);
    if (!st)
        st = heft__rl_member(L, root, "random", HEFT__J_OBJ, &random);
    if (!st)
        st = heft__rl_num(L, full, "auc", &full_auc);
    if (!st)
        st = heft__rl_num(L, full, "logloss", &full_ll);
    if (st || !steps)
        return st;
    static const char *const sub[2] = {"high", "low"};
    static const char *const what[2] = {"highest", "lowest"};
    for (int metric = 0; metric < 2; metric++) {
        for (int k = 0; k < 2; k++) {
            heft__rchart *c = heft__rl_new_chart(
                L,
                heft__arena_printf(L->a,
                                   "Test %s, %s-valued rows removed "
                                   "first",
                                   metric ? "logloss" : "AUC", what[k]),
                "training rows removed (%)",
                metric ? "test logloss (nats)" : "test AUC");
            if (!c || !c->title)
                return HEFT__RL_OOM(L);
            c->xmul = 100;
            const char *y = metric ? "logloss" : "auc";
            if ((st = heft__rl_curves_chart(L, methods, random, sub[k], y, c,
                                            steps, n)))
                return st;
            if ((st = heft__rl_add_ref(L, c, "full data",
                                       metric ? full_ll : full_auc, NAN, NAN)))
                return st;
        }
    }
    return HEFT_OK;
}

heft_status heft__rl_addition(heft__rloader *L, const heft__jval *root)
{
    double *steps, seed;
    size_t n;
    const heft__jval *methods, *random, *full;
    heft_status st = heft__rl_nums(L, root, "steps", 0, "", &steps, &n);
    if (!st)
        st = heft__rl_num(L, root, "seed_fraction", &seed);
    if (!st)
        st = heft__rl_member(L, root, "methods", HEFT__J_OBJ, &methods);
    if (!st)
        st = heft__rl_member(L, root, "random", HEFT__J_OBJ, &random);
    if (!st)
        st = heft__rl_member(L, root, "full", HEFT__J_OBJ, &full);
    if (st || !steps)
        return st;
    if (isfinite(seed))
        L->sec->intro = heft__arena_printf(L->a,
                                           "Rows are added in order of "
                                           "value to a seed set of %.3g%% of "
                                           "the training rows.",
                                           100 * seed);
    for (int metric = 0; metric < 2; metric++) {
        const char *y = metric ? "logloss" : "auc";
        heft__rchart *c = heft__rl_new_chart(
            L,
            metric ? "Test logloss as rows are added, highest value first"
                   : "Test AUC as rows are added, highest value first",
            "training rows present (%)",
            metric ? "test logloss (nats)" : "test AUC");
        if (!c)
            return HEFT__RL_OOM(L);
        c->xmul = 100;
        if ((st = heft__rl_curves_chart(L, methods, random, NULL, y, c, steps,
                                        n)))
            return st;
        double f;
        if ((st = heft__rl_num(L, full, y, &f)) ||
            (st = heft__rl_add_ref(L, c, "full data", f, NAN, NAN)))
            return st;
    }
    return HEFT_OK;
}

/* The relative AUC tolerance of a prune run: settings.tol, else 0.1%. */
static heft_status prune_tol(heft__rloader *L, const heft__jval *root,
                             double *tol)
{
    const heft__jval *set;
    heft_status st = heft__rl_member(L, root, "settings", HEFT__J_OBJ, &set);
    if (!st)
        st = heft__rl_num(L, set, "tol", tol);
    if (!isfinite(*tol))
        *tol = 0.001;
    return st;
}

/* The pruning frontier: test AUC (and NE) against the kept fraction, with
 * the full-data AUC and the band of tol (0.1%) relative below it. */
static heft_status prune_charts(heft__rloader *L, const heft__jval *root,
                                const double *fr, size_t n, double tol)
{
    const heft__jval *full, *curves;
    double full_auc, full_ne;
    heft_status st = heft__rl_member(L, root, "full", HEFT__J_OBJ, &full);
    if (!st)
        st = heft__rl_member(L, root, "curves", HEFT__J_OBJ, &curves);
    if (!st)
        st = heft__rl_num(L, full, "auc", &full_auc);
    if (!st)
        st = heft__rl_num(L, full, "ne", &full_ne);
    if (st)
        return st;
    heft__rchart *c = heft__rl_new_chart(L,
                                         "Pruning frontier: test AUC by kept "
                                         "fraction",
                                         "training rows kept (%)", "test AUC");
    if (!c)
        return HEFT__RL_OOM(L);
    c->xmul = 100;
    c->note = heft__arena_printf(L->a,
                                 "Shaded: within %.3g%% relative AUC "
                                 "of the full data; bands around curves: "
                                 "95%% bootstrap intervals.",
                                 100 * tol);
    const char *lab = heft__arena_printf(L->a,
                                         "full-data AUC (band: "
                                         "-%.3g%%)",
                                         100 * tol);
    if (!c->note || !lab)
        return HEFT__RL_OOM(L);
    if ((st = heft__rl_curves_chart(L, curves, NULL, NULL, "auc", c, fr, n)) ||
        (st = heft__rl_add_ref(L, c, lab, full_auc, full_auc * (1 - tol),
                               full_auc)))
        return st;
    if (!isfinite(full_ne))
        return HEFT_OK; /* a run without NE: no empty chart */
    heft__rchart *d = heft__rl_new_chart(
        L, "Normalized entropy by kept fraction", "training rows kept (%)",
        "test NE (lower is better)");
    if (!d)
        return HEFT__RL_OOM(L);
    d->xmul = 100;
    if ((st = heft__rl_curves_chart(L, curves, NULL, NULL, "ne", d, fr, n)))
        return st;
    return heft__rl_add_ref(L, d, "full-data NE", full_ne, NAN, NAN);
}

heft_status heft__rl_prune(heft__rloader *L, const heft__jval *root)
{
    double *fr;
    size_t n;
    const heft__jval *small, *pv, *curves;
    heft_status st = heft__rl_nums(L, root, "fractions", 0, "", &fr, &n);
    if (!st)
        st = heft__rl_member(L, root, "smallest_fraction", HEFT__J_OBJ, &small);
    if (!st)
        st = heft__rl_member(L, root, "p_vs_random", HEFT__J_OBJ, &pv);
    if (!st)
        st = heft__rl_member(L, root, "curves", HEFT__J_OBJ, &curves);
    if (st || !fr)
        return st;
    double tol;
    if ((st = prune_tol(L, root, &tol)) ||
        (st = prune_charts(L, root, fr, n, tol)))
        return st;
    size_t rows = curves ? curves->n : 0;
    heft__rtable *t = heft__report_table(L->r, L->sec, 3, rows);
    if (!t)
        return HEFT__RL_OOM(L);
    t->title = heft__arena_printf(L->a,
                                  "Smallest kept fraction within "
                                  "%.3g%% of the full-data AUC",
                                  100 * tol);
    t->head[0] = "method";
    t->head[1] = "smallest kept fraction";
    t->head[2] = "p vs random";
    for (size_t i = 0; i < rows; i++) {
        heft__rcell *c = &t->cell[3 * i];
        double f, p;
        if ((st = heft__rl_num(L, small, curves->key[i], &f)) ||
            (st = heft__rl_num(L, pv, curves->key[i], &p)))
            return st;
        heft__rl_cell_text(L, &c[0], curves->key[i]);
        heft__rl_cell_num(L, &c[1], f, "%.3g");
        if (isfinite(f))
            c[1].text = heft__arena_printf(L->a, "%.3g%%", 100 * f);
        else
            c[1].text = "none";
        heft__rl_cell_num(L, &c[2], p, "%.3g");
    }
    return HEFT_OK;
}

/* The decomposition of a noise run (--test --decompose): the suffixes of
 * its keys, test_auc{sfx}, test_auc{sfx}_ci and recovered{sfx}, for the
 * model retrained without all of a method's flags, without only those
 * that were planted rows, and without only those that are clean rows. */
static const char *const drop_sfx[3] = {"", "_true_flags", "_false_flags"};

/* Whether some method object has a decomposition key; documents written
 * without --decompose (and older ones) have none, and their section stays
 * as it was. */
static int noise_decomposed(const heft__jval *methods)
{
    static const char *const fmt[3] = {"test_auc%s", "test_auc%s_ci",
                                       "recovered%s"};
    for (size_t i = 0; methods && i < methods->n; i++)
        for (int q = 1; q < 3; q++)
            for (int f = 0; f < 3; f++) {
                char key[48];
                snprintf(key, sizeof key, fmt[f], drop_sfx[q]);
                if (heft__json_get(&methods->item[i], key))
                    return 1;
            }
    return 0;
}

/* A recovered share to two decimals, with no "-0.00" for a share just
 * below zero (the cell's number keeps the exact value). */
static void share_cell(heft__rloader *L, heft__rcell *c, double v)
{
    heft__rl_cell_num(L, c, v, "%.2f");
    if (isfinite(v) && fabs(v) < 0.005)
        c->text = "0.00";
}

/* The 7 decomposition cells of method object m: recovered (all flags),
 * then test AUC, its interval and recovered for planted only, then the
 * same for clean only ("-" where m lacks a key, as random does). */
static heft_status decomp_cells(heft__rloader *L, const heft__jval *m,
                                heft__rcell *c)
{
    heft_status st;
    for (int q = 0; q < 3; q++) {
        char key[48], cik[48];
        double rec, v, lo, hi;
        snprintf(key, sizeof key, "recovered%s", drop_sfx[q]);
        if ((st = heft__rl_num(L, m, key, &rec)))
            return st;
        if (q == 0) {
            share_cell(L, &c[0], rec);
            continue;
        }
        snprintf(key, sizeof key, "test_auc%s", drop_sfx[q]);
        snprintf(cik, sizeof cik, "test_auc%s_ci", drop_sfx[q]);
        if ((st = heft__rl_num(L, m, key, &v)) ||
            (st = heft__rl_interval(L, heft__json_get(m, cik), cik, &lo, &hi)))
            return st;
        heft__rcell *e = &c[3 * q - 2];
        heft__rl_cell_num(L, &e[0], v, "%.4f");
        heft__rl_cell_ci(L, &e[1], lo, hi);
        share_cell(L, &e[2], rec);
    }
    return HEFT_OK;
}

/* One row of the noise table from method object m (with the 7
 * decomposition cells after the test AUC's when decomp). */
static heft_status noise_row(heft__rloader *L, const char *name,
                             const heft__jval *m, int decomp, heft__rcell *c)
{
    static const char *const keys[] = {"f1_at_k", "auroc", "pr_auc",
                                       "test_auc"};
    heft_status st;
    heft__rl_cell_text(L, &c[0], name);
    for (int k = 0; k < 4; k++) {
        double v, lo, hi;
        char cik[32];
        snprintf(cik, sizeof cik, "%s_ci", keys[k]);
        if ((st = heft__rl_num(L, m, keys[k], &v)) ||
            (st = heft__rl_interval(L, heft__json_get(m, cik), cik, &lo, &hi)))
            return st;
        heft__rl_cell_num(L, &c[1 + 2 * k], v, "%.4f");
        if (k == 2) { /* no interval for PR-AUC: precision and recall */
            double p, r;
            if ((st = heft__rl_num(L, m, "precision", &p)) ||
                (st = heft__rl_num(L, m, "recall", &r)))
                return st;
            heft__rl_cell_num(L, &c[2 + 2 * k], p, "%.4f");
            continue;
        }
        heft__rl_cell_ci(L, &c[2 + 2 * k], lo, hi);
    }
    if (decomp && (st = decomp_cells(L, m, &c[9])))
        return st;
    const size_t j = decomp ? 16 : 9;
    double p, s;
    if ((st = heft__rl_num(L, m, "p_vs_random", &p)) ||
        (st = heft__rl_num(L, m, "seconds", &s)))
        return st;
    heft__rl_cell_num(L, &c[j], p, "%.3g");
    heft__rl_cell_num(L, &c[j + 1], s, "%.3f");
    return HEFT_OK;
}

static heft_status noise_table(heft__rloader *L, const heft__jval *methods,
                               const heft__jval *random, int decomp)
{
    static const char *const head[18] = {
        "method",
        "F1@k",
        "95% CI",
        "AUROC",
        "95% CI",
        "PR-AUC",
        "precision",
        "test AUC after dropping",
        "95% CI",
        /* with a decomposition only */
        "recovered (all flags)",
        "test AUC, planted flags dropped",
        "95% CI",
        "recovered (planted)",
        "test AUC, clean flags dropped",
        "95% CI",
        "recovered (clean)",
        /* always */
        "p vs random",
        "seconds"};
    const size_t nc = decomp ? 18 : 11;
    const size_t n = (methods ? methods->n : 0) + (random ? 1 : 0);
    heft__rtable *t = heft__report_table(L->r, L->sec, nc, n);
    if (!t)
        return HEFT__RL_OOM(L);
    t->title = "Detection of flipped labels, and the test AUC after "
               "retraining without the flagged rows";
    memcpy(t->head, head, 9 * sizeof *head);
    memcpy(t->head + nc - 2, head + 16, 2 * sizeof *head);
    if (decomp)
        memcpy(t->head + 9, head + 9, 7 * sizeof *head);
    heft_status st;
    for (size_t i = 0; methods && i < methods->n; i++) {
        const heft__jval *m = &methods->item[i];
        if (m->type != HEFT__J_OBJ)
            return heft__rl_bad(L, m, "method \"%s\" is %s; expected an object",
                                methods->key[i], heft__json_type_name(m->type));
        if ((st = noise_row(L, methods->key[i], m, decomp, &t->cell[nc * i])))
            return st;
    }
    if (random &&
        (st = noise_row(L, "random", random, decomp, &t->cell[nc * (n - 1)])))
        return st;
    return HEFT_OK;
}

/* Bars of the recovered share per method: after dropping all its flags,
 * only the planted ones and only the clean ones (NaN, no bar, where a
 * share is null), with a line at half the loss. */
static heft_status noise_recovery_chart(heft__rloader *L,
                                        const heft__jval *methods)
{
    static const char *const name[3] = {"all flags dropped",
                                        "planted flags only",
                                        "clean flags only"};
    static const int color[3] = {0, 2, 3};
    heft__rchart *b = heft__rl_new_chart(
        L, "Share of the lost AUC recovered, by which flags are dropped", "",
        "share of the AUC lost to the noise recovered (1 = all of it)");
    if (!b)
        return HEFT__RL_OOM(L);
    b->kind = HEFT__CHART_BARS;
    b->note = "0: the test AUC of the model trained on the noisy labels; "
              "1: that of the model trained on the clean ones. Bars left of "
              "0 lost AUC.";
    b->cat = heft__arena_dup(L->a, methods->key, methods->n, sizeof *b->cat);
    b->ncat = methods->n;
    heft__rseries *s = heft__arena_alloc(L->a, 3, sizeof *s);
    double *y = heft__arena_alloc(L->a, 3 * methods->n + 1, sizeof *y);
    if (!s || !y || (!b->cat && methods->n))
        return HEFT__RL_OOM(L);
    heft_status st;
    for (int q = 0; q < 3; q++) {
        char key[48];
        snprintf(key, sizeof key, "recovered%s", drop_sfx[q]);
        double *yq = y + (size_t)q * methods->n;
        for (size_t i = 0; i < methods->n; i++)
            if ((st = heft__rl_num(L, &methods->item[i], key, &yq[i])))
                return st;
        s[q] = (heft__rseries){name[q], NULL, yq, NULL, NULL, methods->n,
                               color[q], 0};
    }
    b->s = s;
    b->ns = 3;
    return heft__rl_add_ref(L, b, "half the loss", 0.5, NAN, NAN);
}

/* Precision-recall curves (seed 0) and AUROC bars per method. */
static heft_status noise_charts(heft__rloader *L, const heft__jval *methods,
                                double flip)
{
    heft__rchart *c =
        heft__rl_new_chart(L, "Precision-recall of flagged rows (seed 0)",
                           "recall of flipped rows (%)", "precision (%)");
    if (!c)
        return HEFT__RL_OOM(L);
    c->xmul = c->ymul = 100;
    c->xmin = c->ymin = 0;
    c->xmax = c->ymax = 1;
    heft_status st;
    for (size_t i = 0; methods && i < methods->n; i++) {
        const heft__jval *pr;
        if ((st = heft__rl_member(L, &methods->item[i], "pr_curve", HEFT__J_OBJ,
                                  &pr)))
            return st;
        if (!pr)
            continue;
        double *rec;
        size_t n;
        if ((st = heft__rl_nums(L, pr, "recall", 0, "", &rec, &n)))
            return st;
        if (rec && (st = heft__rl_add_curve(L, c, methods->key[i], i, pr,
                                            "precision", rec, n)))
            return st;
    }
    if ((st = heft__rl_add_ref(L, c, "chance (flip rate)", flip, NAN, NAN)))
        return st;
    if (!c->ns) /* no curves: drop the chart */
        L->sec->nchart--;
    heft__rchart *b = heft__rl_new_chart(L, "AUROC of detecting flipped rows",
                                         "", "AUROC (0.5 = chance)");
    if (!b || !methods)
        return b ? HEFT_OK : HEFT__RL_OOM(L);
    b->kind = HEFT__CHART_BARS;
    b->cat = heft__arena_dup(L->a, methods->key, methods->n, sizeof *b->cat);
    b->ncat = methods->n;
    heft__rseries *s = heft__arena_alloc(L->a, 1, sizeof *s);
    double *y = heft__arena_alloc(L->a, methods->n + 1, sizeof *y);
    double *lo = heft__arena_alloc(L->a, methods->n + 1, sizeof *lo);
    double *hi = heft__arena_alloc(L->a, methods->n + 1, sizeof *hi);
    if (!s || !y || !lo || !hi || (!b->cat && methods->n))
        return HEFT__RL_OOM(L);
    for (size_t i = 0; i < methods->n; i++)
        if ((st = heft__rl_num(L, &methods->item[i], "auroc", &y[i])) ||
            (st = heft__rl_interval(
                 L, heft__json_get(&methods->item[i], "auroc_ci"), "auroc_ci",
                 &lo[i], &hi[i])))
            return st;
    *s = (heft__rseries){"AUROC", NULL, y, lo, hi, methods->n, 0, 0};
    b->s = s;
    b->ns = 1;
    return HEFT_OK;
}

heft_status heft__rl_noise(heft__rloader *L, const heft__jval *root)
{
    const heft__jval *methods, *random;
    double rows, flip, k, noisy, clean;
    heft_status st = heft__rl_member(L, root, "methods", HEFT__J_OBJ, &methods);
    if (!st)
        st = heft__rl_member(L, root, "random", HEFT__J_OBJ, &random);
    if (!st)
        st = heft__rl_num(L, root, "rows", &rows);
    if (!st)
        st = heft__rl_num(L, root, "flip", &flip);
    if (!st)
        st = heft__rl_num(L, root, "k", &k);
    if (!st)
        st = heft__rl_num(L, root, "test_auc_noisy", &noisy);
    if (!st)
        st = heft__rl_num(L, root, "test_auc_clean", &clean);
    if (st)
        return st;
    if (isfinite(rows) && isfinite(flip) && isfinite(k))
        L->sec->intro = heft__arena_printf(
            L->a,
            "%.0f training rows, %.3g%% of labels flipped, k = %.0f "
            "flagged per method.",
            rows, 100 * flip, k);
    if (isfinite(noisy) && isfinite(clean))
        L->sec->intro = heft__arena_printf(
            L->a,
            "%s%sTest AUC %.4f trained on the noisy labels, %.4f on "
            "the clean ones.",
            L->sec->intro ? L->sec->intro : "", L->sec->intro ? " " : "", noisy,
            clean);
    const int decomp = noise_decomposed(methods);
    if (decomp)
        L->sec->intro = heft__arena_printf(
            L->a,
            "%s%sRecovered: the share of the test AUC lost to the noise "
            "(clean minus noisy) that retraining without the flagged rows "
            "gets back; \"planted\" and \"clean\" drop only the flagged "
            "rows that were planted, or only those that are clean.",
            L->sec->intro ? L->sec->intro : "", L->sec->intro ? " " : "");
    if ((st = noise_charts(L, methods, flip)) ||
        (decomp && (st = noise_recovery_chart(L, methods))))
        return st;
    return noise_table(L, methods, random, decomp);
}

heft_status heft__rl_agreement(heft__rloader *L, const heft__jval *root)
{
    const heft__jval *methods;
    double sub, frac, retr;
    heft_status st = heft__rl_member(L, root, "methods", HEFT__J_OBJ, &methods);
    if (!st)
        st = heft__rl_num(L, root, "subsets", &sub);
    if (!st)
        st = heft__rl_num(L, root, "subset_fraction", &frac);
    if (!st)
        st = heft__rl_num(L, root, "retrainings", &retr);
    if (st || !methods)
        return st;
    if (isfinite(sub) && isfinite(frac))
        L->sec->intro = heft__arena_printf(
            L->a,
            "Linear datamodeling score (Park et al. 2023) over %.0f "
            "random subsets of %.3g%% of the training rows%s.",
            sub, 100 * frac,
            isfinite(retr)
                ? heft__arena_printf(L->a, " (%.0f retrainings)", retr)
                : "");
    heft__rchart *b =
        heft__rl_new_chart(L, "Linear datamodeling score by method", "",
                           "Spearman correlation (LDS)");
    heft__rtable *t = heft__report_table(L->r, L->sec, 3, methods->n);
    if (!b || !t)
        return HEFT__RL_OOM(L);
    b->kind = HEFT__CHART_BARS;
    b->cat = heft__arena_dup(L->a, methods->key, methods->n, sizeof *b->cat);
    b->ncat = methods->n;
    double *y = heft__arena_alloc(L->a, methods->n + 1, 3 * sizeof *y);
    heft__rseries *s = heft__arena_alloc(L->a, 1, sizeof *s);
    if (!y || !s || (!b->cat && methods->n))
        return HEFT__RL_OOM(L);
    double *lo = y + methods->n + 1, *hi = lo + methods->n + 1;
    t->title = "Linear datamodeling score";
    t->head[0] = "method";
    t->head[1] = "LDS";
    t->head[2] = "95% CI";
    for (size_t i = 0; i < methods->n; i++) {
        const heft__jval *m = &methods->item[i];
        if ((st = heft__rl_num(L, m, "lds", &y[i])) ||
            (st = heft__rl_interval(L, heft__json_get(m, "lds_ci"), "lds_ci",
                                    &lo[i], &hi[i])))
            return st;
        heft__rl_cell_text(L, &t->cell[3 * i], methods->key[i]);
        heft__rl_cell_num(L, &t->cell[3 * i + 1], y[i], "%.4f");
        heft__rl_cell_ci(L, &t->cell[3 * i + 2], lo[i], hi[i]);
    }
    *s = (heft__rseries){"LDS", NULL, y, lo, hi, methods->n, 0, 0};
    b->s = s;
    b->ns = 1;
    return HEFT_OK;
}

/* The reliability diagram from {"pred": [...], "obs": [...], "n": [...]}. */
