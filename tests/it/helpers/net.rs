//! Network namespaces made for one test, joined by a veth pair.

use std::process::Command;

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
        let ip = |args: &[&str]| {
            let output = Command::new("ip")
                .args(args)
                .output()
                .expect("cannot run ip");
            assert!(
                output.status.success(),
                "ip {args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        };
        ip(&["netns", "add", &pair.ns_a]);
        ip(&["netns", "add", &pair.ns_b]);
        ip(&[
            "link",
            "add",
            &pair.dev_a,
            "netns",
            &pair.ns_a,
            "type",
            "veth",
            "peer",
            "name",
            &pair.dev_b,
            "netns",
            &pair.ns_b,
        ]);
        for (ns, dev, addr) in [
            (&pair.ns_a, &pair.dev_a, pair.ip_a),
            (&pair.ns_b, &pair.dev_b, pair.ip_b),
        ] {
            ip(&["-n", ns, "addr", "add", &format!("{addr}/24"), "dev", dev]);
            ip(&["-n", ns, "link", "set", dev, "up"]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
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
        for ns in [&self.ns_a, &self.ns_b] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}
