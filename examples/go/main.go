// Converse, ConverseStream (events checked in order) and CountTokens from Go through the C API,
// against recorded exchanges; then a service error with its kind and AWS type; then 1,000
// rounds of all four, checking that the process's resident memory stays flat.
//
//	go build -o bedrock-lite-go . && ./bedrock-lite-go FIXTURES/recorded
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
)

const (
	nova       = "us.amazon.nova-micro-v1:0"
	converseRq = `{"messages":[{"role":"user","content":[{"text":"Hello!"}]}],"system":[{"text":"You are a chatbot."}],"inferenceConfig":{}}`
	streamRq   = `{"messages":[{"role":"user","content":[{"text":"What is the capital of France?"}]}],"system":[{"text":"You are a helpful chatbot."}],"inferenceConfig":{"temperature":0.0}}`
	countRq    = `{"input":{"converse":{"messages":[{"role":"user","content":[{"text":"Hello, world!"}]}],"system":[]}}}`
	failingRq  = `{"inferenceConfig":{"maxTokens":50},"messages":[{"content":[{"text":"This should fail"}],"role":"user"}]}`
)

type event struct {
	Type    string
	Payload interface{}
}

func rssKiB() int {
	statm, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		panic(err)
	}
	pages, _ := strconv.Atoi(strings.Fields(string(statm))[1])
	return pages * os.Getpagesize() / 1024
}

// expectedEvents reads the derived event list recorded beside the stream (one {"type": payload}
// object per line).
func expectedEvents(path string) []event {
	file, err := os.Open(path)
	if err != nil {
		panic(err)
	}
	defer file.Close()
	var events []event
	scanner := bufio.NewScanner(file)
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	for scanner.Scan() {
		var line map[string]interface{}
		if err := json.Unmarshal(scanner.Bytes(), &line); err != nil {
			panic(err)
		}
		for name, payload := range line {
			events = append(events, event{name, payload})
		}
	}
	return events
}

func open(dir string) *Client {
	client, err := NewClient(Config{ReplayDir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	return client
}

type round struct {
	text   string
	events []event
	tokens int64
	err    error
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintf(os.Stderr, "usage: %s FIXTURES/recorded\n", os.Args[0])
		os.Exit(2)
	}
	recorded := filepath.Join(os.Args[1], "bedrock-recorded")
	streamDir := filepath.Join(recorded, "test_bedrock_model_stream/00")
	expected := expectedEvents(filepath.Join(streamDir, "response.events.jsonl"))
	chat := open(filepath.Join(recorded, "test_bedrock_model/00"))
	defer chat.Close()
	streamer := open(streamDir)
	defer streamer.Close()
	counter := open(filepath.Join(recorded, "test_bedrock_inference_profile_count_tokens/00"))
	defer counter.Close()
	failing := open(filepath.Join(os.Args[1], "arize-openinference/should-handle-api-error-scenarios/00"))
	defer failing.Close()

	oneRound := func() (r round) {
		answer, err := chat.Converse(nova, converseRq)
		if err != nil {
			panic(err)
		}
		var response struct {
			Output struct {
				Message struct {
					Content []struct{ Text string }
				}
			}
		}
		if err := json.Unmarshal([]byte(answer), &response); err != nil {
			panic(err)
		}
		r.text = response.Output.Message.Content[0].Text
		if _, err := streamer.ConverseStream(nova, streamRq, func(name, payload string) bool {
			var value interface{}
			if err := json.Unmarshal([]byte(payload), &value); err != nil {
				panic(err)
			}
			r.events = append(r.events, event{name, value})
			return true
		}); err != nil {
			panic(err)
		}
		if r.tokens, err = counter.CountTokens("anthropic.claude-sonnet-4-20250514-v1:0", countRq); err != nil {
			panic(err)
		}
		_, r.err = failing.Converse("invalid-model-id", failingRq)
		return r
	}

	runtime.LockOSThread() // every call from one thread: one malloc arena, steadier figures
	first := oneRound()
	fmt.Println("converse:", first.text)
	if !reflect.DeepEqual(first.events, expected) {
		fmt.Fprintf(os.Stderr, "FAIL stream: %d events differ from the %d recorded\n", len(first.events), len(expected))
		os.Exit(1)
	}
	fmt.Printf("stream: %d events in order\n", len(first.events))
	fmt.Println("count-tokens:", first.tokens)
	var serviceError *Error
	if !errors.As(first.err, &serviceError) || serviceError.Kind != "Service" || serviceError.AWSType != "ValidationException" {
		fmt.Fprintf(os.Stderr, "FAIL service error: %v\n", first.err)
		os.Exit(1)
	}
	fmt.Printf("service error: kind=%s aws_type=%s http_status=%d: %s\n", serviceError.Kind,
		serviceError.AWSType, serviceError.HTTPStatus, serviceError.Message)

	// Stopping from the handler cancels the call: an error of kind Cancelled.
	_, err := streamer.ConverseStream(nova, streamRq, func(string, string) bool { return false })
	if !errors.As(err, &serviceError) || serviceError.Kind != "Cancelled" {
		fmt.Fprintf(os.Stderr, "FAIL cancel: %v\n", err)
		os.Exit(1)
	}

	// 1,000 rounds; the first half settles the allocators, the second must not grow. Two
	// measures: the resident set, and the C heap in use (glibc's mallinfo2), which is where
	// anything the library hands out lives: one leaked response string per round would add about
	// 170 KiB to it. The Go runtime's own pages come and go by a few hundred KiB, so the RSS
	// bound is looser.
	var samples, heap []int
	for number := 0; number < 1000; number++ {
		r := oneRound()
		if r.tokens != 11 || r.err == nil || len(r.events) != len(expected) {
			fmt.Fprintln(os.Stderr, "FAIL loop: a round answered differently")
			os.Exit(1)
		}
		if number%250 == 249 {
			debug.FreeOSMemory() // a GC that also returns freed Go heap pages to the OS
			samples = append(samples, rssKiB())
			heap = append(heap, cHeapKiB())
		}
	}
	growth, heapGrowth := samples[3]-samples[1], heap[3]-heap[1]
	fmt.Printf("rss: 1000 rounds (4 calls each), KiB after each 250: %v, C heap in use %v; second half grew %d KiB (C heap %d KiB)\n",
		samples, heap, growth, heapGrowth)
	if heapGrowth > 64 || growth > 1024 {
		fmt.Fprintf(os.Stderr, "FAIL memory grew over 500 rounds (rss %d KiB, C heap %d KiB): something is not freed\n",
			growth, heapGrowth)
		os.Exit(1)
	}
	fmt.Println("go: ok")
}
