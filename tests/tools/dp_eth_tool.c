/*  dp_eth_tool.c — the C side of tests/integration/eth_crosscheck.sh.

    Reads one request per line on stdin and answers one line on stdout, so a
    script in another implementation (ethers, in the integration test) can
    compare every value. Hex is without 0x; deal ids are hex of their UTF-8.

      keccak DATA                      -> DIGEST
      address KEY                      -> EIP55_ADDRESS
      eip191 KEY HASH32                -> DIGEST SIGNATURE65
      release CHAIN CONTRACT DEAL_ID SELLER DATA_HASH AMOUNT32 REPORT32 KEY
                                       -> DIGEST SIGNATURE65
      parse TEXT                       -> ADDRESS20 | error MESSAGE

    An unreadable request answers "error ..." and the tool goes on. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dp_eth.h"
#include "dp_hex.h"
#include "dp_keccak.h"

#define S_LINE_MAX 65536

//  Decodes the next space-separated hex field into exactly size bytes
//  (size 0: any length, *len gets it). Returns 0 on success.
static int
s_field (char **cursor, uint8_t *out, size_t size, size_t *len)
{
    char *token = strtok_r (NULL, " \n", cursor);
    if (!token)
        return -1;
    size_t digits = strlen (token);
    if (size == 0)
        size = digits / 2;
    if (len)
        *len = size;
    return dp_hex_decode (token, digits, out, size, NULL) == DP_OK? 0: -1;
}

static void
s_print_hex (const uint8_t *bytes, size_t len, const char *end)
{
    char text [2 * DP_ETH_SIGNATURE_SIZE + 1];
    printf ("%s%s", dp_hex_encode (bytes, len, text), end);
}

static int
s_sign_out (const uint8_t key [32], const uint8_t digest [32])
{
    uint8_t sig [65];
    dp_error_t err;
    if (dp_eth_sign (key, digest, sig, &err) != DP_OK) {
        printf ("error %s\n", err.text);
        return 0;
    }
    s_print_hex (digest, 32, " ");
    s_print_hex (sig, 65, "\n");
    return 0;
}

static int
s_release (char **cursor)
{
    char *chain_text = strtok_r (NULL, " \n", cursor);
    uint8_t contract [20], deal [512], seller [20], data_hash [32], amount [32], report [32], key [32];
    size_t deal_len = 0;
    if (!chain_text || s_field (cursor, contract, 20, NULL) || s_field (cursor, deal, 0, &deal_len)
    ||  deal_len >= sizeof deal || s_field (cursor, seller, 20, NULL)
    ||  s_field (cursor, data_hash, 32, NULL) || s_field (cursor, amount, 32, NULL)
    ||  s_field (cursor, report, 32, NULL) || s_field (cursor, key, 32, NULL))
        return -1;
    deal [deal_len] = '\0';
    uint8_t digest [32];
    dp_eth_release_digest (strtoull (chain_text, NULL, 10), contract, (const char *) deal, seller,
                           data_hash, amount, report, digest);
    return s_sign_out (key, digest);
}

static int
s_request (char *line)
{
    static uint8_t data [S_LINE_MAX / 2];
    char *cursor = NULL;
    char *verb = strtok_r (line, " \n", &cursor);
    uint8_t key [32], hash [32], addr [20];
    size_t len = 0;
    if (!verb)
        return -1;
    if (strcmp (verb, "keccak") == 0) {
        //  An empty input is an absent field.
        if (s_field (&cursor, data, 0, &len))
            len = 0;
        dp_keccak256 (data, len, hash);
        s_print_hex (hash, 32, "\n");
        return 0;
    }
    if (strcmp (verb, "address") == 0) {
        char text [DP_ETH_ADDRESS_TEXT_SIZE];
        if (s_field (&cursor, key, 32, NULL) || dp_eth_address_from_key (key, addr, NULL) != DP_OK)
            return -1;
        dp_eth_address_eip55 (addr, text);
        printf ("%s\n", text);
        return 0;
    }
    if (strcmp (verb, "eip191") == 0) {
        if (s_field (&cursor, key, 32, NULL) || s_field (&cursor, hash, 32, NULL))
            return -1;
        uint8_t digest [32];
        dp_eth_eip191_hash32 (hash, digest);
        return s_sign_out (key, digest);
    }
    if (strcmp (verb, "release") == 0)
        return s_release (&cursor);
    if (strcmp (verb, "parse") == 0) {
        char *text = strtok_r (NULL, " \n", &cursor);
        dp_error_t err;
        if (dp_eth_address_parse (text, addr, &err) != DP_OK)
            printf ("error %s\n", err.text);
        else
            s_print_hex (addr, 20, "\n");
        return 0;
    }
    return -1;
}

int
main (void)
{
    static char line [S_LINE_MAX];
    while (fgets (line, sizeof line, stdin)) {
        if (s_request (line) != 0)
            printf ("error unreadable request\n");
        fflush (stdout);
    }
    return 0;
}
