// Fuzz target: the shared config and credentials files (credentials::SharedConfig::parse), the
// INI dialect of ~/.aws/config and ~/.aws/credentials (docs/wire-protocol.md §5.3).
//
// Input: the config file's text, then optionally a NUL byte and the credentials file's text.
// Seeds: fixtures/regressions/shared_config (readable files: profiles, services sections,
// sub-properties, comments, continuation lines, duplicates, malformed lines).
//
// Properties: never crashes; an error is of kind Config, one line, and names the file and line
// ("config:3" or "credentials:7"); a parsed config answers every lookup, and the region resolver
// over it either finds a region that came from the files or reports NoRegion.
#include <bedrock_lite/credentials.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace credentials = bedrock_lite::credentials;
using bedrock_lite::ErrorKind;

namespace {

[[noreturn]] void die(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "shared_config_fuzz: %s %s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t nul = input.find('\0');
  const std::string_view config_text = input.substr(0, nul);
  const std::string_view credentials_text =
      nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);

  auto parsed =
      credentials::SharedConfig::parse(config_text, "config", credentials_text, "credentials");
  if (!parsed.ok()) {
    const auto& error = parsed.error();
    if (error.kind != ErrorKind::Config) die("error kind is not Config", error.message);
    if (error.message.find('\n') != std::string::npos) die("multi-line error", error.message);
    if (error.message.rfind("config:", 0) != 0 && error.message.rfind("credentials:", 0) != 0)
      die("error does not start with file:line", error.message);
    return 0;
  }
  const credentials::SharedConfig& config = *parsed;
  for (const char* name : {"default", "dev", "profile dev", ""}) {
    if (const auto* section = config.profile(name)) {
      for (const auto& [key, property] : section->properties) {
        if (property.file != "config" && property.file != "credentials") die("property file");
        if (property.line == 0) die("property without a line", key);
        (void)property.where();
        if (section->find(key) == nullptr) die("find() misses a listed key", key);
      }
    }
    (void)config.services(name);
    (void)config.sso_session(name);
    (void)config.get(name, "region");
    (void)config.service_get(name, "bedrock_runtime", "endpoint_url");
  }
  (void)config.describe_files();
  for (const auto& warning : config.warnings()) {
    if (warning.find('\n') != std::string::npos) die("multi-line warning", warning);
  }
  auto region = credentials::resolve_region(std::nullopt, credentials::Environment(), config,
                                            std::optional<std::string>("dev"));
  if (!region.ok() && region.error().kind != ErrorKind::NoRegion &&
      region.error().kind != ErrorKind::Config)
    die("region error of an unexpected kind", region.error().message);
  return 0;
}
