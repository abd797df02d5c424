#!/usr/bin/env bash
# Release tarballs from the static builds (docs/static-build.md, "Release tarballs"):
#
#   scripts/package-release.sh [ARCH...]      (default: x86_64 aarch64)
#   scripts/package-release.sh --deb BUILD_DIR  (a built dynamic tree, e.g. build/release)
#
# For each ARCH, after `scripts/build-static.sh ARCH`, makes
# build/release-artefacts/bedrock-lite-<version>-linux-<ARCH>.tar.gz holding
# bedrock-lite-<version>-linux-<ARCH>/ with bin/bedrock-lite (static, stripped),
# lib/libbedrock_lite.a, include/, lib/cmake/bedrock_lite/, lib/pkgconfig/bedrock_lite.pc, the
# completions and man page under share/ (what `cmake --install` of the static tree installs), README.md, LICENSE and NOTICE when the
# repository has them, and docs/. Then build/release-artefacts/SHA256SUMS over every tarball
# there. With --deb: `cpack -G DEB` in BUILD_DIR (cmake/BedrockLitePackage.cmake) puts
# bedrock-lite_<version>_<debian arch>.deb there instead. SHA256SUMS covers every .tar.gz and .deb
# in the folder. The library links against the consumer's own libcurl, OpenSSL, zlib and expat (its CMake
# package and .pc find them); only the CLI is fully static.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
version=$(sed -n 's/^project(bedrock_lite VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
[ -n "$version" ] || { echo "package-release: no version in CMakeLists.txt" >&2; exit 1; }
out=$repo/build/release-artefacts
mkdir -p "$out"
sums() { (cd "$out" && shopt -s nullglob && sha256sum -- *.tar.gz *.deb >SHA256SUMS); }

if [ "${1:-}" = "--deb" ]; then
  tree=${2:?--deb needs a built dynamic build folder}
  [ -f "$tree/CPackConfig.cmake" ] || { echo "package-release: $tree has no CPackConfig.cmake" >&2; exit 1; }
  rm -f "$out"/*.deb
  cpack --config "$tree/CPackConfig.cmake" -B "$tree/cpack" >/dev/null
  cp "$tree"/cpack/*.deb "$out/"
  sums
  for deb in "$out"/*.deb; do
    echo "package-release: $deb: Depends: $(dpkg-deb -f "$deb" Depends)"
  done
  exit 0
fi

archs=("$@")
[ ${#archs[@]} -gt 0 ] || archs=(x86_64 aarch64)

for arch in "${archs[@]}"; do
  tree=build/static-$arch
  [ -x "$tree/cli/bedrock-lite" ] ||
    { echo "package-release: no $tree/cli/bedrock-lite: run scripts/build-static.sh $arch" >&2; exit 1; }
  name=bedrock-lite-$version-linux-$arch
  stage=$(mktemp -d)
  cmake --install "$tree" --prefix "$stage/$name" >/dev/null
  strip_tool=strip objcopy_tool=objcopy
  [ "$arch" = "$(uname -m)" ] || { strip_tool=$arch-linux-gnu-strip; objcopy_tool=$arch-linux-gnu-objcopy; }
  "$strip_tool" "$stage/$name/bin/bedrock-lite"
  # The static build's objects are fat LTO objects (cmake/BedrockLiteStatic.cmake): machine code
  # plus GCC 12's intermediate code, which only the same GCC can read and which is 85% of the
  # archive. The tarball's library keeps the machine code only.
  "$objcopy_tool" --remove-section='.gnu.lto_*' "$stage/$name/lib/libbedrock_lite.a"
  cp README.md "$stage/$name/"
  for f in LICENSE NOTICE; do [ ! -f "$f" ] || cp "$f" "$stage/$name/"; done
  cp -r docs "$stage/$name/docs"
  # Reproducible member order and owners; the time is the last commit's.
  mtime=$(git log -1 --format=%cI 2>/dev/null || date -u +%FT%TZ)
  tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime="$mtime" \
    -czf "$out/$name.tar.gz" "$name"
  rm -rf "$stage"
  echo "package-release: $out/$name.tar.gz ($(stat -c %s "$out/$name.tar.gz") bytes)"
done
sums
echo "package-release: $out/SHA256SUMS"
