/*
 * weights.c: inclusion probabilities of importance sampling and the weights
 * of score reweighting.
 *
 * Importance sampling (e.g. Katharopoulos & Fleuret, "Not All Samples Are
 * Created Equal", ICML 2018, with the score as importance): row i is kept
 * with probability p_i and then weighted 1/p_i, so for any per-row loss l
 *
 *   E[ sum_{i kept} l_i / p_i ] = sum_i p_i l_i / p_i = sum_i l_i,
 *
 * the weighted loss of the sample is an unbiased estimate of the full
 * loss. p_i = min(1, max(fl, c I_i)) is proportional to the importance I_i
 * between a floor fl (no row's weight exceeds 1/fl, which bounds the
 * variance) and 1; c is set so that sum_i p_i = F n, the expected share F.
 *
 * Reweighting (the sample reweighting of the seed method, w_j = I_j /
 * sum(I), scaled by n so the mean weight is 1): w_i = clip(c I_i, lo, hi)
 * with c set so that mean(w) = 1 after clipping.
 *
 * Both sums are continuous and non-decreasing in c, so bisection finds c
 * (64 halvings of a bracket: c to the last bits of a double).
 */
#include "select_int.h"

#include <math.h>

void heft__select_importance(const float *s, size_t n, double *imp)
{
    double lo = INFINITY;
    for (size_t i = 0; i < n; i++)
        lo = fmin(lo, (double)s[i]);
    const double shift = lo < 0 ? lo : 0.0;
    for (size_t i = 0; i < n; i++)
        imp[i] = (double)s[i] - shift;
}

/* The smallest positive importance, the count of positive ones, and
 * whether all are equal. */
static double min_positive(const double *imp, size_t n, size_t *npos,
                           int *all_equal)
{
    double m = INFINITY;
    size_t k = 0;
    *all_equal = 1;
    for (size_t i = 0; i < n; i++) {
        if (imp[i] > 0) {
            m = fmin(m, imp[i]);
            k++;
        }
        if (imp[i] != imp[0])
            *all_equal = 0;
    }
    *npos = k;
    return m;
}

static double sum_probs(const double *imp, size_t n, double c, double fl)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += fmin(1.0, fmax(fl, c * imp[i]));
    return s;
}

void heft__select_probs(const double *imp, size_t n, double fraction,
                        double floor, double *p)
{
    size_t npos;
    int eq;
    const double mpos = min_positive(imp, n, &npos, &eq);
    if (fraction >= 1.0 || eq || npos == 0) {
        for (size_t i = 0; i < n; i++)
            p[i] = fmin(1.0, fraction);
        return;
    }
    const double fl = floor * fraction, target = fraction * (double)n;
    double hi = 1.0 / mpos; /* every positive importance reaches 1 */
    if (sum_probs(imp, n, hi, fl) <= target) {
        const size_t nzero = n - npos;
        const double rest = nzero ? (target - (double)npos) / (double)nzero
                                  : 1.0;
        for (size_t i = 0; i < n; i++)
            p[i] = imp[i] > 0 ? 1.0 : fmin(1.0, fmax(fl, rest));
        return;
    }
    double lo = 0.0;
    for (int it = 0; it < 64; it++) {
        const double mid = 0.5 * (lo + hi);
        if (sum_probs(imp, n, mid, fl) < target)
            lo = mid;
        else
            hi = mid;
    }
    const double c = 0.5 * (lo + hi);
    for (size_t i = 0; i < n; i++)
        p[i] = fmin(1.0, fmax(fl, c * imp[i]));
}

static double sum_weights(const double *imp, size_t n, double c, double lo,
                          double hi)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += fmin(hi, fmax(lo, c * imp[i]));
    return s;
}

void heft__select_weights(const double *imp, size_t n, double lo, double hi,
                          double *w)
{
    size_t npos;
    int eq;
    const double mpos = min_positive(imp, n, &npos, &eq);
    if (eq || npos == 0) {
        for (size_t i = 0; i < n; i++)
            w[i] = 1.0;
        return;
    }
    double a = 0.0, b = hi / mpos; /* at b every positive one is at hi */
    const double target = (double)n;
    if (sum_weights(imp, n, b, lo, hi) > target) {
        for (int it = 0; it < 64; it++) {
            const double mid = 0.5 * (a + b);
            if (sum_weights(imp, n, mid, lo, hi) < target)
                a = mid;
            else
                b = mid;
        }
        b = 0.5 * (a + b);
    }
    for (size_t i = 0; i < n; i++)
        w[i] = fmin(hi, fmax(lo, b * imp[i]));
}
