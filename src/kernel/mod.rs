//! The BPF side: each tool's skeleton (skel.rs), loading and attaching it (load.rs),
//! the checks before (preflight.rs), event buffers (events.rs, perf_buffer.rs), maps
//! and typed counters (maps.rs, counters.rs), what the kernel lets programs do
//! (features.rs, inflight.rs), the attached programs' stats
//! (programs.rs), and trace_pipe (trace_pipe.rs).

pub mod counters;
pub mod events;
pub mod features;
pub mod inflight;
pub mod load;
pub mod maps;
pub mod perf_buffer;
pub mod preflight;
pub mod programs;
pub mod skel;
pub mod trace_pipe;

pub use load::load;
pub use load::load_then;
pub use load::prepare;
