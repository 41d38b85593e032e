/* status.c: status codes, error messages and checked allocation. */
#include "core.h"

#include <stdio.h>
#include <stdlib.h>

const char *heft_version(void) { return HEFT_VERSION_STRING; }

const char *heft_err_name(heft_status s)
{
    switch (s) {
    case HEFT_OK: return "OK";
#define HEFT__NAME(name, val, msg) case HEFT_##name: return #name;
        HEFT_ERRNO_MAP(HEFT__NAME)
#undef HEFT__NAME
    }
    return "UNKNOWN";
}

const char *heft_strerror(heft_status s)
{
    switch (s) {
    case HEFT_OK: return "success";
#define HEFT__MSG(name, val, msg) case HEFT_##name: return msg;
        HEFT_ERRNO_MAP(HEFT__MSG)
#undef HEFT__MSG
    }
    return "unknown error";
}

void heft__err_clear(heft_error *err)
{
    if (!err)
        return;
    err->code = HEFT_OK;
    err->file[0] = '\0';
    err->line = 0;
    err->column = 0;
    err->msg[0] = '\0';
}

heft_status heft__verr(heft_error *err, heft_status code, const char *file,
                       uint64_t line, uint32_t col, const char *fmt,
                       va_list ap)
{
    if (!err)
        return code;
    err->code = code;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    err->line = line;
    err->column = col;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    return code;
}

heft_status heft__err(heft_error *err, heft_status code, const char *file,
                      uint64_t line, uint32_t col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    heft__verr(err, code, file, line, col, fmt, ap);
    va_end(ap);
    return code;
}

void heft__logf(heft_log_fn log, void *ud, const char *fmt, ...)
{
    if (!log)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    log(ud, line);
}

char *heft_error_format(const heft_error *e, char *buf, size_t cap)
{
    if (!cap)
        return buf;
    size_t n = 0;
    buf[0] = '\0';
    if (e->file[0]) {
        n += (size_t)snprintf(buf + n, cap - n, "%s:", e->file);
        if (n < cap && e->line)
            n += (size_t)snprintf(buf + n, cap - n, "%llu:",
                                  (unsigned long long)e->line);
        if (n < cap && e->line && e->column)
            n += (size_t)snprintf(buf + n, cap - n, "%u:", e->column);
        if (n < cap)
            n += (size_t)snprintf(buf + n, cap - n, " ");
    }
    if (n < cap)
        snprintf(buf + n, cap - n, "%s",
                 e->msg[0] ? e->msg : heft_strerror(e->code));
    return buf;
}

void *heft__malloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    size_t bytes = n * size;
    return malloc(bytes ? bytes : 1);
}

void *heft__calloc(size_t n, size_t size)
{
    return calloc(n ? n : 1, size ? size : 1);
}

void *heft__realloc(void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    size_t bytes = n * size;
    return realloc(p, bytes ? bytes : 1);
}

char *heft__strndup(const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

char *heft__strdup(const char *s)
{
    return s ? heft__strndup(s, strlen(s)) : NULL;
}
