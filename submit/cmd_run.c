/*  cmd_run.c — `dp-submit run FILE…`: submit and wait for every result,
    with an embedded broker and workers when none is configured
    (dp_submit_flow.h). */

#include "dp_submit.h"
#include "dp_submit_flow.h"

int
dp_submit_cmd_run (int argc, char **argv)
{
    return dp_submit_flow (argc, argv, 1);
}
