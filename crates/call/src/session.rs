//! One inbound call's logic as a pure state machine: the driver feeds it
//! what happened on the call (a prompt finished, a digit, a timer, the
//! caller hung up) in the order it happened, and carries out the commands it
//! returns (play, wait, route, hang up). No IO and no clock: the driver owns
//! the timers and the media; the time of day comes in at the start.
//!
//! Digits barge in: a key pressed while a prompt plays stops the prompt.

use crate::ivr::{IvrConfig, Outcome, Step, Walk};
use centrala_domain::Intent;
use chrono::NaiveDateTime;
use std::time::Duration;

/// The path of a call that skipped the menu.
pub const SKIPPED: &str = "skipped (key client)";

/// What happened on the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Everything asked for by the last `Play` has been played.
    PromptsDone,
    /// The caller pressed a key (counted once, on its end packet).
    Digit(char),
    /// The timer armed by the last `Wait` fired.
    Timer,
    /// The caller hung up.
    Hangup,
}

/// What the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd {
    /// Play these prompts one after another, then report `PromptsDone`.
    Play(Vec<String>),
    /// Stop what is playing (a digit barged in); no `PromptsDone` follows.
    StopPlay,
    /// Arm the one timer of the call; it reports `Timer` unless disarmed.
    Wait(Duration),
    /// Disarm the timer.
    CancelTimer,
    /// The menu is done: route the call by this outcome. The driver
    /// records the IVR path and the digits with it.
    Route(Outcome),
    /// Hang up (after the closed message).
    Hangup,
    /// The call is over: record how it ended.
    Ended(End),
}

/// How an inbound call ended, from the menu's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The caller hung up before the menu was done.
    AbandonedInMenu,
    /// Outside business hours: the closed message was played.
    Closed,
    /// The caller hung up after being routed (the routing layer tells more).
    AfterRouting,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Playing a menu; then wait this long for a digit.
    Playing(Duration),
    Waiting,
    /// Playing the closed message; then hang up.
    Closing,
    /// Handed over to routing.
    Routed,
    Over,
}

/// The IVR part of one inbound call.
#[derive(Debug, Clone)]
pub struct IvrCall {
    cfg: IvrConfig,
    walk: Walk,
    state: State,
    /// The caller skipped the menu (a key client, when the company says so).
    skipped: bool,
}

impl IvrCall {
    /// The call was answered at `at` (the company's local time).
    /// `skip_menu`: the caller may skip the menu (OD-4: a known key client,
    /// when the company says so); while open it is routed at once as an
    /// order call, while closed it hears the closed message like anyone.
    pub fn start(cfg: IvrConfig, at: NaiveDateTime, skip_menu: bool) -> (IvrCall, Vec<Cmd>) {
        let (walk, step) = Walk::start(&cfg, at);
        let skipped = skip_menu && cfg.hours.is_open(at);
        let mut call = IvrCall { cfg, walk, state: State::Over, skipped };
        let mut out = Vec::new();
        if skipped {
            call.state = State::Routed;
            out.extend([Cmd::StopPlay, Cmd::Route(Outcome::Intent(Intent::Order))]);
        } else {
            call.apply(step, &mut out);
        }
        (call, out)
    }

    /// The menus taken, in order (`main>sales`), or that the menu was skipped.
    pub fn path(&self) -> String {
        if self.skipped {
            return SKIPPED.to_owned();
        }
        self.walk.path.join(">")
    }

    /// Every key pressed in the menu.
    pub fn digits(&self) -> &str {
        &self.walk.digits
    }

    pub fn is_over(&self) -> bool {
        self.state == State::Over
    }

    pub fn handle(&mut self, input: Input) -> Vec<Cmd> {
        let mut out = Vec::new();
        match (self.state, input) {
            (State::Over, _) => {}
            (State::Playing(timeout), Input::PromptsDone) => {
                self.state = State::Waiting;
                out.push(Cmd::Wait(timeout));
            }
            (State::Closing, Input::PromptsDone) => {
                self.state = State::Over;
                out.extend([Cmd::Hangup, Cmd::Ended(End::Closed)]);
            }
            (State::Playing(_), Input::Digit(d)) => {
                out.push(Cmd::StopPlay);
                let step = self.walk.digit(&self.cfg, d);
                self.apply(step, &mut out);
            }
            (State::Waiting, Input::Digit(d)) => {
                out.push(Cmd::CancelTimer);
                let step = self.walk.digit(&self.cfg, d);
                self.apply(step, &mut out);
            }
            (State::Waiting, Input::Timer) => {
                let step = self.walk.timeout(&self.cfg);
                self.apply(step, &mut out);
            }
            (State::Playing(_) | State::Waiting, Input::Hangup) => {
                self.state = State::Over;
                out.push(Cmd::Ended(End::AbandonedInMenu));
            }
            (State::Closing, Input::Hangup) => {
                self.state = State::Over;
                out.push(Cmd::Ended(End::Closed));
            }
            (State::Routed, Input::Hangup) => {
                self.state = State::Over;
                out.push(Cmd::Ended(End::AfterRouting));
            }
            // Stale or irrelevant: a timer racing a digit, a key while
            // closing, anything after routing (routing handles its own).
            _ => {}
        }
        out
    }

    fn apply(&mut self, step: Step, out: &mut Vec<Cmd>) {
        match step {
            Step::Ask { prompts, timeout } => {
                self.state = State::Playing(timeout);
                out.push(Cmd::Play(prompts));
            }
            Step::Done(Outcome::Closed(prompt)) => {
                self.state = State::Closing;
                out.push(Cmd::Play(vec![prompt]));
            }
            Step::Done(outcome) => {
                self.state = State::Routed;
                out.push(Cmd::Route(outcome));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ivr::Hours;
    use centrala_domain::Intent;
    use chrono::{NaiveDate, NaiveTime, Weekday};

    fn at(h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap().and_hms_opt(h, 0, 0).unwrap()
    }

    fn play(p: &[&str]) -> Cmd {
        Cmd::Play(p.iter().map(|s| (*s).to_owned()).collect())
    }

    const FIVE: Duration = Duration::from_secs(5);

    #[test]
    fn a_digit_after_the_prompt_routes() {
        let (mut c, first) = IvrCall::start(IvrConfig::default_menu(), at(10), false);
        assert_eq!(first, [play(&["main-menu"])]);
        assert_eq!(c.handle(Input::PromptsDone), [Cmd::Wait(FIVE)]);
        assert_eq!(c.handle(Input::Digit('1')), [Cmd::CancelTimer, Cmd::Route(Outcome::Intent(Intent::Order))]);
        assert_eq!((c.path().as_str(), c.digits()), ("main", "1"));
        // The timer that raced the digit does nothing; a hang-up ends it.
        assert!(c.handle(Input::Timer).is_empty());
        assert!(c.handle(Input::Digit('5')).is_empty(), "keys after routing are routing's business");
        assert_eq!(c.handle(Input::Hangup), [Cmd::Ended(End::AfterRouting)]);
        assert!(c.is_over());
        assert!(c.handle(Input::Hangup).is_empty());
    }

    #[test]
    fn a_digit_barges_into_the_prompt_and_a_wrong_one_replays() {
        let (mut c, _) = IvrCall::start(IvrConfig::default_menu(), at(10), false);
        assert_eq!(c.handle(Input::Digit('7')), [Cmd::StopPlay, play(&["invalid-choice", "main-menu"])]);
        assert_eq!(c.handle(Input::Digit('2')), [Cmd::StopPlay, Cmd::Route(Outcome::Intent(Intent::Reference))]);
        assert_eq!(c.digits(), "72");
    }

    #[test]
    fn silence_retries_then_goes_to_an_operator() {
        let (mut c, _) = IvrCall::start(IvrConfig::default_menu(), at(10), false);
        c.handle(Input::PromptsDone);
        assert_eq!(c.handle(Input::Timer), [play(&["main-menu"])]);
        assert_eq!(c.handle(Input::PromptsDone), [Cmd::Wait(FIVE)]);
        assert_eq!(c.handle(Input::Timer), [Cmd::Route(Outcome::Intent(Intent::Other))]);
        assert_eq!(c.digits(), "");
    }

    #[test]
    fn hanging_up_in_the_menu_is_abandoned() {
        let (mut c, _) = IvrCall::start(IvrConfig::default_menu(), at(10), false);
        assert_eq!(c.handle(Input::Hangup), [Cmd::Ended(End::AbandonedInMenu)]);
        let (mut c, _) = IvrCall::start(IvrConfig::default_menu(), at(10), false);
        c.handle(Input::PromptsDone);
        assert_eq!(c.handle(Input::Hangup), [Cmd::Ended(End::AbandonedInMenu)]);
    }

    /// The default menu, open on Fridays from 08:00 to 16:00.
    fn open_friday_8_to_16() -> IvrConfig {
        let mut cfg = IvrConfig::default_menu();
        cfg.hours = Hours {
            open: vec![(
                Weekday::Fri,
                NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
                NaiveTime::from_hms_opt(16, 0, 0).unwrap(),
            )],
            holidays: vec![],
            closed_prompt: "closed".into(),
        };
        cfg
    }

    #[test]
    fn closed_plays_the_message_and_hangs_up() {
        let cfg = open_friday_8_to_16();
        let (mut c, first) = IvrCall::start(cfg.clone(), at(20), false);
        assert_eq!(first, [play(&["closed"])]);
        assert!(c.handle(Input::Digit('1')).is_empty(), "keys do nothing while closed");
        assert_eq!(c.handle(Input::PromptsDone), [Cmd::Hangup, Cmd::Ended(End::Closed)]);
        let (_, first) = IvrCall::start(cfg, at(10), false);
        assert_eq!(first, [play(&["main-menu"])], "open on Friday at 10");
    }

    #[test]
    fn a_key_client_skips_the_menu_only_while_open_and_when_allowed() {
        let cfg = open_friday_8_to_16();
        let routed = vec![Cmd::StopPlay, Cmd::Route(Outcome::Intent(Intent::Order))];
        // (may skip, hour) -> (first commands, path)
        for (skip, hour, first, path) in [
            (true, 10, routed.clone(), SKIPPED),
            (true, 20, vec![play(&["closed"])], "main"),
            (false, 10, vec![play(&["main-menu"])], "main"),
            (false, 20, vec![play(&["closed"])], "main"),
        ] {
            let (mut c, cmds) = IvrCall::start(cfg.clone(), at(hour), skip);
            assert_eq!(cmds, first, "skip {skip} at {hour}");
            assert_eq!(c.path(), path, "skip {skip} at {hour}");
            if skip && hour == 10 {
                assert!(c.handle(Input::Digit('2')).is_empty(), "a routed call takes no more keys");
            }
        }
    }
}
