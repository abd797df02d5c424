#include "token_cache.h"

#include "file_reading.h"

#include <bedrock_lite/internal/json.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace bedrock_lite::credentials::detail {
namespace {

// A cache file is one flat object with at most an object inside (accessToken).
constexpr std::size_t kMaxCacheDepth = 16;

Error write_error(const std::string& path, const std::string& step, int error_number) {
  return make_error(ErrorKind::Config,
                    path + ": cannot " + step + ": " + std::strerror(error_number));
}

// Writes all of `data` to `fd`, across short writes.
bool write_all(int fd, const std::string& data, int& error_number) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      error_number = errno;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

Result<rapidjson::Document> parse_json_object(std::string_view text, const std::string& where,
                                              ErrorKind kind) {
  internal::JsonLimits limits;
  limits.max_bytes = kMaxTokenDocumentBytes;
  limits.max_depth = kMaxCacheDepth;
  rapidjson::Document document;
  if (auto parsed = internal::parse_json(document, text, limits); !parsed) {
    return make_error(kind, where + ": " + parsed.error().message);
  }
  if (!document.IsObject()) return make_error(kind, where + ": not a JSON object");
  return document;
}

Result<std::string> render_json_object(const rapidjson::Document& document,
                                       const std::string& where, ErrorKind kind) {
  auto text = internal::render_json(document);
  if (!text) return make_error(kind, where + ": cannot write JSON: " + text.error().message());
  return std::move(text).value();
}

Result<std::optional<rapidjson::Document>> read_json_cache(const std::string& path) {
  auto contents = read_bounded_file(path, kMaxTokenDocumentBytes);
  if (!contents) return std::move(contents).error();
  if (!contents->has_value()) return std::optional<rapidjson::Document>{};
  auto document = parse_json_object(**contents, path, ErrorKind::Config);
  if (!document) return std::move(document).error();
  return std::optional<rapidjson::Document>(std::move(document).value());
}

Result<void> write_json_cache(const std::string& path, const rapidjson::Document& document) {
  auto rendered = render_json_object(document, path, ErrorKind::Config);
  if (!rendered) return std::move(rendered).error();
  const std::string& text = *rendered;

  // Same folder, so rename() is atomic (one file system).
  const auto slash = path.rfind('/');
  const std::string folder = slash == std::string::npos ? "." : path.substr(0, slash);
  std::string pattern = folder + "/.bedrock-lite-cache-XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  const int fd = ::mkstemp(name.data());
  if (fd < 0) return write_error(path, "create a temporary file in " + folder, errno);
  const std::string temporary(name.data());

  struct stat info {};
  const mode_t mode = ::stat(path.c_str(), &info) == 0 ? (info.st_mode & 07777) : 0600;
  int error_number = 0;
  std::string step;
  if (::fchmod(fd, mode) != 0) {
    error_number = errno;
    step = "set the mode of " + temporary;
  } else if (!write_all(fd, text, error_number)) {
    step = "write " + temporary;
  } else if (::fsync(fd) != 0) {
    error_number = errno;
    step = "flush " + temporary;
  }
  if (::close(fd) != 0 && step.empty()) {
    error_number = errno;
    step = "close " + temporary;
  }
  if (step.empty() && ::rename(temporary.c_str(), path.c_str()) != 0) {
    error_number = errno;
    step = "rename " + temporary + " over it";
  }
  if (!step.empty()) {
    ::unlink(temporary.c_str());
    return write_error(path, step, error_number);
  }
  return {};
}

std::optional<std::string> string_member(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return std::nullopt;
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsString()) return std::nullopt;
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

void set_string_member(rapidjson::Document& document, rapidjson::Value& object, const char* name,
                       std::string_view value) {
  auto& allocator = document.GetAllocator();
  rapidjson::Value copy(value.data(), static_cast<rapidjson::SizeType>(value.size()), allocator);
  auto it = object.FindMember(name);
  if (it != object.MemberEnd()) {
    it->value = copy;
  } else {
    object.AddMember(rapidjson::Value(name, allocator), copy, allocator);
  }
}

}  // namespace bedrock_lite::credentials::detail
