//! The libc calls the addon makes, declared by hand (no `libc` crate), and the errno → name table
//! that lets a JavaScript caller match on `error.code` the way Node's own fs errors do.
//!
//! Constants are Linux's values; they are identical on x86_64 and aarch64 for everything used.
#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_int, c_long, c_uint, c_void};

pub type off_t = i64;

#[repr(C)]
pub struct iovec {
    pub iov_base: *const c_void,
    pub iov_len: usize,
}

#[repr(C)]
pub struct pollfd {
    pub fd: c_int,
    pub events: i16,
    pub revents: i16,
}

pub const O_RDONLY: c_int = 0;
pub const O_RDWR: c_int = 2;
pub const O_CREAT: c_int = 0o100;
pub const O_TRUNC: c_int = 0o1000;
pub const O_CLOEXEC: c_int = 0o2000000;

pub const PROT_READ: c_int = 1;
pub const PROT_WRITE: c_int = 2;
pub const MAP_SHARED: c_int = 1;
pub const MS_SYNC: c_int = 4;

pub const POLLIN: i16 = 0x1;
pub const POLLOUT: i16 = 0x4;
pub const POLLNVAL: i16 = 0x20;

pub const F_DUPFD_CLOEXEC: c_int = 1030;

pub const IPPROTO_TCP: c_int = 6;
pub const TCP_CONGESTION: c_int = 13;
pub const EFD_CLOEXEC: c_int = 0o2000000;
pub const EFD_NONBLOCK: c_int = 0o4000;

/// Linux caps the iovec count of one pwritev at IOV_MAX.
pub const IOV_MAX: usize = 1024;

pub const EINTR: i32 = 4;
pub const EBADF: i32 = 9;
pub const EAGAIN: i32 = 11;
pub const EBUSY: i32 = 16;
pub const EINVAL: i32 = 22;
pub const ENOSPC: i32 = 28;
pub const ENOSYS: i32 = 38;
pub const ENODATA: i32 = 61;
pub const EOPNOTSUPP: i32 = 95;
pub const ETIMEDOUT: i32 = 110;
pub const EDQUOT: i32 = 122;

pub const FALLOC_FL_KEEP_SIZE: c_int = 1;

pub const LOCK_EX: c_int = 2;
pub const LOCK_NB: c_int = 4;
pub const RLIMIT_NOFILE: c_int = 7;
pub const RLIM_INFINITY: u64 = u64::MAX;

#[repr(C)]
pub struct rlimit {
    pub rlim_cur: u64,
    pub rlim_max: u64,
}

extern "C" {
    pub fn open(path: *const c_char, flags: c_int, ...) -> c_int;
    pub fn close(fd: c_int) -> c_int;
    pub fn fcntl(fd: c_int, cmd: c_int, ...) -> c_int;
    pub fn pwritev(fd: c_int, iov: *const iovec, iovcnt: c_int, offset: off_t) -> isize;
    pub fn pread(fd: c_int, buf: *mut c_void, count: usize, offset: off_t) -> isize;
    pub fn read(fd: c_int, buf: *mut c_void, count: usize) -> isize;
    pub fn write(fd: c_int, buf: *const c_void, count: usize) -> isize;
    pub fn fdatasync(fd: c_int) -> c_int;
    pub fn flock(fd: c_int, operation: c_int) -> c_int;
    pub fn getrlimit(resource: c_int, limit: *mut rlimit) -> c_int;
    pub fn setrlimit(resource: c_int, limit: *const rlimit) -> c_int;
    pub fn ftruncate(fd: c_int, length: off_t) -> c_int;
    pub fn fallocate(fd: c_int, mode: c_int, offset: off_t, len: off_t) -> c_int;
    pub fn mmap(
        addr: *mut c_void,
        len: usize,
        prot: c_int,
        flags: c_int,
        fd: c_int,
        offset: off_t,
    ) -> *mut c_void;
    pub fn munmap(addr: *mut c_void, len: usize) -> c_int;
    pub fn msync(addr: *mut c_void, len: usize, flags: c_int) -> c_int;
    pub fn sendfile(out_fd: c_int, in_fd: c_int, offset: *mut off_t, count: usize) -> isize;
    pub fn poll(fds: *mut pollfd, nfds: c_long, timeout: c_int) -> c_int;
    pub fn eventfd(initval: c_uint, flags: c_int) -> c_int;
    pub fn setsockopt(
        fd: c_int,
        level: c_int,
        name: c_int,
        value: *const c_void,
        length: c_uint,
    ) -> c_int;
    pub fn getsockopt(
        fd: c_int,
        level: c_int,
        name: c_int,
        value: *mut c_void,
        length: *mut c_uint,
    ) -> c_int;
}

pub fn last_errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// A failed system call, described the way the JavaScript error will show it:
/// `pwritev fd 12: ENOSPC (No space left on device)`.
#[derive(Debug, Clone)]
pub struct SysError {
    pub syscall: &'static str,
    /// What the call acted on: `fd 12`, a path, `socket 9 from fd 12`.
    pub target: String,
    pub errno: i32,
    /// Replaces the strerror text when the errno alone would mislead (a short file).
    pub detail: Option<String>,
}

impl SysError {
    pub fn new(syscall: &'static str, target: String, errno: i32) -> SysError {
        SysError {
            syscall,
            target,
            errno,
            detail: None,
        }
    }

    pub fn last(syscall: &'static str, target: String) -> SysError {
        SysError::new(syscall, target, last_errno())
    }

    pub fn code(&self) -> String {
        errno_name(self.errno)
            .map(str::to_string)
            .unwrap_or_else(|| format!("E{}", self.errno))
    }

    pub fn message(&self) -> String {
        let detail = self.detail.clone().unwrap_or_else(|| strerror(self.errno));
        format!(
            "{} {}: {} ({})",
            self.syscall,
            self.target,
            self.code(),
            detail
        )
    }
}

fn strerror(errno: i32) -> String {
    let text = std::io::Error::from_raw_os_error(errno).to_string();
    // std appends " (os error N)"; the errno is already in the message as its name.
    match text.rfind(" (os error ") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

pub fn errno_name(errno: i32) -> Option<&'static str> {
    Some(match errno {
        1 => "EPERM",
        2 => "ENOENT",
        4 => "EINTR",
        5 => "EIO",
        6 => "ENXIO",
        9 => "EBADF",
        11 => "EAGAIN",
        12 => "ENOMEM",
        13 => "EACCES",
        14 => "EFAULT",
        16 => "EBUSY",
        17 => "EEXIST",
        19 => "ENODEV",
        20 => "ENOTDIR",
        21 => "EISDIR",
        22 => "EINVAL",
        23 => "ENFILE",
        24 => "EMFILE",
        27 => "EFBIG",
        28 => "ENOSPC",
        29 => "ESPIPE",
        30 => "EROFS",
        32 => "EPIPE",
        36 => "ENAMETOOLONG",
        38 => "ENOSYS",
        61 => "ENODATA",
        75 => "EOVERFLOW",
        88 => "ENOTSOCK",
        95 => "EOPNOTSUPP",
        103 => "ECONNABORTED",
        104 => "ECONNRESET",
        105 => "ENOBUFS",
        107 => "ENOTCONN",
        110 => "ETIMEDOUT",
        111 => "ECONNREFUSED",
        122 => "EDQUOT",
        _ => return None,
    })
}

/// glibc's sigset_t is 1024 bits.
#[repr(C)]
pub struct sigset_t {
    bits: [u64; 16],
}

pub const SIG_BLOCK: c_int = 0;
pub const SIGPIPE: c_int = 13;

extern "C" {
    pub fn sigemptyset(set: *mut sigset_t) -> c_int;
    pub fn sigaddset(set: *mut sigset_t, signal: c_int) -> c_int;
    pub fn pthread_sigmask(how: c_int, set: *const sigset_t, old: *mut sigset_t) -> c_int;
}

/// Makes writes to a closed socket on this thread fail with EPIPE instead of raising SIGPIPE,
/// whatever the host process does with the signal.
pub fn block_sigpipe_on_this_thread() {
    unsafe {
        let mut set = sigset_t { bits: [0; 16] };
        sigemptyset(&mut set);
        sigaddset(&mut set, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &set, std::ptr::null_mut());
    }
}
