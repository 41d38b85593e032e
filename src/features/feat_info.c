/*
 * feat_info.c: mutual information and the chi-square test of a field's
 * value x label table.
 *
 * With n_xy rows of value x and label y, n_x and n_y the margins and N the
 * rows (every statistic below is in nats; features.c converts to bits):
 *
 *   plug-in   I = sum_xy (n_xy / N) log(N n_xy / (n_x n_y))
 *             = H(X) + H(Y) - H(X,Y), with H the empirical entropies.
 *
 * The plug-in estimate is biased upwards, and the more so the more values
 * a field has: a user-id field whose values are mostly seen once "explains"
 * the label of those rows perfectly, I -> H(Y), whatever the label. Two
 * corrections are reported:
 *
 *   Miller-Madow (G. A. Miller, "Note on the bias of information
 *   estimates", 1955; L. Paninski, "Estimation of entropy and mutual
 *   information", Neural Computation 15, 2003): each entropy gains
 *   (m - 1) / (2N), m the number of non-empty cells, so
 *     I_MM = I + ((m_X - 1) + (m_Y - 1) - (m_XY - 1)) / (2N).
 *   It removes the first-order bias when cells hold many rows each, and
 *   does next to nothing when most values are seen once (there m_XY ~ m_X).
 *
 *   Adjusted for chance (N. X. Vinh, J. Epps, J. Bailey, "Information
 *   theoretic measures for clusterings comparison", JMLR 11, 2010, eq. 24):
 *   E[I] is the expectation of the plug-in I over random labelings with the
 *   same margins (n_xy hypergeometric), and
 *     mi_adj = I - E[I],   AMI = (I - E[I]) / ((H(X) + H(Y)) / 2 - E[I]).
 *   mi_adj is near 0 for a field that is independent of the label however
 *   many values it has; it is what to rank high-cardinality fields by.
 *   E[I] depends on a value only through n_x, so values are grouped by
 *   n_x; each hypergeometric sum runs outwards from its mode until the
 *   terms fall below 1e-18 of the largest.
 *
 *   Pearson chi-square: X2 = sum_xy (n_xy - E_xy)^2 / E_xy with E_xy =
 *   n_x n_y / N, df = (m_X - 1)(m_Y - 1), p = Q(df / 2, X2 / 2), the
 *   regularised upper incomplete gamma function, by its series or its
 *   continued fraction (W. H. Press et al., Numerical Recipes, 3rd ed.,
 *   section 6.2). The asymptotic chi-square law needs expected counts of
 *   about 5 or more (Cochran 1954); for fields of many rare values the
 *   p-value is optimistic, and the statistic grows with the number of
 *   values like the plug-in MI (indeed 2 N I ~ X2 for large counts).
 */
#include "feat_internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

/* ---- chi-square upper tail ------------------------------------------- */

static int gamma_iters(double a) { return 1000 + (int)(50.0 * sqrt(a)); }

/* P(a, x) by its series, x < a + 1. */
static double gamma_p_series(double a, double x)
{
    double ap = a, del = 1.0 / a, sum = del;
    const int iters = gamma_iters(a);
    for (int n = 0; n < iters; n++) {
        ap += 1;
        del *= x / ap;
        sum += del;
        if (fabs(del) < fabs(sum) * 1e-16)
            break;
    }
    return sum * exp(-x + a * log(x) - lgamma(a));
}

/* Q(a, x) by its continued fraction (modified Lentz), x >= a + 1. */
static double gamma_q_cf(double a, double x)
{
    const double tiny = DBL_MIN / DBL_EPSILON;
    double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
    const int iters = gamma_iters(a);
    for (int i = 1; i <= iters; i++) {
        double an = -i * (i - a);
        b += 2;
        d = an * d + b;
        if (fabs(d) < tiny)
            d = tiny;
        c = b + an / c;
        if (fabs(c) < tiny)
            c = tiny;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-16)
            break;
    }
    return exp(-x + a * log(x) - lgamma(a)) * h;
}

double heft__chi2_sf(double df, double x)
{
    if (!(df > 0) || !(x > 0))
        return 1.0;
    if (isinf(x))
        return 0.0;
    const double a = df / 2, h = x / 2;
    double q = h < a + 1 ? 1 - gamma_p_series(a, h) : gamma_q_cf(a, h);
    return q < 0 ? 0 : q > 1 ? 1 : q;
}

/* ---- expected MI under random labels --------------------------------- */

static double log_choose(double n, double k)
{
    return lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1);
}

/* sum_n P(n) (n / N) log(N n / (a b)) for n ~ Hypergeometric(N, a, b). */
static double emi_cell(double N, double a, double b)
{
    const double lo = fmax(1, a + b - N), hi = fmin(a, b);
    if (lo > hi)
        return 0;
    double mode = floor((a + 1) * (b + 1) / (N + 2));
    mode = mode < lo ? lo : mode > hi ? hi : mode;
    const double pm = exp(log_choose(b, mode) + log_choose(N - b, a - mode) -
                          log_choose(N, a));
    const double lab = log(a) + log(b), lN = log(N);
    double sum = 0, p = pm;
    for (double n = mode; n <= hi; n++) {
        sum += p * n / N * (lN + log(n) - lab);
        p *= (a - n) * (b - n) / ((n + 1) * (N - a - b + n + 1));
        if (p < pm * 1e-18)
            break;
    }
    p = pm;
    for (double n = mode - 1; n >= lo; n--) {
        p *= (n + 1) * (N - a - b + n + 1) / ((a - n) * (b - n));
        sum += p * n / N * (lN + log(n) - lab);
        if (p < pm * 1e-18)
            break;
    }
    return sum;
}

static int cmp_u64(const void *x, const void *y)
{
    const uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

/* Adds the E[I] terms of one x margin a met mult times. */
static double emi_margin(uint64_t a, double mult, const uint64_t *by,
                         size_t ky, uint64_t n)
{
    double e = 0;
    for (size_t y = 0; a > 0 && y < ky; y++)
        if (by[y] > 0)
            e += mult * emi_cell((double)n, (double)a, (double)by[y]);
    return e;
}

enum { EMI_SMALL = 4096 };

double heft__emi(const uint64_t *ax, size_t kx, const uint64_t *by,
                 size_t ky, uint64_t n)
{
    /* E[I] depends on a value only through its margin, so equal margins
     * are one term times their multiplicity: small margins (most of them)
     * are counted in an array, the few large ones sorted. */
    uint64_t *cnt = heft__calloc(EMI_SMALL, sizeof *cnt);
    uint64_t *big = heft__malloc(kx ? kx : 1, sizeof *big);
    if (!cnt || !big) {
        free(cnt);
        free(big);
        return NAN;
    }
    size_t nb = 0;
    for (size_t i = 0; i < kx; i++) {
        if (ax[i] < EMI_SMALL)
            cnt[ax[i]]++;
        else
            big[nb++] = ax[i];
    }
    qsort(big, nb, sizeof *big, cmp_u64);
    double e = 0;
    for (uint64_t a = 1; a < EMI_SMALL; a++)
        if (cnt[a])
            e += emi_margin(a, (double)cnt[a], by, ky, n);
    for (size_t i = 0; i < nb;) {
        size_t j = i;
        while (j < nb && big[j] == big[i])
            j++;
        e += emi_margin(big[i], (double)(j - i), by, ky, n);
        i = j;
    }
    free(cnt);
    free(big);
    return e;
}

/* ---- the statistics of one table --------------------------------------- */

/* Running sums over the values of a table. */
typedef struct info_acc {
    double N, ny[2];
    double mi, hx_sum, chi2; /* sum n log n over x for H(X) */
    uint64_t mx, mxy;
    uint64_t *ax; /* (cap,) margins n_x, for E[I] */
    size_t kx;
} info_acc;

static void acc_value(info_acc *a, uint64_t c0, uint64_t c1)
{
    const double n[2] = {(double)c0, (double)c1}, nx = n[0] + n[1];
    if (nx <= 0)
        return;
    a->mx++;
    a->ax[a->kx++] = c0 + c1;
    a->hx_sum += nx * log(nx);
    for (int y = 0; y < 2; y++) {
        if (a->ny[y] <= 0)
            continue;
        const double e = nx * a->ny[y] / a->N;
        a->chi2 += (n[y] - e) * (n[y] - e) / e;
        if (n[y] > 0) {
            a->mxy++;
            a->mi += n[y] / a->N * log(a->N * n[y] / (nx * a->ny[y]));
        }
    }
}

static void acc_finish(const info_acc *a, heft_feature_stat *st)
{
    const double N = a->N;
    const uint64_t my = (a->ny[0] > 0) + (a->ny[1] > 0);
    double hy = 0;
    for (int y = 0; y < 2; y++)
        if (a->ny[y] > 0)
            hy -= a->ny[y] / N * log(a->ny[y] / N);
    const double hx = N > 0 ? log(N) - a->hx_sum / N : 0;
    st->values = a->mx;
    st->mi = a->mi > 0 ? a->mi : 0; /* rounding can leave -1e-17 */
    st->mi_mm = st->mi + ((double)a->mx - 1 + (double)my - 1 -
                          ((double)a->mxy - 1)) / (2 * (N > 0 ? N : 1));
    const uint64_t by[2] = {(uint64_t)a->ny[0], (uint64_t)a->ny[1]};
    const double emi = heft__emi(a->ax, a->kx, by, 2, (uint64_t)N);
    st->mi_adj = st->mi - emi;
    const double den = (hx + hy) / 2 - emi;
    st->ami = den > 1e-15 ? st->mi_adj / den : 0;
    st->chi2 = a->chi2;
    st->chi2_df = (double)(a->mx ? a->mx - 1 : 0) * (double)(my ? my - 1 : 0);
    st->chi2_p = heft__chi2_sf(st->chi2_df, st->chi2);
}

heft_status heft__finfo(const heft__fvtab *t, uint64_t rows, uint64_t pos,
                        heft_feature_stat *st)
{
    info_acc a;
    memset(&a, 0, sizeof a);
    a.N = (double)rows;
    a.ny[0] = (double)(rows - pos);
    a.ny[1] = (double)pos;
    a.ax = heft__malloc(t->len + 1, sizeof *a.ax);
    if (!a.ax)
        return HEFT_ENOMEM;
    for (size_t i = 0; i < t->cap; i++)
        if (t->key[i])
            acc_value(&a, t->n0[i], t->n1[i]);
    /* Rows without the field are one more value: absent. */
    acc_value(&a, rows - pos - t->present[0], pos - t->present[1]);
    acc_finish(&a, st);
    free(a.ax);
    return isnan(st->mi_adj) ? HEFT_ENOMEM : HEFT_OK;
}

void heft__finfo_table(const uint64_t (*n)[2], size_t k,
                       heft_feature_stat *st)
{
    info_acc a;
    memset(&a, 0, sizeof a);
    for (size_t i = 0; i < k; i++) {
        a.ny[0] += (double)n[i][0];
        a.ny[1] += (double)n[i][1];
    }
    a.N = a.ny[0] + a.ny[1];
    uint64_t ax[256];
    a.ax = k <= 256 ? ax : heft__malloc(k, sizeof *a.ax);
    if (!a.ax) {
        st->mi = NAN;
        return;
    }
    for (size_t i = 0; i < k; i++)
        acc_value(&a, n[i][0], n[i][1]);
    acc_finish(&a, st);
    if (a.ax != ax)
        free(a.ax);
}
