/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The kernel side shared by the tools that report one call on a path with its result
 * (unlinksnoop, mkdirsnoop): the entry builds the event, since the path may be gone
 * by the time the call returns, and keeps it per thread; the exit adds the result and
 * submits it.
 */
#ifndef __PATH_CALL_BPF_H
#define __PATH_CALL_BPF_H

#include "events.bpf.h"
#include "inflight.bpf.h"
#include "path.bpf.h"
#include "path_call.h"

/* -F: a relative path's directories are walked at entry (the working directory, or dfd) */
const volatile bool full_path = false;

/*
 * Calls in flight, one per thread (inflight.bpf.h); each holds the event built at
 * entry, about 4.4 KB (a path of PATH_MAX and its directories): in task storage a
 * thread that ever made such a call keeps one slot (an 8 KiB allocation) until it
 * exits, so the memory follows the threads that unlink or mkdir; the hash (5.10) is
 * preallocated: 1024 calls at once is plenty for unlink and mkdir.
 */
INFLIGHT(start, struct event, 1024);

/* Where the event is built for the hash: it is far bigger than the 512-byte stack. */
PERCPU_SLOT(heap, struct event);

/* An event for the current task, or NULL when the filters leave it out (or no memory). */
static __always_inline struct event *new_event(void)
{
	struct event *event;

	if (!trace_allowed())
		return NULL;
	event = inflight_slot(start, &heap);
	if (!event) {
		count_dropped();
		return NULL;
	}
	fill_task(&event->task);
	event->ret = 0;
	event->mode = 0;
	return event;
}

/* Keeps the event until the call returns; `dfd`: where a relative path starts (-F). */
static __always_inline void remember(struct event *event, int dfd)
{
	if (full_path)
		path_walk_start(&event->path, dfd);
	if (!inflight_keep(start, event))
		count_dropped();
}

/* The entry of a syscall tracepoint: the path is the user's string. */
static __always_inline int remember_user_path(int dfd, const char *user_path, __u32 mode)
{
	struct event *event = new_event();

	if (!event)
		return 0;
	event->mode = mode;
	path_from_user(&event->path, user_path);
	remember(event, dfd);
	return 0;
}

/* The exit: the result completes the event of this thread, if it has one. */
static __always_inline void finish(void *ctx, long ret)
{
	struct event *event;

	if (!pid_allowed())
		return;
	event = inflight_get(start);
	if (!event)
		return;
	if (!targ_failed || ret < 0) {
		event->ret = ret;
		submit_event(ctx, event,
			     offsetof(struct event, path.names) + path_used(&event->path));
	}
	inflight_done(start, event);
}

#endif /* __PATH_CALL_BPF_H */
