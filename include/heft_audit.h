/*
 * heft_audit.h: public API of the test-set audit (src/audit); included by heft.h,
 * whose types it uses.
 */
#ifndef HEFT_AUDIT_H
#define HEFT_AUDIT_H

#include "heft.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif /* HEFT_AUDIT_H */
