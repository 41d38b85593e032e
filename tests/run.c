/* run.c: runs the tests listed in tests/list_*.h, all or by name, and
 * closes with "N passed, N failed, N skipped". */
#include "test.h"

#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#define TEST(name) void test_##name(void);
#include "list_all.h"
#undef TEST

static const struct {
    const char *name;
    void (*fn)(void);
} tests[] = {
#define TEST(name) {#name, test_##name},
#include "list_all.h"
#undef TEST
};

static int cur_failed, cur_skipped;
static const char *cur_name;
static char tmpdir[512];
static char paths[16][1024];
static int path_slot;

void heft_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "  FAIL %s (%s:%d): ", cur_name, file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    cur_failed++;
}

void heft_test_skip(const char *why)
{
    fprintf(stderr, "  SKIP %s: %s\n", cur_name, why);
    cur_skipped = 1;
}

const char *heft_test_data_dir(void)
{
    static char buf[1024];
    const char *e = getenv("HEFT_DATA");
    snprintf(buf, sizeof buf, "%s", e && *e ? e : "../shared/data");
    struct stat st;
    return stat(buf, &st) == 0 && S_ISDIR(st.st_mode) ? buf : NULL;
}

const char *heft_test_data(const char *rel)
{
    const char *d = heft_test_data_dir();
    if (!d)
        return NULL;
    char *p = paths[path_slot++ % 16];
    snprintf(p, 1024, "%s/%s", d, rel);
    return access(p, R_OK) == 0 ? p : NULL;
}

const char *heft_test_tmpdir(void)
{
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/heft-test-XXXXXX");
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            exit(1);
        }
    }
    return tmpdir;
}

const char *heft_test_write(const char *name, const void *buf, size_t len)
{
    char *p = paths[path_slot++ % 16];
    snprintf(p, 1024, "%s/%s", heft_test_tmpdir(), name);
    FILE *fp = fopen(p, "wb");
    if (!fp || fwrite(buf, 1, len, fp) != len) {
        perror(p);
        exit(1);
    }
    fclose(fp);
    return p;
}

static void rm_tmpdir(void)
{
    if (tmpdir[0]) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmpdir);
        tmpdir[0] = '\0';
    }
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0, skipped = 0, ran = 0;
    size_t n = sizeof tests / sizeof tests[0];
    if (argc > 1 && !strcmp(argv[1], "--list")) {
        for (size_t i = 0; i < n; i++)
            printf("%s\n", tests[i].name);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        int want = argc <= 1;
        for (int a = 1; a < argc; a++)
            want |= !strcmp(argv[a], tests[i].name);
        if (!want)
            continue;
        ran++;
        cur_name = tests[i].name;
        cur_failed = cur_skipped = 0;
        tests[i].fn();
        rm_tmpdir();
        if (cur_failed) {
            failed++;
            fprintf(stderr, "FAIL %s\n", cur_name);
        } else if (cur_skipped) {
            skipped++;
        } else {
            passed++;
            if (getenv("HEFT_TEST_VERBOSE"))
                fprintf(stderr, "ok   %s\n", cur_name);
        }
    }
    if (argc > 1 && ran == 0) {
        fprintf(stderr, "no test matched\n");
        return 2;
    }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}
