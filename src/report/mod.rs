//! How results look to people and programs: human text, JSON fields and
//! charts. Shared by both faces, the command line and the window, so they
//! say the same thing the same way.
//!
//! Computes nothing itself and touches no file but the chart it is asked to
//! write.

#[doc(hidden)]
pub mod icon;
pub mod info;
pub mod latency_chart;
pub mod picture_file;
pub mod spectrogram_png;
