//! ebpf-tracers: the tools (src/tools, one module each) and their shared runtime.
//!
//! A tool is `parse -> preflight -> open skeleton -> write rodata -> load -> attach ->
//! header (readiness) -> poll or sample until stopped -> summary`; every step that two
//! tools share lives in one of these modules.

pub mod cgroup;
pub mod cli;
pub mod clock;
pub mod counters;
pub mod elf;
pub mod events;
pub mod exec;
pub mod maps;
pub mod metrics;
pub mod output;
pub mod paths;
pub mod perf_buffer;
pub mod preflight;
pub mod record;
pub mod report;
pub mod run;
pub mod skel;
pub mod task;
pub mod tool;
pub mod tools;
pub mod trace_pipe;
pub mod users;
