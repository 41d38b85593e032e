/*
 * schema.h: the fully resolved reading settings of a dataset: format,
 * hashing, and the role of every column. It travels with a dataset (.hds)
 * and a model file as "key=value" lines, so new data is read exactly like
 * the training data.
 *
 * Text form (one key per line, values without newlines; absent keys are
 * absent lines):
 *   format=csv  hash_bits=20  num_transform=log  num_buckets=1
 *   label=click weight=w group=query_id time=ts position=pos
 *   num=a,b  cat=c,d  multi=tags:|  ignore=id
 *   fields=a,b,c,d,tags         (field names in field-id order)
 *   neg_rate=0.1                (negatives kept: see below)
 */
#ifndef HEFT_SCHEMA_H
#define HEFT_SCHEMA_H

#include "core.h"

typedef struct heft__schema {
    heft_format format;
    unsigned hash_bits;
    heft_num_transform num_transform;
    int num_buckets;
    /* Column roles; owned strings, NULL when absent. */
    char *label, *weight, *group, *time, *position;
    char *num, *cat, *multi, *ignore;
    unsigned n_fields;
    char **field_names; /* (n_fields) owned */
    /* Share of the negatives this data keeps (heft select --negatives W:
     * key neg_rate, written only when in (0, 1)); 0 = all of them. Not a
     * reading setting: heft_train stores it in the model (He et al. 2014
     * recalibration) when no rate is given. */
    double neg_rate;
} heft__schema;

void heft__schema_free(heft__schema *s);
/* Deep copy. */
heft_status heft__schema_copy(heft__schema *dst, const heft__schema *src);
/* Serialises to a malloc'ed NUL-terminated string (*len excludes NUL). */
heft_status heft__schema_to_text(const heft__schema *s, char **out,
                                 size_t *len);
/* Parses the text form; unknown keys are an error (HEFT_ECORRUPT). */
heft_status heft__schema_from_text(const char *text, size_t len,
                                   heft__schema *out, heft_error *err);
/* Read options pointing into s's strings (valid while s lives). */
void heft__schema_to_opts(const heft__schema *s, heft_read_opts *out);
/* Appends a field name; returns its id or -1 on allocation failure or when
 * 65535 fields are exceeded. */
int heft__schema_add_field(heft__schema *s, const char *name, size_t len);

#endif
