/*
 * readbench.c: times heft_dataset_read() on one file, the reading benchmark
 * of bench/speed.sh (docs/benchmarks.md, "Reading").
 *
 *     readbench [--threads N] [--reps R] [--format F] FILE
 *
 * The file is first read once with plain read(2) so that every timed run
 * starts from the page cache: the figure is the parser's speed (text to CSR
 * arrays), not the disk's. Each of the R runs reads the whole file into a
 * heft_dataset and frees it; the median wall time is reported on one line:
 *
 *     bytes=B rows=N nnz=Z threads=T reps=R median_s=S mb_s=M rows_s=Q
 *
 * MB are 10^6 bytes of the file as stored. Uses only include/heft.h.
 * Exit status: 0 ok, 1 read error, 2 usage error.
 */
#include "heft.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define READBENCH_MAX_REPS 32

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Reads path once to pull it into the page cache; returns its size in
 * bytes, or -1 (with a message on stderr) when it cannot be read. */
static long long warm_cache(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        perror(path);
        return -1;
    }
    static char buf[1 << 20];
    long long total = 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        total += n;
    close(fd);
    if (n < 0) {
        perror(path);
        return -1;
    }
    return total;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int usage(void)
{
    fprintf(stderr, "usage: readbench [--threads N] [--reps R] "
                    "[--format F] FILE\n");
    return 2;
}

int main(int argc, char **argv)
{
    heft_read_opts ro = heft_read_opts_default();
    ro.threads = 1;
    int reps = 3;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            ro.threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
            if (heft_format_parse(argv[++i], &ro.format) != HEFT_OK)
                return usage();
        } else if (argv[i][0] == '-' || path)
            return usage();
        else
            path = argv[i];
    }
    if (!path || reps < 1 || reps > READBENCH_MAX_REPS || ro.threads < 0)
        return usage();

    const long long bytes = warm_cache(path);
    if (bytes < 0)
        return 1;
    double secs[READBENCH_MAX_REPS];
    heft_dataset_info info;
    memset(&info, 0, sizeof info);
    for (int r = 0; r < reps; r++) {
        heft_error err;
        heft_dataset *ds = NULL;
        const double t0 = now_s();
        const heft_status s = heft_dataset_read(path, &ro, &ds, &err);
        secs[r] = now_s() - t0;
        if (s != HEFT_OK) {
            char msg[1200];
            fprintf(stderr, "readbench: %s\n",
                    heft_error_format(&err, msg, sizeof msg));
            return 1;
        }
        heft_dataset_get_info(ds, &info);
        heft_dataset_free(ds);
    }
    qsort(secs, (size_t)reps, sizeof secs[0], cmp_double);
    const double med = reps % 2 ? secs[reps / 2]
                                : 0.5 * (secs[reps / 2 - 1] + secs[reps / 2]);
    printf("bytes=%lld rows=%llu nnz=%llu threads=%d reps=%d median_s=%.4f "
           "mb_s=%.1f rows_s=%.0f\n",
           bytes, (unsigned long long)info.rows, (unsigned long long)info.nnz,
           ro.threads, reps, med, (double)bytes / 1e6 / med,
           (double)info.rows / med);
    return 0;
}
