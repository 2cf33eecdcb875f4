"""Fake cosmos-transfer2.5 examples/inference.py (see /opt/fake-cosmos/fake_cosmos.py)."""

import argparse
import json
import os
import sys

sys.path.insert(0, "/opt/fake-cosmos")
import fake_cosmos as fake  # noqa: E402


def load_samples(paths):
    samples = []
    for path in paths:
        with open(path) as handle:
            text = handle.read()
        if path.endswith(".json"):
            samples.append((path, json.loads(text)))
        elif path.endswith(".jsonl"):
            samples += [(path, json.loads(line)) for line in text.splitlines()]
        else:
            raise ValueError(f"{path}: input files must end in .json or .jsonl")
    return samples


def validate(path, sample):
    where = f"{path}: "
    unknown = set(sample) - fake.TRANSFER25_SPEC_KEYS
    if unknown:
        fake.fail(where + f"Extra inputs are not permitted: {sorted(unknown)}")
    if not isinstance(sample.get("name"), str) or not sample["name"]:
        fake.fail(where + "name: Field required")
    if "prompt" not in sample and "prompt_path" not in sample:
        fake.fail(where + "prompt: Field required")
    base = os.path.dirname(os.path.abspath(path))
    video = sample.get("video_path")
    if not video or not os.path.isfile(os.path.join(base, video)):
        fake.fail(where + f"video_path: Path does not point to a file: {video}")
    guidance = sample.get("guidance", 3)
    if not isinstance(guidance, int) or isinstance(guidance, bool) or not 0 <= guidance <= 7:
        fake.fail(where + f"guidance: Input should be a valid integer in 0..7, got {guidance!r}")
    controls = [key for key in fake.TRANSFER25_CONTROL_KEYS if key in sample]
    if not controls:
        fake.fail(where + "No controls provided, please provide at least one control key")
    for key in controls:
        control = sample[key]
        if not isinstance(control, dict):
            fake.fail(where + f"{key}: Input should be a valid dictionary")
        weight = control.get("control_weight", 1.0)
        if not isinstance(weight, (int, float)) or not 0 <= weight <= 1:
            fake.fail(where + f"{key}.control_weight: Input should be between 0 and 1")
        if control.get("control_path") and not os.path.isfile(os.path.join(base, control["control_path"])):
            fake.fail(where + f"{key}.control_path: Path does not point to a file")
    return {key: sample[key].get("control_weight", 1.0) for key in controls}


def main():
    parser = argparse.ArgumentParser(prog="inference.py")
    parser.add_argument("-i", "--input-files", "--input_files", nargs="+", required=True)
    fake.add_flags(parser, fake.TRANSFER25_FLAGS, underscores=True)
    args = parser.parse_args()
    fake.record("inference.py", args.input_files)
    samples = load_samples(args.input_files)
    names = [sample.get("name") for _, sample in samples]
    if len(set(names)) != len(names):
        fake.fail("sample names must be unique")
    checked = [(sample, validate(path, sample)) for path, sample in samples]
    for sample, weights in checked:
        data = fake.generate(sample.get("prompt"), weights)
        if fake.rank() != 0 or data is None:
            continue
        out = os.path.join(args.output_dir, sample["name"])
        fake.write(out + ".json", json.dumps(sample).encode())
        fake.write(out + ".mp4", data)
        fake.write(out + ".txt", (sample.get("prompt") or "").encode())


if __name__ == "__main__":
    main()
