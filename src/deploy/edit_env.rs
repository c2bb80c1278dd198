//! Editing a managed app's variables: the current values are read back from the compose
//! file in its container (where the secrets live: they are never in the store), the changes
//! applied and checked against the catalog, the file written again and the services
//! re-created, then the health check.

use std::collections::BTreeMap;

use serde_json::Value;

use super::env::resolve_env;
use super::exec::Executor;
use super::record::AppRecord;
use super::runner::{DeployTuning, Stop, failed};
use super::scripts;
use crate::catalog::AppSpec;
use crate::engine::JobCtx;

/// The values a compose file holds for the app's variables: every service environment
/// entry the catalog writes as exactly `${KEY}` gives KEY's value back (with compose's `$$`
/// escape undone).
pub fn recover_env(app: &AppSpec, compose: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for service in &app.services {
        for (name, template) in &service.environment {
            let Some(key) = template
                .strip_prefix("${")
                .and_then(|t| t.strip_suffix('}'))
            else {
                continue;
            };
            if let Some(v) = compose["services"][&service.name]["environment"][name].as_str() {
                // The serializer writes `$` as `$$` (compose's escape): read back the value.
                out.entry(key.to_string())
                    .or_insert_with(|| v.replace("$$", "$"));
            }
        }
    }
    out
}

/// Apply `changes` to the app's variables and re-create it.
pub async fn edit_env(
    ctx: &JobCtx,
    exec: &dyn Executor,
    app: &AppRecord,
    spec: &AppSpec,
    changes: &BTreeMap<String, String>,
    t: &DeployTuning,
) -> Result<(), Stop> {
    ctx.step("reading the current values", Some(0.1));
    let (mut values, current) = current_values(ctx, exec, app, spec, t).await?;
    for (k, v) in changes {
        values.insert(k.clone(), v.clone());
    }
    ctx.step("writing the compose file", Some(0.3));
    write_compose(exec, app, spec, &values, &current).await?;
    super::update::recreate_and_check(ctx, app, spec, exec, t).await
}

/// The app's variables as its compose file holds them, and the file's text.
pub(super) async fn current_values(
    ctx: &JobCtx,
    exec: &dyn Executor,
    app: &AppRecord,
    spec: &AppSpec,
    t: &DeployTuning,
) -> Result<(BTreeMap<String, String>, String), Stop> {
    let path = scripts::compose_path(&app.name);
    let cmd = format!("cat {}", scripts::quote(&path));
    // The file holds the app's secrets: its lines are read, never streamed to the job's log
    // (which is journaled and shown).
    ctx.log(&format!("$ {cmd}   (output not logged: it holds secrets)"));
    let quiet = |_: crate::deploy::exec::OutputLine<'_>| {};
    let current = tokio::select! {
        r = exec.run(&cmd, t.command_timeout, &quiet) => r.map_err(failed)?,
        _ = ctx.cancel_token().cancelled() => return Err(Stop::Cancelled),
    };
    if current.code != 0 {
        return Err(failed(format!(
            "cannot read {path} (exit {})",
            current.code
        )));
    }
    let doc: Value = serde_json::from_str(&current.output).map_err(|e| {
        failed(format!(
            "{path} is not the compose file Proximity wrote: {e}"
        ))
    })?;
    Ok((recover_env(spec, &doc), current.output))
}

/// Write the compose file `spec` makes with `values` (checked against the catalog; missing
/// ones get their defaults or generated secrets), unless it is `current` already. Whether
/// it was written.
pub(super) async fn write_compose(
    exec: &dyn Executor,
    app: &AppRecord,
    spec: &AppSpec,
    values: &BTreeMap<String, String>,
    current: &str,
) -> Result<bool, Stop> {
    let env = resolve_env(spec, values).map_err(failed)?;
    let text = crate::catalog::compose::compose_file(spec, &env.all).map_err(failed)?;
    // `cat` output comes back through a terminal: compare without line-end differences.
    if same_text(&text, current) {
        return Ok(false);
    }
    let path = scripts::compose_path(&app.name);
    exec.write_file(&path, text.as_bytes(), 0o600)
        .await
        .map_err(failed)?;
    Ok(true)
}

fn same_text(a: &str, b: &str) -> bool {
    let lines = |s: &str| {
        s.lines()
            .map(|l| l.trim_end_matches('\r').to_string())
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
    };
    lines(a) == lines(b)
}
