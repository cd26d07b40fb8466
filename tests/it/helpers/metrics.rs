//! Scraping a tool's --metrics-addr as Prometheus would, and checking the exposition
//! with Prometheus' own promtool.

use std::io::Write;
use std::process::Command;
use std::process::Stdio;
use std::time::Duration;
use std::time::Instant;

use super::harness::IN_GUEST;
use super::tracer::Tracer;

/// The loopback address to give --metrics-addr: port 0, the kernel chooses.
pub const ANY_PORT: &str = "127.0.0.1:0";

/// The port a tracer serves its metrics on, as its readiness line says
/// ("... Metrics at http://127.0.0.1:PORT/metrics").
pub fn served_port(tracer: &Tracer) -> u16 {
    let line = tracer.ready_line();
    line.split_once("Metrics at ")
        .and_then(|(_, url)| url.split_once("://"))
        .and_then(|(_, rest)| rest.strip_suffix("/metrics"))
        .and_then(|addr| addr.parse::<std::net::SocketAddr>().ok())
        .map(|addr| addr.port())
        .filter(|&port| port != 0)
        .unwrap_or_else(|| panic!("the readiness line names no metrics address: {line}"))
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    super::http::free_port().expect("cannot find a free port")
}

/// One HTTP/1.0 request for `path`: the status code and the body (None: no answer
/// within 10 s).
pub fn get(port: u16, path: &str) -> Option<(u16, String)> {
    get_within(port, path, Duration::from_secs(10))
}

/// As `get`, waiting up to `timeout` for each read.
pub fn get_within(port: u16, path: &str, timeout: Duration) -> Option<(u16, String)> {
    super::http::request(port, path, timeout)
        .map_err(|why| eprintln!("GET {path}: {why}"))
        .ok()
}

/// Scrapes /metrics until the exposition satisfies `wanted` (None at the deadline).
pub fn scrape_until(port: u16, timeout: Duration, wanted: impl Fn(&str) -> bool) -> Option<String> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Some((200, body)) = get(port, "/metrics") {
            if wanted(&body) {
                return Some(body);
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

/// The value of the sample `name{labels}` (labels in any order, all of them given).
pub fn sample(exposition: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    exposition.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let (metric, rest) = match series.split_once('{') {
            Some((metric, rest)) => (metric, rest.trim_end_matches('}')),
            None => (series, ""),
        };
        if metric != name {
            return None;
        }
        let mut found: Vec<String> = rest
            .split("\",")
            .filter(|pair| !pair.is_empty())
            .map(|pair| pair.trim_end_matches('"').replacen("=\"", "=", 1))
            .collect();
        let mut wanted: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        found.sort();
        wanted.sort();
        (found == wanted).then(|| value.parse().ok()).flatten()
    })
}

/// Fails unless `promtool check metrics` accepts `exposition` (promtool comes with
/// Debian's prometheus package, which scripts/install-deps.sh installs).
///
/// On the host only: the exposition is user-space text, the same on every kernel, and
/// promtool (a Go binary) takes about 4 s to start under the guests' software
/// emulation. The host runs every test that calls this; the guests still scrape every
/// tool and check its samples.
pub fn assert_promtool_accepts(tool: &str, exposition: &str) {
    if std::env::var_os(IN_GUEST).is_some() {
        return;
    }
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot run promtool (scripts/install-deps.sh installs package prometheus)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(exposition.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{tool}: promtool check metrics refused the exposition:\n{}{}\n{exposition}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The password of the user `prometheus` in a `WebFiles` configuration.
pub const PASSWORD: &str = "s3cret-of-the-test";

/// What --web-config needs, made for one test (removed on drop): a CA and a server
/// certificate it signed for 127.0.0.1 (openssl), and web.yml in the exporter-toolkit
/// format with TLS and the basic-auth user `prometheus` (bcrypt hash of `PASSWORD`).
/// A new P-256 key, unencrypted (openssl req's arguments).
const EC_KEY: [&str; 5] = [
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
];

fn openssl(args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .output()
        .expect("cannot run openssl (scripts/install-deps.sh installs it)");
    assert!(output.status.success(), "openssl {args:?}: {output:?}");
}

pub struct WebFiles {
    pub dir: std::path::PathBuf,
}

impl WebFiles {
    pub fn new(tag: &str) -> WebFiles {
        let dir = std::path::PathBuf::from(super::workload::unique_path(tag));
        std::fs::create_dir_all(&dir).unwrap();
        let files = WebFiles { dir };
        let (ca_key, ca_crt) = (files.path("ca.key"), files.path("ca.crt"));
        let mut ca = vec!["req", "-x509"];
        ca.extend(EC_KEY);
        ca.extend([
            "-keyout",
            &ca_key,
            "-out",
            &ca_crt,
            "-subj",
            "/CN=ebpf-tracers test CA",
        ]);
        ca.extend(["-days", "2"]);
        openssl(&ca);
        files.sign(
            "server",
            "/CN=127.0.0.1",
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
             keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
        );
        let hash = bcrypt::hash(PASSWORD, 4).unwrap();
        std::fs::write(
            files.path("web.yml"),
            format!(
                "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n\
                 basic_auth_users:\n  prometheus: {hash}\n"
            ),
        )
        .unwrap();
        files
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.join(name).to_string_lossy().into_owned()
    }

    /// NAME.key and NAME.crt: a new key, and its certificate for SUBJECT with the
    /// extensions EXT, signed by the test's CA.
    fn sign(&self, name: &str, subject: &str, ext: &str) {
        let ext_file = self.path(&format!("{name}.ext"));
        std::fs::write(&ext_file, ext).unwrap();
        let (key, csr, crt) = (
            self.path(&format!("{name}.key")),
            self.path(&format!("{name}.csr")),
            self.path(&format!("{name}.crt")),
        );
        let mut request = vec!["req"];
        request.extend(EC_KEY);
        request.extend(["-keyout", &key, "-out", &csr, "-subj", subject]);
        openssl(&request);
        let (ca_key, ca_crt) = (self.path("ca.key"), self.path("ca.crt"));
        openssl(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca_crt,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            "-out",
            &crt,
            "-days",
            "2",
            "-extfile",
            &ext_file,
        ]);
    }

    /// --web-config's value.
    pub fn config(&self) -> String {
        self.path("web.yml")
    }

    /// A client certificate the test's CA signs (client.key, client.crt) and a
    /// configuration that requires one (web-client.yml, no basic auth): its path.
    pub fn config_requiring_client_certificates(&self) -> String {
        self.sign(
            "client",
            "/CN=scraper",
            "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n",
        );
        let config = self.path("web-client.yml");
        std::fs::write(
            &config,
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  \
             client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n",
        )
        .unwrap();
        config
    }

    /// GET https://127.0.0.1:PORT/metrics with curl, trusting the test's CA, as `user`
    /// if given: the status (0: no HTTP answer) and the body.
    pub fn get(&self, port: u16, user: Option<(&str, &str)>) -> (u16, String) {
        self.get_as(port, user, false)
    }

    /// `get`, presenting the client certificate (config_requiring_client_certificates)
    /// if `certificate`.
    pub fn get_as(
        &self,
        port: u16,
        user: Option<(&str, &str)>,
        certificate: bool,
    ) -> (u16, String) {
        let mut curl = Command::new("curl");
        if certificate {
            curl.args([
                "--cert",
                &self.path("client.crt"),
                "--key",
                &self.path("client.key"),
            ]);
        }
        curl.args(["-sS", "--max-time", "60", "--cacert", &self.path("ca.crt")]);
        curl.args(["-o", "-", "-w", "\n%{http_code}"]);
        if let Some((name, password)) = user {
            curl.args(["-u", &format!("{name}:{password}")]);
        }
        let output = curl
            .arg(format!("https://127.0.0.1:{port}/metrics"))
            .output()
            .expect("cannot run curl (scripts/install-deps.sh installs it)");
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
        (code.trim().parse().unwrap_or(0), body.to_string())
    }
}

impl Drop for WebFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
