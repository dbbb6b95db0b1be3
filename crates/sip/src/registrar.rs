//! The registrar's rules (RFC 3261 §10, digest per RFC 2617/8760 with MD5),
//! pure: time comes in as seconds, nonces come in from the caller.
//!
//! Passwords are never stored: a SIP account keeps HA1 = MD5(user:realm:
//! password), which is all the digest scheme needs to check a response.
//! rsipstack's own `verify_digest` wants the clear password, so the check is
//! ours (a few lines over `md-5`).
//!
//! A source address that fails authentication [`MAX_FAILURES`] times within
//! [`FAILURE_WINDOW`] seconds is refused for [`BLOCK_FOR`] seconds.

use md5::{Digest, Md5};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

pub const MAX_FAILURES: u32 = 5;
pub const FAILURE_WINDOW: u64 = 60;
pub const BLOCK_FOR: u64 = 300;
/// How long a nonce may be answered (then `stale=true`: the phone asks
/// again with the same password, unseen by the user).
pub const NONCE_LIFETIME: u64 = 120;
pub const DEFAULT_EXPIRES: u32 = 3600;
pub const MIN_EXPIRES: u32 = 60;
pub const MAX_EXPIRES: u32 = 7200;
/// Contacts kept per account (the oldest goes when a new one comes).
pub const MAX_CONTACTS: usize = 5;

fn md5_hex(s: &str) -> String {
    hex::encode(Md5::digest(s.as_bytes()))
}

/// HA1 of an account: what is stored instead of the password.
pub fn ha1(username: &str, realm: &str, password: &str) -> String {
    md5_hex(&format!("{username}:{realm}:{password}"))
}

/// What a client sent in its Authorization header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestAnswer {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    /// The `uri` parameter exactly as sent.
    pub uri: String,
    pub response: String,
    /// `(nc, cnonce)` when `qop=auth`.
    pub qop_auth: Option<(String, String)>,
}

/// The response a client knowing the password computes (RFC 2617 §3.2.2.1).
pub fn expected_response(ha1: &str, method: &str, a: &DigestAnswer) -> String {
    let ha2 = md5_hex(&format!("{method}:{}", a.uri));
    match &a.qop_auth {
        Some((nc, cnonce)) => md5_hex(&format!("{ha1}:{}:{nc}:{cnonce}:auth:{ha2}", a.nonce)),
        None => md5_hex(&format!("{ha1}:{}:{ha2}", a.nonce)),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Too many failures from this address: 403 until it passes.
    Blocked,
    /// No answer, an unknown nonce, or an answer seen before (a replay:
    /// a nonce without `qop` is good once, with `qop` each `nc` must be
    /// higher than the last): challenge again, 401.
    Challenge,
    /// A right answer to a nonce that has expired: 401 with `stale=true`.
    Stale,
    /// Wrong user, realm or response: 403.
    Wrong,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The Contact URI the phone registered.
    pub contact: String,
    /// Where the REGISTER came from (symmetric response routing, NAT).
    pub source: SocketAddr,
    pub expires_at: u64,
}

#[derive(Debug, Default)]
struct Failures {
    count: u32,
    since: u64,
    blocked_until: u64,
}

/// A nonce we issued: when, and what of it was used.
#[derive(Debug, Clone, Copy)]
struct Nonce {
    issued: u64,
    /// The highest `nc` accepted with it (`qop=auth`).
    last_nc: Option<u32>,
    /// Answered once without `qop`: used up.
    used: bool,
}

#[derive(Debug)]
pub struct Registrar {
    pub realm: String,
    nonces: HashMap<String, Nonce>,
    bindings: HashMap<String, Vec<Binding>>,
    failures: HashMap<IpAddr, Failures>,
    /// Users whose account requires SRTP, as of their last REGISTER.
    srtp: std::collections::HashSet<String>,
}

impl Registrar {
    pub fn new(realm: impl Into<String>) -> Registrar {
        Registrar {
            realm: realm.into(),
            nonces: HashMap::new(),
            bindings: HashMap::new(),
            failures: HashMap::new(),
            srtp: Default::default(),
        }
    }

    /// Notes whether `user`'s account requires SRTP (at each REGISTER, and
    /// for the registrations restored at start).
    pub fn require_srtp(&mut self, user: &str, required: bool) {
        if required {
            self.srtp.insert(user.to_owned());
        } else {
            self.srtp.remove(user);
        }
    }

    /// Whether calls to `user`'s phone must be encrypted.
    pub fn requires_srtp(&self, user: &str) -> bool {
        self.srtp.contains(user)
    }

    /// Is this address refused right now?
    pub fn is_blocked(&self, now: u64, ip: IpAddr) -> bool {
        self.failures.get(&ip).is_some_and(|f| f.blocked_until > now)
    }

    /// Remembers a fresh nonce for a challenge.
    pub fn issue(&mut self, now: u64, nonce: String) {
        self.nonces.retain(|_, n| now.saturating_sub(n.issued) < NONCE_LIFETIME);
        self.nonces.insert(nonce, Nonce { issued: now, last_nc: None, used: false });
    }

    /// Checks an answer to a challenge. `ha1` is the account's (None when
    /// there is no such account: that counts as a failure, like a wrong
    /// password, so accounts cannot be probed).
    pub fn check(
        &mut self,
        now: u64,
        ip: IpAddr,
        method: &str,
        answer: Option<&DigestAnswer>,
        ha1: Option<&str>,
    ) -> Result<(), Refused> {
        if self.is_blocked(now, ip) {
            return Err(Refused::Blocked);
        }
        let Some(a) = answer else { return Err(Refused::Challenge) };
        let Some(nonce) = self.nonces.get(&a.nonce).copied() else { return Err(Refused::Challenge) };
        let ok = a.realm == self.realm && ha1.is_some_and(|h| expected_response(h, method, a) == a.response);
        if ok {
            if now.saturating_sub(nonce.issued) >= NONCE_LIFETIME {
                self.nonces.remove(&a.nonce);
                return Err(Refused::Stale);
            }
            // A captured request sent again carries the same nonce and nc.
            let replay = match &a.qop_auth {
                Some((nc, _)) => match u32::from_str_radix(nc, 16) {
                    Ok(nc) if nonce.last_nc.is_none_or(|last| nc > last) => {
                        self.nonces.insert(a.nonce.clone(), Nonce { last_nc: Some(nc), ..nonce });
                        false
                    }
                    _ => true,
                },
                None if nonce.used => true,
                None => {
                    self.nonces.insert(a.nonce.clone(), Nonce { used: true, ..nonce });
                    false
                }
            };
            if replay {
                return Err(Refused::Challenge);
            }
            self.failures.remove(&ip);
            return Ok(());
        }
        let f = self.failures.entry(ip).or_default();
        if now.saturating_sub(f.since) >= FAILURE_WINDOW {
            *f = Failures { count: 0, since: now, blocked_until: 0 };
        }
        f.count += 1;
        if f.count >= MAX_FAILURES {
            f.blocked_until = now + BLOCK_FOR;
        }
        Err(Refused::Wrong)
    }

    /// The expiry granted for what the phone asked (RFC 3261 §10.3 step 7:
    /// too short is refused with 423; too long is shortened).
    pub fn grant(asked: Option<u32>) -> Result<u32, u32> {
        match asked.unwrap_or(DEFAULT_EXPIRES) {
            0 => Ok(0),
            s if s < MIN_EXPIRES => Err(MIN_EXPIRES),
            s => Ok(s.min(MAX_EXPIRES)),
        }
    }

    /// Adds or refreshes a contact; `expires == 0` removes it.
    pub fn bind(&mut self, now: u64, user: &str, contact: &str, source: SocketAddr, expires: u32) {
        let list = self.bindings.entry(user.to_owned()).or_default();
        list.retain(|b| b.contact != contact && b.expires_at > now);
        if expires > 0 {
            if list.len() >= MAX_CONTACTS {
                list.remove(0);
            }
            list.push(Binding { contact: contact.to_owned(), source, expires_at: now + u64::from(expires) });
        }
    }

    /// Removes every contact of `user` (`Contact: *` with `Expires: 0`).
    pub fn unbind_all(&mut self, user: &str) {
        self.bindings.remove(user);
    }

    /// The live contacts of `user`, oldest first.
    pub fn contacts(&self, now: u64, user: &str) -> Vec<Binding> {
        self.bindings.get(user).map(|l| l.iter().filter(|b| b.expires_at > now).cloned().collect()).unwrap_or_default()
    }

    /// Forgets expired contacts (run now and then).
    pub fn sweep(&mut self, now: u64) {
        self.bindings.retain(|_, l| {
            l.retain(|b| b.expires_at > now);
            !l.is_empty()
        });
        self.failures.retain(|_, f| f.blocked_until > now || now.saturating_sub(f.since) < FAILURE_WINDOW);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    fn answer(password: &str, nonce: &str, qop: bool) -> DigestAnswer {
        let mut a = DigestAnswer {
            username: "demo-101".into(),
            realm: "centrala".into(),
            nonce: nonce.into(),
            uri: "sip:127.0.0.1:5060".into(),
            response: String::new(),
            qop_auth: qop.then(|| ("00000001".into(), "abc".into())),
        };
        a.response = expected_response(&ha1("demo-101", "centrala", password), "REGISTER", &a);
        a
    }

    #[test]
    fn the_rfc_2617_example_response() {
        // RFC 2617 §3.5: Mufasa / Circle Of Life, qop=auth.
        let h = ha1("Mufasa", "testrealm@host.com", "Circle Of Life");
        let a = DigestAnswer {
            username: "Mufasa".into(),
            realm: "testrealm@host.com".into(),
            nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093".into(),
            uri: "/dir/index.html".into(),
            response: String::new(),
            qop_auth: Some(("00000001".into(), "0a4f113b".into())),
        };
        assert_eq!(expected_response(&h, "GET", &a), "6629fae49393a05397450978507c4ef1");
    }

    /// A captured REGISTER sent again (from anywhere) is refused: a nonce
    /// without qop answers once; with qop each nc must rise. (Before, the
    /// same request was accepted for five minutes.)
    #[test]
    fn a_replayed_answer_is_refused() {
        let mut r = Registrar::new("centrala");
        let h = ha1("demo-101", "centrala", "s3cret");
        let other: IpAddr = "192.0.2.7".parse().unwrap();
        r.issue(0, "once".into());
        let plain = answer("s3cret", "once", false);
        assert_eq!(r.check(1, IP, "REGISTER", Some(&plain), Some(&h)), Ok(()));
        assert_eq!(r.check(2, other, "REGISTER", Some(&plain), Some(&h)), Err(Refused::Challenge));
        r.issue(0, "counted".into());
        let with_nc = |nc: &str| {
            let mut a = answer("s3cret", "counted", true);
            a.qop_auth = Some((nc.into(), "abc".into()));
            a.response = expected_response(&h, "REGISTER", &a);
            a
        };
        assert_eq!(r.check(1, IP, "REGISTER", Some(&with_nc("00000001")), Some(&h)), Ok(()));
        assert_eq!(r.check(2, other, "REGISTER", Some(&with_nc("00000001")), Some(&h)), Err(Refused::Challenge));
        assert_eq!(r.check(3, IP, "REGISTER", Some(&with_nc("00000002")), Some(&h)), Ok(()), "the phone's next nc");
        assert_eq!(r.check(4, IP, "REGISTER", Some(&with_nc("00000002")), Some(&h)), Err(Refused::Challenge));
        assert_eq!(r.check(5, IP, "REGISTER", Some(&with_nc("0000000x")), Some(&h)), Err(Refused::Challenge));
        // Replays are not password failures: the address is not blocked.
        assert!(!r.is_blocked(6, other));
    }

    #[test]
    fn a_right_answer_passes_and_a_wrong_one_does_not() {
        let mut r = Registrar::new("centrala");
        let h = ha1("demo-101", "centrala", "s3cret");
        assert_eq!(r.check(0, IP, "REGISTER", None, Some(&h)), Err(Refused::Challenge));
        for (nonce, qop) in [("n0", false), ("n1", true)] {
            r.issue(0, nonce.into());
            assert_eq!(r.check(1, IP, "REGISTER", Some(&answer("guess", nonce, qop)), Some(&h)), Err(Refused::Wrong));
            assert_eq!(r.check(1, IP, "REGISTER", Some(&answer("s3cret", nonce, qop)), Some(&h)), Ok(()));
        }
        r.issue(0, "n1".into());
        // No such account is a failure too; an unknown or stale nonce re-challenges.
        assert_eq!(r.check(1, IP, "REGISTER", Some(&answer("s3cret", "n1", false)), None), Err(Refused::Wrong));
        assert_eq!(r.check(1, IP, "REGISTER", Some(&answer("s3cret", "n2", false)), Some(&h)), Err(Refused::Challenge));
        assert_eq!(
            r.check(NONCE_LIFETIME + 1, IP, "REGISTER", Some(&answer("s3cret", "n1", false)), Some(&h)),
            Err(Refused::Stale),
            "a right answer to an expired nonce is stale"
        );
        r.issue(2, "n1".into());
        // The method is part of the digest.
        assert_eq!(r.check(2, IP, "INVITE", Some(&answer("s3cret", "n1", false)), Some(&h)), Err(Refused::Wrong));
    }

    #[test]
    fn repeated_failures_block_the_address_for_a_while() {
        let mut r = Registrar::new("centrala");
        let h = ha1("demo-101", "centrala", "s3cret");
        r.issue(0, "n".into());
        for i in 0..MAX_FAILURES {
            assert_eq!(
                r.check(u64::from(i), IP, "REGISTER", Some(&answer("x", "n", false)), Some(&h)),
                Err(Refused::Wrong)
            );
        }
        // Even the right password is refused while blocked.
        assert_eq!(r.check(10, IP, "REGISTER", Some(&answer("s3cret", "n", false)), Some(&h)), Err(Refused::Blocked));
        let other: IpAddr = "127.0.0.2".parse().unwrap();
        assert_eq!(r.check(10, other, "REGISTER", Some(&answer("s3cret", "n", false)), Some(&h)), Ok(()));
        r.issue(4 + BLOCK_FOR, "m".into());
        assert_eq!(r.check(4 + BLOCK_FOR, IP, "REGISTER", Some(&answer("s3cret", "m", false)), Some(&h)), Ok(()));
        // Failures spread out over more than the window never block.
        let mut r = Registrar::new("centrala");
        for i in 0..20u64 {
            r.issue(i * FAILURE_WINDOW, format!("n{i}"));
            let a = answer("x", &format!("n{i}"), false);
            assert_eq!(r.check(i * FAILURE_WINDOW, IP, "REGISTER", Some(&a), Some(&h)), Err(Refused::Wrong));
        }
        assert!(!r.is_blocked(20 * FAILURE_WINDOW, IP));
    }

    #[test]
    fn bindings_expire_refresh_and_are_bounded() {
        let mut r = Registrar::new("centrala");
        let src: SocketAddr = "127.0.0.1:5070".parse().unwrap();
        r.bind(0, "u", "sip:u@127.0.0.1:5070", src, 60);
        r.bind(10, "u", "sip:u@127.0.0.1:5072", src, 120);
        assert_eq!(r.contacts(30, "u").len(), 2);
        assert_eq!(
            r.contacts(61, "u").iter().map(|b| b.contact.as_str()).collect::<Vec<_>>(),
            ["sip:u@127.0.0.1:5072"]
        );
        r.bind(100, "u", "sip:u@127.0.0.1:5072", src, 0);
        assert!(r.contacts(100, "u").is_empty());
        for i in 0..8 {
            r.bind(200, "u", &format!("sip:u@127.0.0.1:{}", 6000 + i), src, 60);
        }
        let live = r.contacts(200, "u");
        assert_eq!(live.len(), MAX_CONTACTS);
        assert_eq!(live[0].contact, "sip:u@127.0.0.1:6003", "the oldest went");
        r.unbind_all("u");
        assert!(r.contacts(200, "u").is_empty());
        assert_eq!(Registrar::grant(None), Ok(DEFAULT_EXPIRES));
        assert_eq!(Registrar::grant(Some(10)), Err(MIN_EXPIRES));
        assert_eq!(Registrar::grant(Some(0)), Ok(0));
        assert_eq!(Registrar::grant(Some(99_999)), Ok(MAX_EXPIRES));
    }
}
