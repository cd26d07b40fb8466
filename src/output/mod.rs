//! What a tool shows: records as tables or JSON lines (record.rs), the counting tools'
//! reports (report.rs), times (clock.rs), text helpers and the buffered stdout
//! (text.rs), Prometheus metrics (metrics.rs), and a tool's life once attached: the
//! readiness line, then events streamed or maps sampled until a stop (stream.rs).

pub mod clock;
pub mod metrics;
pub mod record;
pub mod report;
pub mod stream;
pub mod text;
