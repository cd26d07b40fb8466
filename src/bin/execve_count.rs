//! execve_count as an executable of its own (`cargo run --bin execve_count`): src/tools/execve_count.rs.

ebpf_tracers::tool_main!(execve_count);
