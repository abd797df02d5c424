/* The C API (bedrock_lite.h): a ConverseStream call from C, each event printed as one JSON line
 * {"<event>": <payload>} as it arrives, then the rebuilt response.
 *
 *   c-api-example [--replay FIXTURE_DIR]
 *
 * With --replay the stream comes from a recorded exchange (no AWS account, no network); without
 * it, region and credentials come from the standard AWS chain. */
#include <bedrock_lite.h>

#include <stdio.h>
#include <string.h>

static int print_event(const char* event_type, const char* payload_json, void* user_data) {
  int* events = (int*)user_data;
  ++*events;
  printf("{\"%s\":%s}\n", event_type, payload_json);
  return 0; /* non-zero would stop the stream */
}

int main(int argc, char** argv) {
  bedrock_lite_config config;
  bedrock_lite_config_init(&config);
  if (argc == 3 && strcmp(argv[1], "--replay") == 0) {
    config.replay_dir = argv[2];
  } else if (argc != 1) {
    fprintf(stderr, "usage: %s [--replay FIXTURE_DIR]\n", argv[0]);
    return 2;
  }

  bedrock_lite_client* client = NULL;
  bedrock_lite_error* error = NULL;
  if (bedrock_lite_client_create(&config, &client, &error) != BEDROCK_LITE_OK) {
    fprintf(stderr, "error: %s\n", bedrock_lite_error_display(error));
    bedrock_lite_error_free(error);
    return 1;
  }

  const char* request =
      "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"What is the capital of "
      "France?\"}]}],"
      "\"system\":[{\"text\":\"You are a helpful chatbot.\"}],"
      "\"inferenceConfig\":{\"temperature\":0.0}}";
  int events = 0;
  char* response = NULL;
  bedrock_lite_status status = bedrock_lite_converse_stream(
      client, "us.amazon.nova-micro-v1:0", request, print_event, &events, &response, &error);
  int exit_code = 0;
  if (status == BEDROCK_LITE_OK) {
    fprintf(stderr, "%d events; response: %s\n", events, response);
    bedrock_lite_string_free(response);
  } else {
    /* e.g. "error: ThrottlingException: Too many requests (HTTP 429, retryable)" */
    fprintf(stderr, "error: %s (HTTP %d, %s)\n", bedrock_lite_error_display(error),
            bedrock_lite_error_http_status(error),
            bedrock_lite_error_retryable(error) ? "retryable" : "not retryable");
    bedrock_lite_error_free(error);
    exit_code = 1;
  }
  bedrock_lite_client_destroy(client);
  return exit_code;
}
