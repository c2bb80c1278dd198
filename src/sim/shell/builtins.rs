//! Built-in commands of the simulated shell that need stdin, a separate stderr or the fake
//! filesystem's write side: `printf`, `test`/`[` ([`super::printf`]), `stty`, `export`,
//! `unset`, `set`, `command -v`, `sh`/`bash` (`-c`, a script file or stdin), the file tools
//! `mkdir`, `chmod`, `rm`, `touch`, and the filters `cat`, `grep`, `head`, `tail`, `wc`,
//! `base64`, `sha256sum`. They take precedence over the shell's older table in `commands.rs`.

use std::io::Write;

use base64::Engine;
use sha2::{Digest, Sha256};

use super::commands::{Flow, Shell, Terminal};
use super::fs::{FsError, Node, resolve};
use super::interp::Stdio;
use super::printf::{printf, test_with};

/// Names handled here.
const BUILTINS: [&str; 21] = [
    "printf",
    "test",
    "[",
    "stty",
    "export",
    "unset",
    "set",
    "command",
    "sh",
    "bash",
    "mkdir",
    "chmod",
    "rm",
    "touch",
    "cat",
    "grep",
    "head",
    "tail",
    "wc",
    "base64",
    "sha256sum",
];

/// Shell builtins proper (`command -v` prints their name, not a path).
const SHELL_BUILTINS: [&str; 17] = [
    "printf", "test", "[", "export", "unset", "set", "command", "echo", "cd", "pwd", "true",
    "false", ":", "exit", "logout", "help", "sleep",
];

/// Programs of the older table in `commands.rs`, found by `command -v` under `/usr/bin`.
const OTHER_PROGRAMS: [&str; 11] = [
    "ls", "hostname", "whoami", "id", "uname", "ps", "env", "printenv", "date", "clear", "stty",
];

const PATH_DIRS: [&str; 6] = [
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

pub fn is_builtin(name: &str) -> bool {
    BUILTINS.contains(&name)
}

/// Runs builtin `fields[0]`; `Err(code)` is `exit` from a script run by `sh`.
pub fn run(
    shell: &mut Shell,
    fields: &[String],
    io: &mut Stdio<'_>,
    term: &dyn Terminal,
) -> Result<i32, i32> {
    let args: Vec<&str> = fields[1..].iter().map(String::as_str).collect();
    let status = match fields[0].as_str() {
        "printf" => {
            let (bytes, status, error) = printf(&args);
            let _ = io.out.write_all(&bytes);
            if let Some(error) = error {
                let _ = writeln!(io.err, "sh: printf: {error}");
            }
            status
        }
        "test" => test_with(&args, io.err, &|p| stat(shell, p)),
        "[" => match args.split_last() {
            Some((&"]", rest)) => test_with(rest, io.err, &|p| stat(shell, p)),
            _ => err(io, "[: missing ]", 2),
        },
        "stty" => stty(&args, io, term),
        "export" => export(shell, &args, io),
        "unset" => {
            for name in args.iter().filter(|a| !a.starts_with('-')) {
                shell.vars.remove(*name);
            }
            0
        }
        "set" => set(shell, &args, io),
        "command" => command_v(shell, &args, io),
        "sh" | "bash" => return sub_shell(shell, &fields[0], &args, io, term),
        "mkdir" => mkdir(shell, &args, io),
        "chmod" => chmod(shell, &args, io),
        "rm" => rm(shell, &args, io),
        "touch" => each_path(shell, &args, io, "touch", |fs, path| {
            if fs.get(path).is_some() {
                Ok(())
            } else {
                fs.write(path, b"", false)
            }
        }),
        "sha256sum" => filter(shell, &args, io, "sha256sum", |name, data, out| {
            let _ = writeln!(out, "{}  {name}", hex::encode(Sha256::digest(data)));
        }),
        "cat" => filter(shell, &args, io, "cat", |_, data, out| {
            let _ = out.write_all(data);
        }),
        "head" | "tail" => head_tail(shell, &fields[0], &args, io),
        "wc" => wc(shell, &args, io),
        "grep" => grep(shell, &args, io),
        "base64" => base64_cmd(shell, &args, io),
        _ => 127,
    };
    Ok(status)
}

/// (is a directory, size) of an existing path.
fn stat(shell: &Shell, path: &str) -> Option<(bool, usize)> {
    match shell.fs.get(&resolve(&shell.cwd, &shell.home, path))? {
        Node::Dir => Some((true, 0)),
        Node::File(data) => Some((false, data.len())),
    }
}

fn err(io: &mut Stdio<'_>, message: &str, status: i32) -> i32 {
    let _ = writeln!(io.err, "{message}");
    status
}

fn stty(args: &[&str], io: &mut Stdio<'_>, term: &dyn Terminal) -> i32 {
    const NO_TTY: &str = "stty: 'standard input': Inappropriate ioctl for device";
    if args.is_empty() {
        let _ = writeln!(
            io.out,
            "speed 38400 baud; line = 0;\n-brkint -imaxbel iutf8"
        );
        return 0;
    }
    for arg in args {
        match *arg {
            "size" => match term.size() {
                Some((rows, cols)) => {
                    let _ = writeln!(io.out, "{rows} {cols}");
                }
                None => return err(io, NO_TTY, 1),
            },
            "echo" | "-echo" | "sane" => {
                if !term.set_echo(*arg != "-echo") {
                    return err(io, NO_TTY, 1);
                }
            }
            other => return err(io, &format!("stty: invalid argument '{other}'"), 1),
        }
    }
    0
}

fn export(shell: &mut Shell, args: &[&str], io: &mut Stdio<'_>) -> i32 {
    if args.is_empty() || args == ["-p"] {
        for (name, value) in &shell.vars {
            let _ = writeln!(io.out, "export {name}='{}'", value.replace('\'', "'\\''"));
        }
        return 0;
    }
    for arg in args {
        if let Some((name, value)) = arg.split_once('=') {
            shell.vars.insert(name.to_string(), value.to_string());
        }
    }
    0
}

/// `set`: turning options off, and `-o`/`+o` names, are accepted (the simulated shell has no
/// history expansion, line editing, errexit or tracing to turn off); turning others on is not.
fn set(shell: &Shell, args: &[&str], io: &mut Stdio<'_>) -> i32 {
    if args.is_empty() {
        for (name, value) in &shell.vars {
            let _ = writeln!(io.out, "{name}='{}'", value.replace('\'', "'\\''"));
        }
        return 0;
    }
    let mut after_o = false;
    for arg in args {
        let ok = after_o || arg.starts_with('+') || matches!(*arg, "-o" | "-H");
        after_o = matches!(*arg, "-o" | "+o");
        if !ok {
            return err(io, &format!("sh: set {arg}: not supported"), 2);
        }
    }
    0
}

fn command_v(shell: &Shell, args: &[&str], io: &mut Stdio<'_>) -> i32 {
    let (verbose, names) = match args.split_first() {
        Some((&"-v", rest)) => (true, rest),
        Some((&"-V", rest)) => (true, rest),
        _ => (false, args),
    };
    if !verbose {
        return err(io, "sh: command: only `command -v NAME` is supported", 2);
    }
    let mut status = 0;
    for name in names {
        if SHELL_BUILTINS.contains(name) {
            let _ = writeln!(io.out, "{name}");
        } else if BUILTINS.contains(name) || OTHER_PROGRAMS.contains(name) {
            let _ = writeln!(io.out, "/usr/bin/{name}");
        } else if let Some(path) = PATH_DIRS
            .iter()
            .map(|dir| format!("{dir}/{name}"))
            .find(|p| matches!(shell.fs.get(p), Some(Node::File(_))))
        {
            let _ = writeln!(io.out, "{path}");
        } else {
            status = 1;
        }
    }
    status
}

/// `sh -c STRING`, `sh FILE`, or `sh` reading a script from a pipe. Runs in a copy of the
/// shell (variables stay inside, like a child process); file changes are kept.
fn sub_shell(
    shell: &mut Shell,
    name: &str,
    args: &[&str],
    io: &mut Stdio<'_>,
    term: &dyn Terminal,
) -> Result<i32, i32> {
    let script = match args {
        ["-c", text, ..] => text.to_string(),
        [flag, ..] if flag.starts_with('-') => {
            return Ok(err(io, &format!("{name}: {flag}: not supported"), 2));
        }
        [file, ..] => match shell.fs.read(&resolve(&shell.cwd, &shell.home, file)) {
            Some(data) => String::from_utf8_lossy(data).into_owned(),
            None => {
                return Ok(err(
                    io,
                    &format!("{name}: {file}: No such file or directory"),
                    127,
                ));
            }
        },
        [] => match io.stdin.take() {
            Some(data) => String::from_utf8_lossy(&data).into_owned(),
            None => {
                return Ok(err(
                    io,
                    &format!("{name}: interactive sub-shell: not supported"),
                    2,
                ));
            }
        },
    };
    let mut child = shell.clone();
    let mut status = 0;
    for line in script.lines() {
        if let Flow::Exit(code) = child.run_line(line, io.out, term) {
            status = code;
            child.status = code;
            break;
        }
        status = child.status;
    }
    shell.fs = child.fs;
    Ok(status)
}

/// Applies `op` to each path argument (options skipped), reporting failures like coreutils.
fn each_path(
    shell: &mut Shell,
    args: &[&str],
    io: &mut Stdio<'_>,
    tool: &str,
    mut op: impl FnMut(&mut super::fs::FakeFs, &str) -> Result<(), FsError>,
) -> i32 {
    let mut status = 0;
    for arg in args.iter().filter(|a| !a.starts_with('-') || a.len() == 1) {
        let path = resolve(&shell.cwd, &shell.home, arg);
        if let Err(e) = op(&mut shell.fs, &path) {
            status = err(io, &format!("{tool}: {} '{arg}': {e}", verb(tool)), 1);
        }
    }
    status
}

fn verb(tool: &str) -> &'static str {
    match tool {
        "mkdir" => "cannot create directory",
        "rm" => "cannot remove",
        "chmod" => "cannot access",
        _ => "cannot touch",
    }
}

fn mkdir(shell: &mut Shell, args: &[&str], io: &mut Stdio<'_>) -> i32 {
    let parents = args.iter().any(|a| a.starts_with('-') && a.contains('p'));
    let mut rest: Vec<&str> = Vec::new();
    let mut skip = false;
    for arg in args {
        if skip {
            skip = false;
        } else if *arg == "-m" {
            skip = true;
        } else if !arg.starts_with('-') {
            rest.push(arg);
        }
    }
    each_path(shell, &rest, io, "mkdir", |fs, path| {
        if parents {
            fs.mkdir_p(path)
        } else {
            fs.mkdir(path)
        }
    })
}

fn chmod(shell: &mut Shell, args: &[&str], io: &mut Stdio<'_>) -> i32 {
    let mut operands = args.iter().filter(|a| !a.starts_with('-') || a.len() == 1);
    let Some(mode) = operands.next() else {
        return err(io, "chmod: missing operand", 1);
    };
    let valid = mode.bytes().all(|b| b.is_ascii_digit() && b < b'8')
        || mode.bytes().all(|b| b"ugoa+-=rwxXst,".contains(&b));
    if !valid {
        return err(io, &format!("chmod: invalid mode: '{mode}'"), 1);
    }
    let paths: Vec<&str> = operands.copied().collect();
    if paths.is_empty() {
        return err(io, &format!("chmod: missing operand after '{mode}'"), 1);
    }
    // Modes are not kept: chmod checks that the files exist.
    each_path(shell, &paths, io, "chmod", |fs, path| {
        fs.get(path).map(|_| ()).ok_or(FsError::NotFound)
    })
}

fn rm(shell: &mut Shell, args: &[&str], io: &mut Stdio<'_>) -> i32 {
    let flags: String = args
        .iter()
        .filter(|a| a.starts_with('-') && a.len() > 1 && **a != "--")
        .map(|a| &a[1..])
        .collect();
    let force = flags.contains('f');
    let recursive = flags.contains('r') || flags.contains('R');
    let paths: Vec<&str> = args
        .iter()
        .copied()
        .filter(|a| !a.starts_with('-'))
        .collect();
    each_path(shell, &paths, io, "rm", |fs, path| {
        match fs.remove(path, recursive) {
            Err(FsError::NotFound) if force => Ok(()),
            other => other,
        }
    })
}

/// Runs `each` on every input: the named files (`-` = stdin) or stdin when none.
fn filter(
    shell: &Shell,
    args: &[&str],
    io: &mut Stdio<'_>,
    tool: &str,
    mut each: impl FnMut(&str, &[u8], &mut dyn Write),
) -> i32 {
    let files: Vec<&str> = args
        .iter()
        .copied()
        .filter(|a| !a.starts_with('-') || *a == "-")
        .collect();
    if files.is_empty() {
        let data = io.stdin.take().unwrap_or_default();
        each("-", &data, io.out);
        return 0;
    }
    let mut status = 0;
    for name in files {
        if name == "-" {
            let data = io.stdin.take().unwrap_or_default();
            each("-", &data, io.out);
            continue;
        }
        let path = resolve(&shell.cwd, &shell.home, name);
        match shell.fs.get(&path) {
            Some(Node::File(data)) => each(name, data, io.out),
            Some(Node::Dir) => status = err(io, &format!("{tool}: {name}: Is a directory"), 1),
            None => status = err(io, &format!("{tool}: {name}: No such file or directory"), 1),
        }
    }
    status
}

/// The input of a one-input tool: the first operand, or stdin.
fn one_input(
    shell: &Shell,
    operands: &[&str],
    io: &mut Stdio<'_>,
    tool: &str,
) -> Result<(String, Vec<u8>), i32> {
    match operands.first() {
        None | Some(&"-") => Ok(("-".into(), io.stdin.take().unwrap_or_default())),
        Some(name) => match shell.fs.read(&resolve(&shell.cwd, &shell.home, name)) {
            Some(data) => Ok((name.to_string(), data.to_vec())),
            None => Err(err(
                io,
                &format!("{tool}: {name}: No such file or directory"),
                1,
            )),
        },
    }
}

fn head_tail(shell: &Shell, tool: &str, args: &[&str], io: &mut Stdio<'_>) -> i32 {
    let mut count = 10usize;
    let mut operands = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let number = if *arg == "-n" {
            it.next().copied()
        } else if let Some(n) = arg.strip_prefix("-n") {
            Some(n)
        } else if let Some(n) = arg.strip_prefix('-').filter(|n| !n.is_empty()) {
            Some(n)
        } else {
            operands.push(*arg);
            continue;
        };
        match number.and_then(|n| n.parse().ok()) {
            Some(n) => count = n,
            None => return err(io, &format!("{tool}: invalid number of lines"), 1),
        }
    }
    let (_, data) = match one_input(shell, &operands, io, tool) {
        Ok(input) => input,
        Err(status) => return status,
    };
    let lines: Vec<&[u8]> = data.split_inclusive(|&b| b == b'\n').collect();
    let chosen = if tool == "head" {
        &lines[..count.min(lines.len())]
    } else {
        &lines[lines.len().saturating_sub(count)..]
    };
    for line in chosen {
        let _ = io.out.write_all(line);
    }
    0
}

fn wc(shell: &Shell, args: &[&str], io: &mut Stdio<'_>) -> i32 {
    let flags: String = args
        .iter()
        .filter(|a| a.starts_with('-') && a.len() > 1)
        .map(|a| &a[1..])
        .collect();
    let operands: Vec<&str> = args
        .iter()
        .copied()
        .filter(|a| !a.starts_with('-') || *a == "-")
        .collect();
    let (name, data) = match one_input(shell, &operands, io, "wc") {
        Ok(input) => input,
        Err(status) => return status,
    };
    let lines = data.iter().filter(|&&b| b == b'\n').count();
    let words = String::from_utf8_lossy(&data).split_whitespace().count();
    let mut counts = Vec::new();
    let all = flags.is_empty();
    if all || flags.contains('l') {
        counts.push(lines.to_string());
    }
    if all || flags.contains('w') {
        counts.push(words.to_string());
    }
    if all || flags.contains('c') {
        counts.push(data.len().to_string());
    }
    if name != "-" {
        counts.push(name);
    }
    let _ = writeln!(io.out, "{}", counts.join(" "));
    0
}

fn grep(shell: &Shell, args: &[&str], io: &mut Stdio<'_>) -> i32 {
    let mut flags = String::new();
    let mut operands = Vec::new();
    for arg in args {
        match arg.strip_prefix('-') {
            Some(f) if !f.is_empty() && operands.is_empty() => flags.push_str(f),
            _ => operands.push(*arg),
        }
    }
    let Some((pattern, files)) = operands.split_first() else {
        return err(io, "Usage: grep [OPTION]... PATTERNS [FILE]...", 2);
    };
    let source = if flags.contains('F') {
        regex::escape(pattern)
    } else {
        pattern.to_string()
    };
    let source = if flags.contains('x') {
        format!("^(?:{source})$")
    } else {
        source
    };
    let re = match regex::RegexBuilder::new(&source)
        .case_insensitive(flags.contains('i'))
        .build()
    {
        Ok(re) => re,
        Err(_) => return err(io, "grep: Invalid regular expression", 2),
    };
    let (_, data) = match one_input(shell, files, io, "grep") {
        Ok(input) => input,
        Err(_) => return 2,
    };
    let text = String::from_utf8_lossy(&data);
    let invert = flags.contains('v');
    let matched: Vec<&str> = text.lines().filter(|l| re.is_match(l) != invert).collect();
    if flags.contains('c') {
        let _ = writeln!(io.out, "{}", matched.len());
    } else if !flags.contains('q') {
        for line in &matched {
            let _ = writeln!(io.out, "{line}");
        }
    }
    i32::from(matched.is_empty())
}

fn base64_cmd(shell: &Shell, args: &[&str], io: &mut Stdio<'_>) -> i32 {
    let decode = args.iter().any(|a| {
        *a == "--decode" || (a.starts_with('-') && !a.starts_with("--") && a.contains('d'))
    });
    let mut wrap = 76usize;
    let mut operands = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if *arg == "-w" {
            wrap = it.next().and_then(|n| n.parse().ok()).unwrap_or(76);
        } else if !arg.starts_with('-') || *arg == "-" {
            operands.push(*arg);
        }
    }
    let (_, data) = match one_input(shell, &operands, io, "base64") {
        Ok(input) => input,
        Err(status) => return status,
    };
    let engine = base64::engine::general_purpose::STANDARD;
    if decode {
        let clean: Vec<u8> = data
            .into_iter()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        return match engine.decode(&clean) {
            Ok(bytes) => {
                let _ = io.out.write_all(&bytes);
                0
            }
            Err(_) => err(io, "base64: invalid input", 1),
        };
    }
    let text = engine.encode(&data);
    let width = if wrap == 0 { text.len().max(1) } else { wrap };
    for chunk in text.as_bytes().chunks(width) {
        let _ = io.out.write_all(chunk);
        let _ = io.out.write_all(b"\n");
    }
    0
}
