// Private folder helpers for the fixture loader and the recording transport, on POSIX calls.
// Not std::filesystem: its static libstdc++ objects pull in fstream, sstream and every locale
// facet (about 600 KiB, with global constructors) into a statically linked program.
#pragma once

#include <string>
#include <vector>

namespace bedrock_lite::replay::detail {

// "a" + "/" + "b", without doubling a trailing slash of `dir`.
std::string join_path(const std::string& dir, const std::string& name);
// stat() follows symbolic links, as std::filesystem::is_directory/is_regular_file do.
bool is_directory(const std::string& path);
bool is_regular_file(const std::string& path);

// The names in `dir` (no "." or ".."), unsorted; false with the OS reason in `error` when it
// cannot be read.
bool list_names(const std::string& dir, std::vector<std::string>& names, std::string& error);

// Every folder below `root` (not `root` itself), depth first, each as root-relative path joined
// to root. A symbolic link to a folder is listed but not descended into (a link cycle would
// never end), like std::filesystem::recursive_directory_iterator's default.
bool list_folders_recursive(const std::string& root, std::vector<std::string>& folders,
                            std::string& error);

// mkdir -p: creates `path` and any missing parent; false with the OS reason in `error`.
bool create_directories(const std::string& path, std::string& error);

// mkdtemp: creates a new folder named `prefix` + six random characters; false with the OS reason.
bool make_temp_directory(const std::string& prefix, std::string& path, std::string& error);

// rm -r without following symbolic links; false with the OS reason and the failing path.
bool remove_all(const std::string& path, std::string& error);

// rename(2): moves a folder into place. Fails (EEXIST/ENOTEMPTY) when `to` is a non-empty folder,
// which is how the recording transport notices a number another process took.
bool rename_path(const std::string& from, const std::string& to, std::string& error);

// Atomically puts `fresh` at `target`: when `target` exists the two are exchanged in one step
// (renameat2 RENAME_EXCHANGE) and the old contents end up at `fresh`; `exchanged` says which
// happened. A filesystem without RENAME_EXCHANGE gets two renames through `fresh` + ".old".
bool replace_directory(const std::string& fresh, const std::string& target, bool& exchanged,
                       std::string& error);

}  // namespace bedrock_lite::replay::detail
