// Fuzz target: the fixture loader (replay::load_interaction) over files a user hands us, and the
// replay transport built from what loads.
//
// Input: the three files of one interaction folder, separated by lines "--8<--":
//   <request.json>\n--8<--\n<response.json>\n--8<--\n<response.body>
// (fewer parts leave the later files missing). They are written to a temporary folder created
// once per process. Seeds: fixtures/regressions/fixture_loader (recorded interactions in this
// form, and broken ones).
//
// Properties: never crashes; a failure is a Config error, one line, naming the file; an
// interaction that loads replays: match() with its own method, URI and body finds it, and
// send() delivers its status and exactly its body bytes.
#include <bedrock_lite/replay.h>

#include <unistd.h>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace http = bedrock_lite::http;
namespace replay = bedrock_lite::replay;
namespace fs = std::filesystem;

namespace {

[[noreturn]] void die(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "fixture_loader_fuzz: %s %s\n", what, detail.c_str());
  std::abort();
}

std::string& folder_path() {
  static std::string dir;
  return dir;
}

void remove_folder() {
  std::error_code ec;
  fs::remove_all(folder_path(), ec);
}

// Created on first use, removed at exit (the replay runs under ctest in every build).
const std::string& folder() {
  std::string& dir = folder_path();
  if (dir.empty()) {
    std::string pattern = (fs::temp_directory_path() / "fixture_loader_fuzz.XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) die("mkdtemp failed");
    dir = pattern;
    std::atexit(remove_folder);
  }
  return dir;
}

void write_or_remove(const std::string& path, const std::string_view* text) {
  std::error_code ec;
  fs::remove(path, ec);
  if (text == nullptr) return;
  std::ofstream out(path, std::ios::binary);
  out.write(text->data(), static_cast<std::streamsize>(text->size()));
}

class CollectingSink final : public http::BodySink {
 public:
  bool on_head(const http::ResponseHead& h) override {
    head = h;
    return true;
  }
  bool on_body(std::string_view chunk) override {
    body.append(chunk.data(), chunk.size());
    return true;
  }
  http::ResponseHead head;
  std::string body;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  static constexpr std::string_view kSeparator = "\n--8<--\n";
  std::string_view parts[3];
  std::size_t count = 0;
  while (count < 3) {
    const std::size_t at = count < 2 ? input.find(kSeparator) : std::string_view::npos;
    parts[count++] = input.substr(0, at);
    if (at == std::string_view::npos) break;
    input.remove_prefix(at + kSeparator.size());
  }
  const std::string& dir = folder();
  static const char* kNames[3] = {"request.json", "response.json", "response.body"};
  for (std::size_t i = 0; i < 3; ++i) {
    write_or_remove(dir + "/" + kNames[i], i < count ? &parts[i] : nullptr);
  }

  auto loaded = replay::load_interaction(dir);
  if (!loaded.ok()) {
    const auto& error = loaded.error();
    if (error.kind != bedrock_lite::ErrorKind::Config)
      die("error kind is not Config", error.message);
    if (error.message.find('\n') != std::string::npos) die("multi-line error", error.message);
    if (error.message.rfind(dir, 0) != 0) die("error does not name the file", error.message);
    return 0;
  }
  const replay::Interaction interaction = *loaded;
  if (count == 3 && interaction.response_body != parts[2]) die("response.body not byte for byte");

  replay::FixtureSet set;
  set.root = dir;
  set.interactions.push_back(interaction);
  replay::ReplayOptions options;
  options.chunk_bytes = 7;
  replay::ReplayTransport replay(set, options);
  auto matched = replay.match(interaction.method, interaction.uri, interaction.request_body);
  if (!matched.ok()) {
    // Only targets a request can have are required to match themselves.
    const std::string& uri = interaction.uri;
    if (uri.rfind("/", 0) == 0 || uri.rfind("http://", 0) == 0 || uri.rfind("https://", 0) == 0)
      die("an interaction does not match its own request:", matched.error().message);
    return 0;
  }
  if ((*matched)->folder != interaction.folder) die("matched another interaction");

  http::Request request;
  request.method = interaction.method;
  request.url = interaction.uri;
  request.body = interaction.request_body;
  CollectingSink sink;
  auto head = replay.send(request, sink);
  if (!head.ok()) {
    if (head.error().message.find('\n') != std::string::npos) die("multi-line replay error");
    return 0;
  }
  if (head->status != interaction.status || sink.head.status != interaction.status)
    die("replayed status differs");
  if (sink.body != interaction.response_body) die("replayed body differs");
  return 0;
}
