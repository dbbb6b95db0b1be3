//! Centrala's telephony driver (CC-1, CC-2, CC-3): SIP over UDP with
//! `rsipstack` (transactions and dialogs are its; pinned to 0.7.14), the
//! registrar for staff phones, RTP media sessions, and one task per call
//! that runs the pure call state machine of `centrala-call`.
//!
//! The driver knows nothing of companies, clients or the database: what a
//! call means is asked of a [`Brain`] (the API crate implements it over the
//! store, the order desk's routing and the ACD).
//!
//! Order within a call: the INVITE transaction is driven by its own task
//! (rsipstack routes the ACK to it); every later request of the dialog
//! (BYE, INFO, re-INVITE) goes through one channel per call and is handled
//! in arrival order; the dialog's state changes come on a second channel per
//! call, read by the call's task.

mod batch;
pub mod dial;
pub mod headers;
mod internal;
pub mod limits;
pub mod media;
pub mod registrar;
mod server;
mod session;
pub mod webphone;
pub mod webrtc;

/// The unbounded channels a call keeps open while it lasts (the ACD's
/// orders, its reports, a leg's events): the SIP stack's boxed channel,
/// which costs 152 bytes as it opens where a tokio channel costs 0.8–1.8 kB
/// (its cache-padded head and a first block of 32 slots; issue 17's heap
/// profiles). `recv` may be given up in a `select!` without losing a message.
pub mod chan {
    pub use rsipstack::platform::boxed::{
        boxed_channel as unbounded, BoxedReceiver as Receiver, BoxedSender as Sender,
    };
}

pub use server::Telephony;

use centrala_call::ivr::{IvrConfig, Outcome};
use centrala_domain::{CompanyId, InteractionId};
use chrono::NaiveDateTime;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SipError {
    #[error("SIP stack: {0}")]
    Stack(String),
    #[error("cannot listen for SIP on {0}: {1}")]
    Bind(SocketAddr, String),
    #[error("bad configuration: {0}")]
    Config(String),
}

impl From<rsipstack::Error> for SipError {
    fn from(e: rsipstack::Error) -> Self {
        SipError::Stack(e.to_string())
    }
}

#[derive(Debug, Clone)]
pub struct SipConfig {
    /// Where SIP listens (UDP).
    pub addr: SocketAddr,
    /// The RTP port range, inclusive.
    pub rtp_ports: (u16, u16),
    /// The digest realm of the registrar. Accounts' stored HA1 depends on
    /// it: changing it means setting every SIP password again.
    pub realm: String,
    /// A folder with a company's own prompts (`<lang>/<name>.wav`), tried
    /// before the compiled-in demo prompts.
    pub prompts: Option<PathBuf>,
    /// Peers whose `P-Asserted-Identity` is believed (besides the trunk's
    /// address); from anyone else the caller is From, unverified.
    pub trusted_peers: Vec<std::net::IpAddr>,
    /// Where calls to numbers go (a SIP trunk or gateway, `IP:port`);
    /// without one, only `sip:` URIs can be dialled.
    pub trunk: Option<SocketAddr>,
    /// The trunk's media must be encrypted (SRTP keyed in the SDP): calls
    /// to numbers offer only RTP/SAVP, and a plain offer from the trunk's
    /// address is refused (488).
    pub trunk_srtp_required: bool,
    /// New calls one source may start (503 beyond); trusted peers and the
    /// trunk are not limited.
    pub invite_limit: limits::InviteLimit,
    /// The server's own limits: calls at once, and how late the media
    /// clocks may run, before new calls get 503.
    pub admission: limits::Admission,
    /// SIP over TLS: where it listens, and the certificate chain and key
    /// (PEM); `None`: UDP and TCP only.
    pub tls: Option<SipTls>,
    /// How long a caller holds with music when the agent's phone is lost
    /// mid-call (a browser's network went) before going back to its queue,
    /// at its old place.
    pub lost_agent_grace: std::time::Duration,
}

#[derive(Debug, Clone)]
pub struct SipTls {
    pub addr: SocketAddr,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// An inbound call as the network shows it.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// The user part of the Request-URI (the number dialled).
    pub called: String,
    /// The caller's number: P-Asserted-Identity from a trusted peer, else
    /// From.
    pub caller: String,
    /// Whether the call came from a trusted peer (a trunk), which vouches
    /// for the caller's number; anyone else could have written any From.
    pub verified: bool,
    pub call_id: String,
}

/// What the brain decided for an inbound call it takes.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub company: CompanyId,
    /// The interaction already registered for this call.
    pub interaction: InteractionId,
    pub ivr: IvrConfig,
    /// The prompts' language (`en`, `bs`).
    pub lang: String,
    /// The company's local time now (for business hours).
    pub local_time: NaiveDateTime,
    /// Where to record the call; `None` for no recording.
    pub recording: Option<PathBuf>,
    /// Shown on the agents' phones when they ring (the client's name).
    pub caller_name: String,
    /// The caller's number, E.164 when it could be read so.
    pub caller: String,
    /// The caller skips the menu (a known key client, when the company
    /// says so): while open, it is routed at once as an order call.
    pub skip_menu: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No company takes calls on this number: 404.
    NotHere,
    /// Something is broken on our side: 503 (the caller may retry).
    Unavailable,
    /// The company has as many calls as it may: 486 (busy, like a full
    /// group of lines).
    Busy,
}

/// The ACD's orders for a waiting call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    /// Ring this staff member's phone (registered as SIP user `user`).
    Ring { staff: i64, user: String },
    /// Stop ringing them.
    StopRinging { staff: i64 },
    /// Play these prompts over the music on hold.
    Announce(Vec<String>),
    /// Give up: play this prompt (if any), then hang up.
    Overflow(Option<String>),
    /// Blind transfer: the agent leaves, the caller waits for the next.
    Transfer,
    /// The caller will be called back (it keeps its place): confirm it to
    /// the caller and hang up.
    Callback,
    /// Ring this staff member's phone (SIP user `user`) and let them hear
    /// both sides of the conversation: unheard themselves (silent
    /// monitoring), heard by the agent only (whisper) or by both (barge-in).
    /// Sent again by the one already listening, it changes only the mode.
    Listen { staff: i64, user: String, mode: centrala_call::queued::Coach },
    /// The agent puts the caller on hold (`true`: the caller hears the
    /// music on hold, the agent hears nothing) or takes them back.
    Hold(bool),
    /// The agent's microphone: `true` stops the agent's audio to the caller
    /// (the agent still hears the caller).
    Mute(bool),
    /// The agent ends the call from the desk.
    HangUp,
    /// The agent's keypad: these keys go to the caller as telephone-events.
    Keys(Vec<char>),
    /// A warm transfer's first half (OD-11, CC-13): the caller holds with
    /// music while this colleague's phone (SIP user `user`) rings; once it
    /// answers, the agent and the colleague talk. Completing it is a
    /// transfer to that colleague (their answered leg is taken as is).
    Consult { staff: i64, user: String },
    /// The caller joins the consultation: all three hear each other.
    Conference,
    /// The agent pauses (`true`) or resumes the call's recording, for a
    /// sensitive moment (when the company allows it; the API checks).
    RecordPause(bool),
    /// The colleague leaves (or stops ringing); the caller and the agent
    /// talk on.
    EndConsult,
}

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallEnd {
    /// Someone took the call; it ended after the conversation.
    Answered,
    /// The caller hung up before anyone took the call.
    Abandoned,
    /// Outside business hours.
    Closed,
    /// It could not be set up (no common codec, no RTP port, …).
    Failed,
    /// Nobody could take it: the queue sent it to a message.
    Overflowed,
    /// The caller was let go with the promise of a callback.
    Callback,
}

/// A phone's registration as it is kept across restarts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedBinding {
    pub user: String,
    pub contact: String,
    /// Where the REGISTER came from (where calls to the phone go).
    pub source: SocketAddr,
    /// When it expires, in Unix seconds.
    pub expires_unix: i64,
    /// The account requires SRTP (as it was when read; not saved with the
    /// binding).
    pub srtp_required: bool,
}

/// A staff phone's SIP account, as the registrar needs it.
#[derive(Debug, Clone)]
pub struct Account {
    /// MD5(username:realm:password).
    pub ha1: String,
    /// Calls to the phone offer only SRTP.
    pub srtp_required: bool,
}

/// What the telephony asks of the rest of the product. Implemented over
/// the store and the routing; a test may implement it directly.
pub trait Brain: Send + Sync + 'static {
    /// An inbound INVITE: take it (registering the interaction) or refuse.
    fn arrive(&self, call: Incoming) -> impl Future<Output = Result<Arrival, Refusal>> + Send;
    /// The menu is done: record the path and route the call. A channel
    /// back means the call waits (music on hold) for the ACD's orders;
    /// `None` leaves the caller on hold until they hang up.
    fn routed(
        &self,
        call: &Arrival,
        path: &str,
        digits: &str,
        outcome: &Outcome,
    ) -> impl Future<Output = Option<chan::Receiver<Control>>> + Send;
    /// How the ringing and the conversation go, for the ACD.
    fn report(&self, call: &Arrival, report: centrala_call::queued::AcdReport);
    /// The call is over.
    fn ended(&self, call: &Arrival, end: CallEnd, media: media::MediaStats) -> impl Future<Output = ()> + Send;
    /// The agent talking with the caller (staff id) asks, from their phone
    /// (REFER), to put the call through to `to` (the Refer-To's user: a
    /// SIP username, a staff username, `manager`, `finance`, `head`): true
    /// when the transfer is under way (the ACD then sends `Transfer`).
    fn transfer(&self, call: &Arrival, by: i64, to: &str) -> impl Future<Output = bool> + Send;
    /// A phone registered as SIP user `from` dials `to`: the colleague's
    /// staff id when `to` is the SIP username of a staff member of the same
    /// company (an internal call), else `None` (a call from outside).
    fn colleague(&self, from: &str, to: &str) -> impl Future<Output = Option<i64>> + Send;
    /// The account of a SIP username, if any.
    fn account(&self, username: &str) -> impl Future<Output = Option<Account>> + Send;
    /// A feature code dialled from a registered phone (`*1` ready, `*2` not
    /// ready, `*3` offline): true when it was understood and done.
    fn feature(&self, user: &str, code: &str) -> impl Future<Output = bool> + Send;
    /// A phone's registrations changed (a REGISTER): keep `live`, the
    /// user's whole list now, so that a restart finds them.
    fn save_bindings(&self, user: &str, live: Vec<SavedBinding>) -> impl Future<Output = ()> + Send;
    /// The registrations kept, read once at start.
    fn saved_bindings(&self) -> impl Future<Output = Vec<SavedBinding>> + Send;
}
