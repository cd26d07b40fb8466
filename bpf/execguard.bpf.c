// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * execguard: refuses the execution of chosen files from the BPF LSM hook
 * bprm_check_security, and reports every attempt.
 *
 * The hook runs for every exec (execve, execveat, fexecve, and again for a script's
 * interpreter) once the file is open, before anything of the new program runs; its
 * return value decides: -EPERM refuses. Files are named by (device, inode), which
 * user space resolves when it starts: a hard link, a rename, a symlink or a
 * descriptor reaches the same inode, so none of them dodges a rule.
 *
 * The program is attached through a BPF link that only the tool's process holds:
 * when the process ends, however it ends, the policy ends with it.
 */
#include "events.bpf.h"
#include "path.bpf.h"
#include "execguard.h"

#define EPERM 1

/* --audit: report the attempts, refuse none */
const volatile bool audit_only = false;

/* The files: (device, inode) -> index of the rule. Filled after load, before attach. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_RULES);
	__type(key, struct file_id);
	__type(value, __u32);
} rules SEC(".maps");

/* Where the event is built: it is far bigger than the 512-byte stack. */
PERCPU_SLOT(heap, struct event);

SEC("lsm/bprm_check_security")
int BPF_PROG(execguard_bprm_check, struct linux_binprm *bprm, int ret)
{
	struct file *file = BPF_CORE_READ(bprm, file);
	struct file_id id = {};
	struct event *event;
	__u32 zero = 0;
	__u32 *rule;

	/* Refused already (by another BPF LSM program): that stands. */
	if (ret)
		return ret;
	id.dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
	id.ino = BPF_CORE_READ(file, f_inode, i_ino);
	rule = bpf_map_lookup_elem(&rules, &id);
	/* -p/-u/-c/--cgroup: the rules apply only to the tasks they select. */
	if (!rule || !trace_allowed())
		return 0;

	event = bpf_map_lookup_elem(&heap, &zero);
	if (event) {
		fill_task(&event->task);
		event->rule = *rule;
		event->denied = !audit_only;
		path_of_file(&event->path, file);
		submit_event(ctx, event, offsetof(struct event, path.names) + path_used(&event->path));
	}
	return audit_only ? 0 : -EPERM;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
