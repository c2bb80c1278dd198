//! File modes for everything the store writes: directories 0700, files 0600.
//!
//! We never touch the process umask (it is process-wide and racy with other threads creating
//! files). Instead: directories are created with mode 0700, files we create ourselves (the key
//! file) are opened with mode 0600, and the files sled creates with the default mode are
//! chmod-ed after open, after each flush and after the database is closed (sled writes its
//! snapshot file on close). The 0700 directory already keeps other users out in between.

use std::io;
use std::path::Path;

/// Owner-only permission bits for directories and files.
pub const DIR_MODE: u32 = 0o700;
pub const FILE_MODE: u32 = 0o600;

/// Create `dir` (and missing parents) with mode 0700, then force 0700 on `dir` itself even if
/// it already existed (it is ours: the data dir or the database dir).
pub fn ensure_private_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(dir)?;
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)?;
    set_mode(dir, DIR_MODE)
}

/// Force 0700 on `dir` and every directory below it, 0600 on every file below it.
/// Symlinks are left alone (sled makes none; following one could chmod a foreign file).
pub fn tighten_tree(dir: &Path) -> io::Result<()> {
    set_mode(dir, DIR_MODE)?;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let path = entry.path();
        if kind.is_dir() {
            tighten_tree(&path)?;
        } else if kind.is_file() {
            set_mode(&path, FILE_MODE)?;
        }
    }
    Ok(())
}

/// The permission bits of `path` (0 on platforms without Unix modes).
pub fn mode_of(path: &Path) -> io::Result<u32> {
    let meta = std::fs::metadata(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        Ok(meta.permissions().mode() & 0o7777)
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        Ok(0)
    }
}

#[cfg(unix)]
pub fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
pub fn set_mode(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}
