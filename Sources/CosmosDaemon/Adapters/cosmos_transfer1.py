"""cosmos-worker's adapter for NVIDIA Cosmos-Transfer1 images (adapter "cosmos-transfer1").

Runs `cosmos_transfer1/diffusion/inference/transfer.py` from the runner's repo_dir, once per container:
- a single inference job: a --controlnet_specs JSON with the prompt, the input video and each control whose
  weight is above 0; the video `<video_save_folder>/output.mp4` becomes the job's `output.mp4`;
- a batch run (also a smart-batched one): a base spec with the union of the items' controls and a
  --batch_input_path JSONL, one line per item with its own weights as `control_overrides`; `video_<i>/output.mp4`
  becomes item i's `output.mp4`. An item without its video fails with that reason;
- an upscale: Cosmos's own upscale spec, with --num_steps 10 (Cosmos-Transfer1 upscales one video at a time).

Run-level params map to flags (`--key value`, never `--key=value`: transfer.py lets a spec value win over a flag
it does not see spelled as its own argument). More than one GPU runs under `torchrun --nproc_per_node=<gpus>`
with `--num_gpus <gpus>`.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cosmos_adapter as adapter  # noqa: E402

TRANSFER_PY = "cosmos_transfer1/diffusion/inference/transfer.py"

# Job params and the transfer.py flags they become.
PARAM_FLAGS = {
    "num_steps": ("--num_steps", int),
    "guidance": ("--guidance", float),
    "seed": ("--seed", int),
    "sigma_max": ("--sigma_max", float),
    "fps": ("--fps", int),
    "negative_prompt": ("--negative_prompt", str),
    "blur_strength": ("--blur_strength", str),
    "canny_threshold": ("--canny_threshold", str),
}
SWITCH_PARAMS = {"use_distilled": "--use_distilled"}

# The runner's `offload` names and their flags.
OFFLOAD_FLAGS = {
    "diffusion_transformer": "--offload_diffusion_transformer",
    "text_encoder": "--offload_text_encoder_model",
    "guardrail": "--offload_guardrail_models",
    "prompt_upsampler": "--offload_prompt_upsampler",
}

# Cosmos-Transfer1 upscales with 10 steps (examples/inference_cosmos_transfer1_7b_4kupscaler.md).
UPSCALE_STEPS = 10


def param_flags(params):
    """The flags of a job's params, in a fixed order."""
    flags = []
    for name in sorted(params):
        value = params[name]
        if name in PARAM_FLAGS:
            flag, kind = PARAM_FLAGS[name]
            try:
                flags += [flag, str(kind(value))]
            except (TypeError, ValueError):
                raise adapter.AdapterError("params.%s: %r is not a %s" % (name, value, kind.__name__))
        elif name in SWITCH_PARAMS:
            if value is True:
                flags.append(SWITCH_PARAMS[name])
    return flags


def command(runner, gpus, specs_path, save_folder, extra):
    """transfer.py's whole command line."""
    argv = adapter.launcher(gpus, TRANSFER_PY)
    argv += ["--checkpoint_dir", runner["checkpoint_dir"], "--controlnet_specs", specs_path]
    argv += ["--video_save_folder", save_folder]
    argv += extra
    argv += [OFFLOAD_FLAGS[name] for name in runner.get("offload", []) if name in OFFLOAD_FLAGS]
    if gpus > 1:
        argv += ["--num_gpus", str(gpus)]
    return argv


def control_entry(spec, name, weight):
    """`{"control_weight": w}`, plus `"input_control"` when the job brings that control's video."""
    entry = {"control_weight": weight}
    path = adapter.control_input(spec, name)
    if path:
        entry["input_control"] = path
    return entry


def run_single(job, runner):
    spec = job["spec"]
    work = adapter.work_dir()
    specs = {name: control_entry(spec, name, weight) for name, weight in adapter.active_controls(spec).items()}
    video = adapter.input_video(spec)
    if video:
        specs["input_video_path"] = video
    if spec.get("prompt"):
        specs["prompt"] = spec["prompt"]
    specs_path = os.path.join(work, "controlnet_specs.json")
    adapter.write_json(specs_path, specs)
    save_folder = os.path.join(work, "outputs")
    extra = ["--video_save_name", "output"] + param_flags(spec.get("params") or {})
    return finish_single(runner, adapter.gpu_count(spec), specs_path, save_folder, extra)


def run_upscale(job, runner):
    work = adapter.work_dir()
    specs_path = os.path.join(work, "controlnet_specs.json")
    adapter.write_json(specs_path, job["spec"])
    save_folder = os.path.join(work, "outputs")
    extra = ["--video_save_name", "output", "--num_steps", str(UPSCALE_STEPS)]
    return finish_single(runner, adapter.visible_gpu_count(), specs_path, save_folder, extra)


def finish_single(runner, gpus, specs_path, save_folder, extra):
    """Runs transfer.py for one video and moves `output.mp4` (and its prompt, `output.txt`) to /cosmos/out."""
    argv = command(runner, gpus, specs_path, save_folder, extra)
    code, tail, oom = adapter.run_cosmos(argv, runner["repo_dir"])
    if code != 0:
        adapter.report_error(adapter.failure_text("transfer.py", code, tail), oom=oom)
        return code
    return adapter.hand_single(
        "transfer.py", os.path.join(save_folder, "output.mp4"), os.path.join(save_folder, "output.txt")
    )


def run_batch(job, runner):
    """One transfer.py for the whole run: a base spec with the union of controls, one JSONL line per item."""
    cancelled = adapter.cancelled_indices()
    entries = []
    items = []
    for item in job["items"]:
        if item["index"] in cancelled:
            entries.append({"index": item["index"], "status": "cancelled"})
        else:
            items.append(item)
    if not items:
        adapter.write_manifest(entries)
        return 0
    first = items[0]["spec"]
    union = {}
    for item in items:
        for name, weight in adapter.active_controls(item["spec"]).items():
            union[name] = max(union.get(name, 0.0), weight)
    work = adapter.work_dir()
    # The base spec holds every control of the run; transfer.py checks it against the first item's video.
    specs = {name: {"control_weight": weight} for name, weight in sorted(union.items())}
    if adapter.input_video(first):
        specs["input_video_path"] = adapter.input_video(first)
    specs_path = os.path.join(work, "controlnet_specs.json")
    adapter.write_json(specs_path, specs)
    lines = []
    for item in items:
        spec = item["spec"]
        weights = adapter.active_controls(spec)
        overrides = {}
        for name in sorted(union):
            overrides[name] = {
                "control_weight": weights.get(name, 0.0),
                "input_control": adapter.control_input(spec, name),
            }
        lines.append({"visual_input": adapter.input_video(spec), "prompt": spec.get("prompt") or "",
                      "control_overrides": overrides})
    batch_path = os.path.join(work, "batch_input.jsonl")
    adapter.write_jsonl(batch_path, lines)
    save_folder = os.path.join(work, "outputs")
    # Run-level params are shared by the run's items; transfer.py has one seed for the whole batch.
    extra = ["--batch_input_path", batch_path] + param_flags(first.get("params") or {})
    argv = command(runner, adapter.gpu_count(first), specs_path, save_folder, extra)

    reported = set()

    def watch(_line):
        # An item is done when its video exists; the next one has started.
        for position, item in enumerate(items):
            if position in reported:
                continue
            if os.path.isfile(os.path.join(save_folder, "video_%d" % position, "output.mp4")):
                reported.add(position)
                adapter.progress(item["index"], "succeeded")
                if position + 1 < len(items):
                    adapter.progress(items[position + 1]["index"], "running")

    adapter.progress(items[0]["index"], "running")
    code, tail, oom = adapter.run_cosmos(argv, runner["repo_dir"], on_line=watch)
    error = adapter.failure_text("transfer.py", code, tail) if code != 0 else None
    adapter.hand_items(
        items,
        lambda position, _item: (os.path.join(save_folder, "video_%d" % position, "output.mp4"),
                                 os.path.join(save_folder, "video_%d" % position, "prompt.txt")),
        error,
        lambda position, _item: "transfer.py wrote no video_%d/output.mp4 for this item (did the guardrail block it?)"
        % position,
        entries,
    )
    return adapter.finish_run(code, error, oom, entries)


def run(job, runner):
    kind = job.get("kind")
    if kind == "batch":
        return run_batch(job, runner)
    if kind == "upscale":
        return run_upscale(job, runner)
    if kind == "inference":
        return run_single(job, runner)
    raise adapter.AdapterError("a %s job cannot run on cosmos-transfer1; it runs inference, batch runs and upscales"
                               % kind)


if __name__ == "__main__":
    adapter.main(run)
