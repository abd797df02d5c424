// The fixture loader and the replay transport (format and matching rules: fixture.h).
#include <bedrock_lite/replay.h>

#include "directory.h"
#include "fixture_json.h"

#include <algorithm>
#include <mutex>
#include <utility>

namespace bedrock_lite::replay {
using http::BodySink;
using http::Header;
using http::Headers;
using http::Request;
using http::ResponseHead;

namespace {

Error config_error(const std::string& file, const std::string& what) {
  return make_error(ErrorKind::Config, file + ": " + what);
}

// A fixture file's text, its document and where each value sits in the text (so a JSON request
// body keeps its numbers exactly as recorded).
struct JsonFile {
  std::string text;
  rapidjson::Document document;
  internal::JsonSourceMap map;
};

Result<void> parse_json_file(const std::string& file, JsonFile& out) {
  auto text = detail::read_whole_file(file);
  if (!text.ok()) return std::move(text).error();
  out.text = std::move(text).value();
  if (auto parsed = internal::parse_json(out.document, out.text, {}, &out.map); !parsed) {
    return config_error(file, parsed.error().message);
  }
  if (!out.document.IsObject()) return config_error(file, "top level is not a JSON object");
  return {};
}

Result<std::string> string_member(const rapidjson::Value& object, const char* name,
                                  const std::string& file, bool required) {
  auto member = object.FindMember(name);
  if (member == object.MemberEnd()) {
    if (required) return config_error(file, std::string("member \"") + name + "\" is missing");
    return std::string();
  }
  if (!member->value.IsString()) {
    return config_error(file, std::string("member \"") + name + "\" is not a string");
  }
  return std::string(member->value.GetString(), member->value.GetStringLength());
}

Result<Headers> headers_member(const rapidjson::Value& object, const std::string& file) {
  Headers headers;
  auto member = object.FindMember("headers");
  if (member == object.MemberEnd() || member->value.IsNull()) return headers;
  if (!member->value.IsObject()) return config_error(file, "member \"headers\" is not an object");
  for (auto header = member->value.MemberBegin(); header != member->value.MemberEnd(); ++header) {
    std::string name(header->name.GetString(), header->name.GetStringLength());
    if (!header->value.IsString()) {
      return config_error(file, "header \"" + name + "\" is not a string");
    }
    headers.push_back(Header{
        std::move(name), std::string(header->value.GetString(), header->value.GetStringLength())});
  }
  return headers;
}

bool is_interaction_folder(const std::string& folder) {
  return detail::is_regular_file(detail::join_path(folder, "request.json")) &&
         detail::is_regular_file(detail::join_path(folder, "response.json")) &&
         detail::is_regular_file(detail::join_path(folder, "response.body"));
}

}  // namespace

Result<Interaction> load_interaction(const std::string& folder) {
  Interaction interaction;
  interaction.folder = folder;
  const std::string request_file = detail::join_path(folder, "request.json");
  const std::string response_file = detail::join_path(folder, "response.json");

  JsonFile request_json;
  if (auto parsed = parse_json_file(request_file, request_json); !parsed.ok())
    return std::move(parsed).error();
  const rapidjson::Document* request = &request_json.document;
  auto method = string_member(*request, "method", request_file, true);
  if (!method.ok()) return std::move(method).error();
  if (method->empty()) return config_error(request_file, "member \"method\" is empty");
  interaction.method = std::move(*method);
  auto uri = string_member(*request, "uri", request_file, true);
  if (!uri.ok()) return std::move(uri).error();
  interaction.uri = std::move(*uri);
  auto request_headers = headers_member(*request, request_file);
  if (!request_headers.ok()) return std::move(request_headers).error();
  interaction.request_headers = std::move(*request_headers);
  auto body = request->FindMember("body");
  if (body != request->MemberEnd() && !body->value.IsNull()) {
    if (body->value.IsString()) {
      interaction.request_body.assign(body->value.GetString(), body->value.GetStringLength());
    } else {
      auto compact = internal::render_json(body->value, &request_json.map);
      if (!compact) {
        return config_error(request_file,
                            "member \"body\" cannot be written: " + compact.error().message());
      }
      interaction.request_body = std::move(compact).value();
      interaction.request_body_is_json = true;
    }
  }

  JsonFile response_json;
  if (auto parsed = parse_json_file(response_file, response_json); !parsed.ok())
    return std::move(parsed).error();
  const rapidjson::Document* response = &response_json.document;
  auto status = response->FindMember("status");
  if (status == response->MemberEnd()) {
    return config_error(response_file, "member \"status\" is missing");
  }
  if (!status->value.IsInt() || status->value.GetInt() < 100 || status->value.GetInt() > 599) {
    return config_error(response_file, "member \"status\" is not an HTTP status (100-599)");
  }
  interaction.status = status->value.GetInt();
  auto reason = string_member(*response, "reason", response_file, false);
  if (!reason.ok()) return std::move(reason).error();
  interaction.reason = std::move(*reason);
  auto response_headers = headers_member(*response, response_file);
  if (!response_headers.ok()) return std::move(response_headers).error();
  interaction.response_headers = std::move(*response_headers);

  auto response_body = detail::read_whole_file(detail::join_path(folder, "response.body"));
  if (!response_body.ok()) return std::move(response_body).error();
  interaction.response_body = std::move(*response_body);
  return interaction;
}

Result<FixtureSet> load_fixture_set(const std::string& root) {
  if (!detail::is_directory(root)) {
    return config_error(root, "fixture set folder does not exist or is not a folder");
  }
  std::vector<std::string> folders;
  if (is_interaction_folder(root)) folders.push_back(root);
  // Symlinked folders are not followed (a link cycle would never end); a symlinked root is.
  std::vector<std::string> below;
  std::string error;
  if (!detail::list_folders_recursive(root, below, error)) {
    return config_error(root, "cannot list: " + error);
  }
  for (auto& folder : below) {
    // A recording transport's folder still being written (recording.cpp) is not part of the set.
    if (folder.find("/" + std::string(detail::kPartialPrefix)) != std::string::npos) continue;
    if (is_interaction_folder(folder)) folders.push_back(std::move(folder));
  }
  if (folders.empty()) {
    return config_error(root,
                        "no interaction folder (request.json, response.json, response.body) below");
  }
  std::sort(folders.begin(), folders.end());
  FixtureSet set;
  set.root = root;
  set.interactions.reserve(folders.size());
  for (const auto& folder : folders) {
    auto interaction = load_interaction(folder);
    if (!interaction.ok()) return std::move(interaction).error();
    set.interactions.push_back(std::move(*interaction));
  }
  return set;
}

struct ReplayTransport::State {
  FixtureSet set;
  ReplayOptions options;
  std::vector<std::string> targets;  // percent-decoded path and query, per interaction
  std::vector<std::unique_ptr<rapidjson::Document>> bodies;  // parsed JSON bodies, or null
  std::mutex mutex;
  std::vector<unsigned> uses;  // guarded by mutex
};

ReplayTransport::ReplayTransport(FixtureSet set, ReplayOptions options)
    : state_(std::make_unique<State>()) {
  state_->set = std::move(set);
  state_->options = options;
  for (const auto& interaction : state_->set.interactions) {
    state_->targets.push_back(
        detail::percent_decode(detail::target_of(detail::scrub_uri(interaction.uri))));
    std::unique_ptr<rapidjson::Document> body;
    if (interaction.request_body_is_json) {
      body = std::make_unique<rapidjson::Document>();
      // The loader parsed this same text already: it cannot fail here.
      (void)internal::parse_json(*body, interaction.request_body);
    }
    state_->bodies.push_back(std::move(body));
  }
  state_->uses.assign(state_->set.interactions.size(), 0);
}

ReplayTransport::~ReplayTransport() = default;

Result<std::unique_ptr<ReplayTransport>> ReplayTransport::open(const std::string& root,
                                                               ReplayOptions options) {
  auto set = load_fixture_set(root);
  if (!set.ok()) return std::move(set).error();
  return std::make_unique<ReplayTransport>(std::move(*set), options);
}

const FixtureSet& ReplayTransport::fixtures() const noexcept {
  return state_->set;
}

namespace {

// The closest miss, for the error: same method and path beat same path beat same method; then
// the body with the fewest differing members and values, then the earliest folder.
struct ClosestMiss {
  int rank = -1;
  std::size_t distance = 0;
  std::size_t index = 0;
  std::string why;
};

Error no_match_error(std::string_view method, const std::string& decoded,
                     const ClosestMiss& closest, const FixtureSet& set) {
  std::string message = "replay: no fixture matches " + std::string(method) + " " + decoded;
  if (closest.rank >= 0) {
    message += "; closest is " + set.interactions[closest.index].folder + ": " + closest.why;
  } else {
    message += "; the fixture set " + set.root + " is empty";
  }
  // Decoding may have produced control characters (%0A); the message stays one line.
  for (char& c : message) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return make_error(ErrorKind::Usage, std::move(message));
}

}  // namespace

Result<const Interaction*> ReplayTransport::match(std::string_view method, std::string_view target,
                                                  std::string_view body) {
  // Presigned credentials in the query are masked on both sides (the recorder masked them).
  const std::string decoded = detail::percent_decode(detail::target_of(detail::scrub_uri(target)));
  rapidjson::Document actual;
  // A body that is not JSON (or nested too deep to parse safely) is compared as bytes.
  const bool actual_is_json = internal::parse_json(actual, body).ok();

  ClosestMiss closest;
  auto consider = [&closest](int rank, std::size_t distance, std::size_t index, std::string why) {
    if (rank > closest.rank || (rank == closest.rank && distance < closest.distance)) {
      closest = ClosestMiss{rank, distance, index, std::move(why)};
    }
  };

  std::vector<std::size_t> matches;
  const auto& interactions = state_->set.interactions;
  for (std::size_t i = 0; i < interactions.size(); ++i) {
    const Interaction& candidate = interactions[i];
    const bool same_method = candidate.method == method;
    if (state_->targets[i] != decoded) {
      consider(same_method ? 1 : 0, 0, i, "path differs (recorded " + state_->targets[i] + ")");
      continue;
    }
    if (!same_method) {
      consider(2, 0, i, "method differs (recorded " + candidate.method + ")");
      continue;
    }
    if (!candidate.request_body_is_json) {
      if (candidate.request_body == body) {
        matches.push_back(i);
      } else {
        consider(3, 1, i,
                 "body differs (recorded as bytes, " +
                     std::to_string(candidate.request_body.size()) + " bytes; got " +
                     std::to_string(body.size()) + ")");
      }
      continue;
    }
    if (!actual_is_json) {
      consider(3, 1, i, "body is not JSON (recorded a JSON body)");
      continue;
    }
    auto difference = detail::json_difference(*state_->bodies[i], actual);
    if (!difference) {
      matches.push_back(i);
    } else {
      consider(3, detail::json_distance(*state_->bodies[i], actual), i,
               "body differs at " +
                   (difference->pointer.empty() ? std::string("/") : difference->pointer) + " (" +
                   difference->what + ")");
    }
  }

  if (matches.empty()) return no_match_error(method, decoded, closest, state_->set);
  std::lock_guard<std::mutex> lock(state_->mutex);
  std::size_t chosen = matches.front();
  for (std::size_t index : matches) {
    if (state_->uses[index] < state_->uses[chosen]) chosen = index;
  }
  ++state_->uses[chosen];
  return &interactions[chosen];
}

std::vector<std::string> ReplayTransport::unused() const {
  std::vector<std::string> folders;
  std::lock_guard<std::mutex> lock(state_->mutex);
  for (std::size_t i = 0; i < state_->uses.size(); ++i) {
    if (state_->uses[i] == 0) folders.push_back(state_->set.interactions[i].folder);
  }
  return folders;
}

Result<ResponseHead> ReplayTransport::send(const Request& request, BodySink& sink) {
  auto found = match(request.method, request.url, request.body);
  if (!found.ok()) return std::move(found).error();
  return detail::deliver(**found, state_->options.chunk_bytes, sink);
}

namespace detail {

Result<ResponseHead> deliver(const Interaction& interaction, std::size_t chunk_bytes,
                             BodySink& sink) {
  ResponseHead head;
  head.status = interaction.status;
  head.headers = interaction.response_headers;
  auto cancelled = [&interaction] {
    return make_error(ErrorKind::Cancelled,
                      "replay: " + interaction.folder + ": transfer cancelled by the body sink");
  };
  if (!sink.on_head(head)) return cancelled();
  std::string_view body = interaction.response_body;
  const std::size_t chunk = chunk_bytes == 0 ? body.size() : chunk_bytes;
  while (!body.empty()) {
    const std::size_t n = std::min(chunk, body.size());
    if (!sink.on_body(body.substr(0, n))) return cancelled();
    body.remove_prefix(n);
  }
  return head;
}

}  // namespace detail
}  // namespace bedrock_lite::replay
