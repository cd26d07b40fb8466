//! execsnoop as an executable of its own (`cargo run --bin execsnoop`): src/tools/execsnoop.rs.

ebpf_tracers::tool_main!(execsnoop);
