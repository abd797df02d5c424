# bedrock_lite_add_module(<name> SOURCES ... [DEPS <our modules>] [PUBLIC_LIBS ...] [PRIVATE_LIBS ...])
# Declares the OBJECT library bedrock_lite_<name> (alias bedrock_lite::<name>), whose usage
# requirements expose only its own include/ and those of the modules it may use.
set(BEDROCK_LITE_MODULES "" CACHE INTERNAL "")

# <bedrock_lite/export.h>: BEDROCK_LITE_API, shared by every module's public headers.
configure_file(${CMAKE_CURRENT_LIST_DIR}/export.h.in
               ${PROJECT_BINARY_DIR}/generated/include/bedrock_lite/export.h COPYONLY)

set(BEDROCK_LITE_LIBRARY_WARNINGS
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
    -Wold-style-cast)
set(BEDROCK_LITE_TOOL_WARNINGS -Wall -Wextra)
if(BEDROCK_LITE_WERROR)
  list(APPEND BEDROCK_LITE_LIBRARY_WARNINGS -Werror)
  list(APPEND BEDROCK_LITE_TOOL_WARNINGS -Werror)
endif()

function(bedrock_lite_add_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PUBLIC_LIBS;PRIVATE_LIBS" ${ARGN})
  set(target bedrock_lite_${name})
  add_library(${target} OBJECT ${ARG_SOURCES})
  add_library(bedrock_lite::${name} ALIAS ${target})
  target_include_directories(${target} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/generated/include> $<INSTALL_INTERFACE:include>)
  target_include_directories(${target} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_compile_definitions(${target} PRIVATE BEDROCK_LITE_BUILDING=1)
  target_compile_options(${target} PRIVATE ${BEDROCK_LITE_LIBRARY_WARNINGS})
  if(BEDROCK_LITE_NO_EXCEPTIONS)
    target_compile_options(${target} PRIVATE -fno-exceptions -fno-rtti)
  endif()
  foreach(dep ${ARG_DEPS})
    target_link_libraries(${target} PUBLIC bedrock_lite_${dep})
  endforeach()
  target_link_libraries(${target} PUBLIC ${ARG_PUBLIC_LIBS} PRIVATE ${ARG_PRIVATE_LIBS})
  set(BEDROCK_LITE_MODULES ${BEDROCK_LITE_MODULES} ${name} CACHE INTERNAL "")
endfunction()
