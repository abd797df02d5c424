# Install: public headers, the umbrella library, the CLI, a CMake package
# (find_package(bedrock_lite CONFIG) -> bedrock_lite::bedrock_lite) and bedrock_lite.pc.
include(CMakePackageConfigHelpers)

foreach(module ${BEDROCK_LITE_MODULES})
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${module}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endforeach()
install(FILES ${PROJECT_BINARY_DIR}/generated/include/bedrock_lite/export.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/bedrock_lite)

install(TARGETS bedrock_lite EXPORT bedrock_lite-targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

set(_config_dir ${CMAKE_INSTALL_LIBDIR}/cmake/bedrock_lite)
install(EXPORT bedrock_lite-targets NAMESPACE bedrock_lite:: DESTINATION ${_config_dir})
# A build-tree export lets a parent project use us without installing.
export(EXPORT bedrock_lite-targets NAMESPACE bedrock_lite::
       FILE ${PROJECT_BINARY_DIR}/bedrock_lite-targets.cmake)

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/bedrock_lite-config.cmake.in
  ${PROJECT_BINARY_DIR}/bedrock_lite-config.cmake INSTALL_DESTINATION ${_config_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/bedrock_lite-config-version.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/bedrock_lite-config.cmake
              ${PROJECT_BINARY_DIR}/bedrock_lite-config-version.cmake
        DESTINATION ${_config_dir})

# bedrock_lite.pc: prefix relative to the .pc file (${pcfiledir}), so any install prefix works;
# a static library puts its dependencies on the consumer's link line (see bedrock_lite.pc.in).
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(BEDROCK_LITE_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _pc_up "/_/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/_")
  set(BEDROCK_LITE_PC_PREFIX "\${pcfiledir}/${_pc_up}")
endif()
if(BUILD_SHARED_LIBS)
  set(BEDROCK_LITE_PC_REQUIRES "Requires.private")
  set(BEDROCK_LITE_PC_LIBS_EXTRA "")
else()
  set(BEDROCK_LITE_PC_REQUIRES "Requires")
  set(BEDROCK_LITE_PC_LIBS_EXTRA " -pthread")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/bedrock_lite.pc.in ${PROJECT_BINARY_DIR}/bedrock_lite.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/bedrock_lite.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# What the shared library exports: BEDROCK_LITE_API marks it in the code (hidden visibility by
# default); the version script also hides the std:: template instantiations that visibility
# cannot reach. scripts/check-exports.sh checks the result.
get_target_property(_bl_type bedrock_lite TYPE)
if(_bl_type STREQUAL "SHARED_LIBRARY")
  target_link_options(bedrock_lite PRIVATE
    "LINKER:--version-script=${CMAKE_CURRENT_LIST_DIR}/bedrock_lite.map")
  set_property(TARGET bedrock_lite APPEND PROPERTY LINK_DEPENDS
    ${CMAKE_CURRENT_LIST_DIR}/bedrock_lite.map)
endif()

# A shared build's installed CLI finds libbedrock_lite relative to itself, so an install prefix
# can be moved or be one the dynamic loader does not search. Applies to targets made after this
# file (the CLI); a caller's own CMAKE_INSTALL_RPATH wins.
if(BUILD_SHARED_LIBS AND NOT DEFINED CMAKE_INSTALL_RPATH AND NOT IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  file(RELATIVE_PATH _bl_bin_to_lib "/_/${CMAKE_INSTALL_BINDIR}" "/_/${CMAKE_INSTALL_LIBDIR}")
  set(CMAKE_INSTALL_RPATH "\$ORIGIN/${_bl_bin_to_lib}")
endif()
