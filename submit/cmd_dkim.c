/*  cmd_dkim.c — dp-submit dkim: verify one e-mail's DKIM signatures. */

#include "cmd_dkim.h"

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_config.h"
#include "dp_dkim.h"

#define S_DEFAULT_DOH "https://cloudflare-dns.com/dns-query"

static const dp_config_option_t s_options [] = {
    { "keys", "DP_DKIM_KEYS", NULL, "read keys from this zone.txt file (key path: file)", 0, 0 },
    { "doh", "DP_DKIM_DOH_URL", S_DEFAULT_DOH,
      "DNS-over-HTTPS resolver URL (key path: doh, the default)", 0, 0 },
    { "doh-ca", "DP_DKIM_DOH_CA", NULL, "PEM CA bundle for the DoH server (default: system CAs)", 0, 0 },
    { "dnssec", "DP_DKIM_DNSSEC", NULL, "DNSSEC-validating lookups (key path: dnssec)", 1, 0 },
    { "trust-anchor", "DP_DKIM_TRUST_ANCHOR", DP_DKIM_ROOT_ANCHOR,
      "DNSSEC trust anchor file (DS or DNSKEY records)", 0, 0 },
    { "system-dns", "DP_DKIM_SYSTEM_DNS", NULL,
      "plain DNS, not authenticated (key path: dns)", 1, 0 },
    { "dns-server", "DP_DKIM_DNS_SERVER", NULL,
      "ADDR[@PORT] to send DNS queries to (dnssec, dns; default: root or resolv.conf)", 0, 0 },
    { "timeout-ms", "DP_DKIM_TIMEOUT_MS", "5000", "time allowed for one key lookup", 0, 0 },
    { "now", NULL, NULL, "judge t= and x= at this Unix time (default: the clock)", 0, 0 },
    { "json", NULL, NULL, "print the result as JSON", 1, 0 },
};

#define S_OPTIONS (sizeof s_options / sizeof s_options [0])

//  Reads the whole file (or stdin for "-"), refusing more than max bytes.
static int
s_read_message (const char *path, uint8_t **data, size_t *len, size_t max)
{
    FILE *file = strcmp (path, "-") == 0? stdin: fopen (path, "rb");
    if (!file) {
        fprintf (stderr, "dp-submit dkim: %s: cannot open\n", path);
        return 2;
    }
    *data = malloc (max + 1);
    *len = *data? fread (*data, 1, max + 1, file): 0;
    int failed = !*data || ferror (file);
    if (file != stdin)
        fclose (file);
    if (failed || *len > max) {
        fprintf (stderr, "dp-submit dkim: %s: %s\n", path,
                 failed? "cannot read": "larger than the 10 MiB e-mail limit");
        return 2;
    }
    return 0;
}

static int
s_pick_path (dp_config_t *config, dp_dkim_lookup_options_t *lo)
{
    int chosen = (dp_config_get (config, "keys") != NULL) + dp_config_get_switch (config, "dnssec")
               + dp_config_get_switch (config, "system-dns") + dp_config_is_set (config, "doh");
    if (chosen > 1) {
        fprintf (stderr, "dp-submit dkim: choose one of --keys, --doh, --dnssec, --system-dns\n");
        return 2;
    }
    lo->path = dp_config_get (config, "keys")? DP_DKIM_PATH_FILE:
               dp_config_get_switch (config, "dnssec")? DP_DKIM_PATH_DNSSEC:
               dp_config_get_switch (config, "system-dns")? DP_DKIM_PATH_DNS: DP_DKIM_PATH_DOH;
    lo->zone_file = dp_config_get (config, "keys");
    lo->doh_url = dp_config_get (config, "doh");
    lo->ca_file = dp_config_get (config, "doh-ca");
    lo->trust_anchor_file = dp_config_get (config, "trust-anchor");
    lo->server = dp_config_get (config, "dns-server");
    return 0;
}

static int
s_numbers (dp_config_t *config, dp_dkim_lookup_options_t *lo, dp_dkim_options_t *o)
{
    dp_error_t err;
    long long value = 0;
    if (dp_config_get_int (config, "timeout-ms", 1, 600000, &value, &err) != DP_OK) {
        fprintf (stderr, "dp-submit dkim: %s\n", err.text);
        return 2;
    }
    lo->timeout_ms = (int) value;
    dp_status rc = dp_config_get_int (config, "now", 1, 253402300799LL, &value, &err);
    if (rc != DP_OK && rc != DP_NOTFOUND) {
        fprintf (stderr, "dp-submit dkim: %s\n", err.text);
        return 2;
    }
    o->now = rc == DP_OK? (int64_t) value: 0;
    o->clock_skew = -1;
    return 0;
}

static void
s_print_text (const dp_dkim_result_t *r)
{
    if (r->verified)
        printf ("verified: %s (selector %s, %s; key path %s, %s)\n", r->domain, r->selector,
                r->algorithm, dp_dkim_path_name (r->key_path),
                r->authenticated? "authenticated": "NOT authenticated");
    else
        printf ("not verified%s: %s\n", r->dns_unavailable? " (DNS unavailable)": "", r->error);
    for (size_t i = 0; i < r->count; i++) {
        const dp_dkim_signature_t *s = &r->signatures [i];
        printf ("  signature %zu: %s d=%s s=%s a=%s%s%s%s\n", i + 1,
                dp_dkim_sig_status_name (s->status), s->domain [0]? s->domain: "-",
                s->selector [0]? s->selector: "-", s->algorithm [0]? s->algorithm: "-",
                s->reason [0]? " (": "", s->reason, s->reason [0]? ")": "");
        if (s->status == DP_DKIM_SIG_PASS && s->body_length != UINT64_MAX)
            printf ("    note: l=%llu: only the first %llu body octets are signed\n",
                    (unsigned long long) s->body_length, (unsigned long long) s->body_length);
        if (s->testing)
            printf ("    note: the key is in testing mode (t=y)\n");
    }
    if (r->total > r->count)
        printf ("  (%zu further signatures not examined)\n", r->total - r->count);
}

static int
s_verify (dp_config_t *config, const char *path)
{
    dp_dkim_lookup_options_t lo = { 0 };
    dp_dkim_options_t o = { 0 };
    if (s_pick_path (config, &lo) || s_numbers (config, &lo, &o))
        return 2;
    uint8_t *eml = NULL;
    size_t len = 0;
    if (s_read_message (path, &eml, &len, DP_DKIM_MESSAGE_MAX)) {
        free (eml);
        return 2;
    }
    dp_error_t err;
    dp_dkim_lookup_t *lookup = dp_dkim_lookup_new (&lo, &err);
    if (!lookup) {
        fprintf (stderr, "dp-submit dkim: key path %s: %s\n", dp_dkim_path_name (lo.path), err.text);
        OPENSSL_clear_free (eml, DP_DKIM_MESSAGE_MAX + 1);
        return 2;
    }
    o.lookup = lookup;
    dp_dkim_result_t result;
    dp_status rc = dp_dkim_verify (eml, len, &o, &result, &err);
    OPENSSL_clear_free (eml, DP_DKIM_MESSAGE_MAX + 1);
    dp_dkim_lookup_destroy (&lookup);
    if (dp_config_get_switch (config, "json")) {
        json_object *obj = dp_dkim_result_to_json (&result, 1);
        printf ("%s\n", json_object_to_json_string_ext (obj, JSON_C_TO_STRING_PLAIN
                                                             | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put (obj);
    }
    else
        s_print_text (&result);
    //  SPEC §10: a message that cannot be read as an e-mail (malformed, or
    //  a header over the limits) is bad input, like an oversize file: 2.
    if (rc != DP_OK || result.malformed)
        return 2;
    return result.verified? 0: 1;
}

int
dp_submit_cmd_dkim (int argc, char **argv)
{
    dp_config_t *config = dp_config_new ("dp-submit dkim",
        "dp-submit dkim FILE.eml [--keys zone.txt | --doh URL | --dnssec | --system-dns] "
        "[--now UNIX] [--json]", s_options, S_OPTIONS);
    if (!config) {
        fprintf (stderr, "dp-submit dkim: out of memory\n");
        return 2;
    }
    dp_error_t err;
    dp_status rc = dp_config_parse (config, argc, argv, &err);
    int code = 2;
    if (rc == DP_UNSUPPORTED)
        code = 0;       //  --help
    else
    if (rc != DP_OK)
        fprintf (stderr, "dp-submit dkim: %s\n", err.text);
    else
    if (dp_config_positional_count (config) != 1)
        fprintf (stderr, "dp-submit dkim: expected one FILE.eml (see --help)\n");
    else
        code = s_verify (config, dp_config_positional (config, 0));
    dp_config_destroy (&config);
    return code;
}
