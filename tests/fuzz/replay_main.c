/*  replay_main.c — runs a libFuzzer target's corpus once, without libFuzzer.

    Built with every fuzz target in the normal (gcc, sanitizer) builds so the
    corpus and every crash input once found stay regression tests under
    ctest. Arguments are files or folders; folders are read one level deep.
    Exit 0 when every input ran; a crash or sanitizer report fails the test. */

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static int
s_run_file (const char *path)
{
    FILE *file = fopen (path, "rb");
    if (!file) {
        fprintf (stderr, "replay: cannot open %s\n", path);
        return -1;
    }
    fseek (file, 0, SEEK_END);
    long size = ftell (file);
    fseek (file, 0, SEEK_SET);
    uint8_t *data = malloc (size > 0? (size_t) size: 1);
    if (!data || (size > 0 && fread (data, 1, (size_t) size, file) != (size_t) size)) {
        fprintf (stderr, "replay: cannot read %s\n", path);
        free (data);
        fclose (file);
        return -1;
    }
    fclose (file);
    LLVMFuzzerTestOneInput (data, (size_t) size);
    free (data);
    return 0;
}

int
main (int argc, char **argv)
{
    int inputs = 0, failures = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat (argv [i], &st) != 0) {
            fprintf (stderr, "replay: %s: no such file or folder\n", argv [i]);
            return 2;
        }
        if (!S_ISDIR (st.st_mode)) {
            failures += s_run_file (argv [i]) != 0;
            inputs++;
            continue;
        }
        DIR *dir = opendir (argv [i]);
        struct dirent *entry;
        while (dir && (entry = readdir (dir))) {
            if (entry->d_name [0] == '.')
                continue;
            char path [4096];
            snprintf (path, sizeof path, "%s/%s", argv [i], entry->d_name);
            failures += s_run_file (path) != 0;
            inputs++;
        }
        if (dir)
            closedir (dir);
    }
    printf ("replayed %d inputs, %d unreadable\n", inputs, failures);
    return failures? 1: 0;
}
