//! Helpers for the invitation and two-factor tests: a real SMTP server on
//! loopback (Python aiosmtpd, see `smtp_sink.py`), reading messages and their
//! invitation tokens, accepting invitations, TOTP codes from `oathtool` (an
//! independent implementation), and the pseudo-terminal driver of
//! `prompts_pty.rs`.

#![allow(dead_code)]

use crate::common::{Env, Run};
use rexpect::process::WaitStatus;
use rexpect::session::PtySession;
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// SMTP

/// A port nobody listens on (bound to port 0, then released).
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("local addr").port()
}

/// A loopback SMTP server that keeps every message it receives in a
/// directory. Killed when dropped.
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

/// One message as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope sender (MAIL FROM).
    pub from: String,
    /// The envelope recipients (RCPT TO).
    pub rcpt: Vec<String>,
    /// The raw message (headers and body).
    pub raw: String,
    /// The login the client authenticated with, if it did.
    pub auth: Option<String>,
    /// The name the client gave in its greeting (EHLO).
    pub helo: String,
}

impl SmtpServer {
    pub fn start() -> SmtpServer {
        SmtpServer::start_on(free_port())
    }

    pub fn start_on(port: u16) -> SmtpServer {
        SmtpServer::spawn(port, &[])
    }

    /// A server that requires AUTH with this login (offered without TLS).
    pub fn with_login(user: &str, password: &str) -> SmtpServer {
        SmtpServer::spawn(free_port(), &[user, password])
    }

    fn spawn(port: u16, auth: &[&str]) -> SmtpServer {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("mail")).expect("mail dir");
        let log = std::fs::File::create(dir.path().join("server.log")).expect("server log");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support_mail/smtp_sink.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .arg("127.0.0.1")
            .arg(port.to_string())
            .arg(dir.path().join("mail"))
            .args(auth)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start python3 (the SMTP server of the tests needs python3 with aiosmtpd)");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let ready = rx.recv_timeout(Duration::from_secs(30));
        if ready.as_deref().map(str::trim) != Ok("ready") {
            let _ = child.kill();
            let _ = child.wait();
            let err = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
            panic!("the SMTP server did not start on port {port}: {ready:?}\n{err}");
        }
        // The controller has already answered a connection of its own; check
        // once more from here.
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the SMTP server on port {port} accepts no connection");
            std::thread::sleep(Duration::from_millis(20));
        }
        SmtpServer { child, port, dir }
    }

    /// `smtp://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every complete message received so far, in order of arrival.
    pub fn messages(&self) -> Vec<Received> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path().join("mail"))
            .expect("read the mail dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|eml| {
                let read = |ext: &str| std::fs::read_to_string(eml.with_extension(ext)).expect("message part");
                Received {
                    auth: std::fs::read_to_string(eml.with_extension("auth")).ok(),
                    from: read("from"),
                    helo: read("helo"),
                    rcpt: read("rcpt").lines().map(str::to_string).collect(),
                    raw: read("eml"),
                }
            })
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Received {
    /// The value of a header (the first with that name), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        header(&self.raw, name)
    }

    pub fn body(&self) -> String {
        body(&self.raw)
    }

    /// The token of the default invitation URL in the body.
    pub fn token(&self) -> String {
        token_in(&self.raw)
    }
}

/// The value of a header of a raw message, unfolded.
pub fn header(raw: &str, name: &str) -> Option<String> {
    let head = raw.split_once("\r\n\r\n").or_else(|| raw.split_once("\n\n")).map(|(h, _)| h).unwrap_or(raw);
    let mut lines = head.lines().peekable();
    while let Some(line) = lines.next() {
        let Some((k, v)) = line.split_once(':') else { continue };
        if k.eq_ignore_ascii_case(name) {
            let mut value = v.trim().to_string();
            while let Some(next) = lines.peek().filter(|l| l.starts_with([' ', '\t'])) {
                value.push(' ');
                value.push_str(next.trim());
                lines.next();
            }
            return Some(value);
        }
    }
    None
}

/// The body of a message, decoded when it is quoted-printable.
pub fn body(mail: &str) -> String {
    let (head, body) = mail.split_once("\r\n\r\n").or_else(|| mail.split_once("\n\n")).expect("header and body");
    if !head.lines().any(|l| l.eq_ignore_ascii_case("Content-Transfer-Encoding: quoted-printable")) {
        return body.replace("\r\n", "\n");
    }
    let joined = body.replace("=\r\n", "").replace("=\n", "");
    let b = joined.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).expect("quoted-printable"));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap().replace("\r\n", "\n")
}

pub const INVITE_PREFIX: &str = "https://localhost/invite/";

/// The token of the default invitation URL in a message.
pub fn token_in(mail: &str) -> String {
    let b = body(mail);
    let start = b.find(INVITE_PREFIX).unwrap_or_else(|| panic!("no {INVITE_PREFIX} in\n{b}"));
    let url = b[start..].split_whitespace().next().unwrap();
    url.strip_prefix(INVITE_PREFIX).unwrap().to_string()
}

/// The `.eml` files of the outbox transport, sorted by name.
pub fn outbox_files(env: &Env) -> Vec<PathBuf> {
    let Ok(dir) = std::fs::read_dir(env.outbox()) else { return vec![] };
    let mut v: Vec<PathBuf> = dir.map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "eml")).collect();
    v.sort();
    v
}

/// The token of the one outbox message addressed to `email`, which is then
/// removed (so that the next message to them is again the only one).
pub fn take_outbox_token(env: &Env, email: &str) -> String {
    let mine: Vec<(PathBuf, String)> = outbox_files(env)
        .into_iter()
        .map(|p| {
            let m = std::fs::read_to_string(&p).unwrap();
            (p, m)
        })
        .filter(|(_, m)| header(m, "To").is_some_and(|to| to == email || to.ends_with(&format!("<{email}>"))))
        .collect();
    assert_eq!(mine.len(), 1, "expected one message to {email} in the outbox: {mine:?}");
    let (path, mail) = &mine[0];
    std::fs::remove_file(path).unwrap();
    token_in(mail)
}

// ---------------------------------------------------------------------------
// Invitations and passwords

pub fn sha256(s: &str) -> Vec<u8> {
    Sha256::digest(s.as_bytes()).to_vec()
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The stored token hash of the user's newest invitation, as hex.
pub fn token_hash(env: &Env, email: &str) -> String {
    env.query(&format!(
        "SELECT i.token_hash FROM invitations i JOIN users u ON u.id = i.user_id
         WHERE u.email = '{email}' ORDER BY i.id DESC LIMIT 1"
    ))
    .to_lowercase()
}

/// `invite accept --password-stdin -- TOKEN` with `stdin` as the input. The
/// `--` is there because a base64url token may begin with `-` (see
/// `a_token_beginning_with_a_dash_is_accepted` in invite_accept.rs).
pub fn accept(env: &Env, token: &str, stdin: &[u8]) -> Run {
    env.run_with(&["invite", "accept", "--password-stdin", "--", token], &[], Some(stdin))
}

/// Add an invited member (its invitation pending) and make them active
/// through a real acceptance of a token sent to the outbox.
pub fn invite_and_accept(env: &Env, email: &str, role: &str, password: &str) {
    env.run(&["user", "add", email, "--role", role]).ok();
    let token = take_outbox_token(env, email);
    accept(env, &token, format!("{password}\n").as_bytes()).ok();
    assert_eq!(env.query(&format!("SELECT status FROM users WHERE email = '{email}'")), "active");
}

/// Verify a password against a PHC string with Python's argon2-cffi, an
/// independent argon2 implementation.
pub fn argon2_cffi_verifies(phc: &str, password: &str) -> bool {
    let out = Command::new("python3")
        .args(["-c", "import argon2, sys; argon2.PasswordHasher().verify(sys.argv[1], sys.argv[2])", phc, password])
        .output()
        .expect("run python3 (argon2-cffi)");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("ModuleNotFoundError"), "argon2-cffi is not installed: {err}");
    out.status.success()
}

// ---------------------------------------------------------------------------
// TOTP

pub const STEP: u64 = 30;

pub fn now_step() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() / STEP
}

fn oathtool(args: &[&str]) -> String {
    let out = Command::new("oathtool").args(args).output().expect("run oathtool (Debian package oathtool)");
    assert!(out.status.success(), "oathtool {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    let code = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()), "oathtool printed {code:?}");
    code
}

/// The code of `secret` (base32) at a given 30-second step, by oathtool.
pub fn code_at(secret: &str, step: u64) -> String {
    oathtool(&["--totp", "-b", secret, "-N", &format!("@{}", step * STEP)])
}

/// `oathtool --totp -b SECRET` for the current time, with the step it was
/// computed for (retried when a step boundary fell inside the call).
pub fn current_code(secret: &str) -> (u64, String) {
    loop {
        let before = now_step();
        let code = oathtool(&["--totp", "-b", secret]);
        if now_step() == before {
            return (before, code);
        }
    }
}

/// A six-digit code that is not valid for `secret` anywhere near now.
pub fn wrong_code(secret: &str) -> String {
    let now = now_step();
    let valid: Vec<String> = (now - 2..=now + 3).map(|s| code_at(secret, s)).collect();
    ["000000", "111111", "222222"].into_iter().find(|c| !valid.iter().any(|v| v == c)).unwrap().to_string()
}

/// Sleep until the clock is at least at `step` (for a code of step + 1 ... ).
pub fn wait_for_step(step: u64) {
    while now_step() < step {
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The base32 secret of an `otpauth://` URI.
pub fn secret_of(uri: &str) -> String {
    let q = uri.split_once('?').expect("query").1;
    q.split('&').find_map(|kv| kv.strip_prefix("secret=")).expect("secret=").to_string()
}

/// The recovery codes printed after enrolment (the indented lines after the
/// "Recovery codes" line).
pub fn recovery_codes(out: &str) -> Vec<String> {
    let after = out.split_once("Recovery codes").unwrap_or_else(|| panic!("no recovery codes in\n{out}")).1;
    after
        .lines()
        .skip(1)
        .map(|l| l.trim_end_matches('\r'))
        .take_while(|l| l.starts_with("  "))
        .map(|l| l.trim().to_string())
        .collect()
}

/// `acct 2fa enroll` without a terminal: stdin and stdout are pipes. The
/// command prints the URI, then reads one line with the code (after one line
/// with a code of the old secret when it re-enrols).
pub struct PipedEnroll {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
    pub out: String,
}

impl PipedEnroll {
    pub fn start(env: &Env, actor: &str) -> PipedEnroll {
        let mut c = env.command();
        c.args(["2fa", "enroll"]).env("ACCT_ACTOR", actor);
        c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = c.spawn().expect("spawn acct");
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for l in stdout.lines() {
                let Ok(l) = l else { break };
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        let (etx, erx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            let _ = etx.send(s);
        });
        PipedEnroll { child, stdin, lines, stderr: erx, out: String::new() }
    }

    /// Write one line to stdin.
    pub fn line(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(format!("{text}\n").as_bytes()).expect("write stdin");
        stdin.flush().unwrap();
    }

    /// Read stdout up to the `otpauth://` line and return the URI (without
    /// writing anything: a command waiting for stdin fails the test).
    pub fn uri(&mut self) -> String {
        loop {
            match self.lines.recv_timeout(Duration::from_secs(20)) {
                Ok(l) => {
                    self.out.push_str(&l);
                    self.out.push('\n');
                    if l.starts_with("otpauth://") {
                        return l;
                    }
                }
                Err(e) => panic!("no otpauth:// URI on stdout ({e}):\n{}", self.out),
            }
        }
    }

    /// Close stdin, wait, and return the run (stdout includes what was read).
    pub fn finish(mut self) -> Run {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(60);
        while let Ok(l) = self.lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            self.out.push_str(&l);
            self.out.push('\n');
        }
        let status = self.child.wait().expect("wait");
        let stderr = self.stderr.recv_timeout(Duration::from_secs(30)).expect("stderr");
        Run { code: status.code().unwrap_or(-1), stdout: std::mem::take(&mut self.out), stderr }
    }
}

impl Drop for PipedEnroll {
    fn drop(&mut self) {
        // Only when a test failed half-way: the process may still wait.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Enrol `actor` without a terminal, confirming with `oathtool`'s current
/// code: the secret, the step of the code, and the recovery codes.
pub fn enroll(env: &Env, actor: &str) -> (String, u64, Vec<String>) {
    let mut e = PipedEnroll::start(env, actor);
    let secret = secret_of(&e.uri());
    let (step, code) = current_code(&secret);
    e.line(&code);
    let run = e.finish();
    run.ok();
    let codes = recovery_codes(&run.stdout);
    assert_eq!(codes.len(), 10, "{}", run.stdout);
    (secret, step, codes)
}

// ---------------------------------------------------------------------------
// Pseudo-terminals (as in prompts_pty.rs)

pub const TIMEOUT_MS: u64 = 15_000;
pub const ENTER: &str = "\r";

/// The command of `Env::command()` with stdin, stdout and stderr on a
/// pseudo-terminal.
pub fn pty(env: &Env, args: &[&str], envs: &[(&str, &str)]) -> PtySession {
    env.pty(args, envs, TIMEOUT_MS)
}

pub fn send(p: &mut PtySession, keys: &str) {
    p.send(keys).expect("send keys");
    p.flush().expect("flush keys");
}

/// Undo the reader's byte-per-char conversion for UTF-8 text.
pub fn utf8(s: &str) -> String {
    String::from_utf8_lossy(&s.chars().map(|c| c as u32 as u8).collect::<Vec<u8>>()).into_owned()
}

/// Everything the process still prints, and its exit code.
pub fn finish(mut p: PtySession) -> (String, i32) {
    let rest = utf8(&p.exp_eof().expect("eof"));
    let code = match p.process().wait().expect("wait") {
        WaitStatus::Exited(_, code) => code,
        other => panic!("acct did not exit normally: {other:?}\n{rest}"),
    };
    (rest, code)
}
