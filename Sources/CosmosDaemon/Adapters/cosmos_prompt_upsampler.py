"""cosmos-worker's adapter for Cosmos-Transfer1's prompt upsampler (adapter "cosmos-prompt-upsampler").

An enhance run (`cosmosctl enhance-batch`) enhances many prompts. Cosmos's own entry point,
`cosmos_transfer1/auxiliary/upsampler/inference/upsampler_pipeline.py`, loads the 12B upsampler for one prompt
and prints it; this adapter instead loads `PixtralPromptUpsampler` once, from the runner's repo_dir, and
enhances every item with it: the first two frames of the item's video (`extract_video_frames`, as the entry
point does) and its prompt. An item without a video is enhanced from its text alone. Each enhanced prompt is
returned in the manifest.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cosmos_adapter as adapter  # noqa: E402


def load_model(runner):
    """Imports the upsampler from the image's Cosmos code and loads it (once)."""
    repo = runner["repo_dir"]
    os.chdir(repo)
    sys.path.insert(0, repo)
    try:
        from cosmos_transfer1.auxiliary.upsampler.model.upsampler import PixtralPromptUpsampler
        from cosmos_transfer1.utils.misc import extract_video_frames
    except ImportError as error:
        raise adapter.AdapterError("cannot import Cosmos-Transfer1's prompt upsampler from %s: %s" % (repo, error))
    offload = "prompt_upsampler" in runner.get("offload", [])
    model = PixtralPromptUpsampler(runner["checkpoint_dir"], offload_prompt_upsampler=offload)
    return model, extract_video_frames


def is_out_of_memory(error):
    return adapter.OOM_PATTERN.search("%s: %s" % (type(error).__name__, error)) is not None


def run(job, runner):
    if job.get("kind") != "enhance_batch":
        raise adapter.AdapterError("a %s job cannot run on the prompt upsampler; it runs enhance runs"
                                   % job.get("kind"))
    cancelled = adapter.cancelled_indices()
    entries = [{"index": item["index"], "status": "cancelled"} for item in job["items"] if item["index"] in cancelled]
    items = [item for item in job["items"] if item["index"] not in cancelled]
    try:
        model, extract_video_frames = load_model(runner)
    except adapter.AdapterError:
        raise  # the image's code is missing: reported by adapter.main
    except Exception as error:  # the model's own failure: the run fails as a whole
        adapter.report_error("loading the prompt upsampler failed: %s: %s" % (type(error).__name__, error),
                             oom=is_out_of_memory(error))
        return 1
    adapter.emit("##cosmos model-loaded")
    for item in items:
        index = item["index"]
        spec = item["spec"]
        adapter.progress(index, "running")
        try:
            video = adapter.input_video(spec)
            frames = extract_video_frames(video) if video else []
            prompt = model._prompt_upsample_with_offload(spec.get("prompt") or "", frames)
        except Exception as error:
            if is_out_of_memory(error):
                adapter.report_error("the prompt upsampler ran out of GPU memory: %s" % error, oom=True)
                return 1
            message = "%s: %s" % (type(error).__name__, error)
            adapter.progress(index, "failed", message)
            entries.append({"index": index, "status": "failed", "error": message})
            continue
        if not prompt or not str(prompt).strip():
            adapter.progress(index, "failed", "empty prompt")
            entries.append({"index": index, "status": "failed", "error": "the upsampler returned an empty prompt"})
            continue
        adapter.progress(index, "succeeded")
        entries.append({"index": index, "status": "succeeded", "prompt": str(prompt).strip()})
    adapter.write_manifest(sorted(entries, key=lambda entry: entry["index"]))
    return 0


if __name__ == "__main__":
    adapter.main(run)
