//! The real binary, started for a test: `Server` runs `centrala serve` on
//! free ports and reads its log.
#![allow(dead_code)]

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

pub const BIN: &str = env!("CARGO_BIN_EXE_centrala");

pub fn fixtures(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../store/tests/fixtures").join(name)
}

pub fn centrala(data: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.arg("--data")
        .arg(data)
        .env("CENTRALA_LOG", "info,rsipstack=warn")
        // A test machine's disk may be nearly full of other things; the
        // floor has its own test.
        .env("CENTRALA_RECORDINGS_MIN_FREE_MB", "16")
        // Debug builds on a busy two-core machine run their media clocks
        // late now and then; the lateness check has its own tests.
        .env("CENTRALA_SIP__MAX_MEDIA_LAG_MS", "0")
        // And their database steps take long now and then (set-up
        // admission has its own tests).
        .env("CENTRALA_SIP__MAX_SETUP_MS", "0")
        .env_remove("CENTRALA_DATABASE")
        .env_remove("RUST_LOG");
    c
}

/// A running `centrala serve`; its log lines arrive on `lines`.
pub struct Server {
    child: Child,
    /// `http://IP:PORT` (or `https://`).
    addr: String,
    /// Where SIP listens.
    pub sip: String,
    lines: mpsc::Receiver<String>,
    /// Every line read so far (`log_so_far` keeps what it reads).
    log: std::sync::Mutex<Vec<String>>,
}

impl Server {
    pub fn start(data: &Path, demo: bool) -> Server {
        Server::start_with(data, demo, &[])
    }

    /// Starts it with these `CENTRALA_*` settings in its environment.
    pub fn start_with(data: &Path, demo: bool, env: &[(&str, &str)]) -> Server {
        let mut cmd = centrala(data);
        // The tests count the calls they make: no demo history unless asked.
        cmd.env("CENTRALA_DEMO_HISTORY_DAYS", "0");
        cmd.envs(env.iter().copied());
        cmd.args(["serve", "--http", "127.0.0.1:0", "--sip", "127.0.0.1:0"]);
        if demo {
            cmd.arg("--demo");
        }
        let mut child = cmd.stderr(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut log = Vec::new();
        let mut sip = String::new();
        loop {
            let line = lines.recv_timeout(Duration::from_secs(120)).expect("the server printed its address");
            log.push(line.clone());
            if line.contains("SIP listening") {
                if let Some(rest) = line.split("local=").nth(1) {
                    sip = rest.split_whitespace().next().unwrap_or_default().to_owned();
                }
            }
            if let Some(rest) = line.split("listening on ").nth(1).filter(|r| r.starts_with("http")) {
                let addr = rest.trim().to_owned();
                return Server { child, addr, sip, lines, log: std::sync::Mutex::new(log) };
            }
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.addr)
    }

    /// What it has logged so far (`stop` returns it too).
    pub fn log_so_far(&self) -> String {
        let mut log = self.log.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        log.extend(self.lines.try_iter());
        log.join("\n")
    }

    /// Sends SIGTERM and waits for a clean exit; returns the rest of the log.
    pub fn stop(mut self) -> Vec<String> {
        Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status().unwrap();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "exit status after SIGTERM: {status}");
        let rest: Vec<String> = self.lines.try_iter().collect();
        let log = self.log.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner);
        log.extend(rest);
        std::mem::take(log)
    }
}

/// A size-limited tmpfs mounted on a folder (needs root); unmounted when
/// dropped.
pub struct Tmpfs(PathBuf);

impl Tmpfs {
    /// `None` when it cannot be mounted (not root): the caller says so with
    /// `tool_missing` and skips.
    pub fn mount(at: &Path, megabytes: u32) -> Option<Tmpfs> {
        std::fs::create_dir_all(at).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(at)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(at.to_owned()))
    }

    /// Makes it read-only (as a failing disk or a wrong mount would).
    pub fn read_only(&self) {
        let ok = Command::new("mount").args(["-o", "remount,ro"]).arg(&self.0).status().unwrap();
        assert!(ok.success());
    }

    /// Free bytes on it.
    pub fn free(&self) -> u64 {
        let s = rustix::fs::statvfs(&self.0).unwrap();
        s.f_bavail * s.f_frsize
    }

    /// Fills it with a file of its own until at most `leave` bytes are
    /// free (0: until the disk refuses more).
    pub fn fill(&self, name: &str, leave: u64) {
        use std::io::Write;
        let mut f = std::fs::File::create(self.0.join(name)).unwrap();
        let block = vec![0u8; 256 * 1024];
        while self.free() > leave {
            let n = block.len().min(usize::try_from(self.free() - leave).unwrap_or(block.len()).max(4096));
            if f.write_all(&block[..n]).and_then(|()| f.sync_data()).is_err() {
                break;
            }
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

impl Server {
    /// Kills it with SIGKILL, as a crash or a power cut would; returns its log.
    pub fn kill(mut self) -> Vec<String> {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        let rest: Vec<String> = self.lines.try_iter().collect();
        let log = self.log.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner);
        log.extend(rest);
        std::mem::take(log)
    }
}

impl Drop for Server {
    /// A failed assertion must not leave a server running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A certificate for localhost and 127.0.0.1 issued by a test authority
/// (`ca.pem`, made on the first call), made with OpenSSL in `dir` as
/// `NAME.pem` and `NAME.key`.
pub fn certificate(dir: &std::path::Path, name: &str) {
    // A new key and a self-signed (or, with -CA, issued) certificate for 2
    // days, with `subject` and `more` arguments.
    let req = |subject: &str, more: &[&str]| {
        let out = Command::new("openssl")
            .current_dir(dir)
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", subject])
            .args(more)
            .output()
            .expect("openssl is installed");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    if !dir.join("ca.pem").exists() {
        req(
            "/CN=Centrala test CA",
            &[
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
            ],
        );
    }
    req(
        &format!("/CN={name}"),
        &[
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-addext",
            "basicConstraints=CA:FALSE",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
        ],
    );
}
