/*  test_dkim_parts.c — the DKIM verifier's parts: tag lists, base64, key
    records, canonicalisation (RFC 6376 s3.4.5 examples), the zone file
    and the DNS wire decoder. */

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "dp_dkim_canon.h"
#include "dp_dkim_dns.h"
#include "dp_dkim_key.h"
#include "dp_dkim_sig.h"
#include "dp_dkim_tags.h"
#include "dp_dkim_zone.h"
#include "dp_hex.h"
#include "dp_sha256.h"

//  The corpus's 2048-bit test key (rsa2048._domainkey.example.com).
#define S_RSA2048 "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqWdN0PoTeGrCd3dAqe6FLM+HVrEeZn+JwdpbqGgAhO93c4ebmn4SNPL7gl+empZF7ip01X1/scSdk6+/5AtqZfTWBq/bMfeUpRzNVw9CUQa9n/z7TBhoftf4X06m/kxrXHbmaF8ZI0p+xE8KyKx5/jdP4UGEDleekpaEG7aF5q4wgXed/AzHGZ7rbgq4O+NrtJqN7czQJvkgHO1dbQnuW3xt44cNx4NKvOivqROHV2zUUIfDVA6PBw8oJqrSyuH3Ct9xxS6oqhRYMohRdCQh3LvTqwbvryxDEe4cwrybUzGx4K2exKPVFRqy4rB/aFJFGuD51UZ80+NcGe2QSYG6fwIDAQAB"
#define S_ED25519 "Km8MDFi9J6goHRhf7HBSTqN+BNAE+Gz9HPRYSuQZ3Dg="

static dp_status
s_tags (const char *text, dp_dkim_tags_t *tags, dp_error_t *err)
{
    return dp_dkim_tags_parse (text, strlen (text), tags, err);
}

Test (dkim_tags, grammar)
{
    dp_dkim_tags_t tags;
    dp_error_t err;
    cr_assert_eq (s_tags (" v = 1 ;\r\n\ta=rsa-sha256; h = from : to ;", &tags, &err), DP_OK);
    cr_assert_eq (tags.count, 3);
    const dp_dkim_tag_t *h = dp_dkim_tags_find (&tags, "h");
    cr_assert (h && h->value_len == 9 && memcmp (h->value, "from : to", 9) == 0);
    cr_assert (dp_dkim_tag_is (dp_dkim_tags_find (&tags, "a"), "rsa-sha256"));
    cr_assert_null (dp_dkim_tags_find (&tags, "A"), "tag names are case-sensitive");
    cr_assert_eq (s_tags ("", &tags, &err), DP_OK);
    cr_assert_eq (tags.count, 0);
    cr_assert_eq (s_tags ("a=1; a=2", &tags, &err), DP_INVALID);
    cr_assert (strstr (err.text, "twice"));
    cr_assert_eq (s_tags ("a=1;; b=2", &tags, &err), DP_INVALID, "empty tag-spec");
    cr_assert_eq (s_tags ("p", &tags, &err), DP_INVALID);
    cr_assert (strstr (err.text, "no '='"));
    cr_assert_eq (s_tags ("1a=x", &tags, &err), DP_INVALID);
    cr_assert_eq (s_tags ("a=x\r\ny", &tags, &err), DP_INVALID, "CRLF without WSP is no fold");
    cr_assert_eq (s_tags ("a=caf\xc3\xa9", &tags, &err), DP_INVALID, "8-bit is not a VALCHAR");
    cr_assert_eq (s_tags ("v=1; bh=ab\x01" "cd", &tags, &err), DP_INVALID);
    cr_assert (strstr (err.text, "bh=: ") == err.text, "names the tag: %s", err.text);
    cr_assert (strstr (err.text, "0x01"), "%s", err.text);
    cr_assert_eq (s_tags ("a=b=c", &tags, &err), DP_OK, "'=' is a VALCHAR");
}

Test (dkim_tags, raw_span_of_b)
{
    const char *text = "v=1; b= abc\r\n def ; bh=x";
    dp_dkim_tags_t tags;
    cr_assert_eq (s_tags (text, &tags, NULL), DP_OK);
    const dp_dkim_tag_t *b = dp_dkim_tags_find (&tags, "b");
    cr_assert_eq (b->raw_start, 7);
    cr_assert_eq (text [b->raw_end], ';');
    cr_assert_eq (b->value_len, 9);
}

Test (dkim_tags, base64)
{
    uint8_t out [16];
    size_t len = 0;
    dp_error_t err;
    cr_assert_eq (dp_dkim_base64_decode ("aGVs bG8=", 9, out, sizeof out, &len, &err), DP_OK);
    cr_assert (len == 5 && memcmp (out, "hello", 5) == 0);
    cr_assert_eq (dp_dkim_base64_decode ("aGVsbA==", 8, out, sizeof out, &len, &err), DP_OK);
    cr_assert_eq (len, 4);
    cr_assert_eq (dp_dkim_base64_decode ("", 0, out, sizeof out, &len, &err), DP_OK);
    cr_assert_eq (len, 0);
    cr_assert_eq (dp_dkim_base64_decode ("aGVsbA=", 7, out, sizeof out, &len, &err), DP_INVALID);
    cr_assert_eq (dp_dkim_base64_decode ("aGVsbA", 6, out, sizeof out, &len, &err), DP_INVALID);
    cr_assert_eq (dp_dkim_base64_decode ("aG=sbA==", 8, out, sizeof out, &len, &err), DP_INVALID);
    cr_assert_eq (dp_dkim_base64_decode ("aGVs*A==", 8, out, sizeof out, &len, &err), DP_INVALID);
    cr_assert_eq (dp_dkim_base64_decode ("a===", 4, out, sizeof out, &len, &err), DP_INVALID);
    cr_assert_eq (dp_dkim_base64_decode ("aGVsbG8gd29ybGQgaGVsbG8=", 24, out, 8, &len, &err),
                  DP_LIMIT);
}

static dp_status
s_key (const char *txt, dp_dkim_key_t **key, dp_error_t *err)
{
    return dp_dkim_key_parse (txt, strlen (txt), key, err);
}

Test (dkim_key, records)
{
    dp_dkim_key_t *key = NULL;
    dp_error_t err;
    cr_assert_eq (s_key ("v=DKIM1; k=rsa; p=" S_RSA2048, &key, &err), DP_OK, "%s", err.text);
    cr_assert_eq (dp_dkim_key_type (key), DP_DKIM_KEY_RSA);
    cr_assert_eq (dp_dkim_key_bits (key), 2048);
    cr_assert (dp_dkim_key_allows_sha256 (key));
    cr_assert (!dp_dkim_key_is_strict (key) && !dp_dkim_key_is_testing (key));
    dp_dkim_key_destroy (&key);
    cr_assert_null (key);
    cr_assert_eq (s_key ("v=DKIM1; k=ed25519; t=y:s; h=sha1 : sha256; s=email:*; p=" S_ED25519,
                         &key, &err), DP_OK, "%s", err.text);
    cr_assert_eq (dp_dkim_key_type (key), DP_DKIM_KEY_ED25519);
    cr_assert (dp_dkim_key_is_strict (key) && dp_dkim_key_is_testing (key));
    cr_assert (dp_dkim_key_allows_sha256 (key));
    dp_dkim_key_t *again = dp_dkim_key_ref (key);
    dp_dkim_key_destroy (&key);
    cr_assert_eq (dp_dkim_key_bits (again), 256, "still alive through the second reference");
    dp_dkim_key_destroy (&again);
}

Test (dkim_key, refusals)
{
    dp_dkim_key_t *key = NULL;
    dp_error_t err;
    cr_assert_eq (s_key ("k=rsa; v=DKIM1; p=" S_RSA2048, &key, &err), DP_INVALID);
    cr_assert (strstr (err.text, "v="));
    cr_assert_eq (s_key ("v=DKIM1; p=", &key, &err), DP_INVALID);
    cr_assert (strstr (err.text, "revoked"));
    cr_assert_eq (s_key ("v=DKIM1; k=rsa", &key, &err), DP_INVALID);
    cr_assert (strstr (err.text, "p=: missing"));
    cr_assert_eq (s_key ("", &key, &err), DP_INVALID);
    cr_assert_eq (s_key ("k=dsa; p=" S_RSA2048, &key, &err), DP_INVALID);
    cr_assert_eq (s_key ("s=tlsrpt; p=" S_RSA2048, &key, &err), DP_INVALID);
    cr_assert_eq (s_key ("k=ed25519; p=Km8MDFi9J6goHRhf7HBSTqN+BNAE+Gz9HPRYSuQZ3A==", &key, &err),
                  DP_INVALID, "31-byte Ed25519 key");
    cr_assert_eq (s_key ("k=ed25519; p=" S_RSA2048, &key, &err), DP_INVALID);
    cr_assert_eq (s_key ("k=rsa; p=" S_ED25519, &key, &err), DP_INVALID);
    cr_assert_eq (s_key ("p=MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAOjOE02frFyP+lVOUMgu5Km5oO46kC4/Yf2pjmFA"
                         "dImVhOIY7agSP3GV03yKb57uwmTtuAw+PDEUaLgBalHUDzECAwEAAQ==", &key, &err),
                  DP_INVALID, "512-bit RSA");
    cr_assert (strstr (err.text, "512 bits"));
    cr_assert_null (key);
    cr_assert_eq (s_key ("h=sha1; p=" S_RSA2048, &key, &err), DP_OK);
    cr_assert (!dp_dkim_key_allows_sha256 (key));
    dp_dkim_key_destroy (&key);
}

static void
s_body_digest_is (dp_dkim_canon_t canon, const char *body, const char *canonical,
                  uint64_t limit)
{
    uint8_t got [32], want [32];
    uint64_t len = 0;
    cr_assert_eq (dp_dkim_canon_body (canon, (const uint8_t *) body, strlen (body), limit,
                                      got, &len), DP_OK);
    size_t clen = strlen (canonical);
    cr_assert_eq (len, clen, "canonical length %llu, want %zu", (unsigned long long) len, clen);
    dp_sha256 (canonical, limit < clen? limit: clen, want);
    cr_assert_arr_eq (got, want, 32);
}

Test (dkim_canon, rfc6376_examples)
{
    //  RFC 6376 s3.4.5.
    const char *body = " C \r\nD \t E\r\n\r\n\r\n";
    s_body_digest_is (DP_DKIM_CANON_RELAXED, body, " C\r\nD E\r\n", UINT64_MAX);
    s_body_digest_is (DP_DKIM_CANON_SIMPLE, body, " C \r\nD \t E\r\n", UINT64_MAX);
    char out [64];
    size_t n = dp_dkim_canon_header (DP_DKIM_CANON_RELAXED, "B : Y\t\r\n\tZ  ", 12, 1, out);
    cr_assert (n == 7 && memcmp (out, "b:Y Z\r\n", 7) == 0, "got %.*s", (int) n, out);
    n = dp_dkim_canon_header (DP_DKIM_CANON_RELAXED, "A: X", 4, 0, out);
    cr_assert (n == 3 && memcmp (out, "a:X", 3) == 0);
    n = dp_dkim_canon_header (DP_DKIM_CANON_SIMPLE, "B : Y\t\r\n\tZ  ", 12, 1, out);
    cr_assert (n == 14 && memcmp (out, "B : Y\t\r\n\tZ  \r\n", 14) == 0);
}

Test (dkim_canon, body_edges)
{
    s_body_digest_is (DP_DKIM_CANON_SIMPLE, "", "\r\n", UINT64_MAX);
    s_body_digest_is (DP_DKIM_CANON_RELAXED, "", "", UINT64_MAX);
    s_body_digest_is (DP_DKIM_CANON_RELAXED, " \r\n\t\r\n", "", UINT64_MAX);
    s_body_digest_is (DP_DKIM_CANON_SIMPLE, "abc", "abc\r\n", UINT64_MAX);
    s_body_digest_is (DP_DKIM_CANON_RELAXED, "abc", "abc\r\n", UINT64_MAX);
    s_body_digest_is (DP_DKIM_CANON_RELAXED, "abc\r\n \t", "abc\r\n \r\n", UINT64_MAX);
    s_body_digest_is (DP_DKIM_CANON_RELAXED, "abc  \t", "abc \r\n", UINT64_MAX);
    s_body_digest_is (DP_DKIM_CANON_SIMPLE, "a\nb\r\n\n", "a\r\nb\r\n", UINT64_MAX);
    s_body_digest_is (DP_DKIM_CANON_SIMPLE, "a\r\rb\n", "a\r\rb\r\n", UINT64_MAX);
    s_body_digest_is (DP_DKIM_CANON_SIMPLE, "hello\r\nworld\r\n", "hello\r\nworld\r\n", 5);
    s_body_digest_is (DP_DKIM_CANON_SIMPLE, "hello\r\n", "hello\r\n", 0);
}

Test (dkim_sig, tag_rules)
{
    dp_dkim_sig_t sig;
    dp_error_t err;
    const char *good = "v=1; a=rsa-sha256; d=Example.COM; s=Sel; h=From:To; "
                       "bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA; "
                       "i=x@mail.example.com; l=10; t=5; x=6; q=foo/bar:dns/txt";
    cr_assert_eq (dp_dkim_sig_parse (good, strlen (good), &sig, &err), DP_OK, "%s", err.text);
    cr_assert_str_eq (sig.domain, "example.com");
    cr_assert_str_eq (sig.selector, "sel");
    cr_assert_str_eq (sig.auid_domain, "mail.example.com");
    cr_assert_eq (sig.h_count, 2);
    cr_assert_eq (sig.length, 10);
    cr_assert (sig.has_t && sig.has_x && sig.t == 5 && sig.x == 6);
    const struct { const char *text, *reason; } bad [] = {
        { "v=1; a=rsa-sha1; d=a.b; s=s; h=from; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA", "rsa-sha1" },
        { "v=1; a=rsa-sha256; d=a.b; s=s; h=from; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA; x=5; t=5", "x=" },
        { "v=1; a=rsa-sha256; d=a.b; s=s; h=from; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA; i=@b", "i=" },
        { "v=1; a=rsa-sha256; d=a.b; s=s; h=from; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA; i=@xa.b", "i=" },
        { "v=1; a=rsa-sha256; d=a.b; s=s; h=from::to; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA", "h=" },
        { "v=1; a=rsa-sha256; d=a.b; s=s; h=to; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA", "From" },
        { "v=1; a=rsa-sha256; d=a.b; s=s; h=from; bh=AAAA; b=AAAA", "bh=" },
        { "v=1; a=rsa-sha256; d=a..b; s=s; h=from; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA", "d=" },
        { "v=1; a=rsa-sha256; d=a.b; s=s; h=from; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA; q=dns", "q=" },
        { "v=1; a=rsa-sha256; d=a.b; s=s; h=from; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA; c=simple/fancy", "c=" },
        { "v=1; a=rsa-sha256; d=a.b; s=s; h=from; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA; l=-1", "l=" },
        { "v=1; a=rsa-sha256; d=a.b; s=s; h=from; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA; t=1234567890123", "t=" },
        //  d= is an RFC 5321 domain: no underscore (s= may have one)
        { "v=1; a=rsa-sha256; d=ex_ample.com; s=s; h=from; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA", "d=" },
        //  i= is dkim-quoted-printable: decoded, =40 is an '@' and its domain is compared
        { "v=1; a=rsa-sha256; d=a.b; s=s; h=from; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA; i=x=40evil.com", "i=" },
        { "v=1; a=rsa-sha256; d=a.b; s=s; h=from; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA; i=x@a=2", "i=" },
        { "v=1; a=rsa-sha256; d=a.b; s=s; h=from; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA; i=x@a.b=5F", "i=" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        cr_assert_neq (dp_dkim_sig_parse (bad [i].text, strlen (bad [i].text), &sig, &err), DP_OK,
                       "case %zu accepted", i);
        cr_assert (strstr (err.text, bad [i].reason), "case %zu: %s", i, err.text);
    }
    cr_assert_str_eq (sig.domain, "a.b", "d= is reported even when the signature is refused");
    const char *coded = "v=1; a=rsa-sha256; d=a.b; s=s_1._x; h=from; b=AAAA; "
                        "bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; i=j=3Dk=40Mail.A.b";
    cr_assert_eq (dp_dkim_sig_parse (coded, strlen (coded), &sig, &err), DP_OK, "%s", err.text);
    cr_assert_str_eq (sig.selector, "s_1._x", "s= keeps underscores");
    cr_assert_str_eq (sig.auid_domain, "mail.a.b", "i= decoded before its domain is taken");
    const char *huge = "v=1; a=rsa-sha256; d=a.b; s=s; h=from; b=AAAA; "
                       "bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; l=99999999999999999999999";
    cr_assert_eq (dp_dkim_sig_parse (huge, strlen (huge), &sig, &err), DP_OK);
    cr_assert_neq (sig.length, UINT64_MAX, "an overflowing l= still counts as present");
}

Test (dkim_zone, format)
{
    const char *text = "# comment\n\nSel._DomainKey.Example.COM. TXT \"v=DKIM1; \" \"p=\\\"x\"\n"
                       "dup._domainkey.a.b TXT \"p=1\"\ndup._domainkey.a.b TXT \"p=2\"\n";
    dp_error_t err;
    dp_dkim_zone_t *zone = dp_dkim_zone_new_from_text (text, strlen (text), "t", &err);
    cr_assert (zone, "%s", err.text);
    cr_assert_eq (dp_dkim_zone_size (zone), 3);
    char *txt = NULL;
    size_t len = 0;
    cr_assert_eq (dp_dkim_zone_txt (zone, "sel._domainkey.example.com", &txt, &len, &err), DP_OK);
    cr_assert_str_eq (txt, "v=DKIM1; p=\"x");
    free (txt);
    cr_assert_eq (dp_dkim_zone_txt (zone, "SEL._domainkey.example.com.", &txt, &len, &err), DP_OK);
    free (txt);
    cr_assert_eq (dp_dkim_zone_txt (zone, "dup._domainkey.a.b", &txt, &len, &err), DP_INVALID);
    cr_assert_eq (dp_dkim_zone_txt (zone, "nope._domainkey.a.b", &txt, &len, &err), DP_NOTFOUND);
    dp_dkim_zone_destroy (&zone);
    cr_assert_null (zone);
    const char *broken = "ok._domainkey.a.b TXT \"p=\"\nbad line here\n";
    cr_assert_null (dp_dkim_zone_new_from_text (broken, strlen (broken), "keys.txt", &err));
    cr_assert (strstr (err.text, "keys.txt:2:"), "%s", err.text);
    const char *open_quote = "x TXT \"abc\n";
    cr_assert_null (dp_dkim_zone_new_from_text (open_quote, strlen (open_quote), "k", &err));
    cr_assert_null (dp_dkim_zone_new ("/nonexistent/zone.txt", &err));
    cr_assert_eq (err.code, DP_IO);
}

//  Builds a response to the query for name: header, question (copied from
//  the query), then the given answer bytes.
static size_t
s_response (uint8_t *out, const char *name, uint8_t rcode, uint16_t ancount,
            const uint8_t *answers, size_t answers_len)
{
    size_t qlen = 0;
    cr_assert_eq (dp_dkim_dns_query (name, 7, out, 512, &qlen, NULL), DP_OK);
    out [2] = 0x81;
    out [3] = (uint8_t) (0x80 | rcode);
    out [6] = (uint8_t) (ancount >> 8);
    out [7] = (uint8_t) ancount;
    if (answers_len)
        memcpy (out + qlen, answers, answers_len);
    return qlen + answers_len;
}

Test (dkim_dns, query_and_answers)
{
    uint8_t q [512];
    size_t len = 0;
    cr_assert_eq (dp_dkim_dns_query ("s._domainkey.a.b.", 0x1234, q, sizeof q, &len, NULL), DP_OK);
    const uint8_t want [] = { 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 's', 10, '_', 'd', 'o',
                              'm', 'a', 'i', 'n', 'k', 'e', 'y', 1, 'a', 1, 'b', 0, 0, 16, 0, 1 };
    cr_assert_eq (len, sizeof want);
    cr_assert_arr_eq (q, want, sizeof want);
    cr_assert_eq (dp_dkim_dns_query ("a..b", 1, q, sizeof q, &len, NULL), DP_INVALID);

    //  CNAME (compressed owner = the question) to x.a.b (a pointer to the
    //  question's "a.b" at offset 25), then TXT "ab" "cd" at x.a.b.
    const uint8_t answers [] = {
        0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 4, 1, 'x', 0xc0, 25,
        1, 'x', 0xc0, 25, 0, 16, 0, 1, 0, 0, 0, 60, 0, 6, 2, 'a', 'b', 2, 'c', 'd' };
    uint8_t r [1024];
    size_t rlen = s_response (r, "s._domainkey.a.b", 0, 2, answers, sizeof answers);
    char *txt = NULL;
    size_t tlen = 0;
    dp_error_t err;
    cr_assert_eq (dp_dkim_dns_answer_txt (r, rlen, "s._domainkey.a.b", 7, &txt, &tlen, &err),
                  DP_OK, "%s", err.text);
    cr_assert_str_eq (txt, "abcd");
    free (txt);
    cr_assert_eq (dp_dkim_dns_answer_txt (r, rlen, "s._domainkey.a.b", 8, &txt, &tlen, &err),
                  DP_PROTO, "wrong id");
    cr_assert_eq (dp_dkim_dns_answer_txt (r, rlen - 1, "s._domainkey.a.b", 7, &txt, &tlen, &err),
                  DP_PROTO, "cut short");
    cr_assert_eq (dp_dkim_dns_answer_txt (r, rlen, "t._domainkey.a.b", 7, &txt, &tlen, &err),
                  DP_PROTO, "another question");
    rlen = s_response (r, "s._domainkey.a.b", 3, 0, NULL, 0);
    cr_assert_eq (dp_dkim_dns_answer_txt (r, rlen, "s._domainkey.a.b", 7, &txt, &tlen, &err),
                  DP_NOTFOUND);
    rlen = s_response (r, "s._domainkey.a.b", 2, 0, NULL, 0);
    cr_assert_eq (dp_dkim_dns_answer_txt (r, rlen, "s._domainkey.a.b", 7, &txt, &tlen, &err),
                  DP_UNREACHABLE);
    rlen = s_response (r, "s._domainkey.a.b", 0, 0, NULL, 0);
    cr_assert_eq (dp_dkim_dns_answer_txt (r, rlen, "s._domainkey.a.b", 7, &txt, &tlen, &err),
                  DP_NOTFOUND, "NODATA");
    const uint8_t two [] = { 0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, 2, 1, 'a',
                             0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, 2, 1, 'b' };
    rlen = s_response (r, "s._domainkey.a.b", 0, 2, two, sizeof two);
    cr_assert_eq (dp_dkim_dns_answer_txt (r, rlen, "s._domainkey.a.b", 7, &txt, &tlen, &err),
                  DP_INVALID, "two TXT records");
    const uint8_t loop [] = { 0xc0, 12 + 22, 0, 16, 0, 1, 0, 0, 0, 60, 0, 2, 1, 'a' };
    rlen = s_response (r, "s._domainkey.a.b", 0, 1, loop, sizeof loop);
    cr_assert_eq (dp_dkim_dns_answer_txt (r, rlen, "s._domainkey.a.b", 7, &txt, &tlen, &err),
                  DP_PROTO, "compression loop");
    r [2] |= 0x02;      //  TC: the answer was cut
    cr_assert_eq (dp_dkim_dns_answer_txt (r, rlen, "s._domainkey.a.b", 7, &txt, &tlen, &err),
                  DP_PROTO, "truncated");
}
