#!/usr/bin/env bash
# Starts Debian's postfix as a loopback-only mail server for the e-mail
# tests: it accepts mail on 127.0.0.1:25 for the local user `heads`
# (heads@localhost) and delivers it to /var/mail/heads, which the tests
# read back. Run as root; idempotent.
set -euo pipefail
id heads >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin heads
postconf -e \
    "inet_interfaces = loopback-only" \
    "inet_protocols = ipv4" \
    "mydestination = localhost, localhost.localdomain" \
    "myhostname = localhost" \
    "mynetworks = 127.0.0.0/8" \
    "relayhost =" \
    "smtpd_relay_restrictions = permit_mynetworks, reject" \
    "compatibility_level = 3.6"
newaliases
if ! postfix status >/dev/null 2>&1; then
    postfix start >/dev/null 2>&1 || true
fi
for _ in $(seq 1 30); do
    (exec 3<>/dev/tcp/127.0.0.1/25) 2>/dev/null && break
    sleep 1
done
(exec 3<>/dev/tcp/127.0.0.1/25) 2>/dev/null || { echo "postfix does not answer on 127.0.0.1:25" >&2; exit 1; }
touch /var/mail/heads && chown heads:mail /var/mail/heads && chmod 660 /var/mail/heads
echo "postfix: 127.0.0.1:25, mail for heads@localhost in /var/mail/heads"
