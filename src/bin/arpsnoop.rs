//! arpsnoop as an executable of its own (`cargo run --bin arpsnoop`): src/tools/arpsnoop.rs.

ebpf_tracers::tool_main!(arpsnoop);
