"""Default settings for Regulars. Every name here can be overridden by an environment
variable of the same name prefixed with ``REGULARS_`` (``REGULARS_DATABASE_URL``,
``REGULARS_SECRET_KEY``, ...)."""

APP_NAME = "Regulars"
APP_THEME = ""

# SQLite under instance/ unless REGULARS_DATABASE_URL says otherwise.
DATABASE_URL = None
# None: a key is generated once into instance/secret_key.
SECRET_KEY = None

# Customer numbers: a str.format pattern with {seq}.
CUSTOMER_NUMBER_PATTERN = "C-{seq:06d}"
# Region used to read phone numbers typed without a country code.
DEFAULT_PHONE_REGION = "GB"
DEFAULT_CURRENCY = "GBP"
# Payment terms a business customer may have, in days ("Net 30").
PAYMENT_TERMS = [0, 15, 30, 60]

# Run APScheduler in a thread of this process (the dev server does; web workers must not).
SCHEDULER_IN_PROCESS = False
# Days the API keeps the answer to a POST sent with an Idempotency-Key (a till's retry comes
# within minutes); a daily job forgets older ones. A whole number, at least 1.
IDEMPOTENCY_KEY_RETENTION_DAYS = 7

# Demo data and demo admin for `make run`.
DEMO_ADMIN_USERNAME = "admin"
DEMO_ADMIN_PASSWORD = "admin"
DEMO_CUSTOMERS = 300
DEMO_SEED = 4242

# Flask-AppBuilder
AUTH_TYPE = 1  # database authentication
AUTH_ROLE_ADMIN = "Admin"
AUTH_ROLE_PUBLIC = "Public"
AUTH_RATE_LIMITED = True
AUTH_RATE_LIMIT = "10 per 20 second"
RATELIMIT_ENABLED = True
RATELIMIT_STORAGE_URI = "memory://"
FAB_API_SWAGGER_UI = True
FAB_UPDATE_PERMS = False  # permissions are written by `regulars db upgrade`, never at start-up
FAB_CREATE_DB = False  # the schema comes from Alembic migrations
FAB_ADD_SECURITY_API = False
FAB_API_MAX_PAGE_SIZE = 100
FAB_PASSWORD_HASH_METHOD = "scrypt"

WTF_CSRF_ENABLED = True
WTF_CSRF_TIME_LIMIT = None

BABEL_DEFAULT_LOCALE = "en"
LANGUAGES = {"en": {"flag": "gb", "name": "English"}}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = False
REMEMBER_COOKIE_HTTPONLY = True

# Largest request body Flask accepts (413 above it); the CSV import screen has its own, smaller
# limit so it can say so in words.
MAX_CONTENT_LENGTH = 16 * 1024 * 1024
IMPORT_MAX_BYTES = 10 * 1024 * 1024
# Worker processes that check a large import's emails and phone numbers ahead of the rows being
# written. None: one per spare CPU core (at most 4); 0: check everything in the importing process.
IMPORT_WORKERS = None
# The Import screen checks and imports in a background thread and shows its progress; False runs
# the same work inside the request (the test suite does). A run whose heartbeat is older than
# IMPORT_STALE_AFTER seconds is shown as interrupted (the process doing it died).
IMPORT_IN_BACKGROUND = True
IMPORT_STALE_AFTER = 60
