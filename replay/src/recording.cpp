// The recording transport: forwards to another transport and writes each completed exchange
// as an interaction folder (format: fixture.h), secrets scrubbed.
#include <bedrock_lite/core.h>
#include <bedrock_lite/replay.h>

#include <bedrock_lite/internal/http1.h>
#include <bedrock_lite/internal/json.h>
#include <bedrock_lite/internal/text.h>
#include "directory.h"
#include "fixture_json.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <ctime>
#include <utility>

namespace bedrock_lite::replay {
using http::BodySink;
using http::Headers;
using http::redact_header_value;
using http::Request;
using http::ResponseHead;
using http::Transport;

namespace {

constexpr std::size_t kNumberDigits = 6;  // "000001-converse": sorts in recorded order

using internal::lower;

// The last path segment ("converse", "converse-stream", "count-tokens", "invoke").
std::string api_of(std::string_view url) {
  std::string_view target = detail::target_of(url);
  target = target.substr(0, target.find('?'));
  while (!target.empty() && target.back() == '/') target.remove_suffix(1);
  auto slash = target.rfind('/');
  return detail::percent_decode(slash == std::string_view::npos ? target
                                                                : target.substr(slash + 1));
}

std::string folder_suffix(const std::string& api) {
  std::string out;
  for (char c : api.substr(0, 40)) {
    out +=
        (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-') ? c : '_';
  }
  return out.empty() ? "request" : out;
}

std::string iso8601(std::chrono::system_clock::time_point when) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

using PrettyWriter = rapidjson::PrettyWriter<rapidjson::StringBuffer>;
using Writer = internal::CheckedJsonWriter<PrettyWriter>;

void write_string(Writer& writer, std::string_view text) {
  writer.String(text);
}

// Names lower-cased as in the recorded corpus; repeated names joined with ", " (RFC 9110
// §5.3); values through the one redaction function.
void write_headers(Writer& writer, const Headers& headers) {
  std::vector<std::pair<std::string, std::string>> merged;
  for (const auto& header : headers) {
    std::string name = lower(header.name);
    std::string value = redact_header_value(header.name, header.value);
    auto same = std::find_if(merged.begin(), merged.end(),
                             [&name](const auto& entry) { return entry.first == name; });
    if (same != merged.end()) {
      same->second += ", " + value;
    } else {
      merged.emplace_back(std::move(name), std::move(value));
    }
  }
  writer.StartObject();
  for (const auto& [name, value] : merged) {
    writer.Key(name);
    write_string(writer, value);
  }
  writer.EndObject();
}

// The file's text, or the Config error naming the value that could not be written (a fixture is
// never written truncated).
Result<std::string> finish(rapidjson::StringBuffer& buffer, Writer& writer, const char* file) {
  if (!writer.finish()) {
    return make_error(ErrorKind::Config,
                      std::string(file) + " cannot be written: " + writer.error()->message());
  }
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

Result<std::string> request_json(const Request& request) {
  rapidjson::StringBuffer buffer;
  PrettyWriter pretty(buffer);
  pretty.SetIndent(' ', 1);
  Writer writer(pretty);
  writer.StartObject();
  writer.Key("method");
  write_string(writer, request.method);
  writer.Key("uri");
  write_string(writer, detail::scrub_uri(request.url));
  writer.Key("headers");
  write_headers(writer, request.headers);
  writer.Key("body");
  rapidjson::Document body;
  internal::JsonSourceMap source;
  if (internal::parse_json(body, request.body, {}, &source).ok() &&
      (body.IsObject() || body.IsArray())) {
    writer.Value(body, &source);  // numbers as sent, not respelt through a double
  } else {
    // Not a JSON document: keep the bytes as a string (a JSON scalar body stays text too, so
    // loading gives back exactly these bytes).
    write_string(writer, request.body);
  }
  writer.EndObject();
  return finish(buffer, writer, "request.json");
}

Result<std::string> response_json(const ResponseHead& head) {
  rapidjson::StringBuffer buffer;
  PrettyWriter pretty(buffer);
  pretty.SetIndent(' ', 1);
  Writer writer(pretty);
  writer.StartObject();
  writer.Key("status");
  writer.Int(head.status);
  writer.Key("reason");
  write_string(writer, internal::reason_phrase(head.status));
  writer.Key("headers");
  write_headers(writer, head.headers);
  writer.EndObject();
  return finish(buffer, writer, "response.json");
}

Result<std::string> meta_json(const std::string& api, const ResponseHead& head,
                              std::size_t body_bytes, std::chrono::system_clock::time_point when) {
  rapidjson::StringBuffer buffer;
  PrettyWriter pretty(buffer);
  pretty.SetIndent(' ', 1);
  Writer writer(pretty);
  writer.StartObject();
  writer.Key("recorded_by");
  write_string(writer, "bedrock-lite RecordingTransport");
  writer.Key("recorded_at");
  write_string(writer, iso8601(when));
  writer.Key("operation");
  write_string(writer, api == "converse" || api == "converse-stream" || api == "count-tokens"
                           ? std::string_view(api)
                           : std::string_view("other"));
  writer.Key("api");
  write_string(writer, api);
  writer.Key("status");
  writer.Int(head.status);
  writer.Key("response_body_bytes");
  writer.Uint64(body_bytes);
  writer.EndObject();
  return finish(buffer, writer, "meta.json");
}

// Forwards to the caller's sink and keeps a copy of the response.
class TeeSink final : public BodySink {
 public:
  explicit TeeSink(BodySink& next) : next_(next) {}
  bool on_head(const ResponseHead& head) override {
    head_ = head;
    body_.clear();  // a head is delivered once; be safe if a transport restarts
    return next_.on_head(head);
  }
  bool on_body(std::string_view chunk) override {
    body_.append(chunk.data(), chunk.size());
    return next_.on_body(chunk);
  }
  const ResponseHead& head() const { return head_; }
  const std::string& body() const { return body_; }

 private:
  BodySink& next_;
  ResponseHead head_;
  std::string body_;
};

// The first free number: one past the highest "NNNNNN-..." folder already in `dir`.
unsigned first_free_number(const std::string& dir) {
  unsigned highest = 0;
  std::vector<std::string> names;
  std::string error;
  detail::list_names(dir, names, error);  // a folder not there yet (or unreadable) starts at 1
  for (const auto& name : names) {
    unsigned number = 0;
    auto parsed = std::from_chars(name.data(), name.data() + name.size(), number);
    if (parsed.ec == std::errc() && parsed.ptr - name.data() == kNumberDigits) {
      highest = std::max(highest, number);
    }
  }
  return highest + 1;
}

std::string numbered(unsigned number) {
  std::string digits = std::to_string(number);
  if (digits.size() < kNumberDigits) digits.insert(0, kNumberDigits - digits.size(), '0');
  return digits;
}

// Renames the complete `partial` folder to "<NNNNNN>-<suffix>". A number already taken (another
// process recording into the same folder, or a folder made by hand) moves on to the first
// number free on disk, so nothing recorded is lost or overwritten.
Result<void> publish(const std::string& dir, std::atomic<unsigned>& next,
                     const std::string& partial, unsigned number, const std::string& suffix) {
  constexpr int kAttempts = 1000;
  std::string error;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    const std::string folder = detail::join_path(dir, numbered(number) + "-" + suffix);
    if (!detail::is_directory(folder) && detail::rename_path(partial, folder, error)) return {};
    if (detail::is_directory(folder)) {
      number = std::max(first_free_number(dir), next.fetch_add(1));
      continue;
    }
    break;  // a real failure, not a taken name
  }
  std::string ignored;
  detail::remove_all(partial, ignored);
  return make_error(ErrorKind::Config,
                    dir + ": cannot move the recorded interaction " +
                        "into place: " + (error.empty() ? "no free number" : error));
}

}  // namespace

struct RecordingTransport::State {
  std::shared_ptr<Transport> inner;
  std::string dir;
  RecordingOptions options;
  std::atomic<unsigned> next{1};
};

RecordingTransport::RecordingTransport(std::shared_ptr<Transport> inner, std::string dir,
                                       RecordingOptions options)
    : state_(std::make_unique<State>()) {
  state_->inner = std::move(inner);
  state_->next = first_free_number(dir);
  state_->dir = std::move(dir);
  state_->options = std::move(options);
}

RecordingTransport::~RecordingTransport() = default;

Result<ResponseHead> RecordingTransport::send(const Request& request, BodySink& sink) {
  // Numbered when sent, so concurrent calls never share a folder and the set replays in the
  // order the requests were made.
  if (!state_->inner) {
    return make_error(ErrorKind::Usage, "recording transport for " + state_->dir +
                                            " was built without a transport to forward to");
  }
  const unsigned number = state_->next.fetch_add(1);
  TeeSink tee(sink);
  auto head = state_->inner->send(request, tee);
  if (!head.ok()) return head;  // never record a failed or partial exchange
  return record(request, std::move(head).value(), tee.body(), number);
}

// The inner transport's event-driven path, teed the same way; the files are written on the
// driving thread when the exchange ended (local disk only, never the network).
http::CallId RecordingTransport::start(http::Engine& engine, const Request& request, BodySink& sink,
                                       http::Completion done) {
  if (!state_->inner) return Transport::start(engine, request, sink, std::move(done));
  const unsigned number = state_->next.fetch_add(1);
  auto tee = std::make_shared<TeeSink>(sink);
  return state_->inner->start(
      engine, request, *tee,
      // `request` lives until `done` ran (Transport::start), so until this ran too.
      [this, tee, &request, number, done = std::move(done)](Result<ResponseHead> head) {
        if (!head.ok()) {
          done(std::move(head));
          return;
        }
        done(record(request, std::move(head).value(), tee->body(), number));
      });
}

Result<ResponseHead> RecordingTransport::record(const Request& request, ResponseHead head,
                                                const std::string& body, unsigned number) {
  const std::string api = api_of(request.url);
  std::string partial;
  std::string error;
  if (!detail::create_directories(state_->dir, error) ||
      !detail::make_temp_directory(detail::join_path(state_->dir, detail::kPartialPrefix), partial,
                                   error)) {
    return make_error(ErrorKind::Config,
                      state_->dir + ": cannot create a fixture folder there: " + error);
  }
  const auto when =
      state_->options.clock ? state_->options.clock() : std::chrono::system_clock::now();
  // Written under a hidden name and renamed into place whole (publish), so a reader never sees
  // a torn interaction.
  const std::pair<const char*, Result<std::string>> files[] = {
      {"request.json", request_json(request)},
      {"response.json", response_json(head)},
      {"meta.json", meta_json(api, head, body.size(), when)},
      {"response.body", body},
  };
  for (const auto& [name, contents] : files) {
    auto written = contents.ok()
                       ? detail::write_whole_file(detail::join_path(partial, name), *contents)
                       : Result<void>(contents.error());
    if (!written.ok()) {
      detail::remove_all(partial, error);
      return std::move(written).error();
    }
  }
  auto published = publish(state_->dir, state_->next, partial, number, folder_suffix(api));
  if (!published.ok()) return std::move(published).error();
  return head;
}

}  // namespace bedrock_lite::replay
