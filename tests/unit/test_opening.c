/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "opening.h"
#include "suites.h"

/* What rsync 3.5.0 sends and its daemon answers (strace of a push). */
#define GREETING "@RSYNCD: 32.0 sha512 sha256 sha1 md5 md4\n"
#define OPENING GREETING "mirror\n--server\0-logDtpre.iLsfxCIvu\0.\0mirror/\0\0"
#define S(lit) lit, sizeof lit - 1

START_TEST(client_opening)
{
	size_t n = sizeof OPENING - 1;

	ck_assert_int_eq(opening_len(OPENING, n), (long)n);
	/* whatever follows (the file list) is not part of it */
	ck_assert_int_eq(opening_len(OPENING "\x25\0\0", n + 3), (long)n);
	/* incomplete, at every length */
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(opening_len(OPENING, i) == 0, "complete at %zu of %zu bytes", i, n);
	ck_assert_int_eq(opening_len(S("@RSYNCD: 31.0\nm\n--server\0.\0m/\0\0")), 31);
}
END_TEST

START_TEST(client_not_ahead)
{
	/* before protocol 30 the arguments end in newlines */
	ck_assert_int_eq(opening_len(S("@RSYNCD: 29.0\nmirror\n--server\n.\nmirror/\n\n")), -1);
	ck_assert_int_eq(opening_len(S("@RSYNCD: x\nmirror\n")), -1);
	/* the module list */
	ck_assert_int_eq(opening_len(S(GREETING "\n")), -1);
	ck_assert_int_eq(opening_len(S(GREETING "#list\n")), -1);
	/* not a server's arguments */
	ck_assert_int_eq(opening_len(S(GREETING "mirror\n--sender\0.\0\0")), -1);
	/* not a greeting */
	ck_assert_int_eq(opening_len(S("GET / HTTP/1.0\r\n")), -1);
	ck_assert_int_eq(opening_len(S("x")), -1);

	static char big[OPENING_MAX + 10];
	memcpy(big, GREETING "mirror\n--server\0", sizeof GREETING "mirror\n--server\0" - 1);
	memset(big + sizeof GREETING "mirror\n--server\0" - 1, 'a',
	    sizeof big - (sizeof GREETING "mirror\n--server\0" - 1));
	ck_assert_int_eq(opening_len(big, sizeof big), -1);
	ck_assert_int_eq(opening_len(big, OPENING_MAX - 1), 0);
}
END_TEST

START_TEST(daemon_answer)
{
	ck_assert_int_eq(opening_answer_len(S(GREETING "@RSYNCD: OK\n")), 53);
	/* what follows it: the compat flags */
	ck_assert_int_eq(opening_answer_len(S(GREETING "@RSYNCD: OK\n\x81\xff#xx")), 53);
	/* a motd before it */
	ck_assert_int_eq(opening_answer_len(S(GREETING "Welcome\n\n@RSYNCD: OK\n")), 62);
	ck_assert_int_eq(opening_answer_len(S(GREETING "Welcome\n")), 0);
	ck_assert_int_eq(opening_answer_len(S(GREETING "@RSYNCD: O")), 0);
	ck_assert_int_eq(opening_answer_len(S("@RSYNCD: 32")), 0);
	/* what rsync itself must answer or report */
	ck_assert_int_eq(opening_answer_len(S(GREETING "@RSYNCD: AUTHREQD c2FsdA\n")), -1);
	ck_assert_int_eq(opening_answer_len(S(GREETING "@ERROR: Unknown module 'x'\n")), -1);
	ck_assert_int_eq(opening_answer_len(S(GREETING "@RSYNCD: EXIT\n")), -1);
	ck_assert_int_eq(opening_answer_len(S("@RSYNCD: 29.0\n@RSYNCD: OK\n")), -1);
}
END_TEST

START_TEST(hex_round_trip)
{
	char hex[2 * sizeof OPENING + 1], back[OPENING_MAX];
	size_t n = sizeof OPENING - 1;

	opening_hex(OPENING, n, hex);
	ck_assert_uint_eq(strlen(hex), 2 * n);
	ck_assert_int_eq(opening_unhex(hex, back), (long)n);
	ck_assert(!memcmp(back, OPENING, n));
	/* only a whole opening */
	hex[2 * n - 2] = '\0';
	ck_assert_int_eq(opening_unhex(hex, back), -1);
	ck_assert_int_eq(opening_unhex("4g", back), -1);
	ck_assert_int_eq(opening_unhex("404", back), -1);
	ck_assert_int_eq(opening_unhex("", back), -1);
}
END_TEST

Suite *
opening_suite(void)
{
	Suite *s = suite_create("opening");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, client_opening);
	tcase_add_test(tc, client_not_ahead);
	tcase_add_test(tc, daemon_answer);
	tcase_add_test(tc, hex_round_trip);
	suite_add_tcase(s, tc);
	return s;
}
