//! Screens as components, at the layer level: the console is a layer on the stack that
//! takes every key raw but its escape chord, and a new screen needs only its own type (one
//! file) and one registration (a push) to get keys, data events and the body to draw in.

use std::any::Any;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use proximity::pve::ConsoleTarget;
use proximity::ui::console_layer::ConsoleLayer;
use proximity::ui::keymap::Context;
use proximity::ui::layer::{Layer, LayerCtx, Reply, Request, Slot};
use proximity::ui::task_board::LogSource;
use proximity::ui::{Action, App, AppEvent, Effect, render, sample};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn app() -> App {
    let mut app = App::with_defaults(t0());
    app.handle(AppEvent::Resize(100, 30));
    app.handle(AppEvent::Inventory(
        "lab".into(),
        Ok(sample::resources(2, 10).into()),
        t0(),
    ));
    app
}

fn press(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, mods)
}

/// Every key the rack or a screen would take for itself, and keys that mean nothing.
fn keys_of_every_kind() -> Vec<KeyEvent> {
    let none = KeyModifiers::NONE;
    let ctrl = KeyModifiers::CONTROL;
    let mut keys: Vec<KeyEvent> = "qgcCjkhl/?:dxsnv[ 1~"
        .chars()
        .map(|c| press(KeyCode::Char(c), none))
        .collect();
    keys.extend([
        press(KeyCode::Char('c'), ctrl),
        press(KeyCode::Char('p'), ctrl),
        press(KeyCode::Char('d'), ctrl),
        press(KeyCode::Esc, none),
        press(KeyCode::Enter, none),
        press(KeyCode::Tab, none),
        press(KeyCode::Up, none),
        press(KeyCode::PageDown, none),
        press(KeyCode::F(1), none),
        press(KeyCode::Backspace, none),
    ]);
    keys
}

#[test]
fn the_console_layer_takes_every_key_but_its_escape_chord() {
    let app = app();
    let ctx = app.layer_ctx(Slot::Console);
    let mut console = ConsoleLayer::default();
    assert!(
        console.wants_text(),
        "keys arrive raw, not through the keymap"
    );
    let target = ConsoleTarget::Lxc {
        node: "pve1".into(),
        vmid: 100,
    };
    let fx = console.open("lab".into(), target, "CT 100".into(), ctx.area);
    let Some(Effect::OpenConsole { session, .. }) = fx.first() else {
        panic!("no OpenConsole: {fx:?}");
    };
    let id = *session;
    assert!(!matches!(
        console.on_event(&AppEvent::ConsoleOpened { session: id }, &ctx),
        Reply::Ignored
    ));
    for k in keys_of_every_kind() {
        match console.on_text(k, &ctx) {
            Reply::Then(r) => assert!(
                matches!(
                    r.as_slice(),
                    [Request::Effect(Effect::ConsoleInput { session, .. })] if *session == id
                ),
                "{k:?} went elsewhere: {r:?}"
            ),
            other => panic!("{k:?} was not sent to the guest: {other:?}"),
        }
    }
    // The chord (Ctrl-] as crossterm reports it) is kept, and the next key is a command.
    let chord = press(KeyCode::Char('5'), KeyModifiers::CONTROL);
    assert!(matches!(console.on_text(chord, &ctx), Reply::Consumed));
    assert!(console.sessions.escape_pending);
    let detach = console.on_text(press(KeyCode::Char('d'), KeyModifiers::NONE), &ctx);
    assert!(
        matches!(&detach, Reply::Then(r) if matches!(r.as_slice(), [Request::Detach])),
        "{detach:?}"
    );
}

#[test]
fn the_console_is_on_the_stack_and_routes_before_screens_and_panes() {
    let mut app = app();
    app.jump_to("lab", 100);
    app.handle(AppEvent::Key(press(KeyCode::Char('c'), KeyModifiers::NONE)));
    assert!(app.console_open());
    assert_eq!(app.layers.keyboard(), Slot::Console);
    assert_eq!(app.layers.key_route(), vec![Slot::Console]);
    assert!(app.console().is_some());
    assert!(
        app.layers
            .get(Slot::Console)
            .is_some_and(|l| l.wants_text())
    );
    // A popup still goes first (the help, the quit prompt).
    app.update(Action::Help);
    assert_eq!(app.layers.key_route(), vec![Slot::Popup]);
}

/// A screen nobody in `App` knows about: its type is all there is.
#[derive(Default)]
struct Counter {
    downs: u32,
    events: u32,
}

impl Layer for Counter {
    fn title(&self) -> String {
        "counter".into()
    }
    fn context(&self) -> Context {
        Context::Rack
    }
    fn on_action(&mut self, action: Action, _ctx: &LayerCtx) -> Reply {
        match action {
            Action::Down => {
                self.downs += 1;
                Reply::Consumed
            }
            Action::Back => Reply::Then(vec![Request::Close]),
            _ => Reply::Ignored,
        }
    }
    fn on_event(&mut self, ev: &AppEvent, _ctx: &LayerCtx) -> Reply {
        match ev {
            AppEvent::LogLines { .. } => {
                self.events += 1;
                Reply::Consumed
            }
            _ => Reply::Ignored,
        }
    }
    fn hints(&self) -> Vec<(Action, &'static str)> {
        vec![(Action::Down, "count")]
    }
    fn render(&self, area: Rect, buf: &mut Buffer, _ctx: &LayerCtx) {
        let text = format!("downs {} events {}", self.downs, self.events);
        buf.set_string(area.x, area.y, text, ratatui::style::Style::default());
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[test]
fn a_new_screen_needs_one_type_and_one_registration() {
    let mut app = app();
    let before = app.selected().map(|(_, _, g)| g.vmid);
    // The one registration.
    app.layers.push(Box::new(Counter::default()));
    // Its keys come from its keymap context; the rack under it does not move.
    app.handle(AppEvent::Key(press(KeyCode::Char('j'), KeyModifiers::NONE)));
    app.handle(AppEvent::Key(press(KeyCode::Down, KeyModifiers::NONE)));
    assert_eq!(app.selected().map(|(_, _, g)| g.vmid), before);
    // Data events reach it through the stack.
    app.handle(AppEvent::LogLines {
        source: LogSource::Job { id: 7 },
        from_line: 0,
        lines: Vec::new(),
        done: true,
    });
    let counter = app.layers.screens().last().expect("the screen");
    let counter = counter
        .as_any()
        .downcast_ref::<Counter>()
        .expect("a Counter");
    assert_eq!((counter.downs, counter.events), (2, 1));
    // It draws in the body, with its hints in the status bar.
    let mut term = Terminal::new(TestBackend::new(100, 30)).expect("terminal");
    term.draw(|f| render(&app, f)).expect("draw");
    let buf = term.backend().buffer().clone();
    let row = |y: u16| (0..100).map(|x| buf[(x, y)].symbol()).collect::<String>();
    assert!(row(1).starts_with("downs 2 events 1"), "{:?}", row(1));
    assert!(row(29).contains("count"), "{:?}", row(29));
    // Esc closes it: the rack has the keys again.
    app.handle(AppEvent::Key(press(KeyCode::Esc, KeyModifiers::NONE)));
    assert!(app.layers.screens().is_empty());
    app.handle(AppEvent::Key(press(KeyCode::Char('j'), KeyModifiers::NONE)));
    assert_ne!(app.selected().map(|(_, _, g)| g.vmid), before);
}
