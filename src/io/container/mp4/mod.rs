//! The MPEG-4 family (`.m4a`, `.m4b`, `.mp4`, `.3gp`): the box writer used
//! for ALAC and tags ([`mux`]) and the box reading that symphonia leaves to
//! us ([`edits`]: the edit list that trims encoder priming).

pub mod edits;
pub mod mux;
