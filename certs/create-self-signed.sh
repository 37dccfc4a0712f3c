#!/usr/bin/env bash
# Creates a self-signed broker certificate in certs/out/ (no CA):
#   broker.crt, broker.key   for MQTT_HOST, localhost, 127.0.0.1 and ::1
#   ca.crt                   a copy of broker.crt: what clients verify the broker against
#
# Usage: [MQTT_HOST=broker.example.com] certs/create-self-signed.sh
# Every run creates a new key and certificate, so every gateway needs the new ca.crt. A dev CA
# (create-dev-ca.sh) avoids that: its broker certificate can be renewed without touching gateways.
# A CA key left over from create-dev-ca.sh is removed, since ca.crt no longer belongs to it.
# Environment: MQTT_HOST, CERTS_OUT_DIR (certs/out), BROKER_CERT_DAYS (825).
set -euo pipefail
# shellcheck source=certs/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case "${1:-}" in
  '') ;;
  -h | --help)
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *) die "unknown option '$1' (see --help)" ;;
esac

mkdir -p "$OUT_DIR"
chmod 700 "$OUT_DIR"
cd "$OUT_DIR"
tmp="$(mktemp -d "$OUT_DIR/.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

sans="$(broker_hosts | san_list)"
cn="$(broker_hosts | head -n 1)"
new_key "$tmp/broker.key" 2048
server_extensions "$sans" >"$tmp/broker.ext"
openssl req -x509 -new -key "$tmp/broker.key" -sha256 -days "$BROKER_DAYS" \
  -subj "/O=Upgrade Manager/CN=$cn" -extensions v3_self -out "$tmp/broker.crt" \
  -config <(printf '[req]\ndistinguished_name = dn\n[dn]\n[v3_self]\n' && cat "$tmp/broker.ext") 2>/dev/null ||
  die "could not create the self-signed certificate"
mv -f "$tmp/broker.key" broker.key
mv -f "$tmp/broker.crt" broker.crt
cp -f broker.crt ca.crt
chmod 644 broker.crt ca.crt
rm -f ca.key
printf '%s\n' "$sans" >broker.sans
echo "Created the self-signed broker certificate $OUT_DIR/broker.crt for $sans; clients verify it with $OUT_DIR/ca.crt."
