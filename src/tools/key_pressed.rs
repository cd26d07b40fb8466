//! key_pressed's identity: command line and records (what it does:
//! src/bin/key_pressed.rs).

use schemars::JsonSchema;
use serde::Serialize;

use crate::cli::StreamArgs;
use crate::record::Column;
use crate::record::Table;
use crate::report::Counters;
use crate::tools::Tool;

pub const TOOL: Tool = Tool::events::<Args, KeyPress>(
    "key_pressed",
    "Show key presses as input devices report them, and the ten most pressed keys.",
    EXAMPLES,
)
.with_report::<Key, Presses>();

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub stream: StreamArgs,
}

const EXAMPLES: &str = "\
EXAMPLES:
    key_pressed               # every key pressed, then the top 10 at Ctrl-C
    key_pressed -d 60 --json

Presses only: not releases or auto-repeats. The kprobe on input_event sees every
input device, virtual ones (uinput) too. Needs a kernel with kprobes: there is
no tracepoint for input events. What is typed may be secret: this is a key
logger, as any tool that can see key presses is.";

/// One key press.
#[derive(Debug, Serialize, JsonSchema)]
pub struct KeyPress {
    /// The key's name (lowercase, without KEY_), or key-<code>
    pub key: String,
    /// The key code (include/uapi/linux/input-event-codes.h)
    pub code: u32,
    /// The input device's name
    pub device: String,
}

/// A key of the top-10 report at the stop.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
pub struct Key {
    /// The key's name
    pub key: String,
}

/// How often a key was pressed.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Presses {
    pub presses: u64,
}

impl Counters for Presses {
    fn from_counts(counts: &[u64]) -> Self {
        Self {
            presses: counts.first().copied().unwrap_or(0),
        }
    }
}

impl KeyPress {
    /// `KEY CODE DEVICE`, after the TIME the tool always shows.
    pub fn table() -> Table {
        Table::new()
            .column(Column::left("key", "KEY", 12))
            .column(Column::right("code", "CODE", 5))
            .column(Column::last("device", "DEVICE"))
    }
}

impl Key {
    /// The top's `KEY PRESSES`.
    pub fn table() -> Table {
        Table::new()
            .column(Column::left("key", "KEY", 12))
            .column(Column::right("presses", "PRESSES", 8))
    }
}
