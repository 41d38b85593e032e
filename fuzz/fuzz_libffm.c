/* fuzz_libffm.c: arbitrary bytes into the libffm reader and format
 * detection (see fuzz_text.h). */
#define FUZZ_FORMAT HEFT_FMT_LIBFFM
#include "fuzz_text.h"

static void fuzz_tweak(heft_read_opts *o, uint8_t flags)
{
    (void)o;
    (void)flags;
}
