// Many streams on one thread (issue 15), against a loopback server in a child process (so process
// CPU time is the client's alone) that answers every ConverseStream with 100 events, 10 ms apart
// (each stream about 1 s):
//   BM_ConcurrentStreams/N  N ConverseStream calls at once on one AsyncClient and one Engine,
//                           every event decoded, parsed, handed to a handler and accumulated.
//   BM_CurlMultiFloor/N     the floor: a bare curl_multi loop with the same N requests (signed
//                           once), counting bytes only.
//   BM_ThreadPerCall/N      the blocking Client with one thread per call.
// Counters: cpu_us_per_event (process CPU, user + system, over events received), peak_rss_kib
// (the process's peak so far: runs go in ascending N), rss_kib_per_stream (resident growth at
// the widest point of the run over N), completed (calls that ended well), wall_beyond_1s_ms.
// Targets: at N = 1,000, cpu_us_per_event <= 2x the floor's and rss_kib_per_stream <= 1.5x.
// N = 1,000 needs about 1,000 descriptors in each process: the soft RLIMIT_NOFILE is raised to the
// hard limit first.
#include <bedrock_lite/converse.h>
#include <bedrock_lite/eventstream.h>

#include <benchmark/benchmark.h>
#include <curl/curl.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

using namespace bedrock_lite;
using Steady = std::chrono::steady_clock;

namespace {

constexpr int kEvents = 100;
constexpr auto kGap = std::chrono::milliseconds(10);
const char* kRequestBody = R"({"messages":[{"role":"user","content":[{"text":"Hello"}]}]})";
const char* kModelPath = "/model/us.amazon.nova-micro-v1%3A0/converse-stream";

std::string event(const char* type, const std::string& payload) {
  std::string out;
  const std::vector<eventstream::Header> headers = {
      {":event-type", eventstream::HeaderValue::string(type)},
      {":content-type", eventstream::HeaderValue::string("application/json")},
      {":message-type", eventstream::HeaderValue::string("event")}};
  if (!eventstream::encode_message(headers, payload, out)) std::abort();
  return out;
}

// messageStart, 96 text deltas, contentBlockStop, messageStop, metadata.
std::vector<std::string> stream_events() {
  std::vector<std::string> events;
  events.push_back(event("messageStart", R"({"p":"abcdefghijklmnopqr","role":"assistant"})"));
  for (int i = 0; i < kEvents - 4; ++i) {
    events.push_back(event("contentBlockDelta",
                           R"({"contentBlockIndex":0,"delta":{"text":" token)" + std::to_string(i) +
                               R"("},"p":"abcdefghijklmnopqrstuvwxyzABCDEF"})"));
  }
  events.push_back(event("contentBlockStop", R"({"contentBlockIndex":0,"p":"abcdefghij"})"));
  events.push_back(event("messageStop", R"({"p":"abcdefgh","stopReason":"end_turn"})"));
  events.push_back(event("metadata",
                         R"({"metrics":{"latencyMs":1000},"p":"abcdef",)"
                         R"("usage":{"inputTokens":7,"outputTokens":96,"totalTokens":103}})"));
  return events;
}

// One connection of the paced server: reads a request, then writes one event every kGap.
struct Connection {
  std::string in;
  std::string out;      // written when the socket takes it
  int next_event = -1;  // -1: reading a request
  Steady::time_point due;
};

bool request_complete(const std::string& in, std::size_t& length) {
  const auto end = in.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  std::size_t body = 0;
  const auto at = in.find("Content-Length: ");
  if (at != std::string::npos && at < end) body = std::strtoul(in.c_str() + at + 16, nullptr, 10);
  length = end + 4 + body;
  return in.size() >= length;
}

void flush(int fd, Connection& c) {
  while (!c.out.empty()) {
    const ssize_t n = write(fd, c.out.data(), c.out.size());
    if (n <= 0) return;
    c.out.erase(0, static_cast<std::size_t>(n));
  }
}

// The paced server's loop: epoll, every connection's next event on its own due time.
[[noreturn]] void serve(int listener) {
  const auto events = stream_events();
  std::size_t total = 0;
  for (const auto& e : events) total += e.size();
  const std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.amazon.eventstream\r\n"
      "x-amzn-RequestId: bench\r\nContent-Length: " +
      std::to_string(total) + "\r\n\r\n";
  const int ep = epoll_create1(0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listener;
  epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
  std::unordered_map<int, Connection> connections;
  std::vector<epoll_event> ready(1024);
  for (;;) {
    const int n = epoll_wait(ep, ready.data(), static_cast<int>(ready.size()), 1);
    for (int i = 0; i < n; ++i) {
      const int fd = ready[static_cast<std::size_t>(i)].data.fd;
      if (fd == listener) {
        for (;;) {
          const int client = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK);
          if (client < 0) break;
          const int one = 1;
          setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          epoll_event cev{};
          cev.events = EPOLLIN;
          cev.data.fd = client;
          epoll_ctl(ep, EPOLL_CTL_ADD, client, &cev);
          connections[client] = Connection{};
        }
        continue;
      }
      Connection& c = connections[fd];
      char buffer[4096];
      const ssize_t got = read(fd, buffer, sizeof buffer);
      if (got <= 0) {
        close(fd);
        connections.erase(fd);
        continue;
      }
      c.in.append(buffer, static_cast<std::size_t>(got));
      std::size_t length = 0;
      if (c.next_event < 0 && request_complete(c.in, length)) {
        c.in.erase(0, length);
        c.out += head + events[0];
        c.next_event = 1;
        c.due = Steady::now() + kGap;
        flush(fd, c);
      }
    }
    const auto now = Steady::now();
    for (auto& [fd, c] : connections) {
      if (!c.out.empty()) flush(fd, c);
      if (c.next_event < 0 || now < c.due) continue;
      c.out += events[static_cast<std::size_t>(c.next_event)];
      ++c.next_event;
      c.due += kGap;
      if (c.next_event == kEvents) c.next_event = -1;
      flush(fd, c);
    }
  }
}

struct ServerProcess {
  pid_t pid = -1;
  int port = 0;
};

ServerProcess g_server;

ServerProcess start_server() {
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  const int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) std::abort();
  if (listen(listener, 4096) != 0) std::abort();
  socklen_t size = sizeof address;
  getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size);
  ServerProcess process;
  process.port = ntohs(address.sin_port);
  process.pid = fork();
  if (process.pid < 0) std::abort();
  if (process.pid == 0) serve(listener);
  close(listener);
  return process;
}

long rss_now_kib() {
  FILE* statm = std::fopen("/proc/self/statm", "r");
  if (statm == nullptr) return -1;
  long size = 0, resident = 0;
  const int read = std::fscanf(statm, "%ld %ld", &size, &resident);
  std::fclose(statm);
  return read == 2 ? resident * (sysconf(_SC_PAGESIZE) / 1024) : -1;
}

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::string endpoint() {
  return "http://127.0.0.1:" + std::to_string(g_server.port);
}

converse::Config client_config() {
  converse::Config config;
  config.region = "us-east-1";
  config.endpoint = endpoint();
  credentials::Credentials keys;
  keys.access_key_id = "AKIDBENCH";
  keys.secret_access_key = Secret("bench-secret");
  config.credentials = credentials::make_static_provider(keys);
  config.retry.max_attempts = 1;
  http::CurlOptions options;
  options.max_idle_handles = 1024;
  config.transport = http::make_curl_transport(options);
  return config;
}

converse::ConverseRequest stream_request() {
  auto request = converse::parse_converse_request(kRequestBody);
  if (!request) std::abort();
  request->model_id = "us.amazon.nova-micro-v1:0";
  return std::move(request).value();
}

// What one run measured.
struct Run {
  double cpu = 0;
  double wall = 0;
  long widest_rss = 0;  // resident at the widest point, over the baseline
  long events = 0;
  long completed = 0;
};

void report(benchmark::State& state, const Run& run, long streams) {
  state.SetIterationTime(run.wall);
  state.counters["cpu_us_per_event"] =
      run.events > 0 ? run.cpu * 1e6 / static_cast<double>(run.events) : 0;
  state.counters["peak_rss_kib"] = static_cast<double>(peak_rss_kib());
  state.counters["rss_kib_per_stream"] =
      static_cast<double>(run.widest_rss) / static_cast<double>(streams);
  state.counters["completed"] = static_cast<double>(run.completed);
  state.counters["wall_beyond_1s_ms"] = (run.wall - 1.0) * 1e3;
}

void BM_ConcurrentStreams(benchmark::State& state) {
  const auto streams = state.range(0);
  for (auto _ : state) {
    auto engine = http::Engine::create();
    if (!engine) std::abort();
    auto client = converse::AsyncClient::create(client_config(), **engine);
    if (!client) std::abort();
    const auto request = stream_request();
    Run run;
    const long baseline = rss_now_kib();
    const double cpu = cpu_seconds();
    const auto started = Steady::now();
    for (long i = 0; i < streams; ++i) {
      client->converse_stream(
          request,
          [&run](const converse::StreamEvent&) {
            ++run.events;
            return converse::StreamControl::Continue;
          },
          [&run](Result<converse::ConverseResponse> result) {
            if (result.ok() && result->usage && result->usage->output_tokens == kEvents - 4)
              ++run.completed;
          });
    }
    // Samples resident memory every 100 ms while the streams run.
    std::function<void()> sample = [&] {
      run.widest_rss = std::max(run.widest_rss, rss_now_kib() - baseline);
      if (client->in_flight() > 0) (*engine)->add_timer(std::chrono::milliseconds(100), sample);
    };
    (*engine)->add_timer(std::chrono::milliseconds(100), sample);
    (*engine)->run();
    run.wall = std::chrono::duration<double>(Steady::now() - started).count();
    run.cpu = cpu_seconds() - cpu;
    report(state, run, streams);
  }
}

size_t count_bytes(char*, size_t size, size_t count, void* user) {
  *static_cast<long*>(user) += static_cast<long>(size * count);
  return size * count;
}

void BM_CurlMultiFloor(benchmark::State& state) {
  const auto streams = state.range(0);
  // Signed once by the client's own signer would add nothing here: the server checks nothing, so
  // the floor sends the same headers unsigned.
  const std::string url = endpoint() + kModelPath;
  for (auto _ : state) {
    Run run;
    const long baseline = rss_now_kib();
    const double cpu = cpu_seconds();
    const auto started = Steady::now();
    CURLM* multi = curl_multi_init();
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    std::vector<CURL*> handles;
    std::vector<long> bytes(static_cast<std::size_t>(streams), 0);
    for (long i = 0; i < streams; ++i) {
      CURL* easy = curl_easy_init();
      curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
      curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, kRequestBody);
      curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &count_bytes);
      curl_easy_setopt(easy, CURLOPT_WRITEDATA, &bytes[static_cast<std::size_t>(i)]);
      curl_multi_add_handle(multi, easy);
      handles.push_back(easy);
    }
    int running = 1;
    auto next_sample = Steady::now();
    while (running > 0) {
      curl_multi_perform(multi, &running);
      if (Steady::now() >= next_sample) {
        run.widest_rss = std::max(run.widest_rss, rss_now_kib() - baseline);
        next_sample += std::chrono::milliseconds(100);
      }
      if (running > 0) curl_multi_poll(multi, nullptr, 0, 100, nullptr);
    }
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
      if (message->msg == CURLMSG_DONE && message->data.result == CURLE_OK) ++run.completed;
    }
    run.events = run.completed * kEvents;
    for (CURL* easy : handles) {
      curl_multi_remove_handle(multi, easy);
      curl_easy_cleanup(easy);
    }
    curl_slist_free_all(headers);
    curl_multi_cleanup(multi);
    run.wall = std::chrono::duration<double>(Steady::now() - started).count();
    run.cpu = cpu_seconds() - cpu;
    report(state, run, streams);
  }
}

void BM_ThreadPerCall(benchmark::State& state) {
  const auto streams = state.range(0);
  for (auto _ : state) {
    auto client = converse::Client::create(client_config());
    if (!client) std::abort();
    const auto request = stream_request();
    std::atomic<long> events{0}, completed{0};
    Run run;
    const long baseline = rss_now_kib();
    const double cpu = cpu_seconds();
    const auto started = Steady::now();
    std::vector<std::thread> threads;
    std::atomic<bool> done{false};
    std::thread sampler([&] {
      while (!done) {
        run.widest_rss = std::max(run.widest_rss, rss_now_kib() - baseline);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
    for (long i = 0; i < streams; ++i) {
      threads.emplace_back([&] {
        auto response = client->converse_stream(request, [&](const converse::StreamEvent&) {
          ++events;
          return converse::StreamControl::Continue;
        });
        if (response.ok()) ++completed;
      });
    }
    for (auto& thread : threads) thread.join();
    done = true;
    sampler.join();
    run.wall = std::chrono::duration<double>(Steady::now() - started).count();
    run.cpu = cpu_seconds() - cpu;
    run.events = events;
    run.completed = completed;
    report(state, run, streams);
  }
}

BENCHMARK(BM_CurlMultiFloor)
    ->Arg(100)
    ->Arg(1000)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ConcurrentStreams)
    ->Arg(100)
    ->Arg(1000)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ThreadPerCall)
    ->Arg(100)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  std::signal(SIGPIPE, SIG_IGN);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  g_server = start_server();  // before any thread exists
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  kill(g_server.pid, SIGTERM);
  waitpid(g_server.pid, nullptr, 0);
  return 0;
}
