/*
 * heft_bench.h: public API of the benchmark tasks of `heft bench` (src/bench); included by heft.h,
 * whose types it uses.
 */
#ifndef HEFT_BENCH_H
#define HEFT_BENCH_H

#include "heft.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif /* HEFT_BENCH_H */
