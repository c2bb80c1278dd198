//! LXC container endpoints (`/nodes/{node}/lxc/...`): list, status, config, interfaces,
//! create/restore (one builder; restore is `POST /nodes/{node}/lxc` with `restore=1`),
//! delete (params in the query string: Proxmox refuses a DELETE body with 501), power
//! actions, clone and snapshots. Asynchronous calls return the task's [`Upid`].

use super::client::{PveClient, seg};
use super::error::Result;
use super::guest_types::{GuestStatus, LxcConfig, LxcInterface, Snapshot};
use super::params::Params;
use super::upid::Upid;

/// A power action on a guest (`POST .../status/<action>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerAction {
    Start,
    /// Hard stop.
    Stop,
    /// Clean shutdown (`timeout`, then fails unless `forceStop`).
    Shutdown,
    Reboot,
    Suspend,
    Resume,
}

impl PowerAction {
    /// The path segment (`start`, `stop`...).
    pub fn as_str(self) -> &'static str {
        match self {
            PowerAction::Start => "start",
            PowerAction::Stop => "stop",
            PowerAction::Shutdown => "shutdown",
            PowerAction::Reboot => "reboot",
            PowerAction::Suspend => "suspend",
            PowerAction::Resume => "resume",
        }
    }
}

/// Parameters of `POST /nodes/{node}/lxc` (create, or restore with [`LxcCreate::restore`]).
///
/// ```
/// use proximity::pve::LxcCreate;
/// let p = LxcCreate::new(105, "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst")
///     .hostname("web")
///     .storage("local-lvm")
///     .rootfs("local-lvm:8")
///     .memory_mib(1024)
///     .cores(2)
///     .net(0, "name=eth0,bridge=vmbr0,ip=dhcp")
///     .features("nesting=1")
///     .unprivileged(true);
/// assert_eq!(p.params().get("unprivileged"), Some("1"));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LxcCreate {
    params: Params,
}

impl LxcCreate {
    /// A new container `vmid` from `ostemplate` (a volid such as `local:vztmpl/<file>`).
    pub fn new(vmid: u32, ostemplate: &str) -> LxcCreate {
        LxcCreate {
            params: Params::new()
                .set("vmid", vmid)
                .set("ostemplate", ostemplate),
        }
    }

    /// Restore container `vmid` from a backup archive volid
    /// (`local:backup/vzdump-lxc-100-....tar.zst`).
    pub fn restore(vmid: u32, archive: &str) -> LxcCreate {
        LxcCreate {
            params: Params::new()
                .set("vmid", vmid)
                .set("ostemplate", archive)
                .flag("restore", true),
        }
    }

    fn with(mut self, key: &str, value: impl ToString) -> LxcCreate {
        self.params.push(key, value);
        self
    }

    /// `hostname`
    pub fn hostname(self, v: &str) -> LxcCreate {
        self.with("hostname", v)
    }
    /// `storage`: default storage for the root disk.
    pub fn storage(self, v: &str) -> LxcCreate {
        self.with("storage", v)
    }
    /// `rootfs`, e.g. `local-lvm:8` (8 GiB).
    pub fn rootfs(self, v: &str) -> LxcCreate {
        self.with("rootfs", v)
    }
    /// `memory` in MiB.
    pub fn memory_mib(self, v: u64) -> LxcCreate {
        self.with("memory", v)
    }
    /// `swap` in MiB.
    pub fn swap_mib(self, v: u64) -> LxcCreate {
        self.with("swap", v)
    }
    /// `cores`
    pub fn cores(self, v: u32) -> LxcCreate {
        self.with("cores", v)
    }
    /// `net<N>`, e.g. `name=eth0,bridge=vmbr0,ip=dhcp`.
    pub fn net(self, index: u32, v: &str) -> LxcCreate {
        self.with(&format!("net{index}"), v)
    }
    /// `password` for root inside the container.
    pub fn password(self, v: &str) -> LxcCreate {
        self.with("password", v)
    }
    /// `ssh-public-keys` (one key per line).
    pub fn ssh_public_keys(self, v: &str) -> LxcCreate {
        self.with("ssh-public-keys", v)
    }
    /// `unprivileged`
    pub fn unprivileged(mut self, v: bool) -> LxcCreate {
        self.params = self.params.flag("unprivileged", v);
        self
    }
    /// `features`, e.g. `nesting=1,keyctl=1`.
    pub fn features(self, v: &str) -> LxcCreate {
        self.with("features", v)
    }
    /// `start` after creation.
    pub fn start(mut self, v: bool) -> LxcCreate {
        self.params = self.params.flag("start", v);
        self
    }
    /// `onboot`
    pub fn onboot(mut self, v: bool) -> LxcCreate {
        self.params = self.params.flag("onboot", v);
        self
    }
    /// `description` (notes).
    pub fn description(self, v: &str) -> LxcCreate {
        self.with("description", v)
    }
    /// `tags`, `;`-separated.
    pub fn tags(self, v: &str) -> LxcCreate {
        self.with("tags", v)
    }
    /// `pool`
    pub fn pool(self, v: &str) -> LxcCreate {
        self.with("pool", v)
    }
    /// `force`: overwrite an existing container (restore).
    pub fn force(mut self, v: bool) -> LxcCreate {
        self.params = self.params.flag("force", v);
        self
    }
    /// `unique`: new MAC addresses on restore.
    pub fn unique(mut self, v: bool) -> LxcCreate {
        self.params = self.params.flag("unique", v);
        self
    }
    /// Any other create parameter (`nameserver`, `mp0`, `cmode`...).
    pub fn extra(self, key: &str, value: &str) -> LxcCreate {
        self.with(key, value)
    }
    /// The parameters as they will be sent.
    pub fn params(&self) -> &Params {
        &self.params
    }
}

/// Options of `DELETE /nodes/{node}/lxc/{vmid}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeleteOptions {
    /// `purge`: also remove from backup jobs, replication, HA and ACLs.
    pub purge: bool,
    /// `force`: destroy even if running.
    pub force: bool,
    /// `destroy-unreferenced-disks`
    pub destroy_unreferenced_disks: Option<bool>,
}

/// Options of `POST /nodes/{node}/lxc/{vmid}/clone`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CloneOptions {
    pub newid: u32,
    pub hostname: Option<String>,
    pub description: Option<String>,
    /// Full copy instead of a linked clone (linked clones need a template).
    pub full: Option<bool>,
    pub storage: Option<String>,
    /// Target node.
    pub target: Option<String>,
    pub snapname: Option<String>,
    pub pool: Option<String>,
}

impl PveClient {
    /// `GET /nodes/{node}/lxc`.
    pub async fn lxc_list(&self, node: &str) -> Result<Vec<GuestStatus>> {
        self.get(&format!("/nodes/{}/lxc", seg(node)), &Params::new())
            .await
    }

    /// `GET /nodes/{node}/lxc/{vmid}/status/current`.
    pub async fn lxc_status(&self, node: &str, vmid: u32) -> Result<GuestStatus> {
        self.get(
            &format!("/nodes/{}/lxc/{vmid}/status/current", seg(node)),
            &Params::new(),
        )
        .await
    }

    /// `GET /nodes/{node}/lxc/{vmid}/config` (current values, not pending).
    pub async fn lxc_config(&self, node: &str, vmid: u32) -> Result<LxcConfig> {
        self.get(
            &format!("/nodes/{}/lxc/{vmid}/config", seg(node)),
            &Params::new(),
        )
        .await
    }

    /// `PUT /nodes/{node}/lxc/{vmid}/config`: set keys (`Params::set("memory", 2048)`),
    /// remove keys (`delete=mp0,tags`), optionally guarded by `digest`. Synchronous.
    pub async fn lxc_set_config(&self, node: &str, vmid: u32, changes: &Params) -> Result<()> {
        let _: Option<serde_json::Value> = self
            .put(&format!("/nodes/{}/lxc/{vmid}/config", seg(node)), changes)
            .await?;
        Ok(())
    }

    /// `GET /nodes/{node}/lxc/{vmid}/interfaces` (running containers).
    pub async fn lxc_interfaces(&self, node: &str, vmid: u32) -> Result<Vec<LxcInterface>> {
        let list: Option<Vec<LxcInterface>> = self
            .get(
                &format!("/nodes/{}/lxc/{vmid}/interfaces", seg(node)),
                &Params::new(),
            )
            .await?;
        Ok(list.unwrap_or_default())
    }

    /// `POST /nodes/{node}/lxc`: create or restore a container.
    pub async fn lxc_create(&self, node: &str, create: &LxcCreate) -> Result<Upid> {
        self.post(&format!("/nodes/{}/lxc", seg(node)), create.params())
            .await
    }

    /// `DELETE /nodes/{node}/lxc/{vmid}?purge=1&force=1...`.
    pub async fn lxc_delete(&self, node: &str, vmid: u32, opts: DeleteOptions) -> Result<Upid> {
        let mut params = Params::new();
        if opts.purge {
            params = params.flag("purge", true);
        }
        if opts.force {
            params = params.flag("force", true);
        }
        params = params.opt_flag(
            "destroy-unreferenced-disks",
            opts.destroy_unreferenced_disks,
        );
        self.delete(&format!("/nodes/{}/lxc/{vmid}", seg(node)), &params)
            .await
    }

    /// `POST /nodes/{node}/lxc/{vmid}/status/{action}` with no extra parameters.
    pub async fn lxc_power(&self, node: &str, vmid: u32, action: PowerAction) -> Result<Upid> {
        self.lxc_power_with(node, vmid, action, &Params::new())
            .await
    }

    /// A power action with extra parameters (`timeout`, `forceStop`, `skiplock`...).
    pub async fn lxc_power_with(
        &self,
        node: &str,
        vmid: u32,
        action: PowerAction,
        params: &Params,
    ) -> Result<Upid> {
        self.post(
            &format!("/nodes/{}/lxc/{vmid}/status/{}", seg(node), action.as_str()),
            params,
        )
        .await
    }

    /// Start a container.
    pub async fn lxc_start(&self, node: &str, vmid: u32) -> Result<Upid> {
        self.lxc_power(node, vmid, PowerAction::Start).await
    }
    /// Stop (hard) a container.
    pub async fn lxc_stop(&self, node: &str, vmid: u32) -> Result<Upid> {
        self.lxc_power(node, vmid, PowerAction::Stop).await
    }
    /// Shut a container down cleanly.
    pub async fn lxc_shutdown(&self, node: &str, vmid: u32) -> Result<Upid> {
        self.lxc_power(node, vmid, PowerAction::Shutdown).await
    }
    /// Reboot a container.
    pub async fn lxc_reboot(&self, node: &str, vmid: u32) -> Result<Upid> {
        self.lxc_power(node, vmid, PowerAction::Reboot).await
    }
    /// Freeze a container.
    pub async fn lxc_suspend(&self, node: &str, vmid: u32) -> Result<Upid> {
        self.lxc_power(node, vmid, PowerAction::Suspend).await
    }
    /// Thaw a container.
    pub async fn lxc_resume(&self, node: &str, vmid: u32) -> Result<Upid> {
        self.lxc_power(node, vmid, PowerAction::Resume).await
    }

    /// `POST /nodes/{node}/lxc/{vmid}/clone`.
    pub async fn lxc_clone(&self, node: &str, vmid: u32, opts: &CloneOptions) -> Result<Upid> {
        let params = Params::new()
            .set("newid", opts.newid)
            .opt("hostname", opts.hostname.as_deref())
            .opt("description", opts.description.as_deref())
            .opt_flag("full", opts.full)
            .opt("storage", opts.storage.as_deref())
            .opt("target", opts.target.as_deref())
            .opt("snapname", opts.snapname.as_deref())
            .opt("pool", opts.pool.as_deref());
        self.post(&format!("/nodes/{}/lxc/{vmid}/clone", seg(node)), &params)
            .await
    }

    /// `GET /nodes/{node}/lxc/{vmid}/snapshot` (includes the `current` pseudo-entry).
    pub async fn lxc_snapshots(&self, node: &str, vmid: u32) -> Result<Vec<Snapshot>> {
        self.get(
            &format!("/nodes/{}/lxc/{vmid}/snapshot", seg(node)),
            &Params::new(),
        )
        .await
    }

    /// `POST /nodes/{node}/lxc/{vmid}/snapshot` (`snapname`, `description`).
    pub async fn lxc_snapshot_create(
        &self,
        node: &str,
        vmid: u32,
        snapname: &str,
        description: Option<&str>,
    ) -> Result<Upid> {
        let params = Params::new()
            .set("snapname", snapname)
            .opt("description", description);
        self.post(
            &format!("/nodes/{}/lxc/{vmid}/snapshot", seg(node)),
            &params,
        )
        .await
    }

    /// `DELETE /nodes/{node}/lxc/{vmid}/snapshot/{snapname}[?force=1]`.
    pub async fn lxc_snapshot_delete(
        &self,
        node: &str,
        vmid: u32,
        snapname: &str,
        force: bool,
    ) -> Result<Upid> {
        let params = if force {
            Params::new().flag("force", true)
        } else {
            Params::new()
        };
        self.delete(
            &format!("/nodes/{}/lxc/{vmid}/snapshot/{}", seg(node), seg(snapname)),
            &params,
        )
        .await
    }

    /// `POST /nodes/{node}/lxc/{vmid}/snapshot/{snapname}/rollback[?start=1]`.
    pub async fn lxc_snapshot_rollback(
        &self,
        node: &str,
        vmid: u32,
        snapname: &str,
        start: bool,
    ) -> Result<Upid> {
        let params = if start {
            Params::new().flag("start", true)
        } else {
            Params::new()
        };
        self.post(
            &format!(
                "/nodes/{}/lxc/{vmid}/snapshot/{}/rollback",
                seg(node),
                seg(snapname)
            ),
            &params,
        )
        .await
    }

    /// `GET /nodes/{node}/qemu` (the rack shows VMs too).
    pub async fn qemu_list(&self, node: &str) -> Result<Vec<GuestStatus>> {
        self.get(&format!("/nodes/{}/qemu", seg(node)), &Params::new())
            .await
    }

    /// `POST /nodes/{node}/qemu/{vmid}/status/{action}` (same actions as LXC).
    pub async fn qemu_power(&self, node: &str, vmid: u32, action: PowerAction) -> Result<Upid> {
        self.post(
            &format!(
                "/nodes/{}/qemu/{vmid}/status/{}",
                seg(node),
                action.as_str()
            ),
            &Params::new(),
        )
        .await
    }

    /// `GET /nodes/{node}/qemu/{vmid}/status/current`.
    pub async fn qemu_status(&self, node: &str, vmid: u32) -> Result<GuestStatus> {
        self.get(
            &format!("/nodes/{}/qemu/{vmid}/status/current", seg(node)),
            &Params::new(),
        )
        .await
    }

    /// `POST /nodes/{node}/qemu` with `archive`: restore VM `vmid` from a backup volid
    /// (`local:backup/vzdump-qemu-100-....vma.zst`), a `qmrestore` task. `force` replaces
    /// an existing VM of that vmid (Proxmox refuses a running one). The disks go to the
    /// storages the backed-up config names (no `storage`).
    pub async fn qemu_restore(
        &self,
        node: &str,
        vmid: u32,
        archive: &str,
        force: bool,
    ) -> Result<Upid> {
        let mut params = Params::new().set("vmid", vmid).set("archive", archive);
        if force {
            params = params.flag("force", true);
        }
        self.post(&format!("/nodes/{}/qemu", seg(node)), &params)
            .await
    }
}
