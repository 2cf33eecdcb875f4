"""The dashboard in a real headless Chromium (Debian's), driven by Playwright from PyPI.

Run by scripts/test-browser.sh, which installs what this needs. Each test talks to a real cosmos-worker on the
real Docker engine, and checks the page against what `cosmosctl` says. Screenshots of every page are saved under
COSMOS_BROWSER_ARTIFACTS.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from playwright.sync_api import expect, sync_playwright

BIN = os.environ["COSMOS_BIN_DIR"]
CHROMIUM = os.environ.get("COSMOS_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = os.path.abspath(os.environ.get("COSMOS_BROWSER_ARTIFACTS", ".build-browser/artifacts"))
BUSYBOX = "cosmos-test/busybox:latest"
FAKE_MODEL = "cosmos-test/fake-model:latest"
# A user who is not an admin, in group `users` (100), which may open the daemon's socket.
OTHER = (1002, [100])
DEADLINE = 30_000  # milliseconds for the page to show what the daemon did


def wait_until(what, condition, timeout=60.0):
    """Polls `condition` until it is true, or fails naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting until {what}")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Daemon:
    """A cosmos-worker with the dashboard on a free loopback port, its own state, one GPU slot."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="cosmos-browser-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        self.socket = self.dir + "/cosmos.sock"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.config = self.dir + "/config.toml"
        with open(self.config, "w") as f:
            f.write(
                f"""[daemon]
state_dir = "{self.dir}/state"
socket = "{self.socket}"
socket_group = "users"
durable_commits = false
stop_timeout_seconds = 2

[images]
allow = ["cosmos-test/*"]

[access]
admin_group = "staff"

[web]
listen = "127.0.0.1:{self.port}"

[[hosts]]
name = "local"
docker = "unix:///var/run/docker.sock"
gpus = 1
gpu_mode = "env"
"""
            )
        # A copy of cosmosctl every uid can run (the build folder may be under /root).
        self.ctl_copy = self.dir + "/cosmosctl"
        shutil.copy(BIN + "/cosmosctl", self.ctl_copy)
        os.chmod(self.ctl_copy, 0o755)
        self.proc = None
        self.instance = None

    def start(self):
        with open(self.dir + "/daemon.log", "ab") as log:
            self.proc = subprocess.Popen([BIN + "/cosmos-worker", "--config", self.config], stdout=log, stderr=log)
        wait_until("the daemon answers", lambda: self.ctl("status", "--json", check=False).returncode == 0)
        wait_until("the dashboard answers", self.web_answers)
        self.instance = self.ctl_json("status")["instance"]

    def web_answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def kill(self):
        """SIGKILL, as a crash would."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)

    def tear_down(self):
        self.kill()
        if self.instance:
            subprocess.run(
                f"docker ps -aq --filter label=cosmos.instance={self.instance} | xargs -r docker rm -f",
                shell=True,
                capture_output=True,
            )
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self):
        with open(self.dir + "/daemon.log", errors="replace") as f:
            return f.read()[-4000:]

    def ctl(self, *args, user=None, check=True, stdin=None):
        command = [self.ctl_copy, "--socket", self.socket, *args]
        if user:
            uid, groups = user
            command = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--groups=" + ",".join(map(str, groups))] + command
        result = subprocess.run(command, capture_output=True, text=True, input=stdin, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"cosmosctl {' '.join(args)} exited {result.returncode}: {result.stderr}")
        return result

    def ctl_json(self, *args, user=None):
        """cosmosctl with `--json` (before a `--` that starts a job's command), its answer decoded."""
        args = list(args)
        at = args.index("--") if "--" in args else len(args)
        return json.loads(self.ctl(*args[:at], "--json", *args[at:], user=user).stdout)

    def submit_file(self, lines, *extra):
        path = f"{self.dir}/jobs-{time.monotonic_ns()}.jsonl"
        with open(path, "w") as f:
            f.write("\n".join(json.dumps(line) for line in lines))
        os.chmod(path, 0o644)
        return self.ctl_json(*extra, "--file", path)

    def login_url(self, user=None):
        url = self.ctl("web", user=user).stdout.strip()
        assert url.startswith(self.base + "/login?token="), url
        return url


class DashboardTestCase(unittest.TestCase):
    """One daemon and one browser for the class; a fresh browser context (no cookies) per test."""

    @classmethod
    def setUpClass(cls):
        os.makedirs(ARTIFACTS, exist_ok=True)
        cls.daemon = Daemon()
        cls.daemon.start()
        cls.playwright = sync_playwright().start()
        cls.browser = cls.playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls.playwright.stop()
        cls.daemon.tear_down()

    def setUp(self):
        self.context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.on("dialog", lambda dialog: dialog.accept())

    def tearDown(self):
        self.context.close()
        if any(error for _, error in (self._outcome.result.errors + self._outcome.result.failures)):
            print("daemon log:\n" + self.daemon.log())

    def shot(self, name):
        self.page.screenshot(path=f"{ARTIFACTS}/{name}.png", full_page=True)

    def login(self, user=None, url=None):
        self.page.goto(url or self.daemon.login_url(user))
        expect(self.page).to_have_title("Queue · cosmos-worker")
        expect(self.page.locator("#live")).to_have_text("live", timeout=DEADLINE)

    def queue_names(self):
        return self.page.locator("#queue tbody tr[data-job] td:nth-child(2)").all_inner_texts()


class LoginAndQueueTests(DashboardTestCase):
    def test_login_with_token_and_refusal_without_session(self):
        response = self.page.goto(self.daemon.base + "/")
        self.assertEqual(response.status, 401)
        expect(self.page.locator("main")).to_contain_text("cosmosctl web")
        self.shot("login-needed")
        forged = self.page.request.post(self.daemon.base + "/v1/pause")
        self.assertEqual(forged.status, 401)
        url = self.daemon.login_url()
        self.login(url=url)
        self.shot("queue-empty")
        # The token was spent: a second browser cannot use it.
        other = self.browser.new_context()
        try:
            self.assertEqual(other.new_page().goto(url).status, 401)
        finally:
            other.close()

    def test_queue_order_and_move_to_top(self):
        self.daemon.ctl("pause")
        try:
            jobs = [self.daemon.ctl_json("submit", "--image", BUSYBOX, "--name", f"order-{i}", "--", "true") for i in range(3)]
            names = [job["name"] for job in jobs]
            self.login()
            expect(self.page.locator("#queue tbody tr[data-job]")).to_have_count(3, timeout=DEADLINE)
            self.assertEqual(self.queue_names(), names)
            self.shot("queue")
            marker = self.page.evaluate("() => (window.__noReload = 1)")
            self.page.locator("#queue tr", has_text="order-2").get_by_role("button", name="Top").click()
            wait_until("the page shows order-2 first", lambda: self.queue_names() == ["order-2", "order-0", "order-1"], 30)
            listed = [job["name"] for job in self.daemon.ctl_json("list") if job.get("position")]
            self.assertEqual(listed, ["order-2", "order-0", "order-1"])
            self.assertEqual(self.page.evaluate("() => window.__noReload"), marker)
            self.assertEqual(self.page.locator("#queue tr", has_text="order-2").locator("td.pos").inner_text(), "1")
        finally:
            self.daemon.ctl("resume")

    def test_batch_bar_advances_live(self):
        self.daemon.ctl("pause")
        lines = [{"name": f"bar-{i}", "image": BUSYBOX, "command": ["sleep", "1"]} for i in range(4)]
        batch = self.daemon.submit_file(lines, "batch", "create", "progress-bar")
        self.login()
        self.page.goto(self.daemon.base + "/batches")
        bar = self.page.locator(f'section[data-batch="{batch["id"]}"] .bar')
        expect(bar).to_have_attribute("aria-valuenow", "0", timeout=DEADLINE)
        self.page.evaluate("() => (window.__noReload = 1)")
        seen = {0}
        self.daemon.ctl("resume")
        deadline = time.monotonic() + 90
        shot = False
        while time.monotonic() < deadline and 100 not in seen:
            value = int(bar.get_attribute("aria-valuenow"))
            seen.add(value)
            if 0 < value < 100 and not shot:
                self.shot("batches-running")
                shot = True
            time.sleep(0.1)
        self.assertIn(100, seen, f"the bar showed {sorted(seen)}")
        self.assertTrue(any(0 < value < 100 for value in seen), f"no step between 0 and 100: {sorted(seen)}")
        self.assertEqual(self.page.evaluate("() => window.__noReload"), 1, "the page reloaded")
        expect(self.page.locator(f'section[data-batch="{batch["id"]}"] .percent')).to_have_text("100%")
        # The bar is drawn, not only labelled: its done part spans the whole track.
        self.assertEqual(bar.locator("rect.done").get_attribute("width"), "100.0")
        self.page.locator(f"#marks-{batch['id']} summary").click()
        expect(self.page.locator(f"#marks-{batch['id']} .mark-done")).to_have_count(4)
        self.shot("batches-done")

    def test_other_pages_render(self):
        self.login()
        for path, name in [("/hosts", "hosts"), ("/activity", "activity")]:
            self.page.goto(self.daemon.base + path)
            expect(self.page.locator("#live")).to_have_text("live", timeout=DEADLINE)
            self.shot(name)
        expect(self.page.locator("#throughput-chart")).to_be_visible()
        self.page.goto(self.daemon.base + "/hosts")
        expect(self.page.locator('section[data-host="local"] .gpu')).to_have_count(1)

    def test_job_page_follows_the_log_and_plays_the_output(self):
        self.daemon.ctl("pause")
        job = self.daemon.submit_file(
            [{"name": "with-video", "image": FAKE_MODEL, "prompt": "a robot", "env": {"FAKE_ITEM_SECONDS": "2"}}],
            "submit",
        )[0]
        self.login()
        self.page.goto(f"{self.daemon.base}/jobs/{job['id']}")
        expect(self.page.locator("#live")).to_have_text("live", timeout=DEADLINE)
        self.daemon.ctl("resume")
        # The log grows while the job runs, without a reload; then the output appears with a player.
        expect(self.page.locator("#log")).to_contain_text("fake-model: model loaded", timeout=DEADLINE)
        expect(self.page.locator("h1 .state")).to_have_text("succeeded", timeout=60_000)
        video = self.page.locator("video")
        expect(video).to_have_count(1, timeout=DEADLINE)
        source = video.get_attribute("src")
        self.assertEqual(source, f"/jobs/{job['id']}/outputs/video.mp4")
        answer = self.page.request.get(self.daemon.base + source)
        self.assertEqual(answer.status, 200)
        self.assertEqual(answer.headers["content-type"], "video/mp4")
        with open(f"{self.daemon.dir}/state/outputs/{job['id']}/video.mp4", "rb") as f:
            self.assertEqual(answer.body(), f.read())
        escaped = f"{self.daemon.base}/jobs/{job['id']}/outputs/%2e%2e%2f%2e%2e%2fconfig.toml"
        self.assertEqual(self.page.request.get(escaped).status, 404)
        self.shot("job")

    def test_admin_drains_and_resumes_a_host(self):
        self.login()
        self.page.goto(self.daemon.base + "/hosts")
        host = self.page.locator('section[data-host="local"]')
        host.get_by_role("button", name="Drain").click()
        expect(host.locator(".badge")).to_have_text("drained", timeout=DEADLINE)
        self.assertTrue(self.daemon.ctl_json("hosts")[0]["draining"])
        self.shot("hosts-drained")
        host.get_by_role("button", name="Resume").click()
        expect(host.locator(".badge")).to_have_text("up", timeout=DEADLINE)
        self.assertFalse(self.daemon.ctl_json("hosts")[0]["draining"])

    def test_non_admin_sees_no_switch_and_forged_post_is_refused(self):
        self.login(user=OTHER)
        expect(self.page.locator("#queue-state")).to_have_text("Queue running")
        self.assertEqual(self.page.locator("#pause-switch").count(), 0)
        self.shot("queue-non-admin")
        status = self.page.evaluate(
            """async () => {
                const csrf = document.querySelector('meta[name="csrf-token"]').content;
                const r = await fetch('/v1/pause', {method: 'POST', headers: {'X-CSRF-Token': csrf}});
                return r.status;
            }"""
        )
        self.assertEqual(status, 403)
        self.assertFalse(self.daemon.ctl_json("status")["paused"])


class SmartBatchPanelTests(DashboardTestCase):
    def test_panel_hidden_while_running_then_analyze_preview_execute(self):
        self.login()
        self.page.goto(self.daemon.base + "/smart-batch")
        expect(self.page.locator("#smart-batch-hidden")).to_be_visible()
        self.assertEqual(self.page.locator("#smart-batch-panel").count(), 0)
        self.shot("smart-batch-hidden")
        self.daemon.ctl("pause")
        expect(self.page.locator("#smart-batch-panel")).to_be_visible(timeout=DEADLINE)
        env = {"FAKE_LOAD_SECONDS": "1", "FAKE_ITEM_SECONDS": "0.2"}
        lines = [
            {"name": f"sb-{i}", "image": FAKE_MODEL, "prompt": f"a robot {i}", "env": env,
             "controls": {"edge": 0.5} if i % 2 else {"edge": 0.4, "depth": 0.3}}
            for i in range(6)
        ]
        submitted = self.daemon.submit_file(lines, "submit")
        self.page.locator("#allow-mixed").check()
        self.page.locator("#analyze").click()
        expect(self.page.locator("#plan-groups tbody tr").first).to_be_visible(timeout=DEADLINE)
        preview = self.daemon.ctl_json("smart-batch", "preview")
        self.assertEqual(preview["mode"], "mixed")
        rows = self.page.locator("#plan-groups tbody tr")
        self.assertEqual(rows.count(), len(preview["groups"]))
        for row, group in zip(rows.all(), preview["groups"]):
            self.assertEqual(row.locator("td.ids").inner_text().split(), group["job_ids"])
        self.assertEqual(sorted(i for g in preview["groups"] for i in g["job_ids"]), sorted(j["id"] for j in submitted))
        self.shot("smart-batch-preview")
        self.page.locator("#execute").click()
        expect(self.page.locator("#report-runs tbody tr")).to_have_count(len(preview["groups"]), timeout=DEADLINE)
        report = self.daemon.ctl_json("smart-batch", "report")
        self.assertEqual(report["plan_id"], preview["id"])
        self.assertFalse(self.daemon.ctl_json("status")["paused"], "execute resumes the queue")
        self.assertEqual(self.page.locator("#smart-batch-panel").count(), 0)
        runs = [run["parent_id"] for run in report["runs"]]
        wait_until("the runs finish", lambda: all(self.daemon.ctl_json("show", r)["state"] == "succeeded" for r in runs), 120)
        expect(self.page.locator("#report-summary")).not_to_contain_text("not yet", timeout=DEADLINE)
        self.shot("smart-batch-report")


class RestartTests(DashboardTestCase):
    def test_kill_and_restart_shows_reconnecting_then_live_and_catches_up(self):
        self.login()
        self.page.evaluate("() => (window.__noReload = 1)")
        self.daemon.kill()
        expect(self.page.locator("#live")).to_have_text("reconnecting…", timeout=DEADLINE)
        self.shot("reconnecting")
        self.daemon.start()
        # Work that happens while the page reconnects still shows: the page re-reads its state once live.
        self.daemon.ctl("pause")
        self.daemon.ctl("submit", "--image", BUSYBOX, "--name", "after-restart", "--", "true")
        expect(self.page.locator("#live")).to_have_text("live", timeout=DEADLINE)
        expect(self.page.locator("#queue tr", has_text="after-restart")).to_have_count(1, timeout=DEADLINE)
        self.assertEqual(self.page.evaluate("() => window.__noReload"), 1, "the page reloaded")
        self.shot("reconnected")
        self.daemon.ctl("resume")


if __name__ == "__main__":
    unittest.main(verbosity=2)
