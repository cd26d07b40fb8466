//! gendocs: what installed tools come with, for scripts/stage.sh (src/app/manual.rs).
//!   gendocs DIR      writes every tool's man page and bash/zsh/fish completions in DIR
//!   gendocs --names  prints every tool's name and installed name, one tool per line

use std::path::Path;
use std::process::ExitCode;

use ebpf_tracers::app::manual;
use ebpf_tracers::tools::ALL;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag] if flag == "--names" => {
            for tool in ALL {
                println!("{} {}", tool.name, tool.installed_name());
            }
            ExitCode::SUCCESS
        }
        [dir] if !dir.starts_with('-') => {
            ebpf_tracers::run::main_with("gendocs", || manual::write_all(Path::new(dir)))
        }
        _ => {
            eprintln!("usage: gendocs DIR | gendocs --names");
            ExitCode::from(2)
        }
    }
}
