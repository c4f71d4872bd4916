/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "duration.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	uint64_t ms;
} units[] = {
	{ "ms", 1 }, { "s", 1000 }, { "sec", 1000 }, { "min", 60000 },
	{ "h", 3600000 }, { "d", 86400000 },
};

int
duration_parse(const char *s, uint64_t *ms, const char **why)
{
	uint64_t whole = 0, frac = 0, fracdiv = 1;
	const char *p = s;

	while (isspace((unsigned char)*p))
		p++;
	if (!isdigit((unsigned char)*p)) {
		*why = "a duration starts with a number (e.g. 50ms, 5s, 10min, 2h)";
		return -1;
	}
	for (; isdigit((unsigned char)*p); p++) {
		if (whole > UINT64_MAX / 10 / 86400000) {
			*why = "duration is too large";
			return -1;
		}
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p)) {
			*why = "expected digits after the decimal point";
			return -1;
		}
		for (; isdigit((unsigned char)*p); p++) {
			if (fracdiv < 1000000) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				fracdiv *= 10;
			}
		}
	}
	while (isspace((unsigned char)*p))
		p++;
	const char *u = p;
	size_t ulen = strcspn(u, " \t");
	const char *rest = u + ulen;
	while (isspace((unsigned char)*rest))
		rest++;
	if (*rest) {
		*why = "unexpected text after the duration";
		return -1;
	}
	uint64_t mult = 0;
	if (ulen == 0)
		mult = 1000;	/* a bare number is seconds, like rsync's --timeout */
	for (size_t i = 0; i < sizeof units / sizeof units[0] && !mult; i++)
		if (strlen(units[i].name) == ulen && strncmp(units[i].name, u, ulen) == 0)
			mult = units[i].ms;
	if (!mult) {
		*why = "unknown unit (use ms, s, min, h or d)";
		return -1;
	}
	uint64_t part = frac * mult / fracdiv;
	if (whole > (UINT64_MAX - part) / mult) {
		*why = "duration is too large";
		return -1;
	}
	*ms = whole * mult + part;
	return 0;
}

void
duration_format(uint64_t ms, char *buf, unsigned len)
{
	if (ms == 0)
		snprintf(buf, len, "0s");
	else if (ms % 3600000 == 0)
		snprintf(buf, len, "%lluh", (unsigned long long)(ms / 3600000));
	else if (ms % 60000 == 0)
		snprintf(buf, len, "%llumin", (unsigned long long)(ms / 60000));
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, len, "%llums", (unsigned long long)ms);
}
