//! Drawing the deploy wizard: a step bar, the page (fields with their message under them,
//! the target list, the switches, or the review), the engine's refusal if any, and the keys
//! (those of the keymap's `[wizard]` context, then `[popup]`, that the wizard reads).
//! Reads only; long pages show a window around the focused field.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::widgets::{Clear, Widget};
use ratatui_textarea::TextArea;

use super::widgets::{boxed, bytes, put};
use crate::ui::action::Action;
use crate::ui::deploy_form::{DeployForm, RESOURCE_LABELS};
use crate::ui::deploy_wizard::{DeployWizard, Page, SWITCH_BACKUPS, SWITCH_KEEP};
use crate::ui::keymap::{Context, Keymap};
use crate::ui::layer::LayerCtx;
use crate::ui::theme::{Theme, ThemeKey};

const LABEL_W: u16 = 14;
/// Rows one field takes: the input, then its message or description.
const FIELD_ROWS: u16 = 2;

pub fn draw(w: &DeployWizard, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
    if area.width < 24 || area.height < 8 {
        return;
    }
    let t = ctx.theme;
    Clear.render(area, buf);
    buf.set_style(area, t.style(ThemeKey::Background));
    let app = &w.form.app;
    let title = format!("deploy {} {}", app.name, app.version);
    let inner = boxed(buf, area, &crate::text::clean_string(&title), t, true);
    let x = inner.x + 1;
    let width = inner.width.saturating_sub(2);
    step_bar(w, Rect::new(x, inner.y, width, 1), buf, t);
    let body = Rect::new(x, inner.y + 2, width, inner.height.saturating_sub(5));
    match w.page {
        Page::Name => name_page(w, body, buf, t),
        Page::Target => target_page(w, body, buf, t),
        Page::Resources => resources_page(w, body, buf, t),
        Page::Env => env_page(w, body, buf, t),
        Page::Volumes => volumes_page(w, body, buf, t),
        Page::Review => review_page(w, body, buf, t, &first_key(ctx.keymap, Action::Submit)),
    }
    let status_y = inner.bottom().saturating_sub(2);
    if let Some(r) = &w.refusal {
        put(
            buf,
            x,
            status_y,
            &format!("✖ refused: {r}"),
            t.style(ThemeKey::InputInvalid),
            width,
        );
    } else if w.submitting {
        put(
            buf,
            x,
            status_y,
            "deploying…",
            t.style(ThemeKey::Progress),
            width,
        );
    }
    hints(
        w,
        Rect::new(x, inner.bottom().saturating_sub(1), width, 1),
        buf,
        t,
        ctx.keymap,
    );
}

/// `1 Name › 2 Target › …`: the current page stands out, pages with problems are red.
fn step_bar(w: &DeployWizard, r: Rect, buf: &mut Buffer, t: &Theme) {
    let short = r.width < 90;
    let mut x = r.x;
    for (i, page) in Page::ALL.into_iter().enumerate() {
        if i > 0 {
            x = put(buf, x, r.y, " › ", t.dim(), r.right().saturating_sub(x));
        }
        let name = match (short, page) {
            (true, Page::Env) => "Env",
            (true, Page::Resources) => "Resources",
            _ => page.title(),
        };
        let label = format!(" {} {name} ", i + 1);
        let style = if page == w.page {
            t.style(ThemeKey::Selection)
        } else if !w.page_errors(page).is_empty() {
            t.style(ThemeKey::InputInvalid)
        } else if page < w.page {
            t.text()
        } else {
            t.dim()
        };
        x = put(buf, x, r.y, &label, style, r.right().saturating_sub(x));
    }
}

/// The first key bound to `action` in the `[wizard]` context, then `[popup]` (empty when
/// none is).
fn first_key(keymap: &Keymap, action: Action) -> String {
    keymap
        .keys_for(Context::Wizard, action)
        .into_iter()
        .next()
        .unwrap_or_default()
}

fn hints(w: &DeployWizard, r: Rect, buf: &mut Buffer, t: &Theme, keymap: &Keymap) {
    let key = |a: Action| first_key(keymap, a);
    let pair = |a: Action, b: Action, sep: &str| {
        let (a, b) = (key(a), key(b));
        if a.is_empty() || b.is_empty() {
            String::new()
        } else {
            format!("{a}{sep}{b}")
        }
    };
    let mut keys: Vec<(String, &str)> = Vec::new();
    match w.page {
        Page::Review => keys.push((key(Action::Submit), "deploy")),
        _ => keys.push((key(Action::NextField), "next")),
    }
    keys.push((key(Action::PrevField), "prev"));
    keys.push((pair(Action::PageDown, Action::PageUp, "/"), "page"));
    match w.page {
        Page::Target => keys.push((pair(Action::Up, Action::Down, ""), "choose")),
        Page::Volumes => keys.push((key(Action::Toggle), "toggle")),
        Page::Env if w.form.app.env.iter().any(|v| v.is_secret()) => {
            let label = if w.form.reveal { "hide" } else { "reveal" };
            keys.push((key(Action::Reveal), label));
        }
        _ => {}
    }
    keys.push((
        key(Action::Back),
        if w.page == Page::Name {
            "cancel"
        } else {
            "back"
        },
    ));
    keys.retain(|(k, _)| !k.is_empty());
    let mut x = r.x;
    for (i, (k, label)) in keys.into_iter().enumerate() {
        if i > 0 {
            x = put(buf, x, r.y, " · ", t.dim(), r.right().saturating_sub(x));
        }
        x = put(
            buf,
            x,
            r.y,
            &k,
            t.style(ThemeKey::Key),
            r.right().saturating_sub(x),
        );
        x = put(
            buf,
            x,
            r.y,
            &format!(" {label}"),
            t.dim(),
            r.right().saturating_sub(x),
        );
    }
}

/// A label, a one-line input, and under it the error (red) or `note` (dim).
#[allow(clippy::too_many_arguments)]
fn input_row(
    buf: &mut Buffer,
    r: Rect,
    label: &str,
    ta: &TextArea<'static>,
    focused: bool,
    mask: bool,
    error: Option<&str>,
    note: &str,
    t: &Theme,
) {
    let label_style = if focused {
        t.style(ThemeKey::Key)
    } else {
        t.text()
    };
    put(buf, r.x, r.y, label, label_style, LABEL_W.min(r.width));
    let field = Rect::new(
        r.x + LABEL_W,
        r.y,
        r.width.saturating_sub(LABEL_W).min(48),
        1,
    );
    if field.width == 0 || r.y >= buf.area.bottom() {
        return;
    }
    buf.set_style(field.intersection(buf.area), t.style(ThemeKey::Input));
    let mut ta = ta.clone();
    if mask {
        ta.set_mask_char('•');
    } else {
        ta.clear_mask_char();
    }
    ta.set_style(t.style(ThemeKey::Input));
    ta.set_placeholder_style(t.style(ThemeKey::Input).patch(t.dim()));
    ta.set_cursor_style(if focused {
        Style::default().add_modifier(Modifier::REVERSED)
    } else {
        t.style(ThemeKey::Input)
    });
    (&ta).render(field, buf);
    let under = r.y + 1;
    if under >= r.bottom() {
        return;
    }
    match error {
        Some(e) => put(
            buf,
            field.x,
            under,
            &format!("✖ {e}"),
            t.style(ThemeKey::InputInvalid),
            r.right().saturating_sub(field.x),
        ),
        None => put(
            buf,
            field.x,
            under,
            note,
            t.dim(),
            r.right().saturating_sub(field.x),
        ),
    };
}

/// A paragraph of dim text at the top of a page; returns the rows used.
fn intro(buf: &mut Buffer, r: Rect, text: &str, t: &Theme) -> u16 {
    put(buf, r.x, r.y, text, t.dim(), r.width);
    2
}

fn name_page(w: &DeployWizard, r: Rect, buf: &mut Buffer, t: &Theme) {
    let f = &w.form;
    let used = intro(
        buf,
        r,
        "The container's hostname and the app's name on the rack.",
        t,
    );
    let row = Rect::new(r.x, r.y + used, r.width, FIELD_ROWS);
    let err = f.name_error();
    input_row(
        buf,
        row,
        "Name",
        &f.name,
        true,
        false,
        err.as_deref(),
        "✔ free on the rack",
        t,
    );
    let y = r.y + used + FIELD_ROWS + 1;
    let about = crate::text::clean_string(&f.app.description);
    put(buf, r.x, y, &about, t.dim(), r.width);
}

fn target_page(w: &DeployWizard, r: Rect, buf: &mut Buffer, t: &Theme) {
    let f = &w.form;
    let used = intro(buf, r, "Where the container goes.", t);
    let rows = usize::from(r.height.saturating_sub(used + 2)).max(1);
    let total = f.nodes.len() + 1;
    let first = f
        .target
        .saturating_sub(rows - 1)
        .min(total.saturating_sub(rows));
    let auto_reason = match f.auto_placement() {
        Ok(p) => format!("automatic: {}", p.reason),
        Err(e) => format!("automatic: {e}"),
    };
    for (row, i) in (first..total).take(rows).enumerate() {
        let y = r.y + used + row as u16;
        let chosen = i == f.target;
        let style = if chosen {
            t.style(ThemeKey::Selection)
        } else {
            t.text()
        };
        let text = match i.checked_sub(1).and_then(|n| f.nodes.get(n)) {
            None => format!("{} {auto_reason}", if chosen { "●" } else { "○" }),
            Some(n) => {
                let state = if n.online { "" } else { " · offline" };
                format!(
                    "{} {} / {}  {} mem · {} disk free · {} cores{state}",
                    if chosen { "●" } else { "○" },
                    crate::text::clean_string(&n.host),
                    crate::text::clean_string(&n.node),
                    bytes(n.mem_free_bytes),
                    bytes(n.disk_free_bytes),
                    n.cores,
                )
            }
        };
        if chosen {
            buf.set_style(Rect::new(r.x, y, r.width, 1).intersection(buf.area), style);
        }
        put(buf, r.x + 1, y, &text, style, r.width.saturating_sub(2));
    }
    let y = r.bottom().saturating_sub(1);
    match (f.target_error(), f.chosen().map(|_| f.placement())) {
        (Some(e), _) | (None, Some(Err(e))) => {
            put(
                buf,
                r.x,
                y,
                &format!("✖ {e}"),
                t.style(ThemeKey::InputInvalid),
                r.width,
            );
        }
        _ => {}
    }
}

fn resources_page(w: &DeployWizard, r: Rect, buf: &mut Buffer, t: &Theme) {
    let f = &w.form;
    let min = f.app.resources;
    let used = intro(
        buf,
        r,
        &format!(
            "At least {} cores, {} MiB memory, {} GiB disk.",
            min.cores, min.memory_mb, min.disk_gb
        ),
        t,
    );
    let errors = f.resource_errors();
    let node = match f.placement() {
        Ok(p) => format!("on {}", p.node),
        Err(_) => String::new(),
    };
    for (i, label) in RESOURCE_LABELS.iter().enumerate() {
        let row = Rect::new(
            r.x,
            r.y + used + i as u16 * (FIELD_ROWS + 1),
            r.width,
            FIELD_ROWS,
        );
        if row.y >= r.bottom() {
            break;
        }
        input_row(
            buf,
            row,
            label,
            &f.resources[i],
            w.field == i,
            false,
            errors[i].as_deref(),
            if i == 0 { &node } else { "" },
            t,
        );
    }
}

fn env_page(w: &DeployWizard, r: Rect, buf: &mut Buffer, t: &Theme) {
    let f = &w.form;
    if f.app.env.is_empty() {
        put(
            buf,
            r.x,
            r.y,
            "This app has no variables to set.",
            t.dim(),
            r.width,
        );
        return;
    }
    let per = FIELD_ROWS + 1;
    let fit = usize::from((r.height / per).max(1));
    let first = w.field.saturating_sub(fit - 1);
    let errors = f.env_errors();
    for (row, (i, var)) in f
        .app
        .env
        .iter()
        .enumerate()
        .skip(first)
        .take(fit)
        .enumerate()
    {
        let area = Rect::new(r.x, r.y + row as u16 * per, r.width, FIELD_ROWS);
        let mut note = crate::text::clean_string(&var.description);
        if var.is_secret() {
            note.push_str(" · generated if left empty");
        } else if var.required {
            note.push_str(" · required");
        }
        let key = crate::text::clean_string(&var.key);
        input_row(
            buf,
            area,
            &key,
            &f.env[i],
            w.field == i,
            var.is_secret() && !f.reveal,
            errors.get(i).and_then(|e| e.as_deref()),
            &note,
            t,
        );
    }
    if f.app.env.len() > fit {
        let s = format!("{}/{}", w.field + 1, f.app.env.len());
        let len = s.chars().count() as u16;
        put(buf, r.right().saturating_sub(len), r.y, &s, t.dim(), len);
    }
}

#[allow(clippy::too_many_arguments)]
fn switch(
    buf: &mut Buffer,
    x: u16,
    y: u16,
    on: bool,
    label: &str,
    focused: bool,
    w: u16,
    t: &Theme,
) {
    let (mark, style) = if on {
        ("[✔]", t.style(ThemeKey::SwitchOn))
    } else {
        ("[ ]", t.style(ThemeKey::SwitchOff))
    };
    let x2 = put(buf, x, y, mark, style, w);
    let label_style = if focused {
        t.style(ThemeKey::Key)
    } else {
        t.text()
    };
    put(buf, x2 + 1, y, label, label_style, w.saturating_sub(4));
}

fn volumes_page(w: &DeployWizard, r: Rect, buf: &mut Buffer, t: &Theme) {
    let f = &w.form;
    put(
        buf,
        r.x,
        r.y,
        "Volumes, kept on the container:",
        t.dim(),
        r.width,
    );
    let mut y = r.y + 1;
    let volumes: Vec<(String, String, String)> = volume_rows(f);
    if volumes.is_empty() {
        put(buf, r.x + 2, y, "none", t.dim(), r.width);
        y += 1;
    }
    let max_rows = usize::from(r.height.saturating_sub(6)).max(1);
    for (shown, (name, target, path)) in volumes.iter().enumerate() {
        if shown == max_rows {
            put(buf, r.x + 2, y, "…", t.dim(), 1);
            y += 1;
            break;
        }
        let x = put(buf, r.x + 2, y, name, t.style(ThemeKey::Tag), r.width);
        let x = put(
            buf,
            x,
            y,
            &format!(" -> {target}"),
            t.text(),
            r.right().saturating_sub(x),
        );
        put(
            buf,
            x + 2,
            y,
            path,
            t.dim(),
            r.right().saturating_sub(x + 2),
        );
        y += 1;
    }
    y += 1;
    let sw = r.width;
    switch(
        buf,
        r.x,
        y,
        f.backups,
        "automatic backups",
        w.field == SWITCH_BACKUPS,
        sw,
        t,
    );
    switch(
        buf,
        r.x,
        y + 1,
        f.keep_on_failure,
        "keep the container if the deployment fails (for debugging)",
        w.field == SWITCH_KEEP,
        sw,
        t,
    );
}

/// (service: volume, target in the Docker container, path on the container).
fn volume_rows(f: &DeployForm) -> Vec<(String, String, String)> {
    f.app
        .services
        .iter()
        .flat_map(|s| {
            s.volumes.iter().map(move |v| {
                (
                    crate::text::clean_string(&format!("{}: {}", s.name, v.name)),
                    crate::text::clean_string(&v.target),
                    crate::text::clean_string(&f.volume_path(&v.name)),
                )
            })
        })
        .collect()
}

/// The review's lines: (label, value), everything that will be created.
pub fn review_lines(f: &DeployForm) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let app = &f.app;
    out.push((
        "App".into(),
        format!("{} {} ({})", app.name, app.version, app.id),
    ));
    let os = match app.os {
        crate::catalog::OsFamily::Debian => "Debian",
        crate::catalog::OsFamily::Alpine => "Alpine",
    };
    out.push((
        "Container".into(),
        format!("{} · LXC on {os}, Docker inside", f.name_value()),
    ));
    let target = match (f.chosen(), f.placement()) {
        (None, Ok(p)) => format!("automatic, now {}/{} ({})", p.host, p.node, p.reason),
        (None, Err(e)) => format!("automatic, {e}"),
        (Some(c), _) => format!("{} / {}", c.host, c.node),
    };
    out.push(("Target".into(), target));
    let r = f.asked();
    out.push((
        "Resources".into(),
        format!(
            "{} {} · {} MiB memory · {} GiB disk",
            r.cores,
            if r.cores == 1 { "core" } else { "cores" },
            r.memory_mb,
            r.disk_gb
        ),
    ));
    for (i, var) in app.env.iter().enumerate() {
        let value = f.env_value(i);
        let shown = match (var.is_secret(), value.is_empty()) {
            (true, true) => "(generated)".to_string(),
            (true, false) if !f.reveal => "•".repeat(value.chars().count().min(12)),
            (_, true) => "(empty)".to_string(),
            _ => value,
        };
        let label = if i == 0 { "Variables" } else { "" };
        out.push((label.into(), format!("{} = {shown}", var.key)));
    }
    for (i, s) in app.services.iter().enumerate() {
        let ports: Vec<String> = s
            .ports
            .iter()
            .map(|p| format!("{}->{}", p.host, p.container))
            .collect();
        let ports = if ports.is_empty() {
            String::new()
        } else {
            format!(" · ports {}", ports.join(", "))
        };
        let label = if i == 0 { "Services" } else { "" };
        out.push((label.into(), format!("{} ({}){ports}", s.name, s.image)));
    }
    for (i, (name, target, path)) in volume_rows(f).into_iter().enumerate() {
        let label = if i == 0 { "Volumes" } else { "" };
        out.push((label.into(), format!("{name} -> {target} ({path})")));
    }
    out.push((
        "Backups".into(),
        format!(
            "{} · keep on failure {}",
            if f.backups { "on" } else { "off" },
            if f.keep_on_failure { "on" } else { "off" }
        ),
    ));
    out.into_iter()
        .map(|(l, v)| (l, crate::text::clean_string(&v)))
        .collect()
}

fn review_page(w: &DeployWizard, r: Rect, buf: &mut Buffer, t: &Theme, submit: &str) {
    let lines = review_lines(&w.form);
    let rows = usize::from(r.height.saturating_sub(2)).max(1);
    for (i, (label, value)) in lines.iter().enumerate().take(rows) {
        let y = r.y + i as u16;
        if i + 1 == rows && lines.len() > rows {
            put(buf, r.x + LABEL_W, y, "…", t.dim(), 1);
            break;
        }
        put(buf, r.x, y, label, t.dim(), LABEL_W);
        put(
            buf,
            r.x + LABEL_W,
            y,
            value,
            t.text(),
            r.width.saturating_sub(LABEL_W),
        );
    }
    let y = r.bottom().saturating_sub(1);
    let x = put(
        buf,
        r.x,
        y,
        submit,
        t.style(ThemeKey::Key),
        submit.chars().count() as u16,
    );
    put(
        buf,
        x,
        y,
        " creates the container and deploys; the log opens beside the rack.",
        t.text(),
        r.right().saturating_sub(x),
    );
}
