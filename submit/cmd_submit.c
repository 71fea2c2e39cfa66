/*  cmd_submit.c — `dp-submit submit FILE…`: validate, then send to the
    broker with per-deal acknowledgements (dp_submit_flow.h). */

#include "dp_submit.h"
#include "dp_submit_flow.h"

int
dp_submit_cmd_submit (int argc, char **argv)
{
    return dp_submit_flow (argc, argv, 0);
}
