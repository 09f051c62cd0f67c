// SPDX-License-Identifier: GPL-2.0
/* Only this object carries the version: it is rebuilt every time, and nothing else is. */
#include "core/version.h"

const char *vigil_version(void)
{
	return VIGIL_VERSION;
}
