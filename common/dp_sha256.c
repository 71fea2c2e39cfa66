/*  dp_sha256.c — SHA-256 through OpenSSL's EVP interface. */

#include "dp_sha256.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct dp_sha256_t {
    EVP_MD_CTX *ctx;
};

static void
s_check (int ok)
{
    //  EVP digest calls only fail on allocation failure or a broken
    //  OpenSSL install; there is no sane way to continue with a wrong hash.
    if (!ok) {
        fprintf (stderr, "dealproof: OpenSSL SHA-256 failed\n");
        abort ();
    }
}

//  The implementation is fetched from the provider once: EVP_sha256()
//  makes every EVP_Digest fetch it again (a lock and a look-up), which
//  cost as much as hashing a deal body. Kept for the process's life.
//  Each thread also keeps one digest context for dp_sha256: EVP_Digest
//  allocates and frees one per call, a third of the time for a deal
//  body. Freed when the thread ends.
static EVP_MD *s_md;
static pthread_key_t s_ctx_key;
static int s_ctx_key_ok;
static pthread_once_t s_md_once = PTHREAD_ONCE_INIT;

static void
s_ctx_free (void *ctx)
{
    EVP_MD_CTX_free (ctx);
}

static void
s_md_fetch (void)
{
    s_md = EVP_MD_fetch (NULL, "SHA256", NULL);
    s_ctx_key_ok = pthread_key_create (&s_ctx_key, s_ctx_free) == 0;
}

//  This thread's context, or NULL when there can be none (no memory).
static EVP_MD_CTX *
s_thread_ctx (void)
{
    if (!s_ctx_key_ok || !s_md)
        return NULL;
    EVP_MD_CTX *ctx = pthread_getspecific (s_ctx_key);
    if (!ctx && (ctx = EVP_MD_CTX_new ()) && pthread_setspecific (s_ctx_key, ctx)) {
        EVP_MD_CTX_free (ctx);
        ctx = NULL;
    }
    return ctx;
}

void
dp_sha256 (const void *data, size_t size, uint8_t digest [DP_SHA256_SIZE])
{
    unsigned int len = 0;
    pthread_once (&s_md_once, s_md_fetch);
    EVP_MD_CTX *ctx = s_thread_ctx ();
    if (ctx)
        s_check (EVP_DigestInit_ex2 (ctx, s_md, NULL) && EVP_DigestUpdate (ctx, data, size)
                 && EVP_DigestFinal_ex (ctx, digest, &len));
    else
        s_check (EVP_Digest (data, size, digest, &len, s_md? s_md: EVP_sha256 (), NULL));
}

void
dp_sha256_thread_end (void)
{
    pthread_once (&s_md_once, s_md_fetch);
    if (s_ctx_key_ok) {
        EVP_MD_CTX_free (pthread_getspecific (s_ctx_key));
        pthread_setspecific (s_ctx_key, NULL);
    }
    OPENSSL_thread_stop ();
}

dp_sha256_t *
dp_sha256_new (void)
{
    dp_sha256_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->ctx = EVP_MD_CTX_new ();
    if (!self->ctx || !EVP_DigestInit_ex (self->ctx, EVP_sha256 (), NULL)) {
        EVP_MD_CTX_free (self->ctx);
        free (self);
        return NULL;
    }
    return self;
}

void
dp_sha256_update (dp_sha256_t *self, const void *data, size_t size)
{
    s_check (EVP_DigestUpdate (self->ctx, data, size));
}

void
dp_sha256_final (dp_sha256_t *self, uint8_t digest [DP_SHA256_SIZE])
{
    unsigned int len = 0;
    s_check (EVP_DigestFinal_ex (self->ctx, digest, &len));
    s_check (EVP_DigestInit_ex (self->ctx, EVP_sha256 (), NULL));
}

void
dp_sha256_destroy (dp_sha256_t **self_p)
{
    if (self_p && *self_p) {
        EVP_MD_CTX_free ((*self_p)->ctx);
        free (*self_p);
        *self_p = NULL;
    }
}
