#include "file_reading.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace bedrock_lite::credentials::detail {

Result<std::optional<std::string>> read_bounded_file(const std::string& path,
                                                     std::size_t max_bytes) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return std::optional<std::string>{};
    return make_error(ErrorKind::Config, path + ": cannot open: " + std::strerror(errno));
  }
  std::string contents;
  char buffer[8192];
  bool failed = false;
  int saved_errno = 0;
  for (;;) {
    const std::size_t n = std::fread(buffer, 1, sizeof buffer, file);
    contents.append(buffer, n);
    if (contents.size() > max_bytes) break;
    if (n < sizeof buffer) {
      if (std::ferror(file) != 0) {
        failed = true;
        saved_errno = errno;
      }
      break;
    }
  }
  std::fclose(file);
  if (failed) {
    return make_error(ErrorKind::Config, path + ": cannot read: " + std::strerror(saved_errno));
  }
  if (contents.size() > max_bytes) {
    return make_error(ErrorKind::Config,
                      path + ": larger than " + std::to_string(max_bytes) + " bytes");
  }
  return std::optional<std::string>(std::move(contents));
}

}  // namespace bedrock_lite::credentials::detail
