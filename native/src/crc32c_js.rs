//! The JavaScript binding of `crc32c.rs`: crc32c(data, start?, end?, seed?) and its table twin.
//! The optional arguments are inspected only when passed (`counted_args`): each Node-API call
//! costs tens of nanoseconds, which matters for the small batches a producer sends.

use crate::crc32c::{crc32c, crc32c_table, has_sse42};
use crate::js::{self, JsError, JsResult};
use crate::napi::*;

/// Shared argument handling: (data, start?, end?, seed?).
unsafe fn checksum_call(
    env: napi_env,
    info: napi_callback_info,
    checksum: fn(&[u8], u32) -> u32,
) -> JsResult<napi_value> {
    let ([data_value, start_value, end_value, seed_value], argc) =
        js::counted_args::<4>(env, info)?;
    let (data, length) = js::bytes(env, data_value, "data")?;
    let (mut start, mut end, mut seed) = (0usize, length, 0u32);
    if argc > 1 {
        let limit = length as f64;
        start = js::optional_integer(env, start_value, "start", limit)?.unwrap_or(0.0) as usize;
        if argc > 2 {
            end = js::optional_integer(env, end_value, "end", limit)?.unwrap_or(limit) as usize;
        }
        if argc > 3 {
            let max = u32::MAX as f64;
            seed = js::optional_integer(env, seed_value, "seed", max)?.unwrap_or(0.0) as u32;
        }
        if start > end {
            return Err(JsError::Range(format!("start {start} is after end {end}")));
        }
    }
    let bytes: &[u8] = if end == start {
        &[]
    } else {
        std::slice::from_raw_parts(data.add(start), end - start)
    };
    js::uint32(env, checksum(bytes, seed))
}

pub unsafe fn crc32c_js(env: napi_env, info: napi_callback_info) -> JsResult<napi_value> {
    checksum_call(env, info, crc32c)
}

pub unsafe fn crc32c_table_js(env: napi_env, info: napi_callback_info) -> JsResult<napi_value> {
    checksum_call(env, info, crc32c_table)
}

pub unsafe fn implementation_js(env: napi_env, _info: napi_callback_info) -> JsResult<napi_value> {
    js::js_string(env, if has_sse42() { "sse4.2" } else { "table" })
}
