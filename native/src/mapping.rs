//! Memory maps of index files, handed to JavaScript as an ArrayBuffer over the mapping so that
//! offset-index lookups run in TypeScript without copies.
//!
//! Safety rests on one registry of live mappings keyed by address: `munmap` detaches the
//! ArrayBuffer before unmapping (so later access sees a zero-length buffer instead of
//! faulting), a second `munmap` or a foreign ArrayBuffer is refused, and the garbage collector's
//! finalizer unmaps only a mapping still registered under the same id (an address can be reused
//! by a later mmap once the first is gone).

use crate::file;
use crate::js::{self, JsError, JsResult};
use crate::napi::*;
use crate::sys::{self, SysError};
use std::collections::HashMap;
use std::ffi::c_void;
use std::ptr::null_mut;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

struct Mapping {
    id: usize,
    length: usize,
    /// (device, inode) of the mapped file, so ftruncate can refuse to cut under a mapping.
    identity: (u64, u64),
}

static MAPPINGS: Mutex<Option<HashMap<usize, Mapping>>> = Mutex::new(None);
static NEXT_ID: AtomicUsize = AtomicUsize::new(1);

fn with_registry<T>(body: impl FnOnce(&mut HashMap<usize, Mapping>) -> T) -> T {
    let mut guard = MAPPINGS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    body(guard.get_or_insert_with(HashMap::new))
}

pub fn any_live() -> bool {
    with_registry(|registry| !registry.is_empty())
}

/// The length of the longest live mapping of the file with this (device, inode).
pub fn longest_of(identity: (u64, u64)) -> Option<usize> {
    with_registry(|registry| {
        registry
            .values()
            .filter(|m| m.identity == identity)
            .map(|m| m.length)
            .max()
    })
}

pub unsafe fn mmap(env: napi_env, info: napi_callback_info) -> JsResult<napi_value> {
    let [fd_value, size_value, options_value] = js::args::<3>(env, info)?;
    let fd = js::fd(env, fd_value, "fd")?;
    let length = js::position(env, size_value, "sizeBytes")? as usize;
    let options = js::object(env, options_value, "options")?;
    let write = js::bool_property(env, options, "write", false)?;
    if length == 0 {
        return Err(JsError::Range("sizeBytes must be greater than 0".into()));
    }
    // Pages past the end of file raise SIGBUS when touched: map only what the file holds.
    let stat = file::stat(fd).map_err(|error| match error {
        JsError::Sys(sys) => JsError::Sys(SysError {
            syscall: "mmap",
            ..sys
        }),
        other => other,
    })?;
    if length as i64 > stat.size {
        return Err(JsError::Range(format!(
            "mmap fd {fd}: sizeBytes {length} exceeds the file size {}; extend it first",
            stat.size
        )));
    }
    let protection = if write {
        sys::PROT_READ | sys::PROT_WRITE
    } else {
        sys::PROT_READ
    };
    let address = sys::mmap(null_mut(), length, protection, sys::MAP_SHARED, fd, 0);
    if address as isize == -1 {
        return Err(JsError::Sys(SysError::last("mmap", format!("fd {fd}"))));
    }
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    with_registry(|registry| {
        registry.insert(
            address as usize,
            Mapping {
                id,
                length,
                identity: stat.identity,
            },
        )
    });
    let mut buffer = null_mut();
    let status = napi_create_external_arraybuffer(
        env,
        address,
        length,
        Some(finalize_mapping),
        id as *mut c_void,
        &mut buffer,
    );
    if status != NAPI_OK {
        with_registry(|registry| registry.remove(&(address as usize)));
        sys::munmap(address, length);
        return Err(JsError::Napi("napi_create_external_arraybuffer"));
    }
    Ok(buffer)
}

/// The garbage collector dropped an ArrayBuffer that was never munmap'd: unmap it now.
unsafe extern "C" fn finalize_mapping(_env: napi_env, data: *mut c_void, hint: *mut c_void) {
    let id = hint as usize;
    let owned = with_registry(|registry| match registry.get(&(data as usize)) {
        Some(mapping) if mapping.id == id => registry.remove(&(data as usize)),
        _ => None,
    });
    if let Some(mapping) = owned {
        sys::munmap(data, mapping.length);
    }
}

/// The address and length of a live mapping behind `value`, or an error that says why not.
unsafe fn live_mapping(
    env: napi_env,
    value: napi_value,
    syscall: &'static str,
) -> JsResult<(usize, usize)> {
    let mut is_buffer = false;
    js::check(
        napi_is_arraybuffer(env, value, &mut is_buffer),
        "napi_is_arraybuffer",
    )?;
    if !is_buffer {
        return Err(JsError::Type(format!(
            "{syscall}: mapping must be an ArrayBuffer from mmap()"
        )));
    }
    let mut detached = false;
    js::check(
        napi_is_detached_arraybuffer(env, value, &mut detached),
        "napi_is_detached_arraybuffer",
    )?;
    let (mut data, mut length) = (null_mut(), 0usize);
    if !detached {
        js::check(
            napi_get_arraybuffer_info(env, value, &mut data, &mut length),
            "napi_get_arraybuffer_info",
        )?;
    }
    let registered = with_registry(|registry| registry.get(&(data as usize)).map(|m| m.length));
    match registered {
        Some(registered_length) if !detached && registered_length == length => {
            Ok((data as usize, length))
        }
        _ => {
            let mut error = SysError::new(syscall, "mapping".into(), sys::EINVAL);
            error.detail = Some("not a live mapping from mmap(); already unmapped?".into());
            Err(JsError::Sys(error))
        }
    }
}

pub unsafe fn munmap(env: napi_env, info: napi_callback_info) -> JsResult<napi_value> {
    let [mapping_value] = js::args::<1>(env, info)?;
    let (address, length) = live_mapping(env, mapping_value, "munmap")?;
    // Unregister first so a finalizer run by the detach cannot unmap it a second time.
    let mapping = with_registry(|registry| registry.remove(&address)).expect("checked live");
    if napi_detach_arraybuffer(env, mapping_value) != NAPI_OK {
        // Unmapping a buffer JavaScript can still read would turn the next read into SIGSEGV.
        with_registry(|registry| registry.insert(address, mapping));
        return Err(JsError::Napi("napi_detach_arraybuffer"));
    }
    if sys::munmap(address as *mut c_void, length) != 0 {
        return Err(JsError::Sys(SysError::last("munmap", "mapping".into())));
    }
    js::undefined(env)
}

pub unsafe fn msync(env: napi_env, info: napi_callback_info) -> JsResult<napi_value> {
    let [mapping_value] = js::args::<1>(env, info)?;
    let (address, length) = live_mapping(env, mapping_value, "msync")?;
    loop {
        if sys::msync(address as *mut c_void, length, sys::MS_SYNC) == 0 {
            break;
        }
        let errno = sys::last_errno();
        if errno != sys::EINTR {
            return Err(JsError::Sys(SysError::new(
                "msync",
                "mapping".into(),
                errno,
            )));
        }
    }
    js::undefined(env)
}
