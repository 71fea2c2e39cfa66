/*  dp_idmap.h — an index of records by a text key each record holds.

    An open-addressing hash table (linear probing, load at most 3/4,
    backward-shift deletion, so no tombstones) of pointers to the caller's
    records; a record's key is read through key_of, borrowed, never copied,
    and must not change while the record is indexed. It serves the broker's
    live deals, its committer's per-group lease chains and dp-submit's
    check for repeated deal ids. Why not CZMQ's zhashx: a node and a key
    copy per item and chained lookups were a third of the broker's
    recovery time and most of dp-submit's serial loading.

    Hashes are dp_text_hash (never 0); the _hashed calls take one the
    caller computed already (dp-submit hashes on its validation threads).
    Not thread-safe. The index never owns the records. */

#ifndef DP_IDMAP_H_INCLUDED
#define DP_IDMAP_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

typedef const char *(dp_idmap_key_fn) (const void *record);
typedef struct dp_idmap_t dp_idmap_t;

//  NULL if out of memory. Room for `count` records before it first grows.
dp_idmap_t *dp_idmap_new (dp_idmap_key_fn *key_of, size_t count);
void dp_idmap_destroy (dp_idmap_t **self_p);

//  Makes room for count records in all. 0, or -1 if out of memory (the
//  index still works).
int dp_idmap_reserve (dp_idmap_t *self, size_t count);

//  Adds a record whose key is not indexed yet. 0, or -1 if out of memory
//  (nothing changed).
int dp_idmap_insert (dp_idmap_t *self, void *record);
int dp_idmap_insert_hashed (dp_idmap_t *self, void *record, uint64_t hash);

//  The record with this key, or NULL.
void *dp_idmap_lookup (dp_idmap_t *self, const char *key);
void *dp_idmap_lookup_hashed (dp_idmap_t *self, const char *key, uint64_t hash);

//  Removes the record with this key, if indexed.
void dp_idmap_delete (dp_idmap_t *self, const char *key);

size_t dp_idmap_size (dp_idmap_t *self);

//  Iteration: *cursor starts at 0; NULL at the end. The index must not
//  change during an iteration.
void *dp_idmap_next (dp_idmap_t *self, size_t *cursor);

#endif
