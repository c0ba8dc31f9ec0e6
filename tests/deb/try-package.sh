#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds the Debian packages from this tree and tries them on this machine:
#  1. installs the build dependencies (apt-get build-dep on debian/control)
#     and the tools the checks use;
#  2. builds the .debs (dpkg-buildpackage -us -uc -b) in a copy of the tree,
#     and leaves them in build-deb/;
#  3. installs them with apt-get, lists each one (dpkg -c), finds the
#     plugin with gst-inspect-1.0 without GST_PLUGIN_PATH, builds the API
#     example against the -dev package (pkg-config), checks the user and the
#     unit (systemd-analyze verify, and the security score);
#  4. runs the service and one signed call through it, checks /health and
#     the recording, and stops it (a drain): under systemd where systemd is
#     PID 1, else the unit's command by hand as the user gst-genesys (and
#     with --nspawn also under systemd in a container);
#  5. purges the packages again, unless --keep (an installed plugin would
#     shadow a development build's in the other tests).
# Needs root or sudo. Ends with "try-package: OK" or "try-package: FAILED".
#   tests/deb/try-package.sh [--keep] [--nocheck] [--nspawn]
#     --keep     leave the packages installed
#     --nocheck  DEB_BUILD_OPTIONS=nocheck: no unit tests in the build
#     --nspawn   where systemd is not PID 1, also boot this machine's /usr
#                in a throwaway container (systemd-nspawn --volatile=yes)
#                and run the sandboxed service there
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
keep=0
nocheck=0
nspawn=0
inside=0
for a in "$@"; do
  case "$a" in
    --keep) keep=1 ;;
    --nocheck) nocheck=1 ;;
    --nspawn) nspawn=1 ;;
    --inside) inside=1 ; keep=1 ;;  # in the container of --nspawn
    *) echo "usage: $0 [--keep] [--nocheck] [--nspawn]" >&2; exit 2 ;;
  esac
done

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
PACKAGES="gstreamer1.0-genesys libgstgenesys-1.0-0 libgstgenesys-1.0-dev gst-genesys-serve"
PORT=19000
HEALTH_PORT=19001
API_KEY=try-package-key
tmp=$(mktemp -d)
chmod 755 "$tmp"
server=""
dropin=/run/systemd/system/gst-genesys-serve.service.d/try-package.conf
rundir=/run/gst-genesys-try
creds=$rundir/credentials.json
template="genesyssrc ! mulawdec ! wavenc ! filesink location=/var/lib/gst-genesys/try-package-{conversation-id}.wav"
made_state=0

step () {
  echo
  echo "== $*"
}

fail () {
  echo "try-package: $*" >&2
  echo "try-package: FAILED"
  exit 1
}

cleanup () {
  status=$?
  set +e
  [ -n "$server" ] && $SUDO kill "$server" 2>/dev/null
  if [ -f "$dropin" ]; then
    $SUDO systemctl stop gst-genesys-serve.service 2>/dev/null
    $SUDO rm -f "$dropin"
    $SUDO systemctl daemon-reload
  fi
  $SUDO rm -rf "$rundir"
  $SUDO rm -f /var/lib/gst-genesys/try-package-*.wav
  [ $made_state -eq 1 ] && $SUDO rmdir /var/lib/gst-genesys 2>/dev/null
  if [ $keep -eq 0 ] && dpkg-query -W gst-genesys-serve >/dev/null 2>&1; then
    step "purging the packages (--keep leaves them)"
    $SUDO apt-get purge -y -q $PACKAGES > "$tmp/apt.log" 2>&1 || cat "$tmp/apt.log"
    grep -E '^(Removing|Purging)' "$tmp/apt.log"
  fi
  $SUDO rm -rf "$tmp"
  exit $status
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The credentials of the test call, in a file of its own in /run (the
# service has a /tmp of its own): root, group gst-genesys, 0640, as
# /etc/gst-genesys/credentials.json would be
make_credentials () {
  secret=$(head -c 32 /dev/urandom | base64)
  $SUDO mkdir -p "$rundir"
  printf '{"%s": "%s"}\n' "$API_KEY" "$secret" | $SUDO tee "$creds" >/dev/null
  $SUDO chown root:gst-genesys "$creds"
  $SUDO chmod 0640 "$creds"
}

health () {
  python3 -c "
import urllib.request, urllib.error
try:
    print(urllib.request.urlopen('http://127.0.0.1:$HEALTH_PORT/health', timeout=2).status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception:
    print(0)"
}

wait_health () {
  i=0
  while [ "$(health)" != 200 ]; do
    i=$((i + 1))
    [ $i -gt 100 ] && return 1
    sleep 0.1
  done
}

# one signed call of 2 s, from genesyssink
call () {
  env -u GST_PLUGIN_PATH GST_REGISTRY="$tmp/registry.bin" gst-launch-1.0 -q \
    audiotestsrc num-buffers=10 samplesperbuffer=1600 ! \
    audio/x-raw,rate=8000,channels=1 ! mulawenc ! \
    genesyssink uri="ws://127.0.0.1:$PORT/api/v1/audiohook/ws" \
    api-key="$API_KEY" client-secret="$secret" wait-for-connection=true \
    > "$tmp/call.log" 2>&1 || { cat "$tmp/call.log"; return 1; }
}

check_recording () {
  i=0
  while ! $SUDO sh -c 'ls /var/lib/gst-genesys/try-package-*.wav' >/dev/null 2>&1; do
    i=$((i + 1))
    [ $i -gt 50 ] && fail "no recording in /var/lib/gst-genesys"
    sleep 0.1
  done
  $SUDO ls -l /var/lib/gst-genesys/
}

# The service as installed, under systemd, with a drop-in in /run for the
# test's ports, credentials and template.
service_systemd () {
  step "the service under systemd (ports $PORT, $HEALTH_PORT; a drop-in in /run)"
  make_credentials
  $SUDO mkdir -p "$(dirname "$dropin")"
  printf '%s\n' "[Service]" \
    "Environment=PORT=$PORT HEALTH_PORT=$HEALTH_PORT DRAIN_TIMEOUT=10" \
    "Environment=CREDENTIALS=$creds" \
    "Environment=\"TEMPLATE=$template\"" \
    "TimeoutStopSec=20" | $SUDO tee "$dropin" >/dev/null
  $SUDO systemctl daemon-reload
  $SUDO systemctl start gst-genesys-serve.service
  id=$(systemctl show -p InvocationID --value gst-genesys-serve.service)
  wait_health || { $SUDO journalctl -u gst-genesys-serve --no-pager | tail -20; fail "/health did not answer 200"; }
  echo "GET /health: $(health)"
  pid=$(systemctl show -p MainPID --value gst-genesys-serve.service)
  $SUDO grep -E '^(Uid|Gid|CapEff|NoNewPrivs|Seccomp):' "/proc/$pid/status"
  call || fail "the call failed"
  check_recording
  $SUDO systemctl stop gst-genesys-serve.service
  $SUDO journalctl "_SYSTEMD_INVOCATION_ID=$id" --no-pager -o cat > "$tmp/journal.txt"
  cat "$tmp/journal.txt"
  grep -q '^drained$' "$tmp/journal.txt" || fail "the stop did not drain"
}

# The unit's command by hand, as the user gst-genesys, where systemd is not
# PID 1: the package's user, files and plugin, without the sandbox.
service_by_hand () {
  step "systemd is not PID 1: the unit's command by hand, as gst-genesys"
  make_credentials
  if [ ! -d /var/lib/gst-genesys ]; then
    # what StateDirectory= does
    $SUDO install -d -o gst-genesys -g gst-genesys -m 0750 /var/lib/gst-genesys
    made_state=1
  fi
  $SUDO install -d -o gst-genesys -g gst-genesys "$tmp/cache"
  # setpriv execs the server (the signal below reaches it, not a wrapper)
  $SUDO setpriv --reuid=gst-genesys --regid=gst-genesys --init-groups -- \
    env -u GST_PLUGIN_PATH HOME=/var/lib/gst-genesys \
    XDG_CACHE_HOME="$tmp/cache" /usr/bin/gst-genesys-serve --port $PORT \
    --health-port $HEALTH_PORT --drain-timeout 10 --credentials "$creds" \
    -- "$template" > "$tmp/serve.log" 2>&1 &
  server=$!
  wait_health || { cat "$tmp/serve.log"; fail "/health did not answer 200"; }
  echo "GET /health: $(health)"
  call || fail "the call failed"
  check_recording
  $SUDO kill -TERM "$server"
  code=0
  wait "$server" || code=$?
  server=""
  [ $code -eq 0 ] || { cat "$tmp/serve.log"; fail "gst-genesys-serve exited $code"; }
  cat "$tmp/serve.log"
  grep -q '^drained$' "$tmp/serve.log" || fail "SIGTERM did not drain"
}

# --nspawn: boots a throwaway container of this machine (its /usr, with the
# packages; a fresh /etc and /var on tmpfs, where systemd-sysusers makes
# the user; no network but loopback, so nothing waits for it to be online)
# with systemd as PID 1, which runs this script with --inside: the
# sandboxed service, as installed. The container's /etc is new, so the
# presets enable every unit there, this one too: until the script gives
# it credentials it fails and is retried.
service_nspawn () {
  step "systemd-nspawn: the service under systemd as PID 1 of a container"
  mkdir "$tmp/out"
  printf '%s\n' "[Unit]" "After=multi-user.target" \
    "SuccessAction=poweroff-force" "FailureAction=poweroff-force" \
    "[Service]" "Type=oneshot" \
    "ExecStart=/bin/sh -c '/run/try-deb/try-package.sh --inside > /run/try-out/inside.log 2>&1'" \
    "ExecStopPost=/bin/sh -c 'journalctl -b --no-pager > /run/try-out/journal.txt'" \
    > "$tmp/try-package.service"
  code=0
  $SUDO timeout 300 systemd-nspawn --quiet --register=no --keep-unit -D / \
    --volatile=yes --private-network --machine=gst-genesys-try \
    --bind-ro="$top/tests/deb:/run/try-deb" --bind="$tmp/out:/run/try-out" \
    --bind-ro="$tmp/try-package.service:/etc/systemd/system/try-package.service" \
    --boot -- systemd.firstboot=off systemd.wants=try-package.service \
    systemd.mask=systemd-networkd-wait-online.service \
    > "$tmp/nspawn.log" 2>&1 || code=$?
  cat "$tmp/out/inside.log" 2>/dev/null
  grep -q '^try-package: service OK' "$tmp/out/inside.log" 2>/dev/null || {
    tail -40 "$tmp/out/journal.txt" 2>/dev/null || tail -30 "$tmp/nspawn.log"
    fail "the service failed in the container (systemd-nspawn: $code)"
  }
}

if [ $inside -eq 1 ]; then
  service_systemd
  echo "try-package: service OK"
  exit 0
fi

step "build dependencies"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends build-essential \
  dpkg-dev debhelper systemd gstreamer1.0-tools gstreamer1.0-plugins-base \
  gstreamer1.0-plugins-good python3 >/dev/null
if [ $nspawn -eq 1 ]; then
  $SUDO apt-get install -y -qq --no-install-recommends systemd-container >/dev/null
fi
$SUDO apt-get build-dep -y -qq "$top" >/dev/null

step "dpkg-buildpackage -us -uc -b"
# a copy of the tree as it is (untracked files too, ignored ones not), so
# the build leaves nothing in the checkout
mkdir "$tmp/src"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
  (cd "$top" && git ls-files -z -c -o --exclude-standard | xargs -0 tar -cf - \
    --ignore-failed-read) | tar -xf - -C "$tmp/src"
else
  tar -cf - -C "$top" --exclude='./build*' --exclude=node_modules . \
    | tar -xf - -C "$tmp/src"
fi
[ $nocheck -eq 1 ] && export DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}"
(cd "$tmp/src" && dpkg-buildpackage -us -uc -b) > "$tmp/build.log" 2>&1 \
  || { tail -40 "$tmp/build.log"; fail "dpkg-buildpackage failed"; }
grep -E '^(Ok|Fail|Skipped): ' "$tmp/build.log" | sed 's/^/meson test --suite unit: /' || true
rm -rf "$top/build-deb"
mkdir -p "$top/build-deb"
cp "$tmp"/*.deb "$tmp"/*.changes "$tmp/build.log" "$top/build-deb/"
ls -l "$top/build-deb"

step "apt-get install"
if dpkg-query -W gst-genesys-serve >/dev/null 2>&1; then
  # left by --keep: a fresh install tries the maintainer scripts
  echo "purging the packages installed before"
  $SUDO apt-get purge -y -q $PACKAGES > "$tmp/apt.log" 2>&1 || cat "$tmp/apt.log"
fi
version=$(cd "$tmp/src" && dpkg-parsechangelog -SVersion)
debs=""
for p in $PACKAGES; do
  debs="$debs $top/build-deb/${p}_${version}_$(dpkg --print-architecture).deb"
done
$SUDO apt-get install -y -q $debs > "$tmp/apt.log" 2>&1 \
  || { cat "$tmp/apt.log"; fail "apt-get install failed"; }
grep -E '^(Unpacking|Setting up|gst-genesys-serve.service|Created symlink)' "$tmp/apt.log" || true

for d in $debs; do
  step "dpkg -c $(basename "$d")"
  dpkg -c "$d"
  dpkg -I "$d" | grep -E '^ (Depends|Recommends):' || true
done

step "gst-inspect-1.0 genesyssrc, without GST_PLUGIN_PATH"
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
plugin=/usr/lib/$multiarch/gstreamer-1.0/libgstgenesys.so
env -u GST_PLUGIN_PATH -u GST_PLUGIN_PATH_1_0 -u GST_PLUGIN_SYSTEM_PATH \
  -u GST_PLUGIN_SYSTEM_PATH_1_0 GST_REGISTRY="$tmp/registry.bin" \
  gst-inspect-1.0 genesyssrc > "$tmp/inspect.txt" 2>&1 \
  || { cat "$tmp/inspect.txt"; fail "gst-inspect-1.0 does not find genesyssrc"; }
sed -n '/^Factory Details/,/^$/p;/^Plugin Details/,/^$/p' "$tmp/inspect.txt"
# /lib is /usr/lib on a merged-/usr system: compare the files
found=$(sed -n 's/^ *Filename *//p' "$tmp/inspect.txt")
[ "$(readlink -f "$found")" = "$(readlink -f "$plugin")" ] \
  || fail "genesyssrc is from $found, not from $plugin"

step "the -dev package: docs/examples/serve-record.c with pkg-config gstreamer-genesys-1.0"
pkg-config --modversion gstreamer-genesys-1.0
# shellcheck disable=SC2046
cc -o "$tmp/serve-record" "$top/docs/examples/serve-record.c" \
  $(pkg-config --cflags --libs gstreamer-genesys-1.0) || fail "the example does not build"
echo "built and linked: $(ldd "$tmp/serve-record" | grep libgstgenesys)"

step "gst-genesys-serve: man page, user, unit"
man -w gst-genesys-serve
gst-genesys-serve --version
getent passwd gst-genesys || fail "no user gst-genesys"
unit=/lib/systemd/system/gst-genesys-serve.service
systemd-analyze verify "$unit" || fail "systemd-analyze verify $unit failed"
echo "systemd-analyze verify $unit: OK"
systemd-analyze security --offline=true --no-pager "$unit" > "$tmp/security.txt" 2>&1 || true
grep -E 'Overall exposure level' "$tmp/security.txt" || { cat "$tmp/security.txt"; fail "no security score"; }

if [ -d /run/systemd/system ]; then
  service_systemd
else
  service_by_hand
  [ $nspawn -eq 1 ] && service_nspawn
fi

echo
echo "try-package: OK"
