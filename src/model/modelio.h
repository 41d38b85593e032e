/*
 * modelio.h: internals of the model file (modelio.c, docs/model-format.md)
 * that the fuzz target uses to repair checksums of mutated inputs, so the
 * fuzzer reaches the checks behind them.
 */
#ifndef HEFT_MODELIO_H
#define HEFT_MODELIO_H

#include "model.h"

/* Version 1 header (every model trained without negative downsampling). */
#define HEFT__MODEL_HDR_BODY 80 /* bytes covered by the header checksum */
#define HEFT__MODEL_HDR_SIZE 88 /* header including its checksum       */
/* Version 2 header: version 1's fields, then neg_rate f64 at offset 80. */
#define HEFT__MODEL_HDR2_BODY 88
#define HEFT__MODEL_HDR2_SIZE 96

/* The payload checksum: of the schema text (slen bytes) followed by theta
 * (tlen bytes), as stored in the file's last 8 bytes. */
uint64_t heft__model_payload_checksum(const unsigned char *schema,
                                      size_t slen,
                                      const unsigned char *theta,
                                      size_t tlen);

#endif
