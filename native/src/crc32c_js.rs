//! The JavaScript binding of `crc32c.rs`: crc32c(data, start?, end?, seed?) and its table twin.
//!
//! Both are raw Node-API callbacks, added to the exports by lib.rs's `module_exports` (see there
//! for why). The optional arguments are inspected only when passed: each Node-API call costs
//! tens of nanoseconds, which matters for the small batches a producer sends.

use crate::crc32c::{crc32c, crc32c_table};
use crate::js::{self, JsError};
use napi::{sys, JsValue};
use std::ptr::null_mut;

/// Shared argument handling: (data, start?, end?, seed?).
unsafe fn checksum_call(
    env: sys::napi_env,
    info: sys::napi_callback_info,
    checksum: fn(&[u8], u32) -> u32,
) -> sys::napi_value {
    js::raw_call::<4>(env, info, |_, [data, start, end, seed], argc| {
        let (data, length) = js::bytes(env, data.raw(), "data")?;
        let (mut from, mut to, mut initial) = (0usize, length, 0u32);
        if argc > 1 {
            let limit = length as f64;
            from = js::optional_integer(&start, "start", limit)?.unwrap_or(0.0) as usize;
            if argc > 2 {
                to = js::optional_integer(&end, "end", limit)?.unwrap_or(limit) as usize;
            }
            if argc > 3 {
                let max = u32::MAX as f64;
                initial = js::optional_integer(&seed, "seed", max)?.unwrap_or(0.0) as u32;
            }
            if from > to {
                return Err(JsError::Range(format!("start {from} is after end {to}")));
            }
        }
        let bytes: &[u8] = if to == from {
            &[]
        } else {
            std::slice::from_raw_parts(data.add(from), to - from)
        };
        let mut out = null_mut();
        js::check(
            sys::napi_create_uint32(env, checksum(bytes, initial), &mut out),
            "napi_create_uint32",
        )?;
        Ok(out)
    })
}

pub unsafe extern "C" fn crc32c_js(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    checksum_call(env, info, crc32c)
}

pub unsafe extern "C" fn crc32c_table_js(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    checksum_call(env, info, crc32c_table)
}
