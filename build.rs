//! Compiles every `bpf/<tool>.bpf.c` into `$OUT_DIR/<tool>.skel.rs` with libbpf-cargo.
//!
//! The kernel types come from the committed `vmlinux/<arch>/vmlinux.h` (regenerate it
//! with `make vmlinux`), so the build never reads the build machine's /sys/kernel/btf:
//! CO-RE relocations adapt the object to whatever kernel it later runs on.

use std::env;
use std::ffi::OsStr;
use std::fs;
use std::path::Path;
use std::path::PathBuf;
use std::process::Command;

use libbpf_cargo::SkeletonBuilder;

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets it"));
    let arch = match env::var("CARGO_CFG_TARGET_ARCH").as_deref() {
        Ok("x86_64") => "x86",
        Ok("aarch64") => "arm64",
        Ok(other) => other.to_string().leak(),
        Err(_) => "x86",
    };
    let bpf_dir = manifest_dir.join("bpf");
    let vmlinux_dir = manifest_dir.join("vmlinux").join(arch);

    println!("cargo:rerun-if-changed={}", bpf_dir.display());
    println!("cargo:rerun-if-changed={}", vmlinux_dir.display());
    println!("cargo:rerun-if-env-changed=CLANG");
    stamp_commit(&manifest_dir);

    if !vmlinux_dir.join("vmlinux.h").exists() {
        fail(&format!(
            "{} is missing: run `make vmlinux` on a machine with BTF to generate it",
            vmlinux_dir.join("vmlinux.h").display()
        ));
    }
    let clang = env::var_os("CLANG").unwrap_or_else(|| "clang".into());
    check_clang(&clang);

    let mut sources: Vec<PathBuf> = fs::read_dir(&bpf_dir)
        .unwrap_or_else(|err| fail(&format!("cannot read {}: {err}", bpf_dir.display())))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.to_string_lossy().ends_with(".bpf.c"))
        .collect();
    sources.sort();

    for source in &sources {
        let file_name = source
            .file_name()
            .and_then(OsStr::to_str)
            .unwrap_or_default();
        let tool = file_name.trim_end_matches(".bpf.c");
        let skeleton = out_dir.join(format!("{tool}.skel.rs"));
        let result = SkeletonBuilder::new()
            .source(source)
            .clang(&clang)
            .clang_args([
                OsStr::new("-I"),
                vmlinux_dir.as_os_str(),
                OsStr::new("-I"),
                bpf_dir.as_os_str(),
                OsStr::new("-Wall"),
                OsStr::new("-Werror"),
            ])
            .build_and_generate(&skeleton);
        if let Err(err) = result {
            fail(&format!("failed to build {}: {err:#}", source.display()));
        }
    }
}

/// `EBPF_TRACERS_COMMIT` for --version: the git commit the build is made from (short
/// hash), or what the environment says (a build from a tarball), else "unknown". The
/// build reruns when HEAD moves (the files git names for HEAD and the branch it is on).
fn stamp_commit(manifest_dir: &Path) {
    println!("cargo:rerun-if-env-changed=EBPF_TRACERS_COMMIT");
    let git = |args: &[&str]| -> Option<String> {
        let output = Command::new("git")
            .arg("-C")
            .arg(manifest_dir)
            .args(args)
            .output()
            .ok()?;
        let text = String::from_utf8(output.stdout).ok()?.trim().to_string();
        (output.status.success() && !text.is_empty()).then_some(text)
    };
    let commit = env::var("EBPF_TRACERS_COMMIT")
        .ok()
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]))
        .unwrap_or_else(|| "unknown".into());
    let mut watched = vec!["HEAD".to_string(), "packed-refs".to_string()];
    watched.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for name in watched {
        // A path that does not exist would make cargo rerun this script every build.
        let path = git(&["rev-parse", "--path-format=absolute", "--git-path", &name]);
        if let Some(path) = path.filter(|path| Path::new(path).exists()) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    println!("cargo:rustc-env=EBPF_TRACERS_COMMIT={commit}");
}

/// Fails early with one readable line instead of libbpf-cargo's "No such file" deep in
/// a backtrace when clang is absent.
fn check_clang(clang: &OsStr) {
    match Command::new(clang).arg("--version").output() {
        Ok(output) if output.status.success() => {}
        _ => fail(&format!(
            "`{}` not found or not working: the BPF programs need clang; run \
             `sudo scripts/install-deps.sh` (or set CLANG=/path/to/clang)",
            Path::new(clang).display()
        )),
    }
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    println!("cargo:warning={message}");
    std::process::exit(1);
}
