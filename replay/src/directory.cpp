// Folder helpers on POSIX calls (why not std::filesystem: directory.h).
#include "directory.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <cerrno>
#include <cstring>

namespace bedrock_lite::replay::detail {

std::string join_path(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  if (dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

bool is_directory(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

bool is_regular_file(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

bool list_names(const std::string& dir, std::vector<std::string>& names, std::string& error) {
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) {
    error = std::strerror(errno);
    return false;
  }
  errno = 0;
  while (const dirent* entry = ::readdir(handle)) {
    const char* name = entry->d_name;
    if (std::strcmp(name, ".") != 0 && std::strcmp(name, "..") != 0) names.emplace_back(name);
    errno = 0;
  }
  const int failure = errno;
  ::closedir(handle);
  if (failure != 0) {
    error = std::strerror(failure);
    return false;
  }
  return true;
}

bool list_folders_recursive(const std::string& root, std::vector<std::string>& folders,
                            std::string& error) {
  std::vector<std::string> names;
  if (!list_names(root, names, error)) return false;
  for (const auto& name : names) {
    const std::string path = join_path(root, name);
    struct stat link {};
    if (::lstat(path.c_str(), &link) != 0) continue;  // gone since it was listed
    if (S_ISDIR(link.st_mode)) {
      folders.push_back(path);
      if (!list_folders_recursive(path, folders, error)) return false;
    } else if (S_ISLNK(link.st_mode) && is_directory(path)) {
      folders.push_back(path);
    }
  }
  return true;
}

bool create_directories(const std::string& path, std::string& error) {
  // Each prefix ending before a '/', then the whole path; an existing folder is fine.
  for (std::size_t at = path.find('/', 1);; at = path.find('/', at + 1)) {
    const std::string prefix = at == std::string::npos ? path : path.substr(0, at);
    if (!prefix.empty() && prefix.back() != '/' && ::mkdir(prefix.c_str(), 0777) != 0 &&
        errno != EEXIST) {
      error = std::strerror(errno);
      return false;
    }
    if (at == std::string::npos) break;
  }
  if (!is_directory(path)) {
    error = std::strerror(ENOTDIR);
    return false;
  }
  return true;
}

}  // namespace bedrock_lite::replay::detail
