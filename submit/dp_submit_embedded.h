/*  dp_submit_embedded.h — a broker and workers inside dp-submit.

    With no broker configured, `run` and `demo` start the same broker and
    worker code as dp-broker and dp-worker, on threads of this process:
    the broker listens on a free loopback port with its store in a fresh
    temporary folder (removed on destroy), and each worker runs the full
    enclave pipeline (dp_pipeline) in simulation with the simulation root
    of SPEC §8, so results stay verifiable after the process ends.
    Unless LOG_LEVEL or DP_LOG_LEVEL is set, the parts log warnings and
    errors only, so their lines do not bury the command's own output.

    Threading: new and destroy from one thread; the parts run on their own. */

#ifndef DP_SUBMIT_EMBEDDED_H_INCLUDED
#define DP_SUBMIT_EMBEDDED_H_INCLUDED

#include "dp_status.h"

typedef struct {
    int workers;                //  in-process workers; 0 = 2
    int capacity;               //  jobs per worker at once; 0 = 8
    const char *sim_root_dir;   //  NULL = SPEC §8's default
    const char *key_file;       //  the enclave key file; NULL = dp-worker's default
} dp_submit_embedded_options_t;

typedef struct dp_submit_embedded_t dp_submit_embedded_t;

//  Starts broker and workers. NULL with err set (the step named).
dp_submit_embedded_t *dp_submit_embedded_new (const dp_submit_embedded_options_t *options,
                                              dp_error_t *err);

//  The broker's client endpoint (tcp://127.0.0.1:PORT). Borrowed.
const char *dp_submit_embedded_endpoint (dp_submit_embedded_t *self);

//  Drains the workers (at most 5 s), stops the broker, removes the
//  temporary store. Idempotent; sets *self_p to NULL.
void dp_submit_embedded_destroy (dp_submit_embedded_t **self_p);

#endif
