# Every dependency as an imported target; nothing is downloaded.
find_package(Threads REQUIRED)
find_package(OpenSSL 1.1.1 REQUIRED COMPONENTS Crypto)
find_package(ZLIB REQUIRED)
find_package(CURL REQUIRED)
# expat reads STS's XML answers (credentials module, privately). The static build points
# EXPAT_LIBRARY at Debian's libexpat.a first (BedrockLiteStatic.cmake).
find_package(EXPAT REQUIRED)

# RapidJSON is header-only and Debian's package config only sets a variable: wrap it once.
find_path(RAPIDJSON_INCLUDE_DIR rapidjson/document.h REQUIRED)
add_library(bedrock_lite_rapidjson INTERFACE)
target_include_directories(bedrock_lite_rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIR})
# 64-bit sizes and std::string support; no exceptions from the parser (we check ParseResult).
target_compile_definitions(bedrock_lite_rapidjson INTERFACE RAPIDJSON_HAS_STDSTRING=1)
