//! Entry point of the Sluice native addon: registers the exported functions with the host
//! (Node or Bun) through `napi_register_module_v1`, and turns every Rust error or panic into a
//! thrown JavaScript error so that nothing a caller passes can crash the process.
//!
//! `src/native.ts` is the only importer and documents the JavaScript-facing contract.

mod crc32c;
mod crc32c_js;
mod file;
mod js;
mod mapping;
mod napi;
mod process;
mod sendfile;
mod socket;
mod sys;

use js::{JsError, JsResult};
use napi::*;
use std::ffi::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::null_mut;

type Body = unsafe fn(napi_env, napi_callback_info) -> JsResult<napi_value>;

/// Runs an exported function, throwing its error (or panic) as a JS exception.
unsafe fn call(env: napi_env, info: napi_callback_info, body: Body) -> napi_value {
    let outcome = catch_unwind(AssertUnwindSafe(|| body(env, info)));
    let error = match outcome {
        Ok(Ok(value)) => return value,
        Ok(Err(error)) => error,
        Err(panic) => {
            let text = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".to_string());
            JsError::Type(format!("sluice native: internal error: {text}"))
        }
    };
    js::throw(env, error);
    null_mut()
}

macro_rules! exports {
    ($($js_name:literal => $body:path),* $(,)?) => {
        unsafe fn define_all(env: napi_env, exports: napi_value) -> JsResult<()> {
            $(
                {
                    unsafe extern "C" fn trampoline(env: napi_env, info: napi_callback_info) -> napi_value {
                        call(env, info, $body)
                    }
                    let name = concat!($js_name, "\0");
                    let mut function = null_mut();
                    js::check(
                        napi_create_function(
                            env,
                            name.as_ptr() as *const c_char,
                            $js_name.len(),
                            Some(trampoline),
                            null_mut(),
                            &mut function,
                        ),
                        "napi_create_function",
                    )?;
                    js::set(env, exports, $js_name, function)?;
                }
            )*
            Ok(())
        }
    };
}

exports! {
    "openFile" => file::open_file,
    "closeFile" => file::close_file,
    "pwritev" => file::pwritev,
    "pread" => file::pread,
    "fdatasync" => file::fdatasync,
    "fdatasyncAsync" => file::fdatasync_async,
    "ftruncate" => file::ftruncate,
    "fallocate" => file::fallocate,
    "fileSize" => file::file_size,
    "mmap" => mapping::mmap,
    "munmap" => mapping::munmap,
    "msync" => mapping::msync,
    "sendfile" => sendfile::sendfile,
    "setTcpCongestion" => socket::set_tcp_congestion,
    "tcpCongestion" => socket::tcp_congestion,
    "crc32c" => crc32c_js::crc32c_js,
    "crc32cTable" => crc32c_js::crc32c_table_js,
    "crc32cImplementation" => crc32c_js::implementation_js,
    "tryLockFile" => process::try_lock_file,
    "raiseNofileLimit" => process::raise_nofile_limit,
}

/// Called by Node and Bun when they load the `.node` file.
#[no_mangle]
pub unsafe extern "C" fn napi_register_module_v1(env: napi_env, exports: napi_value) -> napi_value {
    if let Err(error) = define_all(env, exports) {
        js::throw(env, error);
    }
    exports
}
