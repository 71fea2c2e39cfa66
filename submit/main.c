/*  main.c — dp-submit: the command line for batches of deals, live
    results, seller proofs and offline checks.

    `dp-submit <command> [flags]`, as git, gh and kubectl do: each command
    has its own --help; `dp-submit help <command>` is the same. Exit codes
    are SPEC §10's (0 ok, 1 negative answer, 2 usage or bad input,
    3 broker unreachable). */

#include <stdio.h>
#include <string.h>

#include "dp_log.h"
#include "dp_submit.h"

typedef struct {
    const char *name;
    int (*run) (int argc, char **argv);
    const char *summary;
} s_command_t;

static const s_command_t s_commands [] = {
    { "submit",       dp_submit_cmd_submit,       "validate deals from files and submit them to the broker" },
    { "run",          dp_submit_cmd_run,          "submit deals and wait for every result (embedded broker when none is set)" },
    { "status",       dp_submit_cmd_status,       "show the status of deals" },
    { "result",       dp_submit_cmd_result,       "print the full results of deals (JSON)" },
    { "attestation",  dp_submit_cmd_attestation,  "print a deal's attestation quote (hex)" },
    { "verification", dp_submit_cmd_verification, "print a deal's seller-proof (Props) verification record" },
    { "list",         dp_submit_cmd_list,         "list deals, by status or batch" },
    { "watch",        dp_submit_cmd_watch,        "follow live events: status changes and negotiation rounds" },
    { "stats",        dp_submit_cmd_stats,        "broker and worker figures" },
    { "prove",        dp_submit_cmd_prove,        "make a seller proof (seller_proof and data_hash) for a file" },
    { "inspect",      dp_submit_cmd_inspect,      "parse and verify a TDX/SGX quote" },
    { "verify",       dp_submit_cmd_verify,       "check a result offline: payload hash, binding, quote, signatures" },
    { "demo",         dp_submit_cmd_demo,         "run the seed's five demo scenarios end to end" },
    { "dkim",         dp_submit_cmd_dkim,         "check an e-mail's DKIM signature with the worker's verifier" },
};
#define S_COMMAND_COUNT (sizeof s_commands / sizeof s_commands [0])

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: dp-submit <command> [flags]\n"
        "\n"
        "DealProof's command line: submit batches of deals, follow them, collect\n"
        "verifiable results, make seller proofs and check results offline.\n"
        "\n"
        "commands:\n");
    for (size_t i = 0; i < S_COMMAND_COUNT; i++)
        fprintf (out, "  %-13s %s\n", s_commands [i].name, s_commands [i].summary);
    fprintf (out,
        "\n"
        "Run 'dp-submit <command> --help' for a command's flags.\n"
        "Broker: --broker ENDPOINT or DP_BROKER (run and demo start their own\n"
        "broker and workers in-process when neither is set).\n"
        "Exit codes: 0 success, 1 a deal failed or a check failed, 2 usage or bad\n"
        "input, 3 broker unreachable or timed out.\n");
}

static const s_command_t *
s_find (const char *name)
{
    for (size_t i = 0; i < S_COMMAND_COUNT; i++)
        if (strcmp (s_commands [i].name, name) == 0)
            return &s_commands [i];
    return NULL;
}

int
main (int argc, char **argv)
{
    dp_log_set_program ("dp-submit");
    dp_log_init_from_env ();
    if (argc < 2) {
        s_usage (stderr);
        return DP_SUBMIT_EXIT_USAGE;
    }
    const char *name = argv [1];
    if (strcmp (name, "--help") == 0 || strcmp (name, "-h") == 0) {
        s_usage (stdout);
        return DP_SUBMIT_EXIT_OK;
    }
    if (strcmp (name, "--version") == 0 || strcmp (name, "version") == 0) {
        printf ("dp-submit %s\n", DP_VERSION);
        return DP_SUBMIT_EXIT_OK;
    }
    if (strcmp (name, "help") == 0) {
        if (argc < 3) {
            s_usage (stdout);
            return DP_SUBMIT_EXIT_OK;
        }
        const s_command_t *command = s_find (argv [2]);
        if (!command) {
            fprintf (stderr, "dp-submit: unknown command '%s'; see 'dp-submit --help'\n", argv [2]);
            return DP_SUBMIT_EXIT_USAGE;
        }
        char *help_argv [] = { argv [2], "--help", NULL };
        return command->run (2, help_argv);
    }
    const s_command_t *command = s_find (name);
    if (!command) {
        fprintf (stderr, "dp-submit: unknown command '%s'; see 'dp-submit --help'\n", name);
        return DP_SUBMIT_EXIT_USAGE;
    }
    return command->run (argc - 1, argv + 1);
}
