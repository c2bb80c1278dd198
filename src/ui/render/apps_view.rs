//! Drawing the apps screen: a bordered table (status LED and word, name, app, host/node,
//! vmid, health, CPU and memory, last backup age, version, URL; fewer columns when narrow),
//! the bottom line (filter, counts), and its dialogs (delete, clone, variables).
//!
//! URLs are OSC 8 hyperlinks when the view says so: the whole link (its visible text
//! wrapped in the OSC 8 open and close sequences) is the first cell's symbol, with the
//! cell's width forced to the text's so the diff moves on correctly, and the cells it covers
//! skipped (ratatui writes symbols as they are; counting the escape bytes as columns would
//! shift the rest of the row).

use std::num::NonZeroU16;
use std::time::{SystemTime, UNIX_EPOCH};

use ratatui::buffer::{Buffer, CellDiffOption};
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::widgets::{boxed, duration, popup_box, put};
use crate::deploy::AppRecord;
use crate::inventory::GuestStatus;
use crate::text::clean;
use crate::ui::action::Action;
use crate::ui::apps_env_form::EnvForm;
use crate::ui::apps_view::{
    AppRow, AppStatus, AppsDialog, AppsView, DELETE_CHOICES, guest_of, safe_url, status_of,
};
use crate::ui::layer::LayerCtx;
use crate::ui::popups::{footer, key_of, key_pair};
use crate::ui::theme::{Theme, ThemeKey};

fn epoch(now: SystemTime) -> u64 {
    now.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Write `text` at (x, y) as an OSC 8 link to `url` (at most `max` columns). `text` must be
/// ASCII (it is: a checked URL).
pub fn hyperlink(buf: &mut Buffer, x: u16, y: u16, text: &str, url: &str, style: Style, max: u16) {
    let end = put(buf, x, y, text, style, max);
    let width = end.saturating_sub(x);
    let Some(w) = NonZeroU16::new(width) else {
        return;
    };
    let shown = &text[..usize::from(width).min(text.len())];
    let symbol = format!("\x1b]8;;{url}\x1b\\{shown}\x1b]8;;\x1b\\");
    buf[(x, y)]
        .set_symbol(&symbol)
        .set_diff_option(CellDiffOption::ForcedWidth(w));
    for cx in x + 1..end {
        buf[(cx, y)].set_diff_option(CellDiffOption::Skip);
    }
}

fn status_style(s: AppStatus, t: &Theme) -> Style {
    match s {
        AppStatus::Running => t.led(GuestStatus::Running),
        AppStatus::Stopped => t.led(GuestStatus::Stopped),
        AppStatus::Deploying => t.led(GuestStatus::Busy),
        AppStatus::Missing => t.led(GuestStatus::Error),
        AppStatus::Other(g) => t.led(g),
        AppStatus::Unknown => t.led(GuestStatus::Unknown),
    }
}

fn mib(bytes: u64) -> String {
    let m = bytes >> 20;
    if m >= 10_240 {
        format!("{}G", m >> 10)
    } else {
        format!("{m}M")
    }
}

/// The version an app runs, with the catalog's after an arrow when it is newer; true then.
fn version_label(a: &AppRecord, v: &AppsView) -> (String, bool) {
    let have = a.version.as_deref().unwrap_or("?");
    match v.spec(&a.app) {
        Some(s) if s.version != have => (format!("{}→{}", clean(have), clean(&s.version)), true),
        _ => (clean(have).into_owned(), false),
    }
}

pub fn draw(v: &AppsView, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
    if area.width < 40 || area.height < 6 {
        return;
    }
    let t = ctx.theme;
    buf.set_style(area, t.style(ThemeKey::Background));
    let rows = v.rows();
    let statuses: Vec<AppStatus> = rows.iter().map(|r| status_of(r, ctx.inventory)).collect();
    let running = statuses
        .iter()
        .filter(|s| **s == AppStatus::Running)
        .count();
    let title = format!("apps · {} shown · {running} running", rows.len());
    let inner = boxed(buf, area, &title, t, ctx.focused);
    let wide = inner.width >= 120;
    let url_w = |used: u16| inner.width.saturating_sub(used).max(8);
    // (header, width); the URL takes what is left.
    let mut cols: Vec<(&str, u16)> = if wide {
        vec![
            ("STATUS", 11),
            ("NAME", 18),
            ("APP", 12),
            ("HOST/NODE", 14),
            ("VMID", 6),
            ("HEALTH", 8),
            ("CPU", 5),
            ("MEM", 11),
            ("BACKUP", 7),
            ("VERSION", 14),
        ]
    } else {
        vec![
            ("STATUS", 11),
            ("NAME", 12),
            ("HEALTH", 7),
            ("MEM", 4),
            ("BACKUP", 6),
            ("VERSION", 7),
        ]
    };
    // VERSION grows to its longest text (`30.0.2→stable-apache`) while the URL keeps
    // room for an address and a port (`http://10.10.0.105:8096/`, 24 columns).
    let longest = rows
        .iter()
        .filter_map(|r| match r {
            AppRow::App(a) => Some(version_label(a, v).0.chars().count() as u16),
            AppRow::Deploying(_) => None,
        })
        .max()
        .unwrap_or(0);
    let url_min = if wide { 26 } else { 24 };
    let fixed: u16 = cols.iter().map(|(_, w)| w + 1).sum::<u16>() + 1;
    if let Some((_, w)) = cols.last_mut() {
        let room = (*w + inner.width.saturating_sub(fixed + url_min)).max(*w);
        *w = longest.clamp(*w, room);
    }
    let used: u16 = cols.iter().map(|(_, w)| w + 1).sum::<u16>() + 1;
    let mut x = inner.x + 1;
    for (name, w) in &cols {
        put(buf, x, inner.y, name, t.style(ThemeKey::Title), *w);
        x += w + 1;
    }
    put(
        buf,
        x,
        inner.y,
        "URL",
        t.style(ThemeKey::Title),
        url_w(used),
    );

    let now = epoch(ctx.now);
    let body = usize::from(inner.height.saturating_sub(2));
    let sel = v.selected_index(&rows);
    let first = (sel + 1).saturating_sub(body.max(1));
    for (i, row) in rows.iter().enumerate().skip(first).take(body) {
        let y = inner.y + 1 + (i - first) as u16;
        let selected = i == sel;
        let base = if selected {
            t.style(ThemeKey::Selection)
        } else {
            t.text()
        };
        if selected {
            buf.set_style(Rect::new(inner.x, y, inner.width, 1), base);
            put(buf, inner.x, y, "▸", base, 1);
        }
        let pick = |s: Style| if selected { base } else { s };
        let status = statuses[i];
        let mut cells: Vec<(String, Style)> = Vec::with_capacity(cols.len());
        cells.push((
            format!("● {}", status.label()),
            pick(status_style(status, t)),
        ));
        cells.push((clean(row.name()).into_owned(), base));
        let (app, guest) = match row {
            AppRow::App(a) => (Some(a), guest_of(ctx.inventory, &a.host, a.vmid)),
            AppRow::Deploying(_) => (None, None),
        };
        let health = app.and_then(|a| ctx.alerts.health_of(&a.host, a.vmid));
        let health_cell = match (health, row) {
            (_, AppRow::Deploying(d)) => (clean(&d.step).into_owned(), pick(t.dim())),
            (Some(h), _) if h.healthy => ("ok".to_string(), pick(t.led(GuestStatus::Running))),
            (Some(_), _) => (
                "failing".to_string(),
                pick(t.style(ThemeKey::AlertCritical)),
            ),
            (None, _) => ("-".to_string(), pick(t.dim())),
        };
        let mem = guest
            .filter(|g| g.maxmem > 0)
            .map(|g| {
                if wide {
                    format!("{}/{}", mib(g.mem), mib(g.maxmem))
                } else {
                    format!("{:.0}%", g.mem_fraction() * 100.0)
                }
            })
            .unwrap_or_else(|| "-".into());
        let backup = app
            .and_then(|a| v.backups.get(&(a.host.clone(), a.vmid)))
            .map(|at| duration(now.saturating_sub(*at)));
        let backup_cell = match backup {
            Some(age) => (age, base),
            None if app.is_some() => ("none".into(), pick(t.style(ThemeKey::HostStale))),
            None => ("-".into(), pick(t.dim())),
        };
        let version = match app {
            Some(a) => match version_label(a, v) {
                (text, true) => (text, pick(t.style(ThemeKey::Progress))),
                (text, false) => (text, base),
            },
            None => ("-".into(), pick(t.dim())),
        };
        if wide {
            cells.push((clean(row.app_id()).into_owned(), base));
            let (host, node) = match row {
                AppRow::App(a) => (a.host.as_str(), a.node.as_str()),
                AppRow::Deploying(d) => (d.host.as_str(), d.node.as_str()),
            };
            let place = if node.is_empty() {
                clean(host).into_owned()
            } else {
                format!("{}/{}", clean(host), clean(node))
            };
            cells.push((place, base));
            cells.push((app.map(|a| a.vmid.to_string()).unwrap_or_default(), base));
            cells.push(health_cell);
            cells.push((
                guest
                    .map(|g| format!("{:.0}%", g.cpu * 100.0))
                    .unwrap_or_else(|| "-".into()),
                base,
            ));
            cells.push((mem, base));
        } else {
            cells.push(health_cell);
            cells.push((mem, base));
        }
        cells.push(backup_cell);
        cells.push(version);
        let mut x = inner.x + 1;
        for ((text, style), (_, w)) in cells.iter().zip(&cols) {
            put(buf, x, y, text, *style, *w);
            x += w + 1;
        }
        let url = app.and_then(|a| a.url.as_deref());
        let url_style = pick(t.style(ThemeKey::Link));
        match url.and_then(safe_url) {
            _ if app.is_some_and(|a| a.missing) => {
                put(buf, x, y, "(container missing)", pick(t.dim()), url_w(used));
            }
            Some(u) if v.hyperlinks => hyperlink(buf, x, y, u, u, url_style, url_w(used)),
            Some(u) => {
                put(buf, x, y, u, url_style, url_w(used));
            }
            None => {
                put(
                    buf,
                    x,
                    y,
                    &clean(url.unwrap_or("")),
                    pick(t.dim()),
                    url_w(used),
                );
            }
        }
    }
    if rows.is_empty() {
        let text = if v.loading {
            "reading the managed apps…"
        } else if v.filter.is_empty() {
            "no managed apps yet: g a opens the catalog to deploy one"
        } else {
            "no app matches the filter"
        };
        put(
            buf,
            inner.x + 2,
            inner.y + 2,
            text,
            t.dim(),
            inner.width.saturating_sub(4),
        );
    }
    let footer = if v.filtering {
        Some((format!("/{}▏", v.filter), t.style(ThemeKey::Input)))
    } else if !v.filter.is_empty() {
        Some((format!("filter: {}", v.filter), t.dim()))
    } else {
        None
    };
    if let Some((text, style)) = footer {
        let y = inner.bottom().saturating_sub(1);
        buf.set_style(Rect::new(inner.x, y, inner.width, 1), style);
        put(
            buf,
            inner.x + 1,
            y,
            &text,
            style,
            inner.width.saturating_sub(2),
        );
    }
    match &v.dialog {
        Some(AppsDialog::Delete {
            name,
            vmid,
            typed,
            choice,
        }) => draw_delete(buf, area, ctx, name, *vmid, typed, *choice),
        Some(AppsDialog::Clone {
            source,
            input,
            keep_secrets,
        }) => draw_clone(buf, area, ctx, source, input, *keep_secrets),
        Some(AppsDialog::Env(form)) => draw_env(buf, area, ctx, form),
        None => {}
    }
}

fn line(buf: &mut Buffer, inner: Rect, dy: u16, text: &str, style: Style) {
    if dy < inner.height {
        put(
            buf,
            inner.x + 1,
            inner.y + dy,
            text,
            style,
            inner.width.saturating_sub(2),
        );
    }
}

fn draw_delete(
    buf: &mut Buffer,
    area: Rect,
    ctx: &LayerCtx,
    name: &str,
    vmid: u32,
    typed: &str,
    choice: usize,
) {
    let t = ctx.theme;
    let inner = popup_box(buf, area, 62, 11, &format!("delete {}", clean(name)), t);
    line(
        buf,
        inner,
        0,
        &format!("This destroys CT {vmid} and its data."),
        t.text(),
    );
    line(
        buf,
        inner,
        1,
        &format!("Type {} to confirm:", clean(name)),
        t.text(),
    );
    let ok = typed.trim() == name;
    let field = Rect::new(inner.x + 1, inner.y + 2, inner.width.saturating_sub(2), 1);
    buf.set_style(field, t.style(ThemeKey::Input));
    put(
        buf,
        field.x,
        field.y,
        &format!("{}▏", clean(typed)),
        if ok || typed.is_empty() {
            t.style(ThemeKey::Input)
        } else {
            t.style(ThemeKey::InputInvalid)
        },
        field.width,
    );
    for (i, c) in DELETE_CHOICES.iter().enumerate() {
        let style = if i == choice {
            t.style(ThemeKey::Selection)
        } else {
            t.text()
        };
        let mark = if i == choice { "▸" } else { " " };
        line(buf, inner, 4 + i as u16, &format!("{mark} {c}"), style);
    }
    line(
        buf,
        inner,
        inner.height.saturating_sub(1),
        &format!(
            "{} choose · {}",
            key_pair(ctx.keymap, Action::Up, Action::Down),
            footer(
                ctx.keymap,
                &[(Action::Submit, "confirm"), (Action::Back, "cancel")]
            ),
        ),
        t.dim(),
    );
}

fn draw_clone(buf: &mut Buffer, area: Rect, ctx: &LayerCtx, source: &str, input: &str, keep: bool) {
    let t = ctx.theme;
    let inner = popup_box(buf, area, 62, 8, &format!("clone {}", clean(source)), t);
    line(
        buf,
        inner,
        0,
        "A new deployment of the same app with the same variables.",
        t.text(),
    );
    line(buf, inner, 1, "New name:", t.text());
    let field = Rect::new(inner.x + 1, inner.y + 2, inner.width.saturating_sub(2), 1);
    buf.set_style(field, t.style(ThemeKey::Input));
    let problem = crate::deploy::request::validate_name(input.trim()).err();
    put(
        buf,
        field.x,
        field.y,
        &format!("{}▏", clean(input)),
        if problem.is_some() {
            t.style(ThemeKey::InputInvalid)
        } else {
            t.style(ThemeKey::Input)
        },
        field.width,
    );
    if let Some(p) = problem {
        line(
            buf,
            inner,
            3,
            &p.to_string(),
            t.style(ThemeKey::InputInvalid),
        );
    }
    let (mark, style) = if keep {
        ("[x]", t.style(ThemeKey::SwitchOn))
    } else {
        ("[ ]", t.style(ThemeKey::SwitchOff))
    };
    line(
        buf,
        inner,
        4,
        &format!(
            "{mark} keep the generated secrets ({})",
            key_of(ctx.keymap, Action::NextField)
        ),
        style,
    );
    line(
        buf,
        inner,
        inner.height.saturating_sub(1),
        &footer(
            ctx.keymap,
            &[
                (Action::Submit, "deploy"),
                (Action::NextField, "secrets"),
                (Action::Back, "cancel"),
            ],
        ),
        t.dim(),
    );
}

fn draw_env(buf: &mut Buffer, area: Rect, ctx: &LayerCtx, form: &EnvForm) {
    let t = ctx.theme;
    let h = (form.fields.len() as u16 + 6).min(area.height);
    let inner = popup_box(
        buf,
        area,
        76,
        h,
        &format!("variables of {}", clean(&form.app)),
        t,
    );
    if form.loading {
        line(
            buf,
            inner,
            0,
            "reading the compose file in its container…",
            t.dim(),
        );
        return;
    }
    if let Some(e) = &form.error {
        line(buf, inner, 0, &clean(e), t.style(ThemeKey::HostError));
        let closes = format!(
            "{} or {} closes",
            key_of(ctx.keymap, Action::Submit),
            key_of(ctx.keymap, Action::Back)
        );
        line(buf, inner, 1, &closes, t.dim());
        return;
    }
    let key_w = form
        .fields
        .iter()
        .map(|f| f.key.len() as u16)
        .max()
        .unwrap_or(4)
        .min(24);
    let rows = usize::from(inner.height.saturating_sub(3));
    let first = (form.focus + 1).saturating_sub(rows.max(1));
    for (i, f) in form.fields.iter().enumerate().skip(first).take(rows) {
        let y = inner.y + (i - first) as u16;
        let focused = i == form.focus;
        let mark = if f.required { "*" } else { " " };
        let key_style = if focused {
            t.style(ThemeKey::Selection)
        } else {
            t.style(ThemeKey::Key)
        };
        let x = put(
            buf,
            inner.x + 1,
            y,
            &format!("{mark}{}", f.key),
            key_style,
            key_w + 1,
        );
        let vx = inner.x + key_w + 3;
        let vw = inner.right().saturating_sub(vx + 1);
        let shown = if f.secret && !form.reveal {
            "•".repeat(
                f.value
                    .chars()
                    .count()
                    .min(usize::from(vw).saturating_sub(1)),
            )
        } else {
            clean(&f.value).into_owned()
        };
        let cursor = if focused { "▏" } else { "" };
        let style = match form.problem(i) {
            Some(_) => t.style(ThemeKey::InputInvalid),
            None if focused => t.style(ThemeKey::Input),
            None => t.text(),
        };
        if focused {
            buf.set_style(Rect::new(vx, y, vw, 1), t.style(ThemeKey::Input));
        }
        let changed = if f.value != f.original {
            " (changed)"
        } else {
            ""
        };
        let _ = x;
        put(buf, vx, y, &format!("{shown}{cursor}{changed}"), style, vw);
    }
    let about = form.fields.get(form.focus);
    let desc = match (about, form.problem(form.focus)) {
        (Some(f), Some(p)) => (format!("{}: {p}", f.key), t.style(ThemeKey::InputInvalid)),
        (Some(f), None) if f.secret => (
            format!(
                "{} (secret: {} shows it)",
                f.description,
                key_of(ctx.keymap, Action::Reveal)
            ),
            t.dim(),
        ),
        (Some(f), None) => (f.description.clone(), t.dim()),
        (None, _) => (String::new(), t.dim()),
    };
    line(buf, inner, inner.height.saturating_sub(2), &desc.0, desc.1);
    line(
        buf,
        inner,
        inner.height.saturating_sub(1),
        &footer(
            ctx.keymap,
            &[
                (Action::NextField, "next"),
                (Action::Submit, "apply (re-creates the app)"),
                (Action::Reveal, "secrets"),
                (Action::Back, "cancel"),
            ],
        ),
        t.dim(),
    );
}
