/*  dp_broker_submit.c — submits: validation of each item, idempotence by
    deal id (same body: the existing deal's status; another body: refused)
    and the SUBMIT op that makes a new deal durable before its ack. */

#include "dp_broker_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_sha256.h"
#include "dp_text.h"


//  The existing deal's body hash, from memory or the store. 0 if unknown.
static int
s_existing (dp_reactor_t *self, MDB_txn *txn, const char *deal_id, uint8_t sha [32],
            char status [DP_WIRE_STATUS_MAX + 1])
{
    dp_qdeal_t *deal = dp_deal_index_lookup (self->deals, deal_id);
    if (deal) {
        memcpy (sha, deal->body_sha256, 32);
        snprintf (status, DP_WIRE_STATUS_MAX + 1, "%s", dp_broker_state_status (deal));
        return 1;
    }
    const uint8_t *record;
    size_t len;
    dp_wire_msg_t stored;
    if (!txn || dp_store_get (self->store, txn, "deals", deal_id, &record, &len) != DP_OK
        || dp_wire_decode (record, len, 0, 0, &stored, NULL) != DP_OK)
        return 0;
    memcpy (sha, stored.envelope.body_sha256, 32);
    snprintf (status, DP_WIRE_STATUS_MAX + 1, "%s", stored.status);
    dp_wire_msg_clear (&stored);
    return 1;
}

static dp_status
s_check_item (dp_reactor_t *self, const dp_wire_item_t *item, dp_error_t *err)
{
    if (item->body_len > self->opt.body_max)
        return dp_error_set (err, DP_LIMIT, "body: %zu bytes, the limit is %llu", item->body_len,
                             (unsigned long long) self->opt.body_max);
    if (item->body_len != item->envelope.body_size)
        return dp_error_set (err, DP_INVALID, "body_size: %llu, but the body has %zu bytes",
                             (unsigned long long) item->envelope.body_size, item->body_len);
    uint8_t sha [32];
    dp_sha256 (item->body, item->body_len, sha);
    if (memcmp (sha, item->envelope.body_sha256, 32) != 0)
        return dp_error_set (err, DP_INVALID, "body_sha256: does not match the body");
    return DP_OK;
}

static void
s_submit_new (dp_reactor_t *self, const dp_wire_item_t *item, dp_qreply_t *reply, size_t index)
{
    dp_wire_ack_t *ack = &reply->msg.acks [index];
    dp_qdeal_t *deal = calloc (1, sizeof *deal);
    uint8_t *body = malloc (item->body_len? item->body_len: 1);
    char *batch = strdup (item->envelope.batch);
    dp_op_t *op = NULL;
    if (deal && body && batch) {
        dp_text_copy (deal->id, sizeof deal->id, item->envelope.deal_id);
        if (dp_deal_index_insert (self->deals, deal) == 0
            && !(op = dp_broker_op (self, DP_OP_SUBMIT, item->envelope.deal_id)))
            dp_deal_index_delete (self->deals, deal->id);
    }
    if (!op) {
        free (deal), free (body), free (batch);
        ack->code = DP_NOMEM;
        snprintf (ack->text, sizeof ack->text, "out of memory");
        return;
    }
    deal->state = S_COMMITTING;
    self->committing++;
    deal->priority = item->envelope.priority % DP_PRIORITIES;
    deal->order = ++self->order;
    deal->submitted_at_ms = dp_broker_now ();
    deal->batch = batch;
    memcpy (deal->body_sha256, item->envelope.body_sha256, 32);
    memcpy (body, item->body, item->body_len);
    op->envelope = item->envelope;
    op->envelope.submitted_at_ms = deal->submitted_at_ms;
    op->data = body;
    op->data_len = item->body_len;
    op->new_status = DP_ST_PENDING;
    dp_broker_fill_active (op, deal, DP_ST_PENDING);
    dp_broker_op_event (self, op, "status", "pending", "", batch, 0, NULL, 0);
    op->ctx = reply;
    op->tag = index;
    dp_text_copy (ack->status, sizeof ack->status, "pending");
}

static void
s_submit_item (dp_reactor_t *self, MDB_txn *txn, const dp_wire_item_t *item,
               dp_qreply_t *reply, size_t index)
{
    dp_wire_ack_t *ack = &reply->msg.acks [index];
    dp_text_copy (ack->deal_id, sizeof ack->deal_id, item->envelope.deal_id);
    dp_error_t err;
    ack->code = DP_OK;
    if (self->draining) {
        ack->code = DP_FULL;
        snprintf (ack->text, sizeof ack->text, "broker is shutting down: not accepted");
        return;
    }
    if (s_check_item (self, item, &err) != DP_OK) {
        ack->code = err.code;
        dp_text_copy (ack->text, sizeof ack->text, err.text);
        return;
    }
    uint8_t sha [32];
    if (s_existing (self, txn, item->envelope.deal_id, sha, ack->status)) {
        if (memcmp (sha, item->envelope.body_sha256, 32) != 0) {
            ack->code = DP_EXISTS;
            snprintf (ack->text, sizeof ack->text, "deal_id exists with different content");
        }
        return;                 //  idempotent: acknowledged with the next commit
    }
    s_submit_new (self, item, reply, index);
}

void
dp_broker_on_submit (dp_reactor_t *self, const uint8_t *id, size_t id_len, dp_wire_msg_t *msg)
{
    //  SPEC §1: a batch is at most batch_max deals (the decoder checked)
    //  and batch_bytes_max bytes of bodies; over it, refused whole.
    uint64_t bytes = 0;
    for (size_t i = 0; i < msg->count; i++)
        bytes += msg->items [i].body_len;
    if (bytes > self->opt.batch_bytes_max) {
        char text [128];
        snprintf (text, sizeof text, "items: %llu bytes of bodies, the limit is %llu",
                  (unsigned long long) bytes, (unsigned long long) self->opt.batch_bytes_max);
        dp_broker_reply_error (self, id, id_len, msg->request_id, DP_LIMIT, text);
        return;
    }
    dp_qreply_t *reply = dp_broker_reply_later (self, id, id_len, DP_WIRE_SUBMIT_ACK, msg->request_id);
    dp_wire_ack_t *acks = msg->count? calloc (msg->count, sizeof *acks): NULL;
    if (!reply || (msg->count && !acks)) {
        free (acks);
        if (reply)
            reply->msg.kind = DP_WIRE_ERROR, reply->msg.code = DP_NOMEM;
        return;
    }
    reply->msg.acks = acks;
    reply->msg.count = msg->count;
    MDB_txn *txn = dp_store_read_begin (self->store);
    for (size_t i = 0; i < msg->count; i++)
        s_submit_item (self, txn, &msg->items [i], reply, i);
    dp_store_read_end (self->store, &txn);
    self->submitted_total += msg->count;
}
