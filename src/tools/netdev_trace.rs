//! netdev_trace: packets queued for transmit (net/net_dev_queue) and received
//! (net/netif_receive_skb), one line each. The kernel side, and why it tells the two
//! tracepoints apart the way it does, is bpf/netdev_trace.bpf.c.

use std::process::ExitCode;

use schemars::JsonSchema;
use serde::Serialize;

use crate::cli::FilterArgs;
use crate::cli::StreamArgs;
use crate::cli::c_chars;
use crate::cli::parse_comm;
use crate::model::bytes::c_bytes;
use crate::model::bytes::escape;
use crate::output::record::Column;
use crate::output::record::Table;
use crate::kernel;
use crate::kernel::load::Loading;
use crate::output::stream::StreamSpec;
use crate::tools::Tool;

use skel::NetdevTraceSkelBuilder;
use skel::types::event;

// The generated skeleton of bpf/netdev_trace.bpf.c, as `skel` (src/kernel/skel.rs).
crate::kernel::skel::skeleton!(
    netdev_trace, OpenNetdevTraceSkel => NetdevTraceSkel,
    streaming,
    plain[event]
);

pub const TOOL: Tool = Tool::events::<Args, Packet>(
    "netdev_trace",
    "Trace packets queued to and received from network devices.",
    EXAMPLES,
);

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub filters: FilterArgs,
    /// Only this network device (matched in the kernel; at most 15 bytes)
    #[arg(short = 'D', long = "dev", value_name = "IFACE", value_parser = parse_comm)]
    pub dev: Option<String>,
    #[command(flatten)]
    pub stream: StreamArgs,
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

/// One packet queued for transmit or received.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Packet {
    /// TX (net_dev_queue) or RX (netif_receive_skb)
    pub dir: String,
    /// The network device
    pub dev: String,
    /// Bytes (skb->len)
    pub len: u32,
}

impl Packet {
    /// `DIR DEV LEN`, after the TIME the tool always shows.
    pub fn table() -> Table {
        Table::new()
            .column(Column::left("dir", "DIR", 3))
            .column(Column::left("dev", "DEV", 16))
            .column(Column::right("len", "LEN", 6))
    }
}

const DIR_TX: u32 = 0;

/// The tool: parses its command line, runs, and says how it ended (its exit code).
pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        let loading = Loading::stream(&args.filters, &args.stream);
        let tracing = kernel::load::<NetdevTraceSkelBuilder>(loading, |open| {
            let rodata = open.rodata()?;
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
