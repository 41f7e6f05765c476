"""A policy pack running as Pulumi runs it, and the gRPC client that talks to it.

Pulumi starts a Python pack as `<pack>/venv/bin/python -u -m pulumi.policy <engine> <pack dir>`;
the pack's `PolicyPack(...)` starts an Analyzer gRPC server and prints its port. This module does
the same and then calls GetAnalyzerInfo, Configure, Analyze and AnalyzeStack, as the engine does.
"""

import select
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import IO, Any

import grpc
from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from mlops.errors import BadInputError
from mlops.policy.config import PolicySetting, PolicySpec
from mlops.policy.packs import Pack

START_TIMEOUT_S = 60.0
CALL_TIMEOUT_S = 60.0
MAX_MESSAGE = 400 * 1024 * 1024  # as the pulumi-policy server allows
LEVELS = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.DISABLED: "disabled",
    analyzer_pb2.REMEDIATE: "remediate",
}
LEVEL_VALUES = {name: value for value, name in LEVELS.items()}
STACK_POLICY = analyzer_pb2.PolicyType.Value("POLICY_TYPE_STACK")


class PackAnalyzer:
    """One running pack. Start it early (the interpreter takes a second to import pulumi-policy),
    connect when needed, and close it: the process is stopped by its pid."""

    def __init__(self, pack: Pack) -> None:
        if not pack.python.is_file():
            raise BadInputError(
                f"{pack.python}: missing; run ./scripts/setup (it creates each policy pack's "
                "virtual environment from its requirements.txt)"
            )
        self.pack = pack
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the pack)
        self._process = subprocess.Popen(
            [
                str(pack.python.absolute()),
                "-u",
                "-m",
                "pulumi.policy",
                "127.0.0.1:0",
                str(pack.directory.absolute()),
            ],
            cwd=pack.directory,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        self._channel: grpc.Channel | None = None
        self._stub: Any = None

    def _connect(self) -> Any:
        if self._stub is not None:
            return self._stub
        port = self._read_port()
        self._channel = grpc.insecure_channel(
            f"127.0.0.1:{port}",
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE),
                ("grpc.max_send_message_length", MAX_MESSAGE),
            ],
        )
        grpc.channel_ready_future(self._channel).result(timeout=START_TIMEOUT_S)
        self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        return self._stub

    def _read_port(self) -> int:
        assert self._process.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        line = b""
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([self._process.stdout], [], [], max(remaining, 0))
            chunk = self._process.stdout.read1(64) if ready else b""  # type: ignore[attr-defined]
            if not chunk:
                raise BadInputError(
                    f"{self.pack.directory}: the policy pack did not start{self._tail()}"
                )
            line += chunk
        return int(line.strip())

    def _tail(self) -> str:
        self._stderr.seek(0)
        text = self._stderr.read().decode(errors="replace").strip()
        if "ModuleNotFoundError" in text:  # e.g. a requirement added since the venv was made
            text += f"\n(the pack's venv lacks a requirement of {self.pack.directory}/requirements.txt: run ./scripts/setup)"
        return f":\n{text[-2000:]}" if text else ""

    def policies(self) -> list[PolicySpec]:
        info = self._connect().GetAnalyzerInfo(empty_pb2.Empty(), timeout=CALL_TIMEOUT_S)
        return [
            PolicySpec(
                name=policy.name,
                description=policy.description,
                enforcement=LEVELS[policy.enforcementLevel],
                kind="stack" if policy.policy_type == STACK_POLICY else "resource",
                schema=json_format.MessageToDict(policy.configSchema.properties),
                required=list(policy.configSchema.required),
                fix=policy.remediation_steps,
            )
            for policy in info.policies
        ]

    def configure(self, settings: dict[str, PolicySetting]) -> None:
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, setting in settings.items():
            entry = request.policyConfig[name]
            entry.enforcementLevel = LEVEL_VALUES[setting.enforcement]
            entry.properties.update(setting.properties)
        self._connect().Configure(request, timeout=CALL_TIMEOUT_S)

    def submit(
        self,
        requests: Sequence[analyzer_pb2.AnalyzeRequest],
        stack_request: analyzer_pb2.AnalyzeStackRequest,
    ) -> Callable[[], list[tuple[str, Any]]]:
        """Send the resources one by one, then the stack as a whole, all at once (the pack works
        through them while other packs work on theirs), and return the function that waits for
        the (urn, diagnostic) pairs. A resource policy's diagnostic belongs to the analyzed
        resource unless it names another, as the engine attributes it."""
        stub = self._connect()
        futures = [
            (request.urn, stub.Analyze.future(request, timeout=CALL_TIMEOUT_S))
            for request in requests
        ]
        futures.append(("", stub.AnalyzeStack.future(stack_request, timeout=CALL_TIMEOUT_S)))
        return lambda: [
            (diagnostic.urn or urn, diagnostic)
            for urn, future in futures
            for diagnostic in future.result().diagnostics
        ]

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._stderr.close()

    def __enter__(self) -> "PackAnalyzer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
