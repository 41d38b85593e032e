/*
 * report_util.c: the arena that owns a report's memory and the text buffer
 * the writers append to, with HTML and JSON escaping.
 */
#include "report_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- arena --------------------------------------------------------------- */

/* Blocks of at least 64 KiB, chained; an allocation larger than a block
 * gets a block of its own. */
typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
} arena_block;

struct heft__arena {
    arena_block *head;
};

enum { ARENA_BLOCK = 64 * 1024 };

heft__arena *heft__arena_new(void)
{
    return calloc(1, sizeof(heft__arena));
}

void heft__arena_free(heft__arena *a)
{
    if (!a)
        return;
    arena_block *b = a->head;
    while (b) {
        arena_block *next = b->next;
        free(b);
        b = next;
    }
    free(a);
}

void *heft__arena_alloc(heft__arena *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    size_t bytes = (n * size + 15) & ~(size_t)15;
    if (!bytes)
        bytes = 16;
    arena_block *b = a->head;
    if (!b || b->cap - b->used < bytes) {
        size_t cap = bytes > ARENA_BLOCK ? bytes : ARENA_BLOCK;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->used = 0;
        b->cap = cap;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += bytes;
    memset(p, 0, bytes);
    return p;
}

char *heft__arena_strndup(heft__arena *a, const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *p = heft__arena_alloc(a, n + 1, 1);
    if (p)
        memcpy(p, s, n);
    return p;
}

char *heft__arena_strdup(heft__arena *a, const char *s)
{
    return s ? heft__arena_strndup(a, s, strlen(s)) : NULL;
}

char *heft__arena_printf(heft__arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = heft__arena_alloc(a, (size_t)n + 1, 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void *heft__arena_dup(heft__arena *a, const void *p, size_t n, size_t size)
{
    if (!p)
        return NULL;
    void *q = heft__arena_alloc(a, n, size);
    if (q && n)
        memcpy(q, p, n * size);
    return q;
}

/* ---- text buffer --------------------------------------------------------- */

static int sbuf_reserve(heft__sbuf *b, size_t more)
{
    if (b->failed)
        return 0;
    if (b->cap - b->len > more)
        return 1;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len <= more) {
        if (cap > SIZE_MAX / 2) {
            b->failed = 1;
            return 0;
        }
        cap *= 2;
    }
    char *s = realloc(b->s, cap);
    if (!s) {
        b->failed = 1;
        return 0;
    }
    b->s = s;
    b->cap = cap;
    return 1;
}

void heft__sbuf_put(heft__sbuf *b, const char *s, size_t n)
{
    if (!sbuf_reserve(b, n))
        return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void heft__sbuf_puts(heft__sbuf *b, const char *s)
{
    heft__sbuf_put(b, s, strlen(s));
}

void heft__sbuf_printf(heft__sbuf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        heft__sbuf_put(b, small, (size_t)n);
        return;
    }
    if (!sbuf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void heft__sbuf_html(heft__sbuf *b, const char *s)
{
    const char *run = s;
    for (; *s; s++) {
        const char *ent = NULL;
        switch (*s) {
        case '&': ent = "&amp;"; break;
        case '<': ent = "&lt;"; break;
        case '>': ent = "&gt;"; break;
        case '"': ent = "&quot;"; break;
        case '\'': ent = "&#39;"; break;
        default: continue;
        }
        heft__sbuf_put(b, run, (size_t)(s - run));
        heft__sbuf_puts(b, ent);
        run = s + 1;
    }
    heft__sbuf_put(b, run, (size_t)(s - run));
}

void heft__sbuf_json_str(heft__sbuf *b, const char *s)
{
    heft__sbuf_put(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            heft__sbuf_put(b, e, 2);
        } else if (*p < 0x20) {
            heft__sbuf_printf(b, "\\u%04x", *p);
        } else {
            heft__sbuf_put(b, (const char *)p, 1);
        }
    }
    heft__sbuf_put(b, "\"", 1);
}

void heft__sbuf_json_num(heft__sbuf *b, double v)
{
    if (!isfinite(v))
        heft__sbuf_puts(b, "null");
    else
        heft__sbuf_printf(b, "%.10g", v);
}

void heft__sbuf_free(heft__sbuf *b)
{
    free(b->s);
    memset(b, 0, sizeof *b);
}
