"""Command rules for system control and infrastructure / cloud tools (internal).

Rule ids: ``command.system_control`` (deny: power, disks, kernel modules, kill -1),
``command.system`` / ``command.process_control`` (approval), ``command.infra_destroy`` (deny:
terraform destroy, kubectl delete namespace/--all, aws s3 rb / rm --recursive, cloud deletes),
``command.infra_change`` / ``command.infra`` (approval) and ``command.credential_path`` for
commands that print cloud credentials.
"""

from __future__ import annotations

import re

from shared.policy._cmd_base import IO, Ctx, parse_opts
from shared.policy._cmd_rules import Handler
from shared.policy._shell import Word

F = frozenset
DISK = F({"mkfs", "mke2fs", "mkswap", "wipefs", "fdisk", "sfdisk", "cfdisk", "parted", "gdisk"})
DISK |= F({"sgdisk", "mkntfs", "mkdosfs", "blkdiscard", "hdparm", "cryptsetup", "lvremove"})
DISK |= F({"vgremove", "pvremove", "zpool", "insmod", "rmmod", "modprobe", "kexec", "killall5"})
POWER = F({"shutdown", "reboot", "halt", "poweroff", "telinit"})
SYSTEM = F({"crontab", "at", "batch", "systemctl", "service", "launchctl", "mount", "umount"})
SYSTEM |= F({"iptables", "ip6tables", "nft", "ufw", "useradd", "userdel", "usermod", "passwd"})
SYSTEM |= F({"groupadd", "chpasswd", "visudo", "chattr", "setcap", "sysctl", "swapoff", "init"})
SYSTEM |= F({"history", "alias", "docker", "podman", "nerdctl", "kind", "minikube"})


def h_kill(ctx: Ctx, name: str, args: list[Word], io: IO) -> None:
    targets = args[1:] if args and args[0].text.startswith("-") else args
    if any(w.text == "-1" for w in targets):
        ctx.deny("command.system_control", "kill -1 signals every process")
    else:
        ctx.na("command.process_control", f"{name} signals processes")


def h_system(ctx: Ctx, name: str, args: list[Word], io: IO) -> None:
    texts = [w.text for w in args]
    if name in POWER or name.startswith("mkfs") or name in DISK:
        ctx.deny("command.system_control", f"{name} formats disks / controls the machine")
    elif name == "systemctl" and F(texts) & F({"poweroff", "reboot", "halt", "kexec", "rescue"}):
        ctx.deny("command.system_control", "systemctl power state change")
    elif name == "init" and texts[:1] in (["0"], ["6"]):
        ctx.deny("command.system_control", "init runlevel change")
    elif name in ("docker", "podman", "nerdctl") and any(
        t == "--privileged" or t.startswith(("/:", "/var/run/docker.sock")) for t in texts
    ):
        ctx.deny("command.privilege", f"{name} with host-level access")
    else:
        ctx.na("command.system", f"{name} changes system or container state")


_INFRA_DELETE = re.compile(r"^(?:delete|destroy|terminate|remove|deregister|purge)(?:-|$)")


def h_infra(ctx: Ctx, name: str, args: list[Word], io: IO) -> None:
    o = parse_opts(args, F({"-n", "--namespace", "--context", "-f", "--filename", "-l"}))
    pos = [w.text.lower() for w in o.pos]
    verb = pos[0] if pos else ""
    destroy = change = False
    if name in ("terraform", "tofu", "terragrunt", "pulumi", "cdk", "cdktf"):
        flagged = any(w.text in ("-destroy", "--destroy") for w in args)
        destroy = verb == "destroy" or (verb in ("apply", "up") and flagged)
        change = verb in ("apply", "up", "import", "taint", "state", "force-unlock", "deploy")
    elif name in ("kubectl", "oc", "k"):
        res = {p.split("/")[0] for p in (pos[1].split(",") if len(pos) > 1 else [])}
        wide = o.has("--all", "--all-namespaces", "-A")
        big = F({"ns", "namespace", "namespaces", "all", "pv", "node", "nodes", "crd", "crds"})
        destroy = verb == "delete" and (wide or bool(res & big))
        if verb == "get" and res & F({"secret", "secrets"}):
            ctx.deny("command.credential_path", "kubectl get secret reveals credentials")
        change = verb not in (
            "get",
            "describe",
            "logs",
            "top",
            "explain",
            "version",
            "api-resources",
        )
    elif name == "helm":
        change = verb not in ("list", "ls", "status", "history", "template", "lint", "show")
    elif name in ("aws", "gcloud", "gsutil", "az", "doctl", "heroku", "flyctl", "fly"):
        destroy = any(_INFRA_DELETE.match(p) for p in pos) or (
            name in ("aws", "gsutil")
            and ("rb" in pos or ("rm" in pos and o.has("--recursive", "-r")))
        )
        if any(
            re.search(
                r"get-secret|print-access-token|print-identity-token|get-access-token|"
                r"export-credentials|get-session-token|create-access-key",
                p,
            )
            for p in pos
        ):
            ctx.deny("command.credential_path", f"{name} prints cloud credentials")
        change = True
    if destroy:
        ctx.deny("command.infra_destroy", f"{name} {verb}: destroys infrastructure")
    elif change:
        ctx.na("command.infra_change", f"{name} {verb}: changes infrastructure")
    else:
        ctx.na("command.infra", f"{name} talks to infrastructure")


INFRA = F({"terraform", "tofu", "terragrunt", "pulumi", "cdk", "cdktf", "kubectl", "oc", "helm"})
INFRA |= F({"aws", "gcloud", "gsutil", "az", "doctl", "heroku", "flyctl", "fly"})
HANDLERS: dict[str, Handler] = {}
for _names, _h in (
    (F({"kill", "pkill", "killall"}), h_kill),
    (POWER | DISK | SYSTEM, h_system),
    (INFRA, h_infra),
):
    for _n in _names:
        HANDLERS[_n] = _h
