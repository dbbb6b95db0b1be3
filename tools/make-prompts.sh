#!/usr/bin/env bash
# Makes the demo IVR prompts once, with espeak-ng and sox (Debian packages
# espeak-ng and sox), as 8 kHz mono 16-bit WAV files under
# crates/call/prompts/<language>/. The files are committed; run this only to
# change the texts.
set -euo pipefail
cd "$(dirname "$0")/.."
out=crates/call/prompts
say() { # language voice name text
    mkdir -p "$out/$1"
    espeak-ng -v "$2" -s 150 -w /tmp/prompt.wav "$4"
    sox /tmp/prompt.wav -r 8000 -c 1 -b 16 "$out/$1/$3.wav"
}
say en en main-menu "Welcome. For an order, press 1. For information on products, prices and delivery, press 2. For a complaint, press 3. For anything else, press 0."
say en en invalid-choice "Sorry, that is not a choice."
say en en closed "We are closed now. Please call again during working hours."
say en en please-wait "All our operators are busy. Please stay on the line."
say en en callback-offer "To be called back without losing your place, press 1."
say en en callback-confirmed "Thank you. We will call you back."
say en en position "You are number"
say en en wait-time "Your estimated waiting time is about"
say en en minutes "minutes"
say en en under-a-minute "less than a minute"
say en en more-than "more than"
say en en busy-later "All our operators are still busy. Please call again later."
for n in 1 2 3 4 5 6 7 8 9 10; do say en en "n$n" "$n"; done
say bs bs main-menu "Dobrodošli. Za narudžbu pritisnite 1. Za informacije o artiklima, cijenama i isporuci pritisnite 2. Za reklamaciju pritisnite 3. Za sve ostalo pritisnite 0."
say bs bs invalid-choice "Žao nam je, taj izbor ne postoji."
say bs bs closed "Trenutno ne radimo. Molimo nazovite ponovo u radno vrijeme."
say bs bs please-wait "Svi operateri su zauzeti. Molimo ostanite na vezi."
say bs bs callback-offer "Da vas nazovemo bez gubitka mjesta u redu, pritisnite 1."
say bs bs callback-confirmed "Hvala. Nazvat ćemo vas."
say bs bs position "Vi ste po redu"
say bs bs wait-time "Procijenjeno vrijeme čekanja je oko"
say bs bs minutes "minuta"
say bs bs under-a-minute "manje od minute"
say bs bs more-than "više od"
say bs bs busy-later "Svi operateri su i dalje zauzeti. Molimo nazovite kasnije."
for n in 1 2 3 4 5 6 7 8 9 10; do say bs bs "n$n" "$n"; done
rm -f /tmp/prompt.wav
