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

configure_file(${CMAKE_CURRENT_LIST_DIR}/bedrock_lite.pc.in ${PROJECT_BINARY_DIR}/bedrock_lite.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/bedrock_lite.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
