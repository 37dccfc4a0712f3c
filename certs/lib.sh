# Helpers shared by create-dev-ca.sh and create-self-signed.sh (sourced, not run).
# shellcheck shell=bash

CERTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT_DIR="${CERTS_OUT_DIR:-$CERTS_DIR/out}"
BROKER_DAYS="${BROKER_CERT_DAYS:-825}"

die() {
  echo "error: $*" >&2
  exit 1
}

command -v openssl >/dev/null 2>&1 || die "openssl is required (Debian/Ubuntu: apt-get install openssl)."

# Host names and addresses of the broker certificate: MQTT_HOST (comma- or space-separated) plus
# localhost, 127.0.0.1 and ::1, in a stable order without duplicates.
broker_hosts() {
  local -a hosts=()
  local host seen
  local list="${MQTT_HOST:-}"
  for host in ${list//,/ } localhost 127.0.0.1 ::1; do
    host="${host#[}"
    host="${host%]}"
    [[ -z "$host" ]] && continue
    [[ "$host" =~ ^[A-Za-z0-9.:*-]+$ ]] || die "invalid host name in MQTT_HOST: '$host'"
    for seen in "${hosts[@]:-}"; do [[ "$seen" == "$host" ]] && continue 2; done
    hosts+=("$host")
  done
  printf '%s\n' "${hosts[@]}"
}

# "DNS:a,IP:127.0.0.1,..." for the hosts on stdin.
san_list() {
  local host out=""
  while IFS= read -r host; do
    if [[ "$host" =~ ^[0-9.]+$ || "$host" == *:* ]]; then out+="IP:$host,"; else out+="DNS:$host,"; fi
  done
  printf '%s' "${out%,}"
}

# Writes a private key readable by its owner only.
new_key() {
  local file="$1" bits="$2"
  (umask 077 && openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$bits" -out "$file" 2>/dev/null) ||
    die "could not create the key $file"
}

# Extensions of a TLS server certificate for the SANs in $1.
server_extensions() {
  cat <<EOF
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
subjectAltName = $1
EOF
}
