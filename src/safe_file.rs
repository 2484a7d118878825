//! Every file acct writes goes through here.
//!
//! A file is written whole or not at all: into a private temporary file
//! (`.acct-XXXXXXXXXXXX`, mode 0600) in the directory of the file it replaces,
//! synced, then renamed into place. A symlink is followed: the file it names
//! is replaced and the link stays a link.
//!
//! An output path named by the user ([`OutputFile`]: `-o`, `--report`) is
//! refused (exit 5, nothing written) when it is the database or one of its
//! side files, the command's own input, or an existing path that is not a
//! regular file. Paths are compared after resolving symlinks and `..`, and by
//! device and inode, so that a hard link or another spelling of the database
//! is caught too.
//!
//! Interruption: a failed write (a full disk, a broken stream) removes the
//! temporary file on the way out; SIGINT, SIGTERM and SIGHUP run a handler
//! that removes every temporary file still registered here and exits with
//! the conventional status (128 + the signal number). The handler is plain
//! `libc` (`sigaction`, `unlink`, `_exit`), because all it may do is
//! async-signal-safe, and its registry is a fixed table of atomics and
//! buffers that it can read without taking a lock.

use crate::error::{AppError, Kind, Result, one_line};
use anyhow::Context;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// A device and inode: the identity of a file whatever its name.
type FileId = (u64, u64);

fn file_id(m: &std::fs::Metadata) -> FileId {
    (m.dev(), m.ino())
}

/// Paths that an output file must never replace.
#[derive(Debug, Default)]
pub struct Forbidden {
    entries: Vec<(PathBuf, Option<FileId>, String)>,
}

impl Forbidden {
    pub fn new() -> Forbidden {
        Forbidden::default()
    }

    /// The database and its `-wal`, `-shm` and `-journal` files, beside the
    /// path as given and beside the file it resolves to.
    pub fn database(mut self, db: &Path) -> Forbidden {
        if crate::location::postgres_url(db).is_some() {
            // A server's database has no files here.
            return self;
        }
        let mut bases = vec![std::path::absolute(db).unwrap_or_else(|_| db.to_path_buf())];
        if let Ok(real) = resolve(db) {
            bases.push(real);
        }
        for base in bases {
            for (suffix, what) in
                [("", "the database"), ("-wal", "a file of the database (-wal)"), ("-shm", "a file of the database (-shm)")]
                    .into_iter()
                    .chain([("-journal", "a file of the database (-journal)")])
            {
                let mut p = base.as_os_str().to_owned();
                p.push(suffix);
                self.add(PathBuf::from(p), what);
            }
        }
        self
    }

    /// The command's input file.
    pub fn input(mut self, path: &Path) -> Forbidden {
        let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        self.add(abs, "the input file of this command");
        if let Ok(real) = resolve(path) {
            self.add(real, "the input file of this command");
        }
        self
    }

    /// Standard input, when it is a regular file (`acct user import - < f.csv`).
    pub fn stdin(mut self) -> Forbidden {
        use std::os::fd::AsFd;
        let id = std::io::stdin()
            .as_fd()
            .try_clone_to_owned()
            .ok()
            .map(std::fs::File::from)
            .and_then(|f| f.metadata().ok())
            .filter(|m| m.is_file())
            .map(|m| file_id(&m));
        if let Some(id) = id {
            self.entries.push((PathBuf::new(), Some(id), "the input file of this command (standard input)".into()));
        }
        self
    }

    fn add(&mut self, path: PathBuf, what: &str) {
        let id = std::fs::metadata(&path).ok().map(|m| file_id(&m));
        self.entries.push((path, id, what.to_string()));
    }

    /// What `path` is, when it is one of the forbidden files (compared
    /// after resolving symlinks, and by device and inode).
    pub fn names(&self, path: &Path) -> Option<&str> {
        let real = resolve(path).ok()?;
        let id = std::fs::metadata(&real).ok().map(|m| file_id(&m));
        self.clash(&real, id)
    }

    /// What the target is, when it is forbidden.
    fn clash(&self, real: &Path, id: Option<FileId>) -> Option<&str> {
        self.entries
            .iter()
            .find(|(p, i, _)| (!p.as_os_str().is_empty() && p == real) || (id.is_some() && *i == id))
            .map(|(_, _, what)| what.as_str())
    }
}

fn refuse(shown: &Path, why: &str) -> anyhow::Error {
    AppError::new(Kind::Conflict, format!("refusing to write {}: {why}", one_line(&shown.display().to_string())))
        .with_hint("choose another file name; nothing was written")
        .into()
}

/// The file a path names once every symlink is followed, also when it does
/// not exist yet (then its directory is resolved). A loop is an error.
pub fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    let mut p = std::path::absolute(path)?;
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(&p)?;
                p = match p.parent() {
                    Some(dir) => dir.join(target),
                    None => target,
                };
            }
            Ok(_) => return std::fs::canonicalize(&p),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let (Some(dir), Some(name)) = (p.parent(), p.file_name()) else { return Err(e) };
                return Ok(std::fs::canonicalize(dir)?.join(name));
            }
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::from_raw_os_error(libc::ELOOP))
}

pub fn is_loop(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(libc::ELOOP)
}

/// What kind of thing a non-regular file is, for messages.
pub fn kind_of(m: &std::fs::Metadata) -> &'static str {
    let t = m.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

/// The real path of an output file, after the checks.
fn checked(path: &Path, forbidden: &Forbidden) -> Result<PathBuf> {
    let real = match resolve(path) {
        Ok(r) => r,
        Err(e) if is_loop(&e) => return Err(refuse(path, "too many levels of symbolic links (a symlink loop)")),
        Err(e) => return Err(e).with_context(|| format!("cannot create a file in {}", display_dir(path))),
    };
    let meta = match std::fs::metadata(&real) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot create {}", path.display())),
    };
    if let Some(what) = forbidden.clash(&real, meta.as_ref().map(file_id)) {
        return Err(refuse(path, &format!("it is {what}")));
    }
    if let Some(m) = &meta
        && !m.is_file()
    {
        return Err(refuse(path, &format!("it is {}, not a regular file", kind_of(m))));
    }
    Ok(real)
}

/// An output file named by the user, checked and opened (as its temporary
/// file) before the command does its work, so that a bad path is refused
/// before anything changes; [`OutputFile::write`] fills it and puts it in
/// place. Dropped unwritten, it leaves nothing behind.
pub struct OutputFile {
    shown: PathBuf,
    real: PathBuf,
    forbidden: Forbidden,
    temp: Temp,
}

impl OutputFile {
    pub fn create(path: &Path, forbidden: Forbidden) -> Result<OutputFile> {
        let real = checked(path, &forbidden)?;
        let dir = real.parent().unwrap_or(Path::new("/"));
        let temp = Temp::create(dir).with_context(|| format!("cannot create a file in {}", display_dir(path)))?;
        Ok(OutputFile { shown: path.to_path_buf(), real, forbidden, temp })
    }

    /// Write the content and rename it over the target.
    pub fn write<T>(mut self, write: impl FnOnce(&mut dyn Write) -> Result<T>) -> Result<T> {
        let shown = self.shown.clone();
        let cannot = || format!("cannot write {}", shown.display());
        let value = self.temp.fill(write).with_context(cannot)?;
        // The target may have changed while the command ran: check again.
        let real = checked(&self.shown, &self.forbidden)?;
        if real != self.real {
            return Err(refuse(&self.shown, "it changed while acct was writing it"));
        }
        self.temp.persist(&self.real).with_context(cannot)?;
        Ok(value)
    }
}

fn display_dir(path: &Path) -> String {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.display().to_string(),
        _ => ".".into(),
    }
}

/// Replace a file (or create it) that acct owns, such as the configuration:
/// written through a symlink, no checks against other paths.
pub fn replace<T>(path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<T>) -> Result<T> {
    let real = resolve(path).with_context(|| format!("cannot write {}", path.display()))?;
    let dir = real.parent().unwrap_or(Path::new("/"));
    let mut temp = Temp::create(dir).with_context(|| format!("cannot create a file in {}", dir.display()))?;
    let value = temp.fill(write).with_context(|| format!("cannot write {}", path.display()))?;
    temp.persist(&real).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(value)
}

/// A private temporary file, registered for removal on a signal.
struct Temp {
    path: PathBuf,
    file: Option<std::fs::File>,
    slot: Option<usize>,
    placed: bool,
}

impl Temp {
    fn create(dir: &Path) -> std::io::Result<Temp> {
        install_handlers();
        loop {
            let mut rnd = [0u8; 6];
            crate::secret::fill_random(&mut rnd);
            let name: String = rnd.iter().map(|b| format!("{b:02x}")).collect();
            let path = dir.join(format!(".acct-{name}"));
            // Registered before it exists, so that no moment leaves it unlisted.
            let slot = register(&path);
            match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path) {
                Ok(f) => return Ok(Temp { path, file: Some(f), slot, placed: false }),
                Err(e) => {
                    unregister(slot);
                    if e.kind() != std::io::ErrorKind::AlreadyExists {
                        return Err(e);
                    }
                }
            }
        }
    }

    fn fill<T>(&mut self, write: impl FnOnce(&mut dyn Write) -> Result<T>) -> Result<T> {
        let file = self.file.take().ok_or_else(|| anyhow::anyhow!("the file was already written"))?;
        let mut buf = std::io::BufWriter::with_capacity(256 * 1024, file);
        let value = write(&mut buf)?;
        let file = buf.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok(value)
    }

    fn persist(&mut self, to: &Path) -> std::io::Result<()> {
        std::fs::rename(&self.path, to)?;
        self.placed = true;
        if let Some(dir) = to.parent()
            && let Ok(d) = std::fs::File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        self.file = None;
        if !self.placed {
            let _ = std::fs::remove_file(&self.path);
        }
        unregister(self.slot.take());
    }
}

/// A private, empty temporary file in `dir` for SQLite to fill (the copy
/// that `db restore` checks): removed on drop and on a signal, with the
/// `-wal`, `-shm` and `-journal` files SQLite may make beside it, unless it
/// was put in place.
pub struct Scratch {
    temp: Temp,
    side: Vec<(PathBuf, Option<usize>)>,
}

impl Scratch {
    pub fn create(dir: &Path) -> Result<Scratch> {
        let temp = Temp::create(dir).with_context(|| format!("cannot create a file in {}", dir.display()))?;
        let side = ["-wal", "-shm", "-journal"]
            .iter()
            .map(|suffix| {
                let mut p = temp.path.as_os_str().to_owned();
                p.push(suffix);
                let p = PathBuf::from(p);
                let slot = register(&p);
                (p, slot)
            })
            .collect();
        Ok(Scratch { temp, side })
    }

    pub fn path(&self) -> &Path {
        &self.temp.path
    }

    /// Rename the file over `to` (its side files must be gone: the caller
    /// settles the database first).
    pub fn place(mut self, to: &Path) -> std::io::Result<()> {
        self.temp.file = None;
        self.temp.persist(to)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for (p, slot) in self.side.drain(..) {
            let _ = std::fs::remove_file(&p);
            unregister(slot);
        }
    }
}

/// Write a new file `name` in `dir` (the outbox): whole or not at all.
pub fn write_new(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf> {
    let path = dir.join(name);
    let mut temp = Temp::create(dir)?;
    temp.fill(|w| Ok(w.write_all(bytes)?))?;
    temp.persist(&path)?;
    Ok(path)
}

// The registry of temporary files that a signal handler removes.

const SLOTS: usize = 16;
const PATH_MAX: usize = 4096;
const FREE: u8 = 0;
const WRITING: u8 = 1;
const READY: u8 = 2;
/// Taken by the handler: never reused, the process is about to exit.
const CLEANING: u8 = 3;

struct Slot {
    state: std::sync::atomic::AtomicU8,
    path: std::cell::UnsafeCell<[u8; PATH_MAX]>,
}

// A slot's buffer is written only by the thread that moved it FREE -> WRITING,
// and read by the handler only after it moved it READY -> CLEANING.
unsafe impl Sync for Slot {}

static REGISTRY: [Slot; SLOTS] =
    [const { Slot { state: std::sync::atomic::AtomicU8::new(FREE), path: std::cell::UnsafeCell::new([0; PATH_MAX]) } }; SLOTS];

fn register(path: &Path) -> Option<usize> {
    use std::sync::atomic::Ordering::SeqCst;
    let bytes = path.as_os_str().as_bytes();
    if bytes.len() >= PATH_MAX || bytes.contains(&0) {
        return None;
    }
    for (i, slot) in REGISTRY.iter().enumerate() {
        if slot.state.compare_exchange(FREE, WRITING, SeqCst, SeqCst).is_ok() {
            // SAFETY: this thread owns the slot while it is WRITING.
            let buf = unsafe { &mut *slot.path.get() };
            buf[..bytes.len()].copy_from_slice(bytes);
            buf[bytes.len()] = 0;
            slot.state.store(READY, SeqCst);
            return Some(i);
        }
    }
    None
}

fn unregister(slot: Option<usize>) {
    use std::sync::atomic::Ordering::SeqCst;
    if let Some(i) = slot {
        // Fails only when the handler has taken the slot.
        let _ = REGISTRY[i].state.compare_exchange(READY, FREE, SeqCst, SeqCst);
    }
}

extern "C" fn on_signal(sig: libc::c_int) {
    use std::sync::atomic::Ordering::SeqCst;
    for slot in &REGISTRY {
        if slot.state.compare_exchange(READY, CLEANING, SeqCst, SeqCst).is_ok() {
            // SAFETY: unlink and _exit are async-signal-safe; the buffer holds a
            // NUL-terminated path and nobody writes it once it is CLEANING.
            unsafe {
                libc::unlink(slot.path.get() as *const libc::c_char);
            }
        }
    }
    unsafe { libc::_exit(128 + sig) }
}

/// SIGINT, SIGTERM and SIGHUP remove the temporary files, then exit with
/// 128 + the signal; a signal that was ignored when acct started stays
/// ignored (`nohup`). SIGXFSZ is ignored so that a write past the file-size
/// limit fails with EFBIG and is cleaned up like a full disk.
fn install_handlers() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| unsafe {
        let mut mask: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut mask);
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            libc::sigaddset(&mut mask, sig);
        }
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGXFSZ] {
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(sig, std::ptr::null(), &mut old) != 0 || old.sa_sigaction == libc::SIG_IGN {
                continue;
            }
            let mut new: libc::sigaction = std::mem::zeroed();
            new.sa_mask = mask;
            new.sa_sigaction = if sig == libc::SIGXFSZ { libc::SIG_IGN } else { on_signal as *const () as usize };
            libc::sigaction(sig, &new, std::ptr::null_mut());
        }
    });
}

/// Create a directory (and parents) readable by its owner only.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create the directory {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_follows_links_and_reports_loops() {
        let dir = tempfile::tempdir().unwrap();
        let d = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::write(d.join("f"), "x").unwrap();
        std::os::unix::fs::symlink("f", d.join("l1")).unwrap();
        std::os::unix::fs::symlink(d.join("l1"), d.join("l2")).unwrap();
        std::os::unix::fs::symlink("missing", d.join("dangling")).unwrap();
        std::os::unix::fs::symlink("loop", d.join("loop")).unwrap();
        assert_eq!(resolve(&d.join("l2")).unwrap(), d.join("f"));
        assert_eq!(resolve(&d.join("dangling")).unwrap(), d.join("missing"));
        assert_eq!(resolve(&d.join("sub/../f")).ok(), None, "no such directory 'sub'");
        assert!(is_loop(&resolve(&d.join("loop")).unwrap_err()));
    }

    #[test]
    fn registry_slots_are_reused() {
        let dir = tempfile::tempdir().unwrap();
        for _ in 0..(SLOTS * 3) {
            let t = Temp::create(dir.path()).unwrap();
            assert!(t.slot.is_some());
            drop(t);
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
