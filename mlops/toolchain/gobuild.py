"""Build a pinned Go program with the ordinary `go` client through a generated wrapper module.

The wrapper requires the program's module at its pinned version and, for a module that builds
its staging modules from local paths (Kubernetes), replaces each of them with the published
module at the matching version. The module proxy, the module cache and the build cache are Go's
own (`go env GOPROXY GOMODCACHE GOCACHE`), so a second program of the same module compiles only
what differs.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from mlops.toolchain.catalogue import GoProgram
from mlops.toolchain.run import require, run

GO_INSTALL = "install Go 1.25 or newer (https://go.dev/dl/ or the distribution's golang package)"
WRAPPER_GO = "1.25"


def go_environment() -> dict[str, str]:
    """Module mode, no workspace file of whatever directory surrounds the build."""
    return {**os.environ, "GOFLAGS": "-mod=mod", "GOWORK": "off"}


def staging_replacements(go: str, program: GoProgram, work: Path) -> list[str]:
    """`old=new@version` for every replace directive of `program.staging_of` that points at a
    local directory, read from its go.mod by `go mod download` and `go mod edit -json`."""
    if program.staging_of is None or program.staging_version is None:
        return []
    env = go_environment()
    what = f"reading {program.staging_of}@{program.version}'s go.mod"
    info = json.loads(
        run(
            [go, "mod", "download", "-json", f"{program.staging_of}@{program.version}"],
            work,
            env,
            what,
        )
    )
    edits = json.loads(run([go, "mod", "edit", "-json", info["GoMod"]], work, env, what))
    return [
        f"{replace['Old']['Path']}={replace['Old']['Path']}@{program.staging_version}"
        for replace in edits.get("Replace") or []
        if replace["New"]["Path"].startswith(("./", "../"))
    ]


def build(program: GoProgram, target: Path) -> None:
    """Build `program` into `target/<name>` and copy its data files beside it."""
    what = f"building {program.name} {program.version}"
    go = require("go", what, GO_INSTALL)
    env = go_environment()
    with tempfile.TemporaryDirectory(prefix=f"mlops-build-{program.name}-") as tmp:
        work = Path(tmp)
        module = f"mlops.local/toolchain/{program.name}"
        (work / "go.mod").write_text(f"module {module}\n\ngo {WRAPPER_GO}\n")
        for replacement in (*staging_replacements(go, program, work), *program.replaces):
            run([go, "mod", "edit", f"-replace={replacement}"], work, env, what)
        run([go, "get", f"{program.package}@{program.version}"], work, env, what)
        ldflags = " ".join(("-s", "-w", *program.ldflags))
        output = str(target / program.name)
        run(
            ["nice", go, "build", "-ldflags", ldflags, "-o", output, program.package],
            work,
            env,
            what,
        )
        if program.data:
            source = Path(
                run([go, "list", "-m", "-f", "{{.Dir}}", program.module], work, env, what).strip()
            )
            copy_data(program, source, target)


def copy_data(program: GoProgram, source: Path, target: Path) -> None:
    """Each data file: the matching files of the module, as one YAML stream."""
    for name, patterns in program.data.items():
        files = [path for pattern in patterns for path in sorted(source.glob(pattern))]
        if not files:
            raise FileNotFoundError(f"{program.module}@{program.version} has no {patterns}")
        documents = [path.read_text().strip().removeprefix("---").strip() for path in files]
        (target / name).write_text("\n---\n".join(documents) + "\n")
