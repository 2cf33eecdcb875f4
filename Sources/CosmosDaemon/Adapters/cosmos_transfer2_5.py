"""cosmos-worker's adapter for NVIDIA Cosmos-Transfer2.5 images (adapter "cosmos-transfer2.5").

Writes one spec file per item (a single job is a run of one) with `name`, `prompt`, `video_path`, `guidance` and
each control whose weight is above 0 as `{"control_path", "control_weight"}`, then runs
`examples/inference.py -i <spec files> -o <dir>` once for the whole run, so the model loads once, and maps
`<name>.mp4` to its item. Specs use absolute paths (Cosmos resolves relative ones against the spec's folder).
More than one GPU runs under `torchrun --nproc_per_node=<gpus>` (context parallelism follows WORLD_SIZE).
Cosmos-Transfer2.5 reads its checkpoints from the Hugging Face cache: the runner's checkpoint_dir is its HF_HOME.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cosmos_adapter as adapter  # noqa: E402

INFERENCE_PY = "examples/inference.py"

# Job params that go into every spec, and their types (inference.py's InferenceArguments).
SPEC_PARAMS = {"num_steps": int, "seed": int, "negative_prompt": str}

# The runner's `offload` names and their flags.
OFFLOAD_FLAGS = {"guardrail": "--offload-guardrail-models"}


def sample(spec, name):
    """One item's spec in Cosmos-Transfer2.5's form."""
    video = adapter.input_video(spec)
    if not video:
        raise adapter.AdapterError("the job has no input video (inputs[0]); Cosmos-Transfer2.5 needs video_path")
    params = spec.get("params") or {}
    result = {"name": name, "prompt": spec.get("prompt") or "", "video_path": video}
    if "guidance" in params:
        guidance = params["guidance"]
        if not isinstance(guidance, (int, float)) or int(guidance) != guidance or not 0 <= guidance <= 7:
            raise adapter.AdapterError("params.guidance: Cosmos-Transfer2.5 takes a whole number 0...7")
        result["guidance"] = int(guidance)
    for key, kind in SPEC_PARAMS.items():
        if key in params:
            try:
                result[key] = kind(params[key])
            except (TypeError, ValueError):
                raise adapter.AdapterError("params.%s: %r is not a %s" % (key, params[key], kind.__name__))
    controls = adapter.active_controls(spec)
    if not controls:
        raise adapter.AdapterError("the job has no control with a weight above 0; Cosmos-Transfer2.5 needs one")
    for control, weight in controls.items():
        result[control] = {"control_path": adapter.control_input(spec, control), "control_weight": weight}
    return result


def run(job, runner):
    kind = job.get("kind")
    if kind == "inference":
        items = [{"index": 0, "spec": job["spec"]}]
        single = True
    elif kind == "batch":
        items = job["items"]
        single = False
    else:
        raise adapter.AdapterError("a %s job cannot run on cosmos-transfer2.5; it runs inference and batch runs"
                                   % kind)
    cancelled = adapter.cancelled_indices() if not single else set()
    entries = [{"index": item["index"], "status": "cancelled"} for item in items if item["index"] in cancelled]
    items = [item for item in items if item["index"] not in cancelled]
    if not items:
        adapter.write_manifest(entries)
        return 0
    work = adapter.work_dir()
    spec_files = []
    for item in items:
        path = os.path.join(work, "item_%d.json" % item["index"])
        adapter.write_json(path, sample(item["spec"], "item_%d" % item["index"]))
        spec_files.append(path)
    output_dir = os.path.join(work, "outputs")
    gpus = adapter.gpu_count(items[0]["spec"])
    argv = adapter.launcher(gpus, INFERENCE_PY) + ["-i"] + spec_files + ["-o", output_dir]
    argv += [OFFLOAD_FLAGS[name] for name in runner.get("offload", []) if name in OFFLOAD_FLAGS]
    os.environ["HF_HOME"] = runner["checkpoint_dir"]

    reported = set()

    def watch(_line):
        for item in items:
            if item["index"] not in reported and os.path.isfile(
                    os.path.join(output_dir, "item_%d.mp4" % item["index"])):
                reported.add(item["index"])
                if not single:
                    adapter.progress(item["index"], "succeeded")

    if not single:
        adapter.progress(items[0]["index"], "running")
    code, tail, oom = adapter.run_cosmos(argv, runner["repo_dir"], on_line=watch)
    error = adapter.failure_text("inference.py", code, tail) if code != 0 else None
    if single:
        video = os.path.join(output_dir, "item_0.mp4")
        if code != 0:
            adapter.report_error(error, oom=oom)
            return code
        return adapter.hand_single("inference.py", video, os.path.join(output_dir, "item_0.txt"))
    adapter.hand_items(
        items,
        lambda _position, item: (os.path.join(output_dir, "item_%d.mp4" % item["index"]),
                                 os.path.join(output_dir, "item_%d.txt" % item["index"])),
        error,
        lambda _position, item: "inference.py wrote no item_%d.mp4 for this item (did the guardrail block it?)"
        % item["index"],
        entries,
    )
    return adapter.finish_run(code, error, oom, entries)


if __name__ == "__main__":
    adapter.main(run)
