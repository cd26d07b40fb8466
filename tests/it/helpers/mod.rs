//! What the integration tests share, by concern. Every test filters on names and pids
//! only it uses: tests run in parallel and every tracer sees the whole machine.

pub mod bpf_objects;
pub mod cgroups;
pub mod harness;
pub mod http;
pub mod kernel;
pub mod keyboard;
pub mod metrics;
pub mod net;
pub mod output;
pub mod terminal;
pub mod tracer;
pub mod workload;

pub use harness::*;
pub use kernel::*;
pub use net::*;
pub use output::*;
pub use tracer::*;
pub use workload::*;
