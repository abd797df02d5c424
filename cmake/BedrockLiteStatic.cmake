# BEDROCK_LITE_STATIC: everything links statically, for a fully static bedrock-lite CLI.
# Included before BedrockLiteDeps.cmake: it declares CURL::libcurl, OpenSSL::SSL/Crypto and
# ZLIB::ZLIB on the static archives first, so the find_package calls there reuse these targets.
#
# libcurl is the minimal one scripts/build-static-curl.sh builds from Debian's curl source
# (HTTP/HTTPS, HTTP/2 through nghttp2, OpenSSL, zlib, c-ares, nothing else): Debian's own
# libcurl.a needs Kerberos, LDAP, SSH, PSL, IDN, rtmp, brotli and zstd, some of which have no
# static archive in Debian. OpenSSL, zlib, c-ares and nghttp2 are Debian's own static archives
# (libssl-dev, zlib1g-dev, libc-ares-dev, libnghttp2-dev; the arm64 ones when cross-building with
# cmake/aarch64-linux-gnu.cmake). See
# docs/static-build.md.
if(NOT BEDROCK_LITE_STATIC)
  return()
endif()

set(BEDROCK_LITE_STATIC_DEPS_DIR
    "${PROJECT_SOURCE_DIR}/build/static-deps-${CMAKE_SYSTEM_PROCESSOR}/prefix" CACHE PATH
    "Prefix holding the minimal static libcurl (scripts/build-static-curl.sh installs it there)")
set(_bl_curl_a "${BEDROCK_LITE_STATIC_DEPS_DIR}/lib/libcurl.a")
set(_bl_curl_h "${BEDROCK_LITE_STATIC_DEPS_DIR}/include/curl/curl.h")
if(NOT EXISTS "${_bl_curl_a}" OR NOT EXISTS "${_bl_curl_h}")
  message(FATAL_ERROR
    "BEDROCK_LITE_STATIC: no static libcurl at ${_bl_curl_a}: run scripts/build-static.sh "
    "${CMAKE_SYSTEM_PROCESSOR} (or scripts/build-static-curl.sh) first (it builds one from "
    "Debian's curl source package), or point "
    "BEDROCK_LITE_STATIC_DEPS_DIR at a prefix holding lib/libcurl.a and include/curl/")
endif()

# CMake's own find modules know how to pick static OpenSSL and zlib archives.
set(OPENSSL_USE_STATIC_LIBS TRUE)
set(ZLIB_USE_STATIC_LIBS ON)
find_package(Threads REQUIRED)
find_package(OpenSSL 1.1.1 REQUIRED COMPONENTS SSL Crypto)
find_package(ZLIB REQUIRED)
# c-ares, the resolver libcurl was built with: Debian's libc-ares-dev ships libcares.a.
find_library(BEDROCK_LITE_CARES_LIBRARY NAMES libcares.a
             DOC "Static c-ares archive (Debian's libc-ares-dev) the static libcurl needs")
if(NOT BEDROCK_LITE_CARES_LIBRARY)
  message(FATAL_ERROR "BEDROCK_LITE_STATIC: no libcares.a: install libc-ares-dev (for the target "
                      "architecture), as scripts/build-static-curl.sh does")
endif()
# nghttp2, libcurl's HTTP/2 framing: Debian's libnghttp2-dev ships libnghttp2.a.
find_library(BEDROCK_LITE_NGHTTP2_LIBRARY NAMES libnghttp2.a
             DOC "Static nghttp2 archive (Debian's libnghttp2-dev) the static libcurl needs")
if(NOT BEDROCK_LITE_NGHTTP2_LIBRARY)
  message(FATAL_ERROR "BEDROCK_LITE_STATIC: no libnghttp2.a: install libnghttp2-dev (for the "
                      "target architecture), as scripts/build-static-curl.sh does")
endif()
foreach(_bl_lib ${OPENSSL_SSL_LIBRARY} ${OPENSSL_CRYPTO_LIBRARY} ${ZLIB_LIBRARIES}
        ${BEDROCK_LITE_CARES_LIBRARY} ${BEDROCK_LITE_NGHTTP2_LIBRARY})
  if(NOT _bl_lib MATCHES "\\.a$")
    message(FATAL_ERROR "BEDROCK_LITE_STATIC: ${_bl_lib} is not a static archive (a cache left "
                        "from a dynamic configure? use a fresh build folder)")
  endif()
endforeach()

# expat: FindEXPAT has no static switch; Debian's libexpat1-dev ships libexpat.a beside the .so.
find_library(EXPAT_LIBRARY NAMES libexpat.a REQUIRED)
if(NOT EXPAT_LIBRARY MATCHES "\\.a$")
  message(FATAL_ERROR "BEDROCK_LITE_STATIC: ${EXPAT_LIBRARY} is not a static archive")
endif()

# FindCURL has no notion of a static libcurl's own dependencies: declare the target here, with
# the link line curl-config --static-libs gives for this build (nghttp2, cares, ssl, crypto, z;
# threads for OpenSSL).
add_library(CURL::libcurl STATIC IMPORTED)
set_target_properties(CURL::libcurl PROPERTIES
  IMPORTED_LOCATION "${_bl_curl_a}"
  IMPORTED_LINK_INTERFACE_LANGUAGES C
  INTERFACE_INCLUDE_DIRECTORIES "${BEDROCK_LITE_STATIC_DEPS_DIR}/include"
  INTERFACE_COMPILE_DEFINITIONS CURL_STATICLIB
  INTERFACE_LINK_LIBRARIES
    "${BEDROCK_LITE_NGHTTP2_LIBRARY};${BEDROCK_LITE_CARES_LIBRARY};OpenSSL::SSL;OpenSSL::Crypto;ZLIB::ZLIB;Threads::Threads")
# For find_package(CURL) in BedrockLiteDeps.cmake: same headers, no config-package search.
set(CURL_NO_CURL_CMAKE ON)
set(CURL_INCLUDE_DIR "${BEDROCK_LITE_STATIC_DEPS_DIR}/include")
set(CURL_LIBRARY "${_bl_curl_a}")

# Size: every function and object in its own section, so the static link can drop what nothing
# references (the CLI links with --gc-sections, see cli/CMakeLists.txt).
add_compile_options(-ffunction-sections -fdata-sections)
# Size (issue 14: the CLI at most 6 MiB stripped): link-time optimisation, so the CLI's link
# compiles our library and the CLI as one program (inlining across modules, code nothing reaches
# dropped). Fat objects: libbedrock_lite.a, shipped in the release tarball, keeps machine code
# beside GCC's intermediate code, so a consumer links it with any compiler, LTO or not.
include(CheckIPOSupported)
check_ipo_supported(RESULT _bl_ipo OUTPUT _bl_ipo_output LANGUAGES C CXX)
if(NOT _bl_ipo)
  message(FATAL_ERROR "BEDROCK_LITE_STATIC: the compiler cannot do link-time optimisation, which "
                      "keeps the static CLI under 6 MiB: ${_bl_ipo_output}")
endif()
set(CMAKE_INTERPROCEDURAL_OPTIMIZATION ON)
add_compile_options(-ffat-lto-objects)
message(STATUS "BEDROCK_LITE_STATIC: libcurl ${_bl_curl_a}, ${OPENSSL_SSL_LIBRARY}, "
               "${OPENSSL_CRYPTO_LIBRARY}, ${ZLIB_LIBRARIES}, ${EXPAT_LIBRARY}, "
               "${BEDROCK_LITE_CARES_LIBRARY}, ${BEDROCK_LITE_NGHTTP2_LIBRARY}")
