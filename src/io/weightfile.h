/*
 * weightfile.h: sidecar weight files (heft_read_opts.weight_file): one
 * weight per line next to a data file in a format without a weight column,
 * as XGBoost reads DATA.weight and LIBLINEAR's weights extension reads
 * -W FILE. Internal to libheft: the data layer calls heft__weights_apply()
 * after parsing text; tests and fuzz targets call the memory entry point.
 */
#ifndef HEFT_WEIGHTFILE_H
#define HEFT_WEIGHTFILE_H

#include "parse.h"

/* Parses the weights in buf[0..len) (name for messages) into out[0..n).
 * Grammar: an optional UTF-8 BOM, then lines of one decimal number >= 0
 * with optional spaces or tabs around it, ending in LF or CRLF (the last
 * line may lack it). Blank lines are allowed only after the last weight.
 * There must be exactly n weights, or at least n when allow_more (the
 * rest are counted nowhere and not checked). data names the data file in
 * count messages. Errors (out partly written, the caller discards it):
 * HEFT_EPARSE not a number, or more weights than rows; HEFT_ERANGE
 * negative, NaN, infinite or beyond a float; HEFT_ETRUNC fewer weights
 * than rows; each names name:line:column. A gzip or zstd buffer is
 * refused with HEFT_EFORMAT (the sidecar is plain text). */
heft_status heft__weights_parse_mem(const char *buf, size_t len,
                                    const char *name, const char *data,
                                    size_t n, int allow_more, float *out,
                                    heft_error *err);

/* As heft__weights_parse_mem() on the whole file at path. */
heft_status heft__weights_read(const char *path, const char *data, size_t n,
                               int allow_more, float *out, heft_error *err);

/* Applies o->weight_file (when set) to freshly parsed rows p of the data
 * named data: adds the weight column and fills it from the file. With
 * o->max_rows reached, extra lines are ignored. Refuses a p that skipped
 * bad rows (rows and lines would no longer pair up). On failure p is left
 * as it was, for the caller to free. */
heft_status heft__weights_apply(heft__parsed *p, const heft_read_opts *o,
                                const char *data, heft_error *err);

#endif
