# scripts/bench/daemon.sh: sourced by the benchmark scripts (bash), from the repository's root.
#
# bench_daemon NAME builds cosmos-worker and cosmosctl in release mode in .build-bench (or takes them from
# $COSMOS_BENCH_BIN), then starts a throwaway daemon in a fresh folder: the local engine, one GPU slot in env
# mode, durable_commits = false, images cosmos-test/*. It waits until the daemon answers. It sets WORK (the
# folder, removed on exit), DAEMON (the pid), BIN and CTL (cosmosctl with --socket, as an array).
bench_daemon() {
  if [[ -n ${COSMOS_BENCH_BIN:-} ]]; then
    BIN=$COSMOS_BENCH_BIN
  else
    swift build -c release --scratch-path .build-bench --product cosmos-worker >/dev/null
    swift build -c release --scratch-path .build-bench --product cosmosctl >/dev/null
    BIN=.build-bench/release
  fi
  WORK=$(mktemp -d "/tmp/cosmos-bench-$1.XXXXXX")
  trap 'kill "$DAEMON" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
  cat >"$WORK/config.toml" <<TOML
[daemon]
state_dir = "$WORK/state"
durable_commits = false
[images]
allow = ["cosmos-test/*"]
[[hosts]]
name = "local"
gpus = 1
gpu_mode = "env"
TOML
  "$BIN/cosmos-worker" --config "$WORK/config.toml" >"$WORK/daemon.log" 2>&1 &
  DAEMON=$!
  CTL=("$BIN/cosmosctl" --socket "$WORK/state/cosmos.sock")
  for _ in $(seq 100); do "${CTL[@]}" status >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "the benchmark daemon did not answer; its log: $WORK/daemon.log" >&2
  return 1
}
