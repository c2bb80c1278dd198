//! The binary edge: parse the command line, run, report errors in one line.

fn main() -> std::process::ExitCode {
    tune_malloc();
    proximity::cli::main()
}

/// glibc's malloc, left alone, keeps what the rack frees: every refresh of 10,000 guests
/// allocates a 4 MB body and a list of the same order, and by default (a) each thread that
/// allocates gets its own arena (tokio's workers: up to 8 per core), each keeping its free
/// space, and (b) after the first large block is freed the mmap threshold rises to its size,
/// so later blocks come from the arenas and fragment them. Two arenas and a fixed 128 KiB
/// threshold (large blocks mmapped, returned to the system when freed) cut the open rack's
/// RSS by about a third (`scripts/bench-soak.sh`). A `MALLOC_*` variable in the environment
/// (glibc's own tunables) wins.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_malloc() {
    const LARGE_BLOCK_BYTES: libc::c_int = 128 * 1024;
    let set = |var: &str| std::env::var_os(var).is_some();
    // SAFETY: mallopt only changes allocator parameters; this runs first, on the only thread.
    unsafe {
        if !set("MALLOC_ARENA_MAX") {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
        if !set("MALLOC_MMAP_THRESHOLD_") {
            libc::mallopt(libc::M_MMAP_THRESHOLD, LARGE_BLOCK_BYTES);
        }
        if !set("MALLOC_TRIM_THRESHOLD_") {
            libc::mallopt(libc::M_TRIM_THRESHOLD, LARGE_BLOCK_BYTES);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_malloc() {}
