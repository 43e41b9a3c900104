"""RegWatch settings: everything deploy-specific comes from the environment."""

import re
from datetime import timedelta
from pathlib import Path

import django
import environ
from corsheaders.defaults import default_headers as default_cors_headers

from ops.log_format import JSON_FORMATTER, TEXT_FORMATTER

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# ---------------------------------------------------------------- core
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise environ.ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off."
        )
    SECRET_KEY = "insecure-development-only-key"
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "axes",
    "simple_history",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "django_prometheus",
    "django_tasks",
    "django_tasks_db",
    "timeline",
    "api",
    "ops",
    "pages",
    "changelog",
    "webhooks",
]

MIDDLEWARE = [
    "ops.middleware.OperationsMiddleware",  # /healthz, /readyz, /metrics: before all the rest
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "api.middleware.RequestGuardMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "api.middleware.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "regwatch.urls"
WSGI_APPLICATION = "regwatch.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# ---------------------------------------------------------------- database
# Without DATABASE_URL: an embedded SQLite file in WAL mode with a busy timeout.
SQLITE_PATH = env.path("REGWATCH_SQLITE_PATH", default=BASE_DIR / "db.sqlite3")
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{SQLITE_PATH}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
            ),
        }
    )
# Reuse connections: opening one (and, on SQLite, running the pragmas) costs more than
# answering a simple request.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
# The same engines, counting queries and their duration for /metrics (django-prometheus; on
# SQLite through ops.db.sqlite3, which builds its cursor class once).
_engine = DATABASES["default"]["ENGINE"]
DATABASES["default"]["ENGINE"] = (
    "ops.db.sqlite3"
    if _engine == "django.db.backends.sqlite3"
    else _engine.replace("django.db.backends.", "django_prometheus.db.backends.", 1)
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache_url("DJANGO_CACHE_URL", default="locmemcache://")}

# ---------------------------------------------------------------- security
# Safe by default outside debug; behind a TLS-terminating proxy set
# DJANGO_SECURE_PROXY_SSL_HEADER=true so Django trusts X-Forwarded-Proto.
if env.bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=not DEBUG)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Joining the browsers' preload list is a deliberate, hard-to-undo step: opt in with
# DJANGO_SECURE_HSTS_PRELOAD=true; until then the deploy check need not remind us.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# Request bodies over this many bytes get 413 (the API's bodies are a few kilobytes).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("REGWATCH_MAX_BODY_BYTES", default=1_048_576)
# Dataset files sent to the import endpoint may be larger; over this many bytes they get 413.
REGWATCH_IMPORT_MAX_BYTES = env.int("REGWATCH_IMPORT_MAX_BYTES", default=10_485_760)

# Admin logins: lock out an address after repeated failures (django-axes).
AXES_FAILURE_LIMIT = env.int("REGWATCH_ADMIN_LOGIN_FAILURES", default=5)
AXES_COOLOFF_TIME = env.float("REGWATCH_ADMIN_LOCKOUT_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
# Proxies in front, each appending the address it saw to X-Forwarded-For: a client's address is
# the one the outermost of them saw (0: the direct peer's; the header, which clients can send
# themselves, is then ignored). Read by the admin lockouts and the rate limits.
REGWATCH_PROXY_COUNT = env.int("REGWATCH_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "api.throttling.client_address"  # the rate limits' reading

# CORS for the read API: list the origins allowed to call it from a browser.
CORS_ALLOWED_ORIGINS = env.list("REGWATCH_CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_ALL_ORIGINS = env.bool("REGWATCH_CORS_ALLOW_ALL_ORIGINS", default=False)
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_EXPOSE_HEADERS = ["ETag", "Last-Modified", "Retry-After"]
# Browser apps may revalidate what they hold (and guard writes) with the validators exposed.
CORS_ALLOW_HEADERS = (*default_cors_headers, "if-none-match", "if-modified-since", "if-match",
                      "if-unmodified-since")  # fmt: skip

# simple_history's own revert form restores a row's columns only; a measure's version page
# reverts it with its nested parts (timeline/admin_history.py), other records are read-only.
SIMPLE_HISTORY_REVERT_DISABLED = True

# ---------------------------------------------------------------- i18n and static
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# Dates shown and read as YYYY-MM-DD (regwatch/formats/).
FORMAT_MODULE_PATH = ["regwatch.formats"]
STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

if django.VERSION < (6, 0):
    FORMS_URLFIELD_ASSUME_HTTPS = True  # Django 6's default, opted into early.

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# ---------------------------------------------------------------- API
REGWATCH_API_REQUIRE_AUTH = env.bool("REGWATCH_API_REQUIRE_AUTH", default=False)
# Seconds an API answer (and, inside Django, a list page or a measure) may be served from the
# cache; every write and the turn of the day invalidate it at once (0 turns read caching off).
REGWATCH_READ_CACHE_SECONDS = env.int("REGWATCH_READ_CACHE_SECONDS", default=300)
# The four most asked anonymous reads answered in front of Django's middleware and DRF, with
# the same bytes (api/direct_reads.py); false sends them through the whole stack.
REGWATCH_DIRECT_READS = env.bool("REGWATCH_DIRECT_READS", default=True)
# Requests per client, as "N/second|minute|hour|day"; empty turns a limit off.
REGWATCH_THROTTLE_ANON = env.str("REGWATCH_THROTTLE_ANON", default="120/minute") or None
REGWATCH_THROTTLE_USER = env.str("REGWATCH_THROTTLE_USER", default="1200/minute") or None
for _name in ("REGWATCH_THROTTLE_ANON", "REGWATCH_THROTTLE_USER"):
    # DRF reads the count before "/" and the period's first letter: anything else failed (500)
    # on every API request, the checks all passing.
    _rate = globals()[_name]
    if _rate is not None and not re.fullmatch(r"[0-9]+/(s|m|h|d)[a-z]*", _rate):
        raise environ.ImproperlyConfigured(
            f"{_name} must be N/second, N/minute, N/hour or N/day (or empty: no limit)."
        )
if REGWATCH_PROXY_COUNT < 0:
    raise environ.ImproperlyConfigured("REGWATCH_PROXY_COUNT must be 0 or more.")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.ReadOpenWriteWithModelPermission"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.AnonThrottle", "api.throttling.UserThrottle"],
    # Without it DRF identifies a client by the whole X-Forwarded-For header it sends.
    "NUM_PROXIES": REGWATCH_PROXY_COUNT,
    "DEFAULT_FILTER_BACKENDS": ["api.filters.StrictFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "api.renderers.ORJSONRenderer",
        "api.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.StrictJSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.negotiation.StrictContentNegotiation",
    "DATETIME_FORMAT": "iso-8601",
}

# API tokens expire this many days after they are issued (0: never); an expired token is 401.
REGWATCH_TOKEN_TTL_DAYS = env.int("REGWATCH_TOKEN_TTL_DAYS", default=90)
if REGWATCH_TOKEN_TTL_DAYS < 0:
    raise environ.ImproperlyConfigured("REGWATCH_TOKEN_TTL_DAYS must be 0 (never) or more.")
REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_TTL": timedelta(days=REGWATCH_TOKEN_TTL_DAYS) if REGWATCH_TOKEN_TTL_DAYS else None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "RegWatch API",
    "DESCRIPTION": (
        "Dated export controls and other measures on critical materials: which controls "
        "on which materials were in force when."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc from the pinned drf-spectacular-sidecar package, served with our own
    # static files: the docs load on a closed network and ask nothing of any other host.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No validator badge: Swagger UI would send the schema to validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # drf-standardized-errors' error enums, named once each in the schema.
    "ENUM_NAME_OVERRIDES": {
        name: f"drf_standardized_errors.openapi_serializers.{name}.choices"
        for name in [
            "ValidationErrorEnum",
            "ClientErrorEnum",
            "ServerErrorEnum",
            *(f"ErrorCode{code}Enum" for code in (401, 403, 404, 405, 406, 415, 429, 500)),
        ]
    }
    | {
        "EventTypeEnum": "timeline.models.EventType",
        "DatePrecisionEnum": "timeline.precision.DatePrecision",
        "MeasureTypeEnum": "timeline.models.MeasureType",
        "MaterialCategoryEnum": "timeline.models.MaterialCategory",
        "RelationTypeEnum": "timeline.models.RelationType",
        "ConfidenceEnum": "timeline.models.Confidence",
        "JurisdictionKindEnum": "timeline.models.JurisdictionKind",
        "HSLevelEnum": "timeline.models.HSLevel",
        "MeasureStatusEnum": "timeline.status.MeasureStatus",
        "ChangeKindEnum": "changelog.models.Kind",
        "ChangeActionEnum": "changelog.models.Action",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
        "api.schema.describe_path_parameters",
        "api.schema.index_patterns_for_error_attrs",
        "api.schema.refuse_unknown_query_parameters",
        "api.schema.refuse_empty_query_values",
        "api.schema.describe_transport_refusals",
        "api.schema.refuse_nul_characters",
        "api.schema.leave_lookups_out_of_update_bodies",
        "api.schema.link_operations",
        "api.schema.forbid_unknown_body_fields",
        "api.exports.schema.describe_exports",
        "api.facets.describe_facets",
        "webhooks.schema.describe_subscription_filter",
    ],
}

DRF_STANDARDIZED_ERRORS = {
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
}

# ---------------------------------------------------------------- operations
# /readyz runs these checks (name: dotted path of a function that raises when its service is
# unusable); a service is added with one line here.
REGWATCH_READINESS_CHECKS = {
    "database": "ops.health.check_database",
    "cache": "ops.health.check_cache",
    "queue": "webhooks.health.check_queue",
}
# /metrics answers scrapes from these networks (CIDR, the direct peer's address) or carrying
# "Authorization: Bearer <token>"; with neither set it answers nobody (403).
REGWATCH_METRICS_ALLOWED_NETWORKS = env.list("REGWATCH_METRICS_ALLOWED_NETWORKS", default=[])
REGWATCH_METRICS_TOKEN = env.str("REGWATCH_METRICS_TOKEN", default="")
# Collectors (dotted paths of prometheus-client collector classes) asked at each scrape, e.g.
# for numbers read from the database: the queue's depth and oldest job, deliveries by outcome.
REGWATCH_METRICS_COLLECTORS: list[str] = ["webhooks.health.WebhookCollector"]
# Several processes (Granian workers) add up their metrics in this directory (see
# regwatch/serve.py); every process that sets it writes there, so it must exist.
if env.str("PROMETHEUS_MULTIPROC_DIR", default=""):
    Path(env.str("PROMETHEUS_MULTIPROC_DIR")).mkdir(parents=True, exist_ok=True)

# Logs as text (default) or, with REGWATCH_LOG_FORMAT=json, one JSON object a line
# (python-json-logger), for log shippers.
REGWATCH_LOG_FORMAT = env.str("REGWATCH_LOG_FORMAT", default="text")
if REGWATCH_LOG_FORMAT not in ("text", "json"):
    raise environ.ImproperlyConfigured("REGWATCH_LOG_FORMAT must be text or json.")

# ---------------------------------------------------------------- task queue and webhooks
# Jobs (webhook deliveries) are rows in the application's own database (django-tasks'
# database backend), written in the same transaction as the change they deliver; the worker
# (`manage.py db_worker`) runs them. Several workers share one PostgreSQL database safely.
TASKS = {
    "default": {
        "BACKEND": env.str("REGWATCH_TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# Attempts per delivery (the first included) and the wait before each retry: the first retry
# after REGWATCH_WEBHOOKS_RETRY_SECONDS, each next one REGWATCH_WEBHOOKS_RETRY_FACTOR times
# longer, at most REGWATCH_WEBHOOKS_RETRY_MAX_SECONDS.
REGWATCH_WEBHOOKS_ATTEMPTS = env.int("REGWATCH_WEBHOOKS_ATTEMPTS", default=6)
REGWATCH_WEBHOOKS_RETRY_SECONDS = env.float("REGWATCH_WEBHOOKS_RETRY_SECONDS", default=30.0)
REGWATCH_WEBHOOKS_RETRY_FACTOR = env.float("REGWATCH_WEBHOOKS_RETRY_FACTOR", default=4.0)
REGWATCH_WEBHOOKS_RETRY_MAX_SECONDS = env.float(
    "REGWATCH_WEBHOOKS_RETRY_MAX_SECONDS", default=6 * 3600.0
)
# A subscription is disabled after this many failed attempts in a row (0: never).
REGWATCH_WEBHOOKS_DISABLE_AFTER_FAILURES = env.int(
    "REGWATCH_WEBHOOKS_DISABLE_AFTER_FAILURES", default=20
)
# Seconds to connect to a receiver, and to wait for its answer; bytes of its answer kept.
REGWATCH_WEBHOOKS_CONNECT_TIMEOUT = env.float("REGWATCH_WEBHOOKS_CONNECT_TIMEOUT", default=3.0)
REGWATCH_WEBHOOKS_READ_TIMEOUT = env.float("REGWATCH_WEBHOOKS_READ_TIMEOUT", default=5.0)
REGWATCH_WEBHOOKS_MAX_RESPONSE_BYTES = env.int("REGWATCH_WEBHOOKS_MAX_RESPONSE_BYTES", default=4096)
# Receivers on this machine (http or https to 127.0.0.1, ::1, localhost): for development
# and tests only. Private and link-local networks (cloud metadata included) are refused
# unless REGWATCH_WEBHOOKS_ALLOW_PRIVATE is true (a receiver inside your own network).
REGWATCH_WEBHOOKS_ALLOW_LOOPBACK = env.bool("REGWATCH_WEBHOOKS_ALLOW_LOOPBACK", default=False)
REGWATCH_WEBHOOKS_ALLOW_PRIVATE = env.bool("REGWATCH_WEBHOOKS_ALLOW_PRIVATE", default=False)
for _name in ("REGWATCH_WEBHOOKS_ATTEMPTS", "REGWATCH_WEBHOOKS_MAX_RESPONSE_BYTES"):
    if globals()[_name] < 1:
        raise environ.ImproperlyConfigured(f"{_name} must be 1 or more.")
for _name in (
    "REGWATCH_WEBHOOKS_CONNECT_TIMEOUT",
    "REGWATCH_WEBHOOKS_READ_TIMEOUT",
    "REGWATCH_WEBHOOKS_RETRY_SECONDS",
):
    if globals()[_name] <= 0:
        raise environ.ImproperlyConfigured(f"{_name} must be more than 0.")
if REGWATCH_WEBHOOKS_RETRY_FACTOR < 1:
    raise environ.ImproperlyConfigured("REGWATCH_WEBHOOKS_RETRY_FACTOR must be 1 or more.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"text": TEXT_FORMATTER, "json": JSON_FORMATTER},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": REGWATCH_LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"django": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
