#include "support/hard_numbers.h"

#include "support/fixtures.h"

#include <catch2/catch.hpp>

#include <sstream>

namespace bedrock_lite::test {

std::vector<HardNumber> hard_numbers() {
  std::istringstream lines(read_file(fixture_path("json-numbers/numbers.txt")));
  std::vector<HardNumber> out;
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.find(' ');
    out.push_back(
        {line.substr(0, space), space == std::string::npos ? "" : line.substr(space + 1)});
  }
  REQUIRE(out.size() >= 20);
  return out;
}

}  // namespace bedrock_lite::test
