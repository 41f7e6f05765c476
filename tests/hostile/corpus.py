"""The hostile corpus: files built to break readers (deep nesting, complex and mixed keys,
alias bombs, non-UTF-8, oversize files, zip bombs with honest and lying headers, members that
leave the archive), and the commands that read each kind of file. The tests run every command
on every file; `benchmarks/hostile_memory.py` measures each run's peak memory."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BIG_SPARSE_BYTES = 200 * 1024 * 1024
BOMB_BYTES = 300 * 1024 * 1024


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _bomb(declared: int | None) -> bytes:
    """One member inflating to BOMB_BYTES of zeros (deflated in 1 MiB steps, never all in
    memory); `declared` overrides the size its headers state (a lying header), None keeps the
    truth."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = bytes(1024 * 1024)
    chunks, crc = [], 0
    for _ in range(BOMB_BYTES // len(block)):
        chunks.append(compressor.compress(block))
        crc = zlib.crc32(block, crc)
    data = b"".join([*chunks, compressor.flush()])
    size = BOMB_BYTES if declared is None else declared
    name = b"evidence/evidence.json"
    local = struct.pack(
        "<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(data), size, len(name), 0
    )
    central = struct.pack(
        "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(data), size, len(name),
        0, 0, 0, 0, 0, 0,
    )  # fmt: skip
    directory = central + name
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(directory), len(local) + len(name) + len(data), 0
    )
    return local + name + data + directory + end


def _deep_block_yaml(levels: int) -> bytes:
    return "".join("  " * i + f"k{i}:\n" for i in range(levels)).encode() + b"  " * levels + b"x"


@dataclass(frozen=True)
class Hostile:
    """One hostile file: its name (the suffix tells readers its kind) and how to build it."""

    name: str
    build: Callable[[Path], None]


def _bytes(data: bytes | Callable[[], bytes]) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        path.write_bytes(data() if callable(data) else data)

    return build


def _sparse(path: Path) -> None:
    with path.open("wb") as handle:
        handle.truncate(BIG_SPARSE_BYTES)


CORPUS: tuple[Hostile, ...] = (
    Hostile("deep-flow.yaml", _bytes(b"[" * 5000 + b"]" * 5000)),
    Hostile("deep-block.yaml", _bytes(lambda: _deep_block_yaml(800))),
    Hostile("complex-key.yaml", _bytes(b"? [a, b]\n: 1\nconfig: {}\n")),
    Hostile("mixed-keys.yaml", _bytes(b"config:\n  1: a\n  b: c\n  null: d\n  2.5: e\n")),
    Hostile(
        "alias-bomb.yaml",
        _bytes(b"a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\nd: [*c, *c, *c, *c]\n"),
    ),
    Hostile("latin1.yaml", _bytes("model: caf\u00e9\n".encode("latin-1"))),
    Hostile("huge.yaml", _sparse),
    Hostile("deep.json", _bytes(b"[" * 100_000 + b"]" * 100_000)),
    Hostile("nan.json", _bytes(b'{"a": NaN, "b": Infinity}')),
    Hostile("long-integer.json", _bytes(b"9" * 100_000)),
    Hostile("huge.json", _sparse),
    Hostile("rows-not-objects.jsonl", _bytes(b'{"income": 1, "age": 2}\n[1, 2]\n3\n"x"\n')),
    Hostile("long-line.jsonl", _bytes(lambda: b'{"a": "' + b"x" * 2_000_000 + b'"}\n')),
    Hostile("deep.jsonl", _bytes(b"[" * 100_000 + b"]" * 100_000 + b"\n")),
    Hostile("huge.jsonl", _sparse),
    Hostile("unbalanced.csv", _bytes(b'income,age\n"1,2\n3,4\n')),
    Hostile("binary.csv", _bytes(bytes(range(256)) * 64)),
    Hostile("huge.csv", _sparse),
    Hostile("honest-bomb.zip", _bytes(lambda: _bomb(None))),
    Hostile("lying-bomb.zip", _bytes(lambda: _bomb(100))),
    Hostile("many-members.zip", _bytes(lambda: _zip({f"m{i}": b"" for i in range(5000)}))),
    Hostile("traversal.zip", _bytes(lambda: _zip({"../outside.json": b"{}"}))),
    Hostile(
        "malformed-bundle.zip",
        _bytes(
            lambda: _zip(
                {
                    "MANIFEST.json": b"[]",
                    "MANIFEST.sig": b"x",
                    "proof/chain.json": json.dumps({"links": [[1, 2]]}).encode(),
                    "evidence/evidence.json": b'{"entries": [1]}',
                    "proof/public-key.pem": b"not a key",
                }
            )
        ),
    ),
    Hostile("not-a-zip.zip", _bytes(b"PK\x03\x04" + bytes(200))),
)


def build_corpus(directory: Path) -> dict[str, Path]:
    """Every hostile file, written into `directory` (sparse files take no disk space)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for item in CORPUS:
        path = directory / item.name
        if not path.exists():
            item.build(path)
        paths[item.name] = path
    return paths


@dataclass(frozen=True)
class Setup:
    """What a command needs besides the hostile file: a work directory (its cwd, where nothing
    may appear on refusal), a served model and a public key, built once."""

    workdir: Path
    model: Path
    public_key: Path
    request_log: Path
    reference: Path


def _linked(path: Path, directory: Path, name: str) -> Path:
    """`path` under the name a command looks for, in a directory of its own."""
    directory.mkdir(parents=True, exist_ok=True)
    link = directory / name
    link.unlink(missing_ok=True)
    link.symlink_to(path.resolve())
    return directory


def commands(path: Path, setup: Setup, scratch: Path) -> dict[str, list[str]]:
    """Each command that reads a file of `path`'s kind, as `mlops` arguments."""
    w = setup.workdir
    suffix = path.suffix
    found: dict[str, list[str]] = {}
    if suffix == ".yaml":
        stacks = _linked(path, scratch / "stacks", "Pulumi.hostile.yaml")
        gates = _linked(path, scratch / "root" / "policies" / "gates", "hostile.yaml")
        found["policy config (stack file)"] = [
            "policy", "config", "--stack", "hostile", "--pack", "baseline",
            "--stacks-dir", str(stacks),
        ]  # fmt: skip
        found["maturity assess (answers)"] = [
            "maturity",
            "assess",
            str(path),
            "--html",
            str(w / "r.html"),
        ]
        found["serve --release (descriptor)"] = [
            "serve", "--model-uri", str(setup.model), "--release", str(path), "--port", "1",
        ]  # fmt: skip
        found["gates validate (gate file)"] = ["gates", "validate", "--root", str(gates.parents[1])]
    if suffix == ".json":
        found["audit certificate verify"] = [
            "audit", "certificate", "verify", str(path), "--public-key", str(setup.public_key),
        ]  # fmt: skip
    if suffix in (".jsonl", ".csv"):
        found["score --input"] = [
            "score", "--model-uri", str(setup.model), "--input", str(path),
            "--output", str(w / "scored.csv"), "--log-sink", str(w / "requests.jsonl"),
        ]  # fmt: skip
        found["drift --reference"] = [
            "drift", "--reference", str(path), "--log", str(setup.request_log), "--model", "credit",
            "--metrics-file", str(w / "drift.prom"),
        ]  # fmt: skip
    if suffix == ".jsonl":
        found["drift --log"] = [
            "drift", "--reference", str(setup.reference), "--log", str(path), "--model", "credit",
            "--metrics-file", str(w / "drift.prom"),
        ]  # fmt: skip
    if suffix == ".zip":
        found["audit bundle-verify"] = ["audit", "bundle-verify", str(path)]
    return found


def make_setup(directory: Path) -> Setup:
    """A model, a key pair, a request log and reference rows for the commands, in `directory`;
    the commands' work directory is `directory/work` (empty)."""
    import sys

    from mlops.governance import keys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.serving.conftest import save_model, training_frame

    directory.mkdir(parents=True, exist_ok=True)
    model = directory / "model"
    if not model.exists():
        save_model(model)
    private = directory / "signing.pem"
    if not private.exists():
        keys.write_private_key(private)
    public = directory / "public.pem"
    public.write_text(keys.public_pem(keys.load_private_key(private).public_key()))
    frame = training_frame(rows=60)
    reference = directory / "reference.csv"
    frame.to_csv(reference, index=False)
    frame.to_json(reference.with_suffix(".jsonl"), orient="records", lines=True)
    request_log = directory / "requests.jsonl"
    request_log.write_text(
        "".join(
            json.dumps({"id": str(i), "type": "inference", "model": "credit", "version": "1",
                        "input": [row], "output": [1]}) + "\n"
            for i, row in enumerate(frame.to_dict(orient="records"))
        )
    )  # fmt: skip
    workdir = directory / "work"
    workdir.mkdir(exist_ok=True)
    return Setup(workdir, model, public, request_log, reference)
