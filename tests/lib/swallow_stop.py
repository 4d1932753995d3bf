#!/usr/bin/env python3
"""swallow_stop.py CMD [ARGS...]: run CMD as this process's ptrace tracee and
swallow every SIGSTOP sent to it or its threads (a debugger or sandbox that
does not let stops through). Used by tests/e2e/test_no_way_around.sh: the
thread Aspen stops at its first provider connect() runs on before its TLS
probes exist. Prints "swallowed N" on stderr; exits with CMD's status."""

import ctypes
import os
import signal
import sys

PTRACE_TRACEME, PTRACE_CONT, PTRACE_SETOPTIONS = 0, 7, 0x4200
PTRACE_O_TRACECLONE, PTRACE_O_EXITKILL = 0x8, 0x100000
WALL = 0x40000000

libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]


def main():
    child = os.fork()
    if child == 0:
        libc.ptrace(PTRACE_TRACEME, 0, None, None)
        os.execvp(sys.argv[1], sys.argv[1:])
    swallowed, rc, first = 0, 1, True
    while True:
        try:
            pid, status = os.waitpid(-1, WALL)
        except ChildProcessError:
            break
        if os.WIFEXITED(status) or os.WIFSIGNALED(status):
            if pid == child:
                rc = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
            continue
        if not os.WIFSTOPPED(status):
            continue
        sig = os.WSTOPSIG(status)
        if first and pid == child and sig == signal.SIGTRAP:  # the exec stop
            first = False
            libc.ptrace(PTRACE_SETOPTIONS, pid, None,
                        ctypes.c_void_p(PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL))
            sig = 0
        elif status >> 16:  # a ptrace event stop (clone)
            sig = 0
        elif sig == signal.SIGSTOP:
            swallowed += 1  # includes a new thread's first stop
            sig = 0
        elif sig == signal.SIGTRAP:
            sig = 0
        libc.ptrace(PTRACE_CONT, pid, None, ctypes.c_void_p(sig))
    print("swallowed %d" % swallowed, file=sys.stderr, flush=True)
    sys.exit(rc)


if __name__ == "__main__":
    main()
