/*  dp_claude.c — Claude as a negotiation side (see header).

    Request: system prompt (role, own limits, rules, public deal text),
    one user message (the public offer history and the engine's
    suggestion), the strict tool `submit_move` forced through tool_choice.
    Response: the tool_use input, or JSON found in text blocks. */

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "dp_claude.h"
#include "dp_engine_builtin.h"
#include "dp_log.h"
#include "dp_sha256.h"

#define DEFAULT_BASE_URL "https://api.anthropic.com"
#define KEY_MAX 512

struct dp_claude_t {
    char *base_url;
    char *url;                  //  base_url + /v1/messages
    char key [KEY_MAX + 1];
    char model [96];
    int connect_timeout_ms, request_timeout_ms, turn_budget_ms, max_retries, max_tokens;
    int64_t interval_ms;        //  rate limit spacing
    size_t max_response;
    dp_negotiate_sleep_fn *sleep;
    void *sleep_arg;
    pthread_mutex_t lock;       //  guards the fields below
    uint64_t rng;
    char latched [96];
    uint8_t id [32];            //  SHA-256 (url "\n" key): which credentials
};

//  Process-wide state shared by every client, so that per-deal clients
//  behave like one: the request spacing (a global rate limit) and the
//  credentials the API refused (a bad key or a spent budget is not tried
//  again by the next deal). Credentials are known by their hash only.
#define LATCHES_MAX 16
static pthread_mutex_t s_global_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t s_global_next_slot;
static struct {
    uint8_t id [32];
    char why [96];
} s_latches [LATCHES_MAX];
static size_t s_latch_next;

//  One HTTP exchange.
typedef struct {
    char *body;
    size_t len, cap, max;
    int overflow;
    int64_t retry_after_ms;     //  -1 absent
    int should_retry;           //  -1 absent
    char request_id [80];
} s_reply_t;

static pthread_once_t s_curl_once = PTHREAD_ONCE_INIT;

static void
s_curl_init (void)
{
    curl_global_init (CURL_GLOBAL_DEFAULT);
}

static int64_t
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
s_sleep (dp_claude_t *self, int64_t ms)
{
    if (ms <= 0)
        return;
    if (self->sleep) {
        self->sleep (self->sleep_arg, ms);
        return;
    }
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
    while (nanosleep (&ts, &ts) != 0)
        ;
}

static char *
s_read_key_file (const char *path)
{
    FILE *f = fopen (path, "r");
    if (!f)
        return NULL;
    char *buf = calloc (1, KEY_MAX + 2);
    size_t n = buf ? fread (buf, 1, KEY_MAX + 1, f) : 0;
    fclose (f);
    if (!buf)
        return NULL;
    while (n && isspace ((unsigned char) buf [n - 1]))
        buf [--n] = '\0';
    return buf;
}

static dp_status
s_load_key (dp_claude_t *self, const char *given, dp_error_t *err)
{
    const char *key = given && *given ? given : getenv ("ANTHROPIC_API_KEY");
    char *from_file = NULL;
    if ((!key || !*key) && getenv ("ANTHROPIC_API_KEY_FILE"))
        key = from_file = s_read_key_file (getenv ("ANTHROPIC_API_KEY_FILE"));
    size_t len = key ? strlen (key) : 0;
    dp_status st = DP_OK;
    if (len == 0)
        st = dp_error_set (err, DP_INVALID, "claude: no API key (ANTHROPIC_API_KEY, "
                           "ANTHROPIC_API_KEY_FILE or the api_key option)");
    else if (len > KEY_MAX || strpbrk (key, "\r\n"))
        st = dp_error_set (err, DP_INVALID, "claude: API key malformed (length or line break)");
    else
        memcpy (self->key, key, len + 1);
    if (from_file) {
        explicit_bzero (from_file, strlen (from_file));
        free (from_file);
    }
    return st;
}

static void
s_credentials_id (dp_claude_t *self)
{
    size_t ulen = strlen (self->url), klen = strlen (self->key);
    char *buf = malloc (ulen + klen + 2);
    if (!buf) {
        memset (self->id, 0, sizeof self->id);
        return;
    }
    memcpy (buf, self->url, ulen);
    buf [ulen] = '\n';
    memcpy (buf + ulen + 1, self->key, klen + 1);
    dp_sha256 (buf, ulen + klen + 1, self->id);
    explicit_bzero (buf, ulen + klen + 2);
    free (buf);
}

dp_claude_t *
dp_claude_new (const dp_claude_config_t *config, dp_error_t *err)
{
    pthread_once (&s_curl_once, s_curl_init);
    dp_claude_t *self = calloc (1, sizeof *self);
    if (!self) {
        dp_error_set (err, DP_NOMEM, "claude: out of memory");
        return NULL;
    }
    pthread_mutex_init (&self->lock, NULL);
    const char *base = config->base_url ? config->base_url : getenv ("ANTHROPIC_BASE_URL");
    base = base && *base ? base : DEFAULT_BASE_URL;
    if (strncmp (base, "http://", 7) != 0 && strncmp (base, "https://", 8) != 0) {
        dp_error_set (err, DP_INVALID, "claude: base URL must start with http:// or https://");
        dp_claude_destroy (&self);
        return NULL;
    }
    size_t blen = strlen (base);
    while (blen && base [blen - 1] == '/')
        blen--;
    self->base_url = strndup (base, blen);
    self->url = malloc (blen + sizeof "/v1/messages");
    if (!self->base_url || !self->url || s_load_key (self, config->api_key, err)) {
        if (!self->url || !self->base_url)
            dp_error_set (err, DP_NOMEM, "claude: out of memory");
        dp_claude_destroy (&self);
        return NULL;
    }
    snprintf (self->url, blen + sizeof "/v1/messages", "%s/v1/messages", self->base_url);
    s_credentials_id (self);
    snprintf (self->model, sizeof self->model, "%s",
              config->model && *config->model ? config->model : DP_NEGOTIATE_MODEL_DEFAULT);
    self->connect_timeout_ms = config->connect_timeout_ms > 0 ? config->connect_timeout_ms : 5000;
    self->request_timeout_ms = config->request_timeout_ms > 0 ? config->request_timeout_ms : 60000;
    self->turn_budget_ms = config->turn_budget_ms > 0 ? config->turn_budget_ms : 120000;
    self->max_retries = config->max_retries > 0 ? config->max_retries
                      : config->max_retries < 0 ? 0 : 2;
    self->max_tokens = config->max_tokens > 0 ? config->max_tokens : 1024;
    self->interval_ms = 1000 / (config->requests_per_second > 0 ? config->requests_per_second : 50);
    self->max_response = config->max_response ? config->max_response : (size_t) 1 << 20;
    self->sleep = config->sleep;
    self->sleep_arg = config->sleep_arg;
    self->rng = config->seed ^ UINT64_C(0x436C61756465);
    return self;
}

void
dp_claude_destroy (dp_claude_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dp_claude_t *self = *self_p;
    explicit_bzero (self->key, sizeof self->key);
    free (self->base_url);
    free (self->url);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

const char *
dp_claude_model (dp_claude_t *self)
{
    return self->model;
}

const char *
dp_claude_latched (dp_claude_t *self)
{
    pthread_mutex_lock (&self->lock);
    if (!self->latched [0]) {
        pthread_mutex_lock (&s_global_lock);
        for (size_t i = 0; i < LATCHES_MAX; i++)
            if (s_latches [i].why [0] && memcmp (s_latches [i].id, self->id, 32) == 0)
                snprintf (self->latched, sizeof self->latched, "%s", s_latches [i].why);
        pthread_mutex_unlock (&s_global_lock);
    }
    const char *why = self->latched [0] ? self->latched : NULL;
    pthread_mutex_unlock (&self->lock);
    return why;
}

static void
s_latch (dp_claude_t *self, const char *why)
{
    pthread_mutex_lock (&self->lock);
    if (!self->latched [0])
        snprintf (self->latched, sizeof self->latched, "%s", why);
    pthread_mutex_unlock (&self->lock);
    pthread_mutex_lock (&s_global_lock);
    size_t slot = s_latch_next++ % LATCHES_MAX;
    memcpy (s_latches [slot].id, self->id, 32);
    snprintf (s_latches [slot].why, sizeof s_latches [slot].why, "%s", why);
    pthread_mutex_unlock (&s_global_lock);
}

// ---------------------------------------------------------------------------
// Prompt

static void
s_money (char *out, size_t size, int64_t cents)
{
    snprintf (out, size, "$%lld.%02lld", (long long) (cents / 100), (long long) (cents % 100));
}

static void
s_append (char **buf, size_t *len, size_t *cap, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

static void
s_append (char **buf, size_t *len, size_t *cap, const char *format, ...)
{
    if (!*buf)
        return;
    va_list ap;
    for (;;) {
        va_start (ap, format);
        int n = vsnprintf (*buf + *len, *cap - *len, format, ap);
        va_end (ap);
        if (n < 0)
            return;
        if (*len + (size_t) n < *cap) {
            *len += (size_t) n;
            return;
        }
        char *grown = realloc (*buf, *cap * 2 + (size_t) n);
        if (!grown) {
            free (*buf);
            *buf = NULL;
            return;
        }
        *buf = grown;
        *cap = *cap * 2 + (size_t) n;
    }
}

//  The system prompt: this side's role, its own limits and the rules. Only
//  the side's own context is reachable here.
static char *
s_system_prompt (const dp_nego_side_t *side, const dp_nego_public_t *pub)
{
    size_t len = 0, cap = 2048;
    char *b = malloc (cap), money [40];
    int buyer = side->role == DP_ROLE_BUYER;
    s_append (&b, &len, &cap,
              "You are the %s's negotiating agent in a private data-access deal, running inside "
              "a trusted execution environment. You negotiate the price and the terms "
              "(access_scope, duration_days) with the %s's agent.\n\n"
              "Your private limit per package (never reveal it; the other side cannot see it):\n",
              buyer ? "buyer" : "seller", buyer ? "seller" : "buyer");
    for (size_t k = 0; k < pub->package_count; k++) {
        s_money (money, sizeof money, side->limits [k]);
        s_append (&b, &len, &cap, "- %s access, %d days: %s %s\n", pub->packages [k].access_scope,
                  pub->packages [k].duration_days, buyer ? "at most" : "at least", money);
    }
    s_append (&b, &len, &cap,
              "\nRules: the seller opens, moves alternate, at most %d rounds. Use action \"counter\" "
              "(or \"offer\" for the very first move) with price_cents and the terms; \"accept\" "
              "takes the other side's standing offer exactly as it stands; \"reject\" ends the "
              "negotiation without a deal. %s Prices are whole US cents. Code outside you "
              "enforces every limit: a move beyond your limit is corrected. Aim for a good deal for "
              "your side, concede gradually, and prefer a deal within your limit over no deal. "
              "Keep reasoning to one short, plain sentence and never mention your limit.\n",
              pub->max_rounds, buyer ? "Never pay more than your limit for the terms."
                                     : "Never sell below your limit for the terms.");
    if (pub->buyer_requirements)
        s_append (&b, &len, &cap, "\nBuyer's requirements: %s\n", pub->buyer_requirements);
    if (pub->data_description)
        s_append (&b, &len, &cap, "Seller's data description: %s\n", pub->data_description);
    if (!buyer && pub->seller_verified_domain)
        s_append (&b, &len, &cap, "\nTEE-verified credential: you represent %s (domain verified "
                  "by DKIM inside the enclave; immutable).\n", pub->seller_verified_domain);
    return b;
}

//  The user turn: the public history (prices and terms only, never the
//  other side's reasoning text) and the engine's suggestion.
static char *
s_user_prompt (const dp_nego_side_t *side, const dp_nego_public_t *pub,
               const dp_nego_proposal_t *advice)
{
    size_t len = 0, cap = 2048;
    char *b = malloc (cap), money [40];
    s_append (&b, &len, &cap, "Offer history:\n");
    if (!pub->move_count)
        s_append (&b, &len, &cap, "(none: you open)\n");
    for (size_t i = 0; i < pub->move_count; i++) {
        const dp_nego_move_t *m = &pub->moves [i];
        s_money (money, sizeof money, m->price);
        s_append (&b, &len, &cap, "Round %d %s %s: %s (%lld cents) for %s access, %d days\n",
                  m->round, dp_nego_role_name (m->role), dp_nego_action_name (m->action), money,
                  (long long) m->price, pub->packages [m->package].access_scope,
                  pub->packages [m->package].duration_days);
    }
    int round = dp_nego_turn_round (pub);
    s_append (&b, &len, &cap, "\nYour move: round %d of %d.%s\n", round, pub->max_rounds,
              side->role == DP_ROLE_BUYER && round >= pub->max_rounds
              ? " This is the final move: accept the standing offer or reject." : "");
    if (advice && advice->usable && advice->package >= 0) {
        s_money (money, sizeof money, advice->price);
        s_append (&b, &len, &cap, "A deterministic strategy suggests: %s %s (%lld cents) for %s "
                  "access, %d days. You may follow it or choose another move.\n",
                  dp_nego_action_name (advice->action), money, (long long) advice->price,
                  pub->packages [advice->package].access_scope,
                  pub->packages [advice->package].duration_days);
    }
    s_append (&b, &len, &cap, "Answer by calling submit_move.");
    return b;
}

static json_object *
s_tool (const dp_nego_public_t *pub)
{
    json_object *scopes = json_object_new_array (), *days = json_object_new_array ();
    for (size_t k = 0; k < pub->package_count; k++) {
        int seen_s = 0, seen_d = 0;
        for (size_t j = 0; j < k; j++) {
            seen_s |= strcmp (pub->packages [j].access_scope, pub->packages [k].access_scope) == 0;
            seen_d |= pub->packages [j].duration_days == pub->packages [k].duration_days;
        }
        if (!seen_s)
            json_object_array_add (scopes, json_object_new_string (pub->packages [k].access_scope));
        if (!seen_d)
            json_object_array_add (days, json_object_new_int (pub->packages [k].duration_days));
    }
    char schema [1024];
    snprintf (schema, sizeof schema,
              "{\"type\":\"object\",\"additionalProperties\":false,"
              "\"required\":[\"action\",\"price_cents\",\"access_scope\",\"duration_days\",\"reasoning\"],"
              "\"properties\":{\"action\":{\"type\":\"string\",\"enum\":[\"offer\",\"counter\",\"accept\",\"reject\"]},"
              "\"price_cents\":{\"type\":\"integer\"},\"access_scope\":{\"type\":\"string\",\"enum\":%s},"
              "\"duration_days\":{\"type\":\"integer\",\"enum\":%s},\"reasoning\":{\"type\":\"string\"}}}",
              json_object_to_json_string_ext (scopes, JSON_C_TO_STRING_PLAIN),
              json_object_to_json_string_ext (days, JSON_C_TO_STRING_PLAIN));
    json_object_put (scopes);
    json_object_put (days);
    json_object *tool = json_object_new_object ();
    json_object_object_add (tool, "name", json_object_new_string ("submit_move"));
    json_object_object_add (tool, "description",
                            json_object_new_string ("Submit exactly one negotiation move for your side."));
    json_object_object_add (tool, "strict", json_object_new_boolean (1));
    json_object_object_add (tool, "input_schema", json_tokener_parse (schema));
    return tool;
}

char *
dp_claude_request_body (dp_claude_t *self, const dp_nego_side_t *side,
                        const dp_nego_public_t *pub, const dp_nego_proposal_t *advice)
{
    char *system = s_system_prompt (side, pub), *user = s_user_prompt (side, pub, advice);
    char *text = NULL;
    if (system && user) {
        json_object *req = json_object_new_object (), *msgs = json_object_new_array ();
        json_object *msg = json_object_new_object (), *tools = json_object_new_array ();
        json_object *choice = json_object_new_object ();
        json_object_object_add (req, "model", json_object_new_string (self->model));
        json_object_object_add (req, "max_tokens", json_object_new_int (self->max_tokens));
        json_object_object_add (req, "system", json_object_new_string (system));
        json_object_object_add (msg, "role", json_object_new_string ("user"));
        json_object_object_add (msg, "content", json_object_new_string (user));
        json_object_array_add (msgs, msg);
        json_object_object_add (req, "messages", msgs);
        json_object_array_add (tools, s_tool (pub));
        json_object_object_add (req, "tools", tools);
        json_object_object_add (choice, "type", json_object_new_string ("tool"));
        json_object_object_add (choice, "name", json_object_new_string ("submit_move"));
        json_object_object_add (choice, "disable_parallel_tool_use", json_object_new_boolean (1));
        json_object_object_add (req, "tool_choice", choice);
        text = strdup (json_object_to_json_string_ext (req, JSON_C_TO_STRING_PLAIN));
        json_object_put (req);
    }
    free (system);
    free (user);
    return text;
}

// ---------------------------------------------------------------------------
// Retry policy

int
dp_claude_should_retry (long status, int should_retry_header, int spend_limit)
{
    if (spend_limit)
        return 0;               //  cannot succeed until the cap is raised
    if (should_retry_header == 1)
        return 1;
    if (should_retry_header == 0)
        return 0;
    return status == 0 || status == 408 || status == 409 || status == 424 || status == 429
        || status >= 500;
}

int64_t
dp_claude_retry_wait_ms (int n, int64_t retry_after_ms, double u)
{
    if (retry_after_ms > 0 && retry_after_ms <= 60000)
        return retry_after_ms;
    double base = 0.5 * pow (2.0, n);
    if (base > 8.0)
        base = 8.0;
    return (int64_t) (base * (1.0 - 0.25 * u) * 1000.0);
}

// ---------------------------------------------------------------------------
// HTTP

static size_t
s_on_body (char *data, size_t size, size_t nmemb, void *arg)
{
    s_reply_t *r = arg;
    size_t n = size * nmemb;
    if (r->len + n > r->max) {
        r->overflow = 1;
        return 0;               //  aborts the transfer: the size cap
    }
    if (r->len + n + 1 > r->cap) {
        size_t cap = (r->len + n + 1) * 2;
        char *grown = realloc (r->body, cap);
        if (!grown)
            return 0;
        r->body = grown;
        r->cap = cap;
    }
    memcpy (r->body + r->len, data, n);
    r->len += n;
    r->body [r->len] = '\0';
    return n;
}

static int
s_header_is (const char *line, size_t len, const char *name, const char **value)
{
    size_t nlen = strlen (name);
    if (len <= nlen || strncasecmp (line, name, nlen) != 0 || line [nlen] != ':')
        return 0;
    *value = line + nlen + 1;
    while (*value < line + len && (**value == ' ' || **value == '\t'))
        (*value)++;
    return 1;
}

static size_t
s_on_header (char *line, size_t size, size_t nmemb, void *arg)
{
    s_reply_t *r = arg;
    size_t len = size * nmemb;
    const char *v;
    char value [96];
    if (s_header_is (line, len, "retry-after-ms", &v)
    ||  s_header_is (line, len, "retry-after", &v)
    ||  s_header_is (line, len, "x-should-retry", &v)
    ||  s_header_is (line, len, "request-id", &v)) {
        size_t vlen = (size_t) (line + len - v);
        while (vlen && (v [vlen - 1] == '\r' || v [vlen - 1] == '\n' || v [vlen - 1] == ' '))
            vlen--;
        snprintf (value, sizeof value, "%.*s", (int) (vlen < 95 ? vlen : 95), v);
        if (strncasecmp (line, "retry-after-ms", 14) == 0) {
            char *end;
            double ms = strtod (value, &end);
            if (end != value && isfinite (ms))
                r->retry_after_ms = (int64_t) ms;
        }
        else if (strncasecmp (line, "retry-after", 11) == 0) {
            char *end;
            double s = strtod (value, &end);
            if (end != value && *end == '\0' && isfinite (s) && r->retry_after_ms < 0)
                r->retry_after_ms = (int64_t) (s * 1000.0);
        }
        else if (strncasecmp (line, "x-should-retry", 14) == 0)
            r->should_retry = strcasecmp (value, "true") == 0 ? 1
                            : strcasecmp (value, "false") == 0 ? 0 : -1;
        else
            snprintf (r->request_id, sizeof r->request_id, "%.79s", value);
    }
    return len;
}

static void
s_wait_rate (dp_claude_t *self)
{
    pthread_mutex_lock (&s_global_lock);
    int64_t now = s_now_ms ();
    int64_t slot = s_global_next_slot > now ? s_global_next_slot : now;
    s_global_next_slot = slot + self->interval_ms;
    pthread_mutex_unlock (&s_global_lock);
    s_sleep (self, slot - now);
}

//  One POST. Returns the HTTP status, or 0 for a connection error or a
//  timeout (*timed_out set).
static long
s_post (dp_claude_t *self, const char *body, int64_t timeout_ms, s_reply_t *reply,
        int *timed_out)
{
    CURL *curl = curl_easy_init ();
    if (!curl)
        return 0;
    char key_header [KEY_MAX + 16];
    snprintf (key_header, sizeof key_header, "x-api-key: %s", self->key);
    struct curl_slist *h = curl_slist_append (NULL, key_header);
    h = curl_slist_append (h, "anthropic-version: 2023-06-01");
    h = curl_slist_append (h, "content-type: application/json");
    h = curl_slist_append (h, "accept: application/json");
    explicit_bzero (key_header, sizeof key_header);
    curl_easy_setopt (curl, CURLOPT_URL, self->url);
    curl_easy_setopt (curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt (curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT_MS, (long) self->connect_timeout_ms);
    curl_easy_setopt (curl, CURLOPT_TIMEOUT_MS, (long) timeout_ms);
    curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_on_body);
    curl_easy_setopt (curl, CURLOPT_WRITEDATA, reply);
    curl_easy_setopt (curl, CURLOPT_HEADERFUNCTION, s_on_header);
    curl_easy_setopt (curl, CURLOPT_HEADERDATA, reply);
    curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = curl_easy_perform (curl);
    long status = 0;
    if (rc == CURLE_OK)
        curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
    *timed_out = rc == CURLE_OPERATION_TIMEDOUT;
    if (rc != CURLE_OK)
        dp_log_debug ("claude request failed: %s", curl_easy_strerror (rc));
    curl_slist_free_all (h);
    curl_easy_cleanup (curl);
    return status;
}

//  Reads {"type":"error","error":{"type":..., "details":{"error_code":...}}}.
static void
s_error_info (const s_reply_t *reply, char *type, size_t size, int *spend_limit)
{
    snprintf (type, size, "unknown_error");
    *spend_limit = 0;
    json_object *o = reply->body ? json_tokener_parse (reply->body) : NULL, *e, *v, *d;
    if (o && json_object_object_get_ex (o, "error", &e) && json_object_is_type (e, json_type_object)) {
        if (json_object_object_get_ex (e, "type", &v) && json_object_is_type (v, json_type_string))
            snprintf (type, size, "%.60s", json_object_get_string (v));
        if (json_object_object_get_ex (e, "details", &d)
        &&  json_object_object_get_ex (d, "error_code", &v) && json_object_is_type (v, json_type_string)
        &&  strcmp (json_object_get_string (v), "enforced_spend_limit_reached") == 0)
            *spend_limit = 1;
    }
    json_object_put (o);
}

static double
s_uniform (dp_claude_t *self)
{
    pthread_mutex_lock (&self->lock);
    uint64_t x = dp_engine_splitmix64 (&self->rng);
    pthread_mutex_unlock (&self->lock);
    return (double) (x >> 11) / 9007199254740992.0;
}

//  Decides what to do after a failed attempt: 1 retry after *wait_ms, 0 give up.
static int
s_after_failure (dp_claude_t *self, long status, const s_reply_t *reply, int attempt,
                 int64_t deadline, int64_t *wait_ms, char *what, size_t size)
{
    char type [64] = "connection_error";
    int spend = 0;
    if (status)
        s_error_info (reply, type, sizeof type, &spend);
    if (reply->overflow)
        snprintf (type, sizeof type, "response over %zu bytes", self->max_response);
    snprintf (what, size, "%ld %s%s%s", status, spend ? "spend limit reached" : type,
              reply->request_id [0] ? " request-id " : "", reply->request_id);
    if (spend || status == 401 || status == 402 || status == 403) {
        char why [96];
        snprintf (why, sizeof why, "%ld %s", status, spend ? "spend limit reached" : type);
        s_latch (self, why);
        return 0;
    }
    //  An oversized answer (a runaway body or a proxy page) is not retried:
    //  the notes allow at most one retry there, and the engine's move is as good.
    if (reply->overflow || attempt >= self->max_retries
    ||  !dp_claude_should_retry (status, reply->should_retry, 0))
        return 0;
    *wait_ms = dp_claude_retry_wait_ms (attempt, reply->retry_after_ms, s_uniform (self));
    return s_now_ms () + *wait_ms < deadline;
}

dp_status
dp_claude_move (dp_claude_t *self, const dp_nego_side_t *side, const dp_nego_public_t *pub,
                const dp_nego_proposal_t *advice, dp_nego_proposal_t *out,
                dp_claude_usage_t *usage, dp_error_t *err)
{
    return dp_claude_move_within (self, side, pub, advice, 0, out, usage, err);
}

dp_status
dp_claude_move_within (dp_claude_t *self, const dp_nego_side_t *side, const dp_nego_public_t *pub,
                       const dp_nego_proposal_t *advice, int64_t budget_ms,
                       dp_nego_proposal_t *out, dp_claude_usage_t *usage, dp_error_t *err)
{
    memset (out, 0, sizeof *out);
    if (dp_claude_latched (self))
        return dp_error_set (err, DP_UNSUPPORTED, "claude switched off: %s", dp_claude_latched (self));
    char *body = dp_claude_request_body (self, side, pub, advice);
    if (!body)
        return dp_error_set (err, DP_NOMEM, "claude: out of memory building the request");
    int64_t deadline = s_now_ms ()
                     + (budget_ms > 0 && budget_ms < self->turn_budget_ms? budget_ms: self->turn_budget_ms);
    dp_status st = DP_PROTO;
    char what [200] = "";
    for (int attempt = 0;; attempt++) {
        s_reply_t reply = { .max = self->max_response, .retry_after_ms = -1, .should_retry = -1 };
        int timed_out = 0;
        int64_t left = deadline - s_now_ms ();
        s_wait_rate (self);
        usage->calls++;
        usage->retries += attempt > 0;
        long status = s_post (self, body, left < self->request_timeout_ms ? (left > 1 ? left : 1)
                                                                          : self->request_timeout_ms,
                              &reply, &timed_out);
        if (status == 200 && !reply.overflow) {
            dp_claude_parse_response (reply.body ? reply.body : "", reply.len, pub, out, usage);
            dp_log_debug ("claude answer request-id=%s usable=%d", reply.request_id, out->usable);
            free (reply.body);
            free (body);
            return DP_OK;
        }
        st = status == 0 ? (timed_out ? DP_TIMEOUT : DP_UNREACHABLE) : DP_PROTO;
        if (reply.overflow)
            status = 0;         //  a proxy page or runaway body: treat as a transport error
        int64_t wait = 0;
        int again = s_after_failure (self, status, &reply, attempt, deadline, &wait, what, sizeof what);
        free (reply.body);
        if (dp_claude_latched (self)) {
            st = DP_UNSUPPORTED;
            break;
        }
        if (!again)
            break;
        s_sleep (self, wait);
    }
    free (body);
    return dp_error_set (err, st, "claude: gave up: %s", what);
}
