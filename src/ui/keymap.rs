//! The keymap as data: `assets/keymap.toml` (embedded) plus a user file that names only the
//! actions it changes. Bindings are per context (global, rack, hosts, ...), may be chords
//! (`g g`), and drive both key dispatch and the generated help and status-bar hints.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use toml::Spanned;

use super::action::Action;

pub const DEFAULT_KEYMAP: &str = include_str!("../../assets/keymap.toml");

/// Where a binding is active. Screen contexts are looked up before `Global`; a context
/// with a `parent` (the wizard's, over `[popup]`) is looked up before its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    Global,
    Rack,
    Hosts,
    Onboarding,
    Settings,
    /// A console has the keyboard: only its escape chord is looked up here, then one
    /// key of this context (never `Global`).
    Console,
    /// A console in copy mode: its keys move the copy cursor and select (single keys, never
    /// `Global`, never the guest).
    Copy,
    /// The tasks view (jobs and Proxmox tasks).
    Tasks,
    /// A log viewer, full screen or beside the rack.
    Log,
    /// The catalog screen (categories, apps, deploy plan).
    Catalog,
    /// The metrics screen and the top lists.
    Metrics,
    /// Popups: help, the palette, confirmations, the fingerprint prompt, the host form.
    /// Popups with a text field type plain characters before asking the keymap.
    Popup,
    /// The deploy wizard: its own keys (`toggle`), then those of `Popup`. A key has one
    /// action per context, and `Popup` gives Space to `page_down` (the help pages with it)
    /// where the wizard flips a switch with it.
    Wizard,
    /// The backups screen (every backup across hosts).
    Backups,
    /// A container's snapshot tree.
    Snapshots,
    /// The alerts screen (firing alerts and their history).
    Alerts,
    /// The apps screen (managed apps across hosts).
    Apps,
}

/// `global, rack, ... or snapshots`: every context, for the message of a bad section.
fn context_names() -> String {
    let names: Vec<&str> = Context::ALL.iter().map(|c| c.name()).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

impl Context {
    pub const ALL: [Context; 17] = [
        Context::Global,
        Context::Rack,
        Context::Hosts,
        Context::Onboarding,
        Context::Settings,
        Context::Console,
        Context::Copy,
        Context::Tasks,
        Context::Log,
        Context::Catalog,
        Context::Metrics,
        Context::Popup,
        Context::Wizard,
        Context::Backups,
        Context::Snapshots,
        Context::Alerts,
        Context::Apps,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Rack => "rack",
            Context::Hosts => "hosts",
            Context::Onboarding => "onboarding",
            Context::Settings => "settings",
            Context::Console => "console",
            Context::Copy => "copy",
            Context::Tasks => "tasks",
            Context::Log => "log",
            Context::Catalog => "catalog",
            Context::Metrics => "metrics",
            Context::Popup => "popup",
            Context::Wizard => "wizard",
            Context::Backups => "backups",
            Context::Snapshots => "snapshots",
            Context::Alerts => "alerts",
            Context::Apps => "apps",
        }
    }
    fn from_name(s: &str) -> Option<Context> {
        Context::ALL.into_iter().find(|c| c.name() == s)
    }

    /// The context whose bindings apply where this one binds nothing.
    pub fn parent(self) -> Option<Context> {
        match self {
            Context::Wizard => Some(Context::Popup),
            _ => None,
        }
    }

    /// This context, then its parents: where `lookup_in` looks (no `Global`).
    fn chain(self) -> impl Iterator<Item = Context> {
        std::iter::successors(Some(self), |c| c.parent())
    }

    /// This context, its parents, then `Global` (once): where `lookup` looks.
    fn chain_to_global(self) -> impl Iterator<Item = Context> {
        let global = (self != Context::Global).then_some(Context::Global);
        self.chain().chain(global)
    }
}

/// One key press, normalized (shift folded into the character).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyPress {
    pub code: KeyCodeKey,
    pub ctrl: bool,
    pub alt: bool,
}

/// The subset of key codes a binding can name (hashable, ordered).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeKey {
    Char(char),
    F(u8),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
}

impl KeyPress {
    /// From a terminal key event; `None` for keys no binding can name.
    pub fn from_event(ev: &KeyEvent) -> Option<KeyPress> {
        let code = match ev.code {
            KeyCode::Char(c) => KeyCodeKey::Char(c),
            KeyCode::F(n) => KeyCodeKey::F(n),
            KeyCode::Enter => KeyCodeKey::Enter,
            KeyCode::Esc => KeyCodeKey::Esc,
            KeyCode::Tab => KeyCodeKey::Tab,
            KeyCode::BackTab => KeyCodeKey::BackTab,
            KeyCode::Backspace => KeyCodeKey::Backspace,
            KeyCode::Delete => KeyCodeKey::Delete,
            KeyCode::Up => KeyCodeKey::Up,
            KeyCode::Down => KeyCodeKey::Down,
            KeyCode::Left => KeyCodeKey::Left,
            KeyCode::Right => KeyCodeKey::Right,
            KeyCode::PageUp => KeyCodeKey::PageUp,
            KeyCode::PageDown => KeyCodeKey::PageDown,
            KeyCode::Home => KeyCodeKey::Home,
            KeyCode::End => KeyCodeKey::End,
            _ => return None,
        };
        Some(KeyPress {
            code,
            ctrl: ev.modifiers.contains(KeyModifiers::CONTROL),
            alt: ev.modifiers.contains(KeyModifiers::ALT),
        })
    }

    /// Parse `q`, `G`, `ctrl-d`, `alt-x`, `pageup`, `f5`, `space`, `-`.
    pub fn parse(s: &str) -> Option<KeyPress> {
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = s;
        loop {
            if rest.chars().count() > 1 {
                if let Some(r) = rest.strip_prefix("ctrl-") {
                    ctrl = true;
                    rest = r;
                    continue;
                }
                if let Some(r) = rest.strip_prefix("alt-") {
                    alt = true;
                    rest = r;
                    continue;
                }
            }
            break;
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCodeKey::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
            _ => match rest {
                "enter" => KeyCodeKey::Enter,
                "esc" => KeyCodeKey::Esc,
                "tab" => KeyCodeKey::Tab,
                "backtab" => KeyCodeKey::BackTab,
                "backspace" => KeyCodeKey::Backspace,
                "delete" => KeyCodeKey::Delete,
                "space" => KeyCodeKey::Char(' '),
                "up" => KeyCodeKey::Up,
                "down" => KeyCodeKey::Down,
                "left" => KeyCodeKey::Left,
                "right" => KeyCodeKey::Right,
                "pageup" => KeyCodeKey::PageUp,
                "pagedown" => KeyCodeKey::PageDown,
                "home" => KeyCodeKey::Home,
                "end" => KeyCodeKey::End,
                f if f.starts_with('f') => {
                    KeyCodeKey::F(f[1..].parse().ok().filter(|n| (1..=12).contains(n))?)
                }
                _ => return None,
            },
        };
        Some(KeyPress { code, ctrl, alt })
    }

    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCodeKey::Char(' ') => "space".to_string(),
            KeyCodeKey::Char(c) => c.to_string(),
            KeyCodeKey::F(n) => format!("F{n}"),
            KeyCodeKey::Enter => "Enter".into(),
            KeyCodeKey::Esc => "Esc".into(),
            KeyCodeKey::Tab => "Tab".into(),
            KeyCodeKey::BackTab => "S-Tab".into(),
            KeyCodeKey::Backspace => "Bksp".into(),
            KeyCodeKey::Delete => "Del".into(),
            KeyCodeKey::Up => "↑".into(),
            KeyCodeKey::Down => "↓".into(),
            KeyCodeKey::Left => "←".into(),
            KeyCodeKey::Right => "→".into(),
            KeyCodeKey::PageUp => "PgUp".into(),
            KeyCodeKey::PageDown => "PgDn".into(),
            KeyCodeKey::Home => "Home".into(),
            KeyCodeKey::End => "End".into(),
        };
        match (self.ctrl, self.alt) {
            (true, _) => format!("C-{base}"),
            (_, true) => format!("M-{base}"),
            _ => base,
        }
    }
}

pub type Chord = Vec<KeyPress>;

pub fn chord_label(chord: &[KeyPress]) -> String {
    chord
        .iter()
        .map(KeyPress::label)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A bad keymap file: which file, line and key, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}: {key}: {message}")]
pub struct KeymapError {
    pub file: String,
    pub line: usize,
    pub key: String,
    pub message: String,
}

/// What a key sequence resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    Action(Action),
    /// A prefix of at least one chord: wait for the next key.
    Pending,
    None,
}

/// Resolved bindings: per context, action -> chords (in file order).
#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    bindings: BTreeMap<Context, Vec<(Action, Vec<Chord>)>>,
}

type RawFile = BTreeMap<Spanned<String>, BTreeMap<Spanned<String>, Spanned<Vec<Spanned<String>>>>>;

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .unwrap_or(text)
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

impl Keymap {
    /// The embedded defaults. A test proves they parse, so failure here is unreachable in
    /// a released build; an empty keymap is still usable (the palette lists every action).
    pub fn defaults() -> Keymap {
        let mut km = Keymap {
            bindings: BTreeMap::new(),
        };
        if let Err(e) = km.merge("assets/keymap.toml", DEFAULT_KEYMAP) {
            tracing::error!("default keymap: {e}");
        }
        km
    }

    /// Defaults overridden by a user file; on error the defaults stand and the error is
    /// returned for a toast.
    pub fn with_user_file(file: &str, text: &str) -> (Keymap, Option<KeymapError>) {
        let mut candidate = Keymap::defaults();
        match candidate.merge(file, text) {
            Ok(()) => (candidate, None),
            Err(e) => (Keymap::defaults(), Some(e)),
        }
    }

    /// Apply a file: each action it names gets exactly the keys given; a key taken from
    /// another action of the same context is removed from that action (the file wins).
    pub fn merge(&mut self, file: &str, text: &str) -> Result<(), KeymapError> {
        let err = |offset: usize, key: String, message: String| KeymapError {
            file: file.to_string(),
            line: line_of(text, offset),
            key,
            message,
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let start = e.span().map(|s| s.start).unwrap_or(0);
            err(start, "-".into(), e.message().trim().to_string())
        })?;
        // Keep file order (the map sorts by name) so help lists keys as the file does.
        let mut sections: Vec<_> = raw.iter().collect();
        sections.sort_by_key(|(k, _)| k.span().start);
        for (section, actions) in sections {
            let mut actions: Vec<_> = actions.iter().collect();
            actions.sort_by_key(|(k, _)| k.span().start);
            let ctx = Context::from_name(section.get_ref()).ok_or_else(|| {
                err(
                    section.span().start,
                    section.get_ref().clone(),
                    format!("unknown context (expected {})", context_names()),
                )
            })?;
            for (name, keys) in actions {
                let dotted = format!("{}.{}", section.get_ref(), name.get_ref());
                let action = Action::from_name(name.get_ref()).ok_or_else(|| {
                    err(name.span().start, dotted.clone(), "unknown action".into())
                })?;
                let mut chords = Vec::new();
                for k in keys.get_ref() {
                    let chord: Option<Chord> = k
                        .get_ref()
                        .split_whitespace()
                        .map(KeyPress::parse)
                        .collect();
                    match chord {
                        // The console looks up one key at a time (every other key is the
                        // guest's), and so does its copy mode: their bindings cannot be chords.
                        Some(c)
                            if matches!(ctx, Context::Console | Context::Copy) && c.len() > 1 =>
                        {
                            return Err(err(
                                k.span().start,
                                dotted.clone(),
                                format!(
                                    "`{}`: {} keys must be single keys",
                                    k.get_ref(),
                                    ctx.name()
                                ),
                            ));
                        }
                        Some(c) if !c.is_empty() => chords.push(c),
                        _ => {
                            return Err(err(
                                k.span().start,
                                dotted.clone(),
                                format!("bad key `{}`", k.get_ref()),
                            ));
                        }
                    }
                }
                let list = self.bindings.entry(ctx).or_default();
                for (_, existing) in list.iter_mut() {
                    existing.retain(|c| !chords.contains(c));
                }
                match list.iter_mut().find(|(a, _)| *a == action) {
                    Some((_, existing)) => *existing = chords,
                    None => list.push((action, chords)),
                }
            }
        }
        Ok(())
    }

    /// Resolve a key sequence in `ctx` (then its parent, then global).
    pub fn lookup(&self, ctx: Context, keys: &[KeyPress]) -> Lookup {
        let mut pending = false;
        for c in ctx.chain_to_global() {
            for (action, chords) in self.bindings.get(&c).into_iter().flatten() {
                for chord in chords {
                    if chord.as_slice() == keys {
                        return Lookup::Action(*action);
                    }
                    if chord.len() > keys.len() && chord.starts_with(keys) {
                        pending = true;
                    }
                }
            }
        }
        if pending {
            Lookup::Pending
        } else {
            Lookup::None
        }
    }

    /// A one-key sequence bound in `ctx` itself or its parent (no `Global` fallback): the
    /// console asks only its own bindings, so after the escape chord `q` never quits.
    pub fn lookup_in(&self, ctx: Context, keys: &[KeyPress]) -> Option<Action> {
        ctx.chain().find_map(|c| self.bound_in(c, keys))
    }

    /// The action `keys` are bound to in `ctx` alone.
    fn bound_in(&self, ctx: Context, keys: &[KeyPress]) -> Option<Action> {
        self.bindings
            .get(&ctx)?
            .iter()
            .find(|(_, chords)| chords.iter().any(|c| c.as_slice() == keys))
            .map(|(a, _)| *a)
    }

    /// The keys of an action in a context (then its parent, then global), for hints. A
    /// parent's or a global key that the context binds to another action is left out: it
    /// does that other action there (Space pages down in `[popup]`, not in the wizard,
    /// where it flips a switch; Tab is `next_pane` globally, `focus_next` in `[log]`).
    pub fn keys_for(&self, ctx: Context, action: Action) -> Vec<String> {
        let nearer: Vec<Context> = ctx.chain().collect();
        for (depth, c) in ctx.chain_to_global().enumerate() {
            let Some((_, chords)) = self
                .bindings
                .get(&c)
                .and_then(|l| l.iter().find(|(a, _)| *a == action))
            else {
                continue;
            };
            let shadowed = |chord: &Chord| {
                nearer
                    .iter()
                    .take(depth)
                    .any(|n| self.bound_in(*n, chord).is_some_and(|a| a != action))
            };
            let keys: Vec<String> = chords
                .iter()
                .filter(|c| !shadowed(c))
                .map(|c| chord_label(c))
                .collect();
            if !keys.is_empty() {
                return keys;
            }
        }
        Vec::new()
    }

    /// A footer of key hints (`y quit · n stay`): each action with the first key bound to
    /// it in `ctx`, so a user keymap changes what the footer says. Actions without a key
    /// are left out.
    pub fn hint_line(&self, ctx: Context, hints: &[(Action, &str)]) -> String {
        hints
            .iter()
            .filter_map(|(a, label)| {
                let key = self.keys_for(ctx, *a).into_iter().next()?;
                Some(format!("{key} {label}"))
            })
            .collect::<Vec<_>>()
            .join(" · ")
    }

    /// Help rows: (context, keys, description in that context), in file order.
    pub fn help_rows(&self) -> Vec<(Context, String, &'static str)> {
        let mut rows = Vec::new();
        for ctx in Context::ALL {
            for (action, chords) in self.bindings.get(&ctx).into_iter().flatten() {
                if chords.is_empty() {
                    continue;
                }
                let keys = chords
                    .iter()
                    .map(|c| chord_label(c))
                    .collect::<Vec<_>>()
                    .join(", ");
                rows.push((ctx, keys, description_in(ctx, *action)));
            }
        }
        rows
    }
}

/// An action's description where it is bound: the movement actions are named for the rack
/// (`previous rack`, `first slot`), which is wrong in the popups' lists and forms.
fn description_in(ctx: Context, action: Action) -> &'static str {
    match (ctx, action) {
        (Context::Popup | Context::Wizard, Action::Left) => "previous choice (a form's scope)",
        (Context::Popup | Context::Wizard, Action::Right) => "next choice (a form's scope)",
        (Context::Popup | Context::Wizard, Action::Top) => "first entry",
        (Context::Popup | Context::Wizard, Action::Bottom) => "last entry",
        _ => action.description(),
    }
}
