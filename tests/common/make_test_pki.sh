#!/usr/bin/env bash
# Makes a throwaway PKI for TLS tests in DIR with the stock openssl tool (P-256 keys, 2 days):
#   ca.pem ca.key                  the project's test CA
#   server.pem server.key          CN=localhost, SAN DNS:localhost, IP:127.0.0.1
#   server2.pem server2.key        the same names, a new key (for rotation tests)
#   client.pem client.key          SAN URI:spiffe://hallmark.test/principal/cert-shop
#   foreign-ca.pem foreign.pem foreign.key   a client cert with the same URI from another CA
set -euo pipefail
dir=${1:?usage: $0 DIR}
cd "$dir"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ca() {  # name cn
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -out "$1.pem" -days 2 -subj "/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}
leaf() {  # name ca cn san usage
  key "$1.key"
  openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=$3" 2>/dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=%s\nbasicConstraints=CA:FALSE\n' "$4" "$5" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -out "$1.pem" \
    -days 2 -extfile "$1.ext" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
ca ca "Hallmark Test CA"
ca foreign-ca "Foreign CA"
leaf server ca localhost "DNS:localhost,IP:127.0.0.1" serverAuth
leaf server2 ca localhost "DNS:localhost,IP:127.0.0.1" serverAuth
leaf client ca cert-shop "URI:spiffe://hallmark.test/principal/cert-shop" clientAuth
leaf foreign foreign-ca cert-shop "URI:spiffe://hallmark.test/principal/cert-shop" clientAuth
