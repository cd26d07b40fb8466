//! netdev_trace's identity: command line and record (what it does:
//! src/bin/netdev_trace.rs).

use schemars::JsonSchema;
use serde::Serialize;

use crate::cli::parse_comm;
use crate::cli::FilterArgs;
use crate::cli::StreamArgs;
use crate::record::Column;
use crate::record::Table;
use crate::tools::Tool;

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
