/*  dp-threadend — shows that a detached thread which hashed, then called
    dp_sha256_thread_end before telling its owner it is done, leaves
    nothing behind when the owner exits at once: the way a CZMQ actor (the
    broker's reactor and committer, the worker's actor) ends.

    dp-threadend [--skip-end]

    The thread ends only after the process's exit has run OpenSSL's
    cleanup (an atexit handler registered before OpenSSL's waits for it),
    which is the unlucky ordering that lost OpenSSL's per-thread state
    before: LeakSanitizer then reports it and the exit status is not 0.
    --skip-end leaves out the call, to show that the check can fail (it
    does in a sanitizer build; without LeakSanitizer nothing can see the
    loss and both forms exit 0). Prints which build it is. */

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "dp_sha256.h"

static sem_t s_used, s_ended;
static int s_skip_end;

//  Registered before OpenSSL's own handler, so it runs after it.
static void
s_wait_for_thread (void)
{
    sem_wait (&s_ended);
    usleep (20000);             //  the thread's key destructors run now
}

static void *
s_thread (void *arg)
{
    uint8_t digest [DP_SHA256_SIZE];
    dp_sha256 ("abc", 3, digest);
    if (!s_skip_end) {
        dp_sha256_thread_end ();
        dp_sha256 ("abc", 3, digest);   //  still works after the end
        dp_sha256_thread_end ();
    }
    sem_post (&s_used);
    usleep (50000);             //  the owner is exiting meanwhile
    sem_post (&s_ended);
    return arg;
}

int
main (int argc, char *argv [])
{
    s_skip_end = argc > 1 && strcmp (argv [1], "--skip-end") == 0;
    sem_init (&s_used, 0, 0);
    sem_init (&s_ended, 0, 0);
    atexit (s_wait_for_thread);
    OPENSSL_init_crypto (0, NULL);
#if defined (__SANITIZE_ADDRESS__)
    puts ("build: AddressSanitizer (LeakSanitizer checks at exit)");
#elif defined (__has_feature)
#   if __has_feature (address_sanitizer)
    puts ("build: AddressSanitizer (LeakSanitizer checks at exit)");
#   else
    puts ("build: no sanitizer (nothing checks for a leak)");
#   endif
#else
    puts ("build: no sanitizer (nothing checks for a leak)");
#endif
    fflush (stdout);
    pthread_t thread;
    if (pthread_create (&thread, NULL, s_thread, NULL) != 0) {
        fprintf (stderr, "dp-threadend: cannot start a thread\n");
        return 1;
    }
    pthread_detach (thread);
    sem_wait (&s_used);
    return 0;
}
