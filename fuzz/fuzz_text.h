/* fuzz_text.h: the body shared by the text-reader fuzz targets. The first
 * input byte picks options (hash bits, bad-row budget, numeric buckets and
 * transform, threads) so they are fuzzed too; the reader must never crash
 * or leak, and a successful read's schema must survive a text round trip.
 * Each target defines FUZZ_FORMAT and may define fuzz_tweak() to set
 * format-specific options before including this file. */
#ifndef HEFT_FUZZ_TEXT_H
#define HEFT_FUZZ_TEXT_H

#include "parse.h"

#include <stdlib.h>

static void fuzz_tweak(heft_read_opts *o, uint8_t flags);

static void fuzz_one(const uint8_t *data, size_t size, heft_format fmt,
                     uint8_t flags)
{
    heft_read_opts o;
    memset(&o, 0, sizeof o);
    o.format = fmt;
    o.hash_bits = 12 + (flags & 7);
    o.max_bad_rows = (flags >> 3) & 3;
    o.num_buckets = (flags >> 5) & 1;
    o.num_transform = (flags >> 6) & 1 ? HEFT_NUM_NONE : HEFT_NUM_LOG;
    o.threads = (flags >> 7) + 1;
    if (fmt != HEFT_FMT_AUTO)
        fuzz_tweak(&o, flags);
    heft__parsed p;
    heft_error e;
    if (heft__parse_mem(data, size, "fuzz", &o, &p, &e) != HEFT_OK)
        return;
    char *txt;
    size_t len;
    if (heft__schema_to_text(&p.schema, &txt, &len) == HEFT_OK) {
        heft__schema s;
        if (heft__schema_from_text(txt, len, &s, &e) == HEFT_OK) {
            if (s.n_fields != p.schema.n_fields)
                abort(); /* the round trip lost fields */
            heft__schema_free(&s);
        }
        free(txt);
    }
    heft__parsed_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    fuzz_one(data + 1, size - 1, FUZZ_FORMAT, data[0]);
    fuzz_one(data + 1, size - 1, HEFT_FMT_AUTO, data[0]);
    return 0;
}

#endif
