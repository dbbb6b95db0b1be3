//! Call recordings on disk (CC-3): where each goes, linking it to its
//! interaction, and the retention sweep that deletes old ones.

use crate::Center;
use centrala_domain::{CompanyId, InteractionId};
use tracing::{info, warn};

/// Where the recording of interaction `id` goes:
/// `<recordings>/<company>/<day>/<id>.wav`.
/// `<day>` is the company's local date.
pub async fn recording_path(center: &Center, company: CompanyId, id: InteractionId) -> std::path::PathBuf {
    let day = center.today(company).await.format("%Y-%m-%d").to_string();
    center.config.recordings.join(company.0.to_string()).join(day).join(format!("{id}.wav"))
}

/// Free bytes on the recordings' disk at the last look (`watch_space`);
/// `u64::MAX` before the first.
static FREE_BYTES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(u64::MAX);
/// Calls taken without a recording for want of space, since the start.
static SKIPPED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// (free bytes on the recordings' disk at the last look, calls not
/// recorded for want of space); for `/metrics`.
pub fn space() -> (u64, u64) {
    use std::sync::atomic::Ordering::Relaxed;
    (FREE_BYTES.load(Relaxed), SKIPPED.load(Relaxed) + centrala_sip::media::recordings_stopped())
}

/// Where to record a new call: its path, or `None` while the recordings'
/// disk is below its floor (counted and logged).
pub async fn new_recording(center: &Center, company: CompanyId, id: InteractionId) -> Option<std::path::PathBuf> {
    if !centrala_sip::media::recording_allowed() {
        let n = SKIPPED.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if n % 100 == 1 {
            warn!(interaction = id.0, skipped = n, "not recording: the recordings' disk is below its free-space floor");
        }
        return None;
    }
    Some(recording_path(center, company, id).await)
}

/// Looks at the recordings' free space every five seconds and turns
/// recording off below `recordings_min_free`, on again above it (with 10 %
/// to spare, so it does not flicker at the line).
pub async fn watch_space(center: Center) {
    let floor = center.config.recordings_min_free;
    let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
    loop {
        every.tick().await;
        let dir = center.config.recordings.clone();
        let free = tokio::task::spawn_blocking(move || {
            rustix::fs::statvfs(&dir).map(|s| s.f_bavail.saturating_mul(s.f_frsize))
        })
        .await;
        let free = match free {
            Ok(Ok(f)) => f,
            Ok(Err(e)) => {
                warn!(error = %e, "cannot read the recordings' free space");
                continue;
            }
            Err(_) => continue,
        };
        FREE_BYTES.store(free, std::sync::atomic::Ordering::Relaxed);
        let allowed = centrala_sip::media::recording_allowed();
        if allowed && free < floor {
            warn!(free, floor, "the recordings' disk is below its floor: calls are not recorded until there is room");
            centrala_sip::media::set_recording_allowed(false);
        } else if !allowed && free > floor + floor / 10 {
            info!(free, floor, "the recordings' disk has room again: calls are recorded");
            centrala_sip::media::set_recording_allowed(true);
        }
    }
}

/// Links a finished recording to its interaction, stored relative to the
/// recordings folder (the download route resolves it there).
/// Where a recording is kept, as the interaction names it: relative to
/// the recordings folder.
pub fn recording_name(center: &Center, path: &std::path::Path) -> String {
    path.strip_prefix(&center.config.recordings).unwrap_or(path).to_string_lossy().into_owned()
}

pub async fn link_recording(
    center: &Center,
    s: &centrala_store::Scoped<'_>,
    id: InteractionId,
    path: &std::path::Path,
) {
    if let Err(e) = s.record_interaction(id, &recording_name(center, path)).await {
        warn!(error = %e, "linking the recording failed");
    }
}

/// Deletes the recordings older than each company's retention, leaving an
/// audit entry for each (run every ten minutes by the binary; `now` is an
/// argument so that tests can move time). Then it walks the company's
/// folder: a file no interaction links (a crash before it was linked, a
/// row deleted by hand) in a day folder older than the retention goes too.
/// Returns how many files were deleted.
pub async fn sweep(center: &Center, now: chrono::DateTime<chrono::Utc>) -> usize {
    let mut deleted = 0;
    let companies = match center.store.companies().await {
        Ok(c) => c,
        Err(e) => {
            warn!(error = %e, "recording retention: cannot list companies");
            return 0;
        }
    };
    for c in companies {
        let s = center.store.company(c.id);
        let days = match s.recording_retention().await {
            Ok(d) if d > 0 => d,
            Ok(_) => continue,
            Err(e) => {
                warn!(error = %e, company = c.id.0, "recording retention: cannot read the setting");
                continue;
            }
        };
        let cutoff = (now - chrono::Duration::days(days)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let old = match s.recordings_before(&cutoff).await {
            Ok(o) => o,
            Err(e) => {
                warn!(error = %e, "recording retention: cannot list old recordings");
                continue;
            }
        };
        for (id, rel) in old {
            let path = center.config.recordings.join(&rel);
            match tokio::fs::remove_file(&path).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    warn!(error = %e, path = %path.display(), "recording retention: cannot delete");
                    continue;
                }
            }
            if s.clear_recording(id).await.is_ok() {
                deleted += 1;
                let _ = s
                    .audit("retention", "delete", "recording", &id.to_string(), &format!("older than {days} days"))
                    .await;
            }
        }
        // Day folders are the company's local dates: a day's margin keeps a
        // folder whose last calls are not yet `days` old in UTC.
        let before = (now - chrono::Duration::days(days + 1)).date_naive();
        let unlinked = sweep_folder(&center.config.recordings.join(c.id.0.to_string()), before).await;
        if unlinked > 0 {
            deleted += unlinked;
            let _ = s
                .audit(
                    "retention",
                    "delete",
                    "recording",
                    "",
                    &format!("{unlinked} unlinked recordings older than {days} days"),
                )
                .await;
        }
    }
    if deleted > 0 {
        info!(deleted, "old recordings deleted by the retention rules");
    }
    deleted
}

/// Deletes every file in the day folders of `company_dir` dated before
/// `before` (what the linked sweep left there is linked to nothing), and
/// the folders once empty. Returns how many files went.
async fn sweep_folder(company_dir: &std::path::Path, before: chrono::NaiveDate) -> usize {
    let mut deleted = 0;
    let Ok(mut days) = tokio::fs::read_dir(company_dir).await else { return 0 };
    while let Ok(Some(day)) = days.next_entry().await {
        let name = day.file_name();
        let Some(date) = name.to_str().and_then(|n| chrono::NaiveDate::parse_from_str(n, "%Y-%m-%d").ok()) else {
            continue;
        };
        if date >= before {
            continue;
        }
        let Ok(mut files) = tokio::fs::read_dir(day.path()).await else { continue };
        while let Ok(Some(f)) = files.next_entry().await {
            match tokio::fs::remove_file(f.path()).await {
                Ok(()) => deleted += 1,
                Err(e) => warn!(error = %e, path = %f.path().display(), "recording retention: cannot delete"),
            }
        }
        // Only an empty folder goes; one that is not stays, and says why in the log above.
        let _ = tokio::fs::remove_dir(day.path()).await;
    }
    deleted
}
