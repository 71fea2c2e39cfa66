/*  dp_deal_index.h — the broker's index of live deals by deal id.

    Internal to the broker: dp_idmap (common/dp_idmap.h) typed for the
    reactor's dp_qdeal_t records, keyed by the record's own `id`, borrowed.
    A restart presizes it from the store's `active` count.

    Single-threaded (the reactor's). The index never owns the deals. */

#ifndef DP_DEAL_INDEX_H_INCLUDED
#define DP_DEAL_INDEX_H_INCLUDED

#include "dp_idmap.h"

typedef struct dp_qdeal dp_qdeal_t;
typedef dp_idmap_t dp_deal_index_t;

//  The key of a deal record (its id); defined with dp_qdeal_t.
const char *dp_deal_index_key (const void *deal);

static inline dp_deal_index_t *
dp_deal_index_new (void)
{
    return dp_idmap_new (dp_deal_index_key, 1024);
}

static inline void
dp_deal_index_destroy (dp_deal_index_t **self_p)
{
    dp_idmap_destroy (self_p);
}

//  0, or -1 if out of memory (nothing changed). The deal must not be
//  indexed already, and its id must not change while it is.
static inline int
dp_deal_index_insert (dp_deal_index_t *self, dp_qdeal_t *deal)
{
    return dp_idmap_insert (self, deal);
}

//  Room for count deals in all (a restart knows its backlog).
static inline int
dp_deal_index_reserve (dp_deal_index_t *self, size_t count)
{
    return dp_idmap_reserve (self, count);
}

static inline dp_qdeal_t *
dp_deal_index_lookup (dp_deal_index_t *self, const char *deal_id)
{
    return (dp_qdeal_t *) dp_idmap_lookup (self, deal_id);
}

static inline void
dp_deal_index_delete (dp_deal_index_t *self, const char *deal_id)
{
    dp_idmap_delete (self, deal_id);
}

static inline size_t
dp_deal_index_size (dp_deal_index_t *self)
{
    return dp_idmap_size (self);
}

static inline dp_qdeal_t *
dp_deal_index_next (dp_deal_index_t *self, size_t *cursor)
{
    return (dp_qdeal_t *) dp_idmap_next (self, cursor);
}

#endif
