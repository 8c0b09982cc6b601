"""The OS confinement module (``cnnkit.sandbox.confine``): the BPF program's decisions, path carving,
and, where the system has Landlock, what a confined process can and cannot do (in a fresh
single-threaded interpreter, never in this test process); the resource bounds: limits
(``cnnkit.sandbox.limits``, the security model's table in docs/), cgroups (``cnnkit.sandbox.cgroups``: found from
/proc, written as each cgroup version wants, and what the kernel then enforces), the private tmpfs."""

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


def test_a_new_session_or_group_and_uncounted_memory_are_denied(program: bytes):
    """setsid/setpgid would leave the run's process group; memfd and SysV/POSIX IPC hold memory that
    RLIMIT_AS does not count (and, for IPC, that outlives the worker)."""
    for name in ("setsid", "setpgid", "memfd_create", "memfd_secret", "shmget", "shmat", "semget", "msgget",
                 "mq_open"):
        assert run_bpf(program, confine.X86_64_DENIED[name]) == deny(errno.EPERM), name


ALL_BOUNDS = {name: "held" for name in confine.BOUNDS}


def test_levels():
    """``strong``: Landlock, seccomp, no-new-privileges and every resource bound; one bound missing: partial."""
    layers = ["no_new_privs", "own_uid: uid 1", "landlock", "seccomp"]
    assert confine.Confinement(applied=layers, bounds=ALL_BOUNDS).level == "strong"
    for name in confine.BOUNDS:
        fewer = {key: how for key, how in ALL_BOUNDS.items() if key != name}
        assert confine.Confinement(applied=layers, bounds=fewer).level == "partial", name
    assert confine.Confinement(applied=["no_new_privs", "landlock"], bounds=ALL_BOUNDS).level == "partial"
    assert confine.Confinement(applied=["no_new_privs"], bounds=ALL_BOUNDS).level == "advisory"


def test_each_bound_is_held_by_the_cgroup_or_its_fallback():
    cgroup = {"tasks": "cgroup: 64 tasks", "memory": "cgroup: 4 GiB", "kill": "cgroup: killed"}
    held, missing = confine.resource_bounds(cgroup=cgroup, own_tasks="", writable="tmpfs", seccomp=False,
                                            address_space="RLIMIT_AS")
    assert set(held) == set(confine.BOUNDS) and not missing
    held, missing = confine.resource_bounds(cgroup={}, own_tasks="own uid, RLIMIT_NPROC 64", writable="tmpfs",
                                            seccomp=True, address_space="RLIMIT_AS")  # root, no cgroup
    assert set(held) == set(confine.BOUNDS) and not missing
    assert "no memfd" in held["memory"] and "setsid" in held["kill"]
    held, missing = confine.resource_bounds(cgroup={}, own_tasks="", writable="", seccomp=True,
                                            address_space="RLIMIT_AS")  # not root, no user namespace
    assert set(held) == {"kill"} and len(missing) == 3
    assert any("tasks not bounded" in why for why in missing)
    held, _ = confine.resource_bounds(cgroup=cgroup, own_tasks="", writable="", seccomp=True, address_space="x")
    assert "disk" not in held and held["memory"] == "cgroup: 4 GiB"


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
    if os.geteuid() == 0:  # as root the process runs as a uid of its own: give it its folder
        os.chown(work, confine.worker_uid(os.getpid()), confine.worker_uid(os.getpid()))
    done = confine.confine(confine.default_read_roots(), [work], [os.path.dirname(secret)])
    result["layers"] = done.level
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
    attempt("setsid", os.setsid)
    attempt("setpgid", lambda: os.setpgid(0, 0))
    attempt("memfd", lambda: os.memfd_create("x"))
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
    if os.geteuid() == 0:  # the confined process runs as a uid of its own: let DAC allow the secret
        for path in (tmp_path, work, denied):
            path.chmod(0o755)
        secret.chmod(0o644)
    completed = subprocess.run([sys.executable, "-c", CONFINED_SCRIPT, str(work), str(secret)],
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["layers"] == "partial"  # Landlock and seccomp; the resource bounds are the worker's (below)
    assert result["read_secret"] == "PermissionError"
    assert result["thread_read_secret"] == "PermissionError"
    assert result["write_work"] == "allowed"
    assert result["write_tmp"] == "PermissionError"
    assert not Path("/tmp/cnnkit-confine-test-escape").exists()
    for name in ("socket", "fork", "exec", "kill_parent", "list_proc", "setsid", "setpgid", "memfd"):
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


# -- limits ------------------------------------------------------------------------------------------------
def test_limits_come_from_their_defaults_and_cnnkit_limits():
    from cnnkit.sandbox import limits

    assert limits.parse("") == limits.DEFAULTS
    changed = limits.parse("worker_memory=512MiB, worker_tasks=16,reply_bytes=1.5GiB")
    assert (changed.worker_memory, changed.worker_tasks, changed.reply_bytes) == (512 << 20, 16, 3 << 29)
    assert changed.worker_disk == limits.DEFAULTS.worker_disk
    for wrong in ("worker_memry=1GiB", "worker_tasks=lots", "worker_disk=0", "worker_memory=4 furlongs"):
        with pytest.raises(limits.LimitsError):
            limits.parse(wrong)


def test_security_model_states_every_limit_with_its_default():
    """docs/security-model.md's limits table: one row per ``Limits`` field, with the value in force by default."""
    import dataclasses

    from cnnkit import paths
    from cnnkit.sandbox import limits

    page = (paths.PACKAGE_ROOT / "docs" / "security-model.md").read_text()
    for item in dataclasses.fields(limits.Limits):
        value = getattr(limits.DEFAULTS, item.name)
        shown = limits.describe_size(value) if item.name in limits.SIZE_FIELDS else f"{value:,}"
        row = next((line for line in page.splitlines() if line.startswith(f"| `{item.name}` |")), None)
        assert row is not None, f"docs/security-model.md has no row for {item.name}"
        assert f"| {shown} |" in row, (item.name, shown, row)


# -- cgroups: found from /proc, written as each version wants -------------------------------------------------
from cnnkit.sandbox import cgroups  # noqa: E402

V1_MOUNTS = """\
30 25 0:26 / /sys/fs/cgroup/pids rw,relatime shared:10 - cgroup cgroup rw,pids
31 25 0:27 / /sys/fs/cgroup/memory rw,relatime shared:11 - cgroup cgroup rw,memory
32 25 0:28 / /sys/fs/cgroup/unified rw,relatime shared:12 - cgroup2 cgroup2 rw
"""


def test_v1_hierarchies_are_found_under_the_processs_own_cgroups(tmp_path: Path):
    pids, memory = tmp_path / "pids", tmp_path / "memory" / "batch" / "me"
    pids.mkdir()
    memory.mkdir(parents=True)
    (tmp_path / "unified").mkdir()
    (tmp_path / "unified" / "cgroup.controllers").write_text("hugetlb\n")  # v2 without pids/memory: not used
    mounts = V1_MOUNTS.replace("/sys/fs/cgroup", str(tmp_path))
    found = cgroups.detect(mounts, "8:pids:/\n4:memory:/batch/me\n0::/\n")
    assert found == cgroups.Backend(1, (pids, memory))
    assert isinstance(cgroups.detect(mounts.splitlines()[0], "8:pids:/\n"), str)  # no memory hierarchy: none


def test_v2_is_used_where_its_controllers_can_be_handed_down(tmp_path: Path):
    own = tmp_path / "unified" / "grading.scope"
    own.mkdir(parents=True)
    (own / "cgroup.controllers").write_text("cpu io memory pids\n")
    (own / "cgroup.subtree_control").write_text("")
    mounts = V1_MOUNTS.replace("/sys/fs/cgroup", str(tmp_path))
    found = cgroups.detect(mounts, "0::/grading.scope\n")
    assert found == cgroups.Backend(2, (own,))
    assert (own / "cgroup.subtree_control").read_text() == "+pids +memory"
    (own / "cgroup.controllers").write_text("cpu io\n")  # not delegated: v2 cannot bound; no v1 either
    assert isinstance(cgroups.detect(mounts, "0::/grading.scope\n"), str)


def test_v2_groups_get_their_limits_and_are_killed_through_cgroup_kill(tmp_path: Path):
    base = tmp_path / "scope"
    base.mkdir()
    (base / "cgroup.subtree_control").write_text("")
    session = cgroups.Group(cgroups.Backend(2, (base,)), (base,)).child("cnnkit-1")
    (session.folders[0] / "cgroup.subtree_control").write_text("")  # the kernel makes it with the folder
    run = session.child("run-0", tasks=512, memory=6 << 30)
    assert (base / "cgroup.subtree_control").read_text() == "+pids +memory"
    assert (run.folders[0] / "pids.max").read_text() == "512"
    assert (run.folders[0] / "memory.max").read_text() == str(6 << 30)
    assert (run.folders[0] / "memory.swap.max").read_text() == "0"
    assert (run.folders[0] / "memory.oom.group").read_text() == "1"
    (run.folders[0] / "cgroup.kill").write_text("")
    assert run.kill(timeout=0)
    assert (run.folders[0] / "cgroup.kill").read_text() == "1"
    (run.folders[0] / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    assert run.oom_killed()


needs_cgroups = pytest.mark.skipif(cgroups.backend() is None,
                                   reason="needs writable cgroups (root, v1 or delegated v2)")

IN_GROUP = textwrap.dedent('''
    import os, sys, threading, time
    for folder in sys.argv[2:]:
        open(os.path.join(folder, "cgroup.procs"), "w").write("0")
    what = sys.argv[1]
    if what == "memfd":  # 4x the limit, in memory that RLIMIT_AS does not count
        fd = os.memfd_create("x")
        for _ in range(256):
            os.write(fd, b"\\1" * (1 << 20))
        print("survived", flush=True)
    elif what == "threads":
        started = 0
        try:
            for _ in range(200):
                threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
                started += 1
        except RuntimeError:
            pass
        print(started, flush=True)
        os._exit(0)
    elif what == "escape":  # a new session, and a child in yet another: no process group reaches them all
        os.setsid()
        if os.fork() == 0:
            os.setsid()
            os.write(1, b"escaped\\n")  # once both are in place, and from one process (two prints could interleave)
        time.sleep(60)
''')


def _in_group(what: str, group: cgroups.Group, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", IN_GROUP, what, *group.as_paths()], stdout=subprocess.PIPE,
                            text=True, **kwargs)


@needs_cgroups
def test_a_worker_cgroup_counts_memfd_memory_and_kills_at_its_limit():
    group = cgroups.worker_parent().child(f"test-memfd-{os.getpid()}", tasks=64, memory=64 << 20)
    try:
        process = _in_group("memfd", group)
        output, _ = process.communicate(timeout=120)
        assert process.returncode == -9 and "survived" not in output
        assert group.oom_killed()
    finally:
        assert group.remove()


@needs_cgroups
def test_a_worker_cgroup_bounds_threads():
    group = cgroups.worker_parent().child(f"test-threads-{os.getpid()}", tasks=16, memory=1 << 30)
    try:
        process = _in_group("threads", group)
        output, _ = process.communicate(timeout=120)
        assert 5 <= int(output) < 16, output  # the interpreter's own threads count too
    finally:
        assert group.remove()


@needs_cgroups
def test_killing_a_cgroup_reaches_processes_that_left_their_session():
    group = cgroups.worker_parent().child(f"test-escape-{os.getpid()}", tasks=64, memory=1 << 30)
    process = _in_group("escape", group)
    assert process.stdout.readline().strip() == "escaped"
    members = group.pids()
    assert len(members) == 2, members  # the process and its child, each in a session of its own
    assert group.remove()
    process.wait(timeout=10)
    assert not group.exists()
    assert not [pid for pid in members if Path(f"/proc/{pid}").exists() and _state(pid) != "Z"]


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "gone"


# -- the private tmpfs ---------------------------------------------------------------------------------------
TMPFS_SCRIPT = textwrap.dedent('''
    import json, os, sys
    from cnnkit.sandbox import confine
    folder, result = sys.argv[1], {}
    result["how"] = confine.private_tmpfs(folder, 4 << 20, 64, os.geteuid(), os.getegid())
    try:
        with open(os.path.join(folder, "big"), "wb") as handle:
            for _ in range(8):
                handle.write(b"\\1" * (1 << 20))
        result["big"] = "written"
    except OSError as exc:
        result["big"] = exc.strerror
    os.remove(os.path.join(folder, "big"))
    try:
        for index in range(100):
            open(os.path.join(folder, str(index)), "w").close()
        result["files"] = "created"
    except OSError as exc:
        result["files"] = exc.strerror
    result["mine"] = len(os.listdir(folder))
    print(json.dumps(result), flush=True)
''')


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux mount namespaces")
def test_the_writable_folder_is_a_private_tmpfs_bounded_in_bytes_and_files(tmp_path: Path):
    folder = tmp_path / "tmp"
    folder.mkdir()
    completed = subprocess.run([sys.executable, "-c", TMPFS_SCRIPT, str(folder)], capture_output=True, text=True,
                               timeout=120)
    if os.geteuid() != 0 and "unshare" in completed.stderr:
        pytest.skip("no user namespaces for this user")
    assert completed.returncode == 0, completed.stderr[-2000:]
    result = json.loads(completed.stdout)
    assert result["big"] == "No space left on device"
    assert result["files"] == "No space left on device" and result["mine"] <= 64
    assert list(folder.iterdir()) == []  # never on this side, and gone with the process


USER_NAMESPACE_SCRIPT = textwrap.dedent('''
    import ctypes, json, os, resource, struct, sys, threading, time
    from cnnkit.sandbox import confine
    folder, result = sys.argv[1], {}
    # Root playing a user: uid 12345, keeping only CAP_DAC_READ_SEARCH (this interpreter may live under /root).
    confine._prctl(confine.PR_SET_KEEPCAPS, 1)
    os.setresgid(12345, 12345, 12345)
    os.setresuid(12345, 12345, 12345)
    bits = 1 << confine.CAP_DAC_READ_SEARCH
    header = ctypes.create_string_buffer(struct.pack("Ii", confine._LINUX_CAPABILITY_VERSION_3, 0))
    data = ctypes.create_string_buffer(struct.pack("6I", bits, bits, 0, 0, 0, 0))
    confine._check(confine.libc().capset(header, data), "capset")
    confine.set_dumpable(False)  # as a worker is
    result["how"] = confine.private_tmpfs(folder, 4 << 20, 64, os.geteuid(), os.getegid())
    result["own_namespace"] = confine.in_own_user_namespace()
    resource.setrlimit(resource.RLIMIT_NPROC, (16, 16))  # its tasks alone count in its namespace
    confine.drop_all_capabilities()
    started = 0
    try:
        for _ in range(100):
            threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
            started += 1
    except RuntimeError:
        pass
    result["threads"] = started
    print(json.dumps(result), flush=True)
    os._exit(0)
''')


@pytest.mark.skipif(not (sys.platform.startswith("linux") and os.geteuid() == 0), reason="root plays a user")
def test_without_root_a_user_namespace_gives_the_tmpfs_and_a_task_limit_of_its_own():
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="cnnkit-userns-"))  # in the world-searchable temp folder: a user reaches it
    folder.chmod(0o777)
    try:
        completed = subprocess.run([sys.executable, "-c", USER_NAMESPACE_SCRIPT, str(folder)], capture_output=True,
                                   text=True, timeout=120)
    finally:
        shutil.rmtree(folder)
    if "unshare" in completed.stderr:
        pytest.skip("the kernel allows no unprivileged user namespaces")
    assert completed.returncode == 0, completed.stderr[-2000:]
    result = json.loads(completed.stdout)
    assert "user namespace of its own" in result["how"] and result["own_namespace"]
    assert result["threads"] == 15  # 16 tasks, its main thread included, whatever uid 12345 runs elsewhere


def test_alone_in_a_delegated_v2_cgroup_the_grader_moves_into_a_leaf_and_uses_the_cgroup(tmp_path: Path):
    """``systemd-run --scope -p Delegate=yes cnnkit grade``: the scope holds cnnkit alone, and v2 lets a cgroup
    with processes hand no controller to its children; moved into a leaf, the scope becomes the base."""
    scope = tmp_path / "unified" / "grading.scope"
    scope.mkdir(parents=True)
    (scope / "cgroup.controllers").write_text("memory pids\n")
    (scope / "cgroup.subtree_control").write_text("")
    (scope / "cgroup.procs").write_text("4242\n")
    mounts = V1_MOUNTS.replace("/sys/fs/cgroup", str(tmp_path)).splitlines()[2]  # v2 only
    assert cgroups.move_into_leader(mounts, "0::/grading.scope\n", pid=4243) is None  # someone else is there
    leader = cgroups.move_into_leader(mounts, "0::/grading.scope\n", pid=4242)
    assert leader == scope / "cnnkit-leader-4242" and (leader / "cgroup.procs").read_text() == "4242"
    found = cgroups.detect(mounts, "0::/grading.scope/cnnkit-leader-4242\n")  # as the server started after sees it
    assert found == cgroups.Backend(2, (scope,))
    assert (scope / "cgroup.subtree_control").read_text() == "+pids +memory"
