//! The demo prompts: 8 kHz mono 16-bit WAV files under `prompts/<lang>/`,
//! made once with espeak-ng (`tools/make-prompts.sh`) and committed. A
//! company's own prompts use the same names.

use std::path::{Path, PathBuf};

/// Languages the demo prompts exist in.
pub const LANGUAGES: [&str; 2] = ["en", "bs"];

/// Every prompt the call logic plays.
pub const NAMES: [&str; 22] = [
    "main-menu",
    "invalid-choice",
    "closed",
    "please-wait",
    "callback-offer",
    "callback-confirmed",
    "busy-later",
    "position",
    "wait-time",
    "minutes",
    "under-a-minute",
    "more-than",
    "n1",
    "n2",
    "n3",
    "n4",
    "n5",
    "n6",
    "n7",
    "n8",
    "n9",
    "n10",
];

/// The highest number spoken (`n1` … `n10`); beyond it, "more than ten".
pub const MAX_NUMBER: u64 = 10;

fn number(n: u64, out: &mut Vec<String>) {
    if n > MAX_NUMBER {
        out.extend(["more-than".to_owned(), format!("n{MAX_NUMBER}")]);
    } else {
        out.push(format!("n{n}"));
    }
}

/// What a waiting caller hears (like Asterisk's `announce-position` and
/// `announce-holdtime`): "you are number 3, your estimated waiting time is
/// about 2 minutes", and the callback offer when it is on. Minutes round
/// up; under a minute is said so.
pub fn announcement(position: usize, wait: std::time::Duration, offer_callback: bool) -> Vec<String> {
    let mut out = vec!["position".to_owned()];
    number(u64::try_from(position.max(1)).unwrap_or(u64::MAX), &mut out);
    out.push("wait-time".to_owned());
    let minutes = wait.as_secs().div_ceil(60);
    if wait.as_secs() < 60 {
        out.push("under-a-minute".to_owned());
    } else {
        number(minutes, &mut out);
        out.push("minutes".to_owned());
    }
    if offer_callback {
        out.push("callback-offer".to_owned());
    }
    out
}

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
    "en": "main-menu", "invalid-choice", "closed", "please-wait", "callback-offer", "callback-confirmed",
          "busy-later", "position", "wait-time", "minutes", "under-a-minute", "more-than",
          "n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9", "n10";
    "bs": "main-menu", "invalid-choice", "closed", "please-wait", "callback-offer", "callback-confirmed",
          "busy-later", "position", "wait-time", "minutes", "under-a-minute", "more-than",
          "n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9", "n10";
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
                // Numbers and words are short; sentences longer than a second.
                let word = name.starts_with('n') || ["minutes", "more-than"].contains(&name);
                let least = if word { 0.3 } else { 1.0 };
                assert!(seconds > least && rms > 300.0, "{}: {seconds:.1} s, rms {rms:.0}", p.display());
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

    #[test]
    fn announcements_say_the_position_and_the_wait_in_whole_minutes() {
        use std::time::Duration;
        let say = |p, s, cb| announcement(p, Duration::from_secs(s), cb).join(" ");
        assert_eq!(say(1, 20, true), "position n1 wait-time under-a-minute callback-offer");
        assert_eq!(say(3, 60, false), "position n3 wait-time n1 minutes");
        assert_eq!(say(3, 61, false), "position n3 wait-time n2 minutes");
        assert_eq!(say(10, 600, false), "position n10 wait-time n10 minutes");
        assert_eq!(say(11, 601, false), "position more-than n10 wait-time more-than n10 minutes");
        // Every word of every announcement is a prompt that exists.
        for p in [1, 5, 10, 11, 500] {
            for s in [0, 59, 60, 119, 600, 601, 86_400] {
                for w in announcement(p, Duration::from_secs(s), true) {
                    assert!(NAMES.contains(&w.as_str()), "{w}");
                }
            }
        }
    }
}
