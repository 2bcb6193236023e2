//! The MPEG-4 family (`.m4a`, `.m4b`, `.mp4`, `.mov`, `.3gp`, `.3g2`): the box
//! writer used for ALAC and tags ([`mux`]), CoreMusic's own demuxer
//! ([`demux`]: sample tables, fragments, edit lists, several tracks) with
//! its chapter reader ([`chapters`]), and the edit-list probe kept for
//! symphonia's reader ([`edits`]).

pub(crate) mod boxes;
pub mod chapters;
pub mod demux;
pub mod edits;
pub mod mux;
