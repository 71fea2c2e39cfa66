/*  dp_relayer_check.c — checks an agreed result before money moves. */

#include "dp_relayer_check.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "dp_binding.h"
#include "dp_eth.h"
#include "dp_hex.h"
#include "dp_money.h"
#include "dp_quote.h"
#include "dp_quote_collateral.h"
#include "dp_quote_fetch.h"
#include "dp_quote_policy.h"
#include "dp_quote_pki.h"
#include "dp_quote_verify.h"
#include "dp_result.h"
#include "dp_result_check.h"
#include "dp_simroot.h"

#define S_STATUS_MAX 8

struct dp_relayer_checker_t {
    dp_quote_root_t *intel;
    dp_quote_root_t *sim;               //  NULL unless simulation is allowed
    char *sim_collateral;               //  the simulation root's collateral JSON
    size_t sim_collateral_len;
    char *collateral;                   //  for real quotes, or NULL
    size_t collateral_len;
    char statuses_text [256];
    const char *statuses [S_STATUS_MAX];
    size_t status_count;
    int has_mrtd;
    uint8_t mrtd [48];
    char *collateral_dir;               //  a folder of collateral files, or NULL
    char *pccs_url;                     //  --pccs, or NULL
    char *cache_dir;                    //  its cache, or NULL
    dp_quote_policy_doc_t *policy;      //  --policy, or NULL
};

static char *
s_read_file (const char *path, size_t *len, dp_error_t *err)
{
    FILE *file = fopen (path, "rb");
    if (!file) {
        dp_error_set (err, DP_IO, "%s: cannot open", path);
        return NULL;
    }
    char *text = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len + 65536 + 1 > cap) {
            char *grown = realloc (text, cap = cap * 2 + 65536 + 1);
            if (!grown)
                break;
            text = grown;
        }
        size_t got = fread (text + *len, 1, 65536, file);
        *len += got;
        if (got == 0)
            break;
    }
    fclose (file);
    if (text)
        text [*len] = '\0';
    return text;
}

static dp_status
s_open_sim (dp_relayer_checker_t *self, const char *dir, dp_error_t *err)
{
    char path [4096];
    if (dp_simroot_default_dir (dir, path, sizeof path, err) != DP_OK)
        return err->code;
    dp_simroot_t *simroot = dp_simroot_open (path, 0, err);
    if (!simroot)
        return dp_error_prefix (err, "simulation root");
    size_t len = 0;
    const char *collateral = dp_simroot_collateral (simroot, &len);
    const char *pem = dp_simroot_root_pem (simroot);
    dp_status rc = dp_quote_root_from_pem (pem, strlen (pem), &self->sim, err);
    self->sim_collateral = rc == DP_OK? malloc (len + 1): NULL;
    if (rc == DP_OK && !self->sim_collateral)
        rc = dp_error_set (err, DP_NOMEM, "out of memory");
    if (rc == DP_OK) {
        memcpy (self->sim_collateral, collateral, len);
        self->sim_collateral [len] = '\0';
        self->sim_collateral_len = len;
    }
    dp_simroot_destroy (&simroot);
    return rc;
}

static dp_status
s_policy (dp_relayer_checker_t *self, const dp_relayer_policy_t *policy, dp_error_t *err)
{
    snprintf (self->statuses_text, sizeof self->statuses_text, "%s",
              policy->tcb_statuses? policy->tcb_statuses: "UpToDate");
    for (char *save = NULL, *word = strtok_r (self->statuses_text, ",", &save);
         word && self->status_count < S_STATUS_MAX; word = strtok_r (NULL, ",", &save))
        self->statuses [self->status_count++] = word;
    if (policy->mrtd_hex) {
        if (dp_hex_decode (policy->mrtd_hex, strlen (policy->mrtd_hex), self->mrtd, 48, err) != DP_OK)
            return dp_error_prefix (err, "--mrtd");
        self->has_mrtd = 1;
    }
    if (!policy->policy_path)
        return DP_OK;
    if (dp_quote_policy_load (policy->policy_path, &self->policy, err) != DP_OK)
        return dp_error_prefix (err, "--policy");
    const dp_quote_policy_t *doc = dp_quote_policy_get (self->policy);
    if (doc->report_data)
        return dp_error_set (err, DP_INVALID, "--policy: %s: report_data cannot be fixed: each "
                             "deal's result binds its own", policy->policy_path);
    if (doc->measurements && self->has_mrtd)
        return dp_error_set (err, DP_INVALID, "--policy and --mrtd both list measurements: give one");
    return DP_OK;
}

//  Collateral from --collateral: a file (read once at start) or a folder
//  (read at each check, so fresh collateral can be dropped in without a
//  restart; TCB info expires about 30 days after it is issued).
static dp_status
s_open_collateral (dp_relayer_checker_t *self, const char *path, dp_error_t *err)
{
    struct stat st;
    if (stat (path, &st) != 0)
        return dp_error_set (err, DP_IO, "--collateral: %s: %s", path, strerror (errno));
    if (!S_ISDIR (st.st_mode))
        return (self->collateral = s_read_file (path, &self->collateral_len, err))? DP_OK: DP_IO;
    self->collateral_dir = strdup (path);
    return self->collateral_dir? DP_OK: dp_error_set (err, DP_NOMEM, "out of memory");
}

static dp_status
s_open_pccs (dp_relayer_checker_t *self, const dp_relayer_policy_t *policy, dp_error_t *err)
{
    if (!policy->pccs_url)
        return DP_OK;
    self->pccs_url = strdup (policy->pccs_url);
    self->cache_dir = policy->cache_dir? strdup (policy->cache_dir): NULL;
    if (!self->pccs_url || (policy->cache_dir && !self->cache_dir))
        return dp_error_set (err, DP_NOMEM, "out of memory");
    return DP_OK;
}

dp_relayer_checker_t *
dp_relayer_checker_new (const dp_relayer_policy_t *policy, dp_error_t *err)
{
    dp_relayer_checker_t *self = calloc (1, sizeof *self);
    if (!self) {
        dp_error_set (err, DP_NOMEM, "out of memory");
        return NULL;
    }
    self->intel = dp_quote_root_intel (err);
    if (!self->intel
    ||  s_policy (self, policy, err) != DP_OK
    ||  (policy->allow_simulation && s_open_sim (self, policy->sim_root, err) != DP_OK)
    ||  (policy->collateral && s_open_collateral (self, policy->collateral, err) != DP_OK)
    ||  s_open_pccs (self, policy, err) != DP_OK)
        dp_relayer_checker_destroy (&self);
    return self;
}

void
dp_relayer_checker_destroy (dp_relayer_checker_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dp_relayer_checker_t *self = *self_p;
    dp_quote_root_destroy (&self->intel);
    dp_quote_root_destroy (&self->sim);
    free (self->sim_collateral);
    free (self->collateral);
    free (self->collateral_dir);
    free (self->pccs_url);
    free (self->cache_dir);
    dp_quote_policy_destroy (&self->policy);
    free (self);
    *self_p = NULL;
}

static const char *
s_str (json_object *object, const char *key)
{
    json_object *value = NULL;
    if (!object || !json_object_object_get_ex (object, key, &value) || !value)
        return NULL;
    return json_object_get_string (value);
}

static dp_status
s_check_signature (json_object *result, uint8_t signer [20], dp_error_t *err)
{
    uint8_t recovered [20];
    if (dp_eth_address_parse (s_str (result, "signer"), signer, err) != DP_OK)
        return dp_error_prefix (err, "signature: signer");
    if (dp_result_check_signer (result, recovered, err) != DP_OK)
        return err->code;
    if (memcmp (recovered, signer, 20) != 0)
        return dp_error_set (err, DP_CRYPTO, "signature: does not recover to signer");
    return DP_OK;
}

//  The escrow the result authorises must be the one this relayer funds:
//  this chain, this contract, the envelope's seller, amount and data.
static dp_status
s_check_escrow (json_object *result, const dp_envelope_t *envelope, uint64_t chain_id,
                const uint8_t contract [20], dp_result_escrow_t *escrow, dp_error_t *err)
{
    if (dp_result_escrow (result, escrow, err) != DP_OK)
        return err->code == DP_NOTFOUND
             ? dp_error_set (err, DP_INVALID, "escrow: the result has no escrow authorisation")
             : err->code;
    if (escrow->chain_id != chain_id)
        return dp_error_set (err, DP_CRYPTO, "escrow: chain_id is not this chain's (%llu)",
                             (unsigned long long) chain_id);
    if (memcmp (escrow->contract, contract, 20) != 0)
        return dp_error_set (err, DP_CRYPTO, "escrow: contract is not this relayer's");
    uint8_t seller [20], wei [32];
    if (dp_eth_address_parse (envelope->seller_address, seller, err) != DP_OK
    ||  memcmp (escrow->seller, seller, 20) != 0)
        return dp_error_set (err, DP_CRYPTO, "escrow: seller_address differs from the envelope's");
    if (dp_money_wei_from_text (envelope->escrow_amount_eth, strlen (envelope->escrow_amount_eth),
                                wei, err) != DP_OK)
        return dp_error_prefix (err, "escrow: envelope escrow_amount_eth");
    if (memcmp (escrow->amount_wei, wei, 32) != 0)
        return dp_error_set (err, DP_CRYPTO, "escrow: amount_wei differs from the envelope's %s ETH",
                             envelope->escrow_amount_eth);
    const char *data_hash = s_str (result, "data_hash");
    if (!data_hash || strcmp (data_hash, envelope->data_hash) != 0)
        return dp_error_set (err, DP_CRYPTO, "escrow: data_hash differs from the envelope's");
    return DP_OK;
}

static dp_status
s_check_release (json_object *result, const dp_result_escrow_t *escrow, const uint8_t signer [20],
                 const uint8_t report_data [64], dp_relayer_release_t *out, dp_error_t *err)
{
    uint8_t recovered [20];
    if (dp_result_check_releaser (result, escrow, report_data, recovered, out->release_signature,
                                  err) != DP_OK)
        return dp_error_prefix (err, "release");
    if (memcmp (recovered, signer, 20) != 0)
        return dp_error_set (err, DP_CRYPTO, "release: release_signature does not recover to signer");
    memcpy (out->amount, escrow->amount_wei, 32);
    memcpy (out->report_data32, report_data, 32);
    return DP_OK;
}

//  report_data = payload hash ‖ binding, rebuilt from the result itself.
static dp_status
s_check_binding (json_object *result, const char *deal_id, const uint8_t signer [20],
                 uint8_t report_data [64], dp_error_t *err)
{
    json_object *transcript = NULL;
    json_object_object_get_ex (result, "transcript", &transcript);
    uint8_t payload_hash [32], transcript_digest [32];
    dp_status rc = dp_result_check_payload (result, payload_hash, NULL, err);
    if (rc == DP_OK && dp_result_transcript_digest (transcript, transcript_digest, err) != DP_OK)
        rc = dp_error_prefix (err, "payload");
    if (rc != DP_OK)
        return rc;
    const char *report_hex = s_str (result, "report_data");
    if (!report_hex)
        return dp_error_set (err, DP_INVALID, "report_data: missing");
    if (dp_hex_decode (report_hex, strlen (report_hex), report_data, 64, err) != DP_OK)
        return dp_error_prefix (err, "report_data");
    if (dp_binding_check (report_data, payload_hash, DP_BINDING_DEAL, deal_id, transcript_digest,
                          signer, err) != DP_OK)
        return dp_error_prefix (err, "binding");
    return DP_OK;
}

static dp_status
s_check_quote (dp_relayer_checker_t *self, json_object *result, const uint8_t report_data [64],
               dp_error_t *err)
{
    const char *hex = s_str (result, "attestation");
    dp_quote_t *quote = NULL;
    if (!hex || dp_quote_parse ((const uint8_t *) hex, strlen (hex), &quote, err) != DP_OK)
        return dp_error_prefix (err, "quote");
    int simulated = s_str (result, "sim_root") != NULL;
    if (simulated && !self->sim) {
        dp_quote_destroy (&quote);
        return dp_error_set (err, DP_CRYPTO, "quote: simulated, and simulated quotes are not accepted "
                                             "(start the relayer with --allow-simulation to accept them)");
    }
    const char *collateral_text = simulated? self->sim_collateral: self->collateral;
    size_t collateral_len = simulated? self->sim_collateral_len: self->collateral_len;
    dp_quote_collateral_t *collateral = NULL;
    dp_status rc = DP_OK;
    if (!simulated && self->collateral_dir)
        rc = dp_quote_collateral_load_for (self->collateral_dir, quote, &collateral, err);
    else
    if (!simulated && !collateral_text && self->pccs_url) {
        dp_quote_fetch_options_t fetch = {
            .base_url = self->pccs_url, .cache_dir = self->cache_dir, .now = (int64_t) time (NULL),
            .root = self->intel,
        };
        rc = dp_quote_collateral_fetch (&fetch, quote, &collateral, err);
    }
    else
    if (!collateral_text)
        rc = dp_error_set (err, DP_CRYPTO, "quote: no collateral configured for real quotes (--collateral or --pccs)");
    else
        rc = dp_quote_collateral_from_json (collateral_text, collateral_len, &collateral, err);
    if (rc != DP_OK && rc != DP_CRYPTO)
        rc = dp_error_prefix (err, "collateral");
    dp_quote_measurement_t measurement = { .mrtd = self->mrtd };
    dp_quote_policy_t policy = {
        .tcb_statuses = self->statuses, .tcb_status_count = self->status_count,
        .measurements = self->has_mrtd? &measurement: NULL, .measurement_count = self->has_mrtd,
    };
    if (self->policy) {
        //  The file's allow-list and switches; its statuses only when it
        //  names some (the relayer's own default, UpToDate, is stricter
        //  than a policy's "any").
        const dp_quote_policy_t *file = dp_quote_policy_get (self->policy);
        policy.allow_debug = file->allow_debug;
        policy.allow_service_td = file->allow_service_td;
        if (file->measurements) {
            policy.measurements = file->measurements;
            policy.measurement_count = file->measurement_count;
        }
        if (file->tcb_statuses) {
            policy.tcb_statuses = file->tcb_statuses;
            policy.tcb_status_count = file->tcb_status_count;
        }
    }
    policy.report_data = report_data;
    dp_quote_report_t *report = calloc (1, sizeof *report);
    if (rc == DP_OK && !report)
        rc = dp_error_set (err, DP_NOMEM, "out of memory");
    if (rc == DP_OK)
        rc = dp_quote_verify (quote, collateral, simulated? self->sim: self->intel, (int64_t) time (NULL),
                              &policy, report, err);
    if (rc == DP_OK && report->status != DP_QUOTE_VERIFIED && report->status != DP_QUOTE_SIMULATION_ONLY)
        rc = dp_error_set (err, DP_CRYPTO, "quote: %s", dp_quote_status_name (report->status));
    free (report);
    dp_quote_collateral_destroy (&collateral);
    dp_quote_destroy (&quote);
    return rc == DP_OK? DP_OK: (strncmp (err->text, "quote", 5) == 0? rc: dp_error_prefix (err, "quote"));
}

dp_status
dp_relayer_check (dp_relayer_checker_t *self, json_object *result, const dp_envelope_t *envelope,
                  uint64_t chain_id, const uint8_t contract [20], dp_relayer_release_t *out,
                  dp_error_t *err)
{
    memset (out, 0, sizeof *out);
    const char *status = s_str (result, "status"), *deal_id = s_str (result, "deal_id");
    if (!status || strcmp (status, "agreed") != 0)
        return dp_error_set (err, DP_INVALID, "status: %s, not agreed", status? status: "missing");
    if (!deal_id || strcmp (deal_id, envelope->deal_id) != 0)
        return dp_error_set (err, DP_CRYPTO, "deal_id: the result is for another deal");
    uint8_t report_data [64];
    dp_result_escrow_t escrow;
    dp_status rc = s_check_signature (result, out->signer, err);
    if (rc == DP_OK)
        rc = s_check_escrow (result, envelope, chain_id, contract, &escrow, err);
    if (rc == DP_OK)
        rc = s_check_binding (result, deal_id, out->signer, report_data, err);
    if (rc == DP_OK)
        rc = s_check_release (result, &escrow, out->signer, report_data, out, err);
    if (rc == DP_OK)
        rc = s_check_quote (self, result, report_data, err);
    return rc;
}
