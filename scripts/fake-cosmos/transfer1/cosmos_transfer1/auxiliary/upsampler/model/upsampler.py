"""Fake cosmos_transfer1/auxiliary/upsampler/model/upsampler.py (see /opt/fake-cosmos/fake_cosmos.py)."""

import json
import os
import sys

sys.path.insert(0, "/opt/fake-cosmos")
import fake_cosmos as fake  # noqa: E402

COSMOS_UPSAMPLER_CHECKPOINT = "nvidia/Cosmos-UpsamplePrompt1-12B-Transfer"


class PixtralPromptUpsampler:
    def __init__(self, checkpoint_dir: str, offload_prompt_upsampler: bool = False):
        self.offload_prompt_upsampler = offload_prompt_upsampler
        self.checkpoint_dir = checkpoint_dir
        path = os.path.join(checkpoint_dir, COSMOS_UPSAMPLER_CHECKPOINT)
        if not os.path.isdir(path):
            raise FileNotFoundError(f"no upsampler checkpoint at {path}")
        line = {"program": "PixtralPromptUpsampler", "checkpoint_dir": checkpoint_dir,
                "offload_prompt_upsampler": offload_prompt_upsampler}
        print("##fake-cosmos " + json.dumps(line, sort_keys=True), flush=True)

    def _prompt_upsample_with_offload(self, prompt: str, video_path):
        image_paths = video_path
        if isinstance(video_path, str):
            from cosmos_transfer1.utils.misc import extract_video_frames

            image_paths = extract_video_frames(video_path)
        for path in image_paths:
            if not os.path.isfile(path):
                raise FileNotFoundError(path)
        prompt = prompt if prompt else "describe the following images"
        if "FAKE_OOM" in prompt:
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        line = {"program": "upsample", "prompt": prompt, "images": len(image_paths)}
        print("##fake-cosmos " + json.dumps(line, sort_keys=True), flush=True)
        return f"An enhanced, detailed scene: {prompt} ({len(image_paths)} frames)"
