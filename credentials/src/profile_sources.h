// The profile-based sources that trade a cached token for credentials: IAM Identity Center (SSO)
// and `aws login`. The profile provider asks them first, as botocore does; each answers nullopt
// when the profile does not configure it, so the profile provider moves on.
#pragma once

#include <bedrock_lite/credentials.h>

#include <chrono>
#include <optional>
#include <string>

namespace bedrock_lite::credentials::detail {

// How long before its expiry a cached token is refreshed (botocore's SSO token provider and the
// `aws login` provider both use 5 minutes).
constexpr std::chrono::minutes kTokenRefreshWindow{5};

// HTTP limits for the token services: small JSON answers, so a stalled peer is given up early.
http::Timeouts token_service_timeouts();

// IAM Identity Center: the profile has sso_session (with an [sso-session NAME] section) or the
// legacy sso_start_url / sso_region, plus sso_account_id and sso_role_name. Source
// "sso:<session or profile>".
std::optional<Result<Credentials>> resolve_sso(const ProviderContext& context,
                                               const SharedConfig& config,
                                               const std::string& profile,
                                               const ProfileSection& section);

// `aws login` console credentials: the profile has login_session. Source "login:<profile>".
std::optional<Result<Credentials>> resolve_login(const ProviderContext& context,
                                                 const SharedConfig& config,
                                                 const std::string& profile,
                                                 const ProfileSection& section);

// A cache timestamp ("2026-01-01T00:00:00Z"; the AWS CLI once wrote "...UTC"). A year past what
// a TimePoint holds (a login cache may say 3025) is taken as the latest instant it holds, less a
// year, which is "never" for every refresh decision.
std::optional<TimePoint> parse_cache_time(const std::string& text);

}  // namespace bedrock_lite::credentials::detail
