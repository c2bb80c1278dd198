//! The catalog screen: opened with `g a` (and the palette), categories with counts ("All"
//! first), the app list narrowed by category and by the `/` fuzzy search, Enter asking for
//! the deploy wizard, Esc clearing the search then closing; and its snapshots.

mod views_support;

use proximity::ui::action::Action;
use proximity::ui::catalog_view::{CatalogFocus, CatalogView};
use proximity::ui::keymap::Context;
use proximity::ui::{App, Effect};
use views_support::*;

fn view(app: &App) -> &CatalogView {
    app.layers
        .screens()
        .last()
        .and_then(|l| l.as_any().downcast_ref::<CatalogView>())
        .expect("the catalog view on top")
}

/// The title of the screen on top (the deploy wizard's is `deploy <id>`).
fn top_title(app: &App) -> String {
    app.layers
        .screens()
        .last()
        .map(|l| l.title())
        .unwrap_or_default()
}

fn ids(app: &App) -> Vec<String> {
    view(app).visible().iter().map(|a| a.id.clone()).collect()
}

fn opened(size: (u16, u16)) -> App {
    let mut app = rack_app(size);
    assert_eq!(typed(&mut app, "ga"), Vec::<Effect>::new());
    app
}

#[test]
fn g_a_opens_it_with_all_first_and_counts() {
    let app = opened((160, 45));
    let v = view(&app);
    assert_eq!(v.categories[0].0, "All");
    assert_eq!(v.categories[0].1, v.catalog.len());
    let sum: usize = v.categories[1..].iter().map(|(_, n)| n).sum();
    assert_eq!(sum, v.catalog.len());
    assert_eq!(v.focus, CatalogFocus::Apps);
    // By name when nothing is typed: "Actual Budget" before "AdGuard Home".
    let first: Vec<String> = ids(&app).into_iter().take(2).collect();
    assert_eq!(first, ["actualbudget", "adguard"]);
}

#[test]
fn categories_narrow_the_list() {
    let mut app = opened((160, 45));
    // Left to the categories, down to the second one (the first real category).
    typed(&mut app, "hj");
    let v = view(&app);
    assert_eq!(v.focus, CatalogFocus::Categories);
    let (name, count) = v.categories[1].clone();
    assert_eq!(v.category_name(), Some(name.as_str()));
    let apps = v.visible();
    assert_eq!(apps.len(), count);
    assert!(apps.iter().all(|a| a.category == name));
    // Enter on a category moves to its apps; Enter on an app deploys it.
    typed(&mut app, "<Enter>");
    assert_eq!(view(&app).focus, CatalogFocus::Apps);
    let first = ids(&app)[0].clone();
    assert_eq!(typed(&mut app, "<Enter>"), Vec::<Effect>::new());
    assert_eq!(
        top_title(&app),
        format!("deploy {first}"),
        "the wizard opens"
    );
}

#[test]
fn search_ranks_and_esc_clears_then_closes() {
    let mut app = opened((160, 45));
    typed(&mut app, "/jelly");
    assert!(view(&app).searching);
    let found = ids(&app);
    assert!(found.len() >= 2);
    assert!(found[..2].contains(&"jellyfin".to_string()));
    assert!(found[..2].contains(&"jellyseerr".to_string()));
    // Keys go to the search while it is typed: `q` does not close.
    typed(&mut app, "q<Bs>");
    assert_eq!(view(&app).query, "jelly");
    typed(&mut app, "<Enter>");
    assert!(!view(&app).searching);
    typed(&mut app, "j");
    let second = ids(&app)[1].clone();
    assert_eq!(typed(&mut app, "<Enter>"), Vec::<Effect>::new());
    assert_eq!(top_title(&app), format!("deploy {second}"));
    // Esc on the wizard's first page goes back to the catalog as it was.
    typed(&mut app, "<Esc>");
    assert_eq!(view(&app).query, "jelly");
    // Esc: the search goes, the list is whole again, then the screen closes.
    typed(&mut app, "<Esc>");
    assert!(view(&app).query.is_empty());
    assert_eq!(ids(&app).len(), view(&app).catalog.len());
    typed(&mut app, "<Esc>");
    assert!(app.layers.is_empty());
}

#[test]
fn esc_while_typing_clears_the_search() {
    let mut app = opened((160, 45));
    typed(&mut app, "/zzzz");
    assert!(ids(&app).is_empty());
    assert_eq!(
        typed(&mut app, "<Enter>"),
        Vec::<Effect>::new(),
        "ends typing"
    );
    assert_eq!(
        typed(&mut app, "<Enter>"),
        Vec::<Effect>::new(),
        "nothing to deploy"
    );
    typed(&mut app, "/<Esc>");
    assert!(!view(&app).searching && view(&app).query.is_empty());
    assert_eq!(ids(&app).len(), view(&app).catalog.len());
}

#[test]
fn the_palette_and_the_keymap_know_it() {
    let mut app = rack_app((160, 45));
    typed(&mut app, ":app catalog<Enter>");
    assert!(
        app.layers
            .screens()
            .last()
            .is_some_and(|l| l.as_any().is::<CatalogView>())
    );
    assert_eq!(
        app.keymap.keys_for(Context::Rack, Action::Catalog),
        vec!["g a"]
    );
    let rows = app.keymap.help_rows();
    assert!(
        rows.iter()
            .any(|(c, k, _)| *c == Context::Catalog && k == "Enter")
    );
    // `g t` from the catalog goes to the tasks view (screens do not pile up).
    typed(&mut app, "gt");
    assert_eq!(app.layers.screens().len(), 1);
    assert!(!app.layers.screens()[0].as_any().is::<CatalogView>());
}

fn snap(name: &str, build: impl Fn((u16, u16)) -> App) {
    for size in SIZES {
        let app = build(size);
        insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), screen(&app, size));
    }
}

#[test]
fn snapshot_catalog() {
    snap("catalog", |size| {
        let mut app = rack_app(size);
        // Nextcloud: a stack with a database, variables and generated secrets.
        typed(&mut app, "ga/nextcloud<Enter>");
        app
    });
}

#[test]
fn snapshot_catalog_category() {
    snap("catalog_category", |size| {
        let mut app = rack_app(size);
        typed(&mut app, "gahjjj");
        app
    });
}

#[test]
fn snapshot_catalog_searching() {
    snap("catalog_searching", |size| {
        let mut app = rack_app(size);
        typed(&mut app, "ga/dns");
        app
    });
}

#[test]
fn small_terminals_draw_without_panicking() {
    for size in [(20, 5), (45, 10), (62, 12), (63, 6), (64, 7)] {
        let mut app = rack_app(size);
        typed(&mut app, "ga/nextcloud<Enter>JJJJ");
        let text = screen(&app, size);
        assert!(!text.is_empty());
    }
}
