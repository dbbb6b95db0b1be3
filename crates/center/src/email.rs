//! E-mail's runtime (issue "Every channel in one queue", item 3): each
//! company's mailbox is read over IMAP (async-imap) — IDLE while the
//! server has it, a poll otherwise — and each message is parsed by a real
//! MIME parser (mail-parser). A message that answers one of a
//! conversation's joins it (`centrala_desk::email::thread_of`); any other
//! begins one, an interaction of channel `email` that waits in the
//! company's e-mail queue for an operator. A message is kept, with the
//! mailbox's mark past it, in one transaction: nothing is lost, nothing is
//! taken twice. A mailbox that fails (down, a refused login) is marked so,
//! with the reason, and tried again with backoff; other companies' are not
//! touched. Replies go out through the outbox with their threading
//! headers.

use crate::{Center, CenterError, CenterResult};
use centrala_acd::Channel;
use centrala_desk::email::{bare, keep, thread_of, Keep};
use centrala_domain::{CompanyId, InteractionId};
use centrala_store::email::{Attachment, Inbound, Mailbox, TakenIn};
use centrala_store::interactions::StoryKind;
use futures::StreamExt;
use mail_parser::MimeHeaders;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

/// How long one IMAP exchange may take before the server counts as down.
const EXCHANGE: Duration = Duration::from_secs(30);
/// How often a mailbox without IDLE is read; how long an IDLE lasts at most.
const POLL: Duration = Duration::from_secs(30);
const IDLE: Duration = Duration::from_secs(5 * 60);
/// The most attachments kept of one message.
const MAX_ATTACHMENTS: usize = 20;

/// Why reading a mailbox failed, worded for the admin page by its code
/// (`unreachable`, `tls`, `login`, `folder`, `protocol`, `password`).
fn failure(code: &str, detail: impl std::fmt::Display) -> CenterError {
    CenterError::Unavailable { code: "mailbox_failing", message: format!("{code}: {detail}") }
}

/// The mailbox's password, from its environment variable or its file.
fn password(m: &Mailbox) -> CenterResult<String> {
    if !m.password_env.is_empty() {
        return std::env::var(&m.password_env)
            .map_err(|_| failure("password", format!("the environment variable {} is not set", m.password_env)));
    }
    if !m.password_file.is_empty() {
        return std::fs::read_to_string(&m.password_file)
            .map(|p| p.trim_end_matches(['\r', '\n']).to_owned())
            .map_err(|e| failure("password", format!("{}: {e}", m.password_file)));
    }
    Err(failure("password", "neither a password variable nor a password file is set"))
}

async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> CenterResult<T> {
    tokio::time::timeout(EXCHANGE, f).await.map_err(|_| failure("unreachable", format!("{what}: no answer in time")))
}

/// A message's parts as kept: its ids, addresses, subject, text and
/// attachments, parsed by mail-parser; `headers_only` when only its
/// headers were fetched (over the size limit).
pub fn parse(raw: &[u8], fallback_id: &str, headers_only: bool, limit: u64) -> Inbound {
    let Some(msg) = mail_parser::MessageParser::default().parse(raw) else {
        return Inbound {
            message_id: fallback_id.to_owned(),
            note: "unreadable".into(),
            body: String::from_utf8_lossy(raw).chars().take(10_000).collect(),
            ..Inbound::default()
        };
    };
    let list = |v: &mail_parser::HeaderValue| -> Vec<String> {
        v.as_text_list().map(|l| l.iter().map(|s| bare(s).to_owned()).collect()).unwrap_or_default()
    };
    let address = |a: Option<&mail_parser::Address>| {
        a.and_then(|a| a.first()).and_then(|a| a.address()).map(str::to_owned).unwrap_or_default()
    };
    let mut attachments = Vec::new();
    for part in msg.attachments().take(MAX_ATTACHMENTS) {
        let content_type = part
            .content_type()
            .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("octet-stream")))
            .unwrap_or_else(|| "application/octet-stream".into());
        let name = part.attachment_name().unwrap_or("attachment").chars().take(200).collect();
        attachments.push(Attachment { name, content_type, data: part.contents().to_vec() });
    }
    let in_reply_to = list(msg.in_reply_to());
    Inbound {
        message_id: msg
            .message_id()
            .map(|m| bare(m).to_owned())
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| fallback_id.to_owned()),
        in_reply_to: in_reply_to.first().cloned().unwrap_or_default(),
        refs: list(msg.references()),
        from: address(msg.from()),
        to: address(msg.to()),
        subject: msg.subject().unwrap_or_default().chars().take(500).collect(),
        body: if headers_only { String::new() } else { msg.body_text(0).map(|b| b.into_owned()).unwrap_or_default() },
        note: if headers_only { format!("over_limit:{limit}") } else { String::new() },
        attachments: if headers_only { Vec::new() } else { attachments },
    }
}

/// TLS over `tcp` to the mailbox's server: its certificate checked against
/// the public roots and, when named, the company's own CA file.
async fn tls(
    m: &Mailbox,
    tcp: tokio::net::TcpStream,
) -> CenterResult<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
    use tokio_rustls::rustls::pki_types::{pem::PemObject, CertificateDer, ServerName};
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if !m.imap_ca_file.is_empty() {
        let pem = std::fs::read(&m.imap_ca_file).map_err(|e| failure("tls", format!("{}: {e}", m.imap_ca_file)))?;
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(&pem) {
            let cert = cert.map_err(|e| failure("tls", format!("{}: {e}", m.imap_ca_file)))?;
            roots.add(cert).map_err(|e| failure("tls", format!("{}: {e}", m.imap_ca_file)))?;
            added += 1;
        }
        if added == 0 {
            return Err(failure("tls", format!("{}: no certificate in the file", m.imap_ca_file)));
        }
    }
    let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| failure("tls", e))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = ServerName::try_from(m.imap_host.clone()).map_err(|e| failure("tls", e))?;
    within("tls", tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp))
        .await?
        .map_err(|e| failure("tls", e))
}

/// Which companies' mailboxes are being watched.
#[derive(Default)]
pub struct Watchers(Mutex<HashSet<CompanyId>>);

impl Center {
    /// Reads the company's mailbox once: the messages that came since the
    /// last reading are taken in. Returns how many were; the mailbox's
    /// state says how the reading went.
    pub async fn check_mail(&self, company: CompanyId) -> CenterResult<usize> {
        let s = self.company(company);
        let m = s.mailbox().await?.ok_or(CenterError::NotFound("mailbox"))?;
        let outcome = self.read_mailbox(company, &m, false).await;
        s.mailbox_checked(outcome.as_ref().err().map(ToString::to_string).as_deref()).await?;
        outcome
    }

    /// Connects (plain, STARTTLS or TLS), logs in, and reads; with
    /// `watch`, stays and reads again at each change the server tells of
    /// (IDLE) or each poll, until an error.
    async fn read_mailbox(&self, company: CompanyId, m: &Mailbox, watch: bool) -> CenterResult<usize> {
        let tcp = within("connect", tokio::net::TcpStream::connect((m.imap_host.as_str(), m.imap_port)))
            .await?
            .map_err(|e| failure("unreachable", e))?;
        match m.imap_tls.as_str() {
            "tls" => {
                let tls = tls(m, tcp).await?;
                self.session(company, m, async_imap::Client::new(tls), true, watch).await
            }
            "starttls" => {
                // RFC 3501 §6.2.1: the greeting and STARTTLS in the clear,
                // then TLS; no second greeting, nothing sent before is
                // trusted (the capabilities are asked again, inside).
                let mut client = async_imap::Client::new(tcp);
                within("greeting", client.read_response()).await?.map_err(|e| failure("unreachable", e))?;
                within("starttls", client.run_command_and_check_ok("STARTTLS", None))
                    .await?
                    .map_err(|e| failure("tls", format!("the server refused STARTTLS: {e}")))?;
                let tls = tls(m, client.into_inner()).await?;
                self.session(company, m, async_imap::Client::new(tls), false, watch).await
            }
            _ => self.session(company, m, async_imap::Client::new(tcp), true, watch).await,
        }
    }

    async fn session<T>(
        &self,
        company: CompanyId,
        m: &Mailbox,
        mut client: async_imap::Client<T>,
        greeting: bool,
        watch: bool,
    ) -> CenterResult<usize>
    where
        T: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
    {
        if greeting {
            within("greeting", client.read_response()).await?.map_err(|e| failure("unreachable", e))?;
        }
        let pass = password(m)?;
        let mut session =
            within("login", client.login(&m.username, &pass)).await?.map_err(|(e, _)| failure("login", e))?;
        let idle = within("capabilities", session.capabilities()).await?.map(|c| c.has_str("IDLE")).unwrap_or(false);
        let mut taken = 0;
        loop {
            taken += self.read_new(company, &mut session).await?;
            if !watch {
                let _ = within("logout", session.logout()).await;
                return Ok(taken);
            }
            if idle {
                let mut handle = session.idle();
                within("idle", handle.init()).await?.map_err(|e| failure("protocol", e))?;
                let (wait, _stop) = handle.wait_with_timeout(IDLE);
                wait.await.map_err(|e| failure("protocol", e))?;
                session = within("idle done", handle.done()).await?.map_err(|e| failure("protocol", e))?;
            } else {
                tokio::time::sleep(POLL).await;
                // A NOOP lets the server tell of new messages.
                within("noop", session.noop()).await?.map_err(|e| failure("protocol", e))?;
            }
        }
    }

    /// Takes in the folder's messages past the mailbox's mark.
    async fn read_new<T>(&self, company: CompanyId, session: &mut async_imap::Session<T>) -> CenterResult<usize>
    where
        T: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
    {
        let s = self.company(company);
        let m = s.mailbox().await?.ok_or(CenterError::NotFound("mailbox"))?;
        let folder = within("select", session.select(&m.folder)).await?.map_err(|e| failure("folder", e))?;
        let validity = folder.uid_validity.unwrap_or(0);
        let mut last = m.last_uid;
        if validity != m.uid_validity {
            s.mailbox_validity(validity).await?;
            last = 0;
        }
        // "n:*" names the last message even when its UID is below n.
        let sizes: Vec<(u32, u32)> = {
            let stream =
                within("fetch", session.uid_fetch(format!("{}:*", last.saturating_add(1)), "(UID RFC822.SIZE)"))
                    .await?
                    .map_err(|e| failure("protocol", e))?;
            let all: Vec<_> = within("fetch", stream.collect::<Vec<_>>()).await?;
            all.into_iter().filter_map(|f| f.ok()).filter_map(|f| Some((f.uid?, f.size.unwrap_or(0)))).collect()
        };
        let mut taken = 0;
        for (uid, size) in sizes.into_iter().filter(|(uid, _)| *uid > last) {
            let whole = keep(u64::from(size), m.max_bytes) == Keep::Whole;
            let query = if whole { "(UID BODY.PEEK[])" } else { "(UID BODY.PEEK[HEADER])" };
            let raw: Vec<u8> = {
                let stream = within("fetch", session.uid_fetch(uid.to_string(), query))
                    .await?
                    .map_err(|e| failure("protocol", e))?;
                let all: Vec<_> = within("fetch", stream.collect::<Vec<_>>()).await?;
                all.into_iter()
                    .filter_map(|f| f.ok())
                    .find_map(|f| if whole { f.body().map(<[u8]>::to_vec) } else { f.header().map(<[u8]>::to_vec) })
                    .unwrap_or_default()
            };
            let fallback = format!("{uid}.{validity}@{}.imap.invalid", m.username);
            let inbound = parse(&raw, &fallback, !whole, m.max_bytes);
            self.take_in(company, &inbound, uid).await?;
            taken += 1;
        }
        Ok(taken)
    }

    /// Keeps one message and routes it: a new conversation joins the
    /// e-mail queue; an answer to a closed one brings it back; an answer to
    /// one an operator holds is shown to them.
    async fn take_in(&self, company: CompanyId, m: &Inbound, uid: u32) -> CenterResult<()> {
        let s = self.company(company);
        let mut ids: Vec<String> = Some(m.in_reply_to.clone()).into_iter().filter(|x| !x.is_empty()).collect();
        ids.extend(m.refs.iter().cloned());
        let mut found = std::collections::HashMap::new();
        for id in &ids {
            if let Some(i) = s.email_thread(id).await? {
                found.insert(id.clone(), i.0);
            }
        }
        let in_reply_to: Vec<String> = (!m.in_reply_to.is_empty()).then(|| m.in_reply_to.clone()).into_iter().collect();
        let thread = thread_of(&in_reply_to, &m.refs, |id| found.get(id).copied()).map(InteractionId);
        let before = match thread {
            Some(i) => s.interaction(i).await?,
            None => None,
        };
        let client = match s.client_by_email(&m.from).await? {
            Some(c) => Some(c.id),
            None => None,
        };
        match s.take_email(m, thread, client, uid).await? {
            TakenIn::Again => {}
            TakenIn::New(id) => {
                s.add_interaction_event(id, StoryKind::Queued, None, crate::acd::channel_queue(Channel::Email)).await?;
                self.acd.arrive_media(company, id, Channel::Email).await;
                tracing::info!(company = company.0, interaction = id.0, from = %m.from, "an e-mail began a conversation");
            }
            TakenIn::Joined(id) => {
                let closed = before.as_ref().is_none_or(|i| i.ended_at.is_some());
                if closed {
                    s.add_interaction_event(id, StoryKind::Queued, None, crate::acd::channel_queue(Channel::Email))
                        .await?;
                    self.acd.arrive_media(company, id, Channel::Email).await;
                } else if let Some(staff) = before.and_then(|i| i.handled_by) {
                    self.events.publish(crate::bus::Event {
                        company,
                        staff: vec![staff],
                        roles: Vec::new(),
                        kind: "email_message",
                        data: serde_json::json!({ "interaction": id.0 }),
                    });
                }
                tracing::info!(company = company.0, interaction = id.0, "an e-mail joined its conversation");
            }
        }
        Ok(())
    }

    /// Watches every company's mailbox, each in its own task (started at
    /// once and for a mailbox set later): a failing one is marked so and
    /// tried again with backoff, up to 15 minutes apart.
    pub async fn watch_mailboxes(self, watchers: Arc<Watchers>) {
        loop {
            if let Ok(companies) = self.store.companies().await {
                for c in companies {
                    let has = matches!(self.company(c.id).mailbox().await, Ok(Some(_)));
                    let new = has && watchers.0.lock().is_ok_and(|mut w| w.insert(c.id));
                    if new {
                        tokio::spawn(self.clone().watch(c.id, watchers.clone()));
                    }
                }
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn watch(self, company: CompanyId, watchers: Arc<Watchers>) {
        let mut failures = 0u32;
        loop {
            let s = self.company(company);
            let Ok(Some(m)) = s.mailbox().await else { break };
            let outcome = self.read_mailbox(company, &m, true).await;
            let error = outcome.err().map(|e| e.to_string());
            if let Some(e) = &error {
                tracing::warn!(company = company.0, error = %e, "reading the company's mailbox failed");
                failures = failures.saturating_add(1);
            } else {
                failures = 0;
            }
            let _ = s.mailbox_checked(error.as_deref()).await;
            let wait = POLL.saturating_mul(2u32.saturating_pow(failures.min(5))).min(Duration::from_secs(900));
            tokio::time::sleep(wait).await;
        }
        if let Ok(mut w) = watchers.0.lock() {
            w.remove(&company);
        }
    }
}

/// An e-mail conversation as the desk reads it.
#[derive(Debug, Clone)]
pub struct Conversation {
    pub interaction: centrala_store::interactions::Interaction,
    pub messages: Vec<centrala_store::email::EmailMessage>,
}

impl Center {
    /// A conversation of the company's, with its messages.
    pub async fn conversation(&self, company: CompanyId, id: InteractionId) -> CenterResult<Conversation> {
        let s = self.company(company);
        let interaction =
            s.interaction(id).await?.filter(|i| i.channel == "email").ok_or(CenterError::NotFound("e-mail"))?;
        Ok(Conversation { messages: s.email_messages(id).await?, interaction })
    }

    /// An operator takes the e-mail offered to them; false when it is not
    /// (or no longer) theirs to take.
    pub async fn take_email(
        &self,
        company: CompanyId,
        staff: centrala_domain::StaffId,
        id: InteractionId,
    ) -> CenterResult<bool> {
        self.conversation(company, id).await?;
        if !self.acd.take(id, staff).await {
            return Ok(false);
        }
        let s = self.company(company);
        s.answer_interaction(id, staff, None).await?;
        s.add_interaction_event(id, StoryKind::Answered, Some(staff), "").await?;
        Ok(true)
    }

    /// The operator who holds the conversation answers its last message
    /// from the client: kept, and sent from the company's address through
    /// the outbox with the thread's headers, so the client's mail program
    /// shows it in the same thread and the client's answer comes back to it.
    pub async fn reply_email(
        &self,
        company: CompanyId,
        staff: centrala_domain::StaffId,
        id: InteractionId,
        text: &str,
    ) -> CenterResult<centrala_store::email::EmailMessage> {
        let c = self.held(company, staff, id).await?;
        let s = self.company(company);
        let m = s.mailbox().await?.ok_or(CenterError::NotFound("mailbox"))?;
        let parent = c
            .messages
            .iter()
            .rev()
            .find(|x| x.direction == "in")
            .ok_or_else(|| CenterError::Invalid("the conversation has no message to answer".into()))?;
        let (in_reply_to, refs) = centrala_desk::email::reply_references(&parent.message_id, &parent.refs);
        let unique = {
            use rand::RngCore;
            let mut b = [0u8; 12];
            rand::thread_rng().fill_bytes(&mut b);
            format!("{}.{}", hex::encode(b), id.0)
        };
        let message_id = centrala_desk::email::message_id(&unique, &m.address);
        let subject = centrala_desk::email::reply_subject(&parent.subject);
        let reply = centrala_store::email::Reply {
            message_id: &message_id,
            in_reply_to: &in_reply_to,
            refs: &refs,
            from: &m.address,
            to: &parent.from,
            subject: &subject,
            body: text,
        };
        s.send_email_reply(id, staff, &reply).await?;
        let sent = s.email_messages(id).await?.into_iter().rev().find(|x| x.message_id == message_id);
        sent.ok_or_else(|| CenterError::Invalid("the reply was not kept".into()))
    }

    /// The operator closes the conversation: the ACD frees their room.
    pub async fn close_email(
        &self,
        company: CompanyId,
        staff: centrala_domain::StaffId,
        id: InteractionId,
    ) -> CenterResult<()> {
        self.held(company, staff, id).await?;
        self.acd.close(id, staff).await;
        self.company(company).end_interaction(id, centrala_store::interactions::Disposition::Answered).await?;
        Ok(())
    }

    async fn held(
        &self,
        company: CompanyId,
        staff: centrala_domain::StaffId,
        id: InteractionId,
    ) -> CenterResult<Conversation> {
        let c = self.conversation(company, id).await?;
        if c.interaction.handled_by != Some(staff) {
            return Err(CenterError::conflict("not_your_email", "this e-mail is not yours"));
        }
        if c.interaction.ended_at.is_some() {
            return Err(CenterError::conflict("email_closed", "this e-mail conversation is closed"));
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "From: <bomb@example.com>\r\nTo: <support@localhost>\r\nSubject: Bomb\r\nMessage-ID: <b@x>\r\nMIME-Version: 1.0\r\n";

    /// A message of 5,000 parts keeps its text and the first 20 files.
    #[test]
    fn a_message_of_thousands_of_parts_keeps_twenty() {
        let mut raw = format!("{HEAD}Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nHello.\r\n");
        for n in 0..5_000 {
            raw.push_str(&format!(
                "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"f{n}.bin\"\r\n\r\nx\r\n"
            ));
        }
        raw.push_str("--b--\r\n");
        let m = parse(raw.as_bytes(), "fallback@x", false, 25 << 20);
        assert_eq!((m.message_id.as_str(), m.body.trim(), m.attachments.len()), ("b@x", "Hello.", MAX_ATTACHMENTS));
        assert_eq!(m.attachments[0].name, "f0.bin");
    }

    /// Multiparts nested thousands deep neither overflow the stack nor
    /// lose the message: its headers are kept.
    #[test]
    fn multiparts_nested_thousands_deep_are_kept_without_a_crash() {
        let depth = 5_000;
        let mut raw = String::from(HEAD);
        for n in 0..depth {
            raw.push_str(&format!("Content-Type: multipart/mixed; boundary=\"b{n}\"\r\n\r\n--b{n}\r\n"));
        }
        raw.push_str("Content-Type: text/plain\r\n\r\ndeep\r\n");
        for n in (0..depth).rev() {
            raw.push_str(&format!("--b{n}--\r\n"));
        }
        let m = parse(raw.as_bytes(), "fallback@x", false, 25 << 20);
        assert_eq!((m.from.as_str(), m.subject.as_str()), ("bomb@example.com", "Bomb"));
    }
}
