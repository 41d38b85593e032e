/*
 * core.h: internal helpers shared by every part of libheft: error reporting,
 * checked allocation, random numbers, hashing, checksums and threads.
 * Names here are heft__ (internal, cross-file); nothing here is public.
 */
#ifndef HEFT_CORE_H
#define HEFT_CORE_H

#include "heft.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__)
#define HEFT__PRINTF(a, b) __attribute__((format(printf, a, b)))
#define HEFT__LIKELY(x) __builtin_expect(!!(x), 1)
#define HEFT__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define HEFT__PRINTF(a, b)
#define HEFT__LIKELY(x) (x)
#define HEFT__UNLIKELY(x) (x)
#endif

/* Fills err (when not NULL) and returns code, so callers can write
 * `return heft__err(err, HEFT_EPARSE, path, line, col, "...", ...);`.
 * file may be NULL, line/col 0 when they do not apply. */
heft_status heft__err(heft_error *err, heft_status code, const char *file,
                      uint64_t line, uint32_t col, const char *fmt, ...)
    HEFT__PRINTF(6, 7);
heft_status heft__verr(heft_error *err, heft_status code, const char *file,
                       uint64_t line, uint32_t col, const char *fmt,
                       va_list ap);
/* Formats one line (at most 511 bytes) and hands it to log(ud, line);
 * does nothing when log is NULL. */
void heft__logf(heft_log_fn log, void *ud, const char *fmt, ...)
    HEFT__PRINTF(3, 4);
/* Resets err to "no error" (code 0, empty strings). */
void heft__err_clear(heft_error *err);

/* malloc/calloc/realloc that also guard n*size overflow. They return NULL
 * on failure like the libc ones; callers turn NULL into HEFT_ENOMEM. */
void *heft__malloc(size_t n, size_t size);
void *heft__calloc(size_t n, size_t size);
void *heft__realloc(void *p, size_t n, size_t size);
char *heft__strdup(const char *s);     /* NULL in, NULL out */
char *heft__strndup(const char *s, size_t n);

/* ---- random numbers: xoshiro256** seeded by splitmix64 --------------- */
/* State is passed explicitly, so a seed reproduces a run. */
typedef struct heft__rng {
    uint64_t s[4];
} heft__rng;

void heft__rng_seed(heft__rng *r, uint64_t seed);
uint64_t heft__rng_u64(heft__rng *r);
/* Uniform double in [0, 1). */
double heft__rng_uniform(heft__rng *r);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint64_t heft__rng_below(heft__rng *r, uint64_t n);
/* Standard normal (Box-Muller, one value per call). */
double heft__rng_normal(heft__rng *r);
/* Fisher-Yates shuffle of idx[0..n). */
void heft__rng_shuffle_u64(heft__rng *r, uint64_t *idx, size_t n);
/* A stream-independent seed for sub-task i of a run seeded with seed. */
uint64_t heft__seed_mix(uint64_t seed, uint64_t i);

/* ---- hashing ----------------------------------------------------------- */
/* 64-bit hash of len bytes (fast, good avalanche; not cryptographic). */
uint64_t heft__hash_bytes(const void *p, size_t len, uint64_t seed);
/* Finaliser for 64-bit integers (splitmix64/murmur3 fmix). */
static inline uint64_t heft__mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}
/* Bucket of a token of field f: the field is part of the key, so equal
 * strings in different fields land in different buckets. */
static inline uint32_t heft__bucket(uint32_t field, uint64_t token_hash,
                                    unsigned bits)
{
    uint64_t h = heft__mix64(token_hash ^ ((uint64_t)(field + 1) *
                                           0x9e3779b97f4a7c15ULL));
    return (uint32_t)(h >> (64 - bits));
}

/* Checksum of the bytes of a file section (the 64-bit hash above with a
 * fixed seed); used by the .hds and model formats. */
uint64_t heft__checksum(const void *p, size_t len);

/* ---- threads ----------------------------------------------------------- */
/* Runs fn(ctx, t, n) for t = 0..n-1, t = 0 on the calling thread, and
 * joins. n <= 1 runs inline. Returns HEFT_ENOMEM if threads could not be
 * started (then everything ran inline, still correct). */
typedef void (*heft__task_fn)(void *ctx, int t, int n);
heft_status heft__parallel(int n, heft__task_fn fn, void *ctx);
/* Number of online cores (at least 1). */
int heft__ncores(void);
/* Resolves a user thread count: 0 -> ncores, otherwise clamp to [1, 64]. */
int heft__threads(int requested);

/* ---- files ------------------------------------------------------------- */
/* Writes via PATH.tmp.PID then rename(): on failure nothing is left and any
 * existing file at path is untouched. */
typedef struct heft__outfile {
    void *fp; /* FILE* */
    char *path;
    char *tmp;
    int failed;
} heft__outfile;

heft_status heft__out_open(heft__outfile *o, const char *path,
                           heft_error *err);
/* fwrite that remembers failure. */
void heft__out_write(heft__outfile *o, const void *p, size_t n);
/* Flushes, fsyncs, renames; on any failure removes the temporary. */
heft_status heft__out_commit(heft__outfile *o, heft_error *err);
/* Removes the temporary and frees (safe after commit or on a zeroed o). */
void heft__out_abort(heft__outfile *o);

/* Reads a whole file (not "-") into a malloc'ed buffer. */
heft_status heft__read_file(const char *path, void **buf, size_t *len,
                            heft_error *err);

#endif
