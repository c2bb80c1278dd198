//! Scheduled backups: `/cluster/backup` (jobs.cfg's `vzdump:` sections: list, create, read,
//! update, delete) and the scheduler that runs them (pvescheduler), on the emulator's scaled
//! clock so tests can watch a daily job fire. Calendar events: a subset of systemd's that
//! covers what Proxmox offers in its UI: `daily`, `hourly`, `HH:MM`, `*/N` (every N minutes),
//! and weekdays with a time (`sun 02:00`, `mon..fri 02:00`, `sat,sun 03:30`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::api_storage::vmid_list;
use super::clock;
use super::http::{ApiError, ApiResult, Params, Reply};
use super::model::{BackupJob, storage_def};
use super::state::{Ctx, Sim};
use super::vzdump::{self, VzdumpOpts, parse_retention};

/// A parsed calendar event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Calendar {
    /// Every day at hour:minute (UTC: the emulated nodes run on UTC).
    DailyAt(u32, u32),
    /// Every hour at this minute.
    HourlyAt(u32),
    /// Every N minutes (minutes of the hour divisible by N).
    EveryMinutes(u32),
    /// On the weekdays of the mask (bit 0 Monday .. bit 6 Sunday) at hour:minute.
    WeekdaysAt(u8, u32, u32),
}

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// `mon`, `mon..fri`, `sat,sun` as a mask (bit 0 Monday); a range may wrap (`fri..mon`).
fn weekday_mask(s: &str) -> Option<u8> {
    let day = |d: &str| WEEKDAYS.iter().position(|w| *w == d);
    let mut mask = 0u8;
    for part in s.split(',') {
        match part.split_once("..") {
            Some((a, b)) => {
                let (a, b) = (day(a)?, day(b)?);
                let mut d = a;
                loop {
                    mask |= 1 << d;
                    if d == b {
                        break;
                    }
                    d = (d + 1) % 7;
                }
            }
            None => mask |= 1 << day(part)?,
        }
    }
    Some(mask)
}

/// `HH:MM` as (hour, minute).
fn time_of_day(s: &str) -> Option<(u32, u32)> {
    let (h, m) = s.split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some((h, m))
}

impl Calendar {
    pub fn parse(s: &str) -> Option<Calendar> {
        let s = s.trim();
        match s {
            "daily" => return Some(Calendar::DailyAt(0, 0)),
            "hourly" => return Some(Calendar::HourlyAt(0)),
            _ => {}
        }
        if let Some(n) = s.strip_prefix("*/") {
            let n: u32 = n.parse().ok()?;
            return (1..=59).contains(&n).then_some(Calendar::EveryMinutes(n));
        }
        if let Some((days, time)) = s.split_once(' ') {
            let (h, m) = time_of_day(time.trim())?;
            return Some(Calendar::WeekdaysAt(weekday_mask(days)?, h, m));
        }
        let (h, m) = time_of_day(s)?;
        Some(Calendar::DailyAt(h, m))
    }

    /// The first event strictly after `t` (epoch seconds).
    pub fn next_after(self, t: u64) -> u64 {
        match self {
            Calendar::DailyAt(h, m) => {
                let at = t / 86_400 * 86_400 + u64::from(h) * 3600 + u64::from(m) * 60;
                if at > t { at } else { at + 86_400 }
            }
            Calendar::HourlyAt(m) => {
                let at = t / 3600 * 3600 + u64::from(m) * 60;
                if at > t { at } else { at + 3600 }
            }
            Calendar::EveryMinutes(n) => {
                let mut minute = t / 60 + 1;
                while (minute % 60) % u64::from(n) != 0 {
                    minute += 1;
                }
                minute * 60
            }
            Calendar::WeekdaysAt(mask, h, m) => {
                // Day 0 of the epoch (1970-01-01) was a Thursday: weekday index 3.
                let mut day = t / 86_400;
                loop {
                    let at = day * 86_400 + u64::from(h) * 3600 + u64::from(m) * 60;
                    if at > t && mask & (1 << ((day + 3) % 7)) != 0 {
                        return at;
                    }
                    day += 1;
                }
            }
        }
    }
}

fn bad_schedule(s: &str) -> ApiError {
    ApiError::param(
        "schedule",
        format!("invalid format - unable to parse calendar event '{s}'"),
    )
}

/// Options a job keeps (everything else in the request is ignored, as unknown-to-us).
const OPTION_KEYS: [&str; 13] = [
    "storage",
    "vmid",
    "all",
    "exclude",
    "mode",
    "compress",
    "prune-backups",
    "notes-template",
    "node",
    "comment",
    "protected",
    "remove",
    "repeat-missed",
];
const BOOL_KEYS: [&str; 4] = ["all", "protected", "remove", "repeat-missed"];

/// Check and collect a request's job options.
fn read_options(p: &Params) -> Result<BTreeMap<String, String>, ApiError> {
    let mut out = BTreeMap::new();
    for key in OPTION_KEYS {
        let Some(v) = p.str(key) else { continue };
        let v = match key {
            "prune-backups" => parse_retention(v).map_err(|e| ApiError::param(key, e))?,
            "vmid" | "exclude" => {
                vmid_list(Some(v), key)?;
                v.to_string()
            }
            "storage" => {
                if storage_def(v).is_none() {
                    return Err(ApiError::die(format!("storage '{v}' does not exist")));
                }
                v.to_string()
            }
            "mode" if !matches!(v, "snapshot" | "suspend" | "stop") => {
                return Err(ApiError::param(
                    key,
                    format!(
                        "value '{v}' does not have a value in the enumeration 'snapshot, suspend, stop'"
                    ),
                ));
            }
            k if BOOL_KEYS.contains(&k) => {
                p.bool(k)?;
                v.to_string()
            }
            _ => v.to_string(),
        };
        out.insert(key.to_string(), v);
    }
    Ok(out)
}

/// A job as `GET /cluster/backup` answers: booleans 0/1, retention as an object.
fn job_json(job: &BackupJob, sim: &Sim) -> Value {
    let mut o = json!({"id": job.id, "type": "vzdump", "schedule": job.schedule,
        "enabled": i32::from(job.enabled)});
    for (k, v) in &job.options {
        o[k] = match k.as_str() {
            "prune-backups" => {
                let keep: serde_json::Map<String, Value> = v
                    .split(',')
                    .filter_map(|kv| kv.split_once('='))
                    .filter_map(|(k, n)| Some((k.to_string(), json!(n.parse::<u64>().ok()?))))
                    .collect();
                Value::Object(keep)
            }
            k if BOOL_KEYS.contains(&k) => json!(i32::from(v == "1")),
            _ => json!(v),
        };
    }
    if job.enabled
        && let Some(cal) = Calendar::parse(&job.schedule)
    {
        let clock = sim.sched_clock;
        o["next-run"] = json!(clock.to_real(cal.next_after(clock.now())));
    }
    o
}

fn no_job(id: &str) -> ApiError {
    ApiError::die(format!("Job '{id}' does not exist"))
}

pub fn list(ctx: &Ctx) -> ApiResult {
    let jobs = ctx.sim.with(|m| m.backup_jobs.clone());
    let out: Vec<Value> = jobs.iter().map(|j| job_json(j, ctx.sim)).collect();
    Ok(Reply::ser(&out))
}

pub fn get(ctx: &Ctx, id: &str) -> ApiResult {
    let job = ctx
        .sim
        .with(|m| m.backup_jobs.iter().find(|j| j.id == id).cloned())
        .ok_or_else(|| no_job(id))?;
    Ok(Reply::json(&job_json(&job, ctx.sim)))
}

/// `POST /cluster/backup`: `id` is generated when absent (`backup-<hex>-<hex>`).
pub fn create(ctx: &Ctx) -> ApiResult {
    let p = Params(ctx.params);
    let schedule = p.req_str("schedule")?.to_string();
    if Calendar::parse(&schedule).is_none() {
        return Err(bad_schedule(&schedule));
    }
    let options = read_options(&p)?;
    if !options.contains_key("vmid") && options.get("all").is_none_or(|a| a != "1") {
        return Err(ApiError::param(
            "vmid",
            "please specify 'vmid', 'all' or 'pool'",
        ));
    }
    if options.contains_key("notes-template") && !options.contains_key("storage") {
        return Err(ApiError::param(
            "notes-template",
            "missing property - 'storage' is required by 'notes-template'",
        ));
    }
    let enabled = p.bool("enabled")?.unwrap_or(true);
    let id = match p.str("id") {
        Some(id) => id.to_string(),
        None => {
            let h = format!("{:016x}", clock::mix64(clock::now_epoch() ^ 0xB4C));
            let n = ctx.sim.with(|m| m.backup_jobs.len() as u64);
            format!("backup-{}-{:04x}", &h[..8], clock::mix64(n) & 0xffff)
        }
    };
    ctx.sim.change(|m| {
        if m.backup_jobs.iter().any(|j| j.id == id) {
            return Err(ApiError::die(format!("Job '{id}' already exists")));
        }
        m.backup_jobs.push(BackupJob {
            id,
            schedule,
            enabled,
            options,
        });
        Ok(Reply::null())
    })
}

/// `PUT /cluster/backup/{id}`: given options replace, `delete` removes.
pub fn update(ctx: &Ctx, id: &str) -> ApiResult {
    let p = Params(ctx.params);
    if let Some(s) = p.str("schedule")
        && Calendar::parse(s).is_none()
    {
        return Err(bad_schedule(s));
    }
    let options = read_options(&p)?;
    let enabled = p.bool("enabled")?;
    let delete: Vec<String> = p
        .str("delete")
        .unwrap_or("")
        .split([',', ';', ' '])
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    ctx.sim.change(|m| {
        let job = m
            .backup_jobs
            .iter_mut()
            .find(|j| j.id == id)
            .ok_or_else(|| no_job(id))?;
        for key in &delete {
            job.options.remove(key);
        }
        job.options.extend(options);
        if let Some(s) = p.str("schedule") {
            job.schedule = s.to_string();
        }
        if let Some(e) = enabled {
            job.enabled = e;
        }
        Ok(Reply::null())
    })
}

pub fn delete(ctx: &Ctx, id: &str) -> ApiResult {
    ctx.sim.change(|m| {
        let before = m.backup_jobs.len();
        m.backup_jobs.retain(|j| j.id != id);
        if m.backup_jobs.len() == before {
            return Err(no_job(id));
        }
        Ok(Reply::null())
    })
}

/// pvescheduler: run each enabled job when its calendar event comes, on the scaled clock.
pub async fn scheduler(sim: Arc<Sim>, cancel: CancellationToken) {
    // job id -> (schedule it was planned with, next run on the scaled clock, last real run).
    let mut plan: HashMap<String, (String, u64, u64)> = HashMap::new();
    let tick = if sim.config.time_scale > 1.0 {
        Duration::from_millis(100)
    } else {
        Duration::from_secs(1)
    };
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(tick) => {}
        }
        let clock = sim.sched_clock;
        let now = clock.now();
        let jobs = sim.with(|m| m.backup_jobs.clone());
        plan.retain(|id, _| jobs.iter().any(|j| &j.id == id));
        for job in jobs.iter().filter(|j| j.enabled) {
            let Some(cal) = Calendar::parse(&job.schedule) else {
                continue;
            };
            let entry = plan
                .entry(job.id.clone())
                .or_insert_with(|| (job.schedule.clone(), cal.next_after(now), 0));
            if entry.0 != job.schedule {
                *entry = (job.schedule.clone(), cal.next_after(now), entry.2);
            }
            let real_now = clock::now_epoch();
            // One run per wall-clock second at most: archive names have a 1 s resolution.
            if entry.1 > now || entry.2 >= real_now {
                continue;
            }
            entry.1 = cal.next_after(now);
            entry.2 = real_now;
            run_job(&sim, job);
        }
    }
}

/// One run of a job: a `vzdump` task on each node holding guests it names.
fn run_job(sim: &Arc<Sim>, job: &BackupJob) {
    let o = |k: &str| job.options.get(k).map(String::as_str);
    let mut params: BTreeMap<String, String> = job.options.clone();
    params.remove("vmid");
    let opts = match VzdumpOpts::parse(&Params(&params)) {
        Ok(o) => o,
        Err(e) => {
            tracing::warn!(job = %job.id, "backup job not run: {e:?}");
            return;
        }
    };
    let ids = vmid_list(o("vmid"), "vmid").unwrap_or_default();
    let exclude = vmid_list(o("exclude"), "exclude").unwrap_or_default();
    let all = o("all") == Some("1");
    let runs: Vec<(String, Vec<u32>)> = sim.with(|m| {
        m.nodes
            .iter()
            .filter(|n| n.online && o("node").is_none_or(|only| only == n.name))
            .map(|n| {
                (
                    n.name.clone(),
                    vzdump::guests_on_node(m, &n.name, &ids, all, &exclude),
                )
            })
            .filter(|(_, g)| !g.is_empty())
            .collect()
    });
    for (node, guests) in runs {
        vzdump::start(sim, &node, guests, opts.clone(), "root@pam");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_subset_parses_and_steps() {
        assert_eq!(Calendar::parse("daily"), Some(Calendar::DailyAt(0, 0)));
        assert_eq!(Calendar::parse("02:30"), Some(Calendar::DailyAt(2, 30)));
        assert_eq!(Calendar::parse("*/15"), Some(Calendar::EveryMinutes(15)));
        assert_eq!(Calendar::parse("25:00"), None);
        assert_eq!(Calendar::parse("mon..fri"), None);
        assert_eq!(
            Calendar::parse("sun 02:00"),
            Some(Calendar::WeekdaysAt(1 << 6, 2, 0))
        );
        assert_eq!(
            Calendar::parse("mon..fri 02:00"),
            Some(Calendar::WeekdaysAt(0b001_1111, 2, 0))
        );
        assert_eq!(
            Calendar::parse("sat,sun 03:30"),
            Some(Calendar::WeekdaysAt(0b110_0000, 3, 30))
        );
        assert_eq!(Calendar::parse("someday 02:00"), None);
        // 1_796_472_000 is Saturday 2026-12-05 12:00 UTC: the next `sun 02:00` is 14 h on.
        let sat_noon = 1_796_472_000;
        let next = Calendar::parse("sun 02:00").unwrap().next_after(sat_noon);
        assert_eq!(next - sat_noon, 14 * 3600);
        let day = 86_400;
        assert_eq!(
            Calendar::DailyAt(2, 30).next_after(10 * day),
            10 * day + 9000
        );
        assert_eq!(
            Calendar::DailyAt(2, 30).next_after(10 * day + 9000),
            11 * day + 9000
        );
        assert_eq!(
            Calendar::EveryMinutes(15).next_after(10 * day + 60),
            10 * day + 900
        );
        assert_eq!(
            Calendar::HourlyAt(0).next_after(10 * day + 1),
            10 * day + 3600
        );
    }
}
