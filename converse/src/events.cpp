// ConverseStream events (docs/wire-protocol.md §1.7): from (`:event-type`, payload) to a typed
// StreamEvent.
#include "json_descriptions.h"

#include <string>

namespace bedrock_lite::converse {
namespace {

template <class Event>
bool read_event(const rapidjson::Value& payload, StreamEvent& out, detail::ReadContext& ctx) {
  Event event;
  if (!detail::read_value(payload, event, ctx)) return false;
  out.body = std::move(event);
  return true;
}

}  // namespace

Result<StreamEvent> parse_stream_event(std::string_view event_type, std::string_view payload,
                                       std::uint64_t message_index) {
  StreamEvent out;
  out.event_type = std::string(event_type);
  out.payload = std::string(payload);

  enum class Kind { MessageStart, BlockStart, BlockDelta, BlockStop, MessageStop, Metadata, Other };
  Kind kind = Kind::Other;
  if (event_type == "contentBlockDelta")
    kind = Kind::BlockDelta;
  else if (event_type == "contentBlockStart")
    kind = Kind::BlockStart;
  else if (event_type == "contentBlockStop")
    kind = Kind::BlockStop;
  else if (event_type == "messageStart")
    kind = Kind::MessageStart;
  else if (event_type == "messageStop")
    kind = Kind::MessageStop;
  else if (event_type == "metadata")
    kind = Kind::Metadata;

  // An event type this version does not know is passed through untouched, payload unread:
  // the service may add event types with any payload (docs/wire-protocol.md §2.3, forward
  // compatibility).
  if (kind == Kind::Other) return out;

  detail::ReadContext ctx;
  ctx.kind = ErrorKind::Protocol;
  detail::JsonDocument json;
  auto& doc = json.doc();
  internal::JsonSourceMap map;
  // The map refers to out.payload, which the event keeps: extra members are slices of it.
  if (detail::parse_document(out.payload, doc, map, ctx)) {
    switch (kind) {
      case Kind::MessageStart:
        read_event<MessageStartEvent>(doc, out, ctx);
        break;
      case Kind::BlockStart:
        read_event<ContentBlockStartEvent>(doc, out, ctx);
        break;
      case Kind::BlockDelta:
        read_event<ContentBlockDeltaEvent>(doc, out, ctx);
        break;
      case Kind::BlockStop:
        read_event<ContentBlockStopEvent>(doc, out, ctx);
        break;
      case Kind::MessageStop:
        read_event<MessageStopEvent>(doc, out, ctx);
        break;
      case Kind::Metadata:
        read_event<MetadataEvent>(doc, out, ctx);
        break;
      case Kind::Other:
        break;
    }
  }
  if (ctx.failed()) {
    return make_error(ErrorKind::Protocol, "malformed " + std::string(event_type) +
                                               " event (message " + std::to_string(message_index) +
                                               "): " + ctx.error);
  }
  return out;
}

}  // namespace bedrock_lite::converse
