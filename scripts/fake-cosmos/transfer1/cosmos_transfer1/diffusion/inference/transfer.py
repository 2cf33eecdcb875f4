"""Fake cosmos_transfer1/diffusion/inference/transfer.py (see /opt/fake-cosmos/fake_cosmos.py)."""

import argparse
import copy
import json
import os
import sys

sys.path.insert(0, "/opt/fake-cosmos")
import fake_cosmos as fake  # noqa: E402

DEFAULT_MODEL_NAMES = {
    "vis": "nvidia/Cosmos-Transfer1-7B/vis_control.pt",
    "seg": "nvidia/Cosmos-Transfer1-7B/seg_control.pt",
    "edge": "nvidia/Cosmos-Transfer1-7B/edge_control.pt",
    "depth": "nvidia/Cosmos-Transfer1-7B/depth_control.pt",
    "keypoint": "nvidia/Cosmos-Transfer1-7B/keypoint_control.pt",
    "upscale": "nvidia/Cosmos-Transfer1-7B/4kupscaler_control.pt",
    "hdmap": "nvidia/Cosmos-Transfer1-7B-Sample-AV/hdmap_control.pt",
    "lidar": "nvidia/Cosmos-Transfer1-7B-Sample-AV/lidar_control.pt",
}
BASE_MODEL = "nvidia/Cosmos-Transfer1-7B/base_model.pt"


def parse_arguments():
    parser = argparse.ArgumentParser(description="Control to world generation demo script", conflict_handler="resolve")
    fake.add_flags(parser, fake.TRANSFER1_FLAGS)
    cmd_args = parser.parse_args()
    # load_controlnet_specs: hint keys become controls, other non-dict values become arguments.
    with open(cmd_args.controlnet_specs) as handle:
        specs_in = json.load(handle)
    specs, json_args = {}, {}
    for key, config in specs_in.items():
        if key in fake.TRANSFER1_HINT_KEYS:
            specs[key] = config
        elif isinstance(config, dict):
            raise ValueError(f"Invalid hint_key: {key}. Must be one of {fake.TRANSFER1_HINT_KEYS}")
        else:
            json_args[key] = config
    for key in json_args:
        if f"--{key}" not in sys.argv:
            setattr(cmd_args, key, json_args[key])
    return cmd_args, specs


def validate_controlnet_specs(cfg, specs):
    for hint_key, config in specs.items():
        if hint_key not in fake.TRANSFER1_HINT_KEYS:
            raise ValueError(f"Invalid hint_key: {hint_key}. Must be one of {fake.TRANSFER1_HINT_KEYS}")
        if not cfg.input_video_path and cfg.sigma_max < 80:
            raise ValueError("Must have 'input_video' specified if sigma_max < 80")
        if not cfg.input_video_path and "input_control" not in config:
            raise ValueError(
                f"{hint_key} controlnet must have 'input_control' video specified if no 'input_video' specified."
            )
        if "ckpt_path" not in config:
            config["ckpt_path"] = os.path.join(cfg.checkpoint_dir, DEFAULT_MODEL_NAMES[hint_key])
        if "control_weight" not in config:
            print(f"WARNING: No control weight specified for {hint_key}. Setting to 0.5.")
            config["control_weight"] = "0.5"
        else:
            weight = config["control_weight"]
            if not isinstance(weight, str) or not weight.endswith(".pt"):
                try:
                    if float(weight) < 0:
                        raise ValueError(f"Control weight for {hint_key} must be non-negative.")
                except ValueError:
                    raise ValueError(
                        f"Control weight for {hint_key} must be a valid non-negative float or a path to a .pt file."
                    )
        for path in [config["ckpt_path"]] + ([config["input_control"]] if config.get("input_control") else []):
            if not os.path.isfile(path):
                raise FileNotFoundError(f"{hint_key}: no such file {path}")
    return specs


def read_prompts_from_file(path):
    prompts = []
    with open(path) as handle:
        for line in handle:
            prompts.append(json.loads(line.strip()))
    for number, line in enumerate(prompts):
        unknown = set(line) - fake.TRANSFER1_BATCH_KEYS
        if unknown:
            fake.fail(f"fake transfer.py: batch line {number} has keys transfer.py does not read: {sorted(unknown)}")
    return prompts


def main():
    cfg, specs = parse_arguments()
    files = [cfg.controlnet_specs] + ([cfg.batch_input_path] if cfg.batch_input_path else [])
    fake.record("transfer.py", files)
    specs = validate_controlnet_specs(cfg, specs)
    if cfg.num_gpus > 1 and cfg.num_gpus != fake.world_size():
        fake.fail(f"context_parallel_size {cfg.num_gpus} does not match the world size {fake.world_size()}")
    base = os.path.join(cfg.checkpoint_dir, BASE_MODEL)
    if not os.path.isfile(base):
        fake.fail(f"FileNotFoundError: {base}")
    if cfg.batch_input_path:
        prompts = read_prompts_from_file(cfg.batch_input_path)
    else:
        prompts = [{"prompt": cfg.prompt, "visual_input": cfg.input_video_path}]
    if "upscale" in specs and cfg.batch_size > 1:
        print("Setting batch_size=1 as upscale does not support batch generation")
    for index, item in enumerate(prompts):
        controls = copy.deepcopy(specs)
        for hint_key, override in (item.get("control_overrides") or {}).items():
            if hint_key in controls:
                controls[hint_key].update(override)
            else:
                print(f"WARNING: Ignoring unknown control key in override: {hint_key}")
        video = item.get("visual_input")
        if video and not os.path.isfile(video):
            fake.fail(f"fake transfer.py: visual_input {video} does not exist")
        for hint_key, config in controls.items():
            if config.get("input_control") and not os.path.isfile(config["input_control"]):
                fake.fail(f"fake transfer.py: {hint_key} input_control {config['input_control']} does not exist")
        description = {key: {"weight": float(config["control_weight"]), "input_control": config.get("input_control")}
                       for key, config in sorted(controls.items())}
        data = fake.generate(item.get("prompt"), description)
        if fake.rank() != 0 or data is None:
            continue
        if cfg.batch_input_path:
            folder = os.path.join(cfg.video_save_folder, f"video_{index}")
            video_path, prompt_path = os.path.join(folder, "output.mp4"), os.path.join(folder, "prompt.txt")
        else:
            video_path = os.path.join(cfg.video_save_folder, f"{cfg.video_save_name}.mp4")
            prompt_path = os.path.join(cfg.video_save_folder, f"{cfg.video_save_name}.txt")
        fake.write(video_path, data)
        fake.write(prompt_path, (item.get("prompt") or "").encode("utf-8"))
        print(f"Saved video to {video_path}")


if __name__ == "__main__":
    main()
