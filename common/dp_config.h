/*  dp_config.h — one configuration table per program.

    Each program declares its options once (name, environment variable,
    default, help); the value of an option is the flag if given, else the
    environment variable if set, else the default (default < environment <
    flag). `--help` prints the table with defaults; secrets are shown as
    "(set)" / "(unset)", never their value.

    Flags: `--name VALUE`, `--name=VALUE`, `--switch`; `--` ends flags. Any
    argument not starting with `--` is a positional argument (a lone `-`
    is positional: stdin). Not thread-safe; parse once at start. */

#ifndef DP_CONFIG_H_INCLUDED
#define DP_CONFIG_H_INCLUDED

#include <stddef.h>
#include <stdio.h>

#include "dp_status.h"

typedef struct {
    const char *name;           //  flag name without dashes: "data"
    const char *env;            //  environment variable, or NULL
    const char *default_value;  //  or NULL (unset)
    const char *help;           //  one line
    int is_switch;              //  a boolean flag: takes no value; "1" when given
    int is_secret;              //  never printed (API keys, private keys)
} dp_config_option_t;

typedef struct dp_config_t dp_config_t;

//  New parser over a borrowed option table (keep it alive). usage is the
//  first help line, e.g. "dp-broker [flags]". NULL if out of memory.
dp_config_t *dp_config_new (const char *program, const char *usage,
                            const dp_config_option_t *options, size_t count);

//  Destroys the parser and its copied values; sets *self_p to NULL.
void dp_config_destroy (dp_config_t **self_p);

//  Reads the environment, then the flags. Returns DP_OK; DP_INVALID with
//  the flag named in err for an unknown flag or a missing value;
//  DP_UNSUPPORTED when --help/-h was given (help already printed to
//  stdout: the caller exits 0). May be called once per parser.
dp_status dp_config_parse (dp_config_t *self, int argc, char **argv, dp_error_t *err)
    DP_MUST_CHECK;

//  The option's value, or NULL if it has none. Borrowed: valid until
//  dp_config_destroy.
const char *dp_config_get (dp_config_t *self, const char *name);

//  Parses the option as a decimal integer in [min, max]. DP_INVALID with
//  "--name: ..." in err when it is not; DP_NOTFOUND when it is unset.
dp_status dp_config_get_int (dp_config_t *self, const char *name, long long min,
                             long long max, long long *out, dp_error_t *err) DP_MUST_CHECK;

//  True when a switch was given (or its environment variable is 1/true/yes).
int dp_config_get_switch (dp_config_t *self, const char *name);

//  True when the option came from a flag or the environment, not a default.
int dp_config_is_set (dp_config_t *self, const char *name);

int dp_config_positional_count (dp_config_t *self);
//  Borrowed; NULL when index is out of range.
const char *dp_config_positional (dp_config_t *self, int index);

//  Prints usage and the option table with defaults and variables.
void dp_config_print_help (dp_config_t *self, FILE *out);

#endif
