//! arpsnoop: the ARP requests and replies the host sends, one line each.
//! The kernel side is bpf/arpsnoop.bpf.c.

use std::net::Ipv4Addr;
use std::process::ExitCode;

use schemars::JsonSchema;
use serde::Serialize;

use crate::cli::FilterArgs;
use crate::cli::ModeArgs;
use crate::cli::StreamArgs;
use crate::model::bytes::c_bytes;
use crate::model::bytes::escape;
use crate::kernel::preflight::KernelFunction;
use crate::output::record::Column;
use crate::output::record::Table;
use crate::output::record::cell_text;
use crate::kernel;
use crate::kernel::load::Hooks;
use crate::kernel::load::Loading;
use crate::output::stream::StreamSpec;
use crate::tools::Tool;

use skel::ArpsnoopSkelBuilder;
use skel::types::event;

// The generated skeleton of bpf/arpsnoop.bpf.c, as `skel` (src/kernel/skel.rs).
crate::kernel::skel::skeleton!(arpsnoop, OpenArpsnoopSkel => ArpsnoopSkel, streaming, plain[event]);

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

const ARP_REQUEST: u16 = 1;
const ARP_REPLY: u16 = 2;

/// The tool: parses its command line, runs, and says how it ended (its exit code).
pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        let probes = HOOKS.choose(&args.mode, &args.stream.run)?;
        let loading = Loading::stream(&args.filters, &args.stream).probes(&probes);
        let tracing = kernel::load::<ArpsnoopSkelBuilder>(loading, |_| Ok(()))?;
        let spec = StreamSpec::new(&probes.what, Arp::table(), &args.stream).always_timed();
        tracing.stream_events(spec, |event: event| {
            Some(Arp {
                dev: escape(c_bytes(&event.dev)),
                op: operation(event.op),
                src_ip: Ipv4Addr::from(event.src_ip).to_string(),
                src_mac: mac(&event.src_mac),
                dst_ip: Ipv4Addr::from(event.dst_ip).to_string(),
                dst_mac: mac(&event.dst_mac),
            })
        })
    })
}

fn mac(bytes: &[u8; 6]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn operation(op: u16) -> String {
    match op {
        ARP_REQUEST => "request".into(),
        ARP_REPLY => "reply".into(),
        other => format!("op-{other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_and_operations_read_as_ip_neigh_shows_them() {
        assert_eq!(mac(&[0, 0x1b, 0x2c, 0, 0xff, 9]), "00:1b:2c:00:ff:09");
        assert_eq!(operation(1), "request");
        assert_eq!(operation(2), "reply");
        assert_eq!(operation(8), "op-8");
    }
}
