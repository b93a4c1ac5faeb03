//! The addon's hot calls bound with napi-rs, in the ways napi-rs offers, for
//! bench/native/napi-rs.bench.ts to compare with the hand-written binding in native/src.
//!
//! Compiled twice, against napi 3.16 (napi-3.16/) and napi 3.12 (napi-3.12/): the two differ in
//! what every `#[napi]` function with arguments does around the call (3.13 added the
//! `NativeBorrowScope`). The `*Raw` functions are plain `napi::sys` callbacks, as the
//! hand-written addon's are, registered through `#[napi(module_exports)]`: the shape a hybrid
//! port would keep for the hottest calls. Argument checks are left out on both sides of the
//! comparison only where the hand-written binding has them for free (it has them all), so these
//! bindings are if anything a little cheaper than a faithful port would be.
//!
//! The CRC32C itself is native/src/crc32c.rs, compiled in unchanged.
#![allow(dead_code, clippy::missing_safety_doc)]

#[path = "../../../../native/src/crc32c.rs"]
mod crc32c;

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;
use std::ffi::c_void;
use std::ptr::null_mut;

#[repr(C)]
struct Iovec {
    base: *const c_void,
    len: usize,
}

extern "C" {
    fn pwritev(fd: i32, iov: *const Iovec, count: i32, position: i64) -> isize;
    fn sendfile(out_fd: i32, in_fd: i32, position: *mut i64, count: usize) -> isize;
    fn mmap(
        address: *mut c_void,
        length: usize,
        prot: i32,
        flags: i32,
        fd: i32,
        offset: i64,
    ) -> *mut c_void;
    fn munmap(address: *mut c_void, length: usize) -> i32;
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// What a raw callback reads first: its arguments, `undefined` past the ones passed.
unsafe fn raw_args<const N: usize>(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> [sys::napi_value; N] {
    let mut argv = [null_mut(); N];
    let mut argc = N;
    sys::napi_get_cb_info(
        env,
        info,
        &mut argc,
        argv.as_mut_ptr(),
        null_mut(),
        null_mut(),
    );
    argv
}

/// The bytes of a TypedArray, as `native/src/js.rs`'s `bytes` reads them.
unsafe fn raw_bytes(env: sys::napi_env, value: sys::napi_value) -> Option<(*mut c_void, usize)> {
    let (mut kind, mut length, mut data) = (0, 0usize, null_mut::<c_void>());
    let status = sys::napi_get_typedarray_info(
        env,
        value,
        &mut kind,
        &mut length,
        &mut data,
        null_mut(),
        null_mut(),
    );
    (status == sys::Status::napi_ok).then_some((data, length))
}

// ---- crc32c ---------------------------------------------------------------------------------

/// Borrowed view: one napi_get_typedarray_info, no reference.
#[napi(js_name = "crc32cSlice")]
pub fn crc32c_slice(data: &[u8]) -> u32 {
    crc32c::crc32c(data, 0)
}

/// The full signature with napi-rs's optional arguments (each `Option` costs a napi_typeof).
#[napi(js_name = "crc32cSliceOptions")]
pub fn crc32c_slice_options(
    data: &[u8],
    start: Option<u32>,
    end: Option<u32>,
    seed: Option<u32>,
) -> Result<u32> {
    let start = start.unwrap_or(0) as usize;
    let end = end.map_or(data.len(), |end| end as usize);
    if start > end || end > data.len() {
        return Err(Error::new(
            Status::InvalidArg,
            format!(
                "start {start} and end {end} do not fit {} bytes",
                data.len()
            ),
        ));
    }
    Ok(crc32c::crc32c(&data[start..end], seed.unwrap_or(0)))
}

/// As `crc32cSlice`, with panics caught as the hand-written binding catches them.
#[napi(js_name = "crc32cSliceCatchUnwind", catch_unwind)]
pub fn crc32c_slice_catch_unwind(data: &[u8]) -> u32 {
    crc32c::crc32c(data, 0)
}

/// Owned typed array: napi-rs creates a napi_ref on the way in and deletes it on drop.
#[napi(js_name = "crc32cUint8Array")]
pub fn crc32c_uint8_array(data: Uint8Array) -> u32 {
    crc32c::crc32c(&data, 0)
}

/// `Buffer`, what the napi-rs 2 trial used: also a napi_ref per call.
#[napi(js_name = "crc32cBuffer")]
pub fn crc32c_buffer(data: Buffer) -> u32 {
    crc32c::crc32c(&data, 0)
}

unsafe extern "C" fn crc32c_raw(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    let argv = raw_args::<1>(env, info);
    let Some((data, length)) = raw_bytes(env, argv[0]) else {
        sys::napi_throw_type_error(env, null_mut(), c"data must be a Uint8Array".as_ptr());
        return null_mut();
    };
    let bytes = if length == 0 {
        &[][..]
    } else {
        std::slice::from_raw_parts(data as *const u8, length)
    };
    let mut out = null_mut();
    sys::napi_create_uint32(env, crc32c::crc32c(bytes, 0), &mut out);
    out
}

// ---- pwritev --------------------------------------------------------------------------------

fn write_all(fd: i32, iovecs: &[Iovec], position: i64) -> Result<f64> {
    let total: usize = iovecs.iter().map(|iovec| iovec.len).sum();
    let written = unsafe { pwritev(fd, iovecs.as_ptr(), iovecs.len() as i32, position) };
    if written < 0 || written as usize != total {
        let errno = errno();
        return Err(Error::new(
            Status::GenericFailure,
            format!("pwritev fd {fd}: errno {errno}"),
        ));
    }
    Ok(total as f64)
}

/// `Vec<&[u8]>`: napi-rs reads the array and borrows each element's bytes.
#[napi(js_name = "pwritevVec")]
pub fn pwritev_vec(fd: i32, buffers: Vec<&[u8]>, position: i64) -> Result<f64> {
    let iovecs: Vec<Iovec> = buffers
        .iter()
        .map(|buffer| Iovec {
            base: buffer.as_ptr().cast(),
            len: buffer.len(),
        })
        .collect();
    write_all(fd, &iovecs, position)
}

unsafe extern "C" fn pwritev_raw(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    let argv = raw_args::<3>(env, info);
    let (mut fd, mut position, mut count) = (0f64, 0f64, 0u32);
    sys::napi_get_value_double(env, argv[0], &mut fd);
    sys::napi_get_value_double(env, argv[2], &mut position);
    sys::napi_get_array_length(env, argv[1], &mut count);
    let mut iovecs = Vec::with_capacity(count as usize);
    for index in 0..count {
        let mut element = null_mut();
        sys::napi_get_element(env, argv[1], index, &mut element);
        let (data, length) = raw_bytes(env, element).unwrap_or((null_mut(), 0));
        iovecs.push(Iovec {
            base: data,
            len: length,
        });
    }
    let total = write_all(fd as i32, &iovecs, position as i64).unwrap_or(-1.0);
    let mut out = null_mut();
    sys::napi_create_double(env, total, &mut out);
    out
}

// ---- sendfile hand-off: everything sent at once, the promise settled before returning -------

/// `PromiseRaw::resolve`: napi_create_promise + napi_resolve_deferred, as the hand-written.
#[napi(js_name = "sendfilePromiseRaw")]
pub fn sendfile_promise_raw(
    env: &Env,
    socket_fd: i32,
    file_fd: i32,
    position: i64,
    count: i64,
) -> Result<PromiseRaw<'_, f64>> {
    let mut offset = position;
    let sent = unsafe { sendfile(socket_fd, file_fd, &mut offset, count as usize) };
    if sent < 0 {
        let errno = errno();
        return PromiseRaw::reject(
            env,
            Error::new(Status::GenericFailure, format!("errno {errno}")),
        );
    }
    PromiseRaw::resolve(env, sent as f64)
}

/// `Env::create_deferred`, napi-rs's general promise: it creates a threadsafe function per
/// promise and settles through it on a later turn of the event loop.
#[napi(js_name = "sendfileDeferred")]
pub fn sendfile_deferred(
    env: &Env,
    socket_fd: i32,
    file_fd: i32,
    position: i64,
    count: i64,
) -> Result<Object<'_>> {
    let (deferred, promise) = env.create_deferred::<f64, _>()?;
    let mut offset = position;
    let sent = unsafe { sendfile(socket_fd, file_fd, &mut offset, count as usize) };
    if sent < 0 {
        let errno = errno();
        deferred.reject(Error::new(Status::GenericFailure, format!("errno {errno}")));
    } else {
        deferred.resolve(move |_| Ok(sent as f64));
    }
    Ok(promise)
}

unsafe extern "C" fn sendfile_raw(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    let argv = raw_args::<4>(env, info);
    let mut numbers = [0f64; 4];
    for (value, number) in argv.iter().zip(numbers.iter_mut()) {
        sys::napi_get_value_double(env, *value, number);
    }
    let (mut deferred, mut promise) = (null_mut(), null_mut());
    sys::napi_create_promise(env, &mut deferred, &mut promise);
    let mut offset = numbers[2] as i64;
    let sent = sendfile(
        numbers[0] as i32,
        numbers[1] as i32,
        &mut offset,
        numbers[3] as usize,
    );
    let mut out = null_mut();
    sys::napi_create_double(env, sent as f64, &mut out);
    sys::napi_resolve_deferred(env, deferred, out);
    promise
}

// ---- mmap: an external ArrayBuffer over the mapping, unmapped by its finalizer --------------

#[napi(js_name = "mmap")]
pub fn mmap_napi_rs(env: &Env, fd: i32, size_bytes: i64) -> Result<ArrayBuffer<'_>> {
    let length = size_bytes as usize;
    let address = unsafe { mmap(null_mut(), length, 1, 1, fd, 0) };
    if address as isize == -1 {
        let errno = errno();
        return Err(Error::new(
            Status::GenericFailure,
            format!("mmap fd {fd}: errno {errno}"),
        ));
    }
    unsafe {
        ArrayBuffer::from_external(env, address.cast(), length, length, move |_, length| {
            munmap(address, length);
        })
    }
}

type RawCallback = unsafe extern "C" fn(sys::napi_env, sys::napi_callback_info) -> sys::napi_value;

#[napi(module_exports)]
pub fn module_exports(env: Env, mut exports: Object) -> Result<()> {
    let raw: [(&str, RawCallback); 3] = [
        ("crc32cRaw", crc32c_raw),
        ("pwritevRaw", pwritev_raw),
        ("sendfileRaw", sendfile_raw),
    ];
    for (name, callback) in raw {
        let mut function = null_mut();
        check_status!(unsafe {
            sys::napi_create_function(
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
