//! The backups screen (`g b`) and the snapshots layer (`P` on the rack): what each key asks
//! the engine for (restore only with the vmid typed, delete refused while protected, notes,
//! protect, back up now), and their snapshots at 80x24 and 160x45.

mod views_support;

use std::time::{Duration, UNIX_EPOCH};

use proximity::engine::backups::BackupRow;
use proximity::engine::snapshots::SnapshotLine;
use proximity::pve::BackupVolume;
use proximity::ui::backups_link::{BackupEffect, BackupEvent};
use proximity::ui::backups_view::BackupsView;
use proximity::ui::snapshots_view::SnapshotsView;
use proximity::ui::{App, AppEvent, Effect};
use views_support::*;

fn epoch_t0() -> u64 {
    t0().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn row(vmid: u32, guest: Option<&str>, age: Duration, size_mib: u64, protected: bool) -> BackupRow {
    let ctime = epoch_t0() - age.as_secs();
    BackupRow {
        host: "lab".into(),
        volume: BackupVolume {
            node: "pve1".into(),
            storage: "local".into(),
            volid: format!("local:backup/vzdump-lxc-{vmid}-{ctime}.tar.zst"),
            vmid: Some(vmid),
            subtype: Some("lxc".into()),
            format: "tar.zst".into(),
            size: size_mib << 20,
            ctime: Some(ctime),
            notes: guest.map(|g| format!("{g} nightly")),
            protected,
        },
        guest_name: guest.map(str::to_string),
    }
}

fn rows() -> Vec<BackupRow> {
    let h = Duration::from_secs(3600);
    vec![
        row(101, Some("web-101"), h * 2, 812, false),
        row(102, Some("db-102"), h * 30, 2300, true),
        row(101, Some("web-101"), h * 24 * 9, 790, false),
        row(190, None, h * 24 * 20, 120, false),
    ]
}

fn view(app: &App) -> &BackupsView {
    app.layers
        .screens()
        .last()
        .and_then(|l| l.as_any().downcast_ref::<BackupsView>())
        .expect("the backups view on top")
}

fn opened(size: (u16, u16)) -> App {
    let mut app = rack_app(size);
    assert_eq!(
        typed(&mut app, "gb"),
        vec![Effect::Backups(BackupEffect::Load)]
    );
    app.handle(AppEvent::Backups(BackupEvent::List {
        rows: rows(),
        failures: Vec::new(),
    }));
    app
}

fn one_effect(effects: Vec<Effect>) -> BackupEffect {
    match effects.as_slice() {
        [Effect::Backups(e)] => e.clone(),
        other => panic!("expected one backup effect, got {other:?}"),
    }
}

#[test]
fn restore_over_a_guest_needs_its_vmid_typed() {
    let mut app = opened((160, 45));
    // Enter on web-101's newest backup asks; a wrong answer restores nothing.
    assert_eq!(typed(&mut app, "<Enter>"), Vec::<Effect>::new());
    assert!(view(&app).prompt.is_some());
    assert_eq!(typed(&mut app, "102<Enter>"), Vec::<Effect>::new());
    assert!(view(&app).prompt.is_none());
    typed(&mut app, "<Enter>");
    match one_effect(typed(&mut app, "101<Enter>")) {
        BackupEffect::Restore {
            backup,
            to,
            confirmed,
        } => {
            assert_eq!(backup.volid, rows()[0].volume.volid);
            assert_eq!((to, confirmed), (None, true));
        }
        other => panic!("{other:?}"),
    }
    // To a new vmid: a number is asked for; nonsense is refused.
    typed(&mut app, "N");
    assert_eq!(typed(&mut app, "abc<Enter>"), Vec::<Effect>::new());
    typed(&mut app, "N");
    match one_effect(typed(&mut app, "150<Enter>")) {
        BackupEffect::Restore { to, confirmed, .. } => {
            assert_eq!((to, confirmed), (Some(150), false))
        }
        other => panic!("{other:?}"),
    }
    // A backup whose guest is gone restores at once (nothing is replaced).
    typed(&mut app, "G");
    match one_effect(typed(&mut app, "<Enter>")) {
        BackupEffect::Restore {
            backup,
            to,
            confirmed,
        } => {
            assert!(backup.volid.contains("-190-"));
            assert_eq!((to, confirmed), (None, false));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_protected_backup_is_not_deleted_and_protect_notes_backup_now_ask_the_engine() {
    let mut app = opened((160, 45));
    typed(&mut app, "j");
    assert!(view(&app).selected_row().unwrap().volume.protected);
    assert_eq!(typed(&mut app, "D"), Vec::<Effect>::new());
    assert!(
        view(&app).prompt.is_none(),
        "no question for a protected backup"
    );
    match one_effect(typed(&mut app, "p")) {
        BackupEffect::Protect(b, on) => {
            assert!(b.volid.contains("-102-"));
            assert!(!on);
        }
        other => panic!("{other:?}"),
    }
    assert!(!view(&app).selected_row().unwrap().volume.protected);
    typed(&mut app, "D");
    assert_eq!(
        typed(&mut app, "n<Enter>"),
        Vec::<Effect>::new(),
        "only y deletes"
    );
    typed(&mut app, "D");
    assert!(matches!(
        one_effect(typed(&mut app, "y<Enter>")),
        BackupEffect::Delete(_)
    ));
    // Notes start from the current text; Ctrl-U is not needed to append.
    typed(&mut app, "n");
    match one_effect(typed(&mut app, " v2<Enter>")) {
        BackupEffect::Notes(_, text) => assert_eq!(text, "db-102 nightly v2"),
        other => panic!("{other:?}"),
    }
    match one_effect(typed(&mut app, "b")) {
        BackupEffect::BackupNow(g) => assert_eq!((g.host.as_str(), g.vmid), ("lab", 102)),
        other => panic!("{other:?}"),
    }
    // The filter narrows by guest, notes or vmid; Esc clears it, then closes.
    typed(&mut app, "/web<Enter>");
    assert_eq!(view(&app).visible().len(), 2);
    typed(&mut app, "<Esc>");
    assert_eq!(view(&app).visible().len(), 4);
    typed(&mut app, "<Esc>");
    assert!(app.layers.screens().is_empty());
}

#[test]
fn b_on_the_rack_backs_the_selected_guest_up() {
    let mut app = rack_app((160, 45));
    let selected = app.selected_ref().unwrap();
    match one_effect(typed(&mut app, "b")) {
        BackupEffect::BackupNow(g) => assert_eq!(g, selected),
        other => panic!("{other:?}"),
    }
}

fn snapshots_app(size: (u16, u16)) -> App {
    let mut app = rack_app(size);
    // The first container of the rack (a VM's snapshots are refused with a toast).
    while app.selected_ref().unwrap().kind != proximity::inventory::GuestKind::Container {
        typed(&mut app, "j");
    }
    let guest = match one_effect(typed(&mut app, "P")) {
        BackupEffect::LoadSnapshots(g) => g,
        other => panic!("{other:?}"),
    };
    let line = |name: &str, depth, age_h: u64, desc: &str| SnapshotLine {
        name: name.into(),
        description: desc.into(),
        snaptime: Some(epoch_t0() - age_h * 3600),
        depth,
        current: false,
    };
    let lines = vec![
        line("installed", 0, 72, "clean install"),
        line("before-upgrade", 1, 30, "pre 2.0"),
        line("tried-2-1", 2, 20, ""),
        line("after-upgrade", 1, 5, "2.0 running"),
        SnapshotLine {
            name: "current".into(),
            description: "You are here!".into(),
            snaptime: None,
            depth: 2,
            current: true,
        },
    ];
    app.handle(AppEvent::Backups(BackupEvent::Snapshots {
        guest,
        result: Ok(lines),
    }));
    app
}

#[test]
fn snapshot_rollback_needs_the_name_typed() {
    let mut app = snapshots_app((160, 45));
    let guest = app
        .layers
        .screens()
        .last()
        .and_then(|l| l.as_any().downcast_ref::<SnapshotsView>())
        .unwrap()
        .guest
        .clone();
    typed(&mut app, "jR");
    assert_eq!(typed(&mut app, "yes<Enter>"), Vec::<Effect>::new());
    typed(&mut app, "R");
    assert_eq!(
        one_effect(typed(&mut app, "before-upgrade<Enter>")),
        BackupEffect::SnapshotRollback(guest.clone(), "before-upgrade".into())
    );
    // The current state cannot be rolled back to or deleted.
    typed(&mut app, "G");
    assert_eq!(typed(&mut app, "D"), Vec::<Effect>::new());
    typed(&mut app, "n");
    assert_eq!(
        typed(&mut app, "9bad<Enter>"),
        Vec::<Effect>::new(),
        "refused name"
    );
    typed(&mut app, "n");
    assert_eq!(
        one_effect(typed(&mut app, "nightly<Enter>")),
        BackupEffect::SnapshotCreate(guest, "nightly".into())
    );
}

#[test]
fn snapshot_backups_screen() {
    for size in SIZES {
        let app = opened(size);
        insta::assert_snapshot!(format!("backups_{}x{}", size.0, size.1), screen(&app, size));
    }
    let mut app = opened((80, 24));
    typed(&mut app, "<Enter>");
    insta::assert_snapshot!("backups_restore_prompt_80x24", screen(&app, (80, 24)));
    let mut app = opened((80, 24));
    form_guest(&mut app);
    typed(&mut app, "<Bs><Bs><Bs><Bs><Bs>weekly<Enter>");
    insta::assert_snapshot!("backups_schedule_form_80x24", screen(&app, (80, 24)));
}

#[test]
fn snapshot_snapshot_tree() {
    for size in SIZES {
        let app = snapshots_app(size);
        insta::assert_snapshot!(
            format!("snapshots_{}x{}", size.0, size.1),
            screen(&app, size)
        );
    }
}

fn form(app: &App) -> Option<&proximity::ui::backup_schedule_form::ScheduleForm> {
    view(app).schedule_form.as_ref()
}

/// `s`: the form opens and asks for the guest's current job; the guest asked about.
fn form_guest(app: &mut App) -> proximity::engine::GuestRef {
    match one_effect(typed(app, "s")) {
        BackupEffect::LoadSchedule(g) => g,
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_schedule_form_starts_at_the_guests_current_job() {
    use proximity::engine::backup_schedule::GuestSchedule;
    use proximity::pve::Retention;
    let job = |enabled: bool| GuestSchedule {
        job: "proximity-sun-0200".into(),
        schedule: "sun 02:00".into(),
        retention: Retention {
            keep_last: Some(3),
            ..Retention::default()
        },
        enabled,
    };
    let mut app = opened((80, 24));
    let guest = form_guest(&mut app);
    assert_eq!((guest.host.as_str(), guest.vmid), ("lab", 101));
    assert_eq!(
        form(&app).unwrap().values[0],
        "daily",
        "defaults until it is read"
    );
    assert!(screen(&app, (80, 24)).contains("now: reading its backup job"));
    app.handle(AppEvent::Backups(BackupEvent::CurrentSchedule {
        guest: guest.clone(),
        result: Ok(Some(job(true))),
    }));
    let f = form(&app).unwrap();
    assert_eq!(f.values, ["sun 02:00".to_string(), "3".to_string()]);
    let text = screen(&app, (80, 24));
    assert!(
        text.contains("now: in proximity-sun-0200 (sun 02:00, keep-last=3)"),
        "{text}"
    );
    insta::assert_snapshot!("backups_schedule_form_current_80x24", text);
    // Enter saves what it shows: the same job again.
    assert!(matches!(
        one_effect(typed(&mut app, "<Enter>")),
        BackupEffect::Schedule(_, proximity::ui::backup_schedule_form::ScheduleChoice::Join { schedule, .. })
            if schedule == "sun 02:00"
    ));
    // A job switched off shows `off`; an answer after typing leaves the typing alone.
    let guest = form_guest(&mut app);
    app.handle(AppEvent::Backups(BackupEvent::CurrentSchedule {
        guest: guest.clone(),
        result: Ok(Some(job(false))),
    }));
    assert_eq!(form(&app).unwrap().values[0], "off");
    typed(&mut app, "<Esc>");
    let guest = form_guest(&mut app);
    typed(&mut app, "<Tab><Bs>9");
    app.handle(AppEvent::Backups(BackupEvent::CurrentSchedule {
        guest,
        result: Ok(Some(job(true))),
    }));
    let f = form(&app).unwrap();
    assert_eq!(f.values, ["daily".to_string(), "9".to_string()]);
    assert!(f.now.as_deref().unwrap().contains("proximity-sun-0200"));
}

#[test]
fn the_schedule_form_names_the_wrong_field_and_saves_through_the_engine_effect() {
    use proximity::pve::Retention;
    use proximity::ui::backup_schedule_form::ScheduleChoice;
    let mut app = opened((160, 45));
    // The footer's hint comes from the keymap's binding of `backup_schedule`.
    let keys = app.keymap.keys_for(
        proximity::ui::keymap::Context::Backups,
        proximity::ui::action::Action::BackupSchedule,
    );
    assert_eq!(keys, vec!["s".to_string()]);
    assert!(screen(&app, (160, 45)).contains("s schedule"));

    let guest = form_guest(&mut app);
    // The guest is in no Proximity job: the defaults stand.
    app.handle(AppEvent::Backups(BackupEvent::CurrentSchedule {
        guest,
        result: Ok(None),
    }));
    let f = form(&app).expect("s opens the form");
    assert_eq!(f.now.as_deref(), Some("now: in no Proximity backup job"));
    assert_eq!((f.guest.vmid, f.values[0].as_str()), (101, "daily"));
    // A schedule Proximity does not manage: refused, naming the field, nothing saved.
    assert_eq!(
        typed(&mut app, "<Bs><Bs><Bs><Bs><Bs>someday<Enter>"),
        Vec::<Effect>::new()
    );
    let f = form(&app).expect("still open");
    let e = f.error.clone().unwrap();
    assert!(e.starts_with("schedule 'someday' is not"), "{e}");
    assert_eq!(f.focus, 0);
    assert!(screen(&app, (160, 45)).contains("schedule 'someday' is not"));
    // A good schedule, a bad count: the keep-last field is named and focused.
    typed(
        &mut app,
        "<Bs><Bs><Bs><Bs><Bs><Bs><Bs>sun 02:00<Tab><Bs>0<Enter>",
    );
    let f = form(&app).expect("still open");
    assert!(f.error.as_deref().unwrap().starts_with("keep last: '0'"));
    assert_eq!(f.focus, 1);
    match one_effect(typed(&mut app, "<Bs>3<Enter>")) {
        BackupEffect::Schedule(
            guest,
            ScheduleChoice::Join {
                schedule,
                retention,
            },
        ) => {
            assert_eq!((guest.host.as_str(), guest.vmid), ("lab", 101));
            assert_eq!(schedule, "sun 02:00");
            assert_eq!(
                retention,
                Retention {
                    keep_last: Some(3),
                    ..Retention::default()
                }
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(form(&app).is_none(), "saved: the form closes");
    // `off` takes the guest out of the jobs; Esc closes without asking anything.
    typed(&mut app, "s<Bs><Bs><Bs><Bs><Bs>off");
    assert!(matches!(
        one_effect(typed(&mut app, "<Enter>")),
        BackupEffect::Schedule(_, ScheduleChoice::Off)
    ));
    typed(&mut app, "s");
    assert_eq!(typed(&mut app, "<Esc>"), Vec::<Effect>::new());
    assert!(form(&app).is_none());
    assert!(!app.layers.screens().is_empty(), "Esc closed the form only");
}

/// The rack drawn into a buffer, to read the styles of cells.
fn drawn(app: &App, size: (u16, u16)) -> ratatui::buffer::Buffer {
    let mut term =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(size.0, size.1)).unwrap();
    term.draw(|f| proximity::ui::render(app, f)).unwrap();
    term.backend().buffer().clone()
}

/// Where `text` ends on the line of the slot of `vmid` (found by ` VMID ` and `CT`/`VM`).
fn slot_text_end(buf: &ratatui::buffer::Buffer, vmid: u32, text: &str) -> Option<(u16, u16)> {
    for y in 0..buf.area.height {
        let line: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
        if !(line.contains(&format!(" {vmid} "))
            && (line.contains(" CT ") || line.contains(" VM ")))
        {
            continue;
        }
        // Per slot: the age sits right before the slot's end, followed by a space or border.
        let chars: Vec<&str> = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
        let at = line.find(&format!(" {vmid} "))?;
        let col = line[..at].chars().count();
        let rest: String = chars[col..].concat();
        let found = rest.find(&format!(" {text} ")).or_else(|| {
            rest.find(&format!(" {text}│"))
                .or_else(|| rest.find(&format!(" {text}┃")))
        })?;
        let x = (col + rest[..found].chars().count() + 1 + text.chars().count() - 1) as u16;
        return Some((x, y));
    }
    None
}

#[test]
fn a_slot_shows_its_last_backup_age_in_the_stale_style_past_the_alert_threshold() {
    use proximity::ui::theme::ThemeKey;
    use std::collections::HashMap;
    let size = (200, 50);
    let mut app = rack_app(size);
    let selected = app.selected_ref().unwrap().vmid;
    let guests: Vec<u32> = app
        .inventory
        .hosts
        .iter()
        .flat_map(|h| h.nodes.iter().flat_map(|n| n.guests.iter().map(|g| g.vmid)))
        .filter(|v| *v != selected)
        .take(2)
        .collect();
    let (fresh, old) = (guests[0], guests[1]);
    let day = 86_400;
    let newest = HashMap::from([(fresh, epoch_t0() - 2 * day), (old, epoch_t0() - 9 * day)]);
    app.handle(AppEvent::Backups(BackupEvent::HostBackups {
        host: "lab".into(),
        newest: std::sync::Arc::new(newest),
    }));
    let stale = app.theme.style(ThemeKey::BackupStale).fg;
    let buf = drawn(&app, size);
    let (x, y) = slot_text_end(&buf, fresh, "2d").expect("the fresh guest's age");
    assert_ne!(
        buf[(x, y)].fg,
        stale.unwrap(),
        "2 days is under the 7-day threshold"
    );
    let (x, y) = slot_text_end(&buf, old, "9d").expect("the old guest's age");
    assert_eq!(buf[(x, y)].fg, stale.unwrap(), "9 days is past it");

    // The alerts' threshold decides: at one day, both are stale.
    app.alerts.config.defaults.backup_max_age = Some("1d".into());
    let buf = drawn(&app, size);
    let (x, y) = slot_text_end(&buf, fresh, "2d").unwrap();
    assert_eq!(buf[(x, y)].fg, stale.unwrap());

    // A guest without a known backup shows no age.
    let text = screen(&app, size);
    let other = text
        .lines()
        .find(|l| l.contains(&format!(" {selected} ")))
        .expect("the selected slot");
    assert!(
        !other.trim_end_matches(['┃', '│', ' ']).ends_with('d'),
        "{other}"
    );
}

/// The schedule form's editing keys come from the keymap's `[popup]` context: rebound,
/// its footer names them and they save or cancel; the old Enter does nothing.
#[test]
fn the_schedule_form_takes_its_keys_from_the_keymap() {
    use crossterm::event::{KeyCode, KeyModifiers};
    use proximity::ui::backup_schedule_form::ScheduleChoice;
    use proximity::ui::keymap::Keymap;
    let mut app = opened((160, 45));
    let (km, err) = Keymap::with_user_file(
        "keymap.toml",
        "[popup]\nsubmit = [\"ctrl-o\"]\nnext_field = [\"ctrl-f\"]\nback = [\"ctrl-g\"]\n",
    );
    assert!(err.is_none(), "{err:?}");
    app.keymap = km;
    typed(&mut app, "s");
    assert!(form(&app).is_some());
    let text = screen(&app, (160, 45));
    assert!(
        text.contains("C-o saves · C-f next field · C-g cancels"),
        "{text}"
    );
    assert_eq!(typed(&mut app, "<Enter>"), Vec::<Effect>::new());
    assert!(form(&app).is_some(), "Enter no longer saves");
    press(&mut app, KeyCode::Char('f'), KeyModifiers::CONTROL);
    assert_eq!(form(&app).map(|f| f.focus), Some(1));
    let fx = press(&mut app, KeyCode::Char('o'), KeyModifiers::CONTROL);
    assert!(matches!(
        one_effect(fx),
        BackupEffect::Schedule(_, ScheduleChoice::Join { .. })
    ));
    typed(&mut app, "s");
    press(&mut app, KeyCode::Char('g'), KeyModifiers::CONTROL);
    assert!(form(&app).is_none(), "the rebound back cancels");
}

#[test]
fn a_vm_backup_restores_with_the_same_typed_confirmation() {
    let mut app = rack_app((160, 45));
    typed(&mut app, "gb");
    let mut rows = rows();
    let vm = &mut rows[0];
    vm.volume.subtype = Some("qemu".into());
    vm.volume.format = "vma.zst".into();
    vm.volume.volid = vm.volume.volid.replace("vzdump-lxc-", "vzdump-qemu-");
    let volid = vm.volume.volid.clone();
    app.handle(AppEvent::Backups(BackupEvent::List {
        rows,
        failures: Vec::new(),
    }));
    assert_eq!(typed(&mut app, "<Enter>"), Vec::<Effect>::new());
    let text = screen(&app, (160, 45));
    assert!(
        text.contains("restore over VM 101 replaces it: type 101 to confirm"),
        "{text}"
    );
    assert_eq!(typed(&mut app, "1<Enter>"), Vec::<Effect>::new());
    assert!(
        app.toasts
            .last()
            .is_some_and(|t| t.text == "not restored: type 101 to replace VM 101")
    );
    typed(&mut app, "<Enter>");
    match one_effect(typed(&mut app, "101<Enter>")) {
        BackupEffect::Restore {
            backup,
            to,
            confirmed,
        } => {
            assert_eq!(backup.volid, volid);
            assert_eq!((to, confirmed), (None, true));
        }
        other => panic!("{other:?}"),
    }
}

/// The schedule form's clear_field, and the screen's prompts and `/` filter line, read the
/// keymap's `[popup]` context too: rebound, Ctrl-U, Enter and Esc do nothing there and the
/// new keys do the work.
#[test]
fn the_prompts_and_the_schedule_field_clear_take_their_keys_from_the_keymap() {
    use proximity::ui::keymap::Keymap;
    let mut app = opened((160, 45));
    let (km, err) = Keymap::with_user_file(
        "keymap.toml",
        "[popup]\nsubmit = [\"ctrl-o\"]\nback = [\"ctrl-g\"]\nclear_field = [\"ctrl-k\"]\n",
    );
    assert!(err.is_none(), "{err:?}");
    app.keymap = km;
    // The schedule field: Ctrl-U clears no more, the new clear_field does.
    typed(&mut app, "s");
    let before = form(&app).unwrap().values[0].clone();
    assert!(!before.is_empty());
    typed(&mut app, "<C-u>");
    assert_eq!(form(&app).unwrap().values[0], before, "C-u clears no more");
    typed(&mut app, "<C-k>");
    assert_eq!(form(&app).unwrap().values[0], "");
    typed(&mut app, "<C-g>");
    assert!(form(&app).is_none());
    // The notes prompt: Ctrl-U and Esc leave it as it is, Enter does not send it.
    typed(&mut app, "n<C-u>");
    assert_eq!(view(&app).prompt.as_ref().unwrap().input, "web-101 nightly");
    assert_eq!(typed(&mut app, "<Esc><Enter>"), Vec::<Effect>::new());
    assert!(view(&app).prompt.is_some(), "Esc and Enter are not bound");
    match one_effect(typed(&mut app, "<C-k>weekly<C-o>")) {
        BackupEffect::Notes(_, text) => assert_eq!(text, "weekly"),
        other => panic!("{other:?}"),
    }
    // The filter line: the new submit keeps it, the new back clears it.
    typed(&mut app, "/web<Enter>");
    assert!(view(&app).filtering, "Enter does not end the filter");
    typed(&mut app, "<C-o>");
    assert!(!view(&app).filtering);
    assert_eq!(view(&app).visible().len(), 2);
    typed(&mut app, "/<C-g>");
    assert_eq!(view(&app).visible().len(), 4);
}
