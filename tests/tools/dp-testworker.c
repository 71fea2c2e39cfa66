/*  dp-testworker — a worker on the real runtime whose handler makes a
    synthetic result at once (or after --delay-ms), for broker tests and
    the benchmark.

    dp-testworker --broker ENDPOINT [--capacity N] [--delay-ms MS]
                  [--crash-on DEAL_ID] [--release-on DEAL_ID [--release-times N]]
                  [--name NAME] [--progress 1] [--results FILE] [--heartbeat-ms MS]

    --crash-on: the process kills itself (SIGKILL) when it is handed that
    deal (poison tests). --release-on: the handler gives that deal back
    (returns DP_UNREACHABLE, so the runtime sends `release`) the first N
    times this process is handed it (--release-times, default: every time),
    then runs it as any other; it logs each delivery of that deal to
    stderr as "deal D attempt A at T ms: release|run" (T: Unix ms; the
    crash line of --crash-on names the attempt and time too).
    --progress 1: the handler publishes one progress move per job.
    --results: append "deal_id worker-name" lines for each result the
    handler produced (what the worker sent, not what the broker accepted).
    SIGTERM drains (5 s) and exits 0. */

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>

#include "dp_log.h"
#include "dp_sha256.h"
#include "dp_worker.h"

static const char *s_crash_on;
static const char *s_release_on;
static long s_release_times = -1;          //  -1: every time
static long s_released;                    //  handler threads: under s_results_lock
static int s_delay_ms;
static int s_progress;
static const char *s_name = "testworker";
static FILE *s_results;
static pthread_mutex_t s_results_lock = PTHREAD_MUTEX_INITIALIZER;

static long long
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static dp_status
s_handler (void *arg, const dp_job_t *job, dp_progress_fn *progress, void *progress_arg,
           dp_job_outcome_t *outcome)
{
    if (s_crash_on && strcmp (job->envelope->deal_id, s_crash_on) == 0) {
        fprintf (stderr, "dp-testworker: crashing on deal %s as told: attempt %u at %lld ms\n",
                 s_crash_on, job->attempt, s_now_ms ());
        kill (getpid (), SIGKILL);
    }
    if (s_release_on && strcmp (job->envelope->deal_id, s_release_on) == 0) {
        pthread_mutex_lock (&s_results_lock);
        bool release = s_release_times < 0 || s_released < s_release_times;
        if (release)
            s_released++;
        pthread_mutex_unlock (&s_results_lock);
        fprintf (stderr, "dp-testworker: deal %s attempt %u at %lld ms: %s\n", s_release_on,
                 job->attempt, s_now_ms (), release? "release": "run");
        if (release)
            return DP_UNREACHABLE;      //  "could not produce a result": released
    }
    if (s_progress && progress) {
        const char *move = "{\"round\":1,\"role\":\"seller\",\"action\":\"offer\"}";
        progress (progress_arg, move, strlen (move));
    }
    if (s_delay_ms > 0) {
        struct timespec ts = { s_delay_ms / 1000, (long) (s_delay_ms % 1000) * 1000000L };
        nanosleep (&ts, NULL);
    }
    //  As the real worker does, the body is checked against its envelope:
    //  a broker that handed out another deal's body (or a damaged one)
    //  turns the deal into a failed one, which every test counting agreed
    //  deals then sees.
    uint8_t sha [32];
    dp_sha256 (job->body, job->body_len, sha);
    bool intact = memcmp (sha, job->envelope->body_sha256, sizeof sha) == 0;
    const char *status = intact? "agreed": "failed";
    snprintf (outcome->status, sizeof outcome->status, "%s", status);
    snprintf (outcome->reason, sizeof outcome->reason, "%s",
              intact? "": "body_sha256: the body does not match its envelope");
    if (!intact)
        fprintf (stderr, "dp-testworker: deal %s: body does not match its envelope\n",
                 job->envelope->deal_id);
    char json [512];
    int len = snprintf (json, sizeof json,
                        "{\"agreed\":%s,\"attempt\":%u,\"deal_id\":\"%s\",\"status\":\"%s\","
                        "\"worker\":\"%s\"}", intact? "true": "false", job->attempt,
                        job->envelope->deal_id, status, s_name);
    outcome->result_json = malloc ((size_t) len);
    if (!outcome->result_json)
        return DP_NOMEM;
    memcpy (outcome->result_json, json, (size_t) len);
    outcome->result_len = (size_t) len;
    if (s_results) {
        pthread_mutex_lock (&s_results_lock);
        fprintf (s_results, "%s %s\n", job->envelope->deal_id, s_name);
        fflush (s_results);
        pthread_mutex_unlock (&s_results_lock);
    }
    return DP_OK;
}

int
main (int argc, char **argv)
{
    dp_log_set_program ("dp-testworker");
    dp_log_init_from_env ();
    dp_worker_options_t options;
    dp_worker_options_default (&options);
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *flag = argv [i], *value = argv [i + 1];
        if (strcmp (flag, "--broker") == 0) options.broker = value;
        else if (strcmp (flag, "--capacity") == 0) options.capacity = (uint32_t) atoi (value);
        else if (strcmp (flag, "--heartbeat-ms") == 0) options.heartbeat_ms = (uint32_t) atoi (value);
        else if (strcmp (flag, "--delay-ms") == 0) s_delay_ms = atoi (value);
        else if (strcmp (flag, "--crash-on") == 0) s_crash_on = value;
        else if (strcmp (flag, "--release-on") == 0) s_release_on = value;
        else if (strcmp (flag, "--release-times") == 0) s_release_times = atol (value);
        else if (strcmp (flag, "--name") == 0) s_name = value;
        else if (strcmp (flag, "--progress") == 0) s_progress = atoi (value);
        else if (strcmp (flag, "--results") == 0) s_results = fopen (value, "a");
        else {
            fprintf (stderr, "dp-testworker: unknown flag %s\n", flag);
            return 2;
        }
    }
    options.name = s_name;
    sigset_t signals;
    sigemptyset (&signals);
    sigaddset (&signals, SIGTERM);
    sigaddset (&signals, SIGINT);
    pthread_sigmask (SIG_BLOCK, &signals, NULL);
    dp_error_t err;
    dp_worker_t *worker = dp_worker_new (&options, s_handler, NULL, &err);
    if (!worker) {
        fprintf (stderr, "dp-testworker: %s\n", err.text);
        return err.code == DP_UNREACHABLE? 3: 2;
    }
    int sig = 0;
    sigwait (&signals, &sig);
    dp_status rc = dp_worker_drain (worker, 5000);
    dp_worker_destroy (&worker);
    if (s_results)
        fclose (s_results);
    return rc == DP_OK? 0: 1;
}
