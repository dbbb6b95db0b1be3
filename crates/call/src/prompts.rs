//! The demo prompts: 8 kHz mono 16-bit WAV files under `prompts/<lang>/`,
//! made once with espeak-ng (`tools/make-prompts.sh`) and committed. A
//! company's own prompts use the same names.

use std::path::{Path, PathBuf};

/// Languages the demo prompts exist in.
pub const LANGUAGES: [&str; 2] = ["en", "bs"];

/// Every prompt the call logic plays.
pub const NAMES: [&str; 6] =
    ["main-menu", "invalid-choice", "closed", "please-wait", "callback-offer", "callback-confirmed"];

macro_rules! builtin_table {
    ($($lang:literal: $($name:literal),+;)+) => {
        /// The demo prompts compiled into the binary (about 1 MB), so that
        /// the one binary answers calls with no files beside it.
        pub fn builtin(lang: &str, name: &str) -> Option<&'static [u8]> {
            match (lang, name) {
                $($( ($lang, $name) => Some(include_bytes!(concat!("../prompts/", $lang, "/", $name, ".wav"))), )+)+
                _ => None,
            }
        }
    };
}

builtin_table! {
    "en": "main-menu", "invalid-choice", "closed", "please-wait", "callback-offer", "callback-confirmed";
    "bs": "main-menu", "invalid-choice", "closed", "please-wait", "callback-offer", "callback-confirmed";
}

/// The folder of the demo prompts shipped with the source.
pub fn demo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("prompts")
}

/// The file of prompt `name` in `lang` under `root`.
pub fn path(root: &Path, lang: &str, name: &str) -> PathBuf {
    root.join(lang).join(format!("{name}.wav"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ivr::IvrConfig;

    #[test]
    fn every_prompt_exists_in_every_language_as_8khz_speech() {
        for lang in LANGUAGES {
            for name in NAMES {
                let p = path(&demo_dir(), lang, name);
                let mut r = hound::WavReader::open(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                let spec = r.spec();
                assert_eq!((spec.sample_rate, spec.channels, spec.bits_per_sample), (8000, 1, 16), "{}", p.display());
                let samples: Vec<i16> = r.samples::<i16>().map(|s| s.unwrap_or(0)).collect();
                let seconds = samples.len() as f64 / 8000.0;
                let rms =
                    (samples.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / samples.len().max(1) as f64).sqrt();
                assert!(seconds > 1.0 && rms > 300.0, "{}: {seconds:.1} s, rms {rms:.0}", p.display());
            }
        }
        // The compiled-in copies are the same files.
        for lang in LANGUAGES {
            for name in NAMES {
                let on_disk = std::fs::read(path(&demo_dir(), lang, name)).unwrap();
                assert_eq!(builtin(lang, name), Some(on_disk.as_slice()), "{lang}/{name}");
            }
        }
        assert_eq!(builtin("xx", "main-menu"), None);
        // The default menu only names prompts that exist.
        let menu = IvrConfig::default_menu();
        for m in &menu.menus {
            assert!(NAMES.contains(&m.prompt.as_str()));
            assert!(m.invalid_prompt.as_deref().is_none_or(|p| NAMES.contains(&p)));
        }
        assert!(NAMES.contains(&menu.hours.closed_prompt.as_str()));
    }
}
