//! Crash recovery on a real database and real files: the calls a crash cut
//! off are closed as interrupted at their last known moment, and their
//! recordings found, repaired and linked.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use centrala_center::{recovery, Center, CenterConfig};
use centrala_media::g711::Law;
use centrala_media::record::Recorder;
use centrala_store::interactions::{Direction, Disposition, StoryKind};
use centrala_store::testing::TestDb;

#[tokio::test]
async fn calls_cut_off_by_a_crash_are_closed_as_interrupted_with_their_recordings() {
    let db = TestDb::sqlite().await;
    let (company, _) = db.store.ensure_company("alpha", "Alpha").await.unwrap();
    let s = db.store.company(company.id);
    let recordings = tempfile::tempdir().unwrap();

    // A call in the menu when the server died, recording: 35 frames on
    // disk, its header brought up to date at 25 (a checkpoint).
    let cut = s.start_interaction(Direction::Inbound, "+38761000001", "+38733555000", None).await.unwrap();
    let path = recordings.path().join(format!("{}/2026-12-01/{cut}.wav", company.id.0));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    {
        let mut r = Recorder::new(std::fs::File::create(&path).unwrap(), Law::Mu).unwrap();
        for k in 0..35 {
            r.caller(k * 160, Law::Mu, &[Law::Mu.encode(1000); 160]);
            r.staff(k * 160, &[Law::Mu.encode(2000); 160]);
            r.write_until((k + 1) * 160).unwrap();
            if k == 24 {
                r.checkpoint().unwrap();
            }
        }
        // Written out, header not: as the disk holds it after a kill.
        let _ = r.checkpoint();
        std::mem::forget(r);
    }
    // Put the header back to the 25-frame checkpoint.
    let mut bytes = std::fs::read(&path).unwrap();
    let data = 2 * 2 * 25 * 160u32;
    bytes[4..8].copy_from_slice(&(36 + data).to_le_bytes());
    bytes[40..44].copy_from_slice(&data.to_le_bytes());
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(hound::WavReader::open(&path).unwrap().duration(), 25 * 160, "behind before the repair");

    // A call without a recording (the file was never created), one that
    // ended normally, and one in another company.
    let bare = s.start_interaction(Direction::Inbound, "+38761000002", "+38733555000", None).await.unwrap();
    let done = s.start_interaction(Direction::Inbound, "+38761000003", "+38733555000", None).await.unwrap();
    s.end_interaction(done, Disposition::Answered).await.unwrap();
    let (other, _) = db.store.ensure_company("beta", "Beta").await.unwrap();
    let theirs = db.store.company(other.id);
    let beta_cut = theirs.start_interaction(Direction::Inbound, "+38761000004", "+38733555001", None).await.unwrap();

    let center = Center::start(
        db.store.clone(),
        CenterConfig { recordings: recordings.path().to_owned(), ..CenterConfig::default() },
    );
    let got = recovery::close_interrupted(&center).await;
    assert_eq!((got.closed, got.linked), (3, 1));

    let i = s.interaction(cut).await.unwrap().unwrap();
    assert_eq!(i.disposition, Disposition::Interrupted);
    assert_eq!(i.recording.as_deref(), Some(format!("{}/2026-12-01/{cut}.wav", company.id.0).as_str()));
    assert!(i.ended_at.as_deref().unwrap() >= i.arrived_at.as_str(), "{i:?}");
    let story = s.interaction_events(cut).await.unwrap();
    assert_eq!(story.last().map(|e| e.kind), Some(StoryKind::Interrupted));
    assert!(story.last().unwrap().detail.contains("recording kept"));
    let wav = hound::WavReader::open(&path).unwrap();
    assert_eq!(wav.duration(), 35 * 160, "the repaired header covers everything on disk");
    let b = s.interaction(bare).await.unwrap().unwrap();
    assert_eq!((b.disposition, b.recording, b.ended_at.is_some()), (Disposition::Interrupted, None, true));
    assert_eq!(s.interaction(done).await.unwrap().unwrap().disposition, Disposition::Answered, "left alone");
    assert_eq!(theirs.interaction(beta_cut).await.unwrap().unwrap().disposition, Disposition::Interrupted);

    // A second start finds nothing left to do.
    assert_eq!(recovery::close_interrupted(&center).await, recovery::Recovered::default());
}
