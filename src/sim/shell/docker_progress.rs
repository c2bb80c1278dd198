//! `docker compose pull` and `up -d` as they look on a terminal: a block of status lines
//! redrawn in place (`ESC[nA` up over the block, `ESC[2K` clearing each line) until the final
//! state, paced by the timing knob.

use std::io::Write;

use super::apps::AppsSession;
use super::commands::Terminal;
use super::compose::{self, ServiceSpec};
use super::ct_state::{FailStep, ServiceState, StackState, short_id};

const SPIN: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const DONE: &str = "\u{2714}";
const FAILED: &str = "\u{2718}";

/// Redraws a block of lines in place.
#[derive(Default)]
struct Block {
    drawn: usize,
}

impl Block {
    fn draw(&mut self, out: &mut dyn Write, lines: &[String]) {
        let mut text = String::new();
        if self.drawn > 0 {
            text.push_str(&format!("\x1b[{}A", self.drawn));
        }
        for line in lines {
            text.push_str("\x1b[2K");
            text.push_str(line);
            text.push('\n');
        }
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
        self.drawn = lines.len();
    }
}

fn bar(fraction: f64) -> String {
    let width = 50usize;
    let filled = ((fraction.clamp(0.0, 1.0)) * width as f64) as usize;
    let mut s = "=".repeat(filled);
    if filled < width {
        s.push('>');
        s.push_str(&" ".repeat(width - filled - 1));
    }
    format!("[{s}]")
}

/// One layer's status line at progress `p` (0..=2: download then extract).
fn layer_line(id: &str, size: u64, p: f64) -> String {
    let (icon, text) = if p <= 0.0 {
        (SPIN[0], "Waiting".to_string())
    } else if p < 1.0 {
        let got = (size as f64 * p) as u64;
        (
            SPIN[(p * 10.0) as usize % 10],
            format!(
                "Downloading {} {:>7}/{}",
                bar(p),
                compose::human_size(got),
                compose::human_size(size)
            ),
        )
    } else if p < 2.0 {
        let got = (size as f64 * (p - 1.0)) as u64;
        (
            SPIN[(p * 10.0) as usize % 10],
            format!(
                "Extracting {} {:>7}/{}",
                bar(p - 1.0),
                compose::human_size(got),
                compose::human_size(size)
            ),
        )
    } else {
        (DONE, "Pull complete".to_string())
    };
    format!("   {icon} {id} {text}")
}

/// Pull the images of `services` (missing or not); non-zero when one fails.
pub fn pull(
    apps: &mut AppsSession,
    services: &[&ServiceSpec],
    quiet: bool,
    out: &mut dyn Write,
    term: &dyn Terminal,
) -> i32 {
    let frames = match apps.timing {
        super::ct_state::Timing::Fast => 6,
        super::ct_state::Timing::Realistic => 16,
    };
    let total = services.len();
    let mut block = Block::default();
    // Lines of the images already pulled (their header and finished layers).
    let mut finished: Vec<String> = Vec::new();
    for (index, svc) in services.iter().enumerate() {
        let failing = apps.fail == FailStep::Pull && index == 0;
        let layers = if apps.state.images.contains(&svc.image) || failing {
            Vec::new()
        } else {
            compose::layers(&svc.image)
        };
        let frame_count = if layers.is_empty() { 1 } else { frames };
        let mut current: Vec<String> = Vec::new();
        for frame in 0..=frame_count {
            let t = frame as f64 / frame_count as f64;
            let complete = frame == frame_count;
            current.clear();
            current.push(if complete && failing {
                format!(" {FAILED} {} Error manifest unknown", svc.name)
            } else if complete {
                format!(" {DONE} {} Pulled", svc.name)
            } else {
                format!(" {} {} Pulling", SPIN[frame % 10], svc.name)
            });
            for (i, (id, size)) in layers.iter().enumerate() {
                // Layers start one after another; each downloads, then extracts.
                let start = i as f64 / (layers.len() as f64 * 2.0);
                let p = ((t - start) * 4.0).clamp(0.0, 2.0);
                current.push(layer_line(id, *size, if complete { 2.0 } else { p }));
            }
            if !quiet {
                let pulled = index + usize::from(complete && !failing);
                let mut lines = vec![format!("[+] Pulling {pulled}/{total}")];
                lines.extend(finished.iter().cloned());
                lines.extend(current.iter().cloned());
                let pending = services.iter().skip(index + 1);
                lines.extend(pending.map(|s| format!(" {} {} Pulling", SPIN[0], s.name)));
                block.draw(out, &lines);
            }
            if !complete && !term.sleep(apps.timing.frame_s()) {
                return 130;
            }
        }
        if failing {
            let _ = writeln!(
                out,
                "Error response from daemon: manifest for {0} not found: manifest unknown: manifest unknown",
                svc.image
            );
            return 1;
        }
        apps.state.images.insert(svc.image.clone());
        finished.append(&mut current);
    }
    0
}

/// `up -d`: create and start the services; non-zero when one exits right away.
pub fn up(
    apps: &mut AppsSession,
    project: &str,
    file: &str,
    services: &[&ServiceSpec],
    out: &mut dyn Write,
    term: &dyn Terminal,
) -> i32 {
    let now = apps.now_ms();
    let fail_up = apps.fail == FailStep::Up;
    let never_ready = apps.fail == FailStep::Health;
    let timing = apps.timing;
    let stack = apps
        .state
        .stacks
        .entry(project.to_string())
        .or_insert_with(|| StackState {
            project: project.to_string(),
            file: file.to_string(),
            services: Vec::new(),
        });
    stack.file = file.to_string();
    let network_new = stack.services.is_empty();
    // Which service fails with `--fail-step up`: the first that publishes a port.
    let victim = services
        .iter()
        .position(|s| !s.ports.is_empty())
        .unwrap_or(0);
    let mut lines: Vec<(String, &str)> = Vec::new();
    if network_new {
        lines.push((format!("Network {project}_default"), "Created"));
    }
    let mut failed: Option<String> = None;
    for (i, spec) in services.iter().enumerate() {
        let name = format!("{project}-{}-1", spec.name);
        let existing = stack
            .services
            .iter()
            .position(|s| s.name == spec.name && s.image == spec.image && s.ports == spec.ports);
        let already_running = existing.is_some_and(|k| stack.services[k].state == "running");
        if already_running {
            lines.push((format!("Container {name}"), "Running"));
            continue;
        }
        let exits = fail_up && i == victim;
        let svc = ServiceState {
            name: spec.name.clone(),
            image: spec.image.clone(),
            ports: spec.ports.clone(),
            state: if exits { "exited" } else { "running" }.into(),
            exit_code: i32::from(exits),
            created_ms: now,
            started_ms: now,
            warmup_ms: timing.warmup_ms(compose::profile(&spec.image).warmup_ms),
            never_ready,
            id: short_id(&format!("{name}@{now}")),
        };
        stack.services.retain(|s| s.name != spec.name);
        stack.services.push(svc);
        if exits {
            failed = Some(name.clone());
        }
        lines.push((
            format!("Container {name}"),
            if exits { "Error" } else { "Started" },
        ));
    }
    let width = lines
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0);
    let total = lines.len();
    let mut block = Block::default();
    for stage in 0..3 {
        let shown: Vec<String> = std::iter::once(format!(
            "[+] Running {}/{total}",
            if stage == 2 { total } else { stage * total / 3 }
        ))
        .chain(lines.iter().enumerate().map(|(i, (what, end))| {
            let (icon, word) = match stage {
                2 if *end == "Error" => (FAILED, "Error"),
                2 => (DONE, *end),
                1 if what.starts_with("Network") => (DONE, "Created"),
                1 if *end == "Running" => (DONE, "Running"),
                1 => (SPIN[(i + 3) % 10], "Starting"),
                _ if *end == "Running" => (DONE, "Running"),
                _ => (SPIN[i % 10], "Creating"),
            };
            format!(" {icon} {what:<width$}  {word}")
        }))
        .collect();
        block.draw(out, &shown);
        if stage < 2 && !term.sleep(timing.unit_s()) {
            return 130;
        }
    }
    match failed {
        Some(name) => {
            let _ = writeln!(out, "container {name} exited (1)");
            1
        }
        None => 0,
    }
}
