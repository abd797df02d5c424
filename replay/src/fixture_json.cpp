#include "fixture_json.h"

#include <bedrock_lite/internal/text.h>

#include <openssl/evp.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>

namespace bedrock_lite::replay::detail {
namespace {

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

constexpr const char* kMask = "<redacted>";  // Secret::kMask, without the dependency

using internal::hex_value;
using internal::lower;

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1) return {};
  return internal::hex_lower(digest, length);
}

// Characters as Python's len() counts them (the recorder's unit): UTF-8 code points.
std::size_t code_points(std::string_view text) {
  std::size_t count = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

const char* type_name(const rapidjson::Value& value) {
  if (value.IsObject()) return "object";
  if (value.IsArray()) return "array";
  if (value.IsString()) return "string";
  if (value.IsNumber()) return "number";
  if (value.IsBool()) return "boolean";
  return "null";
}

bool numbers_equal(const rapidjson::Value& a, const rapidjson::Value& b) {
  if (a.IsInt64() && b.IsInt64()) return a.GetInt64() == b.GetInt64();
  if (a.IsUint64() && b.IsUint64()) return a.GetUint64() == b.GetUint64();
  return a.GetDouble() == b.GetDouble();
}

void append_token(std::string& pointer, std::string_view token) {
  pointer += '/';
  for (char c : token) {
    if (c == '~') {
      pointer += "~0";
    } else if (c == '/') {
      pointer += "~1";
    } else {
      pointer += c;
    }
  }
}

// The member a JSON reader keeps when a name repeats: the last one (JSON.parse, Python's json,
// Jackson). Comparing first occurrences made a body with a repeated name differ from itself
// (fixtures/regressions/fixture_loader/repeated_member_name).
rapidjson::Value::ConstMemberIterator last_member(const rapidjson::Value& object,
                                                  const rapidjson::Value& name) {
  auto found = object.MemberEnd();
  for (auto member = object.MemberBegin(); member != object.MemberEnd(); ++member) {
    if (member->name == name) found = member;
  }
  return found;
}

std::optional<JsonDifference> compare(const rapidjson::Value& recorded,
                                      const rapidjson::Value& actual, std::string& pointer) {
  auto differ = [&](std::string what) {
    return std::optional<JsonDifference>(JsonDifference{pointer, std::move(what)});
  };
  if (recorded.IsString() && actual.IsString()) {
    std::string_view r(recorded.GetString(), recorded.GetStringLength());
    std::string_view a(actual.GetString(), actual.GetStringLength());
    if (r == a || elision_matches(r, a)) return std::nullopt;
    return differ("string differs");
  }
  if (recorded.IsNumber() && actual.IsNumber()) {
    if (numbers_equal(recorded, actual)) return std::nullopt;
    return differ("number differs");
  }
  if (recorded.GetType() != actual.GetType() && !(recorded.IsBool() && actual.IsBool())) {
    return differ(std::string("recorded ") + type_name(recorded) + ", got " + type_name(actual));
  }
  if (recorded.IsBool()) {
    if (recorded.GetBool() == actual.GetBool()) return std::nullopt;
    return differ("boolean differs");
  }
  if (recorded.IsObject()) {
    const std::size_t base = pointer.size();
    for (auto member = recorded.MemberBegin(); member != recorded.MemberEnd(); ++member) {
      if (last_member(recorded, member->name) != member) continue;  // a later one wins
      std::string_view name(member->name.GetString(), member->name.GetStringLength());
      append_token(pointer, name);
      auto found = last_member(actual, member->name);
      if (found == actual.MemberEnd()) return differ("member missing");
      if (auto difference = compare(member->value, found->value, pointer)) {
        return difference;
      }
      pointer.resize(base);
    }
    for (auto member = actual.MemberBegin(); member != actual.MemberEnd(); ++member) {
      if (!recorded.HasMember(member->name)) {
        append_token(pointer,
                     std::string_view(member->name.GetString(), member->name.GetStringLength()));
        return differ("unexpected member");
      }
    }
    return std::nullopt;
  }
  if (recorded.IsArray()) {
    const std::size_t base = pointer.size();
    const rapidjson::SizeType common = std::min(recorded.Size(), actual.Size());
    for (rapidjson::SizeType i = 0; i < common; ++i) {
      append_token(pointer, std::to_string(i));
      if (auto difference = compare(recorded[i], actual[i], pointer)) {
        return difference;
      }
      pointer.resize(base);
    }
    if (recorded.Size() != actual.Size()) {
      return differ("array has " + std::to_string(actual.Size()) + " elements, recorded " +
                    std::to_string(recorded.Size()));
    }
    return std::nullopt;
  }
  return std::nullopt;  // both null
}

// How many members, elements and values differ; a miss with fewer differences is closer.
std::size_t distance(const rapidjson::Value& recorded, const rapidjson::Value& actual) {
  if (recorded.IsString() && actual.IsString()) {
    std::string_view r(recorded.GetString(), recorded.GetStringLength());
    std::string_view a(actual.GetString(), actual.GetStringLength());
    return r == a || elision_matches(r, a) ? 0 : 1;
  }
  if (recorded.IsNumber() && actual.IsNumber()) return numbers_equal(recorded, actual) ? 0 : 1;
  if (recorded.IsBool() && actual.IsBool()) return recorded.GetBool() == actual.GetBool() ? 0 : 1;
  if (recorded.GetType() != actual.GetType()) return 1;
  std::size_t count = 0;
  if (recorded.IsObject()) {
    for (auto member = recorded.MemberBegin(); member != recorded.MemberEnd(); ++member) {
      if (last_member(recorded, member->name) != member) continue;
      auto found = last_member(actual, member->name);
      count += found == actual.MemberEnd() ? 1 : distance(member->value, found->value);
    }
    for (auto member = actual.MemberBegin(); member != actual.MemberEnd(); ++member) {
      if (!recorded.HasMember(member->name)) ++count;
    }
  } else if (recorded.IsArray()) {
    const rapidjson::SizeType common = std::min(recorded.Size(), actual.Size());
    for (rapidjson::SizeType i = 0; i < common; ++i) count += distance(recorded[i], actual[i]);
    count += std::max(recorded.Size(), actual.Size()) - common;
  }
  return count;
}

}  // namespace

std::size_t json_distance(const rapidjson::Value& recorded, const rapidjson::Value& actual) {
  return distance(recorded, actual);
}

Result<std::string> read_whole_file(const std::string& path) {
  File file(std::fopen(path.c_str(), "rb"));
  if (!file) return make_error(ErrorKind::Config, path + ": cannot open: " + std::strerror(errno));
  std::string contents;
  char buffer[65536];
  for (;;) {
    std::size_t n = std::fread(buffer, 1, sizeof buffer, file.get());
    contents.append(buffer, n);
    if (n < sizeof buffer) break;
  }
  if (std::ferror(file.get())) {
    return make_error(ErrorKind::Config, path + ": read failed: " + std::strerror(errno));
  }
  return contents;
}

Result<void> write_whole_file(const std::string& path, std::string_view contents) {
  File file(std::fopen(path.c_str(), "wb"));
  if (!file)
    return make_error(ErrorKind::Config, path + ": cannot create: " + std::strerror(errno));
  if (std::fwrite(contents.data(), 1, contents.size(), file.get()) != contents.size() ||
      std::fflush(file.get()) != 0) {
    return make_error(ErrorKind::Config, path + ": write failed: " + std::strerror(errno));
  }
  return {};
}

std::string_view target_of(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme != std::string_view::npos) {
    url.remove_prefix(scheme + 3);
    auto path = url.find_first_of("/?");
    url = path == std::string_view::npos ? std::string_view("/") : url.substr(path);
  }
  auto fragment = url.find('#');
  if (fragment != std::string_view::npos) url = url.substr(0, fragment);
  return url;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string scrub_uri(std::string_view uri) {
  auto query = uri.find('?');
  if (query == std::string_view::npos) return std::string(uri);
  std::string out(uri.substr(0, query + 1));
  std::string_view rest = uri.substr(query + 1);
  for (;;) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    const std::string name = lower(pair.substr(0, eq));
    if (eq != std::string_view::npos && (name == "x-amz-security-token" ||
                                         name == "x-amz-signature" || name == "x-amz-credential")) {
      out += std::string(pair.substr(0, eq + 1)) + kMask;
    } else {
      out += std::string(pair);
    }
    if (amp == std::string_view::npos) break;
    out += '&';
    rest.remove_prefix(amp + 1);
  }
  return out;
}

bool elision_matches(std::string_view recorded, std::string_view actual) {
  constexpr std::string_view kPrefix = "<elided: ", kMiddle = " chars, sha256 ";
  if (recorded.substr(0, kPrefix.size()) != kPrefix || recorded.empty() || recorded.back() != '>') {
    return false;
  }
  std::string_view rest = recorded.substr(kPrefix.size());
  rest.remove_suffix(1);
  std::size_t length = 0;
  auto parsed = std::from_chars(rest.data(), rest.data() + rest.size(), length);
  if (parsed.ec != std::errc()) return false;
  rest.remove_prefix(static_cast<std::size_t>(parsed.ptr - rest.data()));
  if (rest.substr(0, kMiddle.size()) != kMiddle) return false;
  rest.remove_prefix(kMiddle.size());
  if (rest.size() != 64) return false;
  return code_points(actual) == length && sha256_hex(actual) == rest;
}

std::optional<JsonDifference> json_difference(const rapidjson::Value& recorded,
                                              const rapidjson::Value& actual) {
  std::string pointer;
  return compare(recorded, actual, pointer);
}

}  // namespace bedrock_lite::replay::detail
