/*  dp_sha256.h — SHA-256 through OpenSSL's EVP interface.

    One-shot and incremental forms. The incremental context is opaque and
    owned by the caller (dp_sha256_new / dp_sha256_destroy). Thread-safe:
    contexts are not shared. */

#ifndef DP_SHA256_H_INCLUDED
#define DP_SHA256_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#define DP_SHA256_SIZE 32

//  digest = SHA-256(data[0..size)). Aborts only if OpenSSL cannot hash at
//  all (a broken install), which is a programmer/platform error.
void dp_sha256 (const void *data, size_t size, uint8_t digest [DP_SHA256_SIZE]);

typedef struct dp_sha256_t dp_sha256_t;

//  New incremental context, or NULL if out of memory.
dp_sha256_t *dp_sha256_new (void);
void dp_sha256_update (dp_sha256_t *self, const void *data, size_t size);
//  Writes the digest and resets the context for reuse.
void dp_sha256_final (dp_sha256_t *self, uint8_t digest [DP_SHA256_SIZE]);
void dp_sha256_destroy (dp_sha256_t **self_p);

//  Frees what the calling thread holds for hashing: its dp_sha256 context
//  and OpenSSL's own per-thread state (error queue and the like). A
//  detached thread (a CZMQ actor) calls it last, before it tells its owner
//  it is done: otherwise the key destructors that free these may run
//  after the owner has exited and OpenSSL's cleanup has deleted its key,
//  and the state is lost. A later dp_sha256 in the thread still works.
void dp_sha256_thread_end (void);

#endif
