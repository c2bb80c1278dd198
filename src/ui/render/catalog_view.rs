//! Drawing the catalog screen: three columns (categories, apps with the search line, the
//! selected app's deploy plan). Narrow terminals get narrower lists; the plan wraps and
//! scrolls (`J`/`K`). Catalog text is checked for control characters when it is loaded,
//! so it is drawn as is.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::widgets::{boxed, put};
use crate::catalog::compose::volume_host_path;
use crate::catalog::{AppSpec, HealthCheck, OsFamily, Protocol};
use crate::ui::catalog_view::{CatalogFocus, CatalogView, list_rows};
use crate::ui::layer::LayerCtx;
use crate::ui::theme::{Theme, ThemeKey};

/// Column widths for the two lists at this terminal width.
fn list_widths(width: u16) -> (u16, u16) {
    if width >= 140 {
        (24, 44)
    } else if width >= 100 {
        (20, 34)
    } else {
        (18, 25)
    }
}

pub fn draw(v: &CatalogView, area: Rect, buf: &mut Buffer, ctx: &LayerCtx) {
    let t = ctx.theme;
    let (cw, aw) = list_widths(area.width);
    if area.width < cw + aw + 20 || area.height < 6 {
        // Below the 80x24 the product promises: say so rather than draw a mess.
        buf.set_style(area, t.style(ThemeKey::Background));
        put(
            buf,
            area.x,
            area.y,
            "catalog: the terminal is too small",
            t.dim(),
            area.width,
        );
        return;
    }
    buf.set_style(area, t.style(ThemeKey::Background));
    let cats = Rect::new(area.x, area.y, cw, area.height);
    let apps_area = Rect::new(area.x + cw, area.y, aw, area.height);
    let detail = Rect::new(area.x + cw + aw, area.y, area.width - cw - aw, area.height);
    draw_categories(
        v,
        cats,
        buf,
        t,
        ctx.focused && v.focus == CatalogFocus::Categories,
    );
    let apps = v.visible();
    draw_apps(
        v,
        &apps,
        apps_area,
        buf,
        t,
        ctx.focused && v.focus == CatalogFocus::Apps,
    );
    let selected = apps.get(v.selected_index(&apps)).copied();
    let title = selected.map_or("deploy plan".to_string(), |a| format!("deploy {}", a.id));
    let inner = boxed(buf, detail, &title, t, false);
    match selected {
        Some(app) => draw_plan(app, v.detail_scroll, inner, buf, t),
        None => {
            put(
                buf,
                inner.x + 1,
                inner.y,
                "no app matches",
                t.dim(),
                inner.width,
            );
        }
    }
}

fn draw_categories(v: &CatalogView, area: Rect, buf: &mut Buffer, t: &Theme, focused: bool) {
    let inner = boxed(buf, area, "categories", t, focused);
    let rows = usize::from(inner.height);
    let first = (v.category + 1).saturating_sub(rows.max(1));
    for (i, (name, count)) in v.categories.iter().enumerate().skip(first).take(rows) {
        let y = inner.y + (i - first) as u16;
        let selected = i == v.category;
        let style = row_style(t, selected, focused);
        if selected {
            buf.set_style(Rect::new(inner.x, y, inner.width, 1), style);
            put(buf, inner.x, y, "▸", style, 1);
        }
        let n = count.to_string();
        let name_w = inner.width.saturating_sub(n.len() as u16 + 2);
        put(buf, inner.x + 1, y, name, style, name_w);
        let nx = inner.right().saturating_sub(n.len() as u16);
        let count_style = if selected { style } else { t.dim() };
        put(buf, nx, y, &n, count_style, n.len() as u16);
    }
}

fn row_style(t: &Theme, selected: bool, focused: bool) -> Style {
    match (selected, focused) {
        (true, true) => t.style(ThemeKey::Selection),
        (true, false) => t.style(ThemeKey::Title),
        _ => t.text(),
    }
}

fn draw_apps(
    v: &CatalogView,
    apps: &[&AppSpec],
    area: Rect,
    buf: &mut Buffer,
    t: &Theme,
    focused: bool,
) {
    let category = v.category_name().unwrap_or("all apps");
    let title = format!("{category} · {}", apps.len());
    let inner = boxed(buf, area, &title, t, focused);
    // The search line.
    let y = inner.y;
    if v.searching || !v.query.is_empty() {
        let x = put(buf, inner.x, y, "/", t.style(ThemeKey::Key), 1);
        let style = if v.searching {
            t.style(ThemeKey::Input)
        } else {
            t.text()
        };
        buf.set_style(Rect::new(x, y, inner.right().saturating_sub(x), 1), style);
        let end = put(buf, x, y, &v.query, style, inner.right().saturating_sub(x));
        if v.searching && end < inner.right() {
            put(buf, end, y, "▏", style, 1);
        }
    } else {
        let x = put(buf, inner.x, y, "/", t.style(ThemeKey::Key), 1);
        put(
            buf,
            x + 1,
            y,
            "search",
            t.dim(),
            inner.width.saturating_sub(2),
        );
    }
    let rows = list_rows(area);
    let sel = v.selected_index(apps);
    let first = (sel + 1).saturating_sub(rows.max(1));
    let wide = inner.width >= 40;
    for (i, app) in apps.iter().enumerate().skip(first).take(rows) {
        let y = inner.y + 1 + (i - first) as u16;
        let selected = i == sel;
        let style = row_style(t, selected, focused);
        if selected {
            buf.set_style(Rect::new(inner.x, y, inner.width, 1), style);
            put(buf, inner.x, y, "▸", style, 1);
        }
        let icon_style = if selected {
            style
        } else {
            t.style(ThemeKey::Tag)
        };
        put(buf, inner.x + 1, y, &app.icon, icon_style, 1);
        let side = if wide {
            format!("{}c {}", app.resources.cores, mem(app.resources.memory_mb))
        } else {
            String::new()
        };
        let name_w = inner.width.saturating_sub(4 + side.len() as u16);
        put(buf, inner.x + 3, y, &app.name, style, name_w);
        if wide {
            let sx = inner.right().saturating_sub(side.len() as u16);
            let side_style = if selected { style } else { t.dim() };
            put(buf, sx, y, &side, side_style, side.len() as u16);
        }
    }
    if apps.is_empty() {
        put(
            buf,
            inner.x + 1,
            inner.y + 1,
            "nothing matches",
            t.dim(),
            inner.width,
        );
    }
}

fn mem(mb: u64) -> String {
    if mb >= 1024 && mb % 1024 == 0 {
        format!("{}G", mb / 1024)
    } else {
        format!("{mb}M")
    }
}

/// One drawn line of the plan: styled pieces.
type PlanLine = Vec<(String, Style)>;

fn draw_plan(app: &AppSpec, scroll: u16, area: Rect, buf: &mut Buffer, t: &Theme) {
    let lines = plan_lines(app, area.width.saturating_sub(2), t);
    let last = lines.len().saturating_sub(usize::from(area.height));
    let skip = usize::from(scroll).min(last);
    for (i, line) in lines
        .iter()
        .skip(skip)
        .take(usize::from(area.height))
        .enumerate()
    {
        let y = area.y + i as u16;
        let mut x = area.x + 1;
        for (text, style) in line {
            x = put(buf, x, y, text, *style, area.right().saturating_sub(x + 1));
        }
    }
    if skip < last {
        put(
            buf,
            area.right().saturating_sub(2),
            area.bottom() - 1,
            "↓",
            t.dim(),
            1,
        );
    }
}

/// What a deploy creates, line by line, wrapped to `width`.
pub fn plan_lines(app: &AppSpec, width: u16, t: &Theme) -> Vec<PlanLine> {
    let (text, dim, title) = (t.text(), t.dim(), t.style(ThemeKey::Title));
    let (tag, port) = (t.style(ThemeKey::Tag), t.style(ThemeKey::Port));
    let mut out: Vec<PlanLine> = Vec::new();
    out.push(vec![
        (format!("{} ", app.icon), tag),
        (app.name.clone(), title),
        (format!("  {}", app.version), dim),
    ]);
    out.push(vec![(app.category.clone(), tag)]);
    if !app.tags.is_empty() {
        for l in wrap(&format!("#{}", app.tags.join(" #")), width) {
            out.push(vec![(l, dim)]);
        }
    }
    for l in wrap(&app.description, width) {
        out.push(vec![(l, text)]);
    }
    out.push(Vec::new());

    let os = match app.os {
        OsFamily::Debian => "Debian",
        OsFamily::Alpine => "Alpine",
    };
    let r = &app.resources;
    out.push(vec![("Container".into(), title)]);
    let cores = if r.cores == 1 { "core" } else { "cores" };
    out.push(vec![(format!("  {os} LXC · {} {cores}", r.cores), text)]);
    out.push(vec![(
        format!("  {} MB memory · {} GB disk", r.memory_mb, r.disk_gb),
        text,
    )]);
    let data = volume_host_path(&app.id, "");
    for l in wrap(
        &format!("Docker compose, volumes under {data}"),
        width.saturating_sub(2),
    ) {
        out.push(vec![(format!("  {l}"), dim)]);
    }
    out.push(Vec::new());

    out.push(vec![(format!("Services ({})", app.services.len()), title)]);
    for svc in &app.services {
        let head = format!("  {} ", svc.name);
        if head.chars().count() + svc.image.chars().count() <= usize::from(width) {
            out.push(vec![(head, text), (svc.image.clone(), dim)]);
        } else {
            out.push(vec![(head, text)]);
            for l in wrap(&svc.image, width.saturating_sub(4)) {
                out.push(vec![(format!("    {l}"), dim)]);
            }
        }
        for p in &svc.ports {
            let proto = if p.protocol == Protocol::Udp {
                "/udp"
            } else {
                ""
            };
            out.push(vec![
                ("    port ".into(), dim),
                (format!("{} → {}{proto}", p.host, p.container), port),
            ]);
        }
        for vol in &svc.volumes {
            let line = format!("{} → {}", vol.name, vol.target);
            for (i, l) in wrap(&line, width.saturating_sub(9)).into_iter().enumerate() {
                let label = if i == 0 { "    vol  " } else { "         " };
                out.push(vec![(label.into(), dim), (l, text)]);
            }
        }
        if !svc.depends_on.is_empty() {
            out.push(vec![(
                format!("    after {}", svc.depends_on.join(", ")),
                dim,
            )]);
        }
    }
    out.push(Vec::new());

    if !app.env.is_empty() {
        out.push(vec![("Variables".into(), title)]);
        for var in &app.env {
            let value = match (&var.secret_length, &var.default) {
                (Some(n), _) => (
                    format!("generated ({n} characters)"),
                    t.style(ThemeKey::Marked),
                ),
                (None, Some(d)) if !d.is_empty() => (format!("= {d}"), text),
                _ if var.required => ("required".to_string(), t.style(ThemeKey::InputInvalid)),
                _ => ("optional, empty".to_string(), dim),
            };
            out.push(vec![
                (format!("  {} ", var.key), t.style(ThemeKey::Key)),
                value,
            ]);
        }
        out.push(Vec::new());
    }

    let web = match &app.web {
        Some(w) => format!("{}://<container>:{}{}", w.scheme, w.port, w.path),
        None => "no web interface".into(),
    };
    out.push(vec![("Web     ".into(), title), (web, port)]);
    let health = match &app.health {
        HealthCheck::Http { port, path } => format!("http GET :{port}{path}"),
        HealthCheck::Tcp { port } => format!("tcp connect :{port}"),
    };
    out.push(vec![("Health  ".into(), title), (health, text)]);
    for (i, l) in wrap(&app.docs, width.saturating_sub(8))
        .into_iter()
        .enumerate()
    {
        let label = if i == 0 { "Docs    " } else { "        " };
        out.push(vec![(label.into(), title), (l, tag)]);
    }
    out
}

/// Greedy word wrap by characters (catalog text is one cell per character but for the
/// rare wide glyph, which only shortens a line on screen).
fn wrap(text: &str, width: u16) -> Vec<String> {
    let width = usize::from(width.max(8));
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word = word.to_string();
        // A word longer than a line (a URL) is cut.
        while word.chars().count() > width {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            let head: String = word.chars().take(width).collect();
            word = word.chars().skip(width).collect();
            lines.push(head);
        }
        let need = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if need > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}
