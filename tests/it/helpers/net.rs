//! Network namespaces made for one test, joined by a veth pair.

use std::io::Write;
use std::process::Command;
use std::process::Stdio;

use super::workload::unique_name;

/// Two network namespaces joined by a veth pair, made for one test and removed when
/// dropped. Addresses exist only inside the namespaces; traffic stays there.
pub struct VethPair {
    pub ns_a: String,
    pub ns_b: String,
    pub dev_a: String,
    pub dev_b: String,
    pub ip_a: &'static str,
    pub ip_b: &'static str,
}

impl VethPair {
    pub fn create(tag: &str) -> VethPair {
        let base = unique_name(tag);
        let pair = VethPair {
            ns_a: format!("ebpf_tracers_{base}a"),
            ns_b: format!("ebpf_tracers_{base}b"),
            dev_a: format!("{base}a"),
            dev_b: format!("{base}b"),
            ip_a: "10.254.0.1",
            ip_b: "10.254.0.2",
        };
        assert!(
            pair.dev_a.len() <= 15,
            "interface name {} too long",
            pair.dev_a
        );
        // One `ip` per namespace and one for both (ip -batch): under software
        // emulation each `ip` costs most of a second, and tests make a dozen pairs.
        let batch = |namespace: Option<&str>, commands: &[String]| {
            let mut ip = Command::new("ip");
            if let Some(namespace) = namespace {
                ip.args(["-n", namespace]);
            }
            let mut child = ip
                .args(["-batch", "-"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("cannot run ip");
            let script = commands.join("\n") + "\n";
            child
                .stdin
                .take()
                .unwrap()
                .write_all(script.as_bytes())
                .unwrap();
            let output = child.wait_with_output().expect("ip failed");
            assert!(
                output.status.success(),
                "ip -batch {namespace:?} {commands:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        };
        batch(
            None,
            &[
                format!("netns add {}", pair.ns_a),
                format!("netns add {}", pair.ns_b),
                format!(
                    "link add {} netns {} type veth peer name {} netns {}",
                    pair.dev_a, pair.ns_a, pair.dev_b, pair.ns_b
                ),
            ],
        );
        for (ns, dev, addr) in [
            (&pair.ns_a, &pair.dev_a, pair.ip_a),
            (&pair.ns_b, &pair.dev_b, pair.ip_b),
        ] {
            batch(
                Some(ns),
                &[
                    format!("addr add {addr}/24 dev {dev}"),
                    format!("link set {dev} up"),
                    "link set lo up".to_string(),
                ],
            );
        }
        pair
    }

    /// `work`'s result, done on a thread that has entered namespace B (a tool served
    /// there on B's loopback is reached so).
    pub fn within_b<T: Send>(&self, work: impl FnOnce() -> T + Send) -> T {
        use std::os::fd::AsRawFd;
        let ns = std::fs::File::open(format!("/run/netns/{}", self.ns_b))
            .unwrap_or_else(|err| panic!("namespace {}: {err}", self.ns_b));
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    // SAFETY: a namespace descriptor; only this thread changes namespace.
                    let entered = unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
                    assert_eq!(entered, 0, "setns: {}", std::io::Error::last_os_error());
                    work()
                })
                .join()
                .expect("the thread in namespace B panicked")
        })
    }

    /// A command that runs inside namespace A.
    pub fn in_a(&self, program: &str) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.ns_a, program]);
        command
    }
}

impl Drop for VethPair {
    fn drop(&mut self) {
        // Deleting a namespace deletes its end of the pair, and with it the other end.
        // Each on its own: one that was never made must not keep the other.
        for ns in [&self.ns_a, &self.ns_b] {
            let _ = Command::new("ip")
                .args(["netns", "del", ns])
                .stderr(Stdio::null())
                .status();
        }
    }
}
