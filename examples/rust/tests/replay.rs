//! The safe wrappers against recorded exchanges (BEDROCK_LITE_FIXTURES = fixtures/recorded):
//! every call, every error path, and many rounds so that a double free or a use after free
//! (which the guards make impossible by construction) would crash here.
use bedrock_lite::{Client, Config, CANCELLED};
use std::path::PathBuf;

const NOVA: &str = "us.amazon.nova-micro-v1:0";
const CONVERSE: &str = r#"{"messages":[{"role":"user","content":[{"text":"Hello!"}]}],"system":[{"text":"You are a chatbot."}],"inferenceConfig":{}}"#;
const STREAM: &str = r#"{"messages":[{"role":"user","content":[{"text":"What is the capital of France?"}]}],"system":[{"text":"You are a helpful chatbot."}],"inferenceConfig":{"temperature":0.0}}"#;
const COUNT: &str = r#"{"input":{"converse":{"messages":[{"role":"user","content":[{"text":"Hello, world!"}]}],"system":[]}}}"#;
const FAILING: &str = r#"{"inferenceConfig":{"maxTokens":50},"messages":[{"content":[{"text":"This should fail"}],"role":"user"}]}"#;

fn fixtures() -> PathBuf {
    PathBuf::from(std::env::var("BEDROCK_LITE_FIXTURES").expect("set BEDROCK_LITE_FIXTURES to fixtures/recorded"))
}

fn replay(relative: &str) -> Client {
    let dir = fixtures().join(relative);
    Client::new(&Config { replay_dir: dir.to_str(), ..Config::default() }).expect("replay client")
}

#[test]
fn converse_answers_from_the_recording() {
    let answer = replay("bedrock-recorded/test_bedrock_model/00").converse(NOVA, CONVERSE).unwrap();
    assert!(answer.contains(r#""text":"Hello! How can I assist you today?"#), "{}", answer);
    assert!(answer.contains(r#""stopReason":"end_turn""#), "{}", answer);
}

#[test]
fn stream_events_arrive_in_recorded_order() {
    let dir = "bedrock-recorded/test_bedrock_model_stream/00";
    let expected = std::fs::read_to_string(fixtures().join(dir).join("response.events.jsonl")).unwrap();
    let mut lines = Vec::new();
    let rebuilt = replay(dir)
        .converse_stream(NOVA, STREAM, |name, payload| {
            lines.push(format!("{{\"{}\":{}}}", name, payload));
            true
        })
        .unwrap();
    assert_eq!(lines, expected.lines().collect::<Vec<_>>());
    assert!(rebuilt.contains("The capital of France is Paris."), "{}", rebuilt);
}

#[test]
fn a_handler_returning_false_cancels_the_stream() {
    let mut seen = 0;
    let error = replay("bedrock-recorded/test_bedrock_model_stream/00")
        .converse_stream(NOVA, STREAM, |_, _| {
            seen += 1;
            seen < 3
        })
        .unwrap_err();
    assert_eq!(seen, 3);
    assert_eq!(error.status, CANCELLED);
    assert_eq!(error.kind, "Cancelled");
}

#[test]
fn a_panicking_handler_stops_the_stream_instead_of_unwinding_into_c() {
    let error = replay("bedrock-recorded/test_bedrock_model_stream/00")
        .converse_stream(NOVA, STREAM, |_, _| panic!("handler failure"))
        .unwrap_err();
    assert_eq!(error.kind, "Cancelled");
}

#[test]
fn count_tokens_reads_the_recorded_count() {
    let tokens = replay("bedrock-recorded/test_bedrock_inference_profile_count_tokens/00")
        .count_tokens("anthropic.claude-sonnet-4-20250514-v1:0", COUNT)
        .unwrap();
    assert_eq!(tokens, 11);
}

#[test]
fn a_service_error_carries_its_kind_and_aws_type() {
    let error = replay("arize-openinference/should-handle-api-error-scenarios/00")
        .converse("invalid-model-id", FAILING)
        .unwrap_err();
    assert_eq!(error.kind, "Service");
    assert_eq!(error.aws_type, "ValidationException");
    assert_eq!(error.http_status, 400);
    assert_eq!(error.message, "The provided model identifier is invalid.");
    assert!(!error.retryable);
    assert_eq!(error.to_string(), "ValidationException: The provided model identifier is invalid.");
}

#[test]
fn local_errors_are_values_too() {
    let error = Client::new(&Config { replay_dir: Some("/nonexistent/fixture/set"), ..Config::default() })
        .err()
        .expect("a missing fixture set is an error");
    assert_eq!(error.kind, "Config");
    assert!(error.message.contains("/nonexistent/fixture/set"), "{}", error.message);
    let client = replay("bedrock-recorded/test_bedrock_model/00");
    let usage = client.converse(NOVA, "{not json").unwrap_err();
    assert_eq!(usage.kind, "Usage");
    let nul = client.converse("model\0id", CONVERSE).unwrap_err();
    assert_eq!(nul.kind, "InvalidArgument");
}

#[test]
fn many_rounds_from_several_threads_share_one_client() {
    let client = std::sync::Arc::new(replay("bedrock-recorded/test_bedrock_model/00"));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let client = client.clone();
            std::thread::spawn(move || {
                for _ in 0..250 {
                    assert!(client.converse(NOVA, CONVERSE).unwrap().contains("Hello!"));
                    assert_eq!(client.converse(NOVA, "{}").unwrap_err().kind, "Usage");
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
}
