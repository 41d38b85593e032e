/*
 * heft_select.h: public API of selection, reweighting and negative downsampling (src/select); included by heft.h,
 * whose types it uses.
 */
#ifndef HEFT_SELECT_H
#define HEFT_SELECT_H

#include "heft.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Calibration after negative downsampling (He et al., "Practical Lessons
 * from Predicting Clicks on Ads at Facebook", ADKDD 2014, Section 6.2):
 * a model trained on every positive and a share w (0 < w <= 1) of the
 * negatives predicts p; the probability on the full distribution is
 * q = p / (p + (1 - p) / w). w = 1 returns p unchanged. */
double heft_negsample_calibrate(double p, double w);

#ifdef __cplusplus
}
#endif
#endif /* HEFT_SELECT_H */
