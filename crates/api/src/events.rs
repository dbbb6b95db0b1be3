//! `GET /api/v1/events`: a server-sent-events stream of what happens in the
//! caller's company, filtered by who may see it (OD-14: confirmed orders go
//! to the heads of the client's department and to its manager). Later
//! issues add call and queue events to the same stream.

use crate::{auth::Auth, AppState};
use axum::{
    extract::State,
    response::sse::{Event as SseEvent, KeepAlive, Sse},
};
pub use centrala_center::bus::{Bus, Event};
use futures::{Stream, StreamExt};
use std::{convert::Infallible, time::Duration};
use tokio_stream::wrappers::BroadcastStream;

/// Live events for the caller (server-sent events).
#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    responses((status = 200, content_type = "text/event-stream", description = "`event: order_confirmed` with the order as JSON data; keep-alive comments every 15 s")))]
pub async fn stream(
    State(state): State<AppState>,
    auth: Auth,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let rx = state.center.events.subscribe();
    // Subscribed before the stream starts: an end sent from now on is seen.
    let mut ended = state.ended.subscribe();
    let me = auth.clone();
    let session_over = async move {
        loop {
            match ended.recv().await {
                Ok(end) if end.ends(&me) => return,
                Ok(_) => {}
                // Missed some ends, perhaps its own: end the stream; a
                // browser reconnects, and its session is checked again.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => return,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
            }
        }
    };
    let s = BroadcastStream::new(rx).filter_map(move |msg| {
        let out = match msg {
            Ok(e) if e.visible_to(auth.company, auth.staff, auth.role) => {
                Some(Ok(SseEvent::default().event(e.kind).data(e.data.to_string())))
            }
            Ok(_) => None,
            // A slow reader missed events: say so rather than drop silently.
            Err(tokio_stream::wrappers::errors::BroadcastStreamRecvError::Lagged(n)) => {
                Some(Ok(SseEvent::default().event("lagged").data(format!("{{\"missed\":{n}}}"))))
            }
        };
        std::future::ready(out)
    });
    // Streams end with their session (logout, deactivation, a role change,
    // a new password) and when the server stops: a graceful shutdown would
    // otherwise wait for every open browser.
    let s = s.take_until(state.shutdown.clone().cancelled_owned()).take_until(session_over);
    Sse::new(s).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
