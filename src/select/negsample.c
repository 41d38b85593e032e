/*
 * negsample.c: recalibrating the predictions of a model trained on
 * negatively downsampled data, from
 *   X. He et al., "Practical Lessons from Predicting Clicks on Ads at
 *   Facebook", ADKDD 2014, Section 6.2.
 *
 * Keeping every positive and a share w of the negatives multiplies the
 * odds the model learns by 1/w: p/(1-p) = (q/(1-q)) / w for the true click
 * probability q. Solving for q gives q = p / (p + (1 - p) / w).
 */
#include "model.h"

double heft_negsample_calibrate(double p, double w)
{
    if (w >= 1.0)
        return p;
    return p / (p + (1.0 - p) / w);
}

double heft_model_neg_rate(const heft_model *m)
{
    return m && m->neg_rate > 0 && m->neg_rate < 1 ? m->neg_rate : 1.0;
}
