/*  dp_pipeline.h — one deal in, one signed result out: the enclave's work.

    The pipeline is the dp_job_handler_fn (worker/dp_job.h) that dp-worker
    and dp-submit's embedded mode plug into the worker runtime. Per deal,
    in the seed's order (issue 5, SPEC §2–§7):

      1. parse and validate the body (dp_deal), check the untrusted
         envelope against it; a bad body or a mismatch → `failed`;
      2. Props: verify `seller_proof` if present (dp_props); a failure →
         `verification_failed`, no negotiation; on success a data
         verification quote over {data_hash, verified, chunk_count,
         algorithm} (report data kind 2);
      3. DKIM: verify `seller_email_eml` if present (dp_dkim); only a
         signature verified over an authenticated key path hands the domain
         to the seller side; the decoded email is wiped with the deal;
      4. negotiate (dp_negotiate: guardrails + engines);
      5. on agreement, the deal attestation: a quote whose report data is
         SPEC §5 (payload hash ‖ binding of deal id, transcript digest and
         the enclave address);
      6. sign the result (SPEC §6) and, when the deal has escrow fields and
         a chain is configured, the EIP-712 release (SPEC §7).

    Every final outcome (agreed, failed, verification_failed) is a signed
    result; the handler returns a non-OK status only when it could not
    build one at all (out of memory), so the broker redelivers.

    Threading: one pipeline serves all of a worker's job threads;
    dp_pipeline_handle is thread-safe (the TEE client, the enclave key and
    the DKIM lookup are). */

#ifndef DP_PIPELINE_H_INCLUDED
#define DP_PIPELINE_H_INCLUDED

#include <stdint.h>

#include "dp_job.h"
#include "dp_status.h"

typedef struct {
    //  TEE (dp_tee.h): mode NULL = $TEE_MODE, else "auto".
    const char *tee_mode;
    const char *dstack_endpoint;        //  NULL: $DSTACK_SIMULATOR_ENDPOINT / sockets
    const char *tappd_endpoint;         //  NULL: $TAPPD_SIMULATOR_ENDPOINT / sockets
    const char *sim_root;               //  NULL: SPEC §8 default
    //  Enclave key (dp_enclave_key.h): simulation key file / data dir.
    const char *key_file;
    const char *data_dir;
    int allow_stored_key;               //  a stored key from a CVM agent that cannot derive one
    //  Escrow authorisation (SPEC §7): both set, or no release signatures.
    uint64_t chain_id;                  //  0: off
    const char *contract_address;       //  NULL: off
    //  DKIM key path: "doh" (default), "dnssec", "dns", "file"; its settings.
    const char *dkim_path;
    const char *dkim_doh_url;
    const char *dkim_ca_file;
    const char *dkim_zone_file;
    const char *dkim_trust_anchor;
    const char *dkim_server;
    int64_t dkim_now;                   //  0: the clock (tests inject a time)
    //  Claude backend (dp_negotiate): NULL = $ANTHROPIC_BASE_URL / API key.
    const char *anthropic_url;
    const char *anthropic_key;
    const char *model;                  //  NULL: the negotiation default
    int llm_budget_ms;                  //  wall time one deal may wait on Claude in all
                                        //  (dp_negotiate deal_budget_ms); 0: 300 s
    //  The `worker` diagnostic field of results; NULL: "<host>-<pid>".
    const char *worker_name;
} dp_pipeline_options_t;

typedef struct dp_pipeline_t dp_pipeline_t;

//  Opens the TEE (autodetected or as configured), the enclave key, the
//  DKIM lookup path. NULL with err set: DP_INVALID (an option, naming it),
//  DP_UNREACHABLE (a configured TEE that does not answer), DP_IO (key or
//  simulation root files), DP_NOMEM.
dp_pipeline_t *dp_pipeline_new (const dp_pipeline_options_t *options, dp_error_t *err);

//  Frees everything; wipes the enclave key. Idempotent; sets *self_p NULL.
void dp_pipeline_destroy (dp_pipeline_t **self_p);

//  The job handler: handler_arg is the dp_pipeline_t.
dp_job_handler_fn dp_pipeline_handle;

//  "dstack" | "tappd" | "simulation": the TEE in use (for --version,
//  health output and results).
const char *dp_pipeline_tee_mode (const dp_pipeline_t *self);

//  The enclave key's address (EIP-55 text): every result's `signer`.
const char *dp_pipeline_signer (const dp_pipeline_t *self);

//  Hex SHA-256 of the simulation root certificate in simulation, else NULL.
const char *dp_pipeline_sim_root (const dp_pipeline_t *self);

#endif
