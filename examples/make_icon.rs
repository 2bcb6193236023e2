//! Draws the CoreMusic icon at every size macOS asks for and packs the PNGs
//! into an `.icns` file (the drawing: `coremusic::report::icon`).
//!
//! Run: `cargo run --release --example make_icon -- OUT.icns [PNG_DIR]`
//! (`bundle/make-app` does this).

use std::path::PathBuf;

use coremusic::report::icon;

fn main() {
    let mut args = std::env::args_os().skip(1);
    let Some(out) = args.next().map(PathBuf::from) else {
        eprintln!("usage: make_icon OUT.icns [PNG_DIR]");
        std::process::exit(2);
    };
    let pngs = icon::pngs();
    if let Some(dir) = args.next().map(PathBuf::from) {
        if let Err(e) = std::fs::create_dir_all(&dir) {
            eprintln!("make_icon: {}: {e}", dir.display());
            std::process::exit(1);
        }
        for (size, data) in &pngs {
            let p = dir.join(format!("icon_{size}.png"));
            if let Err(e) = std::fs::write(&p, data) {
                eprintln!("make_icon: {}: {e}", p.display());
                std::process::exit(1);
            }
        }
    }
    if let Err(e) = std::fs::write(&out, icon::icns(&pngs)) {
        eprintln!("make_icon: {}: {e}", out.display());
        std::process::exit(1);
    }
}
