/*  dp_dirlock.c — one process per data directory (see dp_dirlock.h). */

#include "dp_dirlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "dp_log.h"

dp_status
dp_dirlock_take (const char *dir, const char *name, const char *program, int *fd_p,
                 dp_error_t *err)
{
    *fd_p = -1;
    char path [4096];
    if (snprintf (path, sizeof path, "%s/%s", dir, name) >= (int) sizeof path)
        return dp_error_set (err, DP_INVALID, "data dir %s: path too long", dir);
    int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return dp_error_set (err, DP_IO, "data dir %s: %s: %s", dir, name, strerror (errno));
    if (flock (fd, LOCK_EX | LOCK_NB) != 0) {
        int busy = errno == EWOULDBLOCK;
        char owner [32] = "";
        ssize_t n = pread (fd, owner, sizeof owner - 1, 0);
        owner [n > 0? n: 0] = '\0';
        owner [strcspn (owner, "\n")] = '\0';
        int error = errno;
        close (fd);
        if (busy)
            return dp_error_set (err, DP_IO, "data dir %s is in use by another %s (pid %s)", dir,
                                 program, *owner? owner: "unknown");
        return dp_error_set (err, DP_IO, "data dir %s: %s: %s", dir, name, strerror (error));
    }
    char pid [32];
    int len = snprintf (pid, sizeof pid, "%ld\n", (long) getpid ());
    if (ftruncate (fd, 0) != 0 || pwrite (fd, pid, (size_t) len, 0) != len)
        dp_log_warn ("data dir %s: %s: pid not written: %s", dir, name, strerror (errno));
    *fd_p = fd;
    return DP_OK;
}
