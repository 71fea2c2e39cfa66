/*  dp_submit_flow.h — what `submit` and `run` share: read and validate the
    input files, then send the valid deals, then (with --wait, or always
    for run) follow them until every one is final.

    Threading: the command's main thread. */

#ifndef DP_SUBMIT_FLOW_H_INCLUDED
#define DP_SUBMIT_FLOW_H_INCLUDED

//  Runs `dp-submit submit` (is_run 0) or `dp-submit run` (is_run 1) with
//  argv[0] the command name. Returns the SPEC §10 exit code.
int dp_submit_flow (int argc, char **argv, int is_run);

#endif
