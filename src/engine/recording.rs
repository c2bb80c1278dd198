//! Console recordings: what a guest prints (and each resize) as asciicast v2 under
//! `<state_dir>/recordings/<host>/` (dirs 0700, files 0600), flushed as it arrives so a crash
//! loses nothing already shown. Whether a session is recorded is the store's settings (the
//! host's `console_recording`, or `audit_recording`), read at each open.

use std::fs::File;
use std::io::{BufWriter, ErrorKind};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::pve::ConsoleTarget;
use crate::store::{DIR_MODE, FILE_MODE, Settings};
use crate::term::{AsciicastWriter, TermError};

/// Whether console sessions on `host` are recorded: its own switch, or the audit switch.
pub fn records(settings: &Settings, host: &str) -> bool {
    settings.console_recording_for(host) || settings.audit_recording
}

/// Where a session task writes its recording.
pub(super) struct RecordPlan {
    pub(super) state_dir: PathBuf,
    pub(super) host: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("cannot create {path}: {source}")]
    Create {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Write(#[from] TermError),
}

/// One session's recording: an asciicast v2 file written as output arrives.
pub struct SessionRecorder {
    writer: AsciicastWriter<BufWriter<File>>,
    path: PathBuf,
}

impl SessionRecorder {
    /// Create `<state_dir>/recordings/<host>/<YYYYmmdd-HHMMSS>-<ct|node>-<id>.cast` (UTC
    /// time of `started`; `-2`, `-3`... if that name is taken) and write its header.
    pub fn create(
        state_dir: &Path,
        host: &str,
        target: &ConsoleTarget,
        (cols, rows): (u16, u16),
        started: SystemTime,
    ) -> Result<SessionRecorder, RecordError> {
        let first = recording_path(state_dir, host, target, started);
        let create_err = |path: &Path, source| RecordError::Create {
            path: path.display().to_string(),
            source,
        };
        let dir = first.parent().unwrap_or(state_dir);
        private_dir(dir).map_err(|e| create_err(dir, e))?;
        let mut path = first.clone();
        let mut n = 1;
        let file = loop {
            match new_private_file(&path) {
                Ok(f) => break f,
                Err(e) if e.kind() == ErrorKind::AlreadyExists && n < 100 => {
                    n += 1;
                    let stem = first.file_stem().unwrap_or_default().to_string_lossy();
                    path = first.with_file_name(format!("{stem}-{n}.cast"));
                }
                Err(e) => return Err(create_err(&path, e)),
            }
        };
        let secs = started.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs());
        let writer = AsciicastWriter::new(BufWriter::new(file), cols, rows, secs)?;
        let mut rec = SessionRecorder { writer, path };
        rec.writer.flush()?;
        Ok(rec)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Record guest output now. Flushed at once: a crash loses nothing already shown.
    pub fn output(&mut self, bytes: &[u8]) -> Result<(), RecordError> {
        self.writer.output(bytes)?;
        self.writer.flush()?;
        Ok(())
    }

    /// Record a resize of the console now.
    pub fn resize(&mut self, cols: u16, rows: u16) -> Result<(), RecordError> {
        self.writer.resize(cols, rows)?;
        self.writer.flush()?;
        Ok(())
    }
}

/// The file a session started at `started` records to (before any `-2` suffix).
pub fn recording_path(
    state_dir: &Path,
    host: &str,
    target: &ConsoleTarget,
    started: SystemTime,
) -> PathBuf {
    let (kind, id) = match target {
        ConsoleTarget::Lxc { vmid, .. } => ("ct", vmid.to_string()),
        ConsoleTarget::Node { node } => ("node", node.clone()),
    };
    let secs = started
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    state_dir
        .join("recordings")
        .join(path_part(host))
        .join(format!("{}-{kind}-{}.cast", stamp(secs), path_part(&id)))
}

/// A name safe as one path component: host and node names come from the user and the
/// cluster, so anything but `[A-Za-z0-9._-]` becomes `_`, and no leading dot (`..`).
fn path_part(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '_' | '-' => c,
            _ => '_',
        })
        .collect();
    if out.is_empty() || out.starts_with('.') {
        out.insert(0, '_');
    }
    out
}

/// `YYYYmmdd-HHMMSS` in UTC.
fn stamp(epoch: u64) -> String {
    let (y, m, d) = crate::civil::civil_from_days((epoch / 86_400) as i64);
    let secs = epoch % 86_400;
    format!(
        "{y:04}{m:02}{d:02}-{:02}{:02}{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Create `dir` and parents with mode 0700, and force 0700 on `dir` and on the
/// `recordings` directory above it (they are ours even if they already existed).
fn private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(dir)?;
        let private = std::fs::Permissions::from_mode(DIR_MODE);
        if let Some(parent) = dir.parent() {
            std::fs::set_permissions(parent, private.clone())?;
        }
        std::fs::set_permissions(dir, private)?;
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)?;
    Ok(())
}

fn new_private_file(path: &Path) -> std::io::Result<File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(FILE_MODE);
    }
    opts.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_utc_civil_time() {
        assert_eq!(stamp(0), "19700101-000000");
        // 2026-11-29 16:27:06 UTC
        assert_eq!(stamp(1_795_969_626), "20261129-162706");
        // A leap day.
        assert_eq!(stamp(951_782_400), "20000229-000000");
    }

    #[test]
    fn path_parts_cannot_climb_or_nest() {
        assert_eq!(path_part(".."), "_..");
        assert_eq!(path_part("a/b"), "a_b");
        assert_eq!(path_part(""), "_");
        assert_eq!(path_part("pve-1.lab"), "pve-1.lab");
    }
}
