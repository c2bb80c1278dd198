//! Selection and copy in the console pane: a mouse drag selects and its release copies (the
//! `CopyToClipboard` effect), Shift+drag selects even when the guest takes the mouse, a
//! click clears; copy mode moves a cursor over the screen and its history, selects across a
//! soft wrap, copies or leaves, and keeps every key from the guest; a resize clears the
//! selection, new output does not move it. Plus snapshots of the highlight and copy mode.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use proximity::ui::console::Session;
use proximity::ui::{App, AppEvent, Effect, render, sample};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Modifier;

/// The pane's inner area at 80x24: the header line and the border above, the border left.
const INNER_X: u16 = 1;
const INNER_Y: u16 = 2;

fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn app(size: (u16, u16)) -> App {
    let mut app = App::with_defaults(t0());
    app.handle(AppEvent::Resize(size.0, size.1));
    app.handle(AppEvent::Inventory(
        "lab".into(),
        Ok(sample::resources(3, 40).into()),
        t0(),
    ));
    app
}

fn key(app: &mut App, code: KeyCode, mods: KeyModifiers) -> Vec<Effect> {
    app.handle(AppEvent::Key(KeyEvent::new(code, mods)))
}

fn ch(app: &mut App, c: char) -> Vec<Effect> {
    key(app, KeyCode::Char(c), KeyModifiers::NONE)
}

fn keys(app: &mut App, s: &str) -> Vec<Effect> {
    s.chars().flat_map(|c| ch(app, c)).collect()
}

/// Ctrl-] as crossterm reports it on Unix (Ctrl-5: the same byte, 0x1d).
fn chord(app: &mut App) -> Vec<Effect> {
    key(app, KeyCode::Char('5'), KeyModifiers::CONTROL)
}

/// A console on CT 100 with `out` written by the guest; returns its session id.
fn console(out: &str) -> (App, u64) {
    let mut app = app((80, 24));
    app.jump_to("lab", 100);
    let fx = ch(&mut app, 'c');
    let Some(Effect::OpenConsole { session, .. }) = fx.first() else {
        panic!("no OpenConsole: {fx:?}");
    };
    let id = *session;
    app.handle(AppEvent::ConsoleOpened { session: id });
    app.handle(AppEvent::ConsoleOutput {
        session: id,
        bytes: out.as_bytes().to_vec(),
    });
    (app, id)
}

fn active(app: &App) -> &Session {
    app.console_sessions().active().expect("a session")
}

/// A mouse event at pane cell (col, row).
fn mouse(app: &mut App, kind: MouseEventKind, col: u16, row: u16, shift: bool) -> Vec<Effect> {
    let modifiers = if shift {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    app.handle(AppEvent::Mouse(MouseEvent {
        kind,
        column: INNER_X + col,
        row: INNER_Y + row,
        modifiers,
    }))
}

/// Press at `from`, drag to `to`, release there: the effects of all three.
fn drag(app: &mut App, from: (u16, u16), to: (u16, u16), shift: bool) -> Vec<Effect> {
    let mut fx = mouse(
        app,
        MouseEventKind::Down(MouseButton::Left),
        from.0,
        from.1,
        shift,
    );
    fx.extend(mouse(
        app,
        MouseEventKind::Drag(MouseButton::Left),
        to.0,
        to.1,
        shift,
    ));
    fx.extend(mouse(
        app,
        MouseEventKind::Up(MouseButton::Left),
        to.0,
        to.1,
        shift,
    ));
    fx
}

fn input(fx: &[Effect]) -> Vec<u8> {
    fx.iter()
        .flat_map(|e| match e {
            Effect::ConsoleInput { bytes, .. } => bytes.clone(),
            _ => Vec::new(),
        })
        .collect()
}

fn last_toast(app: &App) -> String {
    app.toasts
        .last()
        .map(|t| t.text.clone())
        .unwrap_or_default()
}

fn selected_text(app: &mut App) -> String {
    let sessions = app.console_sessions_mut().expect("the console layer");
    let s = &mut sessions.list[sessions.active];
    s.select.selection.text(&mut s.screen)
}

#[test]
fn a_mouse_drag_selects_and_its_release_copies() {
    // Row 0 holds the "connecting" notice; the guest's lines follow.
    let (mut app, _) = console("hello world\r\nsecond line\r\n$ ");
    let fx = drag(&mut app, (6, 1), (5, 2), false);
    assert_eq!(fx, vec![Effect::CopyToClipboard("world\nsecond".into())]);
    assert_eq!(last_toast(&app), "copied 12 characters");
    assert!(
        active(&app).select.selection.is_active(),
        "the highlight stays"
    );
    // Dragging backwards selects the same cells in reading order.
    let fx = drag(&mut app, (5, 2), (6, 1), false);
    assert_eq!(fx, vec![Effect::CopyToClipboard("world\nsecond".into())]);
    // A click without a drag clears it and copies nothing.
    let fx = drag(&mut app, (3, 3), (3, 3), false);
    assert!(fx.is_empty(), "{fx:?}");
    assert!(!active(&app).select.selection.is_active());
    // A drag past the pane's edge is held to the last cell of the row.
    let fx = mouse(
        &mut app,
        MouseEventKind::Down(MouseButton::Left),
        0,
        2,
        false,
    );
    assert!(fx.is_empty());
    mouse(
        &mut app,
        MouseEventKind::Drag(MouseButton::Left),
        200,
        2,
        false,
    );
    let fx = mouse(
        &mut app,
        MouseEventKind::Up(MouseButton::Left),
        200,
        2,
        false,
    );
    assert_eq!(fx, vec![Effect::CopyToClipboard("second line".into())]);
}

#[test]
fn shift_drag_selects_even_when_the_guest_takes_the_mouse() {
    // Button-event tracking (1002) with SGR reports (1006).
    let (mut app, id) = console("hello world\r\n$ ");
    app.handle(AppEvent::ConsoleOutput {
        session: id,
        bytes: b"\x1b[?1002h\x1b[?1006h".to_vec(),
    });
    // A plain drag goes to the guest as reports, 1-based, and selects nothing.
    let fx = drag(&mut app, (6, 1), (10, 1), false);
    assert_eq!(
        input(&fx),
        b"\x1b[<0;7;2M\x1b[<32;11;2M\x1b[<0;11;2m".to_vec()
    );
    assert!(fx.iter().all(|e| matches!(e, Effect::ConsoleInput { .. })));
    assert!(!active(&app).select.selection.is_active());
    // With Shift the pane selects, and the guest hears nothing.
    let fx = drag(&mut app, (6, 1), (10, 1), true);
    assert_eq!(fx, vec![Effect::CopyToClipboard("world".into())]);
    // A drag begun with Shift stays a selection when Shift is let go before the release.
    let mut fx = mouse(
        &mut app,
        MouseEventKind::Down(MouseButton::Left),
        0,
        1,
        true,
    );
    fx.extend(mouse(
        &mut app,
        MouseEventKind::Drag(MouseButton::Left),
        4,
        1,
        false,
    ));
    fx.extend(mouse(
        &mut app,
        MouseEventKind::Up(MouseButton::Left),
        4,
        1,
        false,
    ));
    assert_eq!(fx, vec![Effect::CopyToClipboard("hello".into())]);
}

#[test]
fn the_wheel_scrolls_while_selecting_and_the_selection_keeps_its_text() {
    let many: String = (0..60).map(|i| format!("line {i}\r\n")).collect();
    let (mut app, id) = console(&many);
    // Rows 0..19 show `line 41`..`line 59`; select `line 51` from its end.
    mouse(
        &mut app,
        MouseEventKind::Down(MouseButton::Left),
        6,
        10,
        false,
    );
    mouse(
        &mut app,
        MouseEventKind::Drag(MouseButton::Left),
        0,
        10,
        false,
    );
    assert_eq!(selected_text(&mut app), "line 51");
    // The wheel scrolls the history mid-drag; the release at row 7 is now `line 45`.
    mouse(&mut app, MouseEventKind::ScrollUp, 0, 10, false);
    assert_eq!(active(&app).screen.scroll_offset(), 3);
    let fx = mouse(&mut app, MouseEventKind::Up(MouseButton::Left), 0, 7, false);
    let text = (45..=51)
        .map(|i| format!("line {i}"))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(fx, vec![Effect::CopyToClipboard(text.clone())]);
    // New output scrolls the text up; the selection goes with it.
    app.handle(AppEvent::ConsoleOutput {
        session: id,
        bytes: b"more\r\nand more\r\n".to_vec(),
    });
    assert_eq!(selected_text(&mut app), text);
    // A full-screen program (the alternate screen) clears it, and so does a new size:
    // their cells no longer hold what was selected.
    app.handle(AppEvent::ConsoleOutput {
        session: id,
        bytes: b"\x1b[?1049h".to_vec(),
    });
    assert!(!active(&app).select.selection.is_active());
    drag(&mut app, (0, 0), (3, 0), false);
    assert!(active(&app).select.selection.is_active());
    app.handle(AppEvent::Resize(100, 30));
    assert!(!active(&app).select.selection.is_active());
}

/// 40 numbered lines, a line soft-wrapped at the 78-column screen, and a prompt: 44 rows
/// with the notice, so the 20-row screen starts at row 24 and 24 rows are history.
fn long_console() -> (App, u64) {
    let mut out: String = (0..40).map(|i| format!("line {i}\r\n")).collect();
    out.push_str(&"A".repeat(78));
    out.push_str("BBB\r\n$ ");
    console(&out)
}

fn copy_cursor(app: &App) -> (u64, u16) {
    let c = active(app).select.copy.expect("in copy mode").cursor;
    (c.line, c.col)
}

#[test]
fn copy_mode_selects_across_a_soft_wrap_and_into_the_history() {
    let (mut app, _) = long_console();
    chord(&mut app);
    assert!(ch(&mut app, '[').is_empty());
    // The cursor starts on the terminal's: after the prompt on the last line.
    assert_eq!(copy_cursor(&app), (43, 2));
    // Up onto the wrapped line's second row, select from there, and up into the history.
    ch(&mut app, 'k');
    assert_eq!(copy_cursor(&app), (42, 2));
    ch(&mut app, 'v');
    for _ in 0..21 {
        key(&mut app, KeyCode::Up, KeyModifiers::NONE);
    }
    assert_eq!(copy_cursor(&app), (21, 2));
    // The view followed the cursor above the screen's top (row 24) by three lines.
    assert_eq!(active(&app).screen.scroll_offset(), 3);
    ch(&mut app, '0');
    let mut want: String = (20..40).map(|i| format!("line {i}\n")).collect();
    want.push_str(&"A".repeat(78));
    want.push_str("BBB");
    assert_eq!(selected_text(&mut app), want);
    let fx = ch(&mut app, 'y');
    assert_eq!(fx, vec![Effect::CopyToClipboard(want.clone())]);
    assert_eq!(
        last_toast(&app),
        format!("copied {} characters", want.chars().count())
    );
    // Copying leaves copy mode, drops the highlight and returns to the live screen.
    assert!(active(&app).select.copy.is_none());
    assert!(!active(&app).select.selection.is_active());
    assert_eq!(active(&app).screen.scroll_offset(), 0);
}

#[test]
fn copy_mode_pages_and_lines_move_the_cursor() {
    let (mut app, _) = long_console();
    chord(&mut app);
    ch(&mut app, 'v');
    // PgUp keeps one line of context: 19 lines, and the view moves with the cursor.
    key(&mut app, KeyCode::PageUp, KeyModifiers::NONE);
    assert_eq!(copy_cursor(&app), (24, 2));
    assert_eq!(active(&app).screen.scroll_offset(), 19);
    ch(&mut app, 'g');
    assert_eq!(copy_cursor(&app), (0, 0));
    assert_eq!(active(&app).screen.scroll_offset(), 24);
    // Above the oldest line and left of column 0 the cursor stays put.
    keys(&mut app, "kh");
    assert_eq!(copy_cursor(&app), (0, 0));
    key(&mut app, KeyCode::PageDown, KeyModifiers::NONE);
    assert_eq!(copy_cursor(&app), (19, 0));
    ch(&mut app, '$');
    assert_eq!(copy_cursor(&app), (19, 6), "end of `line 18`");
    ch(&mut app, 'G');
    assert_eq!(copy_cursor(&app), (43, 0));
    assert_eq!(active(&app).screen.scroll_offset(), 0);
    // Right stops at the last column; `$` on the wrapped row finds its last character.
    for _ in 0..100 {
        ch(&mut app, 'l');
    }
    assert_eq!(copy_cursor(&app), (43, 77));
    keys(&mut app, "kk$");
    assert_eq!(copy_cursor(&app), (41, 77));
}

#[test]
fn esc_and_q_leave_copy_mode_without_copying() {
    let (mut app, _) = long_console();
    for leave in [KeyCode::Esc, KeyCode::Char('q')] {
        chord(&mut app);
        ch(&mut app, 'v');
        keys(&mut app, "vkkv");
        assert!(active(&app).select.selection.is_active());
        let fx = key(&mut app, leave, KeyModifiers::NONE);
        assert!(fx.is_empty(), "{fx:?}");
        assert!(active(&app).select.copy.is_none());
        assert!(!active(&app).select.selection.is_active());
    }
    // `y` with nothing selected leaves too, copying nothing.
    chord(&mut app);
    ch(&mut app, '[');
    assert!(ch(&mut app, 'y').is_empty());
    assert!(active(&app).select.copy.is_none());
    assert_eq!(last_toast(&app), "nothing selected, nothing copied");
}

#[test]
fn no_key_reaches_the_guest_in_copy_mode() {
    let (mut app, _) = long_console();
    chord(&mut app);
    ch(&mut app, '[');
    let mut fx = keys(&mut app, "aizx:jklh0$ v/");
    for (code, mods) in [
        (KeyCode::Char('c'), KeyModifiers::CONTROL),
        (KeyCode::Char('d'), KeyModifiers::CONTROL),
        (KeyCode::Tab, KeyModifiers::NONE),
        (KeyCode::Backspace, KeyModifiers::NONE),
        (KeyCode::F(1), KeyModifiers::NONE),
        (KeyCode::Delete, KeyModifiers::NONE),
    ] {
        fx.extend(key(&mut app, code, mods));
    }
    // The chord twice would send the chord's own byte; not from copy mode.
    fx.extend(chord(&mut app));
    fx.extend(chord(&mut app));
    fx.extend(app.handle(AppEvent::Paste("rm -rf /\n".into())));
    assert_eq!(input(&fx), b"", "{fx:?}");
    assert!(active(&app).select.copy.is_some(), "still in copy mode");
    // After leaving, keys go to the guest again.
    ch(&mut app, 'q');
    assert_eq!(input(&ch(&mut app, 'a')), b"a");
}

#[test]
fn a_resize_clears_the_selection_and_keeps_the_copy_cursor_on_screen() {
    let (mut app, _) = long_console();
    chord(&mut app);
    ch(&mut app, '[');
    keys(&mut app, "v$");
    assert!(active(&app).select.selection.is_active());
    app.handle(AppEvent::Resize(40, 12));
    let s = active(&app);
    assert!(!s.select.selection.is_active());
    let (cols, _) = s.screen.size();
    assert!(copy_cursor(&app).1 < cols);
    // Still in copy mode, with no selection following the cursor any more.
    ch(&mut app, 'k');
    assert!(!active(&app).select.selection.is_active());
}

#[test]
fn copy_keys_are_single_keys_from_the_keymap() {
    use proximity::ui::keymap::Keymap;
    let (_, err) = Keymap::with_user_file("user.toml", "[copy]\ncopy_yank = [\"g y\"]\n");
    let err = err.expect("a chord is refused").to_string();
    assert!(
        err.contains("user.toml:2") && err.contains("copy keys must be single keys"),
        "{err}"
    );
    // A user file rebinds copy mode like any other context.
    let (km, err) = Keymap::with_user_file("user.toml", "[copy]\ncopy_yank = [\"c\"]\n");
    assert_eq!(err, None);
    let mut app = App::new(
        km,
        proximity::ui::theme::ThemeSet::builtin(),
        "dark",
        proximity::ui::theme::ColorDepth::TrueColor,
        t0(),
    );
    app.handle(AppEvent::Resize(80, 24));
    app.handle(AppEvent::Inventory(
        "lab".into(),
        Ok(sample::resources(3, 40).into()),
        t0(),
    ));
    app.jump_to("lab", 100);
    ch(&mut app, 'c');
    app.handle(AppEvent::ConsoleOpened { session: 1 });
    app.handle(AppEvent::ConsoleOutput {
        session: 1,
        bytes: b"hello\r\n".to_vec(),
    });
    chord(&mut app);
    ch(&mut app, '[');
    keys(&mut app, "kv$");
    assert!(ch(&mut app, 'y').is_empty(), "y is no longer bound");
    assert_eq!(
        ch(&mut app, 'c'),
        vec![Effect::CopyToClipboard("hello".into())]
    );
}

// ---- snapshots ----

/// The screen's text, then the pane's inner area with highlighted cells as `█` and the
/// terminal cursor as `C` (when `show_cursor`), so the snapshot shows what is selected.
fn screen_with_highlight(app: &App, show_cursor: bool) -> String {
    let mut term = Terminal::new(TestBackend::new(80, 24)).expect("test backend");
    term.draw(|f| render(app, f)).expect("draw");
    let cursor = term.get_cursor_position().expect("cursor");
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let line: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push_str("---- highlighted cells ----\n");
    for y in INNER_Y..INNER_Y + 20 {
        let line: String = (INNER_X..INNER_X + 78)
            .map(|x| {
                if show_cursor && (x, y) == (cursor.x, cursor.y) {
                    'C'
                } else if buf[(x, y)].modifier.contains(Modifier::REVERSED) {
                    '█'
                } else {
                    '·'
                }
            })
            .collect();
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The login, a colored `ls` and a prompt, as in the console snapshots.
fn login_console() -> (App, u64) {
    console(concat!(
        "\x1b]0;root@web: ~\x07",
        "Linux web 6.8.12-4-pve x86_64\r\n\r\n",
        "root@web:~# ls\r\n",
        "\x1b[1;34mbin\x1b[0m  \x1b[1;34metc\x1b[0m  notes.txt  \x1b[1;32mrun.sh\x1b[0m\r\n",
        "root@web:~# cat notes.txt\r\n",
        "backups run at 02:00; keep 7\r\n",
        "root@web:~# ",
    ))
}

#[test]
fn snapshot_console_mouse_selection_80x24() {
    let (mut app, _) = login_console();
    // From `etc` on the ls line to `02:00` two rows down.
    drag(&mut app, (5, 4), (19, 6), false);
    insta::assert_snapshot!(
        "console_selection_80x24",
        screen_with_highlight(&app, false)
    );
}

#[test]
fn snapshot_console_copy_mode_80x24() {
    let (mut app, _) = login_console();
    chord(&mut app);
    ch(&mut app, '[');
    keys(&mut app, "kv0kk");
    insta::assert_snapshot!("console_copy_mode_80x24", screen_with_highlight(&app, true));
}

#[test]
fn a_selection_over_the_clipboard_limit_is_refused_with_a_reason() {
    use proximity::ui::console_copy::MAX_COPY_BYTES;
    // 1,000 full 70-character lines of history: about 71 kB, over the 64 KiB limit.
    let line = "x".repeat(70);
    let out: String = (0..1000).map(|_| format!("{line}\r\n")).collect();
    let (mut app, _) = console(&out);
    chord(&mut app);
    ch(&mut app, '[');
    keys(&mut app, "gv");
    key(&mut app, KeyCode::Char('G'), KeyModifiers::SHIFT);
    keys(&mut app, "$");
    let text = selected_text(&mut app);
    assert!(text.len() > MAX_COPY_BYTES, "{} bytes", text.len());
    let fx = ch(&mut app, 'y');
    assert!(fx.is_empty(), "{fx:?}");
    assert!(
        last_toast(&app).contains("over the 65536-byte clipboard limit"),
        "{}",
        last_toast(&app)
    );
}
