//! The host form (add / edit a Proxmox endpoint) on ratatui-textarea, with validation
//! inline: every field says what is wrong as it is typed, and submit is refused until all
//! fields pass. The rules are the store's (`store::host`), so the form never accepts what
//! saving would refuse, or the reverse.

use ratatui_textarea::{Input, Key, TextArea};

use crate::store::{
    ValidationError, normalize_fingerprint, validate_name, validate_token_id, validate_url,
};

use super::action::{HostDraft, HostEntry, SecretString};

pub const FIELD_LABELS: [&str; 5] = ["Name", "URL", "Token ID", "Secret", "Fingerprint"];
const SECRET: usize = 3;

/// The store's message for inline display: the field is named by the label beside it and
/// its value is right above, so the `(got "...")` echo is dropped (it would push the useful
/// part off a 55-column line).
fn inline(e: ValidationError) -> String {
    let p = e.problem;
    if p.ends_with(')') {
        if let Some(i) = p.rfind(" (got ") {
            return p[..i].to_string();
        }
        // `(found ' ' in "new lab")` keeps the culprit, drops the echo.
        if let Some(i) = p.rfind(" in \"").filter(|_| p.ends_with("\")")) {
            return format!("{})", &p[..i]);
        }
    }
    p
}

/// The fingerprint field is optional; when given it must be a SHA-256 in any of the forms
/// `normalize_fingerprint` accepts.
fn check_fingerprint(s: &str) -> Result<(), ValidationError> {
    if s.is_empty() {
        return Ok(());
    }
    normalize_fingerprint(s).map(drop)
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
            validate_name(&self.value(0)).err().map(inline),
            validate_url(&self.value(1)).err().map(inline),
            validate_token_id(&self.value(2)).err().map(inline),
            secret.err(),
            check_fingerprint(&self.value(4)).err().map(inline),
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
            // Validated above: `ok()` only drops the empty case.
            fingerprint: if fp.is_empty() {
                None
            } else {
                normalize_fingerprint(&fp).ok()
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
            f.insert_str(crate::text::clean_string(line));
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

    fn form(values: [&str; 5]) -> HostForm {
        let mut f = HostForm::new(None);
        for (i, v) in values.iter().enumerate() {
            f.fields[i] = TextArea::new(vec![v.to_string()]);
        }
        f
    }

    #[test]
    fn uses_the_store_rules_with_short_messages() {
        let fp = vec!["ab"; 32].join(":");
        let ok = form(["lab-1", "https://pve.lan:8006", "root@pam!px", "s", &fp]);
        assert_eq!(ok.errors(), [None, None, None, None, None]);
        // The draft carries the store's normal form of the fingerprint.
        let draft = ok.draft().expect("valid");
        assert_eq!(draft.fingerprint, Some(vec!["AB"; 32].join(":")));

        let bad = form(["new lab", "ftp://pve", "root@pam", "", "AB:CD"]);
        let e = bad.errors();
        assert_eq!(
            e[0].as_deref(),
            Some("may contain only letters, digits, '.', '_' and '-' (found ' ')")
        );
        assert_eq!(e[1].as_deref(), Some("must use http or https"));
        assert_eq!(
            e[2].as_deref(),
            Some("must look like user@realm!tokenid, e.g. root@pam!proximity")
        );
        assert_eq!(e[3].as_deref(), Some("required"));
        assert_eq!(
            e[4].as_deref(),
            Some("must be 32 bytes (SHA-256) of hex as Proxmox shows it")
        );
        assert!(bad.draft().is_none());
        assert_eq!(
            form(["", "", "", "", ""]).errors()[0].as_deref(),
            Some("must not be empty")
        );
    }
}
