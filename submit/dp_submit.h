/*  dp_submit.h — the dp-submit command line: exit codes, error reporting
    and the subcommands that main.c dispatches.

    Each subcommand is `int dp_submit_cmd_<name> (int argc, char **argv)`
    with argv[0] = the command's name; it returns the process exit code of
    SPEC §10 and prints results on stdout, diagnostics on stderr. */

#ifndef DP_SUBMIT_H_INCLUDED
#define DP_SUBMIT_H_INCLUDED

#include "dp_status.h"

//  SPEC §10 exit codes.
#define DP_SUBMIT_EXIT_OK          0   //  success: every deal agreed, every check passed
#define DP_SUBMIT_EXIT_NEGATIVE    1   //  the work ran but the answer is negative
#define DP_SUBMIT_EXIT_USAGE       2   //  usage or bad input
#define DP_SUBMIT_EXIT_UNREACHABLE 3   //  broker unreachable or timed out

//  Exit code for a status that ends a command: INVALID, LIMIT, EXISTS,
//  UNSUPPORTED and IO on the user's input give 2; UNREACHABLE and TIMEOUT
//  give 3; everything else (a check that failed, an internal error) 1.
int dp_submit_exit_for (dp_status code);

//  Prints "dp-submit <command>: <message>" on stderr.
void dp_submit_report (const char *command, const dp_error_t *err);

//  printf-style variant of dp_submit_report.
void dp_submit_reportf (const char *command, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

int dp_submit_cmd_submit (int argc, char **argv);
int dp_submit_cmd_run (int argc, char **argv);
int dp_submit_cmd_status (int argc, char **argv);
int dp_submit_cmd_result (int argc, char **argv);
int dp_submit_cmd_attestation (int argc, char **argv);
int dp_submit_cmd_verification (int argc, char **argv);
int dp_submit_cmd_list (int argc, char **argv);
int dp_submit_cmd_watch (int argc, char **argv);
int dp_submit_cmd_stats (int argc, char **argv);
int dp_submit_cmd_prove (int argc, char **argv);
int dp_submit_cmd_inspect (int argc, char **argv);
int dp_submit_cmd_verify (int argc, char **argv);
int dp_submit_cmd_demo (int argc, char **argv);
int dp_submit_cmd_dkim (int argc, char **argv);     //  submit/cmd_dkim.c (dkim helper)

#endif
