// The version of the zlib linked at run time (which may differ from the headers built against).
#include <bedrock_lite/eventstream.h>

#include <zlib.h>

#include <string>

namespace bedrock_lite::eventstream {

std::string zlib_runtime_version() {
  return std::string("zlib ") + zlibVersion();
}

}  // namespace bedrock_lite::eventstream
