// The table of JSON numbers that are hard for doubles (fixtures/json-numbers/numbers.txt), shared
// by the library, CLI and C API tests of byte-exact pass-through (docs/json.md).
#pragma once

#include <string>
#include <vector>

namespace bedrock_lite::test {

struct HardNumber {
  std::string text;  // the JSON number token, exactly as it must come out
  std::string why;
};

// Every number in the table; fails the calling test when the table has fewer than 20.
std::vector<HardNumber> hard_numbers();

}  // namespace bedrock_lite::test
