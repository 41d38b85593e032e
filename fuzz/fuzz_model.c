/* fuzz_model.c: feeds arbitrary bytes to the model file loader
 * (heft_model_load_mem). Each input is loaded as it is, and then once more
 * with its header and payload checksums repaired (modelio.h), so mutations
 * reach the header, layout and schema checks behind the checksums. A model
 * that loads must predict a small dataset without reading out of bounds. */
#include "modelio.h"

#include <stdlib.h>

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Exercises a loaded model: its accessors and a prediction. */
static void use_model(const heft_model *m)
{
    static const uint64_t rp[3] = {0, 3, 5};
    static const uint32_t feat[5] = {0, 1, 1, 0, 1};
    static const float val[5] = {1, -2, 0.5f, 3, 1};
    static const uint16_t field[5] = {0, 1, 2, 0, 7};
    static const float label[2] = {1, 0};
    heft_dataset *ds = NULL;
    if (heft_dataset_from_csr(2, rp, feat, val, field, label, NULL, NULL, 1,
                              &ds, NULL) != HEFT_OK)
        return;
    float p[2];
    heft_read_opts ro;
    heft_model_read_opts(m, &ro);
    if (heft_model_num_params(m) == 0 || heft_model_epochs(m) < 0)
        abort();
    if (heft_predict(m, ds, p, 1, NULL) == HEFT_OK &&
        (p[0] < 0 || p[0] > 1 || p[1] < 0 || p[1] > 1))
        abort(); /* NaN passes: theta may hold NaN bytes */
    heft_dataset_free(ds);
}

static void load(const uint8_t *data, size_t size)
{
    heft_model *m = NULL;
    heft_error e;
    heft_status st = heft_model_load_mem(data, size, "fuzz", &m, &e);
    if ((st == HEFT_OK) != (m != NULL))
        abort();
    if (m)
        use_model(m);
    heft_model_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    load(data, size);
    if (size < HEFT__MODEL_HDR_SIZE + 8)
        return 0;
    unsigned char *b = malloc(size);
    if (!b)
        return 0;
    memcpy(b, data, size);
    put64(b + HEFT__MODEL_HDR_BODY, heft__checksum(b, HEFT__MODEL_HDR_BODY));
    /* Repair the payload checksum where the header's sizes fit the input;
     * n_params < size keeps the product from overflowing. */
    uint64_t np = get64(b + 64), slen = get64(b + 72);
    size_t room = size - HEFT__MODEL_HDR_SIZE - 8;
    if (slen <= room && np <= room / 4 && slen + 4 * np <= room) {
        const unsigned char *s = b + HEFT__MODEL_HDR_SIZE;
        uint64_t c = heft__model_payload_checksum(s, (size_t)slen, s + slen,
                                                  (size_t)(4 * np));
        put64(b + HEFT__MODEL_HDR_SIZE + slen + 4 * np, c);
    }
    load(b, size);
    free(b);
    return 0;
}
