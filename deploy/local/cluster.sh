#!/bin/bash
# deploy/local/cluster.sh: a gst-genesys-serve cluster on this machine, on
# loopback: redis-server (the session registry), N instances and HAProxy in
# front of them, configured from deploy/haproxy.cfg. Everything runs in the
# background; state, pids, logs and recordings are in one directory.
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   cluster.sh start N [TEMPLATE]   start, wait until every instance is ready
#                                   and up in HAProxy, print the front URL
#                                   and the outputs directory
#   cluster.sh restart-rolling      drain and restart each instance in turn
#   cluster.sh status               the processes and what /ready answers
#   cluster.sh stop                 stop everything that start started
#
# TEMPLATE is the launch template; @OUTPUTS@ in it stands for the outputs
# directory. Default: genesyssrc gap-mode=silence ! filesink
# location=@OUTPUTS@/{session-id}-{segment}-{start-position}.raw
#
# Environment:
#   GST_GENESYS_CLUSTER_DIR  state directory (default
#                            $XDG_RUNTIME_DIR/gst-genesys-cluster, or
#                            /tmp/gst-genesys-cluster)
#   BUILDDIR                 build directory holding tools/gst-genesys-serve
#                            (default: build in this tree); without one,
#                            gst-genesys-serve from PATH
#   REGISTRY                 1 (default): --registry and --instance (and
#                            --relay-key, a random one in relay.key in the
#                            state directory, when the server has it); 0:
#                            the instances run without a registry
#   DRAIN_TIMEOUT            the instances' --drain-timeout (default 60)
#   SERVE_ARGS               more gst-genesys-serve options (split on spaces)
#   AUDIOHOOK_API_KEY, AUDIOHOOK_CLIENT_SECRET
#                            the credentials (default: key "local-cluster"
#                            and a random secret); start writes them to
#                            credentials.json (for the instances) and
#                            client.env (for clients) in the state directory

# The upper-case variables (ports, names, settings) come from cluster.env.
# shellcheck disable=SC2153
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
state=${GST_GENESYS_CLUSTER_DIR:-${XDG_RUNTIME_DIR:-/tmp}/gst-genesys-cluster}
haproxy_cfg="$top/deploy/haproxy.cfg"
ws_path=/api/v1/audiohook/ws

die () {
  echo "cluster.sh: $*" >&2
  exit 1
}

note () {
  echo "cluster.sh: $*" >&2
}

now () {
  date +%s.%N
}

# elapsed T0 [T1]: seconds from T0 to T1 (default now), one decimal
elapsed () {
  awk -v a="$1" -v b="${2:-$(now)}" 'BEGIN { printf "%.1f", b - a }'
}

# Installs the Debian packages whose programs are missing.
install_missing () {
  missing=""
  for pair in redis-server:redis-server haproxy:haproxy curl:curl \
      setsid:util-linux ss:iproute2; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing="$missing ${pair#*:}"
  done
  [ -z "$missing" ] && return 0
  note "installing:$missing"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq >&2 || die "apt-get update failed"
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
    --no-install-recommends $missing >&2 || die "apt-get install failed"
  # Only the programs are wanted: a service the packages started goes.
  if [ -d /run/systemd/system ]; then
    for s in redis-server haproxy; do
      case " $missing " in
        *" $s "*) $sudo systemctl disable --now "$s" >/dev/null 2>&1 ;;
      esac
    done
  fi
}

# Sets serve (the program) and plugin_path (empty when installed).
find_serve () {
  builddir=${BUILDDIR:-build}
  case "$builddir" in /*) ;; *) builddir="$top/$builddir" ;; esac
  if [ -x "$builddir/tools/gst-genesys-serve" ]; then
    serve="$builddir/tools/gst-genesys-serve"
    plugin_path="$builddir/gst/genesys"
  elif [ -n "${BUILDDIR:-}" ]; then
    die "no tools/gst-genesys-serve in BUILDDIR $builddir"
  elif command -v gst-genesys-serve >/dev/null 2>&1; then
    serve=$(command -v gst-genesys-serve)
    plugin_path=""
  else
    die "gst-genesys-serve not found: build it (meson setup build &&" \
      "ninja -C build) or set BUILDDIR, or put it on PATH"
  fi
}

# free_port VAR: sets VAR to a TCP port that no socket on this machine
# uses, below the ephemeral range, and not one of $taken.
free_port () {
  local p i
  for i in $(seq 200); do
    p=$((20000 + RANDOM % 12000))
    case " $taken " in *" $p "*) continue ;; esac
    if [ -z "$(ss -Htan "( sport = :$p )" 2>/dev/null)" ]; then
      taken="$taken $p"
      eval "$1=$p"
      return 0
    fi
  done
  die "no free port found"
}

# var NAME: the value of the variable called NAME
var () {
  eval "echo \"\${$1}\""
}

# start time of process PID (field 22 of /proc/PID/stat); fails when
# there is no such process or it has exited (a zombie)
start_time () {
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) }
  # shellcheck disable=SC2086
  set -- $s
  [ "$1" != Z ] && [ "$1" != X ] || return 1
  echo "${20}"
}

# pid_of NAME: the pid recorded for NAME if that process still runs
pid_of () {
  local pid st
  [ -f "$state/$1.pid" ] || return 1
  read -r pid st <"$state/$1.pid" || return 1
  [ -n "$pid" ] && [ "$(start_time "$pid")" = "$st" ] || return 1
  echo "$pid"
}

# launch NAME COMMAND...: runs it in its own session, output to NAME.log
launch () {
  local name=$1 pid
  shift
  setsid "$@" >>"$state/$name.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid $(start_time "$pid")" >"$state/$name.pid"
}

# wait_gone NAME SECONDS: until NAME's process has exited
wait_gone () {
  local i=0
  while pid_of "$1" >/dev/null; do
    i=$((i + 1))
    [ $i -gt $(($2 * 10)) ] && return 1
    sleep 0.1
  done
}

# signal NAME SIGNAL: sends SIGNAL to NAME's process if it runs
signal () {
  local pid
  pid=$(pid_of "$1") && kill "-$2" "$pid" 2>/dev/null
}

# finish NAME WAIT: waits WAIT s for NAME's process to exit, then sends
# SIGTERM (for gst-genesys-serve a second one: stop now) and after 2 s
# SIGKILL
finish () {
  wait_gone "$1" "$2" && return 0
  signal "$1" TERM
  wait_gone "$1" 2 && return 0
  signal "$1" KILL
  wait_gone "$1" 2
}

log_tail () {
  note "last lines of $state/$1.log:"
  tail -n 15 "$state/$1.log" >&2 2>/dev/null
}

http_code () {
  curl -s -o /dev/null -m 2 -w '%{http_code}' "$1" 2>/dev/null
}

# haproxy_status NAME: HAProxy's status of server NAME and its last check,
# e.g. "UP L7OK", "DOWN L7STS", "DOWN 1/2 L7OK"
haproxy_status () {
  curl -s -m 2 "http://127.0.0.1:$STATS_PORT/stats;csv" 2>/dev/null |
    awk -F, -v b="$BACKEND" -v s="$1" '
      NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
      $1 == b && $2 == s { print $c["status"], $c["check_status"]; exit }'
}

# wait_until SECONDS COMMAND...: polls COMMAND every 0.1 s until it
# succeeds; fails after SECONDS or when COMMAND returns 2
wait_until () {
  local limit=$(($1 * 10)) i=0 rc
  shift
  while :; do
    "$@"
    rc=$?
    [ $rc = 0 ] && return 0
    [ $rc = 2 ] && return 1
    i=$((i + 1))
    [ $i -gt $limit ] && return 1
    sleep 0.1
  done
}

is_ready () {
  pid_of "$1" >/dev/null || return 2
  [ "$(http_code "http://127.0.0.1:$(var "HEALTH_$1")/ready")" = 200 ]
}

is_up () {
  [ "$(haproxy_status "$1")" = "UP L7OK" ]
}

is_down () {
  case "$(haproxy_status "$1")" in DOWN*|MAINT*) return 0 ;; esac
  return 1
}

redis_answers () {
  if command -v redis-cli >/dev/null 2>&1; then
    [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT" && printf 'PING\r\n' >&3 &&
      head -c 5 <&3 | grep -q PONG) 2>/dev/null
  fi
}

front_answers () {
  pid_of haproxy >/dev/null || return 2
  [ "$(http_code "http://127.0.0.1:$FRONT_PORT/")" != 000 ]
}

load_state () {
  [ -f "$state/cluster.env" ] || die "no cluster in $state"
  # shellcheck disable=SC1091
  . "$state/cluster.env"
  [ -n "$PLUGIN_PATH" ] && export GST_PLUGIN_PATH="$PLUGIN_PATH"
}

# start_instance NAME: gst-genesys-serve with the ports in the state
start_instance () {
  local name=$1 args
  args=(--address 127.0.0.1 --port "$(var "PORT_$name")"
    --health-port "$(var "HEALTH_$name")" --log-format json
    --credentials "$state/credentials.json" --drain-timeout "$DRAIN_TIMEOUT")
  if [ "$REGISTRY" = 1 ]; then
    args+=(--registry "redis://127.0.0.1:$REDIS_PORT" --instance "$name")
    [ -f "$state/relay.key" ] && args+=(--relay-key "$state/relay.key")
  fi
  # shellcheck disable=SC2206
  [ -n "$SERVE_ARGS" ] && args+=($SERVE_ARGS)
  launch "$name" "$SERVE" "${args[@]}" -- "$TEMPLATE"
}

# The configuration from deploy/haproxy.cfg with this cluster's servers.
write_haproxy_cfg () {
  local name servers="$state/haproxy-servers.cfg"
  if ! grep -q '# servers: begin' "$haproxy_cfg" ||
      ! grep -q '# servers: end' "$haproxy_cfg"; then
    die "$haproxy_cfg has no '# servers: begin' / '# servers: end' lines"
  fi
  : >"$servers"
  for name in $INSTANCES; do
    echo "    server $name 127.0.0.1:$(var "PORT_$name") check port" \
      "$(var "HEALTH_$name")" >>"$servers"
  done
  awk -v f="$servers" '
    /# servers: begin/ { print; while ((getline l < f) > 0) print l; skip = 1; next }
    /# servers: end/ { skip = 0 }
    !skip { print }' "$haproxy_cfg" >"$state/haproxy.cfg"
}

cmd_start () {
  local n=${1:-} template=${2:-} name i taken="" secret key port health
  local redis_port front_port stats_port haproxy
  case "$n" in ''|*[!0-9]*|0) die "usage: cluster.sh start N [TEMPLATE] (N >= 1)" ;; esac
  [ "$n" -le 50 ] || die "at most 50 instances"
  if [ -f "$state/cluster.env" ]; then
    # shellcheck disable=SC1091
    for name in redis haproxy $(. "$state/cluster.env"; echo "$INSTANCES"); do
      pid_of "$name" >/dev/null &&
        die "a cluster runs in $state: cluster.sh stop first"
    done
  fi
  install_missing
  find_serve
  REGISTRY=${REGISTRY:-1}
  case "$REGISTRY" in 0|1) ;; *) die "REGISTRY: 0 or 1" ;; esac
  case "${DRAIN_TIMEOUT:-60}" in ''|*[!0-9]*) die "DRAIN_TIMEOUT: seconds" ;; esac
  if [ "$REGISTRY" = 1 ] && ! "$serve" --help 2>&1 | grep -q -- '--registry'; then
    die "$serve has no --registry yet: run with REGISTRY=0"
  fi
  mkdir -p "$state" || die "cannot create $state"
  rm -rf "$state/redis" "$state"/*.pid "$state"/*.log "$state"/*.cfg \
    "$state/cluster.env"
  mkdir -p "$state/redis" "$state/outputs"
  outputs=$(cd "$state/outputs" && pwd)
  if [ -z "$template" ]; then
    # Servers before the registry know neither {segment} nor
    # {start-position}: their calls are recorded as {session-id}.raw.
    if "$serve" --help 2>&1 | grep -q -- '--registry'; then
      template="genesyssrc gap-mode=silence ! filesink location=@OUTPUTS@/{session-id}-{segment}-{start-position}.raw"
    else
      template="genesyssrc gap-mode=silence ! filesink location=@OUTPUTS@/{session-id}.raw"
      note "this gst-genesys-serve has no {segment}: recording {session-id}.raw"
    fi
  fi
  template=${template//@OUTPUTS@/$outputs}

  key=${AUDIOHOOK_API_KEY:-local-cluster}
  secret=${AUDIOHOOK_CLIENT_SECRET:-$(head -c 32 /dev/urandom | base64)}
  case "$key$secret" in *[!A-Za-z0-9._+/=-]*)
    die "AUDIOHOOK_API_KEY and AUDIOHOOK_CLIENT_SECRET: letters, digits and ._+/=- only" ;;
  esac
  (umask 077
    printf '{"%s": "%s"}\n' "$key" "$secret" >"$state/credentials.json"
    printf 'AUDIOHOOK_API_KEY=%s\nAUDIOHOOK_CLIENT_SECRET=%s\n' "$key" \
      "$secret" >"$state/client.env"
    # the instances relay a continuation to its call's owner with it
    rm -f "$state/relay.key"
    if [ "$REGISTRY" = 1 ] && "$serve" --help 2>&1 | grep -q -- '--relay-key'; then
      printf 'relay-%s:%s\n' "$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
        "$(head -c 32 /dev/urandom | base64)" >"$state/relay.key"
    fi)

  free_port redis_port
  free_port front_port
  free_port stats_port
  {
    printf '%s=%q\n' N "$n" REGISTRY "$REGISTRY" \
      DRAIN_TIMEOUT "${DRAIN_TIMEOUT:-60}" SERVE "$serve" \
      PLUGIN_PATH "$plugin_path" TEMPLATE "$template" \
      SERVE_ARGS "${SERVE_ARGS:-}" OUTPUTS "$outputs" \
      REDIS_PORT "$redis_port" FRONT_PORT "$front_port" \
      STATS_PORT "$stats_port"
    INSTANCES=""
    for i in $(seq "$n"); do
      INSTANCES="$INSTANCES i$i"
      free_port port
      free_port health
      printf '%s=%q\n' "PORT_i$i" "$port" "HEALTH_i$i" "$health"
    done
    printf '%s=%q\n' INSTANCES "${INSTANCES# }"
    printf '%s=%q\n' BACKEND "$(awk '/^backend /{ b = $2 }
      /# servers: begin/ { print b; exit }' "$haproxy_cfg")"
  } >"$state/cluster.env"
  load_state

  trap 'note "start failed: stopping what it started"; cmd_stop >/dev/null 2>&1' EXIT
  launch redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" \
    --save '' --appendonly no --dir "$state/redis" --daemonize no
  wait_until 10 redis_answers || { log_tail redis; die "redis-server does not answer"; }

  for name in $INSTANCES; do
    start_instance "$name"
  done
  for name in $INSTANCES; do
    wait_until 30 is_ready "$name" ||
      { log_tail "$name"; die "$name does not answer /ready"; }
  done

  # HAProxy with this cluster's bind addresses and servers
  write_haproxy_cfg
  haproxy=(env GST_GENESYS_FRONT="127.0.0.1:$FRONT_PORT"
    GST_GENESYS_STATS="127.0.0.1:$STATS_PORT" haproxy -f "$state/haproxy.cfg")
  "${haproxy[@]}" -dW -c -q >>"$state/haproxy.log" 2>&1 ||
    { log_tail haproxy; die "haproxy -c refuses $state/haproxy.cfg"; }
  launch haproxy "${haproxy[@]}" -db
  wait_until 10 front_answers || { log_tail haproxy; die "HAProxy does not answer"; }
  for name in $INSTANCES; do
    wait_until 20 is_up "$name" ||
      { log_tail haproxy; die "HAProxy does not mark $name up"; }
  done
  trap - EXIT
  echo "front ws://127.0.0.1:$FRONT_PORT$ws_path"
  echo "outputs $OUTPUTS"
}

cmd_restart_rolling () {
  local name pid t0 t_down t_exit t_ready t_up how all
  load_state
  for name in redis haproxy $INSTANCES; do
    pid_of "$name" >/dev/null || die "$name is not running"
  done
  all=$(now)
  for name in $INSTANCES; do
    t0=$(now)
    pid=$(pid_of "$name")
    kill -TERM "$pid"
    wait_until 30 is_down "$name" ||
      { log_tail haproxy; die "HAProxy does not mark $name down"; }
    t_down=$(elapsed "$t0")
    wait_gone "$name" $((DRAIN_TIMEOUT + 10)) ||
      note "$name still runs $((DRAIN_TIMEOUT + 10)) s after SIGTERM: stopping it"
    finish "$name" 0
    t_exit=$(elapsed "$t0")
    how=$(tail -n 20 "$state/$name.log" |
      sed -n 's/.*"event":"\(drained\|drain-timeout\|stopping\)".*/\1/p' | tail -n 1)
    start_instance "$name"
    wait_until 30 is_ready "$name" ||
      { log_tail "$name"; die "$name does not answer /ready after its restart"; }
    t_ready=$(elapsed "$t0")
    wait_until 20 is_up "$name" ||
      { log_tail haproxy; die "HAProxy does not mark $name up again"; }
    t_up=$(elapsed "$t0")
    echo "$name: $t_up s: marked down after $t_down s, exited after $t_exit s" \
      "(${how:-no drain event}), ready after $t_ready s, up after $t_up s"
  done
  echo "restart-rolling: $(echo "$INSTANCES" | wc -w) instances in $(elapsed "$all") s"
}

cmd_status () {
  local name pid ok=0 ready
  load_state
  if pid=$(pid_of redis); then
    echo "redis    pid $pid  127.0.0.1:$REDIS_PORT"
  else
    echo "redis    not running"; ok=1
  fi
  if pid=$(pid_of haproxy); then
    echo "haproxy  pid $pid  front ws://127.0.0.1:$FRONT_PORT$ws_path  stats http://127.0.0.1:$STATS_PORT/stats"
  else
    echo "haproxy  not running"; ok=1
  fi
  for name in $INSTANCES; do
    if pid=$(pid_of "$name"); then
      ready=$(curl -s -m 2 -w ' %{http_code}' \
        "http://127.0.0.1:$(var "HEALTH_$name")/ready" 2>/dev/null | tr -d '\n')
      printf '%-8s pid %s  port %s  health %s  /ready: %s  haproxy: %s\n' \
        "$name" "$pid" "$(var "PORT_$name")" \
        "$(var "HEALTH_$name")" "${ready:-no answer}" \
        "$(haproxy_status "$name")"
      case "$ready" in *" 200") ;; *) ok=1 ;; esac
    else
      echo "$name       not running"; ok=1
    fi
  done
  return $ok
}

cmd_stop () {
  local name stopped=""
  load_state
  # the instances drain at once, then HAProxy and Redis go
  for name in $INSTANCES; do
    signal "$name" TERM && stopped="$stopped $name"
  done
  for name in $INSTANCES; do
    finish "$name" $((DRAIN_TIMEOUT + 5))
  done
  for name in haproxy redis; do
    signal "$name" TERM && stopped="$stopped $name"
  done
  finish haproxy 5
  finish redis 5
  rm -f "$state"/*.pid
  echo "stopped:${stopped:- nothing was running}"
}

case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  restart-rolling) cmd_restart_rolling ;;
  status) cmd_status ;;
  stop) cmd_stop ;;
  *) echo "usage: cluster.sh start N [TEMPLATE] | restart-rolling | status | stop" >&2
    exit 2 ;;
esac
