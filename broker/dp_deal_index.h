/*  dp_deal_index.h — the broker's index of live deals by deal id.

    Internal to the broker. An open-addressing hash table (linear probing,
    backward-shift deletion, so no tombstones) of pointers to the reactor's
    dp_qdeal_t records; the key is the record's own `id`, borrowed, never
    copied. Why not CZMQ's zhashx: a restart inserts the whole backlog
    before serving, and zhashx's node per item, its key copies and chained
    lookups were a third of the recovery time; in steady state each submit
    and result paid the same allocations.

    Single-threaded (the reactor's). The index never owns the deals. */

#ifndef DP_DEAL_INDEX_H_INCLUDED
#define DP_DEAL_INDEX_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

typedef struct dp_qdeal dp_qdeal_t;
typedef struct dp_deal_index_t dp_deal_index_t;

//  NULL if out of memory.
dp_deal_index_t *dp_deal_index_new (void);
void dp_deal_index_destroy (dp_deal_index_t **self_p);

//  Adds deal under deal->id (which must not change while indexed and must
//  not be indexed already). 0, or -1 if out of memory (nothing changed).
int dp_deal_index_insert (dp_deal_index_t *self, dp_qdeal_t *deal);

//  Makes room for count deals in all without growing again (a restart
//  knows its backlog). 0, or -1 if out of memory (the index still works).
int dp_deal_index_reserve (dp_deal_index_t *self, size_t count);

//  The deal with this id, or NULL.
dp_qdeal_t *dp_deal_index_lookup (dp_deal_index_t *self, const char *deal_id);

//  Removes the deal with this id if indexed.
void dp_deal_index_delete (dp_deal_index_t *self, const char *deal_id);

size_t dp_deal_index_size (dp_deal_index_t *self);

//  Iteration: *cursor starts at 0; returns NULL at the end. The index must
//  not change during an iteration.
dp_qdeal_t *dp_deal_index_next (dp_deal_index_t *self, size_t *cursor);

#endif
