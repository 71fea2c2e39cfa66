/*  dp_idmap.c — open-addressing index of records by their text key. */

#include "dp_idmap.h"

#include <stdlib.h>
#include <string.h>

#include "dp_text.h"

#define MIN_CAPACITY 16

typedef struct {
    uint64_t hash;              //  0: empty slot (dp_text_hash is never 0)
    void *record;
} s_slot_t;

struct dp_idmap_t {
    s_slot_t *slots;
    size_t capacity;            //  a power of two
    size_t count;
    dp_idmap_key_fn *key_of;
};

//  The capacity that holds count records at a load of at most 3/4.
static size_t
s_capacity_for (size_t count)
{
    size_t capacity = MIN_CAPACITY;
    while (count * 4 > capacity * 3)
        capacity *= 2;
    return capacity;
}

dp_idmap_t *
dp_idmap_new (dp_idmap_key_fn *key_of, size_t count)
{
    dp_idmap_t *self = calloc (1, sizeof *self);
    if (self) {
        self->key_of = key_of;
        self->capacity = s_capacity_for (count);
        self->slots = calloc (self->capacity, sizeof *self->slots);
        if (!self->slots)
            free (self), self = NULL;
    }
    return self;
}

void
dp_idmap_destroy (dp_idmap_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->slots);
    free (*self_p);
    *self_p = NULL;
}

static void
s_place (s_slot_t *slots, size_t capacity, uint64_t hash, void *record)
{
    size_t mask = capacity - 1, i = (size_t) hash & mask;
    while (slots [i].hash)
        i = (i + 1) & mask;
    slots [i].hash = hash;
    slots [i].record = record;
}

//  Rebuilds the table at the given capacity (a power of two).
static int
s_resize (dp_idmap_t *self, size_t capacity)
{
    s_slot_t *slots = calloc (capacity, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < self->capacity; i++)
        if (self->slots [i].hash)
            s_place (slots, capacity, self->slots [i].hash, self->slots [i].record);
    free (self->slots);
    self->slots = slots;
    self->capacity = capacity;
    return 0;
}

int
dp_idmap_reserve (dp_idmap_t *self, size_t count)
{
    size_t capacity = s_capacity_for (count);
    return capacity <= self->capacity? 0: s_resize (self, capacity);
}

int
dp_idmap_insert_hashed (dp_idmap_t *self, void *record, uint64_t hash)
{
    //  The load stays at most 3/4, about 3/8 after a doubling.
    if ((self->count + 1) * 4 > self->capacity * 3 && s_resize (self, self->capacity * 2) != 0)
        return -1;
    s_place (self->slots, self->capacity, hash, record);
    self->count++;
    return 0;
}

int
dp_idmap_insert (dp_idmap_t *self, void *record)
{
    return dp_idmap_insert_hashed (self, record, dp_text_hash (self->key_of (record)));
}

//  The slot holding key, or -1.
static ptrdiff_t
s_find (dp_idmap_t *self, const char *key, uint64_t hash)
{
    size_t mask = self->capacity - 1, i = (size_t) hash & mask;
    for (; self->slots [i].hash; i = (i + 1) & mask)
        if (self->slots [i].hash == hash && strcmp (self->key_of (self->slots [i].record), key) == 0)
            return (ptrdiff_t) i;
    return -1;
}

void *
dp_idmap_lookup_hashed (dp_idmap_t *self, const char *key, uint64_t hash)
{
    ptrdiff_t at = s_find (self, key, hash);
    return at < 0? NULL: self->slots [at].record;
}

void *
dp_idmap_lookup (dp_idmap_t *self, const char *key)
{
    return dp_idmap_lookup_hashed (self, key, dp_text_hash (key));
}

//  Backward-shift deletion: later members of the probe run move into the
//  hole when their home slot allows it, so lookups never need tombstones.
void
dp_idmap_delete (dp_idmap_t *self, const char *key)
{
    ptrdiff_t at = s_find (self, key, dp_text_hash (key));
    if (at < 0)
        return;
    size_t mask = self->capacity - 1, hole = (size_t) at;
    for (size_t i = (hole + 1) & mask; self->slots [i].hash; i = (i + 1) & mask) {
        size_t home = (size_t) self->slots [i].hash & mask;
        //  Movable when home is not cyclically within (hole, i].
        int home_in_range = hole <= i? (home > hole && home <= i): (home > hole || home <= i);
        if (!home_in_range) {
            self->slots [hole] = self->slots [i];
            hole = i;
        }
    }
    self->slots [hole].hash = 0;
    self->slots [hole].record = NULL;
    self->count--;
}

size_t
dp_idmap_size (dp_idmap_t *self)
{
    return self->count;
}

void *
dp_idmap_next (dp_idmap_t *self, size_t *cursor)
{
    while (*cursor < self->capacity) {
        s_slot_t *slot = &self->slots [(*cursor)++];
        if (slot->hash)
            return slot->record;
    }
    return NULL;
}
