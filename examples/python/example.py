"""Converse, ConverseStream (events checked in order) and CountTokens from Python through the C
API, against recorded exchanges; then a service error with its kind and AWS type; then 1,000
rounds of all four, checking that the process's resident memory stays flat (every string and
error the library hands out is freed once).

    BEDROCK_LITE_LIBRARY=/prefix/lib/libbedrock_lite.so python3 example.py FIXTURES/recorded
"""
import gc
import json
import os
import sys

from bedrock_lite import BedrockLiteError, Client

NOVA = "us.amazon.nova-micro-v1:0"
CONVERSE = {"messages": [{"role": "user", "content": [{"text": "Hello!"}]}],
            "system": [{"text": "You are a chatbot."}], "inferenceConfig": {}}
STREAM = {"messages": [{"role": "user", "content": [{"text": "What is the capital of France?"}]}],
          "system": [{"text": "You are a helpful chatbot."}], "inferenceConfig": {"temperature": 0.0}}
COUNT = {"input": {"converse": {"messages": [{"role": "user", "content": [{"text": "Hello, world!"}]}],
                                "system": []}}}
FAILING = {"inferenceConfig": {"maxTokens": 50},
           "messages": [{"content": [{"text": "This should fail"}], "role": "user"}]}


def rss_kib() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def main() -> int:
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} FIXTURES/recorded", file=sys.stderr)
        return 2
    root = sys.argv[1]
    recorded = os.path.join(root, "bedrock-recorded")
    stream_dir = os.path.join(recorded, "test_bedrock_model_stream/00")
    with open(os.path.join(stream_dir, "response.events.jsonl")) as lines:
        expected = [next(iter(json.loads(line).items())) for line in lines if line.strip()]

    with Client(replay_dir=os.path.join(recorded, "test_bedrock_model/00")) as chat, \
            Client(replay_dir=stream_dir) as streamer, \
            Client(replay_dir=os.path.join(recorded,
                                           "test_bedrock_inference_profile_count_tokens/00")) as counter, \
            Client(replay_dir=os.path.join(root, "arize-openinference",
                                           "should-handle-api-error-scenarios/00")) as failing:

        def one_round() -> tuple:
            answer = chat.converse(NOVA, CONVERSE)
            events = [(event.type, event.payload) for event in streamer.converse_stream(NOVA, STREAM)]
            tokens = counter.count_tokens("anthropic.claude-sonnet-4-20250514-v1:0", COUNT)
            try:
                failing.converse("invalid-model-id", FAILING)
                error = None
            except BedrockLiteError as caught:
                # The exception's traceback refers to this frame: keep it out of the frame's
                # locals, or every round leaves a cycle for the garbage collector.
                error = caught.with_traceback(None)
            return answer, events, tokens, error

        answer, events, tokens, error = one_round()
        text = answer["output"]["message"]["content"][0]["text"]
        print("converse:", text)
        if events != expected:
            print(f"FAIL stream: {len(events)} events differ from {len(expected)} recorded", file=sys.stderr)
            return 1
        streamed = "".join(p["delta"].get("text", "") for t, p in events if t == "contentBlockDelta")
        print(f"stream: {len(events)} events in order: {streamed[:31]}")
        print("count-tokens:", tokens)
        if error is None or error.kind != "Service" or error.aws_type != "ValidationException":
            print(f"FAIL service error: {error!r}", file=sys.stderr)
            return 1
        print(f"service error: kind={error.kind} aws_type={error.aws_type} "
              f"http_status={error.http_status}: {error.message}")

        # Early exit from the stream iterator cancels the call (and frees what it must).
        for event in streamer.converse_stream(NOVA, STREAM):
            break

        # 1,000 rounds. The first half settles the allocators (malloc arenas, Python's pools and
        # thread stacks); the second must not grow: one leaked response string per round would
        # add about 170 KiB there, a leaked error more.
        samples = []
        for number in range(1000):
            result = one_round()
            if result[2] != 11 or result[3] is None:
                print("FAIL loop: a round answered differently", file=sys.stderr)
                return 1
            if number % 250 == 249:
                gc.collect()
                samples.append(rss_kib())
        growth = samples[-1] - samples[1]
        print(f"rss: 1000 rounds (4 calls each), KiB after each 250: {samples}; "
              f"second half grew {growth} KiB")
        if growth > 96:
            print(f"FAIL rss grew by {growth} KiB over 500 rounds: something is not freed",
                  file=sys.stderr)
            return 1
    print("python: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
