"""Fake ``arc5gl`` and ``download_chandra_obsid`` serving the fake archive tree.

The fake archive is ``{archive}/{obsid}/{file_type}/`` (see :func:`data.write_archive`).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from tests.integration.fake_ciao.spec import ARC5GL_SPECS, CDA_SUBDIRS, read_spec

DCO_VERSION = "05 March 2021"

DCO_TYPES = [
    "oif", "vv", "bpix", "fov", "evt2", "src2", "cntr_img", "full_img", "src_img", "asol",
    "eph0", "eph1", "aoff", "evt1a", "evt1", "flt", "msk", "mtl", "soff", "stat", "arf", "rmf",
    "bias", "pbk", "osol", "aqual", "sum", "pha2", "dtf", "plt", "adat", "vvref", "readme",
]  # fmt: skip
"""download_chandra_obsid's own type list (``known_file_types`` of ciao_contrib/cda/data.py in
cxcsds/ciao-contrib), most specific first; there is no obspar nor acal type."""


def _log(config: dict[str, Any], record: dict[str, Any]) -> None:
    if config.get("log"):
        with open(config["log"], "a") as log:
            log.write(json.dumps(record) + "\n")


def arc5gl(args: list[str], config: dict[str, Any]) -> int:
    """arc5gl as ska_arc5gl (sot/ska_arc5gl) drives it.

    It must be started as ``arc5gl --stdin`` (optionally ``--user=NAME``, the content of
    ``~/.arc5gl_user``); commands come one per line on stdin: ``obsid=N``, ``version=N``,
    ``get SPEC`` (files written to the current directory) and ``browse obspar``; the session
    ends with ``exit``. A spec the archive does not hold retrieves nothing (exit 0).
    """
    options = [a for a in args if a != "--stdin"]
    if "--stdin" not in args or any(not a.startswith("--user=") for a in options):
        print(f"arc5gl: unknown arguments {args}; expected --stdin [--user=NAME]")
        return 2
    archive = Path(config["archive"])
    commands = sys.stdin.read().splitlines()
    user = next((a.split("=", 1)[1] for a in options), None)
    _log(config, {"tool": "arc5gl-stdin", "args": commands, "user": user})
    obsid = None
    for line in commands:
        line = line.strip()
        print(f"ARC5GL> {line}")
        if line == "exit":
            return 0
        if line.startswith("obsid="):
            obsid = int(line.split("=", 1)[1])
        elif line.startswith("browse obspar"):
            for path in sorted(archive.glob("*/obspar/*")):
                print(path.name)
        elif line.startswith("get "):
            wanted = line[4:].strip()
            spec = read_spec(archive, obsid) if obsid is not None else None
            found = False
            for file_type, pattern in ARC5GL_SPECS.items():
                if spec is not None and pattern.replace("{instr}", spec.instrument.lower()) == (
                    wanted
                ):
                    for path in sorted((archive / str(obsid) / file_type).glob("*")):
                        shutil.copy(path, Path.cwd() / path.name)
                        print(path.name)
                        found = True
            if not found:
                print(f"No files found for obsid={obsid} {wanted}")
    print("arc5gl: end of input without 'exit'")
    return 0


def _file_type(name: str) -> str | None:
    """The download_chandra_obsid type of a file name (``_{type}`` in it), None if none."""
    if name == "oif.fits":
        return "oif"
    if name.lower() == "00readme":
        return "readme"
    return next((t for t in DCO_TYPES if f"_{t}" in name), None)


def _dco_error(message: str) -> int:
    print(f"# download_chandra_obsid ({DCO_VERSION}): ERROR {message}")
    return 1


def download_chandra_obsid(args: list[str], config: dict[str, Any]) -> int:
    """download_chandra_obsid of cxcsds/ciao-contrib (bin/download_chandra_obsid and
    ciao_contrib/cda/data.py).

    ``-t`` lists the valid types (a heading ending in ``:`` and the sorted names) and exits;
    ``OBSID [TYPE,TYPE]`` downloads the files of those types; ``--exclude a,b`` leaves types
    out; a type not in its list is "not a valid file type" (exit 1). Files are written as
    ``OBSID/primary/...``, ``OBSID/secondary/...`` and ``OBSID/<file>`` in the current
    directory, as the archive lays them out. An obsid the archive does not have is skipped
    with a message (exit 0).
    """
    positional: list[str] = []
    exclude: list[str] | None = None
    list_types = False
    items = iter(args)
    for arg in items:
        if arg in ("-t", "--filetypes"):
            list_types = True
        elif arg in ("-q", "--quiet"):
            pass
        elif arg == "--exclude":
            exclude = [t.lower() for t in next(items, "").split(",") if t]
        elif arg.startswith("-"):
            print(f"download_chandra_obsid: error: unrecognized arguments: {arg}")
            return 2
        else:
            positional.append(arg)
    if list_types:
        print("The list of valid file types is:\n")
        print("   " + " ".join(sorted(DCO_TYPES)))
        print("")
        return 0
    if not positional or len(positional) > 2:
        print("usage: download_chandra_obsid [-h] [--exclude EXCLUDE] [obsids] [filetypes]")
        return 2
    wanted = [t.lower() for t in positional[1].split(",")] if len(positional) == 2 else None
    for t in [*(wanted or []), *(exclude or [])]:
        if t not in DCO_TYPES:
            sorted_types = " ".join(sorted(DCO_TYPES))
            return _dco_error(f"{t} is not a valid file type - must be one of:\n{sorted_types}")
    if wanted is not None and exclude is not None:
        wanted, exclude = sorted(set(wanted) - set(exclude)), None
    archive = Path(config["archive"])
    for obsid in positional[0].split(","):
        base = archive / obsid
        if not (base / "spec.json").exists():
            print(f"Skipping ObsId {obsid} as it was not found on the archive site.")
            continue
        for type_dir in sorted(p for p in base.iterdir() if p.is_dir()):
            for path in sorted(type_dir.glob("*")):
                ftype = _file_type(path.name)
                if wanted is not None and ftype not in wanted:
                    continue
                if exclude is not None and ftype in exclude:
                    continue
                target = Path.cwd() / obsid / CDA_SUBDIRS.get(type_dir.name, "secondary")
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, target / path.name)
                print(f"  {ftype or 'other':8s} {path.name}")
        oif_wanted = "oif" in wanted if wanted is not None else "oif" not in (exclude or [])
        if oif_wanted:  # the observation index file sits at the top of OBSID/
            (Path.cwd() / obsid).mkdir(exist_ok=True)
            (Path.cwd() / obsid / "oif.fits").write_text("SIMPLE  =                    T\n")
    return 0
