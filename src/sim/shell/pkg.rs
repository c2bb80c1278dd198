//! `apk` (Alpine) and `apt-get` (Debian) as a deployment uses them: update the index, install
//! packages with realistic fetch/unpack/setup lines, paced by the timing knob. Installing a
//! Docker engine package makes `docker` exist; a compose package makes `docker compose` work.
//! Any other package name installs generically (the simulation has no package universe).

use std::io::Write;

use super::apps::AppsSession;
use super::commands::Terminal;
use super::ct_state::FailStep;
use super::fs::FakeFs;

/// (name, version, size in kB, dependencies) for the packages a deployment asks for.
struct Pkg {
    name: &'static str,
    version: &'static str,
    kb: u32,
    deps: &'static [&'static str],
}

const APT: &[Pkg] = &[
    Pkg {
        name: "docker.io",
        version: "20.10.24+dfsg1-1+deb12u1",
        kb: 28_012,
        deps: &["runc", "containerd", "tini", "iptables", "libip6tc2"],
    },
    Pkg {
        name: "docker-compose",
        version: "2.26.1-4",
        kb: 12_880,
        deps: &[],
    },
    Pkg {
        name: "containerd",
        version: "1.6.20~ds1-1+b1",
        kb: 25_140,
        deps: &[],
    },
    Pkg {
        name: "runc",
        version: "1.1.5+ds1-1+deb12u1",
        kb: 2_710,
        deps: &[],
    },
    Pkg {
        name: "tini",
        version: "0.19.0-1",
        kb: 255,
        deps: &[],
    },
    Pkg {
        name: "iptables",
        version: "1.8.9-2",
        kb: 383,
        deps: &[],
    },
    Pkg {
        name: "libip6tc2",
        version: "1.8.9-2",
        kb: 19,
        deps: &[],
    },
    Pkg {
        name: "curl",
        version: "7.88.1-10+deb12u8",
        kb: 315,
        deps: &["libcurl4"],
    },
    Pkg {
        name: "libcurl4",
        version: "7.88.1-10+deb12u8",
        kb: 390,
        deps: &[],
    },
];

const APK: &[Pkg] = &[
    Pkg {
        name: "docker",
        version: "26.1.5-r0",
        kb: 4,
        deps: &[
            "ca-certificates",
            "containerd",
            "runc",
            "docker-engine",
            "docker-cli",
            "tini-static",
            "iptables",
        ],
    },
    Pkg {
        name: "docker-cli-compose",
        version: "2.27.0-r3",
        kb: 10_820,
        deps: &[],
    },
    Pkg {
        name: "docker-engine",
        version: "26.1.5-r0",
        kb: 21_440,
        deps: &[],
    },
    Pkg {
        name: "docker-cli",
        version: "26.1.5-r0",
        kb: 10_004,
        deps: &[],
    },
    Pkg {
        name: "containerd",
        version: "1.7.17-r0",
        kb: 12_660,
        deps: &[],
    },
    Pkg {
        name: "runc",
        version: "1.1.14-r0",
        kb: 2_900,
        deps: &[],
    },
    Pkg {
        name: "ca-certificates",
        version: "20240705-r0",
        kb: 174,
        deps: &[],
    },
    Pkg {
        name: "tini-static",
        version: "0.19.0-r3",
        kb: 290,
        deps: &[],
    },
    Pkg {
        name: "iptables",
        version: "1.8.10-r3",
        kb: 370,
        deps: &[],
    },
];

fn is_engine(name: &str) -> bool {
    matches!(
        name,
        "docker.io" | "docker" | "docker-ce" | "docker-engine" | "moby-engine"
    )
}

fn is_compose(name: &str) -> bool {
    matches!(
        name,
        "docker-compose" | "docker-cli-compose" | "docker-compose-plugin" | "docker-compose-v2"
    )
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-._:".contains(c))
}

/// The packages to install for `wanted`, dependencies first, skipping installed ones.
fn plan(db: &'static [Pkg], wanted: &[&str], apps: &AppsSession) -> Vec<(String, String, u32)> {
    let mut plan: Vec<(String, String, u32)> = Vec::new();
    let add = |name: &str, plan: &mut Vec<(String, String, u32)>| {
        if apps.state.packages.contains(name) || plan.iter().any(|(n, ..)| n == name) {
            return;
        }
        let (version, kb) = db
            .iter()
            .find(|p| p.name == name)
            .map(|p| (p.version.to_string(), p.kb))
            .unwrap_or_else(|| ("1.0.0-1".to_string(), 96 + name.len() as u32 * 37));
        plan.push((name.to_string(), version, kb));
    };
    for name in wanted {
        if let Some(p) = db.iter().find(|p| p.name == *name) {
            for dep in p.deps {
                add(dep, &mut plan);
            }
        }
        add(name, &mut plan);
    }
    plan
}

/// Mark `names` installed and what they provide.
fn installed(apps: &mut AppsSession, fs: &mut FakeFs, names: &[String], apt: bool) {
    for name in names {
        apps.state.packages.insert(name.clone());
        if is_engine(name) && apps.state.docker_version.is_none() {
            let version = match name.as_str() {
                "docker.io" => "20.10.24+dfsg1, build 297e128",
                "docker-ce" => "27.3.1, build ce12230",
                _ => "26.1.5, build a72d7cdbeb",
            };
            apps.state.docker_version = Some(version.to_string());
            fs.put_entry("/usr/bin/docker", Some("\u{7f}ELF\n"));
            // Debian's postinst starts the daemon; Alpine leaves it to OpenRC.
            if apt {
                apps.state.daemon_running = true;
                apps.state.daemon_enabled = true;
            }
        }
        if is_compose(name) && apps.state.compose_version.is_none() {
            let version = if apt { "2.26.1" } else { "2.27.0" };
            apps.state.compose_version = Some(version.to_string());
        }
    }
}

fn pace(term: &dyn Terminal, seconds: f64) -> bool {
    term.sleep(seconds)
}

/// `apk update`, `apk add [--no-cache] [-U] PKG...`, `apk info`.
pub fn apk(
    apps: &mut AppsSession,
    fs: &mut FakeFs,
    args: &[&str],
    out: &mut dyn Write,
    term: &dyn Terminal,
) -> i32 {
    let no_cache = args.iter().any(|a| matches!(*a, "--no-cache" | "-U"));
    let words: Vec<&str> = args
        .iter()
        .copied()
        .filter(|a| !a.starts_with('-'))
        .collect();
    let unit = apps.timing.unit_s();
    let fetch = |out: &mut dyn Write| {
        for repo in ["main", "community"] {
            let _ = writeln!(
                out,
                "fetch https://dl-cdn.alpinelinux.org/alpine/v3.20/{repo}/x86_64/APKINDEX.tar.gz"
            );
            let _ = out.flush();
            pace(term, unit);
        }
    };
    match words.first().copied() {
        Some("update") => {
            fetch(out);
            let _ = writeln!(
                out,
                "v3.20.3-213-g2d9c0b8d0d6 [https://dl-cdn.alpinelinux.org/alpine/v3.20/main]\nv3.20.3-212-g5c0a2d0c6a1 [https://dl-cdn.alpinelinux.org/alpine/v3.20/community]\nOK: 24166 distinct packages available"
            );
            apps.state.apt_updated = true;
            0
        }
        Some("add") => {
            let wanted = &words[1..];
            if let Some(bad) = wanted.iter().find(|n| !valid_name(n)) {
                let _ = writeln!(
                    out,
                    "ERROR: '{bad}' is not a valid world dependency, format is name(@tag)([<>~=]version)"
                );
                return 1;
            }
            if no_cache || !apps.state.apt_updated {
                fetch(out);
            }
            let steps = plan(APK, wanted, apps);
            let total = steps.len();
            let mut done = Vec::new();
            for (i, (name, version, _)) in steps.iter().enumerate() {
                let _ = writeln!(out, "({}/{total}) Installing {name} ({version})", i + 1);
                let _ = out.flush();
                if !pace(term, unit) {
                    return 130;
                }
                if apps.fail == FailStep::Docker && (is_engine(name) || name.starts_with("docker"))
                {
                    let _ = writeln!(
                        out,
                        "ERROR: {name}-{version}: network error (check Internet connection and firewall)"
                    );
                    let _ = writeln!(out, "1 error; 212 MiB in {} packages", 26 + done.len());
                    installed(apps, fs, &done, false);
                    return 1;
                }
                if name == "docker-engine" || name == "docker" {
                    let _ = writeln!(out, "Executing {name}-{version}.pre-install");
                }
                done.push(name.clone());
            }
            if total > 0 {
                let _ = writeln!(out, "Executing busybox-1.36.1-r29.trigger");
            }
            installed(apps, fs, &done, false);
            let _ = writeln!(
                out,
                "OK: {} MiB in {} packages",
                14 + apps.state.packages.len() * 9,
                26 + apps.state.packages.len()
            );
            0
        }
        Some("info") => {
            for name in &apps.state.packages {
                let _ = writeln!(out, "{name}");
            }
            0
        }
        _ => {
            let _ = writeln!(
                out,
                "apk-tools 2.14.4, compiled for x86_64.\n\nusage: apk [<OPTIONS>...] COMMAND [<ARGUMENTS>...]"
            );
            1
        }
    }
}

/// `apt-get update`, `apt-get install [-y] [--no-install-recommends] PKG...`.
pub fn apt(
    apps: &mut AppsSession,
    fs: &mut FakeFs,
    args: &[&str],
    out: &mut dyn Write,
    term: &dyn Terminal,
) -> i32 {
    let yes = args
        .iter()
        .any(|a| matches!(*a, "-y" | "--yes" | "--assume-yes" | "-qy" | "-yq"));
    let words: Vec<&str> = args
        .iter()
        .copied()
        .filter(|a| !a.starts_with('-'))
        .collect();
    let unit = apps.timing.unit_s();
    match words.first().copied() {
        Some("update") => {
            for (i, (suite, size)) in [
                ("bookworm InRelease", "151 kB"),
                ("bookworm-updates InRelease", "55.4 kB"),
                ("bookworm-security InRelease", "48.0 kB"),
                ("bookworm/main amd64 Packages", "8,789 kB"),
            ]
            .iter()
            .enumerate()
            {
                let _ = writeln!(
                    out,
                    "Get:{} http://deb.debian.org/debian {suite} [{size}]",
                    i + 1
                );
                let _ = out.flush();
                if !pace(term, unit) {
                    return 130;
                }
            }
            let _ = writeln!(
                out,
                "Fetched 9,043 kB in 2s (4,521 kB/s)\nReading package lists... Done"
            );
            apps.state.apt_updated = true;
            0
        }
        Some("install") => {
            let wanted = &words[1..];
            let _ = writeln!(
                out,
                "Reading package lists... Done\nBuilding dependency tree... Done\nReading state information... Done"
            );
            if let Some(bad) = wanted.iter().find(|n| !valid_name(n)) {
                let _ = writeln!(out, "E: Unable to locate package {bad}");
                return 100;
            }
            let steps = plan(APT, wanted, apps);
            if steps.is_empty() {
                for name in wanted {
                    let _ = writeln!(out, "{name} is already the newest version.");
                }
                let _ = writeln!(
                    out,
                    "0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded."
                );
                return 0;
            }
            let names: Vec<&str> = steps.iter().map(|(n, ..)| n.as_str()).collect();
            let kb: u32 = steps.iter().map(|(.., kb)| kb).sum();
            let _ = writeln!(
                out,
                "The following NEW packages will be installed:\n  {}",
                names.join(" ")
            );
            let _ = writeln!(
                out,
                "0 upgraded, {} newly installed, 0 to remove and 0 not upgraded.",
                steps.len()
            );
            let _ = writeln!(
                out,
                "Need to get {:.1} MB of archives.\nAfter this operation, {} MB of additional disk space will be used.",
                f64::from(kb) / 1000.0,
                kb * 4 / 1000
            );
            if !yes {
                let _ = writeln!(out, "Do you want to continue? [Y/n] Abort.");
                return 1;
            }
            for (i, (name, version, kb)) in steps.iter().enumerate() {
                let first = name.chars().next().unwrap_or('x');
                if apps.fail == FailStep::Docker && (is_engine(name) || is_compose(name)) {
                    let _ = writeln!(
                        out,
                        "Err:{} http://deb.debian.org/debian bookworm/main amd64 {name} amd64 {version}\n  Temporary failure resolving 'deb.debian.org'",
                        i + 1
                    );
                    let _ = writeln!(
                        out,
                        "E: Failed to fetch http://deb.debian.org/debian/pool/main/{first}/{name}/{name}_{version}_amd64.deb  Temporary failure resolving 'deb.debian.org'\nE: Unable to fetch some archives, maybe run apt-get update or try with --fix-missing?"
                    );
                    return 100;
                }
                let _ = writeln!(
                    out,
                    "Get:{} http://deb.debian.org/debian bookworm/main amd64 {name} amd64 {version} [{kb} kB]",
                    i + 1
                );
                let _ = out.flush();
                if !pace(term, unit / 2.0) {
                    return 130;
                }
            }
            let _ = writeln!(
                out,
                "Fetched {:.1} MB in 3s ({:.1} MB/s)",
                f64::from(kb) / 1000.0,
                f64::from(kb) / 3000.0
            );
            let _ = writeln!(
                out,
                "(Reading database ... 18933 files and directories currently installed.)"
            );
            for (i, (name, version, _)) in steps.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "Selecting previously unselected package {name}.\nPreparing to unpack .../{i}-{name}_{version}_amd64.deb ...\nUnpacking {name} ({version}) ..."
                );
                let _ = out.flush();
                if !pace(term, unit / 2.0) {
                    return 130;
                }
            }
            for (name, version, _) in &steps {
                let _ = writeln!(out, "Setting up {name} ({version}) ...");
                if is_engine(name) {
                    let _ = writeln!(
                        out,
                        "Adding group `docker' (GID 106) ...\nDone.\nCreated symlink /etc/systemd/system/multi-user.target.wants/docker.service → /lib/systemd/system/docker.service.\nCreated symlink /etc/systemd/system/sockets.target.wants/docker.socket → /lib/systemd/system/docker.socket."
                    );
                }
                let _ = out.flush();
                if !pace(term, unit / 2.0) {
                    return 130;
                }
            }
            let _ = writeln!(out, "Processing triggers for man-db (2.11.2-2) ...");
            let names: Vec<String> = steps.into_iter().map(|(n, ..)| n).collect();
            installed(apps, fs, &names, true);
            0
        }
        _ => {
            let _ = writeln!(out, "apt 2.6.1 (amd64)\nUsage: apt-get [options] command");
            if words.is_empty() { 1 } else { 100 }
        }
    }
}
