// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * execguard: refuses running chosen files, from three BPF LSM hooks, and reports
 * every attempt:
 * - bprm_check_security: every exec (execve, execveat, fexecve, and again for a
 *   script's interpreter) once the file is open, before anything of it runs;
 * - mmap_file with PROT_EXEC: a file mapped executable without being exec'd (the
 *   dynamic loader run as `ld.so FILE`, or any program that maps code itself);
 * - file_mprotect adding PROT_EXEC to a map of a file (mapped readable, then made
 *   executable).
 * Reading a file (read(2), PROT_READ maps) stays allowed. The hooks' return value
 * decides: -EPERM refuses.
 *
 * A rule matches the file it named when the tool started, by (device, inode), with
 * the inode's generation where known: a hard link, a rename, a symlink or a descriptor
 * reaches the same inode. It also matches whatever file is at the rule's path later
 * (the directory's inode and the name in it): a new file renamed over the path runs no
 * more than the old one. --deny-fileless refuses files with no name left (a memfd, an
 * O_TMPFILE file, a deleted one): copies of bytes that no path rule can name.
 *
 * With --allow the rules are an allowlist instead: in the --cgroup given, only the files
 * they name when the tool started (by device, inode and generation; not by path, so
 * nothing renamed over an allowed path runs) may run or be mapped executable; every
 * other file is refused, copies and memfds with them.
 *
 * User space fills the rules before any program attaches; the programs are attached
 * through BPF links that only the tool's process holds: when the process ends,
 * however it ends, the policy ends with it.
 */
#include "events.bpf.h"
#include "path.bpf.h"
#include "execguard.h"

#define EPERM 1
#define PROT_EXEC 0x4

/* --audit: report the attempts, refuse none */
const volatile bool audit_only = false;
/* --deny-fileless: refuse files with no name left (memfd, O_TMPFILE, deleted) */
const volatile bool deny_fileless = false;
/* --allow: the rules name the only files that may run (where the filters apply) */
const volatile bool allow_only = false;

/* The files named at start: (device, inode) -> the rule and the generation. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_RULES);
	__type(key, struct file_id);
	__type(value, struct file_rule);
} rules SEC(".maps");

/* The rules' paths: (directory, name) -> the rule's index. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_RULES);
	__type(key, struct name_id);
	__type(value, __u32);
} rule_paths SEC(".maps");

/*
 * --audit: the file each thread's last audited exec let through. The kernel maps that
 * file executable itself while it loads it: that is the same attempt, not another.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} audited SEC(".maps");

/* Where the event is built: it is far bigger than the 512-byte stack. */
PERCPU_SLOT(heap, struct event);
/* Where a path rule's key is built (264 bytes). */
PERCPU_SLOT(name_heap, struct name_id);

/* The rule `file` falls under: 0 and *rule set, or -1 (none). */
static __always_inline int rule_of(struct file *file, __u32 *rule, __u8 *matched)
{
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	struct dentry *dentry = BPF_CORE_READ(file, f_path.dentry);
	struct inode *dir = BPF_CORE_READ(dentry, d_parent, d_inode);
	struct file_id id = {};
	struct file_rule *by_file;
	struct name_id *name;
	__u32 zero = 0;
	__u32 *by_path;

	id.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	id.ino = BPF_CORE_READ(inode, i_ino);
	by_file = bpf_map_lookup_elem(&rules, &id);
	if (by_file && (!by_file->generation_known ||
			by_file->generation == BPF_CORE_READ(inode, i_generation))) {
		*rule = by_file->rule;
		*matched = MATCHED_FILE;
		return 0;
	}
	/* An allowlist holds files, not paths: user space leaves rule_paths empty. */
	name = allow_only ? NULL : bpf_map_lookup_elem(&name_heap, &zero);
	if (name && dir) {
		/* Zero the whole key: bytes after the name's NUL are part of the hash key. */
		__builtin_memset(name, 0, sizeof(*name));
		name->dir_dev = BPF_CORE_READ(dir, i_sb, s_dev);
		name->dir_ino = BPF_CORE_READ(dir, i_ino);
		bpf_probe_read_kernel_str(name->name, sizeof(name->name),
					  BPF_CORE_READ(dentry, d_name.name));
		by_path = bpf_map_lookup_elem(&rule_paths, name);
		if (by_path) {
			*rule = *by_path;
			*matched = MATCHED_PATH;
			return 0;
		}
	}
	if (deny_fileless && BPF_CORE_READ(inode, __i_nlink) == 0) {
		*rule = RULE_NONE;
		*matched = MATCHED_FILELESS;
		return 0;
	}
	return -1;
}

/*
 * Whether running `file` is refused: a rule names it (*rule and *matched set), or with
 * --allow no rule does. The filters (-p/-u/-c/--cgroup) choose whom the rules apply to.
 */
static __always_inline bool refused(struct file *file, __u32 *rule, __u8 *matched)
{
	if (!allow_only)
		return !rule_of(file, rule, matched) && trace_allowed();
	/* Outside the filters first: the hooks run on every exec of the host. */
	if (!trace_allowed())
		return false;
	if (!rule_of(file, rule, matched))
		return false;
	*rule = RULE_NONE;
	*matched = MATCHED_UNLISTED;
	return true;
}

/*
 * The verdict on running `file` by `route`: 0, or -EPERM and a report when it is
 * refused (--audit: the report only).
 */
static __always_inline int guard(void *ctx, struct file *file, __u8 route)
{
	struct event *event;
	__u32 zero = 0;
	__u8 matched;
	__u32 rule;

	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 file_ptr = (__u64)file;
	__u64 *let_through;

	if (!file)
		return 0;
	if (!refused(file, &rule, &matched)) {
		/* A new program for this thread: what an earlier exec let through is gone
		 * (its struct file may be freed and its address reused). */
		if (audit_only && route == ROUTE_EXEC)
			bpf_map_delete_elem(&audited, &tid);
		return 0;
	}
	if (audit_only) {
		let_through = bpf_map_lookup_elem(&audited, &tid);
		if (route == ROUTE_MMAP && let_through && *let_through == file_ptr)
			return 0;
		if (route == ROUTE_EXEC)
			bpf_map_update_elem(&audited, &tid, &file_ptr, BPF_ANY);
	}
	event = bpf_map_lookup_elem(&heap, &zero);
	if (event) {
		fill_task(&event->task);
		event->rule = rule;
		event->denied = !audit_only;
		event->route = route;
		event->matched = matched;
		path_of_file(&event->path, file);
		submit_event(ctx, event, offsetof(struct event, path.names) + path_used(&event->path));
	}
	return audit_only ? 0 : -EPERM;
}

SEC("lsm/bprm_check_security")
int BPF_PROG(execguard_bprm_check, struct linux_binprm *bprm, int ret)
{
	/* Refused already (by another BPF LSM program): that stands. */
	if (ret)
		return ret;
	return guard(ctx, BPF_CORE_READ(bprm, file), ROUTE_EXEC);
}

SEC("lsm/mmap_file")
int BPF_PROG(execguard_mmap_file, struct file *file, unsigned long reqprot, unsigned long prot,
	     unsigned long flags, int ret)
{
	if (ret)
		return ret;
	/* Anonymous maps (a JIT's) have no file; readable maps of a file stay allowed. */
	if (!(prot & PROT_EXEC))
		return 0;
	return guard(ctx, file, ROUTE_MMAP);
}

SEC("lsm/file_mprotect")
int BPF_PROG(execguard_file_mprotect, struct vm_area_struct *vma, unsigned long reqprot,
	     unsigned long prot, int ret)
{
	if (ret)
		return ret;
	if (!(prot & PROT_EXEC))
		return 0;
	return guard(ctx, BPF_CORE_READ(vma, vm_file), ROUTE_MPROTECT);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
