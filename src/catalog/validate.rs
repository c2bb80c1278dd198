//! The rules a parsed catalog entry must follow beyond its types: names in their charset,
//! nothing duplicated, every `${VAR}` declared, every port the health check or the URL
//! uses published by some service, sizes above zero. The first broken rule is reported
//! with its key path; the caller turns the path into a line.

use std::collections::BTreeSet;

use super::issue::KeyPath;
use super::model::{AppSpec, HealthCheck, Protocol};

/// A broken rule: where (key path) and why.
pub type RuleError = (KeyPath, String);

/// `[a-z0-9][a-z0-9-]*`: app ids (also Proxmox tags and host paths).
pub fn is_app_id(s: &str) -> bool {
    charset(
        s,
        |c| c.is_ascii_lowercase() || c.is_ascii_digit(),
        |c| c == '-',
    )
}

/// `[A-Z_][A-Z0-9_]*`: variable keys.
pub fn is_env_key(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_uppercase() || c == '_')
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// `[a-z0-9][a-z0-9_-]*`: compose service and volume names.
pub fn is_service_name(s: &str) -> bool {
    charset(
        s,
        |c| c.is_ascii_lowercase() || c.is_ascii_digit(),
        |c| c == '-' || c == '_',
    )
}

fn charset(s: &str, first: impl Fn(char) -> bool, rest_extra: impl Fn(char) -> bool) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if first(c)) && chars.all(|c| first(c) || rest_extra(c))
}

/// Whether `s` takes exactly one terminal cell.
pub fn is_one_cell(s: &str) -> bool {
    use unicode_width::UnicodeWidthStr;
    s.chars().count() == 1 && s.width() == 1
}

/// A piece of a value with `${KEY}` references: literal text or a reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    Var(&'a str),
}

/// Split a value into text and `${KEY}` references. `$$` is a literal `$`, as in compose;
/// a `$` before anything else is literal too. An unterminated `${` is an error.
pub fn pieces(value: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(at) = rest.find('$') {
        if at > 0 {
            out.push(Piece::Text(&rest[..at]));
        }
        let after = &rest[at + 1..];
        if let Some(r) = after.strip_prefix('$') {
            out.push(Piece::Text("$"));
            rest = r;
        } else if let Some(r) = after.strip_prefix('{') {
            let Some(end) = r.find('}') else {
                return Err("`${` without a closing `}`".into());
            };
            out.push(Piece::Var(&r[..end]));
            rest = &r[end + 1..];
        } else {
            out.push(Piece::Text("$"));
            rest = after;
        }
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    Ok(out)
}

/// Check every rule; the first broken one is returned.
pub fn validate(app: &AppSpec, stem: &str) -> Result<(), RuleError> {
    let root = KeyPath::default();
    let fail = |p: KeyPath, why: String| Err((p, why));
    if !is_app_id(&app.id) {
        return fail(
            root.key("id"),
            format!(
                "`{}` is not a valid id (a-z, 0-9 and -, not starting with -)",
                app.id
            ),
        );
    }
    if app.id != stem {
        return fail(
            root.key("id"),
            format!("`{}` does not match the file name `{stem}.toml`", app.id),
        );
    }
    for (key, value) in [
        ("name", &app.name),
        ("category", &app.category),
        ("description", &app.description),
        ("version", &app.version),
    ] {
        if value.trim().is_empty() {
            return fail(root.key(key), "must not be empty".into());
        }
    }
    // Everything shown on a screen must be free of escape sequences and controls.
    let shown = [
        ("name", &app.name),
        ("category", &app.category),
        ("description", &app.description),
        ("version", &app.version),
        ("docs", &app.docs),
        ("icon", &app.icon),
    ];
    for (key, value) in shown {
        if !crate::text::is_clean(value) {
            return fail(root.key(key), "contains control characters".into());
        }
    }
    for (i, tag) in app.tags.iter().enumerate() {
        if tag.trim().is_empty() || tag.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return fail(
                root.key("tags").index(i),
                format!("`{tag}` is not one word"),
            );
        }
    }
    if !app.docs.starts_with("https://") || app.docs.len() <= "https://".len() {
        return fail(
            root.key("docs"),
            format!("`{}` is not an https link", app.docs),
        );
    }
    if !is_one_cell(&app.icon) {
        return fail(
            root.key("icon"),
            format!("`{}` is not one terminal cell wide", app.icon),
        );
    }
    let r = &app.resources;
    for (key, zero) in [
        ("cores", r.cores == 0),
        ("memory_mb", r.memory_mb == 0),
        ("disk_gb", r.disk_gb == 0),
    ] {
        if zero {
            return fail(root.key("resources").key(key), "must be above zero".into());
        }
    }
    check_env(app)?;
    check_services(app)?;
    check_ports(app)
}

fn check_env(app: &AppSpec) -> Result<(), RuleError> {
    let mut seen = BTreeSet::new();
    for (i, var) in app.env.iter().enumerate() {
        let p = KeyPath::default().key("env").index(i);
        if !is_env_key(&var.key) {
            return Err((
                p.key("key"),
                format!(
                    "`{}` is not a valid key (A-Z, 0-9 and _, not starting with a digit)",
                    var.key
                ),
            ));
        }
        if !seen.insert(var.key.as_str()) {
            return Err((p.key("key"), format!("`{}` is declared twice", var.key)));
        }
        let texts = [
            var.description.as_str(),
            var.default.as_deref().unwrap_or(""),
        ];
        if !texts.iter().all(|t| crate::text::is_clean(t)) {
            return Err((p.key("description"), "contains control characters".into()));
        }
        if var.description.trim().is_empty() {
            return Err((p.key("description"), "must not be empty".into()));
        }
        if var.secret_length == Some(0) {
            return Err((p.key("secret_length"), "must be above zero".into()));
        }
    }
    Ok(())
}

fn check_services(app: &AppSpec) -> Result<(), RuleError> {
    let root = KeyPath::default();
    if app.services.is_empty() {
        return Err((
            root.key("services"),
            "at least one service is needed".into(),
        ));
    }
    let declared: BTreeSet<&str> = app.env.iter().map(|v| v.key.as_str()).collect();
    let names: BTreeSet<&str> = app.services.iter().map(|s| s.name.as_str()).collect();
    // Names first: a later rule (depends_on) refers to them.
    let mut seen = BTreeSet::new();
    for (i, svc) in app.services.iter().enumerate() {
        let p = root.key("services").index(i);
        if !is_service_name(&svc.name) {
            return Err((
                p.key("name"),
                format!(
                    "`{}` is not a valid service name (a-z, 0-9, _ and -)",
                    svc.name
                ),
            ));
        }
        if !seen.insert(svc.name.as_str()) {
            return Err((
                p.key("name"),
                format!("service `{}` is declared twice", svc.name),
            ));
        }
    }
    for (i, svc) in app.services.iter().enumerate() {
        let p = root.key("services").index(i);
        if svc.image.trim().is_empty() || svc.image.chars().any(char::is_whitespace) {
            return Err((
                p.key("image"),
                format!("`{}` is not an image reference", svc.image),
            ));
        }
        for (j, port) in svc.ports.iter().enumerate() {
            let pp = p.key("ports").index(j);
            if port.host == 0 {
                return Err((pp.key("host"), "port 0 is not a port".into()));
            }
            if port.container == 0 {
                return Err((pp.key("container"), "port 0 is not a port".into()));
            }
        }
        for (j, vol) in svc.volumes.iter().enumerate() {
            let vp = p.key("volumes").index(j);
            if !is_service_name(&vol.name) {
                return Err((
                    vp.key("name"),
                    format!(
                        "`{}` is not a valid volume name (a-z, 0-9, _ and -)",
                        vol.name
                    ),
                ));
            }
            if !vol.target.starts_with('/') {
                return Err((
                    vp.key("target"),
                    format!("`{}` is not an absolute path", vol.target),
                ));
            }
        }
        for (key, value) in &svc.environment {
            let ep = p.key("environment").key(key);
            check_refs(value, &declared).map_err(|why| (ep, why))?;
        }
        for (j, arg) in svc.command.iter().flatten().enumerate() {
            check_refs(arg, &declared).map_err(|why| (p.key("command").index(j), why))?;
        }
        for (j, dep) in svc.depends_on.iter().enumerate() {
            let dp = p.key("depends_on").index(j);
            if dep == &svc.name {
                return Err((dp, format!("service `{dep}` depends on itself")));
            }
            if !names.contains(dep.as_str()) {
                return Err((dp, format!("no service named `{dep}`")));
            }
        }
    }
    Ok(())
}

fn check_refs(value: &str, declared: &BTreeSet<&str>) -> Result<(), String> {
    for piece in pieces(value)? {
        if let Piece::Var(name) = piece
            && !declared.contains(name)
        {
            return Err(format!(
                "`${{{name}}}` names no variable declared in [[env]]"
            ));
        }
    }
    Ok(())
}

/// The health check and the URL must reach a port some service publishes over TCP, and no
/// host port may be published twice.
fn check_ports(app: &AppSpec) -> Result<(), RuleError> {
    let root = KeyPath::default();
    let mut published = BTreeSet::new();
    for (i, svc) in app.services.iter().enumerate() {
        for (j, port) in svc.ports.iter().enumerate() {
            if !published.insert((port.host, port.protocol)) {
                return Err((
                    root.key("services")
                        .index(i)
                        .key("ports")
                        .index(j)
                        .key("host"),
                    format!("host port {} is published twice", port.host),
                ));
            }
        }
    }
    let tcp = |port: u16| published.contains(&(port, Protocol::Tcp));
    if let Some(web) = &app.web {
        if web.port == 0 {
            return Err((root.key("web").key("port"), "port 0 is not a port".into()));
        }
        if !tcp(web.port) {
            return Err((
                root.key("web").key("port"),
                format!("port {} is not published by any service", web.port),
            ));
        }
        if !web.path.starts_with('/') {
            return Err((
                root.key("web").key("path"),
                format!("`{}` does not start with /", web.path),
            ));
        }
        if web.scheme != "http" && web.scheme != "https" {
            return Err((
                root.key("web").key("scheme"),
                format!("`{}` is neither http nor https", web.scheme),
            ));
        }
    }
    let port = app.health.port();
    if port == 0 {
        return Err((
            root.key("health").key("port"),
            "port 0 is not a port".into(),
        ));
    }
    if !tcp(port) {
        return Err((
            root.key("health").key("port"),
            format!("port {port} is not published by any service"),
        ));
    }
    if let HealthCheck::Http { path, .. } = &app.health
        && !path.starts_with('/')
    {
        return Err((
            root.key("health").key("path"),
            format!("`{path}` does not start with /"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charsets() {
        assert!(is_app_id("uptime-kuma") && is_app_id("n8n"));
        assert!(!is_app_id("-a") && !is_app_id("A") && !is_app_id("a_b") && !is_app_id(""));
        assert!(is_env_key("DB_PASSWORD") && is_env_key("_X1"));
        assert!(!is_env_key("1X") && !is_env_key("db") && !is_env_key(""));
        assert!(is_service_name("immich_ml") && !is_service_name("Db"));
    }

    #[test]
    fn one_cell_icons() {
        assert!(is_one_cell("◆") && is_one_cell("♪") && is_one_cell("A"));
        assert!(!is_one_cell("🎬") && !is_one_cell("ab") && !is_one_cell("") && !is_one_cell("漢"));
    }

    #[test]
    fn pieces_split_references() {
        assert_eq!(
            pieces("a${X}b$$c$").unwrap(),
            vec![
                Piece::Text("a"),
                Piece::Var("X"),
                Piece::Text("b"),
                Piece::Text("$"),
                Piece::Text("c"),
                Piece::Text("$"),
            ]
        );
        assert!(pieces("${X").is_err());
    }
}
