//! `App::update` driven by key sequences: pure state changes and the effects they ask for.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use proximity::inventory::GuestKind;
use proximity::ui::action::{HostEntry, PowerOp};
use proximity::ui::popups::help::HelpPopup;
use proximity::ui::popups::host_form::HostFormPopup;
use proximity::ui::view::Zoom;
use proximity::ui::{App, AppEvent, Effect, sample};

fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn app() -> App {
    let mut app = App::with_defaults(t0());
    app.handle(AppEvent::Resize(160, 45));
    app.handle(AppEvent::Inventory(
        "lab".into(),
        Ok(sample::resources(3, 40).into()),
        t0(),
    ));
    app
}

fn press(app: &mut App, code: KeyCode, mods: KeyModifiers) -> Vec<Effect> {
    app.handle(AppEvent::Key(KeyEvent::new(code, mods)))
}

/// Type a sequence; `<Enter>`-style names for special keys.
fn typed(app: &mut App, seq: &str) -> Vec<Effect> {
    let mut out = Vec::new();
    let mut rest = seq;
    while let Some(c) = rest.chars().next() {
        if c == '<' {
            if let Some(end) = rest.find('>') {
                let code = match &rest[1..end] {
                    "Enter" => KeyCode::Enter,
                    "Esc" => KeyCode::Esc,
                    "Tab" => KeyCode::Tab,
                    "Down" => KeyCode::Down,
                    "Up" => KeyCode::Up,
                    "PgDn" => KeyCode::PageDown,
                    "Bs" => KeyCode::Backspace,
                    other => panic!("unknown key {other}"),
                };
                out.extend(press(app, code, KeyModifiers::NONE));
                rest = &rest[end + 1..];
                continue;
            }
        }
        out.extend(press(app, KeyCode::Char(c), KeyModifiers::NONE));
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn selected_vmid(app: &App) -> Option<u32> {
    app.selected().map(|(_, _, g)| g.vmid)
}

#[test]
fn navigation_jk_hl_and_chords() {
    let mut a = app();
    assert_eq!(selected_vmid(&a), Some(100));
    typed(&mut a, "jj");
    assert_eq!(
        selected_vmid(&a),
        Some(106),
        "node pve1 holds 100,103,106..."
    );
    typed(&mut a, "l");
    assert_eq!(selected_vmid(&a), Some(107), "same row in the next rack");
    typed(&mut a, "G");
    assert_eq!(selected_vmid(&a), Some(137));
    typed(&mut a, "gg");
    assert_eq!(selected_vmid(&a), Some(101));
    // A dead chord retries the last key alone: `g j` moves down.
    typed(&mut a, "gj");
    assert_eq!(selected_vmid(&a), Some(104));
    typed(&mut a, "hhhh");
    assert_eq!(selected_vmid(&a), Some(103));
}

#[test]
fn paging_scrolls_the_rack() {
    let mut a = App::with_defaults(t0());
    a.handle(AppEvent::Resize(80, 24));
    a.handle(AppEvent::Inventory(
        "lab".into(),
        Ok(sample::resources(1, 100).into()),
        t0(),
    ));
    typed(&mut a, "<PgDn>");
    let rows = a.geometry().slot_rows;
    assert_eq!(selected_vmid(&a), Some(100 + rows as u32));
    assert!(
        a.rack().scroll[0] > 0,
        "the rack scrolled to keep the selection visible"
    );
    let s = a.rack().scroll[0];
    assert!(a.rack().sel_idx >= s && a.rack().sel_idx < s + rows);
}

#[test]
fn power_actions_on_selection_and_marks() {
    let mut a = app();
    let fx = typed(&mut a, "s");
    assert_eq!(fx.len(), 1);
    match &fx[0] {
        Effect::Power { target, op } => {
            assert_eq!(
                (target.vmid, *op, target.kind),
                (100, PowerOp::Start, GuestKind::Container)
            );
            assert_eq!(target.node, "pve1");
        }
        other => panic!("unexpected {other:?}"),
    }
    // Mark two (space moves down), then shut both down.
    typed(&mut a, "  ");
    assert_eq!(a.rack().marks.len(), 2);
    let fx = typed(&mut a, "S");
    let mut vmids: Vec<u32> = fx
        .iter()
        .map(|e| match e {
            Effect::Power {
                target,
                op: PowerOp::Shutdown,
            } => target.vmid,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    vmids.sort();
    assert_eq!(vmids, vec![100, 103]);
    assert!(a.rack().marks.is_empty(), "marks clear after an action");
}

#[test]
fn delete_needs_the_typed_name() {
    let mut a = app();
    assert!(typed(&mut a, "D").is_empty());
    assert!(
        typed(&mut a, "jellyfi<Enter>").is_empty(),
        "wrong name: nothing happens"
    );
    assert!(a.layers.popup().is_some());
    let fx = typed(&mut a, "n<Enter>");
    assert!(matches!(&fx[..], [Effect::Delete { target }] if target.vmid == 100));
    assert!(a.layers.popup().is_none());
    // Esc backs out without deleting.
    typed(&mut a, "D<Esc>");
    assert!(a.layers.popup().is_none());
}

#[test]
fn quit_asks_when_tasks_run() {
    let mut a = app();
    a.handle(AppEvent::TaskProgress {
        host: "lab".into(),
        vmid: 100,
        upid: "U1".into(),
        label: "start".into(),
        fraction: Some(0.5),
    });
    assert!(typed(&mut a, "q").is_empty());
    assert!(typed(&mut a, "n").is_empty());
    assert!(a.layers.popup().is_none());
    assert_eq!(typed(&mut a, "qy"), vec![Effect::Quit]);
    let mut idle = app();
    assert_eq!(typed(&mut idle, "q"), vec![Effect::Quit]);
}

#[test]
fn filter_live_and_escape() {
    let mut a = app();
    typed(&mut a, "/tag:media");
    assert!(a.rack().filter_editing);
    assert_eq!(a.rack().view.shown_guests, 8);
    typed(&mut a, "<Enter>");
    assert!(!a.rack().filter_editing);
    assert_eq!(a.rack().filter_text, "tag:media");
    // Keys act on the rack again; Esc (back) clears the filter.
    typed(&mut a, "<Esc>");
    assert_eq!(a.rack().view.shown_guests, 40);
    assert_eq!(
        selected_vmid(&a),
        Some(100),
        "selection comes back to where it was"
    );
}

#[test]
fn palette_fuzzy_jumps_to_a_guest_and_runs_actions() {
    let mut a = app();
    typed(&mut a, ":vltwrdn2<Enter>");
    assert_eq!(
        a.selected().map(|(_, _, g)| g.name.clone()).as_deref(),
        Some("vaultwarden-2")
    );
    typed(&mut a, ":hosts screen<Enter>");
    assert!(a.hosts_view().is_some());
    typed(&mut a, ":theme amber<Enter>");
    assert_eq!(a.theme.name, "amber");
}

#[test]
fn details_tab_and_escape() {
    let mut a = app();
    let fx = typed(&mut a, "j<Enter>");
    assert!(matches!(&fx[..], [Effect::LoadDetail { vmid: 103, .. }]));
    assert!(a.rack().detail_open);
    typed(&mut a, "<Tab>");
    assert_eq!(a.rack().focus, proximity::ui::app::Pane::Rack);
    typed(&mut a, "<Esc>");
    assert!(!a.rack().detail_open);
}

#[test]
fn zoom_cycles_and_heatmap_moves_by_rows() {
    let mut a = app();
    typed(&mut a, "zz");
    assert_eq!(a.rack().zoom, Zoom::Heatmap);
    typed(&mut a, "l");
    assert_eq!(
        selected_vmid(&a),
        Some(103),
        "heatmap: right is the next cell"
    );
    typed(&mut a, "z");
    assert_eq!(a.rack().zoom, Zoom::Detailed);
}

#[test]
fn mouse_click_selects_the_slot_under_it() {
    let mut a = app();
    let g = a.geometry();
    let rect = g.rack_rect(1);
    let ev = MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: rect.x + 5,
        row: rect.y + proximity::ui::view::RACK_TOP + 2,
        modifiers: KeyModifiers::NONE,
    };
    a.handle(AppEvent::Mouse(ev));
    assert_eq!(selected_vmid(&a), Some(107));
    let wheel = MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: 0,
        row: 0,
        modifiers: KeyModifiers::NONE,
    };
    a.handle(AppEvent::Mouse(wheel));
    assert_eq!(selected_vmid(&a), Some(116));
}

#[test]
fn task_progress_toast_and_log_key() {
    let mut a = app();
    a.handle(AppEvent::TaskProgress {
        host: "lab".into(),
        vmid: 100,
        upid: "UPID:1".into(),
        label: "start".into(),
        fraction: Some(0.3),
    });
    assert!(a.is_animating());
    let log = |upid: &str| Effect::FollowLog {
        source: proximity::ui::task_board::LogSource::Task {
            host: "lab".into(),
            upid: upid.into(),
        },
    };
    assert_eq!(typed(&mut a, "t"), vec![log("UPID:1")]);
    typed(&mut a, "<Esc>");
    a.handle(AppEvent::TaskDone {
        host: "lab".into(),
        vmid: 100,
        upid: "UPID:1".into(),
        ok: false,
        message: "failed: \x1b[31mno space".into(),
    });
    assert!(a.tasks.is_empty());
    assert_eq!(a.toasts.len(), 1);
    assert!(!a.toasts[0].text.contains('\x1b'), "task text is sanitized");
    // The last task, from another guest: its host is found from the UPID's node.
    let last = "UPID:pve1:0000000A:00000001:6553F100:vzstart:100:root@pam:";
    a.handle(AppEvent::TaskDone {
        host: "lab".into(),
        vmid: 100,
        upid: last.into(),
        ok: true,
        message: "started".into(),
    });
    assert_eq!(typed(&mut a, "jt"), vec![log(last)]);
    typed(&mut a, "<Esc>");
    // The toasts expire with time.
    let until = a.toasts.iter().map(|t| t.until).max().unwrap();
    assert!(
        a.next_deadline().is_some_and(|d| d <= until),
        "the runtime wakes for the toast"
    );
    a.handle(AppEvent::Tick(until - Duration::from_millis(1)));
    assert!(!a.toasts.is_empty());
    a.handle(AppEvent::Tick(until + Duration::from_millis(1)));
    assert!(a.toasts.is_empty());
}

#[test]
fn idle_app_has_no_deadline_but_busy_slots_pulse() {
    let mut quiet = sample::resources(3, 40);
    for r in &mut quiet {
        r.extra = None;
    }
    let mut a = App::with_defaults(t0());
    a.handle(AppEvent::Resize(160, 45));
    a.handle(AppEvent::Inventory("lab".into(), Ok(quiet.into()), t0()));
    assert!(!a.is_animating());
    assert_eq!(
        a.next_deadline(),
        None,
        "nothing animates: the runtime sleeps"
    );
    // The sample locks vmid 107 (a backup): a visible busy slot pulses.
    let b = app();
    assert!(b.is_animating());
    assert_eq!(
        b.next_deadline(),
        Some(b.now + Duration::from_millis(proximity::ui::app::ANIM_MS))
    );
}

#[test]
fn unreachable_host_never_blocks_others_and_stale_keeps_data() {
    let mut a = app();
    a.handle(AppEvent::Inventory(
        "edge".into(),
        Err(proximity::engine::HostFailure::Unreachable(
            "timeout".into(),
        )),
        t0(),
    ));
    assert_eq!(
        a.rack().view.cols.len(),
        4,
        "three racks of lab plus the edge placeholder"
    );
    a.handle(AppEvent::Inventory(
        "lab".into(),
        Err(proximity::engine::HostFailure::Unreachable(
            "connection reset".into(),
        )),
        t0() + Duration::from_secs(30),
    ));
    assert_eq!(
        a.inventory.host("lab").map(|h| &h.state),
        Some(&proximity::inventory::HostState::Unreachable(
            "connection reset".into()
        ))
    );
    assert_eq!(a.inventory.counts().guests, 40, "the last picture stays");
    a.handle(AppEvent::Inventory(
        "lab".into(),
        Err(proximity::engine::HostFailure::AuthFailed(
            "authentication failure".into(),
        )),
        t0(),
    ));
    assert_eq!(
        a.inventory.host("lab").map(|h| &h.state),
        Some(&proximity::inventory::HostState::AuthFailed)
    );
    assert_eq!(a.inventory.counts().guests, 40, "the last picture stays");
}

#[test]
fn hosts_screen_add_edit_remove_and_fingerprint() {
    let mut a = App::with_defaults(t0());
    assert!(a.onboarding());
    assert_eq!(typed(&mut a, "d"), vec![Effect::StartDemo]);
    typed(&mut a, "a");
    typed(
        &mut a,
        "lab<Tab>https://pve.lan:8006<Tab>root@pam!px<Tab>s3cret<Enter>",
    );
    let fx = typed(&mut a, "");
    assert!(fx.is_empty());
    // The Enter above submitted the form.
    a.handle(AppEvent::HostsConfigured(vec![HostEntry {
        name: "lab".into(),
        url: "https://pve.lan:8006".into(),
        token_id: "root@pam!px".into(),
        fingerprint: None,
    }]));
    assert!(!a.console_open());
    typed(&mut a, "gh");
    assert!(a.hosts_view().is_some());
    assert!(matches!(&typed(&mut a, "t")[..], [Effect::TestHost(d)] if d.name == "lab"));
    assert_eq!(typed(&mut a, "Dy"), vec![Effect::RemoveHost("lab".into())]);
    a.handle(AppEvent::FingerprintPrompt {
        host: "lab".into(),
        url: "https://pve.lan:8006".into(),
        fingerprint: "AA:BB".into(),
    });
    assert_eq!(
        typed(&mut a, "y"),
        vec![Effect::TrustFingerprint {
            host: "lab".into(),
            fingerprint: "AA:BB".into(),
            accept: true
        }]
    );
}

#[test]
fn host_form_refuses_invalid_and_emits_draft() {
    let mut a = App::with_defaults(t0());
    typed(&mut a, "a");
    assert!(
        typed(&mut a, "lab<Tab>ftp://x<Tab>root@pam!px<Tab>s<Enter>").is_empty(),
        "invalid URL blocks submit"
    );
    match a.layers.popup_as::<HostFormPopup>().map(|p| &p.form) {
        Some(f) => {
            assert_eq!(f.errors()[1].as_deref(), Some("must use http or https"));
            assert_eq!(f.focus, 1, "Enter jumps to the field to fix");
        }
        other => panic!("form still open, got {other:?}"),
    }
    let mut a = App::with_defaults(t0());
    typed(&mut a, "a");
    let fx = typed(
        &mut a,
        "lab<Tab>https://pve.lan:8006<Tab>root@pam!px<Tab>s3cret<Enter>",
    );
    match &fx[..] {
        [Effect::AddHost(d)] => {
            assert_eq!(
                (d.name.as_str(), d.token_id.as_str(), d.secret.0.as_str()),
                ("lab", "root@pam!px", "s3cret")
            );
            assert!(
                !format!("{d:?}").contains("s3cret"),
                "Debug never shows the secret"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn settings_preview_apply_and_cancel() {
    let mut a = app();
    typed(&mut a, "gsj");
    assert_eq!(a.theme.name, "light", "moving previews live");
    typed(&mut a, "<Esc>");
    assert_eq!(a.theme.name, "dark", "Esc restores the saved theme");
    typed(&mut a, "gsjj");
    assert_eq!(
        typed(&mut a, "<Enter>"),
        vec![Effect::SaveSettings {
            theme: "high-contrast".into()
        }]
    );
}

#[test]
fn ctrl_z_suspends_and_ctrl_c_quits() {
    let mut a = app();
    assert_eq!(
        press(&mut a, KeyCode::Char('z'), KeyModifiers::CONTROL),
        vec![Effect::Suspend]
    );
    assert_eq!(
        press(&mut a, KeyCode::Char('c'), KeyModifiers::CONTROL),
        vec![Effect::Quit]
    );
}

mod random_keys {
    use super::*;
    use proptest::prelude::*;

    fn any_key() -> impl Strategy<Value = KeyEvent> {
        let code = prop_oneof![
            proptest::char::range(' ', '~').prop_map(KeyCode::Char),
            Just(KeyCode::Enter),
            Just(KeyCode::Esc),
            Just(KeyCode::Tab),
            Just(KeyCode::BackTab),
            Just(KeyCode::Backspace),
            Just(KeyCode::Up),
            Just(KeyCode::Down),
            Just(KeyCode::Left),
            Just(KeyCode::Right),
            Just(KeyCode::PageUp),
            Just(KeyCode::PageDown),
            Just(KeyCode::Home),
            Just(KeyCode::End),
        ];
        let mods = prop_oneof![
            Just(KeyModifiers::NONE),
            Just(KeyModifiers::SHIFT),
            Just(KeyModifiers::CONTROL),
            Just(KeyModifiers::ALT)
        ];
        (code, mods).prop_map(|(c, m)| KeyEvent::new(c, m))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Any key sequence keeps the selection valid and rendering safe.
        #[test]
        fn keys_never_break_the_app(seq in proptest::collection::vec(any_key(), 1..80), w in 20u16..200, h in 6u16..60) {
            let mut a = app();
            a.handle(AppEvent::Resize(w, h));
            for k in seq {
                a.handle(AppEvent::Key(k));
                if let Some(c) = a.rack().view.cols.get(a.rack().sel_col) {
                    prop_assert!(a.rack().sel_idx < c.guests.len().max(1));
                }
            }
            let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).expect("backend");
            term.draw(|f| proximity::ui::render(&a, f)).expect("draw");
        }
    }
}

#[test]
fn edit_host_keeps_the_original_name_and_blank_secret() {
    let mut a = app();
    a.handle(AppEvent::HostsConfigured(vec![
        HostEntry {
            name: "lab".into(),
            url: "https://pve.lan:8006".into(),
            token_id: "root@pam!px".into(),
            fingerprint: None,
        },
        HostEntry {
            name: "edge".into(),
            url: "https://edge.lan:8006".into(),
            token_id: "root@pam!px".into(),
            fingerprint: None,
        },
    ]));
    typed(&mut a, ":host edge<Enter>");
    assert_eq!(a.hosts_view().map(|v| v.sel), Some(1));
    typed(&mut a, "e");
    let fx = typed(&mut a, "<Bs><Bs><Bs><Bs>edge2<Enter>");
    match &fx[..] {
        [Effect::EditHost { original, draft }] => {
            assert_eq!((original.as_str(), draft.name.as_str()), ("edge", "edge2"));
            assert!(
                draft.secret.0.is_empty(),
                "blank secret = keep the stored one"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(typed(&mut a, "r"), vec![Effect::Refresh("edge".into())]);
}

#[test]
fn narrow_detail_takes_the_screen_and_tab_gives_the_rack_back() {
    let mut a = App::with_defaults(t0());
    a.handle(AppEvent::Resize(80, 24));
    a.handle(AppEvent::Inventory(
        "lab".into(),
        Ok(sample::resources(2, 20).into()),
        t0(),
    ));
    typed(&mut a, "<Enter>");
    assert_eq!(
        a.geometry().area.width,
        0,
        "detail covers the rack at 80 columns"
    );
    typed(&mut a, "j");
    assert_eq!(
        selected_vmid(&a),
        Some(100),
        "movement is inert behind the detail"
    );
    typed(&mut a, "<Tab>j");
    assert_eq!(a.geometry().area.width, 80);
    assert_eq!(selected_vmid(&a), Some(102));
}

#[test]
fn mouse_on_lists_and_popups() {
    let click = |col, row| MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: col,
        row,
        modifiers: KeyModifiers::NONE,
    };
    let mut a = app();
    typed(&mut a, "gs");
    // LCD, border, the THEME title, then the themes.
    a.handle(AppEvent::Mouse(click(3, 1 + 1 + 1 + 3)));
    assert_eq!(a.theme.name, "green-phosphor", "fourth theme row");
    typed(&mut a, "<Esc>");
    typed(&mut a, "?");
    let wheel = MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: 0,
        row: 0,
        modifiers: KeyModifiers::NONE,
    };
    let before = selected_vmid(&a);
    a.handle(AppEvent::Mouse(wheel));
    assert_eq!(
        a.layers.popup_as::<HelpPopup>(),
        Some(&HelpPopup { scroll: 1 })
    );
    assert_eq!(
        selected_vmid(&a),
        before,
        "the wheel scrolls the popup, not the rack"
    );
}

#[test]
fn open_detail_follows_the_selection() {
    let mut a = app();
    typed(&mut a, "<Enter><Tab>");
    let fx = typed(&mut a, "j");
    assert!(
        matches!(&fx[..], [Effect::LoadDetail { vmid: 103, .. }]),
        "{fx:?}"
    );
    typed(&mut a, "<Esc>");
    assert!(
        typed(&mut a, "j").is_empty(),
        "closed panel: no detail requests"
    );
}
