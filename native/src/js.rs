//! Reading arguments and throwing errors, on napi-rs: the checks a peer-facing API needs
//! (TypeError/RangeError instead of a crash or a generic napi-rs conversion error), and errors
//! that carry `.code`, `.errno` and `.syscall` like Node's own.
//!
//! The exported functions (lib.rs) take their arguments as napi-rs `Unknown` values and check
//! them here, so that the messages and error classes stay the ones src/native.ts documents;
//! napi-rs's typed conversions would throw its own `Error`s with a `code` like
//! `NumberExpected` instead.

use crate::sys::SysError;
use napi::bindgen_prelude::JsObjectValue;
use napi::bindgen_prelude::{FromNapiValue, Object, Status};
use napi::{sys, Env, JsValue, Unknown, ValueType};
use std::ffi::{c_char, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::null_mut;

/// Largest integer a JS number holds exactly; positions and sizes stay below it.
pub const MAX_SAFE_INTEGER: f64 = 9007199254740991.0;

/// Bytes per element of each napi_typedarray_type, in its numbering.
const TYPEDARRAY_ELEMENT_BYTES: [usize; 11] = [1, 1, 1, 2, 2, 4, 4, 4, 8, 8, 8];

pub enum JsError {
    Type(String),
    Range(String),
    Sys(SysError),
    /// A Node-API call failed (napi-rs's error), or an exception is already pending.
    Napi(napi::Error),
}

impl From<napi::Error> for JsError {
    fn from(error: napi::Error) -> Self {
        JsError::Napi(error)
    }
}

pub type JsResult<T> = Result<T, JsError>;

pub fn check(status: sys::napi_status, what: &'static str) -> JsResult<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(JsError::Napi(napi::Error::new(
            Status::from(status),
            format!("sluice native: {what} failed"),
        )))
    }
}

/// Runs an exported function's body: its error (or a panic) becomes the JS exception, thrown
/// here, and napi-rs is told it is pending (so it throws nothing of its own).
pub fn run<T>(env: &Env, body: impl FnOnce() -> JsResult<T>) -> napi::Result<T> {
    let outcome = catch_unwind(AssertUnwindSafe(body));
    let error = match outcome {
        Ok(Ok(value)) => return Ok(value),
        Ok(Err(error)) => error,
        Err(panic) => JsError::Type(format!(
            "sluice native: internal error: {}",
            panic_text(&*panic)
        )),
    };
    Err(unsafe { throw(env.raw(), error) })
}

/// The body of a raw Node-API callback (`extern "C" fn(env, info)`, registered by lib.rs's
/// `module_exports`, for the calls where napi-rs's per-call cost showed: see lib.rs): reads up to
/// N arguments (`undefined` past those passed) and how many were passed, runs `body`, and throws
/// its error (or panic) as `run` does.
pub unsafe fn raw_call<const N: usize>(
    env: sys::napi_env,
    info: sys::napi_callback_info,
    body: impl FnOnce(&Env, [Unknown; N], usize) -> JsResult<sys::napi_value>,
) -> sys::napi_value {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let mut argv = [null_mut(); N];
        let mut argc = N;
        check(
            sys::napi_get_cb_info(
                env,
                info,
                &mut argc,
                argv.as_mut_ptr(),
                null_mut(),
                null_mut(),
            ),
            "napi_get_cb_info",
        )?;
        if argc < N {
            let mut undefined = null_mut();
            check(
                sys::napi_get_undefined(env, &mut undefined),
                "napi_get_undefined",
            )?;
            argv[argc..].fill(undefined);
        }
        let args = argv.map(|value| Unknown::from_raw_unchecked(env, value));
        body(&Env::from_raw(env), args, argc.min(N))
    }));
    let error = match outcome {
        Ok(Ok(value)) => return value,
        Ok(Err(error)) => error,
        Err(panic) => JsError::Type(format!(
            "sluice native: internal error: {}",
            panic_text(&*panic)
        )),
    };
    throw(env, error);
    null_mut()
}

/// A JS number, for raw callbacks.
pub unsafe fn double(env: sys::napi_env, value: f64) -> JsResult<sys::napi_value> {
    let mut out = null_mut();
    check(
        sys::napi_create_double(env, value, &mut out),
        "napi_create_double",
    )?;
    Ok(out)
}

pub fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".to_string())
}

pub fn cstr(s: &str) -> std::ffi::CString {
    std::ffi::CString::new(s.replace('\0', "")).expect("nul bytes were removed")
}

pub fn is_nullish(value: &Unknown) -> JsResult<bool> {
    let kind = value.get_type()?;
    Ok(kind == ValueType::Undefined || kind == ValueType::Null)
}

pub fn number(value: &Unknown, name: &str) -> JsResult<f64> {
    if value.get_type()? != ValueType::Number {
        return Err(JsError::Type(format!("{name} must be a number")));
    }
    Ok(unsafe { f64::from_napi_value(value.value().env, value.raw()) }?)
}

/// A non-negative integer no larger than `max`.
pub fn integer(value: &Unknown, name: &str, max: f64) -> JsResult<f64> {
    let n = number(value, name)?;
    if n.fract() != 0.0 || !n.is_finite() {
        return Err(JsError::Type(format!("{name} must be an integer, got {n}")));
    }
    if n < 0.0 || n > max {
        return Err(JsError::Range(format!(
            "{name} must be between 0 and {max}, got {n}"
        )));
    }
    Ok(n)
}

pub fn fd(value: &Unknown, name: &str) -> JsResult<i32> {
    Ok(integer(value, name, i32::MAX as f64)? as i32)
}

/// A byte position or size in a file.
pub fn position(value: &Unknown, name: &str) -> JsResult<i64> {
    Ok(integer(value, name, MAX_SAFE_INTEGER)? as i64)
}

pub fn optional_integer(value: &Unknown, name: &str, max: f64) -> JsResult<Option<f64>> {
    if is_nullish(value)? {
        return Ok(None);
    }
    integer(value, name, max).map(Some)
}

pub fn string(value: &Unknown, name: &str) -> JsResult<String> {
    if value.get_type()? != ValueType::String {
        return Err(JsError::Type(format!("{name} must be a string")));
    }
    Ok(unsafe { String::from_napi_value(value.value().env, value.raw()) }?)
}

pub fn object<'env>(value: &Unknown<'env>, name: &str) -> JsResult<Object<'env>> {
    if value.get_type()? != ValueType::Object {
        return Err(JsError::Type(format!("{name} must be an object")));
    }
    Ok(unsafe { value.cast::<Object<'env>>() }?)
}

/// `object[key]`.
pub fn property<'env>(object: &Object<'env>, key: &str) -> JsResult<Unknown<'env>> {
    Ok(object.get_named_property::<Unknown<'env>>(key)?)
}

/// `object[key]` as a boolean; absent means `fallback`.
pub fn bool_property(object: &Object, key: &str, fallback: bool) -> JsResult<bool> {
    let value = property(object, key)?;
    if is_nullish(&value)? {
        return Ok(fallback);
    }
    if value.get_type()? != ValueType::Boolean {
        return Err(JsError::Type(format!("options.{key} must be a boolean")));
    }
    Ok(unsafe { bool::from_napi_value(value.value().env, value.raw()) }?)
}

/// The bytes behind a TypedArray (usually a Uint8Array/Buffer), without copying or a reference.
/// Valid until JavaScript runs again: callers use it within the synchronous call only.
/// `name` is only formatted on failure: pwritev passes `format_args!` per buffer, which allocates
/// nothing (a `format!` per buffer cost ~50 ns each on the hot path).
pub unsafe fn bytes(
    env: sys::napi_env,
    value: sys::napi_value,
    name: impl std::fmt::Display,
) -> JsResult<(*mut u8, usize)> {
    let (mut kind, mut length, mut data) = (0, 0usize, null_mut::<c_void>());
    // One call instead of napi_is_typedarray + info: it fails (without throwing) for anything
    // that is not a TypedArray.
    let status = sys::napi_get_typedarray_info(
        env,
        value,
        &mut kind,
        &mut length,
        &mut data,
        null_mut(),
        null_mut(),
    );
    if status != sys::Status::napi_ok {
        let mut pending = false;
        sys::napi_is_exception_pending(env, &mut pending);
        if pending {
            return Err(JsError::Napi(napi::Error::new(
                Status::PendingException,
                "napi_get_typedarray_info",
            )));
        }
        return Err(JsError::Type(format!("{name} must be a Uint8Array")));
    }
    let element_bytes = TYPEDARRAY_ELEMENT_BYTES
        .get(kind as usize)
        .copied()
        .unwrap_or(1);
    let byte_length = length * element_bytes;
    if data.is_null() && byte_length > 0 {
        return Err(JsError::Type(format!("{name} is detached")));
    }
    Ok((data as *mut u8, byte_length))
}

unsafe fn js_string(env: sys::napi_env, value: &str) -> Option<sys::napi_value> {
    let mut out = null_mut();
    let status = sys::napi_create_string_utf8(
        env,
        value.as_ptr() as *const c_char,
        value.len() as isize,
        &mut out,
    );
    (status == sys::Status::napi_ok).then_some(out)
}

unsafe fn set(
    env: sys::napi_env,
    object: sys::napi_value,
    key: &str,
    value: sys::napi_value,
) -> Option<()> {
    let key = cstr(key);
    (sys::napi_set_named_property(env, object, key.as_ptr(), value) == sys::Status::napi_ok)
        .then_some(())
}

/// The JS Error object for `error`, or None if even that failed (an exception is then pending).
/// A failed system call gives an Error with `code` (the errno name), `errno` and `syscall`.
pub unsafe fn error_value(env: sys::napi_env, error: &JsError) -> Option<sys::napi_value> {
    let mut out = null_mut();
    let made = match error {
        JsError::Type(message) => {
            sys::napi_create_type_error(env, null_mut(), js_string(env, message)?, &mut out)
        }
        JsError::Range(message) => {
            sys::napi_create_range_error(env, null_mut(), js_string(env, message)?, &mut out)
        }
        JsError::Sys(error) => {
            let message = js_string(env, &error.message())?;
            let code = js_string(env, &error.code())?;
            let status = sys::napi_create_error(env, code, message, &mut out);
            if status == sys::Status::napi_ok {
                let mut errno = null_mut();
                sys::napi_create_double(env, error.errno as f64, &mut errno);
                set(env, out, "errno", errno)?;
                set(env, out, "syscall", js_string(env, error.syscall)?)?;
            }
            status
        }
        JsError::Napi(error) => {
            let message = js_string(env, &error.reason)?;
            sys::napi_create_error(env, null_mut(), message, &mut out)
        }
    };
    (made == sys::Status::napi_ok).then_some(out)
}

/// Throws `error` unless an exception is already pending; returns the napi-rs error that tells
/// napi-rs the exception is pending.
pub unsafe fn throw(env: sys::napi_env, error: JsError) -> napi::Error {
    let pending_error = napi::Error::new(Status::PendingException, "");
    let mut pending = false;
    sys::napi_is_exception_pending(env, &mut pending);
    if pending {
        return pending_error;
    }
    match error_value(env, &error) {
        Some(value) => {
            sys::napi_throw(env, value);
        }
        None => {
            sys::napi_throw_error(
                env,
                null_mut(),
                c"sluice native: could not create an error".as_ptr(),
            );
        }
    }
    pending_error
}
