//! The host form (add / edit a Proxmox endpoint) on ratatui-textarea, with validation
//! inline: every field says what is wrong as it is typed, and submit is refused until all
//! fields pass. The validators are pure functions, shared with tests.

use ratatui_textarea::{Input, Key, TextArea};

use super::action::{HostDraft, HostEntry, SecretString};

pub const FIELD_LABELS: [&str; 5] = ["Name", "URL", "Token ID", "Secret", "Fingerprint"];
const SECRET: usize = 3;

/// Short host name used in keys and on screen.
pub fn validate_name(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("required".into());
    }
    if s.len() > 32 {
        return Err("at most 32 characters".into());
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
    {
        return Err("letters, digits, - _ . only".into());
    }
    Ok(())
}

/// `https://host[:port]`; Proxmox listens on 8006 by default, which the client adds when
/// no port is given.
pub fn validate_url(s: &str) -> Result<(), String> {
    let url =
        url::Url::parse(s).map_err(|_| "not a URL (e.g. https://pve.lan:8006)".to_string())?;
    if url.scheme() != "https" {
        return Err("must start with https://".into());
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("missing host".into());
    }
    Ok(())
}

/// API token id as Proxmox writes it: `user@realm!tokenid`.
pub fn validate_token_id(s: &str) -> Result<(), String> {
    let (user_realm, id) = s.split_once('!').ok_or("expected user@realm!tokenid")?;
    let (user, realm) = user_realm
        .split_once('@')
        .ok_or("expected user@realm!tokenid")?;
    let ok = |p: &str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    if user.is_empty() || !ok(realm) || !ok(id) {
        return Err("expected user@realm!tokenid".into());
    }
    Ok(())
}

/// Optional SHA-256 fingerprint, colon hex as Proxmox shows it (32 pairs).
pub fn validate_fingerprint(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Ok(());
    }
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() != 32
        || !parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err("SHA-256 as 32 colon-separated hex pairs (AB:CD:...)".into());
    }
    Ok(())
}

/// The add/edit host form.
#[derive(Debug, Clone)]
pub struct HostForm {
    /// `Some(name)` when editing that host.
    pub editing: Option<String>,
    pub fields: Vec<TextArea<'static>>,
    pub focus: usize,
    /// Set by a `HostTestResult` event.
    pub test_result: Option<Result<String, String>>,
}

impl HostForm {
    pub fn new(existing: Option<&HostEntry>) -> HostForm {
        let values = match existing {
            Some(e) => [
                e.name.clone(),
                e.url.clone(),
                e.token_id.clone(),
                String::new(),
                e.fingerprint.clone().unwrap_or_default(),
            ],
            None => Default::default(),
        };
        let placeholders = [
            "lab",
            "https://pve.lan:8006",
            "root@pam!proximity",
            if existing.is_some() {
                "(unchanged)"
            } else {
                "token secret"
            },
            "optional, AB:CD:...",
        ];
        let fields = values
            .into_iter()
            .zip(placeholders)
            .enumerate()
            .map(|(i, (v, p))| {
                let mut t = TextArea::new(vec![v]);
                t.set_placeholder_text(p);
                t.set_cursor_line_style(ratatui::style::Style::default());
                t.move_cursor(ratatui_textarea::CursorMove::End);
                if i == SECRET {
                    t.set_mask_char('•');
                }
                t
            })
            .collect();
        HostForm {
            editing: existing.map(|e| e.name.clone()),
            fields,
            focus: 0,
            test_result: None,
        }
    }

    pub fn value(&self, i: usize) -> String {
        self.fields
            .get(i)
            .and_then(|f| f.lines().first())
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    }

    /// Per-field validation message, `None` when the field is fine.
    pub fn errors(&self) -> [Option<String>; 5] {
        let secret = if self.value(SECRET).is_empty() && self.editing.is_none() {
            Err("required".to_string())
        } else {
            Ok(())
        };
        [
            validate_name(&self.value(0)).err(),
            validate_url(&self.value(1)).err(),
            validate_token_id(&self.value(2)).err(),
            secret.err(),
            validate_fingerprint(&self.value(4)).err(),
        ]
    }

    pub fn is_valid(&self) -> bool {
        self.errors().iter().all(Option::is_none)
    }

    /// The draft if every field passes.
    pub fn draft(&self) -> Option<HostDraft> {
        if !self.is_valid() {
            return None;
        }
        let fp = self.value(4);
        Some(HostDraft {
            name: self.value(0),
            url: self.value(1),
            token_id: self.value(2),
            secret: SecretString(self.value(SECRET)),
            fingerprint: if fp.is_empty() {
                None
            } else {
                Some(fp.to_uppercase())
            },
        })
    }

    /// Text editing keys for the focused field; one line per field (Enter never inserts).
    pub fn input(&mut self, input: Input) {
        if matches!(input.key, Key::Enter) || (input.key == Key::Char('m') && input.ctrl) {
            return;
        }
        if let Some(f) = self.fields.get_mut(self.focus) {
            f.input(input);
        }
        self.test_result = None;
    }

    pub fn paste(&mut self, text: &str) {
        // Only the first line: a pasted token with a trailing newline must not break the field.
        let line = text.lines().next().unwrap_or("");
        if let Some(f) = self.fields.get_mut(self.focus) {
            f.insert_str(super::sanitize(line));
        }
    }

    pub fn next(&mut self) {
        self.focus = (self.focus + 1) % self.fields.len();
    }

    pub fn prev(&mut self) {
        self.focus = (self.focus + self.fields.len() - 1) % self.fields.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validators() {
        assert!(validate_name("lab-1").is_ok());
        assert!(validate_name("").is_err());
        assert!(validate_name("a b").is_err());
        assert!(validate_url("https://pve.lan:8006").is_ok());
        assert_eq!(
            validate_url("http://pve").unwrap_err(),
            "must start with https://"
        );
        assert!(validate_token_id("root@pam!px").is_ok());
        assert!(validate_token_id("root@pam").is_err());
        assert!(validate_token_id("@pam!x").is_err());
        let fp = vec!["AB"; 32].join(":");
        assert!(validate_fingerprint(&fp).is_ok());
        assert!(validate_fingerprint("AB:CD").is_err());
        assert!(validate_fingerprint("").is_ok());
    }
}
