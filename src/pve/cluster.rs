//! Cluster- and node-level endpoints: version, nodes, node status, cluster status,
//! `/cluster/resources` (decoded by `resources::parse_resources`), next free vmid, and RRD
//! graphs.

use serde::Deserialize;

use super::client::{PveClient, seg};
use super::error::{PveError, Result};
use super::params::Params;
use super::resources::parse_resources;
use super::types::{
    Cf, ClusterResource, ClusterStatusEntry, NodeEntry, NodeStatus, ResourceFilter, RrdPoint,
    Timeframe, Version,
};

/// `nextid` arrives as a string (`"101"`) although it is an integer.
#[derive(Deserialize)]
#[serde(transparent)]
struct NextId(#[serde(deserialize_with = "super::lenient::u32_required")] u32);

impl PveClient {
    /// `GET /version`.
    pub async fn version(&self) -> Result<Version> {
        self.get("/version", &Params::new()).await
    }

    /// `GET /nodes`.
    pub async fn nodes(&self) -> Result<Vec<NodeEntry>> {
        self.get("/nodes", &Params::new()).await
    }

    /// `GET /nodes/{node}/status`.
    pub async fn node_status(&self, node: &str) -> Result<NodeStatus> {
        self.get(&format!("/nodes/{}/status", seg(node)), &Params::new())
            .await
    }

    /// `GET /cluster/status`.
    pub async fn cluster_status(&self) -> Result<Vec<ClusterStatusEntry>> {
        self.get("/cluster/status", &Params::new()).await
    }

    /// `GET /cluster/resources[?type=...]`.
    pub async fn cluster_resources(
        &self,
        filter: Option<ResourceFilter>,
    ) -> Result<Vec<ClusterResource>> {
        let params = Params::new().opt("type", filter.map(ResourceFilter::as_str));
        let body = self
            .execute(reqwest::Method::GET, "/cluster/resources", &params)
            .await?;
        parse_resources(&body)
    }

    /// `GET /cluster/resources`, the body as it arrived (decompressed), not decoded: the
    /// refresher compares it with the last one before paying for a decode.
    pub async fn cluster_resources_body(&self) -> Result<bytes::Bytes> {
        self.execute(reqwest::Method::GET, "/cluster/resources", &Params::new())
            .await
    }

    /// `GET /cluster/nextid`: the next free vmid.
    pub async fn next_id(&self) -> Result<u32> {
        let id: NextId = self.get("/cluster/nextid", &Params::new()).await?;
        Ok(id.0)
    }

    /// `GET /cluster/nextid?vmid=N`: `Ok(true)` if N is free. Proxmox answers a taken id
    /// with 400 `{"vmid":"VM N already exists"}`, mapped here to `Ok(false)`.
    pub async fn vmid_is_free(&self, vmid: u32) -> Result<bool> {
        match self
            .get::<NextId>("/cluster/nextid", &Params::new().set("vmid", vmid))
            .await
        {
            Ok(_) => Ok(true),
            Err(PveError::BadRequest { errors, .. }) if errors.contains_key("vmid") => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `GET /nodes/{node}/rrddata?timeframe=...&cf=...`.
    pub async fn node_rrddata(
        &self,
        node: &str,
        timeframe: Timeframe,
        cf: Option<Cf>,
    ) -> Result<Vec<RrdPoint>> {
        self.rrddata(&format!("/nodes/{}", seg(node)), timeframe, cf)
            .await
    }

    /// `GET /nodes/{node}/lxc/{vmid}/rrddata?timeframe=...&cf=...`.
    pub async fn lxc_rrddata(
        &self,
        node: &str,
        vmid: u32,
        timeframe: Timeframe,
        cf: Option<Cf>,
    ) -> Result<Vec<RrdPoint>> {
        self.rrddata(&format!("/nodes/{}/lxc/{vmid}", seg(node)), timeframe, cf)
            .await
    }

    /// `GET /nodes/{node}/qemu/{vmid}/rrddata?timeframe=...&cf=...`.
    pub async fn qemu_rrddata(
        &self,
        node: &str,
        vmid: u32,
        timeframe: Timeframe,
        cf: Option<Cf>,
    ) -> Result<Vec<RrdPoint>> {
        self.rrddata(&format!("/nodes/{}/qemu/{vmid}", seg(node)), timeframe, cf)
            .await
    }

    /// The three rrddata endpoints share their parameters and answer shape.
    async fn rrddata(
        &self,
        base: &str,
        timeframe: Timeframe,
        cf: Option<Cf>,
    ) -> Result<Vec<RrdPoint>> {
        let params = Params::new()
            .set("timeframe", timeframe.as_str())
            .opt("cf", cf.map(Cf::as_str));
        self.get(&format!("{base}/rrddata"), &params).await
    }
}
