// StreamAccumulator: a ConverseStream's events rebuilt into the ConverseResponse that Converse
// would have returned, so callers can switch between the two operations freely.
#include "json_descriptions.h"

#include <string>
#include <utility>

namespace bedrock_lite::converse {
namespace {

// What a block has become so far, read from which member of its ContentBlock is set.
enum class BlockKind { Empty, Text, Citations, ToolUse, ToolResult, Image, Reasoning, Other };

BlockKind kind_of(const ContentBlock& b) {
  if (b.citations_content) return BlockKind::Citations;
  if (b.text) return BlockKind::Text;
  if (b.tool_use) return BlockKind::ToolUse;
  if (b.tool_result) return BlockKind::ToolResult;
  if (b.image) return BlockKind::Image;
  if (b.reasoning_content) return BlockKind::Reasoning;
  if (!b.extra.empty()) return BlockKind::Other;
  return BlockKind::Empty;
}

const char* name_of(BlockKind kind) {
  switch (kind) {
    case BlockKind::Empty:
      return "empty";
    case BlockKind::Text:
      return "text";
    case BlockKind::Citations:
      return "citations";
    case BlockKind::ToolUse:
      return "toolUse";
    case BlockKind::ToolResult:
      return "toolResult";
    case BlockKind::Image:
      return "image";
    case BlockKind::Reasoning:
      return "reasoningContent";
    case BlockKind::Other:
      return "unknown";
  }
  return "unknown";
}

Error out_of_order(std::uint64_t event, std::string what) {
  return make_error(ErrorKind::Protocol,
                    "ConverseStream event " + std::to_string(event) + ": " + std::move(what));
}

void append(ExtraMembers& to, const ExtraMembers& from) {
  to.insert(to.end(), from.begin(), from.end());
}

// Cited text: Converse returns it as a citationsContent block holding the generated text and
// the citations, so the text accumulated so far moves there.
void add_citation(ContentBlock& content, const CitationDelta& delta) {
  content.text.reset();
  CitationsContentBlock& c =
      content.citations_content ? *content.citations_content : content.citations_content.emplace();
  Citation& citation =
      c.citations ? c.citations->emplace_back() : c.citations.emplace().emplace_back();
  citation.title = delta.title;
  citation.source = delta.source;
  citation.source_content = delta.source_content;
  citation.location = delta.location;
  citation.extra = delta.extra;
}

void add_tool_result(std::vector<ToolResultContent>& content,
                     const std::vector<ToolResultBlockDelta>& items) {
  for (const ToolResultBlockDelta& item : items) {
    // Text arrives in fragments: consecutive ones are one text item of the result.
    if (item.text && !item.json && item.extra.empty() && !content.empty() && content.back().text &&
        !content.back().json && content.back().extra.empty()) {
      *content.back().text += *item.text;
      continue;
    }
    ToolResultContent& c = content.emplace_back();
    c.text = item.text;
    c.json = item.json;
    c.extra = item.extra;
  }
}

// Reasoning text goes to `text` (joined when the block stops); the signature and the redacted
// content are concatenated in place.
void add_reasoning(ContentBlock& content, std::string& text,
                   const ReasoningContentBlockDelta& delta) {
  ReasoningContentBlock& r =
      content.reasoning_content ? *content.reasoning_content : content.reasoning_content.emplace();
  if (delta.text || delta.signature) {
    if (!r.reasoning_text) r.reasoning_text.emplace();
  }
  if (delta.text) text += *delta.text;
  if (delta.signature) {
    if (!r.reasoning_text->signature) r.reasoning_text->signature.emplace();
    *r.reasoning_text->signature += *delta.signature;
  }
  if (delta.redacted_content) {
    if (!r.redacted_content) r.redacted_content.emplace();
    *r.redacted_content += *delta.redacted_content;
  }
  append(r.extra, delta.extra);
}

}  // namespace

Result<void> StreamAccumulator::add(const StreamEvent& event) {
  if (failed_) return *failed_;
  const std::uint64_t index = events_++;
  Result<void> result;
  if (const auto* start = std::get_if<MessageStartEvent>(&event.body)) {
    role_ = start->role;
  } else if (const auto* block_start = std::get_if<ContentBlockStartEvent>(&event.body)) {
    Block& b = blocks_[block_start->content_block_index];
    if (b.stopped || kind_of(b.content) != BlockKind::Empty) {
      result = out_of_order(index, "contentBlockStart for block " +
                                       std::to_string(block_start->content_block_index) +
                                       ", which has already started");
    } else {
      const ContentBlockStart& s = block_start->start;
      if (s.tool_use) {
        ToolUseBlock& t = b.content.tool_use.emplace();
        t.tool_use_id = s.tool_use->tool_use_id;
        t.name = s.tool_use->name;
        t.type = s.tool_use->type;
        t.extra = s.tool_use->extra;
      } else if (s.tool_result) {
        ToolResultBlock& t = b.content.tool_result.emplace();
        t.tool_use_id = s.tool_result->tool_use_id;
        t.status = s.tool_result->status;
        t.type = s.tool_result->type;
        t.extra = s.tool_result->extra;
      } else if (s.image) {
        ImageBlock& image = b.content.image.emplace();
        image.format = s.image->format;
        image.extra = s.image->extra;
      }
      // A start kind this version does not know becomes a block of that kind.
      append(b.content.extra, s.extra);
    }
  } else if (const auto* delta = std::get_if<ContentBlockDeltaEvent>(&event.body)) {
    result = add_delta(*delta);
  } else if (const auto* stop = std::get_if<ContentBlockStopEvent>(&event.body)) {
    result = stop_block(stop->content_block_index);
  } else if (const auto* message_stop = std::get_if<MessageStopEvent>(&event.body)) {
    stop_ = *message_stop;
  } else if (const auto* metadata = std::get_if<MetadataEvent>(&event.body)) {
    metadata_ = *metadata;
  }
  // UnknownEvent: the caller's handler sees it; it changes nothing in the response.
  if (!result.ok()) {
    Error error = result.error();
    if (error.message.rfind("ConverseStream event", 0) != 0) {
      error.message = "ConverseStream event " + std::to_string(index) + ": " + error.message;
    }
    failed_ = error;
    return error;
  }
  return result;
}

Result<void> StreamAccumulator::add_delta(const ContentBlockDeltaEvent& event) {
  const std::int64_t i = event.content_block_index;
  Block& b = blocks_[i];
  if (b.stopped) {
    return make_error(ErrorKind::Protocol, "contentBlockDelta for block " + std::to_string(i) +
                                               " after its contentBlockStop");
  }
  const ContentBlockDelta& d = event.delta;
  auto mismatch = [&](const char* delta_kind) {
    return make_error(ErrorKind::Protocol, std::string(delta_kind) + " delta for block " +
                                               std::to_string(i) + ", which is a " +
                                               name_of(kind_of(b.content)) + " block");
  };

  if (d.text) {
    const BlockKind k = kind_of(b.content);
    if (k != BlockKind::Empty && k != BlockKind::Text && k != BlockKind::Citations)
      return mismatch("text");
    if (k == BlockKind::Empty) b.content.text.emplace();
    b.text += *d.text;
  }
  if (d.citation) {
    const BlockKind k = kind_of(b.content);
    if (k != BlockKind::Empty && k != BlockKind::Text && k != BlockKind::Citations)
      return mismatch("citation");
    add_citation(b.content, *d.citation);
  }
  if (d.tool_use) {
    if (kind_of(b.content) != BlockKind::ToolUse) return mismatch("toolUse");
    b.tool_input += d.tool_use->input;
    append(b.content.tool_use->extra, d.tool_use->extra);
  }
  if (d.tool_result) {
    if (kind_of(b.content) != BlockKind::ToolResult) return mismatch("toolResult");
    add_tool_result(b.content.tool_result->content, *d.tool_result);
  }
  if (d.reasoning_content) {
    const BlockKind k = kind_of(b.content);
    if (k != BlockKind::Empty && k != BlockKind::Reasoning) return mismatch("reasoningContent");
    add_reasoning(b.content, b.text, *d.reasoning_content);
  }
  if (d.image) {
    if (kind_of(b.content) != BlockKind::Image) return mismatch("image");
    if (d.image->source) b.content.image->source = *d.image->source;
    if (d.image->error) b.content.image->error = d.image->error;
    append(b.content.image->extra, d.image->extra);
  }
  // A delta kind this version does not know is kept on the block as sent.
  append(b.content.extra, d.extra);
  return {};
}

Result<void> StreamAccumulator::stop_block(std::int64_t index) {
  Block& b = blocks_[index];
  if (b.stopped) {
    return make_error(ErrorKind::Protocol,
                      "second contentBlockStop for block " + std::to_string(index));
  }
  b.stopped = true;
  if (b.content.tool_use) {
    // The input arrives as fragments of JSON text; only the whole is JSON (docs/wire-protocol.md
    // §1.7). No fragment at all means the tool takes no arguments: {}.
    if (b.tool_input.empty()) {
      b.content.tool_use->input = "{}";
    } else {
      // Checked, then kept as the service sent it (docs/json.md): re-rendering would respell its
      // numbers.
      if (auto refused = internal::check_json_value(b.tool_input)) {
        return make_error(ErrorKind::Protocol, "toolUse input of block " + std::to_string(index) +
                                                   " (toolUseId " +
                                                   b.content.tool_use->tool_use_id +
                                                   ") is not valid JSON: " + refused->message);
      }
      b.content.tool_use->input = std::move(b.tool_input);
    }
    b.tool_input.clear();
  }
  return {};
}

Result<ConverseResponse> StreamAccumulator::finish() {
  if (failed_) return *failed_;
  if (!stop_) {
    return make_error(ErrorKind::Protocol, "ConverseStream ended after " + std::to_string(events_) +
                                               " events without a messageStop event");
  }
  if (!metadata_) {
    return make_error(ErrorKind::Protocol, "ConverseStream ended after " + std::to_string(events_) +
                                               " events without a metadata event");
  }
  // A block the stream never stopped is closed here, so its tool input is checked too.
  for (auto& [index, b] : blocks_) {
    if (!b.stopped) {
      if (auto stopped = stop_block(index); !stopped.ok()) return stopped.error();
    }
  }

  ConverseResponse response;
  Message& message = response.output.message.emplace();
  message.role = role_ ? *role_ : std::string("assistant");
  message.content.reserve(blocks_.size());
  for (auto& [index, b] : blocks_) {
    ContentBlock& content = b.content;
    if (content.citations_content) {
      if (!b.text.empty()) {
        if (!content.citations_content->content) content.citations_content->content.emplace();
        content.citations_content->content->insert(content.citations_content->content->begin(),
                                                   TextItem{std::move(b.text), {}});
      }
    } else if (content.reasoning_content) {
      if (content.reasoning_content->reasoning_text)
        content.reasoning_content->reasoning_text->text = std::move(b.text);
    } else if (content.text || kind_of(content) == BlockKind::Empty) {
      // A block that only started and stopped was an empty text block.
      content.text = std::move(b.text);
    }
    message.content.push_back(std::move(content));
  }

  response.stop_reason = std::move(stop_->stop_reason);
  response.additional_model_response_fields = std::move(stop_->additional_model_response_fields);
  response.usage = std::move(metadata_->usage);
  response.metrics = std::move(metadata_->metrics);
  response.trace = std::move(metadata_->trace);
  response.performance_config = std::move(metadata_->performance_config);
  response.service_tier = std::move(metadata_->service_tier);

  blocks_.clear();
  role_.reset();
  stop_.reset();
  metadata_.reset();
  events_ = 0;
  return response;
}

}  // namespace bedrock_lite::converse
