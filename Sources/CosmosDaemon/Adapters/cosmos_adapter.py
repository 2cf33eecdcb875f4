"""Shared parts of cosmos-worker's runner adapters (runner contract v1, docs/runner-contract.md).

cosmos-worker stages this module, one adapter script and runner.json into /cosmos/bin/ of a job's container and
runs the adapter as the container's command. Python 3 standard library only: every Cosmos image has Python.

An adapter reads /cosmos/job.json, writes Cosmos's own spec files under /cosmos/work/, runs Cosmos once, prints
the contract's progress lines, and writes the outputs and (for a run of several items) /cosmos/out/manifest.json.
On failure it prints `##cosmos error "<JSON string>"` (Cosmos's exit code and the last lines of its stderr) and,
when the log shows a CUDA out-of-memory error, `##cosmos oom`, then exits non-zero.
"""

import collections
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading

JOB_FILE = "/cosmos/job.json"
RUNNER_FILE = "/cosmos/bin/runner.json"
CANCEL_FILE = "/cosmos/cancel"
OUT_DIR = "/cosmos/out"
WORK_DIR = "/cosmos/work"

# The lines of Cosmos's output that mean the GPU ran out of memory (PyTorch's and CUDA's own wording).
OOM_PATTERN = re.compile(r"CUDA out of memory|torch\.(cuda\.)?OutOfMemoryError|CUDA_ERROR_OUT_OF_MEMORY|cudaErrorMemoryAllocation")

# How many of Cosmos's last stderr lines go into the job's error.
TAIL_LINES = 20


# Cosmos's output and the adapter's own lines reach stdout whole, one at a time.
_OUTPUT_LOCK = threading.Lock()


class AdapterError(Exception):
    """A failure the adapter itself detects (a bad job document, a missing file): the job's error says it."""


def emit(line):
    """Prints one contract line on stdout, at once."""
    with _OUTPUT_LOCK:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def progress(index, state, message=""):
    """`##cosmos progress index=<i> state=<state> [message]` for one item of a run."""
    emit("##cosmos progress index=%d state=%s%s" % (index, state, (" " + one_line(message)) if message else ""))


def one_line(text):
    return " ".join(str(text).split())


def report_error(message, oom=False):
    """The job's error text (and `##cosmos oom` first when the model ran out of memory)."""
    if oom:
        emit("##cosmos oom")
    emit("##cosmos error " + json.dumps(message))


def load_job():
    """The job document: `{"kind": ..., "spec": {...}}` for a single job, `{"kind": ..., "items": [...]}` for a run."""
    with open(JOB_FILE, encoding="utf-8") as handle:
        return json.load(handle)


def load_runner():
    """The operator's settings for this image: adapter, repo_dir, checkpoint_dir, offload."""
    with open(RUNNER_FILE, encoding="utf-8") as handle:
        return json.load(handle)


def cancelled_indices():
    """The indices of the run's items the user cancelled before the model started (`/cosmos/cancel`)."""
    try:
        with open(CANCEL_FILE, encoding="utf-8") as handle:
            return {int(line) for line in handle.read().split() if line.strip().lstrip("-").isdigit()}
    except FileNotFoundError:
        return set()


def gpu_count(spec):
    """The job's GPU count (at least 1: Cosmos runs on one GPU at least)."""
    return max(int(spec.get("gpus") or 1), 1)


def visible_gpu_count():
    """How many devices the daemon gave the container (`CUDA_VISIBLE_DEVICES`), at least 1."""
    devices = [device for device in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if device.strip()]
    return max(len(devices), 1)


def work_dir():
    """A fresh folder for Cosmos's spec files and raw outputs (outside /cosmos/out, which is collected)."""
    shutil.rmtree(WORK_DIR, ignore_errors=True)
    os.makedirs(WORK_DIR)
    return WORK_DIR


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(value, handle, indent=2, sort_keys=True)
        handle.write("\n")


def write_jsonl(path, lines):
    with open(path, "w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(json.dumps(line, sort_keys=True) + "\n")


def write_manifest(entries):
    """Writes /cosmos/out/manifest.json atomically (a temporary file, then a rename)."""
    temporary = os.path.join(OUT_DIR, ".manifest.json.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump({"items": entries}, handle)
    os.replace(temporary, os.path.join(OUT_DIR, "manifest.json"))


def place_output(source, relative):
    """Moves one of Cosmos's files to /cosmos/out/<relative>; returns the relative path."""
    target = os.path.join(OUT_DIR, relative)
    os.makedirs(os.path.dirname(target) or OUT_DIR, exist_ok=True)
    shutil.move(source, target)
    return relative


def control_input(spec, control):
    """The in-container path of the job's video for `control`, or None (Cosmos then computes it).

    `params.control_inputs` names one of the job's inputs by file name; otherwise an input whose file name
    without extension is the control's name (`depth.mp4` for `depth`) is taken.
    """
    inputs = spec.get("inputs") or []
    named = (spec.get("params") or {}).get("control_inputs") or {}
    wanted = named.get(control)
    for path in inputs[1:] if not wanted else inputs:
        name = os.path.basename(path)
        if wanted and name == wanted:
            return path
        if not wanted and os.path.splitext(name)[0] == control:
            return path
    return None


def input_video(spec):
    """The job's input video: its first input, or None."""
    inputs = spec.get("inputs") or []
    return inputs[0] if inputs else None


def active_controls(spec):
    """The job's controls with a weight above 0, by name."""
    return {name: float(weight) for name, weight in sorted((spec.get("controls") or {}).items()) if float(weight) > 0}


def launcher(gpus, script):
    """`python3 <script>`, or `torchrun --nproc_per_node=<gpus> <script>` for more than one GPU."""
    if gpus > 1:
        return ["torchrun", "--nproc_per_node=%d" % gpus, script]
    return [sys.executable or "python3", script]


def run_cosmos(argv, cwd, on_line=None):
    """Runs Cosmos, passing its output through; returns (exit code, last stderr lines, out of memory).

    A process killed by signal N counts as exit 128+N, as a shell reports it (137 for SIGKILL). SIGTERM and
    SIGINT sent to the adapter are forwarded, so a cancel stops Cosmos cleanly.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = cwd + ((":" + env["PYTHONPATH"]) if env.get("PYTHONPATH") else "")
    emit("##cosmos-adapter run " + json.dumps(argv))
    try:
        process = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=1, text=True,
            errors="replace",
        )
    except OSError as error:
        raise AdapterError("cannot run %s: %s" % (argv[0], error.strerror or error))

    def forward(signum, _frame):
        if process.poll() is None:
            process.send_signal(signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, forward)
    tail = collections.deque(maxlen=TAIL_LINES)
    oom = threading.Event()
    watch_lock = threading.Lock()

    def pump(stream, sink, keep):
        for line in stream:
            with _OUTPUT_LOCK:
                sink.write(line)
                sink.flush()
            if OOM_PATTERN.search(line):
                oom.set()
            if keep:
                tail.append(line.rstrip("\n"))
            if on_line:
                with watch_lock:
                    on_line(line)

    readers = [
        threading.Thread(target=pump, args=(process.stdout, sys.stdout, False), daemon=True),
        threading.Thread(target=pump, args=(process.stderr, sys.stderr, True), daemon=True),
    ]
    for reader in readers:
        reader.start()
    code = process.wait()
    for reader in readers:
        reader.join()
    if code < 0:
        code = 128 - code
    return code, list(tail), oom.is_set()


def hand_single(program, video, prompt):
    """Moves a single job's video (and prompt) to /cosmos/out/output.mp4 (and output.txt); returns the exit code."""
    if not os.path.isfile(video):
        report_error("%s exited 0 but wrote no %s (did the guardrail block the video?)" % (program, video))
        return 1
    place_output(video, "output.mp4")
    if os.path.isfile(prompt):
        place_output(prompt, "output.txt")
    return 0


def hand_items(items, files_of, error, missing, entries):
    """Moves each item's video (and prompt) to /cosmos/out/<index>/ and adds its manifest entry to `entries`.

    `files_of(position, item)` names Cosmos's (video, prompt) files of the item; an item without its video fails
    with `error` (Cosmos's failure) or, when Cosmos succeeded, `missing(position, item)`.
    """
    for position, item in enumerate(items):
        index = item["index"]
        video, prompt = files_of(position, item)
        if os.path.isfile(video):
            outputs = [place_output(video, "%d/output.mp4" % index)]
            if os.path.isfile(prompt):
                outputs.append(place_output(prompt, "%d/output.txt" % index))
            entries.append({"index": index, "status": "succeeded", "outputs": outputs})
        else:
            progress(index, "failed", "no video")
            entries.append({"index": index, "status": "failed", "error": error or missing(position, item)})


def finish_run(code, error, oom, entries):
    """Reports a failed run; writes the manifest unless the model ran out of memory (the daemon then requeues the
    run's items alone). Returns the exit code."""
    if code != 0:
        report_error(error, oom=oom)
        if oom:
            return code
    write_manifest(sorted(entries, key=lambda entry: entry["index"]))
    return code


def failure_text(program, code, tail):
    """`<program> exited <code>` and the last lines of its stderr."""
    text = "%s exited %d" % (program, code)
    if tail:
        text += ":\n" + "\n".join(tail)
    return text


def main(adapter):
    """Runs `adapter(job, runner)`, which returns the process's exit code; reports what goes wrong."""
    try:
        job = load_job()
        runner = load_runner()
        code = adapter(job, runner)
    except AdapterError as error:
        report_error("%s adapter: %s" % (os.path.basename(sys.argv[0]), error))
        code = 2
    except (OSError, ValueError, KeyError, TypeError) as error:
        report_error("%s adapter failed: %s: %s" % (os.path.basename(sys.argv[0]), type(error).__name__, error))
        code = 2
    sys.exit(code)
