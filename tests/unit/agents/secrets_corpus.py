"""Texts for the redaction tests: fake secrets of the right shape in the places they turn
up (source, .env, YAML, JSON, shell, URLs, headers, PEM files), and ordinary code that
looks random in places (SHAs, UUIDs, lock-file hashes, base64 images) but holds none.

The secret values are generated here from a fixed seed, so no secret-shaped literal is
committed (secret scanners stay quiet) and every run sees the same texts. None of them
is real.
"""

from __future__ import annotations

import base64
import json
import random
import string
from dataclasses import dataclass

_rng = random.Random(20240611)
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "_-"
UPPER_DIGITS = string.ascii_uppercase + "234567"
HEX = "0123456789abcdef"


def fake(alphabet: str, n: int) -> str:
    """``n`` random characters of ``alphabet``, with a digit and a letter when it has both (as real keys do)."""
    needs = [kind for kind in (set(string.digits), set(string.ascii_letters)) if kind & set(alphabet)]
    while True:
        value = "".join(_rng.choice(alphabet) for _ in range(n))
        if len(needs) < 2 or n < 2 or all(kind & set(value) for kind in needs):
            return value


def password(n: int) -> str:
    """A password a person might choose: a letter first, then letters, digits and punctuation."""
    return fake(string.ascii_letters, 1) + fake(ALNUM + "!#%*~", n - 1)


def b64(n_bytes: int) -> str:
    return base64.b64encode(_rng.randbytes(n_bytes)).decode()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def pem(label: str, n_bytes: int = 600, headers: str = "") -> str:
    body = b64(n_bytes)
    lines = "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN {label}-----\n{headers}{lines}\n-----END {label}-----\n"


def jwt() -> str:
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64url(json.dumps({"sub": fake(string.digits, 10), "name": "Jane Doe", "iat": 1716239022}).encode())
    return f"{header}.{payload}.{fake(URLSAFE, 43)}"


@dataclass(frozen=True)
class SecretCase:
    id: str
    text: str
    secrets: tuple[str, ...]  # values that must not survive
    kind: str  # the placeholder's kind expected in the result
    kept: tuple[str, ...] = ()  # what must stay readable (user, host, header name, variable name)


def _cases() -> list[SecretCase]:
    openai_old = "sk-" + fake(ALNUM, 48)
    openai_proj = "sk-proj-" + fake(URLSAFE, 156)
    anthropic = "sk-ant-api03-" + fake(URLSAFE, 93) + "AA"
    ghp, gho, ghs = ("ghp_" + fake(ALNUM, 36)), ("gho_" + fake(ALNUM, 36)), ("ghs_" + fake(ALNUM, 36))
    github_pat = "github_pat_" + fake(ALNUM, 22) + "_" + fake(ALNUM, 59)
    glpat = "glpat-" + fake(URLSAFE, 20)
    slack_bot = f"xoxb-{fake(string.digits, 12)}-{fake(string.digits, 13)}-{fake(ALNUM, 24)}"
    slack_user = f"xoxp-{fake(string.digits, 12)}-{fake(string.digits, 12)}-{fake(string.digits, 13)}-{fake(HEX, 32)}"
    slack_hook = (f"https://hooks.slack.com/services/T{fake(UPPER_DIGITS, 8)}/B{fake(UPPER_DIGITS, 10)}/"
                  f"{fake(ALNUM, 24)}")
    akia, asia = "AKIA" + fake(UPPER_DIGITS, 16), "ASIA" + fake(UPPER_DIGITS, 16)
    aws_secret = fake(ALNUM + "/+", 40)
    google = "AIza" + fake(URLSAFE, 35)
    gocspx = "GOCSPX-" + fake(URLSAFE, 28)
    stripe_live, stripe_restricted = "sk_live_" + fake(ALNUM, 24), "rk_live_" + fake(ALNUM, 24)
    whsec = "whsec_" + fake(ALNUM, 32)
    npm = "npm_" + fake(ALNUM, 36)
    hf = "hf_" + fake(ALNUM, 34)
    pypi = "pypi-AgEIcHlwaS5vcmc" + fake(URLSAFE, 60)
    sendgrid = f"SG.{fake(URLSAFE, 22)}.{fake(URLSAFE, 43)}"
    token_jwt = jwt()
    rsa, openssh, ec = pem("RSA PRIVATE KEY"), pem("OPENSSH PRIVATE KEY"), pem("EC PRIVATE KEY", 120)
    encrypted = pem("RSA PRIVATE KEY", headers="Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,"
                    + fake(HEX, 32).upper() + "\n\n")
    pkcs8 = pem("PRIVATE KEY")
    pgp = pem("PGP PRIVATE KEY BLOCK")
    truncated = pem("PRIVATE KEY").split("\n")
    truncated_text = "\n".join(truncated[:6]) + "\n"
    db_pw, redis_pw, amqp_pw, mongo_pw, https_pw = (password(14) for _ in range(5))
    bearer2 = fake(ALNUM, 32)
    bearer, basic = fake(ALNUM + "._-", 40), base64.b64encode(f"deploy:{fake(ALNUM, 16)}".encode()).decode()
    django, flask = fake(ALNUM + "!@#%^&*(-_=+)", 50), fake(HEX, 64)
    client_secret, api_token, api_key = fake(URLSAFE, 32), fake(HEX, 40), fake(ALNUM, 32)
    k8s_pw, env_pw, yaml_pw, ini_pw, conn_pw, flag_pw = (password(12) for _ in range(6))
    k8s_b64 = base64.b64encode(k8s_pw.encode()).decode()
    docker_auth = base64.b64encode(f"robot:{fake(ALNUM, 24)}".encode()).decode()
    go_key, js_secret, java_key, php_pw, toml_token = (fake(ALNUM, 28) for _ in range(5))
    npmrc_token, query_key, environ_key, typed_key = (fake(ALNUM, 30) for _ in range(4))
    account_key = b64(64)

    gcp = json.dumps({"type": "service_account", "project_id": "demo-project", "private_key_id": fake(HEX, 40),
                      "private_key": pkcs8, "client_email": "bot@demo-project.iam.gserviceaccount.com"}, indent=2)
    return [
        SecretCase("openai-env", f"OPENAI_API_KEY={openai_old}\n", (openai_old,), "openai_api_key",
                   ("OPENAI_API_KEY=",)),
        SecretCase("openai-project-key-python", f'client = OpenAI(api_key="{openai_proj}")\n', (openai_proj,),
                   "openai_api_key", ("client = OpenAI(api_key=",)),
        SecretCase("anthropic-python", f"ANTHROPIC_API_KEY = '{anthropic}'\n", (anthropic,), "anthropic_api_key"),
        SecretCase("anthropic-in-prose", f"my key is {anthropic}, please use it", (anthropic,), "anthropic_api_key",
                   ("my key is", "please use it")),
        SecretCase("github-classic-yaml", f"env:\n  GITHUB_TOKEN: {ghp}\n", (ghp,), "github_token"),
        SecretCase("github-oauth-json", f'{{"access_token": "{gho}", "scope": "repo"}}', (gho,), "github_token"),
        SecretCase("github-app-shell", f"git clone https://x-access-token:{ghs}@github.com/org/repo.git",
                   (ghs,), "github_token", ("x-access-token", "github.com/org/repo.git")),
        SecretCase("github-fine-grained", f'export GH_TOKEN="{github_pat}"', (github_pat,), "github_token"),
        SecretCase("gitlab-ci", f"variables:\n  GITLAB_TOKEN: {glpat}\n", (glpat,), "gitlab_token"),
        SecretCase("slack-bot-python", f'slack = WebClient(token="{slack_bot}")', (slack_bot,), "slack_token"),
        SecretCase("slack-user-toml", f'[slack]\nuser_token = "{slack_user}"\n', (slack_user,), "slack_token"),
        SecretCase("slack-webhook", f"WEBHOOK = '{slack_hook}'", (slack_hook,), "slack_webhook"),
        SecretCase("aws-credentials-file", f"[default]\naws_access_key_id = {akia}\n"
                   f"aws_secret_access_key = {aws_secret}\n", (akia, aws_secret), "aws_access_key",
                   ("aws_access_key_id", "aws_secret_access_key")),
        SecretCase("aws-secret-boto3", f's3 = boto3.client("s3", aws_access_key_id="{asia}",\n'
                   f'                  aws_secret_access_key="{aws_secret}")', (asia, aws_secret), "aws_secret_key"),
        SecretCase("aws-key-in-log", f"botocore: using credentials {akia} from env", (akia,), "aws_access_key"),
        SecretCase("google-maps-js", f'const mapsKey = "{google}";', (google,), "google_api_key"),
        SecretCase("google-oauth-client-secret", f'{{"web": {{"client_id": "123.apps.googleusercontent.com", '
                   f'"client_secret": "{gocspx}"}}}}', (gocspx,), "google_oauth_secret"),
        SecretCase("stripe-live", f"stripe.api_key = '{stripe_live}'", (stripe_live,), "stripe_key"),
        SecretCase("stripe-restricted-env", f"STRIPE_KEY={stripe_restricted}", (stripe_restricted,), "stripe_key"),
        SecretCase("stripe-webhook", f'endpoint_secret = "{whsec}"', (whsec,), "stripe_key"),
        SecretCase("npm-token-npmrc", f"//registry.npmjs.org/:_authToken={npm}\n", (npm,), "npm_token",
                   ("registry.npmjs.org",)),
        SecretCase("npmrc-private-registry", f"//npm.corp.example/:_authToken={npmrc_token}\n", (npmrc_token,),
                   "secret", ("npm.corp.example",)),
        SecretCase("huggingface", f"login(token='{hf}')", (hf,), "huggingface_token"),
        SecretCase("pypirc", f"[pypi]\nusername = __token__\npassword = {pypi}\n", (pypi,), "pypi_token"),
        SecretCase("sendgrid", f"SENDGRID_API_KEY='{sendgrid}'", (sendgrid,), "sendgrid_key"),
        SecretCase("jwt-in-test", f'token = "{token_jwt}"', (token_jwt,), "jwt"),
        SecretCase("jwt-bearer-header", f"Authorization: Bearer {token_jwt}\n", (token_jwt,), "jwt",
                   ("Authorization: Bearer",)),
        SecretCase("rsa-private-key-file", rsa, (rsa.split("\n")[1], rsa.split("\n")[-3]), "private_key"),
        SecretCase("openssh-private-key", "key = '''\n" + openssh + "'''", (openssh.split("\n")[2],), "private_key"),
        SecretCase("ec-private-key", ec, (ec.split("\n")[1],), "private_key"),
        SecretCase("encrypted-rsa-key", encrypted, (encrypted.split("\n")[5],), "private_key"),
        SecretCase("pgp-private-key", pgp, (pgp.split("\n")[1],), "private_key"),
        SecretCase("private-key-cut-short", "$ cat server.key\n" + truncated_text, (truncated[2], truncated[4]),
                   "private_key", ("$ cat server.key",)),
        SecretCase("gcp-service-account-json", gcp, (pkcs8.split("\n")[1],), "private_key", ("demo-project",)),
        SecretCase("postgres-url", f"DATABASE_URL=postgres://app_user:{db_pw}@db.internal:5432/app", (db_pw,),
                   "url_password", ("app_user", "db.internal:5432/app")),
        SecretCase("redis-url-no-user", f'REDIS_URL = "redis://:{redis_pw}@cache.example.com:6379/0"', (redis_pw,),
                   "url_password", ("cache.example.com:6379/0",)),
        SecretCase("amqp-url-yaml", f"broker_url: amqp://celery:{amqp_pw}@rabbit:5672//", (amqp_pw,), "url_password",
                   ("celery", "rabbit:5672")),
        SecretCase("mongodb-srv", f"client = MongoClient('mongodb+srv://admin:{mongo_pw}@cluster0.ab1cd.mongodb.net')",
                   (mongo_pw,), "url_password", ("admin", "cluster0.ab1cd.mongodb.net")),
        SecretCase("https-basic-in-url", f"pip install --index-url https://ci:{https_pw}@pypi.corp.example/simple pkg",
                   (https_pw,), "url_password", ("pypi.corp.example/simple",)),
        SecretCase("bearer-curl", f'curl -H "Authorization: Bearer {bearer}" https://api.example.com/v1/me',
                   (bearer,), "authorization", ("Authorization: Bearer", "https://api.example.com/v1/me")),
        SecretCase("bearer-python-subscript", f'request.headers["Authorization"] = "Bearer {bearer2}"', (bearer2,),
                   "authorization", ('request.headers["Authorization"] = "Bearer',)),
        SecretCase("basic-auth-requests", f'headers = {{"Authorization": "Basic {basic}"}}', (basic,),
                   "authorization", ('"Authorization": "Basic',)),
        SecretCase("django-secret-key", f"SECRET_KEY = '{django}'\n", (django,), "secret", ("SECRET_KEY = ",)),
        SecretCase("flask-secret-key-hex", f'app.config["SECRET_KEY"] = "{flask}"', (flask,), "secret"),
        SecretCase("client-secret-attribute", f"self.client_secret = '{client_secret}'", (client_secret,), "secret",
                   ("self.client_secret",)),
        SecretCase("api-token-json", json.dumps({"service": "billing", "api_token": api_token}), (api_token,),
                   "secret", ("billing",)),
        SecretCase("apikey-camel-js", f"export const config = {{ apiKey: '{api_key}', region: 'eu' }};",
                   (api_key,), "secret", ("region: 'eu'",)),
        SecretCase("k8s-secret-data", f"kind: Secret\ndata:\n  password: {k8s_b64}\n", (k8s_b64,), "password"),
        SecretCase("dotenv-export-password", f"export DB_PASSWORD={env_pw}\nDB_HOST=localhost\n", (env_pw,),
                   "password", ("DB_HOST=localhost",)),
        SecretCase("yaml-password", f"database:\n  user: app\n  password: \"{yaml_pw}\"\n", (yaml_pw,), "password",
                   ("user: app",)),
        SecretCase("ini-password", f"[smtp]\nhost = mail.example.com\npassword = {ini_pw}\n", (ini_pw,), "password",
                   ("mail.example.com",)),
        SecretCase("connection-string", f'"Server=sql1;Database=app;User Id=sa;Password={conn_pw};"', (conn_pw,),
                   "password", ("User Id=sa",)),
        SecretCase("cli-flag-password", f"mysql --user=root --password={flag_pw} app", (flag_pw,), "password",
                   ("--user=root",)),
        SecretCase("docker-config-auth", json.dumps({"auths": {"registry.example.com": {"auth": docker_auth}}}),
                   (docker_auth,), "secret", ("registry.example.com",)),
        SecretCase("azure-storage-connection", f"AZURE_STORAGE_CONNECTION_STRING='DefaultEndpointsProtocol=https;"
                   f"AccountName=demo;AccountKey={account_key};EndpointSuffix=core.windows.net'",
                   (account_key,), "secret", ("AccountName=demo",)),
        SecretCase("go-short-assign", f'apiKey := "{go_key}"', (go_key,), "secret"),
        SecretCase("js-const", f'const clientSecret = "{js_secret}";', (js_secret,), "secret"),
        SecretCase("java-constant", f'private static final String API_KEY = "{java_key}";', (java_key,), "secret"),
        SecretCase("php-array", f"'db_password' => '{php_pw}',", (php_pw,), "password"),
        SecretCase("toml-token", f'[tool.deploy]\napi_token = "{toml_token}"\n', (toml_token,), "secret"),
        SecretCase("query-string-key", f"GET https://api.example.com/v2/search?q=cats&api_key={query_key} 200",
                   (query_key,), "secret", ("q=cats",)),
        SecretCase("os-environ-assignment", f'os.environ["SERVICE_API_KEY"] = "{environ_key}"', (environ_key,),
                   "secret", ('os.environ["SERVICE_API_KEY"]',)),
        SecretCase("annotated-constant", f'ACCESS_TOKEN: Final[str] = "{typed_key}"', (typed_key,), "secret"),
        SecretCase("escaped-json-in-tool-output", json.dumps({"content": f'API_KEY = "{api_key}"'}), (api_key,),
                   "secret"),
    ]


def gutter(text: str, first: int = 1) -> str:
    """``text`` as read_file shows it: each line after a right-aligned number and ``| ``."""
    lines = text.splitlines()
    width = len(str(first + len(lines)))
    return "\n".join(f"{n:>{width}}| {line}" for n, line in enumerate(lines, start=first)) + "\n"


def _formatted_and_vendor_cases() -> list[SecretCase]:
    """Secrets as tools format them (gutters, diff hunks, JSON escaping) and the formats the first
    detector missed (Django keys with '=', Azure SAS, f-string bearer tokens, Mailgun, GCP key ids,
    detect-secrets' vendor rules)."""
    rsa = pem("RSA PRIVATE KEY", 400)
    yaml_pw, diff_pw = password(13), password(15)
    django = "django-insecure-" + fake(string.ascii_lowercase + string.digits + "!@#$%^&*(-_=+)", 50) + "=x="
    sas = fake(ALNUM + "+/", 43)
    bearer = fake(ALNUM, 40)
    mailgun = "key-" + fake(string.ascii_lowercase + string.digits, 32)
    key_id = fake(HEX, 40)
    twilio = "SK" + fake(HEX, 32)
    mailchimp = fake(HEX, 32) + "-us14"
    telegram = fake(string.digits, 9) + ":" + fake(URLSAFE, 35)
    discord = "M" + fake(URLSAFE, 23) + "." + fake(URLSAFE, 6) + "." + fake(URLSAFE, 27)
    square = "sq0csp-" + fake(URLSAFE, 43)
    escaped = json.dumps({"tool": "read_file", "result": gutter(f"db:\n  password: {yaml_pw}\n")})
    return [
        SecretCase("pem-in-read-file-gutter", gutter("# deploy key\n" + rsa, 40), (rsa.split("\n")[2],),
                   "private_key", ("40| # deploy key\n41| ",)),
        SecretCase("yaml-password-in-gutter", gutter(f"db:\n  user: app\n  password: {yaml_pw}\n"), (yaml_pw,),
                   "password", ("2|   user: app",)),
        SecretCase("password-in-diff-hunk", f"--- a/config.yml\n+++ b/config.yml\n@@ -1,2 +1,3 @@\n db:\n"
                   f"+  password: {diff_pw}\n   user: app\n", (diff_pw,), "password", ("+  password: ",)),
        SecretCase("gutter-in-json-tool-result", escaped, (yaml_pw,), "password"),
        SecretCase("django-insecure-key", f"SECRET_KEY = '{django}'\n", (django,), "secret", ("SECRET_KEY = ",)),
        SecretCase("azure-sas-url", "BLOB = 'https://acct.blob.core.windows.net/c/b.bin?sv=2022-11-02&ss=b&srt=o"
                   f"&sp=r&se=2030-01-01T00:00:00Z&sig={sas}%3D'", (sas,), "azure_sas_signature",
                   ("sv=2022-11-02", "acct.blob.core.windows.net")),
        SecretCase("bearer-in-f-string", f'token_header = f"Bearer {bearer}"\nheaders = {{"X-Id": user_id}}\n',
                   (bearer,), "bearer_token", ("token_header = f\"Bearer ",)),
        SecretCase("bearer-f-string-header", f'session.headers.update({{"Authorization": f"Bearer {bearer}"}})',
                   (bearer,), "authorization"),
        SecretCase("mailgun-key", f'requests.post(url, auth=("api", "{mailgun}"))', (mailgun,), "mailgun_key"),
        SecretCase("gcp-private-key-id", json.dumps({"type": "service_account", "private_key_id": key_id}),
                   (key_id,), "private_key_id", ('"type": "service_account"',)),
        SecretCase("twilio-api-key", f'TWILIO_SID = "{twilio}"', (twilio,), "twilio_key"),
        SecretCase("mailchimp-key", f'mc.set_config({{"api": "{mailchimp}"}})', (mailchimp,), "mailchimp_key"),
        SecretCase("telegram-bot-token", f'bot = Bot("{telegram}")', (telegram,), "telegram_token"),
        SecretCase("discord-bot-token", f"client.run('{discord}')", (discord,), "discord_token"),
        SecretCase("square-oauth-secret", f"square:\n  app: {square}\n", (square,), "square_secret"),
    ]


SECRET_CASES: list[SecretCase] = _cases() + _formatted_and_vendor_cases()

_PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000010000000100806000000"
    "1ff3ff610000004c49444154789c63f8ffff3f0325e0e1f0ff1f0c3030"
    "303034c0c0008ac1e46150f0030c8c8c8c1830b0b0b0c081f1ff7f0606"
    "0606067c7c7cc0a0a08000d300002c1a1b3ebf3c5b440000000049454e44ae426082")).decode()
_WHEEL_SHA = "7b0e3a1d4c7f0c2b8f9a6e5d4c3b2a190817263544536271809f8e7d6c5b4a39"

ORDINARY_CASES: list[tuple[str, str]] = [
    ("git-sha-in-test", 'def test_head():\n    assert repo.head() == "3f786850e387550fdab836ed7e6dc881de23001b"\n'),
    ("git-log", "commit 9fceb02d0ae598e95dc970b74767f19372d61af8\nAuthor: Jane Doe <jane@example.com>\n"),
    ("expected-digest", 'EXPECTED_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"\n'),
    ("parametrized-hashes", '@pytest.mark.parametrize("digest", ["d41d8cd98f00b204e9800998ecf8427e", '
                            '"900150983cd24fb0d6963f7d28e17f72"])\n'),
    ("uuid-request-id", 'request_id = "123e4567-e89b-12d3-a456-426614174000"\n'),
    ("uuid-json-id", '{"id": "9b2f6c1e-4d7a-4c1b-8f3e-2a6d5b7c9e01", "name": "invoice"}'),
    ("client-id-uuid", "client_id: 0f8fad5b-d9cb-469f-a165-70867728950e\n"),
    ("long-camel-class", "class AbstractSingletonProxyFactoryBeanConfigurationManagerV2(BaseManager):\n    pass\n"),
    ("long-snake-names", "very_long_function_name_that_describes_what_it_does_v2 = make_thing(argument_one=1)\n"),
    ("poetry-lock", f'files = [\n    {{file = "six-1.16.0-py2.py3-none-any.whl", hash = "sha256:{_WHEEL_SHA}"}},\n]\n'),
    ("requirements-hashes", f"requests==2.32.3 \\\n    --hash=sha256:{_WHEEL_SHA}\n"),
    ("npm-integrity", '"integrity": "sha512-v2kDEe57lecTulaDIuNTPy3Ry4gLGJ6Z1O3vE1krgXZNrsQ+LFTGHVxVjcXGOQyb0'
                      'nQ0sTKuQw1ZI2ZUAxJmw=="'),
    ("go-sum", "golang.org/x/text v0.3.7 h1:olpwvP2KacW1ZWvsR7uQhoyTYvKAupfQrRGBFM352Gk=\n"),
    ("docker-digest", "image: python@sha256:" + _WHEEL_SHA + "\n"),
    ("base64-png-icon", f'icon = "{_PNG}"\n'),
    ("data-uri-img", f'<img alt="logo" src="data:image/png;base64,{_PNG}">'),
    ("urls-without-passwords", 'REPO = "https://github.com/org/repo.git"\nDB = "postgres://localhost:5432/app"\n'
                               'MIRROR = "https://deploy@git.example.com/org/repo.git"\n'
                               'ssh = "git@github.com:org/r.git"'),
    ("url-with-port-and-query", "see http://127.0.0.1:8080/search?q=token&page=2#results"),
    ("ipv6-url", "server = 'http://[::1]:8000/health'"),
    ("token-budget", "token_budget = 60000\nmax_tokens: 2048\ncontext_tokens = 6_000\n"),
    ("token-regex", 'TOKEN_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\\d+")\n'),
    ("tokenizer", 'tokenizer = AutoTokenizer.from_pretrained("sentence-transformers/all-MiniLM-L6-v2")\n'),
    ("getpass", 'password = getpass.getpass("Password: ")\nlogin(user, password=password)\n'),
    ("environ-lookup", 'api_key = os.environ["OPENAI_API_KEY"]\ntoken = settings.github_token\n'),
    ("yaml-references", "password: ${DB_PASSWORD}\napi_key: '{{ vault_api_key }}'\ntoken: <your token>\n"),
    ("env-example", "OPENAI_API_KEY=\nSECRET_KEY=your-secret-key-here\nDB_PASSWORD=changeme\n"),
    ("k8s-secret-refs", "secretName: app-tls\nvalueFrom:\n  secretKeyRef:\n    name: db\n    key: password\n"),
    ("django-auth-backend", 'AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]\n'
                            'auth_backend = "django.contrib.auth.backends.ModelBackend"\n'),
    ("bearer-from-variable", 'headers = {"Authorization": f"Bearer {token}"}\n'
                             'curl -H "Authorization: Bearer $TOKEN" https://api.example.com\n'),
    ("token-functions", "def verify_token(token: str, secret_key: bytes) -> bool:\n"
                        "    return hmac.compare_digest(sign(token, secret_key), token)\n"),
    ("password-hashing", "password_hash = bcrypt.hashpw(password.encode(), bcrypt.gensalt())\n"
                         "password_min_length = 12\n"),
    ("form-fields", "password = forms.CharField(widget=forms.PasswordInput)\ntoken_type: str = 'bearer'\n"),
    ("aws-arn", 'ROLE = "arn:aws:iam::123456789012:role/deploy"\nregion = "eu-west-1"\n'),
    ("pem-constants", 'if line.startswith("-----BEGIN PRIVATE KEY-----"):\n    kind = "pkcs8"\n'
                      'END = "-----END PRIVATE KEY-----"\n'),
    ("prose", "Set your API key in the OPENAI_API_KEY environment variable; the token is read at startup."),
    ("pytest-output", "tests/test_auth.py::test_token_refresh PASSED [ 50%]\n"
                      "===== 2 passed in 0.13s =====\n"),
    ("css-and-colors", ".btn-primary-large-rounded { color: #3b82f6; background: #1e293b; }\n"),
    ("numbers", "coords = [51.507351, -0.127758]\nseed = 1234567890\n"),
    ("session-cookie-name", 'SESSION_COOKIE_NAME = "sessionid"\nCSRF_COOKIE_NAME = "csrftoken"\n'),
    # Secret-sounding names in ordinary Python: variables, calls, types, constants, docstrings.
    ("python-variables", "self.key_password = key_password\nk_pass = k_pass * self.scale\n"
                         "conn = connect(\n    password=db_password,\n    token=self.token)\n"),
    ("type-annotations", "class Handler:\n    password: _PasswordType | None\n    passwd: HTTPPasswordMgr\n"
                         "    auth: OAuth2AuthorizationCodeGrant\n    api_key: SecretStr = Field(repr=False)\n"),
    ("typed-constants", "ERROR_INVALID_PASSWORD: Final = -2146893773\nACCESS_TOKEN_HEADER = 'X-Access-Token'\n"
                        "ACL_CREDENTIALS: Final = 'Access-Control-Allow-Credentials'\n"),
    ("mapping-of-classes", 'CONFIGS = {\n    "token2wav_config": Qwen2_5OmniToken2WavConfig,\n}\n'),
    ("numpy-docstring", '    """\n    Parameters\n    ----------\n    password : str\n        The password.\n'
                        '    pw : rational number\n    """\n'),
    # Secret names with values too short or too regular to be keys (the length and entropy thresholds).
    ("short-test-key", 'def test_client():\n    client = Client(api_key="key-123-ABC")\n'),
    ("repetitive-test-secret", 'SECRET_KEY = "abc123abc123abc123"  # tests only\n'),
    ("low-entropy-token", 'auth_token = "aaaa1111aaaa1111aaaa"\nsession_key = "deadbeefdeadbeef"\n'),
    ("nil-uuid-secret", 'SECRET = "00000000-0000-0000-0000-000000000000"\n'),
]
