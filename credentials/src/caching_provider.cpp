// The caching provider (docs/wire-protocol.md §5.8; shape of aws-c-auth's
// credentials_provider_cached.c): an injected clock, refresh ahead of expiry, one refresh at a
// time, waiters woken outside the lock.
#include <bedrock_lite/credentials.h>

#include "provider_internals.h"

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace bedrock_lite::credentials {
namespace {

class CachingProvider final : public CredentialsProvider {
 public:
  CachingProvider(std::shared_ptr<CredentialsProvider> inner, Clock clock, LogHook log,
                  CachingSettings settings)
      : inner_(std::move(inner)),
        clock_(std::move(clock)),
        log_(std::move(log)),
        settings_(settings) {}

  Result<Credentials> resolve() override { return get(false); }
  Result<Credentials> refresh() override { return get(true); }

 private:
  enum class Freshness { Fresh, Advisory, Mandatory, Expired };

  Freshness freshness(const Credentials& credentials, TimePoint now) const {
    if (!credentials.expiration) return Freshness::Fresh;
    const TimePoint expiry = *credentials.expiration;
    if (now >= expiry) return Freshness::Expired;
    if (now >= expiry - settings_.mandatory_refresh) return Freshness::Mandatory;
    if (now >= expiry - settings_.advisory_refresh) return Freshness::Advisory;
    return Freshness::Fresh;
  }

  Result<Credentials> get(bool forced) {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      const TimePoint now = clock_();
      const Freshness state = cached_ ? freshness(*cached_, now) : Freshness::Expired;
      if (!forced && state == Freshness::Fresh) return *cached_;
      if (refreshing_) {
        // Someone is already refreshing: keep using what we hold while it is comfortably
        // valid, else wait for that refresh and take its outcome rather than starting another.
        if (!forced && state == Freshness::Advisory) return *cached_;
        const std::uint64_t generation = generation_;
        ready_.wait(lock, [&] { return generation_ != generation; });
        if (cached_ && freshness(*cached_, clock_()) != Freshness::Expired &&
            (!forced || !last_error_)) {
          return *cached_;
        }
        if (last_error_) return *last_error_;
        continue;
      }
      return refresh_locked(lock, forced);
    }
  }

  // Called with the lock held and refreshing_ false; fetches without the lock.
  Result<Credentials> refresh_locked(std::unique_lock<std::mutex>& lock, bool forced) {
    refreshing_ = true;
    lock.unlock();
    auto fetched = forced ? inner_->refresh() : inner_->resolve();
    const TimePoint now = clock_();
    std::optional<Error> fetch_error;
    if (fetched && freshness(*fetched, now) == Freshness::Expired) {
      fetch_error = make_error(ErrorKind::NoCredentials, "credentials from " + fetched->source +
                                                             " expired at " +
                                                             format_iso8601(*fetched->expiration));
    } else if (!fetched) {
      fetch_error = fetched.error();
    }
    lock.lock();
    refreshing_ = false;
    ++generation_;
    std::optional<Result<Credentials>> outcome;
    std::string warning;
    if (!fetch_error) {
      cached_ = fetched.value();
      last_error_.reset();
      outcome = std::move(fetched);
    } else {
      last_error_ = fetch_error;
      if (cached_ && !forced && freshness(*cached_, now) != Freshness::Expired) {
        // A failed refresh while the held credentials are still valid: keep them, say so.
        warning = "credentials: refresh failed, keeping the current ones from " + cached_->source +
                  " (valid until " + format_iso8601(*cached_->expiration) +
                  "): " + fetch_error->to_string();
        outcome = *cached_;
      } else {
        // Nothing valid left (or the caller forced a refresh because the service rejected
        // what we hold): never hand out expired credentials.
        if (forced || (cached_ && freshness(*cached_, now) == Freshness::Expired)) cached_.reset();
        outcome = *fetch_error;
      }
    }
    lock.unlock();
    // Waiters are woken and the hook is called outside the lock.
    ready_.notify_all();
    if (!warning.empty()) detail::log(log_, LogLevel::Warn, warning);
    lock.lock();
    return std::move(*outcome);
  }

  const std::shared_ptr<CredentialsProvider> inner_;
  const Clock clock_;
  const LogHook log_;
  const CachingSettings settings_;

  std::mutex mutex_;
  std::condition_variable ready_;
  std::optional<Credentials> cached_;
  std::optional<Error> last_error_;
  bool refreshing_ = false;
  std::uint64_t generation_ = 0;
};

}  // namespace

std::shared_ptr<CredentialsProvider> make_caching_provider(
    std::shared_ptr<CredentialsProvider> inner, Clock clock, LogHook log,
    CachingSettings settings) {
  return std::make_shared<CachingProvider>(std::move(inner), std::move(clock), std::move(log),
                                           settings);
}

}  // namespace bedrock_lite::credentials
