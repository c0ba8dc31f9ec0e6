#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# libgstgenesys-1.0 exports its API and nothing else: the GstGenesysServe
# functions and gst_genesys_elements_register() (GST_GENESYS_API), and the
# plugin file the two symbols GStreamer loads it by.
# check-exports.sh LIBGSTGENESYS PLUGIN
set -u
status=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

check () {
  lib=$1
  shift
  want=$(printf '%s\n' "$@" | sort)
  have=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' \
    | grep -v '^_' | sort)
  if [ "$have" != "$want" ]; then
    echo "$(basename "$lib") exports other symbols than its API:"
    echo "$want" > "$tmp"
    echo "$have" | comm -13 "$tmp" - | sed 's/^/  extra: /'
    echo "$have" | comm -23 "$tmp" - | sed 's/^/  missing: /'
    status=1
  else
    echo "$(basename "$lib"): $(echo "$have" | wc -l) symbols, the API only"
  fi
}

check "$1" gst_genesys_elements_register gst_genesys_serve_drain \
  gst_genesys_serve_free gst_genesys_serve_get_port \
  gst_genesys_serve_get_metrics gst_genesys_serve_get_stats \
  gst_genesys_serve_get_type gst_genesys_serve_listen_health \
  gst_genesys_serve_new gst_genesys_serve_reload_credentials \
  gst_genesys_serve_sanitize gst_genesys_serve_stats_get_type \
  gst_genesys_serve_stop
check "$2" gst_plugin_genesys_get_desc gst_plugin_genesys_register
exit $status
