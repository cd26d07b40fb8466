//! The network tools against traffic the test itself sends inside a veth pair joining
//! two network namespaces it creates (catalogue rows: netpkt_count with icmp_sender,
//! netdev_trace, xdp_drop_count, arpsnoop). Nothing leaves the namespaces.

use crate::helpers::*;

const NETPKT_COUNT: &str = env!("CARGO_BIN_EXE_netpkt_count");
const NETDEV_TRACE: &str = env!("CARGO_BIN_EXE_netdev_trace");
const ICMP_SENDER: &str = env!("CARGO_BIN_EXE_icmp_sender");
const XDP_DROP_COUNT: &str = env!("CARGO_BIN_EXE_xdp_drop_count");
const ARPSNOOP: &str = env!("CARGO_BIN_EXE_arpsnoop");

#[test]
fn netpkt_count_sees_every_packet_icmp_sender_transmits() {
    tracer_test!();
    let pair = VethPair::create("np");
    // Run icmp_sender under a unique name, so that -c matches this test's run only.
    let comm = unique_name("np");
    let sender = unique_copy_of(ICMP_SENDER, &comm);
    let tracer = Tracer::start(NETPKT_COUNT, &["-c", &comm, "--json", "-i", "3600"]);
    let output = pair
        .in_a(&sender)
        .args([pair.dev_a.as_str(), "--count", "12", "--dst-ip", pair.ip_b])
        .output()
        .unwrap();
    assert!(output.status.success(), "icmp_sender: {output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("sent 12 ICMP echo requests"));
    let finished = tracer.interrupt();
    finished.assert_clean_exit();

    let report = total_report(&finished);
    // At least the 12 requests: the replies that nsB sends in the same softirq, still
    // on the sender's CPU and in its task, count too (plus an ARP exchange).
    let tx = report["total"]["tx"].as_u64().unwrap();
    assert!(tx >= 12, "{report}");
    // Per-CPU rows (CPU numbers) add up to the total.
    let per_cpu_tx: u64 = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            assert!(row["cpu"].is_u64(), "{row}");
            row["tx"].as_u64().unwrap()
        })
        .sum();
    assert_eq!(per_cpu_tx, tx, "{report}");
}

#[test]
fn icmp_sender_explains_a_missing_interface() {
    let output = run(ICMP_SENDER, &["no_such_if0"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no interface named no_such_if0"),
        "{stderr}"
    );
}

/// DIR DEV LEN of each table row.
fn packets(stdout: &str) -> Vec<(String, String, u32)> {
    table_cells(stdout)
        .into_iter()
        .filter_map(|f| {
            Some((
                f.get(1)?.to_string(),
                f.get(2)?.to_string(),
                f.get(3)?.parse().ok()?,
            ))
        })
        .collect()
}

fn ping_across(pair: &VethPair, count: &str) {
    let output = pair
        .in_a("ping")
        .args(["-c", count, "-i", "0.2", "-W", "5", pair.ip_b])
        .output()
        .expect("cannot run ping (install iputils-ping)");
    assert!(output.status.success(), "ping failed: {output:?}");
}

#[test]
fn netdev_trace_shows_tx_on_one_end_and_rx_on_the_other() {
    tracer_test!();
    let pair = VethPair::create("nd");
    let tracer = Tracer::start(NETDEV_TRACE, &[]);
    ping_across(&pair, "3");
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    let packets = packets(&finished.stdout);

    // 98 bytes: an echo request with its Ethernet header, as queued on the sender;
    // 84: the same packet received, the Ethernet header already pulled.
    let sent = packets
        .iter()
        .filter(|(dir, dev, len)| dir == "TX" && *dev == pair.dev_a && *len == 98);
    let received = packets
        .iter()
        .filter(|(dir, dev, len)| dir == "RX" && *dev == pair.dev_b && *len == 84);
    assert!(sent.count() >= 3, "TX on {}: {packets:?}", pair.dev_a);
    assert!(received.count() >= 3, "RX on {}: {packets:?}", pair.dev_b);
}

#[test]
fn netdev_trace_dev_filter_and_json() {
    tracer_test!();
    let pair = VethPair::create("nj");
    let tracer = Tracer::start(NETDEV_TRACE, &["--dev", &pair.dev_b, "--json"]);
    ping_across(&pair, "2");
    let finished = tracer.interrupt();
    finished.assert_clean_exit();

    let events: Vec<serde_json::Value> = finished.json_lines();
    assert!(
        events.iter().all(|e| e["dev"] == pair.dev_b.as_str()),
        "--dev let others through: {events:?}"
    );
    let requests_in = events
        .iter()
        .filter(|e| e["dir"] == "RX" && e["len"] == 84)
        .count();
    let replies_out = events
        .iter()
        .filter(|e| e["dir"] == "TX" && e["len"] == 98)
        .count();
    assert!(requests_in >= 2 && replies_out >= 2, "{events:?}");
}

/// xdp_drop_count on B's end of the pair, run inside B's namespace (where the
/// interface's name means something), reporting once, at the end.
fn xdp_on_b(pair: &VethPair, extra: &[&str]) -> Tracer {
    let mut args = vec!["netns", "exec", &pair.ns_b, XDP_DROP_COUNT, &pair.dev_b];
    args.extend_from_slice(&["--json", "-i", "3600"]);
    args.extend_from_slice(extra);
    Tracer::start("ip", &args)
}

/// PACKETS and DROPPED of PROTO in the final report.
fn xdp_counts(finished: &Finished, proto: &str) -> (u64, u64) {
    let report = total_report(finished);
    let rows = report_rows(&report, "proto", proto);
    assert_eq!(rows.len(), 1, "no {proto} row: {report}");
    let count = |name: &str| rows[0][name].as_u64().unwrap_or_else(|| panic!("{report}"));
    (count("packets"), count("dropped"))
}

#[test]
fn xdp_drop_count_counts_the_pings_an_interface_receives() {
    tracer_test!();
    let pair = VethPair::create("xc");
    let tracer = xdp_on_b(&pair, &[]);
    ping_across(&pair, "3");
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    // B receives the three echo requests (its replies leave it: XDP sees none).
    assert_eq!(xdp_counts(&finished, "icmp"), (3, 0));
}

#[test]
fn xdp_drop_count_drops_the_protocol_it_is_told_to() {
    tracer_test!();
    let pair = VethPair::create("xd");
    let tracer = xdp_on_b(&pair, &["--drop", "icmp"]);
    let ping = pair
        .in_a("ping")
        .args(["-c", "3", "-i", "0.2", "-W", "1", pair.ip_b])
        .output()
        .expect("cannot run ping (install iputils-ping)");
    assert!(
        !ping.status.success(),
        "ping got answers through --drop icmp: {ping:?}"
    );
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    assert_eq!(xdp_counts(&finished, "icmp"), (3, 3));
    // ARP still passes (or ping would not even have sent its requests).
    let (arp, arp_dropped) = xdp_counts(&finished, "arp");
    assert!(
        arp >= 1 && arp_dropped == 0,
        "arp {arp} dropped {arp_dropped}"
    );
}

/// A's request for an address nobody in the pair has, as arpsnoop (with `mode_args`)
/// shows it: from A's address and MAC, to the address asked for and a zero MAC.
fn arp_request_for_a_fresh_address(mode_args: &[&str], tag: &str) -> Finished {
    let pair = VethPair::create(tag);
    let mut args = vec!["--json"];
    args.extend_from_slice(mode_args);
    let tracer = Tracer::start(ARPSNOOP, &args);
    // Nobody answers for .99: the ping fails, and A has asked who has it.
    let _ = pair
        .in_a("ping")
        .args(["-c", "1", "-W", "1", "10.254.0.99"])
        .output()
        .expect("cannot run ping (install iputils-ping)");
    let finished = tracer.interrupt();
    finished.assert_clean_exit();
    let mac = pair
        .in_a("cat")
        .arg(format!("/sys/class/net/{}/address", pair.dev_a))
        .output()
        .unwrap();
    let mac = String::from_utf8_lossy(&mac.stdout).trim().to_string();
    let events = finished.json_lines();
    let request = events
        .iter()
        .find(|e| e["dev"] == pair.dev_a.as_str() && e["dst_ip"] == "10.254.0.99")
        .unwrap_or_else(|| panic!("no ARP request on {}: {events:?}", pair.dev_a));
    assert_eq!(request["op"], "request");
    assert_eq!(request["src_ip"], pair.ip_a);
    assert_eq!(request["src_mac"], mac.as_str());
    assert_eq!(request["dst_mac"], "00:00:00:00:00:00");
    finished
}

#[test]
fn arpsnoop_shows_the_request_for_a_fresh_address() {
    tracer_test!();
    let finished = arp_request_for_a_fresh_address(&[], "ar");
    let hook = if kernel_has_kprobes() {
        "via kretprobe arp_create"
    } else {
        "via tracepoint net/net_dev_queue"
    };
    assert!(finished.stderr.contains(hook), "{}", finished.stderr);
}

#[test]
fn arpsnoop_tracepoint_mode_works_on_every_kernel() {
    tracer_test!();
    arp_request_for_a_fresh_address(&["--mode", "tracepoint"], "at");
}

record_test!(netdev_trace, |tool, stop, _comm| {
    let pair = VethPair::create("rn");
    let args = vec!["--json", "--dev", &pair.dev_a];
    let lines = json_while(tool, stop, &args, || arp_request_out_of_a(&pair));
    Shown::Event(lines, "dev", pair.dev_a.clone().into())
});

record_test!(arpsnoop, |tool, stop, _comm| {
    let pair = VethPair::create("rn");
    let args = vec!["--json"];
    let lines = json_while(tool, stop, &args, || arp_request_out_of_a(&pair));
    Shown::Event(lines, "dev", pair.dev_a.clone().into())
});

/// Nobody has .99: A asks for it (ARP); the request goes out of dev_a.
fn arp_request_out_of_a(pair: &VethPair) {
    let _ = pair
        .in_a("ping")
        .args(["-c", "1", "-W", "1", "10.254.0.99"])
        .output()
        .expect("cannot run ping (install iputils-ping)");
}

record_test!(netpkt_count, |tool, stop, comm| {
    let pair = VethPair::create("rp");
    let sender = unique_copy_of(&tool_binary("icmp_sender"), &comm);
    let mut args = vec!["-c", &comm];
    args.extend(COUNTING);
    let lines = json_while(tool, stop, &args, || {
        let sent = pair
            .in_a(&sender)
            .args([pair.dev_a.as_str(), "--count", "2", "--dst-ip", pair.ip_b])
            .status()
            .unwrap();
        assert!(sent.success());
    });
    assert!(
        total(&lines)["total"]["tx"].as_u64() >= Some(2),
        "{lines:?}"
    );
    Shown::Event(lines, "scope", "total".into())
});

record_test!(xdp_drop_count, |tool, stop, _comm| {
    use crate::helpers::metrics::*;
    let pair = VethPair::create("rx");
    let xdp = tool_binary(tool);
    // Served on B's loopback (a namespace of its own: any port is free).
    let mut tool_args = vec![pair.dev_b.as_str()];
    tool_args.extend(COUNTING);
    tool_args.extend(["--metrics-addr", "127.0.0.1:9435"]);
    // With only the exporter unit's capabilities, as json_while runs the others.
    let setpriv = as_the_unit_runs(&xdp, &tool_args);
    let mut args = vec!["netns", "exec", &pair.ns_b, "setpriv"];
    args.extend(setpriv.iter().map(String::as_str));
    let tracer = Tracer::start("ip", &args);
    let ping = pair
        .in_a("ping")
        .args(["-c", "1", "-W", "1", pair.ip_b])
        .output()
        .expect("cannot run ping (install iputils-ping)");
    assert!(ping.status.success(), "{ping:?}");
    let packets = "ebpf_tracers_xdp_drop_count_packets_total";
    let exposition = pair.within_b(|| {
        scrape_until(9435, std::time::Duration::from_secs(20), |body| {
            sample(body, packets, &[("proto", "icmp")]) >= Some(1.0)
        })
    });
    let exposition = exposition.unwrap_or_else(|| panic!("no icmp {packets} in B"));
    assert_promtool_accepts(tool, &exposition);
    let finished = tracer.stop_cleanly(stop);
    Shown::Event(finished.json_lines(), "proto", "icmp".into())
});
