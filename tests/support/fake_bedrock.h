// A loopback fake of Bedrock Runtime for end-to-end tests: binds 127.0.0.1 on port 0, verifies
// the SigV4 signature of every request by recomputing it from the raw request (its own code over
// OpenSSL, independent of the library's signer), answers from recorded fixtures, and injects
// faults on request.
//
// Only test executables that link PkgConfig::HTTPLIB may use it (see loopback_server.h); the
// httplib types stay out of this header.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace bedrock_lite::test {

// What the next request gets instead of the normal answer. Each request takes the first queued
// fault (or none when the queue is empty).
enum class Fault {
  None,
  Status429,             // 429 ThrottlingException (retryable)
  Status500,             // 500 InternalServerException (retryable)
  Status503,             // 503 ServiceUnavailableException (retryable)
  Status400,             // 400 ValidationException (not retryable)
  ExpiredToken,          // 403 ExpiredTokenException
  ResetMidStream,        // stream: 3 messages, then the connection is dropped
  StreamException,       // stream: 3 messages, then a modelStreamErrorException message
  StreamExceptionFirst,  // stream: a throttlingException message before any event
  CorruptCrc,            // stream: 3 messages, then one whose message CRC is wrong
  OneByteChunks,         // the normal answer, written one byte per chunk
  HangBeforeResponse,    // nothing is sent until the server stops
  HangMidStream,         // stream: 3 messages, then nothing until the server stops
  SlowStream,  // stream: every message, 50 ms apart (a slow generation that keeps sending)
  // Bounded variants and further faults (the soak test injects thousands of faults, so none may
  // hold a server thread for ever):
  TruncatedJson,        // the normal answer cut in half, sent with a matching length: a JSON body
                        // that ends mid-value, or an event stream that ends inside a message
  ClockSkew,            // from this request on, the server clock is 15 minutes ahead (the next
                        // ClockSkew puts it back): the client's clock has drifted, this request
                        // gets 403 "Signature expired" with the server's Date, and a client that
                        // corrects its offset from that Date succeeds on its retry
  StallBeforeResponse,  // nothing is sent for FakeBedrockOptions::stall, then the normal answer
  StallMidStream,       // stream: 3 messages, nothing for `stall`, then the connection is dropped
};

// One request as the server saw it.
struct SeenRequest {
  std::string method;
  std::string target;         // raw request target, as sent (percent-encoded)
  std::string operation;      // "converse", "converse-stream", "count-tokens" or ""
  std::string model_id;       // percent-decoded
  std::string access_key_id;  // from the Authorization header's Credential=, or ""
  std::string signed_headers;
  bool bearer = false;
  bool signature_valid = false;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names (values as sent)
  int status = 0;                              // what the server answered
};

// Settings fixed at construction. Credentials are test values.
struct FakeBedrockOptions {
  std::string region = "us-east-1";
  std::string service = "bedrock";
  // access key id -> secret access key: every key the server accepts.
  std::map<std::string, std::string> keys = {
      {"AKIDFAKEBEDROCK", "fake/secret+key/for-the-loopback-server"}};
  // When non-empty, `Authorization: Bearer <token>` is accepted too.
  std::string bearer_token;
  // The server's clock: `clock` (the system clock when empty) plus `clock_offset` (a skewed
  // client is simulated by skewing the server instead). Tests that check the client's skew
  // correction to the second give a fixed clock.
  std::function<std::chrono::system_clock::time_point()> clock;
  std::chrono::seconds clock_offset{0};
  // Requests signed further than this from the server's clock get 403 InvalidSignatureException
  // "Signature expired", as AWS refuses them at 5 minutes.
  std::chrono::minutes signing_window{5};
  // How every answer states the server's time: the header's name ("Date", "X-Amz-Date", or ""
  // for none) and its text (IMF-fixdate for Date, YYYYMMDDTHHMMSSZ for X-Amz-Date, unless
  // `date_text` writes something else, as a broken server might).
  std::string date_header = "Date";
  std::function<std::string(std::chrono::system_clock::time_point)> date_text;
  // How long the Stall* faults keep quiet (past the client's stall timeout in tests).
  std::chrono::milliseconds stall{1000};
  // Connections served at once (httplib holds a thread per connection): the concurrency tests
  // keep hundreds of streams open.
  std::size_t worker_threads = 16;
};

// Thread-safe: handlers run on the server's threads; the test thread queues faults and reads
// what was seen.
class FakeBedrock {
 public:
  explicit FakeBedrock(FakeBedrockOptions options = {});
  ~FakeBedrock();
  FakeBedrock(const FakeBedrock&) = delete;
  FakeBedrock& operator=(const FakeBedrock&) = delete;

  // "http://127.0.0.1:<port>"
  std::string url() const;

  // Answers `operation` ("converse", "converse-stream", "count-tokens") with the recorded
  // interaction in `folder` (its response.json status and content-type, its response.body).
  // Defaults: bedrock-recorded test_bedrock_model/00, test_bedrock_model_stream/00,
  // test_bedrock_inference_profile_count_tokens/00.
  void answer(const std::string& operation, const std::filesystem::path& folder);
  // Answers `operation` with this body and content type (status 200).
  void answer_with(const std::string& operation, std::string body, std::string content_type);

  void push_fault(Fault fault);
  std::vector<SeenRequest> requests() const;
  std::size_t request_count() const;
  // Forgets the requests seen so far (and returns how many there were): a soak of thousands of
  // calls would otherwise measure this record growing, not the client.
  std::size_t clear_requests();

  // Encodes one event-stream message with string headers, for building test streams.
  static std::string encode_message(const std::vector<std::pair<std::string, std::string>>& headers,
                                    const std::string& payload);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace bedrock_lite::test
