//! The rack is a layer: the bottom of the stack, with the keyboard when no other layer has
//! it, its own keys, filter line, mouse and drawing, and requests for what only the app
//! holds. Driven here through the `Layer` trait alone (no `App` method in between) and
//! through the app's routing.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};
use proximity::ui::layer::{Layer, Reply, Request, Slot};
use proximity::ui::{Action, App, AppEvent, Effect, sample};
use ratatui::buffer::Buffer;

fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn app() -> App {
    let mut app = App::with_defaults(t0());
    app.handle(AppEvent::Resize(120, 40));
    app.handle(AppEvent::Inventory(
        "lab".into(),
        Ok(sample::resources(2, 10).into()),
        t0(),
    ));
    app
}

fn key(c: char) -> AppEvent {
    AppEvent::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn vmid(app: &App) -> Option<u32> {
    app.selected().map(|(_, _, g)| g.vmid)
}

#[test]
fn the_rack_is_the_bottom_layer_with_the_keyboard_when_no_other_has_it() {
    let mut app = app();
    assert_eq!(app.layers.keyboard(), Slot::Rack);
    assert_eq!(app.layers.key_route(), vec![Slot::Rack]);
    assert_eq!(app.layers.visible(), vec![Slot::Rack]);
    let first = vmid(&app);
    app.handle(key('j'));
    assert_ne!(vmid(&app), first, "j moves the rack's selection");
    let moved = vmid(&app);
    // A full-screen layer over it takes the keys and the body; the rack keeps its place.
    app.update(Action::Tasks);
    assert!(matches!(app.layers.keyboard(), Slot::Screen(_)));
    assert!(!app.layers.visible().contains(&Slot::Rack));
    app.handle(key('j'));
    assert_eq!(vmid(&app), moved, "the rack under a screen never moves");
    // Closing it gives the keyboard back.
    app.handle(AppEvent::Key(KeyEvent::new(
        KeyCode::Esc,
        KeyModifiers::NONE,
    )));
    assert_eq!(app.layers.keyboard(), Slot::Rack);
}

#[test]
fn the_rack_layer_answers_alone_and_asks_the_app_for_the_rest() {
    let app = app();
    let ctx = app.layer_ctx(Slot::Rack);
    let mut rack = app.rack().clone();
    let first = rack.selected_ref(ctx.inventory).expect("a selection");
    // Its own state changes without the app.
    assert!(matches!(
        rack.on_action(Action::Down, &ctx),
        Reply::Consumed
    ));
    let second = rack.selected_ref(ctx.inventory).expect("a selection");
    assert_ne!(first, second);
    // A power action: a toast and one effect per target, the marks cleared.
    assert!(matches!(
        rack.on_action(Action::Mark, &ctx),
        Reply::Consumed
    ));
    assert_eq!(rack.marks.len(), 1);
    match rack.on_action(Action::Stop, &ctx) {
        Reply::Then(r) => match r.as_slice() {
            [
                Request::Toast { error: false, .. },
                Request::Effect(Effect::Power { target, .. }),
            ] => assert_eq!(target, &second),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    assert!(rack.marks.is_empty());
    // What needs the app's holdings comes back as a request for it.
    for a in [Action::Console, Action::Metrics, Action::Snapshots] {
        match rack.on_action(a, &ctx) {
            Reply::Then(r) => assert!(
                matches!(r.as_slice(), [Request::App(b)] if *b == a),
                "{a:?}: {r:?}"
            ),
            other => panic!("{a:?}: {other:?}"),
        }
    }
    // The app-wide actions are not the rack's.
    assert!(matches!(
        rack.on_action(Action::Tasks, &ctx),
        Reply::Ignored
    ));
    assert!(matches!(rack.on_action(Action::Quit, &ctx), Reply::Ignored));
}

#[test]
fn the_filter_line_is_typed_raw_into_the_rack() {
    let app = app();
    let ctx = app.layer_ctx(Slot::Rack);
    let mut rack = app.rack().clone();
    let all = rack.view.shown_guests;
    assert!(!rack.wants_text());
    rack.on_action(Action::Filter, &ctx);
    assert!(rack.wants_text(), "keys arrive raw while the line is typed");
    for c in "101".chars() {
        rack.on_text(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE), &ctx);
    }
    assert_eq!(rack.filter_text, "101");
    assert!(rack.view.shown_guests < all, "the view follows the line");
    // A paste adds its first line, cleaned.
    rack.on_text(KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE), &ctx);
    rack.on_paste("1\x1b[31m\nrest", &ctx);
    assert_eq!(rack.filter_text, "101");
    rack.on_text(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE), &ctx);
    assert!(!rack.wants_text());
    assert_eq!(rack.view.shown_guests, all);
}

#[test]
fn the_wheel_reaches_the_rack_through_the_stack_and_the_rack_draws_itself() {
    let mut app = app();
    let first = app.rack().sel_idx;
    let wheel = MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: 10,
        row: 10,
        modifiers: KeyModifiers::NONE,
    };
    app.handle(AppEvent::Mouse(wheel));
    assert_eq!(app.rack().sel_idx, first + 3);
    // The rack draws itself from its context: the selected slot is on screen.
    let ctx = app.layer_ctx(Slot::Rack);
    let mut buf = Buffer::empty(ctx.area);
    app.rack().render(ctx.area, &mut buf, &ctx);
    let name = app.selected().map(|(_, _, g)| g.name.to_string()).unwrap();
    let text: String = buf.content().iter().map(|c| c.symbol()).collect();
    assert!(text.contains(&name), "{name} not drawn");
}

#[test]
fn a_split_console_shares_the_body_with_the_rack() {
    let mut app = app();
    app.handle(key('c'));
    assert_eq!(app.layers.visible(), vec![Slot::Console], "full screen");
    // Ctrl-] (as crossterm reports it) then `s`: split beside the rack.
    app.handle(AppEvent::Key(KeyEvent::new(
        KeyCode::Char('5'),
        KeyModifiers::CONTROL,
    )));
    app.handle(key('s'));
    assert_eq!(app.layers.visible(), vec![Slot::Rack, Slot::Console]);
    let body = app.layer_area(Slot::Console);
    assert!(
        app.layer_area(Slot::Rack).width < body.width,
        "the rack lays out on the left only"
    );
    // Detached, the split console stays beside the rack, which has the keyboard again.
    app.handle(AppEvent::Key(KeyEvent::new(
        KeyCode::Char('5'),
        KeyModifiers::CONTROL,
    )));
    app.handle(key('d'));
    assert_eq!(app.layers.keyboard(), Slot::Rack);
    assert_eq!(app.layers.visible(), vec![Slot::Rack, Slot::Console]);
}

#[test]
fn the_selection_stays_on_screen_when_a_split_console_narrows_the_rack() {
    let mut app = App::with_defaults(t0());
    app.handle(AppEvent::Resize(200, 40));
    app.handle(AppEvent::Inventory(
        "lab".into(),
        Ok(sample::resources(6, 30).into()),
        t0(),
    ));
    for _ in 0..5 {
        app.handle(key('l'));
    }
    let on_screen = |app: &App| {
        let (r, g) = (app.rack(), app.geometry());
        r.sel_col >= r.col_offset && r.sel_col < r.col_offset + g.visible_cols.max(1)
    };
    assert!(on_screen(&app));
    let wide = app.geometry().visible_cols;
    app.handle(key('c'));
    app.handle(AppEvent::Key(KeyEvent::new(
        KeyCode::Char('5'),
        KeyModifiers::CONTROL,
    )));
    app.handle(key('s'));
    assert!(
        app.geometry().visible_cols < wide,
        "the split narrows the rack"
    );
    assert!(on_screen(&app), "the selected rack scrolled back into view");
}
