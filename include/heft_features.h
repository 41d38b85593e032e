/*
 * heft_features.h: public API of feature (field) importance (src/features); included by heft.h,
 * whose types it uses.
 */
#ifndef HEFT_FEATURES_H
#define HEFT_FEATURES_H

#include "heft.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif /* HEFT_FEATURES_H */
