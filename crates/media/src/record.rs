//! Call recordings (CC-3): a stereo 8 kHz 16-bit WAV, the caller on the
//! left channel and the staff member on the right, written with `hound`.
//! Each leg's decoded samples are queued and written in pairs, so the two
//! sides stay aligned; a side that fell silent is padded with silence.

use crate::MediaError;
use std::collections::VecDeque;
use std::io::{Seek, Write};

pub struct Recorder<W: Write + Seek> {
    writer: hound::WavWriter<W>,
    left: VecDeque<i16>,
    right: VecDeque<i16>,
}

pub fn spec() -> hound::WavSpec {
    hound::WavSpec { channels: 2, sample_rate: 8000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int }
}

fn err(e: hound::Error) -> MediaError {
    MediaError::Record(e.to_string())
}

impl<W: Write + Seek> Recorder<W> {
    pub fn new(out: W) -> Result<Self, MediaError> {
        Ok(Recorder {
            writer: hound::WavWriter::new(out, spec()).map_err(err)?,
            left: VecDeque::new(),
            right: VecDeque::new(),
        })
    }

    /// The caller's decoded audio.
    pub fn caller(&mut self, samples: &[i16]) -> Result<(), MediaError> {
        self.left.extend(samples);
        self.flush_pairs(false)
    }

    /// The staff member's decoded audio.
    pub fn staff(&mut self, samples: &[i16]) -> Result<(), MediaError> {
        self.right.extend(samples);
        self.flush_pairs(false)
    }

    /// Writes what one side has beyond `lag` samples ahead of the other as
    /// paired with silence, so a muted side cannot hold the file back.
    fn flush_pairs(&mut self, all: bool) -> Result<(), MediaError> {
        const LAG: usize = 1600; // 200 ms
        loop {
            let (l, r) = (self.left.len(), self.right.len());
            let take = if all || l.max(r) > LAG { l.max(r) } else { l.min(r) };
            if take == 0 {
                return Ok(());
            }
            for _ in 0..take {
                let a = self.left.pop_front().unwrap_or(0);
                let b = self.right.pop_front().unwrap_or(0);
                self.writer.write_sample(a).map_err(err)?;
                self.writer.write_sample(b).map_err(err)?;
            }
            if !all {
                return Ok(());
            }
        }
    }

    /// Makes what is written so far a complete WAV file (hound rewrites the
    /// header's lengths): a crash then loses at most what came since.
    pub fn checkpoint(&mut self) -> Result<(), MediaError> {
        self.writer.flush().map_err(err)
    }

    /// Writes what is left and completes the WAV header.
    pub fn finish(mut self) -> Result<(), MediaError> {
        self.flush_pairs(true)?;
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

    /// `frames` of 20 ms from both sides, the caller at 1000, staff at 2000.
    fn talk<W: Write + Seek>(r: &mut Recorder<W>, frames: usize) {
        for _ in 0..frames {
            r.caller(&[1000; 160]).unwrap();
            r.staff(&[2000; 160]).unwrap();
        }
    }

    #[test]
    fn a_file_cut_after_its_checkpoint_is_repaired_to_all_it_holds() {
        let mut buf = Cursor::new(Vec::new());
        let mut r = Recorder::new(&mut buf).unwrap();
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
        let mut r = Recorder::new(&mut early).unwrap();
        talk(&mut r, 25);
        r.finish().unwrap();
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
        let mut r = Recorder::new(&mut buf).unwrap();
        let tone: Vec<i16> = (0..160).map(|i| ((i as f64 / 8.0).sin() * 8000.0) as i16).collect();
        for _ in 0..50 {
            r.caller(&tone).unwrap();
            r.staff(&[0; 160]).unwrap();
        }
        for _ in 0..50 {
            r.staff(&tone).unwrap(); // the caller is silent (muted) now
        }
        r.finish().unwrap();
        let mut reader = hound::WavReader::new(Cursor::new(buf.into_inner())).unwrap();
        assert_eq!(reader.spec(), spec());
        let samples: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
        assert_eq!(samples.len(), 2 * 100 * 160, "two seconds, both channels");
        let left: Vec<i16> = samples.iter().step_by(2).copied().collect();
        let right: Vec<i16> = samples.iter().skip(1).step_by(2).copied().collect();
        assert!(energy(&left[..8000]) > 1e6 && energy(&left[8000..]) < 1.0);
        assert!(energy(&right[..8000]) < 1.0 && energy(&right[8000..]) > 1e6);
    }

    #[test]
    fn a_checkpoint_leaves_a_playable_file_if_the_process_dies() {
        let mut buf = Cursor::new(Vec::new());
        let mut r = Recorder::new(&mut buf).unwrap();
        talk(&mut r, 25);
        r.checkpoint().unwrap();
        talk(&mut r, 10);
        // No finish: as if the process died here.
        std::mem::forget(r);
        let bytes = buf.into_inner();
        let reader = hound::WavReader::new(Cursor::new(bytes)).unwrap();
        assert!(reader.len() >= 2 * 25 * 160, "at least what came before the checkpoint: {}", reader.len());
    }
}
