//! netdev_trace: packets queued for transmit (net/net_dev_queue) and received
//! (net/netif_receive_skb), one line each. The kernel side, and why it tells the two
//! tracepoints apart the way it does, is bpf/netdev_trace.bpf.c.

use std::process::ExitCode;

use ebpf_tracers::cli::c_chars;
use ebpf_tracers::output::c_bytes;
use ebpf_tracers::output::escape;
use ebpf_tracers::skel::netdev_trace::types::event;
use ebpf_tracers::skel::netdev_trace::NetdevTraceSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tool::StreamSpec;
use ebpf_tracers::tools::netdev_trace::Args;
use ebpf_tracers::tools::netdev_trace::Packet;
use ebpf_tracers::tools::netdev_trace::TOOL;

const DIR_TX: u32 = 0;

pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        let loading = Loading::stream(&args.filters, &args.stream);
        let tracing = tool::load::<NetdevTraceSkelBuilder>(loading, |rodata| {
            rodata.filter_dev = args.dev.is_some();
            rodata.targ_dev = c_chars(args.dev.as_deref().unwrap_or(""));
            Ok(())
        })?;
        let what = "net_dev_queue (TX) and netif_receive_skb (RX)";
        let spec = StreamSpec::new(what, Packet::table(), &args.stream).always_timed();
        tracing.stream_events(spec, |event: event| {
            let dir = if event.dir == DIR_TX { "TX" } else { "RX" };
            Some(Packet {
                dir: dir.to_string(),
                dev: escape(c_bytes(&event.dev)),
                len: event.len,
            })
        })
    })
}
