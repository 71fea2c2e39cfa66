/*  dp_config.c — one configuration table per program. */

#include "dp_config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum { S_UNSET = 0, S_DEFAULT, S_ENV, S_FLAG } s_source;

struct dp_config_t {
    const char *program;
    const char *usage;
    const dp_config_option_t *options;
    size_t count;
    char **values;              //  owned copies, one per option (NULL = unset)
    s_source *sources;
    char **positionals;         //  borrowed from argv
    int positional_count;
};

dp_config_t *
dp_config_new (const char *program, const char *usage,
               const dp_config_option_t *options, size_t count)
{
    dp_config_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->program = program;
    self->usage = usage;
    self->options = options;
    self->count = count;
    self->values = calloc (count? count: 1, sizeof *self->values);
    self->sources = calloc (count? count: 1, sizeof *self->sources);
    if (!self->values || !self->sources) {
        dp_config_destroy (&self);
        return NULL;
    }
    return self;
}

void
dp_config_destroy (dp_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dp_config_t *self = *self_p;
    for (size_t i = 0; self->values && i < self->count; i++) {
        if (self->values [i] && self->options [i].is_secret)
            memset (self->values [i], 0, strlen (self->values [i]));
        free (self->values [i]);
    }
    free (self->values);
    free (self->sources);
    free (self->positionals);
    free (self);
    *self_p = NULL;
}

static int
s_find (dp_config_t *self, const char *name, size_t name_len)
{
    for (size_t i = 0; i < self->count; i++)
        if (strlen (self->options [i].name) == name_len
        &&  strncmp (self->options [i].name, name, name_len) == 0)
            return (int) i;
    return -1;
}

static dp_status
s_set (dp_config_t *self, size_t index, const char *value, s_source source)
{
    char *copy = strdup (value);
    if (!copy)
        return DP_NOMEM;
    free (self->values [index]);
    self->values [index] = copy;
    self->sources [index] = source;
    return DP_OK;
}

static dp_status
s_load_defaults_and_env (dp_config_t *self)
{
    for (size_t i = 0; i < self->count; i++) {
        const dp_config_option_t *option = &self->options [i];
        const char *env = option->env? getenv (option->env): NULL;
        dp_status rc = DP_OK;
        if (env && *env)
            rc = s_set (self, i, env, S_ENV);
        else
        if (option->default_value)
            rc = s_set (self, i, option->default_value, S_DEFAULT);
        if (rc != DP_OK)
            return rc;
    }
    return DP_OK;
}

static dp_status
s_parse_flag (dp_config_t *self, int argc, char **argv, int *index, dp_error_t *err)
{
    const char *arg = argv [*index] + 2;
    const char *equals = strchr (arg, '=');
    size_t name_len = equals? (size_t) (equals - arg): strlen (arg);
    int option = s_find (self, arg, name_len);
    if (option < 0)
        return dp_error_set (err, DP_INVALID, "--%.*s: unknown flag (see %s --help)",
                             (int) name_len, arg, self->program);
    if (self->options [option].is_switch) {
        if (equals)
            return dp_error_set (err, DP_INVALID, "--%s: takes no value", self->options [option].name);
        return s_set (self, (size_t) option, "1", S_FLAG);
    }
    const char *value = equals? equals + 1: NULL;
    if (!value) {
        if (*index + 1 >= argc)
            return dp_error_set (err, DP_INVALID, "--%s: missing value", self->options [option].name);
        value = argv [++*index];
    }
    return s_set (self, (size_t) option, value, S_FLAG);
}

dp_status
dp_config_parse (dp_config_t *self, int argc, char **argv, dp_error_t *err)
{
    dp_status rc = s_load_defaults_and_env (self);
    if (rc != DP_OK)
        return dp_error_set (err, rc, "out of memory");
    free (self->positionals);
    self->positionals = calloc ((size_t) (argc > 0? argc: 1), sizeof (char *));
    if (!self->positionals)
        return dp_error_set (err, DP_NOMEM, "out of memory");
    int flags_done = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv [i];
        if (!flags_done && (strcmp (arg, "--help") == 0 || strcmp (arg, "-h") == 0)) {
            dp_config_print_help (self, stdout);
            return DP_UNSUPPORTED;
        }
        if (!flags_done && strcmp (arg, "--") == 0) {
            flags_done = 1;
            continue;
        }
        if (!flags_done && strncmp (arg, "--", 2) == 0) {
            rc = s_parse_flag (self, argc, argv, &i, err);
            if (rc != DP_OK)
                return rc;
            continue;
        }
        self->positionals [self->positional_count++] = argv [i];
    }
    return DP_OK;
}

const char *
dp_config_get (dp_config_t *self, const char *name)
{
    int index = s_find (self, name, strlen (name));
    return index < 0? NULL: self->values [index];
}

int
dp_config_is_set (dp_config_t *self, const char *name)
{
    int index = s_find (self, name, strlen (name));
    return index >= 0 && self->sources [index] >= S_ENV;
}

dp_status
dp_config_get_int (dp_config_t *self, const char *name, long long min,
                   long long max, long long *out, dp_error_t *err)
{
    const char *text = dp_config_get (self, name);
    if (!text)
        return dp_error_set (err, DP_NOTFOUND, "--%s: not set", name);
    char *end = NULL;
    errno = 0;
    long long value = strtoll (text, &end, 10);
    if (errno || end == text || *end != '\0')
        return dp_error_set (err, DP_INVALID, "--%s: '%s' is not an integer", name, text);
    if (value < min || value > max)
        return dp_error_set (err, DP_INVALID, "--%s: %lld is out of range [%lld, %lld]",
                             name, value, min, max);
    *out = value;
    return DP_OK;
}

int
dp_config_get_switch (dp_config_t *self, const char *name)
{
    const char *text = dp_config_get (self, name);
    if (!text)
        return 0;
    return strcmp (text, "1") == 0 || strcasecmp (text, "true") == 0
        || strcasecmp (text, "yes") == 0 || strcasecmp (text, "on") == 0;
}

int
dp_config_positional_count (dp_config_t *self)
{
    return self->positional_count;
}

const char *
dp_config_positional (dp_config_t *self, int index)
{
    if (index < 0 || index >= self->positional_count)
        return NULL;
    return self->positionals [index];
}

void
dp_config_print_help (dp_config_t *self, FILE *out)
{
    fprintf (out, "usage: %s\n\nflags:\n", self->usage? self->usage: self->program);
    for (size_t i = 0; i < self->count; i++) {
        const dp_config_option_t *option = &self->options [i];
        char flag [96];
        snprintf (flag, sizeof flag, "--%s%s", option->name, option->is_switch? "": " VALUE");
        fprintf (out, "  %-28s %s", flag, option->help? option->help: "");
        if (option->is_secret)
            fprintf (out, " (secret)");
        else
        if (option->default_value)
            fprintf (out, " [default: %s]", option->default_value);
        if (option->env)
            fprintf (out, " (env %s)", option->env);
        fprintf (out, "\n");
    }
    fprintf (out, "  %-28s %s\n", "--help", "show this help");
}
