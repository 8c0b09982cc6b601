"""The OS confinement module (``cnnkit.sandbox.confine``): the BPF program's decisions, path carving,
and, where the system has Landlock, what a confined process can and cannot do (in a fresh
single-threaded interpreter, never in this test process)."""

from __future__ import annotations

import errno
import json
import os
import platform
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cnnkit.sandbox import confine

OWN_PID = 4242
NR = {**confine.X86_64_DENIED, **confine.X86_64_OWN_PID, "read": 0, "write": 1, "mmap": 9, "openat": 257,
      "futex": 202, "clone": confine.X86_64_CLONE, "clone3": confine.X86_64_CLONE3,
      "prlimit64": confine.X86_64_PRLIMIT64}


def run_bpf(program: bytes, nr: int, args: tuple[int, ...] = (), arch: int = confine.AUDIT_ARCH_X86_64) -> int:
    """A classic-BPF interpreter for the instructions the filter uses, on one ``seccomp_data``."""
    data = struct.pack("=iIQ6Q", nr, arch, 0, *(list(args) + [0] * (6 - len(args))))
    insns = [struct.unpack("=HBBI", program[i:i + 8]) for i in range(0, len(program), 8)]
    accumulator, pc = 0, 0
    while True:
        code, jt, jf, k = insns[pc]
        if code == confine._LD_ABS_W:
            accumulator = struct.unpack_from("=I", data, k)[0]
            pc += 1
        elif code == confine._RET_K:
            return k
        else:
            taken = {confine._JEQ_K: accumulator == k, confine._JGE_K: accumulator >= k,
                     confine._JSET_K: bool(accumulator & k)}[code]
            pc += 1 + (jt if taken else jf)


@pytest.fixture(scope="module")
def program() -> bytes:
    return confine.seccomp_program(OWN_PID)


def deny(code: int) -> int:
    return confine.SECCOMP_RET_ERRNO | code


ALLOW = confine.SECCOMP_RET_ALLOW


def test_every_denied_call_fails_with_eperm_and_ordinary_calls_pass(program: bytes):
    for name, number in confine.X86_64_DENIED.items():
        assert run_bpf(program, number) == deny(errno.EPERM), name
    for name in ("read", "write", "mmap", "openat", "futex"):
        assert run_bpf(program, NR[name]) == ALLOW, name


def test_threads_only_and_clone3_falls_back(program: bytes):
    assert run_bpf(program, NR["clone"], (0x3D0F00,)) == ALLOW  # glibc's pthread_create flags
    assert run_bpf(program, NR["clone"], (0x01200011,)) == deny(errno.EPERM)  # fork(): SIGCHLD | CHILD_SETTID ...
    assert run_bpf(program, NR["clone"], (0x4111,)) == deny(errno.EPERM)  # vfork-style clone (posix_spawn)
    assert run_bpf(program, NR["clone3"]) == deny(errno.ENOSYS)


def test_signals_only_to_itself(program: bytes):
    for name in ("kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo"):
        assert run_bpf(program, NR[name], (OWN_PID, 9)) == ALLOW, name
        for other in (1, 0, 0xFFFFFFFF, OWN_PID + 1):  # another process, the group, everyone (-1)
            assert run_bpf(program, NR[name], (other, 9)) == deny(errno.EPERM), (name, other)
    assert run_bpf(program, NR["prlimit64"], (0,)) == ALLOW
    assert run_bpf(program, NR["prlimit64"], (OWN_PID,)) == ALLOW
    assert run_bpf(program, NR["prlimit64"], (1,)) == deny(errno.EPERM)


def test_other_abis_are_refused(program: bytes):
    assert run_bpf(program, 0, arch=0x40000003) == confine.SECCOMP_RET_KILL_PROCESS  # i386 through int 0x80
    assert run_bpf(program, 0x40000000 | 59) == deny(errno.EPERM)  # x32 execve
    assert run_bpf(program, 0x40000000) == deny(errno.EPERM)


def test_carve_cuts_denied_paths_out_of_allowed_roots(tmp_path: Path):
    for folder in ("usr/lib", "usr/course/solutions", "usr/course/kit", "other"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "usr/course/readme").write_text("x")
    root, denied = str(tmp_path / "usr"), [str(tmp_path / "usr/course/solutions")]
    kept = confine.carve([root], denied)
    assert sorted(kept) == sorted(str(tmp_path / p) for p in ("usr/lib", "usr/course/kit", "usr/course/readme"))
    assert confine.carve([str(tmp_path / "usr/course/solutions/x")], denied) == []
    assert confine.carve([str(tmp_path / "other")], denied) == [str(tmp_path / "other")]


def test_levels():
    assert confine.Confinement(applied=["no_new_privs", "landlock", "seccomp"]).level == "strong"
    assert confine.Confinement(applied=["no_new_privs", "landlock"]).level == "partial"
    assert confine.Confinement(applied=["no_new_privs"]).level == "advisory"


needs_landlock = pytest.mark.skipif(
    not (sys.platform.startswith("linux") and platform.machine() == "x86_64" and confine.landlock_abi() >= 1),
    reason="needs Linux x86_64 with Landlock",
)

CONFINED_SCRIPT = textwrap.dedent('''
    import ctypes, json, os, socket, sys, threading
    import torch  # before confinement, as in the worker (the fork server imported it)
    from cnnkit.sandbox import confine
    work, secret, result = sys.argv[1], sys.argv[2], {}
    child = os.fork()  # importing torch started threads: confine a fresh fork, as the worker does
    if child:
        sys.exit(os.waitstatus_to_exitcode(os.waitpid(child, 0)[1]))
    done = confine.confine(confine.default_read_roots(), [work], [os.path.dirname(secret)])
    result["level"] = done.level
    def attempt(name, action):
        try:
            action()
            result[name] = "allowed"
        except OSError as exc:
            result[name] = type(exc).__name__
    def read_secret():
        with open(secret) as handle:
            handle.read()
    attempt("read_secret", read_secret)
    box = []
    thread = threading.Thread(target=lambda: box.append(os.path.exists(secret) and os.access(secret, os.R_OK)))
    attempt("thread_read_secret", lambda: (thread.start(), thread.join(), read_secret()))
    attempt("write_work", lambda: open(os.path.join(work, "x"), "w").write("ok"))
    attempt("write_tmp", lambda: open("/tmp/cnnkit-confine-test-escape", "w").write("no"))
    attempt("socket", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    attempt("fork", lambda: os.fork() == 0 and os._exit(0))
    attempt("exec", lambda: os.execv("/bin/true", ["true"]))
    attempt("kill_parent", lambda: os.kill(os.getppid(), 0))
    attempt("list_proc", lambda: os.listdir("/proc/1"))
    result["probes"] = confine.probe(secret)
    import json as _json  # imports after confinement still work (site-packages is readable)
    torch.set_num_threads(2)
    result["matmul"] = float((torch.ones(64, 64) @ torch.ones(64, 64)).sum())
    print(_json.dumps(result), flush=True)
    os._exit(0)
''')


@needs_landlock
def test_a_confined_process_reads_and_writes_only_what_it_is_allowed(tmp_path: Path):
    work, denied = tmp_path / "work", tmp_path / "denied"
    work.mkdir()
    denied.mkdir()
    secret = denied / "secret.txt"
    secret.write_text("the answers")
    if os.geteuid() == 0:  # the confined process runs as uid 65534: give it its folder, let DAC allow the secret
        os.chown(work, confine.UNPRIVILEGED_ID, confine.UNPRIVILEGED_ID)
        for path in (tmp_path, denied):
            path.chmod(0o755)
        secret.chmod(0o644)
    completed = subprocess.run([sys.executable, "-c", CONFINED_SCRIPT, str(work), str(secret)],
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["level"] == "strong"
    assert result["read_secret"] == "PermissionError"
    assert result["thread_read_secret"] == "PermissionError"
    assert result["write_work"] == "allowed"
    assert result["write_tmp"] == "PermissionError"
    assert not Path("/tmp/cnnkit-confine-test-escape").exists()
    for name in ("socket", "fork", "exec", "kill_parent", "list_proc"):
        assert result[name] == "PermissionError", (name, result[name])
    assert all(probe["blocked"] for probe in result["probes"].values()), result["probes"]
    assert result["matmul"] == 64.0 ** 3


@needs_landlock
def test_confinement_refuses_a_process_with_several_threads():
    script = textwrap.dedent('''
        import threading, time
        from cnnkit.sandbox import confine
        threading.Thread(target=time.sleep, args=(5,), daemon=True).start()
        try:
            confine.confine([], [], [])
        except confine.ConfinementError as exc:
            print("refused:", exc)
    ''')
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert "refused: the worker runs" in completed.stdout, completed.stderr[-2000:]
