"""Path facts shared by the command and path policies (internal module, pure string logic).

``classify`` turns a path as written by an agent (relative, absolute, ``~``, ``$HOME``) into a
normalised form and a coarse class; the policies map classes to verdicts.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

CREDENTIAL_PATH = re.compile(
    r"""(?x)
    (?:^|/)\.ssh(?:/|$)
  | (?:^|/)id_(?:rsa|dsa|ecdsa|ed25519)(?:_[\w-]+)?$
  | (?:^|/)\.(?:aws|azure|gnupg|password-store|vault)(?:/|$)
  | (?:^|/)\.config/(?:gcloud|gh|hub|op)(?:/|$)
  | (?:^|/)\.kube/config$
  | (?:^|/)\.docker/config\.json$
  | (?:^|/)\.(?:netrc|_netrc|pgpass|git-credentials|pypirc|my\.cnf|vault-token|envrc)$
  | ^~/\.(?:npmrc|yarnrc|cargo/credentials(?:\.toml)?|gem/credentials)$
  | ^/proc/[^/]+/(?:environ|task/[^/]+/environ)$
  | ^/etc/(?:shadow|gshadow|sudoers|master\.passwd)(?:$|[-.~/])
  | ^/(?:var/)?run/secrets(?:/|$)
  | (?:^|/)\.env(?:\.(?!(?:example|sample|template|dist|defaults|schema|tmpl)$)[\w.-]+)?$
  | (?:^|/)[\w.-]*(?:credentials|service[-_]account)[\w.-]*\.json$
  | (?:^|/)[\w.-]+\.(?:key|p12|pfx|keystore|jks)$ | (?:^|/)[\w.-]*(?:priv|key)[\w.-]*\.pem$
    """
)
_CREDENTIAL_SAMPLES = (
    "~/.ssh/id_rsa",
    "~/.ssh/id_ed25519",
    "~/.aws/credentials",
    "~/.netrc",
    "~/.git-credentials",
    "~/.docker/config.json",
    "~/.kube/config",
    "/proc/self/environ",
    "/proc/1/environ",
    "/etc/shadow",
    "/root/.ssh/id_rsa",
    ".env",
)
DEVICE = re.compile(
    r"^/dev/(?:[shv]d[a-z]|xvd[a-z]|nvme\d|mmcblk\d|md\d|dm-\d|loop\d|sr\d|disk|mapper/"
    r"|mem$|kmem$|port$|root$|block/|nbd\d|zram\d)"
)
HARMLESS_DEV = re.compile(r"^/dev/(?:null|zero|stdout|stderr|stdin|tty|u?random|fd/\d+|shm(?:/|$))")
NET_DEV = re.compile(r"^/dev/(?:tcp|udp)/")
SYSTEM_PREFIXES = (
    "/etc",
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/boot",
    "/sys",
    "/proc",
    "/root",
    "/var",
    "/opt",
    "/srv",
    "/snap",
    "/run",
    "/home",
    "/dev",
    "/mnt",
    "/media",
)
PERSISTENCE = re.compile(
    r"^~/\.(?:bashrc|bash_profile|bash_login|bash_logout|profile|zshrc|zprofile|zshenv|"
    r"gitconfig|config/git/|config/autostart|config/systemd|local/bin/|inputrc|vimrc|ssh/)"
)
CRITICAL = frozenset(
    {"/", "~"}
    | set(SYSTEM_PREFIXES)
    | {"/usr/bin", "/usr/lib", "/usr/local", "/usr/sbin", "/usr/share", "/var/lib", "/var/log"}
    | {"/boot/efi", "/etc/ssl", "/var/www"}
)
CI_CONFIG = re.compile(
    r"""(?x)^(?:
      \.github/(?:workflows|actions)(?:/|$) | \.gitlab-ci\.ya?ml$ | \.gitlab/ci(?:/|$)
    | \.circleci(?:/|$) | Jenkinsfile$ | (?:[\w.-]+/)*Jenkinsfile$ | azure-pipelines\.ya?ml$
    | \.azure-pipelines(?:/|$) | \.travis\.ya?ml$ | bitbucket-pipelines\.ya?ml$
    | \.drone\.ya?ml$ | \.buildkite(?:/|$) | \.woodpecker(?:\.ya?ml$|/)
    | \.github/dependabot\.ya?ml$
    )""",
    re.IGNORECASE,
)


def glob_match(pattern: str, path: str) -> bool:
    """Shell-style match where * and ? never cross a '/' (unlike fnmatch)."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[" and "]" in pattern[i + 2 :]:
            j = pattern.index("]", i + 2)
            body = pattern[i + 1 : j].replace("\\", "\\\\").replace("[", "\\[")
            out.append("[" + ("^" + body[1:] if body[:1] in "!^" else body) + "]")
            i = j
        else:
            out.append(re.escape(c))
        i += 1
    try:
        return re.fullmatch("".join(out), path) is not None
    except re.error:  # e.g. a reversed range [z-a]: bash treats it as no match either
        return False


@dataclass(frozen=True, slots=True)
class PathInfo:
    norm: str  # normalised path: relative to the worktree, or absolute, or starting with ~
    kind: str  # worktree | escape | tmp | harmless_dev | device | net_dev | system | outside
    credential: bool
    persistence: bool


def _home_form(text: str) -> str:
    for var in ("${HOME}", "$HOME"):
        if text == var or text.startswith(var + "/"):
            return "~" + text[len(var) :]
    return text


def normalise(text: str, cwd: str | None = None, worktree: str | None = None) -> str:
    t = _home_form(text.strip())
    if worktree:
        root = worktree.rstrip("/") or "/"
        if t == root or t.startswith(root + "/"):
            t = t[len(root) :].lstrip("/") or "."
    if t.startswith("~"):
        head, _, rest = t.partition("/")
        return head + ("/" + posixpath.normpath(rest) if rest else "") if head == "~" else t
    if not t.startswith("/") and cwd:
        t = posixpath.join(cwd, t)
    if t.startswith("//"):
        t = "/" + t.lstrip("/")
    return posixpath.normpath(t) if t else "."


def classify(text: str, cwd: str | None = None, worktree: str | None = None) -> PathInfo:
    norm = normalise(text, cwd, worktree)
    cred = bool(CREDENTIAL_PATH.search(norm) or CREDENTIAL_PATH.search(text))
    if not cred and any(c in norm for c in "*?["):
        cred = any(glob_match(norm, sample) for sample in _CREDENTIAL_SAMPLES)
    persist = bool(PERSISTENCE.match(norm))
    if norm.startswith("~"):
        kind = "system" if norm.startswith("~root") else "outside"
    elif not norm.startswith("/"):
        kind = "escape" if norm == ".." or norm.startswith("../") else "worktree"
    elif norm == "/tmp" or norm.startswith(("/tmp/", "/var/tmp/")):
        kind = "tmp"
    elif NET_DEV.match(norm):
        kind = "net_dev"
    elif HARMLESS_DEV.match(norm):
        kind = "harmless_dev"
    elif DEVICE.match(norm):
        kind = "device"
    elif norm == "/" or any(norm == p or norm.startswith(p + "/") for p in SYSTEM_PREFIXES):
        kind = "system"
    else:
        kind = "outside"
    return PathInfo(norm, kind, cred, persist)


def is_critical(text: str, cwd: str | None = None, worktree: str | None = None) -> bool:
    """True when removing / re-owning this path recursively would wreck the machine or home."""
    t = _home_form(text.strip())
    while True:
        stripped = re.sub(r"/(?:\*|\.\*|\.)$", "", t)
        if stripped == t:
            break
        t = stripped or "/"
    norm = normalise(t or "/", cwd, worktree)
    if norm in CRITICAL or re.fullmatch(r"/home/[^/]+|~[^/]*", norm):
        return True
    if any(c in norm for c in "*?["):
        return any(glob_match(norm, c) for c in CRITICAL)
    return False
