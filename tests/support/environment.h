// An injected world for tests: a temporary directory (a fake HOME, config files, fixture
// output) removed at scope exit.
#pragma once

#include <filesystem>
#include <string>

namespace bedrock_lite::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Writes `contents` to path()/relative (creating folders) and returns the full path.
  std::filesystem::path write(const std::string& relative, const std::string& contents) const;

 private:
  std::filesystem::path path_;
};

}  // namespace bedrock_lite::test
