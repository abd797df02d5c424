// One input line of `bedrock-lite eventstream encode` (docs/cli.md): a JSON object in the shape
// of the official decoded vectors, turned into one binary event stream message. A library of its
// own so that the fuzz target eventstream_encode_fuzz runs exactly the CLI's code.
#pragma once

#include <bedrock_lite/core.h>

#include <string>
#include <string_view>

namespace bedrock_lite::cli {

// Appends the message `line` describes to `out`. The error is one line saying what was wrong and
// where in the line ("headers[0].value must be base64", "invalid JSON at offset 3: ..."); the
// caller prefixes the line's place ("stdin:4: ").
Result<void, std::string> encode_line(std::string_view line, std::string& out);

}  // namespace bedrock_lite::cli
