//! [`FakeExecutor`]: a scripted [`Executor`] for engine tests. Rules map a command pattern (a
//! regex, first match wins, in the order they were added) to an exit code and output lines, a
//! timeout or a closed console; unmatched commands succeed silently. Every call is recorded.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use super::exec::{BoxFuture, ExecError, ExecOutput, Executor, LineSink, OutputLine};

/// What a matching rule makes the command do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FakeReply {
    /// Exits with `code` after printing `lines`.
    Exit { code: i32, lines: Vec<String> },
    /// Runs into its timeout ([`ExecError::Timeout`]).
    Timeout,
    /// The console closes ([`ExecError::Closed`]).
    Closed,
}

/// One call the fake saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FakeCall {
    Run(String),
    WriteFile { path: String, mode: u32 },
    Close,
}

struct Rule {
    pattern: regex::Regex,
    reply: FakeReply,
}

/// A scripted executor; see the module header.
#[derive(Default)]
pub struct FakeExecutor {
    rules: Mutex<Vec<Rule>>,
    calls: Mutex<Vec<FakeCall>>,
    files: Mutex<BTreeMap<String, (Vec<u8>, u32)>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Test double: a panic elsewhere must not hide what was recorded.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl FakeExecutor {
    pub fn new() -> Self {
        Self::default()
    }

    /// Commands matching the regex `pattern` (an invalid regex is taken literally) exit
    /// with `code` after printing `lines`.
    pub fn on(&self, pattern: &str, code: i32, lines: &[&str]) -> &Self {
        self.reply(
            pattern,
            FakeReply::Exit {
                code,
                lines: lines.iter().map(|l| l.to_string()).collect(),
            },
        )
    }

    /// Commands matching `pattern` get `reply`.
    pub fn reply(&self, pattern: &str, reply: FakeReply) -> &Self {
        let pattern =
            regex::Regex::new(pattern).or_else(|_| regex::Regex::new(&regex::escape(pattern)));
        if let Ok(pattern) = pattern {
            lock(&self.rules).push(Rule { pattern, reply });
        }
        self
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<FakeCall> {
        lock(&self.calls).clone()
    }

    /// The commands `run` was given, in order.
    pub fn commands(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter_map(|c| match c {
                FakeCall::Run(command) => Some(command),
                _ => None,
            })
            .collect()
    }

    /// Files written so far: path -> (contents, mode).
    pub fn files(&self) -> BTreeMap<String, (Vec<u8>, u32)> {
        lock(&self.files).clone()
    }

    fn reply_for(&self, command: &str) -> FakeReply {
        lock(&self.rules)
            .iter()
            .find(|r| r.pattern.is_match(command))
            .map(|r| r.reply.clone())
            .unwrap_or(FakeReply::Exit {
                code: 0,
                lines: Vec::new(),
            })
    }
}

impl Executor for FakeExecutor {
    fn run<'a>(
        &'a self,
        command: &'a str,
        timeout: Duration,
        log: LineSink<'a>,
    ) -> BoxFuture<'a, Result<ExecOutput, ExecError>> {
        lock(&self.calls).push(FakeCall::Run(command.to_string()));
        let reply = self.reply_for(command);
        Box::pin(async move {
            match reply {
                FakeReply::Exit { code, lines } => {
                    for line in &lines {
                        log(OutputLine::new(line));
                    }
                    Ok(ExecOutput {
                        code,
                        output: lines.join("\n"),
                    })
                }
                FakeReply::Timeout => Err(ExecError::Timeout {
                    command: command.to_string(),
                    after: timeout,
                }),
                FakeReply::Closed => Err(ExecError::Closed),
            }
        })
    }

    fn write_file<'a>(
        &'a self,
        path: &'a str,
        contents: &'a [u8],
        mode: u32,
    ) -> BoxFuture<'a, Result<(), ExecError>> {
        lock(&self.calls).push(FakeCall::WriteFile {
            path: path.to_string(),
            mode,
        });
        lock(&self.files).insert(path.to_string(), (contents.to_vec(), mode));
        Box::pin(async { Ok(()) })
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        lock(&self.calls).push(FakeCall::Close);
        Box::pin(async {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn scripted_replies_and_a_record() {
        let fake = FakeExecutor::new();
        fake.on(
            "^apt-get update",
            0,
            &["Hit:1 http://deb", "Reading package lists..."],
        )
        .on("docker (", 3, &["literal pattern"])
        .reply("sleep", FakeReply::Timeout);
        let seen = Mutex::new(Vec::new());
        let log = |l: OutputLine<'_>| lock(&seen).push(l.text.to_string());
        let out = fake
            .run("apt-get update", Duration::from_secs(1), &log)
            .await
            .unwrap();
        assert_eq!(out.code, 0);
        assert_eq!(out.output, "Hit:1 http://deb\nReading package lists...");
        assert_eq!(lock(&seen).len(), 2);
        let out = fake
            .run("docker (x", Duration::from_secs(1), &log)
            .await
            .unwrap();
        assert_eq!(out.code, 3);
        assert!(matches!(
            fake.run("sleep 30", Duration::from_secs(1), &log).await,
            Err(ExecError::Timeout { .. })
        ));
        assert_eq!(
            fake.run("true", Duration::from_secs(1), &log)
                .await
                .unwrap()
                .code,
            0
        );
        fake.write_file("/etc/x", b"data", 0o600).await.unwrap();
        fake.close().await;
        assert_eq!(
            fake.commands(),
            ["apt-get update", "docker (x", "sleep 30", "true"]
        );
        assert_eq!(fake.files()["/etc/x"], (b"data".to_vec(), 0o600));
        assert_eq!(fake.calls().last(), Some(&FakeCall::Close));
    }
}
