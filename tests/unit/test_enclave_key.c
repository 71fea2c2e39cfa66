/*  test_enclave_key.c — the worker key in simulation: generated once,
    stored 0600, reloaded, shared by concurrent workers, refused when the
    file is too open or malformed; its address and signatures. (Derivation
    in a CVM is tested against the dstack/tappd test servers in
    test_tee_api.c.) */

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dp_enclave_key.h"
#include "dp_eth.h"
#include "dp_simroot.h"
#include "dp_tee.h"
#include "fake_tee.h"

static char s_base [256];
static dp_tee_t *s_tee;

static void
s_setup (void)
{
    snprintf (s_base, sizeof s_base, "/tmp/dp-test-key.XXXXXX");
    cr_assert_not_null (mkdtemp (s_base));
    char dir [300];
    snprintf (dir, sizeof dir, "%s/sim-root", s_base);
    dp_tee_options_t options = { .mode = "simulation", .sim_root = dir };
    dp_error_t err;
    s_tee = dp_tee_new (&options, &err);
    cr_assert_not_null (s_tee, "%s", err.text);
}

static void
s_teardown (void)
{
    dp_tee_destroy (&s_tee);
    char command [300];
    snprintf (command, sizeof command, "rm -rf '%s'", s_base);
    cr_assert_eq (system (command), 0);
}

static const char *
s_path (const char *name)
{
    static char path [512];
    snprintf (path, sizeof path, "%s/%s", s_base, name);
    return path;
}

TestSuite (enclave_key, .init = s_setup, .fini = s_teardown);

Test (enclave_key, generated_then_stored)
{
    char file [512];
    snprintf (file, sizeof file, "%s", s_path ("keys/deep/worker-key"));
    dp_enclave_key_options_t options = { .key_file = file };
    dp_error_t err;
    dp_enclave_key_t *key = dp_enclave_key_new (s_tee, &options, &err);
    cr_assert_not_null (key, "%s", err.text);
    cr_assert_str_eq (dp_enclave_key_source (key), "generated");
    cr_assert_str_eq (dp_enclave_key_file (key), file);
    struct stat st;
    cr_assert_eq (stat (file, &st), 0);
    cr_assert_eq (st.st_mode & 0777, 0600);
    cr_assert_eq (st.st_size, 65);
    cr_assert_eq (stat (s_path ("keys"), &st), 0);
    cr_assert_eq (st.st_mode & 0777, 0700);
    //  The address is the secret's Ethereum address, EIP-55 in text.
    uint8_t address [20];
    char text [DP_ETH_ADDRESS_TEXT_SIZE];
    cr_assert_eq (dp_eth_address_from_key (dp_enclave_key_secret (key), address, &err), DP_OK);
    cr_assert_arr_eq (address, dp_enclave_key_address (key), 20);
    dp_eth_address_eip55 (address, text);
    cr_assert_str_eq (dp_enclave_key_address_text (key), text);
    //  Signatures recover to the address.
    uint8_t digest [32], sig [65], recovered [20];
    for (int i = 0; i < 32; i++)
        digest [i] = (uint8_t) (i * 13 + 1);
    cr_assert_eq (dp_enclave_key_sign (key, digest, sig, &err), DP_OK);
    cr_assert (sig [64] == 27 || sig [64] == 28);
    cr_assert_eq (dp_eth_recover (digest, sig, recovered, &err), DP_OK);
    cr_assert_arr_eq (recovered, address, 20);
    //  A restart loads the same key.
    dp_enclave_key_t *again = dp_enclave_key_new (s_tee, &options, &err);
    cr_assert_not_null (again, "%s", err.text);
    cr_assert_str_eq (dp_enclave_key_source (again), "stored");
    cr_assert_str_eq (dp_enclave_key_address_text (again), text);
    dp_enclave_key_destroy (&again);
    dp_enclave_key_destroy (&key);
    cr_assert_null (key);
    dp_enclave_key_destroy (&key);
}

Test (enclave_key, data_dir_and_default_file)
{
    char data [512];
    snprintf (data, sizeof data, "%s", s_path ("data"));
    dp_enclave_key_options_t options = { .data_dir = data };
    char file [600];
    dp_error_t err;
    cr_assert_eq (dp_enclave_key_default_file (&options, file, sizeof file, &err), DP_OK);
    cr_assert_str_eq (file, s_path ("data/worker-key"));
    dp_enclave_key_t *key = dp_enclave_key_new (s_tee, &options, &err);
    cr_assert_not_null (key, "%s", err.text);
    cr_assert_str_eq (dp_enclave_key_file (key), s_path ("data/worker-key"));
    dp_enclave_key_destroy (&key);
    //  Without options: XDG_DATA_HOME, else HOME.
    setenv ("XDG_DATA_HOME", "/xdg", 1);
    cr_assert_eq (dp_enclave_key_default_file (NULL, file, sizeof file, &err), DP_OK);
    cr_assert_str_eq (file, "/xdg/dealproof/worker-key");
    unsetenv ("XDG_DATA_HOME");
    setenv ("HOME", "/home/bob", 1);
    cr_assert_eq (dp_enclave_key_default_file (NULL, file, sizeof file, &err), DP_OK);
    cr_assert_str_eq (file, "/home/bob/.local/share/dealproof/worker-key");
    unsetenv ("HOME");
    cr_assert_eq (dp_enclave_key_default_file (NULL, file, sizeof file, &err), DP_INVALID);
}

static void
s_write (const char *path, const char *text, mode_t mode)
{
    FILE *file = fopen (path, "w");
    cr_assert_not_null (file);
    fputs (text, file);
    fclose (file);
    cr_assert_eq (chmod (path, mode), 0);
}

Test (enclave_key, refuses_open_or_bad_files)
{
    dp_error_t err;
    char file [512];
    snprintf (file, sizeof file, "%s", s_path ("open-key"));
    s_write (file, "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318\n", 0644);
    dp_enclave_key_options_t options = { .key_file = file };
    cr_assert_null (dp_enclave_key_new (s_tee, &options, &err));
    cr_assert_eq (err.code, DP_INVALID);
    cr_assert (strstr (err.text, "chmod 600"), "%s", err.text);
    //  The same key with the right mode is accepted (a known address).
    cr_assert_eq (chmod (file, 0600), 0);
    dp_enclave_key_t *key = dp_enclave_key_new (s_tee, &options, &err);
    cr_assert_not_null (key, "%s", err.text);
    cr_assert_str_eq (dp_enclave_key_address_text (key), "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
    dp_enclave_key_destroy (&key);
    const char *bad [] = {
        "not hex\n",
        "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f3623\n",     //  31 bytes
        "0000000000000000000000000000000000000000000000000000000000000000\n",   //  zero key
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141\n",   //  = n
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        s_write (file, bad [i], 0600);
        cr_assert_null (dp_enclave_key_new (s_tee, &options, &err), "accepted case %zu", i);
        cr_assert_eq (err.code, DP_INVALID, "case %zu: %s", i, err.text);
        cr_assert (strstr (err.text, file), "%s", err.text);
    }
    //  A folder where the file should be.
    options.key_file = s_base;
    cr_assert_null (dp_enclave_key_new (s_tee, &options, &err));
    cr_assert_eq (err.code, DP_INVALID);
}

Test (enclave_key, concurrent_workers_share_one_key)
{
    char file [512];
    snprintf (file, sizeof file, "%s", s_path ("shared/worker-key"));
    int fds [2];
    cr_assert_eq (pipe (fds), 0);
    enum { N = 6 };
    for (int i = 0; i < N; i++) {
        if (fork () == 0) {
            dp_enclave_key_options_t options = { .key_file = file };
            dp_error_t err;
            dp_enclave_key_t *key = dp_enclave_key_new (s_tee, &options, &err);
            char line [43] = "error";
            if (key)
                snprintf (line, sizeof line, "%s", dp_enclave_key_address_text (key));
            if (write (fds [1], line, 42) != 42)
                _exit (2);
            _exit (key ? 0 : 1);
        }
    }
    close (fds [1]);
    for (int i = 0; i < N; i++) {
        int status = 0;
        wait (&status);
        cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    }
    char all [N * 42];
    size_t got = 0;
    ssize_t n;
    while ((n = read (fds [0], all + got, sizeof all - got)) > 0)
        got += (size_t) n;
    close (fds [0]);
    cr_assert_eq (got, N * 42);
    for (int i = 1; i < N; i++)
        cr_assert_eq (memcmp (all, all + 42 * i, 42), 0, "worker %d has another key", i);
    char command [700];
    snprintf (command, sizeof command, "test $(ls -A '%s/shared' | wc -l) -eq 1", s_base);
    cr_assert_eq (system (command), 0, "temporary files left behind");
}

Test (enclave_key, derived_in_a_cvm)
{
    //  fake_tee.py's default key is web3's documented example key.
    const char *apis [] = { "dstack", "tappd" };
    const char *methods [] = { "/GetKey", "/prpc/Tappd.DeriveK256Key" };
    for (int i = 0; i < 2; i++) {
        ft_server_t server;
        ft_start (&server, s_base, apis [i], i ? "tappd.sock" : "dstack.sock",
                  i ? FT_QUOTE_TAPPD : FT_QUOTE_DSTACK, NULL);
        dp_tee_options_t tee_options = { .socket_dir = s_base };
        dp_error_t err;
        dp_tee_t *tee = dp_tee_new (&tee_options, &err);
        cr_assert_not_null (tee, "%s", err.text);
        dp_enclave_key_t *key = dp_enclave_key_new (tee, NULL, &err);
        cr_assert_not_null (key, "%s", err.text);
        cr_assert_str_eq (dp_enclave_key_source (key), "derived");
        cr_assert_null (dp_enclave_key_file (key));
        cr_assert_str_eq (dp_enclave_key_address_text (key),
                          "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
        json_object *requests = ft_requests (&server);
        json_object *last = json_object_array_get_idx (requests, json_object_array_length (requests) - 1);
        cr_assert_str_eq (ft_get (last, "path"), methods [i]);
        json_object *body = json_tokener_parse (ft_get (last, "body"));
        cr_assert_str_eq (ft_get (body, "path"), DP_ENCLAVE_KEY_DERIVE_PATH);
        json_object_put (body);
        json_object_put (requests);
        dp_enclave_key_destroy (&key);
        //  A custom path reaches the TEE as given.
        dp_enclave_key_options_t options = { .derive_path = "other/path" };
        key = dp_enclave_key_new (tee, &options, &err);
        cr_assert_not_null (key, "%s", err.text);
        dp_enclave_key_destroy (&key);
        //  The TEE going away: a clear error, no key.
        ft_stop (&server);
        unlink (server.endpoint);
        cr_assert_null (dp_enclave_key_new (tee, NULL, &err));
        cr_assert (strstr (err.text, "worker key"), "%s", err.text);
        cr_assert (strstr (err.text, "key derivation failed"), "%s", err.text);
        dp_tee_destroy (&tee);
    }
}

Test (enclave_key, legacy_tappd_without_k256_uses_a_stored_key)
{
    //  The legacy tappd simulator has no DeriveK256Key: the worker falls
    //  back to a generated, stored key rather than refusing to start.
    ft_server_t server;
    ft_start (&server, s_base, "tappd-legacy", NULL, FT_QUOTE_TAPPD, NULL);
    dp_tee_options_t tee_options = { .tappd_endpoint = server.endpoint, .socket_dir = s_base };
    dp_error_t err;
    dp_tee_t *tee = dp_tee_new (&tee_options, &err);
    cr_assert_not_null (tee, "%s", err.text);
    cr_assert_str_eq (dp_tee_mode_name (tee), "tappd");
    char file [512];
    snprintf (file, sizeof file, "%s", s_path ("legacy-key"));
    dp_enclave_key_options_t options = { .key_file = file };
    dp_enclave_key_t *key = dp_enclave_key_new (tee, &options, &err);
    cr_assert_not_null (key, "%s", err.text);
    cr_assert_str_eq (dp_enclave_key_source (key), "generated");
    cr_assert_str_eq (dp_enclave_key_file (key), file);
    dp_enclave_key_destroy (&key);
    //  Exactly one DeriveK256Key attempt (a 404 is not retried).
    json_object *requests = ft_requests (&server);
    int attempts = 0;
    for (size_t i = 0; i < json_object_array_length (requests); i++)
        attempts += strcmp (ft_get (json_object_array_get_idx (requests, i), "path"),
                            "/prpc/Tappd.DeriveK256Key") == 0;
    cr_assert_eq (attempts, 1);
    json_object_put (requests);
    ft_stop (&server);
    dp_tee_destroy (&tee);
}

//  The same agent found at a guest agent's socket (so inside a CVM): a key
//  stored on disk would live on the container's disk, change with it and
//  be bound to nothing the quote measures. Refused, unless allowed.
Test (enclave_key, cvm_agent_without_k256_refuses_a_stored_key)
{
    ft_server_t server;
    ft_start (&server, s_base, "tappd-legacy", "tappd.sock", FT_QUOTE_TAPPD, NULL);
    dp_tee_options_t tee_options = { .socket_dir = s_base };
    dp_error_t err;
    dp_tee_t *tee = dp_tee_new (&tee_options, &err);
    cr_assert_not_null (tee, "%s", err.text);
    cr_assert_eq (dp_tee_endpoint_configured (tee), 0);
    char file [512];
    snprintf (file, sizeof file, "%s", s_path ("cvm-key"));
    dp_enclave_key_options_t options = { .key_file = file };
    cr_assert_null (dp_enclave_key_new (tee, &options, &err));
    cr_assert_eq (err.code, DP_UNSUPPORTED);
    cr_assert (strstr (err.text, "refused inside a CVM") && strstr (err.text, "--allow-stored-key"),
               "%s", err.text);
    cr_assert_neq (access (file, F_OK), 0, "a key was stored although refused");
    options.allow_stored = 1;
    dp_enclave_key_t *key = dp_enclave_key_new (tee, &options, &err);
    cr_assert_not_null (key, "%s", err.text);
    cr_assert_str_eq (dp_enclave_key_source (key), "generated");
    dp_enclave_key_destroy (&key);
    ft_stop (&server);
    dp_tee_destroy (&tee);
}
