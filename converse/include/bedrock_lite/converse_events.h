// ConverseStream events (docs/wire-protocol.md §1.7), stream exceptions (§2.3) and the accumulator
// that turns a stream into the same ConverseResponse that Converse returns.
//
// The client hands each decoded event-stream message to these functions by its headers
// (`:event-type`, `:exception-type`, …) and payload, as plain text, so this model does not
// depend on the decoder's types.
#pragma once

#include <bedrock_lite/converse_types.h>
#include <bedrock_lite/core.h>
#include <bedrock_lite/export.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace bedrock_lite::converse {

// messageStart
struct MessageStartEvent {
  std::string role;
  ExtraMembers extra;  // includes the "p" padding member Bedrock adds to every event
};

struct ToolUseBlockStart {
  std::string tool_use_id;
  std::string name;
  std::optional<std::string> type;
  ExtraMembers extra;
};

struct ToolResultBlockStart {
  std::string tool_use_id;
  std::optional<std::string> type;
  std::optional<std::string> status;
  ExtraMembers extra;
};

struct ImageBlockStart {
  std::string format;
  ExtraMembers extra;
};

// contentBlockStart.start (union). Text blocks usually have no start event at all.
struct ContentBlockStart {
  std::optional<ToolUseBlockStart> tool_use;
  std::optional<ToolResultBlockStart> tool_result;
  std::optional<ImageBlockStart> image;
  ExtraMembers extra;
};

struct ContentBlockStartEvent {
  std::int64_t content_block_index = 0;
  ContentBlockStart start;
  ExtraMembers extra;
};

struct ToolUseBlockDelta {
  std::string input;  // a fragment of the tool input's JSON text; concatenate, parse at the stop
  ExtraMembers extra;
};

// One item of a toolResult delta (union text / json).
struct ToolResultBlockDelta {
  std::optional<std::string> text;
  std::optional<std::string> json;  // raw JSON text
  ExtraMembers extra;
};

// reasoningContent delta (union text / redactedContent / signature).
struct ReasoningContentBlockDelta {
  std::optional<std::string> text;
  std::optional<std::string> redacted_content;  // base64 text, as on the wire
  std::optional<std::string> signature;
  ExtraMembers extra;
};

struct CitationDelta {
  std::optional<std::string> title;
  std::optional<std::string> source;
  std::optional<std::vector<TextItem>> source_content;
  std::optional<CitationLocation> location;
  ExtraMembers extra;
};

struct ImageBlockDelta {
  std::optional<Source> source;
  std::optional<MediaError> error;
  ExtraMembers extra;
};

// contentBlockDelta.delta (union).
struct ContentBlockDelta {
  std::optional<std::string> text;
  std::optional<ToolUseBlockDelta> tool_use;
  std::optional<std::vector<ToolResultBlockDelta>> tool_result;
  std::optional<ReasoningContentBlockDelta> reasoning_content;
  std::optional<CitationDelta> citation;
  std::optional<ImageBlockDelta> image;
  ExtraMembers extra;
};

struct ContentBlockDeltaEvent {
  std::int64_t content_block_index = 0;
  ContentBlockDelta delta;
  ExtraMembers extra;
};

struct ContentBlockStopEvent {
  std::int64_t content_block_index = 0;
  ExtraMembers extra;
};

struct MessageStopEvent {
  std::string stop_reason;                                      // unknown values kept as sent
  std::optional<std::string> additional_model_response_fields;  // raw JSON text
  ExtraMembers extra;
};

struct MetadataEvent {
  TokenUsage usage;
  Metrics metrics;
  std::optional<std::string> trace;  // raw JSON text
  std::optional<PerformanceConfig> performance_config;
  std::optional<ServiceTier> service_tier;
  ExtraMembers extra;
};

// An event type this version does not know; its name and payload are in StreamEvent.
struct UnknownEvent {};

// One ConverseStream event: its name, its payload exactly as received, and the typed form.
// Immutable once built. Hold `std::get_if<ContentBlockDeltaEvent>(&event.body)` and so on.
struct StreamEvent {
  std::string event_type;  // the `:event-type` header, as sent
  std::string payload;     // raw JSON payload, "p" padding included
  std::variant<UnknownEvent, MessageStartEvent, ContentBlockStartEvent, ContentBlockDeltaEvent,
               ContentBlockStopEvent, MessageStopEvent, MetadataEvent>
      body;
};

// Reads one `:message-type` = event message. `message_index` (0-based position in the stream)
// only goes into error messages. An unknown event type gives an UnknownEvent (never dropped).
// A payload that is not JSON, or whose members have the wrong types, is a Protocol error naming
// the event type, the message index and the JSON pointer.
BEDROCK_LITE_API Result<StreamEvent> parse_stream_event(std::string_view event_type,
                                                        std::string_view payload,
                                                        std::uint64_t message_index = 0);

// A `:message-type` = exception message: kind Service, aws_type = `exception_type` as sent
// (e.g. "modelStreamErrorException"), message from the payload's message / Message (with
// originalStatusCode / originalMessage when present), retryable for throttling, internal-server
// and service-unavailable exceptions (is_retryable_error_type). A missing exception type is a
// Protocol error.
BEDROCK_LITE_API Error stream_exception_error(std::string_view exception_type,
                                              std::string_view payload);

// A `:message-type` = error message (un-modelled): kind Service, aws_type = `error_code`,
// message = `error_message`. A missing code is a Protocol error.
BEDROCK_LITE_API Error stream_error_message(std::string_view error_code,
                                            std::string_view error_message);

// Rebuilds a ConverseResponse from a stream's events: text blocks are the concatenated text
// deltas; tool-use input is the concatenation of its fragments parsed at contentBlockStop (no
// fragment means {}); reasoning text, signature and redactedContent; citations (a text block
// with citation deltas becomes a citationsContent block); toolResult and image blocks; stop
// reason and additionalModelResponseFields from messageStop; usage, metrics, trace,
// performanceConfig and serviceTier from metadata. Unknown delta members are kept in the block's
// `extra`; unknown events leave the response unchanged (the caller's handler sees them).
// Single-thread. Errors are of kind Protocol: an invalid tool input, events out of order (a
// delta after its block stopped, a delta kind that does not fit the block).
class BEDROCK_LITE_API StreamAccumulator {
 public:
  // Feed every event in stream order. After an error the accumulator stays failed.
  Result<void> add(const StreamEvent& event);
  // The response, once messageStop and metadata have arrived; else a Protocol error saying what
  // is missing. Leaves the accumulator empty.
  Result<ConverseResponse> finish();

 private:
  // One content block being rebuilt, by contentBlockIndex.
  // A ContentBlock is about 3 KiB, so a block holds one only once it needs more than text: a
  // thousand streams of text keep none.
  struct Block {
    std::unique_ptr<ContentBlock> content;  // the non-text members, made on first use
    std::string text;                       // text or reasoning text, concatenated
    std::string tool_input;                 // tool-use input fragments, concatenated
    bool is_text = false;                   // a text delta came first
    bool stopped = false;
  };
  Result<void> add_delta(const ContentBlockDeltaEvent& event);
  Result<void> stop_block(std::int64_t index);

  std::map<std::int64_t, Block> blocks_;
  std::optional<std::string> role_;
  std::optional<MessageStopEvent> stop_;
  std::unique_ptr<MetadataEvent> metadata_;  // held by pointer, like Block::content
  std::optional<Error> failed_;
  std::uint64_t events_ = 0;
};

}  // namespace bedrock_lite::converse
