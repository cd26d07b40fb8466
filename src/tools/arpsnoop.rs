//! arpsnoop's identity: command line and record (what it does: src/bin/arpsnoop.rs).

use schemars::JsonSchema;
use serde::Serialize;

use crate::cli::FilterArgs;
use crate::cli::ModeArgs;
use crate::cli::StreamArgs;
use crate::preflight::KernelFunction;
use crate::record::cell_text;
use crate::record::Column;
use crate::record::Table;
use crate::tool::Hooks;
use crate::tools::Tool;

pub const TOOL: Tool = Tool::events::<Args, Arp>(
    "arpsnoop",
    "Show the ARP requests and replies the host sends (IPv4 over Ethernet).",
    EXAMPLES,
);

/// The two ways into the kernel: kprobes where the kernel has them, else tracepoints.
pub const HOOKS: Hooks = Hooks::new(
    "ARP",
    // Only its return value (the frame built) is read.
    &[KernelFunction::new(&["arp_create"], &[])],
    "kretprobe",
    "tracepoint net/net_dev_queue",
);

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub mode: ModeArgs,
    #[command(flatten)]
    pub filters: FilterArgs,
    #[command(flatten)]
    pub stream: StreamArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    arpsnoop                    # every ARP frame the host sends
    arpsnoop --json
    arpsnoop --mode tracepoint  # every ARP frame queued to a device, packet sockets'
                                # (arping) too

With kprobes (the default where the kernel has them) the frames are those the
kernel's ARP code builds (arp_create); with --mode tracepoint, or where the kernel
has no kprobes, every ARP frame handed to a device. TIME is always shown; -p/-c/-u
match the task on the CPU, which for the kernel's own requests is often not the
one whose packet needed the address.";

/// One ARP frame the host sent.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Arp {
    /// The network device
    pub dev: String,
    /// request, reply, or op-N
    pub op: String,
    pub src_ip: String,
    pub src_mac: String,
    pub dst_ip: String,
    pub dst_mac: String,
}

impl Arp {
    /// `DEV OP SRC_IP SRC_MAC -> DST_IP DST_MAC`, after the TIME the tool always shows.
    pub fn table() -> Table {
        Table::new()
            .column(Column::left("dev", "DEV", 16))
            .column(Column::left("op", "OP", 7))
            .column(Column::left("src_ip", "SRC_IP", 15))
            .column(
                Column::left("src_mac", "SRC_MAC", 20)
                    .formatted(|record| format!("{:<17} ->", cell_text(&record["src_mac"]))),
            )
            .column(Column::left("dst_ip", "DST_IP", 15))
            .column(Column::last("dst_mac", "DST_MAC"))
    }
}
