//! Entry point of the Sluice native addon, bound to Node-API with napi-rs: each `#[napi]`
//! function below is an export (napi-derive registers it, and @napi-rs/cli writes its
//! TypeScript declaration into src/native-addon.d.ts). Every Rust error or panic becomes a
//! thrown JavaScript error (js::run), so nothing a caller passes can crash the process.
//!
//! Arguments are taken as `Unknown` and checked by js.rs, so that bad ones throw the TypeError
//! or RangeError src/native.ts documents; `ts_args_type` gives the CLI their TypeScript types.
//! The hot calls (crc32c, crc32cTable, pwritev, pread, sendfile) are raw Node-API callbacks added to
//! the exports by `module_exports` (see there for why). `src/native.ts` is the only importer and documents the contract.

mod crc32c;
mod crc32c_js;
mod file;
mod js;
mod mapping;
mod process;
mod sendfile;
mod socket;
mod sys;

use js::run;
use napi::bindgen_prelude::JsObjectValue;
use napi::bindgen_prelude::{ArrayBuffer, Object, PromiseRaw, Result};
use napi::{check_status, sys as napi_sys, Env, Unknown};
use napi_derive::napi;
use std::ptr::null_mut;

pub use process::NofileLimit;

/// Opens with O_CLOEXEC (O_RDWR when writing, else O_RDONLY); O_APPEND is never used.
#[napi(
    js_name = "openFile",
    ts_args_type = "path: string, opts: { write: boolean; create: boolean; truncate?: boolean }",
    ts_return_type = "number"
)]
pub fn open_file(env: &Env, path: Unknown, opts: Unknown) -> Result<f64> {
    run(env, || file::open_file(path, opts))
}

#[napi(js_name = "closeFile", ts_args_type = "fd: number")]
pub fn close_file(env: &Env, fd: Unknown) -> Result<()> {
    run(env, || file::close_file(fd))
}

/// pwritev(fd, buffers, position): writes all buffers in order from `position` (looping over
/// short writes); returns the bytes. A raw callback (see `module_exports`).
unsafe extern "C" fn pwritev(
    env: napi_sys::napi_env,
    info: napi_sys::napi_callback_info,
) -> napi_sys::napi_value {
    js::raw_call::<3>(env, info, |_, [fd, buffers, position], _| {
        js::double(env, file::pwritev(fd, buffers, position)?)
    })
}

/// pread(fd, target, position): fills `target` from `position`; fewer bytes only at end of
/// file. A raw callback (see `module_exports`): the fetch path copies small slices with it.
unsafe extern "C" fn pread(
    env: napi_sys::napi_env,
    info: napi_sys::napi_callback_info,
) -> napi_sys::napi_value {
    js::raw_call::<3>(env, info, |_, [fd, target, position], _| {
        js::double(env, file::pread(fd, target, position)?)
    })
}

#[napi(ts_args_type = "fd: number")]
pub fn fdatasync(env: &Env, fd: Unknown) -> Result<()> {
    run(env, || file::fdatasync(fd))
}

/// fdatasync on a worker thread; the descriptor is duplicated for the worker.
#[napi(
    js_name = "fdatasyncAsync",
    ts_args_type = "fd: number",
    ts_return_type = "Promise<void>"
)]
pub fn fdatasync_async<'env>(env: &'env Env, fd: Unknown) -> Result<PromiseRaw<'env, ()>> {
    let promise = run(env, || unsafe { file::fdatasync_async(env, fd) })?;
    Ok(PromiseRaw::new(env.raw(), promise))
}

/// Sets the size; throws EBUSY rather than cut under a live mmap of the file.
#[napi(ts_args_type = "fd: number, sizeBytes: number")]
pub fn ftruncate(env: &Env, fd: Unknown, size_bytes: Unknown) -> Result<()> {
    run(env, || file::ftruncate(fd, size_bytes))
}

/// Reserves [position, position + sizeBytes); where unsupported, extends with ftruncate.
#[napi(ts_args_type = "fd: number, position: number, sizeBytes: number")]
pub fn fallocate(env: &Env, fd: Unknown, position: Unknown, size_bytes: Unknown) -> Result<()> {
    run(env, || file::fallocate(fd, position, size_bytes))
}

/// Reserves blocks for [position, position + sizeBytes) without changing the file's size; false
/// where the filesystem cannot or is full (a hint: the next write reports a real shortage).
#[napi(ts_args_type = "fd: number, position: number, sizeBytes: number")]
pub fn preallocate(env: &Env, fd: Unknown, position: Unknown, size_bytes: Unknown) -> Result<bool> {
    run(env, || file::preallocate(fd, position, size_bytes))
}

#[napi(
    js_name = "fileSize",
    ts_args_type = "fd: number",
    ts_return_type = "number"
)]
pub fn file_size(env: &Env, fd: Unknown) -> Result<f64> {
    run(env, || file::file_size(fd))
}

/// A MAP_SHARED mapping of the file's first `sizeBytes`, as an external ArrayBuffer over it.
#[napi(ts_args_type = "fd: number, sizeBytes: number, opts: { write: boolean }")]
pub fn mmap<'env>(
    env: &'env Env,
    fd: Unknown,
    size_bytes: Unknown,
    opts: Unknown,
) -> Result<ArrayBuffer<'env>> {
    run(env, || mapping::mmap(env, fd, size_bytes, opts))
}

/// Unmaps and detaches the buffer; a second call throws EINVAL.
#[napi(ts_args_type = "mapping: ArrayBuffer")]
pub fn munmap(env: &Env, mapping: Unknown) -> Result<()> {
    run(env, || unsafe { mapping::munmap(mapping) })
}

/// Writes the mapping's dirty pages to the file and waits (MS_SYNC).
#[napi(ts_args_type = "mapping: ArrayBuffer")]
pub fn msync(env: &Env, mapping: Unknown) -> Result<()> {
    run(env, || unsafe { mapping::msync(mapping) })
}

/// sendfile(socketFd, fileFd, position, count, opts?): sends `count` bytes of the file from
/// `position` to the socket; resolves with `count`. A raw callback (see `module_exports`).
unsafe extern "C" fn sendfile(
    env: napi_sys::napi_env,
    info: napi_sys::napi_callback_info,
) -> napi_sys::napi_value {
    js::raw_call::<5>(
        env,
        info,
        |env, [socket_fd, file_fd, position, count, opts], _| {
            sendfile::sendfile(env, socket_fd, file_fd, position, count, opts)
        },
    )
}

/// One TCP connection's congestion control algorithm (TCP_CONGESTION), e.g. 'cubic'.
#[napi(
    js_name = "setTcpCongestion",
    ts_args_type = "socketFd: number, name: string"
)]
pub fn set_tcp_congestion(env: &Env, socket_fd: Unknown, name: Unknown) -> Result<()> {
    run(env, || unsafe {
        socket::set_tcp_congestion(socket_fd, name)
    })
}

/// The congestion control algorithm a TCP connection uses now.
#[napi(
    js_name = "tcpCongestion",
    ts_args_type = "socketFd: number",
    ts_return_type = "string"
)]
pub fn tcp_congestion(env: &Env, socket_fd: Unknown) -> Result<String> {
    run(env, || unsafe { socket::tcp_congestion(socket_fd) })
}

/// Which CRC32C crc32c() uses: the SSE4.2 instruction or the portable table.
#[napi(
    js_name = "crc32cImplementation",
    ts_return_type = "'sse4.2' | 'table'"
)]
pub fn crc32c_implementation() -> &'static str {
    if crc32c::has_sse42() {
        "sse4.2"
    } else {
        "table"
    }
}

/// flock(LOCK_EX | LOCK_NB): true when taken, false when another open of the file holds it.
#[napi(
    js_name = "tryLockFile",
    ts_args_type = "fd: number",
    ts_return_type = "boolean"
)]
pub fn try_lock_file(env: &Env, fd: Unknown) -> Result<bool> {
    run(env, || process::try_lock_file(fd))
}

/// A promise of the newest modification time (ms since the epoch) of the files under `dir` whose
/// names end with `suffix`; 0 when there is none. The walk runs on a worker thread.
#[napi(
    js_name = "newestModifiedMs",
    ts_args_type = "dir: string, suffix: string",
    ts_return_type = "Promise<number>"
)]
pub fn newest_modified_ms(
    env: &Env,
    dir: Unknown,
    suffix: Unknown,
) -> Result<napi::bindgen_prelude::AsyncTask<process::NewestModified>> {
    run(env, || process::newest_modified_task(dir, suffix))
        .map(napi::bindgen_prelude::AsyncTask::new)
}

/// Raises the soft RLIMIT_NOFILE to the hard limit; returns the limits before and after.
#[napi(js_name = "raiseNofileLimit")]
pub fn raise_nofile_limit(env: &Env) -> Result<NofileLimit> {
    run(env, || unsafe { process::raise_nofile_limit() })
}

type RawCallback =
    unsafe extern "C" fn(napi_sys::napi_env, napi_sys::napi_callback_info) -> napi_sys::napi_value;

/// Adds the raw Node-API callbacks to the exports napi-rs registered: the calls of the log's hot
/// path. napi ≥ 3.13 wraps every `#[napi]` function with arguments in a per-call
/// `NativeBorrowScope` (an `Arc<Mutex<..>>` allocated and freed, four thread-local stack
/// operations): 150-250 ns a call, which doubles a 16-byte CRC32C and added 5-13% to pwritev,
/// pread and the sendfile hand-off (bench/RESULTS.md, "The addon on napi-rs"). These read their
/// arguments with napi-rs's `Unknown` and js.rs like the others, without the scope. Their
/// TypeScript declarations head src/native-addon.d.ts (native/build.sh).
#[napi(module_exports)]
pub fn module_exports(env: Env, mut exports: Object) -> Result<()> {
    let raw: [(&str, RawCallback); 5] = [
        ("crc32c", crc32c_js::crc32c_js),
        ("crc32cTable", crc32c_js::crc32c_table_js),
        ("pwritev", pwritev),
        ("pread", pread),
        ("sendfile", sendfile),
    ];
    for (name, callback) in raw {
        let mut function = null_mut();
        check_status!(unsafe {
            napi_sys::napi_create_function(
                env.raw(),
                name.as_ptr().cast(),
                name.len() as isize,
                Some(callback),
                null_mut(),
                &mut function,
            )
        })?;
        exports.set_named_property(name, unsafe {
            Unknown::from_raw_unchecked(env.raw(), function)
        })?;
    }
    Ok(())
}
