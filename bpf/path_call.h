/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef __PATH_CALL_H
#define __PATH_CALL_H

#include "common.h"
#include "path.h"

/*
 * One call on a path (unlink, mkdir): built when the call starts, completed with its
 * result when it returns. The path is last so that only its used bytes are submitted
 * (with -F, a relative path's directories follow it: path.h).
 */
struct event {
	struct task_info task;
	__s32 ret;
	__u32 mode;	/* mkdir's mode argument; 0 for calls that take none */
	struct path_buf path;
};

#endif /* __PATH_CALL_H */
