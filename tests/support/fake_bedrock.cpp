// Debian's libcpp-httplib is built with these; every translation unit that includes httplib.h
// must see the same ones (they change httplib::Request's layout). This file is in the shared
// support library, which does not get pkg-config's flags, so it states them itself; only test
// executables that link PkgConfig::HTTPLIB pull this object in.
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_OPENSSL_SUPPORT 1
#endif
#ifndef CPPHTTPLIB_ZLIB_SUPPORT
#define CPPHTTPLIB_ZLIB_SUPPORT 1
#endif
#ifndef CPPHTTPLIB_BROTLI_SUPPORT
#define CPPHTTPLIB_BROTLI_SUPPORT 1
#endif

#include "support/fake_bedrock.h"

#include "support/fake_bedrock_faults.h"
#include "support/fixtures.h"
#include "support/loopback_server.h"
#include "support/sigv4_check.h"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>

namespace bedrock_lite::test {

using namespace fake_bedrock_detail;

namespace {

// The model id in the path, as sent (percent-encoded once by the client).
std::string percent_decode(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// Server time as an HTTP date (IMF-fixdate).
std::string http_date(std::chrono::system_clock::time_point time) {
  const std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buffer;
}

std::string amz_date(std::chrono::system_clock::time_point time) {
  const std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y%m%dT%H%M%SZ", &tm);
  return buffer;
}

std::optional<std::chrono::system_clock::time_point> parse_amz_date(const std::string& text) {
  std::tm tm{};
  if (text.size() != 16 || strptime(text.c_str(), "%Y%m%dT%H%M%SZ", &tm) == nullptr)
    return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

// ---- event stream framing -----------------------------------------------------------------------

void put_u32(std::string& out, std::uint32_t value) {
  out += static_cast<char>((value >> 24) & 0xFF);
  out += static_cast<char>((value >> 16) & 0xFF);
  out += static_cast<char>((value >> 8) & 0xFF);
  out += static_cast<char>(value & 0xFF);
}

std::uint32_t crc(const std::string& data, std::size_t size) {
  return static_cast<std::uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(size)));
}

Answer load_answer(const std::filesystem::path& folder) {
  Answer answer;
  answer.body = read_file(folder / "response.body");
  const std::string head = read_file(folder / "response.json");
  answer.content_type = head.find("application/vnd.amazon.eventstream") != std::string::npos
                            ? "application/vnd.amazon.eventstream"
                            : "application/json";
  const auto status_at = head.find("\"status\"");
  if (status_at != std::string::npos) {
    answer.status = std::stoi(head.substr(head.find(':', status_at) + 1));
  }
  return answer;
}

}  // namespace

std::string FakeBedrock::encode_message(
    const std::vector<std::pair<std::string, std::string>>& headers, const std::string& payload) {
  std::string header_block;
  for (const auto& [name, value] : headers) {
    header_block += static_cast<char>(name.size());
    header_block += name;
    header_block += static_cast<char>(7);  // string
    header_block += static_cast<char>((value.size() >> 8) & 0xFF);
    header_block += static_cast<char>(value.size() & 0xFF);
    header_block += value;
  }
  const auto total = static_cast<std::uint32_t>(16 + header_block.size() + payload.size());
  std::string out;
  put_u32(out, total);
  put_u32(out, static_cast<std::uint32_t>(header_block.size()));
  put_u32(out, crc(out, 8));
  out += header_block;
  out += payload;
  put_u32(out, crc(out, out.size()));
  return out;
}

namespace {

SeenRequest seen_from(const httplib::Request& req) {
  SeenRequest seen;
  seen.method = req.method;
  seen.target = req.target;
  seen.body = req.body;
  for (const auto& [name, value] : req.headers) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    seen.headers[lower] = value;
  }
  if (req.matches.size() == 3) {
    seen.model_id = percent_decode(req.matches[1].str());
    seen.operation = req.matches[2].str();
  }
  return seen;
}

}  // namespace

struct FakeBedrock::State {
  FakeBedrockOptions options;
  mutable std::mutex mutex;
  std::deque<Fault> faults;
  std::vector<SeenRequest> seen;
  std::map<std::string, Answer> answers;
  std::unique_ptr<LoopbackServer> server;
  std::chrono::minutes skew_{0};  // toggled by Fault::ClockSkew

  std::chrono::system_clock::time_point now() const {
    const auto base = options.clock ? options.clock() : std::chrono::system_clock::now();
    return base + options.clock_offset;
  }

  std::string date_text(std::chrono::system_clock::time_point time) const {
    if (options.date_text) return options.date_text(time);
    return options.date_header == "X-Amz-Date" ? amz_date(time) : http_date(time);
  }

  // Checks the Authorization header against a signature recomputed from the raw request.
  // Returns an empty string when valid, else why not.
  std::string verify(const httplib::Request& req, SeenRequest& seen) const {
    const std::string authorization = req.get_header_value("Authorization");
    if (authorization.rfind("Bearer ", 0) == 0) {
      seen.bearer = true;
      if (options.bearer_token.empty()) return "bearer tokens are not accepted here";
      return authorization.substr(7) == options.bearer_token ? "" : "wrong bearer token";
    }
    const ReceivedRequest received{req.method, req.target, req.body,
                                   [&req](const std::string& name) {
                                     std::vector<std::string> values;
                                     const std::size_t count = req.get_header_value_count(name);
                                     for (std::size_t i = 0; i < count; ++i)
                                       values.push_back(req.get_header_value(name, i));
                                     return values;
                                   }};
    const auto check = check_sigv4(received, options.keys, options.region, options.service,
                                   {"content-type", "host", "x-amz-date"});
    seen.signed_headers = check.signed_headers;
    seen.access_key_id = check.access_key_id;
    return check.why;
  }

  // Takes the next queued fault and the server's time for this request (Fault::ClockSkew
  // toggles the skew first); returns the index the request will have.
  std::size_t begin_request(Fault& fault, std::chrono::system_clock::time_point& server_now) {
    std::lock_guard<std::mutex> lock(mutex);
    fault = Fault::None;
    if (!faults.empty()) {
      fault = faults.front();
      faults.pop_front();
    }
    if (fault == Fault::ClockSkew)
      skew_ = skew_.count() == 0 ? std::chrono::minutes(15) : std::chrono::minutes(0);
    server_now = now() + skew_;
    return seen.size();
  }

  // Refusals before any fault: a signature outside the signing window (AWS's wording), a
  // signature that does not verify, an unknown operation. Returns true when it answered.
  bool refused(Exchange& x, const SeenRequest& seen_request,
               std::chrono::system_clock::time_point server_now, const std::string& why) const {
    if (!seen_request.bearer) {
      const auto signed_at = parse_amz_date(x.req.get_header_value("X-Amz-Date"));
      const auto window = options.signing_window;
      if (signed_at && (*signed_at > server_now + window || *signed_at < server_now - window)) {
        x.error_reply(403, "InvalidSignatureException",
                      "Signature expired: " + x.req.get_header_value("X-Amz-Date") +
                          " is now earlier than " + amz_date(server_now - window) + " (" +
                          amz_date(server_now) + " - " + std::to_string(window.count()) + " min.)");
        return true;
      }
    }
    if (!seen_request.signature_valid) {
      x.error_reply(
          403, seen_request.bearer ? "UnrecognizedClientException" : "InvalidSignatureException",
          "The request signature we calculated does not match the signature you "
          "provided (" +
              why + ")");
      return true;
    }
    if (seen_request.operation.empty()) {
      x.error_reply(404, "UnknownOperationException", "unknown operation");
      return true;
    }
    return false;
  }

  void handle(const httplib::Request& req, httplib::Response& res) {
    SeenRequest seen_request = seen_from(req);
    Fault fault = Fault::None;
    std::chrono::system_clock::time_point server_now;
    const std::size_t index = begin_request(fault, server_now);
    if (!options.date_header.empty()) res.set_header(options.date_header, date_text(server_now));
    res.set_header("x-amzn-RequestId", "fake-request-" + std::to_string(index + 1));

    const std::string why = verify(req, seen_request);
    seen_request.signature_valid = why.empty();
    Answer answer;
    LoopbackServer* live = nullptr;
    {
      // The server pointer too: it is assigned on the test's thread (under this lock) while the
      // server's threads already run, and only the lock orders the two for ThreadSanitizer.
      std::lock_guard<std::mutex> lock(mutex);
      const auto found = answers.find(seen_request.operation);
      if (found != answers.end()) answer = found->second;
      live = server.get();
    }
    Exchange x{req, res, std::move(answer), live, options.stall, [&](int status) {
                 seen_request.status = status;
                 std::lock_guard<std::mutex> lock(mutex);
                 seen.push_back(seen_request);
               }};
    if (refused(x, seen_request, server_now, why)) return;
    handler_for(fault)(x);
  }
};

FakeBedrock::FakeBedrock(FakeBedrockOptions options) : state_(std::make_unique<State>()) {
  state_->options = std::move(options);
  const auto recorded = fixture_path("recorded/bedrock-recorded");
  state_->answers["converse"] = load_answer(recorded / "test_bedrock_model/00");
  state_->answers["converse-stream"] = load_answer(recorded / "test_bedrock_model_stream/00");
  state_->answers["count-tokens"] =
      load_answer(recorded / "test_bedrock_inference_profile_count_tokens/00");
  State* state = state_.get();
  auto server = std::make_unique<LoopbackServer>(
      [state](httplib::Server& server) {
        server.Post(R"(/model/(.+)/(converse|converse-stream|count-tokens))",
                    [state](const httplib::Request& req, httplib::Response& res) {
                      state->handle(req, res);
                    });
        server.Post(R"(.*)", [state](const httplib::Request& req, httplib::Response& res) {
          state->handle(req, res);
        });
      },
      state_->options.worker_threads);
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->server = std::move(server);
}

FakeBedrock::~FakeBedrock() = default;

std::string FakeBedrock::url() const {
  return state_->server->url();
}

void FakeBedrock::answer(const std::string& operation, const std::filesystem::path& folder) {
  Answer answer = load_answer(folder);
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->answers[operation] = std::move(answer);
}

void FakeBedrock::answer_with(const std::string& operation, std::string body,
                              std::string content_type) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->answers[operation] = Answer{200, std::move(content_type), std::move(body)};
}

void FakeBedrock::push_fault(Fault fault) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->faults.push_back(fault);
}

std::vector<SeenRequest> FakeBedrock::requests() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->seen;
}

std::size_t FakeBedrock::clear_requests() {
  std::lock_guard<std::mutex> lock(state_->mutex);
  const std::size_t count = state_->seen.size();
  state_->seen.clear();
  state_->seen.shrink_to_fit();
  return count;
}

std::size_t FakeBedrock::request_count() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->seen.size();
}

}  // namespace bedrock_lite::test
