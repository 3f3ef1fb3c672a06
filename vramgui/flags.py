"""Command-line flags that the window (``vramgui``) and ``vramgui-cli`` share, defined once."""

from __future__ import annotations


def add_offload_flags(group, ngl: bool) -> None:
    """System RAM and the offload flags on an argparse parser or group: ``--ram``, ``--ram-bandwidth``,
    ``--cpu-offload-gb`` (vLLM's and SGLang's), ``--cpu-offload-experts`` (vLLM's), ``--experts-on-cpu``,
    ``--n-cpu-moe`` and ``--no-mmap``, and with ``ngl`` (the CLI) ``--offload``, the layers on the card(s) as ``-ngl``
    counts them."""
    group.add_argument("--ram", type=float, default=None, metavar="GB",
                       help="system RAM in GB: plan a layer split between the card(s) and RAM (llama.cpp -ngl)")
    add_ram_bandwidth_flag(group)
    if ngl:
        group.add_argument("--offload", default=None, metavar="auto|none|N",
                           help="layers on the GPU(s): auto (as many as fit; the default with --ram), none (all or "
                                "nothing), or a number, as llama.cpp's -ngl N counts them (current builds: the output "
                                "layer first, then the last N - 1 layers)")
    group.add_argument("--cpu-offload-gb", type=float, default=None, metavar="GIB",
                       help="vLLM and SGLang: the GiB of weights each card keeps in RAM (their --cpu-offload-gb; "
                            "default with --ram: the least that lets the rest fit)")
    group.add_argument("--cpu-offload-experts", action="store_true",
                       help="vLLM, an MoE model: keep only the routed experts' weights in RAM (its "
                            "--cpu-offload-params with the experts' names, e.g. w13_weight w2_weight), which a step "
                            "reads only as its tokens use them")
    group.add_argument("--experts-on-cpu", action="store_true",
                       help="keep every layer's MoE expert tensors in system RAM (llama.cpp --cpu-moe; without it, "
                            "current llama.cpp's plan keeps as few as needed there, as llama-server's --fit does)")
    group.add_argument("--n-cpu-moe", type=int, default=None, metavar="N",
                       help="keep the MoE expert tensors of the first N layers in system RAM, every layer on the "
                            "GPU(s)" + (" unless --offload says otherwise" if ngl else "")
                            + " (llama.cpp -ngl 99 --n-cpu-moe N)")
    group.add_argument("--no-mmap", action="store_true",
                       help="the weights in system RAM are in pinned host memory (llama.cpp --no-mmap, or "
                            "GGML_CUDA_REGISTER_HOST=1): a prompt's passes copy them to the card faster")


def add_ram_bandwidth_flag(group) -> None:
    """``--ram-bandwidth GB/S``: the system RAM's peak, which the CPU reads the part in RAM at."""
    group.add_argument("--ram-bandwidth", type=float, default=None, metavar="GB/S",
                       help="system RAM bandwidth (default 76.8 GB/s, dual-channel DDR5-4800; unified memory: the "
                            "chip's)")
