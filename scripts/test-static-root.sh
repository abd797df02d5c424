#!/usr/bin/env bash
# The fully static CLI in an empty root (docs/static-build.md, "Name resolution without NSS"):
# a directory holding nothing but the binary, /etc/hosts, /etc/resolv.conf, an
# /etc/nsswitch.conf naming modules that are not there (as Ubuntu and Fedora hosts do) and a CA
# file at the RHEL path. bedrock-runtime.us-east-1.amazonaws.com resolves to 127.0.0.1, once
# through /etc/hosts and once through a DNS server on 127.0.0.77 that this script starts
# (dnsmasq, answering only that name, forwarding nowhere), and is served over HTTPS by the fake
# Bedrock (SigV4 verified) with a certificate for that name from a CA made here. Converse and
# ConverseStream must complete; then, with no CA anywhere, the CLI must fail with the error that
# names every place it looked. Loopback only.
#
# Usage: scripts/test-static-root.sh STATIC_CLI STATIC_ROOT_SERVER
#   STATIC_ROOT_SERVER is tests/static_root_server from any build with tests.
# Exit 77 (skipped) when not root or chroot is impossible here; needs openssl, dnsmasq (Debian's
# dnsmasq-base) and, for the check that no shared object is opened, strace.
set -euo pipefail
cli=$(realpath "$1")
server=$(realpath "$2")
name=bedrock-runtime.us-east-1.amazonaws.com
dns_ip=127.0.0.77

skip() { echo "test-static-root: SKIPPED: $*"; exit 77; }
fail() { echo "test-static-root: FAILED: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || skip "needs root for chroot"
for tool in chroot openssl dnsmasq timeout; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/install-deps.sh)"
done
chroot=$(command -v chroot) timeout=$(command -v timeout)
file "$cli" | grep -q "statically linked" || fail "$cli is not statically linked"

work=$(mktemp -d)
server_pid="" dns_pid=""
cleanup() {
  [ -z "$dns_pid" ] || kill "$dns_pid" 2>/dev/null || true
  [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
root=$work/root
mkdir -p "$root/etc/pki/tls/certs"
rc=0
chroot "$root" /nonexistent 2>/dev/null || rc=$?
[ "$rc" -ne 125 ] || skip "chroot is not permitted here"

# --- a test CA and a certificate for the Bedrock name (P-256: quick to make) --------------------
cd "$work"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -days 2 -subj "/CN=bedrock-lite test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
openssl req "${ec[@]}" -keyout server.key -out server.csr -subj "/CN=$name" 2>/dev/null
printf 'subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$name" >ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile ext \
  -out server.pem 2>/dev/null

# --- the HTTPS fake Bedrock on 127.0.0.1 (same network namespace as the chroot) -----------------
mkfifo server.in
"$server" server.pem server.key 300 <server.in >server.out 2>server.err &
server_pid=$!
exec 3>server.in  # the server runs until this closes
for _ in $(seq 100); do [ -s server.out ] && break; sleep 0.1; done
port=$(head -n 1 server.out)
[ -n "$port" ] || fail "the fake Bedrock did not start: $(cat server.err)"

# --- the empty root -----------------------------------------------------------------------------
cp "$cli" "$root/bedrock-lite"
printf 'hosts: files mdns4_minimal [NOTFOUND=return] resolve dns myhostname\n' >"$root/etc/nsswitch.conf"
printf 'nameserver %s\noptions timeout:2 attempts:2\n' "$dns_ip" >"$root/etc/resolv.conf"
cp ca.pem "$root/etc/pki/tls/certs/ca-bundle.crt"  # RHEL's path: no Debian bundle here
echo "test-static-root: root holds: $(cd "$root" && find . -type f | sort | tr '\n' ' ')"

calls=0  # requests that must reach the fake Bedrock
run_cli() {  # run_cli OPERATION: the CLI in the root, credentials for the fake, no metadata
  env -i AWS_ACCESS_KEY_ID=AKIDFAKEBEDROCK AWS_SECRET_ACCESS_KEY=fake/secret+key/for-the-loopback-server \
    AWS_EC2_METADATA_DISABLED=true "$timeout" 60 "$chroot" "$root" /bedrock-lite "$1" --region us-east-1 \
    --endpoint-url "https://$name:$port" --connect-timeout 10 \
    --model-id anthropic.claude-3-haiku-20240307-v1:0 --prompt "Hello"
}
converse_both() {  # converse_both HOW
  local out
  calls=$((calls + 2))
  out=$(run_cli converse 2>cli.err) || fail "converse ($1) failed: $out $(cat cli.err)"
  grep -q "Hello! How can I assist you today?" <<<"$out" || fail "converse ($1) printed: $out"
  out=$(run_cli converse-stream 2>cli.err) || fail "converse-stream ($1) failed: $out $(cat cli.err)"
  grep -q "The capital of France is Paris." <<<"$out" || fail "converse-stream ($1) printed: $out"
  echo "test-static-root: Converse and ConverseStream over HTTPS, $name through $1: ok"
}

# 1. Through /etc/hosts (no DNS server is running yet: nothing else could answer).
printf '127.0.0.1 localhost\n127.0.0.1 %s\n' "$name" >"$root/etc/hosts"
converse_both "/etc/hosts"

# No shared object is opened, NSS module or other: c-ares reads the files itself.
if command -v strace >/dev/null; then
  if strace -f -qq -e trace=execve,open,openat -o strace.txt true 2>/dev/null; then
    strace -f -qq -e trace=execve,open,openat -o strace.txt env -i AWS_EC2_METADATA_DISABLED=true \
      AWS_ACCESS_KEY_ID=AKIDFAKEBEDROCK AWS_SECRET_ACCESS_KEY=fake/secret+key/for-the-loopback-server \
      "$chroot" "$root" /bedrock-lite converse --region us-east-1 --endpoint-url "https://$name:$port" \
      --model-id anthropic.claude-3-haiku-20240307-v1:0 --prompt "Hello" >/dev/null
    calls=$((calls + 1))
    opened=$(awk '/execve\("\/bedrock-lite"/ { inside = 1 } inside && /open/' strace.txt)
    [ -n "$(grep 'execve("/bedrock-lite"' strace.txt)" ] || fail "strace did not see the CLI start"
    if grep -E '\.so|libnss' <<<"$opened"; then fail "the static CLI opened a shared object"; fi
    echo "test-static-root: files the CLI opened: $(grep -o '"[^"]*"' <<<"$opened" | sort -u | tr '\n' ' ')"
  else
    echo "test-static-root: note: strace cannot trace here; the no-shared-object check is skipped"
  fi
else
  echo "test-static-root: note: strace is not installed; the no-shared-object check is skipped"
fi

# 2. Through DNS: the name is gone from /etc/hosts; dnsmasq on 127.0.0.77 answers it and
#    refuses everything else (no upstream).
printf '127.0.0.1 localhost\n' >"$root/etc/hosts"
dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --no-poll \
  --bind-interfaces --listen-address="$dns_ip" --port=53 --address="/$name/127.0.0.1" \
  --log-queries --log-facility=- >dns.log 2>&1 &
dns_pid=$!
for _ in $(seq 50); do grep -q "started" dns.log && break; sleep 0.1; done
kill -0 "$dns_pid" 2>/dev/null || fail "dnsmasq did not start: $(cat dns.log)"
converse_both "DNS on $dns_ip"
grep -q "query\[A\] $name from 127.0.0.1" dns.log ||
  fail "the DNS server saw no query for $name: $(cat dns.log)"
kill "$dns_pid"; wait "$dns_pid" 2>/dev/null || true; dns_pid=""

# 3. No CA anywhere: one clear error naming every place tried; nothing reaches the server.
printf '127.0.0.1 localhost\n127.0.0.1 %s\n' "$name" >"$root/etc/hosts"
rm "$root/etc/pki/tls/certs/ca-bundle.crt"
if out=$(run_cli converse 2>&1); then fail "converse without a CA succeeded: $out"; fi
expected="error: Config: POST $name:$port: no CA certificates found for TLS: tried SSL_CERT_FILE (unset), SSL_CERT_DIR (unset), /etc/ssl/certs/ca-certificates.crt, /etc/pki/tls/certs/ca-bundle.crt,"
[[ "$out" == "$expected"* ]] || fail "without a CA the CLI said: $out"
[ "$(wc -l <<<"$out")" -eq 1 ] || fail "the error is more than one line: $out"
echo "test-static-root: no CA: $out"

# --- what the fake Bedrock saw: every call above, each with a valid signature --------------------
exec 3>&-
wait "$server_pid" || fail "the fake Bedrock exited with an error: $(cat server.err)"
server_pid=""
seen=$(tail -n +2 server.out)
[ "$(grep -c '^converse\(-stream\)\? 200 signature=valid$' <<<"$seen")" -eq "$calls" ] &&
  [ "$(wc -l <<<"$seen")" -eq "$calls" ] || fail "expected $calls valid calls; the fake Bedrock saw: $seen"
echo "test-static-root: the fake Bedrock saw $calls calls, every SigV4 signature valid: ok"
