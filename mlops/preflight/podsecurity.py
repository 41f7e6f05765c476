"""The Pod Security Standards (baseline and restricted, as Kubernetes 1.35 enforces them) applied
to the pod templates of rendered objects, the way admission judges the pods they create."""

from collections.abc import Iterator, Mapping
from typing import Any

Manifest = Mapping[str, Any]

POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "PodTemplate": ("template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
BASELINE_CAPABILITIES = {
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
    "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}  # fmt: skip
SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}  # fmt: skip
SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
RESTRICTED_VOLUMES = {
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim",
    "projected", "secret",
}  # fmt: skip
LEVELS = ("privileged", "baseline", "restricted")


def pod_spec(manifest: Manifest) -> Mapping[str, Any] | None:
    """The pod template of a workload that creates pods (none for one scaled to zero)."""
    if (manifest.get("spec") or {}).get("replicas") == 0:
        return None
    path = POD_SPEC_PATHS.get(str(manifest.get("kind")))
    node: Any = manifest
    for key in path or ():
        node = node.get(key) if isinstance(node, Mapping) else None
    return node if path and isinstance(node, Mapping) else None


def violations(manifest: Manifest, level: str) -> list[str]:
    """What admission at `level` refuses in the object's pods (empty when they are admitted)."""
    spec = pod_spec(manifest)
    if spec is None or level == "privileged":
        return []
    found = list(_baseline(spec, _annotations(manifest)))
    if level == "restricted":
        found += list(_restricted(spec))
    return found


def _annotations(manifest: Manifest) -> Mapping[str, str]:
    kind = manifest.get("kind")
    if kind == "Pod":
        return (manifest.get("metadata") or {}).get("annotations") or {}
    template: Any = manifest.get("spec") or {}
    if kind == "CronJob":
        template = (template.get("jobTemplate") or {}).get("spec") or {}
    return ((template.get("template") or {}).get("metadata") or {}).get("annotations") or {}


def iter_containers(spec: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for key in CONTAINER_LISTS:
        yield from spec.get(key) or []


def _baseline(spec: Mapping[str, Any], annotations: Mapping[str, str]) -> Iterator[str]:
    pod = spec.get("securityContext") or {}
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field):
            yield f"{field}=true"
    if (pod.get("windowsOptions") or {}).get("hostProcess"):
        yield "hostProcess=true"
    for volume in spec.get("volumes") or []:
        if "hostPath" in volume:
            yield f"hostPath volume {volume.get('name')}"
    yield from _seccomp_not_unconfined(pod, "pod")
    yield from _selinux(pod, "pod")
    yield from _apparmor(pod, "pod")
    for sysctl in pod.get("sysctls") or []:
        if sysctl.get("name") not in SAFE_SYSCTLS:
            yield f"sysctl {sysctl.get('name')}"
    for key, value in annotations.items():
        if key.startswith("container.apparmor.security.beta.kubernetes.io/") and not (
            value == "runtime/default" or value.startswith("localhost/")
        ):
            yield f"AppArmor annotation {key}={value}"
    for container in iter_containers(spec):
        yield from _baseline_container(container)


def _baseline_container(container: Mapping[str, Any]) -> Iterator[str]:
    name = f"container {container.get('name')}"
    context = container.get("securityContext") or {}
    if context.get("privileged"):
        yield f"{name}: privileged"
    added = set((context.get("capabilities") or {}).get("add") or []) - BASELINE_CAPABILITIES
    if added:
        yield f"{name}: adds capabilities {sorted(added)}"
    if any(port.get("hostPort") for port in container.get("ports") or []):
        yield f"{name}: hostPort"
    if context.get("procMount", "Default") != "Default":
        yield f"{name}: procMount {context['procMount']}"
    if (context.get("windowsOptions") or {}).get("hostProcess"):
        yield f"{name}: hostProcess"
    yield from _seccomp_not_unconfined(context, name)
    yield from _selinux(context, name)
    yield from _apparmor(context, name)


def _seccomp_not_unconfined(context: Mapping[str, Any], where: str) -> Iterator[str]:
    if (context.get("seccompProfile") or {}).get("type") == "Unconfined":
        yield f"{where}: seccompProfile Unconfined"


def _selinux(context: Mapping[str, Any], where: str) -> Iterator[str]:
    options = context.get("seLinuxOptions") or {}
    if options.get("type", "") not in SELINUX_TYPES or options.get("user") or options.get("role"):
        yield f"{where}: seLinuxOptions {dict(options)}"


def _apparmor(context: Mapping[str, Any], where: str) -> Iterator[str]:
    if (context.get("appArmorProfile") or {}).get("type") == "Unconfined":
        yield f"{where}: appArmorProfile Unconfined"


def _restricted(spec: Mapping[str, Any]) -> Iterator[str]:
    pod = spec.get("securityContext") or {}
    for volume in spec.get("volumes") or []:
        kinds = set(volume) - {"name"}
        if kinds - RESTRICTED_VOLUMES:
            yield f"volume {volume.get('name')} of type {sorted(kinds)[0]}"
    pod_seccomp = (pod.get("seccompProfile") or {}).get("type")
    if pod.get("runAsUser") == 0:
        yield "pod: runAsUser=0"
    for container in iter_containers(spec):
        name = f"container {container.get('name')}"
        context = container.get("securityContext") or {}
        if context.get("allowPrivilegeEscalation") is not False:
            yield f"{name}: allowPrivilegeEscalation is not false"
        non_root = context.get("runAsNonRoot", pod.get("runAsNonRoot"))
        if non_root is not True:
            yield f"{name}: runAsNonRoot is not true"
        if context.get("runAsUser") == 0:
            yield f"{name}: runAsUser=0"
        seccomp = (context.get("seccompProfile") or {}).get("type", pod_seccomp)
        if seccomp not in ("RuntimeDefault", "Localhost"):
            yield f"{name}: seccompProfile is not RuntimeDefault or Localhost"
        capabilities = context.get("capabilities") or {}
        if "ALL" not in (capabilities.get("drop") or []):
            yield f"{name}: capabilities do not drop ALL"
        added = set(capabilities.get("add") or []) - {"NET_BIND_SERVICE"}
        if added:
            yield f"{name}: adds capabilities {sorted(added)}"
