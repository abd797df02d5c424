// X-Amz-Date into a caller's buffer, for the signing hot path (no allocation).
#pragma once

#include <chrono>

namespace bedrock_lite::sigv4::detail {

// Writes "YYYYMMDDTHHMMSSZ" (16 chars, no terminator). False outside years 0000-9999.
bool format_amz_date(std::chrono::system_clock::time_point time, char out[16]) noexcept;

}  // namespace bedrock_lite::sigv4::detail
