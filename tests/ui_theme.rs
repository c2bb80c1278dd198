//! Theme files: every file in `themes/` loads and resolves every key; dark sets every key;
//! every key is drawn somewhere or documented as reserved; user themes inherit; bad files
//! fail with the exact file, line and key.

use proximity::inventory::GuestStatus;
use proximity::ui::theme::{BUILTIN, ColorDepth, ThemeError, ThemeKey, ThemeSet, ThemeSource};
use ratatui::style::{Color, Modifier};

#[test]
fn every_theme_file_loads_and_resolves() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("themes");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("themes dir")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    assert!(files.len() >= 6, "at least six built-in themes");
    let set = ThemeSet::builtin();
    for f in &files {
        let stem = f.file_stem().and_then(|s| s.to_str()).expect("stem");
        let text = std::fs::read_to_string(f).expect("read");
        let src = ThemeSource::parse(&f.display().to_string(), stem, &text)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(src.name, stem, "theme name matches its file name");
        assert!(
            BUILTIN.iter().any(|(n, _)| *n == stem),
            "{stem} is embedded"
        );
        for depth in [
            ColorDepth::TrueColor,
            ColorDepth::Ansi256,
            ColorDepth::Ansi16,
            ColorDepth::None,
        ] {
            set.resolve(stem, depth).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

#[test]
fn dark_sets_every_semantic_key() {
    let text = BUILTIN.iter().find(|(n, _)| *n == "dark").expect("dark").1;
    for key in ThemeKey::ALL {
        assert!(
            text.contains(&format!("\"{}\" =", key.name())),
            "dark.toml lacks {}",
            key.name()
        );
    }
}

/// No silent fallback: every built-in theme, at every depth, resolves every key from a
/// theme file (resolve fails on a key nothing in the chain sets), and the key names
/// round-trip.
#[test]
fn every_builtin_theme_resolves_every_key() {
    let set = ThemeSet::builtin();
    assert_eq!(set.names().len(), BUILTIN.len(), "every built-in parses");
    for (name, _) in BUILTIN {
        for depth in [ColorDepth::TrueColor, ColorDepth::None] {
            set.resolve(name, depth).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    for (i, key) in ThemeKey::ALL.iter().enumerate() {
        assert_eq!(key.index(), i);
        assert_eq!(ThemeKey::from_name(key.name()), Some(*key));
        assert!(!key.description().is_empty());
    }
    // A chain that does not end in a full theme is refused, naming the first gap.
    let mut partial = ThemeSet::builtin();
    partial.add(
        ThemeSource::parse(
            "themes/dark.toml",
            "dark",
            "name = \"dark\"\n[styles]\ntext = \"red\"\n",
        )
        .expect("parses"),
    );
    assert_eq!(
        partial
            .resolve("nord", ColorDepth::TrueColor)
            .expect_err("dark no longer sets every key")
            .to_string(),
        "theme nord:1: styles.text.dim: not set by this theme or any theme it inherits"
    );
}

/// Every key is drawn by some widget (named as `ThemeKey::Variant` in `src/`) or its
/// description says it is reserved.
#[test]
fn every_key_is_used_or_documented_as_reserved() {
    fn sources(dir: &std::path::Path, out: &mut String) {
        for entry in std::fs::read_dir(dir).expect("src dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|x| x == "rs") && !path.ends_with("theme/key.rs")
            {
                out.push_str(&std::fs::read_to_string(&path).expect("read"));
            }
        }
    }
    let mut code = String::new();
    sources(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut code,
    );
    let used = |variant: &str| {
        code.match_indices(&format!("ThemeKey::{variant}"))
            .any(|(i, m)| {
                !code[i + m.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
            })
    };
    for key in ThemeKey::ALL {
        let variant = format!("{key:?}");
        assert!(
            used(&variant) || key.description().starts_with("reserved:"),
            "theme key `{}` ({variant}) is neither drawn nor documented as reserved",
            key.name()
        );
    }
}

#[test]
fn leds_differ_and_depths_downgrade() {
    let set = ThemeSet::builtin();
    let t = set.resolve("dark", ColorDepth::TrueColor).expect("dark");
    assert_ne!(t.led(GuestStatus::Running).fg, t.led(GuestStatus::Error).fg);
    assert!(matches!(
        t.led(GuestStatus::Running).fg,
        Some(Color::Rgb(..))
    ));
    let t256 = set.resolve("dark", ColorDepth::Ansi256).expect("dark");
    assert!(matches!(
        t256.led(GuestStatus::Running).fg,
        Some(Color::Indexed(_))
    ));
    let t16 = set.resolve("dark", ColorDepth::Ansi16).expect("dark");
    assert!(!matches!(
        t16.led(GuestStatus::Running).fg,
        Some(Color::Rgb(..) | Color::Indexed(_))
    ));
    let none = set.resolve("dark", ColorDepth::None).expect("dark");
    assert_eq!(
        none.led(GuestStatus::Running).fg,
        None,
        "NO_COLOR: no colors at all"
    );
    assert!(
        none.style(ThemeKey::Selection)
            .add_modifier
            .contains(Modifier::REVERSED),
        "selection still visible"
    );
}

#[test]
fn user_theme_inherits_and_overrides() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("mine.toml"),
        "inherits = \"nord\"\n[styles]\n\"led.running\" = \"#010203\"\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("bad.toml"),
        "[styles]\n\"led.running\" = \"grean\"\n",
    )
    .expect("write");
    let (set, errors) = ThemeSet::with_user_dir(dir.path());
    assert_eq!(errors.len(), 1);
    assert!(errors[0].to_string().ends_with("bad.toml:2: styles.led.running: unknown color `grean` (not in the palette, not #rrggbb, not an ANSI name)"), "{}", errors[0]);
    let t = set.resolve("mine", ColorDepth::TrueColor).expect("mine");
    assert_eq!(t.led(GuestStatus::Running).fg, Some(Color::Rgb(1, 2, 3)));
    let nord = set.resolve("nord", ColorDepth::TrueColor).expect("nord");
    assert_eq!(
        t.style(ThemeKey::BarEmpty),
        nord.style(ThemeKey::BarEmpty),
        "the rest comes from the parent"
    );
}

fn parse_err(text: &str) -> ThemeError {
    ThemeSource::parse("user.toml", "user", text).expect_err("must fail")
}

#[test]
fn bad_theme_files_name_file_line_and_key() {
    assert_eq!(
        parse_err("name = \"x\"\n[styles]\n\"led.runing\" = \"red\"\n").to_string(),
        "user.toml:3: styles.led.runing: unknown style key (did you mean `led.running`?)"
    );
    assert_eq!(
        parse_err("[styles]\n\"text\" = \"red\"\n\n\"rack.border\" = \"red\"\n").to_string(),
        "user.toml:4: styles.rack.border: unknown style key"
    );
    assert_eq!(
        parse_err("[palette]\nbg = \"#12345\"\n").to_string(),
        "user.toml:2: palette.bg: not a color: `#12345`"
    );
    assert_eq!(
        parse_err("[styles]\n\"text\" = { fg = \"red\", blink = true }\n").to_string(),
        "user.toml:2: styles.text: unknown field `blink` (expected fg, bg, bold, dim, italic, underline, reversed)"
    );
    let e = parse_err("name = \"x\"\n[styles\n");
    assert_eq!(
        (e.file.as_str(), e.line, e.key.as_str()),
        ("user.toml", 2, "styles")
    );
    assert_eq!(
        parse_err("name = \"x\"\ninherits = 3\n").to_string(),
        "user.toml:2: inherits: invalid type: integer `3`, expected a string"
    );
    let set = ThemeSet::builtin();
    assert_eq!(
        set.resolve("nope", ColorDepth::TrueColor)
            .expect_err("missing")
            .to_string(),
        "theme:1: inherits: no theme named `nope`"
    );
}

#[test]
fn no_color_renders_without_any_color() {
    use proximity::ui::keymap::Keymap;
    use proximity::ui::{App, AppEvent, render, sample};
    let now = std::time::SystemTime::UNIX_EPOCH;
    let mut app = App::new(
        Keymap::defaults(),
        ThemeSet::builtin(),
        "amber",
        ColorDepth::None,
        now,
    );
    app.handle(AppEvent::Resize(100, 30));
    app.handle(AppEvent::Inventory(
        "lab".into(),
        Ok(sample::resources(2, 30).into()),
        now,
    ));
    app.handle(AppEvent::Toast {
        text: "hello".into(),
        error: true,
    });
    let mut term =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 30)).expect("backend");
    term.draw(|f| render(&app, f)).expect("draw");
    let buf = term.backend().buffer();
    let mut reversed = 0;
    for cell in buf.content() {
        assert_eq!(
            (cell.fg, cell.bg),
            (Color::Reset, Color::Reset),
            "a color leaked at {:?}",
            cell.symbol()
        );
        if cell.modifier.contains(Modifier::REVERSED) {
            reversed += 1;
        }
    }
    assert!(reversed > 10, "the selection is still visible (reversed)");
}
