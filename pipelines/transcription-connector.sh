#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A Transcription Connector on Debian's pocketsphinx: gst-genesys-serve runs
# one pipeline per call whose genesystranscript sends the recogniser's
# results (partial and final) as `transcript` events on the call's session.
# Runs until SIGINT or SIGTERM (then drains: calls in progress go on until
# they end, at most 60 s).
#
#   pipelines/transcription-connector.sh --port P --api-key K --client-secret S
#       [--tls-cert FILE --tls-key FILE] [--stereo] [-- gst-genesys-serve options]
#
# Mono (the default) transcribes the external party (the customer); with
# --stereo both parties, one recogniser each (channelId as negotiated).
# Uses the plugin and gst-genesys-serve from ./build (or
# $GST_GENESYS_BUILD_DIR) when they are there.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)

usage () {
  echo "usage: transcription-connector.sh --port P --api-key K --client-secret S [--tls-cert F --tls-key F] [--stereo] [-- serve options]" >&2
  exit 2
}

port="" key="" secret="" cert="" tlskey="" stereo=0
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port=${2:?}; shift 2 ;;
    --api-key) key=${2:?}; shift 2 ;;
    --client-secret) secret=${2?}; shift 2 ;;
    --tls-cert) cert=${2:?}; shift 2 ;;
    --tls-key) tlskey=${2:?}; shift 2 ;;
    --stereo) stereo=1; shift ;;
    --) shift; break ;;
    -h|--help) usage ;;
    *) echo "transcription-connector.sh: unknown option $1" >&2; usage ;;
  esac
done
[ -n "$port" ] && [ -n "$key" ] || usage
if { [ -n "$cert" ] && [ -z "$tlskey" ]; } || { [ -z "$cert" ] && [ -n "$tlskey" ]; }; then
  echo "transcription-connector.sh: --tls-cert and --tls-key go together" >&2; exit 2
fi

serve=gst-genesys-serve
build=${GST_GENESYS_BUILD_DIR:-$top/build}
if [ -x "$build/tools/gst-genesys-serve" ]; then
  serve="$build/tools/gst-genesys-serve"
  GST_PLUGIN_PATH="$build/gst/genesys${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
  export GST_PLUGIN_PATH
fi
gst-inspect-1.0 pocketsphinx >/dev/null 2>&1 || {
  echo "transcription-connector.sh: no pocketsphinx element (apt-get install gstreamer1.0-pocketsphinx pocketsphinx-en-us)" >&2
  exit 1; }

# pocketsphinx's en-us model wants 16 kHz S16LE mono. Each call's transcripts
# and its genesyssrc share the session by a name unique to the call.
to16k="audioconvert ! audioresample ! audio/x-raw,format=S16LE,rate=16000,channels=1"
name="transcribe-{session-id}"
if [ $stereo -eq 1 ]; then
  template="genesyssrc session-name=$name ! audio/x-mulaw,channels=2 ! mulawdec ! deinterleave name=d \
 d.src_0 ! queue ! $to16k ! genesystranscript session-name=$name channel=0 recognizer=pocketsphinx \
 d.src_1 ! queue ! $to16k ! genesystranscript session-name=$name channel=1 recognizer=pocketsphinx"
else
  template="genesyssrc session-name=$name ! audio/x-mulaw,channels=1 ! mulawdec ! $to16k \
 ! genesystranscript session-name=$name recognizer=pocketsphinx"
fi

set -- --port "$port" --api-key "$key" --client-secret "$secret" "$@"
[ -z "$cert" ] || set -- --tls-cert "$cert" --tls-key "$tlskey" "$@"
exec "$serve" "$@" -- "$template"
