//! `--state DIR`: the model saved as JSON (mode 0600, written atomically: temp file + rename)
//! after changes, and reloaded on start.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::SimError;
use super::model::Model;
use super::state::Sim;

const FILE: &str = "sim-state.json";

pub fn state_file(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// Load a saved model; `Ok(None)` when there is none yet. Tasks that were running when the
/// emulator stopped end with `unexpected status`, and their guest locks are released.
pub fn load(dir: &Path) -> Result<Option<Model>, SimError> {
    let path = state_file(dir);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(SimError::State { path, source }),
    };
    let mut model: Model = serde_json::from_slice(&bytes).map_err(|e| SimError::StateFormat {
        path: path.clone(),
        message: e.to_string(),
    })?;
    let now = super::clock::now_epoch();
    for t in model.tasks.iter_mut().filter(|t| t.endtime.is_none()) {
        t.endtime = Some(now);
        t.exitstatus = Some("unexpected status".into());
    }
    for g in model.guests.values_mut() {
        g.lock = None;
    }
    Ok(Some(model))
}

pub fn save(dir: &Path, model: &Model) -> Result<(), SimError> {
    let path = state_file(dir);
    let err = |source| SimError::State {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(err)?;
    let bytes = serde_json::to_vec(model).map_err(|e| SimError::StateFormat {
        path: path.clone(),
        message: e.to_string(),
    })?;
    let tmp = dir.join(format!(".{FILE}.{}.tmp", std::process::id()));
    {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp).map_err(err)?;
        f.write_all(&bytes).map_err(err)?;
        f.sync_all().map_err(err)?;
    }
    std::fs::rename(&tmp, &path).map_err(err)?;
    Ok(())
}

/// Background saver: coalesces bursts of changes, saves once more on shutdown.
pub async fn saver(sim: Arc<Sim>, dir: PathBuf, cancel: CancellationToken) {
    loop {
        let stop = tokio::select! {
            _ = sim.dirty.notified() => false,
            _ = cancel.cancelled() => true,
        };
        if !stop {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let model = sim.snapshot();
        let dir2 = dir.clone();
        match tokio::task::spawn_blocking(move || save(&dir2, &model)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!("sim: saving state failed: {e}"),
            Err(e) => tracing::warn!("sim: state saver panicked: {e}"),
        }
        if stop {
            return;
        }
    }
}
