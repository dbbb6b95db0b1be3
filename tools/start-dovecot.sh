#!/usr/bin/env bash
# Starts Debian's dovecot as a loopback-only IMAP server for the e-mail
# tests, beside tools/start-postfix.sh (run that first): the local users
# `support` (a company's mailbox), `client` and `buyer` (clients'), whose mail
# postfix delivers to /var/mail/<user>, are read over IMAP on
# 127.0.0.1:143 with the passwords `<user>-pw`. Plain
# text on loopback only, for tests. Run as root; idempotent.
set -euo pipefail
conf=/etc/dovecot/centrala-test.conf
for u in support client buyer; do
    id "$u" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$u"
    touch "/var/mail/$u" && chown "$u:mail" "/var/mail/$u" && chmod 660 "/var/mail/$u"
    install -d -o "$u" -g mail -m 700 "/var/lib/centrala-mail/$u"
done
{
    for u in support client buyer; do
        echo "$u:{PLAIN}$u-pw:$(id -u "$u"):$(id -g "$u")::/var/lib/centrala-mail/$u::"
    done
} > /etc/dovecot/centrala-test.passwd
chown root:dovecot /etc/dovecot/centrala-test.passwd && chmod 640 /etc/dovecot/centrala-test.passwd
cat > "$conf" <<CONF
protocols = imap
listen = 127.0.0.1
ssl = no
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
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
}
CONF
if ! doveadm -c "$conf" service status >/dev/null 2>&1 && ! (exec 3<>/dev/tcp/127.0.0.1/143) 2>/dev/null; then
    dovecot -c "$conf"
fi
for _ in $(seq 1 30); do
    (exec 3<>/dev/tcp/127.0.0.1/143) 2>/dev/null && break
    sleep 1
done
(exec 3<>/dev/tcp/127.0.0.1/143) 2>/dev/null || { echo "dovecot does not answer on 127.0.0.1:143" >&2; tail -20 /var/log/dovecot-centrala.log >&2; exit 1; }
echo "dovecot: 127.0.0.1:143, support@, client@ and buyer@localhost (password: <user>-pw)"
