//! ebpf-tracers: the tools (src/tools, one module each) and their shared runtime, in
//! layers, each using only those before it (but for the one call noted below):
//!
//! - `model`: what events are about: the task, its cgroup and container, users, paths,
//!   executables;
//! - `cli`, `run`: the shared flag groups, and the process (its name, stop signals,
//!   start steps, errors as one line);
//! - `kernel`: the BPF side: skeletons, loading and attaching, preflight checks, event
//!   buffers, maps and counters, the attached programs' stats, trace_pipe;
//! - `output`: records as tables or JSON, reports, clocks, Prometheus metrics, and a
//!   tool's life once attached (stream.rs);
//! - `tools`: the tools, listed once (`tools!`);
//! - `app`: around the tools: the multi-call binary, man pages, JSON docs.
//!
//! The one call up a layer: `kernel::load` binds the metrics server (output) before
//! anything loads, so that an address that cannot be served stops the tool first.
//!
//! A tool is `parse -> preflight -> open skeleton -> write rodata -> load -> attach ->
//! header (readiness) -> poll or sample until stopped -> summary`; every step that two
//! tools share lives in one of these modules.

pub mod app;
pub mod cli;
pub mod kernel;
pub mod model;
pub mod output;
pub mod run;
pub mod tools;
