/*  bench_canonical.c — canonical JSON throughput: attestation payloads
    (Python's json.dumps form, SPEC §5), transcript digests, deal bodies
    (SPEC §2 compact form) and whole deals (parse + validate + body), with
    json-c's own plain writer beside them as a reference in the same run.
    Prints figures only; never passes or fails on time.

    Usage: bench_canonical [SECONDS_PER_CASE]   (default 1) */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dp_deal.h"
#include "dp_json.h"
#include "dp_result.h"

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

typedef int (s_case_fn) (void *arg, size_t *bytes);

//  Runs fn for about `seconds`, prints operations and bytes per second.
static void
s_measure (const char *name, s_case_fn *fn, void *arg, double seconds)
{
    size_t count = 0, bytes = 0;
    double start = s_now (), elapsed = 0;
    while (elapsed < seconds) {
        for (int i = 0; i < 100; i++) {
            size_t n = 0;
            if (fn (arg, &n) != 0) {
                printf ("%-44s FAILED\n", name);
                return;
            }
            bytes += n;
        }
        count += 100;
        elapsed = s_now () - start;
    }
    printf ("%-44s %12.0f /s %10.1f MB/s %8zu B each\n", name, (double) count / elapsed,
            (double) bytes / elapsed / 1e6, bytes / count);
}

static int
s_pydumps_case (void *arg, size_t *bytes)
{
    char *text;
    if (dp_json_pydumps ((json_object *) arg, &text, bytes, NULL) != DP_OK)
        return -1;
    free (text);
    return 0;
}

static int
s_canonical_case (void *arg, size_t *bytes)
{
    char *text;
    if (dp_json_canonical ((json_object *) arg, &text, bytes, NULL) != DP_OK)
        return -1;
    free (text);
    return 0;
}

static int
s_jsonc_case (void *arg, size_t *bytes)
{
    size_t len;
    const char *text = json_object_to_json_string_length ((json_object *) arg,
                                                          JSON_C_TO_STRING_PLAIN, &len);
    *bytes = len;
    return text? 0: -1;
}

static int
s_digest_case (void *arg, size_t *bytes)
{
    uint8_t digest [32];
    *bytes = 0;
    return dp_result_payload_digest ((json_object *) arg, digest, NULL) == DP_OK? 0: -1;
}

typedef struct {
    const char *text;
    size_t len;
} s_text_t;

static int
s_deal_case (void *arg, size_t *bytes)
{
    s_text_t *input = arg;
    dp_deal_t *deal;
    if (dp_deal_from_json (input->text, input->len, NULL, &deal, NULL) != DP_OK)
        return -1;
    *bytes = deal->body_len;
    dp_deal_destroy (&deal);
    return 0;
}

static json_object *
s_transcript (int rounds)
{
    json_object *transcript = json_object_new_array ();
    for (int round = 1; round <= rounds; round++) {
        json_object_array_add (transcript, dp_result_entry_new (round, "seller", "counter",
            90000 - round * 1000, dp_result_terms_new ("full", 365),
            "Premium curated dataset, quality-verified 2024; meeting you partway.", "engine"));
        json_object_array_add (transcript, dp_result_entry_new (round, "buyer", "counter",
            60000 + round * 1000, dp_result_terms_new ("full", 365),
            "Closer, but still above what the requirements justify \xe2\x80\x94 counter.", "llm"));
    }
    return transcript;
}

static const char *s_deal_text =
    "{\"deal_id\": \"bench-1\", \"buyer_budget\": 1000.0, \"floor_price\": 600.0, "
    "\"buyer_requirements\": \"10 GB COCO-style labelled image dataset for fine-tuning a computer vision "
    "model. Must include bounding boxes, segmentation masks, and class labels. Minimum 500k images across "
    "80+ categories. 2023 or newer.\", \"data_description\": \"10 GB curated COCO-style dataset: 520k images, "
    "80 categories, bounding boxes + segmentation masks, quality-verified 2024, licensed for ML training use.\", "
    "\"data_hash\": \"bab5be0d0c6bf806abc221e5b11ae1e1ce358a36caf475a12f01ba28c100cd7f\", "
    "\"seller_address\": \"0x52908400098527886e0f7030069857d2e4169ee7\", \"escrow_amount_eth\": 0.01, "
    "\"terms_options\": {\"access_scope\": [\"full\", \"row_level\"], \"duration_days\": [90, 365]}, "
    "\"floor_by_terms\": {\"row_level/90\": 250}, \"max_rounds\": 10}";

int
main (int argc, char **argv)
{
    double seconds = argc > 1? atof (argv [1]): 1.0;
    if (seconds <= 0)
        seconds = 1.0;
    json_object *payload = dp_result_deal_payload_new (73000, "full", 365,
        "bab5be0d0c6bf806abc221e5b11ae1e1ce358a36caf475a12f01ba28c100cd7f");
    json_object *data_payload = dp_result_data_payload_new (
        "bab5be0d0c6bf806abc221e5b11ae1e1ce358a36caf475a12f01ba28c100cd7f", 5);
    json_object *transcript = s_transcript (10);
    json_object *deal_object = NULL;
    if (dp_json_parse (s_deal_text, strlen (s_deal_text), &deal_object, NULL) != DP_OK)
        return 1;
    s_text_t deal_input = { s_deal_text, strlen (s_deal_text) };
    printf ("canonical JSON throughput, %.1f s per case\n", seconds);
    s_measure ("deal payload: json.dumps form (ours)", s_pydumps_case, payload, seconds);
    s_measure ("deal payload: json-c plain writer (reference)", s_jsonc_case, payload, seconds);
    s_measure ("deal payload: SHA-256 of json.dumps", s_digest_case, payload, seconds);
    s_measure ("data payload: json.dumps form (ours)", s_pydumps_case, data_payload, seconds);
    s_measure ("transcript 20 moves: json.dumps form (ours)", s_pydumps_case, transcript, seconds);
    s_measure ("transcript 20 moves: json-c plain writer", s_jsonc_case, transcript, seconds);
    s_measure ("deal body: compact canonical (ours)", s_canonical_case, deal_object, seconds);
    s_measure ("deal body: json-c plain writer (reference)", s_jsonc_case, deal_object, seconds);
    s_measure ("deal: parse + validate + body", s_deal_case, &deal_input, seconds);
    json_object_put (payload);
    json_object_put (data_payload);
    json_object_put (transcript);
    json_object_put (deal_object);
    return 0;
}
