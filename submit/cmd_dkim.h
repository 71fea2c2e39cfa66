/*  cmd_dkim.h — `dp-submit dkim`: check an e-mail's DKIM signature before
    submitting it, with the verifier the worker runs.

        dp-submit dkim FILE.eml [--keys zone.txt | --doh URL | --dnssec |
                       --system-dns] [--now UNIX] [--json]

    argv[0] is the subcommand name ("dkim"); the rest are its flags and
    FILE.eml ("-" reads standard input). Prints the result on stdout,
    diagnostics on stderr. Returns the exit code (SPEC §10): 0 verified,
    1 not verified, 2 usage or bad input (unreadable or oversized file, bad
    key path configuration). Not thread-safe (parses the environment). */

#ifndef CMD_DKIM_H_INCLUDED
#define CMD_DKIM_H_INCLUDED

int dp_submit_cmd_dkim (int argc, char **argv);

#endif
