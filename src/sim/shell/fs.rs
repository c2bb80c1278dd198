//! The simulated shell's filesystem: a small in-memory tree built from the guest's hostname and
//! kind, which commands can write to (`write`, `mkdir_p`, `remove`). Nothing here ever reads or
//! writes the host's files. Files hold bytes; modes and owners are not kept.

use std::collections::BTreeMap;

/// Lines in `/var/log/syslog`: enough to scroll any terminal several times.
pub const SYSLOG_LINES: usize = 300;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Dir,
    File(Vec<u8>),
}

/// Why a change to the tree failed; `Display` is the coreutils wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FsError {
    #[error("No such file or directory")]
    NotFound,
    #[error("Not a directory")]
    NotADirectory,
    #[error("Is a directory")]
    IsADirectory,
    #[error("File exists")]
    Exists,
}

/// Absolute, normalized paths (`/`, `/etc`, `/etc/hostname`) to nodes.
#[derive(Debug, Clone)]
pub struct FakeFs {
    nodes: BTreeMap<String, Node>,
}

impl FakeFs {
    /// The tree of a Debian 12 container (`kind_node` false) or Proxmox VE node.
    pub fn new(hostname: &str, home: &str, kind_node: bool) -> Self {
        let mut fs = FakeFs {
            nodes: BTreeMap::new(),
        };
        for dir in [
            "/",
            "/bin",
            "/etc",
            "/home",
            "/root",
            "/tmp",
            "/usr",
            "/usr/bin",
            "/var",
            "/var/log",
            "/var/log/apt",
        ] {
            fs.nodes.insert(dir.to_string(), Node::Dir);
        }
        fs.add_dir(home);
        for bin in ["bash", "cat", "echo", "ls", "ps", "pwd", "sh", "uname"] {
            fs.add_file(&format!("/bin/{bin}"), "\u{7f}ELF\n");
        }
        fs.add_file("/etc/hostname", &format!("{hostname}\n"));
        fs.add_file("/etc/os-release", OS_RELEASE);
        fs.add_file("/etc/debian_version", "12.8\n");
        fs.add_file(
            "/etc/hosts",
            &format!("127.0.0.1\tlocalhost\n127.0.1.1\t{hostname}\n::1\tlocalhost ip6-localhost\n"),
        );
        fs.add_file("/etc/motd", MOTD);
        fs.add_file(&format!("{home}/README"), &readme(hostname, kind_node));
        fs.add_file(&format!("{home}/.bashrc"), BASHRC);
        fs.add_file("/var/log/syslog", &syslog(hostname));
        fs.add_file("/var/log/apt/history.log", APT_HISTORY);
        fs.add_file("/var/log/dpkg.log", DPKG_LOG);
        if kind_node {
            fs.add_dir("/etc/pve");
            fs.add_file("/etc/pve/storage.cfg", STORAGE_CFG);
            fs.add_file(
                "/etc/pve/.version",
                "{\"version\":1,\"versions\":{\"storage.cfg\":1}}\n",
            );
        }
        fs
    }

    fn add_dir(&mut self, path: &str) {
        let mut at = String::new();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            at.push('/');
            at.push_str(part);
            self.nodes.insert(at.clone(), Node::Dir);
        }
    }

    fn add_file(&mut self, path: &str, content: &str) {
        self.nodes
            .insert(path.to_string(), Node::File(content.as_bytes().to_vec()));
    }

    /// The bytes of the file at `path` (absolute, normalized), if it is a file.
    pub fn read(&self, path: &str) -> Option<&[u8]> {
        match self.nodes.get(path) {
            Some(Node::File(data)) => Some(data),
            _ => None,
        }
    }

    /// Creates or replaces (`append` false) or extends (`append` true) the file at `path`;
    /// its parent must be a directory.
    pub fn write(&mut self, path: &str, data: &[u8], append: bool) -> Result<(), FsError> {
        match self.nodes.get(parent_of(path)) {
            None => return Err(FsError::NotFound),
            Some(Node::File(_)) => return Err(FsError::NotADirectory),
            Some(Node::Dir) => {}
        }
        match self.nodes.get_mut(path) {
            Some(Node::Dir) => Err(FsError::IsADirectory),
            Some(Node::File(old)) if append => {
                old.extend_from_slice(data);
                Ok(())
            }
            _ => {
                self.nodes
                    .insert(path.to_string(), Node::File(data.to_vec()));
                Ok(())
            }
        }
    }

    /// `mkdir`: the parent must exist, `path` must not.
    pub fn mkdir(&mut self, path: &str) -> Result<(), FsError> {
        if self.nodes.contains_key(path) {
            return Err(FsError::Exists);
        }
        match self.nodes.get(parent_of(path)) {
            Some(Node::Dir) => {
                self.nodes.insert(path.to_string(), Node::Dir);
                Ok(())
            }
            Some(Node::File(_)) => Err(FsError::NotADirectory),
            None => Err(FsError::NotFound),
        }
    }

    /// `mkdir -p`: every missing directory on the way; fails on a file in the way.
    pub fn mkdir_p(&mut self, path: &str) -> Result<(), FsError> {
        let mut at = String::new();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            at.push('/');
            at.push_str(part);
            match self.nodes.get(&at) {
                Some(Node::Dir) => {}
                Some(Node::File(_)) => return Err(FsError::NotADirectory),
                None => {
                    self.nodes.insert(at.clone(), Node::Dir);
                }
            }
        }
        Ok(())
    }

    /// Removes a file, or a directory (with everything under it only when `recursive`).
    pub fn remove(&mut self, path: &str, recursive: bool) -> Result<(), FsError> {
        match self.nodes.get(path) {
            None => Err(FsError::NotFound),
            Some(Node::File(_)) => {
                self.nodes.remove(path);
                Ok(())
            }
            Some(Node::Dir) => {
                // `rm` without `-r` refuses any directory; nothing removes `/`.
                if path == "/" || !recursive {
                    return Err(FsError::IsADirectory);
                }
                let prefix = format!("{path}/");
                self.nodes
                    .retain(|p, _| p != path && !p.starts_with(&prefix));
                Ok(())
            }
        }
    }

    pub fn get(&self, path: &str) -> Option<&Node> {
        self.nodes.get(path)
    }

    /// Direct children of directory `dir` as (name, node), sorted by name.
    pub fn children(&self, dir: &str) -> Vec<(&str, &Node)> {
        let prefix = if dir == "/" {
            "/".to_string()
        } else {
            format!("{dir}/")
        };
        self.nodes
            .range(prefix.clone()..)
            .take_while(|(path, _)| path.starts_with(&prefix))
            .filter_map(|(path, node)| {
                let name = &path[prefix.len()..];
                (!name.is_empty() && !name.contains('/')).then_some((name, node))
            })
            .collect()
    }
}

/// The parent of an absolute, normalized path (`/a/b` -> `/a`, `/a` -> `/`).
pub fn parent_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// Resolve `arg` against `cwd` (`~` = `home`), folding `.` and `..`; the result is absolute.
pub fn resolve(cwd: &str, home: &str, arg: &str) -> String {
    let joined = if arg == "~" {
        home.to_string()
    } else if let Some(rest) = arg.strip_prefix("~/") {
        format!("{home}/{rest}")
    } else if arg.starts_with('/') {
        arg.to_string()
    } else {
        format!("{cwd}/{arg}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    format!("/{}", parts.join("/"))
}

const OS_RELEASE: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"
NAME=\"Debian GNU/Linux\"
VERSION_ID=\"12\"
VERSION=\"12 (bookworm)\"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL=\"https://www.debian.org/\"
SUPPORT_URL=\"https://www.debian.org/support\"
BUG_REPORT_URL=\"https://bugs.debian.org/\"
";

const MOTD: &str = "
The programs included with the Debian GNU/Linux system are free software;
the exact distribution terms for each program are described in the
individual files in /usr/share/doc/*/copyright.

Debian GNU/Linux comes with ABSOLUTELY NO WARRANTY, to the extent
permitted by applicable law.
";

const BASHRC: &str = "# ~/.bashrc: executed by bash(1) for non-login shells.
export LS_OPTIONS='--color=auto'
alias ls='ls $LS_OPTIONS'
";

const APT_HISTORY: &str = "
Start-Date: 2026-01-12  09:14:02
Commandline: apt-get -y upgrade
Upgrade: libc6:amd64 (2.36-9+deb12u8, 2.36-9+deb12u9)
End-Date: 2026-01-12  09:14:19
";

const DPKG_LOG: &str = "2026-01-12 09:14:05 startup archives unpack
2026-01-12 09:14:06 upgrade libc6:amd64 2.36-9+deb12u8 2.36-9+deb12u9
2026-01-12 09:14:09 status installed libc6:amd64 2.36-9+deb12u9
";

const STORAGE_CFG: &str = "dir: local
\tpath /var/lib/vz
\tcontent iso,vztmpl,backup

lvmthin: local-lvm
\tthinpool data
\tvgname pve
\tcontent rootdir,images
";

fn readme(hostname: &str, kind_node: bool) -> String {
    let what = if kind_node {
        "a simulated Proxmox VE node"
    } else {
        "a simulated container"
    };
    format!(
        "This is {hostname}, {what} served by the Proximity emulator.\n\
         Nothing here touches a real machine. Try: ls -l /etc, cat /etc/os-release,\n\
         stty size, ps aux, cat /var/log/syslog, help.\n"
    )
}

/// A long, deterministic log for scrolling tests: numbered so a reader can tell what scrolled.
fn syslog(hostname: &str) -> String {
    const UNITS: [(&str, &str); 5] = [
        (
            "systemd[1]",
            "Started session-{n}.scope - Session {n} of User root.",
        ),
        (
            "CRON[{p}]",
            "(root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)",
        ),
        (
            "sshd[{p}]",
            "Accepted publickey for root from 10.0.0.{n8} port 5{n3} ssh2",
        ),
        (
            "systemd-journald[88]",
            "Data hash table of /run/log/journal has a fill level at {n}%",
        ),
        ("kernel", "[{n}.000000] eth0: link becomes ready"),
    ];
    let mut out = String::new();
    for i in 1..=SYSLOG_LINES {
        let (unit, text) = UNITS[i % UNITS.len()];
        let fill = |s: &str| {
            s.replace("{n}", &i.to_string())
                .replace("{p}", &(1000 + i * 7).to_string())
                .replace("{n8}", &(i % 250 + 2).to_string())
                .replace("{n3}", &format!("{:04}", i % 10000))
        };
        let minute = i / 60;
        let second = i % 60;
        out.push_str(&format!(
            "Jan 12 10:{minute:02}:{second:02} {hostname} {}: line {i:03} {}\n",
            fill(unit),
            fill(text)
        ));
    }
    out
}

// Used by the deployment commands (`apps`): the entries that persist between console
// sessions of a container, and putting them back.
impl FakeFs {
    /// Every entry strictly below `root` as (path, content); `None` for a directory. The
    /// state file is JSON text: a binary file's content is kept lossily (the deployment
    /// writes text files there).
    pub fn entries_under(&self, root: &str) -> Vec<(String, Option<String>)> {
        let prefix = format!("{}/", root.trim_end_matches('/'));
        self.nodes
            .range(prefix.clone()..)
            .take_while(|(path, _)| path.starts_with(&prefix))
            .map(|(path, node)| {
                let content = match node {
                    Node::Dir => None,
                    Node::File(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
                };
                (path.clone(), content)
            })
            .collect()
    }

    /// Put a file (`Some`) or directory (`None`) at absolute `path`, creating its parents.
    pub fn put_entry(&mut self, path: &str, content: Option<&str>) {
        if !path.starts_with('/') {
            return;
        }
        match path.rsplit_once('/') {
            Some((parent, _)) if !parent.is_empty() => self.add_dir(parent),
            _ => {}
        }
        match content {
            Some(text) => self.add_file(path, text),
            None => self.add_dir(path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_folds_dots_and_home() {
        assert_eq!(
            resolve("/root", "/root", "../etc/./hostname"),
            "/etc/hostname"
        );
        assert_eq!(resolve("/", "/root", "~"), "/root");
        assert_eq!(resolve("/etc", "/root", "~/README"), "/root/README");
        assert_eq!(resolve("/", "/root", "../../.."), "/");
        assert_eq!(resolve("/var", "/root", "log/"), "/var/log");
    }

    #[test]
    fn tree_has_the_promised_files() {
        let fs = FakeFs::new("web1", "/root", false);
        assert_eq!(fs.get("/etc/hostname"), Some(&Node::File("web1\n".into())));
        assert!(
            matches!(fs.read("/etc/os-release"), Some(s) if s.windows(8).any(|w| w == b"bookworm"))
        );
        assert_eq!(fs.get("/var/log"), Some(&Node::Dir));
        assert!(fs.get("/etc/pve").is_none(), "containers have no /etc/pve");
        let names: Vec<&str> = fs.children("/").iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["bin", "etc", "home", "root", "tmp", "usr", "var"]);
        assert!(
            FakeFs::new("pve", "/root", true)
                .get("/etc/pve/storage.cfg")
                .is_some()
        );
    }

    #[test]
    fn writes_dirs_and_removal() {
        let mut fs = FakeFs::new("web1", "/root", false);
        assert_eq!(fs.write("/nope/x", b"a", false), Err(FsError::NotFound));
        assert_eq!(fs.write("/etc", b"a", false), Err(FsError::IsADirectory));
        assert_eq!(
            fs.write("/etc/hostname/x", b"a", false),
            Err(FsError::NotADirectory)
        );
        fs.mkdir_p("/opt/app/conf").unwrap();
        fs.write("/opt/app/conf/a", b"\x00\xff", false).unwrap();
        fs.write("/opt/app/conf/a", b"!", true).unwrap();
        assert_eq!(fs.read("/opt/app/conf/a"), Some(&b"\x00\xff!"[..]));
        assert_eq!(fs.mkdir("/opt/app"), Err(FsError::Exists));
        assert_eq!(fs.mkdir_p("/etc/hostname/x"), Err(FsError::NotADirectory));
        assert_eq!(fs.remove("/opt", false), Err(FsError::IsADirectory));
        fs.remove("/opt", true).unwrap();
        assert!(fs.get("/opt/app/conf/a").is_none() && fs.get("/opt").is_none());
        assert_eq!(fs.remove("/opt", true), Err(FsError::NotFound));
        assert_eq!(parent_of("/a/b"), "/a");
        assert_eq!(parent_of("/a"), "/");
    }

    #[test]
    fn syslog_is_long_and_numbered() {
        let fs = FakeFs::new("web1", "/root", false);
        let Some(log) = fs.read("/var/log/syslog") else {
            panic!("no syslog");
        };
        let log = String::from_utf8_lossy(log);
        assert_eq!(log.lines().count(), SYSLOG_LINES);
        assert!(log.lines().last().unwrap().contains("line 300"));
    }
}
