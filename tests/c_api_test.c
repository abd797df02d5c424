/* The C API (bedrock_lite.h) from a C11 program, against recorded Bedrock traffic replayed from
 * fixtures/recorded/bedrock-recorded (argv[1]). Each check prints what it compared on failure;
 * the exit status is the number of failed checks (0: all passed). */
#define _POSIX_C_SOURCE 200112L /* setenv */
#include <bedrock_lite.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
static int checks = 0;
static const char* fixtures_root = NULL;

#define CHECK(cond)                                                            \
  do {                                                                         \
    ++checks;                                                                  \
    if (!(cond)) {                                                             \
      ++failures;                                                              \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                          \
  } while (0)

#define CHECK_STR(actual, expected)                                                         \
  do {                                                                                      \
    const char* a_ = (actual);                                                              \
    const char* e_ = (expected);                                                            \
    ++checks;                                                                               \
    if (a_ == NULL || strcmp(a_, e_) != 0) {                                                \
      ++failures;                                                                           \
      fprintf(stderr, "%s:%d: CHECK_STR failed: %s is \"%s\", expected \"%s\"\n", __FILE__, \
              __LINE__, #actual, a_ ? a_ : "(null)", e_);                                   \
    }                                                                                       \
  } while (0)

#define CHECK_CONTAINS(haystack, needle)                                                          \
  do {                                                                                            \
    const char* h_ = (haystack);                                                                  \
    ++checks;                                                                                     \
    if (h_ == NULL || strstr(h_, (needle)) == NULL) {                                             \
      ++failures;                                                                                 \
      fprintf(stderr, "%s:%d: CHECK_CONTAINS failed: \"%s\" not in \"%s\"\n", __FILE__, __LINE__, \
              (needle), h_ ? h_ : "(null)");                                                      \
    }                                                                                             \
  } while (0)

/* A client replaying one recorded interaction folder (or set). */
static bedrock_lite_client* replay_client(const char* folder) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", fixtures_root, folder);
  bedrock_lite_config config;
  bedrock_lite_config_init(&config);
  config.replay_dir = path;
  config.max_attempts = 1;
  bedrock_lite_client* client = NULL;
  bedrock_lite_error* error = NULL;
  bedrock_lite_status status = bedrock_lite_client_create(&config, &client, &error);
  if (status != BEDROCK_LITE_OK) {
    fprintf(stderr, "creating a client for %s: %s\n", path, bedrock_lite_error_display(error));
    bedrock_lite_error_free(error);
    ++failures;
    return NULL;
  }
  CHECK(error == NULL);
  return client;
}

static void test_converse(void) {
  bedrock_lite_client* client = replay_client("test_bedrock_model/00");
  if (client == NULL) return;
  char* response = NULL;
  bedrock_lite_error* error = NULL;
  bedrock_lite_status status = bedrock_lite_converse(
      client, "us.amazon.nova-micro-v1:0",
      "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Hello!\"}]}],"
      "\"system\":[{\"text\":\"You are a chatbot.\"}],\"inferenceConfig\":{}}",
      &response, &error);
  CHECK(status == BEDROCK_LITE_OK);
  CHECK(error == NULL);
  CHECK_CONTAINS(response, "\"text\":\"Hello! How can I assist you today?");
  CHECK_CONTAINS(response, "\"role\":\"assistant\"");
  CHECK_CONTAINS(response, "\"stopReason\":\"end_turn\"");
  CHECK_CONTAINS(response, "\"usage\":{\"inputTokens\":7,\"outputTokens\":30,\"totalTokens\":37}");
  CHECK_CONTAINS(response, "\"metrics\":{\"latencyMs\":268}");
  bedrock_lite_string_free(response);
  bedrock_lite_client_destroy(client);
}

/* What the stream callback saw. */
struct stream_log {
  int events;
  int stop_after; /* 0: never stop */
  char first[64];
  char last[64];
  char text[4096]; /* the text deltas, concatenated */
};

/* Appends the value of the first "text":"..." member of a contentBlockDelta payload, escapes
 * kept as written: the escaped texts of the deltas concatenate to the escaped text of the whole. */
static void append_text(struct stream_log* log, const char* payload) {
  const char* start = strstr(payload, "\"text\":\"");
  if (start == NULL) return;
  start += strlen("\"text\":\"");
  const char* end = start;
  while (*end != '\0' && *end != '"') end += (end[0] == '\\' && end[1] != '\0') ? 2 : 1;
  size_t have = strlen(log->text);
  size_t add = (size_t)(end - start);
  if (have + add + 1 > sizeof log->text) return;
  memcpy(log->text + have, start, add);
  log->text[have + add] = '\0';
}

static int on_event(const char* event_type, const char* payload_json, void* user_data) {
  struct stream_log* log = (struct stream_log*)user_data;
  if (log->events == 0) snprintf(log->first, sizeof log->first, "%s", event_type);
  snprintf(log->last, sizeof log->last, "%s", event_type);
  ++log->events;
  CHECK(payload_json != NULL && payload_json[0] == '{');
  if (strcmp(event_type, "contentBlockDelta") == 0) append_text(log, payload_json);
  return log->stop_after != 0 && log->events >= log->stop_after;
}

static const char* const kStreamRequest =
    "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"What is the capital of "
    "France?\"}]}],"
    "\"system\":[{\"text\":\"You are a helpful "
    "chatbot.\"}],\"inferenceConfig\":{\"temperature\":0.0}}";

static void test_converse_stream(void) {
  bedrock_lite_client* client = replay_client("test_bedrock_model_stream/00");
  if (client == NULL) return;
  struct stream_log log;
  memset(&log, 0, sizeof log);
  char* response = NULL;
  bedrock_lite_error* error = NULL;
  bedrock_lite_status status = bedrock_lite_converse_stream(
      client, "us.amazon.nova-micro-v1:0", kStreamRequest, on_event, &log, &response, &error);
  CHECK(status == BEDROCK_LITE_OK);
  if (error != NULL) fprintf(stderr, "stream: %s\n", bedrock_lite_error_display(error));
  /* response.events.jsonl beside the recording lists 33 events: messageStart ... metadata. */
  CHECK(log.events == 33);
  CHECK_STR(log.first, "messageStart");
  CHECK_STR(log.last, "metadata");
  CHECK(strncmp(log.text, "The capital of France is Paris.", 31) == 0);
  /* The accumulated response holds exactly the concatenated deltas as its one text block. */
  char expected_text[4200];
  snprintf(expected_text, sizeof expected_text, "\"text\":\"%s\"", log.text);
  CHECK_CONTAINS(response, expected_text);
  CHECK_CONTAINS(response, "\"stopReason\":\"end_turn\"");
  CHECK_CONTAINS(response, "\"inputTokens\":13,\"outputTokens\":82,\"totalTokens\":95");
  bedrock_lite_string_free(response);

  /* A callback returning non-zero stops the stream: Cancelled, and no further event. */
  memset(&log, 0, sizeof log);
  log.stop_after = 3;
  response = (char*)"not cleared";
  status = bedrock_lite_converse_stream(client, "us.amazon.nova-micro-v1:0", kStreamRequest,
                                        on_event, &log, &response, &error);
  CHECK(status == BEDROCK_LITE_CANCELLED);
  CHECK(log.events == 3);
  CHECK(response == NULL);
  CHECK(error != NULL);
  CHECK_STR(bedrock_lite_error_kind_name(error), "Cancelled");
  CHECK(bedrock_lite_error_status(error) == BEDROCK_LITE_CANCELLED);
  bedrock_lite_error_free(error);

  /* No callback and no response pointer: the call still runs the whole stream. */
  status = bedrock_lite_converse_stream(client, "us.amazon.nova-micro-v1:0", kStreamRequest, NULL,
                                        NULL, NULL, NULL);
  CHECK(status == BEDROCK_LITE_OK);
  bedrock_lite_client_destroy(client);
}

static void test_count_tokens(void) {
  bedrock_lite_client* client = replay_client("test_bedrock_inference_profile_count_tokens/00");
  if (client == NULL) return;
  const char* model = "anthropic.claude-sonnet-4-20250514-v1:0";
  /* A Converse-shaped body and the CountTokens body it becomes: both are accepted. */
  const char* bodies[] = {
      "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Hello, "
      "world!\"}]}],\"system\":[],"
      "\"inferenceConfig\":{\"maxTokens\":5}}",
      "{\"input\":{\"converse\":{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":"
      "\"Hello, world!\"}]}],\"system\":[]}}}",
  };
  for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; ++i) {
    char* response = NULL;
    long long tokens = -1;
    bedrock_lite_error* error = NULL;
    bedrock_lite_status status =
        bedrock_lite_count_tokens(client, model, bodies[i], &response, &tokens, &error);
    if (error != NULL) fprintf(stderr, "count-tokens: %s\n", bedrock_lite_error_display(error));
    CHECK(status == BEDROCK_LITE_OK);
    CHECK(tokens == 11);
    CHECK_STR(response, "{\"inputTokens\":11}");
    bedrock_lite_string_free(response);
    bedrock_lite_error_free(error);
  }
  bedrock_lite_client_destroy(client);
}

static void test_service_errors(void) {
  /* HTTP 400 without an x-amzn-ErrorType header or a code in the body. */
  bedrock_lite_client* client = replay_client("test_bedrock_error/00");
  if (client == NULL) return;
  char* response = (char*)"not cleared";
  bedrock_lite_error* error = NULL;
  bedrock_lite_status status = bedrock_lite_converse(
      client, "us.does-not-exist-model-v1:0",
      "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hello\"}]}],\"system\":[],"
      "\"inferenceConfig\":{}}",
      &response, &error);
  CHECK(status == BEDROCK_LITE_SERVICE);
  CHECK(response == NULL);
  CHECK(error != NULL);
  if (error != NULL) {
    CHECK(bedrock_lite_error_status(error) == BEDROCK_LITE_SERVICE);
    CHECK_STR(bedrock_lite_error_kind_name(error), "Service");
    CHECK_STR(bedrock_lite_error_message(error), "The provided model identifier is invalid.");
    CHECK(bedrock_lite_error_http_status(error) == 400);
    CHECK(bedrock_lite_error_retryable(error) == 0);
    CHECK_STR(bedrock_lite_error_request_id(error), "");
    /* No type in the reply: the status stands in for it, as the CLI prints it. */
    CHECK_STR(bedrock_lite_error_aws_type(error), "400");
    CHECK_STR(bedrock_lite_error_display(error), "400: The provided model identifier is invalid.");
  }
  bedrock_lite_error_free(error);
  bedrock_lite_client_destroy(client);

  client = replay_client("test_bedrock_count_tokens_error/00");
  if (client == NULL) return;
  long long tokens = -1;
  status = bedrock_lite_count_tokens(
      client, "does-not-exist-model-v1:0",
      "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hello\"}]}],\"system\":[]}", NULL,
      &tokens, &error);
  CHECK(status == BEDROCK_LITE_SERVICE);
  CHECK(tokens == 0);
  CHECK(bedrock_lite_error_http_status(error) == 400);
  bedrock_lite_error_free(error);
  bedrock_lite_client_destroy(client);
}

static void test_usage_errors(void) {
  bedrock_lite_client* client = replay_client("test_bedrock_model/00");
  if (client == NULL) return;
  char* response = NULL;
  bedrock_lite_error* error = NULL;

  /* Not JSON: Usage, naming the argument. */
  bedrock_lite_status status =
      bedrock_lite_converse(client, "us.amazon.nova-micro-v1:0", "{not json", &response, &error);
  CHECK(status == BEDROCK_LITE_USAGE);
  CHECK_CONTAINS(bedrock_lite_error_message(error), "request_json");
  bedrock_lite_error_free(error);

  /* JSON nested 2,000,000 deep (once a stack overflow in count_tokens, issue 11): Usage from
   * the guarded parse's nesting bound, for every entry point that reads request_json. */
  {
    const size_t depth = 2000000;
    char* deep = (char*)malloc(depth + 1);
    long long tokens = -1;
    CHECK(deep != NULL);
    if (deep != NULL) {
      memset(deep, '[', depth);
      deep[depth] = '\0';
      status = bedrock_lite_count_tokens(client, "us.amazon.nova-micro-v1:0", deep, &response,
                                         &tokens, &error);
      CHECK(status == BEDROCK_LITE_USAGE);
      CHECK(response == NULL);
      CHECK(tokens == 0);
      CHECK_CONTAINS(bedrock_lite_error_message(error),
                     "request_json: JSON nested deeper than 128 levels at offset 128");
      bedrock_lite_error_free(error);
      status = bedrock_lite_converse(client, "us.amazon.nova-micro-v1:0", deep, &response, &error);
      CHECK(status == BEDROCK_LITE_USAGE);
      CHECK_CONTAINS(bedrock_lite_error_message(error), "JSON nested deeper than 128 levels");
      bedrock_lite_error_free(error);
      status = bedrock_lite_converse_stream(client, "us.amazon.nova-micro-v1:0", deep, NULL, NULL,
                                            &response, &error);
      CHECK(status == BEDROCK_LITE_USAGE);
      CHECK_CONTAINS(bedrock_lite_error_message(error), "JSON nested deeper than 128 levels");
      bedrock_lite_error_free(error);
      free(deep);
    }
  }

  /* A request the recording does not hold: Usage, naming the closest folder. */
  status = bedrock_lite_converse(
      client, "us.amazon.nova-micro-v1:0",
      "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Something else\"}]}]}", &response,
      &error);
  CHECK(status == BEDROCK_LITE_USAGE);
  CHECK_CONTAINS(bedrock_lite_error_message(error), "no fixture matches");
  bedrock_lite_error_free(error);

  /* NULL arguments: InvalidArgument, with or without an error out-pointer. */
  status = bedrock_lite_converse(NULL, "m", "{}", &response, &error);
  CHECK(status == BEDROCK_LITE_INVALID_ARGUMENT);
  CHECK_STR(bedrock_lite_error_kind_name(error), "InvalidArgument");
  CHECK_STR(bedrock_lite_error_display(error), "InvalidArgument: client is NULL");
  bedrock_lite_error_free(error);
  CHECK(bedrock_lite_converse(client, NULL, "{}", &response, NULL) ==
        BEDROCK_LITE_INVALID_ARGUMENT);
  CHECK(bedrock_lite_converse(client, "m", NULL, &response, NULL) == BEDROCK_LITE_INVALID_ARGUMENT);
  CHECK(bedrock_lite_count_tokens(client, "", "{}", NULL, NULL, NULL) ==
        BEDROCK_LITE_INVALID_ARGUMENT);
  bedrock_lite_client_destroy(client);

  /* Config problems. */
  bedrock_lite_config config;
  bedrock_lite_config_init(&config);
  config.replay_dir = "/nonexistent/fixture/set";
  client = (bedrock_lite_client*)&config; /* must be reset to NULL */
  status = bedrock_lite_client_create(&config, &client, &error);
  CHECK(status == BEDROCK_LITE_CONFIG);
  CHECK(client == NULL);
  CHECK_CONTAINS(bedrock_lite_error_message(error), "/nonexistent/fixture/set");
  bedrock_lite_error_free(error);

  bedrock_lite_config_init(&config);
  config.read_timeout_ms = -5;
  status = bedrock_lite_client_create(&config, &client, &error);
  CHECK(status == BEDROCK_LITE_INVALID_ARGUMENT);
  CHECK_CONTAINS(bedrock_lite_error_message(error), "read_timeout_ms");
  bedrock_lite_error_free(error);

  bedrock_lite_config_init(&config);
  config.struct_size = 0; /* never initialised */
  CHECK(bedrock_lite_client_create(&config, &client, NULL) == BEDROCK_LITE_INVALID_ARGUMENT);
  CHECK(bedrock_lite_client_create(&config, NULL, NULL) == BEDROCK_LITE_INVALID_ARGUMENT);

  /* A NULL config: everything from the environment. The test environment names no region... */
  status = bedrock_lite_client_create(NULL, &client, &error);
  CHECK(status == BEDROCK_LITE_NO_REGION);
  CHECK(client == NULL);
  CHECK_CONTAINS(bedrock_lite_error_message(error), "no region: looked at --region, AWS_REGION");
  bedrock_lite_error_free(error);
  /* ...and once it does (with static keys, no instance metadata), the client is built. */
  setenv("AWS_REGION", "eu-west-3", 1);
  setenv("AWS_ACCESS_KEY_ID", "AKIDNULLCONFIG", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "null-config-secret", 1);
  setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  status = bedrock_lite_client_create(NULL, &client, &error);
  CHECK(status == BEDROCK_LITE_OK);
  CHECK(error == NULL);
  CHECK(client != NULL);
  bedrock_lite_client_destroy(client);
  client = NULL;
  unsetenv("AWS_REGION");
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");

  /* An explicit endpoint that is not a URL: Config. */
  bedrock_lite_config_init(&config);
  config.region = "us-east-1";
  config.endpoint_url = "not a url";
  status = bedrock_lite_client_create(&config, &client, &error);
  CHECK(status == BEDROCK_LITE_CONFIG);
  bedrock_lite_error_free(error);
}

static void test_names(void) {
  CHECK_STR(bedrock_lite_status_name(BEDROCK_LITE_OK), "OK");
  CHECK_STR(bedrock_lite_status_name(BEDROCK_LITE_SERVICE), "Service");
  CHECK_STR(bedrock_lite_status_name(BEDROCK_LITE_NO_CREDENTIALS), "NoCredentials");
  CHECK_STR(bedrock_lite_status_name(BEDROCK_LITE_NO_REGION), "NoRegion");
  CHECK_STR(bedrock_lite_status_name(BEDROCK_LITE_TIMEOUT), "Timeout");
  CHECK_STR(bedrock_lite_status_name(BEDROCK_LITE_NETWORK), "Network");
  CHECK_STR(bedrock_lite_status_name(BEDROCK_LITE_PROTOCOL), "Protocol");
  CHECK_STR(bedrock_lite_status_name(BEDROCK_LITE_USAGE), "Usage");
  CHECK_STR(bedrock_lite_status_name(BEDROCK_LITE_CONFIG), "Config");
  CHECK_STR(bedrock_lite_status_name(BEDROCK_LITE_CANCELLED), "Cancelled");
  CHECK_STR(bedrock_lite_status_name(BEDROCK_LITE_INVALID_ARGUMENT), "InvalidArgument");
  CHECK_STR(bedrock_lite_status_name((bedrock_lite_status)42), "Unknown");
  CHECK_STR(bedrock_lite_version(), BEDROCK_LITE_PROJECT_VERSION);
  /* The NULL-tolerant frees. */
  bedrock_lite_string_free(NULL);
  bedrock_lite_error_free(NULL);
  bedrock_lite_client_destroy(NULL);
}

/* What an async completion received. */
struct async_end {
  int calls;
  bedrock_lite_status status;
  char response[8192];
  char error_kind[64];
};

static void on_done(bedrock_lite_status status, const char* response_json,
                    const bedrock_lite_error* error, void* user_data) {
  struct async_end* end = (struct async_end*)user_data;
  ++end->calls;
  end->status = status;
  CHECK((status == BEDROCK_LITE_OK) == (response_json != NULL));
  CHECK((status == BEDROCK_LITE_OK) == (error == NULL));
  if (response_json != NULL) snprintf(end->response, sizeof end->response, "%s", response_json);
  if (error != NULL)
    snprintf(end->error_kind, sizeof end->error_kind, "%s", bedrock_lite_error_kind_name(error));
}

/* The event-driven client: a stream and a cancelled stream started together, polled to the end. */
static void test_async(void) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", fixtures_root, "test_bedrock_model_stream/00");
  bedrock_lite_config config;
  bedrock_lite_config_init(&config);
  config.replay_dir = path;
  config.max_attempts = 1;
  bedrock_lite_async* async = NULL;
  bedrock_lite_error* error = NULL;
  bedrock_lite_status status = bedrock_lite_async_create(&config, &async, &error);
  CHECK(status == BEDROCK_LITE_OK);
  if (async == NULL) {
    bedrock_lite_error_free(error);
    return;
  }
  struct stream_log log;
  memset(&log, 0, sizeof log);
  struct async_end ended, cancelled;
  memset(&ended, 0, sizeof ended);
  memset(&cancelled, 0, sizeof cancelled);
  bedrock_lite_call_id first = 0, second = 0;
  status = bedrock_lite_async_converse_stream(async, "us.amazon.nova-micro-v1:0", kStreamRequest,
                                              on_event, &log, on_done, &ended, &first, &error);
  CHECK(status == BEDROCK_LITE_OK);
  status = bedrock_lite_async_converse_stream(async, "us.amazon.nova-micro-v1:0", kStreamRequest,
                                              NULL, NULL, on_done, &cancelled, &second, &error);
  CHECK(status == BEDROCK_LITE_OK);
  CHECK(first != 0 && second != 0 && first != second);
  CHECK(ended.calls == 0); /* nothing runs before the first poll */
  bedrock_lite_async_cancel(async, second);
  CHECK(cancelled.calls == 1);
  CHECK(cancelled.status == BEDROCK_LITE_CANCELLED);
  CHECK_STR(cancelled.error_kind, "Cancelled");
  int turns = 0;
  while (bedrock_lite_async_poll(async, 100) > 0 && turns < 1000) ++turns;
  CHECK(ended.calls == 1);
  CHECK(ended.status == BEDROCK_LITE_OK);
  CHECK(log.events == 33);
  CHECK_CONTAINS(ended.response, "\"stopReason\":\"end_turn\"");
  CHECK_CONTAINS(ended.response, "\"inputTokens\":13,\"outputTokens\":82,\"totalTokens\":95");
  bedrock_lite_async_cancel(async, first); /* ended already: ignored */
  CHECK(ended.calls == 1);

  /* A bad body is refused at the start; the completion never runs. */
  struct async_end refused;
  memset(&refused, 0, sizeof refused);
  status = bedrock_lite_async_converse(async, "m", "{not json", on_done, &refused, NULL, &error);
  CHECK(status == BEDROCK_LITE_USAGE);
  CHECK(error != NULL);
  bedrock_lite_error_free(error);
  CHECK(bedrock_lite_async_poll(async, 0) == 0);
  CHECK(refused.calls == 0);
  bedrock_lite_async_destroy(async);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s FIXTURES/recorded/bedrock-recorded\n", argv[0]);
    return 2;
  }
  fixtures_root = argv[1];
  test_converse();
  test_converse_stream();
  test_count_tokens();
  test_service_errors();
  test_usage_errors();
  test_names();
  test_async();
  printf("c_api_test: %d checks, %d failed\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
