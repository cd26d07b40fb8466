/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef __UNLINKSNOOP_H
#define __UNLINKSNOOP_H

#include "common.h"

#define PATH_LEN 256

/* One unlink; the path is last so only its used bytes are submitted. */
struct event {
	__u32 tgid;
	__u32 pid;
	__u32 uid;
	__s32 ret;
	char comm[TASK_COMM_LEN];
	char path[PATH_LEN];
};

#endif /* __UNLINKSNOOP_H */
