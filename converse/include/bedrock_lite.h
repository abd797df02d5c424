/* bedrock_lite.h: the C API of bedrock-lite, for C programs and any language's FFI.
 *
 * JSON in, JSON out: requests and responses are the Bedrock Runtime HTTP API's own JSON bodies
 * (the same text boto3's `converse(**request)` would send), so an FFI binding needs no struct
 * layouts beyond the small config and error types below.
 *
 *   bedrock_lite_config config;
 *   bedrock_lite_config_init(&config);
 *   config.region = "us-east-1";
 *   bedrock_lite_client* client = NULL;
 *   bedrock_lite_error* error = NULL;
 *   if (bedrock_lite_client_create(&config, &client, &error) != BEDROCK_LITE_OK) { ... }
 *   char* response = NULL;
 *   bedrock_lite_status status = bedrock_lite_converse(
 *       client, "us.amazon.nova-micro-v1:0",
 *       "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Hello\"}]}]}",
 *       &response, &error);
 *   if (status == BEDROCK_LITE_OK) { puts(response); bedrock_lite_string_free(response); }
 *   else { fprintf(stderr, "error: %s\n", bedrock_lite_error_message(error));
 *          bedrock_lite_error_free(error); }
 *   bedrock_lite_client_destroy(client);
 *
 * Rules every function follows:
 *  - No C++ exception crosses this boundary (every function is noexcept; running out of memory
 *    terminates the process, as everywhere in the library); every failure is a status code plus,
 *    when the caller passed a non-NULL `error` out-pointer, an error object the caller frees
 *    with bedrock_lite_error_free(). Output pointers are set to NULL on failure.
 *  - Strings going in are NUL-terminated UTF-8 and are copied; strings coming out are
 *    NUL-terminated, owned by the caller and freed with bedrock_lite_string_free().
 *  - Thread safety: a bedrock_lite_client is thread-safe (any number of threads may call it at
 *    once); an error object is an immutable value; a config is read only during
 *    bedrock_lite_client_create().
 */
#ifndef BEDROCK_LITE_H
#define BEDROCK_LITE_H

#include <bedrock_lite/export.h>
#include <stddef.h>

/* Every function is noexcept for C++ callers: nothing unwinds out of this API. */
#ifdef __cplusplus
#define BEDROCK_LITE_NOEXCEPT noexcept
extern "C" {
#else
#define BEDROCK_LITE_NOEXCEPT
#endif

/* Status codes. BEDROCK_LITE_OK, then one code per bedrock_lite::ErrorKind in the same order
 * (value = ErrorKind + 1), then BEDROCK_LITE_INVALID_ARGUMENT for a NULL or malformed argument
 * to this API itself (not a bad request body, which is BEDROCK_LITE_USAGE). */
typedef enum bedrock_lite_status {
  BEDROCK_LITE_OK = 0,
  BEDROCK_LITE_SERVICE = 1,           /* the service answered with an error (HTTP or stream) */
  BEDROCK_LITE_NO_CREDENTIALS = 2,    /* the credentials chain found nothing usable */
  BEDROCK_LITE_NO_REGION = 3,         /* no region configured anywhere */
  BEDROCK_LITE_TIMEOUT = 4,           /* connect, stall (read) or total deadline passed */
  BEDROCK_LITE_NETWORK = 5,           /* connection refused/reset, DNS, TLS */
  BEDROCK_LITE_PROTOCOL = 6,          /* malformed response */
  BEDROCK_LITE_USAGE = 7,             /* the request is invalid (e.g. request JSON) */
  BEDROCK_LITE_CONFIG = 8,            /* configuration files or environment are invalid */
  BEDROCK_LITE_CANCELLED = 9,         /* the stream callback returned non-zero */
  BEDROCK_LITE_INVALID_ARGUMENT = 100 /* NULL where a value is required, bad config value */
} bedrock_lite_status;

/* The client configuration. Initialise with bedrock_lite_config_init(), then set what you need;
 * NULL strings and zero numbers mean "not set": the value then comes from the environment and
 * the shared AWS files exactly as for the C++ resolve_config() (docs/configuration.md).
 * A plain value owned by the caller; read only during bedrock_lite_client_create(), which copies
 * what it needs. */
typedef struct bedrock_lite_config {
  size_t struct_size;       /* sizeof(bedrock_lite_config); set by bedrock_lite_config_init() */
  const char* region;       /* e.g. "us-east-1"; wins over AWS_REGION and the profile */
  const char* endpoint_url; /* e.g. "http://127.0.0.1:8080"; wins over AWS_ENDPOINT_URL* */
  const char* profile;      /* shared-config profile; wins over AWS_PROFILE */
  int max_attempts;         /* attempts in all, first included; 0 = AWS_MAX_ATTEMPTS, else 3 */
  long connect_timeout_ms;  /* per attempt; 0 = default (10 s) */
  long read_timeout_ms;     /* stall limit per attempt; 0 = default (5 min) */
  long total_timeout_ms;    /* whole-attempt cap; 0 = none */
  /* A fixture set folder (format: docs/fixtures.md): answer every call from these recorded
   * interactions instead of the network. No credentials are needed (a fixed placeholder
   * identity signs) and the region defaults to us-east-1 when none is configured
   * (ConfigOverrides::replay_dir in bedrock_lite/converse.h). */
  const char* replay_dir;
  /* What to do with replay_dir, as a VCR-style record mode (docs/fixtures.md, "Record modes"):
   * NULL or "none" replays only; "once" records when the folder holds no interaction, else
   * replays; "new" replays what matches and records (appends) the rest; "all" records every call
   * into a fresh folder that replaces replay_dir at bedrock_lite_client_finish_recording() or
   * bedrock_lite_client_destroy(). A mode that records sends those calls to the service with the
   * credentials and region resolved as without replay_dir. */
  const char* record_mode;
} bedrock_lite_config;

/* Opaque types.
 * bedrock_lite_client: thread-safe; any number of threads may call it at once (they share its
 *   connection pool, signing-key cache and retry quota). Destroy it once no call is in flight.
 * bedrock_lite_error: immutable once returned; safe to read from any thread. */
typedef struct bedrock_lite_client bedrock_lite_client;
typedef struct bedrock_lite_error bedrock_lite_error;

/* Sets every member to "not set" and struct_size to sizeof(*config). */
BEDROCK_LITE_API void bedrock_lite_config_init(bedrock_lite_config* config) BEDROCK_LITE_NOEXCEPT;

/* Resolves the configuration (environment, shared files, then `config`) and builds the client.
 * `config` may be NULL: everything then comes from the environment and the shared AWS files, as
 * for an initialised config with nothing set (C++: Client::from_environment()). No network I/O.
 * `*out` receives the client, to be freed with bedrock_lite_client_destroy(). */
BEDROCK_LITE_API bedrock_lite_status
bedrock_lite_client_create(const bedrock_lite_config* config, bedrock_lite_client** out,
                           bedrock_lite_error** error) BEDROCK_LITE_NOEXCEPT;

/* The strict check of a replaying client: `*unused_json` receives a JSON array of the interaction
 * folders replay_dir held when the client was created that no call has replayed yet ("[]" when
 * the client replays nothing). The caller decides whether a non-empty list fails its test. */
BEDROCK_LITE_API bedrock_lite_status
bedrock_lite_client_unused_fixtures(const bedrock_lite_client* client, char** unused_json,
                                    bedrock_lite_error** error) BEDROCK_LITE_NOEXCEPT;

/* The end of a recording run. With record_mode "all" the fresh recording replaces replay_dir
 * now (BEDROCK_LITE_CONFIG naming the folders when it cannot); later calls on the client fail
 * with BEDROCK_LITE_USAGE. Other modes and plain clients: nothing to do.
 * bedrock_lite_client_destroy() does the same when it was not called, but cannot report a failure.
 * No call may be in flight. */
BEDROCK_LITE_API bedrock_lite_status bedrock_lite_client_finish_recording(
    bedrock_lite_client* client, bedrock_lite_error** error) BEDROCK_LITE_NOEXCEPT;

/* Frees the client. NULL is allowed. No call on it may be in flight. */
BEDROCK_LITE_API void bedrock_lite_client_destroy(bedrock_lite_client* client)
    BEDROCK_LITE_NOEXCEPT;

/* Converse: `request_json` is the Converse request body (messages, system, inferenceConfig, ...;
 * members the library does not model are sent unchanged). `*response_json` receives the response
 * body as JSON. */
BEDROCK_LITE_API bedrock_lite_status bedrock_lite_converse(
    const bedrock_lite_client* client, const char* model_id, const char* request_json,
    char** response_json, bedrock_lite_error** error) BEDROCK_LITE_NOEXCEPT;

/* Called once per ConverseStream event, in stream order, on the calling thread: `event_type` is
 * the event name ("messageStart", "contentBlockDelta", ..., or one this version does not know),
 * `payload_json` its JSON payload exactly as received. Both are valid only during the call.
 * Return 0 to continue, non-zero to stop: the transfer is cancelled and the call returns
 * BEDROCK_LITE_CANCELLED. */
typedef int (*bedrock_lite_stream_callback)(const char* event_type, const char* payload_json,
                                            void* user_data);

/* ConverseStream: same request body as bedrock_lite_converse(). Each event goes to `callback`
 * (may be NULL) as it arrives; `*response_json` receives the response rebuilt from the events,
 * in the shape Converse returns. A stream exception returns BEDROCK_LITE_SERVICE after every
 * earlier event reached the callback. `response_json` may be NULL when the caller needs only
 * the events. */
BEDROCK_LITE_API bedrock_lite_status bedrock_lite_converse_stream(
    const bedrock_lite_client* client, const char* model_id, const char* request_json,
    bedrock_lite_stream_callback callback, void* user_data, char** response_json,
    bedrock_lite_error** error) BEDROCK_LITE_NOEXCEPT;

/* CountTokens: `request_json` is either a Converse request body (its messages, system,
 * toolConfig and additionalModelRequestFields are counted; other members are left out) or a
 * complete CountTokens body ({"input":{"converse":{...}}} or {"input":{"invokeModel":{...}}}).
 * `*response_json` receives {"inputTokens":N}; `*input_tokens` (may be NULL) receives N. */
BEDROCK_LITE_API bedrock_lite_status
bedrock_lite_count_tokens(const bedrock_lite_client* client, const char* model_id,
                          const char* request_json, char** response_json, long long* input_tokens,
                          bedrock_lite_error** error) BEDROCK_LITE_NOEXCEPT;

/* Many calls on one thread (docs/async.md). A bedrock_lite_async is an event-driven client with
 * its own engine: start calls with the bedrock_lite_async_* functions, then call
 * bedrock_lite_async_poll() until they are done; stream callbacks and completions run inside
 * it. Same configuration, signing, retries (their backoff a timer, never a sleep), timeouts and
 * errors as bedrock_lite_client; credentials are fetched on a worker thread of its own.
 * Single-thread: create, start, poll, cancel and destroy it on one thread at a time. */
typedef struct bedrock_lite_async bedrock_lite_async;
/* Names one call of a bedrock_lite_async (0 is never used). */
typedef unsigned long long bedrock_lite_call_id;

/* Called exactly once when a call ends, inside bedrock_lite_async_poll() (or inside
 * bedrock_lite_async_cancel() / bedrock_lite_async_destroy() for the call they end), with what the
 * blocking call would have returned: the status; the response JSON on success (else NULL); the
 * error on failure (else NULL). Both are valid only during the call: copy what you keep. */
typedef void (*bedrock_lite_completion)(bedrock_lite_status status, const char* response_json,
                                        const bedrock_lite_error* error, void* user_data);

/* Like bedrock_lite_client_create(). Free with bedrock_lite_async_destroy(). */
BEDROCK_LITE_API bedrock_lite_status
bedrock_lite_async_create(const bedrock_lite_config* config, bedrock_lite_async** out,
                          bedrock_lite_error** error) BEDROCK_LITE_NOEXCEPT;
/* Ends the calls in flight (their completions get BEDROCK_LITE_CANCELLED) and frees `async`.
 * NULL is allowed. */
BEDROCK_LITE_API void bedrock_lite_async_destroy(bedrock_lite_async* async) BEDROCK_LITE_NOEXCEPT;

/* Start a call and return at once; `*call` (may be NULL) receives its id. The arguments are those
 * of the blocking calls; a bad argument or request body is reported here (and `done` is never
 * called), everything else through `done`. */
BEDROCK_LITE_API bedrock_lite_status bedrock_lite_async_converse(
    bedrock_lite_async* async, const char* model_id, const char* request_json,
    bedrock_lite_completion done, void* user_data, bedrock_lite_call_id* call,
    bedrock_lite_error** error) BEDROCK_LITE_NOEXCEPT;
/* `callback` (may be NULL) gets each event with `callback_data`, inside bedrock_lite_async_poll();
 * returning non-zero ends the call with BEDROCK_LITE_CANCELLED. */
BEDROCK_LITE_API bedrock_lite_status bedrock_lite_async_converse_stream(
    bedrock_lite_async* async, const char* model_id, const char* request_json,
    bedrock_lite_stream_callback callback, void* callback_data, bedrock_lite_completion done,
    void* user_data, bedrock_lite_call_id* call, bedrock_lite_error** error) BEDROCK_LITE_NOEXCEPT;
BEDROCK_LITE_API bedrock_lite_status bedrock_lite_async_count_tokens(
    bedrock_lite_async* async, const char* model_id, const char* request_json,
    bedrock_lite_completion done, void* user_data, bedrock_lite_call_id* call,
    bedrock_lite_error** error) BEDROCK_LITE_NOEXCEPT;

/* Runs what is ready (events, completions, retries), waiting at most `timeout_ms` for something
 * to become ready. Returns the number of calls still in flight: poll until it returns 0. */
BEDROCK_LITE_API size_t bedrock_lite_async_poll(bedrock_lite_async* async,
                                                long timeout_ms) BEDROCK_LITE_NOEXCEPT;
/* Ends a call: its completion runs with BEDROCK_LITE_CANCELLED before this returns. An id that
 * already ended is ignored. */
BEDROCK_LITE_API void bedrock_lite_async_cancel(bedrock_lite_async* async,
                                                bedrock_lite_call_id call) BEDROCK_LITE_NOEXCEPT;

/* Frees a string this API returned. NULL is allowed. */
BEDROCK_LITE_API void bedrock_lite_string_free(char* text) BEDROCK_LITE_NOEXCEPT;

/* Error accessors. Each takes a non-NULL error and returns a string owned by the error (valid
 * until bedrock_lite_error_free()); never NULL ("" when absent). */
BEDROCK_LITE_API bedrock_lite_status bedrock_lite_error_status(const bedrock_lite_error* error)
    BEDROCK_LITE_NOEXCEPT;
/* "Service", "NoCredentials", ... ("InvalidArgument" for BEDROCK_LITE_INVALID_ARGUMENT). */
BEDROCK_LITE_API const char* bedrock_lite_error_kind_name(const bedrock_lite_error* error)
    BEDROCK_LITE_NOEXCEPT;
/* The AWS error type exactly as the service spelled it ("ThrottlingException",
 * "modelStreamErrorException"), or "". */
BEDROCK_LITE_API const char* bedrock_lite_error_aws_type(const bedrock_lite_error* error)
    BEDROCK_LITE_NOEXCEPT;
/* One line saying what was wrong and where; never a secret. */
BEDROCK_LITE_API const char* bedrock_lite_error_message(const bedrock_lite_error* error)
    BEDROCK_LITE_NOEXCEPT;
/* "<aws type or kind name>: <message>": what the CLI prints after "error: ". */
BEDROCK_LITE_API const char* bedrock_lite_error_display(const bedrock_lite_error* error)
    BEDROCK_LITE_NOEXCEPT;
BEDROCK_LITE_API const char* bedrock_lite_error_request_id(const bedrock_lite_error* error)
    BEDROCK_LITE_NOEXCEPT;
/* The HTTP status, 0 when no HTTP response was involved. */
BEDROCK_LITE_API int bedrock_lite_error_http_status(const bedrock_lite_error* error)
    BEDROCK_LITE_NOEXCEPT;
/* 1 when retrying the same call may succeed (the client already retried it), else 0. */
BEDROCK_LITE_API int bedrock_lite_error_retryable(const bedrock_lite_error* error)
    BEDROCK_LITE_NOEXCEPT;
/* Frees an error. NULL is allowed. */
BEDROCK_LITE_API void bedrock_lite_error_free(bedrock_lite_error* error) BEDROCK_LITE_NOEXCEPT;

/* The name of a status code ("OK", "Service", ..., "InvalidArgument"); never NULL. */
BEDROCK_LITE_API const char* bedrock_lite_status_name(bedrock_lite_status status)
    BEDROCK_LITE_NOEXCEPT;

/* The library version, "MAJOR.MINOR.PATCH" (e.g. "0.1.0"), as set once in CMakeLists.txt. */
BEDROCK_LITE_API const char* bedrock_lite_version(void) BEDROCK_LITE_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif /* BEDROCK_LITE_H */
