// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bashreadline: every line an interactive shell reads with readline(), from a
 * uretprobe on readline in the shell binary (or in a libreadline given by user space),
 * which returns the line the user typed.
 *
 * The section names no binary: user space attaches the program where -s says.
 */
#include "events.bpf.h"
#include "bashreadline.h"

/* The event is built here: at ~290 bytes it would take most of the BPF stack. */
PERCPU_SLOT(heap, struct event);

SEC("uretprobe")
int BPF_URETPROBE(uretprobe__readline, const char *line)
{
	struct event *event;
	__u32 zero = 0;
	long len;

	/* NULL: end of input (Ctrl-D), not a line. */
	if (!line || !trace_allowed())
		return 0;
	event = bpf_map_lookup_elem(&heap, &zero);
	if (!event)
		return 0;
	len = bpf_probe_read_user_str(event->line, sizeof(event->line), line);
	/* An empty line (Enter alone) runs nothing. */
	if (len <= 1)
		return 0;
	if (len > sizeof(event->line))
		len = sizeof(event->line);
	fill_task(&event->task);
	submit_event(ctx, event, offsetof(struct event, line) + len);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
