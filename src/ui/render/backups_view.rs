//! Drawing the backups screen (a bordered table: host, vmid, guest, age, size, protection,
//! notes, volid when there is room; a backup older than a week in the warning style) and a
//! container's snapshot tree. The bottom line is the filter, a prompt, or the counts.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::widgets::{boxed, bytes, duration, put};
use crate::text::clean;
use crate::ui::backups_view::{BackupPrompt, BackupsView};
use crate::ui::layer::LayerCtx;
use crate::ui::snapshots_view::{SnapshotPrompt, SnapshotsView};
use crate::ui::theme::ThemeKey;

/// A backup older than this is drawn in the warning style (no backup in 7 days).
pub const STALE_BACKUP: Duration = Duration::from_secs(7 * 86_400);

/// The detail panel's "backup" row: the newest backup's age, in the warning style when
/// there is none or it is older than a week.
pub fn last_backup_cell(
    now: SystemTime,
    last: Option<u64>,
    t: &crate::ui::theme::Theme,
) -> (String, ratatui::style::Style) {
    match last {
        None => ("none".into(), t.style(ThemeKey::HostStale)),
        Some(at) => {
            let age = epoch(now).saturating_sub(at);
            let style = if age > STALE_BACKUP.as_secs() {
                t.style(ThemeKey::HostStale)
            } else {
                t.text()
            };
            (format!("{} ago", duration(age)), style)
        }
    }
}

fn epoch(now: SystemTime) -> u64 {
    now.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn bottom_line(buf: &mut Buffer, inner: Rect, text: &str, style: ratatui::style::Style) {
    let y = inner.bottom().saturating_sub(1);
    buf.set_style(Rect::new(inner.x, y, inner.width, 1), style);
    put(
        buf,
        inner.x + 1,
        y,
        text,
        style,
        inner.width.saturating_sub(2),
    );
}

pub fn draw(v: &BackupsView, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
    if area.width < 30 || area.height < 6 {
        return;
    }
    let t = ctx.theme;
    buf.set_style(area, t.style(ThemeKey::Background));
    let rows = v.visible();
    let protected = rows.iter().filter(|r| r.volume.protected).count();
    let total: u64 = rows.iter().map(|r| r.volume.size).sum();
    let title = format!(
        "backups · {} shown · {} · {protected} protected",
        rows.len(),
        bytes(total)
    );
    let inner = boxed(buf, area, &title, t, ctx.focused);
    let wide = inner.width >= 120;
    let notes_w: u16 = if wide {
        28
    } else {
        inner.width.saturating_sub(56).clamp(6, 24)
    };
    let cols: [(&str, u16); 7] = [
        ("HOST", if wide { 10 } else { 6 }),
        ("VMID", 6),
        ("GUEST", if wide { 18 } else { 12 }),
        ("AGE", 7),
        ("SIZE", 6),
        ("P", 1),
        ("NOTES", notes_w),
    ];
    let mut x = inner.x + 1;
    for (name, w) in cols {
        put(buf, x, inner.y, name, t.style(ThemeKey::Title), w);
        x += w + 1;
    }
    if wide {
        put(
            buf,
            x,
            inner.y,
            "VOLID",
            t.style(ThemeKey::Title),
            inner.right().saturating_sub(x),
        );
    }

    let now = epoch(ctx.now);
    let body = usize::from(inner.height.saturating_sub(2));
    let sel = v.selected_index(&rows);
    let first = (sel + 1).saturating_sub(body.max(1));
    for (i, row) in rows.iter().skip(first).take(body).enumerate() {
        let y = inner.y + 1 + i as u16;
        let selected = first + i == sel;
        let base = if selected {
            t.style(ThemeKey::Selection)
        } else {
            t.text()
        };
        if selected {
            buf.set_style(Rect::new(inner.x, y, inner.width, 1), base);
            put(buf, inner.x, y, "▸", base, 1);
        }
        let vol = &row.volume;
        let age_s = vol.ctime.map(|c| now.saturating_sub(c));
        let age_style = match age_s {
            Some(a) if a > STALE_BACKUP.as_secs() && !selected => t.style(ThemeKey::HostStale),
            _ => base,
        };
        let cells = [
            (clean(&row.host).into_owned(), base),
            (vol.vmid.map(|v| v.to_string()).unwrap_or_default(), base),
            (
                clean(row.guest_name.as_deref().unwrap_or("(gone)")).into_owned(),
                if row.guest_name.is_some() || selected {
                    base
                } else {
                    t.dim()
                },
            ),
            (age_s.map(duration).unwrap_or_else(|| "-".into()), age_style),
            (bytes(vol.size), base),
            (
                if vol.protected {
                    "P".into()
                } else {
                    String::new()
                },
                base,
            ),
            (clean(vol.notes.as_deref().unwrap_or("")).into_owned(), base),
        ];
        let mut x = inner.x + 1;
        for ((text, style), (_, w)) in cells.iter().zip(cols) {
            put(buf, x, y, text, *style, w);
            x += w + 1;
        }
        if wide {
            let style = if selected { base } else { t.dim() };
            put(
                buf,
                x,
                y,
                &clean(&vol.volid),
                style,
                inner.right().saturating_sub(x),
            );
        }
    }
    if rows.is_empty() {
        let text = if v.loading {
            "reading every host's backup storages…"
        } else if v.filter.is_empty() {
            "no backups yet: b on the rack backs a guest up now"
        } else {
            "no backup matches the filter"
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

    let footer = match (&v.prompt, v.filtering) {
        (Some(p), _) => {
            let ask = match &p.kind {
                BackupPrompt::ReplaceGuest { guest, vmid } => {
                    format!("restore over {guest} {vmid} replaces it: type {vmid} to confirm: ")
                }
                BackupPrompt::NewVmid => "restore to the new vmid: ".into(),
                BackupPrompt::Delete => "delete this backup? (y/n): ".into(),
                BackupPrompt::Notes => "notes: ".into(),
            };
            Some((format!("{ask}{}▏", p.input), t.style(ThemeKey::Input)))
        }
        (None, true) => Some((format!("/{}▏", v.filter), t.style(ThemeKey::Input))),
        (None, false) if !v.failures.is_empty() => {
            let (host, why) = &v.failures[0];
            Some((
                format!("host {host}: {}", clean(why)),
                t.style(ThemeKey::HostError),
            ))
        }
        (None, false) if !v.filter.is_empty() => Some((format!("filter: {}", v.filter), t.dim())),
        _ => None,
    };
    if let Some((text, style)) = footer {
        bottom_line(buf, inner, &text, style);
    }
    if let Some(form) = &v.schedule_form {
        super::backup_schedule_form::draw(form, area, buf, t, ctx.keymap);
    }
}

pub fn draw_snapshots(v: &SnapshotsView, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
    if area.width < 30 || area.height < 6 {
        return;
    }
    let t = ctx.theme;
    buf.set_style(area, t.style(ThemeKey::Background));
    let title = format!(
        "snapshots · {} {} on {}",
        v.guest.vmid,
        clean(&v.name),
        clean(&v.guest.host)
    );
    let inner = boxed(buf, area, &title, t, ctx.focused);
    let now = epoch(ctx.now);
    match (&v.lines, &v.error) {
        (_, Some(e)) => {
            put(
                buf,
                inner.x + 1,
                inner.y,
                &clean(e),
                t.style(ThemeKey::HostError),
                inner.width.saturating_sub(2),
            );
        }
        (None, None) => {
            put(
                buf,
                inner.x + 1,
                inner.y,
                "reading the snapshots…",
                t.dim(),
                inner.width.saturating_sub(2),
            );
        }
        (Some(lines), None) => {
            let body = usize::from(inner.height.saturating_sub(1));
            let first = (v.sel + 1).saturating_sub(body.max(1));
            for (i, l) in lines.iter().skip(first).take(body).enumerate() {
                let y = inner.y + i as u16;
                let selected = first + i == v.sel;
                let base = if selected {
                    t.style(ThemeKey::Selection)
                } else {
                    t.text()
                };
                if selected {
                    buf.set_style(Rect::new(inner.x, y, inner.width, 1), base);
                    put(buf, inner.x, y, "▸", base, 1);
                }
                let indent = "  ".repeat(l.depth.min(12));
                let (mark, name) = if l.current {
                    ("● ", "you are here".to_string())
                } else {
                    ("○ ", clean(&l.name).into_owned())
                };
                let x = put(
                    buf,
                    inner.x + 1,
                    y,
                    &format!("{indent}{mark}{name}"),
                    base,
                    40,
                );
                let when = l
                    .snaptime
                    .map(|s| format!("{} ago", duration(now.saturating_sub(s))));
                let x = put(
                    buf,
                    x.max(inner.x + 30) + 1,
                    y,
                    &when.unwrap_or_default(),
                    if selected { base } else { t.dim() },
                    12,
                );
                if !l.current {
                    put(
                        buf,
                        x.max(inner.x + 44) + 1,
                        y,
                        &clean(&l.description),
                        base,
                        inner.right().saturating_sub(x + 1),
                    );
                }
            }
        }
    }
    if let Some(p) = &v.prompt {
        let ask = match &p.kind {
            SnapshotPrompt::Create => "new snapshot's name: ".to_string(),
            SnapshotPrompt::Rollback(name) => {
                format!("roll back to {name} (the current state is lost): type {name}: ")
            }
            SnapshotPrompt::Delete(name) => format!("delete snapshot {name}? (y/n): "),
        };
        bottom_line(
            buf,
            inner,
            &format!("{ask}{}▏", p.input),
            t.style(ThemeKey::Input),
        );
    }
}
