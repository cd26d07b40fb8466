//! execguard as an executable of its own (`cargo run --bin execguard`): src/tools/execguard.rs.

ebpf_tracers::tool_main!(execguard);
