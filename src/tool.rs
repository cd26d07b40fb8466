//! The steps of a tool's life that every binary shares: attach with a clear error,
//! the readiness line, and the event loop that ends in an orderly stop.

use anyhow::Context;
use anyhow::Result;
use libbpf_rs::Link;
use libbpf_rs::Object;

use crate::events::EventStream;
use crate::output::Output;
use crate::run::StopConditions;

/// Attaches every program that was loaded, naming the hook that failed. The links are
/// returned to the caller: dropping them (on any return from main) detaches.
pub fn attach_all(object: &Object) -> Result<Vec<Link>> {
    let mut links = Vec::new();
    for prog in object.progs_mut() {
        if !prog.autoload() {
            continue;
        }
        let section = prog.section().to_string_lossy().into_owned();
        let link = prog
            .attach()
            .with_context(|| format!("failed to attach {section}"))?;
        links.push(link);
    }
    if links.is_empty() {
        anyhow::bail!(
            "no program could be attached: this kernel has none of the hooks this tool uses"
        );
    }
    Ok(links)
}

/// The readiness line of DESIGN.md: printed on stderr once everything is attached.
pub fn announce_ready(what: &str) {
    eprintln!("Tracing {what}... Hit Ctrl-C to end.");
}

/// Delivers events until a stop condition, then drains what the kernel already
/// produced, so that nothing caused before the stop is missing, and reports losses.
pub fn stream_until_stopped(
    tool: &str,
    stream: &EventStream,
    output: &Output,
    stop: &StopConditions,
) -> Result<()> {
    while !stop.reached() {
        stream.poll(stop.next_wait())?;
        output.flush()?;
    }
    stream.drain()?;
    output.flush()?;
    let lost = stream.lost()?;
    if lost > 0 {
        eprintln!("{tool}: {lost} events lost: the buffer was full (user space fell behind)");
    }
    Ok(())
}
