// Folder helpers on POSIX calls (why not std::filesystem: directory.h).
#include "directory.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

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
      const std::size_t mark = folders.size();
      folders.push_back(path);
      if (!list_folders_recursive(path, folders, error)) {
        // Renamed or removed between the lstat and its listing (a recording renames its finished
        // folders into place): skipped, like a name gone before the lstat.
        if (::lstat(path.c_str(), &link) != 0) {
          folders.resize(mark);
          error.clear();
          continue;
        }
        return false;
      }
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

bool make_temp_directory(const std::string& prefix, std::string& path, std::string& error) {
  std::vector<char> name(prefix.begin(), prefix.end());
  for (int i = 0; i < 6; ++i) name.push_back('X');
  name.push_back('\0');
  if (::mkdtemp(name.data()) == nullptr) {
    error = std::strerror(errno);
    return false;
  }
  path = name.data();
  return true;
}

bool remove_all(const std::string& path, std::string& error) {
  struct stat link {};
  if (::lstat(path.c_str(), &link) != 0) {
    if (errno == ENOENT) return true;
    error = path + ": " + std::strerror(errno);
    return false;
  }
  if (S_ISDIR(link.st_mode)) {
    std::vector<std::string> names;
    if (!list_names(path, names, error)) {
      error = path + ": " + error;
      return false;
    }
    for (const auto& name : names) {
      if (!remove_all(join_path(path, name), error)) return false;
    }
    if (::rmdir(path.c_str()) != 0) {
      error = path + ": " + std::strerror(errno);
      return false;
    }
    return true;
  }
  if (::unlink(path.c_str()) != 0) {
    error = path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

bool rename_path(const std::string& from, const std::string& to, std::string& error) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    error = std::strerror(errno);
    return false;
  }
  return true;
}

bool replace_directory(const std::string& fresh, const std::string& target, bool& exchanged,
                       std::string& error) {
  exchanged = false;
  struct stat info {};
  if (::lstat(target.c_str(), &info) != 0 && errno == ENOENT) {
    return rename_path(fresh, target, error);
  }
  if (::renameat2(AT_FDCWD, fresh.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0) {
    exchanged = true;
    return true;
  }
  if (errno != EINVAL && errno != ENOSYS) {
    error = std::strerror(errno);
    return false;
  }
  // No RENAME_EXCHANGE here (some network and FUSE filesystems): the old folder steps aside
  // first, so `target` is briefly missing, never half-written.
  const std::string old = fresh + ".old";
  if (!rename_path(target, old, error)) return false;
  if (!rename_path(fresh, target, error)) {
    std::string ignored;
    rename_path(old, target, ignored);
    return false;
  }
  if (!rename_path(old, fresh, error)) return false;
  exchanged = true;
  return true;
}

}  // namespace bedrock_lite::replay::detail
