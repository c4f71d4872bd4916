/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "curl_api.h"

#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

#include "log.h"

struct curl_api curl_api;

int
curl_api_load(void)
{
#define SYM(field) { "curl_" #field, offsetof(struct curl_api, field) }
	static const struct {
		const char *name;
		size_t off;
	} syms[] = {
		SYM(global_init), SYM(global_cleanup), SYM(easy_init), SYM(easy_setopt),
		SYM(easy_getinfo), SYM(easy_cleanup), SYM(easy_strerror), SYM(multi_init),
		SYM(multi_setopt), SYM(multi_socket_action), SYM(multi_info_read),
		SYM(multi_add_handle), SYM(multi_remove_handle), SYM(multi_assign),
		SYM(multi_cleanup), SYM(multi_strerror), SYM(slist_append), SYM(slist_free_all),
	};
#undef SYM
	static void *lib;

	if (lib)
		return 0;
	void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		log_err("cannot load libcurl for the http and cdn hooks: %s (install libcurl4)",
		    dlerror());
		return -1;
	}
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
		void *p = dlsym(h, syms[i].name);
		if (!p) {
			log_err("libcurl.so.4 has no %s: too old a libcurl for syncd", syms[i].name);
			dlclose(h);
			memset(&curl_api, 0, sizeof curl_api);
			return -1;
		}
		/* POSIX: a function pointer and void * have the same representation. */
		memcpy((char *)&curl_api + syms[i].off, &p, sizeof p);
	}
	lib = h;
	return 0;
}
