//! `GET /api/v1/softphone`: the desk's softphone (CC-11), a WebSocket.
//!
//! The browser sends its WebRTC offer; the answer comes back and, from
//! then on while the socket is open, the browser is the staff member's
//! phone (`centrala_sip::webphone`). JSON text frames, each with a `type`:
//!
//! - from the desk: `offer` {`sdp`} (first, and again to reconnect the
//!   media after a network change), `answer` {`call`}, `decline` {`call`},
//!   `hangup`;
//! - to the desk: `answer` {`sdp`}, `ring` {`call`, `from`}, `stopped`
//!   {`call`}, `talking` {`call`}, `ended` {`call`}, `replaced` (another
//!   desk of the same person took the phone; the socket closes), `lost`
//!   (the media connection is gone: send a new offer), `error` {`code`,
//!   `message`}.
//!
//! Only our own pages may open it (the Origin is checked before the
//! upgrade), with the staff member's session, and only for a member with
//! a SIP account (their calls ring their username).

use crate::auth::Auth;
use crate::error::ApiError;
use crate::state::AppState;
use axum::{
    extract::{
        ws::{Message as WsMessage, WebSocket, WebSocketUpgrade},
        State,
    },
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use centrala_sip::webphone::{PhoneEvent, WebSession};
use centrala_sip::webrtc::WebRtcError;
use serde::Deserialize;
use serde_json::json;

/// The largest frame a desk sends (an SDP offer is a few kB).
const MAX_FRAME: usize = 64 * 1024;

/// What the desk sends.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum FromDesk {
    Offer { sdp: String },
    Answer { call: u64 },
    Decline { call: u64 },
    Hangup,
}

/// Connect the desk's softphone: the WebSocket above. 403 from another
/// site's page, 409 `no_sip_account` without a SIP account, 409
/// `telephony_off` when the server runs without telephony.
#[utoipa::path(get, path = "/api/v1/softphone", tag = "agents",
    responses((status = 101, description = "the softphone's WebSocket"), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody)))]
pub async fn socket(State(state): State<AppState>, auth: Auth, headers: HeaderMap, ws: WebSocketUpgrade) -> Response {
    let own = crate::routes::chat::origin_of(&headers)
        .is_some_and(|o| crate::routes::chat::origin_allowed(&o, &[], &headers));
    if !own {
        return ApiError::new(StatusCode::FORBIDDEN, "origin_not_allowed", "only the desk's own pages may connect")
            .into_response();
    }
    let Some(dialer) = state.center.dialer.get().cloned() else {
        return ApiError::new(StatusCode::CONFLICT, "telephony_off", "the server runs without telephony")
            .into_response();
    };
    let user = match state.store.company(auth.company).sip_username(auth.staff).await {
        Ok(Some(u)) => u,
        Ok(None) => {
            return ApiError::new(
                StatusCode::CONFLICT,
                "no_sip_account",
                format!("{} has no phone to ring: an admin gives them a SIP account", auth.username),
            )
            .into_response()
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    ws.max_message_size(MAX_FRAME).max_frame_size(MAX_FRAME).on_upgrade(move |socket| run(socket, dialer, user))
}

async fn run(mut socket: WebSocket, dialer: centrala_sip::dial::Dialer, user: String) {
    let mut phone: Option<WebSession> = None;
    loop {
        let event = async {
            match phone.as_mut() {
                Some(p) => p.next().await,
                None => std::future::pending().await,
            }
        };
        let out = tokio::select! {
            m = socket.recv() => match m {
                Some(Ok(WsMessage::Text(t))) => match serde_json::from_str::<FromDesk>(t.as_str()) {
                    Ok(FromDesk::Offer { sdp }) => {
                        // A new offer is a new connection: the old one (if
                        // any) goes first, so the new one is the phone.
                        phone = None;
                        match dialer.web_phone(&user, &sdp) {
                            Ok(p) => {
                                let answer = json!({ "type": "answer", "sdp": p.answer });
                                phone = Some(p);
                                answer
                            }
                            Err(e) => refused(&e),
                        }
                    }
                    Ok(FromDesk::Answer { call }) => match &phone {
                        Some(p) if p.pick_up(call, true) => continue,
                        _ => json!({ "type": "stopped", "call": call }),
                    },
                    Ok(FromDesk::Decline { call }) => {
                        if let Some(p) = &phone {
                            p.pick_up(call, false);
                        }
                        continue;
                    }
                    Ok(FromDesk::Hangup) => {
                        if let Some(p) = &phone {
                            p.hang_up();
                        }
                        continue;
                    }
                    Err(e) => error("invalid_body", &e.to_string()),
                },
                Some(Ok(WsMessage::Binary(_))) => error("invalid_body", "send JSON text frames"),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => break,
            },
            e = event => match e {
                Some(e) => {
                    let replaced = e == PhoneEvent::Replaced;
                    let v = to_desk(&e);
                    if replaced {
                        let _ = send(&mut socket, &v).await;
                        break;
                    }
                    if e == PhoneEvent::Lost {
                        phone = None;
                    }
                    v
                }
                None => break,
            },
        };
        if send(&mut socket, &out).await.is_err() {
            break;
        }
    }
    // Dropping the session unregisters the phone; a call on it hears so.
    drop(phone);
}

fn to_desk(e: &PhoneEvent) -> serde_json::Value {
    match e {
        PhoneEvent::Ring { call, from } => json!({ "type": "ring", "call": call, "from": from }),
        PhoneEvent::Stopped { call } => json!({ "type": "stopped", "call": call }),
        PhoneEvent::Talking { call } => json!({ "type": "talking", "call": call }),
        PhoneEvent::Ended { call } => json!({ "type": "ended", "call": call }),
        PhoneEvent::Replaced => json!({ "type": "replaced" }),
        PhoneEvent::Lost => json!({ "type": "lost" }),
    }
}

/// Why an offer was not taken, as the desk words it.
fn refused(e: &WebRtcError) -> serde_json::Value {
    let code = match e {
        WebRtcError::NoCommonCodec => "no_common_codec",
        WebRtcError::NoAudio => "no_audio",
        WebRtcError::Sdp(_) => "invalid_sdp",
        WebRtcError::Refused(_) => "softphone_failed",
    };
    error(code, &e.to_string())
}

fn error(code: &'static str, message: &str) -> serde_json::Value {
    json!({ "type": "error", "code": code, "message": message })
}

async fn send(socket: &mut WebSocket, v: &serde_json::Value) -> Result<(), axum::Error> {
    socket.send(WsMessage::Text(v.to_string().into())).await
}
