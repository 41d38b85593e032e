/*
 * hash.c: a fast 64-bit byte hash for feature tokens and file checksums.
 * Eight bytes at a time through a multiply-xorshift mix (in the manner of
 * wyhash/murmur fmix); tokens in CTR logs are short, so the tail matters.
 */
#include "core.h"

static inline uint64_t load64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

uint64_t heft__hash_bytes(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ULL);
    while (len >= 8) {
        h ^= heft__mix64(load64(p));
        h *= 0xff51afd7ed558ccdULL;
        p += 8;
        len -= 8;
    }
    if (len) {
        uint64_t t = 0;
        memcpy(&t, p, len);
        h ^= heft__mix64(t ^ ((uint64_t)len << 56));
        h *= 0xff51afd7ed558ccdULL;
    }
    return heft__mix64(h);
}

uint64_t heft__checksum(const void *p, size_t len)
{
    return heft__hash_bytes(p, len, 0x68656674u /* "heft" */);
}
