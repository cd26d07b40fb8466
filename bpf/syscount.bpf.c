// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * syscount: system calls counted as they return (raw_syscalls:sys_exit), per call or
 * with -P per process; -L adds the time each took, from raw_syscalls:sys_enter.
 * -x (targ_failed) keeps only the calls that returned an error, -e one error.
 */
#include "inflight.bpf.h"
#include "syscount.h"

/* -P: count per process instead of per system call */
const volatile bool by_process = false;
/* -L: time each call (the entry program is loaded only then) */
const volatile bool measure_latency = false;
/* -e: only calls that returned -filter_errno; 0 = any */
const volatile int filter_errno = 0;
/* exit and exit_group on this architecture (user space knows them): they never return */
const volatile int nr_exit = -1;
const volatile int nr_exit_group = -1;

/*
 * -L: when each thread in a traced call entered it (inflight.bpf.h). Threads blocked in
 * a call hold an entry each: the hash (5.10) takes 16384, preallocated (bcc keeps 8192);
 * an entry that cannot be made is a call not counted.
 */
INFLIGHT(start, __u64, 16384);

/* Per call (or process), drained at every read: 10240 keys per read (a second). */
DRAINED_COUNTS(counts, struct syscount_key, struct syscount_value, 10240);

SEC("tracepoint/raw_syscalls/sys_enter")
int sys_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 ts;

	/* Nothing returns from these: an entry would stay until the map is full. */
	if (ctx->id == nr_exit || ctx->id == nr_exit_group)
		return 0;
	if (!trace_allowed())
		return 0;
	ts = bpf_ktime_get_ns();
	if (!inflight_put(start, &ts))
		note_not_counted(1);
	return 0;
}

SEC("tracepoint/raw_syscalls/sys_exit")
int sys_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct syscount_value zero = {}, *value;
	struct syscount_key key = {};
	__u64 entered = 0, *started;
	long ret = ctx->ret;
	__u64 pid_tgid;

	pid_tgid = bpf_get_current_pid_tgid();
	if (measure_latency) {
		/* Traced at entry (the filters held then), and only then. */
		if (!pid_allowed())
			return 0;
		started = inflight_get(start);
		if (!started)
			return 0;
		entered = *started;
		/* Done before anything is left out: a later exit must not find this start. */
		inflight_done(start, started);
	} else if (!trace_allowed()) {
		return 0;
	}
	/*
	 * -1: no call of its own returns here (rt_sigreturn sets the number to -1, as does
	 * a tracer that skips the call); its entry's start, if any, is cleared above.
	 */
	if (ctx->id < 0)
		return 0;
	if (targ_failed && ret >= 0)
		return 0;
	if (filter_errno && ret != -filter_errno)
		return 0;

	key.cgroup_id = key_cgroup();
	if (by_process) {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();

		key.tgid = pid_tgid >> 32;
		key.nr = -1;
		BPF_CORE_READ_STR_INTO(&key.comm, task, group_leader, comm);
	} else {
		key.nr = ctx->id;
	}
	value = drained_value(&counts, &key, &zero);
	if (!value) {
		note_not_counted(1);
		return 0;
	}
	value->count += 1;
	if (measure_latency)
		value->total_ns += bpf_ktime_get_ns() - entered;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
