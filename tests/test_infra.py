"""The deployment files in infra/, checked the way CI can without AWS or Docker: the SAM
template by cfn-lint and by what it grants, the nginx site by `nginx -t` and by proxying real
signed-looking requests on loopback, the systemd unit by `systemd-analyze verify`, and the
Dockerfile by running its own command and health check here."""
from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import re
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from skill.config import REPO_ROOT
from support.store_servers import unavailable
from support.served import free_port

INFRA = REPO_ROOT / "infra"
TEMPLATE = INFRA / "aws" / "template.yaml"
SITE = INFRA / "nginx" / "back-twitch-helper.conf"
UNIT = INFRA / "systemd" / "back-twitch-helper.service"
DOCKERFILE = INFRA / "Dockerfile"
GUNICORN = Path(sys.executable).with_name("gunicorn")
ALEXA_WAIT_S = 8


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited early: {process.communicate()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listening on {port} after {seconds} s")


def stop(process: subprocess.Popen) -> tuple[str, str]:
    process.terminate()
    try:
        return process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()


def substituted(text: str, replacements: dict[str, str]) -> str:
    """Swap deployment paths for test ones; a path the file no longer has fails loudly."""
    for old, new in replacements.items():
        assert text.count(old) == 1, f"expected exactly one {old!r} in the file: update this test with it"
        text = text.replace(old, new)
    return text


# --- AWS SAM template ----------------------------------------------------------------------------

class CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags: `!Ref X` reads as {"Ref": "X"}."""


def _short_tag(loader: CloudFormationLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {suffix: value}


CloudFormationLoader.add_multi_constructor("!", _short_tag)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return yaml.load(TEMPLATE.read_text(), Loader=CloudFormationLoader)


def cfn_lint() -> str:
    path = Path(sys.executable).with_name("cfn-lint")
    found = str(path) if path.exists() else shutil.which("cfn-lint")
    if not found:
        unavailable("cfn-lint is not installed: pip install -e '.[test]' (or run .ci/run)")
    return found


def test_cfn_lint_finds_nothing_wrong_with_the_sam_template() -> None:
    result = subprocess.run([cfn_lint(), str(TEMPLATE)], capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_cfn_lint_does_catch_a_broken_copy_of_the_template(tmp_path: Path) -> None:
    broken = tmp_path / "template.yaml"
    broken.write_text(substituted(TEMPLATE.read_text(), {"Runtime: python3.12": "Runtime: python2.7"}))
    result = subprocess.run([cfn_lint(), str(broken)], capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "python2.7" in result.stdout


def test_the_function_runs_the_lambda_handler_against_the_templates_table(template: dict[str, Any]) -> None:
    function = template["Resources"]["SkillFunction"]
    properties = function["Properties"]
    assert function["Type"] == "AWS::Serverless::Function"
    assert properties["Handler"] == "skill.runtime.lambda_handler.handler"
    assert properties["Runtime"] in {"python3.11", "python3.12"}
    assert properties["Timeout"] < ALEXA_WAIT_S
    assert properties["Environment"]["Variables"]["SKILL_DATABASE_URL"] == {"Sub": "dynamodb://${UserTable}"}
    module, name = properties["Handler"].rsplit(".", 1)
    assert callable(getattr(__import__(module, fromlist=[name]), name))


def test_the_function_is_built_by_the_makefile_for_its_runtimes_python(template: dict[str, Any]) -> None:
    function = template["Resources"]["SkillFunction"]
    assert function["Metadata"] == {"BuildMethod": "makefile"}
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert re.search(r"^build-SkillFunction:", makefile, re.MULTILINE)
    [python] = re.findall(r"^LAMBDA_PYTHON \?= (\S+)$", makefile, re.MULTILINE)
    assert function["Properties"]["Runtime"] == f"python{python}"
    assert (TEMPLATE.parent / function["Properties"]["CodeUri"]).resolve() == REPO_ROOT


def test_the_function_hides_the_sdks_docstring_escape_warnings_and_no_other() -> None:
    """ask-sdk-model and ask-sdk-core docstrings hold `\\&`: under Python 3.12 a SyntaxWarning for each
    whenever the function compiles them (at build time or cold start), each harmless. The filter
    comes with skill.runtime, imported before the SDK; here in a fresh process, away from pytest's."""
    sdk_escape = "invalid escape sequence '\\&'"
    cases = [("/var/task/ask_sdk_model/device.py", sdk_escape), ("/var/task/ask_sdk_core/utils/predicate.py", sdk_escape),
             ("/var/task/skill/runtime/web.py", "invalid escape sequence '\\d'"),
             ("/var/task/ask_sdk_model/device.py", "other warning")]
    code = ("import json, sys, warnings, skill.runtime\n"
            "for path, message in json.loads(sys.argv[1]):\n"
            "    warnings.warn_explicit(message, SyntaxWarning, path, 30)\n")
    result = subprocess.run([sys.executable, "-c", code, json.dumps(cases)], capture_output=True, text=True,
                            timeout=30, check=True, cwd=REPO_ROOT,
                            env={key: value for key, value in os.environ.items() if key != "PYTHONWARNINGS"})
    shown = [line for line in result.stderr.splitlines() if "SyntaxWarning" in line]
    assert shown == ["/var/task/skill/runtime/web.py:30: SyntaxWarning: invalid escape sequence '\\d'",
                     "/var/task/ask_sdk_model/device.py:30: SyntaxWarning: other warning"]


def test_the_lambda_build_compiles_for_the_runtimes_python_with_that_filter() -> None:
    recipe = re.search(r"^build-SkillFunction:.*?(?=^\S|\Z)", (REPO_ROOT / "Makefile").read_text(), re.MULTILINE | re.DOTALL)
    assert recipe, "Makefile's build-SkillFunction target not found"
    assert "--no-compile" in recipe.group(0), "pip would compile for this machine's Python"
    assert re.search(r"python\$\(LAMBDA_PYTHON\) -c .*import compileall, py_compile, skill\.runtime", recipe.group(0))


def test_only_the_configured_skill_may_invoke_the_function(template: dict[str, Any]) -> None:
    events = template["Resources"]["SkillFunction"]["Properties"]["Events"]
    assert [event["Type"] for event in events.values()] == ["AlexaSkill"]
    assert [event["Properties"]["SkillId"] for event in events.values()] == [{"Ref": "AlexaSkillId"}]
    assert template["Parameters"]["AlexaSkillId"]["Type"] == "String"


def test_the_table_is_keyed_and_expires_the_way_the_store_writes_items(template: dict[str, Any],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # the SDK adapter builds a boto3 resource on import
    from skill.stores.dynamodb import PARTITION_KEY, TTL_ATTRIBUTE

    table = template["Resources"]["UserTable"]["Properties"]
    assert table["KeySchema"] == [{"AttributeName": PARTITION_KEY, "KeyType": "HASH"}]
    assert table["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}


def test_the_function_role_may_only_use_items_of_its_table_and_write_its_own_logs(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    assert resources["SkillFunction"]["Properties"]["Role"] == {"GetAtt": "SkillFunctionRole.Arn"}
    role = resources["SkillFunctionRole"]["Properties"]
    assert "ManagedPolicyArns" not in role
    granted = {}
    for policy in role["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            for action in statement["Action"]:
                granted[action] = statement["Resource"]
    table_items = {f"dynamodb:{verb}Item" for verb in ("Get", "Put", "Update", "Delete")}
    assert granted == {**{action: {"GetAtt": "UserTable.Arn"} for action in table_items},
                       "logs:CreateLogStream": {"Sub": "${SkillLogGroup.Arn}:*"},
                       "logs:PutLogEvents": {"Sub": "${SkillLogGroup.Arn}:*"}}


# --- nginx -----------------------------------------------------------------------------------------

def nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not found:
        unavailable("nginx is not installed: apt-get install nginx-light (or run .ci/run)")
    return found


def self_signed_certificate(directory: Path, host: str = "skill.example.com") -> tuple[Path, Path]:
    """A throwaway certificate for `host`, in place of the real one (certbot's file names)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
                   .not_valid_after(now + dt.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
                   .sign(key, hashes.SHA256()))
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "fullchain.pem", directory / "privkey.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def nginx_main_config(tmp_path: Path, include: str) -> Path:
    """A main nginx.conf in tmp_path with its pid, logs and temporary files there, including `include`."""
    temp_paths = "\n".join(f"    {kind}_temp_path {tmp_path / kind};" for kind in
                           ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # As root, workers would run as nobody, who cannot read the test's files (pytest's 0700 temp root).
    user = "user root;\n" if os.geteuid() == 0 else ""
    main = tmp_path / "nginx.conf"
    main.write_text(f"{user}worker_processes 1;\npid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'main-error.log'};\n"
                    f"events {{ worker_connections 64; }}\n"
                    f"http {{\n    access_log off;\n{temp_paths}\n    include {include};\n}}\n")
    return main


def nginx_config(tmp_path: Path, listen: dict[str, str] | None = None) -> Path:
    """A main nginx.conf in tmp_path including the site, with test certificate, webroot and log paths."""
    cert, key = self_signed_certificate(tmp_path)
    site = tmp_path / "site.conf"
    site.write_text(substituted(SITE.read_text(), {
        "/etc/letsencrypt/live/skill.example.com/fullchain.pem": str(cert),
        "/etc/letsencrypt/live/skill.example.com/privkey.pem": str(key),
        "root /var/www/letsencrypt;": f"root {tmp_path / 'letsencrypt'};",
        "/var/log/nginx/back-twitch-helper.access.log": str(tmp_path / "access.log"),
        "/var/log/nginx/back-twitch-helper.error.log": str(tmp_path / "error.log"),
        **(listen or {}),
    }))
    return nginx_main_config(tmp_path, str(site))


def nginx_test(config: Path, prefix: Path) -> None:
    """`nginx -t` on `config` must pass."""
    result = subprocess.run([nginx(), "-t", "-c", str(config), "-p", str(prefix)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr and "test is successful" in result.stderr


def test_nginx_accepts_the_site_config(tmp_path: Path) -> None:
    nginx_test(nginx_config(tmp_path), tmp_path)


# The README's nginx steps (section Deploy), run as written but under a temporary root.

def readme_deploy_blocks() -> dict[str, list[str]]:
    """The Deploy section's shell blocks that set up nginx, by what they do: the site, the Let's
    Encrypt certificate, the self-signed one."""
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme[readme.index("\n## Deploy\n"):]
    section = section[:section.index("\n## ", 1)]
    blocks = [block.splitlines() for block in re.findall(r"^```sh\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)]
    marks = {"site": "infra/nginx/back-twitch-helper.conf >", "certbot": "certbot certonly",
             "self-signed": "openssl req -x509"}
    found = {name: [block for block in blocks if any(mark in line for line in block)] for name, mark in marks.items()}
    assert all(len(matches) == 1 for matches in found.values()), f"README Deploy: expected one block each for {marks}"
    return {name: matches[0] for name, matches in found.items()}


def run_readme_block(lines: list[str], root: Path, host: str) -> None:
    """Each line with /etc/ and /var/www/ under `root` and $HOST set; `nginx -t && systemctl
    reload nginx` is a real `nginx -t` of what sites-enabled holds, and certbot is stood in for by
    a certificate where it writes one, after checking it is asked for the site's webroot."""
    for line in lines:
        if not line.strip() or line.startswith("HOST="):
            continue
        if line == "nginx -t && systemctl reload nginx":
            nginx_test(nginx_main_config(root, f"{root}/etc/nginx/sites-enabled/*"), root)
        elif line.startswith("certbot "):
            assert "--webroot -w /var/www/letsencrypt -d $HOST" in line
            assert "root /var/www/letsencrypt;" in SITE.read_text()
            enabled = "".join(path.read_text() for path in (root / "etc" / "nginx" / "sites-enabled").iterdir())
            assert "location /.well-known/acme-challenge/" in enabled, "nothing serves certbot's challenge"
            self_signed_certificate(root / "etc" / "letsencrypt" / "live" / host, host)
        else:
            rooted = line.replace(" /etc/", f" {root}/etc/").replace(" /var/www/", f" {root}/var/www/")
            subprocess.run(["bash", "-euo", "pipefail", "-c", rooted], cwd=REPO_ROOT, env={**os.environ, "HOST": host},
                           check=True, capture_output=True, timeout=60)


def readme_site(tmp_path: Path, host: str) -> dict[str, list[str]]:
    """The README's site block run under tmp_path (Debian's empty sites-* folders made first), with
    the installed site's certificate, webroot and log paths moved there too."""
    blocks = readme_deploy_blocks()
    assert any(line.startswith("HOST=skill.example.com") for line in blocks["site"])
    for folder in ("sites-available", "sites-enabled"):
        (tmp_path / "etc" / "nginx" / folder).mkdir(parents=True)
    run_readme_block(blocks["site"], tmp_path, host)
    site = tmp_path / "etc" / "nginx" / "sites-available" / SITE.name
    text = site.read_text()
    assert "skill.example.com" not in text and f"server_name {host};" in text
    for old in ("/etc/letsencrypt/", "/var/www/", "/var/log/"):
        text = text.replace(old, f"{tmp_path}{old}")
    site.write_text(text)
    (tmp_path / "var" / "log" / "nginx").mkdir(parents=True)
    return blocks


def test_the_readmes_self_signed_certificate_step_makes_the_site_pass_nginx_t(tmp_path: Path) -> None:
    nginx()
    host = "alexa.clinic.example.org"
    blocks = readme_site(tmp_path, host)
    run_readme_block(blocks["self-signed"], tmp_path, host)
    live = tmp_path / "etc" / "letsencrypt" / "live" / host
    certificate = x509.load_pem_x509_certificate((live / "fullchain.pem").read_bytes())
    assert certificate.issuer == certificate.subject, "self-signed"
    san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == [host], "Alexa reads the host from the SAN"
    usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [x509.ExtendedKeyUsageOID.SERVER_AUTH]
    assert certificate.public_key().key_size == 2048
    enabled = tmp_path / "etc" / "nginx" / "sites-enabled" / SITE.name
    assert enabled.is_symlink() and enabled.resolve() == tmp_path / "etc" / "nginx" / "sites-available" / SITE.name


def test_the_readmes_certbot_steps_pass_nginx_t_before_and_after_the_certificate(tmp_path: Path) -> None:
    """nginx must serve port 80 for certbot before the 443 server's certificate exists."""
    nginx()
    host = "back.example.net"
    blocks = readme_site(tmp_path, host)
    run_readme_block(blocks["certbot"], tmp_path, host)
    enabled = tmp_path / "etc" / "nginx" / "sites-enabled" / SITE.name
    assert enabled.is_symlink() and "listen 443 ssl;" in enabled.read_text()


def test_the_site_file_says_how_it_is_installed_as_the_readme_does() -> None:
    header = SITE.read_text().split("\n\n", 1)[0]
    assert "/etc/nginx/sites-available/back-twitch-helper.conf" in header and "sites-enabled" in header
    assert "# --- HTTPS" in SITE.read_text().split("upstream back_twitch_helper", 1)[0], \
        "the README enables what precedes the marker alone: port 80, no certificate"


class RecordingUpstream(BaseHTTPRequestHandler):
    """Stands in for gunicorn: keeps each request's raw headers and body, answers 200."""

    received: list[tuple[list[tuple[str, str]], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.received.append((list(self.headers.items()), body))
        self._answer("application/json", b'{"ok": true}')

    def do_GET(self) -> None:  # the policy pages; the body recorded is what was asked for
        self.received.append((list(self.headers.items()), f"GET {self.path}".encode()))
        self._answer("text/html; charset=utf-8", b"<!DOCTYPE html><title>policy</title>")

    def _answer(self, content_type: str, answer: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        pass


class ServedSite(NamedTuple):
    https_port: int
    http_port: int
    received: list[tuple[list[tuple[str, str]], bytes]]
    webroot: Path


@pytest.fixture
def served_site(tmp_path: Path) -> Iterator[ServedSite]:
    """The site served by a real nginx on loopback ports (443 and 80 moved), proxying to a recording
    upstream; certbot's webroot in tmp_path."""
    binary = nginx()
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), RecordingUpstream)
    RecordingUpstream.received = []
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    port, http_port = free_port(), free_port()
    config = nginx_config(tmp_path, {
        "listen 443 ssl;": f"listen 127.0.0.1:{port} ssl;",
        "listen [::]:443 ssl;": "",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;": "",
        "server 127.0.0.1:8080;": f"server 127.0.0.1:{upstream.server_address[1]};",
    })
    process = subprocess.Popen([binary, "-c", str(config), "-p", str(tmp_path), "-g", "daemon off;"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_port(port, process)
        yield ServedSite(port, http_port, RecordingUpstream.received, tmp_path / "letsencrypt")
    finally:
        stop(process)
        upstream.shutdown()
        upstream.server_close()


@pytest.fixture
def proxied(served_site: ServedSite) -> tuple[int, list[tuple[list[tuple[str, str]], bytes]]]:
    return served_site.https_port, served_site.received


def test_port_80_serves_certbots_challenge_files_and_sends_everything_else_to_https(served_site: ServedSite) -> None:
    challenge = served_site.webroot / ".well-known" / "acme-challenge" / "token-Ab_9"
    challenge.parent.mkdir(parents=True)
    challenge.write_text("token-Ab_9.key-authorization")
    for path, expected in (("/.well-known/acme-challenge/token-Ab_9", 200), ("/alexa", 301), ("/", 301)):
        connection = http.client.HTTPConnection("127.0.0.1", served_site.http_port, timeout=10)
        try:
            connection.request("GET", path, headers={"Host": "skill.example.com"})
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        assert response.status == expected, path
        if expected == 200:
            assert body == b"token-Ab_9.key-authorization"
        else:
            assert response.getheader("Location") == f"https://skill.example.com{path}"
    assert served_site.received == []


def https_post(port: int, path: str, body: bytes | list[bytes], headers: dict[str, str]) -> tuple[int, bytes]:
    """A POST to the nginx site; a list of chunks is sent with Transfer-Encoding: chunked."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # our throwaway certificate
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    chunked = isinstance(body, list)
    try:
        connection.request("POST", path, body=iter(body) if chunked else body, encode_chunked=chunked,
                           headers={"Host": "skill.example.com", **headers,
                                    **({"Transfer-Encoding": "chunked"} if chunked else {})})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_nginx_passes_the_body_and_the_signature_headers_through_unchanged(proxied) -> None:
    port, received = proxied
    # Odd but valid JSON: unusual spacing, escapes, non-ASCII, CRLF, a trailing newline.
    body = '{"version":"1.0",  "request" : {"type":"LaunchRequest","note":"Grüße \\u00e9 \\"q\\"\t<&>"}\r\n}\n'.encode()
    signature = {
        "SignatureCertChainUrl": "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert-12.pem",
        "Signature-256": "aGVsbG8+L3dvcmxkPT0/c2lnbmF0dXJlLw==" * 4,
    }
    status, answer = https_post(port, "/alexa", body, {**signature, "Content-Type": "application/json"})
    assert (status, answer) == (200, b'{"ok": true}')
    [(headers, forwarded)] = received
    assert forwarded == body
    for name, value in signature.items():
        assert [v for k, v in headers if k.lower() == name.lower()] == [value], f"{name} was changed or lost"


def test_nginx_refuses_a_body_over_64_kib_before_it_reaches_the_app(proxied) -> None:
    port, received = proxied
    status, _ = https_post(port, "/alexa", b"x" * (64 * 1024 + 1), {"Content-Type": "application/json"})
    assert status == 413 and received == []
    status, _ = https_post(port, "/alexa", b"x" * (64 * 1024), {"Content-Type": "application/json"})
    assert status == 200 and len(received) == 1


def test_nginx_refuses_a_chunked_body_over_64_kib_with_413(proxied) -> None:
    port, received = proxied
    status, _ = https_post(port, "/alexa", [b"x" * 16 * 1024] * 4 + [b"x"], {"Content-Type": "application/json"})
    assert status == 413 and received == []
    status, _ = https_post(port, "/alexa", [b"x" * 16 * 1024] * 4, {"Content-Type": "application/json"})
    assert status == 200
    [(headers, forwarded)] = received
    assert forwarded == b"x" * 64 * 1024


def test_nginx_does_not_tell_its_version(proxied) -> None:
    port, _ = proxied
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    for method, path in (("POST", "/alexa"), ("GET", "/admin")):  # proxied, and nginx's own error page
        connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
        try:
            connection.request(method, path, body=b"{}" if method == "POST" else None,
                               headers={"Host": "skill.example.com"})
            response = connection.getresponse()
            body = response.read()
            assert response.getheader("Server") == "nginx", response.getheaders()
            assert b"nginx/" not in body
        finally:
            connection.close()


def test_nginx_serves_nothing_but_the_skills_own_paths(proxied) -> None:
    port, received = proxied
    assert https_post(port, "/admin", b"{}", {})[0] == 404
    assert received == []


def test_nginx_serves_the_policy_pages_the_store_listing_links_to(proxied) -> None:
    port, received = proxied
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    answers = []
    for method, path in (("GET", "/privacy"), ("GET", "/terms"), ("GET", "/es-US/privacy"), ("POST", "/privacy"),
                         ("GET", "/privacy/x"), ("GET", "/spanish/terms")):
        connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
        try:
            connection.request(method, path, body=b"{}" if method == "POST" else None, headers={"Host": "skill.example.com"})
            response = connection.getresponse()
            answers.append((method, path, response.status, response.read().startswith(b"<!DOCTYPE html>")))
        finally:
            connection.close()
    assert answers == [("GET", "/privacy", 200, True), ("GET", "/terms", 200, True), ("GET", "/es-US/privacy", 200, True),
                       ("POST", "/privacy", 403, False), ("GET", "/privacy/x", 404, False),
                       ("GET", "/spanish/terms", 404, False)]
    assert [body for _, body in received] == [b"GET /privacy", b"GET /terms", b"GET /es-US/privacy"]


def test_every_nginx_timeout_toward_the_app_is_under_alexas_8_seconds() -> None:
    timeouts = re.findall(r"^\s*(\w+_timeout)\s+(\d+)s;", SITE.read_text(), re.MULTILINE)
    proxy = {name: int(seconds) for name, seconds in timeouts if name.startswith("proxy_")}
    assert {"proxy_connect_timeout", "proxy_read_timeout", "proxy_send_timeout"} <= set(proxy)
    assert all(seconds < ALEXA_WAIT_S for seconds in proxy.values()), proxy


# --- systemd -----------------------------------------------------------------------------------------

def unit_settings() -> dict[str, list[str]]:
    """Key -> every value given for it (systemd allows repeating a key)."""
    settings: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def test_systemd_analyze_verify_finds_nothing_wrong_with_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze is not available on this machine (Debian's systemd package has it)")
    unit = tmp_path / UNIT.name
    unit.write_text(substituted(UNIT.read_text(), {"/opt/back-twitch-helper/.venv/bin/gunicorn": str(GUNICORN)}))
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout + result.stderr) == (0, ""), "systemd reports problems with the unit"


def test_the_unit_runs_make_runs_gunicorn_command_unprivileged_and_restarts_on_failure() -> None:
    settings = unit_settings()
    [exec_start] = settings["ExecStart"]
    run_recipe = re.search(r"^run:.*\n\t\$\(BIN\)/(.+)$", (REPO_ROOT / "Makefile").read_text(), re.MULTILINE)
    assert run_recipe, "Makefile's run target not found"
    assert shlex.split(exec_start)[1:] == shlex.split(run_recipe.group(1))[1:], "the unit must serve as `make run` does"
    assert settings["User"] != ["root"] and settings["User"] == settings["Group"]
    assert settings["Restart"] == ["on-failure"]
    assert settings["EnvironmentFile"] == ["/etc/back-twitch-helper/env"]
    hardening = {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
                 "PrivateDevices": "yes", "CapabilityBoundingSet": "", "RestrictSUIDSGID": "yes"}
    assert {key: settings.get(key, ["(missing)"])[-1] for key in hardening} == hardening


# --- Dockerfile (linted here; no Docker engine on this machine) ------------------------------------

def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction, arguments in dockerfile_instructions():
        if instruction == "ENV":
            env.update(pair.split("=", 1) for pair in shlex.split(arguments))
    return env


def test_the_image_is_slim_python_and_runs_as_a_non_root_user() -> None:
    instructions = dockerfile_instructions()
    assert re.fullmatch(r"python:3\.1[1-9]-slim(-\w+)?", instructions[0][1])
    users = [arguments for instruction, arguments in instructions if instruction == "USER"]
    assert users and users[-1] not in {"root", "0", "0:0"}
    order = [instruction for instruction, _ in instructions]
    assert order.index("USER") < order.index("CMD"), "the server must start as the non-root user"
    assert any(instruction == "RUN" and "pip install ." in arguments for instruction, arguments in instructions)


def test_every_file_the_image_copies_is_in_the_repository() -> None:
    for instruction, arguments in dockerfile_instructions():
        if instruction == "COPY":
            *sources, _ = arguments.split()
            for source in sources:
                assert (REPO_ROOT / source).exists(), f"COPY {source}: no such file in the build context"


def exec_form(instruction: str) -> list[str]:
    [arguments] = [arguments for name, arguments in dockerfile_instructions() if name == instruction]
    return json.loads(arguments[arguments.index("["):])


def test_the_images_command_serves_the_skill_and_its_health_check_passes(tmp_path: Path) -> None:
    """CMD and HEALTHCHECK run here as the container would run them, /app being this checkout."""
    port = free_port()
    env = {**os.environ, **{key: value.replace("/app", str(REPO_ROOT)) for key, value in dockerfile_env().items()},
           "BIND": f"127.0.0.1:{port}", "SKILL_DATABASE_URL": f"sqlite:///{tmp_path / 'skill.db'}",
           "PATH": f"{GUNICORN.parent}{os.pathsep}{os.environ.get('PATH', '')}", "WEB_CONCURRENCY": "1",
           "HOME": str(tmp_path / "home")}  # where gunicorn's control socket would go, were it on
    env.pop("XDG_RUNTIME_DIR", None)
    env.pop("GUNICORN_CONTROL_SOCKET", None)
    server = subprocess.Popen(exec_form("CMD"), cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    health = exec_form("HEALTHCHECK")  # the exec form after its CMD
    health[0] = sys.executable if health[0] == "python" else health[0]
    try:
        wait_for_port(port, server, seconds=30)
        healthy = subprocess.run(health, env=env, capture_output=True, text=True, timeout=10)
    finally:
        stdout, stderr = stop(server)
    assert healthy.returncode == 0, healthy.stderr
    assert "Booting worker" in stdout and "Booting worker" not in stderr, "gunicorn must log to stdout"
    assert subprocess.run(health, env=env, capture_output=True, timeout=10).returncode != 0, "must fail when down"
    assert not (tmp_path / "home").exists(), "gunicorn wrote into the home directory (its control socket?)"


# --- gunicorn.conf.py ----------------------------------------------------------------------------------

def gunicorn_settings(env: dict[str, str], scratch: Path) -> dict[str, Any]:
    """The config file's values under `env`, read in a child process (the file sets variables)."""
    code = ("import json, runpy, sys; g = runpy.run_path(sys.argv[1]); "
            "print(json.dumps({k: g.get(k) for k in ('bind', 'workers', 'threads', 'timeout', 'errorlog', 'worker_class', "
            "'control_socket_disable', 'control_socket')}))")
    result = subprocess.run([sys.executable, "-c", code, str(INFRA / "gunicorn.conf.py")], capture_output=True,
                            text=True, env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(scratch), **env},
                            timeout=30, check=True)
    return json.loads(result.stdout)


def test_gunicorn_takes_workers_threads_and_timeout_from_the_environment(tmp_path: Path) -> None:
    settings = gunicorn_settings({"BIND": "127.0.0.1:9999", "WEB_CONCURRENCY": "3", "GUNICORN_THREADS": "6",
                                  "GUNICORN_TIMEOUT": "4"}, tmp_path)
    assert {key: settings[key] for key in ("bind", "workers", "threads", "timeout")} == {
        "bind": "127.0.0.1:9999", "workers": 3, "threads": 6, "timeout": 4}


def test_gunicorns_default_worker_timeout_is_well_under_alexas_8_seconds(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GUNICORN_TIMEOUT", raising=False)
    assert gunicorn_settings({}, tmp_path)["timeout"] <= ALEXA_WAIT_S - 3


def test_gunicorns_default_worker_is_not_held_by_a_slow_client(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The event-loop worker: an idle or dribbling socket holds one coroutine, not a worker or a
    thread (the live check is tests/test_serving.py::test_slow_clients_never_starve_normal_requests)."""
    monkeypatch.delenv("GUNICORN_WORKER_CLASS", raising=False)
    assert gunicorn_settings({}, tmp_path)["worker_class"] == "skill.runtime.worker.SkillWorker"
    assert gunicorn_settings({"GUNICORN_WORKER_CLASS": "gevent"}, tmp_path)["worker_class"] == "gevent"
    assert gunicorn_settings({"GUNICORN_WORKER_CLASS": "gthread"}, tmp_path)["worker_class"] == "gthread"


def test_gunicorns_control_socket_is_off_unless_this_instance_is_given_a_path(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Its default path (~/.gunicorn/gunicorn.ctl) is shared by every gunicorn the user runs."""
    monkeypatch.delenv("GUNICORN_CONTROL_SOCKET", raising=False)
    assert gunicorn_settings({}, tmp_path)["control_socket_disable"] is True
    socket_path = str(tmp_path / "run" / "gunicorn.ctl")
    given = gunicorn_settings({"GUNICORN_CONTROL_SOCKET": socket_path}, tmp_path)
    assert (given["control_socket_disable"], given["control_socket"]) == (False, socket_path)


def test_gunicorns_own_error_log_names_an_exception_without_its_message(tmp_path: Path) -> None:
    """"Error handling request" with a traceback would end with the message, which may quote user input."""
    code = ("import runpy, sys; from gunicorn.config import Config; g = runpy.run_path(sys.argv[1]); "
            "c = Config(); c.set('errorlog', '-'); log = g['logger_class'](c)\n"
            "try:\n    int('CANARY ¹²³')\nexcept ValueError:\n    log.exception('Error handling request')")
    result = subprocess.run([sys.executable, "-c", code, str(INFRA / "gunicorn.conf.py")], capture_output=True,
                            text=True, env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)},
                            timeout=30, check=True)
    assert "Error handling request" in result.stdout and "exception: ValueError at" in result.stdout
    assert "CANARY" not in result.stdout + result.stderr and "Traceback" not in result.stdout
