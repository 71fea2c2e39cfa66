/*  dp_submit_embedded.c — broker + workers + pipeline on threads. */
#define _XOPEN_SOURCE 700     //  nftw, mkdtemp

#include "dp_submit_embedded.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dp_broker.h"
#include "dp_log.h"
#include "dp_pipeline.h"
#include "dp_worker.h"

#define S_WORKERS_MAX 64

struct dp_submit_embedded_t {
    char data_dir [256];
    dp_broker_t *broker;
    dp_pipeline_t *pipeline;
    dp_worker_t *workers [S_WORKERS_MAX];
    int worker_count;
};

static int
s_remove_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove (path);
}

static dp_status
s_start_workers (dp_submit_embedded_t *self, const dp_submit_embedded_options_t *options,
                 dp_error_t *err)
{
    char worker_name [64];
    snprintf (worker_name, sizeof worker_name, "dp-submit-embedded-%d", (int) getpid ());
    dp_pipeline_options_t pipeline_options = {
        .tee_mode = "simulation", .sim_root = options->sim_root_dir,
        .key_file = options->key_file, .worker_name = worker_name,
    };
    self->pipeline = dp_pipeline_new (&pipeline_options, err);
    if (!self->pipeline)
        return dp_error_prefix (err, "embedded pipeline");
    int count = options->workers > 0? options->workers: 2;
    if (count > S_WORKERS_MAX)
        count = S_WORKERS_MAX;
    for (int i = 0; i < count; i++) {
        char name [64];
        snprintf (name, sizeof name, "embedded-%d-%d", (int) getpid (), i + 1);
        dp_worker_options_t worker_options;
        dp_worker_options_default (&worker_options);
        worker_options.broker = dp_broker_endpoint (self->broker);
        worker_options.name = name;
        worker_options.capacity = options->capacity > 0? (uint32_t) options->capacity: 8;
        worker_options.connect_timeout_ms = 10000;
        self->workers [i] = dp_worker_new (&worker_options, dp_pipeline_handle, self->pipeline, err);
        if (!self->workers [i])
            return dp_error_prefix (err, "embedded worker %d", i + 1);
        self->worker_count++;
    }
    return DP_OK;
}

dp_submit_embedded_t *
dp_submit_embedded_new (const dp_submit_embedded_options_t *options, dp_error_t *err)
{
    dp_submit_embedded_t *self = calloc (1, sizeof *self);
    if (!self) {
        dp_error_set (err, DP_NOMEM, "embedded broker: out of memory");
        return NULL;
    }
    if (!getenv ("LOG_LEVEL") && !getenv ("DP_LOG_LEVEL"))
        dp_log_set_level (DP_LOG_WARN);
    //  The embedded broker, its workers and this client are one process on
    //  loopback: CURVE keys in the environment are for a remote broker and
    //  would make the workers and the client speak CURVE to a plain one.
    //  Before any thread reads the environment.
    unsetenv ("DP_CURVE_CERT");
    unsetenv ("DP_CURVE_BROKER");
    const char *tmp = getenv ("TMPDIR");
    snprintf (self->data_dir, sizeof self->data_dir, "%s/dp-submit-XXXXXX", tmp && *tmp? tmp: "/tmp");
    if (!mkdtemp (self->data_dir)) {
        dp_error_set (err, DP_IO, "embedded broker: cannot create a folder in %s", tmp? tmp: "/tmp");
        self->data_dir [0] = '\0';
        dp_submit_embedded_destroy (&self);
        return NULL;
    }
    dp_broker_options_t broker_options;
    dp_broker_options_default (&broker_options);
    broker_options.data_dir = self->data_dir;
    broker_options.listen = "tcp://127.0.0.1:*";
    self->broker = dp_broker_new (&broker_options, err);
    if (!self->broker) {
        dp_error_prefix (err, "embedded broker");
        dp_submit_embedded_destroy (&self);
        return NULL;
    }
    if (s_start_workers (self, options, err) != DP_OK) {
        dp_submit_embedded_destroy (&self);
        return NULL;
    }
    return self;
}

const char *
dp_submit_embedded_endpoint (dp_submit_embedded_t *self)
{
    return dp_broker_endpoint (self->broker);
}

void
dp_submit_embedded_destroy (dp_submit_embedded_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dp_submit_embedded_t *self = *self_p;
    for (int i = 0; i < self->worker_count; i++)
        dp_worker_drain (self->workers [i], 5000);
    for (int i = 0; i < self->worker_count; i++)
        dp_worker_destroy (&self->workers [i]);
    dp_broker_destroy (&self->broker);
    dp_pipeline_destroy (&self->pipeline);
    if (self->data_dir [0])
        nftw (self->data_dir, s_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free (self);
    *self_p = NULL;
}
