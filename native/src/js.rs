//! Small safe-ish helpers over Node-API: reading arguments with the checks a peer-facing API
//! needs (TypeError/RangeError instead of a crash), making values, and throwing errors that
//! carry `.code`, `.errno` and `.syscall` like Node's own.

use crate::napi::*;
use crate::sys::SysError;
use std::ffi::{c_char, c_void, CString};
use std::ptr::null_mut;

/// Largest integer a JS number holds exactly; positions and sizes stay below it.
pub const MAX_SAFE_INTEGER: f64 = 9007199254740991.0;

pub enum JsError {
    Type(String),
    Range(String),
    Sys(SysError),
    /// A Node-API call failed or an exception is already pending; nothing more to throw.
    Napi(&'static str),
}

pub type JsResult<T> = Result<T, JsError>;

pub fn check(status: napi_status, what: &'static str) -> JsResult<()> {
    if status == NAPI_OK {
        Ok(())
    } else {
        Err(JsError::Napi(what))
    }
}

pub fn cstr(s: &str) -> CString {
    CString::new(s.replace('\0', "")).expect("nul bytes were removed")
}

/// Up to N arguments; missing ones are `undefined`.
pub unsafe fn args<const N: usize>(
    env: napi_env,
    info: napi_callback_info,
) -> JsResult<[napi_value; N]> {
    Ok(counted_args::<N>(env, info)?.0)
}

/// Up to N arguments and how many the caller passed, so that hot functions can skip
/// inspecting optional arguments that are absent (each Node-API call costs tens of ns).
pub unsafe fn counted_args<const N: usize>(
    env: napi_env,
    info: napi_callback_info,
) -> JsResult<([napi_value; N], usize)> {
    let mut argv = [null_mut(); N];
    let mut argc = N;
    check(
        napi_get_cb_info(
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
        let undefined = undefined(env)?;
        for slot in argv.iter_mut().skip(argc) {
            *slot = undefined;
        }
    }
    Ok((argv, argc.min(N)))
}

pub unsafe fn type_of(env: napi_env, value: napi_value) -> JsResult<i32> {
    let mut kind = 0;
    check(napi_typeof(env, value, &mut kind), "napi_typeof")?;
    Ok(kind)
}

pub unsafe fn is_nullish(env: napi_env, value: napi_value) -> JsResult<bool> {
    let kind = type_of(env, value)?;
    Ok(kind == NAPI_UNDEFINED || kind == NAPI_NULL)
}

pub unsafe fn number(env: napi_env, value: napi_value, name: &str) -> JsResult<f64> {
    if type_of(env, value)? != NAPI_NUMBER {
        return Err(JsError::Type(format!("{name} must be a number")));
    }
    let mut out = 0.0;
    check(
        napi_get_value_double(env, value, &mut out),
        "napi_get_value_double",
    )?;
    Ok(out)
}

/// A non-negative integer no larger than `max`.
pub unsafe fn integer(env: napi_env, value: napi_value, name: &str, max: f64) -> JsResult<f64> {
    let n = number(env, value, name)?;
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

pub unsafe fn fd(env: napi_env, value: napi_value, name: &str) -> JsResult<i32> {
    Ok(integer(env, value, name, i32::MAX as f64)? as i32)
}

/// A byte position or size in a file.
pub unsafe fn position(env: napi_env, value: napi_value, name: &str) -> JsResult<i64> {
    Ok(integer(env, value, name, MAX_SAFE_INTEGER)? as i64)
}

pub unsafe fn optional_integer(
    env: napi_env,
    value: napi_value,
    name: &str,
    max: f64,
) -> JsResult<Option<f64>> {
    if is_nullish(env, value)? {
        return Ok(None);
    }
    integer(env, value, name, max).map(Some)
}

pub unsafe fn string(env: napi_env, value: napi_value, name: &str) -> JsResult<String> {
    if type_of(env, value)? != NAPI_STRING {
        return Err(JsError::Type(format!("{name} must be a string")));
    }
    let mut length = 0usize;
    check(
        napi_get_value_string_utf8(env, value, null_mut(), 0, &mut length),
        "napi_get_value_string_utf8",
    )?;
    let mut buffer = vec![0u8; length + 1];
    let mut written = 0usize;
    check(
        napi_get_value_string_utf8(
            env,
            value,
            buffer.as_mut_ptr() as *mut c_char,
            length + 1,
            &mut written,
        ),
        "napi_get_value_string_utf8",
    )?;
    buffer.truncate(written);
    String::from_utf8(buffer).map_err(|_| JsError::Type(format!("{name} is not valid UTF-8")))
}

pub unsafe fn property(env: napi_env, object: napi_value, name: &str) -> JsResult<napi_value> {
    let mut out = null_mut();
    let key = cstr(name);
    check(
        napi_get_named_property(env, object, key.as_ptr(), &mut out),
        "napi_get_named_property",
    )?;
    Ok(out)
}

pub unsafe fn object(env: napi_env, value: napi_value, name: &str) -> JsResult<napi_value> {
    if type_of(env, value)? != NAPI_OBJECT {
        return Err(JsError::Type(format!("{name} must be an object")));
    }
    Ok(value)
}

/// `object[key]` as a boolean; absent means `fallback`.
pub unsafe fn bool_property(
    env: napi_env,
    object: napi_value,
    key: &str,
    fallback: bool,
) -> JsResult<bool> {
    let value = property(env, object, key)?;
    if is_nullish(env, value)? {
        return Ok(fallback);
    }
    if type_of(env, value)? != NAPI_BOOLEAN {
        return Err(JsError::Type(format!("options.{key} must be a boolean")));
    }
    let mut out = false;
    check(
        napi_get_value_bool(env, value, &mut out),
        "napi_get_value_bool",
    )?;
    Ok(out)
}

/// The bytes behind a TypedArray (usually a Uint8Array/Buffer), without copying.
/// Valid until JavaScript runs again: callers use it within the synchronous call only.
/// `name` is only formatted on failure: pwritev passes `format_args!` per buffer, which allocates
/// nothing (a `format!` per buffer cost ~50 ns each on the hot path).
pub unsafe fn bytes(
    env: napi_env,
    value: napi_value,
    name: impl std::fmt::Display,
) -> JsResult<(*mut u8, usize)> {
    let (mut kind, mut length, mut data) = (0, 0usize, null_mut::<c_void>());
    // One call instead of napi_is_typedarray + info: it fails (without throwing) for anything
    // that is not a TypedArray.
    let status = napi_get_typedarray_info(
        env,
        value,
        &mut kind,
        &mut length,
        &mut data,
        null_mut(),
        null_mut(),
    );
    if status != NAPI_OK {
        let mut pending = false;
        napi_is_exception_pending(env, &mut pending);
        if pending {
            return Err(JsError::Napi("napi_get_typedarray_info"));
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

pub unsafe fn undefined(env: napi_env) -> JsResult<napi_value> {
    let mut out = null_mut();
    check(napi_get_undefined(env, &mut out), "napi_get_undefined")?;
    Ok(out)
}

pub unsafe fn double(env: napi_env, value: f64) -> JsResult<napi_value> {
    let mut out = null_mut();
    check(
        napi_create_double(env, value, &mut out),
        "napi_create_double",
    )?;
    Ok(out)
}

pub unsafe fn boolean(env: napi_env, value: bool) -> JsResult<napi_value> {
    let mut out = null_mut();
    check(napi_get_boolean(env, value, &mut out), "napi_get_boolean")?;
    Ok(out)
}

pub unsafe fn new_object(env: napi_env) -> JsResult<napi_value> {
    let mut out = null_mut();
    check(napi_create_object(env, &mut out), "napi_create_object")?;
    Ok(out)
}

pub unsafe fn uint32(env: napi_env, value: u32) -> JsResult<napi_value> {
    let mut out = null_mut();
    check(
        napi_create_uint32(env, value, &mut out),
        "napi_create_uint32",
    )?;
    Ok(out)
}

pub unsafe fn js_string(env: napi_env, value: &str) -> JsResult<napi_value> {
    let mut out = null_mut();
    check(
        napi_create_string_utf8(env, value.as_ptr() as *const c_char, value.len(), &mut out),
        "napi_create_string_utf8",
    )?;
    Ok(out)
}

pub unsafe fn set(env: napi_env, object: napi_value, key: &str, value: napi_value) -> JsResult<()> {
    let key = cstr(key);
    check(
        napi_set_named_property(env, object, key.as_ptr(), value),
        "napi_set_named_property",
    )
}

/// The JS Error object for `error`, or None if even that failed (an exception is then pending).
pub unsafe fn error_value(env: napi_env, error: &JsError) -> Option<napi_value> {
    let mut out = null_mut();
    let made = match error {
        JsError::Type(message) => {
            let msg = js_string(env, message).ok()?;
            napi_create_type_error(env, null_mut(), msg, &mut out)
        }
        JsError::Range(message) => {
            let msg = js_string(env, message).ok()?;
            napi_create_range_error(env, null_mut(), msg, &mut out)
        }
        JsError::Sys(sys) => {
            let msg = js_string(env, &sys.message()).ok()?;
            let code = js_string(env, &sys.code()).ok()?;
            let status = napi_create_error(env, code, msg, &mut out);
            if status == NAPI_OK {
                let errno = double(env, sys.errno as f64).ok()?;
                set(env, out, "errno", errno).ok()?;
                let syscall = js_string(env, sys.syscall).ok()?;
                set(env, out, "syscall", syscall).ok()?;
            }
            status
        }
        JsError::Napi(what) => {
            let msg = js_string(env, &format!("sluice native: {what} failed")).ok()?;
            napi_create_error(env, null_mut(), msg, &mut out)
        }
    };
    (made == NAPI_OK).then_some(out)
}

pub unsafe fn throw(env: napi_env, error: JsError) {
    let mut pending = false;
    napi_is_exception_pending(env, &mut pending);
    if pending {
        return;
    }
    match error_value(env, &error) {
        Some(value) => {
            napi_throw(env, value);
        }
        None => {
            napi_throw_error(
                env,
                null_mut(),
                c"sluice native: could not create an error".as_ptr(),
            );
        }
    }
}
