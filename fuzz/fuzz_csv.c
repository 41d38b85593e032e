/* fuzz_csv.c: arbitrary bytes into the csv/avazu reader and format
 * detection (see fuzz_text.h); odd option bytes add a multi-valued column
 * and a group column. */
#define FUZZ_FORMAT HEFT_FMT_CSV
#include "fuzz_text.h"

static void fuzz_tweak(heft_read_opts *o, uint8_t flags)
{
    if (flags & 1) {
        o->multi_cols = "tags:|";
        o->group_col = "q";
    }
}
