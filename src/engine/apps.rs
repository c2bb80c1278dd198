//! Managed apps as Proxmox itself records them: a managed container carries the tags
//! `proximity` and `px-app-<id>`, and its description holds one machine-readable comment
//! `<!-- proximity:app {"app":"jellyfin","version":"10.10.3","port":8096,"deployed":1733000000} -->`
//! so any Proximity instance can rebuild its view of the apps from the cluster.

use serde::{Deserialize, Serialize};

const MARKER: &str = "<!-- proximity:app ";
const END: &str = "-->";

/// What a managed container's description says about its app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppMeta {
    pub app: String,
    #[serde(default)]
    pub version: Option<String>,
    /// The main web port; `ports` lists every published port when there are several.
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub ports: Vec<u16>,
    #[serde(default)]
    pub deployed: Option<u64>,
    /// The app's name (the container's hostname) when it was deployed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The deployment (its first job id) that created this container: how a resume or a
    /// rollback knows the container is its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<u64>,
}

impl AppMeta {
    /// Every published port, main port first, without duplicates.
    pub fn all_ports(&self) -> Vec<u16> {
        let mut out: Vec<u16> = self.port.into_iter().collect();
        for p in &self.ports {
            if !out.contains(p) {
                out.push(*p);
            }
        }
        out
    }
}

/// The app id from a tag list (`;`-joined as Proxmox returns it), e.g. `jellyfin`.
pub fn app_id_from_tags(tags: &str) -> Option<&str> {
    tags.split([';', ',', ' '])
        .find_map(|t| t.strip_prefix("px-app-"))
        .filter(|id| !id.is_empty())
}

/// The description of a managed container: a line for people, then the metadata comment.
pub fn app_description(human: &str, meta: &AppMeta) -> String {
    // serde_json escapes nothing that could end the comment early except a literal `-->`
    // in a string, which no field of ours can hold (ids and names are validated).
    let json = serde_json::to_string(meta).unwrap_or_else(|_| "{}".into());
    format!("{human}\n\n{MARKER}{json} {END}\n")
}

/// `description` with its metadata comment's version set to `version` (the text for people
/// kept); `None` when it has no readable comment.
pub fn with_version(description: &str, version: &str) -> Option<String> {
    let mut meta = parse_app_meta(description)?;
    meta.version = Some(version.to_string());
    let human = description[..description.find(MARKER)?].trim_end();
    Some(app_description(human, &meta))
}

/// Parse the metadata comment out of a description. A missing or malformed comment is
/// `None`: the description is user-editable text, never trusted to be well formed.
pub fn parse_app_meta(description: &str) -> Option<AppMeta> {
    let start = description.find(MARKER)? + MARKER.len();
    let rest = &description[start..];
    let json = rest[..rest.find(END)?].trim();
    serde_json::from_str(json).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_comment_and_ignores_junk() {
        let d = "Jellyfin, managed by Proximity.\n\n<!-- proximity:app {\"app\":\"jellyfin\",\"version\":\"10.10.3\",\"port\":8096,\"deployed\":5} -->\n";
        let meta = parse_app_meta(d).unwrap();
        assert_eq!(meta.app, "jellyfin");
        assert_eq!(meta.all_ports(), vec![8096]);
        assert_eq!(parse_app_meta("no comment here"), None);
        assert_eq!(parse_app_meta("<!-- proximity:app {not json} -->"), None);
        assert_eq!(parse_app_meta("<!-- proximity:app {\"app\":\"x\"}"), None);
        let multi =
            parse_app_meta("<!-- proximity:app {\"app\":\"n\",\"port\":80,\"ports\":[80,443]} -->")
                .unwrap();
        assert_eq!(multi.all_ports(), vec![80, 443]);
    }

    #[test]
    fn a_written_description_parses_back() {
        let meta = AppMeta {
            app: "gitea".into(),
            version: Some("1.22".into()),
            port: Some(3000),
            ports: vec![3000, 22],
            deployed: Some(7),
            name: Some("gitea-2".into()),
            deployment: Some(41),
        };
        let text = app_description("Gitea, managed by Proximity.", &meta);
        assert!(text.starts_with("Gitea, managed by Proximity.\n"));
        assert_eq!(parse_app_meta(&text), Some(meta));
    }

    #[test]
    fn app_id_from_tags_finds_the_px_tag() {
        assert_eq!(
            app_id_from_tags("proximity;px-app-jellyfin"),
            Some("jellyfin")
        );
        assert_eq!(app_id_from_tags("prod;db"), None);
        assert_eq!(app_id_from_tags("px-app-"), None);
    }
}
