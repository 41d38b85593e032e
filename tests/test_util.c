/* test_util.c: oracles shared by several test files. */
#include "test.h"

double heft_test_auroc_low(const float *v, const uint8_t *flipped, size_t n)
{
    double wins = 0, pairs = 0;
    for (size_t i = 0; i < n; i++) {
        if (!flipped[i])
            continue;
        for (size_t j = 0; j < n; j++) {
            if (flipped[j])
                continue;
            wins += v[i] < v[j] ? 1.0 : (v[i] == v[j] ? 0.5 : 0.0);
            pairs += 1;
        }
    }
    return pairs > 0 ? wins / pairs : NAN;
}
