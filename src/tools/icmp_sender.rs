//! icmp_sender's identity: command line (what it does: src/bin/icmp_sender.rs).

use std::net::Ipv4Addr;

use crate::tools::Tool;

pub const TOOL: Tool = Tool::helper::<Args>(
    "icmp_sender",
    "Send ICMP echo requests out of an interface through an AF_PACKET socket.",
    EXAMPLES,
);

const EXAMPLES: &str = "\
EXAMPLES:
    icmp_sender veth0                      # one broadcast echo request out of veth0
    icmp_sender veth0 --count 100 --dst-ip 192.0.2.7 --dst-mac 02:00:00:00:00:07
    netpkt_count -c icmp_sender & icmp_sender veth0 --count 10";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Interface to send on (e.g. veth0)
    pub interface: String,
    /// How many echo requests to send
    #[arg(long = "count", value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub count: u32,
    /// Destination IPv4 address
    #[arg(
        long = "dst-ip",
        value_name = "ADDR",
        default_value = "255.255.255.255"
    )]
    pub dst_ip: Ipv4Addr,
    /// Source IPv4 address (default: the interface's first IPv4 address, else 0.0.0.0)
    #[arg(long = "src-ip", value_name = "ADDR")]
    pub src_ip: Option<Ipv4Addr>,
    /// Destination MAC address
    #[arg(long = "dst-mac", value_name = "MAC", default_value = "ff:ff:ff:ff:ff:ff",
          value_parser = parse_mac)]
    pub dst_mac: [u8; 6],
}

pub fn parse_mac(text: &str) -> Result<[u8; 6], String> {
    let parts: Vec<&str> = text.split(':').collect();
    let mut mac = [0u8; 6];
    if parts.len() != 6 {
        return Err(format!(
            "'{text}' is not a MAC address (six hex bytes, aa:bb:cc:dd:ee:ff)"
        ));
    }
    for (byte, part) in mac.iter_mut().zip(parts) {
        *byte = u8::from_str_radix(part, 16).map_err(|_| {
            format!("'{text}' is not a MAC address (six hex bytes, aa:bb:cc:dd:ee:ff)")
        })?;
    }
    Ok(mac)
}
