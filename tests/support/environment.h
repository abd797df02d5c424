// An injected world for tests: a temporary directory (a fake HOME, config files, fixture
// output) removed at scope exit, and variables of this process's own environment set for one
// test (for code that reads the process environment: from_environment(), the C API).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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

// Variable -> value; std::nullopt unsets it.
using EnvironmentValues = std::vector<std::pair<std::string, std::optional<std::string>>>;

// The process environment of a program that signs for the fake Bedrock (FakeBedrockOptions'
// default key) in us-east-1: HOME is `home`, the shared files are missing, and no session token,
// profile, bearer token, endpoint variable or instance metadata can get in the way.
EnvironmentValues fake_bedrock_process_environment(const TempDir& home);

// Sets (or unsets) process environment variables and restores them at scope exit. Not
// thread-safe: tests that use it run no other threads reading the environment.
class ScopedProcessEnvironment {
 public:
  explicit ScopedProcessEnvironment(const EnvironmentValues& values);
  ~ScopedProcessEnvironment();
  ScopedProcessEnvironment(const ScopedProcessEnvironment&) = delete;
  ScopedProcessEnvironment& operator=(const ScopedProcessEnvironment&) = delete;

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

}  // namespace bedrock_lite::test
