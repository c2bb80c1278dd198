//! Runs parsed lines ([`super::parse`]) on a [`Shell`]: expansion (`$VAR` split into fields
//! when unquoted, kept whole in quotes), `NAME=value` (alone: a shell variable; before a
//! command: for that command only), redirections of stdout/stderr to files, `/dev/null` or
//! each other, stdin from a file, and `|` pipes (each command's output is collected and fed to
//! the next; only the last one streams to the terminal).
//!
//! Commands are looked up in [`super::builtins`] first (they see stdin and a separate
//! stderr), then in the shell's own table (`Shell::command`, stdout only).

use std::cell::RefCell;
use std::io::Write;

use super::builtins;
use super::commands::{Flow, Shell, Terminal};
use super::fs::resolve;
use super::parse::{Join, Piece, Pipeline, RedirKind, SimpleCommand, Word, parse_line};

/// Where a file descriptor points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sink {
    Term,
    Pipe,
    Null,
    File(usize),
}

/// The destinations one command writes to.
struct Outputs<'a> {
    term: RefCell<&'a mut dyn Write>,
    pipe: RefCell<Vec<u8>>,
    files: RefCell<Vec<Vec<u8>>>,
}

/// One file descriptor as a `Write`.
pub struct FdWriter<'o, 'a> {
    outputs: &'o Outputs<'a>,
    sink: Sink,
}

impl Write for FdWriter<'_, '_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.sink {
            Sink::Term => self.outputs.term.borrow_mut().write_all(buf)?,
            Sink::Pipe => self.outputs.pipe.borrow_mut().extend_from_slice(buf),
            Sink::Null => {}
            Sink::File(i) => {
                if let Some(file) = self.outputs.files.borrow_mut().get_mut(i) {
                    file.extend_from_slice(buf);
                }
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.sink == Sink::Term {
            self.outputs.term.borrow_mut().flush()?;
        }
        Ok(())
    }
}

/// What a builtin gets besides its arguments.
pub struct Stdio<'w> {
    /// `None` when stdin is the terminal (builtins then read nothing).
    pub stdin: Option<Vec<u8>>,
    pub out: &'w mut dyn Write,
    pub err: &'w mut dyn Write,
}

impl Shell {
    /// Runs one input line (see the module header); `Flow::Exit` after `exit`.
    pub fn run_script_line(
        &mut self,
        line: &str,
        out: &mut dyn Write,
        term: &dyn Terminal,
    ) -> Flow {
        let list = match parse_line(line) {
            Ok(list) => list,
            Err(message) => {
                let _ = writeln!(out, "{message}");
                self.status = 2;
                return Flow::Continue;
            }
        };
        for (join, pipeline) in &list {
            let run = match join {
                Join::Always => true,
                Join::IfOk => self.status == 0,
                Join::IfFailed => self.status != 0,
            };
            if !run {
                continue;
            }
            match self.run_pipeline(pipeline, out, term) {
                Ok(status) => self.status = status,
                Err(code) => return Flow::Exit(code),
            }
        }
        Flow::Continue
    }

    fn run_pipeline(
        &mut self,
        pipeline: &Pipeline,
        out: &mut dyn Write,
        term: &dyn Terminal,
    ) -> Result<i32, i32> {
        let mut input: Option<Vec<u8>> = None;
        let mut status = 0;
        let last = pipeline.commands.len().saturating_sub(1);
        for (i, command) in pipeline.commands.iter().enumerate() {
            let (code, piped) = self.run_simple(command, input.take(), i < last, out, term)?;
            status = code;
            input = Some(piped);
        }
        Ok(if pipeline.negate {
            i32::from(status == 0)
        } else {
            status
        })
    }

    /// One simple command; returns its status and what it wrote to a pipe.
    fn run_simple(
        &mut self,
        command: &SimpleCommand,
        stdin: Option<Vec<u8>>,
        to_pipe: bool,
        out: &mut dyn Write,
        term: &dyn Terminal,
    ) -> Result<(i32, Vec<u8>), i32> {
        let fields: Vec<String> = command
            .words
            .iter()
            .flat_map(|w| self.expand_fields(w))
            .collect();
        let mut stdin = stdin;
        let mut fds = [
            Sink::Term,
            if to_pipe { Sink::Pipe } else { Sink::Term },
            Sink::Term,
        ];
        let mut files: Vec<String> = Vec::new();
        for redir in &command.redirs {
            let sink = match &redir.kind {
                RedirKind::Dup(to) => match fds.get(*to as usize) {
                    Some(sink) => *sink,
                    None => {
                        return Ok((
                            self.complain(out, &format!("{to}: Bad file descriptor")),
                            Vec::new(),
                        ));
                    }
                },
                RedirKind::Read(target) => {
                    let name = self.expand_joined(target);
                    if name == "/dev/null" {
                        stdin = Some(Vec::new());
                    } else {
                        match self.fs.read(&resolve(&self.cwd, &self.home, &name)) {
                            Some(data) => stdin = Some(data.to_vec()),
                            None => {
                                let msg = format!("cannot open {name}: No such file");
                                return Ok((self.complain(out, &msg), Vec::new()));
                            }
                        }
                    }
                    continue;
                }
                RedirKind::Write { target, append } => {
                    let name = self.expand_joined(target);
                    if name == "/dev/null" {
                        Sink::Null
                    } else {
                        let path = resolve(&self.cwd, &self.home, &name);
                        // The file is created (or emptied) when it is opened, before the command.
                        if let Err(e) = self.fs.write(&path, b"", *append) {
                            let msg = format!("cannot create {name}: {e}");
                            return Ok((self.complain(out, &msg), Vec::new()));
                        }
                        files.push(path);
                        Sink::File(files.len() - 1)
                    }
                }
            };
            match fds.get_mut(redir.fd as usize) {
                Some(slot) => *slot = sink,
                None => {
                    let msg = format!("{}>: not supported", redir.fd);
                    return Ok((self.complain(out, &msg), Vec::new()));
                }
            }
        }
        let assigns: Vec<(String, String)> = command
            .assigns
            .iter()
            .map(|(name, value)| (name.clone(), self.expand_joined(value)))
            .collect();
        if fields.is_empty() {
            self.vars.extend(assigns);
            self.commit(&files, vec![vec![]; files.len()]);
            return Ok((0, Vec::new()));
        }
        let saved: Vec<(String, Option<String>)> = assigns
            .iter()
            .map(|(name, _)| (name.clone(), self.vars.get(name).cloned()))
            .collect();
        self.vars.extend(assigns);
        let outputs = Outputs {
            term: RefCell::new(out),
            pipe: RefCell::new(Vec::new()),
            files: RefCell::new(vec![Vec::new(); files.len()]),
        };
        let mut stdout = FdWriter {
            outputs: &outputs,
            sink: fds[1],
        };
        let mut stderr = FdWriter {
            outputs: &outputs,
            sink: fds[2],
        };
        let result = if builtins::is_builtin(&fields[0]) {
            let mut io = Stdio {
                stdin,
                out: &mut stdout,
                err: &mut stderr,
            };
            builtins::run(self, &fields, &mut io, term)
        } else {
            self.command(&fields, &mut stdout, term)
        };
        let _ = stdout.flush();
        for (name, old) in saved {
            match old {
                Some(value) => self.vars.insert(name, value),
                None => self.vars.remove(&name),
            };
        }
        self.commit(&files, outputs.files.into_inner());
        let status = result?;
        Ok((status, outputs.pipe.into_inner()))
    }

    /// Appends what a command wrote to its redirected files.
    fn commit(&mut self, files: &[String], data: Vec<Vec<u8>>) {
        for (path, bytes) in files.iter().zip(data) {
            let _ = self.fs.write(path, &bytes, true);
        }
    }

    /// `sh: <message>` on the terminal, status 2 (a redirection error).
    fn complain(&self, out: &mut dyn Write, message: &str) -> i32 {
        let _ = writeln!(out, "sh: {message}");
        2
    }

    /// A word as fields: unquoted variables split at whitespace, `''` stays one empty field.
    pub fn expand_fields(&self, word: &Word) -> Vec<String> {
        let mut fields = Vec::new();
        let mut current = String::new();
        let mut open = false;
        for piece in word {
            match piece {
                Piece::Lit(text) | Piece::Quoted(text) => {
                    current.push_str(text);
                    open = true;
                }
                Piece::Var(name, true) => {
                    current.push_str(&self.var(name));
                    open = true;
                }
                Piece::Var(name, false) => {
                    let value = self.var(name);
                    let parts: Vec<&str> = value.split_whitespace().collect();
                    let starts_blank = value.starts_with(char::is_whitespace);
                    if starts_blank && open && !parts.is_empty() {
                        fields.push(std::mem::take(&mut current));
                    }
                    for (i, part) in parts.iter().enumerate() {
                        if i > 0 {
                            fields.push(std::mem::take(&mut current));
                        }
                        current.push_str(part);
                        open = true;
                    }
                    if value.ends_with(char::is_whitespace) && !parts.is_empty() {
                        fields.push(std::mem::take(&mut current));
                        open = false;
                    }
                }
            }
        }
        if open {
            fields.push(current);
        }
        fields
    }

    /// A word as one string (assignments and redirection targets: no splitting).
    pub fn expand_joined(&self, word: &Word) -> String {
        word.iter()
            .map(|piece| match piece {
                Piece::Lit(text) | Piece::Quoted(text) => text.clone(),
                Piece::Var(name, _) => self.var(name),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoTerm;
    impl Terminal for NoTerm {
        fn size(&self) -> Option<(u16, u16)> {
            None
        }
        fn now(&self) -> i64 {
            0
        }
        fn sleep(&self, _seconds: f64) -> bool {
            true
        }
    }

    fn run(shell: &mut Shell, line: &str) -> String {
        let mut out = Vec::new();
        shell.run_line(line, &mut out, &NoTerm);
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn variables_assignments_and_splitting() {
        let mut sh = Shell::new("web1", "root", false);
        assert_eq!(run(&mut sh, "A='x  y'; printf '<%s>' $A; echo"), "<x><y>\n");
        assert_eq!(run(&mut sh, "printf '<%s>' \"$A\" ''; echo"), "<x  y><>\n");
        // The word is expanded before the prefix assignment applies (POSIX); a child sees it.
        assert_eq!(
            run(&mut sh, "B=1 printf '%s' \"$B\"; echo \"[$B]\""),
            "[]\n"
        );
        assert_eq!(
            run(&mut sh, "B=1 sh -c 'printf %s \"$B\"'; echo \"[$B]\""),
            "1[]\n"
        );
        assert_eq!(run(&mut sh, "printf '%s' $EMPTY; echo $?"), "0\n");
    }

    #[test]
    fn redirections_and_pipes() {
        let mut sh = Shell::new("web1", "root", false);
        assert_eq!(
            run(&mut sh, "echo one > /tmp/f; echo two >> /tmp/f; cat /tmp/f"),
            "one\ntwo\n"
        );
        assert_eq!(run(&mut sh, "cat /nope 2>/dev/null; echo $?"), "1\n");
        assert_eq!(
            run(&mut sh, "cat /nope >/tmp/e 2>&1; cat /tmp/e"),
            "cat: /nope: No such file or directory\n"
        );
        assert_eq!(run(&mut sh, "cat /tmp/f | wc -l"), "2\n");
        assert_eq!(
            run(&mut sh, "cat /tmp/f | grep -q two && echo yes"),
            "yes\n"
        );
        assert_eq!(run(&mut sh, "wc -l < /tmp/f"), "2\n");
        assert_eq!(run(&mut sh, ": > /tmp/f; wc -c /tmp/f"), "0 /tmp/f\n");
        assert_eq!(
            run(&mut sh, "echo x > /no/dir/f; echo $?"),
            "sh: cannot create /no/dir/f: No such file or directory\n2\n"
        );
        assert_eq!(run(&mut sh, "! false && echo negated"), "negated\n");
    }

    #[test]
    fn unsupported_syntax_is_status_2_not_a_panic() {
        let mut sh = Shell::new("web1", "root", false);
        assert_eq!(run(&mut sh, "echo $(id)"), "sh: $(...): not supported\n");
        assert_eq!(sh.status, 2);
        assert_eq!(
            run(&mut sh, "echo 'open"),
            "sh: syntax error: unterminated quoted string\n"
        );
        assert_eq!(sh.status, 2);
    }
}
