//! POSIX shell quoting for the lines the executors type into a container's shell.

/// `s` as one single-quoted shell word: `'...'`, each `'` written as `'\''`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// The directory part of `path` (`/a/b` -> `/a`, `/a` -> `/`, `a` -> `.`).
pub fn parent(path: &str) -> &str {
    match path.trim_end_matches('/').rfind('/') {
        Some(0) => "/",
        Some(i) => &path[..i],
        None => ".",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_survive_quoting() {
        assert_eq!(quote("plain"), "'plain'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("$HOME `x` \"y\""), "'$HOME `x` \"y\"'");
    }

    #[test]
    fn parents() {
        assert_eq!(parent("/etc/app/conf.yml"), "/etc/app");
        assert_eq!(parent("/conf"), "/");
        assert_eq!(parent("conf"), ".");
    }
}
