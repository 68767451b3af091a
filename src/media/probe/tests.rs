//! Unit tests. Fixtures are built in code and written to a fresh directory under the system
//! temp dir (see `fixtures`).

mod ffmpeg;
mod fixtures;

use super::*;
use fixtures::*;

// ---------- JPEG ----------

#[test]
fn jpeg_with_orientation_6_swaps_width_and_height() {
    let info = probe_bytes("a.jpg", &orientation_jpeg(false, 6));
    let expected = MediaInfo {
        width: Some(3000),
        height: Some(4000),
        orientation: Some(6),
        ..MediaInfo::new(TYPE_IMAGE)
    };
    assert_eq!(info, expected);
}

#[test]
fn big_endian_exif_with_orientation_6_also_swaps() {
    let info = probe_bytes("a.jpg", &orientation_jpeg(true, 6));
    assert_eq!(
        (info.width, info.height, info.orientation),
        (Some(3000), Some(4000), Some(6))
    );
}

#[test]
fn jpeg_with_orientation_3_keeps_width_and_height_in_both_byte_orders() {
    for big_endian in [false, true] {
        let info = probe_bytes("a.jpeg", &orientation_jpeg(big_endian, 3));
        assert_eq!(
            (info.width, info.height, info.orientation),
            (Some(4000), Some(3000), Some(3))
        );
    }
}

#[test]
fn jpeg_orientation_outside_1_to_8_is_not_stored() {
    for value in [0, 9, 600] {
        let info = probe_bytes("a.jpg", &orientation_jpeg(false, value));
        assert_eq!(
            (info.file_type, info.orientation, info.width),
            (TYPE_IMAGE, None, Some(4000))
        );
    }
}

#[test]
fn jpeg_without_exif_has_size_but_no_orientation() {
    let info = probe_bytes("no-exif.JPG", &jpeg(None, 640, 480));
    assert_eq!(info, MediaInfo::sized(TYPE_IMAGE, 640, 480));
}

#[test]
fn jpeg_cut_before_its_frame_header_is_other() {
    let full = orientation_jpeg(false, 6);
    assert_eq!(probe_bytes("cut.jpg", &full[..60]), other());
}

// ---------- PNG, GIF, WebP, BMP, TIFF, HEIF ----------

#[test]
fn png_size_comes_from_ihdr() {
    assert_eq!(
        probe_bytes("a.png", &png(800, 600, None)),
        MediaInfo::sized(TYPE_IMAGE, 800, 600)
    );
}

#[test]
fn png_exif_chunk_orientation_8_swaps_the_size() {
    let info = probe_bytes(
        "a.png",
        &png(800, 600, Some(tiff_block(true, &[(0x0112, 3, 8)]))),
    );
    assert_eq!(
        (info.width, info.height, info.orientation),
        (Some(600), Some(800), Some(8))
    );
}

#[test]
fn gif_duration_is_the_sum_of_all_frame_delays() {
    let info = probe_bytes("anim.gif", &gif(320, 200, &[Some(10), Some(20), Some(30)]));
    assert_eq!(
        (info.file_type, info.width, info.height, info.orientation),
        (TYPE_GIF, Some(320), Some(200), None)
    );
    assert_duration(&info, 0.6);
}

#[test]
fn single_frame_gif_without_control_extension_is_a_gif_without_duration() {
    assert_eq!(
        probe_bytes("still.gif", &gif(16, 8, &[None])),
        MediaInfo::sized(TYPE_GIF, 16, 8)
    );
}

#[test]
fn gif_whose_delays_are_all_zero_has_no_duration() {
    assert_eq!(
        probe_bytes("z.gif", &gif(16, 8, &[Some(0), Some(0)])).duration,
        None
    );
}

#[test]
fn truncated_gif_keeps_its_size_and_the_delays_seen_so_far() {
    let full = gif(16, 8, &[Some(10), Some(20), Some(30)]);
    let info = probe_bytes("cut.gif", &full[..full.len() - 30]);
    assert_eq!((info.file_type, info.width), (TYPE_GIF, Some(16)));
    assert_duration(&info, 0.3);
}

#[test]
fn webp_sizes_come_from_vp8_vp8l_and_vp8x_chunks() {
    let vp8 = chunk(
        b"VP8 ",
        &[
            0x30, 0x01, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0xE0, 0x01, 0, 0,
        ],
    );
    assert_eq!(
        probe_bytes("a.webp", &riff(b"WEBP", &[vp8])),
        MediaInfo::sized(TYPE_IMAGE, 640, 480)
    );
    let bits: u32 = 99 | (49 << 14);
    let vp8l = chunk(
        b"VP8L",
        &[[0x2F].as_slice(), &bits.to_le_bytes(), &[0; 4]].concat(),
    );
    assert_eq!(
        probe_bytes("b.webp", &riff(b"WEBP", &[vp8l])),
        MediaInfo::sized(TYPE_IMAGE, 100, 50)
    );
    let vp8x = chunk(b"VP8X", &[0x08, 0, 0, 0, 0x1F, 0x03, 0, 0xDF, 0x01, 0]);
    let exif = chunk(b"EXIF", &tiff_block(false, &[(0x0112, 3, 6)]));
    let info = probe_bytes(
        "c.webp",
        &riff(b"WEBP", &[vp8x, chunk(b"VP8 ", &[0; 10]), exif]),
    );
    assert_eq!(
        (info.width, info.height, info.orientation),
        (Some(480), Some(800), Some(6))
    );
}

#[test]
fn bmp_size_comes_from_the_info_header_even_when_top_down() {
    let mut b = b"BM".to_vec();
    b.extend([0; 12]);
    b.extend(40u32.to_le_bytes());
    b.extend(300i32.to_le_bytes());
    b.extend((-200i32).to_le_bytes());
    b.extend([1, 0, 24, 0]);
    b.extend([0; 24]);
    assert_eq!(
        probe_bytes("a.bmp", &b),
        MediaInfo::sized(TYPE_IMAGE, 300, 200)
    );
}

#[test]
fn tiff_file_gives_size_and_orientation_from_ifd0() {
    let info = probe_bytes(
        "a.tif",
        &tiff_block(
            true,
            &[(0x0100, 4, 5000), (0x0101, 3, 1000), (0x0112, 3, 5)],
        ),
    );
    assert_eq!(
        (info.width, info.height, info.orientation),
        (Some(1000), Some(5000), Some(5))
    );
    let little = probe_bytes(
        "b.tiff",
        &tiff_block(false, &[(0x0100, 3, 64), (0x0101, 3, 32)]),
    );
    assert_eq!(little, MediaInfo::sized(TYPE_IMAGE, 64, 32));
}

#[test]
fn heic_size_is_the_primary_items_ispe_turned_by_irot() {
    let ispe = |w: u32, h: u32| {
        bx(
            b"ispe",
            &[[0u8; 4].as_slice(), &w.to_be_bytes(), &h.to_be_bytes()].concat(),
        )
    };
    let ipco = boxes(
        b"ipco",
        &[ispe(512, 512), ispe(4032, 3024), bx(b"irot", &[1])],
    );
    let ipma = bx(
        b"ipma",
        &[0, 0, 0, 0, 0, 0, 0, 2, 0, 1, 1, 0x81, 0, 2, 2, 0x82, 0x03],
    );
    let pitm = bx(b"pitm", &[0, 0, 0, 0, 0, 2]);
    let meta = bx(
        b"meta",
        &[
            [0u8; 4].as_slice(),
            &hdlr(b"pict"),
            &pitm,
            &boxes(b"iprp", &[ipco, ipma]),
        ]
        .concat(),
    );
    let file = [
        ftyp(b"heic", &[b"mif1", b"heic"]),
        meta,
        bx(b"mdat", &[0; 16]),
    ]
    .concat();
    assert_eq!(
        probe_bytes("a.HEIC", &file),
        MediaInfo::sized(TYPE_IMAGE, 3024, 4032)
    );
    let bare = [ftyp(b"mif1", &[b"heic"]), bx(b"mdat", &[0; 16])].concat();
    assert_eq!(probe_bytes("b.heif", &bare), MediaInfo::new(TYPE_IMAGE));
}

// ---------- ISO-BMFF ----------

#[test]
fn mp4_with_a_90_degree_video_track_is_video_with_orientation_8_and_swapped_size() {
    let info = probe_bytes("clip.mp4", &mp4(ROT90));
    let expected = MediaInfo {
        width: Some(1080),
        height: Some(1920),
        orientation: Some(8),
        ..MediaInfo::new(TYPE_VIDEO)
    };
    assert_eq!(
        info,
        MediaInfo {
            duration: Some(2.5),
            ..expected
        }
    );
}

#[test]
fn mp4_rotations_180_and_270_map_to_orientations_3_and_6() {
    let half = probe_bytes("a.mov", &mp4(ROT180));
    assert_eq!(
        (half.orientation, half.width, half.height),
        (Some(3), Some(1920), Some(1080))
    );
    let three_quarters = probe_bytes("b.m4v", &mp4(ROT270));
    assert_eq!(
        (three_quarters.orientation, three_quarters.width),
        (Some(6), Some(1080))
    );
    let upright = probe_bytes("c.mp4", &mp4(IDENTITY));
    assert_eq!((upright.orientation, upright.width), (None, Some(1920)));
}

#[test]
fn audio_only_m4a_is_audio_with_the_movie_duration() {
    let moov = boxes(
        b"moov",
        &[
            time_box(b"mvhd", 0, 44100, 441_000),
            trak(tkhd(0, 0, 0, IDENTITY), b"soun"),
        ],
    );
    let file = [
        ftyp(b"M4A ", &[b"M4A ", b"mp42", b"isom"]),
        moov,
        bx(b"mdat", &[0; 8]),
    ]
    .concat();
    let info = probe_bytes("song.m4a", &file);
    assert_eq!(
        (info.file_type, info.width, info.orientation),
        (TYPE_AUDIO, None, None)
    );
    assert_duration(&info, 10.0);
}

#[test]
fn zero_sized_video_track_does_not_make_a_file_video() {
    let moov = boxes(
        b"moov",
        &[
            trak(tkhd(0, 0, 0, ROT90), b"vide"),
            trak(tkhd(0, 0, 0, IDENTITY), b"soun"),
        ],
    );
    let info = probe_bytes("a.mp4", &[ftyp(b"isom", &[]), moov].concat());
    assert_eq!((info.file_type, info.orientation), (TYPE_AUDIO, None));
    assert_duration(&info, 2.0); // from mdhd, as there is no mvhd
}

#[test]
fn version_1_headers_and_a_64_bit_largesize_mdat_before_moov_are_read() {
    let mut mdat = 1u32.to_be_bytes().to_vec();
    mdat.extend(b"mdat");
    mdat.extend(1040u64.to_be_bytes());
    mdat.extend([0x55; 1024]);
    let moov = boxes(
        b"moov",
        &[
            time_box(b"mvhd", 1, 600, 1500),
            trak(tkhd(1, 720, 576, ROT270), b"vide"),
        ],
    );
    let info = probe_bytes("a.3gp", &[ftyp(b"3gp4", &[b"3gp4"]), mdat, moov].concat());
    assert_eq!(
        (info.file_type, info.width, info.height, info.orientation),
        (TYPE_VIDEO, Some(576), Some(720), Some(6))
    );
    assert_duration(&info, 2.5);
}

#[test]
fn a_sparse_5_gib_mp4_is_probed_by_seeking_over_its_mdat() {
    use std::io::Write;
    let dir = TempDir::new();
    let path = dir.0.join("big.mp4");
    let mdat_size: u64 = 5 << 30;
    let mut head = ftyp(b"isom", &[b"isom"]);
    let moov_at = head.len() as u64 + mdat_size;
    head.extend(1u32.to_be_bytes());
    head.extend(b"mdat");
    head.extend(mdat_size.to_be_bytes());
    let mut file = std::fs::File::create(&path).expect("create");
    file.write_all(&head).expect("write head");
    file.seek(SeekFrom::Start(moov_at)).expect("seek");
    let moov = &mp4(ROT180)[ftyp(b"isom", &[b"isom", b"mp41"]).len()..];
    file.write_all(moov).expect("write moov");
    drop(file);
    let info = probe(&path).expect("probe");
    assert_eq!(
        (info.file_type, info.orientation, info.duration),
        (TYPE_VIDEO, Some(3), Some(2.5))
    );
}

#[test]
fn box_with_size_zero_runs_to_the_end_of_the_file_without_hanging() {
    let mut last = 0u32.to_be_bytes().to_vec();
    last.extend(b"mdat");
    last.extend([0; 100]);
    assert_eq!(
        probe_bytes("a.mp4", &[mp4(ROT90), last.clone()].concat()).orientation,
        Some(8)
    );
    let mut moov0 = 0u32.to_be_bytes().to_vec();
    moov0.extend(b"moov");
    moov0.extend(&mp4(IDENTITY)[ftyp(b"isom", &[b"isom", b"mp41"]).len() + 8..]);
    assert_eq!(
        probe_bytes("b.mp4", &[ftyp(b"isom", &[]), moov0].concat()).file_type,
        TYPE_VIDEO
    );
}

#[test]
fn box_smaller_than_its_header_stops_the_walk() {
    for size in [4u32, 7, 1] {
        let mut bad = size.to_be_bytes().to_vec();
        bad.extend(b"free");
        bad.extend(if size == 1 {
            3u64.to_be_bytes().to_vec()
        } else {
            vec![0; 8]
        });
        let file = [ftyp(b"isom", &[]), bad, mp4(ROT90)].concat();
        assert_eq!(probe_bytes("a.mp4", &file), other());
    }
}

#[test]
fn box_sizes_pointing_past_the_end_of_the_file_give_partial_info_or_other() {
    let mut file = mp4(ROT90);
    let moov_at = ftyp(b"isom", &[b"isom", b"mp41"]).len();
    file[moov_at..moov_at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
    assert_eq!(probe_bytes("a.mp4", &file).orientation, Some(8));
    let mut huge = 1u32.to_be_bytes().to_vec();
    huge.extend(b"moov");
    huge.extend(u64::MAX.to_be_bytes());
    assert_eq!(
        probe_bytes("b.mp4", &[ftyp(b"isom", &[]), huge].concat()),
        other()
    );
}

// ---------- audio ----------

#[test]
fn mp3_with_id3v2_and_cbr_frames_estimates_duration_from_the_bitrate() {
    let frames: Vec<u8> = (0..20).flat_map(|_| mp3_frame(&[])).collect();
    let info = probe_bytes("song.mp3", &[id3v2(1000), frames].concat());
    assert_eq!(info.file_type, TYPE_AUDIO);
    assert_duration(&info, 20.0 * 417.0 * 8.0 / 128_000.0);
}

#[test]
fn mp3_with_a_xing_header_uses_its_frame_count() {
    let xing = [
        vec![0; 32],
        b"Xing".to_vec(),
        vec![0, 0, 0, 1],
        500u32.to_be_bytes().to_vec(),
    ]
    .concat();
    let file = [id3v2(10), mp3_frame(&xing), mp3_frame(&[]), mp3_frame(&[])].concat();
    assert_duration(&probe_bytes("vbr.mp3", &file), 500.0 * 1152.0 / 44100.0);
}

#[test]
fn mp3_without_a_frame_sync_within_64_kib_is_other() {
    let file = [id3v2(100), vec![0x20; 70_000], mp3_frame(&[])].concat();
    assert_eq!(probe_bytes("a.mp3", &file), other());
}

#[test]
fn bare_mpeg_frames_need_the_mp3_extension_to_be_searched_for() {
    let file = [vec![0x00; 100], mp3_frame(&[]), mp3_frame(&[])].concat();
    assert_eq!(probe_bytes("a.MP3", &file).file_type, TYPE_AUDIO);
    assert_eq!(probe_bytes("a.bin", &file), other());
    let at_start = [mp3_frame(&[]), mp3_frame(&[])].concat();
    assert_eq!(probe_bytes("a.bin", &at_start).file_type, TYPE_AUDIO);
}

#[test]
fn adts_aac_is_audio_without_duration() {
    let adts = [0xFF, 0xF1, 0x50, 0x80, 0x02, 0x1F, 0xFC, 0, 0, 0];
    assert_eq!(probe_bytes("a.aac", &adts), MediaInfo::new(TYPE_AUDIO));
    assert_eq!(probe_bytes("b.aac", b"not really aac"), other());
}

#[test]
fn wav_duration_is_data_size_over_byte_rate() {
    let info = probe_bytes("a.wav", &wav(44_100));
    assert_eq!(info.file_type, TYPE_AUDIO);
    assert_duration(&info, 0.25);
}

#[test]
fn flac_duration_comes_from_streaminfo() {
    let info = probe_bytes("a.flac", &flac(44_100, 441_000));
    assert_eq!(info.file_type, TYPE_AUDIO);
    assert_duration(&info, 10.0);
    assert_duration(
        &probe_bytes("b.flac", &[id3v2(20), flac(48_000, 24_000)].concat()),
        0.5,
    );
}

#[test]
fn ogg_vorbis_duration_comes_from_the_last_granule_and_theora_is_video() {
    let ident = [
        b"\x01vorbis\0\0\0\0\x02".as_slice(),
        &44_100u32.to_le_bytes(),
        &[0; 13],
    ]
    .concat();
    let file = [
        ogg_page(0, &ident),
        ogg_page(u64::MAX, &[0; 40]),
        ogg_page(88_200, &[0; 40]),
    ]
    .concat();
    assert_duration(&probe_bytes("a.ogg", &file), 2.0);
    assert_eq!(
        probe_bytes("b.ogv", &ogg_page(0, b"\x80theora\x03\x02\x01")).file_type,
        TYPE_VIDEO
    );
}

#[test]
fn aiff_duration_comes_from_comm() {
    let mut comm = vec![0, 2];
    comm.extend(22_050u32.to_be_bytes());
    comm.extend([0, 16, 0x40, 0x0E, 0xAC, 0x44, 0, 0, 0, 0, 0, 0]);
    let body = [b"AIFF".as_slice(), b"COMM", &18u32.to_be_bytes(), &comm].concat();
    let file = [
        b"FORM".as_slice(),
        &(body.len() as u32).to_be_bytes(),
        &body,
    ]
    .concat();
    assert_duration(&probe_bytes("a.aiff", &file), 0.5);
}

// ---------- other video containers ----------

#[test]
fn matroska_gives_video_size_and_duration_and_audio_only_is_audio() {
    let file = matroska(&[mkv_track(2, None), mkv_track(1, Some((0x80, 0x68)))]);
    let expected = MediaInfo {
        duration: Some(1.2345),
        ..MediaInfo::sized(TYPE_VIDEO, 640, 360)
    };
    assert_eq!(probe_bytes("a.mkv", &file), expected);
    assert_eq!(
        probe_bytes("b.webm", &matroska(&[mkv_track(2, None)])).file_type,
        TYPE_AUDIO
    );
    let bare = ebml(&[0x1A, 0x45, 0xDF, 0xA3], &[]);
    assert_eq!(probe_bytes("c.mka", &bare).file_type, TYPE_AUDIO);
    assert_eq!(probe_bytes("c.mkv", &bare).file_type, TYPE_VIDEO);
}

#[test]
fn avi_size_and_duration_come_from_avih() {
    let mut avih = vec![];
    for v in [40_000u32, 0, 0, 0, 250, 0, 1, 0, 320, 240, 0, 0, 0, 0] {
        avih.extend(v.to_le_bytes());
    }
    let hdrl = chunk(
        b"LIST",
        &[b"hdrl".as_slice(), &chunk(b"avih", &avih)].concat(),
    );
    let file = riff(
        b"AVI ",
        &[chunk(b"JUNK", &[0; 3]), hdrl, chunk(b"LIST", b"movi")],
    );
    let info = probe_bytes("a.avi", &file);
    assert_eq!(
        (info.file_type, info.width, info.height),
        (TYPE_VIDEO, Some(320), Some(240))
    );
    assert_duration(&info, 10.0);
}

#[test]
fn flv_metadata_gives_size_and_duration() {
    let num = |k: &str, v: f64| {
        [
            &(k.len() as u16).to_be_bytes(),
            k.as_bytes(),
            &[0],
            &v.to_be_bytes(),
        ]
        .concat()
    };
    let script = [
        b"\x02\x00\x0AonMetaData\x08\0\0\0\x03".as_slice(),
        &num("duration", 7.5),
        &num("width", 426.0),
        &num("height", 240.0),
        &[0, 0, 9],
    ]
    .concat();
    let size = (script.len() as u32).to_be_bytes();
    let tag = [
        &[18, size[1], size[2], size[3]],
        [0u8; 7].as_slice(),
        &script,
    ]
    .concat();
    let file = [b"FLV\x01\x05\0\0\0\x09\0\0\0\0".as_slice(), &tag].concat();
    assert_eq!(
        probe_bytes("a.flv", &file),
        MediaInfo {
            duration: Some(7.5),
            ..MediaInfo::sized(TYPE_VIDEO, 426, 240)
        }
    );
}

#[test]
fn transport_and_program_streams_are_video() {
    let ts: Vec<u8> = (0..3)
        .flat_map(|_| [vec![0x47, 0x40, 0, 0x10], vec![0xFF; 184]].concat())
        .collect();
    assert_eq!(probe_bytes("a.ts", &ts), MediaInfo::new(TYPE_VIDEO));
    let m2ts: Vec<u8> = (0..3)
        .flat_map(|_| [vec![0; 4], vec![0x47], vec![0xFF; 187]].concat())
        .collect();
    assert_eq!(probe_bytes("a.m2ts", &m2ts), MediaInfo::new(TYPE_VIDEO));
    assert_eq!(
        probe_bytes("a.mpg", &[0, 0, 1, 0xBA, 0x44, 0, 4, 0, 4, 1]),
        MediaInfo::new(TYPE_VIDEO)
    );
}

// ---------- robustness ----------

#[test]
fn text_empty_and_garbage_files_are_other() {
    assert_eq!(
        probe_bytes("notes.txt", b"hello world, this is plain text\n"),
        other()
    );
    assert_eq!(probe_bytes("empty.jpg", b""), other());
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert_eq!(probe_bytes("garbage.mp4", &garbage), other());
    assert_eq!(probe_bytes("short.png", b"\x89PNG\r\n"), other());
}

#[test]
fn a_missing_file_is_an_io_error() {
    let dir = TempDir::new();
    assert_eq!(
        probe(&dir.0.join("missing.jpg")).map_err(|e| e.kind()),
        Err(io::ErrorKind::NotFound)
    );
}

#[test]
fn names_with_quotes_shell_syntax_spaces_and_non_ascii_are_just_names() {
    let dir = TempDir::new();
    let path = dir.write(
        "it's \"$(rm -rf x)\" `id` ünï 写真.JPG",
        &jpeg(None, 10, 20),
    );
    assert_eq!(
        probe(&path).expect("probe"),
        MediaInfo::sized(TYPE_IMAGE, 10, 20)
    );
}

#[test]
fn every_truncation_and_byte_mutation_of_every_fixture_is_handled_without_panicking() {
    use std::io::Write;
    let dir = TempDir::new();
    for (name, bytes) in all_fixtures() {
        // Rewritten in place: truncating to zero and rewriting makes some file systems flush.
        let path = dir.0.join(name);
        let mut file = std::fs::File::create(&path).expect("create");
        let mut check = |content: &[u8]| {
            file.seek(SeekFrom::Start(0)).expect("seek");
            file.write_all(content).expect("write");
            file.set_len(content.len() as u64).expect("set_len");
            probe(&path).expect("probe");
        };
        for cut in (1..=bytes.len()).rev() {
            check(&bytes[..cut]);
        }
        for at in 0..bytes.len() {
            for value in [0x00, 0x01, 0x80, 0xFF, bytes[at] ^ 0xFF] {
                let mut mutated = bytes.clone();
                mutated[at] = value;
                check(&mutated);
            }
        }
    }
}

#[test]
fn final_step_swaps_only_for_orientations_5_to_8() {
    for (orientation, swapped) in [(1, false), (4, false), (5, true), (7, true), (8, true)] {
        let info = finish(MediaInfo {
            orientation: Some(orientation),
            ..MediaInfo::sized(TYPE_IMAGE, 2, 1)
        });
        assert_eq!(info.width == Some(1), swapped);
    }
}
