//! Rendering: a pure function of `App`. The LCD header, the layers on screen (each draws
//! itself), the status bar with hints generated from the keymap, toasts and the popup up.

pub mod alert_thresholds_form;
pub mod alerts_view;
pub mod apps_view;
mod backup_schedule_form;
pub mod backups_view;
pub mod catalog_view;
pub mod console;
pub mod deploy_pending;
pub mod deploy_wizard;
mod detail;
mod detail_sparklines;
mod heatmap;
pub mod hosts_view;
mod layers;
pub mod log_view;
pub mod metrics_top;
pub mod metrics_view;
mod rack;
pub use rack::draw_rack_screen;
pub mod replay;
pub mod settings_view;
mod slot;
pub mod tasks_view;
pub mod widgets;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::action::Action;
use super::app::App;
use super::view::screen_layout;
use crate::inventory::HostState;
use crate::ui::theme::ThemeKey;
use widgets::put;

/// Draw the whole screen.
pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    draw(app, area, frame.buffer_mut());
    if let Some(pos) = console_cursor(app, area) {
        frame.set_cursor_position(pos);
    }
}

/// The console's cursor (the guest's, or copy mode's) while it has the keyboard and no
/// popup is up.
fn console_cursor(app: &App, area: Rect) -> Option<ratatui::layout::Position> {
    if !app.console_open() || app.layers.popup().is_some() {
        return None;
    }
    app.console()?
        .cursor(screen_layout(area, false, false).body)
}

/// The theme's background everywhere, except inside a full-screen console pane, whose every
/// cell the console widget paints itself: that pass would only be undone, in the frame
/// that carries a typed key's echo.
fn fill_background(app: &App, area: Rect, buf: &mut Buffer) {
    let style = app.theme.style(ThemeKey::Background);
    let console = app.console().filter(|c| c.sessions.active().is_some());
    let Some(console) = console.filter(|_| app.console_open()) else {
        buf.set_style(area, style);
        return;
    };
    let body = screen_layout(area, false, false).body;
    let hole = super::console::pane_inner(console.layout(body).pane).intersection(area);
    if hole.is_empty() {
        buf.set_style(area, style);
        return;
    }
    let strips = [
        Rect::new(area.x, area.y, area.width, hole.y.saturating_sub(area.y)),
        Rect::new(
            area.x,
            hole.bottom(),
            area.width,
            area.bottom().saturating_sub(hole.bottom()),
        ),
        Rect::new(area.x, hole.y, hole.x.saturating_sub(area.x), hole.height),
        Rect::new(
            hole.right(),
            hole.y,
            area.right().saturating_sub(hole.right()),
            hole.height,
        ),
    ];
    for strip in strips {
        buf.set_style(strip, style);
    }
}

/// Draw into a buffer (used by `render` and the benchmark): the header, the layers on
/// screen (the rack, its panes, the console, full-screen layers), the status bar, toasts
/// and the popup up.
pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    fill_background(app, area, buf);
    let layout = screen_layout(area, false, false);
    lcd(app, layout.lcd, buf);
    layers::draw_visible(app, buf);
    status_bar(app, layout.status, buf);
    // Above a console pane's bottom border, which carries its keys and state.
    let console_shown = app.console_open() || app.console_beside();
    let toast_area = Rect {
        height: layout.body.height.saturating_sub(u16::from(console_shown)),
        ..layout.body
    };
    toasts(app, toast_area, buf);
    layers::draw_popup(app, buf);
}

/// The header "LCD": what the system is doing, with counts.
fn lcd(app: &App, area: Rect, buf: &mut Buffer) {
    if area.height == 0 {
        return;
    }
    let c = app.counts;
    let alert = app.inventory.hosts.iter().find_map(|h| match &h.state {
        HostState::Unreachable(r) => Some(format!("ALERT: {} unreachable ({r})", h.name)),
        HostState::AuthFailed => Some(format!("ALERT: {} authentication failed", h.name)),
        _ => None,
    });
    // Then the monitor's alerts (`ui::alerts_board`): the worst one, with a count.
    let alert = alert.or_else(|| app.alert_lcd_line());
    let stale = app.inventory.hosts.iter().find_map(|h| match h.state {
        HostState::Stale { since } => Some(format!(
            "STALE: {} data {} old",
            h.name,
            widgets::age(app.now, since)
        )),
        _ => None,
    });
    let (text, style) = if let Some(t) = app.tasks.first() {
        let more = if app.tasks.len() > 1 {
            format!(" (+{})", app.tasks.len() - 1)
        } else {
            String::new()
        };
        (
            {
                // Deployments get their own word; any other task (backup, start...) is work.
                let what = if t.label.to_lowercase().contains("deploy") {
                    "DEPLOYING"
                } else {
                    "WORKING"
                };
                format!("{what}: {} {}{more}", t.vmid, t.label)
            },
            app.theme.style(ThemeKey::LcdBusy),
        )
    } else if let Some(a) = alert {
        (a, app.theme.style(ThemeKey::LcdAlert))
    } else if let Some(s) = stale {
        (s, app.theme.style(ThemeKey::LcdBusy))
    } else if app
        .inventory
        .hosts
        .iter()
        .any(|h| h.state == HostState::Connecting)
    {
        (
            "SYSTEM: CONNECTING".to_string(),
            app.theme.style(ThemeKey::Lcd),
        )
    } else {
        (
            "SYSTEM: NOMINAL".to_string(),
            app.theme.style(ThemeKey::Lcd),
        )
    };
    let lcd_style = app.theme.style(ThemeKey::Lcd);
    buf.set_style(area, lcd_style);
    let x = put(buf, area.x, area.y, " ▌PROXIMITY▐ ", lcd_style, area.width);
    let full = format!(
        " hosts {}  nodes {}  guests {}  running {}  tasks {} ",
        c.hosts,
        c.nodes,
        c.guests,
        c.running,
        app.tasks.len()
    );
    // Narrow terminals get the short form so the message keeps most of the line.
    let short = format!(
        " H:{} N:{} G:{} R:{} T:{} ",
        c.hosts,
        c.nodes,
        c.guests,
        c.running,
        app.tasks.len()
    );
    let room = area.right().saturating_sub(x);
    let width = |s: &str| s.chars().count() as u16;
    let counts = [full, short]
        .into_iter()
        .find(|s| room >= width(s) + 40)
        .unwrap_or_default();
    let counts_w = width(&counts);
    let avail = usize::from(room - counts_w);
    let mut msg = format!(" {text} ");
    if msg.chars().count() > avail && avail > 2 {
        msg = msg.chars().take(avail - 2).collect::<String>() + "… ";
    }
    put(buf, x, area.y, &msg, style, room - counts_w);
    if counts_w > 0 {
        put(
            buf,
            area.right() - counts_w,
            area.y,
            &counts,
            lcd_style,
            counts_w,
        );
    }
}

fn status_bar(app: &App, area: Rect, buf: &mut Buffer) {
    if area.height == 0 {
        return;
    }
    let t = &app.theme;
    buf.set_style(area, t.style(ThemeKey::Popup));
    let mut x = area.x;
    if app.rack().filter_editing || !app.rack().filter_text.is_empty() {
        let cursor = if app.rack().filter_editing { "▏" } else { "" };
        x = put(buf, x, area.y, " / ", t.style(ThemeKey::Key), area.width);
        x = put(
            buf,
            x,
            area.y,
            &format!("{}{cursor} ", app.rack().filter_text),
            t.style(ThemeKey::Input),
            area.right().saturating_sub(x),
        );
        let shown = format!(" {} match ", app.rack().view.shown_guests);
        x = put(
            buf,
            x,
            area.y,
            &shown,
            t.dim(),
            area.right().saturating_sub(x),
        );
    }
    if !app.rack().marks.is_empty() {
        x = put(
            buf,
            x,
            area.y,
            &format!(" {} marked ", app.rack().marks.len()),
            t.style(ThemeKey::Marked),
            area.right().saturating_sub(x),
        );
    }
    if !app.pending_keys.is_empty() {
        let p = super::keymap::chord_label(&app.pending_keys);
        x = put(
            buf,
            x,
            area.y,
            &format!(" {p}… "),
            t.style(ThemeKey::Key),
            area.right().saturating_sub(x),
        );
    }
    for (key, label) in layers::hints(app) {
        let need = (key.chars().count() + label.chars().count() + 3) as u16;
        if x + need > area.right().saturating_sub(12) {
            break;
        }
        x = put(
            buf,
            x,
            area.y,
            &format!(" {key}"),
            t.style(ThemeKey::Key),
            need,
        );
        x = put(buf, x, area.y, &format!(" {label} "), t.text(), need);
    }
    // The zoom is the rack's: a full-screen layer over it does not show it.
    let right = if app.console_open() || app.layers.covers_body() {
        format!(" {} ", app.theme.name)
    } else {
        format!(" {} · {} ", app.rack().zoom.name(), app.theme.name)
    };
    let w = right.chars().count() as u16;
    if area.right() >= x + w {
        put(buf, area.right() - w, area.y, &right, t.dim(), w);
    }
}

fn toasts(app: &App, body: Rect, buf: &mut Buffer) {
    let mut y = body.bottom();
    for toast in app.toasts.iter().rev() {
        if y <= body.y + 1 {
            break;
        }
        y -= 1;
        let hint = match (
            &toast.upid,
            app.keymap
                .keys_for(super::keymap::Context::Rack, Action::TaskLog)
                .first(),
        ) {
            (Some(_), Some(k)) => format!("  [{k}] log"),
            _ => String::new(),
        };
        let text = format!(" {}{hint} ", toast.text);
        let w = (text.chars().count() as u16).min(body.width.saturating_sub(2));
        let style = app.theme.style(if toast.error {
            ThemeKey::ToastError
        } else if toast.ok {
            ThemeKey::ToastOk
        } else {
            ThemeKey::ToastInfo
        });
        let x = body.right().saturating_sub(w + 1);
        buf.set_style(Rect::new(x, y, w, 1), style);
        put(buf, x, y, &text, style, w);
    }
}

/// A style with only the foreground of `s` (so a slot keeps its row background).
pub fn fg_only(s: Style) -> Style {
    Style { bg: None, ..s }
}
