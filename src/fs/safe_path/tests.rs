//! Unit tests of the sanitiser, `child_of`, generated names and link-safe removal.

use super::*;
use std::os::unix::fs::symlink;

#[test]
fn the_sanitiser_follows_the_protocol_examples() {
    assert_eq!(sanitize("My Photos"), "My_Photos");
    assert_eq!(sanitize("../x"), "x");
    assert_eq!(sanitize("café"), "cafe");
    assert_eq!(sanitize("照片"), "");
    assert_eq!(sanitize(".mp4"), "mp4");
    assert_eq!(sanitize("  a \t b\n"), "a_b");
    assert_eq!(sanitize("a/b\\c"), "a_b_c");
    assert_eq!(sanitize("x$(rm -rf ~)`y`;'z'\"q\""), "xrm_-rf_yzq");
    assert_eq!(sanitize("__.hidden._"), "hidden");
}

#[test]
fn the_sanitiser_folds_common_latin_letters_and_drops_other_non_ascii() {
    assert_eq!(sanitize("àéîõü ÀÉÎÕÜ ñÑ çÇ ýÿ"), "aeiou_AEIOU_nN_cC_yy");
    assert_eq!(sanitize("Straße Ørsted Æble œuvre Łódź Šibenik Ő"), "Strasse_Orsted_AEble_oeuvre_Lodz_Sibenik_O");
    assert_eq!(sanitize("ﬁle"), "file");
    assert_eq!(sanitize("e\u{301}t\u{e9}"), "ete", "combining marks are dropped like NFKD + ASCII");
    assert_eq!(sanitize("Ｆｕｌｌ\u{3000}ｗｉｄｔｈ"), "Full_width");
    assert_eq!(sanitize("a\u{a0}b"), "a_b");
    assert_eq!(sanitize("Привет мир 😀"), "");
}

#[test]
fn sanitised_names_can_never_climb_out_of_a_directory() {
    for hostile in
        ["..", ".", "../../etc/passwd", "/etc/passwd", "..\\..\\x", "．．／．．／x", "\0", "a/../../b", "%2e%2e"]
    {
        let name = sanitize(hostile);
        assert!(name.is_empty() || child_of(Path::new("/srv/media"), &name).is_ok(), "{hostile:?} → {name:?}");
        assert!(!name.starts_with('.') && !name.contains('/'), "{hostile:?} → {name:?}");
    }
    assert_eq!(sanitize("%2e%2e"), "2e2e", "percent escapes are literal text, not decoded");
}

#[test]
fn child_of_accepts_exactly_one_normal_component() {
    let parent = Path::new("/srv/media/terry");
    assert_eq!(child_of(parent, "a.jpg").unwrap(), Path::new("/srv/media/terry/a.jpg"));
    assert_eq!(child_of(parent, "%2e%2e").unwrap(), Path::new("/srv/media/terry/%2e%2e"), "a literal name");
    assert_eq!(child_of(parent, "..a").unwrap(), Path::new("/srv/media/terry/..a"));
    for bad in ["", ".", "..", "/etc/passwd", "/", "a/b", "../x", "a\\b", "nul\0byte", "a/", "./a"] {
        assert_eq!(child_of(parent, bad), Err(ApiError::Data), "{bad:?}");
    }
    assert_eq!(child_of(Path::new("/srv/media/"), "x").unwrap(), Path::new("/srv/media/x"));
}

#[test]
fn generated_names_carry_the_stem_the_date_and_the_sequence_number() {
    assert_eq!(name_from(Some("My Photos"), "", "2017-07-14", 1234567890), "My_Photos_2017-07-14_1234567890");
    assert_eq!(name_from(Some("照片"), "", "2017-07-14", 5), "_2017-07-14_5");
    assert_eq!(name_from(Some("../../x"), "", "2017-07-14", 5), "x_2017-07-14_5");
    assert_eq!(name_from(None, "mp4", "2017-07-14", 1234567890), "2017-07-14_1234567890.mp4");
    assert_eq!(name_from(None, "../", "2017-07-14", 7), "2017-07-14_7");
    assert_eq!(name_from(None, ".M O V", "2017-07-14", 7), "2017-07-14_7.M_O_V");
    let long = name_from(Some(&"ﬃ".repeat(99)), "", "2017-07-14", 9_999_999_999);
    assert!(long.len() < 255, "{} bytes", long.len());
    let name = generated_name(Some("x"), "");
    let parts: Vec<&str> = name.split('_').collect();
    assert_eq!(parts.len(), 3, "{name}");
    assert_eq!(parts[1].len(), 10, "{name}");
    assert!(parts[2].parse::<u64>().is_ok_and(|n| n < 10_000_000_000), "{name}");
}

#[test]
fn creation_retries_collisions_a_bounded_number_of_times() {
    let dir = tempfile::tempdir().unwrap();
    let mut attempts = 0;
    let result = create_unique(dir.path(), Some("x"), "", |_| -> io::Result<()> {
        attempts += 1;
        Err(io::ErrorKind::AlreadyExists.into())
    });
    assert_eq!(result.unwrap_err(), ApiError::Internal);
    assert_eq!(attempts, CREATE_ATTEMPTS);
    let mut seen = Vec::new();
    let (path, ()) = create_unique(dir.path(), None, "jpg", |p| {
        seen.push(p.to_path_buf());
        if seen.len() < 3 {
            Err(io::ErrorKind::AlreadyExists.into())
        } else {
            std::fs::write(p, b"")
        }
    })
    .unwrap();
    assert_eq!(seen.len(), 3);
    assert!(seen.windows(2).all(|w| w[0] != w[1]), "every retry uses a fresh name: {seen:?}");
    assert!(path.is_file() && path.parent() == Some(dir.path()));
}

#[test]
fn creation_gives_up_at_once_on_errors_other_than_already_exists() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let mut attempts = 0;
    let result = create_unique(&missing, Some("x"), "", |p| {
        attempts += 1;
        std::fs::create_dir(p)
    });
    assert_eq!((result.unwrap_err(), attempts), (ApiError::Internal, 1));
}

#[test]
fn removing_a_tree_unlinks_symlinks_and_never_touches_their_targets() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(outside.join("deep")).unwrap();
    std::fs::write(outside.join("deep/keep.txt"), b"precious").unwrap();
    std::fs::write(outside.join("keep2.txt"), b"precious").unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(tree.join("a/b")).unwrap();
    std::fs::write(tree.join("a/b/file"), b"x").unwrap();
    symlink(&outside, tree.join("a/b/link_to_dir")).unwrap();
    symlink(outside.join("keep2.txt"), tree.join("a/link_to_file")).unwrap();
    symlink(dir.path().join("nowhere"), tree.join("dangling")).unwrap();
    remove_tree(&tree).unwrap();
    assert!(!tree.exists() && std::fs::symlink_metadata(&tree).is_err());
    assert_eq!(std::fs::read(outside.join("deep/keep.txt")).unwrap(), b"precious");
    assert_eq!(std::fs::read(outside.join("keep2.txt")).unwrap(), b"precious");
}

#[test]
fn removing_a_symlink_to_a_directory_removes_only_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep"), b"k").unwrap();
    let link = dir.path().join("link");
    symlink(&target, &link).unwrap();
    remove_tree(&link).unwrap();
    assert!(std::fs::symlink_metadata(&link).is_err());
    assert!(target.join("keep").is_file());
    remove_tree(&dir.path().join("never-existed")).unwrap();
    remove_file_if_exists(&dir.path().join("never-existed")).unwrap();
}
