//! Storage, templates and backups: storage list and content, the appliance index
//! (`aplinfo`) and template download, and `vzdump` backups (restore is
//! `LxcCreate::restore`).

use serde::{Deserialize, Serialize};

use super::client::{PveClient, seg};
use super::error::Result;
use super::params::Params;
use super::upid::Upid;

/// One entry of `GET /nodes/{node}/storage`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StorageEntry {
    pub storage: String,
    /// Plugin type: `dir`, `lvmthin`, `zfspool`, `nfs`...
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Comma list: `iso,vztmpl,backup`.
    #[serde(default)]
    pub content: String,
    #[serde(default, deserialize_with = "super::lenient::bool_or_false")]
    pub active: bool,
    #[serde(default, deserialize_with = "super::lenient::bool_or_false")]
    pub enabled: bool,
    #[serde(default, deserialize_with = "super::lenient::bool_or_false")]
    pub shared: bool,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub total: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub used: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub avail: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_f64")]
    pub used_fraction: Option<f64>,
}

impl StorageEntry {
    /// True if the storage holds `kind` content (`vztmpl`, `backup`, `rootdir`...).
    pub fn supports(&self, kind: &str) -> bool {
        self.content.split(',').any(|c| c.trim() == kind)
    }
}

/// One volume of `GET /nodes/{node}/storage/{storage}/content`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StorageContent {
    /// `local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst`
    pub volid: String,
    /// `vztmpl`, `backup`, `iso`, `images`, `rootdir`...
    #[serde(default)]
    pub content: String,
    /// `tzst`, `tar.zst`, `raw`...
    #[serde(default)]
    pub format: String,
    #[serde(default, deserialize_with = "super::lenient::u64_or_zero")]
    pub size: u64,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub ctime: Option<u64>,
    #[serde(default, deserialize_with = "super::lenient::opt_u32")]
    pub vmid: Option<u32>,
    /// Backups: `lxc` or `qemu`.
    #[serde(default)]
    pub subtype: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default, deserialize_with = "super::lenient::opt_bool")]
    pub protected: Option<bool>,
    #[serde(default, deserialize_with = "super::lenient::opt_u64")]
    pub used: Option<u64>,
}

/// One appliance of `GET /nodes/{node}/aplinfo`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Appliance {
    /// File name, the key for download: `debian-12-standard_12.7-1_amd64.tar.zst`.
    pub template: String,
    #[serde(default)]
    pub package: String,
    #[serde(default)]
    pub version: String,
    /// `lxc`
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub os: String,
    /// `system`, `turnkeylinux`...
    #[serde(default)]
    pub section: String,
    #[serde(default)]
    pub headline: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub infopage: Option<String>,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub sha512sum: Option<String>,
    #[serde(default)]
    pub md5sum: Option<String>,
    #[serde(default)]
    pub architecture: Option<String>,
    #[serde(default)]
    pub maintainer: Option<String>,
}

/// `vzdump` mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupMode {
    Snapshot,
    Suspend,
    Stop,
}

impl BackupMode {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            BackupMode::Snapshot => "snapshot",
            BackupMode::Suspend => "suspend",
            BackupMode::Stop => "stop",
        }
    }
}

/// Parameters of `POST /nodes/{node}/vzdump`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vzdump {
    /// Guests to back up (sent as a comma list).
    pub vmids: Vec<u32>,
    pub storage: Option<String>,
    pub mode: Option<BackupMode>,
    /// `0`, `1`, `gzip`, `lzo` or `zstd`.
    pub compress: Option<String>,
    /// Remove old backups beyond the storage's retention.
    pub remove: Option<bool>,
    /// Requires `storage`.
    pub notes_template: Option<String>,
    pub protected: Option<bool>,
}

impl Vzdump {
    fn params(&self) -> Params {
        let vmids: Vec<String> = self.vmids.iter().map(u32::to_string).collect();
        Params::new()
            .set("vmid", vmids.join(","))
            .opt("storage", self.storage.as_deref())
            .opt("mode", self.mode.map(BackupMode::as_str))
            .opt("compress", self.compress.as_deref())
            .opt_flag("remove", self.remove)
            .opt("notes-template", self.notes_template.as_deref())
            .opt_flag("protected", self.protected)
    }
}

impl PveClient {
    /// `GET /nodes/{node}/storage[?content=...]`.
    pub async fn storage_list(
        &self,
        node: &str,
        content: Option<&str>,
    ) -> Result<Vec<StorageEntry>> {
        self.get(
            &format!("/nodes/{}/storage", seg(node)),
            &Params::new().opt("content", content),
        )
        .await
    }

    /// `GET /nodes/{node}/storage/{storage}/content[?content=...][&vmid=...]`.
    pub async fn storage_content(
        &self,
        node: &str,
        storage: &str,
        content: Option<&str>,
        vmid: Option<u32>,
    ) -> Result<Vec<StorageContent>> {
        self.get(
            &format!("/nodes/{}/storage/{}/content", seg(node), seg(storage)),
            &Params::new().opt("content", content).opt("vmid", vmid),
        )
        .await
    }

    /// `GET /nodes/{node}/aplinfo`: the downloadable appliance templates.
    pub async fn aplinfo(&self, node: &str) -> Result<Vec<Appliance>> {
        self.get(&format!("/nodes/{}/aplinfo", seg(node)), &Params::new())
            .await
    }

    /// `POST /nodes/{node}/aplinfo`: download `template` (an `Appliance::template` file
    /// name) into `storage`. Returns the `download` task.
    pub async fn download_template(
        &self,
        node: &str,
        storage: &str,
        template: &str,
    ) -> Result<Upid> {
        self.post(
            &format!("/nodes/{}/aplinfo", seg(node)),
            &Params::new()
                .set("storage", storage)
                .set("template", template),
        )
        .await
    }

    /// `POST /nodes/{node}/vzdump`: back up guests. Returns the `vzdump` task.
    pub async fn vzdump(&self, node: &str, backup: &Vzdump) -> Result<Upid> {
        self.post(&format!("/nodes/{}/vzdump", seg(node)), &backup.params())
            .await
    }
}
