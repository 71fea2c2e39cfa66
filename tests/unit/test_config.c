/*  test_config.c — default < environment < flag, errors name the flag. */

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "dp_config.h"

static const dp_config_option_t s_options [] = {
    { "data", "DP_TEST_DATA", "/var/lib/dp", "data folder", 0, 0 },
    { "listen", "DP_TEST_LISTEN", "tcp://127.0.0.1:5570", "endpoint", 0, 0 },
    { "capacity", NULL, "64", "jobs at once", 0, 0 },
    { "json", NULL, NULL, "machine output", 1, 0 },
    { "api-key", "DP_TEST_KEY", NULL, "API key", 0, 1 },
};
#define S_COUNT (sizeof s_options / sizeof s_options [0])

Test (config, precedence)
{
    setenv ("DP_TEST_DATA", "/from/env", 1);
    setenv ("DP_TEST_LISTEN", "tcp://env:1", 1);
    unsetenv ("DP_TEST_KEY");
    dp_config_t *config = dp_config_new ("t", "t [flags]", s_options, S_COUNT);
    char *argv [] = { "t", "--listen=tcp://flag:2", "file1", "--json", "-", "--capacity", "8", NULL };
    dp_error_t err;
    cr_assert_eq (dp_config_parse (config, 7, argv, &err), DP_OK);
    cr_assert_str_eq (dp_config_get (config, "data"), "/from/env");
    cr_assert_str_eq (dp_config_get (config, "listen"), "tcp://flag:2");
    cr_assert (dp_config_is_set (config, "listen"));
    cr_assert (dp_config_is_set (config, "capacity"));
    cr_assert_not (dp_config_is_set (config, "api-key"));
    cr_assert (dp_config_get_switch (config, "json"));
    cr_assert_null (dp_config_get (config, "api-key"));
    long long capacity = 0;
    cr_assert_eq (dp_config_get_int (config, "capacity", 1, 1000, &capacity, &err), DP_OK);
    cr_assert_eq (capacity, 8);
    cr_assert_eq (dp_config_positional_count (config), 2);
    cr_assert_str_eq (dp_config_positional (config, 0), "file1");
    cr_assert_str_eq (dp_config_positional (config, 1), "-");
    cr_assert_null (dp_config_positional (config, 2));
    dp_config_destroy (&config);
    cr_assert_null (config);
    unsetenv ("DP_TEST_DATA");
    unsetenv ("DP_TEST_LISTEN");
}

Test (config, errors_name_the_flag)
{
    dp_config_t *config = dp_config_new ("t", NULL, s_options, S_COUNT);
    dp_error_t err;
    char *unknown [] = { "t", "--colour", NULL };
    cr_assert_eq (dp_config_parse (config, 2, unknown, &err), DP_INVALID);
    cr_assert (strstr (err.text, "--colour: unknown flag"), "%s", err.text);
    dp_config_destroy (&config);

    config = dp_config_new ("t", NULL, s_options, S_COUNT);
    char *missing [] = { "t", "--data", NULL };
    cr_assert_eq (dp_config_parse (config, 2, missing, &err), DP_INVALID);
    cr_assert (strstr (err.text, "--data: missing value"), "%s", err.text);
    dp_config_destroy (&config);

    config = dp_config_new ("t", NULL, s_options, S_COUNT);
    char *range [] = { "t", "--capacity", "0", NULL };
    cr_assert_eq (dp_config_parse (config, 3, range, &err), DP_OK);
    long long value;
    cr_assert_eq (dp_config_get_int (config, "capacity", 1, 10, &value, &err), DP_INVALID);
    cr_assert (strstr (err.text, "--capacity: 0 is out of range"), "%s", err.text);
    dp_config_destroy (&config);
}

Test (config, secrets_never_printed)
{
    setenv ("DP_TEST_KEY", "sk-ant-secret-123", 1);
    dp_config_t *config = dp_config_new ("t", NULL, s_options, S_COUNT);
    char *argv [] = { "t", NULL };
    dp_error_t err;
    cr_assert_eq (dp_config_parse (config, 1, argv, &err), DP_OK);
    cr_assert_str_eq (dp_config_get (config, "api-key"), "sk-ant-secret-123");
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    dp_config_print_help (config, out);
    fclose (out);
    cr_assert_null (strstr (text, "sk-ant-secret-123"));
    cr_assert (strstr (text, "(secret)"));
    free (text);
    dp_config_destroy (&config);
    unsetenv ("DP_TEST_KEY");
}
