"""Configuration: a YAML file (see config.example.yaml), validated at load with clear errors.

Secrets never live in the file: the file names environment variables that hold them.
Relative paths are resolved against the folder of the config file (or the working directory
when no file is given).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..answers.models import artifact_manifest
from ..answers.search import CALIBRATED, SearchParams
from .files import config_path, yaml_error

DEFAULT_ARTIFACT = "models/pixbot-e5"  # the fine-tuned adapter shipped in the repository


class ConfigError(Exception):
    pass


@dataclass
class MatrixConfig:
    homeserver: str | None = None
    user_id: str | None = None
    password_env: str = "PIXBOT_PASSWORD"
    access_token_env: str = "PIXBOT_ACCESS_TOKEN"
    device_name: str = "pixbot"
    allowed_servers: list[str] = field(default_factory=list)
    allowed_users: list[str] = field(default_factory=list)
    command_prefix: str = "!pix"
    threads: bool = True
    encryption: bool = True
    messages_per_second: float = 1.0
    correspondents_room: str | None = None


@dataclass
class TicketsConfig:
    """Escalation to the correspondents (owned by bot/features/tickets/)."""

    auto_close_days: int = 7  # answered tickets silent this long close themselves
    faq_file: str = "faq/appris.yaml"  # where `faq` writes entries (default: <faq_dir>/appris.yaml)


@dataclass
class AccessConfig:
    """Access requests to Pix Orga / Pix Certif (owned by bot/features/tickets/access.py)."""

    # the invitation must go to an address of one of these domains (e.g. univ-exemple.fr; its
    # subdomains too); empty: any well-formed address
    mail_domains: list[str] = field(default_factory=list)


@dataclass
class NewsConfig:
    """Pix news (owned by bot/features/news/)."""

    feeds: list[str] = field(default_factory=list)  # RSS/Atom URLs
    announcements_dir: str = "annonces"  # local Markdown announcements
    daily_time: str = "08:30"  # HH:MM, in `timezone`
    weekly_day: str = "mon"  # day of the weekly digest (mon..sun)
    nothing_new_notice: bool = False  # send "rien de neuf" when a digest would be empty
    topics: dict[str, list[str]] = field(default_factory=dict)  # topic -> keywords (and category names)
    fetch_timeout: float = 20.0  # seconds for one feed (connection and whole download)
    max_bytes: int = 2_000_000  # a bigger feed is refused
    fetch_interval_minutes: int = 30  # how often sources are fetched between digests
    retry_max_minutes: int = 360  # cap of the backoff on a failing source
    max_items: int = 20  # items per digest at most (the rest waits for the next one)
    max_age_days: int = 30  # items published longer ago are never sent as news
    backlog_days: int = 7  # a new subscriber's first digest includes items seen this recently
    latest_count: int = 5  # items shown by `actus`


DEFAULT_CONVOCATION = (
    "Objet : convocation à la certification Pix\n\n"
    "Bonjour,\n\n"
    "Vous êtes convoqué(e) à une session de certification Pix le {date} à {heure}, {site}, salle {salle}.\n\n"
    "Merci d'arriver un peu en avance, avec une pièce d'identité en cours de validité : votre identité sera "
    "vérifiée avec la feuille d'émargement. Vérifiez dès maintenant que vous savez vous connecter à votre compte "
    "Pix (adresse e-mail ou identifiant, et mot de passe) : vous en aurez besoin le jour de la session.\n\n"
    "Le surveillant vous donnera sur place le code d'accès à la session. Téléphone, intelligence artificielle et "
    "communication sont interdits pendant l'épreuve.\n\n"
    "Si vous bénéficiez d'un aménagement (temps majoré, accessibilité) ou si vous ne pouvez pas venir, "
    "prévenez-nous au plus vite en répondant à ce message.\n\n"
    "Bonne certification !"
)

CONVOCATION_FIELDS = ("date", "heure", "site", "salle", "numero", "candidats")


@dataclass
class SessionsConfig:
    """Certification sessions and their invigilators (owned by bot/features/sessions/)."""

    reminder_days: list[int] = field(default_factory=lambda: [7, 1])  # days before a session
    reminder_time: str = "09:00"  # HH:MM, in `timezone`
    finalise_after_hours: int = 3  # the correspondents' « pensez à finaliser » reminder, after the start
    convocation_template: str = DEFAULT_CONVOCATION  # {date} {heure} {site} {salle} {numero} {candidats}
    guide_url: str | None = None  # an address of the invigilator guide (None: the bundled one, through the bot)
    guide_file: str = "certification/guide-du-surveillant.md"  # the bundled guide, in sources.docs_dir


@dataclass
class Config:
    base_dir: Path
    data_dir: Path
    faq_dir: Path
    docs_dir: Path | None
    training_dir: Path | None = None
    # the institution's facts the content quotes through {{ etablissement.<key> }} (bot/placeholders.py)
    local_file: Path | None = None
    # the glossary and the list of Pix interface labels that `pixbot check` holds the content to
    glossary_dir: Path | None = None
    model: str = "e5"  # the base embedding model (see bot/models.py)
    trained_model: Path | None = None  # the fine-tuned artifact merged into it (None: the base alone)
    runtime: str = "auto"
    threads: int = 0
    database: Path | None = None
    retention_days: int = 365
    correspondents: list[str] = field(default_factory=list)
    search: SearchParams = field(default_factory=SearchParams)
    matrix: MatrixConfig = field(default_factory=MatrixConfig)
    log_level: str = "INFO"
    timezone: str = "Europe/Paris"
    tickets: TicketsConfig = field(default_factory=TicketsConfig)
    access: AccessConfig = field(default_factory=AccessConfig)
    news: NewsConfig = field(default_factory=NewsConfig)
    sessions: SessionsConfig = field(default_factory=SessionsConfig)

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def embedding_cache(self) -> Path:
        return self.data_dir / "embeddings.sqlite"

    @property
    def runtime_dir(self) -> Path:
        """Where the embedding model exported to ONNX is kept (one folder per model fingerprint)."""
        return self.data_dir / "onnx"

_TOP_KEYS = {"data_dir", "sources", "search", "matrix", "correspondents", "storage", "log_level", "timezone",
             "tickets", "access", "news", "sessions"}


def _check_keys(section: str, data: dict, allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(f"unknown key(s) in {section}: {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})")


def _typed(section: str, key: str, value, kind):
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{section}.{key} must be a list of strings")
        return value
    if kind is dict:
        if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v)
                for k, v in value.items()):
            raise ConfigError(f"{section}.{key} must map names to lists of strings")
        return value
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{section}.{key} must be of type {kind.__name__}, got {value!r}")
    return value


def _fill(section: str, target, data: dict) -> None:
    kinds = {f.name: f.type for f in dataclasses.fields(target)}
    _check_keys(section, data, set(kinds))
    for key, value in data.items():
        kind = {"float": float, "int": int, "bool": bool, "str": str, "list[str]": list,
                 "dict[str, list[str]]": dict}.get(
            str(kinds[key]).replace("str | None", "str"), str
        )
        if value is None and "None" in str(kinds[key]):
            setattr(target, key, None)
            continue
        setattr(target, key, _typed(section, key, value, kind))


def _check_ranges(config: "Config") -> None:
    """Values the types alone do not rule out (each would silently break a feature)."""
    prefix = config.matrix.command_prefix
    if not prefix or any(ch.isspace() for ch in prefix):
        raise ConfigError(f"matrix.command_prefix must be a word without spaces (e.g. !pix), not {prefix!r}")
    for name, value, least in (("tickets.auto_close_days", config.tickets.auto_close_days, 1),
                               ("news.max_age_days", config.news.max_age_days, 1),
                               ("news.backlog_days", config.news.backlog_days, 0),
                               ("search.candidates", config.search.candidates, 1),
                               ("search.max_suggestions", config.search.max_suggestions, 1)):
        if value < least:
            raise ConfigError(f"{name} must be at least {least}, not {value}")
    # `faq` in a ticket thread writes there: it must be a YAML file of the FAQ folder, which is
    # indexed (and nowhere else on disk)
    learned = config_path(config.tickets.faq_file, config.base_dir).resolve()
    if learned.suffix not in (".yaml", ".yml") or not learned.is_relative_to(config.faq_dir.resolve()):
        raise ConfigError(f"tickets.faq_file must be a .yaml file inside sources.faq_dir ({config.faq_dir}), "
                          f"not {config.tickets.faq_file!r}")


def _check_news(news: NewsConfig) -> None:
    import re

    if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", news.daily_time):
        raise ConfigError(f"news.daily_time must be HH:MM, got {news.daily_time!r}")
    if news.weekly_day not in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        raise ConfigError(f"news.weekly_day must be one of mon..sun, got {news.weekly_day!r}")
    for key in ("fetch_timeout", "max_bytes", "fetch_interval_minutes", "retry_max_minutes", "max_items",
                "latest_count"):
        if getattr(news, key) <= 0:
            raise ConfigError(f"news.{key} must be positive")


def _load_sessions(data) -> SessionsConfig:
    import re
    import string

    if not isinstance(data, dict):
        raise ConfigError("sessions must be a mapping")
    data = dict(data)
    sessions = SessionsConfig()
    days = data.pop("reminder_days", sessions.reminder_days)
    if (not isinstance(days, list) or not days
            or not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 60 for d in days)):
        raise ConfigError(f"sessions.reminder_days must be a list of whole numbers of days (0 to 60), not {days!r}")
    sessions.reminder_days = sorted(set(days), reverse=True)
    _fill("sessions", sessions, data)
    if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", sessions.reminder_time):
        raise ConfigError(f"sessions.reminder_time must be HH:MM, got {sessions.reminder_time!r}")
    if sessions.finalise_after_hours < 1:
        raise ConfigError("sessions.finalise_after_hours must be at least 1")
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(sessions.convocation_template) if name is not None]
    except ValueError as exc:
        raise ConfigError(f"sessions.convocation_template: {exc} (write {{{{ and }}}} for literal braces)") from None
    unknown = sorted({f for f in fields if f not in CONVOCATION_FIELDS})
    if unknown:
        raise ConfigError(f"sessions.convocation_template: unknown field(s) {', '.join(unknown)} "
                          f"(allowed: {', '.join(CONVOCATION_FIELDS)})")
    if sessions.guide_url is not None and not re.match(r"https?://\S+$", sessions.guide_url):
        raise ConfigError(f"sessions.guide_url must be an http(s) address, not {sessions.guide_url!r}")
    return sessions


def load_config(path: Path | None = None) -> Config:
    data: dict = {}
    base = Path.cwd()
    if path is not None:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {path}") from None
        except yaml.YAMLError as exc:
            problem, line = yaml_error(exc)
            where = f" line {line}" if line is not None else ""
            raise ConfigError(f"{path}{where}: invalid YAML ({problem})") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: the config must be a mapping of keys")
        base = path.resolve().parent
    _check_keys("config", data, _TOP_KEYS)

    def resolve(value, key) -> Path:
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{key} must be a path")
        return config_path(value, base)

    sources = data.get("sources") or {}
    if not isinstance(sources, dict):
        raise ConfigError("sources must be a mapping")
    _check_keys("sources", sources, {"faq_dir", "docs_dir", "training_dir", "local_file", "glossary_dir"})
    storage = data.get("storage") or {}
    if not isinstance(storage, dict):
        raise ConfigError("storage must be a mapping")
    _check_keys("storage", storage, {"database", "retention_days"})

    data_dir = resolve(data.get("data_dir", "data"), "data_dir")
    search_data = dict(data.get("search") or {})
    model = search_data.pop("model", "e5")
    trained = search_data.pop("trained_model", None)  # None: default place; "" or false: disabled
    trained_model = (base / DEFAULT_ARTIFACT) if trained is None \
        else (resolve(trained, "search.trained_model") if trained else None)
    runtime = search_data.pop("runtime", "auto")
    if runtime not in ("auto", "torch"):
        raise ConfigError(f"search.runtime must be 'auto' or 'torch', not {runtime!r}")
    threads = search_data.pop("threads", 0)
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 0:
        raise ConfigError(f"search.threads must be a whole number >= 0, not {threads!r}")
    # the artifact's calibrated parameters are the defaults; the config may override each one
    params = SearchParams()
    calibrated = (artifact_manifest(str(model), trained_model) or {}).get("search") or {}
    _fill("search", params, {k: v for k, v in calibrated.items() if k in CALIBRATED})
    _fill("search", params, search_data)
    if not 0 < params.suggest_threshold <= params.answer_threshold:
        raise ConfigError("search: need 0 < suggest_threshold <= answer_threshold")
    matrix = MatrixConfig()
    _fill("matrix", matrix, data.get("matrix") or {})
    if matrix.messages_per_second <= 0:
        raise ConfigError("matrix.messages_per_second must be positive")
    tickets = TicketsConfig()
    _fill("tickets", tickets, data.get("tickets") or {})
    access = AccessConfig()
    _fill("access", access, data.get("access") or {})
    access.mail_domains = [d.strip().lower().lstrip("@") for d in access.mail_domains if str(d).strip()]
    news = NewsConfig()
    _fill("news", news, data.get("news") or {})
    _check_news(news)
    sessions = _load_sessions(data.get("sessions") or {})
    timezone = str(data.get("timezone", "Europe/Paris"))
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(timezone)
    except Exception:
        raise ConfigError(f"timezone: unknown time zone {timezone!r} (e.g. Europe/Paris)") from None
    correspondents = data.get("correspondents") or []
    _typed("config", "correspondents", correspondents, list)
    retention = storage.get("retention_days", 365)
    _typed("storage", "retention_days", retention, int)
    if retention < 1:
        raise ConfigError("storage.retention_days must be at least 1")
    docs = sources.get("docs_dir", "knowledge")
    training = sources.get("training_dir", "training")
    glossary = sources.get("glossary_dir", "glossary")
    config = Config(
        base_dir=base,
        data_dir=data_dir,
        faq_dir=resolve(sources.get("faq_dir", "faq"), "sources.faq_dir"),
        docs_dir=resolve(docs, "sources.docs_dir") if docs else None,
        training_dir=resolve(training, "sources.training_dir") if training else None,
        local_file=resolve(sources.get("local_file", "local/etablissement.yaml"), "sources.local_file"),
        glossary_dir=resolve(glossary, "sources.glossary_dir") if glossary else None,
        model=str(model),
        trained_model=trained_model,
        runtime=runtime,
        threads=threads,
        database=resolve(storage.get("database", str(data_dir / "pixbot.sqlite")), "storage.database"),
        retention_days=retention,
        correspondents=correspondents,
        search=params,
        matrix=matrix,
        log_level=str(data.get("log_level", "INFO")).upper(),
        timezone=timezone,
        tickets=tickets,
        access=access,
        news=news,
        sessions=sessions,
    )
    if "faq_file" not in (data.get("tickets") or {}):  # by default, in the FAQ folder, wherever it is
        config.tickets.faq_file = str(config.faq_dir / "appris.yaml")
    _check_ranges(config)
    return config
