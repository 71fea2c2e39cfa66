/*  cmd_prove.c — `dp-submit prove FILE [--chunk-size N]`: the seller proof
    of a file, as the seed's Props snippet makes it (chunk hashes, length-
    prefixed root), hashed on every core.

    stdout: one JSON object {"data_hash": ROOT, "seller_proof": {...}},
    ready to merge into a deal line; stderr: a one-line summary. */

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "dp_props.h"
#include "dp_submit.h"
#include "dp_submit_cli.h"

#define S_COMMAND "prove"

static const dp_config_option_t s_options [] = {
    { "chunk-size", NULL, "1048576", "bytes per chunk (1 MiB by default)", 0, 0 },
    { "threads", NULL, NULL, "hashing threads (default: every core)", 0, 0 },
    DP_SUBMIT_OPTION_JSON,
};

static int
s_print (const char *path, dp_props_proof_t *proof, long long chunk_size, int quiet)
{
    json_object *seller_proof = dp_props_proof_to_json (proof);
    if (!seller_proof) {
        dp_submit_reportf (S_COMMAND, "out of memory");
        return DP_SUBMIT_EXIT_NEGATIVE;
    }
    json_object *root = NULL, *count = NULL;
    json_object_object_get_ex (seller_proof, "root_hash", &root);
    json_object_object_get_ex (seller_proof, "chunk_count", &count);
    json_object *out = json_object_new_object ();
    json_object_object_add (out, "data_hash", json_object_get (root));
    json_object_object_add (out, "seller_proof", seller_proof);
    puts (json_object_to_json_string_ext (out, JSON_C_TO_STRING_PLAIN));
    if (!quiet)
        fprintf (stderr, "%s: %lld chunks of up to %lld bytes, data_hash %s\n", path,
                 (long long) json_object_get_int64 (count), chunk_size,
                 json_object_get_string (root));
    json_object_put (out);
    return fflush (stdout) == 0? DP_SUBMIT_EXIT_OK: DP_SUBMIT_EXIT_NEGATIVE;
}

int
dp_submit_cmd_prove (int argc, char **argv)
{
    int code = DP_SUBMIT_EXIT_OK;
    dp_config_t *config = dp_submit_cli_parse (S_COMMAND, "dp-submit prove FILE [--chunk-size N]",
        s_options, sizeof s_options / sizeof s_options [0], argc, argv, 1, 1, &code);
    if (!config)
        return code;
    long long chunk_size = 0, threads = sysconf (_SC_NPROCESSORS_ONLN);
    if (threads < 1)
        threads = 1;
    if (!dp_submit_cli_int (config, S_COMMAND, "chunk-size", 1, 1LL << 32, &chunk_size, &code)
    ||  !dp_submit_cli_int (config, S_COMMAND, "threads", 1, 256, &threads, &code)) {
        dp_config_destroy (&config);
        return code;
    }
    const char *path = dp_config_positional (config, 0);
    dp_props_proof_t *proof = NULL;
    dp_error_t err;
    dp_status rc = dp_props_prove_file (path, (size_t) chunk_size, (int) threads, &proof, &err);
    if (rc != DP_OK) {
        dp_submit_report (S_COMMAND, &err);
        code = dp_submit_exit_for (rc);
    }
    else
        code = s_print (path, proof, chunk_size, dp_config_get_switch (config, "json"));
    dp_props_proof_destroy (&proof);
    dp_config_destroy (&config);
    return code;
}
