//! File I/O for log segments: open, positional vectored writes and reads, fdatasync (also on a
//! worker thread for group commit), ftruncate, fallocate and the file size.
//!
//! Every call takes an explicit position: the kernel's file offset is never used and O_APPEND
//! never set, so the log decides where bytes land and a retry cannot duplicate them.

use crate::js::{self, JsError, JsResult};
use crate::mapping;
use crate::sys::{self, SysError};
use napi::{sys as napi_sys, Env, JsValue, Unknown};
use napi_sys::{napi_async_work, napi_deferred, napi_env, napi_status, napi_value};
use std::ffi::c_void;
use std::mem::ManuallyDrop;
use std::os::fd::FromRawFd;
use std::ptr::null_mut;

fn fd_target(fd: i32) -> String {
    format!("fd {fd}")
}

/// Retries a call that failed with EINTR; returns the errno of any other failure.
fn retrying<T: PartialOrd + Default>(mut call: impl FnMut() -> T) -> Result<T, i32> {
    loop {
        let result = call();
        if result >= T::default() {
            return Ok(result);
        }
        let errno = sys::last_errno();
        if errno != sys::EINTR {
            return Err(errno);
        }
    }
}

pub fn open_file(path_value: Unknown, options_value: Unknown) -> JsResult<f64> {
    let path = js::string(&path_value, "path")?;
    let options = js::object(&options_value, "options")?;
    let write = js::bool_property(&options, "write", false)?;
    let create = js::bool_property(&options, "create", false)?;
    let truncate = js::bool_property(&options, "truncate", false)?;
    if truncate && !write {
        return Err(JsError::Type("options.truncate needs options.write".into()));
    }
    let mut flags = sys::O_CLOEXEC | if write { sys::O_RDWR } else { sys::O_RDONLY };
    if create {
        flags |= sys::O_CREAT;
    }
    if truncate {
        flags |= sys::O_TRUNC;
    }
    let c_path = js::cstr(&path);
    let mode: u32 = 0o644;
    let fd = retrying(|| unsafe { sys::open(c_path.as_ptr(), flags, mode) })
        .map_err(|errno| JsError::Sys(SysError::new("open", path.clone(), errno)))?;
    Ok(fd as f64)
}

pub fn close_file(fd_value: Unknown) -> JsResult<()> {
    let fd = js::fd(&fd_value, "fd")?;
    // close() is not retried on EINTR: on Linux the descriptor is released regardless.
    if unsafe { sys::close(fd) } != 0 {
        let errno = sys::last_errno();
        if errno != sys::EINTR {
            return Err(JsError::Sys(SysError::new("close", fd_target(fd), errno)));
        }
    }
    Ok(())
}

/// Writes every buffer, in order, starting at `position`; loops over short writes.
pub unsafe fn pwritev(
    fd_value: Unknown,
    buffers: Unknown,
    position_value: Unknown,
) -> JsResult<f64> {
    let fd = js::fd(&fd_value, "fd")?;
    let position = js::position(&position_value, "position")?;
    let (env, buffers_value) = (buffers.value().env, buffers.raw());
    let mut is_array = false;
    js::check(
        napi_sys::napi_is_array(env, buffers_value, &mut is_array),
        "napi_is_array",
    )?;
    if !is_array {
        return Err(JsError::Type(
            "buffers must be an array of Uint8Array".into(),
        ));
    }
    let mut count = 0u32;
    js::check(
        napi_sys::napi_get_array_length(env, buffers_value, &mut count),
        "napi_get_array_length",
    )?;
    let mut iovecs = Vec::with_capacity(count as usize);
    let mut total = 0usize;
    for index in 0..count {
        let mut element = null_mut();
        js::check(
            napi_sys::napi_get_element(env, buffers_value, index, &mut element),
            "napi_get_element",
        )?;
        let (data, length) = js::bytes(env, element, format_args!("buffers[{index}]"))?;
        if length > 0 {
            iovecs.push(sys::iovec {
                iov_base: data as *const c_void,
                iov_len: length,
            });
            total += length;
        }
    }
    if position as f64 + total as f64 > js::MAX_SAFE_INTEGER {
        return Err(JsError::Range(format!(
            "position {position} + {total} bytes is too large"
        )));
    }
    write_all(fd, &mut iovecs, position)?;
    Ok(total as f64)
}

unsafe fn write_all(fd: i32, iovecs: &mut [sys::iovec], mut position: i64) -> JsResult<()> {
    let mut first = 0usize;
    while first < iovecs.len() {
        let batch = &iovecs[first..(first + sys::IOV_MAX).min(iovecs.len())];
        let written = retrying(|| sys::pwritev(fd, batch.as_ptr(), batch.len() as i32, position))
            .map_err(|errno| JsError::Sys(SysError::new("pwritev", fd_target(fd), errno)))?
            as usize;
        if written == 0 {
            // A regular file never accepts zero bytes of a non-empty write; do not spin.
            return Err(JsError::Sys(SysError::new("pwritev", fd_target(fd), 5)));
        }
        position += written as i64;
        let mut left = written;
        while left > 0 {
            let iov = &mut iovecs[first];
            if left >= iov.iov_len {
                left -= iov.iov_len;
                first += 1;
            } else {
                iov.iov_base = (iov.iov_base as *const u8).add(left) as *const c_void;
                iov.iov_len -= left;
                left = 0;
            }
        }
    }
    Ok(())
}

/// Fills `target` from `position`, stopping early only at end of file.
pub unsafe fn pread(fd_value: Unknown, target: Unknown, position_value: Unknown) -> JsResult<f64> {
    let fd = js::fd(&fd_value, "fd")?;
    let (data, length) = js::bytes(target.value().env, target.raw(), "target")?;
    let position = js::position(&position_value, "position")?;
    let mut done = 0usize;
    while done < length {
        let read = retrying(|| {
            sys::pread(
                fd,
                data.add(done) as *mut c_void,
                length - done,
                position + done as i64,
            )
        })
        .map_err(|errno| JsError::Sys(SysError::new("pread", fd_target(fd), errno)))?;
        if read == 0 {
            break;
        }
        done += read as usize;
    }
    Ok(done as f64)
}

fn sync_data(fd: i32) -> Result<(), i32> {
    retrying(|| unsafe { sys::fdatasync(fd) }).map(|_| ())
}

pub fn fdatasync(fd_value: Unknown) -> JsResult<()> {
    let fd = js::fd(&fd_value, "fd")?;
    sync_data(fd).map_err(|errno| JsError::Sys(SysError::new("fdatasync", fd_target(fd), errno)))
}

/// State of one fdatasync running on the host's worker pool.
struct SyncWork {
    /// What the caller passed, for the error message.
    fd: i32,
    /// A duplicate, so closing `fd` meanwhile cannot make us sync an unrelated file.
    dup_fd: i32,
    errno: i32,
    deferred: napi_deferred,
    work: napi_async_work,
}

/// fdatasync on the host's worker pool, through Node-API's async work (napi-rs's `AsyncTask`
/// would reject with its own error shape, not the errno error src/native.ts documents).
pub unsafe fn fdatasync_async(env: &Env, fd_value: Unknown) -> JsResult<napi_value> {
    let env = env.raw();
    let fd = js::fd(&fd_value, "fd")?;
    let mut deferred = null_mut();
    let mut promise = null_mut();
    js::check(
        napi_sys::napi_create_promise(env, &mut deferred, &mut promise),
        "napi_create_promise",
    )?;
    let dup_fd = match retrying(|| sys::fcntl(fd, sys::F_DUPFD_CLOEXEC, 0)) {
        Ok(dup_fd) => dup_fd,
        Err(errno) => {
            // A failed system call rejects the promise, as it would from the worker thread.
            let error = JsError::Sys(SysError::new("fdatasync", fd_target(fd), errno));
            if let Some(value) = js::error_value(env, &error) {
                napi_sys::napi_reject_deferred(env, deferred, value);
            }
            return Ok(promise);
        }
    };
    let state = Box::into_raw(Box::new(SyncWork {
        fd,
        dup_fd,
        errno: 0,
        deferred,
        work: null_mut(),
    }));
    let mut name = null_mut();
    js::check(
        napi_sys::napi_create_string_utf8(env, c"sluice.fdatasync".as_ptr(), 16, &mut name),
        "napi_create_string_utf8",
    )?;
    let created = napi_sys::napi_create_async_work(
        env,
        null_mut(),
        name,
        Some(sync_execute),
        Some(sync_complete),
        state as *mut c_void,
        &mut (*state).work,
    );
    if created != napi_sys::Status::napi_ok
        || napi_sys::napi_queue_async_work(env, (*state).work) != napi_sys::Status::napi_ok
    {
        let state = Box::from_raw(state);
        sys::close(state.dup_fd);
        return js::check(
            napi_sys::Status::napi_generic_failure,
            "napi_create_async_work",
        )
        .map(|_| promise);
    }
    Ok(promise)
}

unsafe extern "C" fn sync_execute(_env: napi_env, data: *mut c_void) {
    let state = &mut *(data as *mut SyncWork);
    state.errno = sync_data(state.dup_fd).err().unwrap_or(0);
}

unsafe extern "C" fn sync_complete(env: napi_env, _status: napi_status, data: *mut c_void) {
    let state = Box::from_raw(data as *mut SyncWork);
    sys::close(state.dup_fd);
    napi_sys::napi_delete_async_work(env, state.work);
    if state.errno == 0 {
        let mut undefined = null_mut();
        napi_sys::napi_get_undefined(env, &mut undefined);
        napi_sys::napi_resolve_deferred(env, state.deferred, undefined);
        return;
    }
    let error = JsError::Sys(SysError::new("fdatasync", fd_target(state.fd), state.errno));
    if let Some(value) = js::error_value(env, &error) {
        napi_sys::napi_reject_deferred(env, state.deferred, value);
    }
}

/// Sets the file size. Refuses to cut into a live mmap of the same file: touching a mapped
/// page past the end of file raises SIGBUS, which would kill the process.
pub fn ftruncate(fd_value: Unknown, size_value: Unknown) -> JsResult<()> {
    let fd = js::fd(&fd_value, "fd")?;
    let size = js::position(&size_value, "sizeBytes")?;
    if mapping::any_live() {
        let identity = stat(fd)?.identity;
        if let Some(mapped) = mapping::longest_of(identity).filter(|&length| length as i64 > size) {
            let mut error = SysError::new("ftruncate", fd_target(fd), sys::EBUSY);
            error.detail = Some(format!(
                "a live mmap of {mapped} bytes covers this file; munmap it before truncating to {size}"
            ));
            return Err(JsError::Sys(error));
        }
    }
    retrying(|| unsafe { sys::ftruncate(fd, size) })
        .map_err(|errno| JsError::Sys(SysError::new("ftruncate", fd_target(fd), errno)))?;
    Ok(())
}

/// fallocate's and preallocate's arguments: a descriptor and a non-empty range that fits in a
/// safe integer.
fn fallocate_args(
    fd_value: Unknown,
    position_value: Unknown,
    size_value: Unknown,
) -> JsResult<(i32, i64, i64)> {
    let fd = js::fd(&fd_value, "fd")?;
    let position = js::position(&position_value, "position")?;
    let size = js::position(&size_value, "sizeBytes")?;
    if size == 0 {
        return Err(JsError::Range("sizeBytes must be greater than 0".into()));
    }
    if position as f64 + size as f64 > js::MAX_SAFE_INTEGER {
        return Err(JsError::Range(format!(
            "position {position} + sizeBytes {size} is too large"
        )));
    }
    Ok((fd, position, size))
}

/// Reserves blocks for [position, position + size) without changing the file's size
/// (FALLOC_FL_KEEP_SIZE): a hint that lets later writes there skip the filesystem's per-page
/// block reservation. False where the filesystem cannot (EOPNOTSUPP, ENOSYS) or has no room
/// (ENOSPC, EDQUOT): the write that follows reports a real shortage itself.
pub fn preallocate(
    fd_value: Unknown,
    position_value: Unknown,
    size_value: Unknown,
) -> JsResult<bool> {
    let (fd, position, size) = fallocate_args(fd_value, position_value, size_value)?;
    match retrying(|| unsafe { sys::fallocate(fd, sys::FALLOC_FL_KEEP_SIZE, position, size) }) {
        Ok(_) => Ok(true),
        Err(sys::EOPNOTSUPP | sys::ENOSYS | sys::ENOSPC | sys::EDQUOT) => Ok(false),
        Err(errno) => Err(JsError::Sys(SysError::new(
            "fallocate",
            fd_target(fd),
            errno,
        ))),
    }
}

/// Reserves blocks for [position, position + size) and extends the file to cover it.
/// Filesystems without fallocate (EOPNOTSUPP: tmpfs before 3.5, some FUSE) get ftruncate, which
/// extends the size but reserves nothing.
pub fn fallocate(fd_value: Unknown, position_value: Unknown, size_value: Unknown) -> JsResult<()> {
    let (fd, position, size) = fallocate_args(fd_value, position_value, size_value)?;
    match retrying(|| unsafe { sys::fallocate(fd, 0, position, size) }) {
        Ok(_) => {}
        Err(sys::EOPNOTSUPP) => {
            let end = position + size;
            if size_of(fd)? < end {
                retrying(|| unsafe { sys::ftruncate(fd, end) }).map_err(|errno| {
                    JsError::Sys(SysError::new("ftruncate", fd_target(fd), errno))
                })?;
            }
        }
        Err(errno) => {
            return Err(JsError::Sys(SysError::new(
                "fallocate",
                fd_target(fd),
                errno,
            )))
        }
    }
    Ok(())
}

/// What fstat says about a descriptor: the size, and the file's identity (device, inode).
pub struct Stat {
    pub size: i64,
    pub identity: (u64, u64),
}

pub fn stat(fd: i32) -> JsResult<Stat> {
    use std::os::unix::fs::MetadataExt;
    // std's metadata() is fstat/statx on the descriptor; ManuallyDrop keeps it open.
    let file = ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(fd) });
    match file.metadata() {
        Ok(metadata) => Ok(Stat {
            size: metadata.len() as i64,
            identity: (metadata.dev(), metadata.ino()),
        }),
        Err(error) => Err(JsError::Sys(SysError::new(
            "fstat",
            fd_target(fd),
            error.raw_os_error().unwrap_or(sys::EINVAL),
        ))),
    }
}

pub fn size_of(fd: i32) -> JsResult<i64> {
    Ok(stat(fd)?.size)
}

pub fn file_size(fd_value: Unknown) -> JsResult<f64> {
    let fd = js::fd(&fd_value, "fd")?;
    Ok(size_of(fd)? as f64)
}
