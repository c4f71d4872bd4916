/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The metrics of syncctl: the supervisor's own and every worker's, in
 * Prometheus' text format 0.0.4, for `syncctl metrics` and for the
 * supervisor's HTTP listener.  Each worker computes its own when asked
 * ("metrics" on its socket); they are merged here into one exposition. */
#ifndef SYNCCTL_METRICS_H
#define SYNCCTL_METRICS_H

#include <stddef.h>
#include <stdio.h>

struct supervisor;

/* The supervisor's figures and those of each instance it supervises;
 * sv NULL: no supervisor runs. */
void metrics_own(const struct supervisor *sv, FILE *f);
/* Expositions joined: the samples of each metric family together, under
 * one HELP and TYPE, families in the order they first come. */
void metrics_merge(FILE *f, char *const *texts, size_t n);
/* own, then what every named instance's worker answers at
 * RUNTIME/NAME.sock (one that does not answer is left out), merged. */
void metrics_write(FILE *f, const char *own, char *const *names, const char *runtime_dir);

#endif
