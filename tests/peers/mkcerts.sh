#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# mkcerts.sh OUTDIR: a throwaway test CA and server certificates, made at test time with
# GnuTLS' certtool: good (localhost, 127.0.0.1), wrong name, expired, self-signed, and one
# signed by a CA the client is not told about; leaves of the right name whose extended key
# usage is for TLS clients only, for e-mail protection only, for server and client, or absent;
# one that names its host only in the Common Name; RSA leaves of 2048 and 1024 bits.
set -eu
out=${1:?usage: mkcerts.sh OUTDIR}
mkdir -p "$out"
cd "$out"
[ -f done.stamp ] && exit 0

# KEY=rsa1024 / KEY=rsa2048 before a leaf: an RSA key of that size instead of P-256.
key() {
	case ${KEY:-ecdsa} in
	rsa*) certtool --generate-privkey --key-type=rsa --bits="${KEY#rsa}" --outfile "$1" 2>/dev/null ;;
	*) certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 --outfile "$1" 2>/dev/null ;;
	esac
}
tmpl() {
	# $1 file, $2 cn, $3.. extra lines
	f=$1; cn=$2; shift 2
	{ echo "cn = $cn"; echo "serial = $(od -An -N4 -tu4 /dev/urandom | tr -d ' ')"; for l in "$@"; do echo "$l"; done; } > "$f"
}

key ca-key.pem
tmpl ca.tmpl "claws-requiretls test CA" "ca" "cert_signing_key" "expiration_days = 30"
certtool --generate-self-signed --load-privkey ca-key.pem --template ca.tmpl --outfile ca.pem 2>/dev/null

key otherca-key.pem
tmpl otherca.tmpl "unknown test CA" "ca" "cert_signing_key" "expiration_days = 30"
certtool --generate-self-signed --load-privkey otherca-key.pem --template otherca.tmpl --outfile otherca.pem 2>/dev/null

leaf() {
	# $1 name, $2 signer (ca|otherca|self), $3.. template lines
	name=$1; signer=$2; shift 2
	key "$name-key.pem"
	tmpl "$name.tmpl" "$@"
	if [ "$signer" = self ]; then
		certtool --generate-self-signed --load-privkey "$name-key.pem" --template "$name.tmpl" --outfile "$name.pem" 2>/dev/null
	else
		certtool --generate-certificate --load-privkey "$name-key.pem" --load-ca-certificate "$signer.pem" \
			--load-ca-privkey "$signer-key.pem" --template "$name.tmpl" --outfile "$name.pem" 2>/dev/null
	fi
}
good="tls_www_server encryption_key signing_key"
leaf server ca localhost "dns_name = localhost" "ip_address = 127.0.0.1" $good "expiration_days = 30"
leaf wrongname ca wrong.example "dns_name = wrong.example" $good "expiration_days = 30"
leaf expired ca localhost "dns_name = localhost" "ip_address = 127.0.0.1" $good \
	"activation_date = \"2020-01-01 00:00:00 UTC\"" "expiration_date = \"2020-02-01 00:00:00 UTC\""
leaf selfsigned self localhost "dns_name = localhost" "ip_address = 127.0.0.1" $good "expiration_days = 30"
leaf unknownca otherca localhost "dns_name = localhost" "ip_address = 127.0.0.1" $good "expiration_days = 30"
names='"dns_name = localhost" "ip_address = 127.0.0.1"'
eval leaf eku-client ca localhost "$names" tls_www_client signing_key encryption_key '"expiration_days = 30"'
eval leaf eku-email ca localhost "$names" email_protection_key signing_key encryption_key '"expiration_days = 30"'
eval leaf eku-both ca localhost "$names" tls_www_server tls_www_client signing_key encryption_key '"expiration_days = 30"'
eval leaf eku-none ca localhost "$names" signing_key encryption_key '"expiration_days = 30"'
leaf cn-only ca localhost $good "expiration_days = 30"
KEY=rsa2048 eval leaf rsa2048 ca localhost "$names" $good '"expiration_days = 30"'
KEY=rsa1024 eval leaf rsa1024 ca localhost "$names" $good '"expiration_days = 30"'
rm -f ./*.tmpl
touch done.stamp
