"""Runs a command with no blocked and no ignored signals: exec-clean-signals.py COMMAND [ARGS...]

A caller (a test runner) may block some signals, and dockerd hands the signal mask it started with down to
containerd, the shims and every container: a signal a container traps (`docker kill -s USR1`) would then
never arrive. scripts/test-env.sh and scripts/test-engines.sh start dockerd through this.
"""

import os
import signal
import sys

signal.pthread_sigmask(signal.SIG_SETMASK, [])
for number in signal.valid_signals():
    try:
        signal.signal(number, signal.SIG_DFL)
    except (OSError, ValueError, RuntimeError):
        pass
os.execvp(sys.argv[1], sys.argv[1:])
