#!/usr/bin/env python
"""docs/catalog.png: one frame of each of nine scenes, 3×3 (the README's overview picture).

    .venv/bin/python render.py render --all -q l          # the 480p15 GIFs under media/
    .venv/bin/python docs/make_catalog.py [GIF_DIR] [OUT]
"""

import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
#: (scene, where in the GIF: 0 = first frame … 1 = last): a moment that shows what the scene teaches
PICKS = [("RGBConvStepByStepCentered", .55), ("FeatureDetectionRGB", .72), ("TinyCNN_ImageInput", .50),
         ("NeuralNetworkAnimation", .97), ("Dropout", .93), ("DigitShiftBig", .97),
         ("KernelSizeAndDepthClean", .40), ("BackpropWeightSharing", .85), ("MLPParameterCount", .97)]
W, H, GAP = 640, 360, 4


def main(gif_dir: Path, out: Path) -> None:
    sheet = Image.new("RGB", (3 * W + 2 * GAP, 3 * H + 2 * GAP), (255, 255, 255))
    for i, (name, where) in enumerate(PICKS):
        with Image.open(gif_dir / f"{name}.gif") as im:
            im.seek(min(im.n_frames - 1, int(where * (im.n_frames - 1))))
            frame = im.convert("RGB").resize((W, H), Image.LANCZOS)
        sheet.paste(frame, ((i % 3) * (W + GAP), (i // 3) * (H + GAP)))
    sheet.save(out, optimize=True)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "media" / "480p15",
         Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "docs" / "catalog.png")
