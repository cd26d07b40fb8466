//! netdev_trace: packets queued for transmit (net/net_dev_queue) and received
//! (net/netif_receive_skb), one line each. The kernel side, and why it tells the two
//! tracepoints apart the way it does, is bpf/netdev_trace.bpf.c.

use std::io;
use std::process::ExitCode;

use clap::Parser;

use ebpf_tracers::cli::c_chars;
use ebpf_tracers::cli::parse_comm;
use ebpf_tracers::cli::FilterArgs;
use ebpf_tracers::cli::StreamArgs;
use ebpf_tracers::events::decode_prefix;
use ebpf_tracers::output::c_bytes;
use ebpf_tracers::output::escape;
use ebpf_tracers::output::local_time_hms;
use ebpf_tracers::output::JsonLine;
use ebpf_tracers::output::Output;
use ebpf_tracers::skel::netdev_trace::types::event;
use ebpf_tracers::skel::netdev_trace::NetdevTraceSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tool::StreamSpec;

/// Trace packets queued to and received from network devices.
#[derive(Debug, Parser)]
#[command(name = "netdev_trace", version, after_help = EXAMPLES)]
struct Args {
    #[command(flatten)]
    filters: FilterArgs,
    /// Only this network device (matched in the kernel; at most 15 bytes)
    #[arg(short = 'D', long = "dev", value_name = "IFACE", value_parser = parse_comm)]
    dev: Option<String>,
    #[command(flatten)]
    stream: StreamArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    netdev_trace                # every packet queued or received, on every device
    netdev_trace --dev eth0     # only eth0
    netdev_trace --json

DIR is TX for net/net_dev_queue and RX for net/netif_receive_skb. Each tracepoint
has its own thin entry point into one shared body, which is how the direction is
known on every kernel (a record's event id is hidden from BPF programs, and attach
cookies need 5.15+). -p/-c/-u match the task on the CPU, which for receives is
often not the receiver.";

const DIR_TX: u32 = 0;

fn main() -> ExitCode {
    ebpf_tracers::run::tool_main("netdev_trace", |args: &Args| {
        let loading = Loading::stream(&args.filters, &args.stream);
        let tracing = tool::load::<NetdevTraceSkelBuilder>(loading, |rodata| {
            rodata.filter_dev = args.dev.is_some();
            rodata.targ_dev = c_chars(args.dev.as_deref().unwrap_or(""));
            Ok(())
        })?;
        let header = format!("{:<8} {:<3} {:<16} {:>6}", "TIME", "DIR", "DEV", "LEN");
        let spec = StreamSpec::new(
            "net_dev_queue (TX) and netif_receive_skb (RX)",
            header,
            &args.stream,
        );
        tracing.stream(spec, |output, data| print_event(args, output, data))
    })
}

fn print_event(args: &Args, output: &Output, data: &[u8]) -> io::Result<()> {
    let Some(event) = decode_prefix::<event>(data, std::mem::size_of::<event>()) else {
        return Ok(());
    };
    let dir = if event.dir == DIR_TX { "TX" } else { "RX" };
    let dev = escape(c_bytes(&event.dev));
    let time = local_time_hms();
    if args.stream.output.json {
        let line = JsonLine::new()
            .str("time", &time)
            .str("dir", dir)
            .str("dev", &dev)
            .uint("len", event.len.into())
            .finish();
        return output.line(&line);
    }
    output.line(&format!("{time:<8} {dir:<3} {dev:<16} {:>6}", event.len))
}
