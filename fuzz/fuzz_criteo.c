/* fuzz_criteo.c: arbitrary bytes into the criteo reader and format
 * detection (see fuzz_text.h). */
#define FUZZ_FORMAT HEFT_FMT_CRITEO
#include "fuzz_text.h"

static void fuzz_tweak(heft_read_opts *o, uint8_t flags)
{
    (void)o;
    (void)flags;
}
