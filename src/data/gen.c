/*
 * gen.c: a synthetic e-commerce search/recommendation log with a known
 * generative model and planted defects (docs/gen.md has the full model).
 *
 * The log is a stream of requests. A request is a user (Zipf popularity)
 * on a search page (with a query, Zipf popularity) or a recommendation
 * page, at a time ts; it shows K = 5..20 items ranked by a noisy estimate
 * of their relevance, one row per displayed item. A row's click is drawn
 * from a position-based examination model (Richardson et al. 2007; Craswell
 * et al. 2008) over a latent-factor relevance model (Koren et al. 2009):
 *
 *     P(click) = exam(pos) * sigmoid(z),    exam(pos) = pos^-0.7
 *     z = b0 + b_user + 0.7 <u_user, v_item> / sqrt(D) + q_item
 *         + intent match + price, discount, rating, badge, shipping terms
 *         + hour, weekend, device, A/B bucket and page terms
 *
 * Users, items and queries are never stored: every attribute of entity id
 * is a pure function of a hash of (seed, kind, id), so memory does not
 * depend on rows, users or items. Zipf ranks are drawn by rejection-
 * inversion (Hormann & Derflinger 1996), which needs no tables either.
 *
 * Defects (written to the truth file as "ROW\tKIND"):
 *   dup   each row slot is, with probability dups, an exact copy of one of
 *         the last 64 real rows (first row excepted);
 *   bot   users with hash-uniform < bots are bots: their rows click with
 *         probability 0.5 whatever the features;
 *   flip  each other row has its label flipped with probability flip.
 */
#include "dataset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define D 8          /* latent dimension                      */
#define MAXK 20      /* most items shown per request          */
#define NNUM 13      /* numeric fields                        */
#define NCAT 26      /* categorical fields                    */
#define RING 64      /* recent rows kept for duplicates       */
#define LINE_CAP 1024
#define T0 1700000000.0     /* 2023-11-14 22:13:20 UTC, a Tuesday */
#define SPAN (14 * 86400.0) /* the log covers two weeks           */
#define BOT_CTR 0.5

heft_gen_opts heft_gen_opts_default(void)
{
    heft_gen_opts o;
    memset(&o, 0, sizeof o);
    o.rows = 100000;
    o.seed = 1;
    o.users = 100000;
    o.items = 50000;
    o.queries = 20000;
    o.format = HEFT_GEN_TSV;
    return o;
}

/* ---- hashed randomness for entities ------------------------------------ */

enum { K_USER = 1, K_ITEM, K_QUERY, K_CAT };

/* The k-th random 64-bit word of entity (kind, id) under seed. */
static inline uint64_t eh(uint64_t seed, uint64_t kind, uint64_t id,
                          uint64_t k)
{
    return heft__mix64(seed ^ heft__mix64((kind << 56) ^ (k << 40) ^ id));
}

static inline double h_unif(uint64_t h)
{
    return (double)(h >> 11) * 0x1.0p-53;
}

/* Approximately standard normal from one hash: the Irwin-Hall sum of four
 * 16-bit uniforms, centred and scaled to unit variance (range +-3.46). */
static inline double h_normal(uint64_t h)
{
    double s = 0;
    for (int i = 0; i < 4; i++, h >>= 16)
        s += (double)(h & 0xffff) * (1.0 / 65536.0);
    return (s - 2.0) * 1.7320508075688772;
}

/* ---- Zipf ranks by rejection-inversion (Hormann & Derflinger 1996) ----- */

typedef struct zipf {
    double n, s, hx1, hn, sthr;
} zipf;

static double helper1(double x)
{
    return fabs(x) > 1e-8 ? log1p(x) / x
                          : 1 - x * (0.5 - x * (1 / 3.0 - 0.25 * x));
}

static double helper2(double x)
{
    return fabs(x) > 1e-8 ? expm1(x) / x
                          : 1 + x * 0.5 * (1 + x * (1 / 3.0) * (1 + 0.25 * x));
}

static double zh(const zipf *z, double x) { return exp(-z->s * log(x)); }

static double zH(const zipf *z, double x)
{
    double lx = log(x);
    return helper2((1 - z->s) * lx) * lx;
}

static double zHinv(const zipf *z, double x)
{
    double t = x * (1 - z->s);
    if (t < -1)
        t = -1;
    return exp(helper1(t) * x);
}

static void zipf_init(zipf *z, uint64_t n, double s)
{
    z->n = (double)n;
    z->s = s;
    z->hx1 = zH(z, 1.5) - 1;
    z->hn = zH(z, z->n + 0.5);
    z->sthr = 2 - zHinv(z, zH(z, 2.5) - zh(z, 2));
}

/* A rank in 0..n-1 (0 the most popular). */
static uint64_t zipf_draw(const zipf *z, heft__rng *r)
{
    for (;;) {
        double u = z->hn + heft__rng_uniform(r) * (z->hx1 - z->hn);
        double x = zHinv(z, u);
        double k = floor(x + 0.5);
        if (k < 1)
            k = 1;
        else if (k > z->n)
            k = z->n;
        if (k - x <= z->sthr || u >= zH(z, k + 0.5) - zh(z, k))
            return (uint64_t)k - 1;
    }
}

/* ---- entities ---------------------------------------------------------- */

static const char *const COUNTRY[] = {"us", "de", "gb", "fr", "jp", "br",
                                      "in", "it", "es", "ca", "nl", "pl"};
static const char *const LANG[] = {"en", "de", "en", "fr", "ja", "pt",
                                   "hi", "it", "es", "en", "nl", "pl"};
static const char *const GENDER[] = {"f", "m", "u"};
static const char *const AGEGRP[] = {"18-24", "25-34", "35-44", "45-54", "55+"};
static const char *const SEGMENT[] = {"new", "bargain", "casual", "premium",
                                      "loyal"};
static const char *const DEVICE[] = {"mobile", "desktop", "tablet"};
static const char *const OS[3][3] = {{"android", "ios", "android"},
                                     {"windows", "macos", "linux"},
                                     {"ipados", "android", "ipados"}};
static const char *const BROWSER[] = {"app", "chrome", "safari", "firefox",
                                      "edge"};
static const char *const COLOR[] = {"none", "black", "white", "red",
                                    "blue", "green", "grey", "pink",
                                    "brown", "yellow", "silver", "gold"};
static const char *const BADGE[] = {"none", "bestseller", "new"};
static const char *const SHIP[] = {"standard", "free", "express"};
static const char *const DAY[] = {"thu", "fri", "sat", "sun",
                                  "mon", "tue", "wed"}; /* day 0 = 1970-01-01 */

typedef struct user {
    uint32_t id, fav, region, city;
    int bot, gender, age_group, country, lang, device, os, segment, ab;
    double age_days, clicks, orders, price_sens, bias;
    double u[D];
} user;

typedef struct item {
    uint32_t id, cat, sub, brand, seller;
    int color, badge, ship;
    double price, mprice, disc, rating, reviews, q, age, ctr;
    double v[D];
} item;

typedef struct query {
    uint32_t id, cat;
    double len, results;
} query;

/* Index below n from a hash whose square skews it to small values. */
static inline int skewed(uint64_t h, int n)
{
    double u = h_unif(h);
    return (int)(u * u * n);
}

static void make_user(uint64_t seed, uint32_t id, double bots, uint32_t ncat,
                      user *u)
{
#define H(k) eh(seed, K_USER, id, (k))
    u->id = id;
    u->bot = h_unif(H(0)) < bots;
    u->age_days = 1 + floor(2500 * pow(h_unif(H(1)), 1.5));
    double g = h_unif(H(2));
    u->gender = g < 0.45 ? 0 : g < 0.85 ? 1 : 2;
    u->age_group = h_unif(H(3)) < 0.2 ? -1 : skewed(H(4), 5);
    u->country = skewed(H(5), 12);
    u->lang = h_unif(H(6)) < 0.9 ? u->country : 0;
    u->region = (uint32_t)(H(7) % 10);
    u->city = (uint32_t)(H(8) % 50);
    double d = h_unif(H(9));
    u->device = d < 0.6 ? 0 : d < 0.9 ? 1 : 2;
    u->os = (int)(H(10) % 3);
    u->segment = u->age_days < 30 ? 0 : 1 + (int)(H(11) % 4);
    u->ab = (int)(H(12) & 1);
    u->price_sens = 1.0 + 0.3 * h_normal(H(13)) +
                    (u->segment == 1 ? 0.6 : u->segment == 3 ? -0.6 : 0);
    u->bias = 0.4 * h_normal(H(14));
    u->fav = (uint32_t)(H(15) % ncat);
    u->clicks = u->bot ? 150 + floor(400 * h_unif(H(16)))
                       : floor(exp(1.5 + h_normal(H(16))));
    u->orders = floor(u->clicks * 0.15 * h_unif(H(17)));
    for (int k = 0; k < D; k++)
        u->u[k] = h_normal(H(32 + k));
#undef H
}

static void make_item(uint64_t seed, uint32_t id, uint32_t ncat, item *it)
{
#define H(k) eh(seed, K_ITEM, id, (k))
    it->id = id;
    it->cat = id % ncat;
    uint32_t rank = id / ncat; /* popularity rank within the category */
    it->sub = it->cat * 8 + (uint32_t)(H(0) % 8);
    it->brand = (it->cat * 37 + (uint32_t)skewed(H(1), 60)) % 1000;
    it->seller = (uint32_t)(H(2) % 5000);
    it->mprice = exp(2.5 + 2.0 * h_unif(eh(seed, K_CAT, it->cat, 0)));
    it->price = fmax(0.99, floor(it->mprice * exp(0.5 * h_normal(H(3)))) +
                               0.99);
    double dd = h_unif(H(4));
    it->disc = dd < 0.7 ? 0 : 5.0 * (1 + (int)((dd - 0.7) / 0.3 * 8));
    it->q = 0.5 * h_normal(H(5));
    it->reviews =
        floor(2000.0 / pow(rank + 1.0, 0.7) * exp(0.7 * h_normal(H(6))));
    double rt = 3.9 + 0.6 * it->q + 0.3 * h_normal(H(7));
    it->rating = it->reviews < 1 ? NAN
                                 : floor(fmin(5, fmax(1, rt)) * 10 + 0.5) / 10;
    it->age = 1 + floor(1500 * h_unif(H(8)));
    it->ctr = it->age < 7 ? NAN
                          : 1 / (1 + exp(3.0 - it->q - 0.5 * h_normal(H(9))));
    it->color = (int)(H(10) % 12);
    it->badge = rank < 3 ? 1 : it->age < 30 ? 2 : 0;
    double s = h_unif(H(11));
    it->ship = s < 0.3 ? 0 : s < 0.9 ? 1 : 2;
    for (int k = 0; k < D; k++)
        it->v[k] = h_normal(H(32 + k));
#undef H
}

static void make_query(uint64_t seed, uint32_t id, uint32_t ncat, query *q)
{
#define H(k) eh(seed, K_QUERY, id, (k))
    q->id = id;
    q->cat = (uint32_t)(H(0) % ncat);
    q->len = 1 + floor(5 * pow(h_unif(H(1)), 1.5));
    q->results = floor(exp(3 + 5 * h_unif(H(2))));
#undef H
}

/* ---- the generator state ----------------------------------------------- */

typedef struct sink {
    heft__outfile of;
    FILE *fp; /* stdout for "-", else of.fp */
    char *buf;
    size_t n;
} sink;

typedef struct request {
    uint64_t id;
    int search, device, os, browser, hour, weekend;
    double ts;
    user u;
    query q;
    int k;
    item it[MAXK];
    double z[MAXK];
} request;

typedef struct gen {
    const heft_gen_opts *o;
    heft__rng rng;
    uint32_t ncat;
    zipf zu, zq, zi;
    uint64_t row;
    request req;
    char line[LINE_CAP];
    char ring[RING][LINE_CAP];
    uint16_t ring_len[RING];
    int ring_n, ring_at;
    uint64_t n_dup, n_bot, n_flip;
} gen;

#define SINK_CAP ((size_t)1 << 20)

static void sink_flush(sink *s)
{
    if (!s->n)
        return;
    if (s->of.fp)
        heft__out_write(&s->of, s->buf, s->n);
    else if (fwrite(s->buf, 1, s->n, s->fp) != s->n)
        s->of.failed = 1;
    s->n = 0;
}

static void sink_put(sink *s, const char *p, size_t n)
{
    if (s->n + n > SINK_CAP)
        sink_flush(s);
    memcpy(s->buf + s->n, p, n);
    s->n += n;
}

/* ---- request generation ------------------------------------------------ */

static const double b0 = -2.3;

/* The true relevance logit z of item it in request r (no position, no
 * bot): the model in docs/gen.md, term by term. */
static double relevance(const request *r, const item *it)
{
    const user *u = &r->u;
    double dot = 0;
    for (int k = 0; k < D; k++)
        dot += u->u[k] * it->v[k];
    double z = b0 + u->bias + 0.7 * dot / sqrt((double)D) + it->q;
    if (r->search)
        z += it->cat == r->q.cat ? 0.8 : -0.4;
    else
        z += it->cat == u->fav ? 0.4 : 0.0;
    z -= 0.5 * u->price_sens * (log(it->price) - log(it->mprice));
    z += 1.5 * it->disc / 100;
    z += isnan(it->rating) ? -0.1 : 0.25 * (it->rating - 4);
    z += it->badge == 1 ? 0.3 : it->badge == 2 ? 0.15 : 0;
    z += it->ship == 1 ? 0.15 : it->ship == 2 ? 0.05 : 0;
    z += 0.15 * cos(6.283185307179586 * (r->hour - 20) / 24.0);
    z += r->weekend ? 0.1 : 0;
    z += r->device == 1 ? 0.1 : r->device == 2 ? -0.05 : 0;
    z += u->ab ? 0.08 : 0;
    z += r->search ? 0 : -0.3;
    return z;
}

/* An item of category cat by popularity within the category. */
static uint32_t draw_item(gen *g, uint32_t cat)
{
    for (;;) {
        uint64_t rank = zipf_draw(&g->zi, &g->rng);
        uint64_t id = rank * g->ncat + cat;
        if (id < g->o->items)
            return (uint32_t)id;
    }
}

static void new_request(gen *g)
{
    request *r = &g->req;
    const heft_gen_opts *o = g->o;
    uint64_t seed = o->seed;
    r->id++;
    make_user(seed, (uint32_t)zipf_draw(&g->zu, &g->rng), o->bots, g->ncat,
              &r->u);
    r->search = heft__rng_uniform(&g->rng) < 0.8;
    make_query(seed, (uint32_t)zipf_draw(&g->zq, &g->rng), g->ncat, &r->q);
    r->device = heft__rng_uniform(&g->rng) < 0.85
                    ? r->u.device
                    : (int)heft__rng_below(&g->rng, 3);
    r->os = r->u.os;
    r->browser = r->device == 0 && (r->u.id & 1) ? 0
                                                 : 1 + (int)(r->u.id >> 1) % 4;
    r->ts = floor(T0 + SPAN * (double)g->row / (double)o->rows);
    int64_t t = (int64_t)r->ts;
    r->hour = (int)(t / 3600 % 24);
    int day = (int)(t / 86400 % 7);
    r->weekend = day == 2 || day == 3;
    r->k = 5 + (int)heft__rng_below(&g->rng, MAXK - 4);
    double score[MAXK];
    for (int j = 0; j < r->k; j++) {
        uint32_t want = r->search ? r->q.cat : r->u.fav;
        uint32_t cat = heft__rng_uniform(&g->rng) < (r->search ? 0.8 : 0.6)
                           ? want
                           : (uint32_t)heft__rng_below(&g->rng, g->ncat);
        make_item(seed, draw_item(g, cat), g->ncat, &r->it[j]);
        r->z[j] = relevance(r, &r->it[j]);
        score[j] = r->z[j] + heft__rng_normal(&g->rng);
    }
    /* The ranker's order: by noisy score, best first (insertion sort). */
    for (int j = 1; j < r->k; j++)
        for (int i = j; i > 0 && score[i] > score[i - 1]; i--) {
            double s = score[i];
            score[i] = score[i - 1], score[i - 1] = s;
            double z = r->z[i];
            r->z[i] = r->z[i - 1], r->z[i - 1] = z;
            item t2 = r->it[i];
            r->it[i] = r->it[i - 1], r->it[i - 1] = t2;
        }
}

/* ---- formatting -------------------------------------------------------- */

static inline char *put_str(char *p, const char *s)
{
    while (*s)
        *p++ = *s++;
    return p;
}

static inline char *put_u64(char *p, uint64_t v)
{
    char t[20];
    int n = 0;
    do
        t[n++] = (char)('0' + v % 10);
    while (v /= 10);
    while (n)
        *p++ = t[--n];
    return p;
}

/* v >= 0 with dec decimals (0..4). */
static char *put_fixed(char *p, double v, int dec)
{
    static const uint64_t p10[] = {1, 10, 100, 1000, 10000};
    uint64_t s = (uint64_t)llround(v * (double)p10[dec]);
    p = put_u64(p, s / p10[dec]);
    if (dec) {
        *p++ = '.';
        uint64_t f = s % p10[dec];
        for (uint64_t d = p10[dec] / 10; d; d /= 10)
            *p++ = (char)('0' + f / d % 10);
    }
    return p;
}

static const char *const NUM_NAME[NNUM] = {
    "position", "ts", "price", "discount_pct", "item_rating",
    "item_reviews", "item_ctr_hist", "item_age_days", "user_age_days",
    "user_clicks_30d", "user_orders_30d", "query_len", "results_count"};
static const int NUM_DEC[NNUM] = {0, 0, 2, 0, 1, 0, 4, 0, 0, 0, 0, 0, 0};
static const double NUM_MUL[NNUM] = {1, 1, 1, 1, 10, 1, 1000,
                                     1, 1, 1, 1, 1, 1};
static const char *const CAT_NAME[NCAT] = {
    "user_id", "item_id", "query_id", "request_id", "category",
    "subcategory", "brand", "seller", "item_color", "item_badge",
    "shipping", "device", "os", "browser", "country", "region", "city",
    "language", "hour", "day", "page_type", "user_segment", "user_gender",
    "user_age_group", "query_category", "ab_bucket"};

/* The 13 numeric values of displayed item j (NAN = missing). */
static void numeric_values(const request *r, int j, double *v)
{
    const item *it = &r->it[j];
    v[0] = j + 1;
    v[1] = r->ts;
    v[2] = it->price;
    v[3] = it->disc;
    v[4] = it->rating;
    v[5] = it->reviews;
    v[6] = it->ctr;
    v[7] = it->age;
    v[8] = r->u.age_days;
    v[9] = r->u.clicks;
    v[10] = r->u.orders;
    v[11] = r->search ? r->q.len : NAN;
    v[12] = r->search ? r->q.results : NAN;
}

/* Writes categorical field f of item j as a readable token; returns the
 * end (p itself when the value is missing). */
static char *cat_token(const request *r, int j, int f, char *p)
{
    const item *it = &r->it[j];
    const user *u = &r->u;
    switch (f) {
    case 0: *p++ = 'u'; return put_u64(p, u->id);
    case 1: *p++ = 'i'; return put_u64(p, it->id);
    case 2: if (!r->search) return p;
            *p++ = 'q'; return put_u64(p, r->q.id);
    case 3: *p++ = 'r'; return put_u64(p, r->id);
    case 4: *p++ = 'c'; return put_u64(p, it->cat);
    case 5: *p++ = 's'; return put_u64(p, it->sub);
    case 6: *p++ = 'b'; return put_u64(p, it->brand);
    case 7: *p++ = 'v'; return put_u64(p, it->seller);
    case 8: return put_str(p, COLOR[it->color]);
    case 9: return put_str(p, BADGE[it->badge]);
    case 10: return put_str(p, SHIP[it->ship]);
    case 11: return put_str(p, DEVICE[r->device]);
    case 12: return put_str(p, OS[r->device][r->os]);
    case 13: return put_str(p, BROWSER[r->browser]);
    case 14: return put_str(p, COUNTRY[u->country]);
    case 15: case 16:
        p = put_str(p, COUNTRY[u->country]);
        p = put_u64(put_str(p, "-r"), u->region);
        return f == 15 ? p : put_u64(put_str(p, "-c"), u->city);
    case 17: return put_str(p, LANG[u->lang]);
    case 18: *p++ = 'h'; return put_u64(p, (uint64_t)r->hour);
    case 19: return put_str(p, DAY[(int64_t)r->ts / 86400 % 7]);
    case 20: return put_str(p, r->search ? "search" : "reco");
    case 21: return put_str(p, SEGMENT[u->segment]);
    case 22: return put_str(p, GENDER[u->gender]);
    case 23: return u->age_group < 0 ? p : put_str(p, AGEGRP[u->age_group]);
    case 24: if (!r->search) return p;
             return put_u64(put_str(p, "qc"), r->q.cat);
    default: return put_str(p, u->ab ? "B" : "A");
    }
}

/* Formats displayed item j with its click into g->line; returns length. */
static size_t format_row(gen *g, int j, int click)
{
    const int criteo = g->o->format == HEFT_GEN_CRITEO;
    char *p = g->line;
    *p++ = click ? '1' : '0';
    double v[NNUM];
    numeric_values(&g->req, j, v);
    for (int f = 0; f < NNUM; f++) {
        *p++ = '\t';
        if (!isnan(v[f]))
            p = criteo ? put_u64(p, (uint64_t)llround(v[f] * NUM_MUL[f]))
                       : put_fixed(p, v[f], NUM_DEC[f]);
    }
    static const char hex[] = "0123456789abcdef";
    for (int f = 0; f < NCAT; f++) {
        *p++ = '\t';
        char *e = cat_token(&g->req, j, f, p);
        if (criteo && e != p) {
            uint32_t h = (uint32_t)heft__hash_bytes(p, (size_t)(e - p),
                                                    (uint64_t)f + 1);
            for (int k = 7; k >= 0; k--)
                *p++ = hex[(h >> (4 * k)) & 15];
        } else {
            p = e;
        }
    }
    *p++ = '\n';
    return (size_t)(p - g->line);
}

static void put_header(sink *s)
{
    char h[1024], *p = put_str(h, "click");
    for (int f = 0; f < NNUM; f++)
        p = put_str(put_str(p, "\t"), NUM_NAME[f]);
    for (int f = 0; f < NCAT; f++)
        p = put_str(put_str(p, "\t"), CAT_NAME[f]);
    *p++ = '\n';
    sink_put(s, h, (size_t)(p - h));
}

/* ---- the stream -------------------------------------------------------- */

static void put_truth(gen *g, sink *truth, const char *kind)
{
    if (!truth)
        return;
    char t[48], *p = put_u64(t, g->row);
    *p++ = '\t';
    p = put_str(p, kind);
    *p++ = '\n';
    sink_put(truth, t, (size_t)(p - t));
}

/* Emits an exact copy of a recent row. */
static void emit_dup(gen *g, sink *data, sink *truth)
{
    int k = (int)heft__rng_below(&g->rng, (uint64_t)g->ring_n);
    int at = (g->ring_at - 1 - k + RING) % RING;
    sink_put(data, g->ring[at], g->ring_len[at]);
    put_truth(g, truth, "dup");
    g->n_dup++;
    g->row++;
}

/* Draws the click of displayed item j, applies the defects and emits it. */
static void emit_row(gen *g, int j, sink *data, sink *truth)
{
    const request *r = &g->req;
    double u = heft__rng_uniform(&g->rng), f = heft__rng_uniform(&g->rng);
    const char *kind = NULL;
    int click;
    if (r->u.bot) {
        click = u < BOT_CTR;
        kind = "bot";
        g->n_bot++;
    } else {
        double exam = pow((double)(j + 1), -0.7);
        click = u < exam / (1 + exp(-r->z[j]));
        if (f < g->o->flip) {
            click = !click;
            kind = "flip";
            g->n_flip++;
        }
    }
    size_t n = format_row(g, j, click);
    sink_put(data, g->line, n);
    memcpy(g->ring[g->ring_at], g->line, n);
    g->ring_len[g->ring_at] = (uint16_t)n;
    g->ring_at = (g->ring_at + 1) % RING;
    if (g->ring_n < RING)
        g->ring_n++;
    if (kind)
        put_truth(g, truth, kind);
    g->row++;
}

static void run(gen *g, sink *data, sink *truth)
{
    const heft_gen_opts *o = g->o;
    if (o->format == HEFT_GEN_TSV)
        put_header(data);
    uint64_t next_report = (uint64_t)1 << 20;
    while (g->row < o->rows) {
        new_request(g);
        for (int j = 0; j < g->req.k && g->row < o->rows; j++) {
            while (g->row < o->rows && g->ring_n &&
                   heft__rng_uniform(&g->rng) < o->dups)
                emit_dup(g, data, truth);
            if (g->row < o->rows)
                emit_row(g, j, data, truth);
        }
        if (o->progress && g->row >= next_report) {
            o->progress(o->progress_ud, "gen", g->row, o->rows);
            next_report += (uint64_t)1 << 20;
        }
    }
    if (o->progress)
        o->progress(o->progress_ud, "gen", g->row, o->rows);
}

static heft_status check_gen_opts(const heft_gen_opts *o, heft_error *err)
{
    const char *bad = NULL;
    if (o->rows < 1)
        bad = "rows must be at least 1";
    else if (!(o->flip >= 0 && o->flip <= 1))
        bad = "flip must be a share in [0, 1]";
    else if (!(o->bots >= 0 && o->bots <= 1))
        bad = "bots must be a share in [0, 1]";
    else if (!(o->dups >= 0 && o->dups < 1))
        bad = "dups must be a share in [0, 1)";
    else if (o->users < 1 || o->items < 1 || o->queries < 1)
        bad = "users, items and queries must each be at least 1";
    else if (o->format != HEFT_GEN_TSV && o->format != HEFT_GEN_CRITEO)
        bad = "format must be HEFT_GEN_TSV or HEFT_GEN_CRITEO";
    return bad ? heft__err(err, HEFT_EINVAL, NULL, 0, 0, "%s", bad) : HEFT_OK;
}

static heft_status sink_open(sink *s, const char *path, heft_error *err)
{
    memset(s, 0, sizeof *s);
    if (!(s->buf = malloc(SINK_CAP)))
        return heft__err(err, HEFT_ENOMEM, path, 0, 0, "out of memory");
    if (!strcmp(path, "-")) {
        s->fp = stdout;
        return HEFT_OK;
    }
    heft_status st = heft__out_open(&s->of, path, err);
    if (st != HEFT_OK) {
        free(s->buf);
        s->buf = NULL;
    }
    return st;
}

static heft_status sink_close(sink *s, const char *path, int commit,
                              heft_error *err)
{
    heft_status st = HEFT_OK;
    if (!s->buf)
        return st;
    if (commit)
        sink_flush(s);
    if (s->of.fp) {
        if (commit)
            st = heft__out_commit(&s->of, err);
        else
            heft__out_abort(&s->of);
    } else if (commit && (s->of.failed || fflush(s->fp) != 0)) {
        st = heft__err(err, HEFT_EIO, path, 0, 0, "cannot write output");
    }
    free(s->buf);
    s->buf = NULL;
    return st;
}

heft_status heft_gen(const char *path, const char *truth_path,
                     const heft_gen_opts *o, heft_error *err)
{
    if (!path || !o)
        return heft__err(err, HEFT_EINVAL, NULL, 0, 0,
                         "path or options are NULL");
    heft_status st = check_gen_opts(o, err);
    if (st != HEFT_OK)
        return st;
    gen *g = calloc(1, sizeof *g);
    if (!g)
        return heft__err(err, HEFT_ENOMEM, path, 0, 0, "out of memory");
    g->o = o;
    heft__rng_seed(&g->rng, heft__seed_mix(o->seed, 0x67656e /* "gen" */));
    uint32_t nc = o->items / 50;
    g->ncat = nc < 1 ? 1 : nc > 64 ? 64 : nc;
    zipf_init(&g->zu, o->users, 0.8);
    zipf_init(&g->zq, o->queries, 1.0);
    zipf_init(&g->zi, (o->items + g->ncat - 1) / g->ncat, 1.0);
    sink data, truth;
    memset(&truth, 0, sizeof truth);
    st = sink_open(&data, path, err);
    if (st == HEFT_OK && truth_path &&
        (st = sink_open(&truth, truth_path, err)) != HEFT_OK)
        sink_close(&data, path, 0, err);
    if (st == HEFT_OK) {
        run(g, &data, truth_path ? &truth : NULL);
        st = sink_close(&data, path, 1, err);
        if (truth_path) {
            heft_status s2 = sink_close(&truth, truth_path, st == HEFT_OK, err);
            st = st != HEFT_OK ? st : s2;
        }
    }
    free(g);
    return st;
}
