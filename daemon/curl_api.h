/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libcurl, loaded when the first http or cdn hook opens (dlopen), so that
 * a worker without such hooks does not map libcurl and the TLS, Kerberos
 * and LDAP libraries it pulls in: about 6 MiB of resident memory, in every
 * worker, for a feature most instances do not use.  Call libcurl only
 * through curl_api, after curl_api_load() succeeded. */
#ifndef SYNCD_CURL_API_H
#define SYNCD_CURL_API_H

/* Plain prototypes: curl's type-checking macros would hide them. */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

struct curl_api {
	__typeof__(curl_global_init) *global_init;
	__typeof__(curl_global_cleanup) *global_cleanup;
	__typeof__(curl_easy_init) *easy_init;
	__typeof__(curl_easy_setopt) *easy_setopt;
	__typeof__(curl_easy_getinfo) *easy_getinfo;
	__typeof__(curl_easy_cleanup) *easy_cleanup;
	__typeof__(curl_easy_strerror) *easy_strerror;
	__typeof__(curl_multi_init) *multi_init;
	__typeof__(curl_multi_setopt) *multi_setopt;
	__typeof__(curl_multi_socket_action) *multi_socket_action;
	__typeof__(curl_multi_info_read) *multi_info_read;
	__typeof__(curl_multi_add_handle) *multi_add_handle;
	__typeof__(curl_multi_remove_handle) *multi_remove_handle;
	__typeof__(curl_multi_assign) *multi_assign;
	__typeof__(curl_multi_cleanup) *multi_cleanup;
	__typeof__(curl_multi_strerror) *multi_strerror;
	__typeof__(curl_slist_append) *slist_append;
	__typeof__(curl_slist_free_all) *slist_free_all;
};

extern struct curl_api curl_api;

/* Loads libcurl.so.4 once; -1 (after logging why) when it cannot. */
int curl_api_load(void);

#endif
