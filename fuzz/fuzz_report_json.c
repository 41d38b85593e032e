/* fuzz_report_json.c: feeds arbitrary bytes to the report's strict JSON
 * reader and, when they parse, to the run-file loaders and both writers
 * (heft__report_load_mem, docs/run-dir.md). Any input must either give a
 * report whose HTML and JSON are written in full, or fail with an error
 * code and *out left NULL; never crash. The input is also read a second
 * time as the members of a run file whose command its first byte picks
 * ({"command": C, REST), so that mutations of the members reach every
 * loader without having to keep the command intact. Corpus: fuzz/corpus/fuzz_report_json (the
 * run files of tests/report/fixtures and damaged copies). */
#include "report_int.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void render(const heft__report *r)
{
    heft__sbuf b = {0};
    heft__report_html(r, &b);
    heft__report_json(r, &b);
    if (b.failed)
        abort(); /* only allocation failure could cause it */
    heft__sbuf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    heft__report *r = (heft__report *)&r;
    heft_error e;
    if (heft__report_load_mem((const char *)data, size, "fuzz.json", &r,
                              &e) == HEFT_OK) {
        render(r);
        heft__report_free(r);
    } else if (r != NULL) {
        abort(); /* *out must be NULL on failure */
    }
    if (size < 1)
        return 0;
    /* The rest of the bytes as the members of a run file of one command. */
    static const char *const cmds[] = {
        "bench noise", "bench removal", "bench prune", "bench addition",
        "bench agreement", "eval", "audit", "features", "score", "select"};
    const char *cmd = cmds[data[0] % (sizeof cmds / sizeof cmds[0])];
    heft__sbuf w = {0};
    heft__sbuf_printf(&w, "{\"command\": \"%s\", ", cmd);
    heft__sbuf_put(&w, (const char *)data + 1, size - 1);
    if (!w.failed && heft__report_load_mem(w.s, w.len, "fuzz.json", &r,
                                           &e) == HEFT_OK) {
        render(r);
        heft__report_free(r);
    }
    heft__sbuf_free(&w);
    return 0;
}
