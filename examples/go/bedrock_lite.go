// A small Go wrapper over bedrock-lite's C API (bedrock_lite.h) with cgo. Compiler and linker
// flags come from the environment (CGO_CFLAGS, CGO_LDFLAGS: see docs/c-api.md), so the same code
// links the shared library or the static one with the C++ runtime.
//
// Ownership follows bedrock_lite.h: every string and error the library hands out is copied into
// Go values and freed exactly once, here; strings passed in are C copies freed after the call.
package main

/*
#include <bedrock_lite.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>

// Defined in callback.go (//export): the Go side of the stream callback.
extern int goStreamEvent(char* eventType, char* payloadJSON, uintptr_t handle);

// The C callback the library calls: user_data carries a cgo.Handle (an integer, never a Go
// pointer, as cgo's pointer rules require).
static int bridge_stream_event(const char* event_type, const char* payload_json, void* user_data) {
  return goStreamEvent((char*)event_type, (char*)payload_json, (uintptr_t)user_data);
}

static bedrock_lite_status bridge_converse_stream(const bedrock_lite_client* client,
                                                  const char* model_id, const char* request_json,
                                                  uintptr_t handle, char** response_json,
                                                  bedrock_lite_error** error) {
  return bedrock_lite_converse_stream(client, model_id, request_json, bridge_stream_event,
                                      (void*)handle, response_json, error);
}

static size_t bridge_heap_in_use(void) { return mallinfo2().uordblks; }
*/
import "C"

import (
	"fmt"
	"runtime/cgo"
	"unsafe"
)

// cHeapKiB is the C heap in use (glibc mallinfo2), for the example's leak check.
func cHeapKiB() int {
	return int(C.bridge_heap_in_use() / 1024)
}

// Error is a failed call: the error object's fields (docs/errors.md), copied before it was freed.
type Error struct {
	Status     int
	Kind       string
	AWSType    string
	Message    string
	HTTPStatus int
	RequestID  string
	Retryable  bool
}

func (e *Error) Error() string {
	name := e.AWSType
	if name == "" {
		name = e.Kind
	}
	return fmt.Sprintf("%s: %s", name, e.Message)
}

// takeError copies and frees a bedrock_lite_error.
func takeError(status C.bedrock_lite_status, err *C.bedrock_lite_error) error {
	if err == nil {
		return &Error{Status: int(status), Message: fmt.Sprintf("status %d", int(status))}
	}
	defer C.bedrock_lite_error_free(err)
	return &Error{
		Status:     int(status),
		Kind:       C.GoString(C.bedrock_lite_error_kind_name(err)),
		AWSType:    C.GoString(C.bedrock_lite_error_aws_type(err)),
		Message:    C.GoString(C.bedrock_lite_error_message(err)),
		HTTPStatus: int(C.bedrock_lite_error_http_status(err)),
		RequestID:  C.GoString(C.bedrock_lite_error_request_id(err)),
		Retryable:  C.bedrock_lite_error_retryable(err) != 0,
	}
}

// takeString copies and frees a string the library returned.
func takeString(text *C.char) string {
	defer C.bedrock_lite_string_free(text)
	return C.GoString(text)
}

// Client is one bedrock_lite_client; thread-safe like the C one. Close it once.
type Client struct {
	handle *C.bedrock_lite_client
}

// Config holds what the example sets; empty values mean "from the environment".
type Config struct {
	Region    string
	ReplayDir string
}

func NewClient(config Config) (*Client, error) {
	var c C.bedrock_lite_config
	C.bedrock_lite_config_init(&c)
	strings := []*C.char{}
	defer func() {
		for _, s := range strings {
			C.free(unsafe.Pointer(s))
		}
	}()
	set := func(value string) *C.char {
		if value == "" {
			return nil
		}
		s := C.CString(value)
		strings = append(strings, s)
		return s
	}
	c.region = set(config.Region)
	c.replay_dir = set(config.ReplayDir)
	var client *C.bedrock_lite_client
	var err *C.bedrock_lite_error
	if status := C.bedrock_lite_client_create(&c, &client, &err); status != C.BEDROCK_LITE_OK {
		return nil, takeError(status, err)
	}
	return &Client{handle: client}, nil
}

func (c *Client) Close() {
	if c.handle != nil {
		C.bedrock_lite_client_destroy(c.handle)
		c.handle = nil
	}
}

func (c *Client) Converse(modelID, requestJSON string) (string, error) {
	model, request := C.CString(modelID), C.CString(requestJSON)
	defer C.free(unsafe.Pointer(model))
	defer C.free(unsafe.Pointer(request))
	var response *C.char
	var err *C.bedrock_lite_error
	if status := C.bedrock_lite_converse(c.handle, model, request, &response, &err); status != C.BEDROCK_LITE_OK {
		return "", takeError(status, err)
	}
	return takeString(response), nil
}

func (c *Client) CountTokens(modelID, requestJSON string) (int64, error) {
	model, request := C.CString(modelID), C.CString(requestJSON)
	defer C.free(unsafe.Pointer(model))
	defer C.free(unsafe.Pointer(request))
	var tokens C.longlong
	var err *C.bedrock_lite_error
	if status := C.bedrock_lite_count_tokens(c.handle, model, request, nil, &tokens, &err); status != C.BEDROCK_LITE_OK {
		return 0, takeError(status, err)
	}
	return int64(tokens), nil
}

// StreamHandler receives each event in order; returning false stops the stream.
type StreamHandler func(eventType, payloadJSON string) bool

// ConverseStream calls handler for each event as it arrives (on this goroutine's thread) and
// returns the response rebuilt from the events.
func (c *Client) ConverseStream(modelID, requestJSON string, handler StreamHandler) (string, error) {
	model, request := C.CString(modelID), C.CString(requestJSON)
	defer C.free(unsafe.Pointer(model))
	defer C.free(unsafe.Pointer(request))
	handle := cgo.NewHandle(handler)
	defer handle.Delete()
	var response *C.char
	var err *C.bedrock_lite_error
	status := C.bridge_converse_stream(c.handle, model, request, C.uintptr_t(handle), &response, &err)
	if status != C.BEDROCK_LITE_OK {
		return "", takeError(status, err)
	}
	return takeString(response), nil
}
