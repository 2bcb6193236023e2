//! TOML conversion presets (`ConvertOptions::from_toml_str`, what
//! `ConvertOptions::load` reads): arbitrary text must parse or give an error,
//! and a preset that parses must survive a round trip through its own TOML.
#![no_main]

use std::path::Path;

use coremusic::convert::ConvertOptions;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("fuzz.toml");
    if let Ok(options) = ConvertOptions::from_toml_str(text, path) {
        let again = toml::to_string_pretty(&options).expect("a parsed preset serialises");
        let back = ConvertOptions::from_toml_str(&again, path).expect("a serialised preset parses");
        assert_eq!(back, options, "round trip of {text:?} through {again:?}");
    }
});
