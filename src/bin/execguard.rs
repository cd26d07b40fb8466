//! execguard: refuse the execution of the files named with --deny, from the BPF LSM
//! hook bprm_check_security, and report every attempt. The kernel side is
//! bpf/execguard.bpf.c.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use anyhow::Result;
use ebpf_tracers::cli::TaskArgs;
use ebpf_tracers::preflight;
use ebpf_tracers::run::bad_input;
use ebpf_tracers::skel::execguard::types::event;
use ebpf_tracers::skel::execguard::ExecguardSkelBuilder;
use ebpf_tracers::tool;
use ebpf_tracers::tool::Loading;
use ebpf_tracers::tool::StreamSpec;
use ebpf_tracers::tools::execguard::Args;
use ebpf_tracers::tools::execguard::Attempt;
use ebpf_tracers::tools::execguard::TOOL;
use libbpf_rs::MapCore;
use libbpf_rs::MapFlags;

pub fn main() -> ExitCode {
    TOOL.main(|args: &Args| {
        let rules = resolve_rules(&args.deny)?;
        if !args.allow_lockout {
            refuse_lockout(&rules)?;
        }
        // Privileges first: without them the LSM checks could only mislead.
        tool::prepare(args.stream.run.verbose)?;
        preflight::check_bpf_lsm()?;
        // Room for exactly the rules given, however many.
        let sizes = [("rules", rules.len() as u32)];
        let loading = Loading::stream(&args.filters, &args.stream)
            .with_ppid(true)
            .map_sizes(&sizes);
        let tracing = tool::load::<ExecguardSkelBuilder>(loading, |rodata| {
            rodata.audit_only = args.audit;
            Ok(())
        })?;
        // Before the readiness line: the policy is whole when the tool says it runs.
        for (index, rule) in rules.iter().enumerate() {
            let key = [rule.dev.to_ne_bytes(), rule.ino.to_ne_bytes()].concat();
            tracing
                .maps
                .rules
                .update(&key, &(index as u32).to_ne_bytes(), MapFlags::ANY)
                .context("cannot fill the rules map")?;
        }
        let what = format!(
            "execs of {} via BPF LSM bprm_check_security ({})",
            match rules.len() {
                1 => "1 file".to_string(),
                n => format!("{n} files"),
            },
            if args.audit {
                "audit: refusing none"
            } else {
                "refusing them"
            }
        );
        let spec = StreamSpec::new(&what, Attempt::table(), &args.stream).always_timed();
        tracing.stream_tasks(
            spec,
            event::MIN_LEN,
            &TaskArgs::default(),
            |event: &event, task| {
                Some(Attempt {
                    task,
                    action: if event.denied != 0 { "deny" } else { "audit" },
                    rule: rules
                        .get(event.rule as usize)
                        .map_or_else(|| Arc::from(""), |rule| Arc::clone(&rule.given)),
                    path: event.path.decoded().shown(),
                })
            },
        )
    })
}

/// A --deny FILE: as given (as the records show it, shared with each of them), and the
/// file it names as the kernel knows it.
struct Rule {
    given: Arc<str>,
    /// The file system's device as the kernel encodes it (super_block.s_dev).
    dev: u64,
    ino: u64,
}

/// Each FILE (symlinks followed) must exist and be a regular file: else exit 2.
fn resolve_rules(files: &[PathBuf]) -> Result<Vec<Rule>> {
    files
        .iter()
        .map(|given| {
            let meta = std::fs::metadata(given)
                .map_err(|err| bad_input(format!("--deny {}: {err}", given.display())))?;
            if !meta.is_file() {
                return Err(bad_input(format!(
                    "--deny {}: not a regular file",
                    given.display()
                )));
            }
            Ok(Rule {
                given: Arc::from(given.display().to_string()),
                dev: kernel_dev(meta.dev()),
                ino: meta.ino(),
            })
        })
        .collect()
}

/// A device number as stat(2) gives it, in the kernel's own encoding (MKDEV:
/// major << 20 | minor), which is what the hook reads from the inode's super block.
fn kernel_dev(dev: u64) -> u64 {
    let major = nix::sys::stat::major(dev);
    let minor = nix::sys::stat::minor(dev);
    (major << 20) | minor
}

/// Refuses (exit 2) a rule that would deny this tool's own binary, PID 1's executable,
/// that of any process this tool runs under (the shell it was started from, its
/// terminal's, sudo...), or the login shell: denying one can leave nobody able to
/// run anything, or to stop the tool.
fn refuse_lockout(rules: &[Rule]) -> Result<()> {
    for (what, exe) in critical_executables() {
        let Ok(meta) = std::fs::metadata(&exe) else {
            continue;
        };
        let (dev, ino) = (kernel_dev(meta.dev()), meta.ino());
        if let Some(rule) = rules.iter().find(|rule| rule.dev == dev && rule.ino == ino) {
            return Err(bad_input(format!(
                "--deny {}: refused, it is {what}: denying it could lock the system out \
                 (--allow-lockout to deny it anyway)",
                rule.given
            )));
        }
    }
    Ok(())
}

/// The executables whose denial could lock the system out, each with what it is.
fn critical_executables() -> Vec<(String, PathBuf)> {
    let mut critical = vec![
        (
            "this tool's own binary".to_string(),
            PathBuf::from("/proc/self/exe"),
        ),
        (
            "the executable of PID 1 (init)".to_string(),
            PathBuf::from("/proc/1/exe"),
        ),
    ];
    let mut pid = std::os::unix::process::parent_id();
    // Up the chain of parents to init (bounded, in case /proc is odd).
    for _ in 0..64 {
        if pid <= 1 {
            break;
        }
        let proc_dir = Path::new("/proc").join(pid.to_string());
        let comm = std::fs::read_to_string(proc_dir.join("comm")).unwrap_or_default();
        critical.push((
            format!(
                "the executable of PID {pid} ({}), which this tool runs under",
                comm.trim()
            ),
            proc_dir.join("exe"),
        ));
        match parent_of(&proc_dir) {
            Some(parent) => pid = parent,
            None => break,
        }
    }
    if let Some(shell) = std::env::var_os("SHELL") {
        critical.push(("the login shell ($SHELL)".to_string(), PathBuf::from(shell)));
    }
    critical
}

/// The parent's pid from /proc/PID/stat ("pid (comm) state ppid ..."; comm may hold
/// spaces and parentheses, so read after the last ')').
fn parent_of(proc_dir: &Path) -> Option<u32> {
    let stat = std::fs::read_to_string(proc_dir.join("stat")).ok()?;
    let after_comm = &stat[stat.rfind(')')? + 1..];
    after_comm.split_whitespace().nth(1)?.parse().ok()
}
