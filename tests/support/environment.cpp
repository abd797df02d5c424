#include "support/environment.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace bedrock_lite::test {

TempDir::TempDir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "bedrock-lite-test-XXXXXX").string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  REQUIRE(mkdtemp(buffer.data()) != nullptr);
  path_ = buffer.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::filesystem::path TempDir::write(const std::string& relative,
                                     const std::string& contents) const {
  auto full = path_ / relative;
  std::filesystem::create_directories(full.parent_path());
  std::ofstream out(full, std::ios::binary);
  out << contents;
  REQUIRE(out.good());
  return full;
}

EnvironmentValues fake_bedrock_process_environment(const TempDir& home) {
  const std::string missing = (home.path() / "missing").string();
  return {{"HOME", home.path().string()},
          {"AWS_REGION", "us-east-1"},
          {"AWS_DEFAULT_REGION", std::nullopt},
          {"AWS_ACCESS_KEY_ID", "AKIDFAKEBEDROCK"},
          {"AWS_SECRET_ACCESS_KEY", "fake/secret+key/for-the-loopback-server"},
          {"AWS_SESSION_TOKEN", std::nullopt},
          {"AWS_BEARER_TOKEN_BEDROCK", std::nullopt},
          {"AWS_PROFILE", std::nullopt},
          {"AWS_ENDPOINT_URL", std::nullopt},
          {"AWS_ENDPOINT_URL_BEDROCK_RUNTIME", std::nullopt},
          {"AWS_MAX_ATTEMPTS", std::nullopt},
          {"AWS_CONFIG_FILE", missing},
          {"AWS_SHARED_CREDENTIALS_FILE", missing},
          {"AWS_EC2_METADATA_DISABLED", "true"}};
}

ScopedProcessEnvironment::ScopedProcessEnvironment(const EnvironmentValues& values) {
  for (const auto& [name, value] : values) {
    const char* old = ::getenv(name.c_str());
    saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
    if (value) {
      ::setenv(name.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name.c_str());
    }
  }
}

ScopedProcessEnvironment::~ScopedProcessEnvironment() {
  // Restored in reverse, so a variable named twice ends as it was before the first.
  for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
    if (it->second) {
      ::setenv(it->first.c_str(), it->second->c_str(), 1);
    } else {
      ::unsetenv(it->first.c_str());
    }
  }
}

}  // namespace bedrock_lite::test
