/*
 * select_int.h: internal pieces of src/select shared between its files and
 * the tests: the probability and weight solvers behind importance sampling
 * and reweighting (weights.c), and the per-row uniform draw.
 */
#ifndef HEFT_SELECT_INT_H
#define HEFT_SELECT_INT_H

#include "core.h"

/* Importances from scores s (n,): I_i = s_i when no score is negative,
 * else I_i = s_i - min_j s_j, so the least valuable row gets 0. I (n,) is
 * the caller's. */
void heft__select_importance(const float *s, size_t n, double *imp);

/* Inclusion probabilities of importance sampling for one stratum:
 *   p_i = min(1, max(fl, c I_i)),  fl = floor * fraction,
 * with c >= 0 solved by bisection so that sum_i p_i = fraction * n (the
 * expected number kept). When even p_i = 1 for every I_i > 0 falls short,
 * the rows with I_i = 0 share the rest equally; when every I_i is equal,
 * p_i = fraction. imp (n,) in, p (n,) out. */
void heft__select_probs(const double *imp, size_t n, double fraction,
                        double floor, double *p);

/* Weights of reweighting: w_i = clip(c I_i, lo, hi) with c solved so that
 * mean(w) = 1 (lo <= 1 <= hi). All I_i equal: w_i = 1. When mean 1 is out
 * of reach (almost every I_i = 0) the largest reachable mean is used. imp
 * (n,) in, w (n,) out. */
void heft__select_weights(const double *imp, size_t n, double lo, double hi,
                          double *w);

/* A uniform double in [0, 1) for row `row` under seed: a hash, so a row's
 * draw does not depend on which other rows are present or their order. */
static inline double heft__select_u01(uint64_t seed, uint64_t row)
{
    uint64_t h = heft__mix64(heft__mix64(seed + 0x9e3779b97f4a7c15ULL) ^
                             (row * 0xd1b54a32d192ed03ULL + 1));
    return (double)(h >> 11) * (1.0 / 9007199254740992.0);
}

#endif
