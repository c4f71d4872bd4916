/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The opening of rsync's daemon protocol, which a connection opened ahead
 * (preconnect.h) sends before its run starts.  The client's opening is its
 * greeting line ("@RSYNCD: 32.0 sha512 ...\n"), the module's line and its
 * arguments, each ended by a NUL and the last by an empty one (protocol 30
 * and later); the daemon answers the module with its greeting, its motd and
 * "@RSYNCD: OK", and the arguments with its compat flags.  Three round
 * trips, each waited for, when a run sends them itself: an opening learned
 * from a run (the bytes are the same for every push of a remote) and sent
 * with the connect leaves only the transfer's own to the run. */
#ifndef SYNCD_OPENING_H
#define SYNCD_OPENING_H

#include <stddef.h>

/* Longer openings (a long motd, a very long module path) are not sent ahead. */
#define OPENING_MAX 4096

/* The length of the line at the start of b[0..n), through its '\n'; 0
 * while it has none. */
size_t opening_line(const char *b, size_t n);
/* The length of the client's complete opening at the start of b[0..n); 0
 * while it is incomplete; -1 when b starts none that could be sent ahead:
 * over OPENING_MAX, a protocol before 30 (arguments ended by newlines), a
 * request for the module list, arguments that are not a server's. */
long opening_len(const char *b, size_t n);
/* The length of the daemon's answer ahead of the arguments at the start of
 * b[0..n): its greeting, motd lines and "@RSYNCD: OK"; 0 while incomplete;
 * -1 when it answers anything else (an authentication's challenge, an
 * error), or before protocol 30. */
long opening_answer_len(const char *b, size_t n);

/* Hex, for the environment: out has room for 2n + 1. */
void opening_hex(const char *b, size_t n, char *out);
/* The bytes of hex into out (room for OPENING_MAX); -1 when it is not hex
 * of a complete opening. */
long opening_unhex(const char *hex, char *out);

#endif
