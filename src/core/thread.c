/* thread.c: a fork-join helper over pthreads. */
#include "core.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct task {
    heft__task_fn fn;
    void *ctx;
    int t, n;
} task;

static void *run_task(void *p)
{
    task *k = p;
    k->fn(k->ctx, k->t, k->n);
    return NULL;
}

heft_status heft__parallel(int n, heft__task_fn fn, void *ctx)
{
    if (n <= 1) {
        fn(ctx, 0, 1);
        return HEFT_OK;
    }
    pthread_t *th = heft__calloc((size_t)n, sizeof *th);
    task *tk = heft__calloc((size_t)n, sizeof *tk);
    char *started = heft__calloc((size_t)n, 1);
    if (!th || !tk || !started) {
        free(th);
        free(tk);
        free(started);
        for (int t = 0; t < n; t++)
            fn(ctx, t, n);
        return HEFT_ENOMEM;
    }
    heft_status st = HEFT_OK;
    for (int t = 1; t < n; t++) {
        tk[t] = (task){fn, ctx, t, n};
        started[t] = pthread_create(&th[t], NULL, run_task, &tk[t]) == 0;
    }
    fn(ctx, 0, n);
    for (int t = 1; t < n; t++) {
        if (started[t])
            pthread_join(th[t], NULL);
        else {
            /* Could not start: do its share here; the result is the same. */
            fn(ctx, t, n);
            st = HEFT_ENOMEM;
        }
    }
    free(th);
    free(tk);
    free(started);
    return st;
}

int heft__ncores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}

int heft__threads(int requested)
{
    if (requested <= 0)
        return heft__ncores();
    return requested > 64 ? 64 : requested;
}
