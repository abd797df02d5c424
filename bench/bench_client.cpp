// The client against a loopback server in a child process (so process CPU time is the client's
// alone), single thread, keep-alive:
//   BM_ConverseLoopback   Converse calls per second, small response, through the whole client
//                         (JSON body, SigV4 per call, libcurl transport, response parsing).
//   BM_CurlFloorLoopback  the floor: the same request by a bare libcurl loop on one easy handle,
//                         pre-signed once, body discarded unparsed.
//   BM_StreamEvents1000   client CPU time per streamed event for a 1,000-event ConverseStream
//                         (decode, parse, handler, accumulate), process CPU time.
//   BM_CliStreamPeakRss   peak RSS of `bedrock-lite converse-stream` printing that stream, next
//                         to the `curl` tool fetching the same response (the issue's RSS target);
//                         also the static CLI at $BEDROCK_LITE_STATIC_CLI when that is set.
//   BM_SteadyStateRss     resident memory growth over thousands of calls on one client (a
//                         Converse, a 1,000-event stream, a throttled and a failed call each
//                         round) after a warm-up: the bound the fault soak used to assert
//                         (docs/reliability.md), measured here instead of in ctest.
//   BM_ImdsAbsent         how long the IMDS provider takes to give up on a machine without IMDS
//                         (nothing listening on its loopback endpoint, backoff not slept): the
//                         issue's "under 2 s" bound, measured here instead of in ctest.
// Targets (issue 5): Converse >= 0.8x the floor's calls/s; < 2 us CPU per event.
#include <bedrock_lite/converse.h>
#include <bedrock_lite/credentials.h>
#include <bedrock_lite/eventstream.h>
#include <bedrock_lite/sigv4.h>

#include <benchmark/benchmark.h>
#include <curl/curl.h>
#include <httplib.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

using namespace bedrock_lite;

namespace {

// A recorded Converse reply (fixtures/recorded/bedrock-recorded/test_bedrock_model/00).
const char* kConverseReply =
    R"({"metrics":{"latencyMs":268},"output":{"message":{"content":[{"text":"Hello! How can I assist )"
    R"(you today? Whether you have questions, need information, or just want to chat, I'm here to )"
    R"(help."}],"role":"assistant"}},"stopReason":"end_turn","usage":{"inputTokens":7,)"
    R"("outputTokens":30,"totalTokens":37}})";
const char* kRequestBody = R"({"messages":[{"role":"user","content":[{"text":"Hello"}]}]})";
const char* kModelPath = "/model/us.amazon.nova-micro-v1%3A0/converse";
constexpr int kStreamEvents = 1000;

std::string event(const char* type, const std::string& payload) {
  std::string out;
  const std::vector<eventstream::Header> headers = {
      {":event-type", eventstream::HeaderValue::string(type)},
      {":content-type", eventstream::HeaderValue::string("application/json")},
      {":message-type", eventstream::HeaderValue::string("event")}};
  if (!eventstream::encode_message(headers, payload, out)) std::abort();
  return out;
}

// messageStart, 996 text deltas, contentBlockStop, messageStop, metadata: 1,000 events shaped
// like Bedrock's (with the "p" padding member).
std::string stream_body() {
  std::string body = event("messageStart", R"({"p":"abcdefghijklmnopqr","role":"assistant"})");
  for (int i = 0; i < kStreamEvents - 4; ++i) {
    body += event("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":" token)" +
                                           std::to_string(i) +
                                           R"("},"p":"abcdefghijklmnopqrstuvwxyzABCDEF"})");
  }
  body += event("contentBlockStop",
                R"({"contentBlockIndex":0,"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"})");
  body +=
      event("messageStop", R"({"p":"abcdefghijklmnopqrstuvwxyzABCDEFGH","stopReason":"end_turn"})");
  body +=
      event("metadata", R"({"metrics":{"latencyMs":1234},"p":"abcdef","usage":{"inputTokens":7,)"
                        R"("outputTokens":996,"totalTokens":1003}})");
  return body;
}

// The loopback server runs in a child process started before any thread exists.
struct ServerProcess {
  pid_t pid = -1;
  int port = 0;
};

ServerProcess start_server() {
  int fds[2];
  if (pipe(fds) != 0) std::abort();
  ServerProcess process;
  process.pid = fork();
  if (process.pid < 0) std::abort();
  if (process.pid == 0) {
    close(fds[0]);
    const std::string stream = stream_body();
    httplib::Server server;
    server.set_keep_alive_max_count(1000000);
    // httplib writes headers and body separately: without TCP_NODELAY, Nagle meets the
    // client's delayed ACK and every call costs 40 ms.
    server.set_tcp_nodelay(true);
    // Registered first: httplib tries routes in order, and the next one matches these too.
    server.Post(
        R"(/model/throttled/converse)", [](const httplib::Request&, httplib::Response& res) {
          res.status = 429;
          res.set_header("x-amzn-ErrorType", "ThrottlingException");
          res.set_content(R"({"message":"Too many requests, please wait before trying again."})",
                          "application/json");
        });
    server.Post(R"(/model/failing/converse)", [](const httplib::Request&, httplib::Response& res) {
      res.status = 500;
      res.set_header("x-amzn-ErrorType", "InternalServerException");
      res.set_content(R"({"message":"The server encountered an internal error."})",
                      "application/json");
    });
    server.Post(R"(/model/([^/]+)/converse)", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(kConverseReply, "application/json");
    });
    server.Post(R"(/model/([^/]+)/converse-stream)",
                [&stream](const httplib::Request&, httplib::Response& res) {
                  res.set_content(stream, "application/vnd.amazon.eventstream");
                });
    const int port = server.bind_to_any_port("127.0.0.1");
    if (write(fds[1], &port, sizeof port) != static_cast<ssize_t>(sizeof port)) _exit(1);
    close(fds[1]);
    server.listen_after_bind();
    _exit(0);
  }
  close(fds[1]);
  if (read(fds[0], &process.port, sizeof process.port) != static_cast<ssize_t>(sizeof process.port))
    std::abort();
  close(fds[0]);
  return process;
}

int g_port = 0;

std::string base_url() {
  return "http://127.0.0.1:" + std::to_string(g_port);
}

converse::Client make_client(int max_attempts = 3) {
  converse::Config config;
  config.retry.max_attempts = max_attempts;
  config.region = "us-east-1";
  config.endpoint = base_url();
  credentials::Credentials c;
  c.access_key_id = "AKIDBENCH";
  c.secret_access_key = Secret("bench-secret");
  c.session_token = Secret("bench-session-token");
  config.credentials = credentials::make_static_provider(c);
  auto client = converse::Client::create(std::move(config));
  if (!client) std::abort();
  return std::move(client).value();
}

converse::ConverseRequest hello(const std::string& model_id) {
  auto request = converse::parse_converse_request(kRequestBody);
  if (!request) std::abort();
  request->model_id = model_id;
  return std::move(request).value();
}

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

void BM_ConverseLoopback(benchmark::State& state) {
  auto client = make_client();
  const auto request = hello("us.amazon.nova-micro-v1:0");
  for (auto _ : state) {
    auto response = client.converse(request);
    if (!response) {
      state.SkipWithError(response.error().to_string().c_str());
      break;
    }
    benchmark::DoNotOptimize(response->stop_reason);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ConverseLoopback)->UseRealTime();

std::size_t discard(char*, std::size_t size, std::size_t count, void* total) {
  *static_cast<std::size_t*>(total) += size * count;
  return size * count;
}

void BM_CurlFloorLoopback(benchmark::State& state) {
  const std::string authority = "127.0.0.1:" + std::to_string(g_port);
  const std::vector<sigv4::Header> to_sign = {{"Host", authority},
                                              {"Content-Type", "application/json"}};
  const sigv4::Credentials keys{"AKIDBENCH", "bench-secret", "bench-session-token"};
  sigv4::Signer signer;
  auto added = signer.sign_headers("POST", kModelPath, to_sign, kRequestBody, keys, "us-east-1",
                                   "bedrock", std::chrono::system_clock::now());
  if (!added) {
    state.SkipWithError(added.error().message.c_str());
    return;
  }
  curl_slist* headers = nullptr;
  for (const auto& h : to_sign)
    headers = curl_slist_append(headers, (h.name + ": " + h.value).c_str());
  for (const auto& h : *added)
    headers = curl_slist_append(headers, (h.name + ": " + h.value).c_str());
  headers = curl_slist_append(headers, "Expect:");
  headers = curl_slist_append(headers, "Accept:");
  CURL* curl = curl_easy_init();
  const std::string url = base_url() + kModelPath;
  std::size_t received = 0;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, kRequestBody);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(std::strlen(kRequestBody)));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &received);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  for (auto _ : state) {
    const CURLcode code = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (code != CURLE_OK || status != 200) {
      state.SkipWithError(curl_easy_strerror(code));
      break;
    }
  }
  benchmark::DoNotOptimize(received);
  state.SetItemsProcessed(state.iterations());
  curl_easy_cleanup(curl);
  curl_slist_free_all(headers);
}
BENCHMARK(BM_CurlFloorLoopback)->UseRealTime();

void BM_StreamEvents1000(benchmark::State& state) {
  auto client = make_client();
  const auto request = hello("us.amazon.nova-micro-v1:0");
  std::size_t events = 0;
  double cpu = 0;
  for (auto _ : state) {
    const double before = process_cpu_seconds();
    std::size_t seen = 0;
    auto response = client.converse_stream(request, [&seen](const converse::StreamEvent&) {
      ++seen;
      return converse::StreamControl::Continue;
    });
    cpu += process_cpu_seconds() - before;
    if (!response || seen != kStreamEvents) {
      state.SkipWithError(response ? "wrong event count" : response.error().to_string().c_str());
      break;
    }
    events += seen;
  }
  state.counters["events"] = static_cast<double>(events);
  state.counters["cpu_us_per_event"] = events == 0 ? 0.0 : cpu * 1e6 / static_cast<double>(events);
  state.SetItemsProcessed(static_cast<std::int64_t>(events));
}
BENCHMARK(BM_StreamEvents1000)->MeasureProcessCPUTime()->UseRealTime();

// Runs `argv` with `envp`, stdout and stderr to /dev/null; returns its peak RSS in KiB, or -1.
long run_for_peak_rss(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    const int null_fd = open("/dev/null", O_WRONLY);
    dup2(null_fd, 1);
    dup2(null_fd, 2);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  if (wait4(pid, &status, 0, &usage) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return -1;
  return usage.ru_maxrss;
}

void BM_CliStreamPeakRss(benchmark::State& state) {
  char self[PATH_MAX] = {};
  const ssize_t length = readlink("/proc/self/exe", self, sizeof self - 1);
  std::string cli =
      length > 0 ? std::string(self, static_cast<std::size_t>(length)) : std::string();
  cli = cli.substr(0, cli.rfind('/')) + "/../cli/bedrock-lite";
  if (access(cli.c_str(), X_OK) != 0) {
    state.SkipWithError("bedrock-lite not built next to bench/ (build the bedrock-lite target)");
    return;
  }
  const std::vector<std::string> cli_args = {
      cli,          "converse-stream",           "--endpoint-url", base_url(),
      "--model-id", "us.amazon.nova-micro-v1:0", "--prompt",       "Hello"};
  const std::vector<std::string> env = {
      "PATH=/usr/bin:/bin",          "HOME=/nonexistent",
      "AWS_ACCESS_KEY_ID=AKIDBENCH", "AWS_SECRET_ACCESS_KEY=bench-secret",
      "AWS_REGION=us-east-1",        "AWS_EC2_METADATA_DISABLED=true"};
  const std::vector<std::string> curl_args = {
      "/usr/bin/curl",
      "-s",
      "-f",
      "-o",
      "/dev/null",
      "-X",
      "POST",
      "-H",
      "Content-Type: application/json",
      "--data",
      kRequestBody,
      base_url() + "/model/us.amazon.nova-micro-v1%3A0/converse-stream"};
  // The fully static CLI (BEDROCK_LITE_STATIC, `static` preset) too, when its path is given.
  const char* static_cli = std::getenv("BEDROCK_LITE_STATIC_CLI");
  std::vector<std::string> static_args;
  if (static_cli != nullptr && access(static_cli, X_OK) == 0) {
    static_args = cli_args;
    static_args[0] = static_cli;
  }
  long cli_peak = 0;
  long curl_peak = 0;
  long static_peak = 0;
  for (auto _ : state) {
    const long a = run_for_peak_rss(cli_args, env);
    const long b = run_for_peak_rss(curl_args, env);
    const long c = static_args.empty() ? 0 : run_for_peak_rss(static_args, env);
    if (a < 0 || b < 0 || c < 0) {
      state.SkipWithError(a < 0   ? "bedrock-lite converse-stream failed"
                          : b < 0 ? "curl failed"
                                  : "static bedrock-lite converse-stream failed");
      return;
    }
    cli_peak = std::max(cli_peak, a);
    curl_peak = std::max(curl_peak, b);
    static_peak = std::max(static_peak, c);
  }
  state.counters["cli_peak_rss_kib"] = static_cast<double>(cli_peak);
  state.counters["curl_peak_rss_kib"] = static_cast<double>(curl_peak);
  if (!static_args.empty()) {
    state.counters["static_cli_peak_rss_kib"] = static_cast<double>(static_peak);
  }
  // <= 1.0 meets issue 5's target (the CLI no bigger than the curl tool on the same response).
  state.counters["cli_to_curl"] =
      curl_peak == 0 ? 0.0 : static_cast<double>(cli_peak) / static_cast<double>(curl_peak);
}
BENCHMARK(BM_CliStreamPeakRss)->Iterations(5)->UseRealTime();

// Resident set size now, in KiB (/proc/self/statm: pages).
long resident_kib() {
  FILE* statm = std::fopen("/proc/self/statm", "r");
  if (statm == nullptr) return -1;
  long size = 0, resident = 0;
  const int read = std::fscanf(statm, "%ld %ld", &size, &resident);
  std::fclose(statm);
  return read == 2 ? resident * (sysconf(_SC_PAGESIZE) / 1024) : -1;
}

void BM_SteadyStateRss(benchmark::State& state) {
  auto client = make_client(/*max_attempts=*/1);  // errors come back at once, no backoff
  const auto ok = hello("us.amazon.nova-micro-v1:0");
  const auto throttled = hello("throttled");
  const auto failing = hello("failing");
  auto round = [&]() -> const char* {
    if (!client.converse(ok)) return "converse failed";
    std::size_t seen = 0;
    auto streamed = client.converse_stream(ok, [&seen](const converse::StreamEvent&) {
      ++seen;
      return converse::StreamControl::Continue;
    });
    if (!streamed || seen != kStreamEvents) return "converse_stream failed";
    auto refused = client.converse(throttled);
    if (refused || refused.error().aws_type != "ThrottlingException") return "no 429";
    auto failed = client.converse(failing);
    if (failed || failed.error().aws_type != "InternalServerException") return "no 500";
    return nullptr;
  };
  // Warm-up: libcurl's and OpenSSL's one-time state, the connection, the allocator's pools.
  for (int i = 0; i < 200; ++i) {
    if (const char* why = round()) {
      state.SkipWithError(why);
      return;
    }
  }
  const long warm = resident_kib();
  for (auto _ : state) {
    if (const char* why = round()) {
      state.SkipWithError(why);
      return;
    }
  }
  const long end = resident_kib();
  state.counters["rss_warm_kib"] = static_cast<double>(warm);
  state.counters["rss_end_kib"] = static_cast<double>(end);
  // The soak's old bound: within 8 MiB (8192 KiB) of the warm figure, whatever the call count.
  state.counters["rss_growth_kib"] = static_cast<double>(end - warm);
  state.SetItemsProcessed(state.iterations() * 4);
}
BENCHMARK(BM_SteadyStateRss)->Iterations(1000)->UseRealTime();

// A 127.0.0.1 port with nothing listening: bound, then closed.
int closed_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    std::abort();
  close(fd);
  return ntohs(address.sin_port);
}

void BM_ImdsAbsent(benchmark::State& state) {
  const std::string endpoint = "http://127.0.0.1:" + std::to_string(closed_port());
  for (auto _ : state) {
    credentials::ProviderContext context;
    // Never the real IMDS: only the loopback endpoint above, and no profile files.
    context.environment =
        credentials::Environment({{"HOME", "/nonexistent"}, {"PATH", "/usr/bin:/bin"}});
    context.transport = http::make_curl_transport();
    context.sleeper = [](std::chrono::milliseconds) {};
    context.metadata.imds_endpoint = endpoint;
    auto result = credentials::make_imds_provider(context)->resolve();
    if (result || result.error().kind != ErrorKind::NoCredentials) {
      state.SkipWithError("the IMDS provider did not fail with NoCredentials");
      return;
    }
  }
  // Target: under 2 s per iteration (docs/reliability.md, Bounds: IMDS 1 s per request within
  // a 1.9 s budget).
}
BENCHMARK(BM_ImdsAbsent)->Unit(benchmark::kMillisecond)->Iterations(5)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  // Fork before libcurl or the benchmark library start any thread.
  const ServerProcess server = start_server();
  g_port = server.port;
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  kill(server.pid, SIGTERM);
  int status = 0;
  waitpid(server.pid, &status, 0);
  return 0;
}
