/*  test_binding.c — SPEC §5 report data, against the preimage rebuilt
    independently in Python (hashlib) from the SPEC text. */

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dp_binding.h"
#include "dp_hex.h"
#include "dp_sha256.h"

typedef struct {
    int kind;
    char deal_id [700];
    uint8_t payload [32], transcript [32], signer [20];
} binding_case_t;

static void
s_case (int index, binding_case_t *c)
{
    c->kind = index % 2? DP_BINDING_DATA: DP_BINDING_DEAL;
    for (int i = 0; i < 32; i++) {
        c->payload [i] = (uint8_t) (index * 31 + i);
        c->transcript [i] = (uint8_t) (index * 17 + 3 * i + 1);
    }
    for (int i = 0; i < 20; i++)
        c->signer [i] = (uint8_t) (0xa0 + index + i);
    if (index == 4) {
        //  Longer than the stack preimage: the incremental path.
        memset (c->deal_id, 'L', 600);
        c->deal_id [600] = '\0';
    }
    else
        snprintf (c->deal_id, sizeof c->deal_id, "%s-%d",
                  index == 2? "d\xc3\xa9" "al": index == 3? "x": "3f2e1d0c-uuid.v4:batch_A", index);
}

static void
s_hex (FILE *out, const uint8_t *bytes, size_t len)
{
    char text [1500];
    fprintf (out, " %s", dp_hex_encode (bytes, len, text));
}

Test (binding, matches_python_preimage)
{
    enum { CASES = 8 };
    const char *script =
        "import hashlib,sys\n"
        "for line in sys.stdin:\n"
        "    k,d,p,t,s=line.split()\n"
        "    d=bytes.fromhex(d); k=int(k)\n"
        "    t=bytes(32) if k==2 else bytes.fromhex(t)\n"
        "    pre=b'DealProof binding v1'+bytes([k])+len(d).to_bytes(4,'big')+d+t+bytes.fromhex(s)\n"
        "    print(p+hashlib.sha256(pre).hexdigest())\n";
    char script_path [] = "/tmp/dp-binding-py-XXXXXX", input_path [] = "/tmp/dp-binding-in-XXXXXX";
    int fd = mkstemp (script_path);
    cr_assert (fd >= 0);
    cr_assert_eq (write (fd, script, strlen (script)), (ssize_t) strlen (script));
    close (fd);
    FILE *in = fdopen (mkstemp (input_path), "w");
    cr_assert_not_null (in);
    binding_case_t c;
    for (int i = 0; i < CASES; i++) {
        s_case (i, &c);
        fprintf (in, "%d", c.kind);
        s_hex (in, (const uint8_t *) c.deal_id, strlen (c.deal_id));
        s_hex (in, c.payload, 32);
        s_hex (in, c.transcript, 32);
        s_hex (in, c.signer, 20);
        fprintf (in, "\n");
    }
    fclose (in);
    char command [256];
    snprintf (command, sizeof command, "python3 %s < %s", script_path, input_path);
    FILE *python = popen (command, "r");
    cr_assert_not_null (python);
    char line [256];
    int checked = 0;
    while (checked < CASES && fgets (line, sizeof line, python)) {
        s_case (checked, &c);
        uint8_t got [64], want [64];
        dp_binding_report_data (c.payload, c.kind, c.deal_id, c.transcript, c.signer, got);
        cr_assert_eq (dp_hex_decode (line, 128, want, 64, NULL), DP_OK, "python: %s", line);
        cr_assert_arr_eq (got, want, 64, "case %d", checked);
        cr_assert_eq (dp_binding_check (want, c.payload, c.kind, c.deal_id, c.transcript,
                                        c.signer, NULL), DP_OK);
        checked++;
    }
    cr_assert_eq (pclose (python), 0);
    unlink (script_path);
    unlink (input_path);
    cr_assert_eq (checked, CASES);
}

Test (binding, data_kind_ignores_transcript)
{
    binding_case_t c;
    s_case (1, &c);
    uint8_t a [64], b [64];
    dp_binding_report_data (c.payload, DP_BINDING_DATA, c.deal_id, c.transcript, c.signer, a);
    dp_binding_report_data (c.payload, DP_BINDING_DATA, c.deal_id, NULL, c.signer, b);
    cr_assert_arr_eq (a, b, 64);
    cr_assert_arr_eq (a, c.payload, 32, "first half is the payload hash");
    //  The same parts as a deal attestation bind differently.
    dp_binding_report_data (c.payload, DP_BINDING_DEAL, c.deal_id, c.transcript, c.signer, b);
    cr_assert (memcmp (a + 32, b + 32, 32) != 0);
}

Test (binding, check_names_the_half)
{
    binding_case_t c;
    s_case (0, &c);
    uint8_t report [64];
    dp_binding_report_data (c.payload, c.kind, c.deal_id, c.transcript, c.signer, report);
    dp_error_t err;
    cr_assert_eq (dp_binding_check (report, c.payload, c.kind, c.deal_id, c.transcript,
                                    c.signer, &err), DP_OK);
    report [3] ^= 1;
    cr_assert_eq (dp_binding_check (report, c.payload, c.kind, c.deal_id, c.transcript,
                                    c.signer, &err), DP_CRYPTO);
    cr_assert (strstr (err.text, "[0:32]"), "%s", err.text);
    report [3] ^= 1;
    //  Another signer, deal, transcript or kind: the second half differs.
    c.signer [0] ^= 1;
    cr_assert_eq (dp_binding_check (report, c.payload, c.kind, c.deal_id, c.transcript,
                                    c.signer, &err), DP_CRYPTO);
    cr_assert (strstr (err.text, "[32:64]"), "%s", err.text);
    c.signer [0] ^= 1;
    c.transcript [31] ^= 1;
    cr_assert_eq (dp_binding_check (report, c.payload, c.kind, c.deal_id, c.transcript,
                                    c.signer, &err), DP_CRYPTO);
    c.transcript [31] ^= 1;
    cr_assert_eq (dp_binding_check (report, c.payload, c.kind, "other", c.transcript,
                                    c.signer, &err), DP_CRYPTO);
    cr_assert_eq (dp_binding_check (report, c.payload, DP_BINDING_DATA, c.deal_id,
                                    c.transcript, c.signer, &err), DP_CRYPTO);
    cr_assert_eq (dp_binding_check (report, c.payload, 3, c.deal_id, c.transcript,
                                    c.signer, &err), DP_INVALID);
    cr_assert_eq (dp_binding_check (report, c.payload, 1, NULL, c.transcript,
                                    c.signer, &err), DP_INVALID);
}
