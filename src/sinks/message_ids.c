// SPDX-License-Identifier: GPL-2.0
#include "sinks/message_ids.h"

#include <string.h>

/* Made once with a random generator; fixed from then on. */
const struct message_id message_ids[] = {
	{ "exec", "2d07e9d1fe22447eb1f6074a701f1cf4" },
	{ "exit", "553a59b489454a4c85bb96ba2fd1a34c" },
	{ "fork", "71018bbbef4d450fb2016ae4bff43874" },
	{ "open", "8d5910f909b94ca0bc6e6c81ed961be7" },
	{ "unlink", "f8d16bf685764808868c81a4c57566f2" },
	{ "rename", "4c7a932aca9644aa8e6816512d49c417" },
	{ "chmod", "447f8e8d365f46a398e6140f0faa7461" },
	{ "chown", "ce22212cd3a94acbba6f256ad3f8a4cf" },
	{ "link", "4bf28fbb02f349afa2b8e9e56aaf62e4" },
	{ "symlink", "7ebbb8871cba479b81ff07019de6fc9b" },
	{ "mkdir", "634d7f5ef084429bb96e5e88e3a43c6b" },
	{ "rmdir", "a6220c016b034ab18563fdef164b16a2" },
	{ "truncate", "cc55a58bed4544d993dfec6081a9d6f0" },
	{ "mount", "8f8d2341a1f84c62b24b5462d9e67312" },
	{ "umount", "c05bc664df6f47ea976473139f8a2e02" },
	{ "setxattr", "a622082f7cb34fb2bb6fa73b5fb00dcf" },
	{ "utimes", "ee467ed508c7471892df187b7777669f" },
	{ "connect", "ce69f65e9f0c49178dc9d66d95b6bd34" },
	{ "accept", "7be9792f28eb4597b7c2020bb8a3ec78" },
	{ "listen", "7293e326e2784a6d8cff9b2be22fcb9b" },
	{ "bind", "1941d157f69943bea0122d76efcf6aa3" },
	{ "socket", "8d28cc0f5a1d4f0a911c033d47e25e13" },
	{ "dns", "7d80d96d0cb048a49c8311e6cd0f192e" },
	{ "setuid", "5a0fc195e0e04172b78b00a3bceabdfe" },
	{ "setgid", "d00d8b83ba964ce0a7bcf2434c661643" },
	{ "capset", "e7729c2bea6e42b2a00a9452801536c0" },
	{ "setns", "b3cc52cfe3294419a92ecbec676752f1" },
	{ "unshare", "502eda95459d43e1b1102d734b36d07c" },
	{ "module_load", "eedf0394b3364a4a900ca2ead43a1fff" },
	{ "bpf", "3656e29733ca482c918e9957eca44169" },
	{ "ptrace", "f3aa343f8fcf4b3fbeaccdc1ce3c0a10" },
	{ "process_vm_write", "de5484fafd1f4777a24c9a31ab158518" },
	{ "memfd", "d8d5208c09d64b7aa9df3702519fcb90" },
	{ "proc_mem_write", "8fac1ba9fc924d3f8d440c48b67ef131" },
	{ "proc_read", "a9d560beeece423c9cb303823050013a" },
	{ "shell", "055989c9b4fc4320a68d698798bc3c28" },
	{ "tls", "f218cb4cacf247d09582ef7c58b3bc31" },
	{ "lost", "eb55967138ff41ad937852aac51c43be" },
};

const size_t n_message_ids = sizeof(message_ids) / sizeof(message_ids[0]);

/* An event type this table does not know yet (a newer sensor). */
#define OTHER_ID "7a88bd496a9c429e80594f7d9d2e911e"

const char *message_id_of(const char *type)
{
	for (size_t i = 0; type && i < n_message_ids; i++)
		if (!strcmp(message_ids[i].type, type))
			return message_ids[i].id;
	return OTHER_ID;
}
