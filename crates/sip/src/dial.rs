//! Calls we place: click-to-call rings the staff member's registered phone
//! first, then dials the number (a SIP URI directly, or a number through the
//! configured trunk), then bridges the two through our media relay and
//! records them (the called party left, the staff member right).

use crate::media::{Media, MediaCmd, MediaStats};
use crate::server::{lock, Core};
use crate::session::{answer_reoffer, Session};
use crate::webphone::{Gone, WebLeg, WebPhone, WebSession};
use crate::webrtc::WebRtcError;
use centrala_media::latch::Latch;
use centrala_media::srtp::{Keys, Srtp};
use rsipstack::dialog::dialog::{DialogState, DialogStateReceiver};
use rsipstack::dialog::invitation::InviteOption;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::sip::{StatusCodeKind, Transport, Uri};
use rsipstack::transport::SipAddr;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, info_span, warn, Instrument};

/// Places outbound calls. Cheap to clone.
#[derive(Clone)]
pub struct Dialer {
    pub(crate) core: Arc<Core>,
}

#[derive(Debug, Clone)]
pub struct ClickToCall {
    /// The staff member's SIP username: their phone rings first.
    pub agent: String,
    /// A number (through the trunk) or a `sip:` URI (direct).
    pub target: String,
    /// Shown on the staff member's phone while it rings.
    pub display: String,
    /// The number the called party sees (the company's, CC-14); `None`:
    /// the staff member's username.
    pub caller_id: Option<String>,
    pub ring_timeout: Duration,
    pub recording: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialError {
    #[error("the phone of {0} is not registered")]
    NotRegistered(String),
    #[error("cannot reach {0:?}: {1}")]
    NoRoute(String, String),
}

/// How far the call got, reported as it happens.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// The staff member picked up; the number is being dialled.
    AgentAnswered,
    /// The called party answered; the two are bridged.
    Answered,
    Ended(OutboundEnd, MediaStats),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboundEnd {
    /// Talked, then one side hung up.
    Completed,
    /// The staff member's phone did not answer in time, or refused.
    AgentMissed,
    /// The called party did not answer, or refused (with the status).
    TargetMissed(Option<u16>),
    Failed(String),
}

/// Where a staff member's phone rings: a SIP phone (an INVITE), or the
/// desk's softphone in their browser.
#[derive(Clone)]
pub(crate) enum Phone {
    Sip(Route),
    Web(Arc<WebPhone>),
}

/// Where an INVITE goes.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    pub(crate) uri: Uri,
    pub(crate) to: SocketAddr,
    /// Over TLS: the phone registered so (`;transport=tls` in its Contact);
    /// the INVITE goes down the connection it keeps open.
    pub(crate) tls: bool,
    /// Its media must be encrypted: we offer SRTP only.
    pub(crate) srtp: bool,
}

/// Where a staff member's phone is: the desk's softphone while their desk
/// has it on, else their SIP phone's newest registered contact.
pub(crate) fn phone_of(core: &Core, user: &str) -> Option<Phone> {
    if let Some(web) = core.web.of(user) {
        return Some(Phone::Web(web));
    }
    sip_phone_of(core, user).map(Phone::Sip)
}

fn sip_phone_of(core: &Core, user: &str) -> Option<Route> {
    let registrar = lock(&core.registrar);
    let contact = registrar.contacts(core.now(), user).pop()?;
    let uri = Uri::try_from(contact.contact.as_str()).ok()?;
    let tls = uri.params.iter().any(|p| matches!(p, rsipstack::sip::Param::Transport(Transport::Tls)));
    Some(Route { uri, to: contact.source, tls, srtp: registrar.requires_srtp(user) })
}

fn route_to_uri(text: &str) -> Result<Route, String> {
    let uri = Uri::try_from(text).map_err(|e| e.to_string())?;
    let to: SocketAddr = uri
        .host_with_port
        .clone()
        .try_into()
        .map_err(|_| "the host must be an IP address and port (no DNS lookups here)".to_owned())?;
    Ok(Route { uri, to, tls: false, srtp: false })
}

impl Dialer {
    /// The Contact URIs of `user`'s phone registered now (empty: none);
    /// the desk's softphone, while connected, is `webrtc:<user>`, first.
    pub fn registered(&self, user: &str) -> Vec<String> {
        let web = self.core.web.of(user).map(|_| format!("webrtc:{user}"));
        let sip = lock(&self.core.registrar).contacts(self.core.now(), user).into_iter().map(|b| b.contact);
        web.into_iter().chain(sip).collect()
    }

    /// Connects a desk's softphone: answers the browser's WebRTC offer and
    /// makes it `user`'s phone until the session is dropped.
    pub fn web_phone(&self, user: &str, offer: &str) -> Result<WebSession, WebRtcError> {
        WebSession::connect(&self.core, user, offer)
    }

    /// Starts a click-to-call; progress comes on the returned channel.
    /// Refused at once when the phone is not registered or the number
    /// cannot be routed.
    pub fn click_to_call(&self, req: ClickToCall) -> Result<mpsc::UnboundedReceiver<Progress>, DialError> {
        let core = &self.core;
        let agent = phone_of(core, &req.agent).ok_or_else(|| DialError::NotRegistered(req.agent.clone()))?;
        let target = if req.target.starts_with("sip:") {
            route_to_uri(&req.target).map_err(|e| DialError::NoRoute(req.target.clone(), e))?
        } else {
            let digits: String = req.target.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
            let trunk = core.cfg.trunk.ok_or_else(|| {
                DialError::NoRoute(req.target.clone(), "no trunk is configured (sip.trunk) for numbers".into())
            })?;
            if digits.is_empty() {
                return Err(DialError::NoRoute(req.target.clone(), "not a number".into()));
            }
            let route = route_to_uri(&format!("sip:{digits}@{trunk}"))
                .map_err(|e| DialError::NoRoute(req.target.clone(), e))?;
            Route { srtp: core.cfg.trunk_srtp_required, ..route }
        };
        let target = Phone::Sip(target);
        let (tx, rx) = mpsc::unbounded_channel();
        let core = core.clone();
        let span = info_span!(parent: None, "click_to_call", agent = %req.agent, target = %req.target);
        tokio::spawn(
            async move {
                let (end, stats) = run(&core, &req, agent, target, &tx).await;
                info!(?end, rtp_in = stats.packets_in, rtp_out = stats.packets_out, "click-to-call ended");
                let _ = tx.send(Progress::Ended(end, stats));
            }
            .instrument(span),
        );
        Ok(rx)
    }
}

/// One answered outbound leg.
pub(crate) struct Leg {
    pub(crate) media: Media,
    signal: Signal,
}

/// How an answered leg is signalled. (One per leg: the sizes of its
/// variants do not matter.)
#[allow(clippy::large_enum_variant)]
enum Signal {
    Sip {
        dialog: InviteDialog,
        id: String,
        states: DialogStateReceiver,
        /// What was negotiated, to answer the phone's later offers (hold).
        session: Session,
        sequencer: JoinHandle<()>,
    },
    /// A browser's softphone: the desk hangs up.
    Web(WebLeg),
}

#[derive(Debug)]
pub(crate) enum Missed {
    NoAnswer,
    Refused(u16),
    Failed(String),
}

// `hang_up` and `end` are boxed: a call awaits them in many places, and
// each place would otherwise make every call's task (held the whole call)
// as large as a BYE's round trip.
impl Leg {
    pub(crate) fn hang_up(self, core: &Core) -> Pin<Box<impl Future<Output = MediaStats> + Send + '_>> {
        Box::pin(async move {
            if let Signal::Sip { dialog, .. } = &self.signal {
                if let Err(e) = dialog.bye().await {
                    debug!(error = %e, "BYE");
                }
            }
            self.end(core).await
        })
    }

    pub(crate) fn end(self, core: &Core) -> Pin<Box<impl Future<Output = MediaStats> + Send + '_>> {
        Box::pin(async move {
            match self.signal {
                Signal::Sip { dialog, id, sequencer, .. } => core.forget(&id, &dialog, sequencer),
                Signal::Web(web) => web.release(),
            }
            self.media.stop().await
        })
    }

    /// The SIP dialog of a phone's leg (`None`: a browser's).
    pub(crate) fn dialog(&self) -> Option<&InviteDialog> {
        match &self.signal {
            Signal::Sip { dialog, .. } => Some(dialog),
            Signal::Web(_) => None,
        }
    }
}

/// Sends an INVITE offering G.711 (over SRTP only, when the route requires
/// it) and waits for the answer, at most `ring` and until `stop` (then the
/// INVITE is cancelled).
pub(crate) async fn dial(
    core: &Arc<Core>,
    phone: &Phone,
    caller: &str,
    ring: Duration,
    recording: Option<PathBuf>,
    stop: &CancellationToken,
) -> Result<Leg, Missed> {
    match phone {
        Phone::Sip(route) => invite(core, route, caller, ring, recording, stop).await,
        // A browser's leg is never recorded itself: its calls' other legs
        // record both sides.
        Phone::Web(web) => {
            let (media, leg) = crate::webphone::ring(web.clone(), caller, ring, stop).await?;
            Ok(Leg { media, signal: Signal::Web(leg) })
        }
    }
}

async fn invite(
    core: &Arc<Core>,
    route: &Route,
    caller: &str,
    ring: Duration,
    recording: Option<PathBuf>,
    stop: &CancellationToken,
) -> Result<Leg, Missed> {
    let socket = core.ports.bind(core.local.ip()).map_err(|e| Missed::Failed(format!("no RTP port: {e}")))?;
    let port = socket.local_addr().map_err(|e| Missed::Failed(e.to_string()))?.port();
    let ours = route.srtp.then(|| Keys(rand::random()));
    let origin = centrala_media::sdp_neg::Origin { id: rand::random::<u32>().into(), version: 1 };
    let offer = centrala_media::sdp_neg::offer(origin, &core.local.ip().to_string(), port, ours.as_ref());
    let user: String = caller.chars().filter(|c| c.is_ascii_alphanumeric() || "+.-_".contains(*c)).collect();
    let me = |u: &str| Uri::try_from(format!("sip:{u}@{}", core.local).as_str());
    // A TLS phone answers and hangs up down TLS too: our Contact says so.
    let contact = match (&core.cfg.tls, route.tls) {
        (Some(tls), true) => Uri::try_from(format!("sip:centrala@{};transport=tls", tls.addr).as_str()),
        _ => me("centrala"),
    };
    let (Ok(from), Ok(contact)) = (me(if user.is_empty() { "centrala" } else { &user }), contact) else {
        return Err(Missed::Failed("cannot form our own URI".into()));
    };
    let (state_tx, states) = core.dialogs.new_dialog_state_channel();
    let opt = InviteOption {
        caller: from,
        callee: route.uri.clone(),
        contact,
        destination: Some(SipAddr {
            r#type: Some(if route.tls { Transport::Tls } else { Transport::Udp }),
            addr: route.to.into(),
        }),
        content_type: Some("application/sdp".into()),
        offer: Some(offer.into_bytes()),
        ..Default::default()
    };
    let (dialog, pending) = core.dialogs.do_invite_async(opt, state_tx).map_err(|e| Missed::Failed(e.to_string()))?;
    let answer = tokio::select! {
        r = pending => r,
        () = tokio::time::sleep(ring) => {
            if let Err(e) = dialog.cancel().await {
                debug!(error = %e, "CANCEL");
            }
            return Err(Missed::NoAnswer);
        }
        () = stop.cancelled() => {
            if let Err(e) = dialog.cancel().await {
                debug!(error = %e, "CANCEL");
            }
            return Err(Missed::NoAnswer);
        }
    };
    let (id, resp) = match answer {
        Ok(Ok((id, Some(resp)))) => (id, resp),
        Ok(Ok((_, None))) => return Err(Missed::NoAnswer),
        Ok(Err(e)) => return Err(Missed::Failed(e.to_string())),
        Err(e) => return Err(Missed::Failed(e.to_string())),
    };
    if resp.status_code.kind() != StatusCodeKind::Successful {
        return Err(Missed::Refused(resp.status_code.code()));
    }
    let id = id.to_string();
    let sequencer = core.sequence(&id, dialog.clone());
    let body = String::from_utf8_lossy(resp.body()).into_owned();
    let read = centrala_media::sdp_neg::read_answer(&body, route.srtp)
        .and_then(|(where_to, chosen)| Ok((Srtp::between(chosen.srtp, ours.as_ref())?, where_to, chosen)));
    match read {
        Ok((srtp, where_to, chosen)) => {
            let remote = where_to.remote().unwrap_or_else(|| SocketAddr::new(route.to.ip(), where_to.port));
            let media = Media::start(socket, Latch::new(remote, Some(route.to.ip())), chosen, srtp, recording);
            let session = Session::new(core.local.ip().to_string(), port, where_to, chosen, ours);
            Ok(Leg { media, signal: Signal::Sip { dialog, id, states, session, sequencer } })
        }
        Err(e) => {
            warn!(error = %e, "the answer has no usable SDP; hanging up");
            dialog.bye().await.ok();
            core.forget(&id, &dialog, sequencer);
            Err(Missed::Failed(format!("unusable SDP answer: {e}")))
        }
    }
}

/// What an answered leg's phone does that the call must act on.
pub(crate) enum LegEvent {
    /// It hung up (or the dialog ended otherwise).
    Ended,
    /// Its connection was lost (a browser's network went): not hung up.
    Lost,
    /// It asks to put the call through (REFER, RFC 3515); the request
    /// waits for our answer on the handle.
    Refer(Refer, rsipstack::dialog::dialog::TransactionHandle),
}

/// Where a REFER asks the call to go.
pub(crate) struct Refer {
    /// The user part of its Refer-To.
    pub(crate) to: Option<String>,
    /// An attended transfer: the consultation whose other party takes the
    /// caller (RFC 3891).
    pub(crate) replaces: Option<crate::headers::Replaces>,
}

/// Waits for the leg's next event that matters; the phone's later offers
/// (hold, resume) are answered on the way.
pub(crate) async fn next_event(leg: &mut Leg) -> LegEvent {
    let (states, session) = match &mut leg.signal {
        Signal::Sip { states, session, .. } => (states, session),
        Signal::Web(web) => {
            return match web.ended().await {
                Gone::HungUp => LegEvent::Ended,
                Gone::Lost => LegEvent::Lost,
            };
        }
    };
    // (`let … else`, not `while let`: the latter keeps the state's place in
    // the future while an offer is answered.)
    loop {
        let Some(s) = states.recv().await else { break };
        match s {
            DialogState::Terminated(_, why) => {
                debug!(?why, "leg ended");
                return LegEvent::Ended;
            }
            DialogState::Refer(_, req, handle) => {
                use rsipstack::sip::prelude::HeadersExt;
                let raw = req.header_value("Refer-To");
                let replaces = raw.as_deref().and_then(crate::headers::replaces_of);
                return LegEvent::Refer(Refer { to: crate::headers::user_of(raw), replaces }, handle);
            }
            // Boxed, state and all: rare, and the wait for a leg's events
            // is held the whole call.
            s @ DialogState::Updated(..) => Box::pin(reoffered(session, &leg.media, s)).await,
            _ => {}
        }
    }
    LegEvent::Ended
}

/// Answers a phone's later offer (hold, resume).
async fn reoffered(session: &mut Session, media: &Media, s: DialogState) {
    if let DialogState::Updated(_, req, handle) = s {
        answer_reoffer(session, media, &req, handle).await;
    }
}

/// Waits until the leg's dialog ends, answering the phone's later offers.
pub(crate) async fn ended(leg: &mut Leg) {
    loop {
        match next_event(leg).await {
            LegEvent::Ended | LegEvent::Lost => return,
            LegEvent::Refer(_, handle) => {
                // Only the talking agent of a queued call may transfer.
                handle.reply(rsipstack::sip::StatusCode::Forbidden).await.ok();
            }
        }
    }
}

async fn run(
    core: &Arc<Core>,
    req: &ClickToCall,
    agent: Phone,
    target: Phone,
    progress: &mpsc::UnboundedSender<Progress>,
) -> (OutboundEnd, MediaStats) {
    // 1. The staff member's phone.
    let never = CancellationToken::new();
    let mut a = match dial(core, &agent, &req.display, req.ring_timeout, None, &never).await {
        Ok(leg) => leg,
        Err(Missed::Failed(e)) => return (OutboundEnd::Failed(e), MediaStats::default()),
        Err(_) => return (OutboundEnd::AgentMissed, MediaStats::default()),
    };
    let _ = progress.send(Progress::AgentAnswered);
    a.media.send(MediaCmd::Hold(Some(core.hold.clone())));
    // 2. The number, while the staff member hears music; they may give up.
    let dialled = tokio::select! {
        r = dial(core, &target, req.caller_id.as_deref().unwrap_or(&req.agent), req.ring_timeout, req.recording.clone(), &never) => r,
        () = ended(&mut a) => {
            a.end(core).await;
            return (OutboundEnd::AgentMissed, MediaStats::default());
        }
    };
    let mut b = match dialled {
        Ok(leg) => leg,
        Err(m) => {
            a.hang_up(core).await;
            let end = match m {
                Missed::NoAnswer => OutboundEnd::TargetMissed(None),
                Missed::Refused(code) => OutboundEnd::TargetMissed(Some(code)),
                Missed::Failed(e) => OutboundEnd::Failed(e),
            };
            return (end, MediaStats::default());
        }
    };
    // 3. Bridged until either side hangs up; the other is hung up then.
    let _ = progress.send(Progress::Answered);
    a.media.send(MediaCmd::Bridge(Some(b.media.feed.clone())));
    b.media.send(MediaCmd::Bridge(Some(a.media.feed.clone())));
    let a_left = tokio::select! {
        () = ended(&mut a) => true,
        () = ended(&mut b) => false,
    };
    let stats = if a_left {
        a.end(core).await;
        b.hang_up(core).await
    } else {
        a.hang_up(core).await;
        b.end(core).await
    };
    (OutboundEnd::Completed, stats)
}
