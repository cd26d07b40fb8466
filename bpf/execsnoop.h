/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef __EXECSNOOP_H
#define __EXECSNOOP_H

#include "common.h"
#include "path.h"

/* Arguments read per failed exec, the executed path first; --max-args picks fewer. */
#define ARGS_MAX 60
/* Bytes read per argument of a failed exec, its NUL included. */
#define ARG_LEN 128
#define ARGS_BYTES (ARGS_MAX * ARG_LEN)

/*
 * One exec. The executed path is in `path`; argv (argv[0] first, each with its NUL)
 * follows its used bytes directly, in path.names and on into `more`, so that only the
 * bytes used are submitted: user space decodes any record at least
 * offsetof(struct event, path.names) long, and keeps --max-args of the arguments.
 */
struct event {
	struct task_info task;	/* the caller's; a success: the new program's */
	__s32 ret;
	__u32 args_size;	/* argv's bytes, after the path's */
	__u8 args_cut;		/* 1: argv went on past what was kept */
	__u8 args_unreadable;	/* 1: argv (or its rest) could not be read */
	__u8 path_unreadable;	/* 1: the path could not be read */
	__u8 pad;
	struct path_buf path;	/* execveat: a dirfd-relative path in full, fexecve's file */
	char more[ARGS_BYTES];
};

#endif /* __EXECSNOOP_H */
