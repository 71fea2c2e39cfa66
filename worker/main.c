/*  dp-worker — the enclave pipeline as a process: connects to dp-broker,
    runs deals (dp_pipeline) on the worker runtime (dp_worker), drains on
    SIGTERM. Exit codes (SPEC §10): 0 clean stop, 2 bad flags or set-up
    (the TEE included), 3 broker unreachable. */

#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "dp_config.h"
#include "dp_log.h"
#include "dp_pipeline.h"
#include "dp_worker.h"

static const dp_config_option_t s_options [] = {
    { "broker", "DP_BROKER", "tcp://127.0.0.1:5570", "broker endpoint", 0, 0 },
    { "capacity", "DP_CAPACITY", "64", "deals run at once (threads)", 0, 0 },
    { "name", "DP_WORKER_NAME", NULL, "name shown in broker stats and results [default: host-pid]", 0, 0 },
    { "drain-timeout", "DP_DRAIN_TIMEOUT", "30", "seconds SIGTERM waits for running deals", 0, 0 },
    { "connect-timeout", "DP_CONNECT_TIMEOUT", "0", "seconds to wait for the broker at start (0: forever)", 0, 0 },
    { "tee-mode", "TEE_MODE", "auto", "auto | production | dstack | tappd | simulation", 0, 0 },
    { "dstack-endpoint", "DSTACK_SIMULATOR_ENDPOINT", NULL, "dstack API endpoint (socket path or URL)", 0, 0 },
    { "tappd-endpoint", "TAPPD_SIMULATOR_ENDPOINT", NULL, "tappd API endpoint (socket path or URL)", 0, 0 },
    { "sim-root", "DP_SIM_ROOT", NULL, "simulation root folder [default: $XDG_DATA_HOME/dealproof/sim-root]", 0, 0 },
    { "key-file", "DP_KEY_FILE", NULL, "simulation: the enclave key file (mode 0600)", 0, 0 },
    { "data", "DP_DATA", NULL, "simulation: folder for the enclave key", 0, 0 },
    { "allow-stored-key", "DP_ALLOW_STORED_KEY", NULL,
      "accept a key stored on disk when a CVM's agent cannot derive one (not bound to the CVM)", 1, 0 },
    { "chain-id", "CHAIN_ID", NULL, "escrow: chain id for release signatures", 0, 0 },
    { "contract", "CONTRACT_ADDRESS", NULL, "escrow: DealProof.sol address", 0, 0 },
    { "dkim-path", "DP_DKIM_PATH", "doh", "DKIM key path: doh | dnssec | dns | file", 0, 0 },
    { "dkim-doh", "DP_DKIM_DOH", "https://cloudflare-dns.com/dns-query", "DNS-over-HTTPS resolver URL", 0, 0 },
    { "dkim-ca", "DP_DKIM_CA", NULL, "CA bundle for the DoH resolver [default: system store]", 0, 0 },
    { "dkim-keys", "DP_DKIM_KEYS", NULL, "zone file of DKIM keys (with --dkim-path file)", 0, 0 },
    { "dkim-anchor", "DP_DKIM_ANCHOR", NULL, "DNSSEC trust anchor file", 0, 0 },
    { "dkim-server", "DP_DKIM_SERVER", NULL, "resolver ADDR[@PORT] for dnssec/dns", 0, 0 },
    { "anthropic-url", "ANTHROPIC_BASE_URL", NULL, "Anthropic API base URL; the API key is never "
      "a flag: (env ANTHROPIC_API_KEY) or a file named by (env ANTHROPIC_API_KEY_FILE)", 0, 0 },
    { "model", "DP_MODEL", NULL, "Claude model name", 0, 0 },
    { "llm-budget", "DP_LLM_BUDGET", "300",
      "seconds one deal may wait on Claude in all; then the built-in engine finishes it", 0, 0 },
    { "log-level", "LOG_LEVEL", "info", "error | warn | info | debug", 0, 0 },
    { "version", NULL, NULL, "print version, TEE mode and signer, then exit", 1, 0 },
};

static volatile sig_atomic_t s_stop = 0;

static void
s_on_signal (int signum)
{
    (void) signum;
    s_stop = 1;
}

static int
s_int_option (dp_config_t *config, const char *name, long long min, long long max, long long *out)
{
    dp_error_t err;
    if (dp_config_get_int (config, name, min, max, out, &err) != DP_OK) {
        fprintf (stderr, "dp-worker: %s\n", err.text);
        return -1;
    }
    return 0;
}

static void
s_pipeline_options (dp_config_t *config, dp_pipeline_options_t *options)
{
    memset (options, 0, sizeof *options);
    options->tee_mode = dp_config_get (config, "tee-mode");
    options->dstack_endpoint = dp_config_get (config, "dstack-endpoint");
    options->tappd_endpoint = dp_config_get (config, "tappd-endpoint");
    options->sim_root = dp_config_get (config, "sim-root");
    options->key_file = dp_config_get (config, "key-file");
    options->data_dir = dp_config_get (config, "data");
    options->allow_stored_key = dp_config_get_switch (config, "allow-stored-key");
    options->contract_address = dp_config_get (config, "contract");
    options->dkim_path = dp_config_get (config, "dkim-path");
    options->dkim_doh_url = dp_config_get (config, "dkim-doh");
    options->dkim_ca_file = dp_config_get (config, "dkim-ca");
    options->dkim_zone_file = dp_config_get (config, "dkim-keys");
    options->dkim_trust_anchor = dp_config_get (config, "dkim-anchor");
    options->dkim_server = dp_config_get (config, "dkim-server");
    options->anthropic_url = dp_config_get (config, "anthropic-url");
    //  anthropic_key stays NULL: the Claude client reads ANTHROPIC_API_KEY,
    //  else the file ANTHROPIC_API_KEY_FILE names (s_refuse_key_flag).
    options->model = dp_config_get (config, "model");
    options->worker_name = dp_config_get (config, "name");
}

//  The drain deadline passed with deals still running: the broker has
//  their releases (dp_worker_drain), but their handlers may sit in a TEE
//  retry or a Claude turn for minutes, and dp_worker_destroy would wait
//  for them. What they would still produce is dropped anyway, and they
//  write nothing that outlives the process (results go only to the
//  broker), so we end here: _exit skips the joins and CZMQ's exit
//  handler, which would wait on the job threads' sockets.
static void
s_exit_now (void)
{
    dp_log_info ("stopped (unfinished deals released to the broker)");
    fflush (NULL);
    _exit (0);
}

static int
s_run (dp_config_t *config, dp_pipeline_t *pipeline)
{
    long long capacity, drain, connect;
    if (s_int_option (config, "capacity", 1, 4096, &capacity)
    ||  s_int_option (config, "drain-timeout", 0, 86400, &drain)
    ||  s_int_option (config, "connect-timeout", 0, 86400, &connect))
        return 2;
    dp_worker_options_t options;
    dp_worker_options_default (&options);
    options.broker = dp_config_get (config, "broker");
    options.name = dp_config_get (config, "name");
    options.capacity = (uint32_t) capacity;
    options.connect_timeout_ms = (int) connect * 1000;
    dp_error_t err;
    dp_worker_t *worker = dp_worker_new (&options, dp_pipeline_handle, pipeline, &err);
    if (!worker) {
        fprintf (stderr, "dp-worker: %s\n", err.text);
        return err.code == DP_UNREACHABLE? 3: 2;
    }
    dp_log_info ("worker running broker=%s capacity=%lld tee=%s", options.broker, capacity,
                 dp_pipeline_tee_mode (pipeline));
    while (!s_stop)
        pause ();
    dp_log_info ("draining: waiting up to %llds for running deals", drain);
    dp_status rc = dp_worker_drain (worker, (int) drain * 1000);
    if (rc != DP_OK)
        s_exit_now ();
    dp_worker_destroy (&worker);
    dp_log_info ("stopped");
    return 0;
}

//  The process holds the enclave key, deal bodies (limits, the seller's
//  email) and the Anthropic key in memory: none of it may end up in a core
//  file. A core size of 0 (soft and hard, so nothing we run can raise it
//  again) stops the kernel writing one; not dumpable also stops a core
//  pipe handler (core_pattern "|…", which ignores the size limit), and it
//  makes /proc/PID/{mem,environ,…} root's and refuses ptrace by other
//  processes of the same user: a compromised neighbour under our uid
//  cannot read the secrets out of us. Done first, before any is loaded.
static int
s_keep_secrets_out_of_dumps (void)
{
    struct rlimit none = { 0, 0 };
    if (setrlimit (RLIMIT_CORE, &none) != 0) {
        perror ("dp-worker: setrlimit RLIMIT_CORE 0");
        return -1;
    }
    if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        perror ("dp-worker: prctl PR_SET_DUMPABLE 0");
        return -1;
    }
    return 0;
}

//  There is no --anthropic-key: a secret on the command line is readable
//  by every user on the host (/proc/PID/cmdline, ps) and lands in shell
//  histories and unit files. The flag existed, so an old command line gets
//  told where the key goes now, rather than "unknown flag". Scanned before
//  the parser so the key is never copied anywhere.
static int
s_refuse_key_flag (int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp (argv [i], "--anthropic-key") == 0
        ||  strncmp (argv [i], "--anthropic-key=", 16) == 0) {
            fprintf (stderr, "dp-worker: --anthropic-key: refused, a key on the command line is "
                     "visible to every user in /proc/PID/cmdline; set ANTHROPIC_API_KEY, or "
                     "ANTHROPIC_API_KEY_FILE to a file holding the key\n");
            return -1;
        }
    return 0;
}

int
main (int argc, char **argv)
{
    if (s_keep_secrets_out_of_dumps () != 0 || s_refuse_key_flag (argc, argv) != 0)
        return 2;
    dp_log_set_program ("dp-worker");
    dp_log_init_from_env ();
    //  Our own SIGTERM/SIGINT handling drains; CZMQ must not install its
    //  handlers over ours when the runtime creates its first socket.
    zsys_handler_set (NULL);
    dp_config_t *config = dp_config_new ("dp-worker", "dp-worker [flags]", s_options,
                                         sizeof s_options / sizeof s_options [0]);
    if (!config)
        return 2;
    dp_error_t err;
    dp_status rc = dp_config_parse (config, argc, argv, &err);
    if (rc != DP_OK) {
        if (rc != DP_UNSUPPORTED)
            fprintf (stderr, "dp-worker: %s\n", err.text);
        dp_config_destroy (&config);
        return rc == DP_UNSUPPORTED? 0: 2;
    }
    int level = dp_log_level_parse (dp_config_get (config, "log-level"));
    if (level < 0) {
        fprintf (stderr, "dp-worker: --log-level: '%s' is not error, warn, info or debug\n",
                 dp_config_get (config, "log-level"));
        dp_config_destroy (&config);
        return 2;
    }
    if (dp_config_is_set (config, "log-level"))     //  else DP_LOG_LEVEL or LOG_LEVEL stands
        dp_log_set_level ((dp_log_level) level);

    dp_pipeline_options_t options;
    s_pipeline_options (config, &options);
    long long chain_id = 0;
    if (dp_config_get (config, "chain-id")
    &&  s_int_option (config, "chain-id", 1, (long long) 1 << 53, &chain_id)) {
        dp_config_destroy (&config);
        return 2;
    }
    options.chain_id = (uint64_t) chain_id;
    long long llm_budget;
    if (s_int_option (config, "llm-budget", 1, 86400, &llm_budget)) {
        dp_config_destroy (&config);
        return 2;
    }
    options.llm_budget_ms = (int) llm_budget * 1000;
    dp_pipeline_t *pipeline = dp_pipeline_new (&options, &err);
    if (!pipeline) {
        //  Always 2, a set-up error, even when the TEE is unreachable
        //  (TEE_MODE=production with no agent): SPEC §10 keeps 3 for an
        //  unreachable broker, which a supervisor may well just retry.
        fprintf (stderr, "dp-worker: %s\n", err.text);
        dp_config_destroy (&config);
        return 2;
    }
    int exit_code = 0;
    if (dp_config_get_switch (config, "version"))
        printf ("dp-worker %s tee_mode=%s signer=%s%s%s\n", DP_VERSION,
                dp_pipeline_tee_mode (pipeline), dp_pipeline_signer (pipeline),
                dp_pipeline_sim_root (pipeline)? " sim_root=": "",
                dp_pipeline_sim_root (pipeline)? dp_pipeline_sim_root (pipeline): "");
    else {
        struct sigaction action;
        memset (&action, 0, sizeof action);
        action.sa_handler = s_on_signal;
        sigaction (SIGTERM, &action, NULL);
        sigaction (SIGINT, &action, NULL);
        exit_code = s_run (config, pipeline);
    }
    dp_pipeline_destroy (&pipeline);
    dp_config_destroy (&config);
    return exit_code;
}
