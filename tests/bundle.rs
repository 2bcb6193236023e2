//! CoreMusic.app, checked on any OS: bundle/Info.plist is a well-formed XML
//! property list with the keys macOS needs, its version is Cargo's after
//! make-app's substitution, its executable is the binary's name, its
//! document types cover the formats CoreMusic opens; bundle/make-app lays
//! out the bundle (run with a given binary and icon, so no cargo build); the
//! icon generator writes an .icns of valid PNGs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use coremusic::report::icon as make_icon;

// ---------------------------------------------------------------------------
// A small XML property-list reader (the subset plists use), strict about structure.

#[derive(Debug, Clone, PartialEq)]
enum Value {
    Dict(BTreeMap<String, Value>),
    Array(Vec<Value>),
    String(String),
    Integer(i64),
    Real(f64),
    Bool(bool),
}

impl Value {
    fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Dict(d) => d.get(key),
            _ => None,
        }
    }
    fn str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    fn array(&self) -> &[Value] {
        match self {
            Value::Array(a) => a,
            _ => &[],
        }
    }
}

enum Token {
    Open(String),
    Close(String),
    Empty(String),
    Text(String),
}

fn tokens(xml: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut rest = xml;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("<?") {
            rest = &r[r.find("?>").ok_or("unterminated <?")? + 2..];
        } else if let Some(r) = rest.strip_prefix("<!--") {
            rest = &r[r.find("-->").ok_or("unterminated comment")? + 3..];
        } else if let Some(r) = rest.strip_prefix("<!") {
            rest = &r[r.find('>').ok_or("unterminated <!")? + 1..];
        } else if let Some(r) = rest.strip_prefix('<') {
            let end = r.find('>').ok_or("unterminated tag")?;
            let tag = &r[..end];
            rest = &r[end + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                out.push(Token::Close(name.trim().to_string()));
            } else if let Some(t) = tag.strip_suffix('/') {
                out.push(Token::Empty(t.split_whitespace().next().unwrap_or("").to_string()));
            } else {
                out.push(Token::Open(tag.split_whitespace().next().ok_or("empty tag")?.to_string()));
            }
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            out.push(Token::Text(unescape(&rest[..end])?));
            rest = &rest[end..];
        }
    }
    Ok(out)
}

fn unescape(s: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(';').ok_or("unterminated entity")? + i;
        out.push(match &rest[i + 1..end] {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            e => return Err(format!("unknown entity &{e};")),
        });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

struct Parser {
    toks: Vec<Token>,
    i: usize,
}

impl Parser {
    fn skip_space(&mut self) {
        while let Some(Token::Text(t)) = self.toks.get(self.i) {
            if !t.trim().is_empty() {
                break;
            }
            self.i += 1;
        }
    }

    fn text_until(&mut self, name: &str) -> Result<String, String> {
        let mut s = String::new();
        if let Some(Token::Text(t)) = self.toks.get(self.i) {
            s = t.clone();
            self.i += 1;
        }
        match self.toks.get(self.i) {
            Some(Token::Close(c)) if c == name => {
                self.i += 1;
                Ok(s)
            }
            _ => Err(format!("<{name}> is not closed")),
        }
    }

    fn value(&mut self) -> Result<Value, String> {
        self.skip_space();
        let tok = self.toks.get(self.i).ok_or("unexpected end")?;
        self.i += 1;
        match tok {
            Token::Empty(n) if n == "true" => Ok(Value::Bool(true)),
            Token::Empty(n) if n == "false" => Ok(Value::Bool(false)),
            Token::Empty(n) if n == "dict" => Ok(Value::Dict(BTreeMap::new())),
            Token::Empty(n) if n == "array" => Ok(Value::Array(Vec::new())),
            Token::Empty(n) if n == "string" => Ok(Value::String(String::new())),
            Token::Open(n) => match n.as_str() {
                "string" => Ok(Value::String(self.text_until("string")?)),
                "integer" => {
                    let t = self.text_until("integer")?;
                    t.trim().parse().map(Value::Integer).map_err(|_| format!("bad integer {t:?}"))
                }
                "real" => {
                    let t = self.text_until("real")?;
                    t.trim().parse().map(Value::Real).map_err(|_| format!("bad real {t:?}"))
                }
                "array" => {
                    let mut items = Vec::new();
                    loop {
                        self.skip_space();
                        if matches!(self.toks.get(self.i), Some(Token::Close(c)) if c == "array") {
                            self.i += 1;
                            return Ok(Value::Array(items));
                        }
                        items.push(self.value()?);
                    }
                }
                "dict" => {
                    let mut map = BTreeMap::new();
                    loop {
                        self.skip_space();
                        match self.toks.get(self.i) {
                            Some(Token::Close(c)) if c == "dict" => {
                                self.i += 1;
                                return Ok(Value::Dict(map));
                            }
                            Some(Token::Open(k)) if k == "key" => {
                                self.i += 1;
                                let key = self.text_until("key")?;
                                let v = self.value()?;
                                if map.insert(key.clone(), v).is_some() {
                                    return Err(format!("key {key} appears twice"));
                                }
                            }
                            _ => return Err("a dict entry must start with <key>".into()),
                        }
                    }
                }
                other => Err(format!("unexpected <{other}>")),
            },
            Token::Empty(n) => Err(format!("unexpected <{n}/>")),
            Token::Close(n) => Err(format!("unexpected </{n}>")),
            Token::Text(t) => Err(format!("unexpected text {t:?}")),
        }
    }
}

fn parse_plist(xml: &str) -> Result<Value, String> {
    if !xml.starts_with("<?xml") {
        return Err("no XML declaration".into());
    }
    let mut p = Parser { toks: tokens(xml)?, i: 0 };
    p.skip_space();
    match p.toks.get(p.i) {
        Some(Token::Open(n)) if n == "plist" => p.i += 1,
        _ => return Err("the root element is not <plist>".into()),
    }
    let v = p.value()?;
    p.skip_space();
    match p.toks.get(p.i) {
        Some(Token::Close(n)) if n == "plist" => p.i += 1,
        _ => return Err("<plist> holds more than one value or is not closed".into()),
    }
    p.skip_space();
    if p.i != p.toks.len() {
        return Err("content after </plist>".into());
    }
    Ok(v)
}

#[test]
fn the_plist_reader_rejects_broken_xml() {
    let ok = "<?xml version=\"1.0\"?><plist><dict><key>a</key><string>x &amp; y</string></dict></plist>";
    assert_eq!(parse_plist(ok).unwrap().get("a").unwrap().str(), Some("x & y"));
    for bad in [
        "<?xml?><plist><dict><key>a</key></dict></plist>",
        "<?xml?><plist><dict><string>x</string></dict></plist>",
        "<?xml?><plist><dict><key>a</key><string>x</dict></plist>",
        "<?xml?><plist><dict></dict><dict></dict></plist>",
        "<?xml?><plist><dict><key>a</key><true/><key>a</key><true/></dict></plist>",
        "<plist><dict></dict></plist>",
    ] {
        assert!(parse_plist(bad).is_err(), "{bad}");
    }
}

// ---------------------------------------------------------------------------

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn plist_with_version() -> Value {
    let raw = std::fs::read_to_string(root().join("bundle/Info.plist")).expect("bundle/Info.plist");
    assert!(raw.contains("@VERSION@"), "make-app substitutes @VERSION@");
    parse_plist(&raw.replace("@VERSION@", env!("CARGO_PKG_VERSION"))).expect("Info.plist parses")
}

/// What every extension CoreMusic opens is declared as.
const TYPES: [(&str, &str); 9] = [
    ("wav", "com.microsoft.waveform-audio"),
    ("aif", "public.aiff-audio"),
    ("aiff", "public.aiff-audio"),
    ("aifc", "public.aifc-audio"),
    ("caf", "com.apple.coreaudio-format"),
    ("flac", "org.xiph.flac"),
    ("m4a", "com.apple.m4a-audio"),
    ("mp3", "public.mp3"),
    ("mid", "public.midi-audio"),
];

fn check_plist(p: &Value) {
    let s = |k: &str| p.get(k).and_then(Value::str).unwrap_or_else(|| panic!("{k} missing or not a string"));
    assert_eq!(s("CFBundleIdentifier"), "org.coremusic.CoreMusic");
    assert_eq!(s("CFBundlePackageType"), "APPL");
    assert_eq!(s("CFBundleShortVersionString"), env!("CARGO_PKG_VERSION"));
    assert_eq!(s("CFBundleVersion"), env!("CARGO_PKG_VERSION"));
    let bin = Path::new(env!("CARGO_BIN_EXE_coremusic")).file_stem().and_then(|n| n.to_str()).unwrap();
    assert_eq!(s("CFBundleExecutable"), bin);
    assert_eq!(s("CFBundleIconFile"), "CoreMusic");
    assert!(s("LSMinimumSystemVersion").split('.').all(|n| n.parse::<u32>().is_ok()));
    assert_eq!(p.get("NSHighResolutionCapable"), Some(&Value::Bool(true)));
    for k in ["CFBundleName", "CFBundleInfoDictionaryVersion"] {
        s(k);
    }
    let docs = p.get("CFBundleDocumentTypes").expect("CFBundleDocumentTypes").array();
    assert!(!docs.is_empty());
    let mut utis = Vec::new();
    let mut exts = Vec::new();
    for d in docs {
        assert!(d.get("CFBundleTypeRole").and_then(Value::str).is_some());
        assert!(d.get("CFBundleTypeName").and_then(Value::str).is_some());
        utis.extend(d.get("LSItemContentTypes").map_or(&[][..], Value::array).iter().filter_map(Value::str));
        exts.extend(d.get("CFBundleTypeExtensions").map_or(&[][..], Value::array).iter().filter_map(Value::str));
    }
    for (ext, uti) in TYPES {
        assert!(utis.contains(&uti), "{uti} ({ext}) not in LSItemContentTypes");
        assert!(exts.contains(&ext), "{ext} not in CFBundleTypeExtensions");
    }
    // flac is not a system type on older macOS: it is imported, conforming to audio.
    let imported = p.get("UTImportedTypeDeclarations").expect("UTImportedTypeDeclarations").array();
    let flac = imported
        .iter()
        .find(|d| d.get("UTTypeIdentifier").and_then(Value::str) == Some("org.xiph.flac"))
        .expect("org.xiph.flac imported");
    assert!(flac.get("UTTypeConformsTo").unwrap().array().iter().any(|v| v.str() == Some("public.audio")));
    let tags = flac.get("UTTypeTagSpecification").unwrap().get("public.filename-extension").unwrap();
    assert!(tags.array().iter().any(|v| v.str() == Some("flac")));
}

#[test]
fn info_plist_has_what_macos_needs() {
    check_plist(&plist_with_version());
}

fn have(cmd: &str) -> bool {
    Command::new(cmd).arg("--version").output().is_ok()
}

#[test]
fn make_app_lays_out_the_bundle() {
    if !have("bash") {
        eprintln!("skipped: bash is not on PATH");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // A small icon is enough to check the layout; the full one is tested below.
    let icon = dir.path().join("test.icns");
    std::fs::write(&icon, make_icon::icns(&[(16, make_icon::png(16, 16, &make_icon::render(16)))])).unwrap();
    let out = dir.path().join("dist");
    let binary = env!("CARGO_BIN_EXE_coremusic");
    let status = Command::new("bash")
        .arg(root().join("bundle/make-app"))
        .args(["--out".as_ref(), out.as_os_str(), "--binary".as_ref(), binary.as_ref(), "--icns".as_ref()])
        .arg(&icon)
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .expect("run make-app");
    assert!(status.success(), "make-app failed");
    let contents = out.join("CoreMusic.app/Contents");
    let plist = std::fs::read_to_string(contents.join("Info.plist")).unwrap();
    assert!(!plist.contains("@VERSION@"));
    check_plist(&parse_plist(&plist).expect("the bundle's Info.plist parses"));
    let exe = contents.join("MacOS/coremusic");
    assert_eq!(std::fs::metadata(&exe).unwrap().len(), std::fs::metadata(binary).unwrap().len());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert!(std::fs::metadata(&exe).unwrap().permissions().mode() & 0o111 != 0, "executable");
    }
    assert_eq!(std::fs::read(contents.join("Resources/CoreMusic.icns")).unwrap(), std::fs::read(&icon).unwrap());
    assert_eq!(std::fs::read(contents.join("PkgInfo")).unwrap(), b"APPL????");
    // Nothing else left beside the app (the staging folder is gone).
    let names: Vec<_> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, vec![std::ffi::OsString::from("CoreMusic.app")]);
    // Running it again replaces the app.
    let again = Command::new("bash")
        .arg(root().join("bundle/make-app"))
        .args(["--out".as_ref(), out.as_os_str(), "--binary".as_ref(), binary.as_ref(), "--icns".as_ref()])
        .arg(&icon)
        .status()
        .unwrap();
    assert!(again.success());
    // A missing binary is an error, not an empty app.
    let bad = Command::new("bash")
        .arg(root().join("bundle/make-app"))
        .args(["--out".as_ref(), dir.path().join("bad").as_os_str(), "--binary".as_ref(), "/nonexistent".as_ref()])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no binary"));
    assert!(!dir.path().join("bad/CoreMusic.app").exists());
}

// ---------------------------------------------------------------------------
// The icon: icns entries of PNGs, checked down to the pixels.

/// Inflates a zlib stream of stored and fixed-Huffman blocks (what make_icon writes).
fn inflate(z: &[u8]) -> Vec<u8> {
    assert_eq!(z[0] & 0x0F, 8, "deflate");
    assert_eq!(((z[0] as u16) << 8 | z[1] as u16) % 31, 0, "zlib header check");
    let data = &z[2..z.len() - 4];
    let mut pos = 0usize; // bit position
    let bit = |pos: &mut usize| {
        let b = (data[*pos / 8] >> (*pos % 8)) & 1;
        *pos += 1;
        b as u32
    };
    let bits = |pos: &mut usize, n: u32| (0..n).fold(0, |acc, i| acc | bit(pos) << i);
    let mut out: Vec<u8> = Vec::new();
    loop {
        let last = bit(&mut pos);
        let kind = bits(&mut pos, 2);
        assert_eq!(kind, 1, "make_icon writes fixed-Huffman blocks");
        loop {
            // Fixed literal/length code: read 7 bits MSB-first, extend as needed.
            let mut code = 0;
            for _ in 0..7 {
                code = code << 1 | bit(&mut pos);
            }
            let sym = if code <= 0x17 {
                code + 256
            } else {
                code = code << 1 | bit(&mut pos);
                if (0x30..=0xBF).contains(&code) {
                    code - 0x30
                } else if (0xC0..=0xC7).contains(&code) {
                    code - 0xC0 + 280
                } else {
                    code = code << 1 | bit(&mut pos);
                    code - 0x190 + 144
                }
            };
            match sym {
                0..=255 => out.push(sym as u8),
                256 => break,
                _ => {
                    const LB: [u32; 29] = [
                        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
                        163, 195, 227, 258,
                    ];
                    const LE: [u32; 29] =
                        [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
                    let li = (sym - 257) as usize;
                    let len = LB[li] + bits(&mut pos, LE[li]);
                    let mut dcode = 0;
                    for _ in 0..5 {
                        dcode = dcode << 1 | bit(&mut pos);
                    }
                    let di = dcode as usize;
                    let db = if di < 4 { di as u32 + 1 } else { (2 + (di as u32 & 1)) << ((di as u32 / 2) - 1) | 1 };
                    let dist = db + bits(&mut pos, if di < 4 { 0 } else { di as u32 / 2 - 1 });
                    for _ in 0..len {
                        out.push(out[out.len() - dist as usize]);
                    }
                }
            }
        }
        if last == 1 {
            break;
        }
    }
    let adler = u32::from_be_bytes(z[z.len() - 4..].try_into().unwrap());
    let (mut a, mut b) = (1u32, 0u32);
    for &x in &out {
        a = (a + x as u32) % 65521;
        b = (b + a) % 65521;
    }
    assert_eq!(adler, b << 16 | a, "adler32");
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &x in bytes {
        c ^= x as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
        }
    }
    !c
}

/// Checks a PNG's structure and CRCs; returns (width, height, RGBA pixels).
fn decode_png(png: &[u8]) -> (u32, u32, Vec<u8>) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    let mut at = 8;
    let (mut w, mut h) = (0, 0);
    let mut idat = Vec::new();
    let mut ended = false;
    while at < png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        let kind = &png[at + 4..at + 8];
        let body = &png[at + 8..at + 8 + len];
        let crc = u32::from_be_bytes(png[at + 8 + len..at + 12 + len].try_into().unwrap());
        assert_eq!(crc, crc32(&png[at + 4..at + 8 + len]), "chunk CRC");
        match kind {
            b"IHDR" => {
                w = u32::from_be_bytes(body[..4].try_into().unwrap());
                h = u32::from_be_bytes(body[4..8].try_into().unwrap());
                assert_eq!(&body[8..], &[8, 6, 0, 0, 0], "8-bit RGBA");
            }
            b"IDAT" => idat.extend_from_slice(body),
            b"IEND" => ended = true,
            _ => {}
        }
        at += 12 + len;
    }
    assert!(ended && at == png.len(), "ends with IEND");
    let raw = inflate(&idat);
    let row = w as usize * 4;
    assert_eq!(raw.len(), (row + 1) * h as usize);
    let mut px = vec![0u8; row * h as usize];
    for y in 0..h as usize {
        assert_eq!(raw[y * (row + 1)], 2, "Up filter");
        for x in 0..row {
            let above = if y == 0 { 0 } else { px[(y - 1) * row + x] };
            px[y * row + x] = raw[y * (row + 1) + 1 + x].wrapping_add(above);
        }
    }
    (w, h, px)
}

#[test]
fn the_icon_is_an_icns_of_every_size_with_valid_pngs() {
    let pngs = make_icon::pngs();
    let icns = make_icon::icns(&pngs);
    assert_eq!(&icns[..4], b"icns");
    assert_eq!(u32::from_be_bytes(icns[4..8].try_into().unwrap()) as usize, icns.len());
    let mut at = 8;
    let mut seen = Vec::new();
    while at < icns.len() {
        let kind: [u8; 4] = icns[at..at + 4].try_into().unwrap();
        let len = u32::from_be_bytes(icns[at + 4..at + 8].try_into().unwrap()) as usize;
        assert!(len > 8 && at + len <= icns.len(), "entry length");
        let (w, h, px) = decode_png(&icns[at + 8..at + len]);
        let expected = make_icon::ENTRIES.iter().find(|e| e.0 == &kind).expect("a known type").1;
        assert_eq!((w, h), (expected, expected), "{}", String::from_utf8_lossy(&kind));
        // Transparent corners, an opaque middle.
        assert_eq!(px[3], 0, "corner alpha");
        let mid = ((h / 2 * w + w / 2) * 4) as usize;
        assert_eq!(px[mid + 3], 255, "centre alpha");
        seen.push(kind);
        at += len;
    }
    assert_eq!(seen.len(), make_icon::ENTRIES.len());
    for need in [b"ic07", b"ic08", b"ic09", b"ic10"] {
        assert!(seen.contains(need));
    }
    // The pixels survive the PNG encoding exactly, and drawing is deterministic.
    let (_, _, px) = decode_png(&make_icon::png(64, 64, &make_icon::render(64)));
    assert_eq!(px, make_icon::render(64));
    // Compressed well below raw size (the bundle should not carry megabytes of icon).
    let big = &pngs.iter().find(|(s, _)| *s == 1024).unwrap().1;
    assert!(big.len() < 1024 * 1024 * 4 / 4, "1024 px PNG is {} bytes", big.len());
}
