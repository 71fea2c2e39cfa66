/*  dp_submit_cli.h — pieces every dp-submit command shares: flag parsing
    through dp_config with SPEC §10 exit codes, the broker option, output
    files for results and ids, and deal ids.

    Threading: used from the command's main thread. */

#ifndef DP_SUBMIT_CLI_H_INCLUDED
#define DP_SUBMIT_CLI_H_INCLUDED

#include <stddef.h>
#include <stdio.h>

#include "dp_config.h"
#include "dp_status.h"

//  The broker endpoint option (default < DP_BROKER < --broker).
#define DP_SUBMIT_OPTION_BROKER \
    { "broker", "DP_BROKER", NULL, "broker endpoint, e.g. tcp://127.0.0.1:5570", 0, 0 }
//  How long to wait for the broker to answer a request.
#define DP_SUBMIT_OPTION_TIMEOUT \
    { "timeout", "DP_TIMEOUT_MS", "10000", "milliseconds to wait for the broker's answer", 0, 0 }
#define DP_SUBMIT_OPTION_JSON \
    { "json", NULL, NULL, "machine-readable output: one JSON object per line on stdout", 1, 0 }
#define DP_SUBMIT_OPTION_PCCS \
    { "pccs", "DP_PCCS_URL", NULL, \
      "fetch collateral for real quotes from this PCS/PCCS (https; cached in ~/.cache/dealproof/collateral)", 0, 0 }
#define DP_SUBMIT_OPTION_SIM_ROOT \
    { "sim-root", "DP_SIM_ROOT", NULL, \
      "simulation root folder (default ${XDG_DATA_HOME:-~/.local/share}/dealproof/sim-root)", 0, 0 }

//  Parses a command's flags. Returns the parser, or NULL with *exit_code
//  set: 0 after --help (help printed), 2 after a usage error (reported on
//  stderr with the command's name), 1 if out of memory. min_positional /
//  max_positional bound the positional arguments (max -1: no bound).
dp_config_t *dp_submit_cli_parse (const char *command, const char *usage,
                                  const dp_config_option_t *options, size_t count,
                                  int argc, char **argv, int min_positional,
                                  int max_positional, int *exit_code);

//  Reads an integer option in [min, max]; reports and returns 0 on a bad
//  value (then *exit_code = 2). An unset option leaves *out as is.
int dp_submit_cli_int (dp_config_t *config, const char *command, const char *name,
                       long long min, long long max, long long *out, int *exit_code);

//  Opens a file for appending results or ids ("-" = stdout, borrowed).
//  NULL with DP_IO named in err.
FILE *dp_submit_cli_open_output (const char *path, dp_error_t *err);

//  Closes what dp_submit_cli_open_output opened (never stdout); returns
//  DP_IO if a write failed or the close did.
dp_status dp_submit_cli_close_output (FILE *file, const char *path, dp_error_t *err);

//  Writes text and a newline, then flushes, so a reader (or a crash) sees
//  whole lines only. DP_IO on failure.
dp_status dp_submit_cli_write_line (FILE *file, const char *text, size_t len,
                                    dp_error_t *err) DP_MUST_CHECK;

//  Reads a whole file ("-" = stdin) into a NUL-terminated malloc'd
//  buffer of at most max bytes. DP_IO (named), DP_LIMIT or DP_NOMEM.
dp_status dp_submit_cli_read_file (const char *path, size_t max, char **text,
                                   size_t *len, dp_error_t *err) DP_MUST_CHECK;

#endif
