//! The desk's softphone: while an operator's desk is open with its phone
//! on, the browser is that staff member's phone. Its WebRTC session is
//! set up once, when the desk connects (as Amazon Connect's "persistent
//! connection" does), and its leg stays up between calls: a call that
//! rings it is offered on the desk (`PhoneEvent::Ring`), answered with a
//! click, and bridged to the caller at once, with no new handshake.
//!
//! A staff member has one such phone at a time: a second desk that
//! connects replaces the first (which hears `Replaced`). It rings before
//! their SIP phone, and counts as registered while connected, so presence,
//! "ready" and transfers see it like any phone.

use crate::chan;
use crate::dial::Missed;
use crate::media::{Commands, Feed, Media, MediaEvent, PortPool};
use crate::server::{lock, Core};
use crate::webrtc::{WebRtcError, WebWire};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tracing::info;

/// What the desk hears from its phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneEvent {
    /// A call rings: `call` to answer or decline, `from` to show.
    Ring { call: u64, from: String },
    /// It stopped ringing (answered elsewhere, given up, or declined).
    Stopped { call: u64 },
    /// Answered: the two are talking.
    Talking { call: u64 },
    /// The call is over.
    Ended { call: u64 },
    /// Another desk of the same staff member took the phone over.
    Replaced,
    /// The browser's media connection is lost.
    Lost,
}

/// The phones of the desks that are connected, by SIP username.
#[derive(Default)]
pub(crate) struct WebPhones(Mutex<HashMap<String, Arc<WebPhone>>>);

impl WebPhones {
    pub(crate) fn of(&self, user: &str) -> Option<Arc<WebPhone>> {
        lock(&self.0).get(user).cloned()
    }
}

/// One browser's phone, as the calls see it.
pub(crate) struct WebPhone {
    user: String,
    /// Which connection of the user's this is (a newer one replaces it).
    id: u64,
    /// Its leg's handles (the leg runs as long as the connection).
    cmd: Commands,
    feed: Feed,
    side: Feed,
    local: std::net::SocketAddr,
    to_desk: mpsc::UnboundedSender<PhoneEvent>,
    calls: Mutex<Calls>,
}

#[derive(Default)]
struct Calls {
    /// Calls ringing, each waiting for the desk's word (`true`: answered).
    ringing: HashMap<u64, oneshot::Sender<bool>>,
    /// The call talking, and what tells it the desk is done with it.
    talking: Option<(u64, mpsc::UnboundedSender<Gone>)>,
}

static CONNECTIONS: AtomicU64 = AtomicU64::new(1);
static CALLS: AtomicU64 = AtomicU64::new(1);

impl WebPhone {
    fn tell(&self, e: PhoneEvent) {
        let _ = self.to_desk.send(e);
    }

    /// A view of the phone's leg for one call: its sound goes where the
    /// call sends it; stopping the view makes the leg idle, not gone.
    fn view(&self) -> (Media, chan::Sender<MediaEvent>) {
        let (events_tx, events) = chan::unbounded();
        let media = Media::view(self.cmd.clone(), self.feed.clone(), self.side.clone(), events, self.local);
        (media, events_tx)
    }
}

/// How a call left a browser: hung up on the desk, or lost with its
/// connection (the network went, the desk was closed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gone {
    HungUp,
    Lost,
}

/// A call answered on a browser: what the call's leg holds.
pub(crate) struct WebLeg {
    phone: Arc<WebPhone>,
    call: u64,
    hung_up: mpsc::UnboundedReceiver<Gone>,
    /// Keeps the view's event channel open (a web leg reports nothing).
    _events: chan::Sender<MediaEvent>,
}

impl WebLeg {
    /// Waits until the desk hangs up or its connection goes.
    pub(crate) async fn ended(&mut self) -> Gone {
        self.hung_up.recv().await.unwrap_or(Gone::Lost)
    }

    /// The call is over for this phone: the desk hears it.
    pub(crate) fn release(&self) {
        let mut calls = lock(&self.phone.calls);
        if calls.talking.as_ref().is_some_and(|(c, _)| *c == self.call) {
            calls.talking = None;
        }
        drop(calls);
        self.phone.tell(PhoneEvent::Ended { call: self.call });
    }
}

/// Rings the browser for a call, at most `ring` and until `stop`: the
/// call's leg once the desk answered.
pub(crate) async fn ring(
    phone: Arc<WebPhone>,
    from: &str,
    ring: Duration,
    stop: &CancellationToken,
) -> Result<(Media, WebLeg), Missed> {
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    let (tx, rx) = oneshot::channel();
    {
        let mut calls = lock(&phone.calls);
        if calls.talking.is_some() {
            return Err(Missed::Refused(486));
        }
        calls.ringing.insert(call, tx);
    }
    phone.tell(PhoneEvent::Ring { call, from: from.to_owned() });
    let answered = tokio::select! {
        r = rx => r.ok(),
        () = tokio::time::sleep(ring) => None,
        () = stop.cancelled() => None,
    };
    let mut calls = lock(&phone.calls);
    calls.ringing.remove(&call);
    match answered {
        Some(true) if calls.talking.is_none() => {
            let (hang_up, hung_up) = mpsc::unbounded_channel();
            calls.talking = Some((call, hang_up));
            drop(calls);
            phone.tell(PhoneEvent::Talking { call });
            let (media, events) = phone.view();
            Ok((media, WebLeg { phone, call, hung_up, _events: events }))
        }
        other => {
            drop(calls);
            phone.tell(PhoneEvent::Stopped { call });
            Err(if other == Some(false) { Missed::Refused(603) } else { Missed::NoAnswer })
        }
    }
}

/// A desk's connected phone, held by the connection (the API's WebSocket):
/// dropped, the phone is gone.
pub struct WebSession {
    /// The SDP answer for the browser.
    pub answer: String,
    phone: Arc<WebPhone>,
    events: mpsc::UnboundedReceiver<PhoneEvent>,
    media: Option<Media>,
    core: Arc<Core>,
}

impl WebSession {
    /// Answers the browser's offer and registers it as `user`'s phone.
    pub(crate) fn connect(core: &Arc<Core>, user: &str, offer: &str) -> Result<WebSession, WebRtcError> {
        let socket = bind(&core.ports, core.local.ip())?;
        let (wire, answer) = WebWire::accept(socket, offer, Instant::now())?;
        let media = Media::start_web(wire);
        let (to_desk, events) = mpsc::unbounded_channel();
        let phone = Arc::new(WebPhone {
            user: user.to_owned(),
            id: CONNECTIONS.fetch_add(1, Ordering::Relaxed),
            cmd: media.cmd.clone(),
            feed: media.feed.clone(),
            side: media.side.clone(),
            local: media.local,
            to_desk,
            calls: Mutex::default(),
        });
        if let Some(old) = lock(&core.web.0).insert(user.to_owned(), phone.clone()) {
            old.tell(PhoneEvent::Replaced);
        }
        info!(user, port = media.local.port(), "a desk's softphone connected");
        Ok(WebSession { answer, phone, events, media: Some(media), core: core.clone() })
    }

    /// The phone's next event for the desk (`None`: never again).
    pub async fn next(&mut self) -> Option<PhoneEvent> {
        loop {
            let media = self.media.as_mut();
            let heard = tokio::select! {
                e = self.events.recv() => return e,
                e = async {
                    match media {
                        Some(m) => m.events.recv().await,
                        None => std::future::pending().await,
                    }
                } => e,
            };
            // Prompts ending or silence say nothing to the desk; a lost
            // connection does, once, and the call on it hears it too.
            if matches!(heard, Some(MediaEvent::Gone) | None) {
                self.media = None;
                // No longer the user's phone before the call hears it (the
                // call looks for the phone coming back).
                self.leave();
                self.end_call(Gone::Lost);
                return Some(PhoneEvent::Lost);
            }
        }
    }

    /// The desk answers (`true`) or declines a ringing call: whether it
    /// still rang.
    pub fn pick_up(&self, call: u64, answer: bool) -> bool {
        let ringing = lock(&self.phone.calls).ringing.remove(&call);
        ringing.is_some_and(|tx| tx.send(answer).is_ok())
    }

    /// The desk hangs up the call it talks on (if any).
    pub fn hang_up(&self) {
        self.end_call(Gone::HungUp);
    }

    fn end_call(&self, how: Gone) {
        if let Some((_, tx)) = lock(&self.phone.calls).talking.take() {
            let _ = tx.send(how);
        }
    }

    /// The user this phone rings for.
    pub fn user(&self) -> &str {
        &self.phone.user
    }
}

impl WebSession {
    /// This phone is no longer its user's (unless a newer one already is).
    fn leave(&self) {
        let mut phones = lock(&self.core.web.0);
        if phones.get(&self.phone.user).is_some_and(|p| p.id == self.phone.id) {
            phones.remove(&self.phone.user);
        }
    }
}

impl Drop for WebSession {
    fn drop(&mut self) {
        self.leave();
        // What rings stops ringing; the call talking hears the desk is gone.
        lock(&self.phone.calls).ringing.clear();
        self.end_call(Gone::Lost);
        info!(user = %self.phone.user, "a desk's softphone disconnected");
    }
}

/// A port of the RTP range for a browser's session.
fn bind(ports: &PortPool, ip: IpAddr) -> Result<std::net::UdpSocket, WebRtcError> {
    ports.bind(ip).map_err(|e| WebRtcError::Refused(format!("no RTP port: {e}")))
}
