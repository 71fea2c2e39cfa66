/*  fuzz_submit_verify.c — `dp-submit verify` on hostile result files: any
    JSON value goes through every check without a crash, a leak or an
    out-of-bounds read, and the failure count matches what was reported. */

#include <stdint.h>
#include <stdlib.h>

#include "dp_json.h"
#include "dp_submit_verify.h"

static void
s_count (void *arg, const char *check, int ok, const char *detail)
{
    if (ok == 0)
        (*(int *) arg)++;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size > 256 * 1024)
        return 0;
    json_object *result = NULL;
    if (dp_json_parse ((const char *) data, size, &result, NULL) != DP_OK)
        return 0;
    //  A folder that does not exist: simulated quotes fail their chain
    //  check instead of touching the user's simulation root.
    dp_submit_verify_options_t options = { .sim_root_dir = "/nonexistent/dp-fuzz-sim-root",
                                           .now = 1752919234 };
    int reported = 0, failed = 0;
    dp_error_t err;
    dp_status rc = dp_submit_verify_result (result, &options, s_count, &reported, &failed, &err);
    if (rc == DP_OK && failed != reported)
        abort ();
    json_object_put (result);
    return 0;
}
