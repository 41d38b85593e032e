/* fuzz_weightfile.c: feeds arbitrary bytes to the sidecar weight reader
 * (heft__weights_parse_mem, src/io/weightfile.h) for a data file of n rows,
 * n taken from the first byte, with and without allow_more. Any input
 * must parse into n finite weights >= 0 or fail with a status and a
 * message; never crash or read past the buffer. Corpus:
 * fuzz/corpus/fuzz_weightfile. */
#include "weightfile.h"

#include <math.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const size_t n = data[0] % 16;
    float w[16];
    heft_error e;
    for (int more = 0; more <= 1; more++) {
        if (heft__weights_parse_mem((const char *)data + 1, size - 1,
                                    "fuzz.weight", "fuzz.svm", n, more, w,
                                    &e) != HEFT_OK) {
            if (e.msg[0] == '\0')
                abort(); /* a failure always says why */
            continue;
        }
        for (size_t i = 0; i < n; i++)
            if (!(w[i] >= 0) || isinf(w[i]))
                abort(); /* only finite weights >= 0 get through */
    }
    return 0;
}
