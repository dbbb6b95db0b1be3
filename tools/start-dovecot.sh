#!/usr/bin/env bash
# Starts Debian's dovecot as a loopback-only IMAP server for the e-mail
# tests, beside tools/start-postfix.sh (run that first): the local users
# `support` and `secure` (companies' mailboxes), `client` and `buyer` (clients'), whose mail
# postfix delivers to /var/mail/<user>, are read over IMAP on
# 127.0.0.1:143 with the passwords `<user>-pw` — in plain text, or after
# STARTTLS — and on 127.0.0.1:993 over TLS, with a certificate for
# `localhost` from a test CA made here (/etc/dovecot/centrala-test-ca.pem,
# which the tests name in CENTRALA_TEST_IMAP_CA). Loopback only, for tests.
# Run as root; idempotent (a running dovecot is reloaded).
set -euo pipefail
conf=/etc/dovecot/centrala-test.conf
ca=/etc/dovecot/centrala-test-ca.pem
if [ ! -s "$ca" ] || [ ! -s /etc/dovecot/centrala-test-cert.pem ]; then
    work=$(mktemp -d)
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Centrala test CA" \
        -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$work/key.pem" -out "$work/req.pem" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$work/ext"
    openssl x509 -req -in "$work/req.pem" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days 3650 \
        -extfile "$work/ext" -out "$work/cert.pem" 2>/dev/null
    install -m 644 "$work/cert.pem" /etc/dovecot/centrala-test-cert.pem
    install -m 600 "$work/key.pem" /etc/dovecot/centrala-test-key.pem
    install -m 644 "$work/ca.pem" "$ca"
    rm -rf "$work"
fi
for u in support client buyer secure; do
    id "$u" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$u"
    touch "/var/mail/$u" && chown "$u:mail" "/var/mail/$u" && chmod 660 "/var/mail/$u"
    install -d -o "$u" -g mail -m 700 "/var/lib/centrala-mail/$u"
done
{
    for u in support client buyer secure; do
        echo "$u:{PLAIN}$u-pw:$(id -u "$u"):$(id -g "$u")::/var/lib/centrala-mail/$u::"
    done
} > /etc/dovecot/centrala-test.passwd
chown root:dovecot /etc/dovecot/centrala-test.passwd && chmod 640 /etc/dovecot/centrala-test.passwd
cat > "$conf" <<CONF
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = </etc/dovecot/centrala-test-cert.pem
ssl_key = </etc/dovecot/centrala-test-key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = mbox:~/mail:INBOX=/var/mail/%u
mail_privileged_group = mail
first_valid_uid = 1
base_dir = /run/dovecot-centrala
log_path = /var/log/dovecot-centrala.log
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u /etc/dovecot/centrala-test.passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u /etc/dovecot/centrala-test.passwd
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = 143
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = 993
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
}
CONF
if (exec 3<>/dev/tcp/127.0.0.1/143) 2>/dev/null; then
    doveadm -c "$conf" reload
    sleep 1
else
    dovecot -c "$conf"
fi
for _ in $(seq 1 30); do
    (exec 3<>/dev/tcp/127.0.0.1/143) 2>/dev/null && break
    sleep 1
done
(exec 3<>/dev/tcp/127.0.0.1/143) 2>/dev/null || { echo "dovecot does not answer on 127.0.0.1:143" >&2; tail -20 /var/log/dovecot-centrala.log >&2; exit 1; }
for _ in $(seq 1 30); do
    (exec 3<>/dev/tcp/127.0.0.1/993) 2>/dev/null && break
    sleep 1
done
echo "dovecot: 127.0.0.1:143 (plain or STARTTLS) and :993 (TLS; CA $ca), support@, client@ and buyer@localhost (password: <user>-pw)"
