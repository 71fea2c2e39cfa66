/*  dp_eth.h — Ethereum keys, addresses and signatures (libsecp256k1).

    Addresses are the last 20 bytes of keccak256 of the uncompressed public
    key (without its 0x04 byte). Signatures are 65 bytes r ‖ s ‖ v with s in
    the lower half of the curve order and v ∈ {27, 28}: what `ecrecover`,
    OpenZeppelin's ECDSA.recover and `personal_sign` use. Signing is RFC 6979
    deterministic (libsecp256k1's default nonce function), so the same key
    and digest always give the same signature.

    Digests: EIP-191 (`personal_sign`) of a message, EIP-712 typed data from
    reusable pieces (type hash, domain separator, struct encoding), and the
    SPEC §7 escrow `Release` authorisation.

    Errors name the step and the reason; address errors leave the field to
    the caller, who prefixes it (`dp_error_prefix (err, "seller_address")`
    gives "seller_address: bad EIP-55 checksum (…)"). No message ever
    contains key material.

    Every function returning a dp_status may also return DP_NOMEM if the
    libsecp256k1 context cannot be created (once, at first use).

    Threading: every function is thread-safe. The library context is created
    once (pthread_once), randomised against side channels, and only read
    afterwards. Private keys are borrowed and never copied except into stack
    buffers that are wiped before return. */

#ifndef DP_ETH_H_INCLUDED
#define DP_ETH_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "dp_status.h"

#define DP_ETH_KEY_SIZE       32
#define DP_ETH_ADDRESS_SIZE   20
#define DP_ETH_SIGNATURE_SIZE 65
//  "0x" + 40 hex digits + NUL.
#define DP_ETH_ADDRESS_TEXT_SIZE 43

//  SPEC §7's primary type as EIP-712 encodeType writes it (no spaces after
//  commas). The contract's RELEASE_TYPEHASH must be keccak256 of exactly this.
#define DP_ETH_RELEASE_TYPE \
    "Release(bytes32 dealId,address seller,bytes32 dataHash,uint256 amountWei,bytes32 reportData)"
#define DP_ETH_EIP712_DOMAIN_TYPE \
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
#define DP_ETH_DOMAIN_NAME    "DealProof"
#define DP_ETH_DOMAIN_VERSION "1"

//  ---------------------------------------------------------------------
//  Keys and addresses

//  Fills key with a fresh private key from the OS CSPRNG (OpenSSL RAND_bytes,
//  seeded from getrandom), retrying until libsecp256k1 accepts it (0 < key < n).
//  DP_CRYPTO if the random generator fails. key is wiped on failure.
dp_status dp_eth_key_generate (uint8_t key [DP_ETH_KEY_SIZE], dp_error_t *err)
    DP_MUST_CHECK;

//  True (1) if key is a valid secp256k1 private key (0 < key < n).
int dp_eth_key_is_valid (const uint8_t key [DP_ETH_KEY_SIZE]);

//  addr = the Ethereum address of private key `key`. DP_INVALID if key is
//  not a valid private key (zero or >= n); addr untouched then.
dp_status dp_eth_address_from_key (const uint8_t key [DP_ETH_KEY_SIZE],
                                   uint8_t addr [DP_ETH_ADDRESS_SIZE], dp_error_t *err)
    DP_MUST_CHECK;

//  Writes the EIP-55 checksummed text ("0x" + 40 mixed-case hex + NUL) to out.
void dp_eth_address_eip55 (const uint8_t addr [DP_ETH_ADDRESS_SIZE],
                           char out [DP_ETH_ADDRESS_TEXT_SIZE]);

//  Parses "0x" + exactly 40 hex digits. All-lower or all-upper digits are
//  accepted as is; mixed case must be the exact EIP-55 checksum, else
//  DP_INVALID ("bad EIP-55 checksum"). DP_INVALID too for NULL, a missing
//  "0x", a wrong length or a non-hex character (with its offset). addr is
//  untouched on error.
dp_status dp_eth_address_parse (const char *text, uint8_t addr [DP_ETH_ADDRESS_SIZE],
                                dp_error_t *err) DP_MUST_CHECK;

//  ---------------------------------------------------------------------
//  Signatures

//  sig = r ‖ s ‖ v over the 32-byte digest, s low, v = 27 + recovery id.
//  DP_INVALID if key is not a valid private key; DP_CRYPTO if libsecp256k1
//  fails to sign (never expected). sig is untouched on error.
dp_status dp_eth_sign (const uint8_t key [DP_ETH_KEY_SIZE], const uint8_t digest [32],
                       uint8_t sig [DP_ETH_SIGNATURE_SIZE], dp_error_t *err) DP_MUST_CHECK;

//  Recovers the signer address of sig over digest, strictly: DP_CRYPTO with
//  the reason if v is not 27 or 28, r or s is zero or not below the curve
//  order, s is in the upper half (malleable form), or no public key
//  recovers. A signature over a different digest recovers a different
//  address with DP_OK: compare the result with the expected signer.
dp_status dp_eth_recover (const uint8_t digest [32], const uint8_t sig [DP_ETH_SIGNATURE_SIZE],
                          uint8_t addr [DP_ETH_ADDRESS_SIZE], dp_error_t *err) DP_MUST_CHECK;

//  Recovers and compares with `expected`: DP_OK only if they are equal,
//  else DP_CRYPTO ("signature is by 0x…, not 0x…") or recovery's error.
dp_status dp_eth_verify (const uint8_t digest [32], const uint8_t sig [DP_ETH_SIGNATURE_SIZE],
                         const uint8_t expected [DP_ETH_ADDRESS_SIZE], dp_error_t *err)
    DP_MUST_CHECK;

//  Parses "0x" + 130 hex digits into sig (format only; dp_eth_recover does
//  the checks). DP_INVALID on a bad length or character.
dp_status dp_eth_signature_parse (const char *text, uint8_t sig [DP_ETH_SIGNATURE_SIZE],
                                  dp_error_t *err) DP_MUST_CHECK;

//  Writes "0x" + 130 lower-case hex digits + NUL (133 bytes) to out.
void dp_eth_signature_format (const uint8_t sig [DP_ETH_SIGNATURE_SIZE], char out [133]);

//  ---------------------------------------------------------------------
//  EIP-191 (personal_sign)

//  out = keccak256("\x19Ethereum Signed Message:\n" ‖ decimal len ‖ message).
void dp_eth_eip191_hash (const void *message, size_t len, uint8_t out [32]);

//  The SPEC §6 form: out = keccak256("\x19Ethereum Signed Message:\n32" ‖ hash),
//  the 32 hash bytes signed as bytes (not as 64-character hex text).
void dp_eth_eip191_hash32 (const uint8_t hash [32], uint8_t out [32]);

//  ---------------------------------------------------------------------
//  EIP-712 pieces, usable for any struct of static fields

//  ABI words (32 bytes, big-endian, left-padded) for struct fields.
void dp_eth_word_address (const uint8_t addr [DP_ETH_ADDRESS_SIZE], uint8_t word [32]);
void dp_eth_word_uint64 (uint64_t value, uint8_t word [32]);
//  A `string` or `bytes` field is encoded as keccak256 of its bytes.
void dp_eth_word_dynamic (const void *data, size_t len, uint8_t word [32]);

//  out = keccak256(type_string), e.g. of DP_ETH_RELEASE_TYPE.
void dp_eth_eip712_type_hash (const char *type_string, uint8_t out [32]);

//  Writes encodeData: typeHash ‖ words[0] ‖ … ‖ words[count-1] into
//  encoded, which must hold 32 * (count + 1) bytes. words are the fields
//  already encoded as ABI words, in declaration order.
void dp_eth_eip712_encode_struct (const char *type_string, const uint8_t (*words) [32],
                                  size_t count, uint8_t *encoded);

//  out = hashStruct = keccak256(encodeData) for the same arguments.
void dp_eth_eip712_struct_hash (const char *type_string, const uint8_t (*words) [32],
                                size_t count, uint8_t out [32]);

//  out = hashStruct of EIP712Domain{name, version, chainId, verifyingContract}.
void dp_eth_eip712_domain_separator (const char *name, const char *version,
                                     uint64_t chain_id,
                                     const uint8_t contract [DP_ETH_ADDRESS_SIZE],
                                     uint8_t out [32]);

//  preimage = 0x19 0x01 ‖ domain_separator ‖ struct_hash (66 bytes).
void dp_eth_eip712_preimage (const uint8_t domain_separator [32],
                             const uint8_t struct_hash [32], uint8_t preimage [66]);

//  out = keccak256 of that preimage: the digest to sign.
void dp_eth_eip712_digest (const uint8_t domain_separator [32],
                           const uint8_t struct_hash [32], uint8_t out [32]);

//  ---------------------------------------------------------------------
//  SPEC §7: the escrow release authorisation

//  out = the EIP-712 digest of Release{dealId: keccak256(utf8(deal_id)),
//  seller, dataHash: data_hash, amountWei: amount_wei (32 bytes big-endian),
//  reportData: report_data32 (report_data[0:32] of the deal attestation)}
//  in the domain {name "DealProof", version "1", chain_id, contract}.
//  deal_id is a NUL-terminated UTF-8 string.
void dp_eth_release_digest (uint64_t chain_id, const uint8_t contract [DP_ETH_ADDRESS_SIZE],
                            const char *deal_id, const uint8_t seller [DP_ETH_ADDRESS_SIZE],
                            const uint8_t data_hash [32], const uint8_t amount_wei [32],
                            const uint8_t report_data32 [32], uint8_t out [32]);

#endif
