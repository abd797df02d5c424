// Fixture lookup for table-driven tests. CMake passes the fixtures path as a compile
// definition; nothing is copied at build time.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace bedrock_lite::test {

// <repo>/fixtures/<relative>
std::filesystem::path fixture_path(const std::string& relative);

// The whole file, bytes as they are. Fails the current test if it cannot be read.
std::string read_file(const std::filesystem::path& path);

// Every directory at or below `root` that holds a file named `marker`, sorted, so a new folder
// is a new case with no code change.
std::vector<std::filesystem::path> folders_with(const std::filesystem::path& root,
                                                const std::string& marker);

}  // namespace bedrock_lite::test
