//! The command palette's entries (`:`): every action with its key, then every guest, host
//! and theme, for the fuzzy matcher in `popups::palette`.

use super::action::{Action, Effect};
use super::app::App;
use super::popups::palette::{PaletteItem, PaletteState, PaletteTarget};

impl App {
    /// Palette entries: every action, then every guest, theme and host.
    pub fn palette_items(&self) -> Vec<PaletteItem> {
        let ctx = self.context();
        let mut items: Vec<PaletteItem> = Action::ALL
            .iter()
            .filter(|a| {
                // Console commands after the escape chord make no sense from the rack.
                !a.console_only()
                    && !a.view_only()
                    && !matches!(
                        a,
                        Action::Palette | Action::Up | Action::Down | Action::Left | Action::Right
                    )
            })
            .map(|a| PaletteItem {
                label: a.description().to_string(),
                hint: self
                    .keymap
                    .keys_for(ctx, *a)
                    .first()
                    .cloned()
                    .unwrap_or_default(),
                target: PaletteTarget::Action(*a),
            })
            .collect();
        for h in &self.inventory.hosts {
            for n in h.nodes.iter() {
                for g in &n.guests {
                    items.push(PaletteItem {
                        label: format!(
                            "{} {} ({}/{})",
                            g.vmid,
                            crate::text::clean_string(&g.name),
                            h.name,
                            n.name
                        ),
                        hint: g.kind.short().into(),
                        target: PaletteTarget::Guest {
                            host: h.name.clone(),
                            vmid: g.vmid,
                        },
                    });
                }
            }
            items.push(PaletteItem {
                label: format!("host {}", h.name),
                hint: "host".into(),
                target: PaletteTarget::Host(h.name.clone()),
            });
        }
        for t in self.themes.names() {
            items.push(PaletteItem {
                label: format!("theme {t}"),
                hint: "theme".into(),
                target: PaletteTarget::Theme(t),
            });
        }
        items
    }

    pub fn open_palette(&mut self) {
        let palette = PaletteState::new(self.palette_items());
        self.layers.push(Box::new(palette));
    }

    /// Carry out the palette entry the user chose (the palette has closed).
    pub(super) fn run_palette(&mut self, target: PaletteTarget) -> Vec<Effect> {
        match target {
            PaletteTarget::Action(a) => self.update(a),
            PaletteTarget::Guest { host, vmid } => {
                self.jump_to(&host, vmid);
                Vec::new()
            }
            PaletteTarget::Theme(name) => {
                self.set_theme(&name);
                self.saved_theme = self.theme.name.clone();
                vec![Effect::SaveSettings {
                    theme: self.theme.name.clone(),
                }]
            }
            PaletteTarget::Host(name) => self.open_hosts(Some(&name)),
        }
    }
}
