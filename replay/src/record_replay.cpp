// The record modes (replay.h: RecordMode, RecordReplayTransport): a ReplayTransport over what
// the folder held when opened, a RecordingTransport for what is recorded, and for All a fresh
// folder swapped in at the end.
#include <bedrock_lite/replay.h>

#include "directory.h"
#include "fixture_json.h"

#include <mutex>
#include <optional>
#include <utility>

namespace bedrock_lite::replay {
using http::BodySink;
using http::Request;
using http::ResponseHead;
using http::Transport;

namespace {

// The parent folder of `dir` ("." for a bare name), where All's fresh folder goes so that the
// final rename stays on one filesystem.
std::string parent_of(const std::string& dir) {
  std::string trimmed = dir;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  const auto slash = trimmed.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : trimmed.substr(0, slash);
}

// True when `dir` holds at least one interaction (a missing folder holds none).
bool holds_interactions(const std::string& dir) {
  return detail::is_directory(dir) && load_fixture_set(dir).ok();
}

}  // namespace

const char* to_string(RecordMode mode) noexcept {
  switch (mode) {
    case RecordMode::None:
      return "none";
    case RecordMode::Once:
      return "once";
    case RecordMode::New:
      return "new";
    case RecordMode::All:
      return "all";
  }
  return "none";
}

Result<RecordMode> parse_record_mode(std::string_view text) {
  for (RecordMode mode : {RecordMode::None, RecordMode::Once, RecordMode::New, RecordMode::All}) {
    if (text == to_string(mode)) return mode;
  }
  return make_error(ErrorKind::Usage,
                    "record mode \"" + std::string(text) + "\" is not one of none, once, new, all");
}

struct RecordReplayTransport::State {
  RecordMode mode = RecordMode::None;
  std::string dir;
  std::unique_ptr<ReplayTransport> replay;       // null when nothing is replayed
  std::unique_ptr<RecordingTransport> recorder;  // null when nothing is recorded
  bool records = false;                          // some call may reach `live`
  std::string fresh;                             // All: the folder being recorded into
  ReplayOptions replay_options;
  std::mutex mutex;  // guards finished and outcome
  bool finished = false;
  std::optional<Error> outcome;  // finish()'s error, if it failed
};

RecordReplayTransport::RecordReplayTransport() : state_(std::make_unique<State>()) {}

RecordReplayTransport::~RecordReplayTransport() {
  (void)finish();  // the end of the run when the caller did not say so; nobody to report to
}

Result<std::unique_ptr<RecordReplayTransport>> RecordReplayTransport::open(
    const std::string& dir, RecordMode mode, std::shared_ptr<Transport> live,
    RecordReplayOptions options) {
  std::unique_ptr<RecordReplayTransport> transport(new RecordReplayTransport());
  State& state = *transport->state_;
  state.mode = mode;
  state.dir = dir;
  state.replay_options = options.replay;
  const bool replay = mode == RecordMode::None || mode == RecordMode::New ||
                      (mode == RecordMode::Once && holds_interactions(dir));
  if (replay && (mode != RecordMode::New || holds_interactions(dir))) {
    auto opened = ReplayTransport::open(dir, options.replay);
    if (!opened) return std::move(opened).error();
    state.replay = std::move(opened).value();
  }
  const bool record = mode == RecordMode::New || mode == RecordMode::All || !replay;
  if (!record) return transport;
  if (!live) {
    return make_error(ErrorKind::Usage, std::string("record mode ") + to_string(mode) + " for " +
                                            dir + " must record, and has no transport to do it");
  }
  std::string record_dir = dir;
  if (mode == RecordMode::All) {
    std::string error;
    const std::string parent = parent_of(dir);
    if (!detail::create_directories(parent, error) ||
        !detail::make_temp_directory(dir + ".recording-", state.fresh, error)) {
      return make_error(ErrorKind::Config,
                        dir + ".recording-*: cannot create the fresh recording folder: " + error);
    }
    record_dir = state.fresh;
  }
  state.records = true;
  state.recorder = std::make_unique<RecordingTransport>(std::move(live), std::move(record_dir),
                                                        std::move(options.recording));
  return transport;
}

Result<ResponseHead> RecordReplayTransport::send(const Request& request, BodySink& sink) {
  State& state = *state_;
  {
    std::lock_guard<std::mutex> lock(state.mutex);
    if (state.finished) {
      return make_error(ErrorKind::Usage, "record/replay of " + state.dir + " (mode " +
                                              to_string(state.mode) + "): called after finish()");
    }
  }
  if (state.replay) {
    auto found = state.replay->match(request.method, request.url, request.body);
    if (found) return detail::deliver(**found, state.replay_options.chunk_bytes, sink);
    // A miss (the only error match() returns) is the answer unless this mode records misses.
    if (state.mode != RecordMode::New) return std::move(found).error();
  }
  return state.recorder->send(request, sink);
}

// send()'s choice on an engine: a replayed answer (no I/O) is delivered on the driving thread
// at the engine's next turn; a recorded exchange runs on the recorder's event-driven path.
http::CallId RecordReplayTransport::start(http::Engine& engine, const Request& request,
                                          BodySink& sink, http::Completion done) {
  State& state = *state_;
  bool finished = false;
  {
    std::lock_guard<std::mutex> lock(state.mutex);
    finished = state.finished;
  }
  if (finished || !state.recorder) return Transport::start(engine, request, sink, std::move(done));
  if (state.replay) {
    auto found = state.replay->match(request.method, request.url, request.body);
    if (found) {
      const Interaction* interaction = *found;
      const std::size_t chunk_bytes = state.replay_options.chunk_bytes;
      return engine.defer([interaction, chunk_bytes,
                           &sink] { return detail::deliver(*interaction, chunk_bytes, sink); },
                          std::move(done));
    }
    if (state.mode != RecordMode::New) {
      return engine.defer(
          [error = std::move(found).error()] { return Result<http::ResponseHead>(error); },
          std::move(done));
    }
  }
  return state.recorder->start(engine, request, sink, std::move(done));
}

Result<void> RecordReplayTransport::finish() {
  State& state = *state_;
  std::lock_guard<std::mutex> lock(state.mutex);
  if (!state.finished) {
    state.finished = true;
    if (state.mode == RecordMode::All) {
      state.recorder.reset();
      std::string error;
      bool exchanged = false;
      if (!holds_interactions(state.fresh)) {
        // Nothing was recorded (no call, or every exchange failed): keeping the old recordings
        // beats replacing them with an empty folder a later replay could not use.
        detail::remove_all(state.fresh, error);
      } else if (!detail::replace_directory(state.fresh, state.dir, exchanged, error)) {
        state.outcome =
            make_error(ErrorKind::Config, state.dir + ": cannot swap in the fresh " + "recording " +
                                              state.fresh + ": " + error);
      } else if (exchanged && !detail::remove_all(state.fresh, error)) {
        state.outcome =
            make_error(ErrorKind::Config, "the replaced recordings of " + state.dir +
                                              " were moved aside but cannot be deleted: " + error);
      }
    }
  }
  if (state.outcome) return *state.outcome;
  return {};
}

std::vector<std::string> RecordReplayTransport::unused() const {
  return state_->replay ? state_->replay->unused() : std::vector<std::string>{};
}

RecordMode RecordReplayTransport::mode() const noexcept {
  return state_->mode;
}

bool RecordReplayTransport::replays_only() const noexcept {
  return !state_->records;
}

}  // namespace bedrock_lite::replay
