//! Reaching the app from inside the container: `curl`, `wget` and `nc -z` against loopback.
//! A port answers only when a running compose service publishes it and has warmed up; every
//! other address is refused (or unresolvable). No socket is ever opened.

use std::io::Write;

use super::apps::AppsSession;
use super::commands::Shell;
use super::compose;
use super::docker_out::ready;
use super::fs::resolve;

/// What a connection to (host, port) meets.
enum Reach {
    /// The app answers; its page title.
    Open(&'static str),
    Refused,
    Unresolvable,
}

fn is_loopback(host: &str) -> bool {
    matches!(
        host,
        "127.0.0.1" | "localhost" | "::1" | "[::1]" | "0.0.0.0" | "ip6-localhost"
    )
}

fn looks_like_ip(host: &str) -> bool {
    host.starts_with('[') || host.chars().all(|c| c.is_ascii_digit() || c == '.')
}

fn reach(apps: &AppsSession, host: &str, port: u16) -> Reach {
    if !is_loopback(host) {
        return if looks_like_ip(host) {
            Reach::Refused
        } else {
            Reach::Unresolvable
        };
    }
    if !apps.state.daemon_running {
        return Reach::Refused;
    }
    let now = apps.now_ms();
    apps.state
        .all_services()
        .find(|(_, svc)| {
            ready(svc, now) && svc.ports.iter().any(|(h, _, p)| *h == port && p == "tcp")
        })
        .map(|(_, svc)| Reach::Open(compose::profile(&svc.image).title))
        .unwrap_or(Reach::Refused)
}

/// (scheme, host, port, path) of `http[s]://host[:port][/path]` (scheme optional).
fn parse_url(url: &str) -> Option<(String, String, u16, String)> {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let default_port = match scheme {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    let (host, port) = if let Some(end) = authority.strip_prefix('[').and_then(|a| a.find(']')) {
        let host = &authority[..end + 2];
        let port = authority[end + 2..].strip_prefix(':');
        (host.to_string(), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (authority.to_string(), None),
        }
    };
    let port = match port {
        Some(p) => p.parse().ok()?,
        None => default_port,
    };
    (!host.is_empty()).then_some((scheme.to_string(), host, port, path))
}

fn body(title: &str, path: &str) -> String {
    let lower = path.to_lowercase();
    if ["health", "api", "status", "ping"]
        .iter()
        .any(|k| lower.contains(k))
    {
        "{\"status\":\"ok\"}".to_string()
    } else {
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\n<body><div id=\"app\"></div></body></html>\n"
        )
    }
}

/// Short flags may be bundled (`-fsSL`); these take a value.
fn expand_flags<'a>(args: &[&'a str], valued: &str) -> Vec<(char, Option<&'a str>)> {
    let mut flags = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = args[i];
        if a.starts_with('-') && !a.starts_with("--") && a.len() > 1 {
            for (k, c) in a[1..].char_indices() {
                if valued.contains(c) {
                    let inline = &a[1 + k + c.len_utf8()..];
                    if inline.is_empty() {
                        flags.push((c, args.get(i + 1).copied()));
                        i += 1;
                    } else {
                        flags.push((c, Some(inline)));
                    }
                    break;
                }
                flags.push((c, None));
            }
        }
        i += 1;
    }
    flags
}

/// Positional words, skipping the values of flags that take one.
fn positionals<'a>(args: &[&'a str], short_valued: &str, long_valued: &[&str]) -> Vec<&'a str> {
    let mut words = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = args[i];
        if long_valued.contains(&a) {
            i += 2;
            continue;
        }
        if a.starts_with("--") {
            i += 1;
            continue;
        }
        if a.starts_with('-') && a.len() > 1 {
            let last = a.chars().last().unwrap_or(' ');
            let takes = a[1..]
                .char_indices()
                .find(|(_, c)| short_valued.contains(*c))
                .is_some_and(|(k, _)| k + 2 == a.len() && short_valued.contains(last));
            i += if takes { 2 } else { 1 };
            continue;
        }
        words.push(a);
        i += 1;
    }
    words
}

fn write_target(shell: &mut Shell, target: &str, text: &str, out: &mut dyn Write) {
    match target {
        "-" => {
            let _ = out.write_all(text.as_bytes());
        }
        "/dev/null" => {}
        path => {
            let path = resolve(&shell.cwd, &shell.home, path);
            shell.fs.put_entry(&path, Some(text));
        }
    }
}

pub fn curl(shell: &mut Shell, args: &[&str], out: &mut dyn Write) -> i32 {
    let flags = expand_flags(args, "owmXHdu");
    let has = |c: char| flags.iter().any(|(f, _)| *f == c);
    let value = |c: char| flags.iter().find(|(f, _)| *f == c).and_then(|(_, v)| *v);
    let long = |name: &str| {
        args.iter()
            .position(|a| *a == name)
            .and_then(|i| args.get(i + 1).copied())
    };
    let silent = has('s') || args.contains(&"--silent");
    let show_error = has('S') || args.contains(&"--show-error");
    let head = has('I') || args.contains(&"--head");
    let output = value('o').or_else(|| long("--output"));
    let write_out = value('w').or_else(|| long("--write-out"));
    let words = positionals(
        args,
        "owmXHdu",
        &[
            "--output",
            "--write-out",
            "--max-time",
            "--connect-timeout",
            "--retry",
        ],
    );
    let Some(url) = words.first() else {
        let _ = writeln!(
            out,
            "curl: no URL specified!\ncurl: try 'curl --help' or 'curl --manual' for more information"
        );
        return 2;
    };
    let Some((_, host, port, path)) = parse_url(url) else {
        let _ = writeln!(
            out,
            "curl: (3) URL rejected: Malformed input to a URL function"
        );
        return 3;
    };
    let (code, http_code, error) = match reach(&shell.apps, &host, port) {
        Reach::Open(title) => {
            let text = if head {
                "HTTP/1.1 200 OK\nContent-Type: text/html; charset=utf-8\n\n".to_string()
            } else {
                body(title, &path)
            };
            write_target(shell, output.unwrap_or("-"), &text, out);
            (0, "200", None)
        }
        Reach::Refused => (
            7,
            "000",
            Some(format!(
                "curl: (7) Failed to connect to {host} port {port} after 0 ms: Couldn't connect to server"
            )),
        ),
        Reach::Unresolvable => (
            6,
            "000",
            Some(format!("curl: (6) Could not resolve host: {host}")),
        ),
    };
    if let Some(format) = write_out {
        let text = format
            .replace("%{http_code}", http_code)
            .replace("%{response_code}", http_code)
            .replace("%{url_effective}", url)
            .replace("\\n", "\n");
        let _ = out.write_all(text.as_bytes());
    }
    if let Some(error) = error
        && (!silent || show_error)
    {
        let _ = writeln!(out, "{error}");
    }
    code
}

pub fn wget(shell: &mut Shell, args: &[&str], out: &mut dyn Write) -> i32 {
    let flags = expand_flags(args, "OTt");
    let quiet = flags.iter().any(|(f, _)| *f == 'q') || args.contains(&"--quiet");
    let spider = args.contains(&"--spider");
    let target = flags
        .iter()
        .find(|(f, _)| *f == 'O')
        .and_then(|(_, v)| *v)
        .or_else(|| {
            args.iter()
                .find_map(|a| a.strip_prefix("--output-document="))
        });
    let words = positionals(args, "OTt", &["--output-document", "--timeout", "--tries"]);
    let Some(url) = words.first() else {
        let _ = writeln!(out, "wget: missing URL\nUsage: wget [OPTION]... [URL]...");
        return 1;
    };
    let Some((_, host, port, path)) = parse_url(url) else {
        let _ = writeln!(out, "{url}: Unsupported scheme.");
        return 1;
    };
    if !quiet {
        let _ = writeln!(out, "Connecting to {host}:{port}... ");
    }
    match reach(&shell.apps, &host, port) {
        Reach::Open(title) => {
            if !quiet {
                let _ = writeln!(
                    out,
                    "connected.\nHTTP request sent, awaiting response... 200 OK"
                );
            }
            if !spider {
                let file = path.rsplit('/').next().filter(|f| !f.is_empty());
                let target = target.unwrap_or(file.unwrap_or("index.html"));
                write_target(shell, target, &body(title, &path), out);
            }
            0
        }
        Reach::Refused => {
            if !quiet {
                let _ = writeln!(out, "failed: Connection refused.");
            }
            4
        }
        Reach::Unresolvable => {
            if !quiet {
                let _ = writeln!(out, "wget: unable to resolve host address '{host}'");
            }
            4
        }
    }
}

pub fn nc(apps: &AppsSession, args: &[&str], out: &mut dyn Write) -> i32 {
    let verbose = expand_flags(args, "wqsp").iter().any(|(f, _)| *f == 'v');
    let words = positionals(args, "wqsp", &[]);
    let (Some(host), Some(port)) = (words.first(), words.get(1)) else {
        let _ = writeln!(
            out,
            "usage: nc [-46CDdFhklNnrStUuvZz] [-w timeout] destination [port]"
        );
        return 1;
    };
    let Ok(port) = port.parse::<u16>() else {
        let _ = writeln!(out, "nc: port number invalid: {port}");
        return 1;
    };
    match reach(apps, host, port) {
        Reach::Open(_) => {
            if verbose {
                let _ = writeln!(out, "Connection to {host} {port} port [tcp/*] succeeded!");
            }
            0
        }
        Reach::Refused => {
            if verbose {
                let _ = writeln!(
                    out,
                    "nc: connect to {host} port {port} (tcp) failed: Connection refused"
                );
            }
            1
        }
        Reach::Unresolvable => {
            let _ = writeln!(
                out,
                "nc: getaddrinfo for host \"{host}\" port {port}: Name or service not known"
            );
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_flags() {
        assert_eq!(
            parse_url("http://127.0.0.1:8096/health"),
            Some(("http".into(), "127.0.0.1".into(), 8096, "/health".into()))
        );
        assert_eq!(
            parse_url("https://localhost"),
            Some(("https".into(), "localhost".into(), 443, "/".into()))
        );
        assert_eq!(
            parse_url("http://[::1]:80/x").map(|u| u.1),
            Some("[::1]".into())
        );
        assert_eq!(parse_url("ftp://x"), None);
        let args = [
            "-fsSL",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "http://a/",
        ];
        let flags = expand_flags(&args, "owmXHdu");
        assert!(flags.contains(&('o', Some("/dev/null"))));
        assert!(flags.contains(&('L', None)));
        assert_eq!(positionals(&args, "owmXHdu", &[]), vec!["http://a/"]);
        assert_eq!(
            positionals(&["-q", "-O-", "http://b"], "OTt", &[]),
            vec!["http://b"]
        );
        assert_eq!(
            positionals(&["-qO", "-", "http://b"], "OTt", &[]),
            vec!["http://b"]
        );
    }
}
