//! TCP options that Bun's socket API does not reach: the congestion control algorithm of one
//! connection (TCP_CONGESTION).
//!
//! Why a broker sets it: with BBR as the system's default, a fetch response is paced by BBR's
//! estimate of the path's bandwidth, which request/response traffic keeps low (the samples are
//! application-limited). On loopback there is no bottleneck link to protect, so the pacing only
//! costs time: one consumer read 0.5-1.2 GB/s with BBR and 1.5-1.7 GB/s with CUBIC on the same
//! data, and the broker spent 3-5 times the CPU per byte in BBR's pacing timers.

use crate::js::{self, JsError, JsResult};
use crate::sys::{self, SysError};
use napi::Unknown;
use std::ffi::c_void;

/// TCP_CA_NAME_MAX in the kernel, including the terminating NUL.
const CA_NAME_MAX: usize = 16;

/// setTcpCongestion(socketFd, name): one connection's congestion control, e.g. "cubic".
/// The name must be in net.ipv4.tcp_allowed_congestion_control (or the caller privileged),
/// else EPERM; an unknown one is ENOENT.
pub unsafe fn set_tcp_congestion(fd_value: Unknown, name_value: Unknown) -> JsResult<()> {
    let fd = js::fd(&fd_value, "socketFd")?;
    let name = js::string(&name_value, "name")?;
    if name.is_empty() || name.len() >= CA_NAME_MAX || name.contains('\0') {
        return Err(JsError::Range(format!(
            "name must be 1 to {} bytes without NUL, got {:?}",
            CA_NAME_MAX - 1,
            name
        )));
    }
    let status = sys::setsockopt(
        fd,
        sys::IPPROTO_TCP,
        sys::TCP_CONGESTION,
        name.as_ptr() as *const c_void,
        name.len() as u32,
    );
    if status < 0 {
        return Err(JsError::Sys(SysError::last(
            "setsockopt",
            format!("socket {fd} TCP_CONGESTION {name}"),
        )));
    }
    Ok(())
}

/// tcpCongestion(socketFd): the congestion control algorithm the connection uses now.
pub unsafe fn tcp_congestion(fd_value: Unknown) -> JsResult<String> {
    let fd = js::fd(&fd_value, "socketFd")?;
    let mut name = [0u8; CA_NAME_MAX];
    let mut length = name.len() as u32;
    let status = sys::getsockopt(
        fd,
        sys::IPPROTO_TCP,
        sys::TCP_CONGESTION,
        name.as_mut_ptr() as *mut c_void,
        &mut length,
    );
    if status < 0 {
        return Err(JsError::Sys(SysError::last(
            "getsockopt",
            format!("socket {fd} TCP_CONGESTION"),
        )));
    }
    let used = &name[..(length as usize).min(name.len())];
    let end = used.iter().position(|&b| b == 0).unwrap_or(used.len());
    Ok(String::from_utf8_lossy(&used[..end]).into_owned())
}
