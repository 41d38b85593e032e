/*
 * test.h: the tiny test harness. Tests are listed once, in the
 * tests/list_*.h files (one per area), and run all together or one by one
 * by name: `build/heft-tests [NAME...]`.
 *
 * A test is `void test_NAME(void)`; CHECK() records a failure and carries
 * on, REQUIRE() records and returns from the test, SKIP() marks it skipped.
 */
#ifndef HEFT_TEST_H
#define HEFT_TEST_H

#include "heft.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void heft_test_fail(const char *file, int line, const char *fmt, ...);
void heft_test_skip(const char *why);
/* Directory of the real data sets (../shared/data unless HEFT_DATA is set);
 * NULL if absent. */
const char *heft_test_data_dir(void);
/* A fresh empty temporary directory for this test (removed afterwards). */
const char *heft_test_tmpdir(void);
/* Writes len bytes to tmpdir/name and returns the path (static buffer per
 * call slot; valid for the test). */
const char *heft_test_write(const char *name, const void *buf, size_t len);
/* Path of a file under the data dir, or NULL (and a SKIP) if missing. */
const char *heft_test_data(const char *rel);
/* AUROC of "low value = flipped" (ties count half) by a pairwise count over
 * v[0..n): the oracle for noise-detection checks; NAN without both kinds. */
double heft_test_auroc_low(const float *v, const uint8_t *flipped, size_t n);

#define CHECK(c)                                                              \
    do {                                                                      \
        if (!(c))                                                             \
            heft_test_fail(__FILE__, __LINE__, "CHECK(%s)", #c);              \
    } while (0)
#define REQUIRE(c)                                                            \
    do {                                                                      \
        if (!(c)) {                                                           \
            heft_test_fail(__FILE__, __LINE__, "REQUIRE(%s)", #c);            \
            return;                                                           \
        }                                                                     \
    } while (0)
#define CHECK_NEAR(a, b, tol)                                                 \
    do {                                                                      \
        double a_ = (double)(a), b_ = (double)(b);                            \
        if (!(fabs(a_ - b_) <= (tol)))                                        \
            heft_test_fail(__FILE__, __LINE__, "%s = %.10g, %s = %.10g",      \
                           #a, a_, #b, b_);                                   \
    } while (0)
#define CHECK_OK(expr)                                                        \
    do {                                                                      \
        heft_status st_ = (expr);                                             \
        if (st_ != HEFT_OK)                                                   \
            heft_test_fail(__FILE__, __LINE__, "%s -> %s", #expr,             \
                           heft_err_name(st_));                               \
    } while (0)
#define SKIP(why)                                                             \
    do {                                                                      \
        heft_test_skip(why);                                                  \
        return;                                                               \
    } while (0)

#endif
