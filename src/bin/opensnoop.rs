//! opensnoop as an executable of its own (`cargo run --bin opensnoop`): src/tools/opensnoop.rs.

ebpf_tracers::tool_main!(opensnoop);
