#include "support/fixtures.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <iterator>

namespace bedrock_lite::test {

std::filesystem::path fixture_path(const std::string& relative) {
  return std::filesystem::path(BEDROCK_LITE_FIXTURES_DIR) / relative;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  INFO("reading " << path.string());
  REQUIRE(in.good());
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::vector<std::filesystem::path> folders_with(const std::filesystem::path& root,
                                                const std::string& marker) {
  std::vector<std::filesystem::path> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root, ec)) {
    if (entry.is_regular_file() && entry.path().filename() == marker)
      found.push_back(entry.path().parent_path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace bedrock_lite::test
