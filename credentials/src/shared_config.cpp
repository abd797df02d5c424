// The shared config and credentials file parser. The rules are the cross-SDK ones of smithy-rs'
// profile parser test suite (docs/wire-protocol.md §5.3): whitespace is space and tab only,
// comments start a line or follow whitespace inside a property value, indented lines continue the
// previous property or, under an empty one, hold sub-properties.
#include <bedrock_lite/credentials.h>

#include "file_reading.h"

#include <bedrock_lite/internal/text.h>

#include <cctype>
#include <cstring>
#include <optional>

namespace bedrock_lite::credentials {
namespace {

bool is_ws(char c) {
  return c == ' ' || c == '\t';
}

using internal::lower;
using internal::trim;

// Profile and section names: [A-Za-z0-9_\-/.%@:+] (docs/wire-protocol.md §5.3); others are ignored.
bool valid_identifier(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0) continue;
    if (std::strchr("_-/.%@:+", c) == nullptr) return false;
  }
  return true;
}

enum class FileKind { Config, Credentials };
enum class SectionKind { Profile, Services, SsoSession, Ignored };

// What one file holds, before the two are merged.
struct ParsedFile {
  std::map<std::string, ProfileSection, std::less<>> profiles;
  // Config file only: `[default]` is kept apart because `[profile default]` beats it.
  std::optional<ProfileSection> bare_default;
  std::map<std::string, ProfileSection, std::less<>> services;
  std::map<std::string, ProfileSection, std::less<>> sso_sessions;
};

Error config_error(const std::string& file, std::size_t line, const std::string& what) {
  return make_error(ErrorKind::Config, file + ":" + std::to_string(line) + ": " + what);
}

// Cuts an inline comment: '#' or ';' counts only when preceded by whitespace (`a = b#c` keeps
// `b#c`; smithy-rs applies this to the whole trimmed property line before splitting at '=').
std::string_view strip_inline_comment(std::string_view line) {
  for (std::size_t i = 1; i < line.size(); ++i) {
    if ((line[i] == '#' || line[i] == ';') && is_ws(line[i - 1])) return trim(line.substr(0, i));
  }
  return line;
}

// parse_file's place in the file: the section properties go to (nullptr before any header, and
// in a section that is ignored) and the property an indented line continues.
struct ParseState {
  const std::string& name;
  FileKind kind;
  std::vector<std::string>& warnings;
  ParsedFile parsed;
  ProfileSection* section = nullptr;
  bool in_ignored_section = false;
  ProfileProperty* last_property = nullptr;
  std::size_t line_number = 0;
};

// What a section header names: "profile   name" / "services name" / "sso-session name" split at
// the first whitespace, `[default]`, or (credentials file) a bare profile name. Ignored sections
// leave a warning.
SectionKind classify_section(ParseState& state, std::string_view header, std::string& section_name,
                             bool& bare_default) {
  const std::string& name = state.name;
  std::string_view prefix = header;
  std::string_view rest;
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (is_ws(header[i])) {
      prefix = header.substr(0, i);
      rest = trim(header.substr(i));
      break;
    }
  }
  SectionKind section_kind = SectionKind::Ignored;
  if (state.kind == FileKind::Credentials) {
    if (rest.empty()) {
      section_kind = SectionKind::Profile;
      section_name = std::string(header);
    } else {
      state.warnings.push_back(name + ":" + std::to_string(state.line_number) + ": section [" +
                               std::string(header) +
                               "] ignored (credentials file sections are "
                               "bare profile names)");
    }
  } else if (!rest.empty() && prefix == "profile") {
    section_kind = SectionKind::Profile;
    section_name = std::string(rest);
  } else if (!rest.empty() && prefix == "services") {
    section_kind = SectionKind::Services;
    section_name = std::string(rest);
  } else if (!rest.empty() && prefix == "sso-session") {
    section_kind = SectionKind::SsoSession;
    section_name = std::string(rest);
  } else if (rest.empty() && header == "default") {
    section_kind = SectionKind::Profile;
    section_name = "default";
    bare_default = true;
  } else {
    state.warnings.push_back(name + ":" + std::to_string(state.line_number) + ": section [" +
                             std::string(header) +
                             "] ignored (config file profiles are "
                             "[profile name])");
  }
  if (section_kind != SectionKind::Ignored && !valid_identifier(section_name)) {
    state.warnings.push_back(name + ":" + std::to_string(state.line_number) + ": section name '" +
                             section_name + "' ignored (invalid characters)");
    section_kind = SectionKind::Ignored;
  }
  return section_kind;
}

// A `[...]` line: checks its syntax, then opens the section it names (or ignores it).
std::optional<Error> parse_section_header(ParseState& state, std::string_view line) {
  const std::string& name = state.name;
  auto close = line.find(']');
  if (close == std::string_view::npos) {
    return config_error(name, state.line_number, "section header without a closing ']'");
  }
  auto after = trim(line.substr(close + 1));
  if (!after.empty() && after[0] != '#' && after[0] != ';') {
    return config_error(name, state.line_number, "unexpected text after ']' in section header");
  }
  std::string_view header = trim(line.substr(1, close - 1));
  state.last_property = nullptr;
  state.section = nullptr;
  state.in_ignored_section = true;

  std::string section_name;
  bool bare_default = false;
  const SectionKind section_kind = classify_section(state, header, section_name, bare_default);
  if (section_kind == SectionKind::Ignored) return std::nullopt;

  state.in_ignored_section = false;
  ParsedFile& parsed = state.parsed;
  if (section_kind == SectionKind::Profile && bare_default) {
    if (!parsed.bare_default) parsed.bare_default = ProfileSection{section_name, {}};
    state.section = &*parsed.bare_default;
  } else {
    auto& table = section_kind == SectionKind::Profile    ? parsed.profiles
                  : section_kind == SectionKind::Services ? parsed.services
                                                          : parsed.sso_sessions;
    auto it = table.find(section_name);
    if (it == table.end()) {
      it = table.emplace(section_name, ProfileSection{section_name, {}}).first;
    }
    state.section = &it->second;  // duplicate sections in one file merge
  }
  return std::nullopt;
}

// An indented line: continues the previous property's value, or under an empty one (`s3 =`,
// `bedrock_runtime =`) holds a `k = v` sub-property.
std::optional<Error> parse_continuation(ParseState& state, std::string_view line) {
  const std::string& name = state.name;
  if (state.section == nullptr && !state.in_ignored_section) {
    return config_error(name, state.line_number, "indented line before any section header");
  }
  ProfileProperty* last_property = state.last_property;
  if (last_property == nullptr) {
    if (state.in_ignored_section) return std::nullopt;
    return config_error(name, state.line_number, "indented line does not continue a property");
  }
  std::string_view content = trim(line);
  if (last_property->value.empty() || !last_property->sub_properties.empty()) {
    // Sub-properties under `key =` (`s3 =`, `bedrock_runtime =`): each must be `k = v`.
    auto equals = content.find('=');
    if (equals == std::string_view::npos) {
      return config_error(name, state.line_number, "expected 'key = value' in a sub-section");
    }
    auto key = trim(content.substr(0, equals));
    if (key.empty()) return config_error(name, state.line_number, "empty key in a sub-section");
    last_property->sub_properties[lower(key)] = std::string(trim(content.substr(equals + 1)));
  } else {
    // Comment characters are not stripped in continuations.
    last_property->value += "\n";
    last_property->value += content;
  }
  return std::nullopt;
}

// A `key = value` line.
std::optional<Error> parse_property(ParseState& state, std::string_view line) {
  const std::string& name = state.name;
  const std::string_view prepared = strip_inline_comment(trim(line));
  auto equals = prepared.find('=');
  if (equals == std::string_view::npos) {
    return config_error(name, state.line_number, "expected 'key = value' (no '=')");
  }
  auto key = trim(prepared.substr(0, equals));
  if (key.empty()) return config_error(name, state.line_number, "property with an empty key");
  if (state.section == nullptr && !state.in_ignored_section) {
    return config_error(name, state.line_number, "property before any section header");
  }
  if (state.in_ignored_section) {
    state.last_property = nullptr;
    return std::nullopt;
  }
  const std::string_view value = trim(prepared.substr(equals + 1));
  ProfileProperty property;
  property.value = std::string(value);
  property.file = name;
  property.line = state.line_number;
  auto& slot = state.section->properties[lower(key)];
  slot = std::move(property);  // duplicate keys: last wins
  state.last_property = &slot;
  return std::nullopt;
}

Result<ParsedFile> parse_file(std::string_view text, const std::string& name, FileKind kind,
                              std::vector<std::string>& warnings) {
  ParseState state{name, kind, warnings, {}};
  while (!text.empty()) {
    ++state.line_number;
    auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

    std::optional<Error> error;
    if (!line.empty() && line[0] == '[') {
      error = parse_section_header(state, line);
    } else if (trim(line).empty() || line[0] == '#' || line[0] == ';') {
      continue;
    } else if (is_ws(line[0])) {
      error = parse_continuation(state, line);
    } else {
      error = parse_property(state, line);
    }
    if (error) return std::move(*error);
  }
  return std::move(state.parsed);
}

}  // namespace

// Merges the two parsed files into a SharedConfig; a friend of SharedConfig.
class SharedConfigBuilder {
 public:
  static void merge(SharedConfig& out, ParsedFile config, ParsedFile credentials) {
    out.profiles_ = std::move(config.profiles);
    // `[profile default]` takes priority over `[default]`: the bare one is ignored if both exist.
    if (config.bare_default) {
      if (out.profiles_.count("default") == 0) {
        out.profiles_.emplace("default", std::move(*config.bare_default));
      } else {
        out.warnings_.push_back("[default] ignored in the config file: [profile default] wins");
      }
    }
    // Across files the same profile merges and the credentials file wins for the same key.
    for (auto& profile : credentials.profiles) {
      auto& target = out.profiles_[profile.first];
      target.name = profile.first;
      for (auto& property : profile.second.properties) {
        target.properties[property.first] = std::move(property.second);
      }
    }
    out.services_ = std::move(config.services);
    out.sso_sessions_ = std::move(config.sso_sessions);
  }
  static void set_files(SharedConfig& out, std::vector<SharedFileStatus> files,
                        std::vector<std::string> warnings) {
    out.files_ = std::move(files);
    // Parse findings first, in file order, then what merging found.
    warnings.insert(warnings.end(), out.warnings_.begin(), out.warnings_.end());
    out.warnings_ = std::move(warnings);
  }
};

const ProfileProperty* ProfileSection::find(std::string_view key) const {
  auto it = properties.find(lower(key));
  return it == properties.end() ? nullptr : &it->second;
}

Result<SharedConfig> SharedConfig::parse(std::string_view config_text,
                                         const std::string& config_name,
                                         std::string_view credentials_text,
                                         const std::string& credentials_name) {
  std::vector<std::string> warnings;
  auto config = parse_file(config_text, config_name, FileKind::Config, warnings);
  if (!config) return std::move(config).error();
  auto creds = parse_file(credentials_text, credentials_name, FileKind::Credentials, warnings);
  if (!creds) return std::move(creds).error();
  SharedConfig out;
  SharedConfigBuilder::merge(out, std::move(config).value(), std::move(creds).value());
  SharedConfigBuilder::set_files(out, {{config_name, true}, {credentials_name, true}},
                                 std::move(warnings));
  return out;
}

Result<SharedConfig> SharedConfig::load(const Environment& environment) {
  auto config_path = environment.get_non_empty("AWS_CONFIG_FILE").value_or("~/.aws/config");
  auto credentials_path =
      environment.get_non_empty("AWS_SHARED_CREDENTIALS_FILE").value_or("~/.aws/credentials");
  config_path = environment.expand_home(config_path);
  credentials_path = environment.expand_home(credentials_path);

  std::vector<SharedFileStatus> files;
  std::string texts[2];
  const std::string* paths[2] = {&config_path, &credentials_path};
  for (int i = 0; i < 2; ++i) {
    SharedFileStatus status{*paths[i], false};
    if (!paths[i]->empty() && (*paths[i])[0] == '~') {
      // No home directory to expand "~" with: the file cannot be found, as for a missing file.
      files.push_back(status);
      continue;
    }
    auto contents = detail::read_bounded_file(*paths[i], kMaxFileBytes);
    if (!contents) return std::move(contents).error();
    if (contents->has_value()) {
      status.read = true;
      texts[i] = std::move(**contents);
    }
    files.push_back(status);
  }
  std::vector<std::string> warnings;
  auto config = parse_file(texts[0], config_path, FileKind::Config, warnings);
  if (!config) return std::move(config).error();
  auto creds = parse_file(texts[1], credentials_path, FileKind::Credentials, warnings);
  if (!creds) return std::move(creds).error();
  SharedConfig out;
  SharedConfigBuilder::merge(out, std::move(config).value(), std::move(creds).value());
  SharedConfigBuilder::set_files(out, std::move(files), std::move(warnings));
  return out;
}

const ProfileSection* SharedConfig::profile(std::string_view name) const {
  auto it = profiles_.find(name);
  return it == profiles_.end() ? nullptr : &it->second;
}

const ProfileSection* SharedConfig::services(std::string_view name) const {
  auto it = services_.find(name);
  return it == services_.end() ? nullptr : &it->second;
}

const ProfileSection* SharedConfig::sso_session(std::string_view name) const {
  auto it = sso_sessions_.find(name);
  return it == sso_sessions_.end() ? nullptr : &it->second;
}

const ProfileProperty* SharedConfig::get(std::string_view profile_name,
                                         std::string_view key) const {
  auto* section = profile(profile_name);
  return section == nullptr ? nullptr : section->find(key);
}

std::optional<std::string> SharedConfig::service_get(std::string_view profile_name,
                                                     std::string_view service,
                                                     std::string_view key) const {
  auto* services_name = get(profile_name, "services");
  if (services_name == nullptr) return std::nullopt;
  auto* section = services(services_name->value);
  if (section == nullptr) return std::nullopt;
  auto* block = section->find(service);
  if (block == nullptr) return std::nullopt;
  auto it = block->sub_properties.find(lower(key));
  if (it == block->sub_properties.end()) return std::nullopt;
  return it->second;
}

std::string SharedConfig::describe_files() const {
  std::string out;
  for (const auto& file : files_) {
    if (!out.empty()) out += ", ";
    out += file.path + (file.read ? " (read)" : " (missing)");
  }
  return out.empty() ? std::string("no files") : out;
}

std::string selected_profile(const Environment& environment,
                             const std::optional<std::string>& override_profile) {
  if (override_profile && !override_profile->empty()) return *override_profile;
  if (auto name = environment.get_non_empty("AWS_PROFILE")) return *name;
  return "default";
}

}  // namespace bedrock_lite::credentials
