//! netpkt_count as an executable of its own (`cargo run --bin netpkt_count`): src/tools/netpkt_count.rs.

ebpf_tracers::tool_main!(netpkt_count);
