# A .deb of a dynamic build (docs/static-build.md, "Release artefacts"): `cpack -G DEB` in a
# configured and built tree (scripts/package-release.sh --deb does it). It holds what the install
# rules install: the CLI, libbedrock_lite, headers, CMake package and .pc, under /usr.
# Depends: dpkg-shlibdeps computes the run-time libraries from the CLI (and a shared library);
# a static libbedrock_lite needs its dependencies' -dev packages at the consumer's link time
# (the CMake package's find_dependency and the .pc's Requires), so those are listed too.
if(BEDROCK_LITE_STATIC)
  return()  # the static builds ship as tarballs (scripts/package-release.sh)
endif()
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME bedrock-lite)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "C++17 client for the AWS Bedrock Runtime Converse, ConverseStream and CountTokens APIs")
set(CPACK_PACKAGE_CONTACT "bedrock-lite maintainers")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libcurl4-openssl-dev, libssl-dev, zlib1g-dev, libexpat1-dev")
include(CPack)
