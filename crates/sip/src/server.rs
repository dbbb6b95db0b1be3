//! The SIP endpoint, the dispatch of incoming requests, REGISTER, and the
//! task of each inbound call.

use crate::dial::{Leg, LegEvent, Missed};
use crate::headers::{accept, allow, parse_authorization, retry_after, source, split_contacts, unsupported, user_of};
use crate::limits::SourceLimiter;
use crate::media::{hold_music, Audio, Media, MediaCmd, MediaEvent, MediaStats, PortPool};
use crate::registrar::{Refused, Registrar};
use crate::session::{answer_reoffer, Session};
use crate::{Arrival, Brain, CallEnd, Control, Incoming, Refusal, SipConfig, SipError};
use centrala_call::ivr::{Hours, IvrConfig};
use centrala_call::queued::{AcdReport, Coach, ConsultStep, QCmd, QEnd, QInput, Queued};
use centrala_call::session::{Cmd, End, Input, IvrCall};
use centrala_media::latch::Latch;
use centrala_media::sdp_neg;
use centrala_media::srtp::{Keys, Srtp};
use rsipstack::dialog::dialog::{DialogState, DialogStateReceiver};
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::dialog::invite_dialog::InviteDialog;
use rsipstack::dialog::DialogId;
use rsipstack::platform::boxed::{boxed_channel, BoxedSender};
use rsipstack::sip::prelude::{HeadersExt, ToTypedHeader};
use rsipstack::sip::{Header, Method, StatusCode};
use rsipstack::transaction::transaction::Transaction;
use rsipstack::transaction::TransactionReceiver;
use rsipstack::transport::tls::{TlsConfig, TlsListenerConnection};
use rsipstack::transport::{tcp_listener::TcpListenerConnection, udp::UdpConnection, TransportLayer};
use rsipstack::EndpointBuilder;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, info_span, warn, Instrument};

/// The running telephony: stops when dropped or on [`Telephony::stop`].
pub struct Telephony {
    cancel: CancellationToken,
    /// Where SIP really listens (the port is known even when 0 was asked).
    pub local: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
    core: Arc<Core>,
}

/// What every call shares, whatever the brain.
pub(crate) struct Core {
    pub(crate) cfg: SipConfig,
    pub(crate) dialogs: Arc<DialogLayer>,
    pub(crate) ports: PortPool,
    pub(crate) registrar: Mutex<Registrar>,
    /// New calls per source.
    pub(crate) invites: Mutex<SourceLimiter>,
    /// Per live call: the channel its in-dialog requests go through.
    pub(crate) calls: Mutex<HashMap<String, BoxedSender<Transaction>>>,
    pub(crate) prompts: Mutex<HashMap<(String, String), Audio>>,
    pub(crate) hold: Audio,
    /// The desks' softphones connected now.
    pub(crate) web: crate::webphone::WebPhones,
    /// Internal calls talking now, for a REFER with Replaces.
    pub(crate) internal: crate::internal::Consultations,
    pub(crate) started: Instant,
    pub(crate) local: SocketAddr,
}

struct Ctx<B> {
    core: Arc<Core>,
    brain: Arc<B>,
}

impl<B> std::ops::Deref for Ctx<B> {
    type Target = Core;
    fn deref(&self) -> &Core {
        &self.core
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Telephony {
    pub async fn start<B: Brain>(cfg: SipConfig, brain: Arc<B>) -> Result<Telephony, SipError> {
        if cfg.rtp_ports.0 > cfg.rtp_ports.1 {
            return Err(SipError::Config(format!("RTP ports {}–{} are backwards", cfg.rtp_ports.0, cfg.rtp_ports.1)));
        }
        let cancel = CancellationToken::new();
        let transport = TransportLayer::new(cancel.clone());
        let conn = UdpConnection::create_connection(cfg.addr, None, Some(cancel.child_token()))
            .await
            .map_err(|e| SipError::Bind(cfg.addr, e.to_string()))?;
        let local: SocketAddr = conn
            .get_addr()
            .addr
            .clone()
            .try_into()
            .map_err(|e: rsipstack::sip::Error| SipError::Bind(cfg.addr, e.to_string()))?;
        transport.add_transport(conn.into());
        // TCP on the same address, which the stack gives for free (phones
        // behind NAT and large messages prefer it).
        let tcp =
            TcpListenerConnection::new(local, None).await.map_err(|e| SipError::Bind(local, format!("TCP: {e}")))?;
        transport.add_transport(tcp.into());
        if let Some(tls) = &cfg.tls {
            let read = |p: &std::path::Path| {
                std::fs::read(p).map_err(|e| SipError::Config(format!("SIP TLS: cannot read {}: {e}", p.display())))
            };
            let config = TlsConfig { cert: Some(read(&tls.cert)?), key: Some(read(&tls.key)?), ..TlsConfig::default() };
            let listener = TlsListenerConnection::new(tls.addr, None, config)
                .await
                .map_err(|e| SipError::Bind(tls.addr, format!("TLS: {e}")))?;
            transport.add_transport(listener.into());
            info!(addr = %tls.addr, "SIP over TLS listening");
        }
        let endpoint = EndpointBuilder::new()
            .with_cancel_token(cancel.clone())
            .with_transport_layer(transport)
            .with_user_agent(concat!("Centrala/", env!("CARGO_PKG_VERSION")))
            .build();
        let incoming = endpoint.incoming_transactions()?;
        let dialogs = Arc::new(DialogLayer::new(endpoint.inner.clone()));
        let core = Arc::new(Core {
            ports: PortPool::new(cfg.rtp_ports.0, cfg.rtp_ports.1),
            registrar: Mutex::new(Registrar::new(cfg.realm.clone())),
            invites: Mutex::new(SourceLimiter::new(cfg.invite_limit)),
            cfg,
            dialogs,
            calls: Mutex::new(HashMap::new()),
            prompts: Mutex::new(HashMap::new()),
            hold: hold_music(),
            web: Default::default(),
            internal: Default::default(),
            started: Instant::now(),
            local,
        });
        let ctx = Arc::new(Ctx { core: core.clone(), brain });
        // Phones registered before a restart ring at once, without waiting
        // for their next REGISTER.
        let unix_now = chrono::Utc::now().timestamp();
        let saved = ctx.brain.saved_bindings().await;
        {
            let mut registrar = lock(&core.registrar);
            for b in &saved {
                if let Ok(left) = u32::try_from(b.expires_unix - unix_now) {
                    registrar.bind(core.now(), &b.user, &b.contact, b.source, left);
                    registrar.require_srtp(&b.user, b.srtp_required);
                }
            }
        }
        if !saved.is_empty() {
            info!(bindings = saved.len(), "phones' registrations restored");
        }
        let serve = tokio::spawn(async move { endpoint.serve().await });
        let dispatch = tokio::spawn(dispatch(ctx.clone(), incoming));
        // The stack binds its TCP (and TLS) listeners in its own task: say
        // "listening" only once TCP takes connections (a phone connecting at
        // once was refused once).
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(local).await.is_ok() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        info!(%local, "SIP listening (UDP and TCP)");
        let sweep_ctx = ctx.clone();
        let sweep = tokio::spawn(async move {
            // Every 100 ms this timer notes how late it fired (the
            // signalling runtime's lateness, for admission control); every
            // second the lateness turns its page; every 30 s the registrar
            // and the rate limiter forget what expired.
            let mut every = tokio::time::interval(std::time::Duration::from_millis(100));
            for n in 0u64.. {
                let due = every.tick().await;
                crate::limits::note_signalling_lag(u64::try_from(due.elapsed().as_millis()).unwrap_or(u64::MAX));
                if n % 10 == 0 {
                    crate::limits::rotate_lag();
                }
                if n % 300 == 0 {
                    let now = sweep_ctx.now();
                    lock(&sweep_ctx.registrar).sweep(now);
                    lock(&sweep_ctx.invites).sweep(Instant::now());
                }
            }
        });
        Ok(Telephony { cancel, local, tasks: vec![serve, dispatch, sweep], core })
    }

    /// Places outbound calls (click-to-call).
    pub fn dialer(&self) -> crate::dial::Dialer {
        crate::dial::Dialer { core: self.core.clone() }
    }

    pub fn stop(&self) {
        self.cancel.cancel();
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Drop for Telephony {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Core {
    /// Opens the one channel through which the in-dialog requests of call
    /// `id` are handled, one at a time, in order. Close it with `forget`.
    pub(crate) fn sequence(&self, id: &str, dialog: InviteDialog) -> JoinHandle<()> {
        // Boxed, the transactions and the handling of one (the request
        // with it): a call's two sequences spend most of their time
        // waiting, and then hold only a channel's block of 32 pointers and
        // a small future, not 32 transactions, a request and the largest
        // state of `handle` (about 70 kB a call, heaptrack, issue 17).
        let (seq_tx, mut seq_rx) = boxed_channel::<Transaction>();
        lock(&self.calls).insert(id.to_owned(), seq_tx);
        let mut dialog = dialog;
        tokio::spawn(async move {
            // (`let … else`, not `while let`: the latter keeps the received
            // transaction's place in the task while it is handled.)
            loop {
                let Some(t) = seq_rx.recv().await else { return };
                let dialog = &mut dialog;
                let handled = Box::pin(async move {
                    let mut t = t;
                    dialog.handle(&mut t).await
                });
                if let Err(e) = handled.await {
                    debug!(error = %e, "in-dialog request");
                }
            }
        })
    }

    /// Closes what `sequence` opened and forgets the dialog.
    pub(crate) fn forget(&self, id: &str, dialog: &InviteDialog, sequencer: JoinHandle<()>) {
        lock(&self.calls).remove(id);
        self.dialogs.remove_dialog(&dialog.id());
        sequencer.abort();
    }

    pub(crate) fn now(&self) -> u64 {
        self.started.elapsed().as_secs()
    }

    /// A prompt's audio: the company's folder first, then the compiled-in
    /// demo prompts; English when the language has no such prompt.
    fn prompt(&self, lang: &str, name: &str) -> Option<Audio> {
        let key = (lang.to_owned(), name.to_owned());
        if let Some(a) = lock(&self.prompts).get(&key) {
            return Some(a.clone());
        }
        let from_dir = self.cfg.prompts.as_ref().and_then(|root| {
            let p = centrala_call::prompts::path(root, lang, name);
            std::fs::read(p).ok()
        });
        let bytes = from_dir.or_else(|| centrala_call::prompts::builtin(lang, name).map(<[u8]>::to_vec))?;
        let audio: Audio = match hound::WavReader::new(std::io::Cursor::new(bytes)) {
            Ok(r) if r.spec().sample_rate == 8000 && r.spec().channels == 1 => {
                r.into_samples::<i16>().filter_map(Result::ok).collect::<Vec<_>>().into()
            }
            Ok(r) => {
                warn!(lang, name, spec = ?r.spec(), "prompt is not 8 kHz mono 16-bit; skipped");
                return None;
            }
            Err(e) => {
                warn!(lang, name, error = %e, "prompt is not a WAV file; skipped");
                return None;
            }
        };
        lock(&self.prompts).insert(key, audio.clone());
        Some(audio)
    }

    fn prompts(&self, lang: &str, names: &[String]) -> Vec<Audio> {
        names
            .iter()
            .filter_map(|n| {
                if n == BEEP {
                    return Some(beep());
                }
                let a = self.prompt(lang, n).or_else(|| self.prompt("en", n));
                if a.is_none() {
                    warn!(lang, name = %n, "no such prompt");
                }
                a
            })
            .collect()
    }
}

/// Answers with a final status off the dispatch loop.
fn reply(mut tx: Transaction, status: StatusCode, headers: Vec<Header>) {
    tokio::spawn(async move { tx.reply_with(status, headers, None).await.ok() });
}

async fn dispatch<B: Brain>(ctx: Arc<Ctx<B>>, mut incoming: TransactionReceiver) {
    while let Some(mut tx) = incoming.recv().await {
        let in_dialog = tx.original.to_header().ok().and_then(|t| t.tag().ok().flatten()).is_some();
        // An extension the request requires and we do not support: 420
        // with Unsupported (RFC 3261 §8.2.2.3), before anything else.
        if !matches!(tx.original.method, Method::Ack | Method::Cancel) {
            let required = tx.original.headers.iter().filter(|h| matches!(h, Header::Require(_))).map(|h| h.value());
            let missing = unsupported(required);
            if !missing.is_empty() {
                reply(tx, StatusCode::BadExtension, vec![Header::Other("Unsupported".into(), missing.join(", "))]);
                continue;
            }
        }
        // Our answer to a new call is SDP: a caller that accepts none gets
        // 406 (RFC 3261 §21.4.7; RFC 4475 §3.3.15).
        if tx.original.method == Method::Invite && !in_dialog {
            let ranges = tx.original.headers.iter().filter(|h| matches!(h, Header::Accept(_))).map(|h| h.value());
            if !crate::headers::accepts_sdp(ranges) {
                reply(tx, StatusCode::NotAcceptable, vec![accept()]);
                continue;
            }
        }
        match tx.original.method {
            Method::Register => {
                let ctx = ctx.clone();
                tokio::spawn(async move { register(&ctx, &mut tx).await });
            }
            Method::Invite if !in_dialog => {
                tokio::spawn(inbound(ctx.clone(), Box::new(tx)));
            }
            // What we do, for peers that ask (RFC 3261 §11.2).
            Method::Options if !in_dialog => {
                let supported = Header::Other("Supported".into(), crate::headers::SUPPORTED.join(", "));
                reply(tx, StatusCode::OK, vec![allow(), accept(), supported]);
            }
            Method::Ack => {}
            _ if in_dialog => {
                let seq = DialogId::try_from(&tx).ok().and_then(|id| lock(&ctx.calls).get(&id.to_string()).cloned());
                let unsent = match seq {
                    Some(seq) => seq.send(tx).err().map(|mpsc::error::SendError(tx)| tx),
                    None => Some(tx),
                };
                if let Some(tx) = unsent {
                    reply(tx, StatusCode::CallTransactionDoesNotExist, Vec::new());
                }
            }
            // Every 405 says what is allowed (RFC 3261 §21.4.6).
            _ => reply(tx, StatusCode::MethodNotAllowed, vec![allow()]),
        }
    }
}

async fn register<B: Brain>(ctx: &Ctx<B>, tx: &mut Transaction) {
    let Some(src) = source(&tx.original) else {
        tx.reply(StatusCode::BadRequest).await.ok();
        return;
    };
    let aor = tx.original.to_header().ok().and_then(|t| t.uri().ok()).and_then(|u| u.user().map(str::to_owned));
    let raw = tx.original.header_value("Authorization");
    let answer = raw.as_deref().and_then(parse_authorization);
    let account = match &answer {
        Some(a) => ctx.brain.account(&a.username).await,
        None => None,
    };
    let now = ctx.now();
    let srtp_required = account.as_ref().is_some_and(|a| a.srtp_required);
    let verdict = lock(&ctx.registrar).check(
        now,
        src.ip(),
        "REGISTER",
        answer.as_ref(),
        account.as_ref().map(|a| a.ha1.as_str()),
    );
    let user = match (verdict, answer) {
        (Err(why @ (Refused::Challenge | Refused::Stale)), _) => {
            let nonce = hex::encode(rand::random::<[u8; 16]>());
            lock(&ctx.registrar).issue(now, nonce.clone());
            let stale = if why == Refused::Stale { ", stale=true" } else { "" };
            let challenge =
                format!("Digest realm=\"{}\", nonce=\"{nonce}\", algorithm=MD5, qop=\"auth\"{stale}", ctx.cfg.realm);
            tx.reply_with(StatusCode::Unauthorized, vec![Header::Other("WWW-Authenticate".into(), challenge)], None)
                .await
                .ok();
            return;
        }
        (Err(why), a) => {
            warn!(source = %src, user = a.map(|a| a.username).unwrap_or_default(), ?why, "REGISTER refused");
            tx.reply(StatusCode::Forbidden).await.ok();
            return;
        }
        (Ok(()), Some(a)) if aor.as_deref() == Some(a.username.as_str()) => a.username,
        (Ok(()), _) => {
            tx.reply(StatusCode::Forbidden).await.ok();
            return;
        }
    };
    let expires_header = tx.original.header_value("Expires").and_then(|v| v.parse::<u32>().ok());
    let contacts: Vec<String> = tx
        .original
        .headers
        .iter()
        .filter(|h| matches!(h, Header::Contact(_)))
        .flat_map(|h| split_contacts(h.value()))
        .collect();
    if contacts.iter().any(|c| c.trim() == "*") {
        if expires_header != Some(0) {
            tx.reply(StatusCode::BadRequest).await.ok();
            return;
        }
        lock(&ctx.registrar).unbind_all(&user);
    } else {
        lock(&ctx.registrar).require_srtp(&user, srtp_required);
        for c in &contacts {
            let Ok(typed) = rsipstack::sip::typed::Contact::parse(c) else {
                tx.reply(StatusCode::BadRequest).await.ok();
                return;
            };
            match Registrar::grant(typed.expires().or(expires_header)) {
                Ok(secs) => lock(&ctx.registrar).bind(now, &user, &typed.uri.to_string(), src, secs),
                Err(min) => {
                    tx.reply_with(
                        StatusCode::IntervalTooBrief,
                        vec![Header::Other("Min-Expires".into(), min.to_string())],
                        None,
                    )
                    .await
                    .ok();
                    return;
                }
            }
        }
    }
    let live = lock(&ctx.registrar).contacts(now, &user);
    // Kept before the phone hears 200, so that a restart right after
    // still knows where it is.
    let unix_now = chrono::Utc::now().timestamp();
    let saved = live
        .iter()
        .map(|b| crate::SavedBinding {
            user: user.clone(),
            contact: b.contact.clone(),
            source: b.source,
            expires_unix: unix_now + i64::try_from(b.expires_at.saturating_sub(now)).unwrap_or(0),
            srtp_required,
        })
        .collect();
    ctx.brain.save_bindings(&user, saved).await;
    info!(user, contacts = live.len(), source = %src, "registered");
    let headers = live
        .iter()
        .map(|b| {
            Header::Other("Contact".into(), format!("<{}>;expires={}", b.contact, b.expires_at.saturating_sub(now)))
        })
        .collect();
    tx.reply_with(StatusCode::OK, headers, None).await.ok();
}

async fn inbound<B: Brain>(ctx: Arc<Ctx<B>>, mut tx: Box<Transaction>) {
    let called = tx.original.uri.user().unwrap_or_default().to_owned();
    // P-Asserted-Identity is a trunk's word for who calls: believed only
    // from a trusted peer (RFC 3325 §2.3); from anyone else the caller is
    // From, and unverified.
    let src = source(&tx.original);
    let trusted = src.is_some_and(|src| {
        ctx.cfg.trusted_peers.contains(&src.ip()) || ctx.cfg.trunk.is_some_and(|t| t.ip() == src.ip())
    });
    // A flood from one address is refused before anything is registered,
    // recorded or routed.
    if let (false, Some(src)) = (trusted, src) {
        if !lock(&ctx.invites).allow(src.ip(), Instant::now()) {
            let n = crate::limits::count_rate_limited();
            // One line per hundred refusals, not one per packet of a flood.
            if n % 100 == 1 {
                warn!(source = %src, refused = n, "too many new calls from one address: 503");
            }
            tx.reply_with(StatusCode::ServiceUnavailable, vec![retry_after()], None).await.ok();
            return;
        }
    }
    let from = || tx.original.from_header().ok().and_then(|f| f.uri().ok()).and_then(|u| u.user().map(str::to_owned));
    let caller = if trusted { user_of(tx.original.header_value("P-Asserted-Identity")).or_else(from) } else { from() }
        .unwrap_or_default();
    let call_id = tx.original.call_id_header().map(|c| c.value().to_owned()).unwrap_or_default();
    if called.starts_with('*') {
        return Box::pin(feature(&ctx, tx, &called)).await;
    }
    // A full server refuses new calls at the door, so that the calls in
    // progress keep clean media.
    if let Err(why) =
        crate::limits::admit(ctx.cfg.admission, crate::limits::live_calls(), crate::limits::Lateness::now())
    {
        let n = crate::limits::count_overload(why);
        // One line per hundred refusals, not one per INVITE of a surge.
        if n % 100 == 1 {
            warn!(?why, refused = n, late = ?crate::limits::Lateness::now(), "the server is full: new calls get 503");
        }
        tx.reply_with(StatusCode::ServiceUnavailable, vec![retry_after()], None).await.ok();
        return;
    }
    let _slot = crate::limits::Place::call();
    // Its first set-up step runs from here to its arrival registered.
    let step = crate::limits::SetupStep::begin();
    // A staff phone dialling a colleague: an internal call.
    if let Some(user) = registered_from(&ctx, &tx) {
        if let Some(staff) = ctx.brain.colleague(&user, &called).await {
            drop(step);
            let colleague = crate::internal::Colleague { staff, user: called.clone() };
            let span = info_span!("internal", %call_id, from = %user, to = %called);
            return async move {
                if let Err(why) = answer_and_run(&ctx, tx, Then::Colleague(&user, colleague)).await {
                    warn!(%why, "the internal call failed");
                }
            }
            .instrument(span)
            .await;
        }
    }
    let span = info_span!("call", %call_id, %caller, %called);
    async move {
        // (In a block of its own: `arrived` then holds no place in the task
        // beside `arrival` for the whole call.)
        let arrival = {
            let arrived = ctx.brain.arrive(Incoming { called, caller, call_id, verified: trusted }).await;
            drop(step);
            match arrived {
                Ok(a) => a,
                Err(Refusal::NotHere) => {
                    tx.reply(StatusCode::NotFound).await.ok();
                    return;
                }
                Err(Refusal::Unavailable) => {
                    tx.reply(StatusCode::ServiceUnavailable).await.ok();
                    return;
                }
                Err(Refusal::Busy) => {
                    crate::limits::count_over_cap();
                    tx.reply(StatusCode::BusyHere).await.ok();
                    return;
                }
            }
        };
        match answer_and_run(&ctx, tx, Then::Menu(&arrival)).await {
            Ok((end, stats)) => ctx.brain.ended(&arrival, end, stats).await,
            Err(why) => {
                warn!(%why, "the call failed");
                ctx.brain.ended(&arrival, CallEnd::Failed, MediaStats::default()).await;
            }
        }
    }
    .instrument(span)
    .await
}

/// A feature code from a staff phone: only from the address the phone is
/// registered from (the REGISTER was authenticated; the INVITE is not
/// challenged). Done: answered with a short beep, then hung up.
async fn feature<B: Brain>(ctx: &Arc<Ctx<B>>, mut tx: Box<Transaction>, code: &str) {
    let Some(user) = registered_from(ctx, &tx) else {
        tx.reply(StatusCode::Forbidden).await.ok();
        return;
    };
    if !ctx.brain.feature(&user, code).await {
        tx.reply(StatusCode::NotFound).await.ok();
        return;
    }
    info!(user, code, "feature code");
    let confirm = Arrival {
        company: centrala_domain::CompanyId(0),
        interaction: centrala_domain::InteractionId(0),
        // Never open: the "closed" message is the beep, then a hang-up.
        ivr: IvrConfig {
            menus: Vec::new(),
            start: String::new(),
            hours: Hours { open: Vec::new(), holidays: Vec::new(), closed_prompt: BEEP.into() },
        },
        lang: "en".into(),
        local_time: chrono::NaiveDateTime::MIN,
        recording: None,
        caller_name: String::new(),
        caller: user,
        skip_menu: false,
    };
    if let Err(why) = answer_and_run(ctx, tx, Then::Menu(&confirm)).await {
        debug!(%why, "feature code confirmation");
    }
}

/// The From user of a request that comes from the address that user's
/// phone is registered from (the REGISTER was authenticated; calls from
/// staff phones are not challenged): a staff phone's own request.
fn registered_from(core: &Core, tx: &Transaction) -> Option<String> {
    let user = tx.original.from_header().ok()?.uri().ok()?.user()?.to_owned();
    let src = source(&tx.original)?;
    let registered = lock(&core.registrar).contacts(core.now(), &user).iter().any(|b| b.source == src);
    registered.then_some(user)
}

/// The confirmation tone's prompt name (made here, not a file).
const BEEP: &str = "beep";

/// What an answered INVITE is: a call for the menu (and then the queues),
/// or a staff phone's internal call to a colleague.
enum Then<'a> {
    Menu(&'a Arrival),
    Colleague(&'a str, crate::internal::Colleague),
}

/// Answers the INVITE and runs the call to its end.
async fn answer_and_run<B: Brain>(
    ctx: &Arc<Ctx<B>>,
    mut tx: Box<Transaction>,
    then: Then<'_>,
) -> Result<(CallEnd, MediaStats), String> {
    // The trunk's calls are encrypted when the configuration says so: a
    // plain offer from its address is refused, not answered in clear.
    let signalling = source(&tx.original).map(|s| s.ip());
    let from_trunk = ctx.cfg.trunk.is_some_and(|t| Some(t.ip()) == signalling);
    let srtp_required = from_trunk && ctx.cfg.trunk_srtp_required;
    let body = match crate::headers::sdp_body(tx.original.header_value("Content-Type").as_deref(), tx.original.body()) {
        Ok(b) => b.to_vec(),
        Err(crate::headers::NotSdp(what)) => {
            tx.reply_with(StatusCode::UnsupportedMediaType, vec![accept()], None).await.ok();
            return Err(format!("no SDP in a body of {what}"));
        }
    };
    let sdp = if body.iter().all(u8::is_ascii_whitespace) {
        // A delayed offer (RFC 3261 §13.3.1): ours goes in the 2xx and the
        // answer comes in the ACK.
        Box::new(Sdp::Offering { ours: srtp_required.then(|| Keys(rand::random())), signalling })
    } else {
        match answerable(&body, srtp_required, signalling) {
            Ok((offer, chosen, far_end, ours, srtp)) => Box::new(Sdp::Answering { offer, chosen, far_end, ours, srtp }),
            Err((status, why)) => {
                tx.reply(status).await.ok();
                return Err(why);
            }
        }
    };
    let socket = match ctx.ports.bind(ctx.local.ip()) {
        Ok(s) => s,
        Err(e) => {
            tx.reply(StatusCode::ServiceUnavailable).await.ok();
            return Err(format!("no RTP port: {e}"));
        }
    };
    let (state_tx, mut states) = ctx.dialogs.new_dialog_state_channel();
    // A call that came over TLS is answered with a TLS Contact, so that its
    // in-dialog requests stay encrypted.
    let over_tls = tx
        .original
        .via_header()
        .ok()
        .and_then(|v| v.typed().ok())
        .is_some_and(|v| matches!(v.transport, rsipstack::sip::Transport::Tls));
    let contact = match (&ctx.cfg.tls, over_tls) {
        (Some(tls), true) => format!("sip:centrala@{};transport=tls", tls.addr),
        _ => format!("sip:centrala@{}", ctx.local),
    };
    let contact = rsipstack::sip::Uri::try_from(contact.as_str()).ok();
    let dialog = match ctx.dialogs.get_or_create_server_invite(&tx, state_tx, None, contact) {
        Ok(d) => d,
        Err(e) => {
            tx.reply(StatusCode::ServerInternalError).await.ok();
            return Err(format!("dialog: {e}"));
        }
    };
    let id = dialog.id().to_string();
    let sequencer = ctx.sequence(&id, dialog.clone());
    let mut invite_dialog = dialog.clone();
    let invite = tokio::spawn(async move {
        if let Err(e) = invite_dialog.handle(&mut tx).await {
            debug!(error = %e, "INVITE transaction");
        }
    });

    // A call's task is one future as large as its largest state, held for
    // the whole call: the rare long ways (an internal call, a consultation,
    // a transfer, the answer, a leg's hang-up) are boxed where they are
    // taken, so that the waiting of a bridged call is all a call holds.
    let result = match then {
        Then::Menu(arrival) => run(ctx, &dialog, &mut states, socket, sdp, arrival).await,
        Then::Colleague(by, colleague) => {
            Box::pin(crate::internal::run(&ctx.core, &dialog, &mut states, socket, sdp, by, colleague))
                .await
                .map(|stats| (CallEnd::Answered, stats))
        }
    };

    ctx.forget(&id, &dialog, sequencer);
    invite.abort();
    result
}

/// Where a call's SDP stands when it is answered. (Passed boxed: an async
/// fn keeps its arguments' place for as long as it runs, and the ones this
/// goes through run the whole call.)
#[allow(clippy::large_enum_variant)]
pub(crate) enum Sdp {
    /// The INVITE's offer, taken: answered in the 2xx (with our keys, when
    /// it brought its own).
    Answering { offer: sdp_neg::Offer, chosen: sdp_neg::Chosen, far_end: Latch, ours: Option<Keys>, srtp: Option<Srtp> },
    /// No offer in the INVITE: ours goes in the 2xx (SRTP only with `ours`),
    /// the answer comes in the ACK from the host that signalled.
    Offering { ours: Option<Keys>, signalling: Option<IpAddr> },
}

/// An INVITE's offer, understood and taken: the stream, its far end, our
/// keys and the leg's SRTP (when it brought keys); or the status refusing
/// it and why.
#[allow(clippy::type_complexity)]
fn answerable(
    body: &[u8],
    srtp_required: bool,
    signalling: Option<IpAddr>,
) -> Result<(sdp_neg::Offer, sdp_neg::Chosen, Latch, Option<Keys>, Option<Srtp>), (StatusCode, String)> {
    let refuse = |e: String| (StatusCode::NotAcceptableHere, e);
    let text = std::str::from_utf8(body).map_err(|e| refuse(format!("no usable SDP offer: {e}")))?;
    let offer = sdp_neg::parse_offer(text).map_err(|e| refuse(format!("no usable SDP offer: {e}")))?;
    let chosen = sdp_neg::choose(&offer).map_err(|e| refuse(e.to_string()))?;
    if chosen.srtp.is_none() && srtp_required {
        return Err(refuse(centrala_media::MediaError::Unencrypted.to_string()));
    }
    // Offered keys are answered with ours (fresh for every call).
    let ours = chosen.srtp.map(|_| Keys(rand::random()));
    let srtp =
        Srtp::between(chosen.srtp, ours.as_ref()).map_err(|e| (StatusCode::ServerInternalError, e.to_string()))?;
    let remote =
        offer.remote().ok_or_else(|| refuse(format!("media address {:?} is not an IP address", offer.address)))?;
    // The far end's RTP is taken from the SDP's host or the host that sent
    // the INVITE (a phone behind NAT), and from no one else.
    let far_end = Latch::new(remote, signalling);
    Ok((offer, chosen, far_end, ours, srtp))
}

/// The answer to our offer in a delayed-offer call, from its ACK: the
/// leg's session, far end and SRTP. `None`: the caller hung up first.
async fn ack_answer(
    dialog: &InviteDialog,
    states: &mut DialogStateReceiver,
    address: String,
    port: u16,
    ours: Option<Keys>,
    signalling: Option<IpAddr>,
) -> Result<Option<(Session, Latch, Option<Srtp>)>, String> {
    loop {
        match states.recv().await {
            Some(DialogState::Confirmed(..)) => break,
            Some(DialogState::Terminated(..)) => return Ok(None),
            Some(_) => {}
            None => return Err("the dialog went away".into()),
        }
    }
    let ack = dialog.last_remote_ack().ok_or("confirmed without an ACK")?;
    let text = String::from_utf8_lossy(ack.body()).into_owned();
    let (theirs, chosen) =
        sdp_neg::read_answer(&text, ours.is_some()).map_err(|e| format!("no usable answer in the ACK: {e}"))?;
    let srtp = Srtp::between(chosen.srtp, ours.as_ref()).map_err(|e| e.to_string())?;
    let remote = theirs.remote().ok_or_else(|| format!("media address {:?}", theirs.address))?;
    let far_end = Latch::new(remote, signalling);
    Ok(Some((Session::new(address, port, theirs, chosen, ours), far_end, srtp)))
}

type Timer = Option<Pin<Box<tokio::time::Sleep>>>;

/// Waits until the dialog says the INVITE is being handled (it can be
/// answered then): false when the caller gave up first.
pub(crate) async fn until_calling(states: &mut DialogStateReceiver) -> Result<bool, String> {
    loop {
        match states.recv().await {
            Some(DialogState::Calling(_)) => return Ok(true),
            Some(DialogState::Terminated(_, why)) => {
                debug!(?why, "ended before it was answered");
                return Ok(false);
            }
            Some(_) => {}
            None => return Err("the dialog went away".into()),
        }
    }
}

/// Answers the INVITE (200 with our SDP) and starts the leg's media,
/// recorded to `recording`: its session and media, or `None` when the
/// caller hung up before a delayed offer's ACK.
pub(crate) async fn answer_leg(
    core: &Core,
    dialog: &InviteDialog,
    states: &mut DialogStateReceiver,
    socket: std::net::UdpSocket,
    sdp: Box<Sdp>,
    recording: Option<std::path::PathBuf>,
) -> Result<Option<(Session, Media)>, String> {
    let address = core.local.ip().to_string();
    let port = socket.local_addr().map_err(|e| e.to_string())?.port();
    let (body, answered) = match *sdp {
        Sdp::Answering { offer, chosen, far_end, ours, srtp } => {
            let session = Session::new(address.clone(), port, offer, chosen, ours);
            (session.answer(), Ok((session, far_end, srtp)))
        }
        Sdp::Offering { ours, signalling } => {
            let origin = sdp_neg::Origin { id: rand::random::<u32>().into(), version: 1 };
            (sdp_neg::offer(origin, &address, port, ours.as_ref()), Err((ours, signalling)))
        }
    };
    dialog
        .accept(Some(vec![Header::ContentType("application/sdp".into())]), Some(body.into_bytes()))
        .map_err(|e| format!("accept: {e}"))?;
    let (session, far_end, srtp) = match answered {
        Ok(agreed) => agreed,
        Err((ours, signalling)) => match ack_answer(dialog, states, address, port, ours, signalling).await {
            Ok(Some(agreed)) => agreed,
            Ok(None) => return Ok(None),
            Err(e) => {
                dialog.bye().await.ok();
                return Err(e);
            }
        },
    };
    let media = Media::start(socket, far_end, session.chosen(), srtp, recording);
    Ok(Some((session, media)))
}

#[allow(clippy::too_many_arguments)]
async fn run<B: Brain>(
    ctx: &Arc<Ctx<B>>,
    dialog: &InviteDialog,
    states: &mut DialogStateReceiver,
    socket: std::net::UdpSocket,
    sdp: Box<Sdp>,
    arrival: &Arrival,
) -> Result<(CallEnd, MediaStats), String> {
    if !until_calling(states).await? {
        return Ok((CallEnd::Abandoned, MediaStats::default()));
    }
    let Some((mut session, mut media)) =
        Box::pin(answer_leg(ctx, dialog, states, socket, sdp, arrival.recording.clone())).await?
    else {
        return Ok((CallEnd::Abandoned, MediaStats::default()));
    };
    let (mut ivr, mut pending) = IvrCall::start(arrival.ivr.clone(), arrival.local_time, arrival.skip_menu);
    let mut timer: Timer = None;
    let mut end = None;
    // When the call ended as the caller lived it (see `queued`).
    let mut ended_at = None;
    while end.is_none() {
        for cmd in std::mem::take(&mut pending) {
            match cmd {
                Cmd::Play(names) => media.send(MediaCmd::Play(ctx.prompts(&arrival.lang, &names))),
                Cmd::StopPlay => media.send(MediaCmd::Stop),
                Cmd::Wait(d) => timer = Some(Box::pin(tokio::time::sleep(d))),
                Cmd::CancelTimer => timer = None,
                Cmd::Route(outcome) => {
                    let path = ivr.path();
                    let step = crate::limits::SetupStep::begin();
                    let control = ctx.brain.routed(arrival, &path, ivr.digits(), &outcome).await;
                    drop(step);
                    // Until someone takes it: please wait, then music on hold.
                    media.send(MediaCmd::Hold(Some(ctx.hold.clone())));
                    media.send(MediaCmd::Play(ctx.prompts(&arrival.lang, &["please-wait".to_owned()])));
                    if let Some(control) = control {
                        return Ok(queued(ctx, dialog, states, media, session, control, arrival).await);
                    }
                }
                Cmd::Hangup => {
                    call_ended(&media, &mut ended_at);
                    if let Err(e) = dialog.bye().await {
                        debug!(error = %e, "BYE");
                    }
                }
                Cmd::Ended(e) => {
                    end = Some(match e {
                        End::Closed => CallEnd::Closed,
                        End::AbandonedInMenu | End::AfterRouting => CallEnd::Abandoned,
                    })
                }
            }
        }
        if end.is_some() {
            break;
        }
        let input = tokio::select! {
            s = states.recv() => match s {
                Some(DialogState::Terminated(_, why)) => {
                    debug!(?why, "dialog terminated");
                    call_ended(&media, &mut ended_at);
                    Input::Hangup
                }
                Some(DialogState::Updated(_, req, handle)) => {
                    answer_reoffer(&mut session, &media, &req, handle).await;
                    continue;
                }
                Some(_) => continue,
                None => Input::Hangup,
            },
            e = media.events.recv() => match e {
                Some(MediaEvent::PlayDone) => Input::PromptsDone,
                Some(MediaEvent::Digit(d)) => Input::Digit(d),
                Some(MediaEvent::Silent | MediaEvent::Gone) | None => {
                    warn!("no RTP for a minute: hanging up");
                    call_ended(&media, &mut ended_at);
                    dialog.bye().await.ok();
                    Input::Hangup
                }
            },
            _ = async { if let Some(t) = timer.as_mut() { t.await } else { std::future::pending().await } } => {
                timer = None;
                Input::Timer
            }
        };
        pending = ivr.handle(input);
    }
    let stats = media.stop_at(ended_at.unwrap_or_else(Instant::now)).await;
    Ok((end.unwrap_or(CallEnd::Abandoned), stats))
}

/// The call ends now (or ended at `ended_at`, if that is set), as its
/// caller lived it: its leg's recording stops there, whatever tearing down
/// the call still takes (a BYE round trip to a slow phone).
fn call_ended(media: &Media, ended_at: &mut Option<Instant>) {
    media.send(MediaCmd::End(*ended_at.get_or_insert_with(Instant::now)));
}

/// The routed call waits for the ACD's orders: rings agents' phones one at
/// a time and bridges the caller to the one who answers.
async fn queued<B: Brain>(
    ctx: &Arc<Ctx<B>>,
    dialog: &InviteDialog,
    states: &mut DialogStateReceiver,
    media: Media,
    mut session: Session,
    mut control: crate::chan::Receiver<Control>,
    arrival: &Arrival,
) -> (CallEnd, MediaStats) {
    let mut q = Queued::new();
    let mut users: HashMap<i64, String> = HashMap::new();
    let mut dialling: HashMap<i64, CancellationToken> = HashMap::new();
    // Every phone the call rings answers (or not) here: an agent offered
    // the call, a listener, a consulted colleague.
    let (rung_tx, mut rungs) = boxed_channel::<Rung>();
    let mut answered: HashMap<i64, Leg> = HashMap::new();
    let mut agent: Option<(i64, Leg)> = None;
    let mut control_open = true;
    // Listening in: whose phone is dialled or listens (one at a time), how
    // they are to be heard, and what tells it the call is over.
    let mut listener: Option<Listener> = None;
    // A colleague the agent consults (one at a time), and the outcome of
    // ringing them.
    let mut consult: Option<Consulted> = None;
    let call_over = CancellationToken::new();
    let mut pending: Vec<QInput> = Vec::new();
    let mut end = None;
    // When the call ended as the caller lived it: the moment the hang-up
    // that ends it was heard, before the round trips that tear the other
    // legs down (a BYE to a slow phone); the recording ends there.
    let mut ended_at: Option<Instant> = None;
    // When a lost agent's grace time is over (the caller back to its
    // queue), and who was lost: until then, their phone coming back (a
    // reloaded page) rings it again.
    let mut grace: Option<tokio::time::Instant> = None;
    let mut lost: Option<i64> = None;
    let display = if arrival.caller_name.is_empty() { "caller".to_owned() } else { arrival.caller_name.clone() };
    let mut media = media;
    while end.is_none() {
        // When a hang-up was heard, if this input is one.
        let mut heard = None;
        let input = match pending.pop() {
            Some(i) => i,
            None => tokio::select! {
                c = control.recv(), if control_open => match c {
                    Some(Control::Ring { staff, user }) => {
                        users.insert(staff, user);
                        QInput::Ring(staff)
                    }
                    Some(Control::StopRinging { staff }) => QInput::StopRinging(staff),
                    Some(Control::Announce(p)) => QInput::Announce(p),
                    Some(Control::Overflow(p)) => QInput::Overflow(p),
                    Some(Control::Transfer) => QInput::Transfer,
                    Some(Control::Callback) => QInput::Callback,
                    // The agent's controls from the desk: they act on the
                    // two legs' relay, for any phone.
                    Some(Control::Hold(on)) => {
                        if let Some((_, leg)) = &agent {
                            if on {
                                // The caller's leg plays its hold music again;
                                // the agent's sends silence.
                                media.send(MediaCmd::Bridge(None));
                                leg.media.send(MediaCmd::Bridge(None));
                            } else {
                                media.send(MediaCmd::Bridge(Some(leg.media.feed.clone())));
                                leg.media.send(MediaCmd::Bridge(Some(media.feed.clone())));
                            }
                        }
                        continue;
                    }
                    Some(Control::Mute(on)) => {
                        if let Some((_, leg)) = &agent {
                            leg.media.send(MediaCmd::Mute(on));
                        }
                        continue;
                    }
                    Some(Control::Keys(k)) => {
                        if agent.is_some() {
                            media.send(MediaCmd::Keys(k));
                        }
                        continue;
                    }
                    // A consultation: the caller holds while the
                    // colleague's phone rings (one at a time).
                    Some(Control::Consult { staff, user }) => {
                        match (crate::dial::phone_of(&ctx.core, &user), &agent, &consult) {
                            (Some(route), Some(_), None) => {
                                media.send(MediaCmd::Bridge(None));
                                if let Some((_, leg)) = &agent {
                                    leg.media.send(MediaCmd::Bridge(None));
                                }
                                let stop = CancellationToken::new();
                                consult = Some(Consulted { staff, stop: stop.clone(), leg: None, conference: false });
                                let display = format!("Consult {display}");
                                ring(ctx, Rang::Colleague, staff, route, display, stop, &rung_tx);
                            }
                            _ => info!(staff, "cannot consult now (no phone, nobody talks, or a consultation is on)"),
                        }
                        continue;
                    }
                    Some(Control::RecordPause(on)) => {
                        if let Some((by, _)) = &agent {
                            media.send(MediaCmd::RecordPause(on));
                            ctx.brain.report(arrival, AcdReport::RecordPaused { agent: *by, paused: on });
                        }
                        continue;
                    }
                    Some(Control::Conference) => {
                        if let (Some((by, talking)), Some(c)) = (&agent, consult.as_mut()) {
                            if let Some(leg) = c.leg.as_ref().filter(|_| !c.conference) {
                                conference(&media, talking, leg);
                                c.conference = true;
                                let step = ConsultStep::Conference;
                                ctx.brain.report(arrival, AcdReport::Consult { agent: *by, colleague: c.staff, step });
                            }
                        }
                        continue;
                    }
                    Some(Control::EndConsult) => {
                        if let Some(c) = consult.take() {
                            Box::pin(consult_over(ctx, arrival, c, true, &media, agent.as_ref(), listener.as_ref())).await;
                        }
                        continue;
                    }
                    Some(Control::HangUp) => match agent.take() {
                        Some((staff, leg)) => {
                            heard = Some(Instant::now());
                            agent_leg_ended(staff, leg.hang_up(&ctx.core).await);
                            QInput::AgentHangup
                        }
                        None => continue,
                    },
                    Some(Control::Listen { staff, user, mode }) => {
                        // A listener whose phone hung up is gone.
                        if listener.as_ref().and_then(|l| l.leg.as_ref()).is_some_and(|(cmd, _, _)| cmd.is_closed()) {
                            listener = None;
                        }
                        // The one listening changes how they are heard.
                        if let Some(l) = listener.as_mut().filter(|l| l.staff == staff) {
                            l.mode = mode;
                            if let Some((cmd, _, _)) = &l.leg {
                                coach(mode, cmd, &media, agent.as_ref().map(|(_, leg)| leg));
                                ctx.brain.report(arrival, AcdReport::Coaching(staff, mode));
                            }
                            continue;
                        }
                        let route = crate::dial::phone_of(&ctx.core, &user);
                        match (route, &listener, q.bridged_to()) {
                            (Some(route), None, Some(_)) => {
                                listener = Some(Listener { staff, mode, leg: None });
                                let display = format!("Listen {display}");
                                ring(ctx, Rang::Listener, staff, route, display, call_over.clone(), &rung_tx);
                            }
                            _ => info!(staff, "cannot listen in now (no phone, someone listens, or nobody talks)"),
                        }
                        continue;
                    }
                    None => {
                        control_open = false;
                        continue;
                    }
                },
                () = async {
                    match grace {
                        Some(at) => tokio::time::sleep_until(at).await,
                        None => std::future::pending().await,
                    }
                } => {
                    grace = None;
                    lost = None;
                    QInput::GraceOver
                },
                () = tokio::time::sleep(std::time::Duration::from_millis(250)), if lost.is_some() => {
                    let back = lost.filter(|s| users.get(s).is_some_and(|u| crate::dial::phone_of(&ctx.core, u).is_some()));
                    match back {
                        Some(s) => {
                            lost = None;
                            QInput::AgentBack(s)
                        }
                        None => continue,
                    }
                },
                s = states.recv() => match s {
                    Some(DialogState::Terminated(..)) | None => {
                        heard = Some(Instant::now());
                        QInput::CallerHangup
                    }
                    Some(DialogState::Updated(_, req, handle)) => {
                        answer_reoffer(&mut session, &media, &req, handle).await;
                        continue;
                    }
                    Some(_) => continue,
                },
                e = media.events.recv() => match e {
                    Some(MediaEvent::PlayDone) => QInput::PromptsDone,
                    Some(MediaEvent::Digit(d)) => QInput::Digit(d),
                    Some(MediaEvent::Silent | MediaEvent::Gone) | None => {
                        heard = Some(Instant::now());
                        dialog.bye().await.ok();
                        QInput::CallerHangup
                    }
                },
                Some((rang, staff, r)) = rungs.recv() => match rang {
                    Rang::Listener => {
                        match (r, agent.as_ref()) {
                            (Ok(leg), Some((_, talking))) => {
                                leg.media.send(MediaCmd::Listen);
                                media.send(MediaCmd::Tap(Some(leg.media.feed.clone())));
                                talking.media.send(MediaCmd::Tap(Some(leg.media.side.clone())));
                                let mode = listener.as_ref().map_or(Coach::Listen, |l| l.mode);
                                coach(mode, &leg.media.cmd, &media, Some(talking));
                                let handles = (leg.media.cmd.clone(), leg.media.feed.clone(), leg.media.side.clone());
                                listener = Some(Listener { staff, mode, leg: Some(handles) });
                                ctx.brain.report(arrival, AcdReport::Listening(staff));
                                if mode != Coach::Listen {
                                    ctx.brain.report(arrival, AcdReport::Coaching(staff, mode));
                                }
                                let (core, over) = (ctx.core.clone(), call_over.clone());
                                tokio::spawn(async move {
                                    let mut leg = leg;
                                    tokio::select! {
                                        () = crate::dial::ended(&mut leg) => { leg.end(&core).await; }
                                        () = over.cancelled() => { leg.hang_up(&core).await; }
                                    }
                                });
                            }
                            (Ok(leg), None) => {
                                leg.hang_up(&ctx.core).await;
                                listener = None;
                            }
                            (Err(m), _) => {
                                debug!(staff, ?m, "the listener did not answer");
                                listener = None;
                            }
                        }
                        continue;
                    }
                    Rang::Colleague => {
                        let current = consult.as_ref().is_some_and(|c| c.staff == staff && c.leg.is_none());
                        match (r, &agent, current) {
                            (Ok(leg), Some((by, talking)), true) => {
                                consulting(&media, talking, &leg);
                                if let Some(c) = consult.as_mut() {
                                    c.leg = Some(leg);
                                }
                                ctx.brain.report(arrival, AcdReport::Consult { agent: *by, colleague: staff, step: ConsultStep::Talking });
                            }
                            (Ok(leg), _, _) => {
                                leg.hang_up(&ctx.core).await;
                            }
                            // Not reached: the agent is back with the caller.
                            (Err(m), _, _) => {
                                debug!(staff, ?m, "the consulted colleague did not answer");
                                if current {
                                    consult = None;
                                    if let Some((by, talking)) = &agent {
                                        rejoin(&media, talking, listener.as_ref());
                                        ctx.brain.report(arrival, AcdReport::Consult { agent: *by, colleague: staff, step: ConsultStep::Missed });
                                    }
                                }
                            }
                        }
                        continue;
                    }
                    Rang::Agent => {
                        dialling.remove(&staff);
                        match r {
                            Ok(leg) => {
                                answered.insert(staff, leg);
                                QInput::Answered(staff)
                            }
                            Err(m) => {
                                debug!(staff, ?m, "agent missed");
                                QInput::Missed(staff)
                            }
                        }
                    }
                },
                // The consulted colleague hangs up: the other two talk on.
                e = async {
                    match consult.as_mut().and_then(|c| c.leg.as_mut()) {
                        Some(leg) => crate::dial::next_event(leg).await,
                        None => std::future::pending().await,
                    }
                } => {
                    match e {
                        LegEvent::Ended | LegEvent::Lost => {
                            if let Some(c) = consult.take() {
                                Box::pin(consult_over(ctx, arrival, c, false, &media, agent.as_ref(), listener.as_ref())).await;
                            }
                        }
                        LegEvent::Refer(_, handle) => {
                            handle.reply(StatusCode::Forbidden).await.ok();
                        }
                    }
                    continue;
                },
                e = async {
                    match agent.as_mut() {
                        Some((_, leg)) => crate::dial::next_event(leg).await,
                        None => std::future::pending().await,
                    }
                } => match e {
                    LegEvent::Ended => {
                        heard = Some(Instant::now());
                        QInput::AgentHangup
                    }
                    // Lost, not hung up: the caller holds for the grace time.
                    LegEvent::Lost => {
                        lost = agent.as_ref().map(|(s, _)| *s);
                        QInput::AgentLost
                    }
                    LegEvent::Refer(r, handle) => {
                        let Some((by, leg)) = agent.as_ref() else { continue };
                        // An attended transfer while the desk consults
                        // someone else: one consultation at a time.
                        if r.replaces.is_some() && consult.is_some() {
                            handle.reply(StatusCode::Forbidden).await.ok();
                            continue;
                        }
                        let phone = users.get(by).map_or("", String::as_str);
                        // The colleague consulted from her phone, on the
                        // line already: taken as the transfer's answer
                        // (`QCmd::Dial` below), nothing rings again.
                        match Box::pin(refer(ctx, arrival, *by, phone, leg, r, handle)).await {
                            None => continue,
                            Some(taken) => {
                                if let Some((staff, leg)) = taken {
                                    consult = Some(Consulted { staff, stop: CancellationToken::new(), leg: Some(leg), conference: false });
                                }
                                // Let go of her leg now (the ACD's own
                                // `Transfer` comes stale): her phone hangs
                                // up once it hears the NOTIFY.
                                QInput::Transfer
                            }
                        }
                    }
                },
            },
        };
        let cmds = q.handle(input);
        if cmds.iter().any(|c| matches!(c, QCmd::Ended(_))) {
            ended_at = heard;
            call_ended(&media, &mut ended_at);
        }
        for cmd in cmds {
            match cmd {
                // A warm transfer completed: the colleague the agent
                // consulted is on the line already — their leg is taken as
                // the answer, nothing rings.
                QCmd::Dial(staff) if consult.as_ref().is_some_and(|c| c.staff == staff && c.leg.is_some()) => {
                    if let Some(leg) = consult.take().and_then(|c| c.leg) {
                        let (caller_tap, agent_tap) = Listener::taps(listener.as_ref());
                        media.send(MediaCmd::Tap(caller_tap));
                        leg.media.send(MediaCmd::Tap(agent_tap));
                        answered.insert(staff, leg);
                        pending.push(QInput::Answered(staff));
                    }
                }
                QCmd::Dial(staff) => {
                    let route = users.get(&staff).and_then(|u| crate::dial::phone_of(&ctx.core, u));
                    let Some(route) = route else {
                        info!(staff, "the agent's phone is not registered");
                        pending.push(QInput::Missed(staff));
                        continue;
                    };
                    let stop = CancellationToken::new();
                    dialling.insert(staff, stop.clone());
                    ring(ctx, Rang::Agent, staff, route, display.clone(), stop, &rung_tx);
                }
                QCmd::CancelDial(staff) => {
                    if let Some(t) = dialling.get(&staff) {
                        t.cancel();
                    }
                }
                QCmd::ByeLeg(staff) => {
                    if let Some(leg) = answered.remove(&staff) {
                        leg.hang_up(&ctx.core).await;
                    }
                }
                QCmd::Bridge(staff) => {
                    if let Some(leg) = answered.remove(&staff) {
                        media.send(MediaCmd::Bridge(Some(leg.media.feed.clone())));
                        leg.media.send(MediaCmd::Bridge(Some(media.feed.clone())));
                        // Someone listening hears the new agent too, and
                        // a coach is heard by the new agent.
                        if let Some(Listener { leg: Some((cmd, _, side)), mode, .. }) = &listener {
                            leg.media.send(MediaCmd::Tap(Some(side.clone())));
                            coach(*mode, cmd, &media, Some(&leg));
                        }
                        agent = Some((staff, leg));
                    }
                }
                QCmd::Play(names) => media.send(MediaCmd::Play(ctx.prompts(&arrival.lang, &names))),
                QCmd::Report(r) => ctx.brain.report(arrival, r),
                QCmd::ByeCaller => {
                    dialog.bye().await.ok();
                }
                // The hold music set at routing plays again by itself.
                QCmd::Unbridge => media.send(MediaCmd::Bridge(None)),
                QCmd::Grace => grace = Some(tokio::time::Instant::now() + ctx.cfg.lost_agent_grace),
                QCmd::ByeAgent => {
                    if let Some((staff, leg)) = agent.take() {
                        agent_leg_ended(staff, leg.hang_up(&ctx.core).await);
                    }
                }
                QCmd::Ended(e) => {
                    end = Some(match e {
                        QEnd::Answered => CallEnd::Answered,
                        QEnd::Abandoned => CallEnd::Abandoned,
                        QEnd::Overflowed => CallEnd::Overflowed,
                        QEnd::Callback => CallEnd::Callback,
                    })
                }
            }
        }
    }
    // Whatever still rings stops; an agent leg still up ends, and so does
    // a listener's.
    call_over.cancel();
    for t in dialling.values() {
        t.cancel();
    }
    if let Some(c) = consult.take() {
        c.stop.cancel();
        if let Some(leg) = c.leg {
            leg.hang_up(&ctx.core).await;
        }
    }
    if let Some((staff, leg)) = agent.take() {
        agent_leg_ended(staff, leg.end(&ctx.core).await);
    }
    for (_, leg) in answered.drain() {
        leg.hang_up(&ctx.core).await;
    }
    let stats = media.stop_at(ended_at.unwrap_or_else(Instant::now)).await;
    (end.unwrap_or(CallEnd::Abandoned), stats)
}

/// The agent's phone asks to put the caller through (REFER, RFC 3515):
/// 202 and a final NOTIFY when the product takes it (the ACD then sends
/// `Transfer`, which lets the agent's leg go), else 403 or 400. A blind
/// transfer names its target; an attended one (Replaces, RFC 3891) names
/// the internal call in which her phone (SIP user `phone`) consulted a
/// colleague — 481 when there is no such call of hers — and the
/// colleague's leg is taken from that call before the NOTIFY lets her
/// phone hang up. `None`: refused; else the colleague's leg, if taken.
async fn refer<B: Brain>(
    ctx: &Arc<Ctx<B>>,
    arrival: &Arrival,
    by: i64,
    phone: &str,
    leg: &Leg,
    r: crate::dial::Refer,
    handle: rsipstack::dialog::dialog::TransactionHandle,
) -> Option<Option<(i64, Leg)>> {
    let found = match &r.replaces {
        Some(replaces) => match ctx.internal.find(replaces, phone) {
            Some(found) => Some(found),
            None => {
                info!(by, call_id = %replaces.call_id, "an attended transfer names no consultation of this phone");
                handle.reply(StatusCode::CallTransactionDoesNotExist).await.ok();
                return None;
            }
        },
        None => None,
    };
    let Some(to) = found.as_ref().map(|f| f.colleague.user.clone()).or(r.to) else {
        handle.reply(StatusCode::BadRequest).await.ok();
        return None;
    };
    info!(by, %to, attended = found.is_some(), "transfer asked by the agent's phone");
    if !ctx.brain.transfer(arrival, by, &to).await {
        handle.reply(StatusCode::Forbidden).await.ok();
        return None;
    }
    let taken = match found {
        Some(found) => {
            let staff = found.colleague.staff;
            found.take().await.map(|leg| (staff, leg))
        }
        None => None,
    };
    handle.reply(StatusCode::Accepted).await.ok();
    // The 202 goes out from the transaction's own task; give it a moment so
    // that phones see it before the NOTIFY (RFC 3515 allows either order,
    // not every phone does).
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    if let Some(dialog) = leg.dialog() {
        if let Err(e) = dialog.notify_refer(StatusCode::OK, "terminated;reason=noresource").await {
            debug!(error = %e, "NOTIFY of the transfer");
        }
    }
    Some(taken)
}

/// The agent's side of a conversation, for the load figures: its RTP per
/// second is the bridge's media quality (the caller's leg also counts the
/// menu and the waiting).
fn agent_leg_ended(staff: i64, m: MediaStats) {
    info!(staff, rtp_in = m.packets_in, rtp_out = m.packets_out, ms = m.duration_ms, "agent leg ended");
}

/// Rings a staff member's phone for the call, in a task of its own: at
/// most as long as a phone rung for `rang` may ring, until `stop`; the leg (or why not) comes back on `to`
/// under their staff id. An agent offered the call, a listener and a
/// consulted colleague are all rung so.
fn ring<B: Brain>(
    ctx: &Ctx<B>,
    rang: Rang,
    staff: i64,
    route: crate::dial::Phone,
    display: String,
    stop: CancellationToken,
    to: &BoxedSender<Rung>,
) {
    let (core, to) = (ctx.core.clone(), to.clone());
    tokio::spawn(async move {
        let r = crate::dial::dial(&core, &route, &display, rang.limit(), None, &stop).await;
        let _ = to.send((rang, staff, r));
    });
}

/// A rung phone's leg (or why not), under why it was rung and the staff
/// id it was rung for. On a boxed channel: a channel keeps its messages
/// inline, 32 to a block allocated as it opens, and a leg is large —
/// unboxed, a call's three channels of these held 35 kB (heaptrack, issue
/// 17). One channel for the three reasons: each costs about 0.8 kB as it
/// opens, and a call rarely has a listener or a consultation.
type Rung = (Rang, i64, Result<Leg, Missed>);

/// Why a phone was rung for a call.
#[derive(Debug, Clone, Copy)]
enum Rang {
    /// To be offered the call.
    Agent,
    /// To listen in (or coach).
    Listener,
    /// To be consulted by the agent.
    Colleague,
}

impl Rang {
    /// How long a phone rung for this may ring.
    fn limit(self) -> std::time::Duration {
        match self {
            Rang::Agent => AGENT_RING_LIMIT,
            Rang::Listener => LISTEN_RING,
            Rang::Colleague => CONSULT_RING,
        }
    }
}

/// Who listens in to a call: their staff id, how they are to be heard,
/// and — once their phone answered — their leg's commands and second input.
struct Listener {
    staff: i64,
    mode: Coach,
    /// Its commands, `feed` (the caller's sound goes there) and `side` (the
    /// agent's).
    leg: Option<(crate::media::Commands, AudioIn, AudioIn)>,
}

/// Where a leg takes audio to send: its `feed` or `side`.
type AudioIn = crate::media::Feed;

impl Listener {
    /// Where the caller's and the agent's legs copy their sound for the one
    /// listening (nowhere when nobody listens).
    fn taps(l: Option<&Listener>) -> (Option<AudioIn>, Option<AudioIn>) {
        match l.and_then(|l| l.leg.as_ref()) {
            Some((_, feed, side)) => (Some(feed.clone()), Some(side.clone())),
            None => (None, None),
        }
    }
}

/// The colleague an agent consults: their staff id, what stops their phone
/// ringing, their leg once answered, and whether the caller has joined.
struct Consulted {
    staff: i64,
    stop: CancellationToken,
    leg: Option<Leg>,
    conference: bool,
}

/// The consulted colleague leaves — let go by us (`bye`) or hung up: the
/// caller and the agent talk on, and the agent's desk hears it.
async fn consult_over<B: Brain>(
    ctx: &Ctx<B>,
    arrival: &Arrival,
    c: Consulted,
    bye: bool,
    caller: &Media,
    agent: Option<&(i64, Leg)>,
    listener: Option<&Listener>,
) {
    c.stop.cancel();
    match (c.leg, bye) {
        (Some(leg), true) => {
            leg.hang_up(&ctx.core).await;
        }
        (Some(leg), false) => {
            leg.end(&ctx.core).await;
        }
        (None, _) => {}
    }
    if let Some((by, talking)) = agent {
        rejoin(caller, talking, listener);
        ctx.brain.report(arrival, AcdReport::Consult { agent: *by, colleague: c.staff, step: ConsultStep::Ended });
    }
}

/// The caller and the agent hear each other only (again): after a
/// consultation or a conference. One listening in still hears both.
fn rejoin(caller: &Media, agent: &Leg, listener: Option<&Listener>) {
    let (caller_tap, agent_tap) = Listener::taps(listener);
    caller.send(MediaCmd::Bridge(Some(agent.media.feed.clone())));
    caller.send(MediaCmd::Tap(caller_tap));
    agent.media.send(MediaCmd::Bridge(Some(caller.feed.clone())));
    agent.media.send(MediaCmd::Tap(agent_tap));
}

/// The caller holds (its hold music plays) while the agent and the
/// colleague talk.
fn consulting(caller: &Media, agent: &Leg, colleague: &Leg) {
    caller.send(MediaCmd::Bridge(None));
    agent.media.send(MediaCmd::Bridge(Some(colleague.media.feed.clone())));
    colleague.media.send(MediaCmd::Bridge(Some(agent.media.feed.clone())));
}

/// A conference of three in the relay: each leg sends the mix of its two
/// inputs, which are the other two parties — the caller's `feed` is the
/// agent and its `side` the colleague, the agent's `feed` the caller and
/// its `side` the colleague, the colleague's `feed` the caller and its
/// `side` the agent. The caller's leg records what it sends, so the
/// recording has all three. (The caller's and the agent's taps serve the
/// conference then: one listening in hears no more of it.)
fn conference(caller: &Media, agent: &Leg, colleague: &Leg) {
    caller.send(MediaCmd::Bridge(Some(agent.media.feed.clone())));
    caller.send(MediaCmd::Tap(Some(colleague.media.feed.clone())));
    agent.media.send(MediaCmd::Bridge(Some(caller.feed.clone())));
    agent.media.send(MediaCmd::Tap(Some(colleague.media.side.clone())));
    colleague.media.send(MediaCmd::Bridge(Some(caller.side.clone())));
    colleague.media.send(MediaCmd::Tap(Some(agent.media.side.clone())));
}

/// Where the one listening in is heard (CC-13): nowhere, by the agent only
/// (what their phone picks up goes to the agent leg's second input), or by
/// both (and to the caller leg's second input). Each leg mixes its two
/// inputs, so nobody's own voice comes back to them.
fn coach(mode: Coach, listener: &crate::media::Commands, caller: &Media, agent: Option<&Leg>) {
    let agent_side = agent.map(|leg| leg.media.side.clone());
    let (tap, bridge) = match mode {
        Coach::Listen => (None, None),
        Coach::Whisper => (agent_side, None),
        Coach::Barge => (agent_side, Some(caller.side.clone())),
    };
    listener.send(MediaCmd::Tap(tap));
    listener.send(MediaCmd::Bridge(bridge));
}

/// How long a consulted colleague's phone may ring.
const CONSULT_RING: std::time::Duration = std::time::Duration::from_secs(20);

/// How long a listener's phone may ring.
const LISTEN_RING: std::time::Duration = std::time::Duration::from_secs(30);

/// How long an agent's phone may ring at most; the ACD's own ring timeout
/// (which stops it earlier) governs.
const AGENT_RING_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

/// 400 ms of 1 kHz: "done".
fn beep() -> Audio {
    (0..3200)
        .map(|i| ((f64::from(i) * 2.0 * std::f64::consts::PI / 8.0).sin() * 6000.0) as i16)
        .collect::<Vec<_>>()
        .into()
}
