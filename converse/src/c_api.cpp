// The C API (bedrock_lite.h): a thin shell over converse::Client that speaks JSON text, so C
// programs and FFI bindings never see a C++ type. Every entry point is noexcept: the library
// reports failures as values, and the one thing that could still unwind (allocation failure in
// the standard library) terminates here instead of unwinding through C frames, which is
// undefined behaviour.
#include <bedrock_lite.h>

#include <bedrock_lite/converse.h>

#include <bedrock_lite/internal/json.h>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

struct bedrock_lite_client {
  bedrock_lite_client(bedrock_lite::converse::Client c,
                      std::shared_ptr<bedrock_lite::replay::RecordReplayTransport> r)
      : client(std::move(c)), recordings(std::move(r)) {}
  bedrock_lite::converse::Client client;
  // The record/replay transport when replay_dir was given (the client holds it too), for the
  // strict check and the end of a recording run.
  std::shared_ptr<bedrock_lite::replay::RecordReplayTransport> recordings;
};

struct bedrock_lite_error {
  bedrock_lite_status status = BEDROCK_LITE_OK;
  std::string kind_name;
  std::string aws_type;
  std::string message;
  std::string display;
  std::string request_id;
  int http_status = 0;
  bool retryable = false;
};

namespace {

using bedrock_lite::Error;
using bedrock_lite::ErrorKind;
using bedrock_lite::Result;
namespace converse = bedrock_lite::converse;

constexpr const char* kInvalidArgumentName = "InvalidArgument";

bedrock_lite_status status_of(ErrorKind kind) {
  // bedrock_lite.h promises value = ErrorKind + 1, in ErrorKind's order.
  return static_cast<bedrock_lite_status>(static_cast<int>(kind) + 1);
}

// Hands `error` to the caller when they asked for it; returns its status either way.
bedrock_lite_status report(const Error& error, bedrock_lite_error** out) {
  const bedrock_lite_status status = status_of(error.kind);
  if (out == nullptr) return status;
  auto* object = new bedrock_lite_error;
  object->status = status;
  object->kind_name = bedrock_lite::to_string(error.kind);
  object->aws_type = error.aws_type;
  object->message = error.message;
  object->display = error.to_string();
  object->request_id = error.request_id;
  object->http_status = error.http_status;
  object->retryable = error.retryable;
  *out = object;
  return status;
}

// A misuse of the C API itself (NULL pointers, negative timeouts): not an ErrorKind, since no
// C++ caller can make it.
bedrock_lite_status invalid_argument(std::string message, bedrock_lite_error** out) {
  if (out == nullptr) return BEDROCK_LITE_INVALID_ARGUMENT;
  auto* object = new bedrock_lite_error;
  object->status = BEDROCK_LITE_INVALID_ARGUMENT;
  object->kind_name = kInvalidArgumentName;
  object->message = std::move(message);
  object->display = object->kind_name + ": " + object->message;
  *out = object;
  return BEDROCK_LITE_INVALID_ARGUMENT;
}

// A malloc'd NUL-terminated copy, freed by bedrock_lite_string_free().
char* copy_out(const std::string& text) {
  auto* out = static_cast<char*>(std::malloc(text.size() + 1));
  if (out == nullptr) return nullptr;
  std::memcpy(out, text.data(), text.size());
  out[text.size()] = '\0';
  return out;
}

// The members of a config the caller's struct_size covers, so a program compiled against an
// older, shorter bedrock_lite_config keeps working when members are appended.
template <class Member>
bool covers(const bedrock_lite_config& config, const Member bedrock_lite_config::*member) {
  const auto* base = reinterpret_cast<const char*>(&config);
  const auto* field = reinterpret_cast<const char*>(&(config.*member));
  return static_cast<std::size_t>(field - base) + sizeof(Member) <= config.struct_size;
}

template <class Member>
Member get(const bedrock_lite_config& config, const Member bedrock_lite_config::*member) {
  return covers(config, member) ? config.*member : Member{};
}

// Common argument checks of the three operations.
bedrock_lite_status check_call(const bedrock_lite_client* client, const char* model_id,
                               const char* request_json, bedrock_lite_error** error) {
  if (client == nullptr) return invalid_argument("client is NULL", error);
  if (model_id == nullptr || *model_id == '\0') {
    return invalid_argument("model_id is NULL or empty", error);
  }
  if (request_json == nullptr) return invalid_argument("request_json is NULL", error);
  return BEDROCK_LITE_OK;
}

Result<converse::ConverseRequest> read_request(const char* model_id, const char* request_json) {
  auto request = converse::parse_converse_request(request_json);
  if (!request) {
    Error error = std::move(request).error();
    error.message = "request_json: " + error.message;
    return error;
  }
  request->model_id = model_id;
  return request;
}

// A CountTokens body ({"input": {...}}) or a Converse body, told apart by the "input" member,
// which a Converse request never has.
Result<converse::CountTokensRequest> read_count_tokens_request(const char* model_id,
                                                               const char* request_json) {
  rapidjson::Document document;
  if (auto parsed = bedrock_lite::internal::parse_json(document, request_json); !parsed) {
    return make_error(ErrorKind::Usage, "request_json: " + parsed.error().message);
  }
  if (document.IsObject() && document.HasMember("input")) {
    auto request = converse::parse_count_tokens_request(request_json);
    if (!request) {
      Error error = std::move(request).error();
      error.message = "request_json: " + error.message;
      return error;
    }
    request->model_id = model_id;
    return request;
  }
  auto converse_request = read_request(model_id, request_json);
  if (!converse_request) return std::move(converse_request).error();
  return converse::count_tokens_request(*converse_request);
}

// Writes `response` as JSON for the caller; a response that cannot be written is a Protocol
// error (never a truncated string).
template <class Response>
bedrock_lite_status deliver(const Response& response, char** response_json,
                            bedrock_lite_error** error) {
  if (response_json == nullptr) return BEDROCK_LITE_OK;
  auto written = converse::to_json(response);
  if (!written) return report(written.error(), error);
  const std::string& json = *written;
  *response_json = copy_out(json);
  if (*response_json == nullptr) {
    return invalid_argument(
        "out of memory copying a " + std::to_string(json.size()) + "-byte response", error);
  }
  return BEDROCK_LITE_OK;
}

void clear_outputs(char** response_json, bedrock_lite_error** error) {
  if (response_json != nullptr) *response_json = nullptr;
  if (error != nullptr) *error = nullptr;
}

// The plain members of `c` as overrides; a negative number is an invalid argument.
bedrock_lite_status read_overrides(const bedrock_lite_config& c,
                                   converse::ConfigOverrides& overrides,
                                   bedrock_lite_error** error) {
  if (const char* region = get(c, &bedrock_lite_config::region)) overrides.region = region;
  if (const char* url = get(c, &bedrock_lite_config::endpoint_url)) overrides.endpoint_url = url;
  if (const char* profile = get(c, &bedrock_lite_config::profile)) overrides.profile = profile;
  const int attempts = get(c, &bedrock_lite_config::max_attempts);
  if (attempts < 0) {
    return invalid_argument("bedrock_lite_config.max_attempts is " + std::to_string(attempts) +
                                " (0 for the default, else at least 1)",
                            error);
  }
  if (attempts > 0) overrides.max_attempts = attempts;
  struct Timeout {
    const char* name;
    long value;
    std::optional<std::chrono::milliseconds>* target;
  };
  const Timeout timeouts[] = {
      {"connect_timeout_ms", get(c, &bedrock_lite_config::connect_timeout_ms),
       &overrides.connect_timeout},
      {"read_timeout_ms", get(c, &bedrock_lite_config::read_timeout_ms), &overrides.read_timeout},
      {"total_timeout_ms", get(c, &bedrock_lite_config::total_timeout_ms),
       &overrides.total_timeout},
  };
  for (const auto& timeout : timeouts) {
    if (timeout.value < 0) {
      return invalid_argument(std::string("bedrock_lite_config.") + timeout.name + " is " +
                                  std::to_string(timeout.value) + " (0 for the default)",
                              error);
    }
    if (timeout.value > 0) *timeout.target = std::chrono::milliseconds(timeout.value);
  }

  // replay_dir and record_mode: resolve_config() opens the record/replay transport (and, when it
  // only replays, the placeholder identity and region).
  const char* replay_dir = get(c, &bedrock_lite_config::replay_dir);
  if (replay_dir != nullptr) overrides.replay_dir = replay_dir;
  if (const char* mode_name = get(c, &bedrock_lite_config::record_mode)) {
    auto mode = bedrock_lite::replay::parse_record_mode(mode_name);
    if (!mode) {
      return invalid_argument("bedrock_lite_config.record_mode: " + mode.error().message, error);
    }
    if (replay_dir == nullptr) {
      return invalid_argument(
          "bedrock_lite_config.record_mode is set without replay_dir, the folder it applies to",
          error);
    }
    overrides.record_mode = *mode;
  }
  return BEDROCK_LITE_OK;
}

}  // namespace

extern "C" {

void bedrock_lite_config_init(bedrock_lite_config* config) noexcept {
  if (config == nullptr) return;
  *config = bedrock_lite_config{};
  config->struct_size = sizeof(bedrock_lite_config);
}

bedrock_lite_status bedrock_lite_client_create(const bedrock_lite_config* config,
                                               bedrock_lite_client** out,
                                               bedrock_lite_error** error) noexcept {
  if (error != nullptr) *error = nullptr;
  if (out == nullptr) return invalid_argument("bedrock_lite_client_create: out is NULL", error);
  *out = nullptr;
  bedrock_lite_config defaults;
  if (config == nullptr) {  // the environment and shared files alone, as Client::from_environment
    bedrock_lite_config_init(&defaults);
    config = &defaults;
  }
  if (config->struct_size < sizeof(std::size_t)) {
    return invalid_argument("bedrock_lite_config.struct_size is " +
                                std::to_string(config->struct_size) +
                                " (call bedrock_lite_config_init first)",
                            error);
  }
  converse::ConfigOverrides overrides;
  if (auto status = read_overrides(*config, overrides, error); status != BEDROCK_LITE_OK) {
    return status;
  }
  auto resolved =
      converse::resolve_config(bedrock_lite::credentials::Environment::from_process(), overrides);
  if (!resolved) return report(resolved.error(), error);
  auto recordings = resolved->recordings;
  auto client = converse::Client::create(std::move(resolved).value());
  if (!client) return report(client.error(), error);
  *out = new bedrock_lite_client(std::move(client).value(), std::move(recordings));
  return BEDROCK_LITE_OK;
}

bedrock_lite_status bedrock_lite_client_unused_fixtures(const bedrock_lite_client* client,
                                                        char** unused_json,
                                                        bedrock_lite_error** error) noexcept {
  clear_outputs(unused_json, error);
  if (client == nullptr) return invalid_argument("client is NULL", error);
  if (unused_json == nullptr) return invalid_argument("unused_json is NULL", error);
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> base(buffer);
  bedrock_lite::internal::CheckedJsonWriter<rapidjson::Writer<rapidjson::StringBuffer>> writer(
      base);
  writer.StartArray();
  if (client->recordings) {
    for (const auto& folder : client->recordings->unused()) writer.String(folder);
  }
  writer.EndArray();
  if (!writer.finish()) {
    return report(make_error(ErrorKind::Protocol, "unused fixtures: " + writer.error()->message()),
                  error);
  }
  *unused_json = copy_out(std::string(buffer.GetString(), buffer.GetSize()));
  if (*unused_json == nullptr) return invalid_argument("out of memory copying the list", error);
  return BEDROCK_LITE_OK;
}

bedrock_lite_status bedrock_lite_client_finish_recording(bedrock_lite_client* client,
                                                         bedrock_lite_error** error) noexcept {
  if (error != nullptr) *error = nullptr;
  if (client == nullptr) return invalid_argument("client is NULL", error);
  if (!client->recordings) return BEDROCK_LITE_OK;
  auto finished = client->recordings->finish();
  if (!finished) return report(finished.error(), error);
  return BEDROCK_LITE_OK;
}

void bedrock_lite_client_destroy(bedrock_lite_client* client) noexcept {
  delete client;
}

bedrock_lite_status bedrock_lite_converse(const bedrock_lite_client* client, const char* model_id,
                                          const char* request_json, char** response_json,
                                          bedrock_lite_error** error) noexcept {
  clear_outputs(response_json, error);
  if (auto status = check_call(client, model_id, request_json, error); status != BEDROCK_LITE_OK) {
    return status;
  }
  if (response_json == nullptr) return invalid_argument("response_json is NULL", error);
  auto request = read_request(model_id, request_json);
  if (!request) return report(request.error(), error);
  auto response = client->client.converse(*request);
  if (!response) return report(response.error(), error);
  return deliver(*response, response_json, error);
}

bedrock_lite_status bedrock_lite_converse_stream(const bedrock_lite_client* client,
                                                 const char* model_id, const char* request_json,
                                                 bedrock_lite_stream_callback callback,
                                                 void* user_data, char** response_json,
                                                 bedrock_lite_error** error) noexcept {
  clear_outputs(response_json, error);
  if (auto status = check_call(client, model_id, request_json, error); status != BEDROCK_LITE_OK) {
    return status;
  }
  auto request = read_request(model_id, request_json);
  if (!request) return report(request.error(), error);
  converse::StreamHandler handler;
  if (callback != nullptr) {
    handler = [callback, user_data](const converse::StreamEvent& event) {
      return callback(event.event_type.c_str(), event.payload.c_str(), user_data) == 0
                 ? converse::StreamControl::Continue
                 : converse::StreamControl::Stop;
    };
  }
  auto response = client->client.converse_stream(*request, handler);
  if (!response) return report(response.error(), error);
  return deliver(*response, response_json, error);
}

bedrock_lite_status bedrock_lite_count_tokens(const bedrock_lite_client* client,
                                              const char* model_id, const char* request_json,
                                              char** response_json, long long* input_tokens,
                                              bedrock_lite_error** error) noexcept {
  clear_outputs(response_json, error);
  if (input_tokens != nullptr) *input_tokens = 0;
  if (auto status = check_call(client, model_id, request_json, error); status != BEDROCK_LITE_OK) {
    return status;
  }
  auto request = read_count_tokens_request(model_id, request_json);
  if (!request) return report(request.error(), error);
  auto response = client->client.count_tokens(*request);
  if (!response) return report(response.error(), error);
  if (input_tokens != nullptr) *input_tokens = response->input_tokens;
  return deliver(*response, response_json, error);
}

void bedrock_lite_string_free(char* text) noexcept {
  std::free(text);
}

bedrock_lite_status bedrock_lite_error_status(const bedrock_lite_error* error) noexcept {
  return error != nullptr ? error->status : BEDROCK_LITE_OK;
}

const char* bedrock_lite_error_kind_name(const bedrock_lite_error* error) noexcept {
  return error != nullptr ? error->kind_name.c_str() : "";
}

const char* bedrock_lite_error_aws_type(const bedrock_lite_error* error) noexcept {
  return error != nullptr ? error->aws_type.c_str() : "";
}

const char* bedrock_lite_error_message(const bedrock_lite_error* error) noexcept {
  return error != nullptr ? error->message.c_str() : "";
}

const char* bedrock_lite_error_display(const bedrock_lite_error* error) noexcept {
  return error != nullptr ? error->display.c_str() : "";
}

const char* bedrock_lite_error_request_id(const bedrock_lite_error* error) noexcept {
  return error != nullptr ? error->request_id.c_str() : "";
}

int bedrock_lite_error_http_status(const bedrock_lite_error* error) noexcept {
  return error != nullptr ? error->http_status : 0;
}

int bedrock_lite_error_retryable(const bedrock_lite_error* error) noexcept {
  return error != nullptr && error->retryable ? 1 : 0;
}

void bedrock_lite_error_free(bedrock_lite_error* error) noexcept {
  delete error;
}

const char* bedrock_lite_status_name(bedrock_lite_status status) noexcept {
  switch (status) {
    case BEDROCK_LITE_OK:
      return "OK";
    case BEDROCK_LITE_INVALID_ARGUMENT:
      return kInvalidArgumentName;
    case BEDROCK_LITE_SERVICE:
    case BEDROCK_LITE_NO_CREDENTIALS:
    case BEDROCK_LITE_NO_REGION:
    case BEDROCK_LITE_TIMEOUT:
    case BEDROCK_LITE_NETWORK:
    case BEDROCK_LITE_PROTOCOL:
    case BEDROCK_LITE_USAGE:
    case BEDROCK_LITE_CONFIG:
    case BEDROCK_LITE_CANCELLED:
      return bedrock_lite::to_string(static_cast<ErrorKind>(static_cast<int>(status) - 1));
  }
  return "Unknown";
}

const char* bedrock_lite_version(void) noexcept {
  return bedrock_lite::version();
}

}  // extern "C"

// ---------------------------------------------------------------------------------------------
// The event-driven client (bedrock_lite_async_*): an AsyncClient on an engine of its own.

struct bedrock_lite_async {
  // Declared first, destroyed last: the client cancels its calls on the engine.
  std::unique_ptr<bedrock_lite::http::Engine> engine;
  std::optional<bedrock_lite::converse::AsyncClient> client;
};

namespace {

// The completion a C caller gets: the response as JSON, or the error, valid during the call.
template <class Response>
std::function<void(Result<Response>)> c_completion(bedrock_lite_completion done, void* user_data) {
  return [done, user_data](Result<Response> result) {
    if (done == nullptr) return;
    bedrock_lite_error* error = nullptr;
    if (result) {
      auto written = converse::to_json(*result);
      if (written) {
        done(BEDROCK_LITE_OK, written->c_str(), nullptr, user_data);
        return;
      }
      result = std::move(written).error();
    }
    const bedrock_lite_status status = report(result.error(), &error);
    done(status, nullptr, error, user_data);
    delete error;
  };
}

bedrock_lite_status check_async_call(const bedrock_lite_async* async, const char* model_id,
                                     const char* request_json, bedrock_lite_call_id* call,
                                     bedrock_lite_error** error) {
  if (call != nullptr) *call = 0;
  if (error != nullptr) *error = nullptr;
  if (async == nullptr) return invalid_argument("async is NULL", error);
  if (model_id == nullptr || *model_id == '\0') {
    return invalid_argument("model_id is NULL or empty", error);
  }
  if (request_json == nullptr) return invalid_argument("request_json is NULL", error);
  return BEDROCK_LITE_OK;
}

// One bedrock_lite_async_* start: the arguments checked, the request read by `read`, the call
// started by `start`, and its id written to *call.
template <class Request, class Start>
bedrock_lite_status start_async(bedrock_lite_async* async, const char* model_id,
                                const char* request_json, bedrock_lite_call_id* call,
                                bedrock_lite_error** error,
                                Result<Request> (*read)(const char*, const char*), Start start) {
  if (auto status = check_async_call(async, model_id, request_json, call, error);
      status != BEDROCK_LITE_OK) {
    return status;
  }
  auto request = read(model_id, request_json);
  if (!request) return report(request.error(), error);
  const auto id = start(*request);
  if (call != nullptr) *call = id;
  return BEDROCK_LITE_OK;
}

}  // namespace

extern "C" {

bedrock_lite_status bedrock_lite_async_create(const bedrock_lite_config* config,
                                              bedrock_lite_async** out,
                                              bedrock_lite_error** error) noexcept {
  if (out != nullptr) *out = nullptr;
  // The configuration is resolved exactly as for the blocking client, by building one.
  bedrock_lite_client* resolved = nullptr;
  const bedrock_lite_status status = bedrock_lite_client_create(config, &resolved, error);
  if (status != BEDROCK_LITE_OK) return status;
  std::unique_ptr<bedrock_lite_client> blocking(resolved);
  auto engine = bedrock_lite::http::Engine::create();
  if (!engine) return report(engine.error(), error);
  auto async = std::make_unique<bedrock_lite_async>();
  async->engine = std::move(engine).value();
  auto client = converse::AsyncClient::create(blocking->client.config(), *async->engine);
  if (!client) return report(client.error(), error);
  async->client.emplace(std::move(client).value());
  *out = async.release();
  return BEDROCK_LITE_OK;
}

void bedrock_lite_async_destroy(bedrock_lite_async* async) noexcept {
  delete async;
}

bedrock_lite_status bedrock_lite_async_converse(bedrock_lite_async* async, const char* model_id,
                                                const char* request_json,
                                                bedrock_lite_completion done, void* user_data,
                                                bedrock_lite_call_id* call,
                                                bedrock_lite_error** error) noexcept {
  return start_async(async, model_id, request_json, call, error, &read_request,
                     [&](const converse::ConverseRequest& request) {
                       return async->client->converse(
                           request, c_completion<converse::ConverseResponse>(done, user_data));
                     });
}

bedrock_lite_status bedrock_lite_async_converse_stream(
    bedrock_lite_async* async, const char* model_id, const char* request_json,
    bedrock_lite_stream_callback callback, void* callback_data, bedrock_lite_completion done,
    void* user_data, bedrock_lite_call_id* call, bedrock_lite_error** error) noexcept {
  return start_async(
      async, model_id, request_json, call, error, &read_request,
      [&](const converse::ConverseRequest& request) {
        converse::StreamHandler handler;
        if (callback != nullptr) {
          handler = [callback, callback_data](const converse::StreamEvent& event) {
            return callback(event.event_type.c_str(), event.payload.c_str(), callback_data) == 0
                       ? converse::StreamControl::Continue
                       : converse::StreamControl::Stop;
          };
        }
        return async->client->converse_stream(
            request, std::move(handler), c_completion<converse::ConverseResponse>(done, user_data));
      });
}

bedrock_lite_status bedrock_lite_async_count_tokens(bedrock_lite_async* async, const char* model_id,
                                                    const char* request_json,
                                                    bedrock_lite_completion done, void* user_data,
                                                    bedrock_lite_call_id* call,
                                                    bedrock_lite_error** error) noexcept {
  return start_async(async, model_id, request_json, call, error, &read_count_tokens_request,
                     [&](const converse::CountTokensRequest& request) {
                       return async->client->count_tokens(
                           request, c_completion<converse::CountTokensResponse>(done, user_data));
                     });
}

size_t bedrock_lite_async_poll(bedrock_lite_async* async, long timeout_ms) noexcept {
  if (async == nullptr) return 0;
  async->engine->poll(std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms));
  return async->client->in_flight();
}

void bedrock_lite_async_cancel(bedrock_lite_async* async, bedrock_lite_call_id call) noexcept {
  if (async != nullptr) async->client->cancel(call);
}

}  // extern "C"
