//! Call recordings (CC-3): a stereo 8 kHz 16-bit WAV, the caller on the
//! left channel and the staff member on the right, written with `hound`.
//!
//! Both sides are placed on one timeline, the leg's own (samples since it
//! began): the driver says where each piece of audio belongs (our frames
//! by the leg's clock, the caller's by its RTP timestamps), and the
//! recorder writes the timeline as it passes. A burst of late packets
//! lands where it belongs, a gap is silence written once, and the file is
//! exactly as long as the leg: before, a side that ran ahead by more than
//! 200 ms was written against silence and the other side's audio for the
//! same moments after it, so a call under load recorded longer than it
//! lasted.
//!
//! While they wait to be written, both sides are kept as they were on the
//! wire: G.711 codes in the leg's law, a byte a sample (half the memory of
//! decoded samples, for every call in progress; issue 17), decoded as they
//! are written. Our side is the frame as the caller heard it.

use crate::g711::Law;
use crate::MediaError;
use std::collections::VecDeque;
use std::io::{Seek, Write};

pub struct Recorder<W: Write + Seek> {
    writer: hound::WavWriter<W>,
    /// The timeline position (samples since the leg began) of the first
    /// sample not yet written; `window` holds what came for the positions
    /// from there on, both channels side by side (the caller's, ours).
    written: u64,
    window: VecDeque<[u8; 2]>,
    /// The law the window's codes are in (the leg's).
    law: Law,
    /// Where the recording is paused from (a sensitive moment: a card
    /// number), while it is; the timeline goes on as silence.
    paused_from: Option<u64>,
    /// The paused stretches so far, `[from, to)` on the timeline.
    gaps: Vec<(u64, u64)>,
}

/// The furthest ahead of what is written a side may place audio (10 s): a
/// far end whose timestamps leap is re-anchored by the driver, never
/// allowed to grow the buffer without bound.
const MAX_AHEAD: u64 = 80_000;

/// How far a far end's RTP timestamps may stray from the leg's clock (1 s)
/// before they are anchored again.
const REANCHOR_AFTER: u64 = 8000;

/// Where a far end's audio belongs on the leg's timeline: its RTP
/// timestamp against the first one's, anchored where that one arrived. A
/// far end whose timestamps leap (a new stream, a clock gone astray) by
/// more than a second from where the leg's clock says it should be is
/// anchored again, where it is now.
#[derive(Debug, Default)]
pub struct Anchor(Option<(u32, u64)>);

impl Anchor {
    /// The timeline position of a packet with `timestamp` arriving while
    /// the leg's clock is at `now`.
    pub fn position(&mut self, timestamp: u32, now: u64) -> u64 {
        if let Some((first, base)) = self.0 {
            let at = base + u64::from(timestamp.wrapping_sub(first));
            if at.abs_diff(now) <= REANCHOR_AFTER {
                return at;
            }
        }
        self.0 = Some((timestamp, now));
        now
    }
}

pub fn spec() -> hound::WavSpec {
    hound::WavSpec { channels: 2, sample_rate: 8000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int }
}

fn err(e: hound::Error) -> MediaError {
    MediaError::Record(e.to_string())
}

/// Puts `samples` (codes) at timeline position `at` of channel `side` (0:
/// the caller, 1: ours) of a window that starts at `written`: what is
/// already written is dropped (too late), the rest overwrites what was
/// there, and a gap before it stays `silence`.
fn place(window: &mut VecDeque<[u8; 2]>, silence: u8, side: usize, written: u64, at: u64, samples: &[u8]) {
    let late = usize::try_from(written.saturating_sub(at)).unwrap_or(usize::MAX);
    let Some(samples) = samples.get(late..).filter(|s| !s.is_empty()) else { return };
    let at = at.max(written);
    if at + samples.len() as u64 > written + MAX_AHEAD {
        return;
    }
    let start = (at - written) as usize;
    if window.len() < start + samples.len() {
        window.resize(start + samples.len(), [silence, silence]);
    }
    for (slot, s) in window.range_mut(start..start + samples.len()).zip(samples) {
        slot[side] = *s;
    }
}

impl<W: Write + Seek> Recorder<W> {
    /// A recorder of a leg whose audio is in `law`.
    pub fn new(out: W, law: Law) -> Result<Self, MediaError> {
        Ok(Recorder {
            writer: hound::WavWriter::new(out, spec()).map_err(err)?,
            written: 0,
            window: VecDeque::new(),
            law,
            paused_from: None,
            gaps: Vec::new(),
        })
    }

    /// Makes room in advance for `samples` positions of the timeline (the
    /// jitter window the driver writes behind, and a frame or two): the
    /// window is then never grown (and doubled) in the course of a call.
    pub fn reserve(&mut self, samples: usize) {
        self.window.reserve_exact(samples.saturating_sub(self.window.len()));
    }

    /// Pauses (`true`) or resumes the recording at timeline position `at`:
    /// from there to the resume, both channels are written as silence,
    /// whatever audio comes for them, and the stretch is kept in `gaps`.
    /// The file stays as long as the call.
    pub fn pause(&mut self, on: bool, at: u64) {
        match (on, self.paused_from) {
            (true, None) => self.paused_from = Some(at.max(self.written)),
            (false, Some(from)) => {
                self.gaps.push((from, at.max(from)));
                self.paused_from = None;
            }
            _ => {}
        }
    }

    /// The stretches the recording was paused for, `[from, to)` in samples
    /// since the leg began (one still open ends at `end`).
    pub fn gaps(&self, end: u64) -> Vec<(u64, u64)> {
        let mut out = self.gaps.clone();
        out.extend(self.paused_from.map(|from| (from, end.max(from))));
        out
    }

    /// The caller's audio, G.711 codes in `law` as they came, for timeline
    /// position `at` (samples since the leg began). A phone may switch to
    /// the other law it was offered: its codes are then re-encoded in the
    /// leg's.
    pub fn caller(&mut self, at: u64, law: Law, codes: &[u8]) {
        let silence = self.law.silence();
        if law == self.law {
            place(&mut self.window, silence, 0, self.written, at, codes);
            return;
        }
        let mut ours = [0u8; 160];
        for (k, chunk) in codes.chunks(ours.len()).enumerate() {
            for (o, c) in ours.iter_mut().zip(chunk) {
                *o = self.law.encode(law.decode(*c));
            }
            let at = at + (k * ours.len()) as u64;
            place(&mut self.window, silence, 0, self.written, at, &ours[..chunk.len()]);
        }
    }

    /// The staff member's side as the caller heard it (codes in the leg's
    /// law), for timeline position `at`.
    pub fn staff(&mut self, at: u64, codes: &[u8]) {
        place(&mut self.window, self.law.silence(), 1, self.written, at, codes);
    }

    /// Writes the timeline up to position `upto`: what came for each
    /// position, silence where nothing did (a gap is written once, as
    /// long as it was: the law's silence, 0 in µ-law, 8 of 32,767 in
    /// A-law, which has no zero). Audio for a position already written is
    /// dropped.
    pub fn write_until(&mut self, upto: u64) -> Result<(), MediaError> {
        // In blocks through hound's 16-bit writer: one copy into the file's
        // buffer per block, not a call per sample.
        const BLOCK: u64 = 8000;
        let Recorder { writer, written, window, law, paused_from, gaps } = self;
        let (law, nothing) = (*law, law.decode(law.silence()));
        let silenced = |at: u64| {
            paused_from.is_some_and(|from| at >= from) || gaps.iter().any(|(from, to)| (*from..*to).contains(&at))
        };
        while *written < upto {
            let n = (upto - *written).min(BLOCK);
            let end = *written + n;
            // Whether a paused stretch touches this block: else no position
            // of it is looked up.
            let quiet = paused_from.is_some_and(|from| from < end)
                || gaps.iter().any(|(from, to)| *from < end && *to > *written);
            // At most 2 × BLOCK samples: fits.
            let mut w = writer.get_i16_writer((2 * n) as u32);
            let came = window.len().min(n as usize);
            for (at, [a, b]) in (*written..).zip(window.drain(..came)) {
                let (a, b) = if quiet && silenced(at) { (0, 0) } else { (law.decode(a), law.decode(b)) };
                w.write_sample(a);
                w.write_sample(b);
            }
            // Nothing came for the rest: silence.
            for at in *written + came as u64..end {
                let s = if quiet && silenced(at) { 0 } else { nothing };
                w.write_sample(s);
                w.write_sample(s);
            }
            w.flush().map_err(err)?;
            *written = end;
        }
        Ok(())
    }

    /// Samples written so far (the recording's length, at 8 kHz).
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Makes what is written so far a complete WAV file (hound rewrites the
    /// header's lengths): a crash then loses at most what came since.
    pub fn checkpoint(&mut self) -> Result<(), MediaError> {
        self.writer.flush().map_err(err)
    }

    /// Writes the timeline up to `end` (the leg's length: the recording is
    /// exactly as long as the call) and completes the WAV header.
    pub fn finish(mut self, end: u64) -> Result<(), MediaError> {
        self.write_until(end)?;
        self.writer.finalize().map_err(err)
    }
}

/// What a WAV file cut short by a crash must say in its two length fields
/// for all of its `len` bytes to play: `(offset, value)` of the RIFF size
/// and of the data chunk's size, found by walking the chunks in `head` (the
/// file's first bytes, 512 are plenty). A file cut by a crash has them up
/// to a checkpoint behind; a trailing half sample frame is left out.
pub fn repaired_lengths(head: &[u8], len: u64) -> Result<[(u64, u32); 2], MediaError> {
    let bad = |why: &str| MediaError::Record(format!("not a WAV file we can repair: {why}"));
    if head.len() < 12 || &head[..4] != b"RIFF" || &head[8..12] != b"WAVE" {
        return Err(bad("no RIFF/WAVE header"));
    }
    let u32_at = |at: usize| head.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let mut at = 12usize;
    let mut block_align = 1u64;
    loop {
        let id = head.get(at..at + 4).ok_or_else(|| bad("no data chunk in the first bytes"))?;
        let size = u32_at(at + 4).ok_or_else(|| bad("a chunk header is cut"))?;
        if id == b"fmt " {
            let align = head.get(at + 20..at + 22).ok_or_else(|| bad("the fmt chunk is cut"))?;
            block_align = u64::from(u16::from_le_bytes([align[0], align[1]])).max(1);
        }
        if id == b"data" {
            let start = at as u64 + 8;
            let data = len.checked_sub(start).ok_or_else(|| bad("shorter than its header"))?;
            let data = data - data % block_align;
            let riff = u32::try_from(start + data - 8).map_err(|_| bad("over 4 GiB"))?;
            let data = u32::try_from(data).map_err(|_| bad("over 4 GiB"))?;
            return Ok([(4, riff), (at as u64 + 4, data)]);
        }
        at += 8 + size as usize + (size as usize & 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// `v`'s µ-law code, and what the code is heard as.
    fn mu(v: i16) -> u8 {
        Law::Mu.encode(v)
    }
    fn heard(v: i16) -> i16 {
        Law::Mu.decode(mu(v))
    }

    /// `frames` more 20 ms from both sides, the caller at 1000, staff at
    /// 2000 (µ-law), written as they pass.
    fn talk<W: Write + Seek>(r: &mut Recorder<W>, frames: usize) {
        for _ in 0..frames {
            let at = r.written();
            r.caller(at, Law::Mu, &[mu(1000); 160]);
            r.staff(at, &[mu(2000); 160]);
            r.write_until(at + 160).unwrap();
        }
    }

    #[test]
    fn a_paused_stretch_is_silence_on_both_channels_and_the_file_keeps_its_length() {
        let mut buf = Cursor::new(Vec::new());
        let mut r = Recorder::new(&mut buf, Law::Mu).unwrap();
        talk(&mut r, 10);
        r.pause(true, 10 * 160);
        r.pause(true, 12 * 160); // a second press changes nothing
        talk(&mut r, 20);
        r.pause(false, 30 * 160);
        talk(&mut r, 10);
        // Paused again at the end, never resumed: open until the end.
        r.pause(true, 40 * 160);
        talk(&mut r, 5);
        assert_eq!(r.gaps(45 * 160), [(1600, 4800), (6400, 7200)]);
        r.finish(45 * 160).unwrap();
        let samples: Vec<i16> = hound::WavReader::new(Cursor::new(buf.into_inner()))
            .unwrap()
            .samples::<i16>()
            .map(|s| s.unwrap())
            .collect();
        assert_eq!(samples.len(), 2 * 45 * 160, "as long as the call");
        let frame = |k: usize| &samples[2 * k * 160..2 * (k + 1) * 160];
        assert!(frame(9).chunks(2).all(|s| s == [heard(1000), heard(2000)]), "recorded before the pause");
        for k in (10..30).chain(40..45) {
            assert!(frame(k).iter().all(|s| *s == 0), "frame {k} is silence");
        }
        assert!(frame(30).chunks(2).all(|s| s == [heard(1000), heard(2000)]), "recorded again after the resume");
        assert!(frame(39).chunks(2).all(|s| s == [heard(1000), heard(2000)]));
    }

    #[test]
    fn a_file_cut_after_its_checkpoint_is_repaired_to_all_it_holds() {
        let mut buf = Cursor::new(Vec::new());
        let mut r = Recorder::new(&mut buf, Law::Mu).unwrap();
        talk(&mut r, 25);
        r.checkpoint().unwrap();
        talk(&mut r, 10);
        r.checkpoint().unwrap();
        std::mem::forget(r);
        let full = buf.into_inner();
        // As the disk held it at a crash: the samples of 35 frames, the
        // header of 25, and half a sample frame at the end.
        let mut cut = full.clone();
        let mut early = Cursor::new(Vec::new());
        let mut r = Recorder::new(&mut early, Law::Mu).unwrap();
        talk(&mut r, 25);
        r.finish(25 * 160).unwrap();
        cut[..44].copy_from_slice(&early.get_ref()[..44]);
        cut.extend([7, 7]);
        assert_eq!(hound::WavReader::new(Cursor::new(cut.clone())).unwrap().len(), 2 * 25 * 160, "behind");
        for (at, v) in repaired_lengths(&cut[..64], cut.len() as u64).unwrap() {
            cut[at as usize..at as usize + 4].copy_from_slice(&v.to_le_bytes());
        }
        let reader = hound::WavReader::new(Cursor::new(cut)).unwrap();
        assert_eq!(reader.len(), 2 * 35 * 160, "every whole sample frame on disk");
        assert_eq!(reader.duration(), 35 * 160);
        assert!(repaired_lengths(b"RIFF\0\0\0\0WAVEjunk", 100).is_err());
        assert!(repaired_lengths(b"not a wav at all", 100).is_err());
    }

    fn energy(samples: &[i16]) -> f64 {
        samples.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / samples.len().max(1) as f64
    }

    #[test]
    fn both_sides_land_on_their_own_channel() {
        let mut buf = Cursor::new(Vec::new());
        let mut r = Recorder::new(&mut buf, Law::Mu).unwrap();
        let tone: Vec<u8> = (0..160).map(|i| mu(((i as f64 / 8.0).sin() * 8000.0) as i16)).collect();
        for k in 0..50 {
            r.caller(k * 160, Law::Mu, &tone);
            r.staff(k * 160, &[mu(0); 160]);
        }
        for k in 50..100 {
            r.staff(k * 160, &tone); // the caller is silent (muted) now
        }
        r.finish(100 * 160).unwrap();
        let mut reader = hound::WavReader::new(Cursor::new(buf.into_inner())).unwrap();
        assert_eq!(reader.spec(), spec());
        let samples: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
        assert_eq!(samples.len(), 2 * 100 * 160, "two seconds, both channels");
        let left: Vec<i16> = samples.iter().step_by(2).copied().collect();
        let right: Vec<i16> = samples.iter().skip(1).step_by(2).copied().collect();
        assert!(energy(&left[..8000]) > 1e6 && energy(&left[8000..]) < 1.0);
        assert!(energy(&right[..8000]) < 1.0 && energy(&right[8000..]) > 1e6);
    }

    /// A stalled leg: for 1 s nothing is taken from the socket, then the
    /// caller's 50 packets arrive at once, each with its RTP position, and
    /// our side's late ticks catch up. The recording is as long as the
    /// call, the caller's audio where it was spoken, no zero frame in the
    /// talk. Before: the caller's burst ran more than 200 ms ahead, was
    /// written against silence, and our side's frames for the same second
    /// came after it: 4 s recorded for a 3 s call.
    #[test]
    fn a_stalled_leg_records_as_long_as_the_call_with_its_audio_in_place() {
        let mut buf = Cursor::new(Vec::new());
        let mut r = Recorder::new(&mut buf, Law::Mu).unwrap();
        // Each of the caller's frames its own µ-law code, each a level of
        // its own.
        let frame = |k: u64| [0x80 + (k % 100) as u8; 160];
        let tick = |r: &mut Recorder<_>, k: u64, caller: &[u64]| {
            for c in caller {
                r.caller(c * 160, Law::Mu, &frame(*c));
            }
            r.staff(k * 160, &[mu(2000); 160]);
            // Written 200 ms behind the clock: room for jitter.
            r.write_until((k * 160).saturating_sub(1600)).unwrap();
        };
        for k in 0..50 {
            tick(&mut r, k, &[k]);
        }
        // The stall: ticks 50..100 fire late, all at once, and the first of
        // them finds the caller's 50 packets of that second waiting.
        tick(&mut r, 50, &(50..100).collect::<Vec<_>>());
        for k in 51..100 {
            tick(&mut r, k, &[]);
        }
        for k in 100..150 {
            tick(&mut r, k, &[k]);
        }
        // A packet so late its moment is written already: dropped.
        r.caller(10 * 160, Law::Mu, &[mu(9999); 160]);
        r.finish(150 * 160).unwrap();
        let reader = hound::WavReader::new(Cursor::new(buf.into_inner())).unwrap();
        assert_eq!(reader.duration(), 150 * 160, "exactly the call's 3 s");
        let samples: Vec<i16> = reader.into_samples::<i16>().map(Result::unwrap).collect();
        let left: Vec<i16> = samples.iter().step_by(2).copied().collect();
        for k in 0..150u64 {
            let f = &left[(k * 160) as usize..(k * 160 + 160) as usize];
            let expected = Law::Mu.decode(frame(k)[0]);
            assert!(f.iter().all(|s| *s == expected), "frame {k} holds the caller's frame {k}: {}", f[0]);
        }
        let levels: std::collections::HashSet<i16> = left.iter().copied().collect();
        assert_eq!(levels.len(), 100, "a hundred frames apart: {levels:?}");
        assert!(samples.iter().skip(1).step_by(2).all(|s| *s == heard(2000)), "our side, every frame once");
    }

    #[test]
    fn received_audio_lands_where_its_timestamps_say() {
        let mut anchor = Anchor::default();
        // The first packet anchors at the tick it arrived in.
        assert_eq!(anchor.position(1_000_000, 3200), 3200);
        // Later ones by their timestamps, however they arrive: a burst
        // after a stall keeps its spacing; a late one goes back in place.
        assert_eq!(anchor.position(1_000_160, 9600), 3360);
        assert_eq!(anchor.position(1_000_000 + 8 * 160, 9600), 3200 + 8 * 160);
        // Across the 32-bit wrap.
        let mut wrap = Anchor::default();
        assert_eq!(wrap.position(u32::MAX - 79, 0), 0);
        assert_eq!(wrap.position(80, 160), 160);
        // A leap of the far end's clock (a new stream) is anchored anew.
        assert_eq!(anchor.position(50, 12_800), 12_800);
        assert_eq!(anchor.position(210, 12_960), 12_960);
    }

    #[test]
    fn audio_out_of_bounds_is_dropped_not_buffered() {
        let mut r = Recorder::new(Cursor::new(Vec::new()), Law::Mu).unwrap();
        r.caller(MAX_AHEAD * 3, Law::Mu, &[5; 160]);
        assert!(r.window.is_empty(), "a leap of timestamps is not buffered");
        r.caller(MAX_AHEAD - 160, Law::Mu, &[5; 160]);
        assert_eq!(r.window.len() as u64, MAX_AHEAD);
    }

    #[test]
    fn a_reserved_window_is_never_grown_in_a_steady_call() {
        let mut r = Recorder::new(Cursor::new(Vec::new()), Law::Mu).unwrap();
        r.reserve(1600 + 4 * 160);
        let room = r.window.capacity();
        assert!((2240..2300).contains(&room), "{room}");
        for k in 0..500u64 {
            // The caller's clock half a frame ahead of ours.
            r.caller(k * 160 + 80, Law::Mu, &[1; 160]);
            r.staff(k * 160, &[2; 160]);
            r.write_until((k * 160).saturating_sub(1600)).unwrap();
        }
        assert_eq!(r.window.capacity(), room, "ten seconds in the window it was given");
        assert_eq!(r.written(), 499 * 160 - 1600);
    }

    #[test]
    fn a_checkpoint_leaves_a_playable_file_if_the_process_dies() {
        let mut buf = Cursor::new(Vec::new());
        let mut r = Recorder::new(&mut buf, Law::Mu).unwrap();
        talk(&mut r, 25);
        r.checkpoint().unwrap();
        talk(&mut r, 10);
        // No finish: as if the process died here.
        std::mem::forget(r);
        let bytes = buf.into_inner();
        let reader = hound::WavReader::new(Cursor::new(bytes)).unwrap();
        assert!(reader.len() >= 2 * 25 * 160, "at least what came before the checkpoint: {}", reader.len());
    }

    /// A phone that switches to the other law it was offered is recorded
    /// in the leg's law; a gap in an A-law leg is A-law's silence.
    #[test]
    fn the_other_law_is_re_encoded_and_a_gap_is_the_laws_silence() {
        let mut buf = Cursor::new(Vec::new());
        let mut r = Recorder::new(&mut buf, Law::A).unwrap();
        let alaw = |v: i16| Law::A.encode(v);
        r.caller(0, Law::A, &[alaw(1000); 160]);
        r.caller(160, Law::Mu, &[mu(1000); 160]); // switched to µ-law
                                                  // Nothing from the caller for the third frame; our side all along.
        for k in 0..3 {
            r.staff(k * 160, &[alaw(-3000); 160]);
        }
        r.finish(3 * 160).unwrap();
        let samples: Vec<i16> =
            hound::WavReader::new(Cursor::new(buf.into_inner())).unwrap().into_samples().map(Result::unwrap).collect();
        let left: Vec<i16> = samples.iter().step_by(2).copied().collect();
        let right: Vec<i16> = samples.iter().skip(1).step_by(2).copied().collect();
        let a_heard = |v: i16| Law::A.decode(alaw(v));
        assert!(left[..160].iter().all(|s| *s == a_heard(1000)), "{}", left[0]);
        assert!(left[160..320].iter().all(|s| *s == a_heard(heard(1000))), "{}", left[160]);
        assert!(left[320..].iter().all(|s| *s == Law::A.decode(Law::A.silence())), "{}", left[320]);
        assert!(right.iter().all(|s| *s == a_heard(-3000)));
    }
}
