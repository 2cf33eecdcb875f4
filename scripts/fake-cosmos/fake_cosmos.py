"""Shared parts of the fake Cosmos programs in the cosmos-test/fake-cosmos image (scripts/test-env.sh).

The fakes stand in for NVIDIA's programs in cosmos-worker's adapter tests. They declare exactly the real flag
sets and refuse unknown flags (argparse), check their spec files by the real rules, write their outputs in the
real layout, and print one `##fake-cosmos <JSON>` line saying what they received (argv, working directory,
world size and the contents of every spec file), which the tests read from the job's log.

THE FLAG LISTS BELOW ARE THE ONE PLACE THEY ARE KEPT. They were checked against:
  - nvidia-cosmos/cosmos-transfer1 @ 5005e823dbd478ad8e51f6bc28a913a13a994b5f
      cosmos_transfer1/diffusion/inference/transfer.py (parse_arguments)
      cosmos_transfer1/diffusion/inference/inference_utils.py (valid_hint_keys, validate_controlnet_specs)
      cosmos_transfer1/auxiliary/upsampler/inference/upsampler_pipeline.py (parse_args)
      cosmos_transfer1/auxiliary/upsampler/model/upsampler.py (PixtralPromptUpsampler)
  - nvidia-cosmos/cosmos-transfer2.5 @ 2ff49d0717af02057ae79bc75c00fbff9da1b4e7
      examples/inference.py, cosmos_transfer2/config.py (tyro over pydantic, extra="forbid")

Behaviour switches, for the tests: a prompt containing FAKE_OOM makes the model fail with PyTorch's CUDA
out-of-memory error; FAKE_NO_OUTPUT makes it write no video for that sample (as a guardrail block under
keep-going does); FAKE_SLOW sleeps 1 s per sample.
"""

import json
import os
import sys
import time

# transfer.py: (flag, type or "switch", default, extra argparse keywords).
TRANSFER1_FLAGS = [
    ("--prompt", str, "The video captures a stunning, photorealistic scene.", {}),
    ("--negative_prompt", str, "The video captures a game playing, with bad crappy graphics.", {}),
    ("--input_video_path", str, "", {}),
    ("--num_input_frames", int, 1, {"choices": [1]}),
    ("--sigma_max", float, 70.0, {}),
    ("--blur_strength", str, "medium", {"choices": ["very_low", "low", "medium", "high", "very_high"]}),
    ("--canny_threshold", str, "medium", {"choices": ["very_low", "low", "medium", "high", "very_high"]}),
    ("--controlnet_specs", str, None, {"required": True}),
    ("--is_av_sample", "switch", False, {}),
    ("--checkpoint_dir", str, "checkpoints", {}),
    ("--tokenizer_dir", str, "Cosmos-Tokenize1-CV8x8x8-720p", {}),
    ("--video_save_name", str, "output", {}),
    ("--video_save_folder", str, "outputs/", {}),
    ("--batch_input_path", str, None, {}),
    ("--batch_size", int, 1, {}),
    ("--num_steps", int, 35, {}),
    ("--guidance", float, 5, {}),
    ("--fps", int, 24, {}),
    ("--seed", int, 1, {}),
    ("--num_gpus", int, 1, {}),
    ("--offload_diffusion_transformer", "switch", False, {}),
    ("--offload_text_encoder_model", "switch", False, {}),
    ("--offload_guardrail_models", "switch", False, {}),
    ("--upsample_prompt", "switch", False, {}),
    ("--offload_prompt_upsampler", "switch", False, {}),
    ("--use_distilled", "switch", False, {}),
    ("--save_input_noise", "switch", False, {}),
    ("--benchmark", "switch", False, {}),
]
TRANSFER1_HINT_KEYS = {"vis", "seg", "edge", "depth", "keypoint", "upscale", "hdmap", "lidar"}
# The keys transfer.py reads from a --batch_input_path line.
TRANSFER1_BATCH_KEYS = {"visual_input", "prompt", "control_overrides"}

# upsampler_pipeline.py.
UPSAMPLER_FLAGS = [
    ("--prompt", str, None, {}),
    ("--input_video", str, None, {"required": True}),
    ("--checkpoint_dir", str, "checkpoints", {}),
    ("--offload_prompt_upsampler", "switch", False, {}),
]

# examples/inference.py (tyro accepts hyphens and underscores; both are declared).
TRANSFER25_FLAGS = [
    ("--output-dir", str, None, {"required": True, "short": "-o"}),
    ("--model", str, "edge", {"choices": ["depth", "edge", "seg", "vis", "edge/distilled"]}),
    ("--checkpoint-path", str, None, {}),
    ("--experiment", str, None, {}),
    ("--config-file", str, "", {}),
    ("--context-parallel-size", int, None, {}),
    ("--disable-guardrails", "switch", False, {}),
    ("--offload-guardrail-models", "switch", False, {}),
    ("--keep-going", "switch", True, {}),
    ("--profile", "switch", False, {}),
    ("--benchmark", "switch", False, {}),
    ("--prompt", str, None, {}),
    ("--negative-prompt", str, None, {}),
    ("--seed", int, None, {}),
    ("--guidance", int, None, {}),
    ("--num-steps", int, None, {}),
    ("--resolution", str, None, {}),
]
# InferenceArguments' fields (extra="forbid") and the control keys.
TRANSFER25_SPEC_KEYS = {
    "name", "prompt", "prompt_path", "video_path", "negative_prompt", "seed", "guidance", "num_steps", "resolution",
    "sigma_max", "max_frames", "context_frame_index", "image_context_path", "num_conditional_frames",
    "num_video_frames_per_chunk", "show_control_condition", "show_input", "keep_input_resolution",
    "guided_generation_mask", "guided_generation_step_threshold", "guided_generation_foreground_labels",
    "edge", "vis", "depth", "seg",
}
TRANSFER25_CONTROL_KEYS = ["edge", "vis", "depth", "seg"]


def add_flags(parser, flags, underscores=False):
    for flag, kind, default, extra in flags:
        extra = dict(extra)
        names = [flag]
        if "short" in extra:
            names.insert(0, extra.pop("short"))
        if underscores and "-" in flag[2:]:
            names.append("--" + flag[2:].replace("-", "_"))
        if kind == "switch":
            parser.add_argument(*names, action="store_true", default=default)
        else:
            parser.add_argument(*names, type=kind, default=default, **extra)


def rank():
    return int(os.environ.get("RANK", "0"))


def world_size():
    return int(os.environ.get("WORLD_SIZE", "1"))


def fail(message, code=1):
    sys.stderr.write(message + "\n")
    sys.stderr.flush()
    sys.exit(code)


def record(program, files):
    """The line the tests read: what this fake received (rank 0 only)."""
    if rank() != 0:
        return
    contents = {}
    for path in files:
        with open(path, encoding="utf-8") as handle:
            contents[path] = handle.read()
    env = {key: os.environ.get(key) for key in ("HF_HOME", "CUDA_VISIBLE_DEVICES")}
    line = {"program": program, "argv": sys.argv[1:], "cwd": os.getcwd(), "world_size": world_size(),
            "files": contents, "env": env}
    sys.stdout.write("##fake-cosmos " + json.dumps(line, sort_keys=True) + "\n")
    sys.stdout.flush()


def generate(prompt, description):
    """The fake model's work for one sample: its video's bytes, or None for FAKE_NO_OUTPUT."""
    prompt = prompt or ""
    if "FAKE_OOM" in prompt:
        sys.stderr.write("Traceback (most recent call last):\n  File \"generate.py\", line 1, in <module>\n")
        fail("torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total "
             "capacity of 79.15 GiB of which 1.02 GiB is free.")
    if "FAKE_SLOW" in prompt:
        time.sleep(1)
    if "FAKE_NO_OUTPUT" in prompt:
        return None
    return ("FAKE-MP4 " + json.dumps({"prompt": prompt, "controls": description}, sort_keys=True) + "\n").encode()


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)
