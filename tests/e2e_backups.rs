//! End to end: the real binary in a PTY against `proximity sim`, read through a vt100 screen.
//! Back a stopped container up from its slot (a job), find the new backup on the backups
//! screen (`g b`), put the container in a weekly backup job from the schedule form, and
//! restore the backup over the container (its vmid typed to confirm).

mod support;

use std::time::{Duration, Instant};
use support::{PtyApp, SimProcess, run_cli};

/// The guests as `proximity ls --json` has them.
fn guests(sim: &SimProcess, home: &std::path::Path) -> Vec<serde_json::Value> {
    let (ok, out, err) = run_cli(&["ls", "--json"], &sim.env(), home);
    assert!(ok, "{err}");
    serde_json::from_str(&out).unwrap()
}

/// The container's backups as `proximity backups VMID --json` lists them, newest first.
fn backups_of(sim: &SimProcess, home: &std::path::Path, vmid: u64) -> Vec<serde_json::Value> {
    let (ok, out, err) = run_cli(&["backups", &vmid.to_string(), "--json"], &sim.env(), home);
    assert!(ok, "{err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn back_up_a_container_find_the_backup_on_the_backups_screen_and_restore_it() {
    let started = Instant::now();
    let sim = SimProcess::start(&["--nodes", "1", "--guests", "8", "--task-step-ms", "20"]);
    let home = tempfile::tempdir().unwrap();
    let all = guests(&sim, home.path());
    // A stopped container whose name no other guest's contains (the rack filter finds one).
    let names: Vec<&str> = all.iter().filter_map(|g| g["name"].as_str()).collect();
    let target = all
        .iter()
        .find(|g| {
            let name = g["name"].as_str().unwrap_or_default();
            g["status"] == "stopped"
                && g["type"] == "lxc"
                && names.iter().filter(|n| n.contains(name)).count() == 1
        })
        .expect("a stopped container with a unique name");
    let vmid = target["vmid"].as_u64().unwrap();
    let name = target["name"].as_str().unwrap().to_string();
    let before = backups_of(&sim, home.path(), vmid).len();

    let mut app = PtyApp::spawn(&[], &sim.env(), home.path(), 160, 40);
    app.wait_text(&name, Duration::from_secs(15));
    app.send(b"/");
    app.send(name.as_bytes());
    app.wait_text("1 match", Duration::from_secs(5));
    app.send(b"\r");

    // `b` on the slot: a backup job, reported done when its vzdump task ended.
    app.send(b"b");
    app.wait_text(
        &format!("{vmid} {name}: backup done"),
        Duration::from_secs(15),
    );
    // The slot shows the new backup's age (minutes) at its right edge.
    app.wait_for("the slot's backup age", Duration::from_secs(5), |s| {
        s.lines().any(|l| {
            l.contains(&format!(" {vmid} ")) && l.trim_end_matches(['┃', '│', ' ']).ends_with("0m")
        })
    });
    let after = backups_of(&sim, home.path(), vmid);
    assert_eq!(after.len(), before + 1, "the emulator has one more backup");
    let volid = after[0]["volid"].as_str().unwrap().to_string();
    let file = volid.rsplit('/').next().unwrap().to_string();

    // The backups screen lists it; the filter narrows to it.
    app.send(b"gb");
    app.wait_text("backups ·", Duration::from_secs(5));
    app.send(b"/");
    app.send(file.as_bytes());
    app.send(b"\r");
    app.wait_for("the new backup, alone", Duration::from_secs(10), |s| {
        s.contains("backups · 1 shown") && s.contains(&file) && s.contains(&name)
    });

    // `s`: the guest's backup schedule form; a weekly schedule keeping 3 joins Proximity's job.
    app.send(b"s");
    app.wait_text("backup schedule ·", Duration::from_secs(5));
    app.send(b"\x7f\x7f\x7f\x7f\x7fsun 02:00\t\x7f3\r");
    app.wait_text(
        "in backup job proximity-sun-0200 (sun 02:00, keep-last=3)",
        Duration::from_secs(10),
    );

    // Enter restores over the existing container only once its vmid is typed.
    app.send(b"\r");
    app.wait_text(&format!("type {vmid} to confirm"), Duration::from_secs(5));
    app.send(format!("{vmid}\r").as_bytes());
    app.wait_text(
        &format!("{vmid} {name}: restore done"),
        Duration::from_secs(15),
    );

    // The emulator agrees: the container is there, stopped, and the backup is kept.
    let now = guests(&sim, home.path());
    let g = now
        .iter()
        .find(|g| g["vmid"].as_u64() == Some(vmid))
        .expect("the restored container");
    assert_eq!(g["status"], "stopped");
    assert!(
        backups_of(&sim, home.path(), vmid)
            .iter()
            .any(|b| b["volid"] == volid.as_str())
    );

    // q clears the screen's filter, closes the screen, then quits from the rack.
    app.send(b"qq");
    app.wait_for("the rack again", Duration::from_secs(5), |s| {
        !s.contains("backups ·")
    });
    app.send(b"q");
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.exited().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(app.exited(), Some(true), "proximity exits cleanly on q");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
}
