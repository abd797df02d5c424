// The replay module. Record and replay: recorded HTTP interactions as fixture folders, a transport
// that answers from them without a network, and a transport that writes them while forwarding to a
// real one.
//
// Fixture format (the layout of fixtures/recorded/*, see its README):
//   A fixture set is any folder. Every folder at or below it that holds the three files
//   request.json, response.json and response.body is one interaction; interactions are ordered
//   by their path (byte-wise), which is the recorded order.
//     request.json   {"method": "POST", "uri": "https://host/model/x%3A0/converse",
//                     "headers": {"lower-case-name": "value", ...},
//                     "body": <JSON value> | "<string>"}
//                    `body` is the request body as a JSON object or array when it was JSON, else a
//                    string holding the body bytes (an empty body is ""). A string inside a JSON
//                    body may be an elision "<elided: N chars, sha256 H>" standing for a string
//                    of N characters whose UTF-8 bytes have the SHA-256 (lower-case hex) H.
//     response.json  {"status": 200, "reason": "OK", "headers": {"lower-case-name": "value"}}
//     response.body  the response body, byte for byte (binary for event streams)
//     meta.json      optional provenance; ignored by the loader
//   Other files (derived *.jsonl, READMEs, MANIFEST.tsv) are ignored.
#pragma once

#include <bedrock_lite/core.h>
#include <bedrock_lite/export.h>
#include <bedrock_lite/http.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bedrock_lite::replay {

// One recorded exchange. Immutable once loaded.
struct Interaction {
  std::string folder;  // the interaction folder, as found under the set's root
  std::string method;
  std::string uri;  // as recorded: absolute URL, or a bare path
  http::Headers request_headers;
  // The request body: compact JSON text when request_body_is_json, else the body bytes.
  std::string request_body;
  bool request_body_is_json = false;
  int status = 0;
  std::string reason;
  http::Headers response_headers;
  std::string response_body;  // exact bytes of response.body
};

// Every interaction below one root, in recorded order. Immutable once loaded.
struct FixtureSet {
  std::string root;
  std::vector<Interaction> interactions;
};

// Loads a fixture set. Errors (kind Config) are one line naming the file and what is wrong
// there ("<dir>/request.json: member \"method\" is not a string"); a root that does not exist or
// holds no interaction is an error too, so a mis-pointed directory never replays nothing.
BEDROCK_LITE_API Result<FixtureSet> load_fixture_set(const std::string& root);

// Loads the single interaction in `folder`.
BEDROCK_LITE_API Result<Interaction> load_interaction(const std::string& folder);

struct ReplayOptions {
  // Size of the body chunks handed to http::BodySink::on_body; 16 KiB is what libcurl hands over
  // from a fast connection (CURL_MAX_WRITE_SIZE), so the decoder meets the same straddling messages
  // as in production. 0 delivers each body in one chunk.
  std::size_t chunk_bytes = 16 * 1024;
};

// Answers requests from a fixture set; no network.
//
// Matching: the method (exact), the percent-decoded path and query (scheme and host are
// ignored, so "%3A" and ":" forms of a model id match each other), and the body: compared as
// JSON when the recorded body was JSON (key order, whitespace and number spelling do not
// matter; an elided string matches a string of that length and SHA-256, or the elision text
// itself), else byte for byte. When several interactions match, the one used least often wins,
// ties going to the earliest: a set replays in recorded order and then starts over, so
// repeated identical calls walk through their recorded answers cyclically.
//
// A request that matches nothing fails with kind Usage (the caller asked for something the set
// does not hold; retrying cannot help) and a message naming the closest interaction folder and
// the first differing JSON path, e.g. `replay: no fixture matches POST /model/m/converse;
// closest is <folder>: body differs at /messages/0/content/0/text`.
//
// Thread-safe: concurrent send() and match() calls are serialised on the usage counters only.
class BEDROCK_LITE_API ReplayTransport final : public http::Transport {
 public:
  explicit ReplayTransport(FixtureSet set, ReplayOptions options = {});
  ~ReplayTransport() override;
  ReplayTransport(const ReplayTransport&) = delete;
  ReplayTransport& operator=(const ReplayTransport&) = delete;

  // Loads `root` (see load_fixture_set) and builds the transport.
  static Result<std::unique_ptr<ReplayTransport>> open(const std::string& root,
                                                       ReplayOptions options = {});

  // Delivers the matched interaction's status and headers to on_head, then its body in chunks
  // of options.chunk_bytes. A sink returning false ends the call with kind Cancelled.
  Result<http::ResponseHead> send(const http::Request& request, http::BodySink& sink) override;

  // The matching step alone, for servers that replay over a socket (serve-fixtures). `target` is
  // a URL or an origin-form path ("/model/x/converse?..."). Counts as a use of the result. The
  // pointer stays valid for the transport's lifetime.
  Result<const Interaction*> match(std::string_view method, std::string_view target,
                                   std::string_view body);

  const FixtureSet& fixtures() const noexcept;

  // The folders of the interactions no send() or match() has used yet, in recorded order: what a
  // strict test reports as recorded but never requested (the caller decides whether that fails).
  std::vector<std::string> unused() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

struct RecordingOptions {
  // Time written to meta.json ("recorded_at"); tests pass a fixed clock.
  Clock clock = system_clock();
};

// Forwards every request to `inner` and writes each completed exchange as an interaction folder
// under `dir`: "<NNNNNN>-<last path segment>", numbered in the order the requests were sent and
// continuing after folders already there, so a recorded directory replays in order. Bodies are
// written byte for byte (the request body as a JSON value when it is a JSON object or array);
// header values go through redact_header_value, and X-Amz-Security-Token / X-Amz-Signature /
// X-Amz-Credential query values in the URI are masked, so no secret reaches the disk. meta.json
// holds {"recorded_by", "recorded_at", "operation", "status", "response_body_bytes"}.
// Exchanges that fail (network error, timeout, a sink that cancelled) are not written: a
// fixture never holds a partial response. Each folder is written under a hidden name
// (".partial-*", which the loader skips) and renamed into place once complete, so a reader never
// sees a torn interaction; a name taken meanwhile (another process recording into the same
// folder) moves the interaction to the next free number. A failure to write is returned as kind
// Config naming the file, after the sink has seen the whole response.
//
// Wrap the Bedrock client's transport, not a credentials provider's: response bodies are
// recorded as they are, and credential endpoints answer with secrets in the body.
// Thread-safe.
class BEDROCK_LITE_API RecordingTransport final : public http::Transport {
 public:
  RecordingTransport(std::shared_ptr<http::Transport> inner, std::string dir,
                     RecordingOptions options = {});
  ~RecordingTransport() override;
  RecordingTransport(const RecordingTransport&) = delete;
  RecordingTransport& operator=(const RecordingTransport&) = delete;

  Result<http::ResponseHead> send(const http::Request& request, http::BodySink& sink) override;
  // The inner transport's start(), teed the same way; the fixture is written on the engine's
  // driving thread when the exchange ended.
  http::CallId start(http::Engine& engine, const http::Request& request, http::BodySink& sink,
                     http::Completion done) override;

 private:
  Result<http::ResponseHead> record(const http::Request& request, http::ResponseHead head,
                                    const std::string& body, unsigned number);
  struct State;
  std::unique_ptr<State> state_;
};

// What a RecordReplayTransport does with its folder, as VCR-style libraries name the modes.
enum class RecordMode {
  None,  // replay only: a request no interaction matches is an error naming the closest one
  Once,  // record when the folder holds no interaction (or does not exist), else as None
  New,   // replay what matches; record and append what does not; never rewrite an interaction
  All,   // record every call again into a fresh folder, swapped in for the old one at the end
};

// "none", "once", "new", "all".
BEDROCK_LITE_API const char* to_string(RecordMode mode) noexcept;
// The inverse of to_string; anything else is kind Usage naming the text and the four modes.
BEDROCK_LITE_API Result<RecordMode> parse_record_mode(std::string_view text);

struct RecordReplayOptions {
  ReplayOptions replay;
  RecordingOptions recording;
};

// Replays from and records into one fixture folder, by RecordMode: a ReplayTransport over what
// the folder held when opened, and a RecordingTransport (secrets scrubbed, see above) over
// `live` for what is recorded.
//
// Modes in detail:
//   None  the folder must hold interactions (load_fixture_set's errors otherwise); a miss is
//         kind Usage naming the closest interaction, exactly as ReplayTransport.
//   Once  a folder that is missing or holds no interaction is recorded into (every call goes to
//         `live`); otherwise as None. Which of the two is decided once, at open().
//   New   a request that matches a recorded interaction is replayed (the matching and cyclic
//         reuse rules of ReplayTransport); any other goes to `live` and is appended as a new
//         numbered folder. Existing folders are never written. An interaction recorded in this
//         run is replayed from the next run on (this run keeps recording such requests).
//   All   every call goes to `live` and is recorded into a fresh sibling folder
//         "<dir>.recording-XXXXXX"; "the end" of the run is finish() (or the destructor, which
//         calls it when the caller did not): the fresh folder then replaces `dir` in one atomic
//         step (renameat2 RENAME_EXCHANGE), and the old recordings are deleted. A run that
//         recorded nothing (no call, or only failed exchanges) leaves `dir` as it was and
//         deletes the empty fresh folder; a run that crashes before the end leaves `dir` as it
//         was (and the fresh folder beside it).
//
// `live` may be null for None, and for Once over a folder that holds interactions; any mode
// that must record without it fails at open() with kind Usage.
//
// Thread-safe: any number of send() calls at once, recording into one folder (each
// interaction gets its own number and appears complete or not at all). finish() must not run
// while a send() is in flight.
class BEDROCK_LITE_API RecordReplayTransport final : public http::Transport {
 public:
  static Result<std::unique_ptr<RecordReplayTransport>> open(const std::string& dir,
                                                             RecordMode mode,
                                                             std::shared_ptr<http::Transport> live,
                                                             RecordReplayOptions options = {});
  ~RecordReplayTransport() override;
  RecordReplayTransport(const RecordReplayTransport&) = delete;
  RecordReplayTransport& operator=(const RecordReplayTransport&) = delete;

  Result<http::ResponseHead> send(const http::Request& request, http::BodySink& sink) override;
  // send()'s choice on an engine: a replayed answer is delivered on the driving thread at the
  // engine's next turn, a recorded exchange runs on the live transport's start().
  http::CallId start(http::Engine& engine, const http::Request& request, http::BodySink& sink,
                     http::Completion done) override;

  // The end of a run. All: swaps the fresh recording in for `dir` (errors, kind Config, name the
  // folders and the OS reason; `dir` is then left as it was). Other modes: nothing to do.
  // Later send() calls fail with kind Usage. Calling it again returns the first outcome.
  Result<void> finish();

  // The interactions the folder held at open() that no call replayed, in recorded order (empty
  // when nothing is replayed: All, or Once recording). See ReplayTransport::unused().
  std::vector<std::string> unused() const;

  RecordMode mode() const noexcept;
  // True when no call can reach `live` (None, or Once over recorded interactions): a client then
  // needs no real credentials.
  bool replays_only() const noexcept;

 private:
  RecordReplayTransport();
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace bedrock_lite::replay
