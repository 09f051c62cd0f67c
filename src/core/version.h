/* SPDX-License-Identifier: GPL-2.0 */
/* vigil's version, as `git describe` gave it at build time. */
#ifndef VIGIL_CORE_VERSION_H
#define VIGIL_CORE_VERSION_H

const char *vigil_version(void);

#endif
