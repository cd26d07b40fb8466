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
 * Wake the reader only once this much data waits in the ring buffer. A wakeup per
 * event (flags 0) costs the traced task an irq_work and the reader a context switch
 * per event; batching them is most of the difference under a burst. User space polls
 * with a timeout, so a trickle of events still shows up within that timeout.
 */
const volatile __u64 wakeup_data_size = 0;

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
	__u64 waiting;
	long err;

	*(__u64 *)data = bpf_ktime_get_boot_ns();
	if (use_perf_buffer) {
		err = bpf_perf_event_output(ctx, &events_pb, BPF_F_CURRENT_CPU, data, size);
	} else {
		/*
		 * Wake the reader when this record takes the data waiting past a multiple
		 * of wakeup_data_size, not for every record above it: the reader sleeps
		 * only on an empty ring (its poll is level-triggered), so one wakeup per
		 * mark is enough, and a reader slower than its producers (a loaded or
		 * emulated machine) would otherwise cost every record an irq_work. Two CPUs
		 * racing past one mark may both miss it; the next mark wakes the reader.
		 */
		waiting = bpf_ringbuf_query(&events_rb, BPF_RB_AVAIL_DATA);
		err = bpf_ringbuf_output(&events_rb, data, size,
					 waiting / wakeup_data_size !=
					 (waiting + size) / wakeup_data_size ?
					 BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
	}
	if (err)
		count_dropped();
}

#endif /* __EVENTS_BPF_H */
