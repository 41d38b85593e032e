/*
 * rng.c: xoshiro256** (Blackman & Vigna 2018) seeded through splitmix64.
 * State is always passed in, so the same seed reproduces a run.
 */
#include "core.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    return heft__mix64(z);
}

void heft__rng_seed(heft__rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t heft__rng_u64(heft__rng *r)
{
    uint64_t *s = r->s;
    const uint64_t out = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

double heft__rng_uniform(heft__rng *r)
{
    return (double)(heft__rng_u64(r) >> 11) * 0x1.0p-53;
}

uint64_t heft__rng_below(heft__rng *r, uint64_t n)
{
    /* Rejection on the top of the range keeps every value equally likely. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = heft__rng_u64(r);
    while (x >= limit);
    return x % n;
}

double heft__rng_normal(heft__rng *r)
{
    double u1 = heft__rng_uniform(r), u2 = heft__rng_uniform(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void heft__rng_shuffle_u64(heft__rng *r, uint64_t *idx, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)heft__rng_below(r, i);
        uint64_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}

uint64_t heft__seed_mix(uint64_t seed, uint64_t i)
{
    return heft__mix64(seed ^ heft__mix64(i + 0x632be59bd9b4e019ULL));
}
