/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SYNCD_CONNECTOR_H
#define SYNCD_CONNECTOR_H

#include <stdbool.h>

/* `syncd --rsyncd-connect HOST PORT TIMEOUT_S ...`: rsync's remote shell for
 * an rsync:// remote; connects to the daemon and copies both ways, each
 * read from the daemon acknowledged at once.  Returns the exit status. */
int connector_main(int argc, char **argv);
/* A TCP socket for a daemon, non-blocking, as the connector copies on it:
 * no Nagle, resends after 50 ms at least (connector.c); -1 and errno. */
int connector_socket(int family);
/* One of those connected: blocking. */
void connector_socket_ready(int fd);
/* Its handshake was sent again (a SYN or SYN-ACK lost).  Its TCP then took
 * its first round-trip time from the timestamp that the SYN-ACK echoed, the
 * first SYN's: a second or more, and for its first exchanges it resends a
 * lost segment only after that long (1.6 s seen in the lab, against 50 ms). */
bool connector_socket_resent(int fd);
/* Closes one after reading what the daemon sent: closed with bytes unread, a
 * socket sends a reset, which a daemon still reading the client's greeting
 * logs as an error ("safe_read failed ... Connection reset by peer", code
 * 12, rsync 3.5.0); an end of file it takes quietly. */
void connector_socket_close(int fd);

/* A connection opened ahead (preconnect.h) reaches the connector as
 * descriptor 3 (child.h, CHILD_PASS_FD), with CONNECTOR_FD_ENV set in the
 * environment that rsync hands on to its remote shell.  With
 * CONNECTOR_OPEN_ENV set instead, the connector only connects and sends the
 * socket (SCM_RIGHTS) over that descriptor, a Unix socket of the worker's. */
#define CONNECTOR_FD_VAR "SYNCD_CONNECTED_FD"
#define CONNECTOR_OPEN_VAR "SYNCD_CONNECT_AHEAD"
#define CONNECTOR_FD_ENV CONNECTOR_FD_VAR "=3"
/* With it, the opening (opening.h) sent ahead on that connection, in hex;
 * without one, the opening to send with the connector's own connect:
 * checked against rsync's, whose answers rsync gets as it asks for them. */
#define CONNECTOR_SENT_VAR "SYNCD_CONNECTED_SENT"
/* A file where the run's opening is kept for the next runs to send ahead,
 * once the daemon has answered it with OK. */
#define CONNECTOR_LEARN_VAR "SYNCD_CONNECT_LEARN"
#define CONNECTOR_OPEN_ENV CONNECTOR_OPEN_VAR "=1"

#endif
