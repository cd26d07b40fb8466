//! kmalloc_bytes as an executable of its own (`cargo run --bin kmalloc_bytes`): src/tools/kmalloc_bytes.rs.

ebpf_tracers::tool_main!(kmalloc_bytes);
