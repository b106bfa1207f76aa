#!/bin/sh
# Makes a throwaway TLS test CA and a server certificate for loopback.
#   tests/testbed/mkcert.sh DIR [NAME]
# Writes DIR/ca.pem, DIR/ca.key, DIR/NAME.pem, DIR/NAME.key (NAME=server),
# the certificate valid for IP:127.0.0.1, IP:::1 and DNS:localhost.
# Keys are 0600. Used by the integration tests, the demo and the benchmarks;
# TLS verification stays on everywhere: clients are given DIR/ca.pem.
set -eu
dir=${1:?usage: mkcert.sh DIR [NAME]}
name=${2:-server}
mkdir -p "$dir"
cd "$dir"
umask 077
if [ ! -f ca.pem ]; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -keyout ca.key -out ca.pem -days 3650 \
	    -subj "/CN=adsync test CA $(date +%s)" 2>/dev/null
fi
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$name.key" -out "$name.csr" -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n' > "$name.ext"
openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
    -out "$name.pem" -days 3650 -extfile "$name.ext" 2>/dev/null
rm -f "$name.csr" "$name.ext"
chmod 600 ca.key "$name.key"
chmod 644 ca.pem "$name.pem"
