/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The configuration fuzzer's target: any bytes as an instance file, through
 * the parser both programs use.  Linked with libFuzzer (clang; make fuzz) or
 * with driver.c (make check, and make fuzz without clang).  The parser must
 * neither crash nor trip ASan or UBSan, whatever it is given; accepting or
 * refusing the bytes is its own business. */
#include <stddef.h>
#include <stdint.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char err[1024];

	/* data is not NUL-terminated: a read past its end is a report */
	if (config_parse("fuzz.ini", (const char *)data, size, &cfg, err, sizeof err) == 0)
		config_free(&cfg);
	return 0;
}
