"""Recordings measured from the sound they hold (desktop.media_audio through desktop.media.probe), made at
test time by encoders independent of the PyAV the measuring code uses: sox, lame and the ffmpeg command
line, written to files and to pipes, and with headers patched to lie."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop import media
from desktop.errors import DomainError
from tests import media_files as mf


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """12 s of sound by sox, which the encoders below take as their input."""
    return mf.sox_wav(tmp_path_factory.mktemp("source") / "12s.wav", 12)


def _piped(path: Path, *command: str | Path) -> Path:
    mf.run(*command, stdout=path)
    return path


def _amr(source: Path, out: Path, kind: str, rate: str) -> Path:
    return mf.sox_convert(source, out, "-r", rate, "-t", kind)


MAKERS = {
    "wav-sox": ("audio/wav", lambda s, d: mf.sox_wav(d / "a.wav", 12)),
    "wav-24-bit-stereo-extensible": ("audio/wav", lambda s, d: mf.sox_convert(s, d / "a.wav", "-c", "2", "-b", "24")),
    "wav-a-law": ("audio/wav", lambda s, d: mf.sox_convert(s, d / "a.wav", "-e", "a-law")),
    "wav-ima-adpcm": ("audio/wav", lambda s, d: mf.sox_convert(s, d / "a.wav", "-e", "ima-adpcm")),
    "wav-gsm": ("audio/wav", lambda s, d: mf.sox_convert(s, d / "a.wav", "-r", "8000", "-e", "gsm-full-rate")),
    "mp3-lame-vbr-xing": ("audio/mpeg", lambda s, d: mf.lame(s, d / "a.mp3", "-V", "5")),
    "mp3-lame-vbr-no-xing": ("audio/mpeg", lambda s, d: mf.lame(s, d / "a.mp3", "-t", "-V", "5")),
    "mp3-lame-pipe": ("audio/mpeg", lambda s, d: _piped(d / "a.mp3", mf.tool("lame"), "--quiet", "-V", "5", s, "-")),
    "mp3-lame-cbr": ("audio/mpeg", lambda s, d: mf.lame(s, d / "a.mp3", "-b", "64")),
    "mp3-ffmpeg-write-xing-0": ("audio/mpeg", lambda s, d: mf.ffmpeg(s, d / "a.mp3", "-c:a", "libmp3lame", "-q:a", "4",
                                                                      "-write_xing", "0")),
    "mp3-ffmpeg-pipe": ("audio/mpeg", lambda s, d: mf.ffmpeg_to_pipe(s, d / "a.mp3", "-c:a", "libmp3lame", "-f", "mp3")),
    "mp3-sox": ("audio/mpeg", lambda s, d: mf.sox_convert(s, d / "a.mp3")),
    "m4a-ffmpeg": ("audio/mp4", lambda s, d: mf.ffmpeg(s, d / "a.m4a", "-c:a", "aac")),
    "m4a-alac-ffmpeg": ("audio/mp4", lambda s, d: mf.ffmpeg(s, d / "a.m4a", "-c:a", "alac")),  # iPhone lossless
    "m4a-ffmpeg-faststart": ("audio/mp4", lambda s, d: mf.ffmpeg(s, d / "a.m4a", "-c:a", "aac", "-movflags", "+faststart")),
    "m4a-fragmented": ("audio/mp4", lambda s, d: mf.ffmpeg(s, d / "a.m4a", "-c:a", "aac", "-movflags",
                                                           "frag_keyframe+empty_moov")),
    "m4a-fragmented-pipe": ("audio/mp4", lambda s, d: mf.ffmpeg_to_pipe(s, d / "a.m4a", "-c:a", "aac", "-movflags",
                                                                        "frag_keyframe+empty_moov", "-f", "ipod")),
    "aac-adts-ffmpeg": ("audio/aac", lambda s, d: mf.ffmpeg(s, d / "a.aac", "-c:a", "aac", "-f", "adts")),
    "amr-nb-sox": ("audio/amr", lambda s, d: _amr(s, d / "a.amr", "amr-nb", "8000")),
    "3gp-amr": ("audio/3gpp", lambda s, d: mf.ffmpeg(_amr(s, d / "a.amr", "amr-nb", "8000"), d / "a.3gp",
                                                     "-c:a", "copy")),
    "opus-ogg-ffmpeg": ("audio/ogg", lambda s, d: mf.ffmpeg(s, d / "a.ogg", "-c:a", "libopus")),
    "vorbis-ogg-sox": ("audio/ogg", lambda s, d: mf.sox_convert(s, d / "a.ogg")),
}


@pytest.mark.parametrize("maker", MAKERS)
def test_every_recorder_format_is_measured_from_its_sound(source, tmp_path, maker):
    mime, make = MAKERS[maker]
    info = media.probe(make(source, tmp_path))
    assert (info.kind, info.mime) == ("audio", mime)
    assert info.duration_s == pytest.approx(12, abs=0.15)  # priming and padding: a frame or two


def _refusal(path: Path) -> DomainError:
    with pytest.raises(DomainError) as caught:
        media.probe(path, "录音.wav")
    assert caught.value.code == "bad_file" and caught.value.field == "attachments"
    assert "录音.wav" in caught.value.message_zh and "录音.wav" in caught.value.message_en
    assert str(path.parent) not in caught.value.message_en + caught.value.message_zh  # no internal path
    return caught.value


def test_a_20_s_wav_written_to_a_pipe_claims_13_hours_and_is_refused_as_damaged(tmp_path):
    piped = mf.ffmpeg_to_pipe(mf.sox_wav(tmp_path / "20s.wav", 20), tmp_path / "x.wav", "-ar", "44100", "-ac", "1",
                              "-f", "wav")
    data = piped.read_bytes()
    assert data[data.find(b"data") + 4:][:4] == b"\xff\xff\xff\xff"  # the data size ffmpeg could not fill in
    error = _refusal(piped)
    assert "录音文件已损坏：文件头声称 13 小时 31 分，实际内容 20 秒" in error.message_zh
    assert "damaged: its header claims 13 h 31 min but it holds 20 s of sound" in error.message_en


@pytest.mark.parametrize("kind", ["wav", "m4a-all-headers", "m4a-mvhd-only", "m4a-faststart", "mp3-xing"])
def test_a_30_s_recording_whose_header_claims_200_s_is_refused(source, tmp_path, kind):
    sound = mf.sox_wav(tmp_path / "30s.wav", 30)
    if kind == "wav":
        path = mf.patch_wav_length(sound, 200)
    elif kind == "mp3-xing":
        path = mf.patch_xing_frames(mf.lame(sound, tmp_path / "a.mp3", "-V", "5"), 200 / 30)
    else:
        options = ("-movflags", "+faststart") if kind == "m4a-faststart" else ()
        boxes = (b"mvhd",) if kind == "m4a-mvhd-only" else (b"mvhd", b"mdhd", b"tkhd")
        path = mf.patch_mp4_length(mf.ffmpeg(sound, tmp_path / "a.m4a", "-c:a", "aac", *options), 200 / 30, boxes)
    error = _refusal(path)
    assert "文件头声称 3 分 20 秒，实际内容 30" in error.message_zh
    assert "its header claims 3 min 20 s but it holds 30" in error.message_en


def test_a_header_claiming_less_than_the_sound_is_refused_too(tmp_path):
    error = _refusal(mf.patch_wav_length(mf.sox_wav(tmp_path / "95s.wav", 95, rate=8000), 20))
    assert "文件头声称 20 秒，实际内容 1 分 35 秒" in error.message_zh


def test_a_genuine_vbr_mp3_without_xing_is_counted_not_guessed_from_its_first_frames(tmp_path):
    import av

    # 3 s of loud noise, then 92 s of quiet tone: the first frames' bitrate says about a third of the length
    loud = mf.sox_wav(tmp_path / "loud.wav", 3, synth="whitenoise")
    quiet = mf.sox_wav(tmp_path / "quiet.wav", 92)
    both = tmp_path / "both.wav"
    mf.run(mf.tool("sox"), loud, quiet, both)
    path = mf.lame(both, tmp_path / "95s.mp3", "-t", "-V", "9")
    with av.open(str(path)) as container:
        guessed = container.duration / av.time_base
    assert guessed < 60  # what a header-based reading makes of it (refused as too short)
    assert media.probe(path).duration_s == pytest.approx(95, abs=0.15)


def test_a_truncated_m4a_is_refused_with_what_it_claims_and_what_is_left(tmp_path):
    path = mf.ffmpeg(mf.sox_wav(tmp_path / "20s.wav", 20), tmp_path / "a.m4a", "-c:a", "aac", "-b:a", "64k",
                     "-movflags", "+faststart")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    error = _refusal(path)
    assert "damaged: its header claims 20" in error.message_en and "but it holds 9." in error.message_en


def test_a_video_and_a_wechat_silk_voice_are_refused_with_what_to_do(tmp_path):
    video = tmp_path / "clip.mp4"
    mf.run(mf.tool("ffmpeg"), "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=5",
           "-f", "lavfi", "-i", "sine", "-t", "2", "-pix_fmt", "yuv420p", video)
    assert "it is a video, not a recording" in _refusal(video).message_en

    silk = tmp_path / "voice.silk"
    silk.write_bytes(b"\x02#!SILK_V3" + bytes(400))
    error = _refusal(silk)
    assert "微信 SILK" in error.message_zh and "AMR/3GP" in error.message_zh and "Opus/OGG" in error.message_en


def test_a_recording_that_cannot_be_decoded_names_the_readable_formats(tmp_path):
    path = tmp_path / "x.ogg"
    path.write_bytes(b"OggS" + bytes(2000))
    error = _refusal(path)
    assert "WAV、MP3、M4A/AAC（含分段 M4A）、AMR/3GP、Opus/OGG" in error.message_zh
    assert "readable: WAV, MP3, M4A/AAC (fragmented M4A too), AMR/3GP, Opus/OGG" in error.message_en


def test_what_the_header_claimed_is_kept_beside_what_was_counted(source, tmp_path):
    wav = media.probe(mf.sox_wav(tmp_path / "a.wav", 12))
    assert (wav.duration_s, wav.claimed_duration_s, wav.codec) == (12.0, 12.0, "pcm")
    amr = media.probe(_amr(source, tmp_path / "a.amr", "amr-nb", "8000"))
    assert amr.claimed_duration_s is None  # an AMR file claims no length: it is only counted


@pytest.mark.parametrize(("options", "cut"), [((), 1.0), (("-movflags", "+faststart"), 1.0),
                                              (("-movflags", "+faststart"), 0.4)],
                         ids=["moov-last", "faststart", "faststart-cut-off"])
def test_an_m4a_sample_table_counts_what_the_demuxer_finds(source, tmp_path, options, cut):
    import av

    from desktop import media_mp4

    path = mf.ffmpeg(source, tmp_path / "a.m4a", "-c:a", "aac", *options)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * cut)])
    with path.open("rb") as f:
        listed = media_mp4.sound_samples(f, path.stat().st_size)
    with av.open(str(path)) as container:
        demuxed = sum(1 for p in container.demux(container.streams.audio[0]) if p.size)
    assert listed is not None and abs(listed - demuxed) <= 1
    if cut < 1:
        assert listed < 0.5 * 12 * 16000 / 1024  # the cut-off part is not counted


MP3_MAKERS = {
    **{name: make for name, (mime, make) in MAKERS.items() if mime == "audio/mpeg"},
    "lame-id3-tags": lambda s, d: mf.lame(s, d / "a.mp3", "-V", "5", "--add-id3v2", "--tt", "拜访录音", "--ta", "刘"),
    "lame-junk-inside": lambda s, d: _with_junk(mf.lame(s, d / "a.mp3", "-b", "64")),
}


def _with_junk(path: Path) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] + b"\x00junk\x00" * 50 + data[len(data) // 2:])
    return path


@pytest.mark.parametrize("maker", MP3_MAKERS)
def test_an_mp3_frame_walk_counts_what_the_demuxer_finds(source, tmp_path, maker):
    import av

    path = MP3_MAKERS[maker](source, tmp_path)
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        per_frame, rate = stream.codec_context.frame_size, stream.codec_context.sample_rate
        demuxed = sum(1 for p in container.demux(stream) if p.size)
    assert media.probe(path).duration_s == pytest.approx(demuxed * per_frame / rate, abs=per_frame / rate + 0.001)


def test_headers_cut_anywhere_are_refused_as_damaged_never_with_a_raw_error(source, tmp_path):
    """Every prefix of the first kilobytes of each container: a refusal in words, or a measured length."""
    for name, make in (("wav", lambda: mf.sox_wav(tmp_path / "a.wav", 2)),
                       ("m4a", lambda: mf.ffmpeg(source, tmp_path / "a.m4a", "-c:a", "aac", "-movflags", "+faststart")),
                       ("mp3", lambda: mf.lame(source, tmp_path / "a.mp3", "-V", "5")),
                       ("ogg", lambda: mf.ffmpeg(source, tmp_path / "a.ogg", "-c:a", "libopus"))):
        data = make().read_bytes()
        cut = tmp_path / f"cut.{name}"
        for end in (*range(12, 200, 7), *range(200, 3000, 97)):
            cut.write_bytes(data[:end])
            try:
                info = media.probe(cut)
            except DomainError as error:
                assert error.code == "bad_file" and "cut." in error.message_en
            else:
                assert info.kind == "audio" and info.duration_s > 0
