//! The simulated shell's state and its table of commands (the language itself lives in
//! [`super::parse`] and [`super::interp`], more commands in [`super::builtins`]). Pure apart
//! from the [`Terminal`] it is given, so it is tested without a PTY. Output uses `\n`; the
//! PTY's `onlcr` turns it into `\r\n` on the wire.

use std::collections::BTreeMap;
use std::io::Write;

use super::fs::{FakeFs, Node, resolve};

const KERNEL: &str = "6.8.12-4-pve";
const KERNEL_VERSION: &str = "#1 SMP PREEMPT_DYNAMIC PMX 6.8.12-4 (2024-11-06T15:04Z)";
const BLUE: &str = "\x1b[01;34m";
const GREEN: &str = "\x1b[01;32m";
const RESET: &str = "\x1b[0m";

/// What the shell needs from its terminal and clock (faked in tests).
pub trait Terminal {
    /// (rows, cols) of the terminal, if any.
    fn size(&self) -> Option<(u16, u16)>;
    /// Seconds since the Unix epoch.
    fn now(&self) -> i64;
    /// Sleep, returning early (false) on Ctrl-C.
    fn sleep(&self, seconds: f64) -> bool;
    /// Turns the terminal's echo on or off (`stty echo`/`-echo`); false without a terminal.
    fn set_echo(&self, _on: bool) -> bool {
        false
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Exit(i32),
}

/// The state of one simulated shell.
#[derive(Debug, Clone)]
pub struct Shell {
    pub hostname: String,
    pub user: String,
    pub home: String,
    pub cwd: String,
    pub status: i32,
    pub fs: FakeFs,
    /// Shell variables set by `NAME=value` and `export` (`PS1` replaces the prompt).
    pub vars: BTreeMap<String, String>,
    /// Deployment state (packages, Docker, compose) kept between sessions.
    pub apps: super::apps::AppsSession,
}

impl Shell {
    pub fn new(hostname: &str, user: &str, kind_node: bool) -> Self {
        let home = if user == "root" {
            "/root".to_string()
        } else {
            format!("/home/{user}")
        };
        Shell {
            hostname: hostname.to_string(),
            user: user.to_string(),
            fs: FakeFs::new(hostname, &home, kind_node),
            cwd: home.clone(),
            home,
            status: 0,
            vars: BTreeMap::new(),
            apps: super::apps::AppsSession::default(),
        }
    }

    /// `root@host:~# ` with Debian's colors, or `$PS1` once set (taken literally).
    pub fn prompt(&self) -> String {
        if let Some(ps1) = self.vars.get("PS1") {
            return ps1.clone();
        }
        let sigil = if self.user == "root" { '#' } else { '$' };
        format!(
            "{GREEN}{}@{}{RESET}:{BLUE}{}{RESET}{sigil} ",
            self.user,
            self.hostname,
            self.short_cwd()
        )
    }

    fn short_cwd(&self) -> String {
        if self.cwd == self.home {
            "~".into()
        } else if let Some(rest) = self.cwd.strip_prefix(&format!("{}/", self.home)) {
            format!("~/{rest}")
        } else {
            self.cwd.clone()
        }
    }

    /// Run one input line.
    pub fn run_line(&mut self, line: &str, out: &mut dyn Write, term: &dyn Terminal) -> Flow {
        let flow = self.run_script_line(line, out, term);
        let _ = out.flush();
        flow
    }

    /// One command; `Err(code)` means `exit`.
    pub(super) fn command(
        &mut self,
        words: &[String],
        out: &mut dyn Write,
        term: &dyn Terminal,
    ) -> Result<i32, i32> {
        let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
        let status = match words[0].as_str() {
            name if super::apps::handles(name, &args) => {
                super::apps::run(self, name, &args, out, term)
            }
            "exit" | "logout" => {
                let code = match args.first() {
                    None => self.status,
                    Some(a) => a.parse::<i32>().map(|c| c & 0xff).unwrap_or(2),
                };
                return Err(code);
            }
            "help" => {
                let _ = out.write_all(HELP.as_bytes());
                0
            }
            "true" | ":" => 0,
            "false" => 1,
            "pwd" => say(out, &self.cwd),
            "echo" => {
                let (newline, args) = match args.first() {
                    Some(&"-n") => (false, &args[1..]),
                    _ => (true, &args[..]),
                };
                let _ = write!(out, "{}{}", args.join(" "), if newline { "\n" } else { "" });
                0
            }
            "cd" => self.cd(&args, out),
            "ls" => self.ls(&args, out),
            "hostname" => say(out, &self.hostname),
            "whoami" => say(out, &self.user),
            "id" => say(
                out,
                &format!("uid=0({0}) gid=0({0}) groups=0({0})", self.user),
            ),
            "uname" => self.uname(&args, out),
            "ps" => self.ps(&args, out),
            "env" | "printenv" => {
                for (key, value) in self.env() {
                    let _ = writeln!(out, "{key}={value}");
                }
                0
            }
            "date" => say(out, &format_date(term.now())),
            "clear" => {
                let _ = out.write_all(b"\x1b[H\x1b[2J");
                0
            }
            "sleep" => match args.first().and_then(|a| a.parse::<f64>().ok()) {
                Some(seconds) if seconds >= 0.0 => {
                    if term.sleep(seconds.min(3600.0)) {
                        0
                    } else {
                        130
                    }
                }
                _ => {
                    let _ = writeln!(out, "sleep: invalid time interval '{}'", args.join(" "));
                    1
                }
            },
            other => {
                let _ = writeln!(out, "sh: {other}: not found");
                127
            }
        };
        Ok(status)
    }

    fn cd(&mut self, args: &[&str], out: &mut dyn Write) -> i32 {
        let target = resolve(&self.cwd, &self.home, args.first().copied().unwrap_or("~"));
        match self.fs.get(&target) {
            Some(Node::Dir) => {
                self.cwd = target;
                0
            }
            Some(Node::File(_)) => fail(out, &format!("sh: cd: {}: Not a directory", args[0])),
            None => fail(
                out,
                &format!("sh: cd: {}: No such file or directory", args[0]),
            ),
        }
    }

    fn ls(&self, args: &[&str], out: &mut dyn Write) -> i32 {
        let flags: String = args
            .iter()
            .filter(|a| a.starts_with('-'))
            .map(|a| &a[1..])
            .collect();
        let long = flags.contains('l');
        let all = flags.contains('a');
        let paths: Vec<&str> = args
            .iter()
            .copied()
            .filter(|a| !a.starts_with('-'))
            .collect();
        let paths = if paths.is_empty() { vec!["."] } else { paths };
        let mut status = 0;
        for (i, arg) in paths.iter().enumerate() {
            let path = resolve(&self.cwd, &self.home, arg);
            let entries: Vec<(String, &Node)> = match self.fs.get(&path) {
                None => {
                    let _ = writeln!(out, "ls: cannot access '{arg}': No such file or directory");
                    status = 2;
                    continue;
                }
                Some(node @ Node::File(_)) => vec![(arg.to_string(), node)],
                Some(Node::Dir) => self
                    .fs
                    .children(&path)
                    .into_iter()
                    .filter(|(name, _)| all || !name.starts_with('.'))
                    .map(|(name, node)| (name.to_string(), node))
                    .collect(),
            };
            if paths.len() > 1 && matches!(self.fs.get(&path), Some(Node::Dir)) {
                let _ = writeln!(out, "{}{arg}:", if i > 0 { "\n" } else { "" });
            }
            if long {
                let blocks: usize = entries.len() * 4;
                let _ = writeln!(out, "total {blocks}");
                for (name, node) in &entries {
                    let (mode, links, size, shown) = match node {
                        Node::Dir => ("drwxr-xr-x", 2, 4096, format!("{BLUE}{name}{RESET}")),
                        Node::File(content) => ("-rw-r--r--", 1, content.len(), name.clone()),
                    };
                    let _ = writeln!(
                        out,
                        "{mode} {links} root root {size:>5} Jan 12 09:14 {shown}"
                    );
                }
            } else if !entries.is_empty() {
                let names: Vec<String> = entries
                    .iter()
                    .map(|(name, node)| match node {
                        Node::Dir => format!("{BLUE}{name}{RESET}"),
                        Node::File(_) => name.clone(),
                    })
                    .collect();
                let _ = writeln!(out, "{}", names.join("  "));
            }
        }
        status
    }

    fn uname(&self, args: &[&str], out: &mut dyn Write) -> i32 {
        let line = match args.first().copied() {
            None | Some("-s") => "Linux".to_string(),
            Some("-a") => format!(
                "Linux {} {KERNEL} {KERNEL_VERSION} x86_64 GNU/Linux",
                self.hostname
            ),
            Some("-r") => KERNEL.to_string(),
            Some("-n") => self.hostname.clone(),
            Some("-m") => "x86_64".to_string(),
            Some(other) => {
                return fail(
                    out,
                    &format!(
                        "uname: invalid option -- '{}'",
                        other.trim_start_matches('-')
                    ),
                );
            }
        };
        say(out, &line)
    }

    fn ps(&self, args: &[&str], out: &mut dyn Write) -> i32 {
        if args.is_empty() {
            let _ = out.write_all(
                b"    PID TTY          TIME CMD\n    412 pts/0    00:00:00 bash\n    431 pts/0    00:00:00 ps\n",
            );
            return 0;
        }
        let _ = out.write_all(
            b"USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n\
root           1  0.0  0.3 168140 12012 ?        Ss   09:14   0:01 /sbin/init\n\
root          88  0.0  0.2  48160 10240 ?        Ss   09:14   0:00 /lib/systemd/systemd-journald\n\
root         190  0.0  0.0   6612  2688 ?        Ss   09:14   0:00 /usr/sbin/cron -f\n\
root         204  0.0  0.2  15432  9216 ?        Ss   09:14   0:00 sshd: /usr/sbin/sshd -D\n\
root         412  0.0  0.1   7196  4096 pts/0    Ss   09:20   0:00 -bash\n\
root         431  0.0  0.0   9884  3200 pts/0    R+   09:21   0:00 ps aux\n",
        );
        0
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("SHELL", "/bin/bash".into()),
            ("PWD", self.cwd.clone()),
            ("LOGNAME", self.user.clone()),
            ("HOME", self.home.clone()),
            ("LANG", "C.UTF-8".into()),
            ("HOSTNAME", self.hostname.clone()),
            // The real TERM termproxy set, so a client can see it arrived.
            (
                "TERM",
                std::env::var("TERM").unwrap_or_else(|_| "dumb".into()),
            ),
            ("USER", self.user.clone()),
            ("SHLVL", "1".into()),
            (
                "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into(),
            ),
        ]
    }

    /// The value of `$name` (unset is empty).
    pub(super) fn var(&self, name: &str) -> String {
        if let Some(value) = self.vars.get(name) {
            return value.clone();
        }
        match name {
            "?" => self.status.to_string(),
            "$" => "412".into(),
            "#" => "0".into(),
            "0" => "-bash".into(),
            "PWD" => self.cwd.clone(),
            "HOME" => self.home.clone(),
            "USER" | "LOGNAME" => self.user.clone(),
            "HOSTNAME" => self.hostname.clone(),
            "SHELL" => "/bin/bash".into(),
            "TERM" => std::env::var("TERM").unwrap_or_else(|_| "dumb".into()),
            _ => String::new(),
        }
    }
}

const HELP: &str = "Simulated shell (Proximity emulator). Commands:
  help  ls [-l] [-a] [path]  cat <file>  cd [dir]  pwd  echo [-n] ...
  uname [-a]  hostname  whoami  id  ps [aux]  env  date  clear
  stty size  sleep <s>  true  false  exit [code]
  printf  test [  export  unset  command -v  sh -c  mkdir  chmod  rm  touch
  grep  head  tail  wc  base64  sha256sum
Lines may chain commands with ; && || |, quote with ' or \", use $? $VAR \"$VAR\",
NAME=value, and redirect with > >> < 2>&1 2>/dev/null.
";

fn say(out: &mut dyn Write, line: &str) -> i32 {
    let _ = writeln!(out, "{line}");
    0
}

fn fail(out: &mut dyn Write, line: &str) -> i32 {
    let _ = writeln!(out, "{line}");
    1
}

/// `date`'s default format in UTC: `Sun Nov 29 15:15:14 UTC 2026`.
pub fn format_date(unix: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (year, month, day) = crate::civil::civil_from_days(days);
    let weekday = DAYS[usize::try_from(days.rem_euclid(7)).unwrap_or(0)];
    let month_name = MONTHS[usize::try_from(month - 1).unwrap_or(0)];
    format!(
        "{weekday} {month_name} {day:>2} {:02}:{:02}:{:02} UTC {year}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
#[path = "commands_tests.rs"]
mod tests;
