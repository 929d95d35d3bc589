"""What the gdbstub tests share: a free TCP port, and ringshift started with -S and
waiting for gdb on it."""

import socket
import subprocess


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_waiting(ringshift, elf, port, stdout=subprocess.PIPE, boot="--kernel"):
    """ringshift run --kernel ELF -S --gdb PORT (or --bios ROM), once it says it waits for
    gdb (a probe connection would count as gdb's); raises RuntimeError if it does not."""
    vmm = subprocess.Popen([ringshift, "run", boot, elf, "-S", "--gdb", str(port)],
                           stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE)
    line = vmm.stderr.readline().decode("utf-8", "replace")
    if "waiting for gdb" not in line:
        vmm.kill()
        vmm.wait()
        raise RuntimeError("ringshift did not wait for gdb: %r" % line)
    return vmm


def kill_if_running(proc):
    """Ends a VMM a test left running (a failure before its clean exit)."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()
