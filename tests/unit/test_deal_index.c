/*  test_deal_index.c — the broker's index of live deals (dp_idmap),
    checked against a plain array under random inserts, lookups and
    deletes (backward-shift deletion is where such tables go wrong). */

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_broker_int.h"
#include "dp_deal_index.h"

#define N 20000

static dp_qdeal_t s_deals [N];
static int s_in [N];

static void
s_setup (void)
{
    for (int i = 0; i < N; i++)
        snprintf (s_deals [i].id, sizeof s_deals [i].id, "batch-%06d", i);
    memset (s_in, 0, sizeof s_in);
}

Test (deal_index, empty_lookup_and_delete)
{
    dp_deal_index_t *index = dp_deal_index_new ();
    cr_assert_not_null (index);
    cr_expect_null (dp_deal_index_lookup (index, "nope"));
    dp_deal_index_delete (index, "nope");
    cr_expect_eq (dp_deal_index_size (index), 0);
    size_t cursor = 0;
    cr_expect_null (dp_deal_index_next (index, &cursor));
    dp_deal_index_destroy (&index);
    cr_expect_null (index);
}

Test (deal_index, random_operations_match_a_reference)
{
    s_setup ();
    dp_deal_index_t *index = dp_deal_index_new ();
    srand (7);
    size_t live = 0;
    for (int step = 0; step < 400000; step++) {
        int i = rand () % N, what = rand () % 3;
        if (what == 0 && !s_in [i]) {
            cr_assert_eq (dp_deal_index_insert (index, &s_deals [i]), 0);
            s_in [i] = 1, live++;
        }
        else if (what == 1 && s_in [i]) {
            dp_deal_index_delete (index, s_deals [i].id);
            s_in [i] = 0, live--;
        }
        dp_qdeal_t *found = dp_deal_index_lookup (index, s_deals [i].id);
        cr_assert_eq (found, s_in [i]? &s_deals [i]: NULL, "step %d deal %d", step, i);
    }
    cr_expect_eq (dp_deal_index_size (index), live);
    //  Every member is found, every non-member is not, iteration sees each once.
    size_t seen = 0, cursor = 0;
    for (dp_qdeal_t *deal; (deal = dp_deal_index_next (index, &cursor)); seen++)
        cr_assert (s_in [deal - s_deals]);
    cr_expect_eq (seen, live);
    for (int i = 0; i < N; i++)
        cr_assert_eq (dp_deal_index_lookup (index, s_deals [i].id), s_in [i]? &s_deals [i]: NULL);
    dp_deal_index_destroy (&index);
}

Test (deal_index, reserve_then_fill_and_empty)
{
    s_setup ();
    dp_deal_index_t *index = dp_deal_index_new ();
    cr_assert_eq (dp_deal_index_reserve (index, N), 0);
    for (int i = 0; i < N; i++)
        cr_assert_eq (dp_deal_index_insert (index, &s_deals [i]), 0);
    cr_expect_eq (dp_deal_index_size (index), N);
    for (int i = 0; i < N; i += 2)
        dp_deal_index_delete (index, s_deals [i].id);
    for (int i = 0; i < N; i++)
        cr_assert_eq (dp_deal_index_lookup (index, s_deals [i].id), i % 2? &s_deals [i]: NULL);
    for (int i = 1; i < N; i += 2)
        dp_deal_index_delete (index, s_deals [i].id);
    cr_expect_eq (dp_deal_index_size (index), 0);
    dp_deal_index_destroy (&index);
}
