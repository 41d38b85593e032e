/* fuzz_libsvm.c: arbitrary bytes into the libsvm/libfm reader and format
 * detection (see fuzz_text.h); odd option bytes read 0-based libfm. */
#define FUZZ_FORMAT HEFT_FMT_LIBSVM
#include "fuzz_text.h"

static void fuzz_tweak(heft_read_opts *o, uint8_t flags)
{
    if (flags & 1)
        o->format = HEFT_FMT_LIBFM;
}
