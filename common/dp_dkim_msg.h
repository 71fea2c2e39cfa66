/*  dp_dkim_msg.h — an e-mail split into header fields and body for DKIM.

    Line handling follows the corpus convention (and dkimpy's): lines end at
    LF with an optional CR before it, and the message is treated as if it
    had been written with CRLF. A first line starting with "From " is an
    mbox separator and skipped. The header ends at the first empty line (or
    at the end of the input when there is none). A header line must be
    `name:value` with name = 1*(%x21-39 / %x3B-7E), or a continuation that
    starts with SP or HTAB; anything else makes the message malformed
    (RFC 5322 s2.2: an upload that is not a well-formed message proves
    nothing, so the whole message is refused).

    The header section is copied (with CRLF line ends) into memory owned by
    the dp_dkim_msg_t and wiped on release; the body is a borrowed view into
    the caller's buffer, which must outlive the dp_dkim_msg_t. Not shared
    between threads. */

#ifndef DP_DKIM_MSG_H_INCLUDED
#define DP_DKIM_MSG_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "dp_status.h"

//  Most header fields accepted in one message (RFC 5322 sets none; real
//  mail rarely has more than 100, and each one costs a scan per h= entry).
#define DP_DKIM_FIELDS_MAX 1000
//  Largest header section accepted (an 81-line References field is ~6 KB).
#define DP_DKIM_HEADER_MAX (1024 * 1024)

typedef struct {
    size_t off;             //  offset in hdr of "name:value" (folds kept as CRLF)
    size_t len;             //  length without the field's final CRLF
    size_t name_len;        //  the name is hdr[off .. off+name_len)
} dp_dkim_field_t;

typedef struct {
    char *hdr;              //  the header section, CRLF line ends; owned
    size_t hdr_len;
    dp_dkim_field_t *fields;    //  in message order; owned
    size_t count;
    const uint8_t *body;    //  view into the input after the empty line
    size_t body_len;        //  0 when there is no body (or no separator)
} dp_dkim_msg_t;

//  Splits eml[0..len) into msg. DP_OK; DP_INVALID "line N: reason" for a
//  malformed header; DP_LIMIT past DP_DKIM_FIELDS_MAX or DP_DKIM_HEADER_MAX;
//  DP_NOMEM. On error msg holds nothing that needs releasing (but releasing
//  it is harmless).
dp_status dp_dkim_msg_parse (const uint8_t *eml, size_t len, dp_dkim_msg_t *msg,
                             dp_error_t *err) DP_MUST_CHECK;

//  Wipes and frees what msg owns; msg can be parsed into again.
void dp_dkim_msg_release (dp_dkim_msg_t *msg);

//  True if the field's name equals name, ignoring ASCII case.
int dp_dkim_msg_field_is (const dp_dkim_msg_t *msg, size_t index, const char *name,
                          size_t name_len);

#endif
