//! Popups that sit above the panes and take keys first: help, the command palette (fuzzy
//! over every action and target with nucleo-matcher), typed confirmations, the fingerprint
//! prompt and the host form. (Task logs open in the log viewer, `log_view`.)

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use super::action::{Action, GuestRef};
use super::forms::HostForm;

#[derive(Debug, Clone)]
pub enum Popup {
    Help {
        scroll: usize,
    },
    Palette(PaletteState),
    /// Typed confirmation: the user must type `expected` (the guest's name, or the count
    /// for a multi-selection).
    ConfirmDelete {
        targets: Vec<GuestRef>,
        expected: String,
        input: String,
    },
    ConfirmQuit {
        running: usize,
    },
    ConfirmRemoveHost {
        name: String,
    },
    Fingerprint {
        host: String,
        url: String,
        fingerprint: String,
    },
    HostForm(Box<HostForm>),
}

/// What a palette entry does when chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum PaletteTarget {
    Action(Action),
    /// Jump to a guest (host index, node index, vmid).
    Guest {
        host: String,
        vmid: u32,
    },
    Theme(String),
    Host(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct PaletteItem {
    pub label: String,
    pub hint: String,
    pub target: PaletteTarget,
}

#[derive(Debug, Clone)]
pub struct PaletteState {
    pub input: String,
    pub items: Vec<PaletteItem>,
    /// Indices into `items`, best first.
    pub matches: Vec<usize>,
    pub selected: usize,
}

/// Show at most this many matches; the list is for choosing, not browsing.
pub const PALETTE_ROWS: usize = 200;

impl PaletteState {
    pub fn new(items: Vec<PaletteItem>) -> PaletteState {
        let mut p = PaletteState {
            input: String::new(),
            items,
            matches: Vec::new(),
            selected: 0,
        };
        p.refilter();
        p
    }

    /// Re-rank with nucleo (smart case, unicode normalization); an empty input lists
    /// actions first in their natural order.
    pub fn refilter(&mut self) {
        self.selected = 0;
        if self.input.trim().is_empty() {
            self.matches = (0..self.items.len().min(PALETTE_ROWS)).collect();
            return;
        }
        let pattern = Pattern::parse(&self.input, CaseMatching::Smart, Normalization::Smart);
        let mut matcher = Matcher::new(Config::DEFAULT);
        let mut buf = Vec::new();
        let mut scored: Vec<(u32, usize)> = self
            .items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                pattern
                    .score(Utf32Str::new(&item.label, &mut buf), &mut matcher)
                    .map(|s| (s, i))
            })
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        self.matches = scored
            .into_iter()
            .take(PALETTE_ROWS)
            .map(|(_, i)| i)
            .collect();
    }

    pub fn chosen(&self) -> Option<&PaletteItem> {
        self.matches
            .get(self.selected)
            .and_then(|i| self.items.get(*i))
    }
}
