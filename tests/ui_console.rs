//! Console sessions in `App`: keys go to the guest except the escape chord, the chord's
//! follow-up keys (rack, tabs, split, close), output fed into the session's screen, replies,
//! resize, reconnect-once and refusals; plus snapshots of the pane (full and split).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};
use proximity::pve::ConsoleTarget;
use proximity::ui::console::SessionState;
use proximity::ui::{App, AppEvent, Effect, render, sample};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

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

/// Ctrl-] as crossterm reports it on Unix (Ctrl-5: the same byte, 0x1d).
fn chord(app: &mut App) -> Vec<Effect> {
    key(app, KeyCode::Char('5'), KeyModifiers::CONTROL)
}

/// Select `vmid` and open its console; returns the session id after the console opens.
fn open_ct(app: &mut App, vmid: u32) -> u64 {
    app.jump_to("lab", vmid);
    let fx = ch(app, 'c');
    let Some(Effect::OpenConsole {
        session, target, ..
    }) = fx.first()
    else {
        panic!("no OpenConsole: {fx:?}");
    };
    assert_eq!(
        *target,
        ConsoleTarget::Lxc {
            node: "pve1".into(),
            vmid
        }
    );
    let id = *session;
    app.handle(AppEvent::ConsoleOpened { session: id });
    id
}

fn input(fx: &[Effect]) -> Vec<u8> {
    fx.iter()
        .flat_map(|e| match e {
            Effect::ConsoleInput { bytes, .. } => bytes.clone(),
            _ => Vec::new(),
        })
        .collect()
}

#[test]
fn console_opens_at_the_pane_size_and_takes_every_key() {
    let mut app = app((160, 45));
    app.jump_to("lab", 100);
    let fx = ch(&mut app, 'c');
    assert_eq!(
        fx,
        vec![Effect::OpenConsole {
            session: 1,
            host: "lab".into(),
            target: ConsoleTarget::Lxc {
                node: "pve1".into(),
                vmid: 100
            },
            // 160x45 minus the header and status lines and the pane border.
            cols: 158,
            rows: 41,
        }]
    );
    assert!(app.console_open());
    // Keys typed before the console is up are not sent into the void.
    assert!(ch(&mut app, 'x').is_empty());
    app.handle(AppEvent::ConsoleOpened { session: 1 });
    assert_eq!(input(&ch(&mut app, 'q')), b"q");
    assert_eq!(input(&ch(&mut app, ':')), b":");
    assert_eq!(input(&ch(&mut app, 'c')), b"c");
    assert_eq!(
        input(&key(&mut app, KeyCode::Char('c'), KeyModifiers::CONTROL)),
        [3]
    );
    assert_eq!(
        input(&key(&mut app, KeyCode::Esc, KeyModifiers::NONE)),
        [0x1b]
    );
    assert_eq!(
        input(&key(&mut app, KeyCode::Up, KeyModifiers::NONE)),
        b"\x1b[A"
    );
    assert_eq!(
        input(&key(&mut app, KeyCode::Enter, KeyModifiers::NONE)),
        b"\r"
    );
    assert!(app.console_open(), "no key but the chord leaves");
}

#[test]
fn application_cursor_mode_changes_the_arrows() {
    let mut app = app((80, 24));
    let id = open_ct(&mut app, 100);
    app.handle(AppEvent::ConsoleOutput {
        session: id,
        bytes: b"\x1b[?1h".to_vec(),
    });
    assert_eq!(
        input(&key(&mut app, KeyCode::Up, KeyModifiers::NONE)),
        b"\x1bOA"
    );
}

#[test]
fn chord_then_d_returns_to_the_rack_and_g_c_comes_back() {
    let mut app = app((160, 45));
    open_ct(&mut app, 100);
    assert!(chord(&mut app).is_empty());
    assert!(app.console_sessions().escape_pending);
    assert!(ch(&mut app, 'd').is_empty());
    assert!(!app.console_open());
    // The rack has its keys back: `j` moves the selection.
    let before = app.selected().map(|(_, _, g)| g.vmid);
    ch(&mut app, 'j');
    assert_ne!(app.selected().map(|(_, _, g)| g.vmid), before);
    ch(&mut app, 'g');
    ch(&mut app, 'c');
    assert!(app.console_open());
    // A literal `ctrl-]` also works (terminals with the kitty protocol report it so).
    key(&mut app, KeyCode::Char(']'), KeyModifiers::CONTROL);
    key(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    assert!(!app.console_open());
}

#[test]
fn chord_twice_sends_the_chord_and_unknown_follow_ups_are_dropped() {
    let mut app = app((80, 24));
    open_ct(&mut app, 100);
    chord(&mut app);
    assert_eq!(input(&chord(&mut app)), [0x1d]);
    chord(&mut app);
    // `k` is "up" globally, but after the chord only console keys count.
    assert!(ch(&mut app, 'k').is_empty());
    assert!(app.console_open());
    assert!(!app.console_sessions().escape_pending);
    assert_eq!(input(&ch(&mut app, 'k')), b"k");
}

#[test]
fn tabs_switch_close_and_reuse() {
    let mut app = app((160, 45));
    let a = open_ct(&mut app, 100);
    chord(&mut app);
    ch(&mut app, 'd');
    let b = open_ct(&mut app, 106);
    assert_ne!(a, b);
    assert_eq!(app.console_sessions().list.len(), 2);
    assert_eq!(app.console_sessions().active, 1);
    chord(&mut app);
    ch(&mut app, '1');
    assert_eq!(app.console_sessions().active, 0);
    assert_eq!(
        input(&ch(&mut app, 'z')),
        b"z",
        "the chord's digit is not typed"
    );
    chord(&mut app);
    ch(&mut app, 'n');
    assert_eq!(app.console_sessions().active, 1);
    chord(&mut app);
    ch(&mut app, 'p');
    assert_eq!(app.console_sessions().active, 0);
    // Input goes to the active tab only.
    match ch(&mut app, 'y').as_slice() {
        [Effect::ConsoleInput { session, .. }] => assert_eq!(*session, a),
        other => panic!("{other:?}"),
    }
    // `c` on a guest that already has a tab brings that tab back.
    chord(&mut app);
    ch(&mut app, 'd');
    app.jump_to("lab", 106);
    assert!(ch(&mut app, 'c').is_empty());
    assert_eq!(app.console_sessions().active, 1);
    chord(&mut app);
    assert_eq!(ch(&mut app, 'x'), vec![Effect::CloseConsole { session: b }]);
    assert_eq!(app.console_sessions().list.len(), 1);
    assert!(app.console_open());
    chord(&mut app);
    assert_eq!(ch(&mut app, 'x'), vec![Effect::CloseConsole { session: a }]);
    assert!(!app.console_open());
}

#[test]
fn node_shell_and_vm_refusal() {
    let mut app = app((160, 45));
    app.jump_to("lab", 103);
    assert!(ch(&mut app, 'c').is_empty(), "a VM has no text console");
    assert!(app.toasts.iter().any(|t| t.text.contains("VM 103")));
    match ch(&mut app, 'C').as_slice() {
        [Effect::OpenConsole { target, .. }] => {
            assert_eq!(
                *target,
                ConsoleTarget::Node {
                    node: "pve1".into()
                }
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn output_is_fed_to_the_screen_and_queries_are_answered() {
    let mut app = app((80, 24));
    let id = open_ct(&mut app, 100);
    let fx = app.handle(AppEvent::ConsoleOutput {
        session: id,
        bytes: b"\x1b]0;root@web: ~\x07hello\x1b[6n".to_vec(),
    });
    let s = app.console_sessions().active().expect("session");
    assert_eq!(s.screen.title(), "root@web: ~");
    assert!(s.screen.text_lines().iter().any(|l| l.ends_with("hello")));
    // DSR: the cursor position report goes back to the guest.
    let reply = input(&fx);
    assert!(
        reply.starts_with(b"\x1b[") && reply.ends_with(b"R"),
        "{reply:?}"
    );
    // Output for an unknown session is ignored.
    assert!(
        app.handle(AppEvent::ConsoleOutput {
            session: 99,
            bytes: b"x".to_vec()
        })
        .is_empty()
    );
}

#[test]
fn resize_and_split_follow_the_pane() {
    let mut app = app((160, 45));
    let id = open_ct(&mut app, 100);
    let fx = app.handle(AppEvent::Resize(100, 30));
    assert_eq!(
        fx,
        vec![Effect::ConsoleResize {
            session: id,
            cols: 98,
            rows: 26
        }]
    );
    assert_eq!(
        app.console_sessions().active().map(|s| s.screen.size()),
        Some((98, 26))
    );
    chord(&mut app);
    let fx = ch(&mut app, 's');
    // Split: the rack keeps two fifths (40 of 100), the pane the rest minus its border.
    assert_eq!(
        fx,
        vec![Effect::ConsoleResize {
            session: id,
            cols: 58,
            rows: 26
        }]
    );
    // Same size again: nothing to send.
    assert!(app.handle(AppEvent::Resize(100, 30)).is_empty());
}

#[test]
fn a_dropped_connection_reconnects_once() {
    let mut app = app((80, 24));
    let id = open_ct(&mut app, 100);
    let fx = app.handle(AppEvent::ConsoleClosed {
        session: id,
        reason: "console connection lost: reset".into(),
        dropped: true,
    });
    assert!(matches!(fx.as_slice(), [Effect::OpenConsole { session, .. }] if *session == id));
    let s = app.console_sessions().active().expect("session");
    assert_eq!(s.state, SessionState::Connecting);
    assert!(s.screen.text_lines().join("\n").contains("reconnecting"));
    app.handle(AppEvent::ConsoleOpened { session: id });
    let fx = app.handle(AppEvent::ConsoleClosed {
        session: id,
        reason: "console connection lost: reset again".into(),
        dropped: true,
    });
    assert!(fx.is_empty(), "only one automatic reconnect");
    let s = app.console_sessions().active().expect("session");
    assert!(matches!(&s.state, SessionState::Closed(r) if r.contains("reset again")));
    assert!(
        ch(&mut app, 'a').is_empty(),
        "a closed session takes no input"
    );
    chord(&mut app);
    assert!(matches!(
        ch(&mut app, 'r').as_slice(),
        [Effect::OpenConsole { .. }]
    ));
}

#[test]
fn a_refused_console_says_why() {
    let mut app = app((80, 24));
    app.jump_to("lab", 105);
    let fx = ch(&mut app, 'c');
    let Some(Effect::OpenConsole { session, .. }) = fx.first() else {
        panic!("{fx:?}");
    };
    let fx = app.handle(AppEvent::ConsoleClosed {
        session: *session,
        reason: "CT 105 not running".into(),
        dropped: false,
    });
    assert!(fx.is_empty(), "a refusal is not retried");
    let s = app.console_sessions().active().expect("session");
    assert!(
        s.screen
            .text_lines()
            .iter()
            .any(|l| l.contains("console closed: CT 105 not running"))
    );
    assert!(
        app.toasts
            .iter()
            .any(|t| t.error && t.text.contains("CT 105 not running"))
    );
}

#[test]
fn scrollback_by_keys_and_wheel_unless_the_guest_wants_the_mouse() {
    let mut app = app((80, 24));
    let id = open_ct(&mut app, 100);
    let many: String = (0..100).map(|i| format!("line {i}\r\n")).collect();
    app.handle(AppEvent::ConsoleOutput {
        session: id,
        bytes: many.into_bytes(),
    });
    let offset = |app: &App| {
        app.console_sessions()
            .active()
            .map_or(0, |s| s.screen.scroll_offset())
    };
    assert!(key(&mut app, KeyCode::PageUp, KeyModifiers::SHIFT).is_empty());
    assert!(offset(&app) > 0);
    let wheel = |kind| {
        AppEvent::Mouse(MouseEvent {
            kind,
            column: 10,
            row: 10,
            modifiers: KeyModifiers::NONE,
        })
    };
    let before = offset(&app);
    assert!(app.handle(wheel(MouseEventKind::ScrollUp)).is_empty());
    assert_eq!(offset(&app), before + 3);
    // Typing returns to the live screen.
    ch(&mut app, 'a');
    assert_eq!(offset(&app), 0);
    // With SGR mouse reporting on, the wheel goes to the guest at pane coordinates.
    app.handle(AppEvent::ConsoleOutput {
        session: id,
        bytes: b"\x1b[?1000h\x1b[?1006h".to_vec(),
    });
    let fx = app.handle(wheel(MouseEventKind::ScrollUp));
    // Column 10, row 10 on screen is 9, 8 inside the pane: SGR reports are 1-based.
    assert_eq!(input(&fx), b"\x1b[<64;10;9M");
    assert_eq!(offset(&app), 0);
}

#[test]
fn paste_is_bracketed_when_the_guest_asks() {
    let mut app = app((80, 24));
    let id = open_ct(&mut app, 100);
    let fx = app.handle(AppEvent::Paste("ls\nrm".into()));
    assert_eq!(input(&fx), b"ls\rrm");
    app.handle(AppEvent::ConsoleOutput {
        session: id,
        bytes: b"\x1b[?2004h".to_vec(),
    });
    let fx = app.handle(AppEvent::Paste("x\x1b[201~y".into()));
    assert_eq!(input(&fx), b"\x1b[200~xy\x1b[201~");
}

#[test]
fn a_bell_flashes_until_its_deadline() {
    let mut app = app((80, 24));
    let id = open_ct(&mut app, 100);
    app.handle(AppEvent::ConsoleOutput {
        session: id,
        bytes: b"\x07".to_vec(),
    });
    let until = app.console_sessions().active().and_then(|s| s.bell_until);
    assert!(until.is_some());
    assert_eq!(app.next_deadline(), until.min(app.next_deadline()));
    app.handle(AppEvent::Tick(t0() + Duration::from_secs(1)));
    assert_eq!(
        app.console_sessions().active().and_then(|s| s.bell_until),
        None
    );
}

// ---- snapshots ----

fn screen_text(app: &App, size: (u16, u16)) -> String {
    let mut term = Terminal::new(TestBackend::new(size.0, size.1)).expect("test backend");
    term.draw(|f| render(app, f)).expect("draw");
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let line: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Two tabs; the active one shows a login, a colored `ls`, a title, and DEC graphics.
fn console_app(size: (u16, u16), split: bool) -> App {
    let mut app = app(size);
    let a = open_ct(&mut app, 100);
    chord(&mut app);
    ch(&mut app, 'd');
    app.jump_to("lab", 106);
    ch(&mut app, 'C');
    chord(&mut app);
    ch(&mut app, '1');
    if split {
        chord(&mut app);
        ch(&mut app, 's');
    }
    let out = concat!(
        "\x1b]0;root@web: ~\x07",
        "Linux web 6.8.12-4-pve x86_64\r\n\r\n",
        "root@web:~# ls\r\n",
        "\x1b[1;34mbin\x1b[0m  \x1b[1;34metc\x1b[0m  notes.txt  \x1b[1;32mrun.sh\x1b[0m\r\n",
        "root@web:~# \x1b(0lqqk\r\n",
        "x  x\r\n",
        "mqqj\x1b(B\r\n",
        "root@web:~# ",
    );
    app.handle(AppEvent::ConsoleOutput {
        session: a,
        bytes: out.as_bytes().to_vec(),
    });
    app
}

#[test]
fn snapshot_console_full_and_split() {
    for size in [(80, 24), (160, 45)] {
        for split in [false, true] {
            let app = console_app(size, split);
            let name = format!(
                "console_{}_{}x{}",
                if split { "split" } else { "full" },
                size.0,
                size.1
            );
            insta::assert_snapshot!(name, screen_text(&app, size));
        }
    }
}

#[test]
fn a_split_console_stays_beside_the_rack() {
    let mut app = app((160, 45));
    open_ct(&mut app, 100);
    let full = app.geometry().area.width;
    chord(&mut app);
    ch(&mut app, 's');
    chord(&mut app);
    ch(&mut app, 'd');
    assert!(!app.console_open());
    assert!(app.console_beside());
    assert!(app.geometry().area.width < full, "the rack makes room");
    // Rack keys work; a click on the pane gives the console the keyboard again.
    ch(&mut app, 'j');
    let click = MouseEvent {
        kind: MouseEventKind::Down(crossterm::event::MouseButton::Left),
        column: 150,
        row: 20,
        modifiers: KeyModifiers::NONE,
    };
    app.handle(AppEvent::Mouse(click));
    assert!(app.console_open());
    chord(&mut app);
    ch(&mut app, 'x');
    assert!(!app.console_beside());
    assert_eq!(app.geometry().area.width, full);
}

#[test]
fn snapshot_console_beside_the_rack() {
    for size in [(80, 24), (160, 45)] {
        let mut app = console_app(size, true);
        chord(&mut app);
        ch(&mut app, 'd');
        let name = format!("console_beside_{}x{}", size.0, size.1);
        insta::assert_snapshot!(name, screen_text(&app, size));
    }
}

#[test]
fn the_escape_chord_comes_from_the_keymap() {
    use proximity::ui::keymap::Keymap;
    let (km, err) =
        Keymap::with_user_file("user.toml", "[console]\nconsole_escape = [\"ctrl-g\"]\n");
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
    open_ct(&mut app, 100);
    // Ctrl-] is now an ordinary key for the guest; Ctrl-G escapes.
    assert_eq!(input(&chord(&mut app)), [0x1d]);
    assert!(key(&mut app, KeyCode::Char('g'), KeyModifiers::CONTROL).is_empty());
    ch(&mut app, 'd');
    assert!(!app.console_open());
    // Console keys are single keys: a chord there is refused with its line.
    let (_, err) =
        Keymap::with_user_file("user.toml", "[console]\nconsole_escape = [\"ctrl-a a\"]\n");
    let err = err.expect("a chord is refused").to_string();
    assert!(
        err.contains("user.toml:2") && err.contains("single keys"),
        "{err}"
    );
}

/// A guest asking for its background (as vim does, to pick colors for a dark or light
/// one) is told the theme's console background: the dark theme's `#14161b` here.
#[test]
fn a_background_query_is_answered_with_the_themes_color() {
    let mut app = app((80, 24));
    let id = open_ct(&mut app, 100);
    let fx = app.handle(AppEvent::ConsoleOutput {
        session: id,
        bytes: b"\x1b]11;?\x07".to_vec(),
    });
    assert_eq!(input(&fx), b"\x1b]11;rgb:1414/1616/1b1b\x1b\\");
}

/// The full-screen console skips the background pass under its pane: every cell there must
/// still come out as if the pass had run (the console widget paints them all).
#[test]
fn the_console_frame_is_the_same_without_the_background_pass_under_the_pane() {
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    for (w, h) in [(80, 24), (160, 45), (20, 6), (3, 3)] {
        let mut app = app((w, h));
        let id = open_ct(&mut app, 100);
        app.handle(AppEvent::ConsoleOutput {
            session: id,
            bytes: b"\x1b[1;31mred\x1b[0m plain \x1b[44mblue bg\x1b[0m\r\n$ ".to_vec(),
        });
        let area = Rect::new(0, 0, w, h);
        // Full screen, then split beside the rack (Ctrl-] s).
        for split in [false, true] {
            if split {
                chord(&mut app);
                ch(&mut app, 's');
                assert!(app.console_sessions().split);
            }
            let mut skipped = Buffer::empty(area);
            proximity::ui::render::draw(&app, area, &mut skipped);
            let mut filled = Buffer::empty(area);
            filled.set_style(
                area,
                app.theme.style(proximity::ui::theme::ThemeKey::Background),
            );
            proximity::ui::render::draw(&app, area, &mut filled);
            assert_eq!(skipped, filled, "{w}x{h} split {split}");
        }
    }
}
