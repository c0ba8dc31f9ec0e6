#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Waits for one AudioHook session (Genesys Cloud, or any AudioHook client)
# and records it to a WAV file: stereo when the client offers both parties
# (left = customer, right = agent or bot), else mono.
#
#   pipelines/record-call.sh OUT.wav [PORT] [genesyssrc properties ...]
#   pipelines/record-call.sh call.wav 9000 api-key=K client-secret=S
#
# Uses the plugin from ./build when it is there.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: record-call.sh OUT.wav [PORT] [properties ...]}
port=${2:-9000}
[ $# -ge 2 ] && shift 2 || shift $#
if [ -d "$top/build/gst/genesys" ]; then
  GST_PLUGIN_PATH="$top/build/gst/genesys${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
  export GST_PLUGIN_PATH
fi
# The caps filter makes the source choose PCMU among the offers.
exec gst-launch-1.0 -e genesyssrc port="$port" "$@" \
  ! audio/x-mulaw ! mulawdec ! audioconvert ! wavenc ! filesink location="$out"
