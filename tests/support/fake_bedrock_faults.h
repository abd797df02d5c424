// What the fake Bedrock's fault handlers share with the server (fake_bedrock.cpp): the answer
// configured for an operation, the request being answered, and the table of handlers
// (fake_bedrock_faults.cpp), one per Fault. Private to tests/support.
#pragma once

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
#include "support/loopback_server.h"

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace bedrock_lite::test::fake_bedrock_detail {

// A recorded answer: status, content type, body.
struct Answer {
  int status = 200;
  std::string content_type;
  std::string body;
};

// One request being answered: what the fault handlers read and write. The answer configured for
// the request's operation is looked up before the handler runs.
struct Exchange {
  const httplib::Request& req;
  httplib::Response& res;
  Answer answer;
  LoopbackServer* server;
  std::chrono::milliseconds stall;
  std::function<void(int)> record;  // records the request as seen, with the status it got

  bool stream() const { return answer.content_type == "application/vnd.amazon.eventstream"; }

  void error_reply(int status, const std::string& type, const std::string& message) {
    res.status = status;
    res.set_header("x-amzn-ErrorType",
                   type + ":http://internal.amazon.com/coral/com.amazon.bedrock/");
    res.set_content("{\"message\":\"" + message + "\"}", "application/json");
    record(status);
  }
};

// Cuts a recorded event-stream body into its messages (recorded bodies are valid and tile).
std::vector<std::string> split_messages(const std::string& body);

// What the server does for `fault` instead of the normal answer.
using FaultHandler = void (*)(Exchange&);
FaultHandler handler_for(Fault fault);

}  // namespace bedrock_lite::test::fake_bedrock_detail
