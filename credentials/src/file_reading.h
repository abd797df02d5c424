// Bounded reads of small files (shared config, container token file).
#pragma once

#include <bedrock_lite/core.h>

#include <cstddef>
#include <optional>
#include <string>

namespace bedrock_lite::credentials::detail {

// The whole file, or nullopt when it does not exist. A file longer than `max_bytes`, or one that
// cannot be read, is a Config error naming the path.
Result<std::optional<std::string>> read_bounded_file(const std::string& path,
                                                     std::size_t max_bytes);

}  // namespace bedrock_lite::credentials::detail
