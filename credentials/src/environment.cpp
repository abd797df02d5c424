#include <bedrock_lite/credentials.h>

#include <bedrock_lite/internal/text.h>

extern "C" char** environ;  // POSIX: declared by no standard header under strict C++17

namespace bedrock_lite::credentials {

Environment::Environment(std::map<std::string, std::string> variables)
    : variables_(variables.begin(), variables.end()) {}

// The one place the library reads the process environment (STYLE.md "Configuration is
// explicit"): everything downstream works from this snapshot.
Environment Environment::from_process() {
  std::map<std::string, std::string> variables;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    const auto equals = text.find('=');
    if (equals == std::string_view::npos || equals == 0) continue;
    variables.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  return Environment(std::move(variables));
}

std::optional<std::string> Environment::get(std::string_view name) const {
  auto it = variables_.find(name);
  if (it == variables_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> Environment::get_non_empty(std::string_view name) const {
  auto it = variables_.find(name);
  if (it == variables_.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

bool Environment::is_true(std::string_view name) const {
  auto value = get(name);
  return value && internal::iequals(*value, "true");
}

std::optional<std::string> Environment::home() const {
  if (auto home = get_non_empty("HOME")) return home;
  if (auto profile = get_non_empty("USERPROFILE")) return profile;
  auto drive = get_non_empty("HOMEDRIVE");
  auto path = get_non_empty("HOMEPATH");
  if (drive && path) return *drive + *path;
  return std::nullopt;
}

std::string Environment::expand_home(const std::string& path) const {
  // Only "~" alone or "~/..." (docs/wire-protocol.md §5.3); "~user" is left as written.
  if (path.empty() || path[0] != '~') return path;
  if (path.size() > 1 && path[1] != '/') return path;
  auto home_dir = home();
  if (!home_dir) return path;
  return *home_dir + path.substr(1);
}

std::vector<std::string> Environment::to_envp() const {
  std::vector<std::string> out;
  out.reserve(variables_.size());
  for (const auto& [name, value] : variables_) out.push_back(name + "=" + value);
  return out;
}

http::EnvironmentLookup Environment::lookup() const {
  return [copy = *this](std::string_view name) { return copy.get(name); };
}

}  // namespace bedrock_lite::credentials
