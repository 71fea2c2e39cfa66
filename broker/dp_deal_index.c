/*  dp_deal_index.c — open-addressing index of live deals by id. */

#include "dp_deal_index.h"

#include <stdlib.h>
#include <string.h>

#include "dp_broker_int.h"
#include "dp_text.h"

#define MIN_CAPACITY 1024

typedef struct {
    uint64_t hash;              //  0: empty slot (real hashes are made non-zero)
    dp_qdeal_t *deal;
} s_slot_t;

struct dp_deal_index_t {
    s_slot_t *slots;
    size_t capacity;            //  a power of two
    size_t count;
};

dp_deal_index_t *
dp_deal_index_new (void)
{
    dp_deal_index_t *self = calloc (1, sizeof *self);
    if (self) {
        self->capacity = MIN_CAPACITY;
        self->slots = calloc (self->capacity, sizeof *self->slots);
        if (!self->slots)
            free (self), self = NULL;
    }
    return self;
}

void
dp_deal_index_destroy (dp_deal_index_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->slots);
    free (*self_p);
    *self_p = NULL;
}

static void
s_place (s_slot_t *slots, size_t capacity, uint64_t hash, dp_qdeal_t *deal)
{
    size_t mask = capacity - 1, i = (size_t) hash & mask;
    while (slots [i].hash)
        i = (i + 1) & mask;
    slots [i].hash = hash;
    slots [i].deal = deal;
}

//  Rebuilds the table at the given capacity (a power of two).
static int
s_resize (dp_deal_index_t *self, size_t capacity)
{
    s_slot_t *slots = calloc (capacity, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < self->capacity; i++)
        if (self->slots [i].hash)
            s_place (slots, capacity, self->slots [i].hash, self->slots [i].deal);
    free (self->slots);
    self->slots = slots;
    self->capacity = capacity;
    return 0;
}

int
dp_deal_index_reserve (dp_deal_index_t *self, size_t count)
{
    size_t capacity = self->capacity;
    while (count * 4 > capacity * 3)
        capacity *= 2;
    return capacity == self->capacity? 0: s_resize (self, capacity);
}

int
dp_deal_index_insert (dp_deal_index_t *self, dp_qdeal_t *deal)
{
    //  The load stays at most 3/4, about 3/8 after a doubling.
    if ((self->count + 1) * 4 > self->capacity * 3 && s_resize (self, self->capacity * 2) != 0)
        return -1;
    s_place (self->slots, self->capacity, dp_text_hash (deal->id), deal);
    self->count++;
    return 0;
}

//  The slot holding deal_id, or -1.
static ptrdiff_t
s_find (dp_deal_index_t *self, const char *deal_id)
{
    uint64_t hash = dp_text_hash (deal_id);
    size_t mask = self->capacity - 1, i = (size_t) hash & mask;
    for (; self->slots [i].hash; i = (i + 1) & mask)
        if (self->slots [i].hash == hash && strcmp (self->slots [i].deal->id, deal_id) == 0)
            return (ptrdiff_t) i;
    return -1;
}

dp_qdeal_t *
dp_deal_index_lookup (dp_deal_index_t *self, const char *deal_id)
{
    ptrdiff_t at = s_find (self, deal_id);
    return at < 0? NULL: self->slots [at].deal;
}

//  Backward-shift deletion: later members of the probe run move into the
//  hole when their home slot allows it, so lookups never need tombstones.
void
dp_deal_index_delete (dp_deal_index_t *self, const char *deal_id)
{
    ptrdiff_t at = s_find (self, deal_id);
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
    self->slots [hole].deal = NULL;
    self->count--;
}

size_t
dp_deal_index_size (dp_deal_index_t *self)
{
    return self->count;
}

dp_qdeal_t *
dp_deal_index_next (dp_deal_index_t *self, size_t *cursor)
{
    while (*cursor < self->capacity) {
        s_slot_t *slot = &self->slots [(*cursor)++];
        if (slot->hash)
            return slot->deal;
    }
    return NULL;
}
