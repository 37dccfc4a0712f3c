#!/usr/bin/env bash
# Creates a development CA and a broker certificate signed by it, in certs/out/:
#   ca.crt, ca.key           the CA; kept across runs, since gateways trust ca.crt
#   broker.crt, broker.key   the broker's certificate for MQTT_HOST, localhost, 127.0.0.1 and ::1
#
# Usage: [MQTT_HOST=broker.example.com,10.0.0.5] certs/create-dev-ca.sh [--force] [--new-ca]
#   --force    create a new broker certificate even when the current one fits
#   --new-ca   create a new CA as well (every gateway then needs the new ca.crt)
# Without options, the broker certificate is only created when it is missing, was not issued by
# the CA, or was made for other host names than MQTT_HOST asks for now.
# Environment: MQTT_HOST, CERTS_OUT_DIR (certs/out), CA_DAYS (3650), BROKER_CERT_DAYS (825).
# For production use a certificate from your own or a public CA instead: see certs/README.md.
set -euo pipefail
# shellcheck source=certs/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CA_DAYS="${CA_DAYS:-3650}"
force=false
new_ca=false
for arg in "$@"; do
  case "$arg" in
    --force) force=true ;;
    --new-ca) new_ca=true force=true ;;
    -h | --help)
      sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown option '$arg' (see --help)" ;;
  esac
done

mkdir -p "$OUT_DIR"
chmod 700 "$OUT_DIR"
cd "$OUT_DIR"
tmp="$(mktemp -d "$OUT_DIR/.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

ca_usable() {
  [[ -s ca.key && -s ca.crt ]] || return 1
  # The key must belong to the certificate, and the certificate must be a CA.
  [[ "$(openssl pkey -in ca.key -pubout 2>/dev/null)" == "$(openssl x509 -in ca.crt -noout -pubkey 2>/dev/null)" ]] || return 1
  openssl x509 -in ca.crt -noout -ext basicConstraints 2>/dev/null | grep -q 'CA:TRUE'
}

if $new_ca || ! ca_usable; then
  new_key "$tmp/ca.key" 3072
  openssl req -x509 -new -key "$tmp/ca.key" -sha256 -days "$CA_DAYS" \
    -subj "/O=Upgrade Manager/CN=Upgrade Manager development CA $(date -u +%Y-%m-%d)" \
    -addext "basicConstraints = critical, CA:TRUE, pathlen:0" \
    -addext "keyUsage = critical, keyCertSign, cRLSign" \
    -addext "subjectKeyIdentifier = hash" \
    -out "$tmp/ca.crt" 2>/dev/null || die "could not create the CA certificate"
  mv -f "$tmp/ca.key" ca.key
  mv -f "$tmp/ca.crt" ca.crt
  chmod 644 ca.crt
  force=true
  echo "Created the development CA: $OUT_DIR/ca.crt (give this file to the gateways; keep ca.key secret)."
fi

sans="$(broker_hosts | san_list)"
if ! $force && [[ -s broker.key && -s broker.crt ]] &&
  [[ "$(cat broker.sans 2>/dev/null)" == "$sans" ]] &&
  openssl verify -CAfile ca.crt broker.crt >/dev/null 2>&1; then
  echo "The broker certificate $OUT_DIR/broker.crt is current ($sans)."
  exit 0
fi

cn="$(broker_hosts | head -n 1)"
new_key "$tmp/broker.key" 2048
openssl req -new -key "$tmp/broker.key" -subj "/O=Upgrade Manager/CN=$cn" -out "$tmp/broker.csr" 2>/dev/null ||
  die "could not create the certificate request"
server_extensions "$sans" >"$tmp/broker.ext"
echo "authorityKeyIdentifier = keyid" >>"$tmp/broker.ext"
openssl x509 -req -in "$tmp/broker.csr" -CA ca.crt -CAkey ca.key -set_serial "0x$(openssl rand -hex 16)" \
  -sha256 -days "$BROKER_DAYS" -extfile "$tmp/broker.ext" -out "$tmp/broker.crt" 2>/dev/null ||
  die "could not sign the broker certificate"
openssl verify -CAfile ca.crt "$tmp/broker.crt" >/dev/null || die "the new broker certificate does not verify"
mv -f "$tmp/broker.key" broker.key
mv -f "$tmp/broker.crt" broker.crt
chmod 644 broker.crt
printf '%s\n' "$sans" >broker.sans
echo "Created the broker certificate $OUT_DIR/broker.crt for $sans, signed by the development CA."
