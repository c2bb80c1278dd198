//! The key file: read it (refusing one others can read), and write a new one crash-safely.
//!
//! A new key goes to `<name>.new` in the same directory (0600 from the first byte), is
//! fsynced, then linked into place, then the directory is fsynced: a crash at any step leaves
//! either no key file or a complete one, never an empty or half-written key. A key file cut
//! short by an older build that wrote it in place is reported as [`KeyFile::Short`], so the
//! caller can tell "left by a crash" from "malformed" and replace it when nothing was sealed.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::crypto::{KEY_LEN, KeyError, random_bytes};
use super::{crash, perms};

/// What is at the key file's path.
pub enum KeyFile {
    Missing,
    /// Fewer than 64 hex characters and nothing else: a write cut short.
    Short {
        hex_len: usize,
    },
    Key(Zeroizing<[u8; KEY_LEN]>),
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl Fn(io::Error) -> KeyError + 'a {
    move |source| KeyError::KeyFileIo {
        action,
        path: path.display().to_string(),
        source,
    }
}

/// Read the key file, refusing one that is group/world accessible.
pub fn read_key_file(path: &Path) -> Result<KeyFile, KeyError> {
    let shown = path.display().to_string();
    let mode = match perms::mode_of(path) {
        Ok(mode) => mode,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(KeyFile::Missing),
        Err(e) => return Err(io_err("inspect", path)(e)),
    };
    if mode & 0o077 != 0 {
        return Err(KeyError::KeyFileTooOpen { path: shown, mode });
    }
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(io_err("read", path))?);
    let hex_text = text.trim();
    if hex_text.len() < 2 * KEY_LEN && hex_text.chars().all(|c| c.is_ascii_hexdigit()) {
        return Ok(KeyFile::Short {
            hex_len: hex_text.len(),
        });
    }
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    hex::decode_to_slice(hex_text, key.as_mut_slice())
        .map_err(|_| KeyError::KeyFileMalformed { path: shown })?;
    Ok(KeyFile::Key(key))
}

/// Write a new random key to `path` crash-safely and return it. With `replace`, an existing
/// file (one cut short by a crash) is replaced; without, a file created meanwhile by another
/// process wins and its key is returned.
pub fn write_new_key_file(
    path: &Path,
    replace: bool,
) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    perms::ensure_private_dir(dir).map_err(io_err("create the directory of", path))?;
    let tmp = temp_path(path);
    // A leftover from a crash before the link: ours (the directory is 0700), never a key in
    // use, so it is safe to discard.
    match std::fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_err("remove the leftover", &tmp)(e)),
    }
    let key = random_bytes::<KEY_LEN>()?;
    crash::point();
    write_synced(&tmp, &Zeroizing::new(format!("{}\n", hex::encode(*key))))?;
    crash::point();
    if replace {
        std::fs::rename(&tmp, path).map_err(io_err("replace", path))?;
    } else {
        // A hard link fails if the name exists, where a rename would silently replace it.
        let linked = std::fs::hard_link(&tmp, path);
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return match read_key_file(path)? {
                    KeyFile::Key(theirs) => Ok(theirs),
                    _ => Err(io_err("create", path)(io::Error::other(
                        "another process is writing it",
                    ))),
                };
            }
            Err(e) => return Err(io_err("create", path)(e)),
        }
    }
    crash::point();
    sync_dir(dir).map_err(io_err("sync the directory of", path))?;
    Ok(key)
}

/// `<path>.new`, beside it so the rename stays within one file system.
fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".new");
    path.with_file_name(name)
}

/// Create `path` (0600, must not exist), write `text`, fsync.
fn write_synced(path: &Path, text: &str) -> Result<(), KeyError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(perms::FILE_MODE);
    }
    let mut file = options.open(path).map_err(io_err("create", path))?;
    // The open mode is filtered by the umask, which can only remove bits; set it exactly anyway.
    perms::set_mode(path, perms::FILE_MODE).map_err(io_err("set the mode of", path))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(io_err("write", path))
}

/// Make a rename or link in `dir` durable (on Linux a directory entry is only on disk once
/// the directory itself is fsynced).
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_key_file_is_complete_private_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        // A leftover from a crash between writing the temp file and linking it.
        std::fs::write(temp_path(&path), "0123").unwrap();
        let key = write_new_key_file(&path, false).unwrap();
        assert!(!temp_path(&path).exists());
        assert_eq!(perms::mode_of(&path).unwrap(), 0o600);
        match read_key_file(&path).unwrap() {
            KeyFile::Key(read) => assert_eq!(*read, *key),
            _ => panic!("not a key"),
        }
        // Without `replace` the existing key wins; with it, a new one replaces it.
        assert_eq!(*write_new_key_file(&path, false).unwrap(), *key);
        let replaced = write_new_key_file(&path, true).unwrap();
        assert_ne!(*replaced, *key);
        assert!(!temp_path(&path).exists());
    }

    #[test]
    fn short_and_malformed_key_files_are_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        for (text, short) in [("", Some(0)), ("abc1\n", Some(4)), ("not hex", None)] {
            std::fs::write(&path, text).unwrap();
            perms::set_mode(&path, perms::FILE_MODE).unwrap();
            match (read_key_file(&path), short) {
                (Ok(KeyFile::Short { hex_len }), Some(n)) => assert_eq!(hex_len, n),
                (Err(KeyError::KeyFileMalformed { .. }), None) => {}
                _ => panic!("wrong reading of {text:?}"),
            }
        }
    }
}
