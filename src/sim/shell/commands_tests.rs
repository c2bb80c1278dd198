//! Tests of the simulated shell's command lines against a fake terminal.

use super::*;

struct FakeTerm {
    size: Option<(u16, u16)>,
}

impl Terminal for FakeTerm {
    fn size(&self) -> Option<(u16, u16)> {
        self.size
    }
    fn now(&self) -> i64 {
        1_795_965_314 // Sun Nov 29 15:15:14 UTC 2026
    }
    fn sleep(&self, _seconds: f64) -> bool {
        true
    }
}

fn run(shell: &mut Shell, line: &str) -> (String, Flow) {
    let mut out = Vec::new();
    let term = FakeTerm {
        size: Some((30, 100)),
    };
    let flow = shell.run_line(line, &mut out, &term);
    (String::from_utf8(out).unwrap(), flow)
}

fn ct() -> Shell {
    Shell::new("web1", "root", false)
}

#[test]
fn prompt_is_colored_and_shows_home_as_tilde() {
    let mut shell = ct();
    let plain = |s: &str| {
        s.replace("\x1b[01;32m", "")
            .replace("\x1b[01;34m", "")
            .replace("\x1b[0m", "")
    };
    assert_eq!(plain(&shell.prompt()), "root@web1:~# ");
    assert!(shell.prompt().starts_with("\x1b[01;32m"));
    run(&mut shell, "cd /var/log");
    assert_eq!(plain(&shell.prompt()), "root@web1:/var/log# ");
}

#[test]
fn echo_with_quotes_variables_and_chains() {
    let mut shell = ct();
    assert_eq!(run(&mut shell, "echo hello   world").0, "hello world\n");
    assert_eq!(
        run(&mut shell, "echo 'a  b' \"$HOME x\"").0,
        "a  b /root x\n"
    );
    assert_eq!(run(&mut shell, "false; echo $?").0, "1\n");
    assert_eq!(run(&mut shell, "true && echo yes || echo no").0, "yes\n");
    assert_eq!(run(&mut shell, "false && echo yes || echo no").0, "no\n");
    assert_eq!(run(&mut shell, "echo -n x").0, "x");
    assert_eq!(run(&mut shell, "echo '$HOME'").0, "$HOME\n");
}

#[test]
fn unknown_command_is_127() {
    let mut shell = ct();
    assert_eq!(
        run(&mut shell, "frobnicate --now").0,
        "sh: frobnicate: not found\n"
    );
    assert_eq!(shell.status, 127);
}

#[test]
fn filesystem_commands() {
    let mut shell = ct();
    assert_eq!(run(&mut shell, "cat /etc/hostname").0, "web1\n");
    assert_eq!(run(&mut shell, "pwd").0, "/root\n");
    assert_eq!(run(&mut shell, "cd ..; pwd").0, "/\n");
    let ls = run(&mut shell, "ls").0;
    assert!(ls.contains("\x1b[01;34metc\x1b[0m"), "{ls:?}");
    let long = run(&mut shell, "ls -l /etc").0;
    assert!(long.starts_with("total "), "{long}");
    assert!(
        long.contains("-rw-r--r-- 1 root root     5 Jan 12 09:14 hostname\n"),
        "{long}"
    );
    assert_eq!(
        run(&mut shell, "cat /nope").0,
        "cat: /nope: No such file or directory\n"
    );
    assert_eq!(shell.status, 1);
    assert_eq!(
        run(&mut shell, "cd /etc/hostname").0,
        "sh: cd: /etc/hostname: Not a directory\n"
    );
    assert!(!run(&mut shell, "ls ~").0.contains(".bashrc"));
    assert!(run(&mut shell, "ls -la ~").0.contains(".bashrc"));
    assert_eq!(
        run(&mut shell, "cat /var/log/syslog").0.lines().count(),
        super::super::fs::SYSLOG_LINES
    );
}

#[test]
fn system_commands() {
    let mut shell = ct();
    assert_eq!(run(&mut shell, "stty size").0, "30 100\n");
    assert_eq!(run(&mut shell, "hostname").0, "web1\n");
    assert_eq!(run(&mut shell, "whoami").0, "root\n");
    assert_eq!(run(&mut shell, "uname").0, "Linux\n");
    assert!(
        run(&mut shell, "uname -a")
            .0
            .starts_with("Linux web1 6.8.12-4-pve #1 SMP")
    );
    assert_eq!(run(&mut shell, "date").0, "Sun Nov 29 15:15:14 UTC 2026\n");
    assert!(run(&mut shell, "ps aux").0.contains("/sbin/init"));
    assert!(run(&mut shell, "env").0.contains("HOME=/root\n"));
    assert_eq!(run(&mut shell, "clear").0, "\x1b[H\x1b[2J");
    assert!(run(&mut shell, "help").0.contains("stty size"));
}

#[test]
fn exit_codes() {
    let mut shell = ct();
    assert_eq!(run(&mut shell, "exit").1, Flow::Exit(0));
    assert_eq!(run(&mut shell, "exit 3").1, Flow::Exit(3));
    assert_eq!(run(&mut shell, "false; exit").1, Flow::Exit(1));
    assert_eq!(
        run(&mut shell, "echo a; exit 4; echo b"),
        ("a\n".into(), Flow::Exit(4))
    );
}

#[test]
fn stty_size_without_a_terminal() {
    let mut shell = ct();
    let mut out = Vec::new();
    shell.run_line("stty size", &mut out, &FakeTerm { size: None });
    assert_eq!(shell.status, 1);
}

#[test]
fn dates_across_eras() {
    assert_eq!(format_date(0), "Thu Jan  1 00:00:00 UTC 1970");
    assert_eq!(format_date(951_782_400), "Tue Feb 29 00:00:00 UTC 2000");
    assert_eq!(format_date(-1), "Wed Dec 31 23:59:59 UTC 1969");
}

#[test]
fn node_shell_has_pve_config() {
    let mut shell = Shell::new("pve1", "root", true);
    assert!(
        run(&mut shell, "cat /etc/pve/storage.cfg")
            .0
            .contains("local-lvm")
    );
}
