/* test_real.c: read, train and evaluate each real data set end to end
 * through the public API. Thresholds are well below what the models reach
 * (see bench/ for the measured figures) but far above chance, so a broken
 * parser, hash or trainer fails them. */
#include "test.h"

typedef struct real_case {
    const char *train, *test; /* relative to the data dir; test may be NULL */
    heft_format format;
    heft_model_kind model;
    uint64_t min_rows;        /* rows expected in train at least          */
    double min_auc;           /* on test (or on train when test is NULL)  */
    uint64_t max_bad_rows;
    const char *label, *group;
} real_case;

static void run_case(const real_case *c)
{
    const char *trp = heft_test_data(c->train);
    if (!trp)
        SKIP("../shared/data is absent (or lacks this set)");
    const char *tep = c->test ? heft_test_data(c->test) : NULL;
    heft_error err;
    heft_read_opts ro = heft_read_opts_default();
    ro.format = c->format;
    ro.max_bad_rows = c->max_bad_rows;
    ro.label_col = c->label;
    ro.group_col = c->group;
    heft_dataset *tr = NULL, *te = NULL;
    heft_status st = heft_dataset_read(trp, &ro, &tr, &err);
    if (st != HEFT_OK) {
        char b[1200];
        heft_test_fail(__FILE__, __LINE__, "%s", heft_error_format(&err, b, sizeof b));
        return;
    }
    CHECK(heft_dataset_rows(tr) >= c->min_rows);
    if (tep) {
        heft_read_opts same;
        heft_dataset_read_opts(tr, &same);
        same.max_bad_rows = c->max_bad_rows;
        CHECK_OK(heft_dataset_read(tep, &same, &te, &err));
    }
    const heft_dataset *ev = te ? te : tr;
    heft_train_opts to = heft_train_opts_default(c->model);
    heft_model *m = NULL;
    CHECK_OK(heft_train(tr, NULL, &to, &m, &err));
    if (m && ev) {
        size_t n = heft_dataset_rows(ev);
        float *p = malloc(n * sizeof *p);
        REQUIRE(p);
        CHECK_OK(heft_predict(m, ev, p, 2, &err));
        heft_eval_opts eo = heft_eval_opts_default();
        heft_metrics mt;
        CHECK_OK(heft_evaluate(heft_dataset_labels(ev), p,
                               heft_dataset_weights(ev),
                               heft_dataset_groups(ev), n, &eo, &mt, &err));
        if (!(mt.auc.value >= c->min_auc))
            heft_test_fail(__FILE__, __LINE__, "%s: AUC %.4f < %.4f",
                           c->train, mt.auc.value, c->min_auc);
        CHECK(mt.logloss.value > 0 && mt.logloss.value < 1.0);
        if (heft_dataset_groups(ev))
            CHECK(mt.gauc_groups > 0 || !isnan(mt.ndcg.value));
        free(p);
    }
    heft_model_free(m);
    heft_dataset_free(tr);
    heft_dataset_free(te);
}

void test_real_criteo_subset(void)
{
    real_case c = {"criteo-subset/train.csv", "criteo-subset/test.csv",
                   HEFT_FMT_AUTO, HEFT_MODEL_LR, 7200, 0.68, 0, NULL, NULL};
    run_case(&c);
}

void test_real_avazu_subset(void)
{
    real_case c = {"avazu-subset/train.csv", "avazu-subset/test.csv",
                   HEFT_FMT_AUTO, HEFT_MODEL_LR, 8087, 0.62, 0, NULL, NULL};
    run_case(&c);
}

void test_real_frappe(void)
{
    real_case c = {"frappe/frappe.validation.libfm", "frappe/frappe.test.libfm",
                   HEFT_FMT_AUTO, HEFT_MODEL_FM, 57722, 0.90, 0, NULL, NULL};
    run_case(&c);
}

void test_real_xlearn_criteo(void)
{
    /* 200 rows: only a sanity check that libffm reads and learns. */
    real_case c = {"xlearn-criteo/small_train.txt", NULL, HEFT_FMT_AUTO,
                   HEFT_MODEL_LR, 200, 0.75, 0, NULL, NULL};
    run_case(&c);
}

void test_real_lightgbm_rank(void)
{
    real_case c = {"lightgbm-rank/rank.train", "lightgbm-rank/rank.test",
                   HEFT_FMT_LIBSVM, HEFT_MODEL_LR, 3005, 0.60, 0, NULL, NULL};
    run_case(&c);
}

void test_real_letor_mq2008(void)
{
    real_case c = {"letor-mq2008/val.txt", "letor-mq2008/test.txt",
                   HEFT_FMT_LIBSVM, HEFT_MODEL_LR, 1000, 0.60, 0, NULL, NULL};
    run_case(&c);
}

void test_real_instacart_subset(void)
{
    /* The last line is truncated (empty label): one bad row allowed. */
    real_case c = {"instacart-subset/order_products__train.csv", NULL,
                   HEFT_FMT_CSV, HEFT_MODEL_LR, 107204, 0.58, 1, "reordered",
                   "order_id"};
    run_case(&c);
}
