#!/usr/bin/env bash
# Builds a minimal static libcurl (HTTP and HTTPS only, HTTP/2 through nghttp2, OpenSSL, zlib,
# c-ares for name lookups)
# from Debian's own curl source package, for the fully static CLI (-DBEDROCK_LITE_STATIC=ON, the
# `static` preset; scripts/build-static.sh calls it per architecture).
#
# Why not Debian's libcurl.a: it is configured with every feature Debian ships (GSSAPI/Kerberos,
# LDAP, SSH, PSL, IDN, HTTP/2, RTMP, brotli, zstd), and several of those have no static archive in
# Debian (Kerberos, p11-kit), or drag in more (libsasl2 pulls database libraries), so it cannot
# link with -static.
#
# What it does, nothing else:
#   1. adds a deb-src entry for the mirror(s) and suites this machine's apt already uses, if none;
#   2. apt-get update; apt-get source curl (the version of the installed libcurl4-openssl-dev when
#      apt has it), unpacked and patched with Debian's patches by dpkg-source;
#   3. ./configure from the release tarball (no autoreconf) with everything we do not use off,
#      nghttp2 for HTTP/2 (the transport's default over TLS, docs/async.md) and c-ares as the
#      resolver (it reads /etc/hosts and /etc/resolv.conf itself, so a static program never
#      reaches glibc's NSS and its dlopen of the host's libnss_* modules);
#   4. builds and installs lib/ only: <dir>/prefix/{include/curl,lib/libcurl.a,lib/pkgconfig}.
# Only Debian packages and source packages are fetched, through apt.
#
# Usage: scripts/build-static-curl.sh [DIR [ARCH]]
#   DIR   default build/static-deps-<ARCH>, relative to the repo
#   ARCH  x86_64 (default: this machine's) or aarch64 (cross-built with g++-aarch64-linux-gnu
#         against the arm64 multiarch -dev packages; apt must know the arm64 architecture,
#         scripts/build-static.sh sets that up)
# Needs root (or sudo) for the apt steps. Skips everything when DIR/prefix holds a libcurl built
# by this same script from the same curl, OpenSSL, zlib, c-ares and nghttp2 versions
# (DIR/prefix/stamp).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

arch=${2:-$(uname -m)}
case "$arch" in
  x86_64) debarch=amd64; triplet=x86_64-linux-gnu ;;
  aarch64) debarch=arm64; triplet=aarch64-linux-gnu ;;
  *) echo "build-static-curl: unsupported architecture '$arch' (x86_64 or aarch64)" >&2; exit 2 ;;
esac
cross=""
[ "$arch" = "$(uname -m)" ] || cross=$triplet

dir=${1:-build/static-deps-$arch}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
prefix=$dir/prefix

# What the built libcurl depends on: this script and the versions of the packages it is built
# from and against. The curl source version is the installed libcurl4-openssl-dev's (below).
dev_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo none; }
stamp_text() {
  printf 'script %s\ncurl %s\nopenssl %s\nzlib %s\nc-ares %s\nnghttp2 %s\narch %s\n' \
    "$(sha256sum "$repo/scripts/build-static-curl.sh" | cut -d' ' -f1)" \
    "$(dev_version libcurl4-openssl-dev)" "$(dev_version "libssl-dev:$debarch")" \
    "$(dev_version "zlib1g-dev:$debarch")" "$(dev_version "libc-ares-dev:$debarch")" \
    "$(dev_version "libnghttp2-dev:$debarch")" "$arch"
}
if [ -f "$prefix/lib/libcurl.a" ] && [ -f "$prefix/include/curl/curl.h" ] &&
   [ -f "$prefix/stamp" ] && [ "$(cat "$prefix/stamp")" = "$(stamp_text)" ]; then
  echo "build-static-curl: $prefix/lib/libcurl.a already built ($arch, same sources)"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "build-static-curl: need root or sudo for apt" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive

# --- 1. deb-src for the same mirror and suites --------------------------------------------------
# Only enabled files count: *.sources (deb822) and *.list (one-line) in sources.list.d, and
# /etc/apt/sources.list. An existing deb-src entry anywhere means there is nothing to add.
src_file=/etc/apt/sources.list.d/bedrock-lite-deb-src.sources
enabled=()
[ -f /etc/apt/sources.list ] && enabled+=(/etc/apt/sources.list)
for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
  [ -f "$f" ] && [ "$f" != "$src_file" ] && enabled+=("$f")
done
has_src() {
  for f in "${enabled[@]}"; do
    grep -Eq '^[[:space:]]*deb-src[[:space:]]' "$f" && return 0
    grep -Eq '^[[:space:]]*Types:.*deb-src' "$f" && return 0
  done
  return 1
}
if ! has_src && [ ! -f "$src_file" ]; then
  entries=""
  for f in "${enabled[@]}"; do
    case "$f" in
      *.sources)
        # Copy every stanza whose Types has "deb" and whose URIs are Debian's, as deb-src.
        entries+=$(awk '
          function flush() {
            if (stanza != "" && isdeb && isdebian) printf "%s\n", stanza
            stanza = ""; isdeb = 0; isdebian = 0
          }
          /^[[:space:]]*$/ { flush(); next }
          /^[[:space:]]*#/ { next }
          /^Types:/ { if ($0 ~ /[[:space:]]deb([[:space:]]|$)/) isdeb = 1; stanza = stanza "Types: deb-src\n"; next }
          /^URIs:/ { if ($0 ~ /debian/) isdebian = 1 }
          { stanza = stanza $0 "\n" }
          END { flush() }' "$f")$'\n'
        ;;
      *)
        # One-line format: "deb [opts] URI suite components" -> Types/URIs/Suites/Components.
        entries+=$(awk '
          $1 == "deb" && $0 ~ /debian/ {
            i = 2; opts = ""
            if ($2 ~ /^\[/) { while ($i !~ /\]$/) { opts = opts " " $i; i++ } opts = opts " " $i; i++ }
            comps = ""; for (j = i + 2; j <= NF; j++) comps = comps " " $j
            signed = ""
            if (match(opts, /signed-by=[^] ]+/)) signed = "Signed-By: " substr(opts, RSTART + 10, RLENGTH - 10) "\n"
            printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents:%s\n%s\n", $i, $(i + 1), comps, signed
          }' "$f")$'\n'
        ;;
    esac
  done
  if [ -z "${entries//[[:space:]]/}" ]; then
    echo "build-static-curl: found no enabled Debian 'deb' entry in /etc/apt to mirror as deb-src" >&2
    exit 1
  fi
  echo "build-static-curl: adding $src_file:"
  printf '%s' "$entries" | sed 's/^/  /'
  printf '# Added by bedrock-lite scripts/build-static-curl.sh: source packages from the same\n# mirrors and suites as the deb entries.\n%s' "$entries" | $sudo tee "$src_file" >/dev/null
fi

# --- 2. the source package -----------------------------------------------------------------------
# dpkg-source (dpkg-dev) unpacks it; make and a C compiler build it (build-essential has all three).
need=()
packages=(dpkg-dev build-essential pkg-config libcurl4-openssl-dev
          "libssl-dev:$debarch" "zlib1g-dev:$debarch" "libc-ares-dev:$debarch"
          "libnghttp2-dev:$debarch")
[ -z "$cross" ] || packages+=("g++-$triplet")
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
$sudo apt-get update -qq
[ ${#need[@]} -eq 0 ] || $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"

src_root=$dir/src
rm -rf "$src_root"
mkdir -p "$src_root"
# Same upstream version and Debian patches as the libcurl the dynamic build links, when the
# source of that exact version is still on the mirror; otherwise the newest one there.
version=$(dpkg-query -W -f='${Version}' libcurl4-openssl-dev 2>/dev/null || true)
(
  cd "$src_root"
  # apt drops privileges to _apt for downloads; a root-owned folder outside its reach only
  # earns a warning, so keep it quiet.
  if [ -n "$version" ] && apt-get source -qq "curl=$version" 2>/dev/null; then :; else
    apt-get source -qq curl
  fi
)
srcdir=$(find "$src_root" -maxdepth 1 -mindepth 1 -type d -name 'curl-*' | head -n 1)
[ -n "$srcdir" ] && [ -x "$srcdir/configure" ] || {
  echo "build-static-curl: no unpacked curl source with a configure script under $src_root" >&2
  exit 1
}
echo "build-static-curl: building $(basename "$srcdir") into $prefix"

# --- 3. configure: HTTP/HTTPS (HTTP/2 by nghttp2) over OpenSSL with zlib, c-ares, nothing else ---
# Debian's patches touch configure.ac and Makefile.am; the tarball's generated files are used as
# they are, so stop make from trying to re-run autotools because of the patch timestamps.
find "$srcdir" \( -name configure -o -name 'Makefile.in' -o -name aclocal.m4 -o -name 'curl_config.h.in' \) \
  -exec touch {} +

build=$dir/curl-build
rm -rf "$build" "$prefix"
mkdir -p "$build"
cd "$build"
# Cross: the triplet's compiler, and pkg-config reading only the arm64 multiarch .pc files.
host=()
if [ -n "$cross" ]; then
  host=(--host="$triplet" CC="$triplet-gcc" AR="$triplet-ar" RANLIB="$triplet-ranlib")
  export PKG_CONFIG_LIBDIR=/usr/lib/$triplet/pkgconfig:/usr/share/pkgconfig
fi
# c-ares instead of the threaded resolver: libcurl's threaded resolver calls getaddrinfo, which in
# a static glibc program loads the host's NSS modules (docs/static-build.md).
CFLAGS="-Os -ffunction-sections -fdata-sections -fvisibility=hidden" \
"$srcdir/configure" --quiet "${host[@]}" \
  --prefix="$prefix" \
  --disable-shared --enable-static --with-pic \
  --disable-dependency-tracking --disable-maintainer-mode \
  --with-openssl --with-zlib \
  --with-ca-bundle=/etc/ssl/certs/ca-certificates.crt --with-ca-path=/etc/ssl/certs \
  --enable-http --disable-ftp --disable-file --disable-ldap --disable-ldaps --disable-rtsp \
  --disable-dict --disable-telnet --disable-tftp --disable-pop3 --disable-imap --disable-smb \
  --disable-smtp --disable-gopher --disable-mqtt --disable-manual \
  --disable-cookies --disable-alt-svc --disable-hsts --disable-ntlm --disable-ntlm-wb \
  --disable-tls-srp --disable-unix-sockets --disable-netrc --disable-doh --disable-mime \
  --disable-dateparse --disable-websockets \
  --disable-crypto-auth --disable-progress-meter --disable-get-easy-options --disable-headers-api \
  --disable-threaded-resolver --enable-ares --enable-ipv6 --enable-proxy \
  --with-nghttp2 --without-nghttp3 --without-ngtcp2 --without-quiche --without-msh3 \
  --without-libidn2 --without-libpsl --without-librtmp --without-libssh --without-libssh2 \
  --without-wolfssh --without-gssapi --without-brotli --without-zstd --without-libgsasl \
  --without-hyper --without-gnutls --without-nss --without-wolfssl --without-mbedtls \
  --without-bearssl --without-rustls --without-ca-fallback
# lib/ only: no curl tool, no docs.
make -j"${JOBS:-2}" -C lib >/dev/null
make -C lib install >/dev/null
make -C include install >/dev/null
make install-pkgconfigDATA install-binSCRIPTS >/dev/null
# The output is captured first: with pipefail, `curl-config | grep -q` fails whenever grep exits at
# its first match while curl-config is still writing (SIGPIPE), which a loaded machine makes common.
features=$("$prefix/bin/curl-config" --features)
grep -qx AsynchDNS <<<"$features" ||
  { echo "build-static-curl: libcurl was built without an asynchronous resolver" >&2; exit 1; }
grep -q '^#define USE_ARES 1' lib/curl_config.h ||
  { echo "build-static-curl: libcurl was built without c-ares" >&2; exit 1; }
# HTTP/2 is the transport's default over TLS; without it every https call would fall back to
# HTTP/1.1 (http/src/curl_transport.cpp), so a build that lost nghttp2 is a failed build.
grep -qx HTTP2 <<<"$features" ||
  { echo "build-static-curl: libcurl was built without HTTP/2 (nghttp2)" >&2; exit 1; }
stamp_text >"$prefix/stamp"

echo "build-static-curl: $(du -h "$prefix/lib/libcurl.a" | cut -f1) $prefix/lib/libcurl.a"
echo "build-static-curl: features: $(tr "\n" " " <<<"$features")"
echo "build-static-curl: protocols: $("$prefix/bin/curl-config" --protocols | tr '\n' ' ')"
echo "build-static-curl: static libs: $("$prefix/bin/curl-config" --static-libs)"
cd "$repo"
