"""Copy to production.py (or set REGULARS_* environment variables) for a real deployment.

    REGULARS_CONFIG=config/production.py gunicorn 'core.app:create_app()'
"""

DATABASE_URL = "postgresql+psycopg://regulars:CHANGE-ME@127.0.0.1/regulars"
# No SECRET_KEY here: a key written in a file that gets copied around is no secret. Set
# REGULARS_SECRET_KEY (the same on every worker: python -c 'import secrets; print(secrets.token_hex(32))'),
# or leave it unset on a single machine and one is generated into instance/secret_key.

# No ENCRYPTION_KEYS here either, and not beside the database: set REGULARS_ENCRYPTION_KEYS
# (newest first, comma-separated) from the environment or a secrets manager, the same for every
# process. Rotate: new key first, `regulars keys rotate`, then drop the old one (README).

SESSION_COOKIE_SECURE = True
REMEMBER_COOKIE_SECURE = True
SESSION_COOKIE_SAMESITE = "Lax"
PREFERRED_URL_SCHEME = "https"

AUTH_RATE_LIMITED = True
RATELIMIT_STORAGE_URI = "memory://"  # use redis:// or memcached:// with several workers
# The sign-in throttle (LOGIN_THROTTLE, on by default) keeps its counts in the database. Behind
# one load balancer that sets X-Forwarded-For, say so, or every sign-in seems to come from it:
# TRUSTED_PROXIES = 1

# Exactly one `regulars scheduler` process runs the jobs; web workers never do.
SCHEDULER_IN_PROCESS = False
