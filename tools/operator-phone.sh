#!/usr/bin/env bash
# An operator's phone for the demo in one command: baresip, registered to a
# running Centrala as a demo staff member's SIP account (op.ana is 203,
# password demo), with only the G.711 codecs loaded (what Centrala speaks:
# 8 kHz, so the sound card is opened at 8 kHz too), your sound
# card for the headset, calls answered by pressing `a` (or automatically
# with AUTO=1), hung up with `b`. Then make op.ana ready on the desk
# (http://127.0.0.1:8080/desk) and place a call: tools/call-demo.sh.
#
#   tools/operator-phone.sh [USER] [PASSWORD]
#   HOST=127.0.0.1:5060  Centrala's SIP address
#   DIR=~/.centrala-phone-USER  where the configuration is written
#   AUDIO=alsa,default  the sound device (pulse,…; or aufile,FILE.wav to
#                        speak a file and AUDIO_OUT=aufile,HEARD.wav to keep
#                        what is heard, for a try without a sound card)
#
# Needs baresip (Debian: baresip-core, plus baresip-alsa or -pulse for a
# sound card).
set -euo pipefail
USER_ID=${1:-203}
PASSWORD=${2:-demo}
HOST=${HOST:-127.0.0.1:5060}
DIR=${DIR:-$HOME/.centrala-phone-$USER_ID}
AUDIO=${AUDIO:-alsa,default}
AUDIO_OUT=${AUDIO_OUT:-$AUDIO}
AUTO=${AUTO:-0}
command -v baresip >/dev/null || { echo "baresip is missing: apt-get install baresip-core" >&2; exit 1; }
mkdir -p "$DIR"
MODULE=${AUDIO%%,*}
cat > "$DIR/config" <<CONF
poll_method epoll
sip_listen 127.0.0.1:0
net_interface 127.0.0.1
module_path /usr/lib/baresip/modules
module g711.so
module $MODULE.so
module stdio.so
module_app account.so
module_app menu.so
audio_player $AUDIO_OUT
audio_source $AUDIO
audio_alert $AUDIO_OUT
CONF
echo "<sip:$USER_ID@$HOST>;auth_pass=$PASSWORD;answermode=$([ "$AUTO" = 1 ] && echo auto || echo manual);regint=300;audio_codecs=PCMA,PCMU" \
    > "$DIR/accounts"
echo "Phone $USER_ID registers to $HOST (configuration in $DIR); press a to answer, b to hang up, q to quit."
exec baresip -f "$DIR"
