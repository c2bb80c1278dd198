//! The deploy wizard's values and their checks, apart from pages and keys: the name, the
//! target (automatic or a chosen node), the resources, the variables and the switches, each
//! validated as typed with the engine's own rules (`deploy::request`, `deploy::place`), and
//! the `DeployRequest` they make. What the UI knows of the cluster (names on the rack, nodes
//! with their free capacity) is copied in when the wizard opens.

use std::collections::{BTreeMap, BTreeSet};

use ratatui_textarea::{CursorMove, Input, Key, TextArea};

use crate::catalog::{AppSpec, Resources};
use crate::deploy::place::{NodeCandidate, PlaceError, Placement, place};
use crate::deploy::request::{check_resources, default_name, validate_name};
use crate::deploy::{DeployRefusal, DeployRequest};
use crate::inventory::Inventory;

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;

/// One node the user may choose, with what is free on it as of the last refresh.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeChoice {
    pub host: String,
    pub node: String,
    pub online: bool,
    pub mem_free_bytes: u64,
    pub disk_free_bytes: u64,
    pub cores: u32,
}

impl NodeChoice {
    fn candidate(&self) -> NodeCandidate {
        NodeCandidate {
            host: self.host.clone(),
            node: self.node.clone(),
            online: self.online,
            mem_free_bytes: self.mem_free_bytes,
            disk_free_bytes: self.disk_free_bytes,
            cores: self.cores,
            // The UI does not know the nodes' template caches: the engine may still
            // prefer a node with the template cached.
            template_cached: false,
        }
    }
}

/// The three resource fields, in order.
pub const RESOURCE_LABELS: [&str; 3] = ["Cores", "Memory MiB", "Disk GiB"];

#[derive(Debug, Clone)]
pub struct DeployForm {
    pub app: AppSpec,
    /// Guest names on the rack (a new name must not be one of them).
    pub taken: BTreeSet<String>,
    pub nodes: Vec<NodeChoice>,
    pub name: TextArea<'static>,
    /// 0: automatic; `i + 1`: `nodes[i]`.
    pub target: usize,
    /// Cores, memory MiB, disk GiB.
    pub resources: [TextArea<'static>; 3],
    /// One per `app.env`, in order.
    pub env: Vec<TextArea<'static>>,
    /// Secrets shown in clear (Ctrl-R).
    pub reveal: bool,
    pub backups: bool,
    pub keep_on_failure: bool,
}

fn field(value: &str) -> TextArea<'static> {
    let mut t = TextArea::new(vec![crate::text::clean_string(value)]);
    t.set_cursor_line_style(ratatui::style::Style::default());
    t.move_cursor(CursorMove::End);
    t
}

/// The nodes of `inventory`, host by host, with free memory, disk and cores.
pub fn node_choices(inventory: &Inventory) -> Vec<NodeChoice> {
    inventory
        .hosts
        .iter()
        .flat_map(|h| {
            h.nodes.iter().map(|n| NodeChoice {
                host: h.name.clone(),
                node: n.name.clone(),
                online: n.online,
                mem_free_bytes: n.maxmem.saturating_sub(n.mem),
                disk_free_bytes: n.maxdisk.saturating_sub(n.disk),
                cores: n.maxcpu.max(0.0).round() as u32,
            })
        })
        .collect()
}

/// Every guest name on the rack.
pub fn taken_names(inventory: &Inventory) -> BTreeSet<String> {
    inventory
        .hosts
        .iter()
        .flat_map(|h| h.nodes.iter())
        .flat_map(|n| n.guests.iter())
        .map(|g| g.name.to_string())
        .collect()
}

/// The message of a refusal without the part the field beside it already shows.
fn inline(e: DeployRefusal) -> String {
    match e {
        DeployRefusal::BadName { reason, .. } => reason,
        DeployRefusal::Resources { reason, .. } => reason,
        other => other.to_string(),
    }
}

impl DeployForm {
    pub fn new(app: AppSpec, taken: BTreeSet<String>, nodes: Vec<NodeChoice>) -> DeployForm {
        let name = default_name(&app.id, &|n| taken.contains(n));
        let r = app.resources;
        let mut env: Vec<TextArea<'static>> = app
            .env
            .iter()
            .map(|v| field(v.default.as_deref().unwrap_or("")))
            .collect();
        for (ta, var) in env.iter_mut().zip(&app.env) {
            if var.is_secret() {
                ta.set_placeholder_text("generated if left empty");
            } else if var.required {
                ta.set_placeholder_text("required");
            }
        }
        DeployForm {
            name: field(&name),
            resources: [
                field(&r.cores.to_string()),
                field(&r.memory_mb.to_string()),
                field(&r.disk_gb.to_string()),
            ],
            env,
            app,
            taken,
            nodes,
            target: 0,
            reveal: false,
            backups: true,
            keep_on_failure: false,
        }
    }

    pub fn from_inventory(app: AppSpec, inventory: &Inventory) -> DeployForm {
        DeployForm::new(app, taken_names(inventory), node_choices(inventory))
    }

    fn text(t: &TextArea<'_>) -> String {
        t.lines()
            .first()
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    }

    pub fn name_value(&self) -> String {
        Self::text(&self.name)
    }

    pub fn env_value(&self, i: usize) -> String {
        self.env.get(i).map(Self::text).unwrap_or_default()
    }

    pub fn resource_value(&self, i: usize) -> String {
        self.resources.get(i).map(Self::text).unwrap_or_default()
    }

    pub fn name_error(&self) -> Option<String> {
        let name = self.name_value();
        if let Err(e) = validate_name(&name) {
            return Some(inline(e));
        }
        self.taken
            .contains(&name)
            .then(|| "already used on the rack".to_string())
    }

    /// The chosen node, `None` for automatic.
    pub fn chosen(&self) -> Option<&NodeChoice> {
        self.target.checked_sub(1).and_then(|i| self.nodes.get(i))
    }

    pub fn target_error(&self) -> Option<String> {
        let c = self.chosen()?;
        (!c.online).then(|| format!("{} is offline", c.node))
    }

    /// The resources as typed, each parsed (`None` where it is not a number).
    fn parsed(&self) -> [Option<u64>; 3] {
        [0, 1, 2].map(|i| self.resource_value(i).parse::<u64>().ok())
    }

    /// The resources asked for when every field is a number, else the app's minimums.
    pub fn asked(&self) -> Resources {
        match self.parsed() {
            [Some(c), Some(m), Some(d)] => Resources {
                cores: u32::try_from(c).unwrap_or(u32::MAX),
                memory_mb: m,
                disk_gb: d,
            },
            _ => self.app.resources,
        }
    }

    /// Per-field messages: numbers, the app's minimums (`check_resources`), then what
    /// the chosen node (or, automatic, the roomiest node) has free.
    pub fn resource_errors(&self) -> [Option<String>; 3] {
        let parsed = self.parsed();
        let mut out: [Option<String>; 3] = [0, 1, 2].map(|i| {
            parsed[i]
                .is_none()
                .then(|| "a whole number".to_string())
                .filter(|_| !self.resource_value(i).is_empty())
                .or_else(|| {
                    self.resource_value(i)
                        .is_empty()
                        .then(|| "required".to_string())
                })
        });
        if out.iter().any(Option::is_some) {
            return out;
        }
        let asked = self.asked();
        if let Err(DeployRefusal::Resources { field, reason }) = check_resources(&self.app, asked) {
            let i = match field {
                "memory" => 1,
                "disk" => 2,
                _ => 0,
            };
            out[i] = Some(reason);
            return out;
        }
        let candidates = self.candidates();
        if candidates.is_empty() {
            // Nothing known about the cluster yet: the engine checks when it places.
            return out;
        }
        match self.chosen() {
            Some(c) => {
                out = capacity_errors(asked, c.cores, c.mem_free_bytes, c.disk_free_bytes, &c.node)
            }
            None => {
                if let Err(e) = place(&candidates, &asked, None, None) {
                    let online = candidates.iter().filter(|c| c.online);
                    let cores = online.clone().map(|c| c.cores).max().unwrap_or(0);
                    let mem = online.clone().map(|c| c.mem_free_bytes).max().unwrap_or(0);
                    let disk = online.map(|c| c.disk_free_bytes).max().unwrap_or(0);
                    out = capacity_errors(asked, cores, mem, disk, "any node");
                    if out.iter().all(Option::is_none) {
                        out[1] = Some(e.to_string());
                    }
                }
            }
        }
        out
    }

    fn candidates(&self) -> Vec<NodeCandidate> {
        self.nodes.iter().map(NodeChoice::candidate).collect()
    }

    /// Where the engine would put the app now, with its reason (automatic), or the check
    /// of the chosen node.
    pub fn placement(&self) -> Result<Placement, String> {
        self.place_on(self.chosen())
    }

    /// Where automatic placement would put it now, whatever is chosen.
    pub fn auto_placement(&self) -> Result<Placement, String> {
        self.place_on(None)
    }

    fn place_on(&self, chosen: Option<&NodeChoice>) -> Result<Placement, String> {
        let candidates = self.candidates();
        if candidates.is_empty() {
            return Err("decided when deploying (no node known yet)".into());
        }
        place(
            &candidates,
            &self.asked(),
            chosen.map(|c| c.host.as_str()),
            chosen.map(|c| c.node.as_str()),
        )
        .map_err(|e: PlaceError| e.to_string())
    }

    pub fn env_errors(&self) -> Vec<Option<String>> {
        self.app
            .env
            .iter()
            .enumerate()
            .map(|(i, var)| {
                let empty = self.env_value(i).is_empty();
                (empty && var.required && var.default.is_none() && !var.is_secret())
                    .then(|| "required".to_string())
            })
            .collect()
    }

    /// The request when every field passes.
    pub fn request(&self) -> Option<DeployRequest> {
        let valid = self.name_error().is_none()
            && self.target_error().is_none()
            && self.resource_errors().iter().all(Option::is_none)
            && self.env_errors().iter().all(Option::is_none);
        if !valid {
            return None;
        }
        let env: BTreeMap<String, String> = self
            .app
            .env
            .iter()
            .enumerate()
            .map(|(i, v)| (v.key.clone(), self.env_value(i)))
            .filter(|(_, value)| !value.is_empty())
            .collect();
        let chosen = self.chosen();
        Some(DeployRequest {
            app: self.app.clone(),
            name: Some(self.name_value()),
            host: chosen.map(|c| c.host.clone()),
            node: chosen.map(|c| c.node.clone()),
            env,
            resources: Some(self.asked()),
            keep_on_failure: self.keep_on_failure,
            backups: self.backups,
        })
    }

    /// `/opt/proximity/<name>/data/<volume>`: where a volume lives on the container.
    pub fn volume_path(&self, volume: &str) -> String {
        format!("/opt/proximity/{}/data/{volume}", self.name_value())
    }
}

/// What `asked` is above on a node with this much free.
fn capacity_errors(
    asked: Resources,
    cores: u32,
    mem_free: u64,
    disk_free: u64,
    node: &str,
) -> [Option<String>; 3] {
    [
        (cores > 0 && asked.cores > cores).then(|| format!("{node} has {cores} cores")),
        (asked.memory_mb.saturating_mul(MIB) > mem_free)
            .then(|| format!("above the free memory of {node} ({} MiB)", mem_free / MIB)),
        (asked.disk_gb.saturating_mul(GIB) > disk_free)
            .then(|| format!("above the free disk of {node} ({} GiB)", disk_free / GIB)),
    ]
}

/// Editing keys for one single-line field (Enter and Ctrl-M never insert a line).
pub fn edit(t: &mut TextArea<'static>, input: Input) {
    if matches!(input.key, Key::Enter) || (input.key == Key::Char('m') && input.ctrl) {
        return;
    }
    t.input(input);
}

/// The first line of a paste, cleaned, into a field.
pub fn paste(t: &mut TextArea<'static>, text: &str) {
    t.insert_str(crate::text::clean_string(text.lines().next().unwrap_or("")));
}
