//! openat_count as an executable of its own (`cargo run --bin openat_count`): src/tools/openat_count.rs.

ebpf_tracers::tool_main!(openat_count);
