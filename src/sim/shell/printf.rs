//! `printf` and `test` of the simulated shell: pure functions of their arguments.
//!
//! `printf FORMAT [ARG...]`: conversions `%s %b %c %d %i %u %x %X %o %%` with `-`/`0` flags,
//! a width and a precision; escapes `\n \t \r \\ \a \b \f \v \e \0NNN \NNN`; the format is
//! reused while arguments remain (POSIX). `test`: `-e -f -d -s -r -w -x -n -z`, `= != -eq
//! -ne -lt -le -gt -ge`, `!`; file tests see the fake filesystem through `exists`.

use std::io::Write;

/// Bytes for escape `\c` at `i` of `s` (after the backslash); returns (bytes, consumed).
fn escape(s: &[u8], i: usize, in_b: bool) -> (Vec<u8>, usize) {
    let Some(&c) = s.get(i) else {
        return (b"\\".to_vec(), 0);
    };
    let simple = match c {
        b'n' => Some(b'\n'),
        b't' => Some(b'\t'),
        b'r' => Some(b'\r'),
        b'\\' => Some(b'\\'),
        b'a' => Some(7),
        b'b' => Some(8),
        b'f' => Some(12),
        b'v' => Some(11),
        b'e' => Some(27),
        b'"' => Some(b'"'),
        b'\'' => Some(b'\''),
        _ => None,
    };
    if let Some(byte) = simple {
        return (vec![byte], 1);
    }
    if c.is_ascii_digit() && c < b'8' {
        // `\0NNN` in %b, `\NNN` in the format: up to three octal digits.
        let start = if in_b && c == b'0' { i + 1 } else { i };
        let digits = s[start..]
            .iter()
            .take(3)
            .take_while(|d| d.is_ascii_digit() && **d < b'8')
            .count();
        let value = s[start..start + digits]
            .iter()
            .fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'));
        return (vec![(value & 0xff) as u8], start - i + digits);
    }
    (vec![b'\\', c], 1)
}

/// `%b`: the argument with escapes interpreted.
fn expand_escapes(arg: &str) -> Vec<u8> {
    let s = arg.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\' {
            let (bytes, used) = escape(s, i + 1, true);
            out.extend(bytes);
            i += 1 + used;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

fn pad(text: &[u8], left: bool, zero: bool, width: usize) -> Vec<u8> {
    let len = String::from_utf8_lossy(text).chars().count();
    if len >= width {
        return text.to_vec();
    }
    let fill = vec![if zero && !left { b'0' } else { b' ' }; width - len];
    if left {
        [text, &fill].concat()
    } else if zero && text.first() == Some(&b'-') {
        [&text[..1], &fill, &text[1..]].concat()
    } else {
        [&fill, text].concat()
    }
}

/// A number argument: decimal, `0x` hex, leading `'c` for a character code.
fn number(arg: &str) -> Option<i64> {
    let t = arg.trim();
    if t.is_empty() {
        return Some(0);
    }
    if let Some(c) = t.strip_prefix('\'').or_else(|| t.strip_prefix('"')) {
        return Some(c.chars().next().map_or(0, |c| i64::from(u32::from(c))));
    }
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return i64::from_str_radix(hex, 16).ok();
    }
    t.parse().ok()
}

/// Runs `printf`; returns (output, status, error message).
pub fn printf(args: &[&str]) -> (Vec<u8>, i32, Option<String>) {
    let Some((format, mut rest)) = args.split_first() else {
        return (Vec::new(), 2, Some("usage: printf format [arg ...]".into()));
    };
    let f = format.as_bytes();
    let mut out = Vec::new();
    let mut error = None;
    loop {
        let mut used_any = false;
        let mut i = 0;
        while i < f.len() {
            match f[i] {
                b'\\' => {
                    let (bytes, used) = escape(f, i + 1, false);
                    out.extend(bytes);
                    i += 1 + used;
                }
                b'%' if f.get(i + 1) == Some(&b'%') => {
                    out.push(b'%');
                    i += 2;
                }
                b'%' => {
                    let mut j = i + 1;
                    let (mut left, mut zero) = (false, false);
                    while let Some(&flag) = f.get(j).filter(|c| b"-0 +#".contains(c)) {
                        left |= flag == b'-';
                        zero |= flag == b'0';
                        j += 1;
                    }
                    let width_start = j;
                    while f.get(j).is_some_and(u8::is_ascii_digit) {
                        j += 1;
                    }
                    let width: usize = std::str::from_utf8(&f[width_start..j])
                        .ok()
                        .and_then(|w| w.parse().ok())
                        .unwrap_or(0);
                    let mut precision = None;
                    if f.get(j) == Some(&b'.') {
                        j += 1;
                        let p_start = j;
                        while f.get(j).is_some_and(u8::is_ascii_digit) {
                            j += 1;
                        }
                        precision = Some(
                            std::str::from_utf8(&f[p_start..j])
                                .ok()
                                .and_then(|p| p.parse().ok())
                                .unwrap_or(0usize),
                        );
                    }
                    let Some(&conv) = f.get(j) else {
                        error = Some(format!(
                            "%{}: invalid directive",
                            String::from_utf8_lossy(&f[i + 1..j])
                        ));
                        break;
                    };
                    let arg = rest.first().copied();
                    if arg.is_some() {
                        rest = &rest[1..];
                        used_any = true;
                    }
                    let arg = arg.unwrap_or("");
                    let text: Vec<u8> = match conv {
                        b's' => {
                            let s: String = match precision {
                                Some(p) => arg.chars().take(p).collect(),
                                None => arg.to_string(),
                            };
                            s.into_bytes()
                        }
                        b'b' => expand_escapes(arg),
                        b'c' => arg
                            .chars()
                            .next()
                            .map(|c| c.to_string().into_bytes())
                            .unwrap_or_default(),
                        b'd' | b'i' | b'u' | b'x' | b'X' | b'o' => {
                            let n = number(arg).unwrap_or_else(|| {
                                error = Some(format!("{arg}: invalid number"));
                                0
                            });
                            match conv {
                                b'x' => format!("{n:x}"),
                                b'X' => format!("{n:X}"),
                                b'o' => format!("{n:o}"),
                                _ => n.to_string(),
                            }
                            .into_bytes()
                        }
                        other => {
                            error = Some(format!("%{}: invalid directive", char::from(other)));
                            break;
                        }
                    };
                    out.extend(pad(&text, left, zero && conv != b's', width));
                    i = j + 1;
                }
                byte => {
                    out.push(byte);
                    i += 1;
                }
            }
        }
        if error.is_some() || rest.is_empty() || !used_any {
            break;
        }
    }
    let status = i32::from(error.is_some());
    (out, status, error)
}

/// `test`/`[` (0 true, 1 false, 2 misuse); `stat(path)` is `Some((is_dir, size))` when the path exists.
pub fn test_with(
    args: &[&str],
    err: &mut dyn Write,
    stat: &dyn Fn(&str) -> Option<(bool, usize)>,
) -> i32 {
    let truth = |b: bool| i32::from(!b);
    match args {
        [] => 1,
        ["!", rest @ ..] => match test_with(rest, err, stat) {
            2 => 2,
            s => i32::from(s == 0),
        },
        [one] => truth(!one.is_empty()),
        [op, arg] => match *op {
            "-n" => truth(!arg.is_empty()),
            "-z" => truth(arg.is_empty()),
            "-e" | "-r" | "-w" | "-x" => truth(stat(arg).is_some()),
            "-f" => truth(matches!(stat(arg), Some((false, _)))),
            "-d" => truth(matches!(stat(arg), Some((true, _)))),
            "-s" => truth(matches!(stat(arg), Some((_, size)) if size > 0)),
            "-L" | "-h" => 1,
            other => {
                let _ = writeln!(err, "sh: test: {other}: unexpected operator");
                2
            }
        },
        [a, op, b] => match *op {
            "=" | "==" => truth(a == b),
            "!=" => truth(a != b),
            "-eq" | "-ne" | "-lt" | "-le" | "-gt" | "-ge" => {
                let (Some(x), Some(y)) = (number(a), number(b)) else {
                    let _ = writeln!(err, "sh: test: Illegal number");
                    return 2;
                };
                truth(match *op {
                    "-eq" => x == y,
                    "-ne" => x != y,
                    "-lt" => x < y,
                    "-le" => x <= y,
                    "-gt" => x > y,
                    _ => x >= y,
                })
            }
            other => {
                let _ = writeln!(err, "sh: test: {other}: unexpected operator");
                2
            }
        },
        _ => {
            let _ = writeln!(
                err,
                "sh: test: too many arguments (-a/-o are not supported)"
            );
            2
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> String {
        String::from_utf8_lossy(&printf(args).0).into_owned()
    }

    #[test]
    fn printf_conversions() {
        assert_eq!(
            p(&["%s_%s_%d_E:%d\\n", "__PX", "ab", "3", "42"]),
            "__PX_ab_3_E:42\n"
        );
        assert_eq!(p(&["%s\\n", "a", "b"]), "a\nb\n");
        assert_eq!(
            p(&["[%5s|%-4s|%03d|%.2s]", "ab", "c", "7", "xyz"]),
            "[   ab|c   |007|xy]"
        );
        assert_eq!(p(&["%b", "x\\ty\\0101"]), "x\tyA");
        assert_eq!(p(&["100%%\\r"]), "100%\r");
        assert_eq!(p(&["%s"]), "");
        assert_eq!(p(&["\\033[1m%x\\n", "255"]), "\x1b[1mff\n");
        let (out, status, error) = printf(&["%d", "x"]);
        assert_eq!((out, status), (b"0".to_vec(), 1));
        assert!(error.unwrap().contains("invalid number"));
    }

    #[test]
    fn test_expressions() {
        let mut e = Vec::new();
        let stat = |p: &str| match p {
            "/etc" => Some((true, 0)),
            "/f" => Some((false, 3)),
            _ => None,
        };
        let t = |args: &[&str], e: &mut Vec<u8>| test_with(args, e, &stat);
        assert_eq!(t(&["-d", "/etc"], &mut e), 0);
        assert_eq!(t(&["-f", "/etc"], &mut e), 1);
        assert_eq!(t(&["-f", "/f"], &mut e), 0);
        assert_eq!(t(&["!", "-e", "/nope"], &mut e), 0);
        assert_eq!(t(&["-n", ""], &mut e), 1);
        assert_eq!(t(&["a", "=", "a"], &mut e), 0);
        assert_eq!(t(&["3", "-lt", "10"], &mut e), 0);
        assert_eq!(t(&["x", "-lt", "10"], &mut e), 2);
        assert_eq!(t(&["a", "-a", "b", "c"], &mut e), 2);
    }
}
