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
# Sign-in throttle, kept in the database (so every worker counts alike) and shared by the login
# form and the API: after ACCOUNT_FAILURES failed sign-ins for one account, or ADDRESS_FAILURES
# from one network address, each further attempt waits 2, 4, 8 ... seconds, at most MAX_WAIT,
# and is refused unchecked until then. A success clears the account's count; counts without a
# failure for FORGET_AFTER seconds (keep it well above MAX_WAIT) are forgotten.
LOGIN_THROTTLE = True
LOGIN_THROTTLE_ACCOUNT_FAILURES = 5
LOGIN_THROTTLE_ADDRESS_FAILURES = 50
LOGIN_THROTTLE_MAX_WAIT = 15 * 60
LOGIN_THROTTLE_FORGET_AFTER = 60 * 60
# How many proxies (load balancers) in front of Regulars add the client's address to
# X-Forwarded-For. 0: the header is never believed and a client's address is the connection's.
TRUSTED_PROXIES = 0
FAB_API_SWAGGER_UI = True
FAB_UPDATE_PERMS = False  # permissions are written by `regulars db upgrade`, never at start-up
FAB_CREATE_DB = False  # the schema comes from Alembic migrations
FAB_ADD_SECURITY_API = False
FAB_API_MAX_PAGE_SIZE = 100
FAB_PASSWORD_HASH_METHOD = "scrypt"

WTF_CSRF_ENABLED = True
WTF_CSRF_TIME_LIMIT = None

BABEL_DEFAULT_LOCALE = "en"
# The shop's time zone, an IANA name ("Europe/London"): times on screen, "today" for daily jobs
# (core.sdk.shop_today) and the hours of the scheduler's cron jobs. Stored times are UTC.
BABEL_DEFAULT_TIMEZONE = "UTC"
LANGUAGES = {"en": {"flag": "gb", "name": "English"}}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = False
REMEMBER_COOKIE_HTTPONLY = True
# Sent with every response (core/csp.py). Pages carry no inline script; "{nonce}" is where the
# nonce of FAB's own admin screens goes, which still have some. None: the default in core/csp.py.
CONTENT_SECURITY_POLICY = None

# Largest request body Flask accepts (413 above it); the CSV import screen has its own, smaller
# limit so it can say so in words.
MAX_CONTENT_LENGTH = 16 * 1024 * 1024
IMPORT_MAX_BYTES = 10 * 1024 * 1024
# Background tasks (emails, imports, recomputes) run in `regulars worker` processes. A worker
# holds a task for TASKS_LEASE_SECONDS at a time (renewed while it runs; a worker that dies lets
# go when it expires); a failed attempt is retried after TASKS_BACKOFF_BASE seconds, doubling up
# to TASKS_BACKOFF_CAP. Idle workers look for work every TASKS_POLL_INTERVAL seconds (on
# PostgreSQL they are also woken at once by a notification). Done tasks are kept
# TASKS_KEEP_DAYS days. TASKS_EAGER runs each task in the process that enqueued it, right after
# the commit (the test suite does); WORKER_IN_PROCESS runs one worker on a thread (`make run`).
TASKS_LEASE_SECONDS = 60
TASKS_BACKOFF_BASE = 5
TASKS_BACKOFF_CAP = 3600
TASKS_POLL_INTERVAL = 0.25
TASKS_KEEP_DAYS = 7
TASKS_EAGER = False
WORKER_IN_PROCESS = False
# Uploaded files waiting for their check and import are kept this many hours.
UPLOAD_KEEP_HOURS = 24
# Days an ended sign-in stays listed on the user's page before the hourly tidy forgets it.
SIGN_IN_KEEP_DAYS = 30

# Worker processes that check a large import's emails and phone numbers ahead of the rows being
# written. None: one per spare CPU core (at most 4); 0: check everything in the importing process.
IMPORT_WORKERS = None
# The Import screen's checks and imports are background tasks; the page shows their progress. A
# run whose heartbeat is older than IMPORT_STALE_AFTER seconds is shown as interrupted (the
# worker doing it died; its task is taken again once its lease expires).
IMPORT_STALE_AFTER = 60

# Outbound email. The Email settings screen (Settings > Email) overrides these once saved; until
# then they say how to reach the mail server. MAIL_SECURITY: "none", "starttls" or "tls" (TLS
# from the start, usually port 465). A message is tried MAIL_MAX_ATTEMPTS times (the background
# tasks' backoff between attempts); MAIL_TIMEOUT seconds for each answer of the server.
MAIL_SERVER = ""
MAIL_PORT = 587
MAIL_SECURITY = "starttls"
MAIL_USERNAME = ""
MAIL_PASSWORD = ""
MAIL_SENDER_NAME = ""
MAIL_SENDER_ADDRESS = ""
MAIL_REPLY_TO = ""
MAIL_TIMEOUT = 30
MAIL_MAX_ATTEMPTS = 8
MAIL_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# A worker keeps its connection to the mail server open for the next email, at most this many
# seconds after the last one (0: a new connection for every email).
MAIL_KEEP_CONNECTION = 30
