/*  dp-relayer — moves escrow deposits exactly once, driven by the broker's
    event stream (see dp_relayer.h). Exit codes (SPEC §10): 0 clean stop,
    2 bad flags or set-up, 3 broker or node unreachable. */

#include <czmq.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_config.h"
#include "dp_hex.h"
#include "dp_log.h"
#include "dp_relayer.h"

static const dp_config_option_t s_options [] = {
    { "broker", "DP_BROKER", "tcp://127.0.0.1:5570", "broker endpoint", 0, 0 },
    { "rpc-url", "RPC_URL", "http://127.0.0.1:8545", "Ethereum JSON-RPC endpoint", 0, 0 },
    { "contract", "CONTRACT_ADDRESS", NULL, "DealProof.sol address (required)", 0, 0 },
    { "key-file", "DP_RELAYER_KEY_FILE", NULL, "file holding the relayer's private key (hex)", 0, 0 },
    { "private-key", "PRIVATE_KEY", NULL, "the relayer's private key (hex); prefer --key-file", 0, 1 },
    { "data", "DP_RELAYER_DATA", "dealproof-relayer", "folder of the relayer's LMDB state", 0, 0 },
    { "window", "DP_ESCROW_WINDOW", "3600", "negotiation window of deposits, seconds", 0, 0 },
    { "no-deposit", NULL, NULL, "do not deposit at creation (buyers fund deals themselves)", 1, 0 },
    { "allow-simulation", "DP_ALLOW_SIMULATION", NULL, "accept simulated quotes (never in production)", 1, 0 },
    { "sim-root", "DP_SIM_ROOT", NULL, "simulation root folder [default: $XDG_DATA_HOME/dealproof/sim-root]", 0, 0 },
    { "collateral", "DP_COLLATERAL", NULL, "collateral JSON for real quotes, or a folder of them (read at each release)", 0, 0 },
    { "tcb-status", "DP_TCB_STATUS", "UpToDate", "accepted TCB statuses, comma separated", 0, 0 },
    { "mrtd", "DP_MRTD", NULL, "accept only this MRTD (96 hex digits)", 0, 0 },
    { "pccs", "DP_PCCS_URL", NULL, "fetch real quotes' collateral from this PCS/PCCS (https), cached in DATA/collateral", 0, 0 },
    { "policy", "DP_QUOTE_POLICY", NULL, "quote policy JSON: MRTD/RTMR allow-list, TCB statuses (docs/escrow.md)", 0, 0 },
    { "max-deposit-eth", "DP_MAX_DEPOSIT_ETH", "0.1", "largest deposit the relayer makes for one deal, ether", 0, 0 },
    { "max-outstanding-eth", "DP_MAX_OUTSTANDING_ETH", "1", "most of its ether in deposits not yet released or refunded", 0, 0 },
    { "max-fee-gwei", "DP_MAX_FEE_GWEI", "500", "fee ceiling per gas: a stuck transaction is not bumped past it", 0, 0 },
    { "receipt-timeout", "DP_RECEIPT_TIMEOUT", "30000", "ms before a stuck transaction is replaced", 0, 0 },
    { "idle-exit", NULL, "0", "exit after this many ms without events (tests; 0: never)", 0, 0 },
    { "log-level", "LOG_LEVEL", "info", "error | warn | info | debug", 0, 0 },
};

static volatile sig_atomic_t s_stop = 0;

static void
s_on_signal (int signum)
{
    (void) signum;
    s_stop = 1;
}

//  The key from --key-file or PRIVATE_KEY: 64 hex digits, 0x optional,
//  surrounding whitespace ignored. Never printed.
static int
s_load_key (dp_config_t *config, uint8_t key [32])
{
    char text [256] = "";
    const char *path = dp_config_get (config, "key-file");
    if (path) {
        FILE *file = fopen (path, "r");
        if (!file || !fgets (text, sizeof text, file)) {
            fprintf (stderr, "dp-relayer: --key-file %s: cannot read\n", path);
            if (file)
                fclose (file);
            return -1;
        }
        fclose (file);
    }
    else
    if (dp_config_get (config, "private-key"))
        snprintf (text, sizeof text, "%s", dp_config_get (config, "private-key"));
    else {
        fprintf (stderr, "dp-relayer: a key is required: --key-file FILE or PRIVATE_KEY\n");
        return -1;
    }
    text [strcspn (text, " \t\r\n")] = '\0';
    dp_error_t err;
    int rc = dp_hex_decode_0x (text, key, 32, &err) == DP_OK? 0: -1;
    if (rc)
        fprintf (stderr, "dp-relayer: relayer key: %s\n", err.text);
    OPENSSL_cleanse (text, sizeof text);
    return rc;
}

static int
s_int (dp_config_t *config, const char *name, long long min, long long max, long long *out)
{
    dp_error_t err;
    if (dp_config_get_int (config, name, min, max, out, &err) == DP_OK)
        return 0;
    fprintf (stderr, "dp-relayer: %s\n", err.text);
    return -1;
}

static int
s_main (dp_config_t *config)
{
    dp_relayer_options_t options;
    dp_relayer_options_default (&options);
    long long window, receipt_timeout, idle_exit, max_fee_gwei;
    if (s_int (config, "window", 0, 10LL * 365 * 86400, &window)
    ||  s_int (config, "receipt-timeout", 100, 3600000, &receipt_timeout)
    ||  s_int (config, "idle-exit", 0, 86400000, &idle_exit)
    ||  s_int (config, "max-fee-gwei", 1, (long long) DP_RELAYER_MAX_FEE_GWEI_MAX, &max_fee_gwei)
    ||  s_load_key (config, options.key))
        return 2;
    options.broker = dp_config_get (config, "broker");
    options.rpc_url = dp_config_get (config, "rpc-url");
    options.contract = dp_config_get (config, "contract");
    options.data_dir = dp_config_get (config, "data");
    options.window_s = (uint64_t) window;
    options.deposit = !dp_config_get_switch (config, "no-deposit");
    options.allow_simulation = dp_config_get_switch (config, "allow-simulation");
    options.sim_root = dp_config_get (config, "sim-root");
    options.collateral = dp_config_get (config, "collateral");
    options.tcb_statuses = dp_config_get (config, "tcb-status");
    options.mrtd_hex = dp_config_get (config, "mrtd");
    options.policy_path = dp_config_get (config, "policy");
    options.pccs_url = dp_config_get (config, "pccs");
    options.receipt_timeout_ms = (int) receipt_timeout;
    options.max_fee_gwei = (uint64_t) max_fee_gwei;
    options.max_deposit_eth = dp_config_get (config, "max-deposit-eth");
    options.max_outstanding_eth = dp_config_get (config, "max-outstanding-eth");
    dp_error_t err;
    dp_relayer_t *relayer = dp_relayer_new (&options, &err);
    OPENSSL_cleanse (options.key, sizeof options.key);
    if (!relayer) {
        fprintf (stderr, "dp-relayer: %s\n", err.text);
        return err.code == DP_UNREACHABLE || err.code == DP_TIMEOUT? 3: 2;
    }
    dp_status rc = dp_relayer_run (relayer, &s_stop, (int) idle_exit, &err);
    dp_relayer_counts_t counts;
    dp_relayer_counts (relayer, &counts);
    dp_log_info ("stopped: events=%llu sent=%llu deposits=%llu releases=%llu refunds=%llu refused=%llu",
                 (unsigned long long) counts.events, (unsigned long long) counts.sent,
                 (unsigned long long) counts.deposits, (unsigned long long) counts.releases,
                 (unsigned long long) counts.refunds, (unsigned long long) counts.refused);
    dp_relayer_destroy (&relayer);
    if (rc != DP_OK) {
        fprintf (stderr, "dp-relayer: %s\n", err.text);
        return rc == DP_UNREACHABLE || rc == DP_TIMEOUT? 3: 2;
    }
    return 0;
}

int
main (int argc, char **argv)
{
    dp_log_set_program ("dp-relayer");
    dp_log_init_from_env ();
    zsys_handler_set (NULL);            //  our handler stops the loop cleanly
    dp_config_t *config = dp_config_new ("dp-relayer", "dp-relayer --contract ADDRESS [flags]", s_options,
                                         sizeof s_options / sizeof s_options [0]);
    if (!config)
        return 2;
    dp_error_t err;
    dp_status rc = dp_config_parse (config, argc, argv, &err);
    int level = rc == DP_OK? dp_log_level_parse (dp_config_get (config, "log-level")): 0;
    if (rc != DP_OK || level < 0) {
        if (rc != DP_UNSUPPORTED)
            fprintf (stderr, "dp-relayer: %s\n", rc != DP_OK? err.text: "--log-level: unknown level");
        dp_config_destroy (&config);
        return rc == DP_UNSUPPORTED? 0: 2;
    }
    if (dp_config_is_set (config, "log-level"))     //  else DP_LOG_LEVEL or LOG_LEVEL stands
        dp_log_set_level ((dp_log_level) level);
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = s_on_signal;
    sigaction (SIGTERM, &action, NULL);
    sigaction (SIGINT, &action, NULL);
    int exit_code = s_main (config);
    dp_config_destroy (&config);
    return exit_code;
}
