// Helpers for the event-driven client's tests: one call run through either driver (the blocking
// Client, or the AsyncClient on an engine run to idle), with what its handler saw and how it
// ended, so a table of faults runs against both.
#pragma once

#include <bedrock_lite/converse.h>

#include "e2e_test_support.h"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bedrock_lite::e2e_test {

enum class Driver { Blocking, Engine };

inline const char* driver_name(Driver driver) {
  return driver == Driver::Blocking ? "blocking Client" : "AsyncClient on an Engine";
}

// How one call ended.
struct Outcome {
  std::optional<Result<ConverseResponse>> result;
  std::vector<std::pair<std::string, std::string>> events;
  int completions = 0;
};

inline Outcome run_stream(Driver driver, Config config, const ConverseRequest& request) {
  Outcome outcome;
  Collected collected;
  if (driver == Driver::Blocking) {
    auto client = Client::create(std::move(config));
    REQUIRE(client.ok());
    outcome.result = client->converse_stream(request, collected.handler());
    outcome.completions = 1;
  } else {
    auto engine = http::Engine::create();
    REQUIRE(engine.ok());
    auto client = AsyncClient::create(std::move(config), **engine);
    REQUIRE(client.ok());
    client->converse_stream(request, collected.handler(), [&](Result<ConverseResponse> result) {
      ++outcome.completions;
      outcome.result = std::move(result);
    });
    (*engine)->run();
    CHECK(client->in_flight() == 0);
  }
  outcome.events = std::move(collected.events);
  return outcome;
}

inline Outcome run_converse(Driver driver, Config config, const ConverseRequest& request) {
  Outcome outcome;
  if (driver == Driver::Blocking) {
    auto client = Client::create(std::move(config));
    REQUIRE(client.ok());
    outcome.result = client->converse(request);
    outcome.completions = 1;
  } else {
    auto engine = http::Engine::create();
    REQUIRE(engine.ok());
    auto client = AsyncClient::create(std::move(config), **engine);
    REQUIRE(client.ok());
    client->converse(request, [&](Result<ConverseResponse> result) {
      ++outcome.completions;
      outcome.result = std::move(result);
    });
    (*engine)->run();
  }
  return outcome;
}

}  // namespace bedrock_lite::e2e_test
