/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef __EXECSNOOP_H
#define __EXECSNOOP_H

#include "common.h"
#include "path.h"

/* Arguments kept per exec, the executed path first; --max-args picks fewer. */
#define ARGS_MAX 60
/* Bytes kept per argument, its NUL included. */
#define ARG_LEN 128
#define ARGS_BYTES (ARGS_MAX * ARG_LEN)

/*
 * One exec. The executed path is in `path`; the arguments after it (argv[1..], each
 * with its NUL) follow its used bytes directly, in path.names and on into `more`, so
 * that only the bytes used are submitted: user space decodes any record at least
 * offsetof(struct event, path.names) long.
 */
struct event {
	struct task_info task;	/* the caller's; a success takes the new program's comm */
	__s32 ret;
	__u32 args_count;	/* arguments after the path */
	__u32 args_size;	/* their bytes, after the path's */
	__u32 args_cut;		/* 1: more arguments than were kept */
	struct path_buf path;	/* execveat: a dirfd-relative path in full, fexecve's file */
	char more[ARGS_BYTES];
};

#endif /* __EXECSNOOP_H */
