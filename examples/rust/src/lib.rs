//! Safe Rust wrappers over bedrock-lite's C API (`bedrock_lite.h`), declared by hand.
//!
//! Ownership follows the header exactly: every string and error the library hands out is owned
//! by a guard (`LibString`, `LibError`) whose `Drop` frees it once; strings passed in are
//! `CString`s the library copies. Nothing else is freed.
use std::ffi::{c_void, CStr, CString};
use std::fmt;
use std::os::raw::{c_char, c_int, c_long, c_longlong};
use std::ptr;

pub const OK: c_int = 0;
pub const CANCELLED: c_int = 9;

// bedrock_lite_config, member for member, as bedrock_lite.h declares it for this SONAME
// (bedrock_lite_config_init() writes the whole struct).
#[repr(C)]
struct RawConfig {
    struct_size: usize,
    region: *const c_char,
    endpoint_url: *const c_char,
    profile: *const c_char,
    max_attempts: c_int,
    connect_timeout_ms: c_long,
    read_timeout_ms: c_long,
    total_timeout_ms: c_long,
    replay_dir: *const c_char,
    record_mode: *const c_char,
}

enum RawClient {}
enum RawError {}

type StreamCallback =
    extern "C" fn(event_type: *const c_char, payload_json: *const c_char, user_data: *mut c_void) -> c_int;

extern "C" {
    fn bedrock_lite_config_init(config: *mut RawConfig);
    fn bedrock_lite_client_create(
        config: *const RawConfig,
        out: *mut *mut RawClient,
        error: *mut *mut RawError,
    ) -> c_int;
    fn bedrock_lite_client_destroy(client: *mut RawClient);
    fn bedrock_lite_converse(
        client: *const RawClient,
        model_id: *const c_char,
        request_json: *const c_char,
        response_json: *mut *mut c_char,
        error: *mut *mut RawError,
    ) -> c_int;
    fn bedrock_lite_converse_stream(
        client: *const RawClient,
        model_id: *const c_char,
        request_json: *const c_char,
        callback: Option<StreamCallback>,
        user_data: *mut c_void,
        response_json: *mut *mut c_char,
        error: *mut *mut RawError,
    ) -> c_int;
    fn bedrock_lite_count_tokens(
        client: *const RawClient,
        model_id: *const c_char,
        request_json: *const c_char,
        response_json: *mut *mut c_char,
        input_tokens: *mut c_longlong,
        error: *mut *mut RawError,
    ) -> c_int;
    fn bedrock_lite_string_free(text: *mut c_char);
    fn bedrock_lite_error_kind_name(error: *const RawError) -> *const c_char;
    fn bedrock_lite_error_aws_type(error: *const RawError) -> *const c_char;
    fn bedrock_lite_error_message(error: *const RawError) -> *const c_char;
    fn bedrock_lite_error_request_id(error: *const RawError) -> *const c_char;
    fn bedrock_lite_error_http_status(error: *const RawError) -> c_int;
    fn bedrock_lite_error_retryable(error: *const RawError) -> c_int;
    fn bedrock_lite_error_free(error: *mut RawError);
    fn bedrock_lite_version() -> *const c_char;
}

/// A string the library returned; freed once, when dropped.
struct LibString(*mut c_char);

impl LibString {
    fn to_string(&self) -> String {
        if self.0.is_null() {
            return String::new();
        }
        unsafe { CStr::from_ptr(self.0) }.to_string_lossy().into_owned()
    }
}

impl Drop for LibString {
    fn drop(&mut self) {
        unsafe { bedrock_lite_string_free(self.0) } // NULL is allowed
    }
}

/// An error object the library returned; freed once, when dropped.
struct LibError(*mut RawError);

impl Drop for LibError {
    fn drop(&mut self) {
        unsafe { bedrock_lite_error_free(self.0) } // NULL is allowed
    }
}

fn copy(text: *const c_char) -> String {
    unsafe { CStr::from_ptr(text) }.to_string_lossy().into_owned()
}

/// A failed call: the error object's fields (docs/errors.md), copied before it was freed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub status: i32,
    pub kind: String,
    pub aws_type: String,
    pub message: String,
    pub http_status: i32,
    pub request_id: String,
    pub retryable: bool,
}

impl Error {
    fn take(status: c_int, raw: *mut RawError) -> Error {
        let guard = LibError(raw);
        if guard.0.is_null() {
            return Error {
                status,
                kind: String::new(),
                aws_type: String::new(),
                message: format!("status {}", status),
                http_status: 0,
                request_id: String::new(),
                retryable: false,
            };
        }
        unsafe {
            Error {
                status,
                kind: copy(bedrock_lite_error_kind_name(guard.0)),
                aws_type: copy(bedrock_lite_error_aws_type(guard.0)),
                message: copy(bedrock_lite_error_message(guard.0)),
                http_status: bedrock_lite_error_http_status(guard.0),
                request_id: copy(bedrock_lite_error_request_id(guard.0)),
                retryable: bedrock_lite_error_retryable(guard.0) != 0,
            }
        }
    }

    fn argument(what: &str) -> Error {
        Error {
            status: 100,
            kind: "InvalidArgument".into(),
            aws_type: String::new(),
            message: format!("{} contains a NUL byte", what),
            http_status: 0,
            request_id: String::new(),
            retryable: false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = if self.aws_type.is_empty() { &self.kind } else { &self.aws_type };
        write!(f, "{}: {}", name, self.message)
    }
}

impl std::error::Error for Error {}

fn c_string(text: &str, what: &str) -> Result<CString, Error> {
    CString::new(text).map_err(|_| Error::argument(what))
}

/// Settings a client is built from; `None` means "from the environment".
#[derive(Default)]
pub struct Config<'a> {
    pub region: Option<&'a str>,
    pub replay_dir: Option<&'a str>,
}

/// One `bedrock_lite_client`: thread-safe like the C one, destroyed when dropped.
pub struct Client(*mut RawClient);

// The C client is thread-safe (bedrock_lite.h): any number of threads may call it at once.
unsafe impl Send for Client {}
unsafe impl Sync for Client {}

impl Client {
    pub fn new(config: &Config) -> Result<Client, Error> {
        let region = config.region.map(|r| c_string(r, "region")).transpose()?;
        let replay = config.replay_dir.map(|r| c_string(r, "replay_dir")).transpose()?;
        let mut raw = std::mem::MaybeUninit::<RawConfig>::uninit();
        let mut raw = unsafe {
            bedrock_lite_config_init(raw.as_mut_ptr());
            raw.assume_init()
        };
        raw.region = region.as_ref().map_or(ptr::null(), |s| s.as_ptr());
        raw.replay_dir = replay.as_ref().map_or(ptr::null(), |s| s.as_ptr());
        let mut client = ptr::null_mut();
        let mut error = ptr::null_mut();
        let status = unsafe { bedrock_lite_client_create(&raw, &mut client, &mut error) };
        if status != OK {
            return Err(Error::take(status, error));
        }
        Ok(Client(client))
    }

    pub fn converse(&self, model_id: &str, request_json: &str) -> Result<String, Error> {
        let model = c_string(model_id, "model_id")?;
        let request = c_string(request_json, "request_json")?;
        let mut response = ptr::null_mut();
        let mut error = ptr::null_mut();
        let status = unsafe {
            bedrock_lite_converse(self.0, model.as_ptr(), request.as_ptr(), &mut response, &mut error)
        };
        let response = LibString(response);
        if status != OK {
            return Err(Error::take(status, error));
        }
        Ok(response.to_string())
    }

    /// Calls `handler(event_type, payload_json)` for each event, in order, as it arrives;
    /// returning false stops the stream (the call then fails with kind "Cancelled"). Returns the
    /// response rebuilt from the events.
    pub fn converse_stream<F>(&self, model_id: &str, request_json: &str, mut handler: F) -> Result<String, Error>
    where
        F: FnMut(&str, &str) -> bool,
    {
        extern "C" fn trampoline<F: FnMut(&str, &str) -> bool>(
            event_type: *const c_char,
            payload_json: *const c_char,
            user_data: *mut c_void,
        ) -> c_int {
            // Both strings are valid only during this call. A panic must not unwind into C.
            let handler = unsafe { &mut *(user_data as *mut F) };
            let event_type = unsafe { CStr::from_ptr(event_type) }.to_string_lossy();
            let payload = unsafe { CStr::from_ptr(payload_json) }.to_string_lossy();
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(&event_type, &payload))) {
                Ok(true) => 0,
                _ => 1,
            }
        }
        let model = c_string(model_id, "model_id")?;
        let request = c_string(request_json, "request_json")?;
        let mut response = ptr::null_mut();
        let mut error = ptr::null_mut();
        let status = unsafe {
            bedrock_lite_converse_stream(
                self.0,
                model.as_ptr(),
                request.as_ptr(),
                Some(trampoline::<F>),
                &mut handler as *mut F as *mut c_void,
                &mut response,
                &mut error,
            )
        };
        let response = LibString(response);
        if status != OK {
            return Err(Error::take(status, error));
        }
        Ok(response.to_string())
    }

    pub fn count_tokens(&self, model_id: &str, request_json: &str) -> Result<i64, Error> {
        let model = c_string(model_id, "model_id")?;
        let request = c_string(request_json, "request_json")?;
        let mut tokens: c_longlong = 0;
        let mut error = ptr::null_mut();
        let status = unsafe {
            bedrock_lite_count_tokens(
                self.0,
                model.as_ptr(),
                request.as_ptr(),
                ptr::null_mut(),
                &mut tokens,
                &mut error,
            )
        };
        if status != OK {
            return Err(Error::take(status, error));
        }
        Ok(tokens)
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        unsafe { bedrock_lite_client_destroy(self.0) }
    }
}

/// The library's version ("0.1.0").
pub fn version() -> String {
    copy(unsafe { bedrock_lite_version() })
}
