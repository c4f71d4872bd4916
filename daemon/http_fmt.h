/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the http and cdn hooks send, built apart from the sending so it can
 * be tested alone: the JSON body of an http call and the URL of a cdn
 * request.  File names are raw bytes: nothing here assumes they are text. */
#ifndef SYNCD_HTTP_FMT_H
#define SYNCD_HTTP_FMT_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "hook.h"

/* s as a JSON string: valid UTF-8 as it is (", \ and control characters
 * escaped), each byte that is not part of valid UTF-8 as U+FFFD.  Returns
 * false if there was such a byte, i.e. the text is not s itself. */
bool json_put_utf8(struct buf *b, const char *s);
/* Standard base64 (RFC 4648, with padding). */
void base64_put(struct buf *b, const void *p, size_t n);

/* {"delivery":..,"instance":..,"hook":..,"remotes":[..],"events":[{"kind":..,
 * "path":..[,"path_base64":..]},..]}: "delivery" is the call's id (see
 * hook_call_id), "path_base64" holds the raw bytes of a path that is not
 * valid UTF-8, whose "path" is then only for display.  A resync is
 * {"kind":"resync","path":""}. */
void http_body(struct buf *b, const char *delivery, const char *instance, const char *hook,
    const char *const *remotes, size_t nremotes, const struct hook_event *ev, size_t n);

/* s percent-encoded for a URL path: RFC 3986 unreserved characters and '/'
 * kept, every other byte %XX. */
void url_encode_path(struct buf *b, const char *s);
/* tmpl with every "{path}" replaced by path, encoded. */
void cdn_url(struct buf *b, const char *tmpl, const char *path);
/* When re matches path, out gets replace with \0..\9 standing for the
 * match's groups (an unmatched group is empty; \\ is one backslash) and 1
 * is returned; 0 when it does not match (out untouched).  re must have been
 * compiled without REG_NOSUB. */
int cdn_rewrite(const regex_t *re, const char *replace, const char *path, struct buf *out);

#endif
