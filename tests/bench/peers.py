"""The bench's thumbnail peers, each in one process so that its start-up is not part of its
per-image cost: the original iSyncServer's way (Pillow: open, draft mode, thumbnail, JPEG at
quality 80) and libvips (`thumbnail`, its shrink-on-load path, with the operation cache off so
every run decodes again).

    peers.py pillow|vips BOX RUNS FILE...

For each file: one discarded warm-up, then RUNS timed builds; prints one line per file, the
file and the milliseconds of each run, or the file and ERROR with the reason.
"""

import io
import sys
import time


def pillow(box):
    from PIL import Image

    def build(path):
        with Image.open(path) as im:
            im.draft("RGB", (box, box))
            im.thumbnail((box, box))
            out = io.BytesIO()
            im.convert("RGB").save(out, "JPEG", quality=80)
            return len(out.getvalue())

    return build


def vips(box):
    import pyvips

    pyvips.cache_set_max(0)

    def build(path):
        return len(pyvips.Image.thumbnail(path, box).write_to_buffer(".jpg[Q=80]"))

    return build


def main():
    tool, box, runs, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    build = {"pillow": pillow, "vips": vips}[tool](box)
    for path in files:
        try:
            if build(path) <= 0:
                raise ValueError("an empty thumbnail")
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                build(path)
                times.append((time.perf_counter() - started) * 1000.0)
            print(path, " ".join(f"{t:.3f}" for t in times), flush=True)
        except Exception as e:  # a peer that cannot read a format gives no figure, not a failure
            print(path, "ERROR", str(e).replace("\n", " ")[:200], flush=True)


if __name__ == "__main__":
    main()
