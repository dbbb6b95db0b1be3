//! A leg's SDP session after its first offer and answer: what the far end
//! offers later, in a re-INVITE or an UPDATE (hold, resume), is answered
//! from here (RFC 3264 §8), and the leg's media is told whether to send.
//!
//! A later offer may change the direction; it may not change what the
//! media runs on: the SRTP keys (rekeying is not done) or our codec. Such
//! an offer gets 488 and the session goes on as it was (§8: a refused
//! re-offer leaves the session unchanged).

use crate::media::{Media, MediaCmd};
use centrala_media::sdp_neg::{self, Chosen, Offer, Origin};
use centrala_media::srtp::Keys;
use centrala_media::MediaError;
use rsipstack::dialog::dialog::TransactionHandle;
use rsipstack::sip::{Header, Method, Request, StatusCode};
use tracing::{debug, info, warn};

pub(crate) struct Session {
    origin: Origin,
    /// Our media address and port.
    address: String,
    port: u16,
    /// The far end's latest offer (for our outbound legs: its answer).
    offer: Offer,
    chosen: Chosen,
    /// Our SRTP keys, on an encrypted leg.
    ours: Option<Keys>,
}

impl Session {
    pub(crate) fn new(address: String, port: u16, offer: Offer, chosen: Chosen, ours: Option<Keys>) -> Session {
        let origin = Origin { id: rand::random::<u32>().into(), version: 1 };
        Session { origin, address, port, offer, chosen, ours }
    }

    /// Our answer to the far end's latest offer.
    pub(crate) fn answer(&self) -> String {
        sdp_neg::answer(self.origin, &self.address, self.port, &self.offer, &self.chosen, self.ours.as_ref())
    }

    /// What the media runs on now.
    pub(crate) fn chosen(&self) -> Chosen {
        self.chosen
    }

    /// Whether we send media now.
    pub(crate) fn sends(&self) -> bool {
        self.chosen.direction.sends()
    }

    /// Takes a later offer (`body`): our new answer. An empty body asks us
    /// for an offer: the session as it stands, in a new version.
    pub(crate) fn reoffer(&mut self, body: &[u8]) -> Result<String, MediaError> {
        let text = std::str::from_utf8(body).map_err(|e| MediaError::Sdp(e.to_string()))?;
        if !text.trim().is_empty() {
            let offer = sdp_neg::parse_offer(text)?;
            let mut chosen = sdp_neg::choose(&offer)?;
            if chosen.srtp.map(|c| (c.suite, c.keys)) != self.chosen.srtp.map(|c| (c.suite, c.keys)) {
                return Err(MediaError::Sdp("a later offer may not change the SRTP keys".into()));
            }
            if !offer.payload_types.contains(&self.chosen.law.payload_type()) {
                return Err(MediaError::Sdp("a later offer must keep the codec the call runs on".into()));
            }
            chosen.law = self.chosen.law;
            self.offer = offer;
            self.chosen = chosen;
        }
        self.origin.version += 1;
        Ok(self.answer())
    }
}

/// Answers a re-INVITE or UPDATE on its handle and tells the leg's media
/// whether to send (held: not). An UPDATE without a body (a session
/// refresh) is answered 200 with none.
pub(crate) async fn answer_reoffer(session: &mut Session, media: &Media, req: &Request, handle: TransactionHandle) {
    if req.method == Method::Update && req.body().is_empty() {
        handle.reply(StatusCode::OK).await.ok();
        return;
    }
    let was = session.sends();
    match session.reoffer(req.body()) {
        Ok(sdp) => {
            media.send(MediaCmd::Send(session.sends()));
            if was != session.sends() {
                info!(held = !session.sends(), "the far end changed the call's direction");
            }
            let headers = vec![Header::ContentType("application/sdp".into())];
            if let Err(e) = handle.respond(StatusCode::OK, Some(headers), Some(sdp.into_bytes())).await {
                debug!(error = %e, "answering a re-offer");
            }
        }
        Err(e) => {
            warn!(error = %e, "a later offer refused (488); the call goes on as it was");
            handle.reply(StatusCode::NotAcceptableHere).await.ok();
        }
    }
}
