package main

/*
#include <stdint.h>
*/
import "C"

import "runtime/cgo"

// goStreamEvent is the Go side of bridge_stream_event (bedrock_lite.go): the strings are valid
// only during this call, so they are copied before the handler sees them.
//
//export goStreamEvent
func goStreamEvent(eventType *C.char, payloadJSON *C.char, handle C.uintptr_t) C.int {
	handler := cgo.Handle(handle).Value().(StreamHandler)
	if handler(C.GoString(eventType), C.GoString(payloadJSON)) {
		return 0
	}
	return 1
}
