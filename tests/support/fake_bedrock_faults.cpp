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

// The fake Bedrock's fault handlers: one function per Fault, each readable alone, and the table
// that maps one to the other (fake_bedrock.h describes what each fault does).
#include "support/fake_bedrock_faults.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace bedrock_lite::test::fake_bedrock_detail {

std::vector<std::string> split_messages(const std::string& body) {
  std::vector<std::string> messages;
  std::size_t offset = 0;
  while (offset + 4 <= body.size()) {
    const auto* p = reinterpret_cast<const unsigned char*>(body.data() + offset);
    const std::size_t total = (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) |
                              (std::size_t{p[2]} << 8) | std::size_t{p[3]};
    if (total < 16 || offset + total > body.size()) break;
    messages.push_back(body.substr(offset, total));
    offset += total;
  }
  return messages;
}

namespace {

// A recorded event-stream answer, cut into its messages, as a chunked writer sees it.
struct Stream {
  std::vector<std::string> messages;
  std::string body;
  LoopbackServer* server;
  std::chrono::milliseconds stall;

  // The first three messages: what a stream fault lets through before it strikes.
  std::size_t head() const { return std::min<std::size_t>(3, messages.size()); }
  static bool write(httplib::DataSink& sink, const std::string& bytes) {
    return sink.write(bytes.data(), bytes.size());
  }
  void write_head(httplib::DataSink& sink) const {
    for (std::size_t i = 0; i < head(); ++i) write(sink, messages[i]);
  }
};

// Writes a streamed answer; returns false to drop the connection without the terminating chunk.
using StreamWriter = bool (*)(const Stream& stream, httplib::DataSink& sink);

// ---- the normal answer ------------------------------------------------------------------------

void answer_normally(Exchange& x) {
  x.record(x.answer.status);
  x.res.status = x.answer.status;
  x.res.set_content(x.answer.body, x.answer.content_type.c_str());
}

// Answers with the recorded body written by `writer`, chunk by chunk. Stream faults only apply
// to event streams: a JSON answer is sent whole (unless `also_json`).
void answer_streamed(Exchange& x, StreamWriter writer, bool also_json = false) {
  if (!x.stream() && !also_json) return answer_normally(x);
  x.record(x.answer.status);
  x.res.status = x.answer.status;
  Stream stream{split_messages(x.answer.body), x.answer.body, x.server, x.stall};
  x.res.set_chunked_content_provider(
      x.answer.content_type,
      [writer, stream = std::move(stream)](std::size_t, httplib::DataSink& sink) {
        if (!writer(stream, sink)) return false;
        sink.done();
        return true;
      });
}

// ---- error statuses ---------------------------------------------------------------------------

void throttled(Exchange& x) {
  x.error_reply(429, "ThrottlingException", "Too many requests, please wait before trying again.");
}

void internal_error(Exchange& x) {
  x.error_reply(500, "InternalServerException", "The server encountered an internal error.");
}

void unavailable(Exchange& x) {
  x.error_reply(503, "ServiceUnavailableException", "The service is unavailable.");
}

void invalid_model(Exchange& x) {
  x.error_reply(400, "ValidationException", "The provided model identifier is invalid.");
}

void expired_token(Exchange& x) {
  x.error_reply(403, "ExpiredTokenException",
                "The security token included in the request is expired");
}

// ---- silence ----------------------------------------------------------------------------------

void hang_before_response(Exchange& x) {
  x.record(0);
  x.server->wait_until_stopping();
  x.res.status = 500;
}

void stall_before_response(Exchange& x) {
  if (x.server->wait_until_stopping_for(x.stall)) {
    x.record(0);
    x.res.status = 500;
    return;
  }
  answer_normally(x);
}

// ---- damaged bodies ---------------------------------------------------------------------------

void one_byte_chunks(Exchange& x) {
  answer_streamed(
      x,
      [](const Stream& stream, httplib::DataSink& sink) {
        for (char c : stream.body) {
          if (!sink.write(&c, 1)) return false;
        }
        return true;
      },
      /*also_json=*/true);
}

void truncated(Exchange& x) {
  if (!x.stream()) {
    x.record(x.answer.status);
    x.res.status = x.answer.status;
    x.res.set_content(x.answer.body.substr(0, x.answer.body.size() / 2),
                      x.answer.content_type.c_str());
    return;
  }
  answer_streamed(x, [](const Stream& stream, httplib::DataSink& sink) {
    Stream::write(sink, stream.body.substr(0, stream.body.size() / 2));
    return true;
  });
}

void corrupt_crc(Exchange& x) {
  answer_streamed(x, [](const Stream& stream, httplib::DataSink& sink) {
    stream.write_head(sink);
    const std::size_t head = stream.head();
    if (head < stream.messages.size()) {
      std::string broken = stream.messages[head];
      broken.back() = static_cast<char>(broken.back() ^ 0x5A);
      Stream::write(sink, broken);
    }
    for (std::size_t i = head + 1; i < stream.messages.size(); ++i)
      Stream::write(sink, stream.messages[i]);
    return true;
  });
}

// ---- streams that end early or slowly ----------------------------------------------------------

void reset_mid_stream(Exchange& x) {
  answer_streamed(x, [](const Stream& stream, httplib::DataSink& sink) {
    stream.write_head(sink);
    return false;
  });
}

void hang_mid_stream(Exchange& x) {
  answer_streamed(x, [](const Stream& stream, httplib::DataSink& sink) {
    stream.write_head(sink);
    stream.server->wait_until_stopping();
    return false;
  });
}

void stall_mid_stream(Exchange& x) {
  answer_streamed(x, [](const Stream& stream, httplib::DataSink& sink) {
    stream.write_head(sink);
    stream.server->wait_until_stopping_for(stream.stall);
    return false;
  });
}

void slow_stream(Exchange& x) {
  answer_streamed(x, [](const Stream& stream, httplib::DataSink& sink) {
    for (const auto& message : stream.messages) {
      if (stream.server->wait_until_stopping_for(std::chrono::milliseconds(50))) return false;
      if (!Stream::write(sink, message)) return false;
    }
    return true;
  });
}

// ---- stream exceptions (docs/wire-protocol.md §2.3) --------------------------------------------

std::string exception_message(const std::string& type, const std::string& payload) {
  return FakeBedrock::encode_message({{":exception-type", type},
                                      {":content-type", "application/json"},
                                      {":message-type", "exception"}},
                                     payload);
}

void stream_exception(Exchange& x) {
  answer_streamed(x, [](const Stream& stream, httplib::DataSink& sink) {
    stream.write_head(sink);
    Stream::write(sink, exception_message("modelStreamErrorException",
                                          "{\"message\":\"The model stream failed "
                                          "(injected)\",\"originalStatusCode\":500}"));
    return true;
  });
}

void stream_exception_first(Exchange& x) {
  answer_streamed(x, [](const Stream&, httplib::DataSink& sink) {
    Stream::write(sink, exception_message("throttlingException",
                                          "{\"message\":\"Too many tokens, please wait "
                                          "(injected)\"}"));
    return true;
  });
}

// Fault -> what the server does instead of the normal answer; each handler reads alone.
// Fault::ClockSkew moves the server's clock before any check, so its request is answered by the
// signing-time check (or normally, when the skew is being put back).
const std::pair<Fault, FaultHandler> kFaultHandlers[] = {
    {Fault::None, answer_normally},
    {Fault::Status429, throttled},
    {Fault::Status500, internal_error},
    {Fault::Status503, unavailable},
    {Fault::Status400, invalid_model},
    {Fault::ExpiredToken, expired_token},
    {Fault::ResetMidStream, reset_mid_stream},
    {Fault::StreamException, stream_exception},
    {Fault::StreamExceptionFirst, stream_exception_first},
    {Fault::CorruptCrc, corrupt_crc},
    {Fault::OneByteChunks, one_byte_chunks},
    {Fault::HangBeforeResponse, hang_before_response},
    {Fault::HangMidStream, hang_mid_stream},
    {Fault::SlowStream, slow_stream},
    {Fault::TruncatedJson, truncated},
    {Fault::ClockSkew, answer_normally},
    {Fault::StallBeforeResponse, stall_before_response},
    {Fault::StallMidStream, stall_mid_stream},
};

}  // namespace

FaultHandler handler_for(Fault fault) {
  for (const auto& [f, handler] : kFaultHandlers) {
    if (f == fault) return handler;
  }
  return answer_normally;
}

}  // namespace bedrock_lite::test::fake_bedrock_detail
