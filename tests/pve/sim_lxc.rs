//! Container and VM lifecycle through `pve::PveClient` against the emulator: create, every
//! power action with `wait_task`, clone, snapshots (create/list/rollback/delete), delete, and
//! QEMU power. Each step's effect is read back through another endpoint.

use crate::pve_sim_support;

use proximity::pve::{
    CloneOptions, DeleteOptions, GuestStatus, LxcCreate, Params, PowerAction, PveClient, PveError,
    ResourceFilter,
};
use pve_sim_support::*;

async fn status(c: &PveClient, node: &str, vmid: u32) -> GuestStatus {
    c.lxc_status(node, vmid).await.unwrap()
}

/// The first `vztmpl` volume on `node`.
async fn a_template(c: &PveClient, node: &str) -> String {
    c.storage_content(node, "local", Some("vztmpl"), None)
        .await
        .unwrap()
        .first()
        .expect("a template")
        .volid
        .clone()
}

#[tokio::test]
async fn create_then_every_power_action() {
    let sim = start().await;
    let c = password_client(&sim);
    let node = "pve2";
    let vmid = c.next_id().await.unwrap();
    let template = a_template(&c, node).await;
    let create = LxcCreate::new(vmid, &template)
        .hostname("conf-ct")
        .storage("local-lvm")
        .rootfs("local-lvm:4")
        .memory_mib(768)
        .cores(2)
        .net(0, "name=eth0,bridge=vmbr0,ip=dhcp")
        .unprivileged(true)
        .features("nesting=1");
    let upid = c.lxc_create(node, &create).await.unwrap();
    assert_eq!(upid.kind(), "vzcreate");
    assert_eq!(upid.vmid(), Some(vmid));
    assert_eq!(upid.node(), node);
    assert_eq!(
        upid.user(),
        sim.info.user,
        "ticket sessions run tasks as the user"
    );
    wait_ok(&c, &upid).await;

    let listed = c.lxc_list(node).await.unwrap();
    let ct = listed
        .iter()
        .find(|g| g.vmid == vmid)
        .expect("new CT listed");
    assert_eq!(ct.name.as_deref(), Some("conf-ct"));
    assert_eq!(ct.status, "stopped");
    let cfg = c.lxc_config(node, vmid).await.unwrap();
    assert_eq!(cfg.memory, Some(768));
    assert_eq!(cfg.cores, Some(2));
    assert_eq!(cfg.unprivileged, Some(true));
    assert!(cfg.rootfs.as_deref().unwrap().starts_with("local-lvm:"));
    assert!(!c.vmid_is_free(vmid).await.unwrap());

    let up = c.lxc_start(node, vmid).await.unwrap();
    assert_eq!(up.kind(), "vzstart");
    wait_ok(&c, &up).await;
    let st = status(&c, node, vmid).await;
    assert!(st.is_running(), "{st:?}");
    // Proxmox's synchronous check before the worker forks.
    let again = c.lxc_start(node, vmid).await.unwrap_err();
    assert_eq!(again.to_string(), format!("CT {vmid} already running"));

    let up = c.lxc_suspend(node, vmid).await.unwrap();
    assert_eq!(up.kind(), "vzsuspend");
    wait_ok(&c, &up).await;
    let up = c.lxc_resume(node, vmid).await.unwrap();
    assert_eq!(up.kind(), "vzresume");
    wait_ok(&c, &up).await;
    assert!(status(&c, node, vmid).await.is_running());

    let up = c.lxc_reboot(node, vmid).await.unwrap();
    assert_eq!(up.kind(), "vzreboot");
    wait_ok(&c, &up).await;
    assert!(
        status(&c, node, vmid).await.is_running(),
        "back up after reboot"
    );

    let up = c.lxc_shutdown(node, vmid).await.unwrap();
    assert_eq!(up.kind(), "vzshutdown");
    wait_ok(&c, &up).await;
    assert_eq!(status(&c, node, vmid).await.status, "stopped");
    let not = c.lxc_stop(node, vmid).await.unwrap_err();
    assert_eq!(not.to_string(), format!("CT {vmid} not running"));

    wait_ok(
        &c,
        &c.lxc_power(node, vmid, PowerAction::Start).await.unwrap(),
    )
    .await;
    let up = c.lxc_stop(node, vmid).await.unwrap();
    assert_eq!(up.kind(), "vzstop");
    wait_ok(&c, &up).await;
    assert_eq!(status(&c, node, vmid).await.status, "stopped");
    finish(sim).await;
}

#[tokio::test]
async fn clone_snapshots_and_delete() {
    let sim = start().await;
    let c = token_client(&sim);
    let (node, src) = find_guest(&c, "lxc", "stopped").await;

    // Clone (full, with a new hostname) onto the same node.
    let newid = c.next_id().await.unwrap();
    let upid = c
        .lxc_clone(
            &node,
            src,
            &CloneOptions {
                newid,
                hostname: Some("conf-clone".into()),
                full: Some(true),
                storage: Some("local-lvm".into()),
                ..CloneOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(upid.kind(), "vzclone");
    wait_ok(&c, &upid).await;
    let src_cfg = c.lxc_config(&node, src).await.unwrap();
    let clone_cfg = c.lxc_config(&node, newid).await.unwrap();
    assert_eq!(clone_cfg.hostname.as_deref(), Some("conf-clone"));
    assert_eq!(
        clone_cfg.memory, src_cfg.memory,
        "the clone copies the config"
    );
    assert_eq!(clone_cfg.ostype, src_cfg.ostype);

    // Snapshot, change the config, roll back: the old value returns.
    let mem = clone_cfg.memory.unwrap();
    let up = c
        .lxc_snapshot_create(&node, newid, "before", Some("conformance"))
        .await
        .unwrap();
    assert_eq!(up.kind(), "vzsnapshot");
    wait_ok(&c, &up).await;
    let snaps = c.lxc_snapshots(&node, newid).await.unwrap();
    let before = snaps.iter().find(|s| s.name == "before").expect("listed");
    assert_eq!(
        before.description.as_deref().map(str::trim_end),
        Some("conformance")
    );
    assert!(before.snaptime.is_some());
    let current = snaps
        .iter()
        .find(|s| s.is_current())
        .expect("current entry");
    assert_eq!(current.parent.as_deref(), Some("before"));

    c.lxc_set_config(&node, newid, &Params::new().set("memory", mem * 2))
        .await
        .unwrap();
    assert_eq!(
        c.lxc_config(&node, newid).await.unwrap().memory,
        Some(mem * 2)
    );
    let up = c
        .lxc_snapshot_rollback(&node, newid, "before", false)
        .await
        .unwrap();
    assert_eq!(up.kind(), "vzrollback");
    wait_ok(&c, &up).await;
    assert_eq!(c.lxc_config(&node, newid).await.unwrap().memory, Some(mem));

    let missing = c
        .lxc_snapshot_rollback(&node, newid, "nope", false)
        .await
        .unwrap_err();
    assert_eq!(missing.to_string(), "snapshot 'nope' does not exist");
    let up = c
        .lxc_snapshot_delete(&node, newid, "before", false)
        .await
        .unwrap();
    assert_eq!(up.kind(), "vzdelsnapshot");
    wait_ok(&c, &up).await;
    let snaps = c.lxc_snapshots(&node, newid).await.unwrap();
    assert!(snaps.iter().all(|s| s.name != "before"), "{snaps:?}");

    // A running container cannot be destroyed: Proxmox's own text.
    wait_ok(&c, &c.lxc_start(&node, newid).await.unwrap()).await;
    let err = c
        .lxc_delete(&node, newid, DeleteOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, PveError::Http { status: 500, .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("unable to destroy CT {newid} - container is running")
    );
    wait_ok(&c, &c.lxc_stop(&node, newid).await.unwrap()).await;
    let up = c
        .lxc_delete(
            &node,
            newid,
            DeleteOptions {
                purge: true,
                force: false,
                destroy_unreferenced_disks: Some(true),
            },
        )
        .await
        .unwrap();
    assert_eq!(up.kind(), "vzdestroy");
    wait_ok(&c, &up).await;
    assert!(
        c.lxc_list(&node)
            .await
            .unwrap()
            .iter()
            .all(|g| g.vmid != newid)
    );
    assert!(c.vmid_is_free(newid).await.unwrap());
    let gone = c.lxc_status(&node, newid).await.unwrap_err();
    assert!(gone.to_string().contains("does not exist"), "{gone}");
    finish(sim).await;
}

#[tokio::test]
async fn qemu_power_cycle() {
    let sim = start().await;
    let c = token_client(&sim);
    let (node, vm) = find_guest(&c, "qemu", "running").await;

    let up = c.qemu_power(&node, vm, PowerAction::Suspend).await.unwrap();
    assert_eq!(up.kind(), "qmsuspend");
    wait_ok(&c, &up).await;
    assert_eq!(
        c.qemu_status(&node, vm).await.unwrap().qmpstatus.as_deref(),
        Some("paused")
    );
    wait_ok(
        &c,
        &c.qemu_power(&node, vm, PowerAction::Resume).await.unwrap(),
    )
    .await;
    assert_eq!(
        c.qemu_status(&node, vm).await.unwrap().qmpstatus.as_deref(),
        Some("running")
    );
    let up = c.qemu_power(&node, vm, PowerAction::Stop).await.unwrap();
    assert_eq!(up.kind(), "qmstop");
    wait_ok(&c, &up).await;
    assert_eq!(c.qemu_status(&node, vm).await.unwrap().status, "stopped");
    let err = c
        .qemu_power(&node, vm, PowerAction::Shutdown)
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), format!("VM {vm} not running"));
    wait_ok(
        &c,
        &c.qemu_power(&node, vm, PowerAction::Start).await.unwrap(),
    )
    .await;
    let listed = c.qemu_list(&node).await.unwrap();
    assert!(listed.iter().find(|g| g.vmid == vm).unwrap().is_running());
    let res = c.cluster_resources(Some(ResourceFilter::Vm)).await.unwrap();
    let r = res.iter().find(|r| r.vmid == Some(vm)).unwrap();
    assert_eq!(r.status.as_deref(), Some("running"));
    finish(sim).await;
}

#[tokio::test]
async fn power_with_parameters_and_a_failing_task() {
    let sim = start().await;
    let c = token_client(&sim);
    let (node, ct) = find_guest(&c, "lxc", "running").await;
    // `timeout=0` without `forceStop`: the shutdown task fails, the container keeps running.
    let upid = c
        .lxc_power_with(
            &node,
            ct,
            PowerAction::Shutdown,
            &Params::new().set("timeout", 0),
        )
        .await
        .unwrap();
    let err = tokio::time::timeout(
        TASK_WAIT,
        c.wait_task(&upid, std::time::Duration::from_millis(5)),
    )
    .await
    .unwrap()
    .unwrap_err();
    match &err {
        PveError::TaskFailed { exitstatus, .. } => {
            assert_eq!(exitstatus, "shutdown timed out after 0 seconds")
        }
        other => panic!("expected TaskFailed, got {other:?}"),
    }
    let log = c.task_log(&upid, 0, 0).await.unwrap();
    assert_eq!(
        log.lines.last().unwrap().t,
        "TASK ERROR: shutdown timed out after 0 seconds"
    );
    assert!(status(&c, &node, ct).await.is_running());
    // With `forceStop=1` the same call stops it.
    let upid = c
        .lxc_power_with(
            &node,
            ct,
            PowerAction::Shutdown,
            &Params::new().set("timeout", 0).flag("forceStop", true),
        )
        .await
        .unwrap();
    wait_ok(&c, &upid).await;
    assert_eq!(status(&c, &node, ct).await.status, "stopped");
    finish(sim).await;
}
