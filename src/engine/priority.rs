//! Real-time scheduling for device threads the engine starts itself (the
//! simulated device): a sound card's callback thread runs at real-time
//! priority, so the simulation asks for the same, where the system allows it.
//!
//! Called once when the thread starts, never from inside a callback.

/// The `SCHED_FIFO` priority asked for: above ordinary threads, below the
/// kernel's own interrupt threads (50).
#[cfg(unix)]
const FIFO_PRIORITY: libc::c_int = 45;

/// Moves the calling thread to `SCHED_FIFO`; `true` when the system allowed
/// it (root, `CAP_SYS_NICE` or an `rtprio` limit on Linux; on macOS any user
/// gets a bounded fixed priority), `false` otherwise (the thread keeps its
/// ordinary priority).
pub(crate) fn raise_current_thread() -> bool {
    #[cfg(unix)]
    {
        // SAFETY: `param` is a valid, initialised sched_param and
        // pthread_self() is the calling thread, alive for the whole call.
        unsafe {
            let mut param: libc::sched_param = std::mem::zeroed();
            param.sched_priority = FIFO_PRIORITY;
            libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_FIFO, &param) == 0
        }
    }
    #[cfg(not(unix))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn raising_never_fails_loudly() {
        // Whether it is allowed depends on the machine; it must only answer.
        let t = std::thread::spawn(super::raise_current_thread);
        let _granted: bool = t.join().unwrap_or(false);
    }
}
