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
use crate::sys::{self, SysError};
use napi::bindgen_prelude::ArrayBuffer;
use napi::{sys as napi_sys, Env, JsValue, Unknown};
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

pub fn mmap<'env>(
    env: &'env Env,
    fd_value: Unknown,
    size_value: Unknown,
    options_value: Unknown,
) -> JsResult<ArrayBuffer<'env>> {
    let fd = js::fd(&fd_value, "fd")?;
    let length = js::position(&size_value, "sizeBytes")? as usize;
    let options = js::object(&options_value, "options")?;
    let write = js::bool_property(&options, "write", false)?;
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
    let address = unsafe { sys::mmap(null_mut(), length, protection, sys::MAP_SHARED, fd, 0) };
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
    // The finalizer runs when the garbage collector drops an ArrayBuffer never munmap'd.
    let created = unsafe {
        ArrayBuffer::from_external(env, address.cast(), length, id, move |_, id| {
            finalize_mapping(address as usize, id)
        })
    };
    created.map_err(|error| {
        with_registry(|registry| registry.remove(&(address as usize)));
        unsafe { sys::munmap(address, length) };
        JsError::Napi(error)
    })
}

/// The garbage collector dropped an ArrayBuffer that was never munmap'd: unmap it now.
fn finalize_mapping(address: usize, id: usize) {
    let owned = with_registry(|registry| match registry.get(&address) {
        Some(mapping) if mapping.id == id => registry.remove(&address),
        _ => None,
    });
    if let Some(mapping) = owned {
        unsafe { sys::munmap(address as *mut c_void, mapping.length) };
    }
}

/// The address and length of a live mapping behind `value`, or an error that says why not.
unsafe fn live_mapping(mapping: &Unknown, syscall: &'static str) -> JsResult<(usize, usize)> {
    let (env, value) = (mapping.value().env, mapping.raw());
    let mut is_buffer = false;
    js::check(
        napi_sys::napi_is_arraybuffer(env, value, &mut is_buffer),
        "napi_is_arraybuffer",
    )?;
    if !is_buffer {
        return Err(JsError::Type(format!(
            "{syscall}: mapping must be an ArrayBuffer from mmap()"
        )));
    }
    let mut detached = false;
    js::check(
        napi_sys::napi_is_detached_arraybuffer(env, value, &mut detached),
        "napi_is_detached_arraybuffer",
    )?;
    let (mut data, mut length) = (null_mut(), 0usize);
    if !detached {
        js::check(
            napi_sys::napi_get_arraybuffer_info(env, value, &mut data, &mut length),
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

pub unsafe fn munmap(mapping_value: Unknown) -> JsResult<()> {
    let (address, length) = live_mapping(&mapping_value, "munmap")?;
    // Unregister first so a finalizer run by the detach cannot unmap it a second time.
    let mapping = with_registry(|registry| registry.remove(&address)).expect("checked live");
    let detached =
        napi_sys::napi_detach_arraybuffer(mapping_value.value().env, mapping_value.raw());
    if detached != napi_sys::Status::napi_ok {
        // Unmapping a buffer JavaScript can still read would turn the next read into SIGSEGV.
        with_registry(|registry| registry.insert(address, mapping));
        return js::check(detached, "napi_detach_arraybuffer");
    }
    if sys::munmap(address as *mut c_void, length) != 0 {
        return Err(JsError::Sys(SysError::last("munmap", "mapping".into())));
    }
    Ok(())
}

pub unsafe fn msync(mapping_value: Unknown) -> JsResult<()> {
    let (address, length) = live_mapping(&mapping_value, "msync")?;
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
    Ok(())
}
