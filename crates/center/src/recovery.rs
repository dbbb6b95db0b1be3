//! After a crash: the calls the last run left open are closed as
//! `interrupted`, at the last moment known of them, with their recordings
//! found, repaired and linked, so that nothing a crash cut off stays
//! "in progress" for ever or lies on disk unlisted.
//!
//! Runs once at start, before the ACD and SIP take anything: one running
//! Centrala per database (a second one would close the first one's calls).

use crate::Center;
use centrala_domain::{CompanyId, InteractionId};
use centrala_media::record::repaired_lengths;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use tracing::{info, warn};

/// What the recovery did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Recovered {
    /// Interactions closed as interrupted.
    pub closed: usize,
    /// Of them, with a recording found and linked.
    pub linked: usize,
}

/// Closes every interaction left open, in every company.
pub async fn close_interrupted(center: &Center) -> Recovered {
    let mut done = Recovered::default();
    let companies = match center.store.companies().await {
        Ok(c) => c,
        Err(e) => {
            warn!(error = %e, "crash recovery: cannot list companies");
            return done;
        }
    };
    for c in companies {
        let s = center.store.company(c.id);
        let open = match s.open_interactions().await {
            Ok(o) => o,
            Err(e) => {
                warn!(error = %e, company = c.id.0, "crash recovery: cannot list open interactions");
                continue;
            }
        };
        for (i, last) in open {
            let file = find_recording(&center.config.recordings, c.id, i.id, i.recording.as_deref()).await;
            let mut ended = last;
            let mut rel = None;
            if let Some(path) = file {
                let p = path.clone();
                match tokio::task::spawn_blocking(move || repair(&p)).await {
                    Ok(Ok(modified)) => {
                        // The file was written until the crash: its last
                        // write is the call's last known moment.
                        ended = ended.max(modified);
                        rel =
                            path.strip_prefix(&center.config.recordings).ok().map(|r| r.to_string_lossy().into_owned());
                    }
                    Ok(Err(e)) => {
                        warn!(error = %e, path = %path.display(), "crash recovery: the recording cannot be repaired")
                    }
                    Err(e) => warn!(error = %e, "crash recovery: the repair did not run"),
                }
            }
            let detail = match &rel {
                Some(_) => "the server stopped during the call; closed at the next start, its recording kept",
                None => "the server stopped during the call; closed at the next start",
            };
            match s.interrupt_interaction(i.id, &ended, rel.as_deref(), detail).await {
                Ok(()) => {
                    done.closed += 1;
                    done.linked += usize::from(rel.is_some());
                }
                Err(e) => warn!(error = %e, interaction = i.id.0, "crash recovery: cannot close the interaction"),
            }
        }
    }
    if done.closed > 0 {
        info!(closed = done.closed, linked = done.linked, "calls cut off by the last stop closed as interrupted");
    }
    done
}

/// The recording of interaction `id`: the linked one, or `<id>.wav` in any
/// day folder of the company (the day is the company's local date at the
/// call's start, which a time zone change may have moved).
async fn find_recording(root: &Path, company: CompanyId, id: InteractionId, linked: Option<&str>) -> Option<PathBuf> {
    if let Some(rel) = linked {
        let p = root.join(rel);
        if tokio::fs::metadata(&p).await.is_ok() {
            return Some(p);
        }
    }
    let mut days = tokio::fs::read_dir(root.join(company.0.to_string())).await.ok()?;
    let name = format!("{id}.wav");
    while let Ok(Some(day)) = days.next_entry().await {
        let p = day.path().join(&name);
        if tokio::fs::metadata(&p).await.is_ok() {
            return Some(p);
        }
    }
    None
}

/// Brings a WAV file's length fields up to what it holds and returns its
/// last write time (RFC 3339, UTC), read before the repair touches it.
fn repair(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::OpenOptions::new().read(true).write(true).open(path)?;
    let meta = f.metadata()?;
    let modified: chrono::DateTime<chrono::Utc> = meta.modified()?.into();
    let mut head = vec![0u8; 512.min(usize::try_from(meta.len()).unwrap_or(512))];
    f.read_exact(&mut head)?;
    let fields = repaired_lengths(&head, meta.len()).map_err(|e| std::io::Error::other(e.to_string()))?;
    for (at, value) in fields {
        f.seek(SeekFrom::Start(at))?;
        f.write_all(&value.to_le_bytes())?;
    }
    f.sync_all()?;
    Ok(modified.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}
