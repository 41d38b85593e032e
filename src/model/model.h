/*
 * model.h: the one internal interface every model implements (lr.c, fm.c,
 * mlp.c). Training, prediction, the model file and every importance
 * estimator reach a model only through this table, so a new model is one
 * new file plus one entry in heft__model_vts[].
 *
 * Notation: for a row x (sparse: feat/val/field, nnz entries) the model
 * computes a logit f(x; theta) and p = sigmoid(f). The per-sample loss is
 * the weighted log loss l = w * (-y log p - (1-y) log(1-p)), whose gradient
 * is w (p - y) df/dtheta and whose Hessian is
 *   w [ p (1-p) df df^T + (p - y) d2f ].
 * Models provide f, df (sparse) and d2f v; model.c builds losses,
 * gradients and Hessian-vector products of the regularised objective
 *   L(theta) = sum_i l_i + (l2/2) |theta|^2
 * from them.
 *
 * All parameters live in one flat array theta (n_params,) whose layout each
 * model documents, so a sparse gradient is a list of (index, value) pairs
 * into theta.
 */
#ifndef HEFT_MODEL_H
#define HEFT_MODEL_H

#include "core.h"
#include "dataset.h"
#include "schema.h"

typedef struct heft__row {
    const uint32_t *feat;
    const float *val;
    const uint16_t *field;
    uint32_t nnz;
} heft__row;

/* The row i of ds. */
static inline heft__row heft__ds_row(const heft_dataset *ds, uint64_t i)
{
    uint64_t a = ds->row_ptr[i], b = ds->row_ptr[i + 1];
    heft__row r = {ds->feat + a, ds->val + a, ds->field + a,
                   (uint32_t)(b - a)};
    return r;
}

/* A sparse vector over theta: idx (n,), g (n,). Indices may repeat (a
 * hashed bucket appearing twice in a row); consumers add them up. */
typedef struct heft__sgrad {
    uint64_t *idx;
    double *g;
    size_t n, cap;
} heft__sgrad;

typedef struct heft__model_vt heft__model_vt;

struct heft_model {
    const heft__model_vt *vt;
    heft_model_kind kind;
    /* Hyper-parameters that fix the layout of theta. */
    unsigned hash_bits;
    unsigned n_fields;
    int factors;                   /* fm                   */
    int embed_dim;                 /* mlp                  */
    int hidden[HEFT_MAX_HIDDEN];   /* mlp                  */
    int n_hidden;                  /* mlp                  */
    double l2;                     /* objective's L2       */
    double neg_rate;               /* W of negative downsampling the model
                                      was trained with; 1 = none. Only
                                      heft_predict() applies it.       */
    int epochs_trained;
    uint64_t n_params;
    float *theta;                  /* (n_params,)          */
    heft__schema schema;           /* how data was read    */
};

struct heft__model_vt {
    heft_model_kind kind;
    const char *name;
    /* Number of parameters for m's hyper-parameters. */
    uint64_t (*n_params)(const heft_model *m);
    /* Fills theta (already allocated, n_params) with initial values. */
    void (*init)(heft_model *m, heft__rng *rng, double init_std);
    /* Bytes of scratch memory one thread needs for the calls below. */
    size_t (*scratch_size)(const heft_model *m);
    /* The logit f(x; theta). */
    double (*logit)(const heft_model *m, const heft__row *r, void *scratch);
    /* Most pairs grad() can write for a row of nnz entries. */
    size_t (*grad_cap)(const heft_model *m, uint32_t nnz);
    /* df/dtheta at r, as pairs; sets *out_logit to f; returns the count. */
    size_t (*grad)(const heft_model *m, const heft__row *r, uint64_t *idx,
                   double *g, double *out_logit, void *scratch);
    /* out += scale * (d2f/dtheta2) v, v and out dense (n_params,). */
    void (*hvp)(const heft_model *m, const heft__row *r, const double *v,
                double scale, double *out, void *scratch);
};

extern const heft__model_vt heft__lr_vt, heft__fm_vt, heft__mlp_vt;
const heft__model_vt *heft__model_vt_for(heft_model_kind k);

/* Allocates a model of kind k with the hyper-parameters of o for data with
 * hash_bits/n_fields, and initialises theta from seed. */
heft_status heft__model_create(heft_model_kind k, const heft_train_opts *o,
                               unsigned hash_bits, unsigned n_fields,
                               const heft__schema *schema, heft_model **out,
                               heft_error *err);

static inline double heft__sigmoid(double z)
{
    if (z >= 0) {
        double e = __builtin_exp(-z);
        return 1.0 / (1.0 + e);
    }
    double e = __builtin_exp(z);
    return e / (1.0 + e);
}

/* Log loss of label y in [0,1] (grades > 0 count as 1) at logit z,
 * computed stably from z. */
double heft__logloss_logit(double z, double y);

/* Per-sample loss l_i (weighted) for row i of ds. */
double heft__sample_loss(const heft_model *m, const heft_dataset *ds,
                         uint64_t i, void *scratch);
/* Per-sample loss gradient w (p - y) df/dtheta (no regulariser) of row i
 * into gr (grown as needed); returns p. */
heft_status heft__sample_grad(const heft_model *m, const heft_dataset *ds,
                              uint64_t i, heft__sgrad *gr, double *p,
                              void *scratch);
/* out = (sum_i H_i + l2 I) v over all rows of ds: the Hessian-vector
 * product of L(theta). out is dense (n_params,). threads as usual. */
heft_status heft__objective_hvp(const heft_model *m, const heft_dataset *ds,
                                const double *v, double *out, int threads,
                                heft_error *err);

void heft__sgrad_free(heft__sgrad *g);
/* Makes room for n pairs in g (keeps its contents); HEFT_ENOMEM on
 * failure, g unchanged. */
heft_status heft__sgrad_reserve(heft__sgrad *g, size_t n);

/* HEFT_OK when ds was hashed like m's training data (same bucket count,
 * same field names at the same ids), else HEFT_EINVAL with a message. */
heft_status heft__model_check_data(const heft_model *m, const heft_dataset *ds,
                                   heft_error *err);

#endif
