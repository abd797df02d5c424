// Endpoint rules and request paths (docs/wire-protocol.md §1.2, §1.9).
#include <bedrock_lite/converse.h>

#include <string>

namespace bedrock_lite::converse {
namespace {

// The partitions of the AWS endpoint rules (partitions.json), picked by region prefix as their
// regionRegex does; anything else falls in the commercial "aws" partition, as the rules do.
struct Partition {
  const char* prefix;
  const char* dns_suffix;
  const char* dual_stack_dns_suffix;  // nullptr: the partition has no dual-stack endpoints
};
constexpr Partition kPartitions[] = {
    {"cn-", "amazonaws.com.cn", "api.amazonwebservices.com.cn"},
    {"us-gov-", "amazonaws.com", "api.aws"},
    {"us-isob-", "sc2s.sgov.gov", nullptr},
    {"us-iso-", "c2s.ic.gov", nullptr},
};
constexpr Partition kDefaultPartition = {"", "amazonaws.com", "api.aws"};

const Partition& partition_of(const std::string& region) {
  for (const auto& partition : kPartitions) {
    if (region.rfind(partition.prefix, 0) == 0) return partition;
  }
  return kDefaultPartition;
}

// The rules require the region to be a valid host label (isValidHostLabel): it becomes part of
// the host name, so anything else could redirect the request.
bool is_valid_host_label(const std::string& label) {
  if (label.empty() || label.size() > 63 || label.front() == '-') return false;
  for (char c : label) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

Error config_error(std::string message) {
  return make_error(ErrorKind::Config, std::move(message));
}

Result<std::string> check_endpoint_url(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    return config_error("endpoint URL '" + url + "' has no scheme (expected https://host)");
  }
  const std::string scheme = url.substr(0, scheme_end);
  if (scheme != "https" && scheme != "http") {
    return config_error("endpoint URL '" + url + "' has scheme '" + scheme +
                        "' (expected https, or http for an explicit local endpoint)");
  }
  const std::string rest = url.substr(scheme_end + 3);
  if (rest.empty() || rest.front() == '/' || rest.front() == ':') {
    return config_error("endpoint URL '" + url + "' has no host");
  }
  if (rest.find_first_of("?# \t\r\n") != std::string::npos) {
    return config_error("endpoint URL '" + url + "' may not hold a query, fragment or whitespace");
  }
  return url;
}

}  // namespace

Result<std::string> resolve_endpoint(const EndpointParams& params) {
  if (params.endpoint_url) {
    if (params.use_fips) {
      return config_error("Invalid Configuration: FIPS and custom endpoint are not supported");
    }
    if (params.use_dual_stack) {
      return config_error("Invalid Configuration: Dualstack and custom endpoint are not supported");
    }
    return check_endpoint_url(*params.endpoint_url);
  }
  if (params.region.empty()) {
    return make_error(ErrorKind::NoRegion, "Invalid Configuration: Missing Region");
  }
  if (!is_valid_host_label(params.region)) {
    return config_error("region '" + params.region + "' is not a valid host label");
  }
  const Partition& partition = partition_of(params.region);
  const char* suffix = partition.dns_suffix;
  if (params.use_dual_stack) {
    if (partition.dual_stack_dns_suffix == nullptr) {
      return config_error(
          params.use_fips ? "FIPS and DualStack are enabled, but this partition does not "
                            "support one or both"
                          : "DualStack is enabled but this partition does not support DualStack");
    }
    suffix = partition.dual_stack_dns_suffix;
  }
  std::string url = "https://bedrock-runtime";
  if (params.use_fips) url += "-fips";
  url += '.';
  url += params.region;
  url += '.';
  url += suffix;
  return url;
}

std::string operation_path(std::string_view model_id, Operation operation) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string path = "/model/";
  path.reserve(path.size() + model_id.size() * 3 + 20);
  for (char c : model_id) {
    const auto byte = static_cast<unsigned char>(c);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      path += c;
    } else {
      path += '%';
      path += kHex[byte >> 4];
      path += kHex[byte & 0x0F];
    }
  }
  switch (operation) {
    case Operation::Converse:
      path += "/converse";
      break;
    case Operation::ConverseStream:
      path += "/converse-stream";
      break;
    case Operation::CountTokens:
      path += "/count-tokens";
      break;
  }
  return path;
}

}  // namespace bedrock_lite::converse
