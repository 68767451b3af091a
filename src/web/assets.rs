//! The gallery's files, compiled into the binary: the page (`index.html`) and the styles,
//! scripts and icon it loads. Assets are served under `/web/<version>/<name>`, where the
//! version is a hash of every asset, so a browser may keep them for a year and still never
//! runs a script of an older binary against a newer one; the page itself names the version and
//! is revalidated on every load. Each body is also kept gzip-compressed, made on first use (a
//! server nobody opens in a browser never spends the time or the memory).

use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::Write;
use std::sync::OnceLock;

pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

const JS: &str = "text/javascript; charset=utf-8";

macro_rules! asset {
    ($name:literal, $type:expr) => {
        Asset { name: $name, content_type: $type, body: include_bytes!(concat!("assets/", $name)) }
    };
}

/// Every file of the gallery but the page.
pub const ASSETS: &[Asset] = &[
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("icon.svg", "image/svg+xml"),
    asset!("main.js", JS),
    asset!("api.js", JS),
    asset!("ui.js", JS),
    asset!("login.js", JS),
    asset!("folders.js", JS),
    asset!("grid.js", JS),
    asset!("thumbs.js", JS),
    asset!("viewer.js", JS),
    asset!("timeline.js", JS),
    asset!("share.js", JS),
    asset!("uploads.js", JS),
    asset!("upload.js", JS),
    asset!("sha1.js", JS),
    asset!("media-info.js", JS),
];

/// The page, with `{v}` where the version goes.
const PAGE_TEMPLATE: &str = include_str!("assets/index.html");

/// The version of this build's assets: 12 hex digits of an FNV-1a hash over all of them.
pub fn version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let bodies = ASSETS.iter().map(|a| a.body).chain([PAGE_TEMPLATE.as_bytes()]);
        for byte in bodies.flatten() {
            hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
        format!("{:012x}", hash >> 16)
    })
}

/// The page with the version filled in.
pub fn page() -> &'static [u8] {
    static PAGE: OnceLock<Vec<u8>> = OnceLock::new();
    PAGE.get_or_init(|| PAGE_TEMPLATE.replace("{v}", version()).into_bytes())
}

/// The asset of this name, with its index for [`gzipped`].
pub fn find(name: &str) -> Option<(usize, &'static Asset)> {
    ASSETS.iter().enumerate().find(|(_, asset)| asset.name == name)
}

/// The gzip form of asset `index` (`None` = the page).
pub fn gzipped(index: Option<usize>) -> &'static [u8] {
    static GZIPPED: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    let all = GZIPPED.get_or_init(|| {
        let bodies = ASSETS.iter().map(|a| a.body).chain([page()]);
        bodies.map(gzip).collect()
    });
    &all[index.unwrap_or(ASSETS.len())]
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 3), Compression::best());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn the_page_names_the_version_of_every_asset_it_loads() {
        let page = String::from_utf8(page().to_vec()).unwrap();
        assert!(!page.contains("{v}"));
        assert!(page.contains(&format!("/web/{}/main.js", version())));
        assert!(page.contains(&format!("/web/{}/app.css", version())));
        assert_eq!(version().len(), 12);
    }

    #[test]
    fn gzipped_assets_unpack_to_the_originals() {
        for (index, asset) in ASSETS.iter().enumerate() {
            let mut unpacked = Vec::new();
            flate2::read::GzDecoder::new(gzipped(Some(index))).read_to_end(&mut unpacked).unwrap();
            assert_eq!(unpacked, asset.body, "{}", asset.name);
        }
    }

    #[test]
    fn scripts_import_only_assets_that_exist() {
        for asset in ASSETS.iter().filter(|a| a.name.ends_with(".js")) {
            let text = std::str::from_utf8(asset.body).unwrap();
            for (at, _) in text.match_indices(" from './") {
                let name = text[at + 9..].split('\'').next().unwrap();
                assert!(find(name).is_some(), "{} imports {name}, which is not embedded", asset.name);
            }
        }
    }

    /// Issue 13: the whole app, page and every asset, transfers in at most 60 KB gzipped.
    #[test]
    fn the_whole_app_is_at_most_60_kb_gzipped() {
        let total: usize = gzipped(None).len() + (0..ASSETS.len()).map(|i| gzipped(Some(i)).len()).sum::<usize>();
        assert!(total <= 60_000, "the app is {total} bytes gzipped");
    }

    /// Nothing is loaded from elsewhere: no URL with a scheme or `//` host in the page, styles
    /// or scripts but this origin's own (the SVG namespace is a name, not a request).
    #[test]
    fn no_asset_names_another_origin() {
        let bodies = ASSETS.iter().map(|a| (a.name, a.body)).chain([("index.html", page())]);
        for (name, body) in bodies {
            let text = std::str::from_utf8(body).unwrap().replace("http://www.w3.org/2000/svg", "");
            for pattern in ["http://", "https://", "url(//", "src=\"//", "href=\"//"] {
                assert!(!text.contains(pattern), "{name} names another origin ({pattern})");
            }
        }
    }
}
