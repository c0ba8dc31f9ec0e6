# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by bench-scale.sh and soak.sh: $top must be the source tree.

# npm `ws` for the Node tools (from tests/interop's lock file) and enough file
# descriptors for a thousand sockets per process.
bench_setup () {
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n 20000 2>/dev/null
  (cd "$top/tests/interop" && [ -d node_modules/ws ] || npm ci --no-audit --no-fund --loglevel=error) >&2
}

# A TCP port free on 127.0.0.1 right now.
free_port () {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# wait_port PORT PID [TENTHS]: until PORT accepts connections (fails when PID
# ends first, or after TENTHS tenths of a second, default 200).
wait_port () {
  local i
  for i in $(seq "${3:-200}"); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# stop_pid PID [TENTHS]: SIGINT, then SIGKILL after TENTHS tenths of a second
# (default 100); returns the process's exit status.
stop_pid () {
  local i
  kill -INT "$1" 2>/dev/null
  for i in $(seq "${2:-100}"); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$1" 2>/dev/null && { echo "process $1 did not stop after SIGINT: killed" >&2; kill -KILL "$1"; }
  wait "$1"
}
