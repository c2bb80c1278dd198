//! A test hook: kill the process at the Nth store write, to test what a crash leaves behind.
//!
//! `PROXIMITY_TEST_CRASH_AT=N` makes the Nth call to [`point`] (every sled write and flush,
//! and each step of writing the key file) end the process with SIGKILL: no destructor, no
//! flush, exactly what a power cut or an OOM kill leaves. Integration tests drive the real
//! binary with it (`tests/store_crash.rs`), so it cannot be a `cfg(test)` item; unset, it costs
//! one initialized-once load per write.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The environment variable that arms the hook.
pub const CRASH_AT_ENV: &str = "PROXIMITY_TEST_CRASH_AT";

static CRASH_AT: OnceLock<Option<u64>> = OnceLock::new();
static WRITES: AtomicU64 = AtomicU64::new(0);

/// A store write is about to happen: die here if this is the armed one.
pub fn point() {
    let armed = CRASH_AT.get_or_init(|| {
        std::env::var(CRASH_AT_ENV)
            .ok()
            .and_then(|v| v.trim().parse().ok())
    });
    let Some(at) = *armed else {
        return;
    };
    if WRITES.fetch_add(1, Ordering::SeqCst) + 1 == at {
        kill_self();
    }
}

fn kill_self() -> ! {
    #[cfg(unix)]
    // SAFETY: raise only sends a signal to this process; SIGKILL cannot be caught.
    unsafe {
        libc::raise(libc::SIGKILL);
    }
    std::process::abort()
}
