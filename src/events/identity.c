// SPDX-License-Identifier: GPL-2.0
#include "events/identity.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

static void read_boot_id(char *out, const char *procfs)
{
	char path[PATH_MAX], buf[IDENTITY_UUID_LEN + 2];
	ssize_t n = -1;
	int fd;

	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/sys/kernel/random/boot_id", procfs);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf));
		close(fd);
	}
	/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx\n", nothing else */
	if (n < IDENTITY_UUID_LEN || buf[8] != '-' || (n > IDENTITY_UUID_LEN && buf[36] != '\n'))
		return;
	for (int i = 0; i < IDENTITY_UUID_LEN; i++)
		if (!isxdigit((unsigned char)buf[i]) && buf[i] != '-')
			return;
	memcpy(out, buf, IDENTITY_UUID_LEN);
	out[IDENTITY_UUID_LEN] = '\0';
}

/* A random (version 4) UUID. */
static int random_uuid(char *out)
{
	unsigned char b[16];
	ssize_t n = getrandom(b, sizeof(b), 0);

	out[0] = '\0';
	if (n != sizeof(b))
		return n < 0 ? -errno : -EIO;
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, IDENTITY_UUID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
		 b[15]);
	return 0;
}

int agent_identity_init(struct agent_identity *id, const char *procfs)
{
	if (gethostname(id->host, sizeof(id->host)))
		id->host[0] = '\0';
	id->host[sizeof(id->host) - 1] = '\0';
	read_boot_id(id->boot_id, procfs);
	return random_uuid(id->instance);
}
