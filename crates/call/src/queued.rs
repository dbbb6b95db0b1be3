//! A routed inbound call waiting for a person, as a pure state machine: the
//! ACD (through the driver) says whose phone to ring and when to stop; the
//! driver reports how the ringing went and when a side hangs up. One agent
//! rings at a time; an answer bridges the caller to that agent.
//!
//! Every dial result names the staff member it was for, so a late result of
//! a ringing that was already stopped is never taken for the current one.

/// A staff member, by the id the ACD knows them by.
pub type Staff = i64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QInput {
    /// Ring this staff member's phone (the ACD offers them the call).
    Ring(Staff),
    /// Stop ringing them (another took it, or their time ran out).
    StopRinging(Staff),
    /// Their phone answered.
    Answered(Staff),
    /// Their phone did not answer, was busy, or is not registered.
    Missed(Staff),
    /// Play these over the music (position, estimated wait).
    Announce(Vec<String>),
    /// The waiting caller pressed a key (the ACD decides what it means).
    Digit(char),
    /// The caller will be called back, keeping its place: confirm, hang up.
    Callback,
    /// The queue gives up on the call: play this (if any), then hang up.
    Overflow(Option<String>),
    /// What `Play` asked for has been played.
    PromptsDone,
    CallerHangup,
    AgentHangup,
    /// The agent put the caller through to someone else (blind transfer):
    /// the agent leaves, the caller waits on hold for the next ringing.
    Transfer,
    /// The agent's phone was lost mid-call (a browser's network went):
    /// the caller holds with music for the grace time.
    AgentLost,
    /// The grace time after `AgentLost` is over: back to the queue.
    GraceOver,
    /// The lost agent's phone is back (a reloaded page, a network that
    /// returned) within the grace time: ring it again.
    AgentBack(Staff),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QCmd {
    Dial(Staff),
    /// Stop the dialling of this staff member.
    CancelDial(Staff),
    /// An answered leg that is no longer wanted: hang it up.
    ByeLeg(Staff),
    /// Connect the caller and this staff member's leg.
    Bridge(Staff),
    Play(Vec<String>),
    /// Tell the ACD.
    Report(AcdReport),
    ByeCaller,
    ByeAgent,
    /// Stop the bridge: the caller hears music on hold again.
    Unbridge,
    /// Start the grace time of a lost agent (then `GraceOver`).
    Grace,
    Ended(QEnd),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcdReport {
    /// Their phone is ringing (for the record and their desk's pop-up).
    Ringing(Staff),
    Accepted(Staff),
    Declined(Staff),
    /// The caller left before anyone answered.
    Abandoned,
    /// The conversation is over.
    Finished,
    /// The waiting caller pressed a key.
    Digit(char),
    /// These prompts were played to the waiting caller.
    Announced(Vec<String>),
    /// The caller was told it will be called back, and let go.
    CallbackPromised,
    /// The queue gave up on the caller (a message, then hang-up).
    Overflowed,
    /// Someone listens in from their phone (said by the driver, which
    /// connects the listener; the machine has no part in it).
    Listening(Staff),
    /// The one listening in now speaks to the agent only, or to both, or
    /// listens silently again (said by the driver).
    Coaching(Staff, Coach),
    /// The agent consults a colleague while the caller holds, brings the
    /// caller in (a conference), or the colleague leaves (said by the
    /// driver).
    Consult {
        agent: Staff,
        colleague: Staff,
        step: ConsultStep,
    },
    /// The agent paused (`true`) or resumed the call's recording (said by
    /// the driver).
    RecordPaused {
        agent: Staff,
        paused: bool,
    },
    /// The agent's phone was lost mid-call; the caller holds.
    AgentLost(Staff),
    /// The lost agent's grace time is over: the caller goes back to its
    /// queue, at its old place.
    Requeue(Staff),
    /// The lost agent answered again within the grace time.
    AgentBack(Staff),
    /// The call waits in this queue now: routed there by name, or
    /// overflowed into it (said by the driver, as `Listening`).
    Queued {
        queue: String,
        overflowed: bool,
    },
}

/// What the one listening in to a call does (CC-13): hears both sides
/// unheard, speaks to the agent only (a coach's whisper), or joins the
/// conversation (barge-in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coach {
    Listen,
    Whisper,
    Barge,
}

/// How a consultation goes (CC-13, OD-11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsultStep {
    /// The colleague answered: the agent talks to them, the caller holds.
    Talking,
    /// The colleague did not answer (or refused): the agent is back with
    /// the caller.
    Missed,
    /// The caller joined: all three hear each other.
    Conference,
    /// The colleague left (hung up, or the agent went back to the caller);
    /// the caller and the agent talk on.
    Ended,
}

impl AcdReport {
    /// The call's last report: nothing follows it.
    pub fn is_last(&self) -> bool {
        matches!(self, AcdReport::Abandoned | AcdReport::Finished | AcdReport::CallbackPromised | AcdReport::Overflowed)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QEnd {
    /// Talked to someone, then either side hung up.
    Answered,
    /// Left while waiting or ringing.
    Abandoned,
    /// The queue overflowed to a message.
    Overflowed,
    /// Let go with the promise of a callback (the ACD keeps its place).
    Callback,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    Ringing(Staff),
    Bridged(Staff),
    /// The agent's phone was lost: the caller holds for the grace time.
    Lost(Staff),
    /// Within the grace time, the lost agent's phone is back and rings.
    Rejoining(Staff),
    /// Playing the last message (overflow, callback confirmed); then hang
    /// up, ending so.
    Closing(QEnd),
    Over,
}

#[derive(Debug, Clone)]
pub struct Queued {
    state: State,
    /// Whether an announcement plays (a digit of it would be ignored).
    announcing: bool,
}

impl Default for Queued {
    fn default() -> Self {
        Queued::new()
    }
}

impl Queued {
    pub fn new() -> Queued {
        Queued { state: State::Waiting, announcing: false }
    }

    pub fn is_over(&self) -> bool {
        self.state == State::Over
    }

    /// Who the caller talks to, if anyone.
    pub fn bridged_to(&self) -> Option<Staff> {
        match self.state {
            State::Bridged(s) => Some(s),
            _ => None,
        }
    }

    pub fn handle(&mut self, input: QInput) -> Vec<QCmd> {
        use QCmd::*;
        let mut out = Vec::new();
        match (self.state, input) {
            (State::Over, QInput::Answered(s)) => out.push(ByeLeg(s)),
            (State::Over, _) => {}
            (State::Waiting, QInput::Ring(s)) => {
                self.state = State::Ringing(s);
                out.extend([Dial(s), Report(AcdReport::Ringing(s))]);
            }
            (State::Ringing(r), QInput::Ring(s)) if r != s => {
                // Only one phone rings: the ACD moved on without a Stop.
                out.extend([CancelDial(r), Dial(s), Report(AcdReport::Ringing(s))]);
                self.state = State::Ringing(s);
            }
            (State::Ringing(r), QInput::StopRinging(s)) if r == s => {
                self.state = State::Waiting;
                out.push(CancelDial(s));
            }
            (State::Ringing(r), QInput::Answered(s)) if r == s => {
                self.state = State::Bridged(s);
                self.announcing = false;
                out.extend([Bridge(s), Report(AcdReport::Accepted(s))]);
            }
            (State::Ringing(r), QInput::Missed(s)) if r == s => {
                self.state = State::Waiting;
                out.push(Report(AcdReport::Declined(s)));
            }
            // The lost agent answered again within the grace time.
            (State::Rejoining(s), QInput::Answered(b)) if s == b => {
                self.state = State::Bridged(s);
                out.extend([Bridge(s), Report(AcdReport::AgentBack(s))]);
            }
            // A phone that answers after its ringing was stopped.
            (_, QInput::Answered(s)) => out.push(ByeLeg(s)),
            (State::Waiting | State::Ringing(_), QInput::Announce(p)) => {
                self.announcing = true;
                out.extend([Play(p.clone()), Report(AcdReport::Announced(p))]);
            }
            (State::Waiting | State::Ringing(_), QInput::Digit(d)) => out.push(Report(AcdReport::Digit(d))),
            (State::Waiting | State::Ringing(_), QInput::Callback) => {
                if let State::Ringing(r) = self.state {
                    out.push(CancelDial(r));
                }
                self.state = State::Closing(QEnd::Callback);
                out.extend([Play(vec!["callback-confirmed".to_owned()]), Report(AcdReport::CallbackPromised)]);
            }
            (State::Waiting | State::Ringing(_), QInput::PromptsDone) => self.announcing = false,
            (State::Waiting | State::Ringing(_), QInput::Overflow(p)) => {
                if let State::Ringing(r) = self.state {
                    out.push(CancelDial(r));
                }
                out.push(Report(AcdReport::Overflowed));
                match p {
                    Some(p) => {
                        self.state = State::Closing(QEnd::Overflowed);
                        out.push(Play(vec![p]));
                    }
                    None => {
                        self.state = State::Over;
                        out.extend([ByeCaller, Ended(QEnd::Overflowed)]);
                    }
                }
            }
            (State::Closing(end), QInput::PromptsDone) => {
                self.state = State::Over;
                out.extend([ByeCaller, Ended(end)]);
            }
            (State::Waiting, QInput::CallerHangup) => {
                self.state = State::Over;
                out.extend([Report(AcdReport::Abandoned), Ended(QEnd::Abandoned)]);
            }
            (State::Ringing(r), QInput::CallerHangup) => {
                self.state = State::Over;
                out.extend([CancelDial(r), Report(AcdReport::Abandoned), Ended(QEnd::Abandoned)]);
            }
            (State::Closing(end), QInput::CallerHangup) => {
                self.state = State::Over;
                out.push(Ended(end));
            }
            (State::Bridged(_), QInput::CallerHangup) => {
                self.state = State::Over;
                out.extend([ByeAgent, Report(AcdReport::Finished), Ended(QEnd::Answered)]);
            }
            (State::Bridged(s), QInput::AgentLost) => {
                self.state = State::Lost(s);
                out.extend([Unbridge, ByeAgent, Report(AcdReport::AgentLost(s)), Grace]);
            }
            (State::Lost(s), QInput::GraceOver) => {
                self.state = State::Waiting;
                out.push(Report(AcdReport::Requeue(s)));
            }
            (State::Lost(s), QInput::AgentBack(b)) if s == b => {
                self.state = State::Rejoining(s);
                out.push(Dial(s));
            }
            (State::Rejoining(s), QInput::Missed(b)) if s == b => {
                self.state = State::Waiting;
                out.push(Report(AcdReport::Requeue(s)));
            }
            (State::Rejoining(s), QInput::GraceOver) => {
                self.state = State::Waiting;
                out.extend([CancelDial(s), Report(AcdReport::Requeue(s))]);
            }
            (State::Rejoining(s), QInput::CallerHangup) => {
                self.state = State::Over;
                out.extend([CancelDial(s), Report(AcdReport::Finished), Ended(QEnd::Answered)]);
            }
            // The caller leaves while the lost agent's contact still holds
            // it in the ACD: the contact ends there.
            (State::Lost(_), QInput::CallerHangup) => {
                self.state = State::Over;
                out.extend([Report(AcdReport::Finished), Ended(QEnd::Answered)]);
            }
            (State::Bridged(_), QInput::Transfer) => {
                self.state = State::Waiting;
                out.extend([Unbridge, ByeAgent]);
            }
            (State::Bridged(_), QInput::AgentHangup) => {
                self.state = State::Over;
                out.extend([ByeCaller, Report(AcdReport::Finished), Ended(QEnd::Answered)]);
            }
            // Stale: a stop or a miss for someone no longer ringing, a
            // prompt end while bridged, a ring while bridged.
            _ => {}
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use QCmd::*;

    #[test]
    fn rings_one_agent_then_the_next_and_bridges_the_one_who_answers() {
        let mut q = Queued::new();
        assert_eq!(q.handle(QInput::Ring(7)), [Dial(7), Report(AcdReport::Ringing(7))]);
        assert_eq!(q.handle(QInput::Missed(7)), [Report(AcdReport::Declined(7))]);
        assert_eq!(q.handle(QInput::Ring(8)), [Dial(8), Report(AcdReport::Ringing(8))]);
        assert_eq!(q.handle(QInput::Missed(7)), [], "a stale miss changes nothing");
        assert_eq!(q.handle(QInput::Answered(8)), [Bridge(8), Report(AcdReport::Accepted(8))]);
        assert_eq!(q.bridged_to(), Some(8));
        assert_eq!(q.handle(QInput::Ring(9)), [], "no ringing while bridged");
        assert_eq!(q.handle(QInput::AgentHangup), [ByeCaller, Report(AcdReport::Finished), Ended(QEnd::Answered)]);
        assert!(q.is_over());
    }

    #[test]
    fn a_stopped_ringing_that_answers_late_is_hung_up() {
        let mut q = Queued::new();
        q.handle(QInput::Ring(7));
        assert_eq!(q.handle(QInput::StopRinging(7)), [CancelDial(7)]);
        assert_eq!(q.handle(QInput::Answered(7)), [ByeLeg(7)]);
        q.handle(QInput::Ring(8));
        assert_eq!(q.handle(QInput::Answered(7)), [ByeLeg(7)], "not taken for 8");
        assert_eq!(q.handle(QInput::StopRinging(7)), [], "a stop for someone else");
        assert_eq!(q.handle(QInput::Ring(9)), [CancelDial(8), Dial(9), Report(AcdReport::Ringing(9))]);
    }

    #[test]
    fn the_caller_leaving_abandons_and_stops_the_ringing() {
        let mut q = Queued::new();
        assert_eq!(q.handle(QInput::CallerHangup), [Report(AcdReport::Abandoned), Ended(QEnd::Abandoned)]);
        let mut q = Queued::new();
        q.handle(QInput::Ring(3));
        assert_eq!(
            q.handle(QInput::CallerHangup),
            [CancelDial(3), Report(AcdReport::Abandoned), Ended(QEnd::Abandoned)]
        );
        assert_eq!(q.handle(QInput::Answered(3)), [ByeLeg(3)], "too late: hung up");
        let mut q = Queued::new();
        q.handle(QInput::Ring(3));
        q.handle(QInput::Answered(3));
        assert_eq!(q.handle(QInput::CallerHangup), [ByeAgent, Report(AcdReport::Finished), Ended(QEnd::Answered)]);
    }

    #[test]
    fn overflow_plays_its_message_then_hangs_up() {
        let mut q = Queued::new();
        q.handle(QInput::Ring(3));
        assert_eq!(
            q.handle(QInput::Overflow(Some("closed".into()))),
            [CancelDial(3), Report(AcdReport::Overflowed), Play(vec!["closed".into()])]
        );
        assert_eq!(q.handle(QInput::Ring(4)), [], "closing: no more ringing");
        assert_eq!(q.handle(QInput::PromptsDone), [ByeCaller, Ended(QEnd::Overflowed)]);
        let mut q = Queued::new();
        assert_eq!(
            q.handle(QInput::Overflow(None)),
            [Report(AcdReport::Overflowed), ByeCaller, Ended(QEnd::Overflowed)]
        );
        let mut q = Queued::new();
        let words = vec!["position".to_owned(), "n1".to_owned()];
        assert_eq!(
            q.handle(QInput::Announce(words.clone())),
            [Play(words.clone()), Report(AcdReport::Announced(words))]
        );
        assert_eq!(q.handle(QInput::PromptsDone), []);
    }

    #[test]
    fn a_waiting_callers_key_goes_to_the_acd_and_a_callback_lets_it_go() {
        let mut q = Queued::new();
        assert_eq!(q.handle(QInput::Digit('1')), [Report(AcdReport::Digit('1'))]);
        q.handle(QInput::Ring(3));
        assert_eq!(q.handle(QInput::Digit('5')), [Report(AcdReport::Digit('5'))], "also while a phone rings");
        assert_eq!(
            q.handle(QInput::Callback),
            [CancelDial(3), Play(vec!["callback-confirmed".into()]), Report(AcdReport::CallbackPromised)]
        );
        assert!(AcdReport::CallbackPromised.is_last());
        assert_eq!(q.handle(QInput::Answered(3)), [ByeLeg(3)], "a late answer is hung up");
        assert_eq!(q.handle(QInput::PromptsDone), [ByeCaller, Ended(QEnd::Callback)]);
        // Hanging up during the confirmation is no abandon: the callback stands.
        let mut q = Queued::new();
        q.handle(QInput::Callback);
        assert_eq!(q.handle(QInput::CallerHangup), [Ended(QEnd::Callback)]);
        // A key pressed while talking is the conversation's, not the queue's.
        let mut q = Queued::new();
        q.handle(QInput::Ring(3));
        q.handle(QInput::Answered(3));
        assert_eq!(q.handle(QInput::Digit('1')), []);
        assert_eq!(q.handle(QInput::Callback), []);
    }

    #[test]
    fn a_blind_transfer_lets_the_agent_go_and_rings_the_next() {
        let mut q = Queued::new();
        q.handle(QInput::Ring(3));
        q.handle(QInput::Answered(3));
        assert_eq!(q.handle(QInput::Transfer), [Unbridge, ByeAgent]);
        assert_eq!(q.handle(QInput::AgentHangup), [], "the agent is gone already");
        assert_eq!(q.handle(QInput::Ring(9)), [Dial(9), Report(AcdReport::Ringing(9))]);
        assert_eq!(q.handle(QInput::Answered(9)), [Bridge(9), Report(AcdReport::Accepted(9))]);
        assert_eq!(q.handle(QInput::CallerHangup), [ByeAgent, Report(AcdReport::Finished), Ended(QEnd::Answered)]);
        let mut q = Queued::new();
        assert_eq!(q.handle(QInput::Transfer), [], "nothing to transfer while waiting");
    }

    #[test]
    fn a_lost_agent_leaves_the_caller_holding_then_the_queue_takes_it_back() {
        let mut q = Queued::new();
        q.handle(QInput::Ring(7));
        q.handle(QInput::Answered(7));
        assert_eq!(q.handle(QInput::AgentLost), [Unbridge, ByeAgent, Report(AcdReport::AgentLost(7)), Grace]);
        assert_eq!(q.bridged_to(), None);
        assert_eq!(q.handle(QInput::AgentHangup), [], "the lost agent is gone already");
        assert_eq!(q.handle(QInput::Ring(9)), [], "nobody rings before the grace time is over");
        assert_eq!(q.handle(QInput::GraceOver), [Report(AcdReport::Requeue(7))]);
        assert_eq!(q.handle(QInput::GraceOver), [], "once");
        assert_eq!(q.handle(QInput::Ring(9)), [Dial(9), Report(AcdReport::Ringing(9))]);
        assert_eq!(q.handle(QInput::Answered(9)), [Bridge(9), Report(AcdReport::Accepted(9))]);
        // Lost, and the caller leaves during the grace time.
        let mut q = Queued::new();
        q.handle(QInput::Ring(7));
        q.handle(QInput::Answered(7));
        q.handle(QInput::AgentLost);
        assert_eq!(q.handle(QInput::CallerHangup), [Report(AcdReport::Finished), Ended(QEnd::Answered)]);
        assert!(q.is_over());
        assert_eq!(q.handle(QInput::GraceOver), []);
        // Waiting, nobody can be lost.
        let mut q = Queued::new();
        assert_eq!(q.handle(QInput::AgentLost), []);
        // Back within the grace time: rung again, and bridged again when
        // she answers; or the grace time runs out while it rings.
        let mut q = Queued::new();
        q.handle(QInput::Ring(7));
        q.handle(QInput::Answered(7));
        q.handle(QInput::AgentLost);
        assert_eq!(q.handle(QInput::AgentBack(8)), [], "only the lost agent");
        assert_eq!(q.handle(QInput::AgentBack(7)), [Dial(7)]);
        assert_eq!(q.handle(QInput::AgentBack(7)), [], "rung once");
        assert_eq!(q.handle(QInput::Answered(7)), [Bridge(7), Report(AcdReport::AgentBack(7))]);
        assert_eq!(q.bridged_to(), Some(7));
        assert_eq!(q.handle(QInput::GraceOver), [], "a stale grace time");
        q.handle(QInput::AgentLost);
        q.handle(QInput::AgentBack(7));
        assert_eq!(q.handle(QInput::GraceOver), [CancelDial(7), Report(AcdReport::Requeue(7))]);
        assert_eq!(q.handle(QInput::Answered(7)), [ByeLeg(7)], "too late");
        let mut q = Queued::new();
        q.handle(QInput::Ring(7));
        q.handle(QInput::Answered(7));
        q.handle(QInput::AgentLost);
        q.handle(QInput::AgentBack(7));
        assert_eq!(q.handle(QInput::Missed(7)), [Report(AcdReport::Requeue(7))]);
        let mut q = Queued::new();
        q.handle(QInput::Ring(7));
        q.handle(QInput::Answered(7));
        q.handle(QInput::AgentLost);
        q.handle(QInput::AgentBack(7));
        assert_eq!(q.handle(QInput::CallerHangup), [CancelDial(7), Report(AcdReport::Finished), Ended(QEnd::Answered)]);
    }
}
