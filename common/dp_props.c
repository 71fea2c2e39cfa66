/*  dp_props.c — Props seller proof: the seed's verifier and a parallel prover.

    The verifier reads a json-c object (the deal parser keeps seller_proof as
    one) and applies the seed's rules in a fixed order so that a given bad
    proof always fails with the same reason. The prover hashes fixed-size
    chunks on a small pool of threads that pull chunk indices from an atomic
    counter: chunks are independent, so no coordination beyond the counter
    and a first-error slot is needed. */

#include "dp_props.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dp_hex.h"
#include "dp_sha256.h"

//  ---------------------------------------------------------------------
//  Verifier

//  What the structure check extracts, decoded.
typedef struct {
    uint8_t root [32];
    uint8_t data_hash [32];
    uint8_t (*hashes) [32];
    size_t count;
    int64_t claimed_count;
    const char *algorithm;
} s_proof_t;

//  Fails the record and err with one message; returns code.
static dp_status
s_fail (dp_props_record_t *record, dp_error_t *err, dp_status code, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

static dp_status
s_fail (dp_props_record_t *record, dp_error_t *err, dp_status code, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    vsnprintf (record->reason, sizeof record->reason, format, args);
    va_end (args);
    record->verified = 0;
    return dp_error_set (err, code, "%s", record->reason);
}

//  A required member of seller_proof of the given JSON type.
static dp_status
s_member (json_object *proof, const char *key, json_type type, json_object **value,
          dp_props_record_t *record, dp_error_t *err)
{
    static const char *type_names [] = {
        [json_type_string] = "a string", [json_type_array] = "an array"
    };
    if (!json_object_object_get_ex (proof, key, value))
        return s_fail (record, err, DP_INVALID, "seller_proof.%s: missing", key);
    if (!*value || !json_object_is_type (*value, type))      //  null too
        return s_fail (record, err, DP_INVALID, "seller_proof.%s: must be %s", key, type_names [type]);
    return DP_OK;
}

//  chunk_count: a JSON integer >= 0, or an integral float (5.0), which the
//  seed's pydantic model also took as an integer.
static dp_status
s_count (json_object *proof, int64_t *count, dp_props_record_t *record, dp_error_t *err)
{
    json_object *value = NULL;
    if (!json_object_object_get_ex (proof, "chunk_count", &value))
        return s_fail (record, err, DP_INVALID, "seller_proof.chunk_count: missing");
    if (json_object_is_type (value, json_type_int))
        *count = json_object_get_int64 (value);
    else
    if (json_object_is_type (value, json_type_double)) {
        double number = json_object_get_double (value);
        //  The range check comes first so the cast below is defined.
        if (!(number >= -1e15 && number <= 1e15) || number != floor (number))
            return s_fail (record, err, DP_INVALID, "seller_proof.chunk_count: must be an integer");
        *count = (int64_t) number;
    }
    else
        return s_fail (record, err, DP_INVALID, "seller_proof.chunk_count: must be an integer");
    if (*count < 0)
        return s_fail (record, err, DP_INVALID, "seller_proof.chunk_count: must not be negative");
    return DP_OK;
}

static dp_status
s_hex32 (json_object *value, uint8_t out [32], const char *field, size_t index,
         dp_props_record_t *record, dp_error_t *err)
{
    const char *text = json_object_get_string (value);
    size_t len = (size_t) json_object_get_string_len (value);
    if (len == 64 && dp_hex_decode (text, len, out, 32, NULL) == DP_OK)
        return DP_OK;
    if (index == SIZE_MAX)
        return s_fail (record, err, DP_INVALID, "%s: must be 64 hex digits", field);
    return s_fail (record, err, DP_INVALID, "%s[%zu]: must be 64 hex digits", field, index);
}

static dp_status
s_read_hashes (json_object *array, size_t max_chunks, s_proof_t *p,
               dp_props_record_t *record, dp_error_t *err)
{
    size_t count = json_object_array_length (array);
    record->chunk_count = count;
    if (count == 0)
        return s_fail (record, err, DP_INVALID,
                       "seller_proof.chunk_hashes: empty (a proof needs at least one chunk)");
    if (count > max_chunks)
        return s_fail (record, err, DP_LIMIT,
                       "seller_proof.chunk_hashes: %zu entries exceed the limit of %zu", count, max_chunks);
    p->hashes = malloc (count * 32);
    if (!p->hashes)
        return s_fail (record, err, DP_NOMEM, "seller_proof.chunk_hashes: out of memory");
    for (size_t i = 0; i < count; i++) {
        json_object *item = json_object_array_get_idx (array, i);
        if (!json_object_is_type (item, json_type_string))
            return s_fail (record, err, DP_INVALID,
                           "seller_proof.chunk_hashes[%zu]: must be a string", i);
        dp_status rc = s_hex32 (item, p->hashes [i], "seller_proof.chunk_hashes", i, record, err);
        if (rc != DP_OK)
            return rc;
    }
    p->count = count;
    return DP_OK;
}

//  Rule 1: every field present, typed and decodable.
static dp_status
s_check_structure (json_object *proof, const char *data_hash_hex, size_t max_chunks,
                   s_proof_t *p, dp_props_record_t *record, dp_error_t *err)
{
    if (!proof || !json_object_is_type (proof, json_type_object))
        return s_fail (record, err, DP_INVALID, "seller_proof: must be an object");
    json_object *root, *hashes, *algorithm;
    dp_status rc;
    if ((rc = s_member (proof, "root_hash", json_type_string, &root, record, err))
    ||  (rc = s_hex32 (root, p->root, "seller_proof.root_hash", SIZE_MAX, record, err))
    ||  (rc = s_member (proof, "chunk_hashes", json_type_array, &hashes, record, err))
    ||  (rc = s_read_hashes (hashes, max_chunks, p, record, err))
    ||  (rc = s_count (proof, &p->claimed_count, record, err))
    ||  (rc = s_member (proof, "algorithm", json_type_string, &algorithm, record, err)))
        return rc;
    p->algorithm = json_object_get_string (algorithm);
    snprintf (record->algorithm, sizeof record->algorithm, "%s", p->algorithm);
    if (!data_hash_hex || strlen (data_hash_hex) != 64
    ||  dp_hex_decode (data_hash_hex, 64, p->data_hash, 32, NULL) != DP_OK)
        return s_fail (record, err, DP_INVALID, "data_hash: must be 64 hex digits");
    return DP_OK;
}

typedef struct {
    uint8_t hash [32];
    size_t index;
} s_entry_t;

static int
s_entry_compare (const void *a, const void *b)
{
    const s_entry_t *x = a, *y = b;
    int order = memcmp (x->hash, y->hash, 32);
    if (order)
        return order;
    return x->index < y->index? -1: x->index > y->index;
}

//  Finds the earliest chunk (by position) that repeats an earlier one, in
//  O(N log N) so 200,000 hashes stay cheap. Returns 1 and the pair if any.
static int
s_find_duplicate (const uint8_t (*hashes) [32], size_t count, size_t *first, size_t *repeat,
                  int *nomem)
{
    s_entry_t *entries = malloc (count * sizeof *entries);
    if (!entries) {
        *nomem = 1;
        return 0;
    }
    for (size_t i = 0; i < count; i++) {
        memcpy (entries [i].hash, hashes [i], 32);
        entries [i].index = i;
    }
    qsort (entries, count, sizeof *entries, s_entry_compare);
    int found = 0;
    for (size_t i = 1; i < count; i++) {
        if (memcmp (entries [i].hash, entries [i - 1].hash, 32) == 0
        &&  (!found || entries [i].index < *repeat)) {
            //  Within a run of equal hashes, entries are in index order, so
            //  the run's first element is the original of each repeat.
            size_t j = i - 1;
            while (j > 0 && memcmp (entries [j - 1].hash, entries [i].hash, 32) == 0)
                j--;
            *first = entries [j].index;
            *repeat = entries [i].index;
            found = 1;
        }
    }
    free (entries);
    return found;
}

//  Rules 2 to 6, in order.
static dp_status
s_check_rules (const s_proof_t *p, dp_props_record_t *record, dp_error_t *err)
{
    if ((uint64_t) p->claimed_count != p->count)
        return s_fail (record, err, DP_CRYPTO,
                       "seller_proof.chunk_count: %lld does not match the %zu chunk hashes",
                       (long long) p->claimed_count, p->count);
    size_t first = 0, repeat = 0;
    int nomem = 0;
    if (s_find_duplicate ((const uint8_t (*) [32]) p->hashes, p->count, &first, &repeat, &nomem))
        return s_fail (record, err, DP_CRYPTO,
                       "seller_proof.chunk_hashes: chunk %zu repeats chunk %zu "
                       "(duplicate chunk hashes are not allowed)", repeat, first);
    if (nomem)
        return s_fail (record, err, DP_NOMEM, "seller_proof.chunk_hashes: out of memory");
    if (strcmp (p->algorithm, "sha256") != 0)
        return s_fail (record, err, DP_CRYPTO,
                       "seller_proof.algorithm: \"%.32s\" is not supported (must be \"sha256\")",
                       p->algorithm);
    uint8_t root [32];
    dp_props_root ((const uint8_t (*) [32]) p->hashes, p->count, root);
    if (memcmp (root, p->root, 32) != 0)
        return s_fail (record, err, DP_CRYPTO,
                       "seller_proof.root_hash: does not match the root computed from "
                       "chunk_hashes (SHA-256 of the 4-byte count and the hashes)");
    if (memcmp (p->root, p->data_hash, 32) != 0)
        return s_fail (record, err, DP_CRYPTO, "seller_proof.root_hash: does not equal data_hash");
    return DP_OK;
}

dp_status
dp_props_verify_limited (json_object *seller_proof, const char *data_hash_hex, size_t max_chunks,
                         dp_props_record_t *record, dp_error_t *err)
{
    memset (record, 0, sizeof *record);
    uint8_t decoded [32];
    if (data_hash_hex && strlen (data_hash_hex) == 64
    &&  dp_hex_decode (data_hash_hex, 64, decoded, 32, NULL) == DP_OK)
        dp_hex_encode (decoded, 32, record->data_hash);
    s_proof_t proof;
    memset (&proof, 0, sizeof proof);
    dp_status rc = s_check_structure (seller_proof, data_hash_hex, max_chunks, &proof, record, err);
    if (rc == DP_OK)
        rc = s_check_rules (&proof, record, err);
    free (proof.hashes);
    record->verified = rc == DP_OK;
    return rc;
}

dp_status
dp_props_verify (json_object *seller_proof, const char *data_hash_hex,
                 dp_props_record_t *record, dp_error_t *err)
{
    return dp_props_verify_limited (seller_proof, data_hash_hex, DP_PROPS_MAX_CHUNKS, record, err);
}

//  Adds key → value, dropping value if the add fails; returns 0 on failure.
static int
s_add (json_object *object, const char *key, json_object *value)
{
    if (!value)
        return 0;
    if (json_object_object_add (object, key, value) != 0) {
        json_object_put (value);
        return 0;
    }
    return 1;
}

json_object *
dp_props_record_to_json (const dp_props_record_t *record)
{
    json_object *object = json_object_new_object ();
    if (!object)
        return NULL;
    int ok = s_add (object, "data_hash", json_object_new_string (record->data_hash))
          && s_add (object, "verified", json_object_new_boolean (record->verified))
          && s_add (object, "chunk_count", json_object_new_int64 ((int64_t) record->chunk_count))
          && s_add (object, "algorithm", json_object_new_string (record->algorithm));
    if (ok && record->verified)
        ok = json_object_object_add (object, "reason", NULL) == 0;
    else
    if (ok)
        ok = s_add (object, "reason", json_object_new_string (record->reason));
    if (!ok)
        json_object_put (object);
    return ok? object: NULL;
}

json_object *
dp_props_record_payload (const dp_props_record_t *record)
{
    if (!record->verified)
        return NULL;
    json_object *object = json_object_new_object ();
    if (!object)
        return NULL;
    int ok = s_add (object, "data_hash", json_object_new_string (record->data_hash))
          && s_add (object, "verified", json_object_new_boolean (1))
          && s_add (object, "chunk_count", json_object_new_int64 ((int64_t) record->chunk_count))
          && s_add (object, "algorithm", json_object_new_string ("sha256"));
    if (!ok)
        json_object_put (object);
    return ok? object: NULL;
}

void
dp_props_root (const uint8_t (*hashes) [32], size_t count, uint8_t root [32])
{
    uint8_t prefix [4] = {
        (uint8_t) (count >> 24), (uint8_t) (count >> 16), (uint8_t) (count >> 8), (uint8_t) count
    };
    dp_sha256_t *ctx = dp_sha256_new ();
    if (!ctx) {
        //  Same policy as dp_sha256: no context means a broken platform, and
        //  a wrong root must never be returned.
        fprintf (stderr, "dealproof: out of memory for a SHA-256 context\n");
        abort ();
    }
    dp_sha256_update (ctx, prefix, sizeof prefix);
    dp_sha256_update (ctx, hashes, count * 32);
    dp_sha256_final (ctx, root);
    dp_sha256_destroy (&ctx);
}

//  ---------------------------------------------------------------------
//  Prover

//  Files are read with pread, not mmap: a file that shrinks while it is
//  mapped kills the process with SIGBUS, whereas a short read is an error
//  we can report; the extra copy from the page cache costs a few percent.
//  Largest single read: big enough to amortise the system call, small
//  enough that a thread's buffer stays in L2/L3 while it is hashed.
#define S_READ_MAX ((size_t) 1 << 20)
#define S_THREADS_MAX 256

typedef struct {
    int fd;                         //  the file, or -1 for a buffer
    const uint8_t *data;            //  the buffer, or NULL for a file
    const char *path;
    uint64_t size;
    size_t chunk_size;
    size_t count;
    uint8_t (*hashes) [32];
    atomic_size_t next;             //  next chunk index to take
    atomic_int failed;              //  set once: everyone stops
    pthread_mutex_t lock;           //  guards error
    dp_error_t error;
} s_job_t;

static void
s_job_fail (s_job_t *job, dp_status code, const char *what, int error_number)
{
    pthread_mutex_lock (&job->lock);
    if (!atomic_load (&job->failed))
        dp_error_set (&job->error, code, "%s: %s%s%s", job->path, what,
                      error_number? ": ": "", error_number? strerror (error_number): "");
    atomic_store (&job->failed, 1);
    pthread_mutex_unlock (&job->lock);
}

//  Reads exactly len bytes at offset (pread may return less, and EINTR).
static int
s_read_exact (s_job_t *job, uint8_t *buffer, size_t len, uint64_t offset)
{
    size_t done = 0;
    while (done < len) {
        ssize_t got = pread (job->fd, buffer + done, len - done, (off_t) (offset + done));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            s_job_fail (job, DP_IO, "read failed", errno);
            return -1;
        }
        if (got == 0) {
            s_job_fail (job, DP_IO, "file became shorter while it was read", 0);
            return -1;
        }
        done += (size_t) got;
    }
    return 0;
}

static int
s_hash_chunk (s_job_t *job, dp_sha256_t *ctx, uint8_t *buffer, size_t index)
{
    uint64_t offset = (uint64_t) index * job->chunk_size;
    uint64_t remaining = job->size - offset;
    size_t len = remaining < job->chunk_size? (size_t) remaining: job->chunk_size;
    if (job->data) {
        dp_sha256_update (ctx, job->data + offset, len);
        dp_sha256_final (ctx, job->hashes [index]);
        return 0;
    }
    for (size_t done = 0; done < len; ) {
        size_t piece = len - done < S_READ_MAX? len - done: S_READ_MAX;
        if (s_read_exact (job, buffer, piece, offset + done) != 0)
            return -1;
        dp_sha256_update (ctx, buffer, piece);
        done += piece;
    }
    dp_sha256_final (ctx, job->hashes [index]);
    return 0;
}

static void *
s_worker (void *arg)
{
    s_job_t *job = arg;
    dp_sha256_t *ctx = dp_sha256_new ();
    uint8_t *buffer = job->data? NULL: malloc (S_READ_MAX);
    if (!ctx || (!job->data && !buffer)) {
        s_job_fail (job, DP_NOMEM, "out of memory for a hashing thread", 0);
        dp_sha256_destroy (&ctx);
        free (buffer);
        return NULL;
    }
    while (!atomic_load_explicit (&job->failed, memory_order_relaxed)) {
        size_t index = atomic_fetch_add (&job->next, 1);
        if (index >= job->count || s_hash_chunk (job, ctx, buffer, index) != 0)
            break;
    }
    dp_sha256_destroy (&ctx);
    free (buffer);
    return NULL;
}

static int
s_thread_count (int threads, size_t chunks)
{
    if (threads <= 0) {
        long online = sysconf (_SC_NPROCESSORS_ONLN);
        threads = online > 0? (int) online: 1;
    }
    if (threads > S_THREADS_MAX)
        threads = S_THREADS_MAX;
    if ((size_t) threads > chunks)
        threads = (int) chunks;
    return threads;
}

//  Runs the pool; the calling thread works too, so threads=1 starts none.
static dp_status
s_run (s_job_t *job, int threads)
{
    pthread_t ids [S_THREADS_MAX];
    int started = 0;
    for (int i = 1; i < threads; i++) {
        if (pthread_create (&ids [started], NULL, s_worker, job) != 0)
            break;      //  fewer threads is slower, not wrong
        started++;
    }
    s_worker (job);
    for (int i = 0; i < started; i++)
        pthread_join (ids [i], NULL);
    return atomic_load (&job->failed)? job->error.code: DP_OK;
}

//  Chunk count for the job, or an error if empty or over the limit.
static dp_status
s_plan (s_job_t *job, size_t max_chunks, dp_error_t *err)
{
    if (job->chunk_size == 0)
        job->chunk_size = DP_PROPS_DEFAULT_CHUNK_SIZE;
    if (job->size == 0)
        return dp_error_set (err, DP_INVALID, "%s: empty (a proof needs at least one chunk)", job->path);
    uint64_t count = (job->size - 1) / job->chunk_size + 1;
    if (count > max_chunks) {
        uint64_t need = (job->size - 1) / max_chunks + 1;
        return dp_error_set (err, DP_LIMIT,
                             "%s: %llu chunks of %zu bytes exceed the limit of %zu chunk hashes; "
                             "use a chunk size of at least %llu bytes", job->path,
                             (unsigned long long) count, job->chunk_size, max_chunks,
                             (unsigned long long) need);
    }
    job->count = (size_t) count;
    return DP_OK;
}

//  The seed's verifier refuses repeated chunk hashes, so a file with two
//  identical chunks (runs of zeros, copies) has no valid proof at this
//  chunk size: say so now rather than hand out a proof that fails later.
static dp_status
s_refuse_duplicates (const s_job_t *job, dp_error_t *err)
{
    size_t first = 0, repeat = 0;
    int nomem = 0;
    if (s_find_duplicate ((const uint8_t (*) [32]) job->hashes, job->count, &first, &repeat, &nomem))
        return dp_error_set (err, DP_INVALID,
                             "%s: chunks %zu and %zu (of %zu bytes) are identical, and a seller "
                             "proof may not repeat a chunk hash; try another chunk size",
                             job->path, first, repeat, job->chunk_size);
    if (nomem)
        return dp_error_set (err, DP_NOMEM, "%s: out of memory", job->path);
    return DP_OK;
}

static dp_status
s_prove (s_job_t *job, int threads, size_t max_chunks, dp_props_proof_t **out, dp_error_t *err)
{
    dp_status rc = s_plan (job, max_chunks, err);
    if (rc != DP_OK)
        return rc;
    dp_props_proof_t *proof = calloc (1, sizeof *proof);
    job->hashes = malloc (job->count * 32);
    if (!proof || !job->hashes) {
        free (proof);
        free (job->hashes);
        return dp_error_set (err, DP_NOMEM, "%s: out of memory for %zu chunk hashes", job->path, job->count);
    }
    pthread_mutex_init (&job->lock, NULL);
    rc = s_run (job, s_thread_count (threads, job->count));
    pthread_mutex_destroy (&job->lock);
    if (rc != DP_OK && err)
        *err = job->error;
    if (rc == DP_OK)
        rc = s_refuse_duplicates (job, err);
    if (rc != DP_OK) {
        free (job->hashes);
        free (proof);
        return rc;
    }
    proof->chunk_count = job->count;
    proof->chunk_size = job->chunk_size;
    proof->data_size = job->size;
    proof->chunk_hashes = job->hashes;
    dp_props_root ((const uint8_t (*) [32]) proof->chunk_hashes, proof->chunk_count, proof->root);
    *out = proof;
    return DP_OK;
}

dp_status
dp_props_prove_file_limited (const char *path, size_t chunk_size, int threads, size_t max_chunks,
                             dp_props_proof_t **out, dp_error_t *err)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return dp_error_set (err, DP_IO, "%s: cannot open: %s", path, strerror (errno));
    struct stat st;
    if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)) {
        close (fd);
        return dp_error_set (err, DP_IO, "%s: not a regular file", path);
    }
    //  Chunks are taken roughly in file order: tell the kernel to read ahead.
    posix_fadvise (fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    s_job_t job = { .fd = fd, .path = path, .size = (uint64_t) st.st_size,
                    .chunk_size = chunk_size };
    dp_status rc = s_prove (&job, threads, max_chunks, out, err);
    close (fd);
    return rc;
}

dp_status
dp_props_prove_file (const char *path, size_t chunk_size, int threads,
                     dp_props_proof_t **out, dp_error_t *err)
{
    return dp_props_prove_file_limited (path, chunk_size, threads, DP_PROPS_MAX_CHUNKS, out, err);
}

dp_status
dp_props_prove_buffer (const void *data, size_t len, size_t chunk_size, int threads,
                       dp_props_proof_t **out, dp_error_t *err)
{
    s_job_t job = { .fd = -1, .data = data, .path = "buffer", .size = len,
                    .chunk_size = chunk_size };
    return s_prove (&job, threads, DP_PROPS_MAX_CHUNKS, out, err);
}

dp_props_proof_t *
dp_props_proof_from_hashes (const uint8_t (*hashes) [32], size_t count)
{
    if (count == 0 || count > DP_PROPS_MAX_CHUNKS)
        return NULL;
    dp_props_proof_t *proof = calloc (1, sizeof *proof);
    if (!proof)
        return NULL;
    proof->chunk_hashes = malloc (count * 32);
    if (!proof->chunk_hashes) {
        free (proof);
        return NULL;
    }
    memcpy (proof->chunk_hashes, hashes, count * 32);
    proof->chunk_count = count;
    dp_props_root (hashes, count, proof->root);
    return proof;
}

static json_object *
s_hex_string (const uint8_t hash [32])
{
    char text [65];
    return json_object_new_string (dp_hex_encode (hash, 32, text));
}

static json_object *
s_hash_array (const dp_props_proof_t *proof)
{
    json_object *hashes = json_object_new_array_ext ((int) proof->chunk_count);
    for (size_t i = 0; hashes && i < proof->chunk_count; i++) {
        json_object *item = s_hex_string (proof->chunk_hashes [i]);
        if (!item || json_object_array_add (hashes, item) != 0) {
            json_object_put (item);
            json_object_put (hashes);
            hashes = NULL;
        }
    }
    return hashes;
}

json_object *
dp_props_proof_to_json (const dp_props_proof_t *proof)
{
    //  Keys in the seed snippet's order (json-c keeps insertion order).
    json_object *object = json_object_new_object ();
    if (!object)
        return NULL;
    int ok = s_add (object, "root_hash", s_hex_string (proof->root))
          && s_add (object, "chunk_hashes", s_hash_array (proof))
          && s_add (object, "chunk_count", json_object_new_int64 ((int64_t) proof->chunk_count))
          && s_add (object, "algorithm", json_object_new_string ("sha256"));
    if (!ok)
        json_object_put (object);
    return ok? object: NULL;
}

void
dp_props_proof_data_hash (const dp_props_proof_t *proof, char out [65])
{
    dp_hex_encode (proof->root, 32, out);
}

void
dp_props_proof_destroy (dp_props_proof_t **self_p)
{
    if (self_p && *self_p) {
        free ((*self_p)->chunk_hashes);
        free (*self_p);
        *self_p = NULL;
    }
}
