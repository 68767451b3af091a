//! Unit tests of the audio and video probes (ISO-BMFF boxes, MP3/WAV/FLAC/Ogg/AIFF, Matroska,
//! AVI, FLV, MPEG streams) and of the probe's robustness against damaged input.

use super::super::*;
use super::fixtures::*;
use crate::model::file_type;

// ---------- ISO-BMFF ----------

#[test]
fn mp4_with_a_90_degree_video_track_is_video_with_orientation_8_and_swapped_size() {
    let info = probe_bytes("clip.mp4", &mp4(ROT90));
    let expected =
        MediaInfo { width: Some(1080), height: Some(1920), orientation: Some(8), ..MediaInfo::new(file_type::VIDEO) };
    assert_eq!(info, MediaInfo { duration: Some(2.5), ..expected });
}

#[test]
fn mp4_rotations_180_and_270_map_to_orientations_3_and_6() {
    let half = probe_bytes("a.mov", &mp4(ROT180));
    assert_eq!((half.orientation, half.width, half.height), (Some(3), Some(1920), Some(1080)));
    let three_quarters = probe_bytes("b.m4v", &mp4(ROT270));
    assert_eq!((three_quarters.orientation, three_quarters.width), (Some(6), Some(1080)));
    let upright = probe_bytes("c.mp4", &mp4(IDENTITY));
    assert_eq!((upright.orientation, upright.width), (None, Some(1920)));
}

#[test]
fn audio_only_m4a_is_audio_with_the_movie_duration() {
    let moov = boxes(b"moov", &[time_box(b"mvhd", 0, 44100, 441_000), trak(tkhd(0, 0, 0, IDENTITY), b"soun")]);
    let file = [ftyp(b"M4A ", &[b"M4A ", b"mp42", b"isom"]), moov, bx(b"mdat", &[0; 8])].concat();
    let info = probe_bytes("song.m4a", &file);
    assert_eq!((info.file_type, info.width, info.orientation), (file_type::AUDIO, None, None));
    assert_duration(&info, 10.0);
}

#[test]
fn zero_sized_video_track_does_not_make_a_file_video() {
    let moov = boxes(b"moov", &[trak(tkhd(0, 0, 0, ROT90), b"vide"), trak(tkhd(0, 0, 0, IDENTITY), b"soun")]);
    let info = probe_bytes("a.mp4", &[ftyp(b"isom", &[]), moov].concat());
    assert_eq!((info.file_type, info.orientation), (file_type::AUDIO, None));
    assert_duration(&info, 2.0); // from mdhd, as there is no mvhd
}

#[test]
fn version_1_headers_and_a_64_bit_largesize_mdat_before_moov_are_read() {
    let mut mdat = 1u32.to_be_bytes().to_vec();
    mdat.extend(b"mdat");
    mdat.extend(1040u64.to_be_bytes());
    mdat.extend([0x55; 1024]);
    let moov = boxes(b"moov", &[time_box(b"mvhd", 1, 600, 1500), trak(tkhd(1, 720, 576, ROT270), b"vide")]);
    let info = probe_bytes("a.3gp", &[ftyp(b"3gp4", &[b"3gp4"]), mdat, moov].concat());
    assert_eq!(
        (info.file_type, info.width, info.height, info.orientation),
        (file_type::VIDEO, Some(576), Some(720), Some(6))
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
    assert_eq!((info.file_type, info.orientation, info.duration), (file_type::VIDEO, Some(3), Some(2.5)));
}

#[test]
fn box_with_size_zero_runs_to_the_end_of_the_file_without_hanging() {
    let mut last = 0u32.to_be_bytes().to_vec();
    last.extend(b"mdat");
    last.extend([0; 100]);
    assert_eq!(probe_bytes("a.mp4", &[mp4(ROT90), last.clone()].concat()).orientation, Some(8));
    let mut moov0 = 0u32.to_be_bytes().to_vec();
    moov0.extend(b"moov");
    moov0.extend(&mp4(IDENTITY)[ftyp(b"isom", &[b"isom", b"mp41"]).len() + 8..]);
    assert_eq!(probe_bytes("b.mp4", &[ftyp(b"isom", &[]), moov0].concat()).file_type, file_type::VIDEO);
}

#[test]
fn box_smaller_than_its_header_stops_the_walk() {
    for size in [4u32, 7, 1] {
        let mut bad = size.to_be_bytes().to_vec();
        bad.extend(b"free");
        bad.extend(if size == 1 { 3u64.to_be_bytes().to_vec() } else { vec![0; 8] });
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
    assert_eq!(probe_bytes("b.mp4", &[ftyp(b"isom", &[]), huge].concat()), other());
}

// ---------- audio ----------

#[test]
fn mp3_with_id3v2_and_cbr_frames_estimates_duration_from_the_bitrate() {
    let frames: Vec<u8> = (0..20).flat_map(|_| mp3_frame(&[])).collect();
    let info = probe_bytes("song.mp3", &[id3v2(1000), frames].concat());
    assert_eq!(info.file_type, file_type::AUDIO);
    assert_duration(&info, 20.0 * 417.0 * 8.0 / 128_000.0);
}

#[test]
fn mp3_with_a_xing_header_uses_its_frame_count() {
    let xing = [vec![0; 32], b"Xing".to_vec(), vec![0, 0, 0, 1], 500u32.to_be_bytes().to_vec()].concat();
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
    assert_eq!(probe_bytes("a.MP3", &file).file_type, file_type::AUDIO);
    assert_eq!(probe_bytes("a.bin", &file), other());
    let at_start = [mp3_frame(&[]), mp3_frame(&[])].concat();
    assert_eq!(probe_bytes("a.bin", &at_start).file_type, file_type::AUDIO);
}

#[test]
fn adts_aac_is_audio_without_duration() {
    let adts = [0xFF, 0xF1, 0x50, 0x80, 0x02, 0x1F, 0xFC, 0, 0, 0];
    assert_eq!(probe_bytes("a.aac", &adts), MediaInfo::new(file_type::AUDIO));
    assert_eq!(probe_bytes("b.aac", b"not really aac"), other());
}

#[test]
fn wav_duration_is_data_size_over_byte_rate() {
    let info = probe_bytes("a.wav", &wav(44_100));
    assert_eq!(info.file_type, file_type::AUDIO);
    assert_duration(&info, 0.25);
}

#[test]
fn flac_duration_comes_from_streaminfo() {
    let info = probe_bytes("a.flac", &flac(44_100, 441_000));
    assert_eq!(info.file_type, file_type::AUDIO);
    assert_duration(&info, 10.0);
    assert_duration(&probe_bytes("b.flac", &[id3v2(20), flac(48_000, 24_000)].concat()), 0.5);
}

#[test]
fn ogg_vorbis_duration_comes_from_the_last_granule_and_theora_is_video() {
    let ident = [b"\x01vorbis\0\0\0\0\x02".as_slice(), &44_100u32.to_le_bytes(), &[0; 13]].concat();
    let file = [ogg_page(0, &ident), ogg_page(u64::MAX, &[0; 40]), ogg_page(88_200, &[0; 40])].concat();
    assert_duration(&probe_bytes("a.ogg", &file), 2.0);
    assert_eq!(probe_bytes("b.ogv", &ogg_page(0, b"\x80theora\x03\x02\x01")).file_type, file_type::VIDEO);
}

#[test]
fn aiff_duration_comes_from_comm() {
    let mut comm = vec![0, 2];
    comm.extend(22_050u32.to_be_bytes());
    comm.extend([0, 16, 0x40, 0x0E, 0xAC, 0x44, 0, 0, 0, 0, 0, 0]);
    let body = [b"AIFF".as_slice(), b"COMM", &18u32.to_be_bytes(), &comm].concat();
    let file = [b"FORM".as_slice(), &(body.len() as u32).to_be_bytes(), &body].concat();
    assert_duration(&probe_bytes("a.aiff", &file), 0.5);
}

// ---------- other video containers ----------

#[test]
fn matroska_gives_video_size_and_duration_and_audio_only_is_audio() {
    let file = matroska(&[mkv_track(2, None), mkv_track(1, Some((0x80, 0x68)))]);
    let expected = MediaInfo { duration: Some(1.2345), ..MediaInfo::sized(file_type::VIDEO, 640, 360) };
    assert_eq!(probe_bytes("a.mkv", &file), expected);
    assert_eq!(probe_bytes("b.webm", &matroska(&[mkv_track(2, None)])).file_type, file_type::AUDIO);
    let bare = ebml(&[0x1A, 0x45, 0xDF, 0xA3], &[]);
    assert_eq!(probe_bytes("c.mka", &bare).file_type, file_type::AUDIO);
    assert_eq!(probe_bytes("c.mkv", &bare).file_type, file_type::VIDEO);
}

#[test]
fn avi_size_and_duration_come_from_avih() {
    let mut avih = vec![];
    for v in [40_000u32, 0, 0, 0, 250, 0, 1, 0, 320, 240, 0, 0, 0, 0] {
        avih.extend(v.to_le_bytes());
    }
    let hdrl = chunk(b"LIST", &[b"hdrl".as_slice(), &chunk(b"avih", &avih)].concat());
    let file = riff(b"AVI ", &[chunk(b"JUNK", &[0; 3]), hdrl, chunk(b"LIST", b"movi")]);
    let info = probe_bytes("a.avi", &file);
    assert_eq!((info.file_type, info.width, info.height), (file_type::VIDEO, Some(320), Some(240)));
    assert_duration(&info, 10.0);
}

#[test]
fn flv_metadata_gives_size_and_duration() {
    let num = |k: &str, v: f64| [&(k.len() as u16).to_be_bytes(), k.as_bytes(), &[0], &v.to_be_bytes()].concat();
    let script = [
        b"\x02\x00\x0AonMetaData\x08\0\0\0\x03".as_slice(),
        &num("duration", 7.5),
        &num("width", 426.0),
        &num("height", 240.0),
        &[0, 0, 9],
    ]
    .concat();
    let size = (script.len() as u32).to_be_bytes();
    let tag = [&[18, size[1], size[2], size[3]], [0u8; 7].as_slice(), &script].concat();
    let file = [b"FLV\x01\x05\0\0\0\x09\0\0\0\0".as_slice(), &tag].concat();
    assert_eq!(
        probe_bytes("a.flv", &file),
        MediaInfo { duration: Some(7.5), ..MediaInfo::sized(file_type::VIDEO, 426, 240) }
    );
}

#[test]
fn transport_and_program_streams_are_video() {
    let ts: Vec<u8> = (0..3).flat_map(|_| [vec![0x47, 0x40, 0, 0x10], vec![0xFF; 184]].concat()).collect();
    assert_eq!(probe_bytes("a.ts", &ts), MediaInfo::new(file_type::VIDEO));
    let m2ts: Vec<u8> = (0..3).flat_map(|_| [vec![0; 4], vec![0x47], vec![0xFF; 187]].concat()).collect();
    assert_eq!(probe_bytes("a.m2ts", &m2ts), MediaInfo::new(file_type::VIDEO));
    assert_eq!(probe_bytes("a.mpg", &[0, 0, 1, 0xBA, 0x44, 0, 4, 0, 4, 1]), MediaInfo::new(file_type::VIDEO));
}

// ---------- robustness ----------

#[test]
fn text_empty_and_garbage_files_are_other() {
    assert_eq!(probe_bytes("notes.txt", b"hello world, this is plain text\n"), other());
    assert_eq!(probe_bytes("empty.jpg", b""), other());
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    assert_eq!(probe_bytes("garbage.mp4", &garbage), other());
    assert_eq!(probe_bytes("short.png", b"\x89PNG\r\n"), other());
}

#[test]
fn a_missing_file_is_an_io_error() {
    let dir = TempDir::new();
    assert_eq!(probe(&dir.0.join("missing.jpg")).map_err(|e| e.kind()), Err(io::ErrorKind::NotFound));
}

#[test]
fn names_with_quotes_shell_syntax_spaces_and_non_ascii_are_just_names() {
    let dir = TempDir::new();
    let path = dir.write("it's \"$(rm -rf x)\" `id` ünï 写真.JPG", &jpeg(None, 10, 20));
    assert_eq!(probe(&path).expect("probe"), MediaInfo::sized(file_type::IMAGE, 10, 20));
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
        let info = finish(MediaInfo { orientation: Some(orientation), ..MediaInfo::sized(file_type::IMAGE, 2, 1) });
        assert_eq!(info.width == Some(1), swapped);
    }
}
