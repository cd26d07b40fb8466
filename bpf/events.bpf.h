/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Event output for the tools that stream events: a BPF ring buffer by default, or a perf
 * event array with --perf-buffer, chosen by user space before load (use_perf_buffer is
 * rodata, so the verifier drops the branch not taken).
 *
 * Both maps always exist; user space shrinks the unused one to its minimum, so choosing
 * costs no memory. Apart from aggregating tools, which include only common.bpf.h, every
 * program submits through submit_event() and never touches the maps directly.
 */
#ifndef __EVENTS_BPF_H
#define __EVENTS_BPF_H

#include "common.bpf.h"

const volatile bool use_perf_buffer = false;
/*
 * Wake the reader once per this many bytes this CPU submitted (its share of
 * RINGBUF_WAKEUP_BYTES in src/kernel/events.rs; so no more than that waits unannounced).
 * A wakeup per event (flags 0) costs the traced task an irq_work and the reader a
 * context switch per event; batching them is most of the difference under a burst, and
 * a reader slower than its producers (a loaded or emulated machine) must not cost every
 * record one. User space polls with a timeout, so a trickle of events still shows up
 * within that timeout. Counted per CPU with a plain add (a per-CPU array lookup, which
 * newer kernels inline): asking the ring how much waits (bpf_ringbuf_query) and
 * dividing took ~25 ns more per event here.
 */
const volatile __u64 wakeup_share = 1;
PERCPU_SLOT(unwoken_bytes, __u64);

/* Sized by user space before load (RINGBUF_BYTES in src/events.rs); this is only the default. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} events_rb SEC(".maps");

/* One perf ring per CPU: libbpf sets max_entries to the number of CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events_pb SEC(".maps");

/*
 * Events the kernel could not hand to user space (buffer full), per CPU so that the
 * counting itself never contends. Counted here for both buffer kinds: it is exact and
 * readable at exit, unlike perf's PERF_RECORD_LOST, which only arrives with a later
 * successful record.
 */
PERCPU_SLOT(dropped_events, __u64);

/* One event lost on the way to user space (the buffer, or an in-flight map, was full). */
static __always_inline void count_dropped(void)
{
	__u32 zero = 0;
	__u64 *dropped = bpf_map_lookup_elem(&dropped_events, &zero);

	if (dropped)
		*dropped += 1;
}

/*
 * Sends one event record to user space. Every record starts with a __u64 (task_info's
 * ts, or the event's own): submit_event() writes the event's time there, so that user
 * space can time any record the same way. CLOCK_BOOTTIME, not CLOCK_MONOTONIC: it
 * keeps counting through a suspend, so its offset to the wall clock stays put.
 */
static __always_inline void submit_event(void *ctx, void *data, __u64 size)
{
	__u64 flags = BPF_RB_NO_WAKEUP;
	__u32 zero = 0;
	__u64 *unwoken;
	long err;

	*(__u64 *)data = bpf_ktime_get_boot_ns();
	if (use_perf_buffer) {
		err = bpf_perf_event_output(ctx, &events_pb, BPF_F_CURRENT_CPU, data, size);
	} else {
		unwoken = bpf_map_lookup_elem(&unwoken_bytes, &zero);
		if (unwoken) {
			*unwoken += size;
			if (*unwoken >= wakeup_share) {
				*unwoken = 0;
				flags = BPF_RB_FORCE_WAKEUP;
			}
		}
		err = bpf_ringbuf_output(&events_rb, data, size, flags);
	}
	if (err)
		count_dropped();
}

#endif /* __EVENTS_BPF_H */
