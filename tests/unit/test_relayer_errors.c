/*  test_relayer_errors.c — which node errors end a deal for the relayer
    (dp_chain_error_final): only DealProof's own reverts that no retry can
    change; rate limits, internal errors, insufficient funds and the
    reverts time lifts are tried again. Texts as dp_rpc writes them. */

#include <criterion/criterion.h>

#include "dp_relayer_chain.h"

Test (relayer_errors, contract_refusals_are_final)
{
    cr_assert (dp_chain_error_final ("eth_estimateGas: code 3: execution reverted: custom error 0xba683b96 data 0xba683b96"),
               "DealExists by selector");
    cr_assert (dp_chain_error_final ("eth_estimateGas: code 3: execution reverted: NotActive() data 0x80cb55e2"));
    cr_assert (dp_chain_error_final ("eth_estimateGas: code -32000: execution reverted data 0x5e4b9f75"),
               "UnknownSigner in the data only");
}

Test (relayer_errors, the_rest_is_retried)
{
    const char *retried [] = {
        "eth_estimateGas: code -32005: rate limit exceeded",
        "eth_estimateGas: code -32603: internal error",
        "eth_estimateGas: code -32003: insufficient funds for gas * price + value",
        "eth_sendRawTransaction: code -32000: insufficient funds for gas * price + value",
        "eth_estimateGas: code 3: execution reverted: custom error 0xa4229fab data 0xa4229fab",   //  WindowOpen
        "eth_estimateGas: code 3: execution reverted: TransferFailed() data 0x90b8ec18",
        "eth_call: code -32603: NotActive named, but the node failed, the contract did not",
        "",
    };
    for (size_t i = 0; i < sizeof retried / sizeof retried [0]; i++)
        cr_assert_not (dp_chain_error_final (retried [i]), "%s", retried [i]);
    cr_assert_not (dp_chain_error_final (NULL));
}
