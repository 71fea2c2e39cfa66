/*  fake_tee.h — test-only: start and stop tests/tools/fake_tee.py (a dstack
    / tappd guest-agent stand-in) and read the requests it logged.
    Header-only; included by the TEE client and enclave key tests. */

#ifndef FAKE_TEE_H_INCLUDED
#define FAKE_TEE_H_INCLUDED

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FT_QUOTE_DSTACK DP_SHARED_DIR "/vectors/tdx/dstack/simulator_quote.hex"
#define FT_QUOTE_TAPPD  DP_SHARED_DIR "/vectors/tdx/dcap-qvl/tdx_quote_v4_from_tappd.hex"
#define FT_EVENT_LOG    DP_SHARED_DIR "/vectors/tdx/dstack/simulator_eventlog.json"

typedef struct {
    pid_t pid;
    char endpoint [512];    //  socket path or http://127.0.0.1:PORT
    char log [512];
} ft_server_t;

static inline void
ft_sleep_ms (int ms)
{
    struct timespec delay = { ms / 1000, (long) (ms % 1000) * 1000000L };
    nanosleep (&delay, NULL);
}

//  Starts the server in dir. socket_name: a unix socket dir/socket_name, or
//  NULL for TCP on an ephemeral port. Extra arguments end with NULL.
static inline void
ft_start (ft_server_t *server, const char *dir, const char *api, const char *socket_name,
          const char *quote_file, ...)
{
    static int counter = 0;
    char port_file [512] = "", script [512];
    const char *argv [40];
    int argc = 0;
    snprintf (script, sizeof script, "%s/tests/tools/fake_tee.py", DP_SOURCE_DIR);
    snprintf (server->log, sizeof server->log, "%s/requests-%d-%d.jsonl", dir, (int) getpid (), ++counter);
    argv [argc++] = "python3";
    argv [argc++] = script;
    argv [argc++] = "--api";
    argv [argc++] = api;
    argv [argc++] = "--quote";
    argv [argc++] = quote_file;
    argv [argc++] = "--event-log";
    argv [argc++] = FT_EVENT_LOG;
    argv [argc++] = "--log";
    argv [argc++] = server->log;
    argv [argc++] = "--lifetime";
    argv [argc++] = "60";
    if (socket_name) {
        snprintf (server->endpoint, sizeof server->endpoint, "%s/%s", dir, socket_name);
        argv [argc++] = "--unix";
        argv [argc++] = server->endpoint;
    }
    else {
        snprintf (port_file, sizeof port_file, "%s/port-%d", dir, counter);
        argv [argc++] = "--port-file";
        argv [argc++] = port_file;
    }
    va_list extra;
    va_start (extra, quote_file);
    const char *arg;
    while ((arg = va_arg (extra, const char *)) && argc < 38)
        argv [argc++] = arg;
    va_end (extra);
    argv [argc] = NULL;
    server->pid = fork ();
    cr_assert_geq (server->pid, 0);
    if (server->pid == 0) {
        execvp ("python3", (char **) argv);
        _exit (127);
    }
    const char *wait_for = socket_name ? server->endpoint : port_file;
    struct stat st;
    //  Up to 30 s: python starts slowly on a loaded 2-core CI machine.
    for (int i = 0; i < 1200 && stat (wait_for, &st) != 0; i++)
        ft_sleep_ms (25);
    cr_assert_eq (stat (wait_for, &st), 0, "fake_tee.py did not start (%s)", wait_for);
    if (!socket_name) {
        FILE *file = fopen (port_file, "r");
        int port = 0;
        cr_assert (file && fscanf (file, "%d", &port) == 1);
        fclose (file);
        snprintf (server->endpoint, sizeof server->endpoint, "http://127.0.0.1:%d", port);
    }
}

static inline void
ft_stop (ft_server_t *server)
{
    if (server->pid > 0) {
        kill (server->pid, SIGTERM);
        waitpid (server->pid, NULL, 0);
        server->pid = 0;
    }
}

//  The logged requests as a JSON array (caller puts it).
static inline json_object *
ft_requests (const ft_server_t *server)
{
    json_object *list = json_object_new_array ();
    FILE *file = fopen (server->log, "r");
    char line [65536];
    while (file && fgets (line, sizeof line, file))
        json_object_array_add (list, json_tokener_parse (line));
    if (file)
        fclose (file);
    return list;
}

static inline const char *
ft_get (json_object *request, const char *key)
{
    json_object *value = NULL;
    json_object_object_get_ex (request, key, &value);
    return value ? json_object_get_string (value) : "";
}

//  The recorded quote as bytes (caller frees).
static inline uint8_t *
ft_read_quote (const char *path, size_t *len)
{
    FILE *file = fopen (path, "r");
    cr_assert_not_null (file);
    static char text [32768];
    size_t got = fread (text, 1, sizeof text - 1, file);
    fclose (file);
    text [got] = '\0';
    char *hex = text;
    if (hex [0] == '0' && hex [1] == 'x')
        hex += 2;
    size_t digits = strspn (hex, "0123456789abcdefABCDEF");
    uint8_t *bytes = malloc (digits / 2);
    for (size_t i = 0; i < digits / 2; i++)
        sscanf (hex + 2 * i, "%2hhx", &bytes [i]);
    *len = digits / 2;
    return bytes;
}

#endif
