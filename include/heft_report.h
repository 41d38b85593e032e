/*
 * heft_report.h: public API of the HTML report (src/report); included by heft.h,
 * whose types it uses.
 */
#ifndef HEFT_REPORT_H
#define HEFT_REPORT_H

#include "heft.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif /* HEFT_REPORT_H */
