/*
 * audit_stats.c: the statistics behind the audit's numbers.
 *
 * Shares. Train counts c_i and test counts d_i over k bins become shares
 * with a pseudo-count alpha in every bin (so an empty bin has a finite
 * log):  p_i = (c_i + alpha) / (sum c + k alpha),  q_i likewise from d.
 *
 * Population stability index (the credit-scoring drift measure; its
 * sampling distribution and the usual 0.1 / 0.25 thresholds are studied in
 * B. Yurdakul, "Statistical properties of population stability index",
 * PhD thesis, Western Michigan University, 2018; N. Siddiqi, "Credit Risk
 * Scorecards", Wiley 2006, ch. 8):
 *     PSI = sum_i (q_i - p_i) ln(q_i / p_i)  = KL(q||p) + KL(p||q).
 *
 * Jensen-Shannon divergence (J. Lin, "Divergence measures based on the
 * Shannon entropy", IEEE Trans. Inf. Theory 37(1):145-151, 1991), with
 * m = (p + q) / 2 and logarithms base 2, so 0 <= JS <= 1:
 *     JS = 1/2 KL(p||m) + 1/2 KL(q||m).
 *
 * PSI's null distribution (Yurdakul 2018, sec. 3): when train (n rows)
 * and test (m rows) are drawn from one distribution over B bins,
 *     PSI / (1/n + 1/m)  ~  chi-square with B - 1 degrees of freedom
 * (asymptotically), so a PSI is only drift when it exceeds what sampling
 * alone gives; its p-value is the chi-square upper tail, computed from
 * the regularised incomplete gamma function Q(k/2, x/2) (series below
 * a + 1, Lentz's continued fraction above; W. Press et al., "Numerical
 * Recipes", 3rd ed., sec. 6.2).
 *
 * Two-proportion z-test (pooled; e.g. A. Agresti, "Categorical Data
 * Analysis", 3rd ed., sec. 3.1): p = (x1 + x2) / (n1 + n2),
 *     z = (x1/n1 - x2/n2) / sqrt(p (1 - p) (1/n1 + 1/n2)),
 *     two-sided p-value = erfc(|z| / sqrt 2).
 *
 * AUC and its DeLong variance (E. DeLong, D. DeLong, D. Clarke-Pearson,
 * "Comparing the areas under two or more correlated receiver operating
 * characteristic curves", Biometrics 44(3):837-845, 1988), computed from
 * one sort as in X. Sun, W. Xu, "Fast implementation of DeLong's
 * algorithm", IEEE Signal Processing Letters 21(11), 2014. With m
 * positives X_i and n negatives Y_j and psi(x, y) = 1 [x > y] + 1/2 [x = y]:
 *     V10(X_i) = 1/n sum_j psi(X_i, Y_j),  V01(Y_j) = 1/m sum_i psi(X_i, Y_j),
 *     AUC = mean V10,  Var(AUC) = S10 / m + S01 / n,
 * where S10, S01 are the sample variances (divisor m-1, n-1) of the V10
 * and V01. Rows that tie in pred form one block: each positive in a block
 * gets (negatives below + half the block's negatives) / n.
 *
 * Needed test size. At a fixed class ratio and AUC, Var(AUC) scales as
 * 1/N (both S10/m and S01/n do), so the 95% width w = 2 * 1.96 * SE scales
 * as 1/sqrt(N): N_needed = N * (w / w_target)^2.
 */
#include "audit_int.h"

#include <math.h>
#include <stdlib.h>

/* Smoothed shares of counts c (k,) into s (k,). */
static void shares(const double *c, size_t k, double alpha, double *s)
{
    double tot = 0;
    for (size_t i = 0; i < k; i++)
        tot += c[i];
    const double den = tot + (double)k * alpha;
    for (size_t i = 0; i < k; i++)
        s[i] = den > 0 ? (c[i] + alpha) / den : 1.0 / (double)k;
}

double heft_audit_psi(const double *p_cnt, const double *q_cnt, size_t k,
                      double alpha)
{
    if (k == 0)
        return 0;
    double *p = heft__malloc(2 * k, sizeof *p);
    if (!p)
        return NAN;
    double *q = p + k, psi = 0;
    shares(p_cnt, k, alpha, p);
    shares(q_cnt, k, alpha, q);
    for (size_t i = 0; i < k; i++)
        if (p[i] > 0 && q[i] > 0)
            psi += (q[i] - p[i]) * log(q[i] / p[i]);
        else if (p[i] != q[i])
            psi = INFINITY; /* alpha = 0 and a bin empty on one side */
    free(p);
    return psi;
}

double heft_audit_js(const double *p_cnt, const double *q_cnt, size_t k,
                     double alpha)
{
    if (k == 0)
        return 0;
    double *p = heft__malloc(2 * k, sizeof *p);
    if (!p)
        return NAN;
    double *q = p + k, js = 0;
    shares(p_cnt, k, alpha, p);
    shares(q_cnt, k, alpha, q);
    for (size_t i = 0; i < k; i++) {
        const double m = 0.5 * (p[i] + q[i]);
        if (p[i] > 0)
            js += 0.5 * p[i] * log2(p[i] / m);
        if (q[i] > 0)
            js += 0.5 * q[i] * log2(q[i] / m);
    }
    free(p);
    return js < 0 ? 0 : js; /* rounding can leave -1e-17 */
}

double heft_audit_two_prop(uint64_t x1, uint64_t n1, uint64_t x2,
                           uint64_t n2, double *z)
{
    if (z)
        *z = NAN;
    if (n1 == 0 || n2 == 0 || x1 > n1 || x2 > n2)
        return NAN;
    const double p1 = (double)x1 / (double)n1, p2 = (double)x2 / (double)n2;
    const double p = (double)(x1 + x2) / (double)(n1 + n2);
    const double var = p * (1 - p) * (1.0 / (double)n1 + 1.0 / (double)n2);
    if (!(var > 0)) /* every row of both sides in one class */
        return NAN;
    const double zz = (p1 - p2) / sqrt(var);
    if (z)
        *z = zz;
    return erfc(fabs(zz) / sqrt(2.0));
}

/* P(a, x) by its series, for x < a + 1. */
static double gamma_p_series(double a, double x)
{
    double sum = 1.0 / a, term = sum;
    for (int n = 1; n < 1000; n++) {
        term *= x / (a + n);
        sum += term;
        if (fabs(term) < fabs(sum) * 1e-15)
            break;
    }
    return sum * exp(-x + a * log(x) - lgamma(a));
}

/* Q(a, x) by its continued fraction (modified Lentz), for x >= a + 1. */
static double gamma_q_cf(double a, double x)
{
    const double tiny = 1e-300;
    double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
    for (int i = 1; i < 1000; i++) {
        const double an = -i * (i - a);
        b += 2;
        d = an * d + b;
        d = fabs(d) < tiny ? tiny : d;
        c = b + an / c;
        c = fabs(c) < tiny ? tiny : c;
        d = 1 / d;
        const double del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-15)
            break;
    }
    return exp(-x + a * log(x) - lgamma(a)) * h;
}

double heft__audit_chi2_sf(double x, double dof)
{
    if (!(dof > 0) || isnan(x))
        return NAN;
    if (x <= 0)
        return 1;
    const double a = dof / 2, h = x / 2;
    return h < a + 1 ? 1 - gamma_p_series(a, h) : gamma_q_cf(a, h);
}

double heft_audit_psi_p(double psi, size_t bins, double n, double m)
{
    if (bins < 2 || !(n > 0) || !(m > 0) || isnan(psi))
        return NAN;
    return heft__audit_chi2_sf(psi / (1 / n + 1 / m), (double)(bins - 1));
}

double heft_audit_rows_needed(double n, double width, double target)
{
    if (!(n > 0) || !(width >= 0) || !(target > 0))
        return NAN;
    const double r = width / target;
    return ceil(n * r * r);
}

typedef struct pred_row {
    float p;
    uint8_t y;
} pred_row;

static int cmp_pred(const void *x, const void *y)
{
    const float a = ((const pred_row *)x)->p, b = ((const pred_row *)y)->p;
    return (a > b) - (a < b);
}

/* Walks the rows sorted by pred in tie blocks and accumulates the sums of
 * V10 (positives) and V01 (negatives) and of their squares. */
static void delong_sums(const pred_row *r, size_t n, double m_pos,
                        double n_neg, double s[4])
{
    double neg_below = 0, pos_below = 0;
    for (size_t a = 0; a < n;) {
        size_t b = a;
        double bp = 0, bn = 0;
        while (b < n && r[b].p == r[a].p) {
            bp += r[b].y;
            bn += !r[b].y;
            b++;
        }
        const double v10 = (neg_below + 0.5 * bn) / n_neg;
        const double pos_above = m_pos - pos_below - bp;
        const double v01 = (pos_above + 0.5 * bp) / m_pos;
        s[0] += bp * v10;
        s[1] += bp * v10 * v10;
        s[2] += bn * v01;
        s[3] += bn * v01 * v01;
        neg_below += bn;
        pos_below += bp;
        a = b;
    }
}

heft_status heft__audit_auc_se(const float *label, const float *pred,
                               const uint64_t *idx, size_t n, double *auc,
                               double *se, heft_error *err)
{
    *auc = *se = NAN;
    pred_row *r = heft__malloc(n ? n : 1, sizeof *r);
    if (!r)
        return heft__err(err, HEFT_ENOMEM, NULL, 0, 0, "out of memory");
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        const size_t j = idx ? (size_t)idx[i] : i;
        if (!(pred[j] >= 0 && pred[j] <= 1)) {
            free(r);
            return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                             "prediction of test row %zu is %g (expected "
                             "a probability in [0,1])", j, (double)pred[j]);
        }
        r[i] = (pred_row){pred[j], label[j] > 0};
        m += r[i].y;
    }
    const double nn = (double)n - m;
    if (m > 0 && nn > 0) {
        qsort(r, n, sizeof *r, cmp_pred);
        double s[4] = {0, 0, 0, 0};
        delong_sums(r, n, m, nn, s);
        *auc = s[0] / m;
        const double s10 = m > 1 ? (s[1] - s[0] * s[0] / m) / (m - 1) : 0;
        const double mean01 = s[2] / nn;
        const double s01 = nn > 1 ? (s[3] - nn * mean01 * mean01) / (nn - 1)
                                  : 0;
        const double var = (s10 > 0 ? s10 : 0) / m + (s01 > 0 ? s01 : 0) / nn;
        *se = sqrt(var);
    }
    free(r);
    return HEFT_OK;
}

heft_status heft_audit_delong(const float *label, const float *pred,
                              size_t n, double *auc, double *se,
                              heft_error *err)
{
    if (!label || !pred || !auc || !se)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "heft_audit_delong: NULL argument");
    return heft__audit_auc_se(label, pred, NULL, n, auc, se, err);
}

/* ---- the token map ------------------------------------------------------ */

heft_status heft__amap_init(heft__amap *m, size_t expect)
{
    memset(m, 0, sizeof *m);
    size_t cap = 64;
    while (cap < 2 * expect)
        cap *= 2;
    m->slot = heft__calloc(cap, sizeof *m->slot);
    if (!m->slot)
        return HEFT_ENOMEM;
    m->cap = cap;
    return HEFT_OK;
}

void heft__amap_free(heft__amap *m)
{
    free(m->slot);
    memset(m, 0, sizeof *m);
}

/* Doubles the table, re-inserting every slot. */
static int amap_grow(heft__amap *m)
{
    heft__amap g;
    if (heft__amap_init(&g, m->cap) != HEFT_OK)
        return -1;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slot[i].key)
            continue;
        size_t j = heft__mix64(m->slot[i].key) & (g.cap - 1);
        while (g.slot[j].key)
            j = (j + 1) & (g.cap - 1);
        g.slot[j] = m->slot[i];
    }
    g.n = m->n;
    heft__amap_free(m);
    *m = g;
    return 0;
}

size_t heft__amap_slot(heft__amap *m, uint64_t key)
{
    size_t j = heft__mix64(key) & (m->cap - 1);
    while (m->slot[j].key) {
        if (m->slot[j].key == key)
            return j;
        j = (j + 1) & (m->cap - 1);
    }
    if (2 * (m->n + 1) > m->cap) {
        if (amap_grow(m) != 0)
            return (size_t)-1;
        return heft__amap_slot(m, key);
    }
    m->slot[j].key = key;
    m->n++;
    return j;
}

uint32_t heft__audit_num_bucket(unsigned f, unsigned bits)
{
    return heft__bucket(f, heft__hash_bytes("num", 3, 0), bits);
}
