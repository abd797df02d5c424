// Fuzz target: arbitrary bytes as input lines of `bedrock-lite eventstream encode` (the JSON
// objects in the decoded-vector shape docs/cli.md describes), through the CLI's own line reader
// (cli/eventstream_encode.cpp). Seeds: fixtures/vectors/eventstream,
// fixtures/regressions/eventstream_encode. Properties:
//  - no line crashes or hangs (JSON nested 2,000,000 deep once overflowed the stack: issue 11);
//  - a refused line gets a non-empty one-line message;
//  - an accepted line encodes to exactly one message that the decoder accepts whole (lengths and
//    both CRCs right), the same bytes every time.
#include <bedrock_lite/eventstream.h>

#include "eventstream_encode.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace es = bedrock_lite::eventstream;

namespace {

[[noreturn]] void die(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "eventstream_encode_fuzz: %s %s\n", what, detail.c_str());
  std::abort();
}

void check_line(std::string_view line) {
  std::string message;
  auto encoded = bedrock_lite::cli::encode_line(line, message);
  if (!encoded) {
    const std::string& problem = encoded.error();
    if (problem.empty()) die("empty error message");
    if (problem.find('\n') != std::string::npos) die("multi-line error:", problem);
    if (!message.empty()) die("a refused line still wrote bytes");
    return;
  }
  std::size_t messages = 0;
  std::size_t total = 0;
  es::Decoder decoder([&](const es::MessageView& m) {
    ++messages;
    total += m.total_length();
    return es::Flow::Continue;
  });
  if (decoder.feed(message) != es::Status::Ok || decoder.finish() != es::Status::Ok)
    die("encoded message does not decode:", decoder.error()->message);
  if (messages != 1 || total != message.size()) die("not exactly one whole message");
  std::string again;
  if (!bedrock_lite::cli::encode_line(line, again).ok() || again != message)
    die("encoding is not deterministic");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // One line per call, as the CLI splits stdin.
  while (!input.empty()) {
    const std::size_t end = input.find('\n');
    std::string_view line = input.substr(0, end);
    while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") != std::string_view::npos) check_line(line);
    if (end == std::string_view::npos) break;
    input.remove_prefix(end + 1);
  }
  return 0;
}
