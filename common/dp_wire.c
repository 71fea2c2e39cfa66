/*  dp_wire.c — protocol frames: msgpack-c packer out, strict cursor in.

    Every message, and every structure inside one, is described by a
    layout table (field type, offset into the C struct, bound). One encoder
    and one decoder walk the tables, so a field is described once and the
    two directions cannot disagree. */

#include "dp_wire.h"
#include "dp_money.h"

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
    T_U8, T_U32, T_U64, T_I64, T_F64, T_BOOL,
    T_STR,          //  char [size], any text without NUL
    T_DEALID,       //  char [size], SPEC §1 deal id
    T_BIN,          //  const uint8_t * at offset, size_t at len_offset
    T_BIN32,        //  uint8_t [32]
    T_CODE,         //  dp_status, as its name
    T_STRUCT,       //  nested layout, as an array
    T_ARRAY         //  elem * at offset, size_t count at len_offset
} s_type_t;

struct s_layout;
typedef struct {
    s_type_t type;
    const char *name;
    size_t offset;
    size_t size;                    //  char array size; array maximum (0 = batch_max)
    size_t len_offset;
    const struct s_layout *layout;
} s_field_t;

typedef struct s_layout {
    const char *name;
    size_t elem_size;
    const s_field_t *fields;
    size_t count;
} s_layout_t;

#define F(T, S, m)      { T, #m, offsetof (S, m), sizeof (((S *) 0)->m), 0, NULL }
#define FB(S, m, l)     { T_BIN, #m, offsetof (S, m), 0, offsetof (S, l), NULL }
#define FS(S, m, L)     { T_STRUCT, #m, offsetof (S, m), 0, 0, &L }
#define FA(S, m, c, L, max) { T_ARRAY, #m, offsetof (S, m), max, offsetof (S, c), &L }
#define LAYOUT(n, S, f) static const s_layout_t n = { #S, sizeof (S), f, sizeof f / sizeof f [0] }

static const s_field_t s_envelope_fields [] = {
    F (T_DEALID, dp_envelope_t, deal_id),
    F (T_STR, dp_envelope_t, batch),
    F (T_I64, dp_envelope_t, submitted_at_ms),
    F (T_STR, dp_envelope_t, data_hash),
    F (T_STR, dp_envelope_t, seller_address),
    F (T_STR, dp_envelope_t, escrow_amount_eth),
    F (T_STR, dp_envelope_t, buyer_engine),
    F (T_STR, dp_envelope_t, seller_engine),
    F (T_U8, dp_envelope_t, priority),
    F (T_U64, dp_envelope_t, body_size),
    F (T_BIN32, dp_envelope_t, body_sha256),
};
LAYOUT (s_envelope, dp_envelope_t, s_envelope_fields);

static const s_field_t s_lease_fields [] = {
    F (T_DEALID, dp_wire_lease_t, deal_id),
    F (T_U64, dp_wire_lease_t, token),
};
LAYOUT (s_lease, dp_wire_lease_t, s_lease_fields);

static const s_field_t s_item_fields [] = {
    FS (dp_wire_item_t, envelope, s_envelope),
    FB (dp_wire_item_t, body, body_len),
};
LAYOUT (s_item, dp_wire_item_t, s_item_fields);

static const s_field_t s_job_fields [] = {
    FS (dp_wire_job_t, envelope, s_envelope),
    FB (dp_wire_job_t, body, body_len),
    F (T_U64, dp_wire_job_t, token),
    F (T_U32, dp_wire_job_t, attempt),
    F (T_U32, dp_wire_job_t, lease_ms),
};
LAYOUT (s_job, dp_wire_job_t, s_job_fields);

static const s_field_t s_ack_fields [] = {
    F (T_STR, dp_wire_ack_t, deal_id),      //  may echo an invalid id's prefix: any text
    F (T_CODE, dp_wire_ack_t, code),
    F (T_STR, dp_wire_ack_t, status),
    F (T_STR, dp_wire_ack_t, text),
};
LAYOUT (s_ack, dp_wire_ack_t, s_ack_fields);

static const s_field_t s_done_fields [] = {
    F (T_DEALID, dp_wire_done_t, deal_id),
    F (T_U64, dp_wire_done_t, token),
    F (T_STR, dp_wire_done_t, status),
    F (T_STR, dp_wire_done_t, reason),
    FB (dp_wire_done_t, data, data_len),
};
LAYOUT (s_done, dp_wire_done_t, s_done_fields);

static const s_field_t s_done_ack_fields [] = {
    F (T_DEALID, dp_wire_done_ack_t, deal_id),
    F (T_U64, dp_wire_done_ack_t, token),
    F (T_CODE, dp_wire_done_ack_t, code),
    F (T_STR, dp_wire_done_ack_t, text),
};
LAYOUT (s_done_ack, dp_wire_done_ack_t, s_done_ack_fields);

static const s_field_t s_entry_fields [] = {
    F (T_DEALID, dp_wire_entry_t, deal_id),
    F (T_STR, dp_wire_entry_t, status),
};
LAYOUT (s_entry, dp_wire_entry_t, s_entry_fields);

static const s_field_t s_event_fields [] = {
    F (T_U64, dp_wire_event_t, epoch),
    F (T_U64, dp_wire_event_t, seq),
    F (T_STR, dp_wire_event_t, type),
    F (T_STR, dp_wire_event_t, deal_id),
    F (T_STR, dp_wire_event_t, status),
    F (T_STR, dp_wire_event_t, reason),
    F (T_STR, dp_wire_event_t, batch),
    F (T_I64, dp_wire_event_t, time_ms),
    F (T_U32, dp_wire_event_t, attempt),
    FB (dp_wire_event_t, data, data_len),
};
LAYOUT (s_event, dp_wire_event_t, s_event_fields);

static const s_field_t s_worker_fields [] = {
    F (T_STR, dp_wire_worker_t, name),
    F (T_U32, dp_wire_worker_t, capacity),
    F (T_U32, dp_wire_worker_t, leased),
    F (T_U64, dp_wire_worker_t, done),
};
LAYOUT (s_worker, dp_wire_worker_t, s_worker_fields);

static const s_field_t s_stats_fields [] = {
    F (T_U64, dp_wire_stats_t, epoch),
    F (T_U64, dp_wire_stats_t, last_seq),
    F (T_U64, dp_wire_stats_t, pending),
    F (T_U64, dp_wire_stats_t, negotiating),
    F (T_U64, dp_wire_stats_t, agreed),
    F (T_U64, dp_wire_stats_t, failed),
    F (T_U64, dp_wire_stats_t, verification_failed),
    F (T_U64, dp_wire_stats_t, submitted_total),
    F (T_U64, dp_wire_stats_t, completed_total),
    F (T_F64, dp_wire_stats_t, submit_rate),
    F (T_F64, dp_wire_stats_t, complete_rate),
    F (T_I64, dp_wire_stats_t, oldest_pending_ms),
    F (T_U64, dp_wire_stats_t, map_size),
    F (T_U64, dp_wire_stats_t, map_used),
    F (T_U64, dp_wire_stats_t, commits),
    F (T_F64, dp_wire_stats_t, commit_avg_ms),
    FA (dp_wire_stats_t, workers, worker_count, s_worker, 4096),
};
LAYOUT (s_stats, dp_wire_stats_t, s_stats_fields);

//  The per-kind field lists of dp_wire_msg_t.
#define M(T, m)     F (T, dp_wire_msg_t, m)
#define MB(m, l)    FB (dp_wire_msg_t, m, l)
#define MS(m, L)    FS (dp_wire_msg_t, m, L)
#define MA(m, L, max) { T_ARRAY, #m, offsetof (dp_wire_msg_t, m), max, offsetof (dp_wire_msg_t, count), &L }

static const s_field_t k_hello [] = { M (T_STR, role), M (T_STR, name), M (T_U32, capacity),
    { T_ARRAY, "leases", offsetof (dp_wire_msg_t, leases), DP_WIRE_LEASES_MAX,
      offsetof (dp_wire_msg_t, lease_count), &s_lease } };
static const s_field_t k_welcome [] = { M (T_U64, epoch), M (T_STR, endpoint),
    M (T_U32, heartbeat_ms), M (T_U32, lease_ms), M (T_U64, frame_max), M (T_U32, batch_max) };
static const s_field_t k_error [] = { M (T_CODE, code), M (T_STR, text) };
static const s_field_t k_submit [] = { MA (items, s_item, 0) };
static const s_field_t k_submit_ack [] = { MA (acks, s_ack, 0) };
static const s_field_t k_deal [] = { M (T_DEALID, deal_id) };
static const s_field_t k_status_reply [] = { MS (envelope, s_envelope), M (T_STR, status),
    M (T_STR, reason), M (T_U32, attempts), M (T_BOOL, has_result), M (T_STR, escrow_tx),
    M (T_STR, completion_tx) };
static const s_field_t k_result_reply [] = { M (T_DEALID, deal_id), M (T_STR, status),
    M (T_STR, reason), MB (data, data_len), M (T_STR, escrow_tx), M (T_STR, completion_tx) };
static const s_field_t k_list [] = { M (T_STR, status), M (T_STR, batch), M (T_STR, after),
    M (T_U32, limit) };
static const s_field_t k_list_reply [] = { MA (entries, s_entry, DP_WIRE_LIST_MAX), M (T_STR, after) };
static const s_field_t k_stats_reply [] = { MS (stats, s_stats) };
static const s_field_t k_annotate [] = { M (T_DEALID, deal_id), M (T_STR, key), M (T_STR, value) };
static const s_field_t k_replay [] = { M (T_U64, from_seq), M (T_U32, limit) };
static const s_field_t k_replay_reply [] = { M (T_U64, oldest_seq), M (T_U64, last_seq),
    MA (events, s_event, DP_WIRE_REPLAY_MAX) };
static const s_field_t k_job [] = { MS (envelope, s_envelope), MB (body, body_len),
    M (T_U64, token), M (T_U32, attempt), M (T_U32, lease_ms) };
static const s_field_t k_done [] = { M (T_DEALID, deal_id), M (T_U64, token), M (T_STR, status),
    M (T_STR, reason), MB (data, data_len) };
static const s_field_t k_done_ack [] = { M (T_DEALID, deal_id), M (T_U64, token),
    M (T_CODE, code), M (T_STR, text) };
static const s_field_t k_release [] = { M (T_DEALID, deal_id), M (T_U64, token), M (T_STR, reason) };
static const s_field_t k_progress [] = { M (T_DEALID, deal_id), M (T_U64, token), MB (data, data_len) };
static const s_field_t k_heartbeat [] = { M (T_U64, epoch) };
static const s_field_t k_credit [] = { M (T_U32, capacity) };
static const s_field_t k_event [] = { MS (event, s_event) };
static const s_field_t k_tick [] = { M (T_U64, epoch), M (T_U64, last_seq) };
static const s_field_t k_dones [] = { MA (dones, s_done, DP_WIRE_DONES_MAX) };
static const s_field_t k_done_acks [] = { MA (done_acks, s_done_ack, DP_WIRE_DONES_MAX) };
static const s_field_t k_events [] = { MA (events, s_event, DP_WIRE_EVENTS_MAX) };
static const s_field_t k_jobs [] = { MA (jobs, s_job, DP_WIRE_JOBS_MAX) };
static const s_field_t k_features [] = { M (T_STR, features) };

#define K(name, fields) { name, fields, sizeof fields / sizeof fields [0] }
#define K0(name) { name, NULL, 0 }
static const struct {
    const char *name;
    const s_field_t *fields;
    size_t count;
} s_kinds [DP_WIRE_KIND_COUNT] = {
    [0] = K0 ("unknown"),
    [DP_WIRE_HELLO] = K ("hello", k_hello),
    [DP_WIRE_WELCOME] = K ("welcome", k_welcome),
    [DP_WIRE_OK] = K0 ("ok"),
    [DP_WIRE_ERROR] = K ("error", k_error),
    [DP_WIRE_SUBMIT] = K ("submit", k_submit),
    [DP_WIRE_SUBMIT_ACK] = K ("submit_ack", k_submit_ack),
    [DP_WIRE_STATUS] = K ("status", k_deal),
    [DP_WIRE_STATUS_REPLY] = K ("status_reply", k_status_reply),
    [DP_WIRE_RESULT] = K ("result", k_deal),
    [DP_WIRE_RESULT_REPLY] = K ("result_reply", k_result_reply),
    [DP_WIRE_LIST] = K ("list", k_list),
    [DP_WIRE_LIST_REPLY] = K ("list_reply", k_list_reply),
    [DP_WIRE_STATS] = K0 ("stats"),
    [DP_WIRE_STATS_REPLY] = K ("stats_reply", k_stats_reply),
    [DP_WIRE_ANNOTATE] = K ("annotate", k_annotate),
    [DP_WIRE_REPLAY] = K ("replay", k_replay),
    [DP_WIRE_REPLAY_REPLY] = K ("replay_reply", k_replay_reply),
    [DP_WIRE_JOB] = K ("job", k_job),
    [DP_WIRE_DONE] = K ("done", k_done),
    [DP_WIRE_DONE_ACK] = K ("done_ack", k_done_ack),
    [DP_WIRE_RELEASE] = K ("release", k_release),
    [DP_WIRE_PROGRESS] = K ("progress", k_progress),
    [DP_WIRE_HEARTBEAT] = K ("heartbeat", k_heartbeat),
    [DP_WIRE_CREDIT] = K ("credit", k_credit),
    [DP_WIRE_EVENT] = K ("event", k_event),
    [DP_WIRE_TICK] = K ("tick", k_tick),
    [DP_WIRE_DONES] = K ("dones", k_dones),
    [DP_WIRE_DONE_ACKS] = K ("done_acks", k_done_acks),
    [DP_WIRE_EVENTS] = K ("events", k_events),
    [DP_WIRE_JOBS] = K ("jobs", k_jobs),
    [DP_WIRE_FEATURES] = K ("features", k_features),
};

const char *
dp_wire_kind_name (int kind)
{
    if (kind <= 0 || kind >= DP_WIRE_KIND_COUNT)
        return "unknown";
    return s_kinds [kind].name;
}

dp_wire_job_t
dp_wire_msg_job (const dp_wire_msg_t *msg)
{
    dp_wire_job_t job = {
        .envelope = msg->envelope, .body = msg->body, .body_len = msg->body_len,
        .token = msg->token, .attempt = msg->attempt, .lease_ms = msg->lease_ms
    };
    return job;
}

void
dp_wire_msg_init (dp_wire_msg_t *msg, int kind, uint64_t request_id)
{
    memset (msg, 0, sizeof *msg);
    msg->kind = kind;
    msg->request_id = request_id;
}

void
dp_wire_msg_clear (dp_wire_msg_t *msg)
{
    if (!msg)
        return;
    free (msg->leases);
    free (msg->items);
    free (msg->acks);
    free (msg->entries);
    free (msg->events);
    free (msg->dones);
    free (msg->done_acks);
    free (msg->jobs);
    free (msg->stats.workers);
    memset (msg, 0, sizeof *msg);
}

dp_status
dp_wire_status_from_name (const char *name)
{
    for (int code = 0; code < DP_STATUS_COUNT; code++)
        if (strcmp (dp_status_name ((dp_status) code), name) == 0)
            return (dp_status) code;
    return DP_INTERNAL;
}

int
dp_wire_deal_id_valid (const char *text)
{
    size_t len = strlen (text);
    if (len == 0 || len > DP_DEAL_ID_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = text [i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
               || c == '.' || c == '_' || c == ':' || c == '-';
        if (!ok)
            return 0;
    }
    return 1;
}

static bool
s_is_hex (const char *text, size_t len, bool lower_only)
{
    for (size_t i = 0; i < len; i++) {
        char c = text [i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
              || (!lower_only && c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

dp_status
dp_wire_check_envelope (const dp_envelope_t *e, dp_error_t *err)
{
    if (!dp_wire_deal_id_valid (e->deal_id))
        return dp_error_set (err, DP_INVALID, "deal_id: must match [A-Za-z0-9._:-]{1,128}");
    size_t len = strlen (e->data_hash);
    if (len != 0 && (len != 64 || !s_is_hex (e->data_hash, 64, true)))
        return dp_error_set (err, DP_INVALID, "data_hash: must be 64 lower-case hex digits");
    len = strlen (e->seller_address);
    if (len != 0 && (len != 42 || e->seller_address [0] != '0' || e->seller_address [1] != 'x'
                     || !s_is_hex (e->seller_address + 2, 40, false)))
        return dp_error_set (err, DP_INVALID, "seller_address: must be 0x and 40 hex digits");
    if (e->priority > 9)
        return dp_error_set (err, DP_INVALID, "priority: must be 0..9");
    //  The amount as the deal parser took it (dp_money's rules), or none.
    uint8_t wei [32];
    dp_error_t why;
    len = strlen (e->escrow_amount_eth);
    if (len != 0 && dp_money_wei_from_text (e->escrow_amount_eth, len, wei, &why) != DP_OK)
        return dp_error_set (err, DP_INVALID, "escrow_amount_eth: %s", why.text);
    return DP_OK;
}

//  --------------------------------------------------------------------------
//  Encoding

//  The encoder's output. msgpack's sbuffer starts every message with an
//  8 KiB malloc and then needs a realloc to give most of it back; ours are
//  mostly a few hundred bytes, so they are packed on the stack and copied
//  out once at their size, and only bigger frames go to the heap.
typedef struct {
    uint8_t *data;              //  local, or malloc'd once it outgrew it
    size_t size, alloc;
    uint8_t local [4096];
} s_encoder_t;

static int
s_encoder_grow (s_encoder_t *self, size_t len)
{
    size_t alloc = self->alloc;
    while (len > alloc - self->size) {
        if (alloc > SIZE_MAX / 2)
            return -1;
        alloc *= 2;
    }
    uint8_t *data = self->data == self->local? malloc (alloc): realloc (self->data, alloc);
    if (!data)
        return -1;
    if (self->data == self->local)
        memcpy (data, self->local, self->size);
    self->data = data;
    self->alloc = alloc;
    return 0;
}

static inline int
s_encoder_write (s_encoder_t *self, const void *bytes, size_t len)
{
    if (len > self->alloc - self->size && s_encoder_grow (self, len) != 0)
        return -1;
    memcpy (self->data + self->size, bytes, len);
    self->size += len;
    return 0;
}

//  msgpack-c's own packer, from its template (pack_template.h, which its
//  pack.h instantiates the same way), writing straight into the encoder:
//  msgpack_packer calls its write callback through a pointer for every
//  value, 160 calls per deal in the broker, and that call with its small
//  memcpy was half of all encoding (callgrind). Here each value's few
//  bytes are stored inline. s_mp_array, s_mp_uint32 … as msgpack_pack_*.
#undef msgpack_pack_inline_func
#undef msgpack_pack_inline_func_cint
#undef msgpack_pack_inline_func_fixint
#undef msgpack_pack_user
#undef msgpack_pack_append_buffer
#define msgpack_pack_inline_func(name) static inline int s_mp ## name
#define msgpack_pack_inline_func_cint(name) static inline int s_mp ## name
#define msgpack_pack_user s_encoder_t *
#define msgpack_pack_append_buffer(user, buf, len) return s_encoder_write (user, buf, len)
#include <msgpack/pack_template.h>
#undef msgpack_pack_inline_func_cint

static inline int
s_mp_str_with_body (s_encoder_t *x, const void *body, size_t len)
{
    return s_mp_str (x, len) || s_mp_str_body (x, body, len)? -1: 0;
}

static inline int
s_mp_bin_with_body (s_encoder_t *x, const void *body, size_t len)
{
    return s_mp_bin (x, len) || s_mp_bin_body (x, body, len)? -1: 0;
}

static int
s_pack_field (s_encoder_t *pk, const s_field_t *f, const char *base);

static int
s_pack_layout (s_encoder_t *pk, const s_field_t *fields, size_t count, const char *base)
{
    int rc = s_mp_array (pk, count);
    for (size_t i = 0; rc == 0 && i < count; i++)
        rc = s_pack_field (pk, &fields [i], base);
    return rc;
}

static int
s_pack_array (s_encoder_t *pk, const s_field_t *f, const char *base)
{
    const char *items = *(const char *const *) (base + f->offset);
    size_t n = *(const size_t *) (base + f->len_offset);
    if (f->layout == &s_worker)         //  stats.worker_count is a uint32_t
        n = *(const uint32_t *) (base + f->len_offset);
    int rc = s_mp_array (pk, n);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = s_pack_layout (pk, f->layout->fields, f->layout->count,
                            items + i * f->layout->elem_size);
    return rc;
}

static int
s_pack_field (s_encoder_t *pk, const s_field_t *f, const char *base)
{
    const char *p = base + f->offset;
    switch (f->type) {
        case T_U8:   return s_mp_uint8 (pk, *(const uint8_t *) p);
        case T_U32:  return s_mp_uint32 (pk, *(const uint32_t *) p);
        case T_U64:  return s_mp_uint64 (pk, *(const uint64_t *) p);
        case T_I64:  return s_mp_int64 (pk, *(const int64_t *) p);
        case T_F64:  return s_mp_double (pk, *(const double *) p);
        case T_BOOL: return *(const int *) p? s_mp_true (pk): s_mp_false (pk);
        case T_STR:
        case T_DEALID: {
            size_t len = strnlen (p, f->size);
            return s_mp_str_with_body (pk, p, len);
        }
        case T_CODE: {
            const char *name = dp_status_name (*(const dp_status *) p);
            return s_mp_str_with_body (pk, name, strlen (name));
        }
        case T_BIN: {
            const uint8_t *data = *(const uint8_t *const *) p;
            size_t len = *(const size_t *) (base + f->len_offset);
            return s_mp_bin_with_body (pk, data? data: (const uint8_t *) "", data? len: 0);
        }
        case T_BIN32:  return s_mp_bin_with_body (pk, p, 32);
        case T_STRUCT: return s_pack_layout (pk, f->layout->fields, f->layout->count, p);
        case T_ARRAY:  return s_pack_array (pk, f, base);
    }
    return -1;
}

dp_status
dp_wire_encode (const dp_wire_msg_t *msg, uint8_t **out, size_t *len, dp_error_t *err)
{
    *out = NULL;
    *len = 0;
    if (msg->kind <= 0 || msg->kind >= DP_WIRE_KIND_COUNT)
        return dp_error_set (err, DP_INVALID, "kind: %d is not a message kind", msg->kind);
    s_encoder_t buffer;         //  not zeroed: 4 KiB of memset per message
    buffer.data = buffer.local;
    buffer.size = 0;
    buffer.alloc = sizeof buffer.local;
    s_encoder_t *pk = &buffer;
    size_t count = s_kinds [msg->kind].count;
    int rc = s_mp_array (pk, 3 + count);
    rc = rc? rc: s_mp_uint32 (pk, DP_WIRE_VERSION);
    rc = rc? rc: s_mp_uint32 (pk, (uint32_t) msg->kind);
    rc = rc? rc: s_mp_uint64 (pk, msg->request_id);
    for (size_t i = 0; rc == 0 && i < count; i++) {
        const s_field_t *f = &s_kinds [msg->kind].fields [i];
        if (msg->envelope_raw && f->offset == offsetof (dp_wire_msg_t, envelope))
            rc = s_encoder_write (pk, msg->envelope_raw, msg->envelope_raw_len);
        else
            rc = s_pack_field (pk, f, (const char *) msg);
    }
    if (rc == 0 && buffer.data == buffer.local) {
        //  The usual case: the frame fit on the stack; hand out exactly its size.
        if ((*out = malloc (buffer.size)) != NULL)
            memcpy (*out, buffer.local, buffer.size);
    }
    else
    if (rc == 0) {
        *out = buffer.data;             //  a big frame: give back the slack
        if (buffer.alloc > buffer.size + buffer.size / 8) {
            uint8_t *fit = realloc (*out, buffer.size);
            if (fit)
                *out = fit;
        }
    }
    else
    if (buffer.data != buffer.local)
        free (buffer.data);
    if (!*out)
        return dp_error_set (err, DP_NOMEM, "%s: out of memory while encoding",
                             dp_wire_kind_name (msg->kind));
    *len = buffer.size;
    return DP_OK;
}

//  --------------------------------------------------------------------------
//  Decoding: a cursor over the frame. Every read checks the bytes left.

typedef struct {
    const uint8_t *p;
    const uint8_t *end;
    size_t batch_max;
    const char *field;          //  for error messages
    dp_error_t *err;
} s_reader_t;

static dp_status
s_fail (s_reader_t *r, const char *reason)
{
    return dp_error_set (r->err, DP_PROTO, "%s: %s", r->field? r->field: "frame", reason);
}

static bool
s_need (s_reader_t *r, size_t n)
{
    return (size_t) (r->end - r->p) >= n;
}

static uint64_t
s_be (const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p [i];
    return v;
}

//  Reads a length that follows a type byte with 1, 2 or 4 big-endian bytes.
static dp_status
s_read_len (s_reader_t *r, int width, size_t *len)
{
    if (!s_need (r, (size_t) width))
        return s_fail (r, "truncated");
    *len = (size_t) s_be (r->p, width);
    r->p += width;
    return DP_OK;
}

static dp_status
s_read_int (s_reader_t *r, bool is_signed, uint64_t *u, int64_t *s)
{
    if (!s_need (r, 1))
        return s_fail (r, "truncated");
    uint8_t t = *r->p++;
    int width = 0;
    bool neg_type = false;
    if (t <= 0x7f) {
        *u = t;
        *s = t;
        return DP_OK;
    }
    if (t >= 0xe0) {
        if (!is_signed)
            return s_fail (r, "expected an unsigned integer, got a negative one");
        *s = (int8_t) t;
        return DP_OK;
    }
    if (t >= 0xcc && t <= 0xcf)
        width = 1 << (t - 0xcc);
    else if (t >= 0xd0 && t <= 0xd3) {
        width = 1 << (t - 0xd0);
        neg_type = true;
    }
    else
        return s_fail (r, "expected an integer");
    if (!s_need (r, (size_t) width))
        return s_fail (r, "truncated");
    uint64_t raw = s_be (r->p, width);
    r->p += width;
    if (neg_type) {
        int64_t v = width == 8? (int64_t) raw: width == 4? (int32_t) raw
                  : width == 2? (int16_t) raw: (int8_t) raw;
        if (v < 0 && !is_signed)
            return s_fail (r, "expected an unsigned integer, got a negative one");
        *s = v;
        *u = (uint64_t) v;
        return DP_OK;
    }
    if (is_signed && raw > INT64_MAX)
        return s_fail (r, "integer out of range");
    *u = raw;
    *s = (int64_t) raw;
    return DP_OK;
}

static dp_status
s_read_uint (s_reader_t *r, uint64_t max, uint64_t *v)
{
    int64_t s;
    dp_status rc = s_read_int (r, false, v, &s);
    if (rc == DP_OK && *v > max)
        return s_fail (r, "integer out of range");
    return rc;
}

//  Reads a str (want_bin false) or bin (true) header and returns a view.
static dp_status
s_read_raw (s_reader_t *r, bool want_bin, const uint8_t **data, size_t *len)
{
    if (!s_need (r, 1))
        return s_fail (r, "truncated");
    uint8_t t = *r->p++;
    dp_status rc = DP_OK;
    if (!want_bin && t >= 0xa0 && t <= 0xbf)
        *len = t & 0x1f;
    else if (!want_bin && t >= 0xd9 && t <= 0xdb)
        rc = s_read_len (r, 1 << (t - 0xd9), len);
    else if (want_bin && t >= 0xc4 && t <= 0xc6)
        rc = s_read_len (r, 1 << (t - 0xc4), len);
    else
        return s_fail (r, want_bin? "expected bytes (bin)": "expected a string");
    if (rc != DP_OK)
        return rc;
    if (!s_need (r, *len))
        return s_fail (r, "truncated");
    *data = r->p;
    r->p += *len;
    return DP_OK;
}

static dp_status
s_read_array (s_reader_t *r, size_t *count)
{
    if (!s_need (r, 1))
        return s_fail (r, "truncated");
    uint8_t t = *r->p++;
    dp_status rc = DP_OK;
    if (t >= 0x90 && t <= 0x9f)
        *count = t & 0x0f;
    else if (t == 0xdc || t == 0xdd)
        rc = s_read_len (r, t == 0xdc? 2: 4, count);
    else
        return s_fail (r, "expected an array");
    //  Each element takes at least one byte: a count beyond the bytes left
    //  is a lie, refused before anything is allocated for it.
    if (rc == DP_OK && *count > (size_t) (r->end - r->p))
        return s_fail (r, "array count exceeds the frame");
    return rc;
}

static dp_status
s_read_text (s_reader_t *r, char *out, size_t size, bool deal_id)
{
    const uint8_t *data = NULL;
    size_t len = 0;
    dp_status rc = s_read_raw (r, false, &data, &len);
    if (rc != DP_OK)
        return rc;
    if (len >= size)
        return dp_error_set (r->err, DP_PROTO, "%s: string longer than %zu bytes",
                             r->field, size - 1);
    if (memchr (data, 0, len))
        return s_fail (r, "string contains a NUL byte");
    memcpy (out, data, len);
    out [len] = '\0';
    if (deal_id && !dp_wire_deal_id_valid (out))
        return s_fail (r, "deal id must match [A-Za-z0-9._:-]{1,128}");
    return DP_OK;
}

static dp_status s_read_layout (s_reader_t *r, const s_layout_t *layout, char *base);

static dp_status
s_read_items (s_reader_t *r, const s_field_t *f, char *base)
{
    size_t n;
    dp_status rc = s_read_array (r, &n);
    if (rc != DP_OK)
        return rc;
    size_t max = f->size? f->size: r->batch_max;
    if (n > max)
        return dp_error_set (r->err, DP_LIMIT, "%s: %zu entries, the limit is %zu", f->name, n, max);
    char *items = n? calloc (n, f->layout->elem_size): NULL;
    if (n && !items)
        return dp_error_set (r->err, DP_NOMEM, "%s: out of memory", f->name);
    *(char **) (base + f->offset) = items;      //  owned by the message from here on
    if (f->layout == &s_worker)
        *(uint32_t *) (base + f->len_offset) = (uint32_t) n;
    else
        *(size_t *) (base + f->len_offset) = n;
    for (size_t i = 0; rc == DP_OK && i < n; i++) {
        rc = s_read_layout (r, f->layout, items + i * f->layout->elem_size);
        if (rc != DP_OK)
            dp_error_prefix (r->err, "%s[%zu]", f->name, i);
    }
    return rc;
}

static dp_status
s_read_scalar (s_reader_t *r, const s_field_t *f, char *p)
{
    uint64_t u = 0;
    dp_status rc;
    switch (f->type) {
        case T_U8:
            rc = s_read_uint (r, UINT8_MAX, &u);
            *(uint8_t *) p = (uint8_t) u;
            return rc;
        case T_U32:
            rc = s_read_uint (r, UINT32_MAX, &u);
            *(uint32_t *) p = (uint32_t) u;
            return rc;
        case T_U64:
            return s_read_uint (r, UINT64_MAX, (uint64_t *) p);
        case T_I64:
            return s_read_int (r, true, &u, (int64_t *) p);
        default:
            return s_fail (r, "internal: not a scalar");
    }
}

static dp_status
s_read_f64 (s_reader_t *r, double *out)
{
    if (!s_need (r, 1))
        return s_fail (r, "truncated");
    uint8_t t = *r->p++;
    int width = t == 0xcb? 8: t == 0xca? 4: 0;
    if (!width)
        return s_fail (r, "expected a float");
    if (!s_need (r, (size_t) width))
        return s_fail (r, "truncated");
    uint64_t raw = s_be (r->p, width);
    r->p += width;
    if (width == 8)
        memcpy (out, &raw, 8);
    else {
        uint32_t raw32 = (uint32_t) raw;
        float f;
        memcpy (&f, &raw32, 4);
        *out = f;
    }
    return DP_OK;
}

static dp_status
s_read_field (s_reader_t *r, const s_field_t *f, char *base)
{
    char *p = base + f->offset;
    const uint8_t *data;
    size_t len;
    dp_status rc;
    r->field = f->name;
    switch (f->type) {
        case T_F64: return s_read_f64 (r, (double *) p);
        case T_BOOL:
            if (!s_need (r, 1) || (*r->p != 0xc2 && *r->p != 0xc3))
                return s_fail (r, "expected true or false");
            *(int *) p = *r->p++ == 0xc3;
            return DP_OK;
        case T_STR:    return s_read_text (r, p, f->size, false);
        case T_DEALID: return s_read_text (r, p, f->size, true);
        case T_CODE: {
            char name [32];
            rc = s_read_text (r, name, sizeof name, false);
            if (rc == DP_OK && (*(dp_status *) p = dp_wire_status_from_name (name)) == DP_INTERNAL
                && strcmp (name, "internal") != 0)
                return s_fail (r, "unknown status code");
            return rc;
        }
        case T_BIN:
            rc = s_read_raw (r, true, &data, &len);
            *(const uint8_t **) p = rc == DP_OK? data: NULL;
            *(size_t *) (base + f->len_offset) = rc == DP_OK? len: 0;
            return rc;
        case T_BIN32:
            rc = s_read_raw (r, true, &data, &len);
            if (rc == DP_OK && len != 32)
                return s_fail (r, "expected 32 bytes");
            if (rc == DP_OK)
                memcpy (p, data, 32);
            return rc;
        case T_STRUCT: return s_read_layout (r, f->layout, p);
        case T_ARRAY:  return s_read_items (r, f, base);
        default:       return s_read_scalar (r, f, p);
    }
}

static dp_status
s_read_fields (s_reader_t *r, const s_field_t *fields, size_t count, char *base)
{
    size_t n;
    dp_status rc = s_read_array (r, &n);
    if (rc != DP_OK)
        return rc;
    if (n != count)
        return dp_error_set (r->err, DP_PROTO, "%s: expected %zu fields, got %zu",
                             r->field? r->field: "message", count, n);
    for (size_t i = 0; rc == DP_OK && i < count; i++)
        rc = s_read_field (r, &fields [i], base);
    return rc;
}

static dp_status
s_read_layout (s_reader_t *r, const s_layout_t *layout, char *base)
{
    const char *outer = r->field;
    dp_status rc = s_read_fields (r, layout->fields, layout->count, base);
    if (rc == DP_OK && layout == &s_envelope) {
        rc = dp_wire_check_envelope ((dp_envelope_t *) base, r->err);
        if (rc == DP_INVALID)
            rc = r->err? (r->err->code = DP_PROTO): DP_PROTO;
    }
    r->field = outer;
    return rc;
}

static dp_status
s_read_header (s_reader_t *r, dp_wire_msg_t *msg, size_t *fields)
{
    uint64_t version = 0, kind = 0;         //  set by s_read_uint; zeroed for gcc -O3
    dp_status rc = s_read_array (r, fields);
    if (rc != DP_OK)
        return rc;
    if (*fields < 3)
        return s_fail (r, "a message needs version, kind and request id");
    r->field = "version";
    if ((rc = s_read_uint (r, UINT32_MAX, &version)) != DP_OK)
        return rc;
    if (version != DP_WIRE_VERSION)
        return dp_error_set (r->err, DP_UNSUPPORTED, "version: %llu is not supported (this "
                             "broker speaks %d)", (unsigned long long) version, DP_WIRE_VERSION);
    r->field = "kind";
    if ((rc = s_read_uint (r, UINT32_MAX, &kind)) != DP_OK)
        return rc;
    r->field = "request_id";
    if ((rc = s_read_uint (r, UINT64_MAX, &msg->request_id)) != DP_OK)
        return rc;
    if (kind == 0 || kind >= DP_WIRE_KIND_COUNT)
        return dp_error_set (r->err, DP_UNSUPPORTED, "kind: %llu is not a known message",
                             (unsigned long long) kind);
    msg->kind = (int) kind;
    *fields -= 3;
    if (*fields != s_kinds [kind].count)
        return dp_error_set (r->err, DP_PROTO, "%s: expected %zu fields, got %zu",
                             s_kinds [kind].name, s_kinds [kind].count, *fields);
    return DP_OK;
}

//  Walks one msgpack object without decoding it: the bytes it takes, or 0
//  if it is truncated, malformed or nested deeper than our frames ever are.
//  (msgpack-c's unpacker would build the object in a zone to do this.)
static size_t
s_skip_object (const uint8_t *p, size_t left, int depth)
{
    if (left == 0 || depth > 8)
        return 0;
    uint8_t type = p [0];
    size_t head = 1, body = 0, items = 0;
    if (type <= 0x7f || type >= 0xe0 || type == 0xc0 || type == 0xc2 || type == 0xc3)
        ;                                                   //  fixint, nil, bool
    else if ((type & 0xf0) == 0x90)
        items = type & 0x0f;                                //  fixarray
    else if ((type & 0xf0) == 0x80)
        items = 2 * (size_t) (type & 0x0f);                 //  fixmap
    else if ((type & 0xe0) == 0xa0)
        body = type & 0x1f;                                 //  fixstr
    else {
        static const uint8_t widths [0x20] = {              //  by type - 0xc0
            [0x04] = 1, [0x05] = 2, [0x06] = 4,             //  bin 8/16/32: length
            [0x07] = 1, [0x08] = 2, [0x09] = 4,             //  ext 8/16/32: length (+ type)
            [0x0a] = 4, [0x0b] = 8,                         //  float 32/64
            [0x0c] = 1, [0x0d] = 2, [0x0e] = 4, [0x0f] = 8, //  uint
            [0x10] = 1, [0x11] = 2, [0x12] = 4, [0x13] = 8, //  int
            [0x14] = 2, [0x15] = 3, [0x16] = 5, [0x17] = 9, [0x18] = 17,  //  fixext (+ type)
            [0x19] = 1, [0x1a] = 2, [0x1b] = 4,             //  str 8/16/32: length
            [0x1c] = 2, [0x1d] = 4,                         //  array 16/32: count
            [0x1e] = 2, [0x1f] = 4,                         //  map 16/32: count
        };
        if (type < 0xc4)
            return 0;                                       //  0xc1: never used
        size_t width = widths [type - 0xc0];
        if (left < 1 + width)
            return 0;
        head += width;
        bool sized = (type >= 0xc4 && type <= 0xc9) || (type >= 0xd9 && type <= 0xdb);
        bool counted = type >= 0xdc;
        if (sized)
            body = (size_t) s_be (p + 1, (int) width);
        if (counted)
            items = (size_t) s_be (p + 1, (int) width) * (type >= 0xde? 2: 1);
        if (type >= 0xc7 && type <= 0xc9)
            head++;                                         //  ext: its type byte
    }
    if (left < head || left - head < body || items > left - head)
        return 0;                   //  (every item takes a byte at least)
    size_t used = head + body;
    for (size_t i = 0; i < items; i++) {
        size_t n = s_skip_object (p + used, left - used, depth + 1);
        if (n == 0)
            return 0;
        used += n;
    }
    return used;
}

dp_status
dp_wire_field_span (const uint8_t *frame, size_t len, size_t index, size_t *offset, size_t *span,
                    dp_error_t *err)
{
    dp_wire_msg_t header;       //  only kind and request_id are written
    header.kind = 0;
    s_reader_t r = { frame, frame + len, DP_WIRE_BATCH_MAX, NULL, err };
    size_t fields;
    dp_status rc = s_read_header (&r, &header, &fields);
    if (rc != DP_OK)
        return rc;
    if (index >= fields)
        return dp_error_set (err, DP_PROTO, "%s: no field %zu", dp_wire_kind_name (header.kind), index);
    for (size_t i = 0; i <= index; i++) {
        size_t n = s_skip_object (r.p, (size_t) (r.end - r.p), 0);
        if (n == 0)
            return dp_error_set (err, DP_PROTO, "%s: field %zu is malformed",
                                 dp_wire_kind_name (header.kind), i);
        if (i == index) {
            *offset = (size_t) (r.p - frame);
            *span = n;
        }
        r.p += n;
    }
    return DP_OK;
}

//  Where the fields of a `kind` frame lie (from *offset to the end of the
//  frame); DP_PROTO unless the frame is exactly one well-formed message of
//  that kind with its `fields` fields.
static dp_status
s_fields_span (const uint8_t *frame, size_t len, int kind, size_t fields, size_t *offset)
{
    dp_wire_msg_t header;       //  only kind and request_id are written
    header.kind = 0;
    s_reader_t r = { frame, frame + len, DP_WIRE_BATCH_MAX, NULL, NULL };
    size_t count;
    if (s_read_header (&r, &header, &count) != DP_OK || header.kind != kind || count != fields)
        return DP_PROTO;
    *offset = (size_t) (r.p - frame);
    for (size_t i = 0; i < fields; i++) {
        size_t n = s_skip_object (r.p, (size_t) (r.end - r.p), 0);
        if (n == 0)
            return DP_PROTO;
        r.p += n;
    }
    return r.p == r.end? DP_OK: DP_PROTO;
}

//  A batch message (`events`, `jobs`) from frames of the single kind: the
//  header as dp_wire_encode writes it, the array, then each frame's fields
//  as they are, wrapped in an array of their own when there are several
//  (a job's five) and not when the one field is the array (an event).
static dp_status
s_encode_batch (int kind, int item_kind, size_t max, const uint8_t *const *frames,
                const size_t *lens, size_t count, uint8_t **out, size_t *len, dp_error_t *err)
{
    *out = NULL;
    *len = 0;
    const char *name = dp_wire_kind_name (kind);
    if (count > max)
        return dp_error_set (err, DP_INVALID, "%s: %zu items, at most %zu in one message",
                             name, count, max);
    size_t fields = s_kinds [item_kind].count;
    size_t total = 32;
    for (size_t i = 0; i < count; i++)
        total += lens [i] + 8;
    uint8_t *frame = malloc (total);
    if (!frame)
        return dp_error_set (err, DP_NOMEM, "%s: out of memory while encoding", name);
    s_encoder_t head;
    head.data = head.local;
    head.size = 0;
    head.alloc = sizeof head.local;
    if (s_mp_array (&head, 3 + s_kinds [kind].count) || s_mp_uint32 (&head, DP_WIRE_VERSION)
        || s_mp_uint32 (&head, (uint32_t) kind) || s_mp_uint64 (&head, 0)
        || s_mp_array (&head, count) || head.size > 32) {
        free (frame);
        return dp_error_set (err, DP_INTERNAL, "%s: cannot encode the header", name);
    }
    memcpy (frame, head.local, head.size);
    size_t used = head.size;
    for (size_t i = 0; i < count; i++) {
        size_t offset;
        if (s_fields_span (frames [i], lens [i], item_kind, fields, &offset) != DP_OK) {
            free (frame);
            return dp_error_set (err, DP_INVALID, "%s: frame %zu is not an encoded %s", name, i,
                                 dp_wire_kind_name (item_kind));
        }
        if (fields > 1) {
            head.size = 0;
            s_mp_array (&head, fields);         //  a fixarray: one byte
            memcpy (frame + used, head.local, head.size);
            used += head.size;
        }
        memcpy (frame + used, frames [i] + offset, lens [i] - offset);
        used += lens [i] - offset;
    }
    *out = frame;
    *len = used;
    return DP_OK;
}

dp_status
dp_wire_encode_events (const uint8_t *const *frames, const size_t *lens, size_t count,
                       uint8_t **out, size_t *len, dp_error_t *err)
{
    return s_encode_batch (DP_WIRE_EVENTS, DP_WIRE_EVENT, DP_WIRE_EVENTS_MAX, frames, lens, count,
                           out, len, err);
}

dp_status
dp_wire_encode_jobs (const uint8_t *const *frames, const size_t *lens, size_t count,
                     uint8_t **out, size_t *len, dp_error_t *err)
{
    return s_encode_batch (DP_WIRE_JOBS, DP_WIRE_JOB, DP_WIRE_JOBS_MAX, frames, lens, count,
                           out, len, err);
}

//  Decodes a frame's fields from `first` on; the fields before it are only
//  walked. On error msg keeps its kind and request id (for the reply).
static dp_status
s_decode (s_reader_t *r, size_t first, dp_wire_msg_t *msg)
{
    size_t fields;
    dp_status rc = s_read_header (r, msg, &fields);
    const s_field_t *table = msg->kind? s_kinds [msg->kind].fields: NULL;
    for (size_t i = 0; rc == DP_OK && i < fields; i++) {
        if (i >= first) {
            rc = s_read_field (r, &table [i], (char *) msg);
            continue;
        }
        size_t n = s_skip_object (r->p, (size_t) (r->end - r->p), 0);
        if (n == 0)
            rc = dp_error_set (r->err, DP_PROTO, "%s: %s is malformed",
                               dp_wire_kind_name (msg->kind), table [i].name);
        r->p += n;
    }
    if (rc == DP_OK && r->p != r->end)
        rc = dp_error_set (r->err, DP_PROTO, "%s: %zu trailing bytes after the message",
                           dp_wire_kind_name (msg->kind), (size_t) (r->end - r->p));
    if (rc != DP_OK) {
        int kind = msg->kind;
        uint64_t request_id = msg->request_id;
        dp_wire_msg_clear (msg);
        msg->kind = kind;
        msg->request_id = request_id;
    }
    return rc;
}

dp_status
dp_wire_decode_from (const uint8_t *frame, size_t len, size_t first, dp_wire_msg_t *msg,
                     dp_error_t *err)
{
    memset (msg, 0, sizeof *msg);
    s_reader_t r = { frame, frame + len, DP_WIRE_BATCH_MAX, NULL, err };
    return s_decode (&r, first, msg);
}

dp_status
dp_wire_decode (const uint8_t *frame, size_t len, size_t frame_max, size_t batch_max,
                dp_wire_msg_t *msg, dp_error_t *err)
{
    memset (msg, 0, sizeof *msg);
    if (len > (frame_max? frame_max: DP_WIRE_FRAME_MAX))
        return dp_error_set (err, DP_LIMIT, "frame: %zu bytes, the limit is %zu", len,
                             frame_max? frame_max: (size_t) DP_WIRE_FRAME_MAX);
    s_reader_t r = { frame, frame + len, batch_max? batch_max: DP_WIRE_BATCH_MAX, NULL, err };
    return s_decode (&r, 0, msg);
}
