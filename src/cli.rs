//! Command-line pieces every tool reuses, so that `-p`, `-d`, `--json` and friends mean
//! the same thing everywhere (bcc libbpf-tools compatible where bcc has the flag).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::error::ErrorKind;
use clap::Args;

/// The kernel keeps 15 bytes of a process name plus a NUL (TASK_COMM_LEN = 16).
pub const COMM_MAX_BYTES: usize = 15;

/// Who to trace, applied in the kernel through rodata.
#[derive(Debug, Clone, Default, Args)]
pub struct FilterArgs {
    /// Trace only this process (thread group id)
    #[arg(short = 'p', long = "pid", value_name = "PID", value_parser = parse_pid,
          allow_negative_numbers = true)]
    pub pid: Option<u32>,
    /// Trace only this thread
    #[arg(short = 't', long = "tid", value_name = "TID", value_parser = parse_pid,
          allow_negative_numbers = true)]
    pub tid: Option<u32>,
    /// Trace only this user id
    #[arg(short = 'u', long = "uid", value_name = "UID", value_parser = parse_uid,
          allow_negative_numbers = true)]
    pub uid: Option<u32>,
    /// Trace only processes named exactly NAME (at most 15 bytes, matched in the kernel)
    #[arg(short = 'c', long = "comm", value_name = "NAME", value_parser = parse_comm)]
    pub comm: Option<String>,
    /// Trace only tasks in this cgroup v2 directory or below it (a container's
    /// cgroup, say; matched in the kernel)
    #[arg(long = "cgroup", value_name = "PATH", value_parser = crate::model::cgroup::parse_cgroup_dir)]
    pub cgroup: Option<PathBuf>,
}

/// bcc's -n: a substring of the process name, matched in user space on what the
/// kernel reports. Only tools whose output names processes offer it.
#[derive(Debug, Clone, Default, Args)]
pub struct NameArgs {
    /// Show only processes whose name contains SUBSTR (matched in user space, like bcc)
    #[arg(short = 'n', long = "name", value_name = "SUBSTR")]
    pub name: Option<String>,
}

impl NameArgs {
    pub fn matches(&self, comm: &[u8]) -> bool {
        match &self.name {
            None => true,
            Some(name) => comm
                .windows(name.len().max(1))
                .any(|window| window == name.as_bytes()),
        }
    }
}

impl FilterArgs {
    /// `targ_comm` for rodata: the name NUL-padded to TASK_COMM_LEN.
    pub fn comm_c(&self) -> [i8; COMM_MAX_BYTES + 1] {
        c_chars(self.comm.as_deref().unwrap_or(""))
    }
}

/// A string as a NUL-padded C char array for rodata (cut to N - 1 bytes).
pub fn c_chars<const N: usize>(text: &str) -> [i8; N] {
    let mut out = [0i8; N];
    for (slot, byte) in out.iter_mut().zip(text.bytes().take(N.saturating_sub(1))) {
        *slot = byte as i8;
    }
    out
}

/// What the tools whose events name their task take to choose which events to show and
/// how: bcc's -n, and a CONTAINER column.
#[derive(Debug, Clone, Default, Args)]
pub struct TaskArgs {
    #[command(flatten)]
    pub name: NameArgs,
    /// Show a CONTAINER column: the short container id, or outside containers the
    /// cgroup's last path component
    #[arg(short = 'G', long = "containers")]
    pub containers: bool,
}

/// What the syscall tracers (opensnoop, execsnoop, unlinksnoop) take to choose what
/// they show: the filters, bcc's -n, -G, -x (in the kernel, through the tool's
/// `targ_failed`) and -U.
#[derive(Debug, Clone, Default, Args)]
pub struct SnoopArgs {
    #[command(flatten)]
    pub filters: FilterArgs,
    #[command(flatten)]
    pub task: TaskArgs,
    /// Show only calls that failed
    #[arg(short = 'x', long = "failed")]
    pub failed: bool,
    /// Print UID
    #[arg(short = 'U', long = "print-uid")]
    pub print_uid: bool,
}

/// -F, for the tools that report a path (src/model/paths.rs).
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct PathArgs {
    /// Show a relative path in full: the directories it starts in (the working
    /// directory, or the directory passed as dirfd), found by the kernel
    #[arg(short = 'F', long = "full-path")]
    pub full_path: bool,
}

/// For the tools with two ways into the kernel: a kernel function (kprobes, or fexit),
/// or tracepoints where the kernel cannot hook the function.
#[derive(Debug, Clone, Args)]
pub struct ModeArgs {
    /// Where to hook: the kernel function (by kprobe or fexit, as the tool does) where
    /// the kernel allows it, else tracepoints (auto), or only one of the two
    #[arg(long = "mode", value_enum, default_value_t = ProbeMode::Auto)]
    pub mode: ProbeMode,
}

/// When to stop, and how much to say.
#[derive(Debug, Clone, Default, Args)]
pub struct RunArgs {
    /// Stop after SECS seconds (decimals allowed)
    #[arg(short = 'd', long = "duration", value_name = "SECS", value_parser = parse_seconds,
          allow_negative_numbers = true)]
    pub duration: Option<Duration>,
    /// Print libbpf's log (verifier output, attach details) to stderr
    #[arg(short = 'v', long = "verbose")]
    pub verbose: bool,
}

/// How to print.
#[derive(Debug, Clone, Default, Args)]
pub struct OutputArgs {
    /// Include a time column (HH:MM:SS, local time)
    #[arg(short = 'T', long = "timestamp")]
    pub timestamp: bool,
    /// Print one JSON object per line (same fields as the table), no header
    #[arg(long = "json")]
    pub json: bool,
}

/// How events travel from the kernel (streaming tools only).
#[derive(Debug, Clone, Default, Args)]
pub struct EventArgs {
    /// Use a perf event array instead of the BPF ring buffer (kernels before 5.8)
    #[arg(long = "perf-buffer")]
    pub perf_buffer: bool,
}

/// Print interval for aggregating tools.
#[derive(Debug, Clone, Args)]
pub struct IntervalArgs {
    /// Print counts every SECS seconds (decimals allowed; default 1; with
    /// --metrics-addr, no table unless given)
    #[arg(short = 'i', long = "interval", value_name = "SECS", value_parser = parse_seconds,
          allow_negative_numbers = true)]
    pub interval: Option<Duration>,
}

impl IntervalArgs {
    /// How often the maps are read (and a report printed, if printed at all).
    pub fn every(&self) -> Duration {
        self.interval.unwrap_or(Duration::from_secs(1))
    }
}

/// Serving the counters to Prometheus.
#[derive(Debug, Clone, Default, Args)]
pub struct MetricsArgs {
    /// Serve Prometheus metrics at http://HOST:PORT/metrics: a counting tool's counters
    /// (its table is then off unless -i is given), an event tool's events and lost
    /// events
    #[arg(long = "metrics-addr", value_name = "HOST:PORT",
          value_parser = parse_addr)]
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// TLS and basic authentication for --metrics-addr, in the exporter-toolkit's web
    /// configuration file format (node_exporter's --web.config.file); empty: none
    #[arg(long = "web-config", value_name = "FILE", requires = "metrics_addr",
          value_parser = parse_web_config)]
    pub web_config: Option<std::path::PathBuf>,
}

/// What every streaming tool takes: how to print, how events travel, when to stop.
#[derive(Debug, Clone, Default, Args)]
pub struct StreamArgs {
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub events: EventArgs,
    #[command(flatten)]
    pub metrics: MetricsArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

/// What every aggregating tool takes: when to print, how, where to serve metrics, and
/// when to stop.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub interval: IntervalArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub metrics: MetricsArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

/// How many rows an aggregating tool prints per report.
#[derive(Debug, Clone, Args)]
pub struct TopArgs {
    /// Show at most N rows per report, largest counts first
    #[arg(long = "top", value_name = "N", default_value_t = 20,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub top: u32,
}

/// Counting per container: the counting key becomes (cgroup, key) in the kernel.
#[derive(Debug, Clone, Default, Args)]
pub struct ByCgroupArgs {
    /// Count per cgroup (container) too: rows name the cgroup and container
    #[arg(long = "by-cgroup")]
    pub by_cgroup: bool,
}

/// What every per-key counting tool takes: who to count (in the kernel), per cgroup or
/// not, how many rows to show, and when and how to report.
#[derive(Debug, Clone, Args)]
pub struct CountArgs {
    #[command(flatten)]
    pub filters: FilterArgs,
    #[command(flatten)]
    pub grouping: ByCgroupArgs,
    #[command(flatten)]
    pub top: TopArgs,
    #[command(flatten)]
    pub report: ReportArgs,
}

/// What a tool with a fixed set of counters takes: who to count (in the kernel), and
/// when and how to report.
#[derive(Debug, Clone, Args)]
pub struct TotalArgs {
    #[command(flatten)]
    pub filters: FilterArgs,
    #[command(flatten)]
    pub report: ReportArgs,
}

/// --help and --version exit 0 after printing; any other error is one line and exit 2.
pub fn usage_outcome<T>(parsed: Result<T, clap::Error>) -> Result<T, ExitCode> {
    match parsed {
        Ok(parsed) => Ok(parsed),
        Err(err) => match err.kind() {
            ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                let _ = err.print();
                Err(ExitCode::SUCCESS)
            }
            _ => {
                eprintln!("{}", one_line_usage_error(&err.render().to_string()));
                Err(ExitCode::from(2))
            }
        },
    }
}

/// clap's message, up to its usage part, on one line: what is wrong may continue on
/// the next lines (the missing arguments are listed below "not provided:").
fn one_line_usage_error(rendered: &str) -> String {
    let message: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .skip_while(|line| line.is_empty())
        .take_while(|line| !line.is_empty() && !line.starts_with("Usage:"))
        .collect();
    if message.is_empty() {
        return "error: invalid arguments (see --help)".to_string();
    }
    format!("{} (see --help)", message.join(" "))
}

pub fn parse_pid(text: &str) -> Result<u32, String> {
    match text.trim().parse::<i64>() {
        Ok(pid) if pid > 0 && pid <= i32::MAX as i64 => Ok(pid as u32),
        Ok(pid) => Err(format!("{pid} is not a valid process id (must be > 0)")),
        Err(_) => Err(format!("'{text}' is not a process id (a positive number)")),
    }
}

pub fn parse_uid(text: &str) -> Result<u32, String> {
    match text.trim().parse::<i64>() {
        // u32::MAX is the kernel's "no uid" (-1) and our "any": not a user to filter on.
        Ok(uid) if (0..u32::MAX as i64).contains(&uid) => Ok(uid as u32),
        _ => Err(format!("'{text}' is not a user id (0 to 4294967294)")),
    }
}

pub fn parse_comm(text: &str) -> Result<String, String> {
    if text.is_empty() {
        return Err("the process name is empty".into());
    }
    if text.len() > COMM_MAX_BYTES {
        let keep: String = truncate_to_bytes(text, COMM_MAX_BYTES);
        return Err(format!(
            "'{text}' is {} bytes but the kernel keeps only the first {COMM_MAX_BYTES} of a \
             process name; use '{keep}', or --name for a substring match",
            text.len()
        ));
    }
    Ok(text.to_string())
}

fn truncate_to_bytes(text: &str, max: usize) -> String {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// --web-config's value: a path, or nothing (`--web-config ""`, as the exporter unit
/// passes an empty WEB_CONFIG): plain HTTP.
pub fn parse_web_config(text: &str) -> Result<std::path::PathBuf, String> {
    Ok(std::path::PathBuf::from(text))
}

pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a number of seconds"))?;
    if !secs.is_finite() || secs <= 0.0 {
        return Err(format!("{text} seconds: must be greater than 0"));
    }
    // Shorter would round to (next to) nothing and spin: 1e-12 is no interval.
    if secs < 0.001 {
        return Err(format!("{text} seconds: must be at least 0.001 (1 ms)"));
    }
    if secs > 1e9 {
        return Err(format!("{text} seconds is too long"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// How a tool that can use either hooks into the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProbeMode {
    /// the kernel function where the kernel allows, else tracepoints
    Auto,
    /// kprobe/kretprobe on a kernel function (fails without CONFIG_KPROBES)
    Kprobe,
    /// fexit on a kernel function: one program with the arguments and the result (fails
    /// where BPF trampolines do not work)
    Fexit,
    /// syscall tracepoints
    Tracepoint,
}

impl ProbeMode {
    /// As --mode takes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Kprobe => "kprobe",
            Self::Fexit => "fexit",
            Self::Tracepoint => "tracepoint",
        }
    }
}

/// --metrics-addr's value: HOST:PORT (a name is resolved; its first address is used).
pub fn parse_addr(text: &str) -> Result<std::net::SocketAddr, String> {
    use std::net::ToSocketAddrs;
    let mut addrs = text
        .to_socket_addrs()
        .map_err(|err| format!("{err} (give HOST:PORT, e.g. 127.0.0.1:9435 or [::]:9435)"))?;
    addrs
        .next()
        .ok_or_else(|| format!("{text} names no address (give HOST:PORT)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_below_a_millisecond_are_refused() {
        assert_eq!(parse_seconds("0.001"), Ok(Duration::from_millis(1)));
        assert!(parse_seconds("1e-12")
            .unwrap_err()
            .contains("at least 0.001"));
        assert!(parse_seconds("0.0009")
            .unwrap_err()
            .contains("at least 0.001"));
        assert!(parse_seconds("0").unwrap_err().contains("greater than 0"));
    }

    #[test]
    fn pids_must_be_positive_numbers() {
        assert_eq!(parse_pid("42"), Ok(42));
        assert!(parse_pid("0").unwrap_err().contains("must be > 0"));
        assert!(parse_pid("-5").unwrap_err().contains("must be > 0"));
        assert!(parse_pid("abc").unwrap_err().contains("not a process id"));
        assert!(parse_pid("99999999999").is_err());
    }

    #[test]
    fn uid_minus_one_is_refused() {
        assert_eq!(parse_uid("0"), Ok(0));
        assert!(parse_uid("-1").is_err());
        assert!(parse_uid("4294967295").is_err());
    }

    #[test]
    fn comm_longer_than_15_bytes_is_refused_with_the_kept_prefix() {
        assert_eq!(parse_comm("bash").unwrap(), "bash");
        assert_eq!(parse_comm("fifteen_bytes__").unwrap().len(), 15);
        let err = parse_comm("sixteen_bytes___").unwrap_err();
        assert!(err.contains("16 bytes"), "{err}");
        assert!(err.contains("'sixteen_bytes__'"), "{err}");
        // A multi-byte character straddling byte 15 is not split.
        let err = parse_comm("aaaaaaaaaaaaaa\u{e9}b").unwrap_err();
        assert!(err.contains("'aaaaaaaaaaaaaa'"), "{err}");
    }

    #[test]
    fn usage_errors_keep_what_clap_lists_below_the_first_line() {
        let rendered = "error: the following required arguments were not provided:\n  <IFACE>\n\nUsage: x <IFACE>\n\nFor more information, try '--help'.\n";
        assert_eq!(
            one_line_usage_error(rendered),
            "error: the following required arguments were not provided: <IFACE> (see --help)"
        );
        assert_eq!(
            one_line_usage_error("error: unexpected argument '-q' found\n\nUsage: x\n"),
            "error: unexpected argument '-q' found (see --help)"
        );
    }

    #[test]
    fn seconds_must_be_positive() {
        assert_eq!(parse_seconds("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("nan").is_err());
        assert!(parse_seconds("soon").is_err());
    }

    #[test]
    fn comm_is_nul_padded_for_rodata() {
        let filters = FilterArgs {
            comm: Some("cat".into()),
            ..Default::default()
        };
        let comm = filters.comm_c();
        assert_eq!(&comm[..4], &[b'c' as i8, b'a' as i8, b't' as i8, 0]);
    }

    #[test]
    fn name_is_a_substring_match() {
        let filter = NameArgs {
            name: Some("snoop".into()),
        };
        assert!(filter.matches(b"opensnoop"));
        assert!(!filter.matches(b"bash"));
        assert!(NameArgs::default().matches(b"anything"));
    }

    #[test]
    fn usage_errors_fit_on_one_line() {
        let line = one_line_usage_error(
            "error: invalid value 'x' for '--pid <PID>': bad\n\nFor more information, try '--help'.\n",
        );
        assert_eq!(
            line,
            "error: invalid value 'x' for '--pid <PID>': bad (see --help)"
        );
    }
}
