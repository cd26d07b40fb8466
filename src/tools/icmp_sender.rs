//! icmp_sender: sends N ICMP echo requests out of one interface through an AF_PACKET
//! socket, building the Ethernet, IPv4 and ICMP headers itself (the tutorial's test
//! program for netpkt_count). No routing, no ARP: the frame leaves the interface as is.

use std::fs;
use std::net::Ipv4Addr;
use std::os::fd::AsRawFd;
use std::os::fd::FromRawFd;
use std::os::fd::OwnedFd;
use std::process::ExitCode;

use anyhow::Context;
use anyhow::Result;
use anyhow::bail;

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

/// The tool: parses its command line, runs, and says how it ended (its exit code).
pub fn main() -> ExitCode {
    TOOL.main(send)
}

fn send(args: &Args) -> Result<()> {
    let ifindex = nix::net::if_::if_nametoindex(args.interface.as_str())
        .with_context(|| format!("no interface named {}", args.interface))?;
    let src_mac = interface_mac(&args.interface)?;
    let src_ip = match args.src_ip {
        Some(ip) => ip,
        None => interface_ipv4(&args.interface).unwrap_or(Ipv4Addr::UNSPECIFIED),
    };
    let socket = packet_socket(ifindex)?;
    let id = (std::process::id() & 0xffff) as u16;
    for seq in 0..args.count {
        let frame = echo_request_frame(args.dst_mac, src_mac, src_ip, args.dst_ip, id, seq as u16);
        // SAFETY: a valid fd and a buffer we own.
        let sent = unsafe { libc::send(socket.as_raw_fd(), frame.as_ptr().cast(), frame.len(), 0) };
        if sent < 0 {
            return Err(std::io::Error::last_os_error())
                .context("send on the packet socket failed");
        }
    }
    println!(
        "sent {} ICMP echo requests on {} ({src_ip} -> {})",
        args.count, args.interface, args.dst_ip
    );
    Ok(())
}

/// An AF_PACKET raw socket bound to one interface.
fn packet_socket(ifindex: u32) -> Result<OwnedFd> {
    let protocol = (libc::ETH_P_ALL as u16).to_be();
    // SAFETY: plain socket(2); the fd is owned right away.
    let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW, i32::from(protocol)) };
    if fd < 0 {
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::EPERM) {
            bail!("an AF_PACKET socket needs root or CAP_NET_RAW");
        }
        return Err(err).context("socket(AF_PACKET) failed");
    }
    // SAFETY: fd is a fresh socket nobody else owns.
    let socket = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: zeroed sockaddr_ll is valid; we set the fields bind needs.
    let mut addr: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    addr.sll_family = libc::AF_PACKET as u16;
    addr.sll_protocol = protocol;
    addr.sll_ifindex = ifindex as i32;
    // SAFETY: addr is a valid sockaddr_ll of the given size.
    let bound = unsafe {
        libc::bind(
            socket.as_raw_fd(),
            (&addr as *const libc::sockaddr_ll).cast(),
            std::mem::size_of::<libc::sockaddr_ll>() as u32,
        )
    };
    if bound < 0 {
        return Err(std::io::Error::last_os_error()).context("bind to the interface failed");
    }
    Ok(socket)
}

fn interface_mac(interface: &str) -> Result<[u8; 6]> {
    let path = format!("/sys/class/net/{interface}/address");
    let text = fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    parse_mac(text.trim()).map_err(|err| anyhow::anyhow!("{path}: {err}"))
}

fn interface_ipv4(interface: &str) -> Option<Ipv4Addr> {
    nix::ifaddrs::getifaddrs().ok()?.find_map(|ifaddr| {
        if ifaddr.interface_name != interface {
            return None;
        }
        let addr = ifaddr.address?;
        addr.as_sockaddr_in().map(|sin| sin.ip())
    })
}

const PAYLOAD: &[u8; 32] = b"ebpf-tracers icmp_sender payload";

/// Ethernet + IPv4 + ICMP echo request, checksums filled in.
fn echo_request_frame(
    dst_mac: [u8; 6],
    src_mac: [u8; 6],
    src_ip: Ipv4Addr,
    dst_ip: Ipv4Addr,
    id: u16,
    seq: u16,
) -> Vec<u8> {
    let mut icmp = vec![8u8, 0, 0, 0];
    icmp.extend_from_slice(&id.to_be_bytes());
    icmp.extend_from_slice(&seq.to_be_bytes());
    icmp.extend_from_slice(PAYLOAD);
    let sum = internet_checksum(&icmp);
    icmp[2..4].copy_from_slice(&sum.to_be_bytes());

    let total_len = (20 + icmp.len()) as u16;
    let mut ip = vec![0x45u8, 0];
    ip.extend_from_slice(&total_len.to_be_bytes());
    ip.extend_from_slice(&seq.to_be_bytes()); // identification
    ip.extend_from_slice(&0x4000u16.to_be_bytes()); // don't fragment
    ip.extend_from_slice(&[64, 1, 0, 0]); // ttl, protocol ICMP, checksum
    ip.extend_from_slice(&src_ip.octets());
    ip.extend_from_slice(&dst_ip.octets());
    let sum = internet_checksum(&ip);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());

    let mut frame = Vec::with_capacity(14 + ip.len() + icmp.len());
    frame.extend_from_slice(&dst_mac);
    frame.extend_from_slice(&src_mac);
    frame.extend_from_slice(&0x0800u16.to_be_bytes());
    frame.extend(ip);
    frame.extend(icmp);
    frame
}

/// RFC 1071 one's-complement sum.
fn internet_checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|pair| u32::from(u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)])))
        .sum();
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_verify_to_zero() {
        let frame = echo_request_frame(
            [0xff; 6],
            [2, 0, 0, 0, 0, 1],
            Ipv4Addr::new(192, 0, 2, 1),
            Ipv4Addr::new(192, 0, 2, 2),
            7,
            3,
        );
        assert_eq!(frame.len(), 14 + 20 + 8 + PAYLOAD.len());
        assert_eq!(&frame[12..14], &[0x08, 0x00]);
        assert_eq!(internet_checksum(&frame[14..34]), 0, "IPv4 header checksum");
        assert_eq!(internet_checksum(&frame[34..]), 0, "ICMP checksum");
        assert_eq!(frame[34], 8, "echo request");
    }

    #[test]
    fn mac_addresses_parse_or_explain() {
        assert_eq!(parse_mac("02:00:00:00:00:0a"), Ok([2, 0, 0, 0, 0, 10]));
        assert!(parse_mac("02:00:00").is_err());
        assert!(parse_mac("zz:00:00:00:00:00").is_err());
    }
}
