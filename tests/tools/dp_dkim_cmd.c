/*  dp_dkim_cmd.c — runs `dp-submit dkim` without the rest of dp-submit, so
    the DKIM integration test does not depend on the submit program's
    dispatcher. Usage as `dp-submit dkim ...`. */

#include "cmd_dkim.h"

int
main (int argc, char **argv)
{
    argv [0] = "dkim";
    return dp_submit_cmd_dkim (argc, argv);
}
