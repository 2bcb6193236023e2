//! Marks the threads that are inside an audio callback, so tests (and debug
//! tools) can prove that real-time code does not allocate: a counting global
//! allocator asks [`in_audio_callback`] on every allocation.
//!
//! Nothing here allocates, locks or blocks: the flag is a const-initialised
//! thread-local `Cell<bool>`, cheap enough to read inside an allocator.

use std::cell::Cell;

thread_local! {
    static IN_CALLBACK: Cell<bool> = const { Cell::new(false) };
}

/// True while the calling thread is running the engine's render callback.
pub fn in_audio_callback() -> bool {
    IN_CALLBACK.try_with(Cell::get).unwrap_or(false)
}

/// Sets the flag for the life of the guard (restores the previous value on drop).
pub(crate) struct CallbackGuard {
    previous: bool,
}

impl CallbackGuard {
    pub(crate) fn enter() -> Self {
        let previous = IN_CALLBACK.try_with(|c| c.replace(true)).unwrap_or(false);
        CallbackGuard { previous }
    }
}

impl Drop for CallbackGuard {
    fn drop(&mut self) {
        let previous = self.previous;
        let _ = IN_CALLBACK.try_with(|c| c.set(previous));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_sets_and_restores_the_flag() {
        assert!(!in_audio_callback());
        {
            let _g = CallbackGuard::enter();
            assert!(in_audio_callback());
        }
        assert!(!in_audio_callback());
    }
}
