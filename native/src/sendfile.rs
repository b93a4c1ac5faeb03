//! sendfile(2) from a segment file to a client socket, completing the whole `count` bytes even
//! though Bun's sockets are non-blocking.
//!
//! The calling thread sends what the socket buffer takes at once; that is the whole transfer
//! for most fetches. On EAGAIN the rest goes to one poller thread shared by all transfers: it
//! poll()s every waiting socket for POLLOUT, sends more as space frees, and settles each
//! promise through a thread-safe function. One thread for all waiting transfers means a slow
//! consumer never occupies a worker the log's fdatasync needs.
//!
//! The poller works on duplicates of both descriptors, so if the caller closes the socket or a
//! retention pass closes the segment meanwhile, the transfer still writes the right bytes to
//! the right peer (or fails cleanly) instead of hitting a reused descriptor number. Each
//! transfer has a deadline (30 s by default); a peer that stops reading gets ETIMEDOUT.
//!
//! A write to a dead peer raises SIGPIPE unless ignored or blocked: the poller thread blocks
//! it; on the calling thread we rely on the host, and both Node and Bun ignore SIGPIPE.

use crate::js::{self, JsError, JsResult};
use crate::sys::{self, SysError};
use napi::sys::{self as napi_sys, napi_deferred, napi_env, napi_threadsafe_function, napi_value};
use napi::{Env, Unknown};
use std::ffi::c_void;
use std::ptr::null_mut;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

const DEFAULT_TIMEOUT_MS: f64 = 30_000.0;
const MAX_TIMEOUT_MS: f64 = 3_600_000.0;
/// Linux transfers at most this much per sendfile call.
const MAX_CHUNK_BYTES: usize = 0x7fff_f000;

struct Transfer {
    socket_fd: i32,
    file_fd: i32,
    /// Descriptors actually written/read: the caller's on the fast path, duplicates after.
    out_fd: i32,
    in_fd: i32,
    position: i64,
    count: usize,
    sent: usize,
    deadline: Instant,
    outcome: Option<Result<usize, SysError>>,
    deferred: napi_deferred,
    tsfn: napi_threadsafe_function,
}

// SAFETY: the napi handles inside are only used on the JS thread (the deferred) or through
// the thread-safe function API, which is meant to be called from other threads.
unsafe impl Send for Transfer {}

enum Step {
    Done,
    WouldBlock,
    Failed(SysError),
}

impl Transfer {
    fn target(&self) -> String {
        format!("socket {} from fd {}", self.socket_fd, self.file_fd)
    }

    /// Sends until done, EAGAIN or an error.
    fn pump(&mut self) -> Step {
        while self.sent < self.count {
            let chunk = (self.count - self.sent).min(MAX_CHUNK_BYTES);
            let sent = unsafe { sys::sendfile(self.out_fd, self.in_fd, &mut self.position, chunk) };
            if sent > 0 {
                self.sent += sent as usize;
                continue;
            }
            if sent == 0 {
                let mut error = SysError::new("sendfile", self.target(), sys::ENODATA);
                error.detail = Some(format!(
                    "short file: nothing to read at position {}, {} of {} bytes unsent",
                    self.position,
                    self.count - self.sent,
                    self.count
                ));
                return Step::Failed(error);
            }
            match sys::last_errno() {
                sys::EINTR => continue,
                sys::EAGAIN => return Step::WouldBlock,
                errno => return Step::Failed(SysError::new("sendfile", self.target(), errno)),
            }
        }
        Step::Done
    }
}

/// The promise is Node-API's own (napi_create_promise): the fast path settles it before the
/// call returns, and the poller settles it from its thread-safe function. napi-rs's
/// `Env::create_deferred` would add a thread-safe function per call and settle a turn later
/// (twice the cost, bench/RESULTS.md); its `ThreadsafeFunction` needs a JS function to call.
pub unsafe fn sendfile(
    env: &Env,
    socket_value: Unknown,
    file_value: Unknown,
    position_value: Unknown,
    count_value: Unknown,
    options_value: Unknown,
) -> JsResult<napi_value> {
    let env = env.raw();
    let socket_fd = js::fd(&socket_value, "socketFd")?;
    let file_fd = js::fd(&file_value, "fileFd")?;
    let position = js::position(&position_value, "position")?;
    let count = js::position(&count_value, "count")? as usize;
    let mut timeout_ms = DEFAULT_TIMEOUT_MS;
    if !js::is_nullish(&options_value)? {
        let options = js::object(&options_value, "options")?;
        let value = js::property(&options, "timeoutMs")?;
        timeout_ms = js::optional_integer(&value, "options.timeoutMs", MAX_TIMEOUT_MS)?
            .unwrap_or(timeout_ms);
    }
    if position as f64 + count as f64 > js::MAX_SAFE_INTEGER {
        return Err(JsError::Range(format!(
            "position {position} + count {count} is too large"
        )));
    }
    let (mut deferred, mut promise) = (null_mut(), null_mut());
    js::check(
        napi_sys::napi_create_promise(env, &mut deferred, &mut promise),
        "napi_create_promise",
    )?;
    let mut transfer = Box::new(Transfer {
        socket_fd,
        file_fd,
        out_fd: socket_fd,
        in_fd: file_fd,
        position,
        count,
        sent: 0,
        deadline: Instant::now() + Duration::from_millis(timeout_ms as u64),
        outcome: None,
        deferred,
        tsfn: null_mut(),
    });
    match transfer.pump() {
        Step::Done => settle(env, deferred, Ok(transfer.sent)),
        Step::Failed(error) => settle(env, deferred, Err(error)),
        Step::WouldBlock => {
            if let Err(error) = hand_to_poller(env, transfer) {
                settle(env, deferred, Err(error));
            }
        }
    }
    Ok(promise)
}

unsafe fn settle(env: napi_env, deferred: napi_deferred, outcome: Result<usize, SysError>) {
    match outcome {
        Ok(sent) => {
            let mut value = null_mut();
            napi_sys::napi_create_double(env, sent as f64, &mut value);
            napi_sys::napi_resolve_deferred(env, deferred, value);
        }
        Err(error) => {
            if let Some(value) = js::error_value(env, &JsError::Sys(error)) {
                napi_sys::napi_reject_deferred(env, deferred, value);
            }
        }
    }
}

fn duplicate(fd: i32, target: &str) -> Result<i32, SysError> {
    let dup = unsafe { sys::fcntl(fd, sys::F_DUPFD_CLOEXEC, 0) };
    if dup < 0 {
        return Err(SysError::last("sendfile", target.to_string()));
    }
    Ok(dup)
}

unsafe fn hand_to_poller(env: napi_env, mut transfer: Box<Transfer>) -> Result<(), SysError> {
    let target = transfer.target();
    let poller = poller().map_err(|errno| SysError::new("sendfile", target.clone(), errno))?;
    transfer.out_fd = duplicate(transfer.socket_fd, &target)?;
    transfer.in_fd = match duplicate(transfer.file_fd, &target) {
        Ok(fd) => fd,
        Err(error) => {
            sys::close(transfer.out_fd);
            return Err(error);
        }
    };
    let mut name = null_mut();
    napi_sys::napi_create_string_utf8(env, c"sluice.sendfile".as_ptr(), 15, &mut name);
    let status = napi_sys::napi_create_threadsafe_function(
        env,
        null_mut(),
        null_mut(),
        name,
        0,
        1,
        null_mut(),
        None,
        null_mut(),
        Some(settle_on_js_thread),
        &mut transfer.tsfn,
    );
    if status != napi_sys::Status::napi_ok {
        sys::close(transfer.out_fd);
        sys::close(transfer.in_fd);
        return Err(SysError::new("sendfile", target, sys::EINVAL));
    }
    poller
        .incoming
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(transfer);
    let one: u64 = 1;
    sys::write(poller.wake_fd, &one as *const u64 as *const c_void, 8);
    Ok(())
}

unsafe extern "C" fn settle_on_js_thread(
    env: napi_env,
    _js_cb: napi_value,
    _context: *mut c_void,
    data: *mut c_void,
) {
    let transfer = Box::from_raw(data as *mut Transfer);
    if env.is_null() {
        return; // the environment is shutting down; nobody is waiting for the promise
    }
    let outcome = transfer
        .outcome
        .clone()
        .unwrap_or_else(|| Err(SysError::new("sendfile", transfer.target(), sys::EINVAL)));
    settle(env, transfer.deferred, outcome);
}

struct Poller {
    incoming: Mutex<Vec<Box<Transfer>>>,
    /// An eventfd that interrupts poll() when a transfer arrives.
    wake_fd: i32,
}

fn poller() -> Result<&'static Poller, i32> {
    static POLLER: OnceLock<Result<Poller, i32>> = OnceLock::new();
    let result = POLLER.get_or_init(|| {
        let wake_fd = unsafe { sys::eventfd(0, sys::EFD_CLOEXEC | sys::EFD_NONBLOCK) };
        if wake_fd < 0 {
            return Err(sys::last_errno());
        }
        Ok(Poller {
            incoming: Mutex::new(Vec::new()),
            wake_fd,
        })
    });
    let poller = result.as_ref().map_err(|errno| *errno)?;
    static STARTED: OnceLock<Result<(), i32>> = OnceLock::new();
    let started = *STARTED.get_or_init(|| {
        std::thread::Builder::new()
            .name("sluice-sendfile".into())
            .spawn(move || run_poller(poller))
            .map(|_| ())
            .map_err(|error| error.raw_os_error().unwrap_or(sys::EINVAL))
    });
    started?;
    Ok(poller)
}

fn run_poller(poller: &'static Poller) {
    sys::block_sigpipe_on_this_thread();
    let mut active: Vec<Box<Transfer>> = Vec::new();
    let mut fds: Vec<sys::pollfd> = Vec::new();
    loop {
        active.extend(
            poller
                .incoming
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .drain(..),
        );
        fds.clear();
        fds.push(sys::pollfd {
            fd: poller.wake_fd,
            events: sys::POLLIN,
            revents: 0,
        });
        fds.extend(active.iter().map(|t| sys::pollfd {
            fd: t.out_fd,
            events: sys::POLLOUT,
            revents: 0,
        }));
        let now = Instant::now();
        let timeout_ms = active
            .iter()
            .map(|t| t.deadline.saturating_duration_since(now))
            .min()
            .map(|left| left.as_millis().min(60_000) as i32 + 1)
            .unwrap_or(-1);
        let ready = unsafe { sys::poll(fds.as_mut_ptr(), fds.len() as _, timeout_ms) };
        if ready < 0 && sys::last_errno() != sys::EINTR {
            std::thread::sleep(Duration::from_millis(10)); // never spin on an unexpected failure
        }
        if fds[0].revents & sys::POLLIN != 0 {
            let mut counter = 0u64;
            unsafe { sys::read(poller.wake_fd, &mut counter as *mut u64 as *mut c_void, 8) };
        }
        let now = Instant::now();
        for (transfer, fd) in active.iter_mut().zip(&fds[1..]) {
            if fd.revents & sys::POLLNVAL != 0 {
                transfer.outcome = Some(Err(SysError::new(
                    "sendfile",
                    transfer.target(),
                    sys::EBADF,
                )));
            } else if fd.revents != 0 {
                match transfer.pump() {
                    Step::Done => transfer.outcome = Some(Ok(transfer.sent)),
                    Step::Failed(error) => transfer.outcome = Some(Err(error)),
                    Step::WouldBlock => {}
                }
            }
            if transfer.outcome.is_none() && now >= transfer.deadline {
                let mut error = SysError::new("sendfile", transfer.target(), sys::ETIMEDOUT);
                error.detail = Some(format!(
                    "peer stopped reading; {} of {} bytes sent",
                    transfer.sent, transfer.count
                ));
                transfer.outcome = Some(Err(error));
            }
        }
        let (finished, waiting): (Vec<_>, Vec<_>) =
            active.drain(..).partition(|t| t.outcome.is_some());
        active = waiting;
        finished.into_iter().for_each(finish);
    }
}

/// Closes the duplicates and passes the transfer to the JS thread to settle its promise.
fn finish(transfer: Box<Transfer>) {
    unsafe {
        sys::close(transfer.out_fd);
        sys::close(transfer.in_fd);
        let tsfn = transfer.tsfn;
        let data = Box::into_raw(transfer);
        let mode = napi_sys::ThreadsafeFunctionCallMode::nonblocking;
        if napi_sys::napi_call_threadsafe_function(tsfn, data as *mut c_void, mode)
            != napi_sys::Status::napi_ok
        {
            drop(Box::from_raw(data)); // the environment is closing; nobody will settle it
        }
        napi_sys::napi_release_threadsafe_function(
            tsfn,
            napi_sys::ThreadsafeFunctionReleaseMode::release,
        );
    }
}
