/*
 * audit.c: the test-set audit's entry points: options, the run that calls
 * every step (drift, leakage, metrics, findings) in turn, and the helpers
 * for segment keys. docs/audit.md describes the output and every formula.
 */
#include "audit_int.h"

#include <math.h>
#include <stdlib.h>

heft_audit_opts heft_audit_opts_default(void)
{
    heft_audit_opts o;
    memset(&o, 0, sizeof o);
    o.bins = 10;
    o.top = 20;
    o.smoothing = 0.5;
    o.target_width = 0.002;
    o.min_segment_rows = 100;
    return o;
}

heft_status heft_audit_opts_check(const heft_audit_opts *o, heft_error *err)
{
    if (!o)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0, "no audit options");
    if (o->bins < 2 || o->bins > 1000)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "bins must be in 2..1000 (got %d)", o->bins);
    if (o->top < 1 || o->top > 100000)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "top must be in 1..100000 (got %d)", o->top);
    if (!(o->smoothing > 0 && o->smoothing <= 100))
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "smoothing must be in (0, 100] (got %g)",
                         o->smoothing);
    if (!(o->target_width >= 0 && o->target_width <= 1))
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "target_width must be in [0, 1] (got %g)",
                         o->target_width);
    return HEFT_OK;
}

/* libsvm-like formats number fields by position, so the two files may
 * have different field counts; every other format must agree. */
static int positional_fields(heft_format f)
{
    return f == HEFT_FMT_LIBSVM || f == HEFT_FMT_LIBFM;
}

static heft_status check_layout(const heft_dataset *tr,
                                const heft_dataset *te, heft_error *err)
{
    const heft__schema *a = &tr->schema, *b = &te->schema;
    if (a->hash_bits != b->hash_bits)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "train has 2^%u hash buckets but test 2^%u: read "
                         "test with the training set's options",
                         a->hash_bits, b->hash_bits);
    if (a->n_fields != b->n_fields && !positional_fields(a->format))
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "train has %u fields but test %u: read test with "
                         "the training set's options",
                         a->n_fields, b->n_fields);
    const unsigned n = a->n_fields < b->n_fields ? a->n_fields : b->n_fields;
    for (unsigned f = 0; f < n && a->field_names && b->field_names; f++)
        if (strcmp(a->field_names[f], b->field_names[f]) != 0)
            return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                             "field %u is '%s' in train but '%s' in test",
                             f, a->field_names[f], b->field_names[f]);
    return HEFT_OK;
}

static void label_rates(const heft_dataset *tr, const heft_dataset *te,
                        heft_audit *a)
{
    uint64_t x[2] = {0, 0};
    for (int s = 0; s < 2; s++) {
        const heft_dataset *ds = s ? te : tr;
        for (uint64_t i = 0; i < ds->n_rows; i++)
            x[s] += ds->label[i] > 0;
    }
    a->train_rate = tr->n_rows ? (double)x[0] / (double)tr->n_rows : NAN;
    a->test_rate = te->n_rows ? (double)x[1] / (double)te->n_rows : NAN;
    a->label_p = heft_audit_two_prop(x[0], tr->n_rows, x[1], te->n_rows,
                                     &a->label_z);
}

void heft_audit_free(heft_audit *a)
{
    if (!a)
        return;
    for (size_t f = 0; a->fields && f < a->n_fields; f++)
        free((char *)a->fields[f].name);
    free(a->fields);
    free(a->segments);
    free(a->findings);
    free((uint8_t *)a->test_leak);
    free(a);
}

heft_status heft_audit_run(const heft_dataset *train, const heft_dataset *test,
                           const heft_audit_opts *o, heft_audit **out,
                           heft_error *err)
{
    if (!out)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0, "out is NULL");
    *out = NULL;
    if (!train || !test)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "heft_audit_run needs a train and a test set");
    heft_status st = heft_audit_opts_check(o, err);
    if (st == HEFT_OK)
        st = check_layout(train, test, err);
    if (st != HEFT_OK)
        return st;
    heft_audit *a = heft__calloc(1, sizeof *a);
    uint8_t *leak = heft__calloc(test->n_rows ? test->n_rows : 1, 1);
    if (!a || !leak) {
        free(a);
        free(leak);
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "out of memory");
    }
    a->test_leak = leak;
    a->train_rows = train->n_rows;
    a->test_rows = test->n_rows;
    label_rates(train, test, a);
    st = heft__audit_fields(train, test, o, a, err);
    if (st == HEFT_OK)
        st = heft__audit_leak(train, test, a, leak, err);
    if (st == HEFT_OK)
        st = heft__audit_metrics(test, o, a, err);
    if (st == HEFT_OK)
        st = heft__audit_findings(o, a, err);
    if (st != HEFT_OK) {
        heft_audit_free(a);
        return st;
    }
    *out = a;
    return HEFT_OK;
}

int heft_audit_find_field(const heft_dataset *ds, const char *name)
{
    for (unsigned f = 0; ds && name && f < ds->schema.n_fields; f++) {
        const char *n = heft_dataset_field_name(ds, f);
        if (n && strcmp(n, name) == 0)
            return (int)f;
    }
    return -1;
}

heft_status heft_audit_segment_keys(const heft_dataset *ds, unsigned field,
                                    uint64_t *keys, heft_error *err)
{
    if (!ds || !keys)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "heft_audit_segment_keys: NULL argument");
    for (uint64_t i = 0; i < ds->n_rows; i++) {
        uint64_t h = 0;
        int any = 0;
        for (uint64_t j = ds->row_ptr[i]; j < ds->row_ptr[i + 1]; j++) {
            if ((ds->field ? ds->field[j] : 0) != field)
                continue;
            any = 1;
            const float v = ds->val ? ds->val[j] : 1.0f;
            uint32_t vb;
            memcpy(&vb, &v, sizeof vb);
            h = heft__mix64(h ^ heft__mix64(((uint64_t)ds->feat[j] << 32) | vb));
        }
        keys[i] = h || !any ? h : 1; /* 0 means "no value" */
    }
    return HEFT_OK;
}
