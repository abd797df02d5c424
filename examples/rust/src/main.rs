//! Converse, ConverseStream (events checked in order) and CountTokens from Rust through the C
//! API, against recorded exchanges, then a service error with its kind and AWS type.
//!
//!     bedrock-lite-rust FIXTURES/recorded
use bedrock_lite::{Client, Config};
use std::path::Path;
use std::process::exit;

const NOVA: &str = "us.amazon.nova-micro-v1:0";
const CONVERSE: &str = r#"{"messages":[{"role":"user","content":[{"text":"Hello!"}]}],"system":[{"text":"You are a chatbot."}],"inferenceConfig":{}}"#;
const STREAM: &str = r#"{"messages":[{"role":"user","content":[{"text":"What is the capital of France?"}]}],"system":[{"text":"You are a helpful chatbot."}],"inferenceConfig":{"temperature":0.0}}"#;
const COUNT: &str = r#"{"input":{"converse":{"messages":[{"role":"user","content":[{"text":"Hello, world!"}]}],"system":[]}}}"#;
const FAILING: &str = r#"{"inferenceConfig":{"maxTokens":50},"messages":[{"content":[{"text":"This should fail"}],"role":"user"}]}"#;

fn open(dir: &Path) -> Client {
    Client::new(&Config { replay_dir: dir.to_str(), ..Config::default() }).unwrap_or_else(|error| {
        eprintln!("error: {}", error);
        exit(1)
    })
}

fn main() {
    let arguments: Vec<String> = std::env::args().collect();
    if arguments.len() != 2 {
        eprintln!("usage: {} FIXTURES/recorded", arguments[0]);
        exit(2);
    }
    let root = Path::new(&arguments[1]);
    let recorded = root.join("bedrock-recorded");
    let stream_dir = recorded.join("test_bedrock_model_stream/00");

    let answer = open(&recorded.join("test_bedrock_model/00")).converse(NOVA, CONVERSE).unwrap_or_else(|e| {
        eprintln!("error: {}", e);
        exit(1)
    });
    println!("converse: {}", answer);

    let expected = std::fs::read_to_string(stream_dir.join("response.events.jsonl")).expect("events file");
    let mut lines = Vec::new();
    open(&stream_dir)
        .converse_stream(NOVA, STREAM, |name, payload| {
            lines.push(format!("{{\"{}\":{}}}", name, payload));
            true
        })
        .unwrap_or_else(|e| {
            eprintln!("error: {}", e);
            exit(1)
        });
    if lines != expected.lines().collect::<Vec<_>>() {
        eprintln!("FAIL stream: the events differ from {}", stream_dir.display());
        exit(1);
    }
    println!("stream: {} events in order", lines.len());

    let tokens = open(&recorded.join("test_bedrock_inference_profile_count_tokens/00"))
        .count_tokens("anthropic.claude-sonnet-4-20250514-v1:0", COUNT)
        .unwrap_or_else(|e| {
            eprintln!("error: {}", e);
            exit(1)
        });
    println!("count-tokens: {}", tokens);

    let failing = open(&root.join("arize-openinference/should-handle-api-error-scenarios/00"));
    match failing.converse("invalid-model-id", FAILING) {
        Err(error) if error.kind == "Service" && error.aws_type == "ValidationException" => println!(
            "service error: kind={} aws_type={} http_status={}: {}",
            error.kind, error.aws_type, error.http_status, error.message
        ),
        other => {
            eprintln!("FAIL service error: {:?}", other);
            exit(1)
        }
    }
    println!("rust: ok (bedrock-lite {})", bedrock_lite::version());
}
