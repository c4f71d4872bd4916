/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SYNCD_CONNECTOR_H
#define SYNCD_CONNECTOR_H

/* `syncd --rsyncd-connect HOST PORT TIMEOUT_S ...`: rsync's remote shell for
 * an rsync:// remote; connects to the daemon and copies both ways, each
 * read from the daemon acknowledged at once.  Returns the exit status. */
int connector_main(int argc, char **argv);

#endif
