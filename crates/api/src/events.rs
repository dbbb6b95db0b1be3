//! `GET /api/v1/events`: a server-sent-events stream of what happens in the
//! caller's company, filtered by who may see it (OD-14: confirmed orders go
//! to the heads of the client's department and to its manager). Later
//! issues add call and queue events to the same stream.

use crate::{auth::Auth, AppState};
use axum::{
    extract::State,
    response::sse::{Event as SseEvent, KeepAlive, Sse},
};
use centrala_domain::{CompanyId, Role, StaffId};
use futures::{Stream, StreamExt};
use std::{convert::Infallible, sync::Arc, time::Duration};
use tokio_stream::wrappers::BroadcastStream;

/// One event for some of one company's staff.
#[derive(Debug, Clone)]
pub struct Event {
    pub company: CompanyId,
    /// Staff who receive it by name.
    pub staff: Vec<StaffId>,
    /// Roles whose members all receive it.
    pub roles: Vec<Role>,
    /// The SSE event name, e.g. `order_confirmed`.
    pub kind: &'static str,
    pub data: serde_json::Value,
}

impl Event {
    pub fn visible_to(&self, auth: &Auth) -> bool {
        self.company == auth.company && (self.staff.contains(&auth.staff) || self.roles.contains(&auth.role))
    }
}

/// The fan-out of events to every open stream.
pub struct Bus {
    tx: tokio::sync::broadcast::Sender<Arc<Event>>,
}

impl Bus {
    pub fn new() -> Self {
        Bus { tx: tokio::sync::broadcast::channel(1024).0 }
    }

    pub fn publish(&self, e: Event) {
        // No subscriber is not an error: nobody is watching right now.
        let _ = self.tx.send(Arc::new(e));
    }

    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }
}

impl Default for Bus {
    fn default() -> Self {
        Self::new()
    }
}

/// Live events for the caller (server-sent events).
#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    responses((status = 200, content_type = "text/event-stream", description = "`event: order_confirmed` with the order as JSON data; keep-alive comments every 15 s")))]
pub async fn stream(
    State(state): State<AppState>,
    auth: Auth,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let rx = state.events.subscribe();
    let s = BroadcastStream::new(rx).filter_map(move |msg| {
        let out = match msg {
            Ok(e) if e.visible_to(&auth) => Some(Ok(SseEvent::default().event(e.kind).data(e.data.to_string()))),
            Ok(_) => None,
            // A slow reader missed events: say so rather than drop silently.
            Err(tokio_stream::wrappers::errors::BroadcastStreamRecvError::Lagged(n)) => {
                Some(Ok(SseEvent::default().event("lagged").data(format!("{{\"missed\":{n}}}"))))
            }
        };
        std::future::ready(out)
    });
    // Streams never end by themselves: they end when the server stops, or
    // a graceful shutdown would wait for every open browser.
    let s = s.take_until(state.shutdown.clone().cancelled_owned());
    Sse::new(s).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
