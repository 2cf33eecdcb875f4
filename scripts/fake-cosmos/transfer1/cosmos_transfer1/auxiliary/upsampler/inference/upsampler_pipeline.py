"""Fake cosmos_transfer1/auxiliary/upsampler/inference/upsampler_pipeline.py: upstream's entry point, one prompt."""

import argparse
import os
import sys

sys.path.insert(0, "/opt/fake-cosmos")
import fake_cosmos as fake  # noqa: E402
from cosmos_transfer1.auxiliary.upsampler.model.upsampler import PixtralPromptUpsampler  # noqa: E402
from cosmos_transfer1.utils.misc import extract_video_frames  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description="Prompt upsampler pipeline")
    fake.add_flags(parser, fake.UPSAMPLER_FLAGS)
    args = parser.parse_args()
    model = PixtralPromptUpsampler(args.checkpoint_dir, offload_prompt_upsampler=args.offload_prompt_upsampler)
    print("Upsampled prompt:", model._prompt_upsample_with_offload(args.prompt, extract_video_frames(args.input_video)))


if __name__ == "__main__":
    rank = int(os.environ["RANK"])
    if rank == 0:
        main()
