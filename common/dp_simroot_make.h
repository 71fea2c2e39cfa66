/*  dp_simroot_make.h — writes a new simulation root's files (SPEC §8).

    Used by dp_simroot_open, which builds the root in a temporary folder and
    renames it into place; not meant for other callers. The layout and the
    simulated platform are described in dp_simroot.h. */

#ifndef DP_SIMROOT_MAKE_H_INCLUDED
#define DP_SIMROOT_MAKE_H_INCLUDED

#include "dp_status.h"

//  Generates every key, certificate, CRL and the collateral, and writes
//  them into dir, which must exist and be empty (mode 0700): VERSION,
//  root.pem, collateral.json, private/ (0700) with keys 0600. DP_CRYPTO
//  when OpenSSL fails, DP_IO when a file cannot be written (naming it).
//  Private keys are wiped from memory before returning.
dp_status dp_simroot_make (const char *dir, dp_error_t *err) DP_MUST_CHECK;

//  Helpers shared by the maker and the reader (dp_simroot.c).
//  The oldest queued OpenSSL error as DP_CRYPTO "sim root: <step>: <detail>"
//  (the queue is cleared). Returns DP_CRYPTO.
dp_status dp_simroot_ossl_error (dp_error_t *err, const char *step);
//  out = dir/name; DP_LIMIT naming the path if it does not fit in size.
dp_status dp_simroot_path (char *out, size_t size, const char *dir, const char *name,
                           dp_error_t *err) DP_MUST_CHECK;

#endif
