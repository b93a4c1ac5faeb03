//! What the broker asks of the process and its log dirs at start: an exclusive advisory lock on
//! each log dir's `.lock` file (flock, as Kafka's FileLock does through FileChannel.tryLock), and
//! the soft limit on open descriptors raised to the hard one (Kafka's scripts leave that to
//! `ulimit`; a broker with many partitions needs it).

use crate::js::{self, JsResult};
use crate::sys::{self, SysError};
use napi::Unknown;
use napi_derive::napi;

/// tryLockFile(fd): takes flock(LOCK_EX | LOCK_NB) on the open file. Returns true when taken,
/// false when another open file description holds it (another process, or this one through a
/// second open); any other failure throws. The lock lasts until the descriptor is closed or the
/// process ends, whichever comes first.
pub fn try_lock_file(fd_value: Unknown) -> JsResult<bool> {
    let fd = js::fd(&fd_value, "fd")?;
    loop {
        if unsafe { sys::flock(fd, sys::LOCK_EX | sys::LOCK_NB) } == 0 {
            return Ok(true);
        }
        match sys::last_errno() {
            sys::EINTR => continue,
            sys::EAGAIN => return Ok(false),
            errno => {
                return Err(js::JsError::Sys(SysError::new(
                    "flock",
                    format!("fd {fd}"),
                    errno,
                )))
            }
        }
    }
}

/// RLIMIT_NOFILE around raiseNofileLimit(); -1 stands for unlimited.
#[napi(object)]
pub struct NofileLimit {
    pub soft_before: f64,
    pub soft: f64,
    pub hard: f64,
}

/// raiseNofileLimit(): sets the soft RLIMIT_NOFILE to the hard limit. Returns
/// `{ softBefore, soft, hard }` (RLIM_INFINITY as -1).
pub unsafe fn raise_nofile_limit() -> JsResult<NofileLimit> {
    let mut limit = sys::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    if sys::getrlimit(sys::RLIMIT_NOFILE, &mut limit) != 0 {
        return Err(js::JsError::Sys(SysError::last(
            "getrlimit",
            "RLIMIT_NOFILE".into(),
        )));
    }
    let before = limit.rlim_cur;
    if limit.rlim_cur != limit.rlim_max {
        let raised = sys::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        if sys::setrlimit(sys::RLIMIT_NOFILE, &raised) != 0 {
            return Err(js::JsError::Sys(SysError::last(
                "setrlimit",
                "RLIMIT_NOFILE".into(),
            )));
        }
        limit = raised;
    }
    let as_js = |value: u64| {
        if value == sys::RLIM_INFINITY {
            -1.0
        } else {
            value as f64
        }
    };
    Ok(NofileLimit {
        soft_before: as_js(before),
        soft: as_js(limit.rlim_cur),
        hard: as_js(limit.rlim_max),
    })
}
