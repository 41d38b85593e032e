/*
 * parse.h: the entry point of the text readers. A reader turns bytes in one
 * of the text formats (optionally gzip/zstd-compressed) into CSR rows and a
 * resolved schema. The data layer wraps the result into a heft_dataset.
 */
#ifndef HEFT_PARSE_H
#define HEFT_PARSE_H

#include "csr.h"
#include "schema.h"

#define HEFT__MAX_BAD_KEPT 8
#define HEFT__MAX_LINE ((size_t)16 << 20) /* 16 MiB */

typedef struct heft__parsed {
    heft__csr csr;
    heft__schema schema;
    int graded;            /* labels beyond {0,1} seen (ranking grades) */
    uint64_t n_bad;        /* rows skipped under max_bad_rows           */
    size_t n_bad_kept;     /* min(n_bad, HEFT__MAX_BAD_KEPT)            */
    heft_error bad[HEFT__MAX_BAD_KEPT];
} heft__parsed;

/* Parses a file ("-" = stdin) or a buffer (name for messages). The input
 * may be gzip or zstd (magic bytes). o->format must not be HEFT_FMT_HDS
 * (the caller handles it). On failure out is left zeroed. */
heft_status heft__parse_file(const char *path, const heft_read_opts *o,
                             heft__parsed *out, heft_error *err);
heft_status heft__parse_mem(const void *buf, size_t len, const char *name,
                            const heft_read_opts *o, heft__parsed *out,
                            heft_error *err);
void heft__parsed_free(heft__parsed *p);

/* Detected from the first bytes (decompressed) and the name:
 * libsvm/libfm/libffm by token shape, criteo by 40 tab-separated columns
 * without header, avazu by its header, else csv or tsv by delimiter. */
heft_format heft__detect_format(const char *name, const char *head,
                                size_t len);

#endif
