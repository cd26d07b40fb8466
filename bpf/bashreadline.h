/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef __BASHREADLINE_H
#define __BASHREADLINE_H

#include "common.h"

#define LINE_LEN 256

/* One line read by readline(); the line is last so only its used bytes are sent. */
struct event {
	struct task_info task;
	char line[LINE_LEN];
};

#endif /* __BASHREADLINE_H */
