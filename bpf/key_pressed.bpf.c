// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * key_pressed: key presses, from a kprobe on input_event, through which every input
 * device driver (and uinput) reports its events. There is no tracepoint for input
 * events, so a kernel without kprobes cannot run this tool.
 *
 * Only presses are reported (EV_KEY with value 1): not releases (0) or auto-repeats
 * (2). Presses happen in interrupt context, on whatever task was running: -p/-c/-u
 * are not offered.
 */
#include "events.bpf.h"
#include "key_pressed.h"

#define EV_KEY 0x01

/* Presses per key code, for the top 10 at exit. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} presses SEC(".maps");

/*
 * The events are built on the stack, so no map names struct event; this global does,
 * which makes libbpf-cargo generate the Rust type for it.
 */
struct event *event_type_export __attribute__((unused));

SEC("kprobe/input_event")
int BPF_KPROBE(kprobe__input_event, struct input_dev *dev, unsigned int type,
	       unsigned int code, int value)
{
	struct event event = {};

	if (type != EV_KEY || value != 1)
		return 0;
	count_key(&presses, &code, 1);
	event.code = code;
	bpf_probe_read_kernel_str(event.device, sizeof(event.device), BPF_CORE_READ(dev, name));
	submit_event(ctx, &event, sizeof(event));
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
