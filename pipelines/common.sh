# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by the example pipeline scripts: sourced, not run.
# Expects $top (the repository) and $out (the output folder) to be set.

# Installs what is missing, builds, and points GStreamer at the plugin.
setup () {
  build="$top/build"
  "$top/.ci/install-deps"
  [ -f "$build/build.ninja" ] || meson setup "$build" "$top" >/dev/null
  ninja -C "$build" >/dev/null
  GST_PLUGIN_PATH="$build/gst/genesys"
  export GST_PLUGIN_PATH
}

# say FILE TEXT: TEXT spoken by espeak-ng into $out/FILE, 8 kHz mono S16.
say () {
  espeak-ng -w "$out/say-22k.wav" "$2" 2>/dev/null
  gst-launch-1.0 -q filesrc location="$out/say-22k.wav" ! wavparse ! audioconvert ! \
    audioresample ! audio/x-raw,format=S16LE,rate=8000,channels=1 ! \
    wavenc ! filesink location="$out/$1"
  rm -f "$out/say-22k.wav"
}

# A TCP port that was free a moment ago.
free_port () {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# wait_for PID LOG PATTERN: until LOG has PATTERN; fails when PID exits
# first or after 10 s.
wait_for () {
  _i=0
  until grep -q "$3" "$2" 2>/dev/null; do
    _i=$((_i + 1))
    if [ $_i -gt 200 ] || ! kill -0 "$1" 2>/dev/null; then
      cat "$2" >&2
      kill "$1" 2>/dev/null || true
      return 1
    fi
    sleep 0.05
  done
}

# field FILE KEY: the value of KEY=value in FILE (values without spaces).
field () {
  sed -n "s/.* $2=\([^ ]*\).*/\1/p; s/^$2=\([^ ]*\).*/\1/p" "$1"
}

# wavmatch ARGS: runs pipelines/wavmatch.py; matched KEY then gives the
# values it printed.
wavmatch () {
  python3 "$top/pipelines/wavmatch.py" "$@" >"$out/wavmatch.txt"
}
matched () {
  field "$out/wavmatch.txt" "$1"
}
