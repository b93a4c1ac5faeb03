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

/// newestModifiedMs(dir, suffix): a promise of the newest modification time, in milliseconds
/// since the epoch, of the files under `dir` (recursively; symbolic links are not followed) whose
/// names end with `suffix`, or 0 when there is none. The walk runs on a worker thread.
/// bin/sluice's freshness check of a checkout's src/ (scripts/compiled-entry.ts): some 240 stat
/// calls, 1.1 ms on this VM, while the main thread loads the command line's code.
pub struct NewestModified {
    dir: String,
    suffix: String,
}

impl napi::Task for NewestModified {
    type Output = f64;
    type JsValue = f64;

    fn compute(&mut self) -> napi::Result<f64> {
        newest_modified_ms(&self.dir, &self.suffix)
            .map_err(|error| napi::Error::from_reason(error.message()))
    }

    fn resolve(&mut self, _env: napi::Env, output: f64) -> napi::Result<f64> {
        Ok(output)
    }
}

pub fn newest_modified_task(dir_value: Unknown, suffix_value: Unknown) -> JsResult<NewestModified> {
    Ok(NewestModified {
        dir: js::string(&dir_value, "dir")?,
        suffix: js::string(&suffix_value, "suffix")?,
    })
}

fn newest_modified_ms(dir: &str, suffix: &str) -> Result<f64, SysError> {
    let mut newest = 0f64;
    let mut pending = vec![std::path::PathBuf::from(dir)];
    while let Some(path) = pending.pop() {
        let entries =
            std::fs::read_dir(&path).map_err(|error| io_error("opendir", &path, error))?;
        for entry in entries {
            let entry = entry.map_err(|error| io_error("readdir", &path, error))?;
            let kind = entry
                .file_type()
                .map_err(|error| io_error("stat", &entry.path(), error))?;
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() && entry.file_name().to_string_lossy().ends_with(suffix) {
                let modified = entry
                    .metadata()
                    .and_then(|metadata| metadata.modified())
                    .map_err(|error| io_error("stat", &entry.path(), error))?;
                let ms = modified
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0f64, |since| since.as_secs_f64() * 1000.0);
                newest = newest.max(ms);
            }
        }
    }
    Ok(newest)
}

fn io_error(syscall: &'static str, path: &std::path::Path, error: std::io::Error) -> SysError {
    SysError::new(
        syscall,
        path.display().to_string(),
        error.raw_os_error().unwrap_or(0),
    )
}
