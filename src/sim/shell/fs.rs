//! The simulated shell's filesystem: a small, read-only, in-memory tree built from the guest's
//! hostname and kind. Nothing here ever reads or writes the host's files.

use std::collections::BTreeMap;

/// Lines in `/var/log/syslog`: enough to scroll any terminal several times.
pub const SYSLOG_LINES: usize = 300;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Dir,
    File(String),
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
            .insert(path.to_string(), Node::File(content.to_string()));
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
    /// Every entry strictly below `root` as (path, content); `None` for a directory.
    pub fn entries_under(&self, root: &str) -> Vec<(String, Option<String>)> {
        let prefix = format!("{}/", root.trim_end_matches('/'));
        self.nodes
            .range(prefix.clone()..)
            .take_while(|(path, _)| path.starts_with(&prefix))
            .map(|(path, node)| {
                let content = match node {
                    Node::Dir => None,
                    Node::File(text) => Some(text.clone()),
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
        assert!(matches!(fs.get("/etc/os-release"), Some(Node::File(s)) if s.contains("bookworm")));
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
    fn syslog_is_long_and_numbered() {
        let fs = FakeFs::new("web1", "/root", false);
        let Some(Node::File(log)) = fs.get("/var/log/syslog") else {
            panic!("no syslog");
        };
        assert_eq!(log.lines().count(), SYSLOG_LINES);
        assert!(log.lines().last().unwrap().contains("line 300"));
    }
}
