/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SYNCD_RELAY_H
#define SYNCD_RELAY_H

/* `syncd --rsyncd-relay HOST PORT TIMEOUT_S ...`: rsync's remote shell for
 * an rsync:// remote; connects to the daemon and copies both ways, each
 * read from the daemon acknowledged at once.  Returns the exit status. */
int relay_main(int argc, char **argv);

#endif
