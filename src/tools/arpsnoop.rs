//! arpsnoop's identity: command line and record (what it does: src/bin/arpsnoop.rs).

use schemars::JsonSchema;
use serde::Serialize;

use crate::cli::FilterArgs;
use crate::cli::ModeArgs;
use crate::cli::StreamArgs;
use crate::tools::Tool;

pub const TOOL: Tool = Tool::events::<Args, Arp>(
    "arpsnoop",
    "Show the ARP requests and replies the host sends (IPv4 over Ethernet).",
    EXAMPLES,
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
