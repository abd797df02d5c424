// The log hook: how the library reports what a caller may want to see (a provider skipped, a
// refresh that failed while old credentials stay valid, a retry). Nothing is printed unless the
// caller installs a hook. Messages never contain secrets.
#pragma once

#include <functional>
#include <string_view>

namespace bedrock_lite {

enum class LogLevel { Debug, Info, Warn, Error };

// Called on whatever thread did the work; must be thread-safe if the client is shared. The view
// is valid only during the call.
using LogHook = std::function<void(LogLevel level, std::string_view message)>;

}  // namespace bedrock_lite
