/*  dp_dirlock.h — one process per data directory.

    LMDB lets several processes share an environment, which is right for
    readers (mdb_copy, mdb_stat) but wrong for two brokers or two relayers
    on one directory: each keeps state in memory that assumes it is alone
    (the queue, sequence numbers, submit orders; the next nonce). A data
    directory is therefore claimed with an exclusive flock on a lock file
    in it, which the kernel drops when the process ends (kill -9 included),
    so a crash never leaves a stale lock. The file holds the owner's pid,
    which a refused process names. */

#ifndef DP_DIRLOCK_H_INCLUDED
#define DP_DIRLOCK_H_INCLUDED

#include "dp_status.h"

//  Claims dir (which must exist) through dir/name: *fd is the lock's
//  descriptor, to close when done with the directory. DP_IO when another
//  process holds it ("data dir DIR is in use by another PROGRAM (pid N)")
//  or the file cannot be opened; *fd is then -1.
dp_status dp_dirlock_take (const char *dir, const char *name, const char *program, int *fd,
                           dp_error_t *err) DP_MUST_CHECK;

#endif
