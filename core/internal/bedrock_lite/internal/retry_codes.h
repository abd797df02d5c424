// AWS error codes every SDK retries as throttling (private, never installed). One list for the
// converse client's retry policy, its service-error classification and the STS client.
#pragma once

#include <array>
#include <string_view>

namespace bedrock_lite::internal {

// botocore retries/standard.py ThrottledRetryableChecker (docs/wire-protocol.md §6.4), as the
// service spells them in HTTP error replies; stream exceptions use camelCase
// (throttlingException), so the converse module compares without case.
constexpr std::array<std::string_view, 14> kThrottlingCodes = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
};

}  // namespace bedrock_lite::internal
