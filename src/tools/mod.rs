//! The tool registry: every tool's identity — its name, kind, command line (clap),
//! help text and the records it prints — reachable from the library, so that a build
//! step (man pages, completions), a test or the README check can enumerate every tool
//! and get its command line. A tool's module is the whole tool: its arguments, records,
//! table, skeleton and `main`; `tools!` below is the one list of them.

use std::ffi::OsStr;
use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

use clap::Command;
use clap::FromArgMatches;
use schemars::JsonSchema;

use crate::kernel::counters::Counters;
use crate::output::metrics::Declared;
use crate::output::record::schema_of;
use crate::output::report::ReportRecord;

/// What --version says: the release and the git commit it was built from (build.rs).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (git ",
    env!("EBPF_TRACERS_COMMIT"),
    ")"
);

/// The one list of tools: each name is its module here (src/tools/NAME.rs, with
/// `TOOL` and `main`), its BPF program (bpf/NAME.bpf.c) and its executable
/// (src/bin/NAME.rs, `tool_main!`). It makes the modules, `ALL` and `ENTRIES`;
/// `tests::the_list_agrees_with_bpf_bins_and_readme` holds the rest to it.
macro_rules! tools {
    ($($name:ident),* $(,)?) => {
        $(pub mod $name;)*

        /// Every tool, in the README's order: event tools, counting tools, helpers.
        pub const ALL: [&Tool; [$(stringify!($name)),*].len()] = [$(&$name::TOOL),*];

        /// Every tool with its `main`, for the multi-call binary.
        pub const ENTRIES: [Entry; ALL.len()] = [$((&$name::TOOL, $name::main)),*];
    };
}

tools![
    opensnoop,
    execsnoop,
    unlinksnoop,
    mkdirsnoop,
    bashreadline,
    hello,
    netdev_trace,
    arpsnoop,
    key_pressed,
    execguard,
    kmalloc_bytes,
    openat_count,
    execve_count,
    sendrecv_count,
    sendto_by_ip,
    execs_by_user,
    netpkt_count,
    filetop,
    syscount,
    xdp_drop_count,
    icmp_sender,
];

/// A tool's own executable (src/bin/NAME.rs): `tool_main!(NAME);` runs
/// `tools::NAME::main`, so `cargo run --bin NAME` and target/release/NAME keep working
/// while the tool's code is compiled once, in the library.
#[macro_export]
macro_rules! tool_main {
    ($name:ident) => {
        fn main() -> std::process::ExitCode {
            $crate::tools::$name::main()
        }
    };
}

/// The tool of this name.
pub fn find(name: &str) -> Option<&'static Tool> {
    ALL.into_iter().find(|tool| tool.name == name)
}

/// What a tool prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolKind {
    /// A line (or JSON object) per event.
    Events,
    /// Reports of counters per interval and at the stop.
    Counts,
    /// Not a tracer: it makes traffic or work for the tracers.
    Helper,
}

/// One tool's identity.
pub struct Tool {
    pub name: &'static str,
    pub kind: ToolKind,
    /// The one-line description (`--help`'s first line, the man page's NAME).
    pub about: &'static str,
    /// The EXAMPLES (and notes) `--help` ends with.
    pub examples: &'static str,
    arguments: fn(Command) -> Command,
    event: Option<fn() -> schemars::Schema>,
    report: Option<fn() -> schemars::Schema>,
    /// The counters a counting tool serves with --metrics-addr.
    pub metrics: Option<&'static Declared>,
    /// The fields of its counters (`Counters::FIELDS`), which the metrics name.
    pub counter_fields: &'static [&'static str],
}

impl Tool {
    const fn new<A: clap::Args>(
        name: &'static str,
        kind: ToolKind,
        about: &'static str,
        examples: &'static str,
    ) -> Self {
        Self {
            name,
            kind,
            about,
            examples,
            arguments: A::augment_args,
            event: None,
            report: None,
            metrics: None,
            counter_fields: &[],
        }
    }

    /// The Prometheus metrics of a counting tool's counters (metrics.rs).
    pub const fn with_metrics(self, metrics: &'static Declared) -> Self {
        Self {
            metrics: Some(metrics),
            ..self
        }
    }

    /// A tool that prints a record `R` per event, with arguments `A`.
    pub const fn events<A: clap::Args, R: JsonSchema>(
        name: &'static str,
        about: &'static str,
        examples: &'static str,
    ) -> Self {
        Self {
            event: Some(schema_of::<R>),
            ..Self::new::<A>(name, ToolKind::Events, about, examples)
        }
    }

    /// A tool that reports counters `C` per key `K`, with arguments `A`.
    pub const fn counts<A: clap::Args, K: JsonSchema, C: Counters>(
        name: &'static str,
        about: &'static str,
        examples: &'static str,
    ) -> Self {
        Self {
            report: Some(schema_of::<ReportRecord<K, C>>),
            counter_fields: C::FIELDS,
            ..Self::new::<A>(name, ToolKind::Counts, about, examples)
        }
    }

    /// An event tool that also reports counters `C` per key `K` when it stops.
    pub const fn with_report<K: JsonSchema, C: Counters>(self) -> Self {
        Self {
            report: Some(schema_of::<ReportRecord<K, C>>),
            counter_fields: C::FIELDS,
            ..self
        }
    }

    pub const fn helper<A: clap::Args>(
        name: &'static str,
        about: &'static str,
        examples: &'static str,
    ) -> Self {
        Self::new::<A>(name, ToolKind::Helper, about, examples)
    }

    /// The whole command line, as clap parses it and man pages describe it.
    pub fn command(&self) -> Command {
        (self.arguments)(Command::new(self.name))
            .version(VERSION)
            .about(self.about)
            .after_help(self.examples)
    }

    /// The JSON shape of the tool's per-event records, if it prints events.
    pub fn event_schema(&self) -> Option<schemars::Schema> {
        self.event.map(|schema| schema())
    }

    /// The JSON shape of the tool's reports (`"scope"` in every one), if it counts.
    pub fn report_schema(&self) -> Option<schemars::Schema> {
        self.report.map(|schema| schema())
    }

    /// A tool's whole `main`: parse the command line (usage errors exit 2), then run
    /// `body` (exit 0, or 1 with one line saying what failed).
    pub fn main<A: FromArgMatches>(
        &'static self,
        body: impl FnOnce(&A) -> anyhow::Result<()>,
    ) -> ExitCode {
        crate::run::set_tool_name(self.name);
        crate::output::metrics::declare(self.metrics);
        let line = command_line(self, std::env::args_os().collect());
        match self.parse_from::<A, _>(line) {
            Ok(args) => crate::run::main_with(self.name, || body(&args)),
            Err(code) => code,
        }
    }

    /// Parses a command line: --help and --version print and exit 0, any other error
    /// is one line on stderr and exit status 2.
    pub fn parse_from<A: FromArgMatches, I: IntoIterator<Item = OsString>>(
        &self,
        args: I,
    ) -> Result<A, ExitCode> {
        crate::cli::usage_outcome(
            self.command()
                .try_get_matches_from(args)
                .and_then(|matches| A::from_arg_matches(&matches)),
        )
    }
}

/// The multi-call binary's own name.
pub const MULTICALL: &str = "ebpf-tracers";

/// One tool's entry: the registry's tool and its binary's `main`.
pub type Entry = (&'static Tool, fn() -> ExitCode);

/// True when argv[0] names the multi-call binary itself.
pub fn is_multicall(program: &OsStr) -> bool {
    Path::new(program).file_name() == Some(OsStr::new(MULTICALL))
}

/// The command line `tool` parses: the process's own, without the multi-call binary's
/// name when it was run as `ebpf-tracers TOOL ARGS` (then clap sees `TOOL ARGS` and
/// names the tool in its usage and errors).
pub fn command_line(tool: &Tool, args: Vec<OsString>) -> Vec<OsString> {
    match args.as_slice() {
        [program, first, ..] if is_multicall(program) && first.as_os_str() == tool.name => {
            args.into_iter().skip(1).collect()
        }
        _ => args,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::counters::Count;
    use crate::output::record::Table;
    use crate::output::report::NoKey;
    use crate::output::report::Row;

    /// Every column of `table` shows a field of the record `R` (or the report's scope).
    fn assert_columns_declared<R: JsonSchema>(tool: &str, table: Table) {
        let schema = schema_of::<R>();
        let properties = schema.get("properties").and_then(|p| p.as_object());
        for field in table.fields() {
            assert!(
                properties.is_some_and(|p| p.contains_key(field)),
                "{tool}: column {field} shows no field of its record: {schema:?}"
            );
        }
    }

    fn args<A: FromArgMatches>(tool: &'static Tool, line: &[&str]) -> A {
        tool.parse_from::<A, _>(line.iter().map(Into::into))
            .unwrap()
    }

    #[test]
    fn a_tool_whose_command_line_is_one_shared_group_parses_it_whole() {
        let line = ["sendto_by_ip", "-p", "7", "--top", "3", "--json"];
        let parsed: crate::cli::CountArgs = args(&sendto_by_ip::TOOL, &line);
        assert_eq!(parsed.filters.pid, Some(7));
        assert_eq!(parsed.top.top, 3);
        assert!(parsed.report.output.json);
        let bad = ["netpkt_count", "--top", "3"].map(Into::into);
        let refused = netpkt_count::TOOL.parse_from::<crate::cli::TotalArgs, _>(bad);
        assert_eq!(refused.err(), Some(ExitCode::from(2)));
    }

    #[test]
    fn every_table_column_shows_a_declared_field() {
        let all = ["opensnoop", "-U", "-P", "-e", "-E"];
        let open: opensnoop::Args = args(&opensnoop::TOOL, &all);
        assert_columns_declared::<opensnoop::Open>("opensnoop", opensnoop::table(&open));
        let exec: execsnoop::Args = args(&execsnoop::TOOL, &["execsnoop", "-U"]);
        assert_columns_declared::<execsnoop::Exec>("execsnoop", execsnoop::table(&exec));
        let snoop: mkdirsnoop::Args = args(&mkdirsnoop::TOOL, &["mkdirsnoop", "-U"]);
        let path_calls = mkdirsnoop::PathCall::table(&snoop.snoop, true);
        assert_columns_declared::<mkdirsnoop::PathCall>("mkdirsnoop", path_calls);
        let lines = bashreadline::Readline::table();
        assert_columns_declared::<bashreadline::Readline>("bashreadline", lines);
        assert_columns_declared::<hello::Printk>("hello", hello::Printk::table());
        let packets = netdev_trace::Packet::table();
        assert_columns_declared::<netdev_trace::Packet>("netdev_trace", packets);
        assert_columns_declared::<arpsnoop::Arp>("arpsnoop", arpsnoop::Arp::table());
        let presses = key_pressed::KeyPress::table();
        assert_columns_declared::<key_pressed::KeyPress>("key_pressed", presses);
        type KeyRow = Row<key_pressed::Key, key_pressed::Presses>;
        assert_columns_declared::<KeyRow>("key_pressed", key_pressed::Key::table());
        type KmallocRow = Row<openat_count::CommKey, kmalloc_bytes::Allocations>;
        let kmalloc = kmalloc_bytes::Allocations::table(true);
        assert_columns_declared::<KmallocRow>("kmalloc_bytes", kmalloc);
        type CommRow = Row<openat_count::CommKey, Count>;
        let comm = openat_count::CommKey::table();
        assert_columns_declared::<CommRow>("openat_count", comm);
        type NameRow = Row<execve_count::NameKey, Count>;
        let name = execve_count::NameKey::table();
        assert_columns_declared::<NameRow>("execve_count", name);
        type SendRecvRow = Row<NoKey, sendrecv_count::SendRecv>;
        let sendrecv = sendrecv_count::SendRecv::table();
        assert_columns_declared::<SendRecvRow>("sendrecv_count", sendrecv);
        type DestRow = Row<sendto_by_ip::Destination, Count>;
        let dest = sendto_by_ip::Destination::table();
        assert_columns_declared::<DestRow>("sendto_by_ip", dest);
        type UserRow = Row<execs_by_user::UserPath, Count>;
        let user = execs_by_user::UserPath::table();
        assert_columns_declared::<UserRow>("execs_by_user", user);
        type CpuRow = Row<netpkt_count::Cpu, netpkt_count::Packets>;
        let cpus = netpkt_count::Packets::table();
        assert_columns_declared::<CpuRow>("netpkt_count", cpus);
        type FileRow = Row<filetop::FileOfThread, filetop::FileIo>;
        assert_columns_declared::<FileRow>("filetop", filetop::FileIo::table());
        type ProtoRow = Row<xdp_drop_count::Protocol, xdp_drop_count::Frames>;
        let protocols = xdp_drop_count::Frames::table();
        assert_columns_declared::<ProtoRow>("xdp_drop_count", protocols);
    }

    /// A metric names a field of its tool's counters (counters.rs), the histogram's sum
    /// too: the metrics are keyed by field name, and a name no field has would serve 0.
    #[test]
    fn every_metric_names_a_field_of_its_counters() {
        for tool in ALL {
            let Some(declared) = tool.metrics else {
                continue;
            };
            let sum = declared.histogram.map(|h| h.sum_of);
            let named = declared.counters.iter().map(|c| c.field).chain(sum);
            for field in named {
                assert!(
                    tool.counter_fields.contains(&field),
                    "{}: a metric names {field}, which its counters {:?} do not have",
                    tool.name,
                    tool.counter_fields
                );
            }
        }
    }

    /// The names of the files in `dir` (under the crate) that end with `suffix`, without
    /// it.
    fn stems(dir: &str, suffix: &str) -> std::collections::BTreeSet<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        std::fs::read_dir(&dir)
            .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter_map(|name| name.strip_suffix(suffix).map(str::to_string))
            .collect()
    }

    /// The one list (`tools!`) is the only one: every BPF program is a listed tool's,
    /// every listed tool but a helper has one, and every tool's executable is the stub
    /// `tool_main!(NAME);` in src/bin/NAME.rs (the README's table: tests/it/cli.rs).
    #[test]
    fn the_list_agrees_with_the_bpf_programs_and_the_executables() {
        let listed: std::collections::BTreeSet<String> =
            ALL.iter().map(|tool| tool.name.to_string()).collect();
        for program in stems("bpf", ".bpf.c") {
            assert!(
                listed.contains(&program),
                "bpf/{program}.bpf.c is no listed tool's: add it to tools![...]"
            );
        }
        for tool in ALL.iter().filter(|tool| tool.kind != ToolKind::Helper) {
            let source = format!("bpf/{}.bpf.c", tool.name);
            let exists = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(&source);
            assert!(exists.is_file(), "{} has no {source}", tool.name);
        }
        let stubs: std::collections::BTreeSet<String> = stems("src/bin", ".rs")
            .into_iter()
            .filter(|bin| listed.contains(bin))
            .collect();
        assert_eq!(stubs, listed, "a listed tool without src/bin/NAME.rs");
        for name in &stubs {
            let path = format!("{}/src/bin/{name}.rs", env!("CARGO_MANIFEST_DIR"));
            let stub = std::fs::read_to_string(&path).unwrap();
            let code: Vec<&str> = stub
                .lines()
                .filter(|line| !line.starts_with("//") && !line.trim().is_empty())
                .collect();
            let wanted = format!("ebpf_tracers::tool_main!({name});");
            assert_eq!(
                code,
                [wanted.as_str()],
                "{path}: only the stub, the tool is src/tools/{name}.rs"
            );
        }
    }

    #[test]
    fn every_tool_has_a_valid_command_line_and_examples() {
        for tool in ALL {
            tool.command().debug_assert();
            assert!(tool.examples.starts_with("EXAMPLES:"), "{}", tool.name);
            assert_eq!(find(tool.name).map(|t| t.name), Some(tool.name));
            match tool.kind {
                ToolKind::Events => assert!(tool.event_schema().is_some(), "{}", tool.name),
                ToolKind::Counts => assert!(tool.report_schema().is_some(), "{}", tool.name),
                ToolKind::Helper => {}
            }
        }
    }
}
