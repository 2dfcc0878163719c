"""What every timing figure must state: device, driver, library versions, date."""
from __future__ import annotations

import datetime
import platform
import subprocess

import torch


def describe(device) -> dict:
    """Device name, driver, torch/CUDA/cuDNN/Triton versions, CPU and date, for the header of a results file."""
    device = torch.device(device)
    info = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "torch": torch.__version__, "python": platform.python_version(), "cpu": platform.processor() or
            platform.machine(), "cpu_threads": torch.get_num_threads()}
    try:
        import triton
        info["triton"] = triton.__version__
    except Exception:
        info["triton"] = None
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        info.update(device=props.name, cuda=torch.version.cuda, cudnn=torch.backends.cudnn.version(),
                    gpu_memory_gib=round(props.total_memory / 2**30, 1), sm_count=props.multi_processor_count,
                    driver=_nvidia_smi("driver_version"))
    else:
        threads = info["cpu_threads"]
        device = f"CPU ({info['cpu']}, {threads} thread{'s' if threads != 1 else ''})"
        info.update(device=device, cuda=None, cudnn=None, driver=None)
    return info


CLOCK_FIELDS = ("clocks.sm", "clocks.mem", "clocks.max.sm", "clocks.max.mem", "power.draw", "power.limit",
                "temperature.gpu", "clocks_throttle_reasons.active")


def clocks() -> dict:
    """The device's current and maximum clocks, power and temperature (nvidia-smi), or {} where it is missing:
    recorded before and after a benchmark, so that a throttled or down-clocked run can be recognised."""
    return {field: value for field in CLOCK_FIELDS if (value := _nvidia_smi(field)) is not None}


def _nvidia_smi(field: str) -> str | None:
    try:
        out = subprocess.run(["nvidia-smi", f"--query-gpu={field}", "--format=csv,noheader"], capture_output=True,
                             text=True, timeout=20)
        return out.stdout.strip().splitlines()[0] if out.returncode == 0 and out.stdout.strip() else None
    except (OSError, subprocess.SubprocessError):
        return None


def caption(info: dict, shapes: str, dtype: str) -> str:
    """One line for a figure or table: device, driver, versions, shapes, dtype, date."""
    parts = [info["device"]]
    if info.get("driver"):
        parts.append(f"driver {info['driver']}")
    parts.append(f"PyTorch {info['torch']}")
    if info.get("cuda"):
        parts.append(f"CUDA {info['cuda']}, cuDNN {info['cudnn']}")
    if info.get("triton"):
        parts.append(f"Triton {info['triton']}")
    return "; ".join(parts) + f"; {shapes}; {dtype}; {info['date'][:10]}"
