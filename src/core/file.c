/* file.c: atomic output files (temporary name + rename) and whole-file
 * reads. */
#include "core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

heft_status heft__out_open(heft__outfile *o, const char *path,
                           heft_error *err)
{
    memset(o, 0, sizeof *o);
    size_t n = strlen(path) + 48;
    o->path = heft__strdup(path);
    o->tmp = malloc(n);
    if (!o->path || !o->tmp) {
        heft__out_abort(o);
        return heft__err(err, HEFT_ENOMEM, path, 0, 0, "out of memory");
    }
    snprintf(o->tmp, n, "%s.tmp.%ld", path, (long)getpid());
    o->fp = fopen(o->tmp, "wb");
    if (!o->fp) {
        int e = errno;
        free(o->tmp);
        o->tmp = NULL;
        heft__out_abort(o);
        return heft__err(err, HEFT_EIO, path, 0, 0,
                         "cannot create output file: %s", strerror(e));
    }
    return HEFT_OK;
}

void heft__out_write(heft__outfile *o, const void *p, size_t n)
{
    if (o->failed || !n)
        return;
    if (fwrite(p, 1, n, (FILE *)o->fp) != n)
        o->failed = errno ? errno : EIO;
}

heft_status heft__out_commit(heft__outfile *o, heft_error *err)
{
    FILE *fp = o->fp;
    int e = o->failed;
    o->fp = NULL;
    if (!e && fflush(fp) != 0)
        e = errno;
    if (!e && fsync(fileno(fp)) != 0 && errno != EINVAL && errno != EROFS)
        e = errno;
    if (fclose(fp) != 0 && !e)
        e = errno;
    if (!e && rename(o->tmp, o->path) != 0)
        e = errno;
    if (e) {
        heft__err(err, HEFT_EIO, o->path, 0, 0, "cannot write output: %s",
                  strerror(e));
        heft__out_abort(o);
        return HEFT_EIO;
    }
    free(o->tmp);
    o->tmp = NULL;
    heft__out_abort(o);
    return HEFT_OK;
}

void heft__out_abort(heft__outfile *o)
{
    if (o->fp) {
        fclose((FILE *)o->fp);
        o->fp = NULL;
    }
    if (o->tmp) {
        remove(o->tmp);
        free(o->tmp);
        o->tmp = NULL;
    }
    free(o->path);
    o->path = NULL;
}

heft_status heft__read_file(const char *path, void **buf, size_t *len,
                            heft_error *err)
{
    *buf = NULL;
    *len = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return heft__err(err, HEFT_EIO, path, 0, 0, "cannot open: %s",
                         strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    while (b) {
        size_t r = fread(b + n, 1, cap - n, fp);
        n += r;
        if (n < cap)
            break;
        char *nb = realloc(b, cap * 2);
        if (!nb) {
            free(b);
            b = NULL;
            break;
        }
        b = nb;
        cap *= 2;
    }
    int bad = b ? ferror(fp) : 0;
    fclose(fp);
    if (!b)
        return heft__err(err, HEFT_ENOMEM, path, 0, 0, "out of memory");
    if (bad) {
        free(b);
        return heft__err(err, HEFT_EIO, path, 0, 0, "read error");
    }
    *buf = b;
    *len = n;
    return HEFT_OK;
}
